"""``TokenUsageResponse``: one group of the token-usage report."""

from __future__ import annotations

from typing import ClassVar, Optional

from pydantic import StrictStr

from _generated.models._base import ApiModel
from _generated.models.token_usage_count import TokenUsageCount

__all__ = ["TokenUsageResponse"]


class TokenUsageResponse(ApiModel):
    """Token counts of one group.

    ``rule_type`` is set when grouped by rule type, ``task_id`` when grouped by
    task; otherwise they are ``None``.
    """

    _nullable: ClassVar[tuple[str, ...]] = ("rule_type", "task_id")
    _models: ClassVar[tuple[str, ...]] = ("count",)

    rule_type: Optional[StrictStr] = None
    task_id: Optional[StrictStr] = None
    count: TokenUsageCount
