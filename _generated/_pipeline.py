"""The one send loop's decisions, without I/O: timeouts, the deadline, retries, error mapping.

A client drives an :class:`Attempts` object and does only the sending, reading and
sleeping itself, so the sync ``ApiClient.call_api`` and an async client share every
decision::

    attempts = Attempts.start(configuration, method, url, CallOptions(...))
    while True:
        timeout = attempts.next_timeout()          # raises ApiTimeoutError past the deadline
        try:
            response = send(timeout); read body by attempts.read_deadline
        except ApiConnectionError as exc:
            delay = attempts.after_error(exc)      # raises the final error
        else:
            delay = attempts.after_response(response.status, response.headers)
            if delay is None:
                return response                    # final: success or an error status
            release(response)
        sleep(delay)
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Optional
from urllib.parse import urlsplit

from _generated._constants import MAX_WAIT_SECONDS
from _generated._http import origin_label, redacted_headers
from _generated._logging import CALL_SECRETS, logger
from _generated.exceptions import ApiConnectionError, ApiTimeoutError, ApiValueError
from _generated.retry import RetryDecision, RetryPolicy

__all__ = [
    "CALL_OPTIONS",
    "AttemptTimeout",
    "Attempts",
    "CallOptions",
    "CallScope",
    "check_headers",
    "header_text",
    "wait_seconds",
]

# Header text refused before sending (header injection).
_FORBIDDEN_VALUE_TEXT = re.compile("[\r\n\0]")
# http.client's rule for a legal name.
_HEADER_NAME = re.compile("[^:\\s][^:\r\n]*")
# Names made only of RFC 9110 token characters, the usual case, pass the fast check.
_TOKEN_NAMES = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]*")
# Methods a retry cannot repeat the effect of (urllib3's default allowed_methods).
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class CallOptions(NamedTuple):
    """What one call adds to the configuration: ``None`` means "the configured value"."""

    timeout: Any = None
    retries: Any = None
    deadline: Optional[float] = None
    preload: bool = True


#: The options of the call in progress, set by ``UsageApi`` around ``call_api`` so that a
#: ``call_api`` override with the generated client's signature keeps working.
CALL_OPTIONS: contextvars.ContextVar[Optional[CallOptions]] = contextvars.ContextVar(
    "genai_usage_call_options", default=None
)


class CallScope:
    """``with CallScope(options, secrets): client.call_api(...)``: the call's options in
    :data:`CALL_OPTIONS`, and its own credentials (if any) in ``_logging.CALL_SECRETS``,
    for the ``call_api`` inside (awaited or not: the context is the task's)."""

    __slots__ = ("_options", "_options_token", "_secrets", "_secrets_token")

    def __init__(self, options: CallOptions, secrets: tuple[str, ...] = ()) -> None:
        self._options = options
        self._secrets = secrets

    def __enter__(self) -> None:
        self._options_token = CALL_OPTIONS.set(self._options)
        self._secrets_token = CALL_SECRETS.set(self._secrets) if self._secrets else None

    def __exit__(self, *exc_info: object) -> None:
        CALL_OPTIONS.reset(self._options_token)
        if self._secrets_token is not None:
            CALL_SECRETS.reset(self._secrets_token)


class AttemptTimeout(NamedTuple):
    """One attempt's bounds in seconds (``None``: unbounded); ``total`` caps the attempt
    once it has a connection, ``wait`` (what is left of the deadline) the attempt with the
    wait for a free pooled connection."""

    connect: Optional[float]
    read: Optional[float]
    total: Optional[float]
    wait: Optional[float] = None


def timeout_parts(setting: Any) -> AttemptTimeout:
    """``None``, seconds, a ``(connect, read)`` pair or a urllib3 ``Timeout`` as bounds."""
    if setting is None:
        return AttemptTimeout(None, None, None)
    if isinstance(setting, (int, float)) and not isinstance(setting, bool):
        if 0 <= setting <= MAX_WAIT_SECONDS:  # 0 has always meant no timeout, in both clients
            return AttemptTimeout(None, None, float(setting))
    elif isinstance(setting, tuple) and len(setting) == 2:
        if _is_bound(setting[0]) and _is_bound(setting[1]):
            return AttemptTimeout(_seconds(setting[0]), _seconds(setting[1]), None)
    elif hasattr(setting, "_connect") and hasattr(setting, "total"):  # a urllib3 Timeout
        return AttemptTimeout(
            _seconds(setting._connect), _seconds(setting._read), _seconds(setting.total)
        )
    raise ApiValueError(
        "the timeout (Configuration.timeout or _request_timeout) must be finite seconds "
        "(0: none), a (connect, read) pair of seconds > 0 or None each, or None; "
        f"got {setting!r}"
    )


def wait_seconds(value: Any) -> bool:
    """Whether ``value`` is seconds a timeout or deadline can be: a number > 0 a wait can
    take (NaN, infinity and anything beyond ``MAX_WAIT_SECONDS`` are not)."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and 0 < value <= MAX_WAIT_SECONDS


def _is_bound(value: Any) -> bool:
    # One side of a (connect, read) pair: unbounded (None) or seconds a wait can take.
    return value is None or wait_seconds(value)


def _seconds(value: Any) -> Optional[float]:
    # urllib3 uses a sentinel object for "the default"; only numbers bound anything here.
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_headers(headers: Mapping[str, Any]) -> None:
    """Refuse, before sending, any header http.client would refuse while sending: a name
    that is empty or holds ``:``, whitespace first, CR, LF or NUL; a value that is not a
    str, bytes or int, holds CR, LF or NUL, or a str outside Latin-1. Errors name the
    header, never quote its value (it may be a credential)."""
    try:
        names, values = "".join(headers), "".join(headers.values())
    except TypeError:
        pass  # a bytes, int or other value: looked at one by one below
    else:
        # One scan of all names and values; the loop below only runs to name the culprit.
        if (
            values.isascii()
            and _TOKEN_NAMES.fullmatch(names) is not None
            and all(headers)
            and _FORBIDDEN_VALUE_TEXT.search(values) is None
        ):
            return
    for name, value in headers.items():
        if not isinstance(name, str):  # a default header set by hand may be anything
            raise ApiValueError(f"header name {name!r} must be a str")
        if _FORBIDDEN_VALUE_TEXT.search(name) is not None:
            raise ApiValueError(f"header name {name!r} contains CR, LF or NUL")
        if _HEADER_NAME.fullmatch(name) is None:
            raise ApiValueError(f"header name {name!r} is not a valid HTTP header name")
        try:
            text = header_text(value)
        except TypeError:
            raise ApiValueError(
                f"the value of header {name!r} must be a str, bytes or int, "
                f"got {type(value).__name__}"
            ) from None
        if isinstance(value, str) and not text.isascii():
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                raise ApiValueError(
                    f"the value of header {name!r} has characters outside Latin-1"
                ) from None
        if _FORBIDDEN_VALUE_TEXT.search(text) is not None:
            raise ApiValueError(f"the value of header {name!r} contains CR, LF or NUL")


def header_text(value: Any) -> str:
    """A header value as the text http.client sends: a str as is, bytes as Latin-1, an int
    in decimal; ``TypeError`` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, int):
        return str(value)
    raise TypeError(type(value).__name__)


