"""Embedded-default secrets: generated once under var/ so `make run` needs no set-up.

Only used when DEBUG is on; production settings refuse to start without real keys.
"""

import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def _read_or_create(path: Path, make) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Create with owner-only permissions, without racing another process that starts at once.
        try:
            with path.open("x") as handle:
                handle.write(make())
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text().strip()


def local_secret_key(var_dir: Path) -> str:
    return _read_or_create(var_dir / "keys" / "secret_key", lambda: secrets.token_urlsafe(50))


def local_encryption_keys(var_dir: Path) -> str:
    return _read_or_create(
        var_dir / "keys" / "token_encryption_keys", lambda: Fernet.generate_key().decode()
    )


def local_fingerprint_key(var_dir: Path) -> str:
    return _read_or_create(
        var_dir / "keys" / "token_fingerprint_key", lambda: secrets.token_hex(32)
    )


def local_webhook_secret(var_dir: Path) -> str:
    import base64

    return _read_or_create(
        var_dir / "keys" / "webhook_secret",
        lambda: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
    )


def local_unified_api_key(var_dir: Path) -> str:
    return _read_or_create(
        var_dir / "keys" / "unified_api_key", lambda: "pk_local_" + secrets.token_urlsafe(32)
    )


def local_notification_webhook_secret(var_dir: Path) -> str:
    import base64

    return _read_or_create(
        var_dir / "keys" / "notification_webhook_secret",
        lambda: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
    )
