"""``ApiResponse``: the sync package's class."""

from _generated.api_response import *  # noqa: F403
from _generated.api_response import __all__ as __all__
