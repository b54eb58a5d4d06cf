"""`__any_of`, the batch-sized `IN`, and the per-connection current token a sweep batch loads."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connections.models import ApiToken, Connection
from tests.factories import ApiTokenFactory, ConnectionFactory


def test_any_of_finds_the_same_rows_as_in(db):
    connections = ConnectionFactory.create_batch(6)
    wanted = [c.pk for c in connections[1:5]]
    by_in = set(Connection.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    by_any_of = set(Connection.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
    assert by_any_of == by_in == set(wanted)


def test_any_of_works_on_text_columns_foreign_keys_and_updates(db):
    first, second, third = ConnectionFactory.create_batch(3)
    ApiTokenFactory(connection=first)
    ApiTokenFactory(connection=third)

    by_upstream = Connection.objects.filter(upstream_id__any_of={first.upstream_id, "nope"})
    assert list(by_upstream) == [first]
    tokens = ApiToken.objects.filter(connection_id__any_of=(second.pk, third.pk))
    assert [t.connection_id for t in tokens] == [third.pk]
    assert Connection.objects.filter(pk__any_of=[first.pk, third.pk]).update(display_name="x") == 2
    assert set(Connection.objects.filter(display_name="x")) == {first, third}


def test_any_of_an_empty_list_matches_nothing_without_asking(db):
    ConnectionFactory()
    with CaptureQueriesContext(connection) as captured:
        assert list(Connection.objects.filter(pk__any_of=[])) == []
    assert len(captured) == 0


def test_current_token_per_connection_is_the_newest_one_not_rotating_out(db):
    now = timezone.now()
    rotating, without_successor, revoked_only, expired_only = ConnectionFactory.create_batch(4)
    old = ApiTokenFactory(connection=rotating, created_at=now - timedelta(days=2))
    new = ApiTokenFactory(connection=rotating, created_at=now - timedelta(days=1))
    ApiToken.objects.filter(pk=new.pk).update(rotate_out_at=now + timedelta(hours=1))
    newer = ApiTokenFactory(connection=rotating, created_at=now - timedelta(hours=1))
    ApiToken.objects.filter(pk=newer.pk).update(rotate_out_at=now + timedelta(hours=2))
    # Every token of this connection is rotating out: the newest of them still serves.
    only = ApiTokenFactory(connection=without_successor, created_at=now)
    ApiToken.objects.filter(pk=only.pk).update(rotate_out_at=now + timedelta(hours=1))
    ApiTokenFactory(connection=revoked_only, revoked_at=now)
    ApiTokenFactory(connection=expired_only, expires_at=now - timedelta(minutes=1))

    current = ApiToken.objects.current_by_connection(
        [rotating.pk, without_successor.pk, revoked_only.pk, expired_only.pk]
    )

    assert {pk: token.pk for pk, token in current.items()} == {
        rotating.pk: old.pk,
        without_successor.pk: only.pk,
    }
    assert ApiToken.objects.current_for(rotating) == old
    assert ApiToken.objects.current_for(revoked_only) is None


def test_a_current_token_decrypts_only_when_asked_and_never_shows_its_secret(db):
    token = ApiTokenFactory(plaintext="pbt_the-secret-itself")
    current = ApiToken.objects.current_by_connection([token.connection_id])[token.connection_id]
    assert "the-secret-itself" not in repr(current)
    assert bytes(token.ciphertext) not in repr(current).encode()
    assert current.plaintext() == "pbt_the-secret-itself"
