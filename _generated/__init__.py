"""Python client for the GenAI Engine token-usage endpoint (``GET /api/v2/usage/tokens``).

Drop-in compatible with the OpenAPI-Generator client of the same endpoint. Every public
name is importable from here (``from _generated import UsageApi``) but loaded on first
use, so ``import _generated`` stays cheap.
"""

from typing import TYPE_CHECKING

from _generated._lazy import lazy_exports
from _generated._version import __version__

if TYPE_CHECKING:
    from _generated.api.usage_api import UsageApi
    from _generated.api_client import ApiClient
    from _generated.api_response import ApiResponse
    from _generated.configuration import Configuration
    from _generated.exceptions import (
        ApiArgumentError,
        ApiAttributeError,
        ApiConnectionError,
        ApiException,
        ApiKeyError,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        OpenApiException,
        ResponseValidationError,
        TooManyRequestsException,
    )
    from _generated.models.http_validation_error import HTTPValidationError
    from _generated.models.location_inner import LocationInner
    from _generated.models.token_usage_count import TokenUsageCount
    from _generated.models.token_usage_response import TokenUsageResponse
    from _generated.models.token_usage_scope import TokenUsageScope
    from _generated.models.validation_error import ValidationError
    from _generated.retry import RetryPolicy

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

_EXPORTS = {
    "UsageApi": ".api.usage_api",
    "ApiClient": ".api_client",
    "ApiResponse": ".api_response",
    "Configuration": ".configuration",
    "RetryPolicy": ".retry",
    **{
        name: ".exceptions"
        for name in (
            "ApiArgumentError",
            "ApiAttributeError",
            "ApiConnectionError",
            "ApiException",
            "ApiKeyError",
            "ApiTimeoutError",
            "ApiTypeError",
            "ApiValueError",
            "OpenApiException",
            "ResponseValidationError",
            "TooManyRequestsException",
        )
    },
    "HTTPValidationError": ".models.http_validation_error",
    "LocationInner": ".models.location_inner",
    "TokenUsageCount": ".models.token_usage_count",
    "TokenUsageResponse": ".models.token_usage_response",
    "TokenUsageScope": ".models.token_usage_scope",
    "ValidationError": ".models.validation_error",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
