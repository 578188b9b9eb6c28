"""The retry policy: which failures are retried, and how long to wait before the next attempt.

Decisions are a pure function of (attempt, status, headers, error); randomness and sleeping
are fields of the policy so tests can pin them::

    policy = RetryPolicy(max_retries=3, sleep=fake_sleep, random=lambda: 0.0)
"""

from __future__ import annotations

import functools
import random as _random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Union

from _generated._constants import (
    DEFAULT_BACKOFF_INITIAL,
    DEFAULT_BACKOFF_JITTER,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    RETRY_STATUSES,
)
from _generated._http import parse_retry_after
from _generated.exceptions import ApiConnectionError, ApiValueError

__all__ = ["RetryDecision", "RetryPolicy", "RetrySetting", "parse_retry_after"]


@dataclass(frozen=True)
class RetryDecision:
    """What to do after an attempt: ``retry`` or not, the ``delay`` first, and why."""

    retry: bool
    delay: float
    reason: str


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried (an idempotent GET, so every retry is safe).

    ``max_retries`` retries follow the first attempt. Connection errors, timeouts and the
    statuses in ``statuses`` are retried after ``min(backoff_initial * 2**n, backoff_max)``
    seconds, less up to ``jitter`` of it at random; a ``Retry-After`` header is honoured
    instead when present, unless it asks for more than ``max_retry_after`` seconds, in
    which case the call fails at once with the server's error.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_initial: float = DEFAULT_BACKOFF_INITIAL
    backoff_max: float = DEFAULT_BACKOFF_MAX
    jitter: float = DEFAULT_BACKOFF_JITTER
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    statuses: frozenset[int] = RETRY_STATUSES
    # object, not None: the async client awaits what an async sleep (asyncio.sleep) returns.
    sleep: Callable[[float], object] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ApiValueError(f"max_retries must be an int >= 0, got {self.max_retries!r}")
        if self.max_retries < 0:
            raise ApiValueError(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("backoff_initial", "backoff_max", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ApiValueError(f"{name} must be a number >= 0, got {value!r}")
        if not 0 <= self.jitter <= 1:
            raise ApiValueError(f"jitter must be between 0 and 1, got {self.jitter!r}")
        object.__setattr__(self, "statuses", frozenset(self.statuses))

    @classmethod
    def from_setting(cls, setting: RetrySetting) -> RetryPolicy:
        """Normalize what ``Configuration.retries`` or ``_retries`` accepts.

        ``None``: the default policy; an ``int``: that many retries (0 disables);
        a ``RetryPolicy``: itself; a urllib3 ``Retry``: its total, backoff factor,
        status list and backoff maximum.
        """
        if setting is None:
            return cls()
        if isinstance(setting, RetryPolicy):
            return setting
        if isinstance(setting, bool):
            return cls(max_retries=DEFAULT_MAX_RETRIES if setting else 0)
        if isinstance(setting, int):
            return cls(max_retries=setting)
        from urllib3.util.retry import Retry

        if isinstance(setting, Retry):
            return cls._from_urllib3(setting)
        raise ApiValueError(
            f"retries must be None, an int >= 0, a RetryPolicy or a urllib3 Retry, got {setting!r}"
        )

    @classmethod
    def _from_urllib3(cls, retry: Any) -> RetryPolicy:
        counts = [c for c in (retry.total, retry.connect, retry.read, retry.status) if c]
        total = retry.total if isinstance(retry.total, int) else None
        max_retries = total if total is not None else (max(counts) if counts else 0)
        if retry.total is False:
            max_retries = 0
        factor = float(retry.backoff_factor or 0.0)
        return cls(
            max_retries=max(0, int(max_retries)),
            backoff_initial=factor if factor else DEFAULT_BACKOFF_INITIAL,
            backoff_max=float(getattr(retry, "backoff_max", DEFAULT_BACKOFF_MAX)),
            jitter=min(1.0, float(getattr(retry, "backoff_jitter", 0.0) or 0.0)),
            statuses=frozenset(retry.status_forcelist or RETRY_STATUSES),
        )

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(max_retries={self.max_retries!r}, "
            f"backoff_initial={self.backoff_initial!r}, backoff_max={self.backoff_max!r}, "
            f"jitter={self.jitter!r}, max_retry_after={self.max_retry_after!r}, "
            f"statuses={sorted(self.statuses)})"
        )

    def with_overrides(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def backoff(self, retry_number: int) -> float:
        """Delay before retry ``retry_number`` (0-based), jitter applied."""
        nominal = min(self.backoff_initial * (2**retry_number), self.backoff_max)
        return float(nominal * (1.0 - self.jitter * self.random()))

    def decide(
        self,
        attempt: int,
        *,
        status: Optional[int] = None,
        headers: Optional[Mapping[str, str]] = None,
        error: Optional[BaseException] = None,
    ) -> RetryDecision:
        """Decide after attempt ``attempt`` (0-based) ended with ``status`` or ``error``."""
        if error is not None:
            if not isinstance(error, ApiConnectionError) or not getattr(error, "retryable", True):
                return RetryDecision(False, 0.0, f"{type(error).__name__} is not retryable")
            reason = type(error).__name__
        elif status is not None and status in self.statuses:
            reason = f"HTTP {status}"
        else:
            return _final(status)

        if attempt >= self.max_retries:
            return RetryDecision(False, 0.0, f"{reason}; retries exhausted ({self.max_retries})")

        retry_after = parse_retry_after(headers.get("Retry-After")) if headers else None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return RetryDecision(
                    False,
                    retry_after,
                    f"{reason}; Retry-After {retry_after:g} s exceeds the "
                    f"maximum wait of {self.max_retry_after:g} s",
                )
            return RetryDecision(True, retry_after, f"{reason}; Retry-After {retry_after:g} s")
        return RetryDecision(True, self.backoff(attempt), reason)


@functools.lru_cache(maxsize=128)
def _final(status: Optional[int]) -> RetryDecision:
    # Decisions are immutable; the one for a final status (every success) is built once.
    return RetryDecision(False, 0.0, f"HTTP {status} is final")


RetrySetting = Union[None, int, RetryPolicy, Any]
"""What ``Configuration(retries=...)`` and ``_retries=`` accept (``Any``: a urllib3 ``Retry``)."""
