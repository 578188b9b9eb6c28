"""The fake's data: usage records, deterministic sample data, and the endpoint's grouping."""

from __future__ import annotations

import functools
import hashlib
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Optional, Union

__all__ = [
    "DEFAULT_SAMPLE_START",
    "DEMO_DAYS",
    "RULE_TYPES",
    "Clock",
    "UsageRecord",
    "aggregate",
    "as_utc",
    "demo_records",
    "engine_order",
    "sample_records",
    "scopes",
]

#: Rule types used by :func:`sample_records` (names of the engine's rule kinds).
RULE_TYPES: Final[tuple[str, ...]] = (
    "PromptInjectionRule",
    "PIIDataRule",
    "ToxicityRule",
    "RegexRule",
    "KeywordRule",
    "SensitiveDataRule",
    "ModelHallucinationRuleV2",
)
#: First instant of the default sample period (November 2026, UTC).
DEFAULT_SAMPLE_START: Final = datetime(2026, 11, 1, tzinfo=timezone.utc)
#: Whole days before today that :func:`demo_records` covers (today comes on top).
DEMO_DAYS: Final = 60

# Rules that are plain pattern matching and so incur no LLM evaluation tokens.
_NON_LLM_RULES: Final = frozenset({"RegexRule", "KeywordRule"})
# Records per day of sample_records()'s defaults (2,000 over 30 days), kept by demo_records().
_RECORDS_PER_DAY: Final = 67

_MICROSECOND: Final = timedelta(microseconds=1)
_DAY_US: Final = 86_400_000_000

Clock = Callable[[], datetime]
"""A function returning the current time as an aware datetime."""


@functools.lru_cache(maxsize=1)
def scopes() -> tuple[str, ...]:
    """The ``group_by`` values, from ``TokenUsageScope``, in the schema's order."""
    # Imported on first use: the package imports only the standard library at import time.
    from _generated.models.token_usage_scope import TokenUsageScope

    return tuple(member.value for member in TokenUsageScope)


@dataclass(frozen=True)
class UsageRecord:
    """Tokens one rule evaluation (or inference) used, at one instant, for one task."""

    timestamp: datetime
    task_id: str
    rule_type: str
    inference: int
    eval_prompt: int
    eval_completion: int

    def __post_init__(self) -> None:
        if not isinstance(self.timestamp, datetime) or self.timestamp.utcoffset() is None:
            raise ValueError(
                f"UsageRecord.timestamp must be a timezone-aware datetime, got {self.timestamp!r}"
            )
        for name in ("task_id", "rule_type"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(
                    f"UsageRecord.{name} must be a str, got {type(getattr(self, name)).__name__}"
                )
        for name in ("inference", "eval_prompt", "eval_completion"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"UsageRecord.{name} must be an int >= 0, got {value!r}")


def sample_records(
    seed: int = 0,
    *,
    start: datetime = DEFAULT_SAMPLE_START,
    days: int = 30,
    tasks: Union[int, Sequence[str]] = 4,
    rule_types: Sequence[str] = RULE_TYPES,
    count: int = 2000,
) -> list[UsageRecord]:
    """Return ``count`` deterministic, plausible usage records, sorted by timestamp.

    The same arguments always give the same records. Timestamps are whole seconds in
    ``[start, start + days)`` (UTC; a naive ``start`` is taken as UTC), busier on weekdays
    and slowly growing. ``tasks`` is either how many uuid-like task ids to make or the ids
    themselves. Pattern rules (``RegexRule``, ``KeywordRule``) use no evaluation tokens.
    """
    if not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be an int >= 1, got {days!r}")
    if not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    if not rule_types:
        raise ValueError("rule_types must name at least one rule type")
    rng = random.Random(seed)
    if isinstance(tasks, int):
        if tasks < 1:
            raise ValueError(f"tasks must be >= 1 or a sequence of task ids, got {tasks!r}")
        task_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(tasks)]
    else:
        task_ids = list(tasks)
        if not task_ids:
            raise ValueError("tasks must be >= 1 or a non-empty sequence of task ids")
    origin = as_utc(start, "start")
    day_weights = [
        (1.0 if (origin + timedelta(days=d)).weekday() < 5 else 0.45) * (1.0 + 0.5 * d / days)
        for d in range(days)
    ]
    task_weights = [rng.uniform(0.5, 3.0) for _ in task_ids]
    rule_weights = [rng.uniform(0.5, 2.0) for _ in rule_types]
    day_of = rng.choices(range(days), weights=day_weights, k=count)
    task_of = rng.choices(task_ids, weights=task_weights, k=count)
    rule_of = rng.choices(list(rule_types), weights=rule_weights, k=count)
    records: list[UsageRecord] = []
    for day, task_id, rule_type in zip(day_of, task_of, rule_of, strict=False):
        offset = day * 86400 + rng.randrange(86400)
        inference = rng.randint(20, 1500)
        if rule_type in _NON_LLM_RULES:
            eval_prompt = eval_completion = 0
        else:
            eval_prompt = inference + rng.randint(80, 600)
            eval_completion = rng.randint(1, 120)
        records.append(
            UsageRecord(
                timestamp=origin + timedelta(seconds=offset),
                task_id=task_id,
                rule_type=rule_type,
                inference=inference,
                eval_prompt=eval_prompt,
                eval_completion=eval_completion,
            )
        )
    records.sort(key=lambda r: (r.timestamp, r.task_id, r.rule_type))
    return records


