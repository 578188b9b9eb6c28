"""The SDK's exceptions: every failure of a call is one of these.

::

    OpenApiException                      base of everything the SDK raises
    ├── ApiTypeError (TypeError)          an argument of the wrong type
    ├── ApiValueError (ValueError)        an argument with a bad value
    │   └── ApiArgumentError              ... also a pydantic ValidationError,
    │                                         raised before any network traffic
    ├── ApiKeyError (KeyError)
    ├── ApiAttributeError (AttributeError)
    └── ApiException                      the server or the network failed the call
        ├── BadRequestException           400  (.detail: the server's reason)
        ├── UnauthorizedException         401
        ├── ForbiddenException            403
        ├── NotFoundException             404
        ├── ConflictException             409
        ├── UnprocessableEntityException  422  (.data: HTTPValidationError)
        ├── TooManyRequestsException      429  (.retry_after: seconds or None)
        ├── ServiceException              5xx
        ├── ApiConnectionError            status 0: refused, DNS, TLS, reset
        │   └── ApiTimeoutError           connect or read timeout, or deadline
        └── ResponseValidationError       a 2xx body that is not the documented JSON

Lower-level errors (urllib3, ``json``, pydantic) never escape a call: they
are translated at one boundary and chained as ``__cause__``. No message here
ever contains the bearer token: only the server's response is quoted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, Optional, Union, cast

import pydantic_core

from _generated._constants import ERROR_BODY_EXCERPT
from _generated._http import header_value, one_line, parse_retry_after
from _generated._textsafety import blank_out, echoes

__all__ = [
    "ApiArgumentError",
    "ApiAttributeError",
    "ApiConnectionError",
    "ApiException",
    "ApiKeyError",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "NotFoundException",
    "OpenApiException",
    "ResponseValidationError",
    "ServiceException",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "detail_of",
    "exception_class_for_status",
    "render_path",
]

PathToItem = Optional[Sequence[Union[str, int]]]
_DEFAULT_TITLE = "UsageApi.get_token_usage_api_v2_usage_tokens_get"


class OpenApiException(Exception):
    """Base class of every exception the SDK raises."""


class ApiTypeError(OpenApiException, TypeError):
    """Raised when an argument has the wrong type."""

    def __init__(
        self,
        msg: str,
        path_to_item: PathToItem = None,
        valid_classes: Optional[tuple[type, ...]] = None,
        key_type: Optional[bool] = None,
    ) -> None:
        self.path_to_item = path_to_item
        self.valid_classes = valid_classes
        self.key_type = key_type
        super().__init__(_at_path(msg, path_to_item))


class ApiValueError(OpenApiException, ValueError):
    """Raised when an argument has a value the API does not accept."""

    def __init__(self, msg: str, path_to_item: PathToItem = None) -> None:
        self.path_to_item = path_to_item
        super().__init__(_at_path(msg, path_to_item))


class ApiAttributeError(OpenApiException, AttributeError):
    """Raised when an attribute is missing."""

    def __init__(self, msg: str, path_to_item: PathToItem = None) -> None:
        self.path_to_item = path_to_item
        super().__init__(_at_path(msg, path_to_item))


class ApiKeyError(OpenApiException, KeyError):
    """Raised when a key is missing."""

    def __init__(self, msg: str, path_to_item: PathToItem = None) -> None:
        self.path_to_item = path_to_item
        super().__init__(_at_path(msg, path_to_item))


class ApiArgumentError(ApiValueError, pydantic_core.ValidationError):
    """Raised before any network traffic when an operation argument is invalid.

    It is an :class:`ApiValueError` (so a ``ValueError``) and also a pydantic
    ``ValidationError``, which is what code written for the generated client
    (``validate_call``) catches today; for the arguments the generated client has, its
    text is pydantic's own (``1 validation error for UsageApi.<method>`` ...).
    ``.argument`` names the (first) invalid argument, ``.message`` says what was wrong.
    """

    argument: str
    message: str
    _pydantic_text: bool

    def __init__(self, *args: Any) -> None:
        # pydantic-core builds the instance in __new__ (from_exception_data); nothing to add.
        Exception.__init__(self, *args)

    @classmethod
    def for_argument(
        cls, argument: str, value: object, expected: str, *, title: str = _DEFAULT_TITLE
    ) -> ApiArgumentError:
        """Build the error for ``argument``: what was given and what was expected."""
        message = f"invalid argument {argument}={_short_repr(value)}: expected {expected}"
        err = cls.from_exception_data(
            title,
            [
                {
                    "type": "value_error",
                    "loc": (argument,),
                    "input": value,
                    "ctx": {"error": ValueError(message)},
                }
            ],
        )
        err.argument, err.message, err.path_to_item = argument, message, [argument]
        err._pydantic_text = False
        return err

    @classmethod
    def from_validation_error(cls, error: pydantic_core.ValidationError) -> ApiArgumentError:
        """The same errors as pydantic's ``error`` (same title and text), as this class."""
        details: list[Any] = [
            {key: item[key] for key in ("type", "loc", "input", "ctx") if key in item}
            for item in error.errors(include_url=False)
        ]
        err = cls.from_exception_data(error.title, details)
        first = details[0] if details else {"loc": ("?",)}
        err.argument = str(first["loc"][0]) if first["loc"] else "?"
        err.message = error.errors(include_url=False)[0]["msg"] if details else str(error)
        err.path_to_item = [err.argument]
        err._pydantic_text = True
        return err

    def __str__(self) -> str:
        if self._pydantic_text:
            return pydantic_core.ValidationError.__str__(self)
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # pydantic rebuilds the errors; the attributes set here travel as the state.
        reduced = cast(tuple[Any, ...], pydantic_core.ValidationError.__reduce__(self))
        rebuild, args = reduced[:2]
        return (rebuild, args, dict(vars(self)))


