"""Behaviour shared by every model: the generated client's ``to_dict``/``from_json`` family."""

from __future__ import annotations

import json
import pprint
from operator import attrgetter
from typing import Any, Callable, ClassVar, Optional

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python
from typing_extensions import Self

__all__ = ["MODEL_CONFIG", "ApiModel", "empty_extras", "mark_parsed"]

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

    #: Properties of the schema that may be ``null``: ``to_dict`` keeps them as ``None``
    #: when they were set (parsing sets every property, as the generated ``from_dict`` does).
    _nullable: ClassVar[tuple[str, ...]] = ()
    #: Fields holding models (or lists of them) that parsing must mark too.
    _nested: ClassVar[tuple[str, ...]] = ()
    #: Fields holding ``ApiModel``s (or lists of them), which keep unknown fields too.
    _models: ClassVar[tuple[str, ...]] = ()

    def to_str(self) -> str:
        """The model as a pretty-printed dict (``model_dump`` by alias)."""
        return pprint.pformat(self.model_dump(by_alias=True))

    def to_json(self) -> str:
        """The model as JSON (``json.dumps`` of :meth:`to_dict`)."""
        return json.dumps(to_jsonable_python(self.to_dict()))

    @classmethod
    def from_json(cls, json_str: str) -> Optional[Self]:
        """Build the model from a JSON string (``from_dict(json.loads(json_str))``)."""
        return cls.from_dict(json.loads(json_str))

    def to_dict(self) -> dict[str, Any]:
        """The model as a dict by alias.

        ``None`` values are left out, except for a nullable property that was set
        (every property is set after parsing or ``from_dict``); nested models become
        dicts; unknown fields the server sent are kept.
        """
        # The generated client's order: the set values, then the nullable ones set to None.
        out = {name: _plain(value) for name, value in self.__dict__.items() if value is not None}
        fields_set = self.model_fields_set
        for name in self._nullable:
            if self.__dict__.get(name) is None and name in fields_set:
                out[name] = None
        if self.__pydantic_extra__:
            out.update((name, _plain(value)) for name, value in self.__pydantic_extra__.items())
        return out

    @classmethod
    def from_dict(cls, obj: Optional[Any]) -> Optional[Self]:
        """Build the model from a dict; ``None`` gives ``None``. Every property of the
        schema counts as set, as in the generated client."""
        if obj is None:
            return None
        if not isinstance(obj, dict):
            return cls.model_validate(obj)
        model = cls.model_validate(obj)
        mark_parsed(model)
        return model


def mark_parsed(value: Any) -> Any:
    """Count every property of the parsed model(s) in ``value`` as set; returns ``value``."""
    if isinstance(value, list):
        if value and isinstance(value[0], ApiModel):
            cls = type(value[0])
            names = frozenset(cls.model_fields)
            # Most rows already name every property; only the others are touched.
            for model in [m for m in value if not names <= m.__pydantic_fields_set__]:
                model.__pydantic_fields_set__.update(names)
            if cls._nested:
                for model in value:
                    _mark_nested(model)
        return value
    if isinstance(value, ApiModel):
        value.__pydantic_fields_set__.update(type(value).model_fields.keys())
        _mark_nested(value)
    return value


def empty_extras(value: Any) -> Any:
    """Give the models in ``value`` (a model, or a list or dict of models of one class)
    validated with ``extra="forbid"`` the empty ``model_extra`` of an ``extra="allow"``
    model, so they equal models validated as usual; returns ``value``."""
    models = _items(value)
    cls = type(models[0]) if models else None
    if cls is None or not issubclass(cls, ApiModel):
        return value
    if cls.model_config.get("extra") == "allow":
        set_extra = _SET_EXTRA
        for model in models:
            set_extra(model, {})
    for name in cls._models:
        held = [item for item in map(attrgetter(name), models) if item is not None]
        if held and isinstance(held[0], list):
            held = [item for items in held for item in items]
        empty_extras(held)
    return value


def _set_extra_slot() -> Callable[[Any, dict[str, Any]], None]:
    slot = vars(BaseModel).get("__pydantic_extra__")
    setter = getattr(slot, "__set__", None)
    if callable(setter):
        return setter  # type: ignore[no-any-return]
    return lambda model, extra: object.__setattr__(model, "__pydantic_extra__", extra)


#: Sets a model's ``__pydantic_extra__``: the slot's own setter, a third cheaper per row.
_SET_EXTRA = _set_extra_slot()


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _mark_nested(model: ApiModel) -> None:
    for name in model._nested:
        mark_parsed(getattr(model, name))


def _plain(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if isinstance(value, BaseModel) and callable(to_dict):
        return to_dict()
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
