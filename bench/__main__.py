"""``python -m bench [--write-docs] [--only NAMES]``: measure, print the table, list misses.

Exits 0 even when a target is missed (the misses are listed at the end); CI does not run
the benchmark. ``--write-docs`` replaces the table in ``docs/performance.md`` between the
``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from bench import aio_figures, figures
from bench.figures import Figure
from bench.generated import generated_figures
from bench.report_figures import report_figures
from bench.server import BenchServer

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
NAMES = (
    "large",
    "small",
    "import",
    "cold",
    "memory",
    "concurrency",
    "async",
    "generated",
    "async-report",
    "reports",
)


def machine() -> list[tuple[str, str]]:
    """What the figures depend on: CPU, cores, Python and library versions, date."""
    from importlib.metadata import version

    import pydantic

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        ("CPU", f"{cpu} ({os.cpu_count()} cores)"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Libraries", f"pydantic {pydantic.VERSION}, urllib3 {version('urllib3')}"),
        ("Date", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    ]


def text_table(rows: list[Figure]) -> str:
    header = ("figure", "this SDK", "baseline", "ratio", "target", "met")
    cells = [header] + [
        (f.name, f.sdk, f.baseline, f.ratio_cell(), f.target, f.met_cell()) for f in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(rows: list[Figure], concurrency: Optional[list[tuple[int, float, float]]]) -> str:
    out = [
        "| figure | this SDK | baseline | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    out += [
        f"| {f.name} | {f.sdk} | {f.baseline} | {f.ratio_cell()} | {f.target} | {f.met_cell()} |"
        for f in rows
    ]
    out.append("")
    out += [f"- **{f.name.split(' ', 1)[0]}** {f.detail}" for f in rows if f.detail]
    if concurrency:
        out += ["", "| workers | seconds | speed-up |", "| --- | --- | --- |"]
        out += [f"| {w} | {s:.3f} | {x:.1f}x |" for w, s, x in concurrency]
    out += ["", "Measured on:", ""]
    out += [f"- {name}: {value}" for name, value in machine()]
    return "\n".join(out)


def write_docs(block: str) -> None:
    text = DOCS.read_text()
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start < 0 or end < start:
        raise SystemExit(f"{DOCS}: markers {START_MARK} / {END_MARK} not found")
    DOCS.write_text(text[: start + len(START_MARK)] + "\n" + block + "\n" + text[end:])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument(
        "--only", default=",".join(NAMES), help=f"comma-separated subset of {','.join(NAMES)}"
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(NAMES))
    if unknown:
        parser.error(f"unknown figures: {', '.join(unknown)}")

    started = time.perf_counter()
    rows: list[Figure] = []
    concurrency_rows: Optional[list[tuple[int, float, float]]] = None

    def run(name: str, measure: Callable[[], Figure]) -> None:
        if name in only:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            rows.append(measure())

    with BenchServer() as server:
        run("large", lambda: figures.large_response(server.url))
        run("small", lambda: figures.small_response(server.url))
        run("import", figures.import_time)
        run("cold", lambda: figures.cold_call(server.url))
        run("async", lambda: aio_figures.small_response(server.url))
        if "generated" in only:
            print("measuring generated ...", file=sys.stderr, flush=True)
            rows.extend(generated_figures(server.url))
        if "reports" in only:
            print("measuring reports ...", file=sys.stderr, flush=True)
            rows.extend(report_figures(server.url))
    if "memory" in only:
        print("measuring memory ...", file=sys.stderr, flush=True)
        rows.extend(figures.memory())
    if "concurrency" in only:
        print("measuring concurrency ...", file=sys.stderr, flush=True)
        try:
            figure, concurrency_rows = figures.concurrency()
        except ImportError as exc:
            print(f"concurrency figure unavailable: {exc}", file=sys.stderr)
        else:
            rows.append(figure)

    run("async-report", aio_figures.report_concurrency)

    print()
    print(text_table(rows))
    for figure in rows:
        if figure.detail:
            print(f"  {figure.name.split(' ', 1)[0]} {figure.detail}")
    if concurrency_rows:
        print("\n  workers  seconds  speed-up")
        for workers, seconds, speedup in concurrency_rows:
            print(f"  {workers:>7}  {seconds:>7.3f}  {speedup:>7.1f}x")
    print()
    for name, value in machine():
        print(f"{name}: {value}")
    missed = [figure.name for figure in rows if figure.met is False]
    elapsed = time.perf_counter() - started
    print(f"\nbench took {elapsed:.0f} s")
    if missed:
        print("targets missed:\n" + "\n".join(f"  - {name}" for name in missed))
    else:
        print("every target met")
    if args.write_docs:
        write_docs(markdown(rows, concurrency_rows))
        print(f"wrote the table to {DOCS.relative_to(DOCS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
