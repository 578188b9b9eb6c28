"""The SDK's logger and the filter that keeps credentials out of every log line."""

from __future__ import annotations

import contextvars
import logging
import os
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
    "detach_debug_stream_handler",
    "logger",
    "redact",
    "redacted_headers",
    "redacting_handler",
    "release_file_handler",
    "shared_file_handler",
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


def detach_debug_stream_handler(logger: logging.Logger) -> None:
    """Take the shared stderr handler off ``logger``, whichever configuration attached it."""
    with _debug_lock:
        if _debug_handler is not None:
            logger.removeHandler(_debug_handler)


# The file handlers ``Configuration.logger_file`` attached, by file: (handler, users).
_file_handlers: dict[str, tuple[logging.FileHandler, int]] = {}


def shared_file_handler(path: str, fmt: str, target: logging.Logger) -> logging.FileHandler:
    """The handler writing the SDK's records to ``path``, attached to ``target`` once however
    many configurations (a deep copy too) name that file, so no line is written twice."""
    key = os.path.abspath(path)
    with _debug_lock:
        handler, users = _file_handlers.get(key, (None, 0))
        if handler is None:
            handler = logging.FileHandler(path)
            redacting_handler(handler, fmt)
            target.addHandler(handler)
        _file_handlers[key] = (handler, users + 1)
        return handler


def release_file_handler(handler: logging.FileHandler, target: logging.Logger) -> None:
    """One configuration stops logging to ``handler``'s file; the last closes it."""
    with _debug_lock:
        for key, (shared, users) in list(_file_handlers.items()):
            if shared is handler:
                if users > 1:
                    _file_handlers[key] = (shared, users - 1)
                    return
                del _file_handlers[key]
                break
        target.removeHandler(handler)
        handler.close()
