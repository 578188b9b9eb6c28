"""``ApiResponse``: the parsed data of a call together with its HTTP status and headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBytes, StrictInt, field_serializer

__all__ = ["ApiResponse", "T"]

T = TypeVar("T")


class ApiResponse(BaseModel, Generic[T]):
    """What a ``*_with_http_info`` call returns."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    status_code: StrictInt = Field(description="HTTP status code")
    headers: Optional[Mapping[str, str]] = Field(None, description="HTTP headers")
    data: T = Field(description="Deserialized data given the data type")
    raw_data: StrictBytes = Field(description="Raw data (HTTP response body)")

    @field_serializer("headers")
    def _headers_as_dict(self, headers: Optional[Mapping[str, str]]) -> Optional[dict[str, str]]:
        # The transport's case-insensitive header mapping dumps as a plain dict.
        return dict(headers) if headers is not None else None

    @classmethod
    def received(
        cls, status_code: int, data: Any, headers: Optional[Mapping[str, str]], raw_data: bytes
    ) -> ApiResponse[Any]:
        """The response as received, not validated (as ``model_construct`` with every field
        given, without its per-field loop: this runs once per call)."""
        response = cls.__new__(cls)
        fields = {"status_code": status_code, "headers": headers, "data": data}
        fields["raw_data"] = raw_data
        _set = object.__setattr__
        _set(response, "__dict__", fields)
        _set(response, "__pydantic_fields_set__", set(_FIELDS))
        _set(response, "__pydantic_extra__", None)
        _set(response, "__pydantic_private__", None)
        return response

    def __repr__(self) -> str:
        # The body can be megabytes; show its size, not its bytes.
        size = len(self.raw_data)
        items = f", {len(self.data)} items" if isinstance(self.data, list) else ""
        return f"ApiResponse(status_code={self.status_code}, {size} bytes{items})"

    __str__ = __repr__


_FIELDS = frozenset(ApiResponse.model_fields)
