"""Checks of the secrets and keys the environment gives, run while the settings load.

A bad value stops every process (web, worker, beat, manage.py) at start with a message that names
the variable, instead of a 500 or a failed task the first time the value is used.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

SEE_EXAMPLE = "See .env.example for what it is and how to make one."
# Standard Webhooks: a secret is whsec_ and the base64 of 24 to 64 random bytes.
WEBHOOK_SECRET_BYTES = (24, 64)


def refuse(name: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} {problem} {SEE_EXAMPLE}")


def check_secret_key(name: str, value: str) -> None:
    """Django's own deploy check (security.W009), made fatal: 50+ characters, not a sample."""
    if len(value) < 50 or len(set(value)) < 5 or value.startswith("django-insecure-"):
        raise refuse(name, "must be at least 50 random characters.")


def check_fernet_keys(name: str, keys: list[str]) -> None:
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.strip().encode())
        except (ValueError, binascii.Error):
            raise refuse(
                name, f"holds a value (number {position}) that is not a Fernet key."
            ) from None


def check_min_length(name: str, value: str, length: int) -> None:
    if len(value.strip()) < length:
        raise refuse(name, f"must be at least {length} characters.")


def check_webhook_secret(name: str, secret: str) -> None:
    low, high = WEBHOOK_SECRET_BYTES
    encoded = secret.strip().removeprefix("whsec_")
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raw = b""
    if not secret.strip().startswith("whsec_") or not low <= len(raw) <= high:
        raise refuse(
            name, f"must hold whsec_ secrets: whsec_ and the base64 of {low} to {high} bytes."
        )


def check_origins(name: str, origins: list[str]) -> None:
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise refuse(name, f"must list origins like https://patchbay.example.com: {origin!r}.")


def check_positive(name: str, value: int) -> None:
    if value < 1:
        raise refuse(name, "must be a whole number of at least 1.")
