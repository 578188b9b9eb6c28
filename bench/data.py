"""The fixed response bodies the benchmark serves, built deterministically."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

__all__ = ["LARGE_ROWS", "RULE_TYPES", "TASKS", "large_body", "small_body"]

#: The engine's seven rule kinds; grouped by rule type and task, one row per pair.
RULE_TYPES = (
    "KeywordRule",
    "ModelHallucinationRuleV2",
    "ModelSensitiveDataRule",
    "PIIDataRule",
    "PromptInjectionRule",
    "RegexRule",
    "ToxicityRule",
)
TASKS = 5_000
LARGE_ROWS = TASKS * len(RULE_TYPES)


def _row(rule_type: str | None, task_id: str | None, rng: random.Random) -> dict[str, Any]:
    inference = rng.randrange(1_000_000)
    eval_prompt = rng.randrange(100_000)
    eval_completion = rng.randrange(100_000)
    return {
        "rule_type": rule_type,
        "task_id": task_id,
        "count": {
            "inference": inference,
            "eval_prompt": eval_prompt,
            "eval_completion": eval_completion,
            "user_input": inference,
            "prompt": eval_prompt,
            "completion": eval_completion,
        },
    }


def _dump(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, separators=(",", ":")).encode()


def large_body() -> bytes:
    """5,000 tasks x 7 rule types = 35,000 rows (about 7 MB), as grouped by both scopes."""
    rng = random.Random(20261101)
    rows: list[dict[str, Any]] = []
    for _ in range(TASKS):
        task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rows.extend(_row(rule_type, task_id, rng) for rule_type in RULE_TYPES)
    return _dump(rows)


def small_body() -> bytes:
    """One row, as grouped by rule type with a single rule kind used."""
    return _dump([_row("PIIDataRule", None, random.Random(1))])
