"""``Configuration``: the sync package's class (one configuration for both clients)."""

from _generated.configuration import *  # noqa: F403
from _generated.configuration import __all__ as __all__
