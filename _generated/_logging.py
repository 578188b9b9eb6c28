"""The SDK's logger and the filter that keeps credentials out of every log line."""

from __future__ import annotations

import logging

from _generated._constants import LOGGER_NAME
from _generated._http import redact, redacted_headers

__all__ = ["RedactingFilter", "logger", "redact", "redacted_headers", "redacting_handler"]

logger = logging.getLogger(LOGGER_NAME)


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
