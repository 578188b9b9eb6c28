"""Exports of report columns: CSV, JSON, NDJSON, pandas, and writing them safely.

CSV and NDJSON are produced window by window (:func:`csv_chunks`, :func:`ndjson_chunks`)
from the columns, so a streamed report writes each window as it arrives. The text of a
group's cells is made once per group, not once per row. A path is written atomically: to a
temporary file in the same directory, renamed into place only when complete; a symlink's
target is replaced (the link stays), and a device, FIFO, socket or open descriptor
(``/dev/stdout``, ``/dev/fd/N``) is written in place, as replacing it would lose the output.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from typing import IO, Any, Final, NamedTuple, Optional, Union

from _generated._textsafety import csv_field
from _generated.exceptions import ApiTypeError
from _generated.reports.columns import COLUMNS
from _generated.reports.store import GroupTable, WindowColumns

__all__ = [
    "OutputTarget",
    "PathOrFile",
    "csv_chunks",
    "csv_text",
    "data_frame",
    "emit",
    "json_text",
    "ndjson_chunks",
    "ndjson_text",
    "open_output",
    "output_target",
    "write_chunks",
]

PathOrFile = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]

#: Where Linux lists a process's open descriptors: ``/dev/stdout`` and ``/dev/fd/N`` lead here.
_DESCRIPTORS: Final = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd")
#: Symbolic links followed looking for a descriptor (the kernel's own limit).
_MAX_LINKS: Final = 40


class _Cells:
    """The export text of each group of a table, made once per group on first use."""

    def __init__(self, table: GroupTable, make: Any) -> None:
        self._table = table
        self._make = make
        self._cells: list[str] = []

    def get(self) -> list[str]:
        keys = self._table.keys
        if len(self._cells) < len(keys):
            self._cells.extend(self._make(key) for key in keys[len(self._cells) :])
        return self._cells


def csv_header() -> str:
    """The CSV header line: :data:`COLUMNS`."""
    return ",".join(COLUMNS) + "\n"


def csv_chunks(
    segments: Iterable[WindowColumns],
    table: GroupTable,
    *,
    header: bool = True,
    formula_guard: bool = False,
) -> Iterator[str]:
    """CSV text: the header, then one chunk per window's rows; with ``formula_guard``, a
    group name a spreadsheet would run as a formula gets a leading apostrophe."""
    if header:
        yield csv_header()
    raw = not formula_guard
    cells = _Cells(table, lambda key: f"{csv_field(key[0], raw=raw)},{csv_field(key[1], raw=raw)}")
    for segment in segments:
        prefix = f"{segment.window.start.isoformat()},{segment.window.end.isoformat()},"
        names = cells.get()
        yield "".join(
            [
                f"{prefix}{names[g]},{a},{b},{c},{total}\n"
                for g, a, b, c, total in zip(
                    segment.groups,
                    segment.inference,
                    segment.eval_prompt,
                    segment.eval_completion,
                    segment.totals(),
                    strict=True,
                )
            ]
        )


def csv_text(
    segments: Iterable[WindowColumns], table: GroupTable, *, formula_guard: bool = False
) -> str:
    """The whole CSV (see :func:`csv_chunks`) as one string."""
    return "".join(csv_chunks(segments, table, formula_guard=formula_guard))


def ndjson_chunks(segments: Iterable[WindowColumns], table: GroupTable) -> Iterator[str]:
    """NDJSON text, one chunk per window: each line ``json.dumps(row.to_dict())``."""
    cells = _Cells(
        table,
        lambda key: f'"rule_type": {json.dumps(key[0])}, "task_id": {json.dumps(key[1])}',
    )
    for segment in segments:
        start = json.dumps(segment.window.start.isoformat())
        end = json.dumps(segment.window.end.isoformat())
        prefix = f'{{"window_start": {start}, "window_end": {end}, '
        names = cells.get()
        yield "".join(
            [
                f'{prefix}{names[g]}, "inference": {a}, "eval_prompt": {b}, '
                f'"eval_completion": {c}, "total": {a + b + c}}}\n'
                for g, a, b, c in zip(
                    segment.groups,
                    segment.inference,
                    segment.eval_prompt,
                    segment.eval_completion,
                    strict=True,
                )
            ]
        )


def ndjson_text(segments: Iterable[WindowColumns], table: GroupTable) -> str:
    """The whole NDJSON (see :func:`ndjson_chunks`) as one string."""
    return "".join(ndjson_chunks(segments, table))


def json_text(document: dict[str, Any], indent: int) -> str:
    """A JSON document and a final newline."""
    return json.dumps(document, indent=indent) + "\n"


def data_frame(segments: Iterable[WindowColumns], table: GroupTable) -> Any:
    """A ``pandas.DataFrame`` with the columns :data:`COLUMNS`, built from the columns."""
    try:
        import pandas as pd  # optional extra, needed only here
    except ImportError as exc:
        raise ImportError(
            "UsageReport.to_pandas() needs pandas, which is not installed: "
            "pip install 'genai-engine-usage-client[pandas]'"
        ) from exc
    data: dict[str, list[Any]] = {column: [] for column in COLUMNS}
    keys = table.keys
    for segment in segments:
        n = len(segment)
        data["window_start"].extend([segment.window.start] * n)
        data["window_end"].extend([segment.window.end] * n)
        data["rule_type"].extend(keys[g].rule_type for g in segment.groups)
        data["task_id"].extend(keys[g].task_id for g in segment.groups)
        data["inference"].extend(segment.inference)
        data["eval_prompt"].extend(segment.eval_prompt)
        data["eval_completion"].extend(segment.eval_completion)
        data["total"].extend(
            map(
                sum,
                zip(segment.inference, segment.eval_prompt, segment.eval_completion, strict=True),
            )
        )
    return pd.DataFrame(data, columns=list(COLUMNS))


class OutputTarget(NamedTuple):
    """Where writing a path goes: ``path`` to write, in place if ``direct``, else replaced."""

    path: str
    direct: bool


def output_target(path: str) -> OutputTarget:
    """Where writing ``path`` goes: a regular file (or a new one) is replaced atomically, at
    the file a symlink names so the link stays a link; a device, FIFO, socket or open
    descriptor (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``) is written in place."""
    if _names_descriptor(path):
        return OutputTarget(path, True)
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        regular = True  # nothing there yet, or a dangling link: a new file
    return OutputTarget(os.path.realpath(path), False) if regular else OutputTarget(path, True)


def _names_descriptor(path: str) -> bool:
    """Whether ``path`` leads, through symlinks, to an entry of a ``/proc/<pid>/fd``."""
    for _ in range(_MAX_LINKS):
        parent = os.path.dirname(os.path.abspath(path))
        if _DESCRIPTORS.fullmatch(os.path.realpath(parent)):
            return True
        try:
            path = os.path.join(parent, os.readlink(path))
        except OSError:  # not a link (or gone): the end of the chain
            return False
    return False


def _naming(error: OSError, path: str) -> OSError:
    """``error`` naming ``path`` (the caller's), not the hidden temporary file."""
    if error.errno is None:
        return OSError(f"{error}: {path!r}")
    # OSError() picks the subclass of the errno (FileNotFoundError, PermissionError, ...).
    return OSError(error.errno, error.strerror or str(error), path)


class open_output:
    """A text sink for ``path_or_file``: a path is written atomically, a file object as is.

    ``with open_output(target) as write: write(chunk)``; for a path, the data goes to a
    temporary file in the same directory, renamed over the target only when the block ends
    without an error (the old file's permissions are kept); on an error the temporary file
    is removed and the old file is left as it was. A symlink's target is replaced, and a
    device, FIFO, socket or open descriptor is written in place (see :func:`output_target`).
    An ``OSError`` names the given path.
    """

    def __init__(self, path_or_file: PathOrFile) -> None:
        self._target = path_or_file
        self._handle: Optional[IO[str]] = None
        self._temporary: Optional[str] = None
        self._final = ""

    def __enter__(self) -> Any:
        target = self._target
        if isinstance(target, (str, os.PathLike)):
            return self._open(os.fspath(target))
        write = getattr(target, "write", None)
        if not callable(write):
            raise ApiTypeError(
                "path_or_file must be a path or a file object with write(), "
                f"got {type(target).__name__}"
            )
        if isinstance(target, (io.RawIOBase, io.BufferedIOBase)) or "b" in str(
            getattr(target, "mode", "")
        ):
            return lambda text: write(text.encode("utf-8"))
        return write

    def _open(self, path: str) -> Any:
        try:
            self._handle = self._handle_for(path, output_target(path))
        except OSError as error:
            raise _naming(error, path) from error
        return self._handle.write

    def _handle_for(self, path: str, where: OutputTarget) -> IO[str]:
        if where.direct:
            # Append: a file behind /dev/stdout keeps what a shell's >> put there.
            return open(path, "a", encoding="utf-8", newline="")
        fd, self._temporary = _create_beside(where.path)
        self._final = where.path
        return open(fd, "w", encoding="utf-8", newline="")

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self._handle is None:
            return
        try:
            self._handle.close()
            if exc_type is None and self._temporary is not None:
                try:
                    os.chmod(self._temporary, os.stat(self._final).st_mode & 0o7777)
                except FileNotFoundError:
                    pass  # a new file: created 0666 less the umask, as open() would
                os.replace(self._temporary, self._final)
                self._temporary = None
        except OSError as error:
            raise _naming(error, os.fspath(self._target)) from error  # type: ignore[arg-type]
        finally:
            if self._temporary is not None:
                try:
                    os.unlink(self._temporary)
                except OSError:
                    pass


def _create_beside(path: str) -> tuple[int, str]:
    """A new, uniquely named temporary file next to ``path``: (descriptor, its path)."""
    directory, name = os.path.split(path)
    while True:
        temporary = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            # Mode 0666: the kernel applies the umask, as for a file open() creates.
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


def write_chunks(chunks: Iterable[str], path_or_file: PathOrFile) -> None:
    """Write ``chunks`` one by one to a path (atomically) or file object."""
    with open_output(path_or_file) as write:
        for chunk in chunks:
            write(chunk)


def emit(text: str, path_or_file: Optional[PathOrFile]) -> str:
    """Write ``text`` to a path (atomically) or file object, if given, and return it."""
    if path_or_file is not None:
        with open_output(path_or_file) as write:
            write(text)
    return text
