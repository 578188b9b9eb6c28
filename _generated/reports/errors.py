"""Errors of reports: the partial-failure error and the one-line description of any error."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional

from _generated.exceptions import ApiConnectionError, ApiException, ResponseValidationError
from _generated.reports.labels import window_label
from _generated.reports.periods import Window

if TYPE_CHECKING:
    from _generated.reports.report import UsageReport

__all__ = ["PartialReportError", "describe_error"]

# Characters of a server's error detail shown in one line.
_DETAIL_LIMIT = 200


class PartialReportError(ApiException):
    """Raised when some windows of a report still failed after the client's retries.

    ``partial`` is a :class:`UsageReport` holding every window that was fetched;
    ``completed`` and ``failed`` list the windows of each kind (``failed`` includes windows
    skipped after an authentication failure); ``errors`` maps each window that raised to
    its exception. ``resume()`` fetches only the failed windows.

    It is an :class:`ApiException` (``status``/``reason``/``headers`` are those of the
    first failure), so code that catches ``ApiException`` around a report keeps working.
    """

    def __init__(self, partial: UsageReport, errors: dict[Window, Exception]) -> None:
        first = next(iter(errors.values()), None)
        if isinstance(first, ApiException):
            super().__init__(status=first.status, reason=first.reason)
            self.headers = first.headers
        else:
            super().__init__(status=None, reason=type(first).__name__ if first else None)
        self.partial = partial
        self.errors = errors
        self.failed: list[Window] = list(partial.missing)
        self.completed: list[Window] = partial.fetched_windows

    def resume(
        self,
        client_or_api: Any = None,
        *,
        workers: Optional[int] = None,
        progress: Any = None,
    ) -> UsageReport:
        """Fetch the failed windows; the same as ``self.partial.resume(...)``."""
        return self.partial.resume(client_or_api, workers=workers, progress=progress)

    def __str__(self) -> str:
        total = len(self.partial.windows)
        shown = ", ".join(window_label(window) for window in self.failed[:3])
        more = f" and {len(self.failed) - 3} more" if len(self.failed) > 3 else ""
        first = next(iter(self.errors.values()), None)
        cause = f"; first error: {describe_error(first)}" if first is not None else ""
        return (
            f"{len(self.failed)} of {total} report windows failed ({shown}{more}){cause}; "
            f"{len(self.completed)} windows were fetched: call .resume() to fetch the rest"
        )

    def __repr__(self) -> str:
        return (
            f"PartialReportError(failed={len(self.failed)}, completed={len(self.completed)}, "
            f"status={self.status!r})"
        )


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong with a request (never a credential)."""
    if isinstance(exc, PartialReportError):
        return str(exc)
    if isinstance(exc, ResponseValidationError):
        return f"invalid response (HTTP {exc.status}): {exc.detail}"
    if isinstance(exc, ApiConnectionError):
        return str(exc) or "connection error"
    if isinstance(exc, ApiException):
        detail = _server_detail(exc.body)
        reason = f" {exc.reason}" if exc.reason else ""
        if not detail or detail == exc.reason:
            return f"HTTP {exc.status}{reason}"
        return f"HTTP {exc.status}{reason}: {detail}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _server_detail(body: Optional[str]) -> str:
    """The ``detail`` of a JSON error body, or a short excerpt of the body."""
    if not body:
        return ""
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        detail = "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail
        )
    text = " ".join(str(detail if detail is not None else body).split())
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 3] + "..."
