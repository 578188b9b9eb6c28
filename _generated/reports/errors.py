"""Errors of reports: their base class and the one-line description of any error.

``PartialReportError`` (in ``report``, beside the report it carries) derives from
:class:`ReportError`.
"""

from __future__ import annotations

import json
from typing import Optional

from _generated.exceptions import ApiConnectionError, ApiException, ResponseValidationError

__all__ = ["ReportError", "describe_error"]

# Characters of a server's error detail shown in one line.
_DETAIL_LIMIT = 200


class ReportError(ApiException):
    """Base of the report API's own errors; :func:`describe_error` shows them as ``str()``."""


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong with a request (never a credential)."""
    if isinstance(exc, ReportError):
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
