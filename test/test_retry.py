"""``RetryPolicy`` and ``parse_retry_after`` as pure functions: no network, no sleeping.

The policy decides after each attempt from (attempt, status, headers, error) alone; its
randomness and sleep are injected, so every delay it asks for can be pinned exactly.
End-to-end behaviour against a real server is in ``test_faults.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st
from urllib3.util.retry import Retry

from _generated import Configuration
from _generated._constants import (
    DEFAULT_BACKOFF_INITIAL,
    DEFAULT_BACKOFF_JITTER,
    DEFAULT_BACKOFF_MAX,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    RETRY_STATUSES,
)
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    ResponseValidationError,
)
from _generated.retry import RetryDecision, RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 15, 12, 0, 0, tzinfo=timezone.utc)
RETRIED = (408, 429, 500, 502, 503, 504)
FINAL = (200, 201, 204, 301, 400, 401, 403, 404, 409, 410, 422, 501, 505)


def pinned(random_value: float = 0.0, **fields: Any) -> RetryPolicy:
    """A policy whose jitter draw is always ``random_value`` and which never sleeps."""
    return RetryPolicy(random=lambda: random_value, sleep=_no_sleep, **fields)


def _no_sleep(seconds: float) -> None:
    raise AssertionError("decide() must never sleep")


def tls_error() -> ApiConnectionError:
    err = ApiConnectionError("TLS handshake with https://127.0.0.1:1 failed", host="x")
    err.retryable = False
    return err


# -- defaults ---------------------------------------------------------------------------------


def test_defaults_are_the_named_constants() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == DEFAULT_MAX_RETRIES == 2
    assert policy.backoff_initial == DEFAULT_BACKOFF_INITIAL == 0.5
    assert policy.backoff_max == DEFAULT_BACKOFF_MAX == 8.0
    assert policy.jitter == DEFAULT_BACKOFF_JITTER == 0.25
    assert policy.max_retry_after == DEFAULT_MAX_RETRY_AFTER == 120.0
    assert policy.statuses == RETRY_STATUSES == frozenset(RETRIED)


def test_configuration_default_is_two_retries() -> None:
    assert Configuration().retries is None
    assert RetryPolicy.from_setting(Configuration().retries) == RetryPolicy(max_retries=2)


def test_repr_shows_the_settings_and_equality_ignores_the_injected_functions() -> None:
    text = repr(RetryPolicy(max_retries=3, backoff_initial=0.25))
    assert text.startswith("RetryPolicy(max_retries=3, backoff_initial=0.25, backoff_max=8.0")
    assert "sleep" not in text and "random" not in text and "function" not in text
    assert pinned(0.3, max_retries=3) == RetryPolicy(max_retries=3)
    assert RetryPolicy(max_retries=3) != RetryPolicy(max_retries=4)


# -- which outcomes are retried -----------------------------------------------------------------


@pytest.mark.parametrize("status", RETRIED)
def test_retryable_statuses_are_retried(status: int) -> None:
    decision = pinned().decide(0, status=status, headers={})
    assert decision.retry
    assert decision.reason == f"HTTP {status}"
    assert decision.delay == DEFAULT_BACKOFF_INITIAL


@pytest.mark.parametrize("status", FINAL)
def test_other_statuses_are_final(status: int) -> None:
    decision = pinned().decide(0, status=status, headers={"Retry-After": "1"})
    assert decision == RetryDecision(False, 0.0, f"HTTP {status} is final")


@pytest.mark.parametrize(
    "error",
    [ApiConnectionError("reset", host="h"), ApiTimeoutError("timed out", host="h")],
    ids=["connection", "timeout"],
)
def test_connection_errors_and_timeouts_are_retried(error: ApiConnectionError) -> None:
    decision = pinned().decide(0, error=error)
    assert decision.retry
    assert decision.reason == type(error).__name__
    assert decision.delay == DEFAULT_BACKOFF_INITIAL


@pytest.mark.parametrize(
    "error",
    [
        tls_error(),
        ValueError("not an SDK error"),
        ApiException(status=500, reason="built by hand"),
        ResponseValidationError(status=200, reason="OK", headers={}, body=b"x", detail="bad"),
    ],
    ids=["tls", "foreign", "api-exception", "bad-body"],
)
def test_errors_a_retry_cannot_fix_are_final(error: BaseException) -> None:
    decision = pinned().decide(0, error=error)
    assert not decision.retry
    assert "not retryable" in decision.reason


def test_custom_statuses_replace_the_default_set() -> None:
    policy = pinned(statuses={418})
    assert policy.statuses == frozenset({418})
    assert policy.decide(0, status=418).retry
    assert not policy.decide(0, status=503).retry


@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
def test_max_retries_bounds_the_attempts(max_retries: int) -> None:
    policy = pinned(max_retries=max_retries)
    retried = [policy.decide(attempt, status=503).retry for attempt in range(max_retries + 3)]
    assert retried == [True] * max_retries + [False] * 3
    final = policy.decide(max_retries, status=503)
    assert final.reason == f"HTTP 503; retries exhausted ({max_retries})"


def test_zero_retries_never_retries_anything() -> None:
    policy = pinned(max_retries=0)
    assert not policy.decide(0, status=503).retry
    assert not policy.decide(0, error=ApiConnectionError("reset", host="h")).retry


# -- backoff and jitter -------------------------------------------------------------------------


def test_backoff_doubles_from_the_initial_delay_up_to_the_maximum() -> None:
    policy = pinned(0.0, max_retries=10)
    delays = [policy.decide(n, status=503).delay for n in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_removes_up_to_its_fraction_of_the_delay() -> None:
    # random() is in [0, 1): the delay is (1 - 0.25 * random()) of nominal.
    assert pinned(0.5).backoff(0) == 0.5 * (1 - 0.25 * 0.5)
    assert pinned(0.999).backoff(3) == pytest.approx(4.0 * (1 - 0.25 * 0.999))
    assert pinned(0.5, jitter=0.0).backoff(1) == 1.0
    assert pinned(0.5, jitter=1.0).backoff(1) == 0.5


@given(
    retry_number=st.integers(min_value=0, max_value=12),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    initial=st.floats(min_value=0.0, max_value=5.0),
    cap=st.floats(min_value=0.0, max_value=30.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
)
def test_backoff_is_within_its_jitter_bounds(
    retry_number: int, draw: float, initial: float, cap: float, jitter: float
) -> None:
    policy = pinned(draw, backoff_initial=initial, backoff_max=cap, jitter=jitter)
    nominal = min(initial * 2**retry_number, cap)
    delay = policy.backoff(retry_number)
    assert nominal * (1 - jitter) - 1e-9 <= delay <= nominal + 1e-9


def test_jitter_uses_the_injected_random_once_per_delay() -> None:
    draws = iter([0.0, 0.4, 0.8])
    policy = RetryPolicy(max_retries=3, random=lambda: next(draws))
    delays = [policy.decide(n, status=502).delay for n in range(3)]
    assert delays == [0.5, 1.0 * (1 - 0.25 * 0.4), 2.0 * (1 - 0.25 * 0.8)]


# -- Retry-After --------------------------------------------------------------------------------


def test_retry_after_seconds_replace_the_backoff_exactly() -> None:
    decision = pinned().decide(0, status=429, headers={"Retry-After": "7"})
    assert decision == RetryDecision(True, 7.0, "HTTP 429; Retry-After 7 s")


def test_retry_after_is_read_case_insensitively_from_urllib3_headers() -> None:
    from urllib3 import HTTPHeaderDict

    headers = HTTPHeaderDict({"retry-after": "3"})
    assert pinned().decide(0, status=503, headers=headers).delay == 3.0


def test_retry_after_http_date_is_honoured() -> None:
    in_ten = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=10), usegmt=True)
    decision = pinned().decide(0, status=503, headers={"Retry-After": in_ten})
    assert decision.retry
    # HTTP dates have whole seconds: the wait is within one second of ten.
    assert 8.5 <= decision.delay <= 10.0


def test_retry_after_beyond_the_maximum_gives_up_at_once() -> None:
    decision = pinned(max_retry_after=30).decide(0, status=429, headers={"Retry-After": "31"})
    assert not decision.retry
    assert decision.delay == 31.0
    assert "exceeds the maximum wait of 30 s" in decision.reason
    assert pinned(max_retry_after=30).decide(0, status=429, headers={"Retry-After": "30"}).retry


def test_default_maximum_retry_after_is_two_minutes() -> None:
    assert pinned().decide(0, status=503, headers={"Retry-After": "120"}).retry
    assert not pinned().decide(0, status=503, headers={"Retry-After": "121"}).retry


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    decision = pinned().decide(1, status=503, headers={"Retry-After": "soon"})
    assert decision == RetryDecision(True, 1.0, "HTTP 503")


def test_retry_after_does_not_extend_the_retry_count() -> None:
    decision = pinned(max_retries=1).decide(1, status=429, headers={"Retry-After": "1"})
    assert not decision.retry


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("Sun, 15 Nov 2026 12:00:30 GMT", 30.0),
        ("Sunday, 15-Nov-26 12:01:00 GMT", 60.0),  # RFC 850 form
        ("Sun Nov 15 12:00:05 2026", 5.0),  # asctime form, taken as UTC
        ("Sun, 15 Nov 2026 11:00:00 GMT", 0.0),  # in the past
        (None, None),
        ("", None),
        ("   ", None),
        ("soon", None),
        ("nan", None),
        ("Sun, 99 Nov 2026 12:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: Optional[str], expected: Optional[float]) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@given(st.integers(min_value=0, max_value=10**6))
def test_parse_retry_after_round_trips_delta_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == float(seconds)


@given(st.integers(min_value=0, max_value=10**6))
def test_parse_retry_after_round_trips_http_dates(seconds: int) -> None:
    when = format_datetime(NOW + timedelta(seconds=seconds), usegmt=True)
    assert parse_retry_after(when, now=NOW) == float(seconds)


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(value: str) -> None:
    result = parse_retry_after(value, now=NOW)
    assert result is None or result >= 0.0


# -- decide() is a pure function ----------------------------------------------------------------


@given(
    attempt=st.integers(min_value=0, max_value=6),
    status=st.one_of(st.none(), st.sampled_from(RETRIED + FINAL)),
    retry_after=st.one_of(st.none(), st.integers(min_value=0, max_value=300).map(str)),
)
def test_decide_is_deterministic_and_bounded(
    attempt: int, status: Optional[int], retry_after: Optional[str]
) -> None:
    policy = pinned(0.5, max_retries=3)
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    error = ApiConnectionError("reset", host="h") if status is None else None
    first = policy.decide(attempt, status=status, headers=headers, error=error)
    assert first == policy.decide(attempt, status=status, headers=headers, error=error)
    if first.retry:
        assert attempt < 3
        assert 0.0 <= first.delay <= max(policy.backoff_max, policy.max_retry_after)


# -- settings accepted by Configuration(retries=...) and _retries= ------------------------------


@pytest.mark.parametrize(
    ("setting", "max_retries"),
    [(None, 2), (0, 0), (1, 1), (5, 5), (True, 2), (False, 0)],
)
def test_from_setting_accepts_none_ints_and_bools(setting: Any, max_retries: int) -> None:
    assert RetryPolicy.from_setting(setting) == RetryPolicy(max_retries=max_retries)


def test_from_setting_returns_a_policy_unchanged() -> None:
    policy = pinned(0.1, max_retries=4)
    assert RetryPolicy.from_setting(policy) is policy


def test_from_setting_reads_a_urllib3_retry() -> None:
    retry = Retry(total=4, backoff_factor=0.2, backoff_max=3, status_forcelist=[503, 504])
    policy = RetryPolicy.from_setting(retry)
    assert policy.max_retries == 4
    assert policy.backoff_initial == 0.2
    assert policy.backoff_max == 3.0
    assert policy.statuses == frozenset({503, 504})


@pytest.mark.parametrize(
    ("retry", "max_retries"),
    [
        (Retry(total=False), 0),
        (Retry(total=0), 0),
        (Retry(total=None, connect=3, read=1), 3),
        (Retry(3), 3),
    ],
)
def test_from_setting_urllib3_retry_counts(retry: Retry, max_retries: int) -> None:
    policy = RetryPolicy.from_setting(retry)
    assert policy.max_retries == max_retries
    assert policy.statuses == RETRY_STATUSES  # no forcelist: the SDK's statuses


@pytest.mark.parametrize("setting", [-1, "3", 1.5, [2], object()])
def test_from_setting_rejects_anything_else_naming_retries(setting: Any) -> None:
    with pytest.raises(ApiValueError, match="retries") as info:
        RetryPolicy.from_setting(setting)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_retries": -1}, "max_retries must be >= 0"),
        ({"max_retries": 1.0}, "max_retries must be an int"),
        ({"backoff_initial": -0.1}, "backoff_initial must be a number >= 0"),
        ({"backoff_max": "8"}, "backoff_max must be a number >= 0"),
        ({"max_retry_after": -5}, "max_retry_after must be a number >= 0"),
        ({"jitter": 1.5}, "jitter must be between 0 and 1"),
    ],
)
def test_invalid_fields_are_refused_with_their_name(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ApiValueError, match=message):
        RetryPolicy(**fields)


def test_with_overrides_copies() -> None:
    base = RetryPolicy()
    changed = base.with_overrides(max_retries=5)
    assert changed.max_retries == 5 and base.max_retries == 2
