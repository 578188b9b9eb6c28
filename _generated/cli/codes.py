"""Exit codes of ``genai-usage`` and the usage error: what a shell script can test for."""

from __future__ import annotations

from typing import Final

__all__ = [
    "EXIT_AUTH",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID_RESPONSE",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_SERVER",
    "EXIT_THRESHOLD",
    "EXIT_USAGE",
    "PROG",
    "OutputError",
    "Terminated",
    "UsageError",
]

PROG: Final = "genai-usage"
EXIT_OK: Final = 0
#: A bad flag, date, zone, group, host, token or output path; also a 400/422 from the server.
EXIT_USAGE: Final = 2
#: The server answered 401 or 403.
EXIT_AUTH: Final = 3
#: The server failed (404, 5xx, 429, other statuses) or could not be reached, after retries.
EXIT_SERVER: Final = 4
#: The server answered 2xx with something that is not the documented JSON.
EXIT_INVALID_RESPONSE: Final = 5
#: The report was written, and a ``--fail-above``/``--fail-above-per-group`` was exceeded.
EXIT_THRESHOLD: Final = 6
#: The output could not be written: stdout closed early (broken pipe), disk full, file too big.
EXIT_OUTPUT: Final = 7
#: Ctrl-C. A SIGTERM or SIGHUP to the console script gives 128 + its number (143, 129).
EXIT_INTERRUPTED: Final = 130
EXIT_CODES: Final = {
    EXIT_OK: "ok",
    EXIT_USAGE: "usage error (also a 400/422 from the server)",
    EXIT_AUTH: "authentication or permission refused",
    EXIT_SERVER: "server or network failure after retries (also 404: check the base URL)",
    EXIT_INVALID_RESPONSE: "invalid response",
    EXIT_THRESHOLD: "a --fail-above threshold was exceeded (the report was written)",
    EXIT_OUTPUT: "the output could not be written (broken pipe, disk full)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C; 143 for SIGTERM, 129 for SIGHUP)",
}


class UsageError(Exception):
    """A command line that parses but cannot run (bad date, no host, ...): exit code 2."""


class OutputError(Exception):
    """Writing the output failed part way (broken pipe, disk full): exit code 7."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP reached the console script: unwinds like Ctrl-C (so a partly
    written ``-o`` file is removed), then exits with 128 + ``signum``."""

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name
