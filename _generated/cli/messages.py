"""What ``genai-usage`` says on stderr: errors (one line each), notes, progress, request logs.

Every line starts with ``genai-usage:``; server strings are escaped and the token is
replaced by ``[redacted]`` (whole occurrences only: a token is at least 8 characters).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Final, Optional

from _generated._textsafety import blank_out, escape_control
from _generated.cli.codes import (
    EXIT_AUTH,
    EXIT_INVALID_RESPONSE,
    EXIT_OUTPUT,
    EXIT_SERVER,
    EXIT_USAGE,
    PROG,
    OutputError,
    UsageError,
)

__all__ = [
    "Notes",
    "Progress",
    "error_message",
    "exit_code_for",
    "fail",
    "redact",
    "request_logging",
    "silence",
    "write_stderr",
]

#: Longest message line written (server details can be long validation dumps).
MAX_LINE: Final = 600


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[redacted]``."""
    return blank_out(text, secrets)


def redact_chunks(chunks: Iterable[str], secrets: Sequence[str]) -> Iterator[str]:
    """Output ``chunks`` with every secret replaced: a server may echo a credential as data
    (a group name), and the output may be shared. A cell never spans two chunks."""
    for chunk in chunks:
        yield blank_out(chunk, secrets) if secrets else chunk


def one_line(message: str, secrets: Sequence[str]) -> str:
    """A ``genai-usage:`` line: redacted, control characters escaped, bounded in length."""
    text = escape_control(" ".join(redact(message, secrets).split(" ")))
    if len(text) > MAX_LINE:
        text = text[: MAX_LINE - 3] + "..."
    return f"{PROG}: {text}\n"


def write_stderr(text: str) -> None:
    """Write ``text`` on stderr; a closed or broken stderr is ignored (the exit code still
    says what happened)."""
    stream = sys.stderr
    if stream is None:  # started with stderr closed (2>&-)
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        silence(stream)


def silence(stream: Any) -> None:
    """Point ``stream``'s descriptor at /dev/null: Python flushes it again at exit, and a
    closed pipe would add a traceback (and exit code 120) to what was already said."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def fail(message: str, secrets: Sequence[str], *, verbose: bool = False) -> None:
    """Write an error line on stderr (after the traceback with ``verbose``)."""
    if verbose:
        import traceback  # only for --verbose failures

        write_stderr(redact(traceback.format_exc(), secrets))
    write_stderr(one_line(f"error: {message}", secrets))


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an error raised while running a command (see ``EXIT_CODES``)."""
    # The SDK loads only when needed: importing _generated.cli stays cheap.
    from _generated.exceptions import (
        ApiException,
        ApiTypeError,
        ApiValueError,
        BadRequestException,
        ForbiddenException,
        ResponseValidationError,
        UnauthorizedException,
        UnprocessableEntityException,
    )
    from _generated.reports import PartialReportError

    if isinstance(exc, PartialReportError):
        codes = {exit_code_for(error) for error in exc.errors.values()}
        for code in (EXIT_AUTH, EXIT_INVALID_RESPONSE, EXIT_USAGE):
            if code in codes:
                return code
        return EXIT_SERVER
    if isinstance(exc, OutputError):
        return EXIT_OUTPUT
    if isinstance(exc, (UsageError, ApiValueError, ApiTypeError)):
        return EXIT_USAGE
    if isinstance(exc, (UnauthorizedException, ForbiddenException)):
        return EXIT_AUTH
    if isinstance(exc, ResponseValidationError):
        return EXIT_INVALID_RESPONSE
    if isinstance(exc, (BadRequestException, UnprocessableEntityException)):
        return EXIT_USAGE
    if isinstance(exc, ApiException):
        return EXIT_SERVER
    return 1


def _waited_too_long(exc: BaseException) -> Optional[float]:
    """The Retry-After of a 429/503 that was not waited for because it was too long."""
    # The SDK loads only when needed: importing _generated.cli stays cheap.
    from _generated._constants import DEFAULT_MAX_RETRY_AFTER
    from _generated.exceptions import ApiException
    from _generated.retry import parse_retry_after

    if not isinstance(exc, ApiException) or exc.status not in (429, 503) or not exc.headers:
        return None
    seconds = parse_retry_after(exc.headers.get("Retry-After"))
    return seconds if seconds is not None and seconds > DEFAULT_MAX_RETRY_AFTER else None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


#: The SDK's advice names its settings; the command line has flags for them.
_CLI_NAMES: Final = (
    (": call .resume() to fetch the rest", ""),
    ("raise _request_timeout", "raise --timeout"),
    ("check Configuration.proxy", "check --proxy or $HTTPS_PROXY/$HTTP_PROXY"),
    ("Configuration.host", "--host"),
    ("raise the deadline", "raise --deadline"),
)
#: The SDK's deadline is what was left of the run's when a call began, not the --deadline given.
_SDK_DEADLINE: Final = re.compile(r"\bdeadline of \S+ s passed")


