"""``TokenUsageScope``: what token counts can be grouped by."""

from __future__ import annotations

import json
from enum import Enum

from typing_extensions import Self

__all__ = ["TokenUsageScope"]


class TokenUsageScope(str, Enum):
    """Entities to group token counts on (the ``group_by`` query parameter)."""

    RULE_TYPE = "rule_type"
    TASK = "task"

    @classmethod
    def from_json(cls, json_str: str) -> Self:
        """Build a member from its JSON string, e.g. ``'"task"'``."""
        return cls(json.loads(json_str))

    def __str__(self) -> str:
        return self.value
