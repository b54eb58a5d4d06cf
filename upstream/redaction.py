"""Secrets out of stored raw bodies: what the upstream sent is kept for support, minus secrets."""

from __future__ import annotations

import json
import re

REDACTED = "[redacted]"
SECRET_KEYS = re.compile(
    r"token|secret|password|passwd|authorization|api[_-]?key|credential|signature", re.I
)
# Bearer values, our own and the sandbox's token shapes, and whsec_ secrets inside free text.
SECRET_VALUES = re.compile(
    r"(?i:bearer)\s+[A-Za-z0-9._~+/=-]+|\b(?:sbx|pbt|pk_local|whsec)_[A-Za-z0-9._~+/=-]+"
)
MAX_RAW_CHARS = 8000


def _scrub(value):
    if isinstance(value, dict):
        return {
            key: REDACTED if SECRET_KEYS.search(str(key)) else _scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return SECRET_VALUES.sub(REDACTED, value)
    return value


def redact(raw: str | bytes, *, known_secrets: tuple[str, ...] = ()) -> str:
    """`raw` with secret-named JSON fields, bearer values and known secrets replaced, truncated."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        text = json.dumps(_scrub(json.loads(text)))
    except ValueError:
        text = SECRET_VALUES.sub(REDACTED, text)
    for secret in known_secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text[:MAX_RAW_CHARS]
