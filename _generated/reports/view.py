"""What the renderers (table, HTML) read of a report: a structural type, so they need not
import the report class that calls them."""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Protocol

from _generated.reports.periods import Window
from _generated.reports.rows import Totals
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["ReportView"]


class ReportView(Protocol):
    """The attributes of a ``UsageReport`` that the table and the HTML page use."""

    start: datetime
    end: datetime
    interval: Optional[str]
    tz: str
    group_by: tuple[str, ...]
    host: str
    generated_at: datetime
    windows: list[Window]
    missing: list[Window]

    @property
    def segments(self) -> list[WindowColumns]: ...

    @property
    def groups(self) -> GroupTable: ...

    def totals(self) -> Totals: ...

    def window_sources(self) -> list[tuple[Window, str, bool]]: ...
