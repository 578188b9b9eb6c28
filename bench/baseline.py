"""The floors the SDK is measured against: plain pydantic models and raw urllib3 calls.

The models have the SDK models' fields and types (``StrictInt``/``StrictStr``, the same
optional fields) but none of its extras: default ``BaseModel`` configuration, no
``to_dict``/``from_json`` helpers, no defaults for the deprecated counts.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, StrictInt, StrictStr

__all__ = ["PlainTokenUsageCount", "PlainTokenUsageResponse"]


class PlainTokenUsageCount(BaseModel):
    inference: StrictInt
    eval_prompt: StrictInt
    eval_completion: StrictInt
    user_input: StrictInt
    prompt: StrictInt
    completion: StrictInt


class PlainTokenUsageResponse(BaseModel):
    rule_type: Optional[StrictStr] = None
    task_id: Optional[StrictStr] = None
    count: PlainTokenUsageCount
