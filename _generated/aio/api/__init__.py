"""The async API classes, loaded on first use."""

from typing import TYPE_CHECKING

from _generated._lazy import lazy_exports

if TYPE_CHECKING:
    from _generated.aio.api.usage_api import UsageApi

__all__ = ["UsageApi"]

__getattr__, __dir__ = lazy_exports(__name__, {"UsageApi": ".usage_api"})
