"""The g-rows: this SDK against the clients OpenAPI Generator 7.26 generates, per call.

Figures 2 and 10 compare the SDK with raw floors (urllib3 / aiohttp + ``json.loads``). The
clients the SDK is a drop-in for go through the same public hooks (``UsageApi`` ->
``_serialize`` -> ``ApiClient.param_serialize`` -> ``call_api`` -> ``rest_client.request``
-> ``pool_manager.request`` -> ``response_deserialize``), so their distance from the same
floors is the context of those figures. Measured here in one run:

- the reference clients are generated at bench time (``openapi-generator-cli generate -g
  python``, and ``--library asyncio``, package name ``_generated``) into a temporary folder,
  never committed and never imported by the package; the generation is timed apart and is
  not part of any figure;
- every measurement is a fresh process (:mod:`bench.generated_child`) whose ``PYTHONPATH``
  holds exactly one ``_generated`` (this SDK's tree, or a generated folder), which times
  its client and the raw floor on the very URL that client sends, interleaved;
- the SDK's and the generated client's processes alternate (SDK, generated, generated,
  SDK, ...); each figure is the median over processes.

Without java or the CLI (or the wrong CLI version) the rows are returned as skipped; so is
the async row when the generated asyncio client's ``aiohttp_retry`` is not importable.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from bench.figures import ROOT, Figure, _ms, _us

__all__ = ["GENERATOR_VERSION", "generated_figures"]

SPEC = ROOT / "test" / "data" / "usage.openapi.json"
GENERATOR_VERSION = "7.26.0"
TARGET = "<= 1.00"
_GENERATE_TIMEOUT = 180
_CHILD_TIMEOUT = 300

SMALL_NAME = "2g. Small response: SDK vs the generated 7.26 client, per call"
LARGE_NAME = "1g. Large response: SDK vs the generated 7.26 client"
ASYNC_NAME = "10g. Async small response: SDK vs the generated asyncio client"


class _Skip(Exception):
    """Why a row (or all of them) cannot be measured."""


@dataclass
class _Kind:
    kind: str  # the child's KIND
    name: str
    processes: int  # per client
    generated: str  # the generated folder's key
    floor: str
    unit: str  # "us" or "ms"


_KINDS = (
    _Kind("large", LARGE_NAME, 2, "sync", "urllib3 GET + TypeAdapter(list[plain model])"
          ".validate_json(body), as figure 1", "ms"),
    _Kind("small", SMALL_NAME, 5, "sync", "PoolManager.request + json.loads, same URL, as "
          "figure 2", "us"),
    _Kind("async-small", ASYNC_NAME, 5, "aio", "aiohttp.ClientSession.get + json.loads(await "
          "r.read()), same URL, same loop, as figure 10", "us"),
)  # fmt: skip


def _cli() -> str:
    if shutil.which("java") is None:
        raise _Skip("java is missing (openapi-generator-cli needs a Java runtime)")
    cli = shutil.which("openapi-generator-cli") or str(
        Path(sys.executable).with_name("openapi-generator-cli")
    )
    if not Path(cli).exists():
        raise _Skip("openapi-generator-cli is not installed (pip install the dev extra)")
    try:
        done = subprocess.run(
            [cli, "version"], capture_output=True, text=True, timeout=_GENERATE_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _Skip(f"openapi-generator-cli version failed: {exc}") from exc
    version = done.stdout.strip()
    if done.returncode != 0 or version != GENERATOR_VERSION:
        raise _Skip(f"openapi-generator-cli version {version!r}, expected {GENERATOR_VERSION}")
    return cli


def _generate(cli: str, out: Path, library: Optional[str]) -> None:
    argv = [cli, "generate", "-g", "python", "-i", str(SPEC), "-o", str(out),
            "--package-name", "_generated", "--skip-validate-spec"]  # fmt: skip
    if library:
        argv += ["--library", library]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_GENERATE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _Skip(f"openapi-generator-cli generate failed: {exc}") from exc
    if done.returncode != 0 or not (out / "_generated" / "api" / "usage_api.py").exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise _Skip(f"openapi-generator-cli generate failed ({done.returncode}): {tail[0]}")


def _skipped(name: str, reason: str) -> Figure:
    return Figure(
        name=name, sdk="-", baseline="-", ratio=None, target=TARGET, met=None,
        detail=f"skipped: {reason}",
    )  # fmt: skip


def _python_path(first: Path, bench_link: Path) -> str:
    """``first`` (the one ``_generated``), the ``bench`` package alone, then the inherited
    entries that hold no ``_generated`` of their own (e.g. a folder with aiohttp_retry)."""
    inherited = [
        entry
        for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if entry and not (Path(entry) / "_generated").exists()
    ]
    return os.pathsep.join([str(first), str(bench_link), *inherited])


def _child(kind: str, base_url: str, who: str, root: Path, bench_link: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": _python_path(root, bench_link)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.generated_child", kind, base_url, who],
            capture_output=True, text=True, timeout=_CHILD_TIMEOUT, env=env,
            cwd=bench_link.parent,  # holds no _generated: sys.path[0] of the child
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise _Skip(f"{who} {kind} process timed out after {_CHILD_TIMEOUT} s") from exc
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        raise _Skip(f"{who} {kind} process failed ({done.returncode}): {tail[0]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if "skipped" in result:
        raise _Skip(str(result["skipped"]))
    module = Path(result["module"]).resolve()
    if not module.is_relative_to(root.resolve()):
        raise RuntimeError(f"{who} process imported {module}, not the package under {root}")
    return result


def _measure(spec: _Kind, base_url: str, roots: dict[str, Path], link: Path) -> Figure:
    results: dict[str, list[dict[str, Any]]] = {"sdk": [], "generated": []}
    # SDK, generated, generated, SDK, SDK, generated, ...
    for index in range(spec.processes):
        for who in ("sdk", "generated") if index % 2 == 0 else ("generated", "sdk"):
            root = ROOT if who == "sdk" else roots[spec.generated]
            results[who].append(_child(spec.kind, base_url, who, root, link))

    def median(who: str, key: str) -> float:
        return float(statistics.median(result[key] for result in results[who]))

    def own_ratio(who: str) -> float:
        return float(
            statistics.median(result["client"] / result["floor"] for result in results[who])
        )

    sdk, generated = median("sdk", "client"), median("generated", "client")
    fmt = _us if spec.unit == "us" else _ms
    # Processes started seconds apart see floors a third apart on a shared machine: the
    # figure is each client's time over its own process's floor, SDK over generated.
    ratio = own_ratio("sdk") / own_ratio("generated")
    calls = results["sdk"][0]["calls"]
    per_process = (
        f"{calls} calls per client and floor, one by one after a warm-up, gc.collect() before each"
        if spec.kind == "large"
        else f"{calls:,} calls per client and floor in blocks of 100 after 200 warm-up calls"
    )
    return Figure(
        name=spec.name,
        sdk=fmt(sdk),
        baseline=fmt(generated),
        ratio=ratio,
        target=TARGET,
        met=ratio <= 1.00,
        detail=f"ratio: each client against the raw floor in its own process, SDK "
        f"{own_ratio('sdk'):.2f} over generated {own_ratio('generated'):.2f}; the times "
        f"alone give {sdk / generated:.2f} (floors "
        f"{fmt(median('sdk', 'floor'))} and {fmt(median('generated', 'floor'))}; floor: "
        f"{spec.floor}); median of "
        f"{spec.processes} fresh processes each, SDK and generated alternating; {per_process}",
    )


def generated_figures(base_url: str) -> list[Figure]:
    """Rows 1g, 2g and 10g: the SDK's call vs the generated client's, each process also
    timing its own raw floor."""
    with tempfile.TemporaryDirectory(prefix="bench-generated-") as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        try:
            cli = _cli()
            _generate(cli, out / "sync", None)
            _generate(cli, out / "aio", "asyncio")
        except _Skip as skip:
            return [_skipped(spec.name, str(skip)) for spec in _KINDS]
        generation = time.perf_counter() - started
        print(
            f"  generated the two reference clients in {generation:.1f} s (not measured)",
            file=sys.stderr,
        )
        # The children import bench through a folder holding only it: the repository root
        # holds this SDK's _generated too, which the generated clients' processes must not see.
        link = out / "path" / "bench"
        link.parent.mkdir()
        link.symlink_to(ROOT / "bench", target_is_directory=True)
        roots = {"sync": out / "sync", "aio": out / "aio"}
        rows: list[Figure] = []
        for spec in _KINDS:
            started = time.perf_counter()
            try:
                figure = _measure(spec, base_url, roots, link.parent)
            except _Skip as skip:
                figure = _skipped(spec.name, str(skip))
            else:
                figure.detail += f"; {time.perf_counter() - started:.0f} s"
            rows.append(figure)
        rows[0].detail += (
            f"; the reference clients were generated (openapi-generator-cli "
            f"{GENERATOR_VERSION}) into a temporary folder in {generation:.1f} s, not counted"
        )
    return rows
