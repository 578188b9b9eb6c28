"""``LocationInner``: one entry of a validation error's ``loc`` (a string or an integer)."""

from __future__ import annotations

import json
import pprint
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, model_serializer, model_validator
from typing_extensions import Self

__all__ = ["LocationInner"]


class LocationInner(BaseModel):
    """A location step: a field name (``str``) or a list index (``int``) in ``actual_instance``."""

    model_config = ConfigDict(validate_assignment=True, protected_namespaces=(), extra="forbid")

    actual_instance: Optional[Union[StrictInt, StrictStr]] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > 1 or kwargs:
                raise ValueError("LocationInner takes one positional argument, the str or int")
            kwargs = {"actual_instance": args[0]}
        super().__init__(**kwargs)

    @model_validator(mode="before")
    @classmethod
    def _wrap_bare_value(cls, data: Any) -> Any:
        # On the wire a location is a bare "query" or 0, not an object.
        if isinstance(data, (str, int)) and not isinstance(data, bool):
            return {"actual_instance": data}
        return data

    @model_serializer(mode="plain")
    def _as_bare_value(self) -> Union[int, str, None]:
        return self.actual_instance

    @classmethod
    def from_dict(cls, obj: Any) -> Self:
        """Build from a bare ``str``/``int`` (or an instance)."""
        if isinstance(obj, cls):
            return obj
        return cls.model_validate(obj)

    @classmethod
    def from_json(cls, json_str: str) -> Self:
        """Build from JSON such as ``'"query"'`` or ``'0'``."""
        return cls.from_dict(json.loads(json_str))

    def to_json(self) -> str:
        """The bare value as JSON."""
        return json.dumps(self.actual_instance)

    def to_dict(self) -> Union[int, str, None]:
        """The bare value (``str`` or ``int``)."""
        return self.actual_instance

    def to_str(self) -> str:
        """The bare value, pretty-printed."""
        return pprint.pformat(self.actual_instance)
