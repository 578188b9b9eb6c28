"""Every ```python block of README.md and docs/**/*.md runs, and every relative link resolves.

Each block is one test (id ``docs/UsageApi.md:42``: file and line of the opening fence) and
runs in a fresh namespace, as a reader would paste it into a new interpreter:

- ``os`` is already imported (the generated client's examples use it without importing it);
- ``BEARER_TOKEN`` is set to the test engine's token;
- the placeholder host ``http://localhost`` is rewritten to the test engine
  (``engine_server``: FastAPI on 127.0.0.1 with seeded data for November 2026);
- the working directory is a fresh temporary directory, so files written stay there;
- functions named ``test_*`` that the block defines are then called without arguments.

A block fails if it raises, if it runs longer than :data:`BLOCK_TIME_LIMIT` seconds, or if
the bearer token shows up in what it prints. A block that cannot run here may opt out with
an HTML comment on the line before its fence, ``<!-- not-tested: why -->``; it is still
compiled, then reported as skipped.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote

import pytest

if TYPE_CHECKING:
    from conftest import EngineServer

ROOT = Path(__file__).resolve().parent.parent
#: Seconds a single block may run before it fails.
BLOCK_TIME_LIMIT = 60.0
#: Info strings of the fences that are run; every other fence (console, sh, text...) is not.
PYTHON_FENCES = frozenset({"python", "py", "python3"})
PLACEHOLDER_HOST = "http://localhost"
# The placeholder only: not "http://localhost:8000" nor "http://localhost.example".
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_HOST) + r"(?![\w.:-])")
_OPT_OUT = re.compile(r"^<!--\s*not-tested\b.*-->$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<info>[^`]*)$")
_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]"  # [text] or ![alt], one level of nested [..]
    r"\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"  # (target "title")
)
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"(?P<name>[^\"]+)\"", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One fenced python block: where it is, its code, and whether it opted out."""

    path: str
    line: int
    code: str
    not_tested: bool

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def doc_files() -> list[Path]:
    """README.md and every page under docs/, in a stable order."""
    files = [ROOT / "README.md"] if (ROOT / "README.md").exists() else []
    return files + sorted((ROOT / "docs").glob("**/*.md"))


def _rel(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).as_posix()


