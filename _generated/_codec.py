"""``ApiCodec``: the I/O-free half of ``ApiClient``: building requests (here) and reading
responses (:class:`~_generated._reading.ResponseReader`).

Every method is one of the generated client's extension points (``param_serialize``,
``sanitize_for_serialization``, ``parameters_to_url_query``, ``response_deserialize``,
``deserialize``, ...), with its signature and behaviour; ``ApiClient`` adds the transport.
A client with other I/O (an async one) subclasses this and adds its own sending.
"""

from __future__ import annotations

import datetime
import decimal
import json
import mimetypes
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, ClassVar, Optional, Union
from urllib.parse import quote

from _generated._parsing import (
    NATIVE_TYPES,
)
from _generated._reading import ResponseReader
from _generated.exceptions import ApiValueError

__all__ = ["ApiCodec", "RequestSerialized"]

RequestSerialized = tuple[str, str, dict[str, str], Optional[str], list[tuple[str, Any]]]
"""``(method, url, header_params, body, post_params)`` as ``param_serialize`` returns it."""

_DELIMITERS = {"ssv": " ", "tsv": "\t", "pipes": "|"}
# Exact types that sanitize_for_serialization returns as they are.
_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})
# quote(text) (safe "/") for ASCII text as one str.translate: every byte outside RFC 3986's
# unreserved set and "/" becomes %XX, as quote() does.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~/")
_QUOTE_ASCII = {code: f"%{code:02X}" for code in range(128) if chr(code) not in _UNRESERVED}


