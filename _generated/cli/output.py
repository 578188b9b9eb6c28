"""Where the output goes: the format, and files replaced atomically or stdout.

A file is written to a temporary file in its directory and renamed into place only when
complete, so a failure part way (disk full, size limit, Ctrl-C) leaves the old file as it
was; the permissions of a file it replaces are kept. A symlink's target is the file
replaced (the link stays a link); a device, FIFO, socket or open descriptor (``/dev/stdout``,
``/dev/fd/N`` as ``-o >(cmd)`` gives) is written in place, since replacing it loses the output.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, Final, Optional

from _generated.cli.codes import OutputError, UsageError
from _generated.cli.messages import silence

if TYPE_CHECKING:
    from _generated.reports.exports import OutputTarget

__all__ = [
    "EXTENSIONS",
    "check_cache_dir",
    "check_target",
    "finish_stdout",
    "resolve_format",
    "stdout_failed",
    "write_output",
    "write_stdout",
]

#: The format an ``--output`` file's extension means.
EXTENSIONS: Final = {
    ".csv": "csv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".html": "html",
    ".htm": "html",
    ".txt": "table",
}


def resolve_format(fmt: Optional[str], output: Optional[str]) -> str:
    """``--format``, else the one ``--output``'s extension means, else ``table``."""
    implied = None
    if output not in (None, "-"):
        implied = EXTENSIONS.get(os.path.splitext(str(output))[1].lower())
    if fmt is not None and implied is not None and fmt != implied:
        raise UsageError(
            f"argument --format: {fmt} contradicts --output {output!r}, whose extension means "
            f"{implied}: drop one or make them agree"
        )
    return fmt or implied or "table"


