"""The schema's models: the sync package's classes."""

from _generated.models import *  # noqa: F403
from _generated.models import __all__ as __all__
