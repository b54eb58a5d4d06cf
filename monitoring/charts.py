"""Failure charts drawn server-side as SVG geometry, like the uptime strips: no chart library,
nothing to load, a `<title>` per bar for hover and a text total per row for screen readers.

Only drawing lives here; what to draw comes from `monitoring.chart_data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from monitoring.chart_data import CodeCount, DailyFailures

DAY_WIDTH, DAY_GAP, ROW_HEIGHT = 9, 2, 30
CODE_BAR_MAX = 320


@dataclass(frozen=True)
class DayBar:
    x: int
    y: int
    height: int
    day: date
    count: int

    @property
    def title(self) -> str:
        """The hover text, built here: a date filter per bar in the template costs more."""
        return f"{self.day:%b} {self.day.day}: {self.count} failure{'' if self.count == 1 else 's'}"


@dataclass(frozen=True)
class SeriesRow:
    """One small multiple: a system's (or customer's) failures per day, on the shared scale."""

    label: str
    key: str
    total: int
    peak: int
    bars: list[DayBar]
    width: int
    height: int = ROW_HEIGHT


@dataclass(frozen=True)
class CodeBar:
    code: str
    count: int
    width: int
    share: float


def daily_rows(series: list[DailyFailures]) -> list[SeriesRow]:
    """Rows sharing one vertical scale, so a taller bar is more failures in any row."""
    peak = max((max(s.counts) for s in series if s.counts), default=0)
    rows = []
    for s in series:
        bars = []
        for n, (day, count) in enumerate(zip(s.days, s.counts, strict=True)):
            height = 0 if not peak else max(1 if count else 0, round(ROW_HEIGHT * count / peak))
            height = height or 1  # a day without failures is a hairline, still hoverable
            bars.append(DayBar(n * (DAY_WIDTH + DAY_GAP), ROW_HEIGHT - height, height, day, count))
        rows.append(
            SeriesRow(
                label=s.label,
                key=s.key,
                total=s.total,
                peak=max(s.counts, default=0),
                bars=bars,
                width=len(s.days) * (DAY_WIDTH + DAY_GAP),
            )
        )
    return rows


def code_bars(codes: list[CodeCount]) -> list[CodeBar]:
    top = max((c.count for c in codes), default=0)
    total = sum(c.count for c in codes) or 1
    return [
        CodeBar(
            c.code,
            c.count,
            max(2, round(CODE_BAR_MAX * c.count / top)) if top else 0,
            round(100 * c.count / total, 1),
        )
        for c in codes
    ]
