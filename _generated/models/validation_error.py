"""``ValidationError``: one entry of a 422 response's ``detail``."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from pydantic import StrictStr

from _generated.models._base import ApiModel
from _generated.models.location_inner import LocationInner

__all__ = ["ValidationError"]


class ValidationError(ApiModel):
    """What the server rejected: ``loc`` (where), ``msg`` (why), ``type`` (error code)."""

    _nullable: ClassVar[tuple[str, ...]] = ("input",)

    loc: list[LocationInner]
    msg: StrictStr
    type: StrictStr
    input: Optional[Any] = None
    ctx: Optional[dict[str, Any]] = None
