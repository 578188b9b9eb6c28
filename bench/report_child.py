"""What the report figures' fresh processes run: ``python -m bench.report_child WHO URL ...``.

``WHO``:

- ``floor URL DAYS``: the plain script of issue 13 (urllib3 GET per daily window,
  ``json.loads``, a tuple per row kept, sums);
- ``month URL DAYS OUT``: ``fetch_usage`` by rule type and task per day, ``totals()``,
  ``pivot()`` and ``to_csv(OUT)``;
- ``stream URL DAYS OUT``: ``stream_usage(...).to_csv(OUT)``;
- ``cached URL DAYS OUT CACHE_DIR``: ``fetch_usage(..., cache=UsageCache(CACHE_DIR))``
  with a clock after the range, ``totals()``, ``pivot()`` and ``to_csv(OUT)``.

Each prints one JSON object: ``seconds`` (wall time of the work), ``before`` and ``peak``
resident memory in bytes (``VmRSS`` after imports and warm-up, ``VmHWM`` after the work),
``rows``, ``from_server`` (windows requested from the server) and, for ``month`` and
``cached``, ``fetch_seconds`` (the ``fetch_usage`` call alone).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from bench.child import status_bytes

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)


def _floor(url: str, days: int) -> dict[str, Any]:
    import urllib3

    pool = urllib3.PoolManager()
    pool.request("GET", url + "/api/v2/usage/tokens?group_by=rule_type")  # warm up
    before = status_bytes("VmRSS")
    started = time.perf_counter()
    rows: list[tuple[Any, ...]] = []
    sums = [0, 0, 0]
    for day in range(days):
        low = (START + timedelta(days=day)).isoformat()
        high = (START + timedelta(days=day + 1)).isoformat()
        response = pool.request(
            "GET",
            url + "/api/v2/usage/tokens",
            fields=[
                ("start_time", low),
                ("end_time", high),
                ("group_by", "rule_type"),
                ("group_by", "task"),
            ],
        )
        for item in json.loads(response.data):
            count = item["count"]
            row = (
                day,
                item["rule_type"],
                item["task_id"],
                count["inference"],
                count["eval_prompt"],
                count["eval_completion"],
            )
            rows.append(row)
            sums[0] += row[3]
            sums[1] += row[4]
            sums[2] += row[5]
    seconds = time.perf_counter() - started
    return _result(seconds, before, len(rows), days)


def _result(seconds: float, before: int, rows: int, from_server: int) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "before": before,
        "peak": status_bytes("VmHWM"),
        "rows": rows,
        "from_server": from_server,
    }


def _sdk(who: str, url: str, days: int, out: str, cache_dir: str = "") -> dict[str, Any]:
    from _generated import ApiClient, Configuration
    from _generated.reports import UsageCache, fetch_usage, stream_usage

    end = START + timedelta(days=days)
    with ApiClient(Configuration(host=url, access_token="bench-token")) as client:
        fetch_usage(client, START, START + timedelta(hours=1), ["rule_type"])  # warm up
        before = status_bytes("VmRSS")
        started = time.perf_counter()
        if who == "stream":
            stream = stream_usage(client, START, end, ["rule_type", "task"], "day")
            stream.to_csv(out)
            with open(out, encoding="utf-8") as written:
                rows = sum(1 for _ in written) - 1
            from_server = stream.metadata()["windows_from_server"]
            fetched = 0.0
        else:
            cache = UsageCache(cache_dir) if who == "cached" else None
            report = fetch_usage(
                client,
                START,
                end,
                ["rule_type", "task"],
                "day",
                cache=cache,
                now=end + timedelta(days=1),
            )
            fetched = time.perf_counter() - started
            report.totals()
            report.pivot()
            report.write_csv(out)
            rows = len(report)
            from_server = report.metadata()["windows_from_server"]
        seconds = time.perf_counter() - started
    return {**_result(seconds, before, rows, from_server), "fetch_seconds": fetched}


def main(argv: list[str]) -> None:
    who, url, days = argv[0], argv[1], int(argv[2])
    if who == "floor":
        result = _floor(url, days)
    elif who in ("month", "stream", "cached"):
        result = _sdk(who, url, days, *argv[3:])
    else:
        raise SystemExit(f"unknown figure {who!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
