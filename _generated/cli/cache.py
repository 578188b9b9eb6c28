"""``genai-usage cache info`` and ``genai-usage cache clear``."""

from __future__ import annotations

import argparse
import os
import sys

from _generated.cli.codes import EXIT_OK, UsageError
from _generated.reports import UsageCache

__all__ = ["run_cache"]


def run_cache(args: argparse.Namespace) -> int:
    """Show the cache's place and size, or empty it."""
    directory = args.cache_dir
    if directory is not None and os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"argument --cache-dir: {directory!r} is not a directory")
    cache = UsageCache(directory)
    try:
        if args.action == "clear":
            removed = cache.clear()
            sys.stdout.write(f"removed {removed} window(s) from {cache.path}\n")
            return EXIT_OK
        info = cache.info()
        sys.stdout.write(
            f"directory: {info.directory}\n"
            f"database:  {info.path}{'' if info.exists else ' (not created yet)'}\n"
            f"windows:   {info.windows}\n"
            f"size:      {info.size_bytes:,} bytes\n"
            f"schema:    {info.schema_version}\n"
        )
        return EXIT_OK
    finally:
        cache.close()
