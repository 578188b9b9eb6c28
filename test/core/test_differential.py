"""Differential tests: this package against the client OpenAPI Generator 7.26.0 generates.

The reference client is generated at test time from ``test/data/usage.openapi.json`` into
a temporary folder (once per session) and never imported by the package. The same script
(``differential_script.py``) runs against each package in its own subprocess, calling a
recording loopback server; wire requests and every observation must be equal, except the
rows that docs/compatibility.md lists as intended deviations, which must differ.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from _helpers import python_path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "test" / "data" / "usage.openapi.json"
SCRIPT = Path(__file__).with_name("differential_script.py")
COMPATIBILITY = ROOT / "docs" / "compatibility.md"
GENERATOR_VERSION = "7.26.0"
_RUN_TIMEOUT = 120
# Each package's own default User-Agent (compared once, in `user-agent:value`).
_DEFAULT_AGENT = re.compile(r"^(OpenAPI-Generator/1\.0\.0/python|genai-engine-usage-client/.*)$")

_COUNT = {"inference": 5, "eval_prompt": 3, "eval_completion": 2}
_FULL = {**_COUNT, "user_input": 5, "prompt": 3, "completion": 2}
_ROWS = [
    {"rule_type": "PIIDataRule", "task_id": None, "count": _FULL},
    {"rule_type": None, "task_id": "t-1", "count": _FULL},
]
_JSON = [("Content-Type", "application/json")]

#: scenario -> (status, headers, body); a sub-path picks among ``same-response-types``.
RESPONSES: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {
    "same-rows": (200, _JSON, json.dumps(_ROWS).encode()),
    "same-rows-missing-nulls": (200, _JSON, json.dumps([{"count": _FULL}]).encode()),
    "rfc3339": (200, _JSON, b"[]"),
    "same-datetime-format": (200, _JSON, b"[]"),
    "unknown-fields": (
        200,
        _JSON,
        json.dumps([{"count": {**_FULL, "cached": 1}, "rule_type": "R", "region": "eu"}]).encode(),
    ),
    "deprecated-counts": (200, _JSON, json.dumps([{"count": _COUNT}]).encode()),
    "typed-errors-bad-json": (200, _JSON, b'[{"count": '),
    "same-401": (401, _JSON, b'{"detail":"Unauthorized"}'),
    "same-422": (
        422,
        _JSON,
        json.dumps(
            {"detail": [{"loc": ["query", "group_by", 0], "msg": "bad", "type": "enum"}]}
        ).encode(),
    ),
    "same-422-string-detail": (422, _JSON, b'{"detail":"not a list"}'),
    "bad-request-detail": (400, _JSON, b'{"detail":"start_time must be before end_time"}'),
    "retries": (503, [*_JSON, ("Retry-After", "0")], b'{"detail":"busy"}'),
    "per-call-headers-win": (200, _JSON, b"[]"),
    "same-http-info": (200, [*_JSON, ("X-Engine", "e1")], json.dumps(_ROWS[:1]).encode()),
    "response-headers": (200, _JSON, b"[]"),
    "api-response-repr": (200, _JSON, b"[]"),
    "same-unread": (200, _JSON, b"[]"),
    "call-api-reads-body": (200, _JSON, b"[]"),
    "same-hooks": (200, _JSON, b"[]"),
    "default-timeouts": (200, _JSON, b"[]"),
    "same-response-types/int": (200, [("Content-Type", "text/plain")], b"42"),
    "same-response-types/text": (201, [("Content-Type", "text/plain; charset=utf-8")], b"hi"),
    "same-response-types/enum": (200, [("Content-Type", "text/plain")], b"task"),
    "same-response-types/bytes": (200, [("Content-Type", "application/pdf")], b"%PDF"),
    "same-response-types/empty": (204, [], b""),
    "same-response-types/default": (200, _JSON, b"2.5"),
}


class _Recorder(BaseHTTPRequestHandler):
    """Answers ``/s/<scenario>[/<sub>]...`` from RESPONSES and records each request."""

    server_version = "recorder"
    sys_version = ""
    received: list[tuple[str, str, list[tuple[str, str]]]] = []
    lock = threading.Lock()

    def date_time_string(self, timestamp: Any = None) -> str:
        return "Sun, 01 Nov 2026 00:00:00 GMT"  # a fixed Date so both runs see one text

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        name = self.path.split("/")[2]
        headers = sorted(self.headers.items())
        with self.lock:
            self.received.append((name, self.path, [*headers, ("body", body.decode())]))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self) -> None:
        parts = self.path.split("/")
        name = parts[2] if len(parts) > 2 else ""
        status, headers, body = RESPONSES.get(
            f"{name}/{parts[3]}" if name == "same-response-types" else name,
            (404, _JSON, b'{"detail":"Not Found"}'),
        )
        with self.lock:
            self.received.append((name, self.path, sorted(self.headers.items())))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def reference_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated client's folder (generated once per session)."""
    if shutil.which("java") is None:
        pytest.skip("java is missing: openapi-generator-cli needs a Java runtime")
    cli = shutil.which("openapi-generator-cli") or str(
        Path(sys.executable).with_name("openapi-generator-cli")
    )
    if not Path(cli).exists():
        pytest.fail("openapi-generator-cli is not installed (pip install the dev extra)")
    out = tmp_path_factory.mktemp("reference-client")
    version = subprocess.run(
        [cli, "version"], capture_output=True, text=True, timeout=_RUN_TIMEOUT, check=True
    ).stdout.strip()
    assert version == GENERATOR_VERSION, f"openapi-generator-cli {version}, expected 7.26.0"
    subprocess.run(
        [cli, "generate", "-g", "python", "-i", str(SPEC), "-o", str(out),
         "--package-name", "_generated", "--skip-validate-spec"],
        capture_output=True, text=True, timeout=_RUN_TIMEOUT, check=True,
    )  # fmt: skip
    assert (out / "_generated" / "api" / "usage_api.py").exists()
    return out


