"""HTTP facts shared by several core modules: Retry-After, content types, redaction, origins.

A leaf: it imports only the standard library and ``_constants``, so ``exceptions``,
``retry``, ``rest`` and ``_parsing`` can all use it without importing each other.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Optional
from urllib.parse import quote, urlsplit

from _generated._constants import ERROR_DETAIL_MAX

__all__ = [
    "SENSITIVE_HEADERS",
    "call_secrets",
    "charset_of",
    "credentials_of",
    "first_line",
    "header_value",
    "is_json_content_type",
    "is_text_content_type",
    "one_line",
    "origin_label",
    "parse_retry_after",
    "redact",
    "redacted_headers",
    "sent_credentials",
]

#: Header names whose values are credentials (compared lower-case).
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})

# "Bearer <token>", "Basic <b64>", and header-style "Authorization: <value>" pairs.
_SECRET = re.compile(
    r"(?i)(\b(?:bearer|basic)\s+)[^\s'\",;]+"
    r"|((?:authorization|proxy-authorization|x-api-key)['\"]?\s*[:=]\s*['\"]?)[^'\",}\r\n]+"
)
# The generator's patterns for JSON and text media types (its deserialize() uses these).
_JSON_MEDIA = re.compile(r"^application/(json|[\w!#$&.+\-^_]+\+json)\s*(;|$)", re.IGNORECASE)
_TEXT_MEDIA = re.compile(r"^text/[a-z.+-]+\s*(;|$)", re.IGNORECASE)
_CHARSET = re.compile(r"charset=([a-zA-Z\-\d]+)[\s;]?")


def parse_retry_after(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    Returns ``None`` when the value is absent or unreadable, ``0.0`` for dates in the past.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


@functools.lru_cache(maxsize=64)
def is_json_content_type(content_type: Optional[str]) -> bool:
    """``application/json`` and ``application/<anything>+json``, any parameters."""
    if not content_type:
        return True  # an unlabelled body is tried as JSON
    return _JSON_MEDIA.match(content_type.strip()) is not None


@functools.lru_cache(maxsize=64)
def is_text_content_type(content_type: Optional[str]) -> bool:
    """``text/<subtype>``, any parameters."""
    return bool(content_type) and _TEXT_MEDIA.match(str(content_type).strip()) is not None


@functools.lru_cache(maxsize=64)
def charset_of(content_type: Optional[str]) -> str:
    """The ``charset`` parameter of a content type, ``utf-8`` when absent."""
    match = _CHARSET.search(content_type) if content_type else None
    return match.group(1).lower() if match else "utf-8"


def redact(text: str) -> str:
    """``text`` with bearer/basic credentials and Authorization values replaced by ``***``."""
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def credentials_of(configuration: Any) -> list[str]:
    """The secrets a configuration sends (token, password, API keys), to keep out of text."""
    found = [getattr(configuration, "access_token", None), getattr(configuration, "password", None)]
    keys = getattr(configuration, "api_key", None)
    if isinstance(keys, Mapping):
        found.extend(keys.values())
    return [value for value in found if isinstance(value, str) and value]


def sent_credentials(headers: Optional[Mapping[str, Any]], request_auth: Any) -> list[str]:
    """The secrets one call passed itself (credential headers, ``_request_auth``'s value),
    each also without its scheme (``Bearer X``: a server may echo ``X`` alone)."""
    values = [str(v) for k, v in (headers or {}).items() if str(k).lower() in SENSITIVE_HEADERS]
    if isinstance(request_auth, Mapping) and request_auth.get("value"):
        values.append(str(request_auth["value"]))
    return values + [value.split(" ", 1)[1] for value in values if " " in value]


def call_secrets(headers: Optional[Mapping[str, Any]], request_auth: Any) -> tuple[str, ...]:
    """:func:`sent_credentials`, each also as it appears percent-encoded in a query."""
    values = sent_credentials(headers, request_auth)
    quoted = [quote(value, safe=safe) for value in values for safe in ("/", "")]
    return tuple(dict.fromkeys([*values, *quoted]))


def redacted_headers(headers: Any) -> dict[str, str]:
    """A copy of ``headers`` fit for a log line: credentials replaced by ``***``."""
    return {
        name: ("***" if name.lower() in SENSITIVE_HEADERS else str(value))
        for name, value in dict(headers or {}).items()
    }


def origin_label(url: str) -> str:
    """``scheme://host:port`` of ``url`` without credentials, for messages and logs."""
    # The query never holds the host; without it, calls to one endpoint hit urlsplit's cache.
    parts = urlsplit(url.partition("?")[0])
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else url


def first_line(exc: BaseException) -> str:
    """The first line of ``str(exc)`` (its class name when empty), at most 200 characters."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def one_line(text: str, limit: int = ERROR_DETAIL_MAX) -> str:
    """``text`` on one line (line breaks and controls shown as spaces), cut to ``limit``."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def header_value(headers: Optional[Mapping[str, str]], name: str) -> Optional[str]:
    """``headers[name]`` for a case-insensitive or plain mapping, or ``None``."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value
