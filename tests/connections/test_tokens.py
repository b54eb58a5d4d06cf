"""Token lifecycle against the real sandbox upstream: issue, show once, rotate, revoke."""

import threading

import pytest
from django.db import close_old_connections

from connections import tokens
from connections.actors import Actor
from connections.models import ApiToken, TokenStatus
from connections.systems import Environment
from sandbox.models import SandboxToken
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.usefixtures("sandbox_server")


def test_rotating_twice_is_refused(admin_user, linked_a):
    old = ApiToken.objects.get(connection=linked_a)
    tokens.rotate_token(old, actor=Actor(admin_user))
    with pytest.raises(tokens.TokenActionError, match="already been rotated"):
        tokens.rotate_token(old, actor=Actor(admin_user))
    assert ApiToken.objects.filter(connection=linked_a).count() == 2


def test_a_rotation_the_upstream_refuses_leaves_the_old_token_as_it_was(
    admin_user, linked_a, settings
):
    old = ApiToken.objects.get(connection=linked_a)
    settings.UNIFIED_API_BASE_URL = "http://127.0.0.1:9/v1"
    with pytest.raises(tokens.TokenActionError, match="did not issue a token"):
        tokens.rotate_token(old, actor=Actor(admin_user))
    old.refresh_from_db()
    assert old.status == TokenStatus.ACTIVE and old.rotate_out_at is None
    assert ApiToken.objects.filter(connection=linked_a).count() == 1


def test_concurrent_rotate_clicks_give_one_new_token(admin_user, linked_a):
    old = ApiToken.objects.get(connection=linked_a)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def click():
        start.wait()
        try:
            tokens.rotate_token(ApiToken.objects.get(pk=old.pk), actor=Actor(admin_user))
            outcomes.append("rotated")
        except tokens.TokenActionError:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "rotated"]
    assert ApiToken.objects.filter(rotated_from=old).count() == 1
    # The upstream holds no extra token either: the losing click never kept one.
    assert (
        SandboxToken.objects.usable().filter(connection__upstream_id=linked_a.upstream_id).count()
        == 2
    )


def test_a_production_connection_never_holds_a_sandbox_token(linked_a):
    assert linked_a.environment == Environment.PRODUCTION
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="sandbox token cannot belong to a production"):
        ApiTokenFactory(connection=linked_a, environment=Environment.SANDBOX)