@pytest.fixture(scope="session")
def recorder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run(package_root: Path, base: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    _Recorder.received = []
    # A fixed hash seed: set reprs (the models' any_of_schemas) print in one order.
    env = {**os.environ, "PYTHONPATH": python_path(package_root), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), base],
        capture_output=True, text=True, timeout=_RUN_TIMEOUT, env=env, cwd=package_root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    wire: dict[str, list[Any]] = {}
    for name, path, headers in _Recorder.received:
        shown = [(k, _DEFAULT_AGENT.sub("<default>", v)) for k, v in headers]
        boundary = re.search(r"boundary=([0-9a-f]+)", json.dumps(shown))
        if boundary:  # urllib3 draws a random multipart boundary per request
            shown = [(k, v.replace(boundary.group(1), "<boundary>")) for k, v in shown]
        wire.setdefault(f"{name}:wire", []).append([path, shown])
    return json.loads(done.stdout), wire


@pytest.fixture(scope="session")
def observations(reference_package: Path, recorder: str) -> tuple[dict[str, Any], dict[str, Any]]:
    reference, reference_wire = _run(reference_package, recorder)
    ours, our_wire = _run(ROOT, recorder)
    return {**reference, **reference_wire}, {**ours, **our_wire}


def documented_deviations() -> set[str]:
    """The ids of the table in docs/compatibility.md."""
    text = COMPATIBILITY.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.MULTILINE))


def _id(key: str) -> str:
    return key.split(":", 1)[0].removesuffix("-bad-json")


def test_only_the_documented_deviations_differ(
    observations: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    reference, ours = observations
    assert set(reference) == set(ours), "both runs made the same observations"
    differing = {_id(key) for key in reference if reference[key] != ours[key]}
    documented = documented_deviations()
    undocumented = {
        key: (reference[key], ours[key])
        for key in reference
        if reference[key] != ours[key] and _id(key) not in documented
    }
    assert not undocumented, (
        "differences not in docs/compatibility.md:\n" + json.dumps(undocumented, indent=1)[:6000]
    )
    assert documented - differing == set(), "documented deviations the tests no longer see"
    assert all(not key.startswith("same-") for key in documented)


def test_every_scenario_reached_the_server(
    observations: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    reference, ours = observations
    for observed in (reference, ours):
        reached = {key.split(":")[0] for key in observed if key.endswith(":wire")}
        served = {name.split("/")[0] for name in RESPONSES}
        assert served <= reached
        assert "same-arguments:wire" not in observed, "invalid arguments send nothing"


def test_retries_and_hooks_are_what_the_differences_say(
    observations: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    reference, ours = observations
    # urllib3's default Retry(3) in the generated client; RetryPolicy's 2 retries here.
    assert len(reference["retries:wire"]) == 4
    assert len(ours["retries:wire"]) == 3
    seen = json.loads(ours["same-hooks:seen"])
    assert [step[0] for step in seen] == [
        "param_serialize",
        "call_api",
        "RESTClientObject.request",
        "pool_manager.request",
        "response_deserialize",
        "deserialize",
    ]


def test_generic_requests_with_bodies_go_out_as_the_generated_client_sends_them(
    observations: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    reference, ours = observations
    for kind in ("json", "form", "multipart"):
        assert ours[f"same-post-{kind}:wire"] == reference[f"same-post-{kind}:wire"]
    [[path, headers]] = ours["same-post-json:wire"]
    assert path == "/s/same-post-json/things/a%20b"
    assert ("body", '{"when": "2026-11-01", "scope": "task", "n": [1]}') in headers
    [[_, form]] = ours["same-post-form:wire"]
    assert ("body", "a=1&b=x+y") in form
