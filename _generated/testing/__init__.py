"""Test helpers: a fake GenAI Engine serving ``GET /api/v2/usage/tokens`` on 127.0.0.1.

Use it to test code that calls the SDK without a real engine::

    from _generated.testing import Fault, FakeUsageEngine

    with FakeUsageEngine() as engine:                  # seeded sample data, token "test-token"
        engine.inject(Fault.status(503), times=1)      # the next request fails once
        with engine.api_client() as client:            # an ApiClient pointed at the fake
            ...
        assert engine.attempts == 2

What it offers:

- :class:`FakeUsageEngine` -- a real HTTP/1.1 server (threads, keep-alive) that answers the
  endpoint as the real engine does (``spec_mode=True``: as its OpenAPI description says):
  omitted bounds mean no bound, invalid parameters get 400 with a string ``detail`` before
  any auth check, rows come in an arbitrary order (``seed=`` fixes it), keys have roles
  (``tokens=``) and 401/403 carry the engine's bodies; ``start_time``/``end_time`` are
  parsed as FastAPI parses ``datetime`` query parameters (naive means UTC), start
  inclusive, end exclusive; its clock is ``now=``. Every request is recorded
  (:class:`RecordedRequest`, Authorization redacted).
- :class:`Fault` -- what to do instead of answering normally: an error status, a raw body,
  a delay, a dropped / reset / hung connection, a truncated or slowly sent body.
- :class:`UsageRecord`, :func:`sample_records`, :func:`demo_records` and :func:`aggregate` --
  the data model, deterministic sample data (fixed, or relative to a date for demos), and
  the endpoint's grouping semantics as a plain function.

Modules: ``data`` (records, sample data, grouping), ``faults`` (faults, recorded requests),
``endpoint`` (what the endpoint answers, engine or spec), ``server`` (the HTTP server),
``engine`` (``FakeUsageEngine``). Only the standard library is imported at import time;
pydantic (for FastAPI-exact datetime parsing) and the SDK pieces are imported when first
needed.
"""

from __future__ import annotations

from _generated.testing.data import (
    DEFAULT_SAMPLE_START,
    DEMO_DAYS,
    RULE_TYPES,
    Clock,
    UsageRecord,
    aggregate,
    demo_records,
    sample_records,
    scopes,
)
from _generated.testing.endpoint import ENDPOINT_PATH, READ_ROLES
from _generated.testing.engine import FakeUsageEngine
from _generated.testing.faults import REDACTED, Fault, FaultKind, RecordedRequest

__all__ = [
    "DEFAULT_SAMPLE_START",
    "DEMO_DAYS",
    "ENDPOINT_PATH",
    "READ_ROLES",
    "REDACTED",
    "RULE_TYPES",
    "SCOPES",
    "Clock",
    "FakeUsageEngine",
    "Fault",
    "FaultKind",
    "RecordedRequest",
    "UsageRecord",
    "aggregate",
    "demo_records",
    "sample_records",
]


def __getattr__(name: str) -> tuple[str, ...]:
    # SCOPES comes from TokenUsageScope, whose module is not standard library: read on use.
    if name == "SCOPES":
        return scopes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "SCOPES"})