def check_target(output: Optional[str], *, no_clobber: bool) -> Optional[str]:
    """The file to write (``None``: stdout), checked before any request."""
    if output in (None, "-"):
        return None
    path = str(output)
    if not path:
        raise UsageError("argument --output: expected a file name (or - for stdout), got ''")
    if os.path.isdir(path):
        raise UsageError(f"argument --output: {path!r} is a directory")
    if no_clobber and os.path.lexists(path):
        raise UsageError(f"argument --output: {path!r} exists and --no-clobber was given")
    where = _target(path)
    if where.direct:
        _check_in_place(path)
        return path
    directory = os.path.dirname(where.path)
    if not os.path.isdir(directory):
        raise UsageError(f"argument --output: cannot write {path!r}: no such directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"argument --output: cannot write {path!r}: permission denied")
    return path


def check_cache_dir(directory: Optional[str]) -> Optional[str]:
    """``--cache-dir`` checked before any request: a directory, or a path to create."""
    if directory is None:
        return None
    if not directory:
        raise UsageError("argument --cache-dir: expected a directory, got ''")
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError(f"argument --cache-dir: {directory!r} is not a directory")
    return directory


def _target(path: str) -> OutputTarget:
    # The SDK loads only when needed: importing _generated.cli stays cheap.
    from _generated.reports.exports import output_target

    return output_target(path)


def _check_in_place(path: str) -> None:
    """A device, FIFO or descriptor: it must be there and writable (not opened: a FIFO blocks)."""
    if not os.path.exists(path):
        raise UsageError(f"argument --output: cannot write {path!r}: no such file or descriptor")
    if not os.access(path, os.W_OK):
        raise UsageError(f"argument --output: cannot write {path!r}: permission denied")


def write_output(
    chunks: Iterable[str], target: Optional[str], *, no_clobber: bool, utf8: bool = True
) -> None:
    """Write ``chunks`` to ``target`` atomically, or to stdout when it is ``None``: as UTF-8
    (files always; stdout with ``utf8``), else in stdout's encoding, escaping what it lacks."""
    if target is None:
        write_stdout(chunks, utf8=utf8)
    else:
        _write_file(chunks, target, no_clobber=no_clobber)


def write_stdout(chunks: Iterable[str], *, utf8: bool = False) -> None:
    """Write ``chunks`` on stdout; :class:`OutputError` if not all of it could be."""
    stream = _stdout()
    try:
        binary = _binary(stream)
        if binary is None:  # not a descriptor (redirected in-process): its own write()
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            return
        encoding = "utf-8" if utf8 else (getattr(stream, "encoding", None) or "utf-8")
        errors = "strict" if utf8 else "backslashreplace"
        with binary:
            for chunk in chunks:
                binary.write(chunk.encode(encoding, errors))
    except BrokenPipeError as exc:
        silence(stream)
        raise OutputError("stdout was closed before the output was complete (broken pipe)") from exc
    except (OSError, ValueError) as exc:
        raise stdout_failed(exc) from exc


def finish_stdout() -> None:
    """Flush what was printed on stdout (help, cache info); :class:`OutputError` if it fails."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        stream.flush()
    except (OSError, ValueError) as exc:
        raise stdout_failed(exc) from exc


def stdout_failed(exc: BaseException) -> OutputError:
    """The error for a write to stdout that failed with ``exc``, stdout silenced so the
    interpreter's flush at exit adds nothing to it."""
    silence(sys.stdout)
    reason = "broken pipe" if isinstance(exc, BrokenPipeError) else exc
    return OutputError(f"cannot write to stdout: {getattr(exc, 'strerror', None) or reason}")


def _stdout() -> IO[str]:
    if sys.stdout is None:  # started with stdout closed (>&-)
        raise OutputError("stdout is closed: nothing could be written (give -o FILE)")
    return sys.stdout


def _binary(stream: Any) -> Optional[io.BufferedWriter]:
    """A buffered binary writer on ``stream``'s descriptor, after flushing it; ``None`` when
    it has none. Unbuffered stdout (``python -u``, ``PYTHONUNBUFFERED``) drops the rest of
    a short write without an error; a ``BufferedWriter`` writes all of it or raises."""
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None
    stream.flush()
    return open(fd, "wb", closefd=False)  # closed by the caller's with


def _write_file(chunks: Iterable[str], path: str, *, no_clobber: bool) -> None:
    where = _target(path)
    if where.direct:
        _write_in_place(chunks, path)
        return
    directory, name = os.path.split(where.path)
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(
            f"argument --output: cannot write {path!r}: {exc.strerror or exc}"
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _mode_for(where.path))
        _rename(temp, where.path, no_clobber=no_clobber)
    except OSError as exc:
        _remove(temp)
        raise OutputError(
            f"cannot write {path!r}: {exc.strerror or exc}; any previous file is unchanged"
        ) from exc
    except BaseException:
        _remove(temp)
        raise


def _write_in_place(chunks: Iterable[str], path: str) -> None:
    try:
        # Append: a file behind /dev/stdout keeps what a shell's >> put there.
        with open(path, "a", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
    except BrokenPipeError as exc:
        raise OutputError(
            f"{path!r} was closed before the output was complete (broken pipe)"
        ) from exc
    except OSError as exc:
        raise OutputError(f"cannot write {path!r}: {exc.strerror or exc}") from exc


def _rename(temp: str, path: str, *, no_clobber: bool) -> None:
    if not no_clobber:
        os.replace(temp, path)
        return
    try:
        # A hard link fails if the name exists, unlike a rename: no window to clobber.
        os.link(temp, path)
    except FileExistsError:
        raise UsageError(
            f"argument --output: {path!r} appeared while writing and --no-clobber was given"
        ) from None
    except OSError:
        if os.path.lexists(path):
            raise
        os.replace(temp, path)  # a file system without hard links
        return
    _remove(temp)


def _mode_for(path: str) -> int:
    """The permissions of the file being replaced, else what a new file would get."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it; set back at once
    os.umask(mask)
    return mask


def _remove(temp: str) -> None:
    try:
        os.unlink(temp)
    except OSError:
        pass
