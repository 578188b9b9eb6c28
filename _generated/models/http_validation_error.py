"""``HTTPValidationError``: the body of a 422 response."""

from __future__ import annotations

from typing import ClassVar, Optional

from _generated.models._base import ApiModel
from _generated.models.validation_error import ValidationError

__all__ = ["HTTPValidationError"]


class HTTPValidationError(ApiModel):
    """The server's list of validation problems with the request."""

    _nested: ClassVar[tuple[str, ...]] = ("detail",)
    _models: ClassVar[tuple[str, ...]] = ("detail",)

    detail: Optional[list[ValidationError]] = None
