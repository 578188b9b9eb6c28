"""``TokenUsageScope``: what token counts can be grouped by."""

from __future__ import annotations

import json
from enum import Enum
from typing import Final, Literal

from typing_extensions import Self

__all__ = ["SCOPES", "ScopeName", "TokenUsageScope"]

ScopeName = Literal["rule_type", "task"]
"""The values of ``TokenUsageScope``, for type hints (checked against the enum below)."""


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


#: The scope values in the schema's order, derived from the enum (the one definition).
SCOPES: Final[tuple[str, ...]] = tuple(member.value for member in TokenUsageScope)
