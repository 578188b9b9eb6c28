"""Put on ``PYTHONPATH`` by ``make test-calendar`` only: every Python process of the run loads it.

The calendar run fakes the wall clock with libfaketime but not the monotonic clock: faking
that too makes every timed lock wait (``Event.wait``, ``Lock.acquire(timeout=...)``) hang,
since libfaketime 0.9.10 does not wrap ``sem_clockwait``. Without it, libfaketime's
``clock_nanosleep`` fails with EINVAL, which is what ``time.sleep`` calls on Python 3.11+;
so here ``time.sleep`` waits with ``select`` instead, which libfaketime handles.
"""

import os
import select
import time

_real_sleep = time.sleep


def _select_sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        select.select([], [], [], left)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _select_sleep
