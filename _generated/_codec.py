"""``ApiCodec``: the I/O-free half of ``ApiClient``, building requests and reading responses.

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

from _generated._http import charset_of, is_json_content_type, is_text_content_type
from _generated._parsing import (
    NATIVE_TYPES,
    deserialize_data,
    invalid_body,
    parse_models,
    uses_adapter,
)
from _generated.api_response import ApiResponse
from _generated.exceptions import ApiException, ApiValueError, ResponseValidationError

__all__ = ["ApiCodec", "RequestSerialized"]

RequestSerialized = tuple[str, str, dict[str, str], Optional[str], list[tuple[str, Any]]]
"""``(method, url, header_params, body, post_params)`` as ``param_serialize`` returns it."""

_DELIMITERS = {"ssv": " ", "tsv": "\t", "pipes": "|"}
_UTF8 = frozenset({"utf-8", "utf8"})


def _text(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


class ApiCodec:
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
        for name, value in self.default_headers.items():
            # Per-call headers win over the default ones (the generated client lets the
            # defaults win, so a per-call User-Agent was lost).
            headers.setdefault(name, value)
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
        if obj is None:
            return None
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
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, (int, float)):
                value = str(value)
            elif isinstance(value, dict):
                value = json.dumps(value)
            name = quote(str(key))
            fmt = formats.get(key) if isinstance(value, (list, tuple)) else None
            if fmt == "multi":
                parts.extend(f"{name}={quote(str(_text(item)))}" for item in value)
            elif fmt:
                delimiter = _DELIMITERS.get(fmt, ",")
                joined = delimiter.join(quote(str(_text(item))) for item in value)
                parts.append(f"{name}={joined}")
            else:
                parts.append(f"{name}={quote(str(value))}")
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

    # -- reading a response -----------------------------------------------------------------

    def response_deserialize(
        self,
        response_data: Any,
        response_types_map: Optional[Mapping[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """The ``ApiResponse`` for a read response; a non-2xx status raises its ``ApiException``
        (``.data`` the parsed error body when the status has a type and the body fits it)."""
        raw = response_data.data if response_data.data is not None else response_data.read()
        status = response_data.status
        response_type = _type_for(status, response_types_map or {})
        ok = 200 <= status <= 299
        text: Optional[str] = None
        data: Any = None
        try:
            if response_type in ("bytearray", "bytes"):
                data = raw
            elif response_type == "file":
                data = self._deserialize_file(response_data)
            elif response_type is not None:
                content_type = response_data.headers.get("content-type")
                adapted = content_type and uses_adapter(response_type)
                if adapted and not is_json_content_type(content_type):
                    raise invalid_body(
                        status=status,
                        reason=response_data.reason,
                        headers=response_data.headers,
                        body=raw,
                        detail="expected a JSON body (application/json), got content "
                        f"type {content_type!r}",
                    )
                charset = charset_of(content_type)
                body: Union[str, bytes] = raw
                if not (ok and charset in _UTF8 and self._deserialize_takes_bytes()):
                    try:
                        text = body = raw.decode(charset)
                    except (UnicodeDecodeError, LookupError) as exc:
                        raise invalid_body(
                            status=status,
                            reason=response_data.reason,
                            headers=response_data.headers,
                            body=raw,
                            detail=f"cannot decode the body as {charset}: {exc}",
                        ) from exc
                data = self.deserialize(body, response_type, content_type)
        except (ApiException, ValueError, TypeError, AttributeError, KeyError) as exc:
            if (
                ok
                and isinstance(exc, ApiException)
                and not isinstance(exc, ResponseValidationError)
            ):
                raise  # the generated client's own parse errors (status 0), as they are
            if ok:
                cause = exc.__cause__ if isinstance(exc, ResponseValidationError) else exc
                raise _with_response(exc, response_data, raw) from cause or exc
            data = None  # the status is the error; an odd error body must not mask it
        if not ok:
            raise ApiException.from_response(http_resp=response_data, body=text, data=data)
        # Constructed, not validated: the headers stay the transport's case-insensitive
        # mapping, and a large ``data`` is not walked again.
        return ApiResponse.model_construct(
            status_code=status, data=data, headers=response_data.headers, raw_data=raw
        )

    def _deserialize_takes_bytes(self) -> bool:
        """Whether ``deserialize`` is this class's own, which reads UTF-8 bytes directly
        (saving a copy of a large body); an override or a patch is given text, as always."""
        return type(self).deserialize is ApiCodec.deserialize and "deserialize" not in vars(self)

    def deserialize(
        self, response_text: Union[str, bytes], response_type: str, content_type: Optional[str]
    ) -> Any:
        """Parse ``response_text`` as ``response_type`` (a type string such as
        ``"List[TokenUsageResponse]"``), by its ``content_type``: JSON, ``text/*`` (read as
        the type: ``str``, ``int``, an enum, ...); any other raises ``ApiException``."""
        json_body = content_type is None or is_json_content_type(content_type)
        if json_body and uses_adapter(response_type):
            return parse_models(response_text, response_type)
        if isinstance(response_text, bytes):
            response_text = response_text.decode("utf-8", "replace")
        data: Any
        if content_type is None:
            try:
                data = json.loads(response_text)
            except ValueError:
                data = response_text
        elif json_body:
            data = json.loads(response_text) if response_text else ""
        elif is_text_content_type(content_type):
            data = response_text
        else:
            raise ApiException(status=0, reason=f"Unsupported content type: {content_type}")
        return deserialize_data(data, response_type)

    def _deserialize_file(self, response: Any) -> Any:
        """Save the body in ``Configuration.temp_folder_path`` (its own name if the server
        gave one in ``Content-Disposition``); return the path."""
        import re
        import tempfile  # only file downloads need these

        fd, path = tempfile.mkstemp(dir=self.configuration.temp_folder_path)
        os.close(fd)
        disposition = response.headers.get("Content-Disposition")
        match = re.search(r"filename=['\"]?([^'\"\s]+)['\"]?", disposition or "")
        name = os.path.basename(match.group(1)) if match else ""
        if name not in ("", ".", ".."):
            os.remove(path)
            path = os.path.join(os.path.dirname(path), name)
        with open(path, "wb") as handle:
            handle.write(response.data)
        return path


def _pairs(params: Union[Mapping[str, Any], Sequence[tuple[str, Any]]]) -> Iterable[Any]:
    return params.items() if isinstance(params, Mapping) else params


def _type_for(status: int, types: Mapping[str, Optional[str]]) -> Optional[str]:
    key = str(status)
    response_type = types.get(key)
    in_range = 100 <= status <= 599
    if not response_type and in_range:
        response_type = types.get(key[0] + "XX")
    if response_type is None and key not in types and not (in_range and key[0] + "XX" in types):
        response_type = types.get("default")
    return response_type


def _with_response(exc: Exception, response: Any, raw: bytes) -> ResponseValidationError:
    """``exc`` (a parse failure) as the ``ResponseValidationError`` of ``response``."""
    detail = exc.detail if isinstance(exc, ResponseValidationError) else str(exc)
    if isinstance(exc, json.JSONDecodeError):
        detail = f"the body is not valid JSON ({exc.msg})"
    if isinstance(exc, ResponseValidationError) and exc.status:
        return exc
    return invalid_body(
        status=response.status,
        reason=response.reason,
        headers=response.headers,
        body=raw,
        detail=detail,
    )
