"""Behaviour shared by every model: the generated client's ``to_dict``/``from_json`` family."""

from __future__ import annotations

import json
import pprint
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict
from typing_extensions import Self

__all__ = ["MODEL_CONFIG", "ApiModel"]

#: Field names equal the JSON names; assignments are validated; unknown response
#: fields are kept (``model_extra``) so a newer server never breaks this client.
MODEL_CONFIG = ConfigDict(
    populate_by_name=True,
    validate_assignment=True,
    protected_namespaces=(),
    extra="allow",
)


class ApiModel(BaseModel):
    """Base of the schema models: pydantic v2 plus the generated client's helpers."""

    model_config = MODEL_CONFIG

    def to_str(self) -> str:
        """The model as a pretty-printed dict."""
        return pprint.pformat(self.to_dict())

    def to_json(self) -> str:
        """The model as JSON (``json.dumps`` of :meth:`to_dict`)."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> Optional[Self]:
        """Build the model from a JSON string (``from_dict(json.loads(json_str))``)."""
        return cls.from_dict(json.loads(json_str))

    def to_dict(self) -> dict[str, Any]:
        """The model as a dict by alias.

        Fields that hold ``None`` are left out unless they were explicitly set
        (a nullable field set to ``None`` appears as ``None``); nested models
        become dicts; unknown fields the server sent are kept.
        """
        out: dict[str, Any] = {}
        fields_set = self.model_fields_set
        values = dict(self.__dict__)
        if self.__pydantic_extra__:
            values.update(self.__pydantic_extra__)
        for name, value in values.items():
            if value is None and name not in fields_set:
                continue
            field = type(self).model_fields.get(name)
            key = field.alias if field is not None and field.alias else name
            out[key] = _plain(value)
        return out

    @classmethod
    def from_dict(cls, obj: Optional[Any]) -> Optional[Self]:
        """Build the model from a dict; ``None`` gives ``None``, an instance is returned as is."""
        if obj is None:
            return None
        if isinstance(obj, cls):
            return obj
        return cls.model_validate(obj)


def _plain(value: Any) -> Any:
    if isinstance(value, ApiModel):
        return value.to_dict()
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
