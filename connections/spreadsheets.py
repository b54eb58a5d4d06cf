"""CSV exports people open in a spreadsheet: streamed a row at a time, and safe to open.

Spreadsheets run a cell that starts with = + - @ (or a tab or line break before one) as a
formula; such a cell is prefixed with ' so it stays text (CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator


class _Echo:
    def write(self, value):
        return value


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The header, then each row, as CSV text lines for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
