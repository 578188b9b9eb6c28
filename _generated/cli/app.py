"""The entry points: :func:`main` (returns an exit code) and the console script's wrapper.

:func:`main` is the one error boundary: every exception becomes one ``genai-usage:`` line
on stderr and an exit code. It never ends the process; only :func:`console_main` may, after
Ctrl-C, so that requests still in flight do not hold the exit.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn, Optional

from _generated.cli.codes import (
    EXIT_INTERRUPTED,
    EXIT_OUTPUT,
    EXIT_USAGE,
    OutputError,
    Terminated,
    UsageError,
)
from _generated.cli.messages import error_message, exit_code_for, fail
from _generated.cli.output import finish_stdout, stdout_failed
from _generated.cli.parser import build_parser

__all__ = ["console_main", "main"]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``genai-usage`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return, don't exit
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        try:
            finish_stdout()  # --help or --version into a closed pipe or a full disk
        except OutputError as error:
            fail(str(error), ())
            return EXIT_OUTPUT
        return code
    except (OSError, ValueError) as exc:  # --help or --version could not be written at all
        fail(str(stdout_failed(exc)), ())
        return EXIT_OUTPUT
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    # The SDK loads only when a command runs: --help and parse errors stay fast.
    from _generated.cli.cache import run_cache
    from _generated.cli.tokens import run_tokens

    secrets: list[str] = []
    verbose = bool(getattr(args, "verbose", False))
    started = time.monotonic()
    try:
        code = run_cache(args) if args.command == "cache" else run_tokens(args, secrets)
        finish_stdout()
        return code
    except KeyboardInterrupt:
        fail("interrupted", secrets)
        return EXIT_INTERRUPTED
    except Terminated as exc:
        fail(f"terminated by {exc.name}", secrets)
        return 128 + exc.signum
    except UsageError as exc:
        fail(str(exc), secrets, verbose=verbose)
        return EXIT_USAGE
    except OutputError as exc:
        fail(str(exc), secrets, verbose=verbose)
        return EXIT_OUTPUT
    except Exception as exc:
        code = exit_code_for(exc)
        host = str(getattr(args, "resolved_host", "") or "")
        message = error_message(exc, code, host=host, has_token=bool(secrets))
        deadline = getattr(args, "deadline", None)
        if deadline is not None and time.monotonic() - started >= deadline:
            message = f"the --deadline of {deadline:g} s passed: {message}"
        fail(message, secrets, verbose=verbose)
        return code


def console_main() -> NoReturn:
    """The ``genai-usage`` console script: :func:`main`, then exit with its code.

    SIGTERM and SIGHUP (``timeout``, systemd, a closed terminal) unwind the run as Ctrl-C
    does, so no temporary file is left beside ``-o``; only this entry point, the process's
    own, sets signal handlers (``main`` leaves them alone).
    """
    _terminate_on_signals()
    code = main()
    if code >= EXIT_INTERRUPTED:
        # Requests still in flight would hold a normal exit until they time out.
        sys.stderr.flush()
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        os._exit(code)
    sys.exit(code)


def _terminate_on_signals() -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread

    def terminate(signum: int, frame: Optional[FrameType]) -> None:
        raise Terminated(signum, signal.Signals(signum).name)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)  # SIGHUP does not exist on Windows
        if number is not None:
            signal.signal(number, terminate)