def _text(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


class ApiCodec(ResponseReader):
    """Serialization and deserialization of the generated client's ``ApiClient``.

    Expects ``configuration``, ``default_headers`` and ``cookie`` attributes.
    """

    PRIMITIVE_TYPES: ClassVar[tuple[type, ...]] = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING: ClassVar[dict[str, Any]] = dict(NATIVE_TYPES)

    configuration: Any
    default_headers: dict[str, str]
    cookie: Optional[str]

    # -- building a request -----------------------------------------------------------------

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: Optional[dict[str, Any]] = None,
        query_params: Optional[list[tuple[str, Any]]] = None,
        header_params: Optional[dict[str, Any]] = None,
        body: Any = None,
        post_params: Optional[list[tuple[str, Any]]] = None,
        files: Optional[dict[str, Any]] = None,
        auth_settings: Optional[Sequence[str]] = None,
        collection_formats: Optional[dict[str, str]] = None,
        _host: Optional[str] = None,
        _request_auth: Optional[Mapping[str, Any]] = None,
    ) -> RequestSerialized:
        """Build ``(method, url, headers, body, post_params)`` for a request."""
        headers: dict[str, Any] = header_params if header_params is not None else {}
        # Per-call headers win over the default ones, whatever the case of their names (the
        # generated client lets the defaults win, so a per-call User-Agent was lost).
        given = {name.lower() for name in headers}
        for name, value in self.default_headers.items():
            if name.lower() not in given:
                headers[name] = value
        if self.cookie:
            headers["Cookie"] = self.cookie
        if headers:
            headers = dict(
                self.parameters_to_tuples(
                    self.sanitize_for_serialization(headers), collection_formats
                )
            )
        if path_params:
            for name, value in self.parameters_to_tuples(
                self.sanitize_for_serialization(path_params), collection_formats
            ):
                resource_path = resource_path.replace(
                    "{" + name + "}",
                    quote(str(value), safe=self.configuration.safe_chars_for_path_param),
                )
        post: Any = post_params
        if post_params or files:
            post = self.parameters_to_tuples(
                self.sanitize_for_serialization(post_params or []), collection_formats
            )
            if files:
                post.extend(self.files_parameters(files))
        self.update_params_for_auth(
            headers,
            query_params,  # type: ignore[arg-type]
            auth_settings,
            resource_path,
            method,
            body,
            request_auth=_request_auth,
        )
        if body:
            body = self.sanitize_for_serialization(body)
        if _host is None or self.configuration.ignore_operation_servers:
            url = self.configuration.host + resource_path
        else:
            url = _host + resource_path
        if query_params:
            url += "?" + self.parameters_to_url_query(
                self.sanitize_for_serialization(query_params), collection_formats
            )
        return method, url, headers, body, post

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """``obj`` as JSON-ready data: models to dicts by alias, dates and datetimes to ISO
        8601 strings, enums to values, ``SecretStr`` to its secret, lists and tuples
        recursively."""
        cls = type(obj)
        # Exact built-in types first: the same results (and calls) with fewer checks.
        if cls in _PLAIN:
            return obj
        if cls is tuple:
            return tuple([self.sanitize_for_serialization(item) for item in obj])
        if cls is list:
            return [self.sanitize_for_serialization(item) for item in obj]
        if cls is dict:
            return {key: self.sanitize_for_serialization(value) for key, value in obj.items()}
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, list):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.sanitize_for_serialization(item) for item in obj)
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, (decimal.Decimal, uuid.UUID)):
            return str(obj)
        if isinstance(obj, dict):
            return {key: self.sanitize_for_serialization(value) for key, value in obj.items()}
        secret = getattr(obj, "get_secret_value", None)
        if callable(secret):  # pydantic's SecretStr/SecretBytes
            return secret()
        to_dict = getattr(obj, "to_dict", None)
        return self.sanitize_for_serialization(to_dict() if callable(to_dict) else obj.__dict__)

    def parameters_to_tuples(
        self,
        params: Union[Mapping[str, Any], Sequence[tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]],
    ) -> list[tuple[str, Any]]:
        """Expand collection parameters (``multi``, ``csv``, ``ssv``, ``tsv``, ``pipes``);
        booleans become ``"true"``/``"false"``."""
        formats = collection_formats or {}
        new_params: list[tuple[str, Any]] = []
        for key, value in _pairs(params):
            value = _text(value)
            fmt = formats.get(key)
            if fmt == "multi":
                new_params.extend((key, _text(item)) for item in value)
            elif fmt:
                delimiter = _DELIMITERS.get(fmt, ",")
                new_params.append((key, delimiter.join(str(_text(item)) for item in value)))
            else:
                new_params.append((key, value))
        return new_params

    def explode_query_object(self, name: str, obj: Any) -> list[tuple[str, Any]]:
        """Form style, explode: one query parameter per entry of ``obj``, keyed by its
        property name; a list repeats the name, ``None`` is left out."""
        obj = self.sanitize_for_serialization(obj)
        if not isinstance(obj, dict):
            obj = {name: obj}
        return [
            (key, item)
            for key, value in obj.items()
            for item in (value if isinstance(value, (list, tuple)) else [value])
            if item is not None
        ]

    def parameters_to_url_query(
        self,
        params: Union[Mapping[str, Any], Sequence[tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]],
    ) -> str:
        """The URL query string (``a=Hello%20World&b=123``); a collection format applies
        to list values only, and each item is quoted before joining."""
        formats = collection_formats or {}
        parts: list[str] = []
        for key, value in _pairs(params):
            if type(value) is str:
                parts.append(f"{_quote(str(key))}={_quote(value)}")  # the common case
                continue
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, (int, float)):
                value = str(value)
            elif isinstance(value, dict):
                value = json.dumps(value)
            name = _quote(str(key))
            fmt = formats.get(key) if isinstance(value, (list, tuple)) else None
            if fmt == "multi":
                parts.extend(f"{name}={_quote(str(_text(item)))}" for item in value)
            elif fmt:
                delimiter = _DELIMITERS.get(fmt, ",")
                joined = delimiter.join(_quote(str(_text(item))) for item in value)
                parts.append(f"{name}={joined}")
            else:
                parts.append(f"{name}={_quote(str(value))}")
        return "&".join(parts)

    def files_parameters(self, files: Optional[Mapping[str, Any]] = None) -> list[tuple[str, Any]]:
        """Multipart file parameters: ``{name: path | bytes | (filename, data) | [...]}``."""
        params: list[tuple[str, Any]] = []
        for name, value in (files or {}).items():
            if isinstance(value, list):
                for item in value:
                    params.extend(self.files_parameters({name: item}))
                continue
            if isinstance(value, str):
                with open(value, "rb") as handle:
                    filename, data = os.path.basename(handle.name), handle.read()
            elif isinstance(value, bytes):
                filename, data = name, value
            elif isinstance(value, tuple):
                filename, data = value
            else:
                raise ValueError("Unsupported file value")
            mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            params.append((name, (filename, data, mimetype)))
        return params

    def select_header_accept(self, accepts: Sequence[str]) -> Optional[str]:
        """The ``Accept`` value: JSON if offered, else the first."""
        if not accepts:
            return None
        return next((accept for accept in accepts if "json" in accept.lower()), accepts[0])

    def select_header_content_type(self, content_types: Sequence[str]) -> Optional[str]:
        """The ``Content-Type`` value: JSON if offered, else the first."""
        return self.select_header_accept(content_types)

    def update_params_for_auth(
        self,
        headers: dict[str, Any],
        queries: list[tuple[str, Any]],
        auth_settings: Optional[Sequence[str]],
        resource_path: str,
        method: str,
        body: Any,
        request_auth: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Apply ``request_auth`` if given, else the configured ``auth_settings`` named."""
        if not auth_settings:
            return
        if request_auth:
            self._apply_auth_params(headers, queries, resource_path, method, body, request_auth)
            return
        configured: Mapping[str, Any] = self.configuration.auth_settings()
        for name in auth_settings:
            setting = configured.get(name)
            if setting:
                self._apply_auth_params(headers, queries, resource_path, method, body, setting)

    def _apply_auth_params(
        self,
        headers: dict[str, Any],
        queries: list[tuple[str, Any]],
        resource_path: str,
        method: str,
        body: Any,
        auth_setting: Mapping[str, Any],
    ) -> None:
        where = auth_setting["in"]
        if where == "cookie":
            cookie = quote(str(auth_setting["value"]), safe="!#$%&'()*+-./:<=>?@[]^_`{|}~%+/=")
            previous = headers.get("Cookie")
            headers["Cookie"] = (f"{previous}; " if previous is not None else "") + (
                f"{auth_setting['key']}={cookie}"
            )
        elif where == "header":
            if auth_setting.get("type") != "http-signature":
                headers[auth_setting["key"]] = auth_setting["value"]
        elif where == "query":
            queries.append((auth_setting["key"], auth_setting["value"]))
        else:
            raise ApiValueError("Authentication token must be in `query` or `header`")


def _quote(text: str) -> str:
    """``urllib.parse.quote(text)``, without its per-byte Python loop for ASCII text."""
    return text.translate(_QUOTE_ASCII) if text.isascii() else quote(text)


def _pairs(params: Union[Mapping[str, Any], Sequence[tuple[str, Any]]]) -> Iterable[Any]:
    if type(params) is list:  # what param_serialize passes: skip the ABC check
        return params
    return params.items() if isinstance(params, Mapping) else params
