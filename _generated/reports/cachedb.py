"""The SQLite file behind ``UsageCache``: schema, group ids, window payloads, faults.

Each distinct group key of a scope is stored once (``groups``) with a number; a window's
payload is those numbers and its three counts as little-endian int64 columns, compressed,
with a SHA-256 digest. Reading a window is then a few C-level copies, not a parse.
The database runs in WAL mode (readers never wait for a writer; commits need no fsync of
the main file), with a busy timeout so that several processes can share it. A file that
cannot be written (a read-only file or directory) is opened read-only: its windows are
read, nothing is stored and clearing it fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import threading
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from _generated.reports.periods import UTC

_json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii

__all__ = ["FILE_NAME", "SCHEMA_VERSION", "CacheDatabase", "Columns"]

#: Bumped whenever what is stored changes; a cache of another version is discarded.
SCHEMA_VERSION = 2
# The name is fixed (the CLI documents it); the schema version lives inside the file.
FILE_NAME = "windows-v1.sqlite3"
# Seconds to wait for another process's write lock.
_BUSY_TIMEOUT = 10.0
# Seconds between attempts to switch a new file to WAL mode while another process does.
_WAL_RETRY = 0.02
# URI options of a read-only connection: with the writers' -shm index when there is one, else
# as immutable (no writer is active, and a WAL file without its -shm cannot be opened
# read-only in a directory we cannot write); each window's digest is checked either way.
_READ_ONLY = "mode=ro"
_IMMUTABLE = "mode=ro&immutable=1"
_INT = "q"
# Two variables a row: within the 999 variables per statement of SQLite before 3.32
# (where the connection cannot say its limit).
_SAFE_ROWS_PER_INSERT = 499

Key = tuple[Optional[str], Optional[str]]
#: Group ids, inference, eval prompt, eval completion.
Columns = tuple["array[int]", "array[int]", "array[int]", "array[int]"]


class CacheDatabase:
    """One cache file; every method is safe to call from several threads.

    ``warn`` is called with a message when the file is unusable; the database then turns
    itself off for the rest of the process (every call answers "nothing stored"). A file
    that can be read but not written is used read-only: loads work, stores do nothing.
    """

    def __init__(self, directory: Path, warn: Callable[[str], None]) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self._warn = warn
        self._connection: Optional[sqlite3.Connection] = None
        self._lock = threading.Lock()
        self._disabled = False
        # Why nothing can be written (the cache is off or read-only); None while it can.
        self._unwritable: Optional[str] = None
        self._rows_per_insert = _SAFE_ROWS_PER_INSERT
        self._ids: dict[str, dict[Key, int]] = {}
        self._keys: dict[str, dict[int, Key]] = {}
        # (the scope's id -> key mapping, the ids' bytes, their keys) of the last load.
        self._last_keys: Optional[tuple[Optional[dict[int, Key]], bytes, list[Key]]] = None

    # -- windows --------------------------------------------------------------------------

    def load(self, scope: str, start: str, end: str) -> Optional[tuple[list[Key], Columns]]:
        """The keys and columns of a stored window; ``None`` if absent or unusable."""
        row = self._fetchone(
            "SELECT payload, digest FROM windows WHERE scope=? AND start=? AND end=?",
            (scope, start, end),
        )
        if row is None:
            return None
        payload, digest = row
        try:
            if hashlib.sha256(payload).hexdigest() != digest:
                raise ValueError("checksum mismatch")
            columns = _decode(payload)
            keys = self._keys_of(scope, columns[0])
        except (ValueError, TypeError, zlib.error) as exc:
            self._warn(f"a cached window is corrupt ({exc}); fetching it again")
            return None
        return keys, columns

    def contains(self, scope: str, start: str, end: str) -> bool:
        """True when a window is stored (its payload is neither read nor checked)."""
        row = self._fetchone(
            "SELECT 1 FROM windows WHERE scope=? AND start=? AND end=?", (scope, start, end)
        )
        return row is not None

    def store(self, scope: str, start: str, end: str, keys: Sequence[Key], counts: Any) -> None:
        """Store a window's rows (best effort: a failure only warns and turns the cache off)."""
        ids = self._ids_of(scope, keys)
        if ids is None:
            return
        payload = _encode(array(_INT, ids), *counts)
        self._write(
            [
                (
                    "INSERT OR REPLACE INTO windows (scope, start, end, payload, digest, "
                    "stored_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        scope,
                        start,
                        end,
                        payload,
                        hashlib.sha256(payload).hexdigest(),
                        datetime.now(UTC).isoformat(),
                    ),
                )
            ]
        )

    def count(self) -> int:
        """How many windows are stored."""
        row = self._fetchone("SELECT COUNT(*) FROM windows", ())
        return int(row[0]) if row else 0

    def clear(self) -> None:
        """Remove every stored window and group; ``OSError`` saying why when it cannot."""
        if not self._write([("DELETE FROM windows", ()), ("DELETE FROM groups", ())]):
            # The warning's advice does not belong in the error.
            reason = self._unwritable or "it cannot be written"
            raise OSError(f"cannot clear the report cache {self.path}: {reason}")
        self._ids.clear()
        self._keys.clear()
        self._last_keys = None

    def close(self) -> None:
        """Close the connection (it is reopened on next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __del__(self) -> None:
        # Nothing else can hold this object now, so no lock: an unclosed sqlite3 connection
        # warns on Python 3.13 when it is collected.
        connection = getattr(self, "_connection", None)
        if connection is not None:
            connection.close()

    # -- groups ---------------------------------------------------------------------------

    def _load_groups(self, scope: str) -> None:
        rows = self._fetchall("SELECT id, key FROM groups WHERE scope=?", (scope,))
        keys: dict[int, Key] = {}
        for i, text in rows:
            key = _parse_key(text)
            if key is not None:  # a corrupt key is left out: its windows are fetched again
                keys[int(i)] = key
        self._keys[scope] = keys
        self._ids[scope] = {key: i for i, key in keys.items()}

    def _keys_of(self, scope: str, ids: array[int]) -> list[Key]:
        """The keys of ``ids``; the same list object again when a window of the same scope
        has the same ids as the last one (closed windows usually do), so that callers can
        reuse what they derived from it."""
        known = self._keys.get(scope)
        layout = ids.tobytes()
        last = self._last_keys
        if last is not None and last[0] is known and last[1] == layout:
            return last[2]
        if known is None or not set(ids) <= known.keys():
            self._load_groups(scope)  # another process may have added groups
            known = self._keys[scope]
        try:
            keys = list(map(known.__getitem__, ids))
        except KeyError as exc:
            raise ValueError(f"unknown group id {exc}") from None
        self._last_keys = (known, layout, keys)
        return keys

    def _ids_of(self, scope: str, keys: Sequence[Key]) -> Optional[list[int]]:
        if scope not in self._ids:
            self._load_groups(scope)
        ids = self._ids[scope]
        found = list(map(ids.get, keys))
        if None in found:
            new = [_key_text(k) for k, i in zip(keys, found, strict=True) if i is None]
            if not self._write(_group_inserts(scope, new, self._rows_per_insert)):
                return None
            self._load_groups(scope)
            found = list(map(self._ids[scope].get, keys))
            if None in found:
                return None
        return found  # type: ignore[return-value]

    # -- the connection -------------------------------------------------------------------

    def _connect(self, *, fresh: bool = False) -> Optional[sqlite3.Connection]:
        """The connection, opened on first use; ``fresh`` after a corrupt file was set aside."""
        if self._disabled:
            return None
        if self._connection is not None:
            return self._connection
        try:
            if not self.directory.exists():
                self.directory.mkdir(mode=0o700, parents=True)
            existed = self.path.exists()
            # Opened for writing first: SQLite would quietly open a read-only file read-only,
            # and leave -wal and -shm files nobody can write beside it.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            if existed:
                _owner_only(self.path)
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, check_same_thread=False)
            try:
                _prepare(connection)
            except BaseException:
                connection.close()
                raise
        except sqlite3.DatabaseError as exc:
            if not _corrupt(exc) or fresh:
                # Only a file SQLite calls corrupt is set aside; a full disk, an I/O error,
                # a lock held too long or no permission leave a good cache where it is.
                return self._connect_read_only(f"cannot write ({exc})")
            # Not a database we can read: start afresh rather than give wrong numbers.
            self._warn(f"unreadable ({exc}); discarding it and fetching every window")
            try:
                os.replace(self.path, self.path.with_suffix(".corrupt"))
            except OSError:
                self._disable("cannot replace the corrupt file")
                return None
            return self._connect(fresh=True)
        except OSError as exc:
            # The warning names the file already: the error's text without its path.
            what = "cannot write" if self.directory.is_dir() else "cannot use the directory"
            return self._connect_read_only(f"{what} ({exc.strerror or exc})")
        self._unwritable = None
        self._connection = connection
        self._rows_per_insert = _rows_per_insert(connection)
        return connection

    def _connect_read_only(self, reason: str) -> Optional[sqlite3.Connection]:
        """A read-only connection to the file that could not be opened for ``reason``; else
        the cache turns off. Callers hold the lock."""
        try:
            connection = _open_read_only(self.path) if self.path.is_file() else None
        except (sqlite3.DatabaseError, OSError):
            connection = None
        if connection is None:
            self._disable(reason)
            return None
        self._warn(f"{reason}; running without the cache for new windows, reading those stored")
        self._unwritable = reason
        self._connection = connection
        return connection

    def _disable(self, reason: str) -> None:
        self._unwritable = reason
        self._disabled = True
        if self._connection is not None:  # callers hold the lock
            self._connection.close()
            self._connection = None
        self._warn(f"{reason}; running without the cache")

    def _fetchall(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            connection = self._connect()
            if connection is None:
                return []
            try:
                return connection.execute(sql, parameters).fetchall()
            except sqlite3.DatabaseError as exc:
                self._disable(f"cannot read ({exc})")
                return []

    def _fetchone(self, sql: str, parameters: tuple[Any, ...]) -> Optional[tuple[Any, ...]]:
        rows = self._fetchall(sql, parameters)
        return rows[0] if rows else None

    def _write(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> bool:
        """Run ``(sql, parameters)`` statements in one transaction; False if the cache is off."""
        with self._lock:
            connection = self._connect()
            if connection is None or self._unwritable is not None:
                return False
            try:
                with connection:
                    for sql, parameters in statements:
                        connection.execute(sql, parameters)
            except sqlite3.DatabaseError as exc:
                self._disable(f"cannot write ({exc})")
                return False
            return True


def _owner_only(path: Path) -> None:
    """Take group and other permissions off a cache file of ours made looser (by hand or an
    old umask): the file and SQLite's -wal/-shm beside it hold the counts."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # no POSIX owners (Windows): permissions are the ACLs' business
        return
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            status = file.stat()
            if status.st_uid == getuid() and status.st_mode & 0o077:
                file.chmod(stat.S_IMODE(status.st_mode) & 0o700)
        except OSError:
            pass  # absent, or not ours to change: used as it is


