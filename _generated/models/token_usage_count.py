"""``TokenUsageCount``: token counts of one group."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt

from _generated.models._base import ApiModel

__all__ = ["TokenUsageCount"]


def _from(current: str) -> Any:
    # Newer servers may stop sending a deprecated count; it always equalled its successor.
    def fill(data: dict[str, Any]) -> Any:
        return data.get(current)

    return fill


class TokenUsageCount(ApiModel):
    """Token counts of one group.

    ``inference``, ``eval_prompt`` and ``eval_completion`` are the current counts.

    .. deprecated::
        ``user_input``, ``prompt`` and ``completion`` are deprecated by the API
        ("will be removed in the future"); use ``inference``, ``eval_prompt`` and
        ``eval_completion``. They are parsed when the server sends them and, when
        it does not, filled from their successors so older code keeps working.
    """

    inference: StrictInt = Field(description="Number of inference tokens sent to Arthur.")
    eval_prompt: StrictInt = Field(description="Number of Prompt tokens incurred by Arthur rules.")
    eval_completion: StrictInt = Field(
        description="Number of Completion tokens incurred by Arthur rules."
    )
    user_input: StrictInt = Field(
        default_factory=_from("inference"),
        description="Deprecated: use inference. Number of user input tokens sent to Arthur.",
        json_schema_extra={"deprecated": True},
    )
    prompt: StrictInt = Field(
        default_factory=_from("eval_prompt"),
        description="Deprecated: use eval_prompt. Prompt tokens incurred by Arthur rules.",
        json_schema_extra={"deprecated": True},
    )
    completion: StrictInt = Field(
        default_factory=_from("eval_completion"),
        description=(
            "Deprecated: use eval_completion. Number of Completion tokens incurred by Arthur rules."
        ),
        json_schema_extra={"deprecated": True},
    )

    @property
    def total(self) -> int:
        """``inference + eval_prompt + eval_completion``."""
        return self.inference + self.eval_prompt + self.eval_completion
