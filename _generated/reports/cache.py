"""A cache of closed report windows, in SQLite, so a closed window is never fetched twice.

A window is *closed* when its end lies more than ``settle`` (default one hour) before now:
the engine's past windows do not change, but rows of the last minutes may still arrive.
Closed windows are stored after they are fetched and read back instead of being fetched
again; open windows are always fetched and never stored.

Where: ``$GENAI_USAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/genai-usage``, else
``~/.cache/genai-usage`` (:func:`default_cache_dir`); the directory is made 0700 and the
database file 0600. What identifies a window: the normalised base URL (with any path
prefix), a one-way fingerprint of the credential (tenants see different data; the token
itself is never stored), the group-by set and the window's UTC bounds. The schema is
versioned: a cache of another version is discarded.

Faults never give wrong numbers: a corrupt entry or database gives a
:class:`UsageCacheWarning` and the window is fetched again; a read-only directory or a full
disk give a warning and the run goes on without storing (a file that can be read but not
written is still read). Several processes may use one cache at once (SQLite's locking, with
a busy timeout).
"""

from __future__ import annotations

import hashlib
import os
import warnings
import weakref
from array import array
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import urlsplit

from _generated._constants import CACHE_DIR_ENV, CACHE_SETTLE
from _generated._http import SENSITIVE_HEADERS
from _generated.exceptions import ApiArgumentError
from _generated.reports.cachedb import FILE_NAME, SCHEMA_VERSION, CacheDatabase
from _generated.reports.periods import UTC, Window
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["CacheInfo", "UsageCache", "UsageCacheWarning", "default_cache_dir", "is_closed"]


def is_closed(window: Window, now: datetime, settle: timedelta) -> bool:
    """True when ``window`` ended more than ``settle`` before ``now`` (aware): its counts no
    longer change, so it may be stored."""
    return window.end.astimezone(UTC) < now.astimezone(UTC) - settle


class UsageCacheWarning(UserWarning):
    """The report cache could not be used (corrupt, unreadable or unwritable): it was
    bypassed, and the affected windows were fetched from the server."""


def default_cache_dir() -> Path:
    """``$GENAI_USAGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/genai-usage``, else
    ``~/.cache/genai-usage``."""
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "genai-usage"


@dataclass(frozen=True)
class CacheInfo:
    """What :meth:`UsageCache.info` reports."""

    directory: Path
    path: Path
    exists: bool
    windows: int
    size_bytes: int
    schema_version: int


def normalised_base_url(host: str) -> str:
    """``scheme://host[:port]/prefix``: lower case, default port and userinfo dropped, no
    trailing slash."""
    parts = urlsplit(host.strip())
    scheme = parts.scheme.lower()
    hostname = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = hostname if port in (None, default) else f"{hostname}:{port}"
    if ":" in hostname:
        netloc = f"[{hostname}]" if port in (None, default) else f"[{hostname}]:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


# Headers that say who is asking (a proxy's credentials do not select the data).
_TENANT_HEADERS = SENSITIVE_HEADERS - {"authorization", "proxy-authorization"}


