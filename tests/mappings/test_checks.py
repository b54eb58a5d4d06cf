"""The checks before a save, on the samples and on live records fetched from the real sandbox."""

import pytest

from connections.actors import Actor
from mappings import live, versions
from mappings.models import MappingVersion
from sandbox.models import SandboxConnection
from tests.factories import ApiTokenFactory, ConnectionFactory

DUE = {"overrides": {"due_at": {"path": "due_at", "transform": {"format": "%d/%m/%Y"}}}}


@pytest.fixture
def live_connection(sandbox_server, customer_a):
    connection = ConnectionFactory(customer=customer_a, system="sandbox")
    upstream = SandboxConnection.objects.create(
        upstream_id=connection.upstream_id, system="sandbox"
    )
    _, plaintext = upstream.issue_token("primary")
    ApiTokenFactory(connection=connection, plaintext=plaintext)
    live.forget(connection, "work_order")
    return connection


def test_a_breaking_save_names_sample_and_live_records_and_saves_nothing(live_connection):
    with pytest.raises(versions.NeedsConfirmation) as stopped:
        versions.save(live_connection, "work_order", DUE, base_number=0, actor=Actor.system())
    sentences = [breakage.sentence for breakage in stopped.value.breakages]
    assert sentences[0].startswith(
        "due_at fails on 3 of 3 sample records (WO-5001872, WO-5001873, WO-5001874): "
        "'2026-11-26T16:00:00Z' does not match the date format %d/%m/%Y"
    )
    assert sentences[1].startswith(
        "due_at fails on 3 of 3 live records (#5001872, #5001873, #5001874)"
    )
    assert not MappingVersion.objects.exists()
    version = versions.save(
        live_connection,
        "work_order",
        DUE,
        base_number=0,
        actor=Actor.system(),
        confirm=stopped.value.token,
    )
    assert version.number == 1


def test_without_a_token_only_samples_are_checked_and_the_page_says_why(db, customer_a):
    connection = ConnectionFactory(customer=customer_a, system="sandbox")
    found = versions.preflight(connection, "work_order", DUE, base_number=0)
    assert [b.label for b in found.breakages] == ["sample records"]
    assert found.live_note == "The connection has no API token, so only samples are checked."


def test_a_change_that_fails_nowhere_new_needs_no_confirmation(db, customer_a):
    connection = ConnectionFactory(customer=customer_a, system="sandbox")
    names = {"overrides": {"title": {"path": "asset.tag", "transform": {}, "enabled": True}}}
    assert versions.preflight(connection, "work_order", names, base_number=0).breakages == []
