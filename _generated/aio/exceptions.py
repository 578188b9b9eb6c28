"""The exception classes: the sync package's own (one tree for both clients)."""

from _generated.exceptions import *  # noqa: F403
from _generated.exceptions import __all__ as __all__
