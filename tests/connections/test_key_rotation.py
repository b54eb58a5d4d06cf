"""`rotate_encryption_keys`: every token moves under the primary key; a retired key is reported."""

import io

from cryptography.fernet import Fernet
from django.core.management import call_command

from connections import crypto
from connections.models import ApiToken, AuditEvent
from tests.factories import ApiTokenFactory, new_token_plaintext


def test_reencrypts_under_the_new_primary_key_then_the_old_key_can_go(db, settings, connection_a):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    plaintexts = [new_token_plaintext() for _ in range(7)]
    for plaintext in plaintexts:
        ApiTokenFactory(connection=connection_a, plaintext=plaintext)
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]

    out = io.StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "3", "--no-progress", stdout=out)
    assert "7 re-encrypted, 0 already current, 0 undecryptable" in out.getvalue()
    again = io.StringIO()
    call_command("rotate_encryption_keys", "--no-progress", stdout=again)
    assert "0 re-encrypted, 7 already current" in again.getvalue()

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    for plaintext in plaintexts:
        assert ApiToken.objects.with_fingerprint(plaintext).get().plaintext() == plaintext
    runs = [
        event.changes["counts"] for event in AuditEvent.objects.filter(action="tokens.reencrypted")
    ]
    assert sorted(run["re-encrypted"] for run in runs) == [0, 7]


def test_a_token_under_a_retired_key_is_reported_not_crashed(db, settings, connection_a):
    lost = ApiTokenFactory(connection=connection_a)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    kept = ApiTokenFactory(connection=connection_a)
    out = io.StringIO()
    call_command("rotate_encryption_keys", "--no-progress", stdout=out)
    assert "0 re-encrypted, 1 already current, 1 undecryptable" in out.getvalue()
    assert f"Cannot decrypt tokens {lost.pk}" in out.getvalue()
    assert crypto.is_under_primary_key(bytes(ApiToken.objects.get(pk=kept.pk).ciphertext))
