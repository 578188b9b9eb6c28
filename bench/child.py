"""What the memory figure's fresh process runs: ``python -m bench.child memory WHO BODY``.

``WHO`` is ``sdk`` or ``baseline``; ``BODY`` a file holding the response body. The process
loads the parser and warms it up on a one-row body, reads the body into memory, and then
measures resident memory around the one parse. It prints one JSON object:
``{"body", "before", "peak", "after", "method"}`` (bytes).

The peak is the kernel's high-water mark of resident memory (``VmHWM``), reset just before
the parse through ``/proc/self/clear_refs``; where that is not possible the process-lifetime
peak ``ru_maxrss`` is used instead (``method`` says which).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.data import small_body


def status_bytes(field: str) -> int:
    """A ``/proc/self/status`` size (``VmRSS``, ``VmHWM``, ...) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
    except OSError:
        return False
    return True


def _parser(who: str) -> Callable[[bytes], list[Any]]:
    if who == "sdk":
        from _generated import ApiClient, Configuration

        client = ApiClient(Configuration(host="http://127.0.0.1:9"))

        def parse_sdk(body: bytes) -> list[Any]:
            rows: list[Any] = client.deserialize(
                body, "List[TokenUsageResponse]", "application/json"
            )
            return rows

        return parse_sdk
    if who == "baseline":
        from pydantic import TypeAdapter

        from bench.baseline import PlainTokenUsageResponse

        adapter = TypeAdapter(list[PlainTokenUsageResponse])
        return adapter.validate_json
    raise SystemExit(f"unknown parser {who!r}")


def memory(who: str, body_file: str) -> dict[str, Any]:
    parse = _parser(who)
    parse(small_body())  # imports and schema building are not part of the figure
    body = Path(body_file).read_bytes()
    gc.collect()
    by_hwm = _reset_peak()
    before = status_bytes("VmRSS")
    if not by_hwm:
        before = max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    rows = parse(body)
    if by_hwm:
        peak = status_bytes("VmHWM")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    after = status_bytes("VmRSS")
    if len(rows) < 2:
        raise RuntimeError(f"parsed {len(rows)} rows")
    return {
        "body": len(body),
        "before": before,
        "peak": peak,
        "after": after,
        "rows": len(rows),
        "method": "VmHWM" if by_hwm else "ru_maxrss",
    }


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] != "memory":
        raise SystemExit("usage: python -m bench.child memory sdk|baseline BODY_FILE")
    print(json.dumps(memory(argv[1], argv[2])))


if __name__ == "__main__":
    main(sys.argv[1:])
