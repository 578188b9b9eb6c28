"""``ResponseReader``: the generated client's ``response_deserialize`` and ``deserialize``.

I/O-free: it reads a response that was already received (``.status``, ``.reason``,
``.headers``, ``.data``/``.read()``), so the sync and an async client share it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Optional, Union

from _generated._http import (
    charset_of,
    credentials_of,
    is_json_content_type,
    is_text_content_type,
)
from _generated._parsing import deserialize_data, invalid_body, parse_models, uses_adapter
from _generated.api_response import ApiResponse
from _generated.exceptions import ApiException, ResponseValidationError

__all__ = ["ResponseReader"]

_UTF8 = frozenset({"utf-8", "utf8"})


class ResponseReader:
    """Reading responses as the generated ``ApiClient`` does; expects ``configuration``."""

    configuration: Any

    def response_deserialize(
        self,
        response_data: Any,
        # A dict, as the generated client annotates it: an override taking Dict type-checks.
        response_types_map: Optional[dict[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """The ``ApiResponse`` for a read response; a non-2xx status raises its ``ApiException``
        (``.data`` the parsed error body when the status has a type and the body fits it)."""
        try:
            return self._read(response_data, response_types_map)
        except ApiException as exc:
            exc.hide_credentials(
                credentials_of(self.configuration), getattr(response_data, "data", None)
            )
            raise

    def _read(
        self, response_data: Any, response_types_map: Optional[Mapping[str, Optional[str]]]
    ) -> ApiResponse[Any]:
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
                error = _with_response(exc, response_data, raw)
                if error is exc:
                    raise  # already this response's error: its own cause (or none) kept
                cause = exc.__cause__ if isinstance(exc, ResponseValidationError) else exc
                raise error from cause or exc
            data = None  # the status is the error; an odd error body must not mask it
        if not ok:
            raise ApiException.from_response(http_resp=response_data, body=text, data=data)
        # Constructed, not validated: the headers stay the transport's case-insensitive
        # mapping, and a large ``data`` is not walked again.
        return ApiResponse.received(status, data, response_data.headers, raw)

    def _deserialize_takes_bytes(self) -> bool:
        """Whether ``deserialize`` is this class's own, which reads UTF-8 bytes directly
        (saving a copy of a large body); an override or a patch is given text, as always."""
        return type(self).deserialize is ResponseReader.deserialize and "deserialize" not in vars(
            self
        )

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
