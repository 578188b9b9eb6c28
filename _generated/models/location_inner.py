"""``LocationInner``: one entry of a validation error's ``loc`` (a string or an integer)."""

from __future__ import annotations

import json
import pprint
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import Self

__all__ = ["LocationInner"]

_SCHEMAS = "int, str"


class LocationInner(BaseModel):
    """A location step, ``actual_instance``: a field name (``str``) or a list index (``int``).

    As in the generated client, ``anyof_schema_1_validator`` (``str``) and
    ``anyof_schema_2_validator`` (``int``) hold the value under the schema it matched.
    """

    model_config = ConfigDict(validate_assignment=True, protected_namespaces=())

    anyof_schema_1_validator: Optional[StrictStr] = None
    anyof_schema_2_validator: Optional[StrictInt] = None
    actual_instance: Optional[Union[StrictStr, StrictInt]] = None
    any_of_schemas: set[str] = {"int", "str"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > 1:
                raise ValueError(
                    "If a position argument is used, only 1 is allowed to set `actual_instance`"
                )
            if kwargs:
                raise ValueError(
                    "If a position argument is used, keyword arguments cannot be used."
                )
            kwargs = {"actual_instance": args[0]}
        super().__init__(**kwargs)

    @model_validator(mode="before")
    @classmethod
    def _wrap_bare_value(cls, data: Any) -> Any:
        # On the wire a location is a bare "query" or 0, not an object.
        if isinstance(data, str):
            return {"anyof_schema_1_validator": data, "actual_instance": data}
        if isinstance(data, int) and not isinstance(data, bool):
            return {"anyof_schema_2_validator": data, "actual_instance": data}
        return data

    @field_validator("actual_instance", mode="wrap")
    @classmethod
    def actual_instance_must_validate_anyof(cls, value: Any, handler: Any) -> Any:
        """Accept a ``str`` or an ``int``, with the generator's "No match found" error."""
        try:
            return handler(value)
        except PydanticValidationError as exc:
            raise ValueError(
                "No match found when setting the actual_instance in LocationInner with "
                f"anyOf schemas: {_SCHEMAS}. Details: {exc}"
            ) from None

    @classmethod
    def from_dict(cls, obj: Any) -> Self:
        """Build from a bare ``str``/``int`` (``from_json(json.dumps(obj))``)."""
        if isinstance(obj, cls):
            return obj
        return cls.from_json(json.dumps(obj))

    @classmethod
    def from_json(cls, json_str: str) -> Self:
        """Build from JSON such as ``'"query"'`` or ``'0'``; ``'null'`` gives an empty
        instance, as the generated client's (its validators are ``Optional``)."""
        value = json.loads(json_str)
        if value is None:  # what the generator's first validator takes, and so sets
            return cls.model_validate({"anyof_schema_1_validator": None, "actual_instance": None})
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return cls.model_validate(value)
        raise ValueError(
            "No match found when deserializing the JSON string into LocationInner with "
            f"anyOf schemas: {_SCHEMAS}. Details: {value!r} is neither a str nor an int"
        )

    def to_json(self) -> str:
        """The bare value as JSON (``null`` when unset)."""
        return json.dumps(self.actual_instance)

    def to_dict(self) -> Union[int, str, None]:
        """The bare value (``str`` or ``int``)."""
        return self.actual_instance

    def to_str(self) -> str:
        """The model's fields, pretty-printed."""
        return pprint.pformat(self.model_dump())
