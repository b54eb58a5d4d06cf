"""Token encryption at rest: MultiFernet over TOKEN_ENCRYPTION_KEYS (first encrypts, all decrypt).

The fingerprint is an HMAC under a separate key, so a token can be found by its value without
storing anything that reveals it, and re-encryption under a new key leaves lookups intact.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed


class TokenDecryptionError(Exception):
    """The stored token cannot be decrypted with any configured key (a key was retired too soon)."""


@functools.cache
def _multifernet() -> MultiFernet:
    keys = [key.strip() for key in settings.TOKEN_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        raise RuntimeError("TOKEN_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _reset_cache(*, setting: str, **kwargs) -> None:
    if setting == "TOKEN_ENCRYPTION_KEYS":
        _multifernet.cache_clear()


setting_changed.connect(_reset_cache)


def encrypt(plaintext: str) -> bytes:
    return _multifernet().encrypt(plaintext.encode())


def decrypt(ciphertext: bytes) -> str:
    try:
        return _multifernet().decrypt(ciphertext).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError(
            "This token cannot be decrypted with the configured TOKEN_ENCRYPTION_KEYS."
        ) from exc


def reencrypt(ciphertext: bytes) -> bytes:
    """The same secret under the primary key (MultiFernet.rotate); raises TokenDecryptionError."""
    try:
        return _multifernet().rotate(ciphertext)
    except InvalidToken as exc:
        raise TokenDecryptionError(
            "This token cannot be decrypted with the configured TOKEN_ENCRYPTION_KEYS."
        ) from exc


def is_under_primary_key(ciphertext: bytes) -> bool:
    primary = _multifernet()._fernets[0]
    try:
        primary.decrypt(ciphertext)
    except InvalidToken:
        return False
    return True


def fingerprint(plaintext: str) -> str:
    return hmac.new(
        settings.TOKEN_FINGERPRINT_KEY.encode(), plaintext.encode(), hashlib.sha256
    ).hexdigest()