def _closes(line: str, ticks: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(ticks) and stripped == ticks[0] * len(stripped)


def _fenced(lines: list[str]) -> Iterator[tuple[int, str, str, list[str]]]:
    """Fences as (opening line number, info string, preceding non-blank line, body lines)."""
    index = 0
    previous = ""
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        indent, ticks = match["indent"], match["ticks"]
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not _closes(lines[index], ticks):
            line = lines[index]
            # Fences inside list items are indented; their code is indented the same way.
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        yield start + 1, match["info"].strip(), previous, body
        previous = ""
        index += 1


def _prose(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code."""
    ticks = ""
    for number, line in enumerate(lines, start=1):
        if ticks:
            if _closes(line, ticks):
                ticks = ""
            continue
        match = _FENCE.match(line)
        if match:
            ticks = match["ticks"]
            continue
        yield number, line


def collect_blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The python blocks of one markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    for line, info, previous, body in _fenced(lines):
        language = info.split()[0].lower() if info else ""
        if language in PYTHON_FENCES:
            code = "\n".join(body) + "\n"
            blocks.append(Block(_rel(path, root), line, code, bool(_OPT_OUT.match(previous))))
    return blocks


def all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in collect_blocks(path)]


BLOCKS = all_blocks()


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise ``TimeoutError`` in the main thread after ``seconds`` (no-op elsewhere)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: Optional[FrameType]) -> None:
        raise TimeoutError(f"{what} ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def isolated_sdk_state() -> Iterator[None]:
    """Run with fresh SDK defaults; undo what a block changes process-wide (defaults, SDK
    logger, warning filters)."""
    from _generated import ApiClient, Configuration

    sdk_logger = logging.getLogger("_generated")
    saved_logger = (sdk_logger.level, list(sdk_logger.handlers), sdk_logger.propagate)
    saved_config = Configuration._default
    saved_client = ApiClient._default
    # As in a new interpreter: no default configuration or client yet.
    Configuration._default = None
    ApiClient._default = None
    try:
        with warnings.catch_warnings():
            yield
    finally:
        for handler in sdk_logger.handlers:
            if handler not in saved_logger[1]:
                handler.close()
        sdk_logger.setLevel(saved_logger[0])
        sdk_logger.handlers[:] = saved_logger[1]
        sdk_logger.propagate = saved_logger[2]
        Configuration._default = saved_config
        client = ApiClient._default
        if client is not None and client is not saved_client:
            client.close()
        ApiClient._default = saved_client


def run_block(block: Block, host: str) -> dict[str, Any]:
    """Execute ``block`` with the placeholder host rewritten; return its namespace."""
    code = _PLACEHOLDER.sub(host, block.code)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__, "os": os}
    compiled = compile(code, f"{block.path}:{block.line}", "exec")
    with time_limit(BLOCK_TIME_LIMIT, block.id):
        exec(compiled, namespace)
        for name, value in list(namespace.items()):
            if name.startswith("test_") and inspect.isfunction(value):
                value()
    return namespace


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in BLOCKS])
def test_python_block_runs(
    block: Block,
    engine_server: EngineServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if block.not_tested:
        compile(block.code, f"{block.path}:{block.line}", "exec")
        pytest.skip("marked <!-- not-tested --> (compiled only)")
    monkeypatch.setenv("BEARER_TOKEN", engine_server.token)
    monkeypatch.delenv("ARTHUR_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [block.id])

    with isolated_sdk_state():
        run_block(block, engine_server.host)

    out, err = capsys.readouterr()
    # Give the output back to pytest so it is shown with -rP or on a later failure.
    sys.stdout.write(out)
    sys.stderr.write(err)
    assert engine_server.token not in out, f"{block.id} printed the bearer token"
    assert engine_server.token not in err, f"{block.id} wrote the bearer token to stderr"


# -- links ------------------------------------------------------------------------------------


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Heading anchors (with GitHub's ``-1``, ``-2`` suffixes) and explicit ``<a name>``."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose(path.read_text(encoding="utf-8").splitlines()):
        found.update(m["name"] for m in _HTML_ANCHOR.finditer(line))
        heading = _HEADING.match(line)
        if heading:
            slug = github_slug(heading["text"])
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def relative_links(path: Path) -> list[tuple[int, str]]:
    """(line, target) of each link or image outside code that is not a URL or mail address."""
    links = []
    for number, line in _prose(path.read_text(encoding="utf-8").splitlines()):
        for match in _LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            target = match["target"]
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                links.append((number, target))
    return links


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """The relative links of ``page`` whose file, or heading in a markdown file, is missing."""
    broken = []
    for line, target in relative_links(page):
        file_part, _, fragment = target.partition("#")
        destination = (page.parent / unquote(file_part)).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{_rel(page, root)}:{line}: {target} (no such file)")
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{_rel(page, root)}:{line}: {target} (no such heading)")
    return broken


@pytest.mark.parametrize("page", [pytest.param(p, id=_rel(p)) for p in doc_files()])
def test_relative_links_resolve(page: Path) -> None:
    broken = broken_links(page)
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_docs_index_lists_every_page() -> None:
    index = ROOT / "docs" / "README.md"
    assert index.exists(), "docs/README.md (the index of the docs) is missing"
    linked = {
        (index.parent / unquote(target.partition("#")[0])).resolve()
        for _, target in relative_links(index)
    }
    pages = {p.resolve() for p in (ROOT / "docs").glob("**/*.md") if p != index}
    missing = sorted(_rel(p) for p in pages - linked)
    assert not missing, f"docs/README.md does not link: {', '.join(missing)}"


def test_readme_links_the_docs_index() -> None:
    targets = {target for _, target in relative_links(ROOT / "README.md")}
    assert "docs/README.md" in targets


# -- the runner itself ------------------------------------------------------------------------


def test_collector_finds_only_python_fences(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# T\n\n```console\n$ make demo\n```\n\n```python\nx = 1\n```\n\n"
        "- item\n\n  ```python\n  y = 2\n  ```\n\n"
        "````markdown\n```python\nnot_a_block = 1\n```\n````\n\n"
        "<!-- not-tested: needs a browser -->\n```python\nz = 3\n```\n",
        encoding="utf-8",
    )
    blocks = collect_blocks(page, root=tmp_path)
    assert [(b.id, b.code, b.not_tested) for b in blocks] == [
        ("page.md:7", "x = 1\n", False),
        ("page.md:13", "y = 2\n", False),
        ("page.md:24", "z = 3\n", True),
    ]
    assert [n for n, _ in _prose(page.read_text().splitlines())][:3] == [1, 2, 6]


def test_placeholder_rewrite_is_exact() -> None:
    code = 'a = "http://localhost"\nb = "http://localhost:8000"\nc = "http://localhost/x"\n'
    assert _PLACEHOLDER.sub("http://127.0.0.1:1", code) == (
        'a = "http://127.0.0.1:1"\nb = "http://localhost:8000"\nc = "http://127.0.0.1:1/x"\n'
    )


def test_block_failure_is_reported(engine_server: EngineServer) -> None:
    failing = Block("x.md", 3, "def test_inner():\n    raise RuntimeError('boom')\n", False)
    with pytest.raises(RuntimeError, match="boom"):
        run_block(failing, engine_server.host)


def test_time_limit_stops_a_hung_block() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"x\.md:1 ran longer"), time_limit(0.2, "x.md:1"):
        time.sleep(5)
    assert time.monotonic() - started < 2


def test_link_checker_flags_missing_files_and_headings(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Title\n\n## Get `it` (now)\n\n## Get `it` (now)\n")
    (tmp_path / "a.md").write_text(
        "[ok](b.md) [ok](b.md#get-it-now-1) [ok](#top) ![img](b.md) [web](https://x.y/z)\n"
        "`[code](missing.md)`\n\n```python\nx = '[fenced](missing.md)'\n```\n"
        '[gone](missing.md) [bad](b.md#nope)\n<a name="top"></a>\n'
    )
    assert broken_links(tmp_path / "a.md", root=tmp_path) == [
        "a.md:7: missing.md (no such file)",
        "a.md:7: b.md#nope (no such heading)",
    ]


def test_slugs_match_github() -> None:
    assert github_slug("Get Token Usage") == "get-token-usage"
    assert github_slug("`get_token_usage_api_v2_usage_tokens_get`") == (
        "get_token_usage_api_v2_usage_tokens_get"
    )
    assert github_slug("Errors (exceptions raised)") == "errors-exceptions-raised"
    assert github_slug("`__init__` and [links](x.md)") == "__init__-and-links"
