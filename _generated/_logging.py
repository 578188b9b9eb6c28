"""The SDK's logger and the filter that keeps credentials out of every log line."""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
from typing import Optional

from _generated._constants import LOGGER_NAME
from _generated._http import redact, redacted_headers
from _generated._textsafety import blank_out

__all__ = [
    "CALL_SECRETS",
    "RedactingFilter",
    "debug_stream_handler",
    "logger",
    "redact",
    "redacted_headers",
    "redacting_handler",
]

logger = logging.getLogger(LOGGER_NAME)

#: The credentials the call in progress passed itself (``_request_auth``'s value, credential
#: headers), set by ``UsageApi`` around ``call_api``: a header or query parameter of any name
#: may carry them, so no pattern could find them in a log line.
CALL_SECRETS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "genai_usage_call_secrets", default=()
)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no credential survives, whatever was passed in."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        secrets = CALL_SECRETS.get()
        if secrets:
            cleaned = blank_out(cleaned, secrets)
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


_debug_handler: Optional[logging.StreamHandler] = None  # type: ignore[type-arg]
_debug_lock = threading.Lock()


def debug_stream_handler(fmt: str) -> logging.Handler:
    """The one stderr handler that ``Configuration.debug`` attaches to the SDK's logger.

    Shared by every configuration: the logger is process-wide, and a handler per
    configuration would repeat each record once per configuration ever made. It writes to
    the ``sys.stderr`` of the moment debug is switched on.
    """
    global _debug_handler
    with _debug_lock:
        if _debug_handler is None:
            _debug_handler = logging.StreamHandler()
            redacting_handler(_debug_handler, fmt)
        else:
            # Not setStream(): it flushes the old stream first, which may be closed by now.
            _debug_handler.acquire()
            try:
                _debug_handler.stream = sys.stderr
            finally:
                _debug_handler.release()
        return _debug_handler