class Attempts:
    """The state of one call's attempts: which one, what bounds it, whether to retry."""

    __slots__ = (
        "_clock",
        "_debug",
        "_host",
        "_target",
        "attempt",
        "deadline",
        "method",
        "policy",
        "setting",
        "started",
        "timeout",
        "url",
    )

    def __init__(
        self,
        policy: RetryPolicy,
        timeout_setting: Any,
        deadline: Optional[float],
        method: str,
        url: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.setting = timeout_setting
        self.timeout = timeout_parts(timeout_setting)
        self.deadline = deadline
        self.method = method
        self.url = url
        self.attempt = 0
        self._clock = clock
        self.started = clock()
        self._host = ""
        self._debug = logger.isEnabledFor(logging.DEBUG)
        self._target = _log_target(url) if self._debug else ""

    @classmethod
    def start(
        cls,
        configuration: Any,
        method: str,
        url: str,
        headers: Mapping[str, Any],
        options: Optional[CallOptions],
        clock: Callable[[], float] = time.monotonic,
    ) -> Attempts:
        """Check the request and resolve the call's settings against ``configuration``."""
        check_headers(headers)
        options = options or _DEFAULT_OPTIONS
        retries = configuration.retries if options.retries is None else options.retries
        timeout = configuration.timeout if options.timeout is None else options.timeout
        deadline = configuration.deadline if options.deadline is None else options.deadline
        policy = _policy(retries)
        if method.upper() not in _IDEMPOTENT and policy.max_retries:
            policy = policy.with_overrides(max_retries=0)  # a POST may not be sent twice
        attempts = cls(policy, timeout, deadline, method, url, clock)
        if attempts._debug:
            logger.debug("%s %s headers %s", method, attempts._target, redacted_headers(headers))
        return attempts

    @property
    def host(self) -> str:
        """``scheme://host:port`` of the URL, for messages."""
        if not self._host:
            self._host = origin_label(self.url)
        return self._host

    def remaining(self) -> Optional[float]:
        """Seconds left of the deadline (``None`` without one)."""
        if self.deadline is None:
            return None
        return self.deadline - (self._clock() - self.started)

    @property
    def read_deadline(self) -> Optional[float]:
        """The clock instant by which the whole body must have arrived, or ``None``."""
        return None if self.deadline is None else self.started + self.deadline

    def next_timeout(self) -> Optional[AttemptTimeout]:
        """Bounds of the next attempt: ``None`` to use the setting as given, else clipped
        to what is left of the deadline. Raises ``ApiTimeoutError`` when nothing is left."""
        remaining = self.remaining()
        if self._debug:
            logger.debug(
                "%s %s attempt %d/%d",
                self.method,
                self._target,
                self.attempt + 1,
                self.policy.max_retries + 1,
            )
        if remaining is None:
            return None
        if remaining <= 0:
            raise ApiTimeoutError(
                f"deadline of {self.deadline:g} s passed before attempt {self.attempt + 1} "
                f"to {self.host}",
                host=self.host,
            )
        total = self.timeout.total
        return AttemptTimeout(
            self.timeout.connect,
            self.timeout.read,
            remaining if total is None else min(total, remaining),
            remaining,
        )

    def after_error(self, exc: ApiConnectionError) -> float:
        """The delay before retrying after ``exc``; raises the call's final error instead."""
        if (
            self.deadline is not None
            and isinstance(exc, ApiTimeoutError)
            and (self.remaining() or 0.0) <= 0
            and "deadline" not in str(exc)
        ):
            # The attempt's timeout was cut to the deadline: say which bound it was.
            raise ApiTimeoutError(
                f"deadline of {self.deadline:g} s passed during attempt {self.attempt + 1} "
                f"to {self.host}; raise the deadline or check the server",
                host=self.host,
            ) from exc
        self._log_attempt("failed: %s", exc)
        decision = self._bounded(self.policy.decide(self.attempt, error=exc))
        if not decision.retry:
            self._log("giving up on %s %s: %s", decision.reason)
            raise exc
        return self._retrying(decision)

    def after_response(self, status: int, headers: Mapping[str, str]) -> Optional[float]:
        """``None`` when the response is final (success or an error status to raise),
        else the delay before retrying."""
        self._log_attempt("-> HTTP %d", status)
        decision = self._bounded(self.policy.decide(self.attempt, status=status, headers=headers))
        if not decision.retry:
            if status in self.policy.statuses:
                self._log("giving up on %s %s: %s", decision.reason)
            return None
        return self._retrying(decision)

    def _bounded(self, decision: RetryDecision) -> RetryDecision:
        remaining = self.remaining()
        if decision.retry and remaining is not None and decision.delay >= remaining:
            logger.debug("not retrying: the %g s deadline would pass", self.deadline)
            return RetryDecision(False, decision.delay, "deadline")
        return decision

    def _retrying(self, decision: RetryDecision) -> float:
        self._log("retrying %s %s in %.2f s (%s)", decision.delay, decision.reason)
        self.attempt += 1
        return decision.delay

    def _log_attempt(self, message: str, *args: Any) -> None:
        if self._debugging():
            logger.debug(
                "%s %s attempt %d/%d " + message,
                self.method,
                self._target,
                self.attempt + 1,
                self.policy.max_retries + 1,
                *args,
            )

    def _log(self, message: str, *args: Any) -> None:
        # ``message`` starts with the method and target placeholders.
        if self._debugging():
            logger.debug(message, self.method, self._target, *args)

    def _debugging(self) -> bool:
        if not self._debug and logger.isEnabledFor(logging.DEBUG):
            self._debug, self._target = True, _log_target(self.url)  # DEBUG switched on since
        return self._debug


_DEFAULT_OPTIONS = CallOptions()
_POLICY_CACHE: dict[Any, RetryPolicy] = {}
_CACHED_RETRIES = 16  # bounds the cache: larger counts are rare and built per call


def _policy(setting: Any) -> RetryPolicy:
    """``RetryPolicy.from_setting(setting)``, cached for the immutable settings (``None``,
    an ``int``) that most calls use."""
    if setting is None or (type(setting) is int and 0 <= setting <= _CACHED_RETRIES):
        policy = _POLICY_CACHE.get(setting)
        if policy is None:
            policy = _POLICY_CACHE.setdefault(setting, RetryPolicy.from_setting(setting))
        return policy
    return RetryPolicy.from_setting(setting)


def _log_target(url: str) -> str:
    parts = urlsplit(url)
    target = f"{origin_label(url)}{parts.path}"
    return f"{target}?{parts.query}" if parts.query else target