def credential_fingerprint(api: Any) -> str:
    """A one-way fingerprint of the credential the API's client sends ("" for none)."""
    client = getattr(api, "api_client", None)
    configuration = getattr(client, "configuration", None)
    secrets: list[str] = []
    auth_settings = getattr(configuration, "auth_settings", None)
    if callable(auth_settings):
        for setting in auth_settings().values():
            secrets.append(f"{setting.get('in')}:{setting.get('key')}:{setting.get('value')}")
    headers = getattr(client, "default_headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            secrets.append(f"header:{value}")
        elif name.lower() in _TENANT_HEADERS:
            secrets.append(f"header:{name.lower()}:{value}")
    cookie = getattr(client, "cookie", None)
    if cookie:  # a session cookie selects the tenant as a token does
        secrets.append(f"cookie:{cookie}")
    if not secrets:
        return ""
    digest = hashlib.sha256(b"genai-usage-cache-credential\0")
    digest.update("\0".join(sorted(secrets)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class UsageCache:
    """The cache of closed report windows; pass it as ``fetch_usage(..., cache=...)``.

    ``directory``: where the database lives (default :func:`default_cache_dir`).
    ``settle``: how long after its end a window counts as closed (a ``timedelta`` or
    seconds, at least 0; default one hour). Nothing is touched on disk until first use.
    """

    def __init__(
        self,
        directory: Union[str, os.PathLike[str], None] = None,
        *,
        settle: Union[timedelta, float] = timedelta(seconds=CACHE_SETTLE),
    ) -> None:
        margin: object = settle
        if isinstance(settle, (int, float)) and not isinstance(settle, bool):
            try:
                margin = timedelta(seconds=settle)
            except (ValueError, OverflowError):  # NaN, infinity, beyond timedelta's range
                margin = None
        if not isinstance(margin, timedelta) or margin < timedelta(0):
            raise ApiArgumentError.for_argument(
                "settle", settle, "a timedelta or seconds of at least 0"
            )
        if directory is not None and not isinstance(directory, (str, os.PathLike)):
            raise ApiArgumentError.for_argument("directory", directory, "None, a str or a path")
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.settle = margin
        self._database = CacheDatabase(self.directory, self._warn)
        # (keys, table, their numbers) of the last window loaded; windows share the array.
        self._last_groups: Optional[tuple[list[Any], weakref.ref[GroupTable], array[int]]] = None
        self.path = self._database.path

    def __repr__(self) -> str:
        return f"UsageCache(directory={str(self.directory)!r}, settle={self.settle!r})"

    # -- the closed/open rule -----------------------------------------------------------

    def is_closed(self, window: Window, now: datetime) -> bool:
        """True when ``window`` ended more than ``settle`` before ``now`` (aware)."""
        return is_closed(window, now, self.settle)

    @staticmethod
    def scope(api: Any, group_by: tuple[str, ...]) -> str:
        """The key part shared by the windows of one server, credential and group-by set."""
        host = str(
            getattr(getattr(getattr(api, "api_client", None), "configuration", None), "host", "")
        )
        parts = [normalised_base_url(host), credential_fingerprint(api), ",".join(sorted(group_by))]
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()

    # -- reading and writing ------------------------------------------------------------

    def load(self, scope: str, window: Window, table: GroupTable) -> Optional[WindowColumns]:
        """The stored rows of a closed ``window``, or ``None`` (not stored, or unusable)."""
        stored = self._database.load(scope, *_bounds(window))
        if stored is None:
            return None
        keys, (_, inference, prompt, completion) = stored
        last = self._last_groups
        if last is not None and last[0] is keys and last[1]() is table:
            groups = last[2]  # the same keys as the last window: the same numbers
        else:
            groups = table.numbers(keys)
            self._last_groups = (keys, weakref.ref(table), groups)
        columns = WindowColumns(window, groups, inference, prompt, completion)
        columns.ordered = True  # stored after put_in_order()
        return columns

    def contains(self, scope: str, window: Window) -> bool:
        """True when a closed ``window`` is stored (``load`` may still find it unusable)."""
        return self._database.contains(scope, *_bounds(window))

    def store(self, scope: str, segment: WindowColumns, table: GroupTable) -> None:
        """Store the rows of a closed window (best effort: a failure only warns)."""
        segment.put_in_order(table)
        keys = table.keys
        self._database.store(
            scope,
            *_bounds(segment.window),
            [keys[g] for g in segment.groups],
            (segment.inference, segment.eval_prompt, segment.eval_completion),
        )

    def info(self) -> CacheInfo:
        """Where the cache is, how many windows it holds and its size on disk."""
        exists = self.path.exists()
        windows = self._database.count() if exists else 0
        size = (
            sum(p.stat().st_size for p in self.directory.glob(FILE_NAME + "*") if p.is_file())
            if self.directory.is_dir()
            else 0
        )
        return CacheInfo(self.directory, self.path, exists, windows, size, SCHEMA_VERSION)

    def clear(self) -> int:
        """Remove every stored window; returns how many there were.

        Raises ``OSError``, naming the file and why, when they cannot be removed (a
        read-only file or directory): nothing was removed then."""
        if not self.path.exists():
            return 0
        before = self._database.count()
        self._database.clear()
        return before

    def close(self) -> None:
        """Close the database connection (it is reopened on next use)."""
        self._database.close()

    def __enter__(self) -> UsageCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def unusable(self, reason: str) -> None:
        """Warn that a report runs without the cache, and why."""
        self._warn(f"{reason}; running without the cache")

    def _warn(self, message: str) -> None:
        warnings.warn(f"report cache {self.path}: {message}", UsageCacheWarning, stacklevel=5)


def _bounds(window: Window) -> tuple[str, str]:
    return (window.start.astimezone(UTC).isoformat(), window.end.astimezone(UTC).isoformat())
