"""The schema's models, loaded on first use."""

from typing import TYPE_CHECKING

from _generated._lazy import lazy_exports

if TYPE_CHECKING:
    from _generated.models.http_validation_error import HTTPValidationError
    from _generated.models.location_inner import LocationInner
    from _generated.models.token_usage_count import TokenUsageCount
    from _generated.models.token_usage_response import TokenUsageResponse
    from _generated.models.token_usage_scope import TokenUsageScope
    from _generated.models.validation_error import ValidationError

__all__ = [
    "HTTPValidationError",
    "LocationInner",
    "TokenUsageCount",
    "TokenUsageResponse",
    "TokenUsageScope",
    "ValidationError",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "HTTPValidationError": ".http_validation_error",
        "LocationInner": ".location_inner",
        "TokenUsageCount": ".token_usage_count",
        "TokenUsageResponse": ".token_usage_response",
        "TokenUsageScope": ".token_usage_scope",
        "ValidationError": ".validation_error",
    },
)
