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
disk give a warning and the run goes on without the cache. Several processes may use one
cache at once (SQLite's locking, with a busy timeout).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import warnings
import zlib
from array import array
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import urlsplit

from _generated._constants import CACHE_DIR_ENV, CACHE_SETTLE
from _generated.exceptions import ApiArgumentError
from _generated.reports.periods import UTC, Window
from _generated.reports.store import GroupTable, WindowColumns

__all__ = ["CacheInfo", "UsageCache", "UsageCacheWarning", "default_cache_dir"]

#: Bumped whenever what is stored changes; a cache of another version is discarded.
SCHEMA_VERSION = 1
_FILE_NAME = "windows-v1.sqlite3"
# Seconds to wait for another process's write lock.
_BUSY_TIMEOUT = 10.0


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
        if isinstance(settle, (int, float)) and not isinstance(settle, bool):
            settle = timedelta(seconds=settle)
        if not isinstance(settle, timedelta) or settle < timedelta(0):
            raise ApiArgumentError.for_argument(
                "settle", settle, "a timedelta or seconds of at least 0"
            )
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.settle = settle
        self.path = self.directory / _FILE_NAME
        self._connection: Optional[sqlite3.Connection] = None
        self._lock = threading.Lock()
        self._disabled = False

    def __repr__(self) -> str:
        return f"UsageCache(directory={str(self.directory)!r}, settle={self.settle!r})"

    # -- the closed/open rule -----------------------------------------------------------

    def is_closed(self, window: Window, now: datetime) -> bool:
        """True when ``window`` ended more than ``settle`` before ``now`` (aware)."""
        return window.end.astimezone(UTC) <= now.astimezone(UTC) - self.settle

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
        start, end = _bounds(window)
        row = self._query(
            "SELECT payload, digest FROM windows WHERE scope=? AND start=? AND end=?",
            (scope, start, end),
        )
        if row is None:
            return None
        payload, digest = row
        try:
            if hashlib.sha256(payload).hexdigest() != digest:
                raise ValueError("checksum mismatch")
            keys, inference, prompt, completion = json.loads(zlib.decompress(payload))
            return WindowColumns(
                window,
                table.numbers([(k[0], k[1]) for k in keys]),
                array("q", inference),
                array("q", prompt),
                array("q", completion),
            )
        except (ValueError, TypeError, IndexError, zlib.error, OverflowError) as exc:
            self._warn(f"a cached window is corrupt ({exc}); fetching it again")
            return None

    def store(self, scope: str, segment: WindowColumns, table: GroupTable) -> None:
        """Store the rows of a closed window (best effort: a failure only warns)."""
        keys = table.keys
        document = [
            [[keys[g][0], keys[g][1]] for g in segment.groups],
            segment.inference.tolist(),
            segment.eval_prompt.tolist(),
            segment.eval_completion.tolist(),
        ]
        payload = zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 1)
        start, end = _bounds(segment.window)
        self._execute(
            "INSERT OR REPLACE INTO windows (scope, start, end, payload, digest, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                scope,
                start,
                end,
                payload,
                hashlib.sha256(payload).hexdigest(),
                datetime.now(UTC).isoformat(),
            ),
        )

    def info(self) -> CacheInfo:
        """Where the cache is, how many windows it holds and its size on disk."""
        exists = self.path.exists()
        windows = 0
        if exists:
            row = self._query("SELECT COUNT(*) FROM windows", ())
            windows = int(row[0]) if row else 0
        size = (
            sum(
                path.stat().st_size
                for path in self.directory.glob(_FILE_NAME + "*")
                if path.is_file()
            )
            if self.directory.is_dir()
            else 0
        )
        return CacheInfo(self.directory, self.path, exists, windows, size, SCHEMA_VERSION)

    def clear(self) -> int:
        """Remove every stored window; returns how many there were."""
        if not self.path.exists():
            return 0
        before = self.info().windows
        self._execute("DELETE FROM windows", ())
        return before

    def close(self) -> None:
        """Close the database connection (it is reopened on next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- the database -------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        warnings.warn(f"report cache {self.path}: {message}", UsageCacheWarning, stacklevel=4)

    def _connect(self) -> Optional[sqlite3.Connection]:
        if self._connection is not None or self._disabled:
            return self._connection
        try:
            if not self.directory.exists():
                self.directory.mkdir(mode=0o700, parents=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, check_same_thread=False)
            try:
                _prepare(connection)
            except BaseException:
                connection.close()
                raise
        except sqlite3.DatabaseError as exc:
            if _unwritable(exc):
                self._disable(f"cannot write ({exc}); running without the cache")
                return None
            # Not a database we can read: start afresh rather than give wrong numbers.
            self._warn(f"unreadable ({exc}); discarding it and fetching every window")
            try:
                os.replace(self.path, self.path.with_suffix(".corrupt"))
                return self._connect()
            except OSError:
                self._disable("cannot replace the corrupt file; running without the cache")
                return None
        except OSError as exc:
            self._disable(f"cannot use the directory ({exc}); running without the cache")
            return None
        self._connection = connection
        return connection

    def _disable(self, message: str) -> None:
        self._disabled = True
        self._warn(message)

    def _query(self, sql: str, parameters: tuple[Any, ...]) -> Optional[tuple[Any, ...]]:
        with self._lock:
            connection = self._connect()
            if connection is None:
                return None
            try:
                row: Optional[tuple[Any, ...]] = connection.execute(sql, parameters).fetchone()
                return row
            except sqlite3.DatabaseError as exc:
                self._disable(f"cannot read ({exc}); running without the cache")
                return None

    def _execute(self, sql: str, parameters: tuple[Any, ...]) -> None:
        with self._lock:
            connection = self._connect()
            if connection is None:
                return
            try:
                with connection:
                    connection.execute(sql, parameters)
            except sqlite3.DatabaseError as exc:
                self._disable(f"cannot write ({exc}); running without the cache")


def _prepare(connection: sqlite3.Connection) -> None:
    """Create the schema, or discard a cache of another schema version."""
    with connection:
        connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and row[0] != str(SCHEMA_VERSION):
            connection.execute("DROP TABLE IF EXISTS windows")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS windows (scope TEXT NOT NULL, start TEXT NOT NULL, "
            "end TEXT NOT NULL, payload BLOB NOT NULL, digest TEXT NOT NULL, "
            "stored_at TEXT NOT NULL, PRIMARY KEY (scope, start, end))"
        )
        connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )


def _unwritable(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return (
        "readonly" in text
        or "read-only" in text
        or "disk is full" in text
        or ("unable to open" in text)
    )


def _bounds(window: Window) -> tuple[str, str]:
    return (window.start.astimezone(UTC).isoformat(), window.end.astimezone(UTC).isoformat())
