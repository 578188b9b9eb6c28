"""``genai-usage cache info`` and ``genai-usage cache clear``."""

from __future__ import annotations

import argparse
import warnings

from _generated.cli.codes import EXIT_OK, OutputError
from _generated.cli.messages import one_line, write_stderr
from _generated.cli.output import check_cache_dir, write_stdout
from _generated.reports import UsageCache, UsageCacheWarning

__all__ = ["run_cache"]


def run_cache(args: argparse.Namespace) -> int:
    """Show the cache's place and size, or empty it."""
    cache = UsageCache(check_cache_dir(args.cache_dir))
    # The cache's warnings (a corrupt file set aside) become genai-usage: lines.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UsageCacheWarning)
        try:
            return _run(args.action, cache)
        finally:
            cache.close()
            for message in dict.fromkeys(str(warning.message) for warning in caught):
                write_stderr(one_line(f"warning: {message}", ()))


def _run(action: str, cache: UsageCache) -> int:
    if action == "clear":
        try:
            removed = cache.clear()
        except OSError as exc:  # read-only: a "removed 0" would hide that nothing was
            raise OutputError(str(exc)) from exc
        write_stdout([f"removed {removed} window(s) from {cache.path}\n"])
        return EXIT_OK
    info = cache.info()
    state = ""
    if not info.exists:
        # $GENAI_USAGE_CACHE_DIR naming a file: say so, as --cache-dir FILE does.
        usable = info.directory.is_dir() or not info.directory.exists()
        state = " (not created yet)" if usable else " (cannot be created: not a directory)"
    write_stdout(
        [
            f"directory: {info.directory}\n"
            f"database:  {info.path}{state}\n"
            f"windows:   {info.windows}\n"
            f"size:      {info.size_bytes:,} bytes\n"
            f"schema:    {info.schema_version}\n"
        ]
    )
    return EXIT_OK