def demo_records(now: Optional[datetime] = None, *, days: int = DEMO_DAYS) -> list[UsageRecord]:
    """Sample records for the ``days`` days before ``now``'s UTC day and for that day so far.

    Deterministic for a given day: the data is seeded from the date, so every run on the
    same day sees the same past days. Today's records are spread over ``[midnight, now)``,
    so a report of "today" is never empty. ``now`` defaults to the current time (a naive
    value is taken as UTC).
    """
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ValueError(f"days must be an int >= 1, got {days!r}")
    moment = as_utc(datetime.now(timezone.utc) if now is None else now, "now")
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    seed = midnight.date().toordinal()
    past = sample_records(
        seed, start=midnight - timedelta(days=days), days=days, count=_RECORDS_PER_DAY * days
    )
    # Today's share, squeezed into the part of the day that has passed: floored to whole
    # microseconds, so every one is before ``now``.
    elapsed = (moment - midnight) // _MICROSECOND
    today = [
        UsageRecord(
            timestamp=midnight
            + _MICROSECOND * ((record.timestamp - midnight) // _MICROSECOND * elapsed // _DAY_US),
            task_id=record.task_id,
            rule_type=record.rule_type,
            inference=record.inference,
            eval_prompt=record.eval_prompt,
            eval_completion=record.eval_completion,
        )
        for record in sample_records(
            seed, start=midnight, days=1, tasks=_task_ids(past), count=_RECORDS_PER_DAY
        )
    ]
    return past + today


def _task_ids(records: Sequence[UsageRecord]) -> list[str]:
    return sorted({record.task_id for record in records}) or ["demo-task"]


def aggregate(
    records: Iterable[UsageRecord],
    start: Optional[datetime],
    end: Optional[datetime],
    group_by: Iterable[str] = ("rule_type",),
) -> list[dict[str, Any]]:
    """Sum ``records`` with ``start <= timestamp < end`` per group, as the endpoint does.

    ``start``/``end`` of ``None`` mean no bound (what the engine does for an omitted bound);
    naive values are taken as UTC. ``group_by`` holds ``"rule_type"`` and/or ``"task"``
    (duplicates and order do not matter; ``TokenUsageScope`` members work too). Each row is
    the endpoint's JSON object: ``rule_type``/``task_id`` set when grouped by them, else
    ``None``, and ``count`` with the three counters plus their deprecated copies. Rows are
    sorted by (rule_type, task_id) here (the engine's own order is arbitrary); groups without
    records are absent. An empty ``group_by`` gives one total row (or none).
    """
    # Compared as given (aware datetimes compare across offsets): converting a bound near
    # datetime.min or max to UTC can overflow, and the engine answers such bounds.
    lower = None if start is None else _aware(start, "start")
    upper = None if end is None else _aware(end, "end")
    known = scopes()
    wanted = set()
    for scope in group_by:
        value = getattr(scope, "value", scope)
        if value not in known:
            expected = " or ".join(repr(name) for name in known)
            raise ValueError(f"group_by values must be {expected}, got {scope!r}")
        wanted.add(value)
    by_rule = "rule_type" in wanted
    by_task = "task" in wanted
    totals: dict[tuple[Optional[str], Optional[str]], list[int]] = {}
    for record in records:
        if (lower is None or lower <= record.timestamp) and (
            upper is None or record.timestamp < upper
        ):
            key = (record.rule_type if by_rule else None, record.task_id if by_task else None)
            acc = totals.get(key)
            if acc is None:
                acc = totals[key] = [0, 0, 0]
            acc[0] += record.inference
            acc[1] += record.eval_prompt
            acc[2] += record.eval_completion
    keys = sorted(totals, key=lambda k: (k[0] or "", k[1] or ""))
    return [_row(key[0], key[1], *totals[key]) for key in keys]


def engine_order(rows: Iterable[dict[str, Any]], salt: int) -> list[dict[str, Any]]:
    """``rows`` in an arbitrary order fixed by ``salt``, as one engine process orders groups.

    The engine orders groups by a per-process string hash: the same groups come back in the
    same order from one process and in another order from the next.
    """

    def rank(row: dict[str, Any]) -> bytes:
        key = f"{salt}\0{row.get('rule_type')}\0{row.get('task_id')}".encode()
        return hashlib.blake2b(key, digest_size=8).digest()

    return sorted(rows, key=rank)


def _row(
    rule_type: Optional[str], task_id: Optional[str], inference: int, prompt: int, completion: int
) -> dict[str, Any]:
    return {
        "rule_type": rule_type,
        "task_id": task_id,
        "count": {
            "inference": inference,
            "eval_prompt": prompt,
            "eval_completion": completion,
            "user_input": inference,
            "prompt": prompt,
            "completion": completion,
        },
    }


def _aware(value: datetime, name: str) -> datetime:
    """``value`` with UTC as its zone if it is naive; ``name`` is for the error."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    return value.replace(tzinfo=timezone.utc) if value.utcoffset() is None else value


def as_utc(value: datetime, name: str) -> datetime:
    """``value`` as an aware UTC datetime (naive means UTC); ``name`` is for the error."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        return value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{name} is out of range in UTC, got {value!r}") from None
