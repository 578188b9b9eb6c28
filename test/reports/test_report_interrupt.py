"""Ctrl-C during ``fetch_usage`` returns control at once, and the process can then exit
without waiting for the requests still in flight (checked in a child process)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from _helpers import interrupt_when_in_flight, python_path, start_interruptible

from _generated.testing import FakeUsageEngine, Fault

REPO = Path(__file__).resolve().parents[2]

_CHILD = textwrap.dedent(
    """
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)  # shells may ignore SIGINT
    from _generated import ApiClient, Configuration
    from _generated.reports import fetch_usage
    host, token = sys.argv[1:3]
    client = ApiClient(Configuration(host=host, access_token=token, retries=0))
    print("fetching", flush=True)
    try:
        fetch_usage(client, "2026-11-01", "2026-11-09", interval="day", workers=4)
    except KeyboardInterrupt:
        started = time.monotonic()
        print("interrupted", flush=True)
    """
)


def test_ctrl_c_returns_at_once_and_the_interpreter_exits(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=8)  # every window hangs until the engine stops
    child = start_interruptible(
        [sys.executable, "-c", _CHILD, fake_engine.host, fake_engine.token],
        env={**os.environ, "PYTHONPATH": python_path(REPO)},
    )
    assert child.stdout is not None and child.stdout.readline() == "fetching\n"
    # The hung requests would last until the engine stops (after this test): exiting
    # while they are in flight proves nothing waits for them.
    out, err, _ = interrupt_when_in_flight(child, lambda: len(fake_engine.requests), 4)
    assert child.returncode == 0, err
    assert out == "interrupted\n"
    assert len(fake_engine.requests) == 4  # no window was started after Ctrl-C
