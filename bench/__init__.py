"""``make bench``: the SDK's performance figures against plain-urllib3/pydantic floors.

Run ``python -m bench`` (``--write-docs`` also updates ``docs/performance.md``). The modules:

- :mod:`bench.data` -- the fixed response bodies (35,000 rows, and one row);
- :mod:`bench.server` -- a minimal keep-alive HTTP server, run in its own process;
- :mod:`bench.baseline` -- the floors: plain pydantic models and raw urllib3 calls;
- :mod:`bench.figures` -- one function per figure, each returning a :class:`~bench.figures.Figure`;
- :mod:`bench.child` -- what the fresh processes of the import, cold-call and memory figures run;
- :mod:`bench.report_concurrency` -- the concurrent-report figure;
- :mod:`bench.generated` -- rows 1g, 2g, 10g: the SDK against the clients OpenAPI Generator
  7.26 generates at bench time, each process run by :mod:`bench.generated_child`.
"""