def error_message(exc: BaseException, code: int, *, host: str, has_token: bool) -> str:
    """The one-line explanation of ``exc`` for the user (``code`` from :func:`exit_code_for`)."""
    # The SDK loads only when needed: importing _generated.cli stays cheap.
    from _generated.exceptions import ForbiddenException, NotFoundException
    from _generated.reports import PartialReportError, describe_error

    what = _SDK_DEADLINE.sub("the deadline passed", describe_error(exc))
    for sdk, flag in _CLI_NAMES:
        what = what.replace(sdk, flag)
    if isinstance(exc, PartialReportError):
        first = next(iter(exc.errors.values()), None)
        wait = _waited_too_long(first) if first is not None else None
        asked = f"; the server asked to wait {_duration(wait)}" if wait else ""
        return f"{what}{asked} (nothing was written)"
    if code == EXIT_AUTH:
        redirected = getattr(exc, "redirected_to", None)
        if redirected:
            return (
                f"authentication failed ({what}) at {redirected}, where the server redirected "
                f"the request: the token is never sent to another address; use --host "
                f"{redirected} if that is the engine"
            )
        if isinstance(exc, ForbiddenException):
            return f"permission denied ({what}): the token may not read token usage"
        hint = (
            "check --token, $ARTHUR_API_KEY or $BEARER_TOKEN"
            if has_token
            else "no token was given: pass --token or set $ARTHUR_API_KEY"
        )
        return f"authentication failed ({what}): {hint}"
    if code == EXIT_INVALID_RESPONSE:
        return f"the server's answer is not token usage: {what}"
    if code == EXIT_USAGE:
        return f"the server refused the request: {what}"
    if isinstance(exc, NotFoundException):
        # The endpoint's path is public in the testing module (loaded only for this message).
        from _generated.testing import ENDPOINT_PATH

        url = host + ENDPOINT_PATH
        return (
            f"not found ({what}) at {url}: check the base URL's path prefix (--host or "
            "$ARTHUR_BASE_URL: the engine's address, plus any prefix it is served under)"
        )
    wait = _waited_too_long(exc)
    if wait is not None:
        return (
            f"the server is rate limiting ({what}) and asked to wait {_duration(wait)} "
            "(Retry-After), longer than this run waits: try again later"
        )
    if code == EXIT_SERVER:
        return f"request failed after retries: {what}"
    return what


@contextlib.contextmanager
def request_logging(enabled: bool, secrets: Sequence[str]) -> Iterator[None]:
    """Send the SDK's request logs to stderr while the block runs; undone on exit."""
    if not enabled:
        yield
        return
    import logging  # only for --verbose

    from _generated._constants import LOGGER_NAME

    class Redact(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = redact(record.getMessage(), secrets)
            record.args = None
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(name)s: %(message)s"))
    handler.addFilter(Redact())
    logger = logging.getLogger(LOGGER_NAME)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class Notes:
    """Messages for stderr, according to ``--quiet``/``--verbose``."""

    def __init__(self, *, quiet: bool, verbose: bool, secrets: Sequence[str]) -> None:
        self._quiet = quiet
        self._verbose = verbose
        self._secrets = secrets
        self.progress_allowed = not quiet and _isatty(sys.stderr)

    @property
    def secrets(self) -> Sequence[str]:
        """The credentials kept out of every message and of the output."""
        return self._secrets

    def note(self, message: str) -> None:
        if not self._quiet:
            write_stderr(one_line(message, self._secrets))

    def warn(self, message: str) -> None:
        """A warning (the cache is off, a token over plain http): not with ``--quiet``,
        which leaves stderr to errors and threshold failures."""
        if not self._quiet:
            write_stderr(one_line(f"warning: {message}", self._secrets))

    def verbose(self, message: str) -> None:
        if self._verbose:
            write_stderr(one_line(message, self._secrets))


class Progress:
    """``progress(done, total)`` for ``fetch_usage``: one updating line on a terminal."""

    def __init__(self, stream: IO[str], *, enabled: bool, what: str = "windows") -> None:
        self._stream = stream
        self._enabled = enabled
        self._what = what
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled:
            return
        elapsed = time.monotonic() - self._started
        self._shown = self._write(
            f"\r{PROG}: fetching {self._what}: {done}/{total} done, {elapsed:.1f}s elapsed"
        )

    def finish(self) -> None:
        if self._shown:
            self._write("\n")
            self._shown = False

    def _write(self, text: str) -> bool:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._enabled = False  # a terminal gone away: the run goes on without progress
            return False
        return True


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
