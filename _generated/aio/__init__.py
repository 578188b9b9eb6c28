"""The async client: ``_generated``'s names with the operation methods as coroutines, on aiohttp.

Shaped like OpenAPI Generator's ``--library asyncio`` client, so code written for that client
runs after changing its import::

    from _generated.aio import ApiClient, Configuration, UsageApi

    async with ApiClient(Configuration(host=..., access_token=...)) as client:
        rows = await UsageApi(client).get_token_usage_api_v2_usage_tokens_get(...)

``Configuration``, ``ApiResponse``, the models and the exception classes are the sync
package's own objects (an ``except UnauthorizedException`` catches both clients' errors).
Needs the ``async`` extra: ``pip install 'genai-engine-usage-client[async]'``.
"""

from typing import TYPE_CHECKING

from _generated._lazy import lazy_exports
from _generated._version import __version__

try:
    import aiohttp as _aiohttp  # noqa: F401  (the extra's one dependency, checked up front)
except ImportError as _missing:
    raise ImportError(
        "_generated.aio needs aiohttp, which the async extra installs: "
        "pip install 'genai-engine-usage-client[async]'"
    ) from _missing

if TYPE_CHECKING:
    from _generated import (
        ApiArgumentError,
        ApiAttributeError,
        ApiConnectionError,
        ApiException,
        ApiKeyError,
        ApiResponse,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        Configuration,
        HTTPValidationError,
        LocationInner,
        OpenApiException,
        ResponseValidationError,
        RetryPolicy,
        TokenUsageCount,
        TokenUsageResponse,
        TokenUsageScope,
        TooManyRequestsException,
        ValidationError,
    )
    from _generated.aio.api.usage_api import UsageApi
    from _generated.aio.api_client import ApiClient

__all__ = [
    "ApiArgumentError",
    "ApiAttributeError",
    "ApiClient",
    "ApiConnectionError",
    "ApiException",
    "ApiKeyError",
    "ApiResponse",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "Configuration",
    "HTTPValidationError",
    "LocationInner",
    "OpenApiException",
    "ResponseValidationError",
    "RetryPolicy",
    "TokenUsageCount",
    "TokenUsageResponse",
    "TokenUsageScope",
    "TooManyRequestsException",
    "UsageApi",
    "ValidationError",
    "__version__",
]

_OWN = {"ApiClient": ".api_client", "UsageApi": ".api.usage_api"}
# Every other public name is the sync package's object, loaded from there on first use.
_EXPORTS = {name: _OWN.get(name, "_generated") for name in __all__ if name != "__version__"}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
