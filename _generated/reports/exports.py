"""Exports of report columns: CSV, JSON, NDJSON, pandas, and writing them safely.

CSV and NDJSON are produced window by window (:func:`csv_chunks`, :func:`ndjson_chunks`)
from the columns, so a streamed report writes each window as it arrives. The text of a
group's cells is made once per group, not once per row. A path is written atomically: to a
temporary file in the same directory, renamed into place only when complete.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from typing import IO, Any, Optional, Union

from _generated._textsafety import csv_field
from _generated.exceptions import ApiTypeError
from _generated.reports.columns import COLUMNS
from _generated.reports.store import GroupTable, WindowColumns

__all__ = [
    "PathOrFile",
    "csv_chunks",
    "csv_text",
    "data_frame",
    "emit",
    "json_text",
    "ndjson_chunks",
    "ndjson_text",
    "open_output",
    "write_chunks",
]

PathOrFile = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]


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


class open_output:
    """A text sink for ``path_or_file``: a path is written atomically, a file object as is.

    ``with open_output(target) as write: write(chunk)``; for a path, the data goes to a
    temporary file in the same directory, renamed over the target only when the block ends
    without an error (the old file's permissions are kept); on an error the temporary file
    is removed and the old file is left as it was.
    """

    def __init__(self, path_or_file: PathOrFile) -> None:
        self._target = path_or_file
        self._handle: Optional[IO[str]] = None
        self._temporary: Optional[str] = None

    def __enter__(self) -> Any:
        target = self._target
        if isinstance(target, (str, os.PathLike)):
            path = os.fspath(target)
            directory = os.path.dirname(os.path.abspath(path))
            fd, self._temporary = _create_beside(directory, os.path.basename(path))
            self._handle = open(fd, "w", encoding="utf-8", newline="")
            return self._handle.write
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

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self._handle is None or self._temporary is None:
            return
        path = os.fspath(self._target)  # type: ignore[arg-type]
        try:
            self._handle.close()
            if exc_type is None:
                try:
                    os.chmod(self._temporary, os.stat(path).st_mode & 0o7777)
                except FileNotFoundError:
                    pass  # a new file: created 0666 less the umask, as open() would
                os.replace(self._temporary, path)
                self._temporary = None
        finally:
            if self._temporary is not None:
                try:
                    os.unlink(self._temporary)
                except OSError:
                    pass


def _create_beside(directory: str, name: str) -> tuple[int, str]:
    """A new, uniquely named temporary file next to ``name``: (descriptor, path)."""
    while True:
        path = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            # Mode 0666: the kernel applies the umask, as for a file open() creates.
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path
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
