"""Keyset pages over a newest-first (created_at, pk) ordering, with opaque cursors.

Page 500 costs what page 1 does: each page starts from the last row seen instead of counting
OFFSET rows past it. A cursor someone edited answers BadCursor, never a 500.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

PAGE_SIZE = 50


class BadCursor(ValueError):
    """A page cursor that was not made here (edited or truncated)."""


def encode_cursor(row) -> str:
    raw = f"{row.created_at.isoformat()}|{row.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|")
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None or not pk or "\x00" in pk:
            raise ValueError("naive or empty")
        return created_at, pk
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("This page link is damaged; start again from the newest entries.") from exc


@dataclass
class KeysetPage:
    rows: list
    older: str | None = None  # cursor of the next page back in time
    newer: str | None = None  # cursor of the page before this one
    is_first: bool = True

    def __iter__(self):
        return iter(self.rows)


def keyset_page(
    rows: QuerySet, *, before: str = "", after: str = "", size: int = PAGE_SIZE
) -> KeysetPage:
    """One page of `rows` (any queryset; it is ordered here newest first on (created_at, pk))
    older than the cursor `before` or newer than `after`. Raises BadCursor."""
    newest_first = rows.order_by("-created_at", "-pk")
    if after:
        moment, pk = _checked(rows, after)
        newer = list(
            rows.filter(created_at__gte=moment)
            .filter(Q(created_at__gt=moment) | Q(pk__gt=pk))
            .order_by("created_at", "pk")[: size + 1]
        )
        if len(newer) <= size:
            return keyset_page(rows, size=size)  # back at the newest page
        page_rows = list(reversed(newer[:size]))
        return KeysetPage(
            page_rows,
            older=encode_cursor(page_rows[-1]),
            newer=encode_cursor(page_rows[0]),
            is_first=False,
        )
    if before:
        moment, pk = _checked(rows, before)
        newest_first = newest_first.filter(created_at__lte=moment).filter(
            Q(created_at__lt=moment) | Q(pk__lt=pk)
        )
    found = list(newest_first[: size + 1])
    page = KeysetPage(found[:size], is_first=not before)
    if len(found) > size:
        page.older = encode_cursor(found[size - 1])
    if before and page.rows:
        page.newer = encode_cursor(page.rows[0])
    return page


def _checked(rows: QuerySet, cursor: str):
    moment, raw_pk = decode_cursor(cursor)
    try:
        return moment, rows.model._meta.pk.to_python(raw_pk)
    except Exception as exc:  # a primary key of the wrong shape, e.g. not a UUID
        raise BadCursor("This page link is damaged; start again from the newest entries.") from exc
