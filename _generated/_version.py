"""Package version (kept in a module of its own so importing it is free)."""

__version__ = "0.1.0"