def _prepare(connection: sqlite3.Connection) -> None:
    """Create the schema, or discard a cache of another schema version."""
    _switch_to_wal(connection)
    connection.execute("PRAGMA synchronous=NORMAL")
    with connection:
        connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and row[0] != str(SCHEMA_VERSION):
            connection.execute("DROP TABLE IF EXISTS windows")
            connection.execute("DROP TABLE IF EXISTS groups")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS groups (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "scope TEXT NOT NULL, key TEXT NOT NULL, UNIQUE (scope, key))"
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS windows (scope TEXT NOT NULL, start TEXT NOT NULL, "
            "end TEXT NOT NULL, payload BLOB NOT NULL, digest TEXT NOT NULL, "
            "stored_at TEXT NOT NULL, PRIMARY KEY (scope, start, end))"
        )
        connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )


def _open_read_only(path: Path) -> Optional[sqlite3.Connection]:
    """A connection that never writes to the cache file at ``path``; ``None`` when the file
    holds a cache of another schema version (only a writer may discard it)."""
    shared = path.with_name(path.name + "-shm").exists()
    for options in (_READ_ONLY, _IMMUTABLE) if shared else (_IMMUTABLE,):
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?{options}",
            uri=True,
            timeout=_BUSY_TIMEOUT,
            check_same_thread=False,
        )
        try:
            row = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError:
            connection.close()
            if options == _IMMUTABLE:
                raise
            continue
        if row is not None and row[0] == str(SCHEMA_VERSION):
            return connection
        connection.close()
        return None
    return None


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL``, retried for up to the busy timeout: SQLite answers
    "database is locked" at once, without its busy wait, while another process holds a
    write lock on a file not yet in WAL mode (two first runs at once)."""
    deadline = time.monotonic() + _BUSY_TIMEOUT
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
        time.sleep(_WAL_RETRY)


def _rows_per_insert(connection: sqlite3.Connection) -> int:
    """Group rows per INSERT: as many as the connection's variable limit allows."""
    getlimit = getattr(connection, "getlimit", None)  # Python 3.11+
    category = getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", None)
    if getlimit is None or category is None:
        return _SAFE_ROWS_PER_INSERT
    return max(1, min(int(getlimit(category)), 32766) // 2)


def _group_inserts(
    scope: str, texts: Sequence[str], rows_per_insert: int
) -> Iterator[tuple[str, list[str]]]:
    """INSERT statements for new group keys, many rows each.

    Each statement gives up the GIL while SQLite runs it and must wait to take it back
    while another thread parses a body (``executemany``, one step per row, took 43 s for
    35,000 groups next to a busy thread; 400 rows a statement 1.8 s; 16,383 0.5 s).
    """
    for first in range(0, len(texts), rows_per_insert):
        part = texts[first : first + rows_per_insert]
        values = ", ".join(["(?, ?)"] * len(part))
        yield (
            f"INSERT OR IGNORE INTO groups (scope, key) VALUES {values}",
            [value for text in part for value in (scope, text)],
        )


def _key_text(key: Key) -> str:
    """A group key as the JSON text ``[rule_type, task_id]`` (C-level string escaping)."""
    return "[" + ",".join("null" if v is None else _json_string(v) for v in key) + "]"


def _parse_key(text: object) -> Optional[Key]:
    """The key stored as ``[rule_type, task_id]`` (strings or null); ``None`` if corrupt."""
    try:
        value = json.loads(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if type(value) is not list or len(value) != 2:
        return None
    rule_type, task_id = value
    if (rule_type is None or type(rule_type) is str) and (task_id is None or type(task_id) is str):
        return (rule_type, task_id)
    return None


def _corrupt(exc: sqlite3.DatabaseError) -> bool:
    """True when SQLite says the file is not a (sound) database (SQLITE_NOTADB, _CORRUPT)."""
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def _encode(*columns: array[int]) -> bytes:
    """Four equal-length int64 columns as compressed little-endian bytes."""
    if sys.byteorder != "little":
        columns = tuple(array(_INT, column) for column in columns)
        for column in columns:
            column.byteswap()
    return zlib.compress(b"".join(column.tobytes() for column in columns), 1)


def _decode(payload: bytes) -> Columns:
    """The inverse of :func:`_encode`; ``ValueError`` when the bytes do not fit."""
    data = zlib.decompress(payload)
    if len(data) % 32:
        raise ValueError("the stored columns have unequal lengths")
    rows = len(data) // 32
    columns = []
    for i in range(4):
        column = array(_INT)
        column.frombytes(data[i * 8 * rows : (i + 1) * 8 * rows])
        if sys.byteorder != "little":
            column.byteswap()
        columns.append(column)
    return columns[0], columns[1], columns[2], columns[3]
