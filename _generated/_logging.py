"""The SDK's logger and the filter that keeps credentials out of every log line."""

from __future__ import annotations

import logging
import re
from typing import Any

from _generated._constants import LOGGER_NAME

__all__ = ["RedactingFilter", "logger", "redact", "redacting_handler"]

logger = logging.getLogger(LOGGER_NAME)

# "Bearer <token>", "Basic <b64>", and header-style "Authorization: <value>" pairs.
_SECRET = re.compile(
    r"(?i)(\b(?:bearer|basic)\s+)[^\s'\",;]+"
    r"|((?:authorization|proxy-authorization|x-api-key)['\"]?\s*[:=]\s*['\"]?)[^'\",}\r\n]+"
)


def redact(text: str) -> str:
    """``text`` with bearer/basic credentials and Authorization values replaced by ``***``."""
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no credential survives, whatever was passed in."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()
logger.addFilter(_FILTER)


def redacting_handler(handler: logging.Handler, fmt: str) -> logging.Handler:
    """``handler`` with the SDK's format and the redaction filter attached."""
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(_FILTER)
    return handler


def redacted_headers(headers: Any) -> dict[str, str]:
    """A copy of ``headers`` fit for a log line: credentials replaced by ``***``."""
    return {
        name: ("***" if name.lower() in _SENSITIVE_HEADERS else str(value))
        for name, value in dict(headers or {}).items()
    }


_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
