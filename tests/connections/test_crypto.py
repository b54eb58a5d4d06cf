"""Tokens are encrypted at rest under MultiFernet; the fingerprint finds them by value."""

import pytest
from cryptography.fernet import Fernet

from connections import crypto
from connections.models import ApiToken
from tests.factories import ApiTokenFactory, new_token_plaintext


def test_token_round_trips_and_is_not_stored_in_clear(db, connection_a):
    plaintext = new_token_plaintext()
    token = ApiTokenFactory(connection=connection_a, plaintext=plaintext)
    stored = ApiToken.objects.get(pk=token.pk)
    assert plaintext.encode() not in bytes(stored.ciphertext)
    assert stored.plaintext() == plaintext
    assert stored.last4 == plaintext[-4:]
    assert plaintext not in repr(stored) and plaintext not in str(stored)
    assert ApiToken.objects.with_fingerprint(plaintext).get() == stored


def test_old_key_still_decrypts_and_rotation_moves_to_primary(db, settings, connection_a):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    plaintext = new_token_plaintext()
    token = ApiTokenFactory(connection=connection_a, plaintext=plaintext)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    assert not crypto.is_under_primary_key(bytes(token.ciphertext))
    assert token.plaintext() == plaintext
    rotated = crypto.reencrypt(bytes(token.ciphertext))
    assert crypto.is_under_primary_key(rotated)
    settings.TOKEN_ENCRYPTION_KEYS = settings.TOKEN_ENCRYPTION_KEYS[:1]
    assert crypto.decrypt(rotated) == plaintext


def test_retired_key_gives_a_clear_error(db, settings, connection_a):
    token = ApiTokenFactory(connection=connection_a)
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.TokenDecryptionError, match="cannot be decrypted"):
        token.plaintext()
