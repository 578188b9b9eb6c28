"""``genai-usage cache info`` and ``genai-usage cache clear``."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from _generated.cli.codes import EXIT_OK, OutputError, UsageError
from _generated.cli.messages import one_line
from _generated.reports import UsageCache, UsageCacheWarning

__all__ = ["run_cache"]


def run_cache(args: argparse.Namespace) -> int:
    """Show the cache's place and size, or empty it."""
    directory = args.cache_dir
    if directory is not None and os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"argument --cache-dir: {directory!r} is not a directory")
    cache = UsageCache(directory)
    # The cache's warnings (a corrupt file set aside) become genai-usage: lines.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UsageCacheWarning)
        try:
            return _run(args.action, cache)
        finally:
            cache.close()
            for message in dict.fromkeys(str(warning.message) for warning in caught):
                sys.stderr.write(one_line(f"warning: {message}", ()))


def _run(action: str, cache: UsageCache) -> int:
    if action == "clear":
        try:
            removed = cache.clear()
        except OSError as exc:  # read-only: a "removed 0" would hide that nothing was
            raise OutputError(str(exc)) from exc
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