class ApiException(OpenApiException):
    """Raised when a call fails: an error status, the network, or a bad response.

    ``status`` is the HTTP status (0 when no response arrived), ``reason`` its
    phrase, ``body`` the response text, ``data`` the parsed error model when the
    API documents one (422), and ``headers`` the response headers. ``redirected_to``
    is the origin a redirect led the request to, when not the one asked (a 401 from
    there is expected: credentials are not sent to another origin).
    """

    redirected_to: Optional[str] = None

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Optional[str] = None,
        data: Any = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.body = body
        self.data = data
        self.headers: Optional[Mapping[str, str]] = None

        if http_resp is not None:
            if self.status is None:
                self.status = http_resp.status
            if self.reason is None:
                self.reason = http_resp.reason
            if self.body is None:
                raw = http_resp.data
                self.body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            self.headers = http_resp.headers
            redirected = getattr(http_resp, "redirected_origin", None)
            origin = redirected() if callable(redirected) else None
            if origin:  # set only then: otherwise the attributes are the generated client's
                self.redirected_to = origin
        super().__init__(self.status, self.reason)

    @classmethod
    def from_response(
        cls,
        *,
        http_resp: Any,
        body: Optional[str],
        data: Any,
    ) -> NoReturn:
        """Raise the subclass that matches ``http_resp.status``."""
        exc_class = exception_class_for_status(http_resp.status)
        raise exc_class(http_resp=http_resp, body=body, data=data)

    def hide_credentials(
        self, credentials: Sequence[Optional[str]], raw_body: Optional[bytes] = None
    ) -> None:
        """Replace ``credentials`` (the token, key or password the client sent) wherever the
        server echoed them: in ``reason``, ``body``, ``headers`` and ``detail``, and so in
        ``str()``, ``repr()``, pickles and logs. The credentials are not kept. When the
        response's ``raw_body`` holds one, the chained cause is dropped too."""
        secrets = [c for c in credentials if c]
        if not secrets:
            return
        for name in ("reason", "body", "detail"):
            value = vars(self).get(name)
            if isinstance(value, str):
                setattr(self, name, blank_out(value, secrets))
        if self.headers:
            pairs = [(k, str(v), blank_out(str(v), secrets)) for k, v in self.headers.items()]
            if any(shown != sent for _, sent, shown in pairs):
                from urllib3 import HTTPHeaderDict  # only for a server that echoed a credential

                cleaned = HTTPHeaderDict()
                for key, _, shown in pairs:
                    cleaned.add(key, shown)
                self.headers = cleaned
        self.args = tuple(
            blank_out(arg, secrets) if isinstance(arg, str) else arg for arg in self.args
        )
        # No response (status 0): a transport error, whose text (urllib3's quotes the URL) is
        # cheap; a parse error's text is not (pydantic reprs the whole body), and the body
        # itself tells whether it holds a credential.
        quoted = _chain_quotes(self, secrets) if not self.status else echoes(raw_body, secrets)
        if quoted:
            # A chained error (a parse error quoting the body, urllib3's quoting the URL with
            # a query credential) cannot be edited: a traceback or log.exception() would
            # print the credential. This error's own text says what failed.
            self.__cause__ = None
            self.__suppress_context__ = True

    def __str__(self) -> str:
        error_message = f"({self.status})\nReason: {self.reason}\n{self._detail_line()}"
        if self.headers:
            error_message += f"HTTP response headers: {self.headers}\n"
        if self.body:
            error_message += f"HTTP response body: {_excerpt(self.body)}\n"
        if self.data:
            error_message += f"HTTP response data: {self.data}\n"
        return error_message

    def _detail_line(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its attributes, not by calling __init__ again (subclasses take other
        # arguments), so pickling (process pools) and copy.deepcopy work for every subclass.
        state = dict(vars(self))
        headers = state.get("headers")
        if headers is not None and not isinstance(headers, dict):
            # aiohttp's read-only CIMultiDictProxy cannot be pickled; its copy() can.
            copied = getattr(headers, "copy", None)
            state["headers"] = copied() if callable(copied) else dict(headers)
        return (_rebuild, (type(self), self.args), state)


def _chain_quotes(error: BaseException, secrets: Sequence[str]) -> bool:
    """Whether an error ``error`` was raised from mentions one of ``secrets``."""
    cause = error.__cause__ or error.__context__
    for _ in range(8):  # a short chain; bounded in case of a cycle
        if cause is None:
            return False
        # Parse errors (ValueErrors: pydantic's reprs the whole body) are the body's case.
        if not isinstance(cause, ValueError) and any(s in str(cause) for s in secrets):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class BadRequestException(ApiException):
    """Raised when the server answers 400 Bad Request.

    ``detail`` is the server's reason: the ``detail`` string of the engine's
    ``{"detail": "..."}`` body (``None`` when the body has none). The message shows it
    on one line, shortened to a few hundred characters.
    """

    @property
    def detail(self) -> Optional[str]:
        """The server's ``detail`` string, or ``None``."""
        return detail_of(self.body)

    def _detail_line(self) -> str:
        detail = self.detail
        return f"Detail: {one_line(detail)}\n" if detail else ""


class UnauthorizedException(ApiException):
    """Raised when the server answers 401: the bearer token is missing or wrong."""


class ForbiddenException(ApiException):
    """Raised when the server answers 403: the token may not read usage."""


class NotFoundException(ApiException):
    """Raised when the server answers 404: check the host and its path prefix."""


class ConflictException(ApiException):
    """Raised when the server answers 409 Conflict."""


class UnprocessableEntityException(ApiException):
    """Raised when the server answers 422; ``.data`` is the ``HTTPValidationError``."""


class TooManyRequestsException(ApiException):
    """Raised when the server answers 429 and retrying is not allowed or not worth it.

    ``retry_after`` is the server's Retry-After in seconds (None when absent).
    """

    @property
    def retry_after(self) -> Optional[float]:
        return parse_retry_after(header_value(self.headers, "Retry-After"))


class ServiceException(ApiException):
    """Raised when the server answers with a 5xx status."""


class ApiConnectionError(ApiException):
    """Raised when no HTTP response arrived: refused, DNS, TLS or reset (``status`` 0).

    ``host`` is the scheme and address that failed; ``retryable`` is False for failures
    that a retry cannot fix (a TLS certificate the client does not trust).
    """

    retryable: bool = True

    def __init__(self, message: str, *, host: Optional[str] = None) -> None:
        super().__init__(status=0, reason=message)
        self.host = host

    def __str__(self) -> str:
        return self.reason or "connection error"


class ApiTimeoutError(ApiConnectionError):
    """Raised when connecting or reading timed out, or the call's deadline passed."""


class ResponseValidationError(ApiException):
    """Raised when a response is not the documented JSON: bad JSON, wrong type, wrong shape.

    ``status`` and ``headers`` are the response's, ``body`` is a bounded excerpt
    of it and ``detail`` says what did not match.
    """

    def __init__(
        self,
        *,
        status: int,
        reason: Optional[str],
        headers: Optional[Mapping[str, str]],
        body: bytes,
        detail: str,
    ) -> None:
        super().__init__(status=status, reason=reason, body=_excerpt_bytes(body))
        self.headers = headers
        self.detail = detail

    def __str__(self) -> str:
        content_type = self.headers.get("Content-Type") if self.headers else None
        return (
            f"invalid response (HTTP {self.status}, content type {content_type!r}): "
            f"{self.detail}\nbody excerpt: {self.body!r}"
        )


_STATUS_CLASSES: dict[int, type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
    429: TooManyRequestsException,
}


def exception_class_for_status(status: int) -> type[ApiException]:
    """The ``ApiException`` subclass raised for an HTTP ``status``."""
    if 500 <= status <= 599:
        return ServiceException
    return _STATUS_CLASSES.get(status, ApiException)


def detail_of(body: Optional[str]) -> Optional[str]:
    """The ``detail`` string of an error body such as ``{"detail": "..."}``, else ``None``."""
    if not body or not body.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    detail = parsed.get("detail") if isinstance(parsed, dict) else None
    return detail if isinstance(detail, str) else None


def render_path(path_to_item: PathToItem) -> str:
    """Render a path such as ``['a', 0]`` as ``['a'][0]``."""
    result = ""
    for pth in path_to_item or ():
        result += f"[{pth}]" if isinstance(pth, int) else f"['{pth}']"
    return result


def _at_path(msg: str, path_to_item: PathToItem) -> str:
    return f"{msg} at {render_path(path_to_item)}" if path_to_item else msg


def _rebuild(cls: type[ApiException], args: tuple[Any, ...]) -> ApiException:
    """An ``ApiException`` of ``cls`` without ``__init__``; pickle then sets its state."""
    error = cls.__new__(cls)
    error.args = args
    return error


def _excerpt(text: str) -> str:
    if len(text) <= ERROR_BODY_EXCERPT:
        return text
    return f"{text[:ERROR_BODY_EXCERPT]}... [{len(text) - ERROR_BODY_EXCERPT} more characters]"


def _excerpt_bytes(body: bytes) -> str:
    text = body[: ERROR_BODY_EXCERPT * 4].decode("utf-8", "replace")
    if len(body) > ERROR_BODY_EXCERPT and len(text) > ERROR_BODY_EXCERPT:
        return f"{text[:ERROR_BODY_EXCERPT]}... [{len(body)} bytes in all]"
    return text


def _short_repr(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
