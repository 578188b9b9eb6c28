"""The cache of closed windows, end to end against FakeUsageEngine: what is stored, what is
fetched again, whose data it is, and what a broken cache does (never wrong numbers)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _helpers import python_path

from _generated import ApiClient, UsageApi
from _generated.exceptions import ApiArgumentError, UnauthorizedException
from _generated.reports import UsageCache, UsageCacheWarning, default_cache_dir, fetch_usage
from _generated.testing import FakeUsageEngine, UsageRecord

UTC = timezone.utc
START, END = "2026-11-01", "2026-11-08"
AFTER = datetime(2026, 11, 9, tzinfo=UTC)  # every window of [START, END) closed
REPO = Path(__file__).resolve().parents[2]


def run(engine: FakeUsageEngine, cache: UsageCache, now: datetime = AFTER, **kwargs: object):  # type: ignore[no-untyped-def]
    with engine.api_client(**kwargs) as client:
        return fetch_usage(client, START, END, ["task"], "day", cache=cache, now=now)


def test_closed_windows_are_fetched_once_then_read_from_the_cache(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path / "cache")
    first = run(fake_engine, cache)
    assert fake_engine.attempts == 7 and first.cached == []
    fake_engine.clear()
    second = run(fake_engine, cache)
    assert fake_engine.attempts == 0
    assert second.rows == first.rows and second.totals() == first.totals()
    assert second.cached == second.windows
    meta = second.metadata()
    assert (meta["windows_from_cache"], meta["windows_from_server"]) == (7, 0)
    assert {s["source"] for s in meta["window_status"]} == {"cache"}
    assert "7 from the cache" in second.to_html()
    assert cache.info().windows == 7


def test_open_windows_are_always_fetched_and_never_stored(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    during = datetime(2026, 11, 7, 12, tzinfo=UTC)  # inside the last window
    first = run(fake_engine, cache, now=during)
    assert first.provisional == first.windows[-1:]
    assert first.metadata()["windows_provisional"] == 1
    assert cache.info().windows == 6
    fake_engine.clear()
    second = run(fake_engine, cache, now=during)
    (request,) = fake_engine.requests
    assert request.query["start_time"][0].startswith("2026-11-07")
    assert second.cached == second.windows[:-1] and second.rows == first.rows


def test_the_settle_margin_decides_when_a_window_is_closed(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    half_hour_after = datetime(2026, 11, 8, 0, 30, tzinfo=UTC)
    default = run(fake_engine, UsageCache(tmp_path / "a"), now=half_hour_after)
    assert default.provisional == default.windows[-1:]
    short = run(
        fake_engine, UsageCache(tmp_path / "b", settle=timedelta(minutes=10)), now=half_hour_after
    )
    assert short.provisional == []
    # Closed only *more* than the margin after its end: at exactly the margin it is open.
    exact = run(
        fake_engine, UsageCache(tmp_path / "c", settle=timedelta(minutes=30)), now=half_hour_after
    )
    assert exact.provisional == exact.windows[-1:]
    with pytest.raises(ValueError, match="settle"):
        UsageCache(tmp_path, settle=timedelta(seconds=-1))


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("settle", float("nan")),
        ("settle", float("inf")),
        ("settle", 1e20),
        ("settle", -1),
        ("settle", "3600"),
        ("directory", 123),
    ],
)
def test_a_bad_cache_argument_is_named(argument: str, value: object) -> None:
    with pytest.raises(ApiArgumentError) as caught:
        UsageCache(**{argument: value})  # type: ignore[arg-type]
    assert caught.value.argument == argument and repr(value) in str(caught.value)


def test_another_credential_never_sees_the_cached_windows(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    run(fake_engine, cache)
    fake_engine.clear()
    with pytest.raises(UnauthorizedException):
        run(fake_engine, cache, access_token="someone-else", retries=0)
    assert fake_engine.requests and not any(r.authorized for r in fake_engine.requests)
    content = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert fake_engine.token.encode() not in content
    assert b"someone-else" not in content


def test_a_cache_file_made_readable_to_others_is_made_owner_only_again(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    run(fake_engine, cache)
    cache.close()
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    for file in files:
        file.chmod(0o644)
    fake_engine.clear()
    second = UsageCache(tmp_path)
    assert run(fake_engine, second).cached  # still served, not discarded
    second.close()
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files if p.exists())


def test_a_session_cookie_or_api_key_header_is_part_of_the_credential(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    seen: list[int] = []
    for setup in (
        {"cookie": "session=tenant-a"},
        {"cookie": "session=tenant-b"},
        {"header_name": "X-Api-Key", "header_value": "tenant-a-key"},
        {"header_name": "X-Api-Key", "header_value": "tenant-b-key"},
        {"cookie": "session=tenant-a"},  # the first again: served from the cache
    ):
        fake_engine.clear()
        client = ApiClient(fake_engine.configuration(), **setup)
        with client:
            fetch_usage(client, START, END, ["task"], "day", cache=cache, now=AFTER)
        seen.append(fake_engine.attempts)
    assert seen == [7, 7, 7, 7, 0]
    content = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"tenant-a" not in content and b"tenant-b" not in content


def test_the_group_by_set_and_the_base_path_are_part_of_the_key(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    run(fake_engine, cache)
    fake_engine.clear()
    with fake_engine.api_client() as client:
        fetch_usage(client, START, END, ["task", "rule_type"], "day", cache=cache, now=AFTER)
    assert fake_engine.attempts == 7
    assert UsageCache.scope(_api(fake_engine.host + "/"), ("task",)) == UsageCache.scope(
        _api(fake_engine.host.upper().replace("HTTP", "http")), ("task",)
    )
    assert UsageCache.scope(_api(fake_engine.host + "/prefix"), ("task",)) != UsageCache.scope(
        _api(fake_engine.host), ("task",)
    )


def _api(host: str):  # type: ignore[no-untyped-def]
    from _generated import ApiClient, Configuration, UsageApi

    return UsageApi(ApiClient(Configuration(host=host, access_token="t")))


def test_the_directory_is_private_and_the_file_too(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    directory = tmp_path / "deep" / "genai-usage"
    cache = UsageCache(directory)
    run(fake_engine, cache)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_a_corrupt_database_warns_and_every_window_is_fetched(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    good = run(fake_engine, cache)
    cache.close()
    cache.path.write_bytes(b"this is not a database" * 100)
    fake_engine.clear()
    with pytest.warns(UsageCacheWarning, match="unreadable"):
        again = run(fake_engine, UsageCache(tmp_path))
    assert fake_engine.attempts == 7 and again.rows == good.rows


def test_a_corrupt_entry_warns_and_that_window_is_fetched_again(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    good = run(fake_engine, cache)
    cache.close()
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE windows SET payload = X'00' WHERE start LIKE '2026-11-03%'")
    fake_engine.clear()
    with pytest.warns(UsageCacheWarning, match="corrupt"):
        again = run(fake_engine, UsageCache(tmp_path))
    (request,) = fake_engine.requests
    assert request.query["start_time"][0].startswith("2026-11-03")
    assert again.rows == good.rows


def test_an_unusable_directory_means_running_without_the_cache(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.warns(UsageCacheWarning, match="without the cache"):
        report = run(fake_engine, UsageCache(blocker / "cache"))
    assert report.complete and fake_engine.attempts == 7


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_means_running_without_the_cache(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.warns(UsageCacheWarning):
            report = run(fake_engine, UsageCache(tmp_path / "cache"))
    finally:
        tmp_path.chmod(0o700)
    assert report.complete


def test_a_cache_of_another_schema_version_is_discarded(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    run(fake_engine, cache)
    cache.close()
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    fake_engine.clear()
    run(fake_engine, UsageCache(tmp_path))
    assert fake_engine.attempts == 7


_CHILD = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from _generated import ApiClient, Configuration
    from _generated.reports import UsageCache, fetch_usage
    host, token, directory = sys.argv[1:4]
    with ApiClient(Configuration(host=host, access_token=token)) as client:
        report = fetch_usage(client, "2026-11-01", "2026-12-01", ["task"], "day",
                             cache=UsageCache(directory),
                             now=datetime(2026, 12, 2, tzinfo=timezone.utc))
    print(sum(r.total for r in report), len(report.cached))
    """
)


def test_two_processes_can_fill_one_cache_at_once(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    fake_engine.latency = 0.01
    env = {**os.environ, "PYTHONPATH": python_path(REPO)}
    argv = [sys.executable, "-c", _CHILD, fake_engine.host, fake_engine.token, str(tmp_path)]
    children = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    totals = {out.split()[0] for out, _ in outputs}
    assert len(totals) == 1 and not any("Warning" in err for _, err in outputs)
    fake_engine.clear()
    third = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert third.stdout.split() == [totals.pop(), "30"]
    assert fake_engine.attempts == 0


def test_info_and_clear(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    cache = UsageCache(tmp_path / "c")
    assert cache.info().windows == 0 and not cache.info().exists
    assert cache.clear() == 0
    run(fake_engine, cache)
    info = cache.info()
    assert info.exists and info.windows == 7 and info.size_bytes > 0
    assert info.directory == tmp_path / "c" and info.path.parent == info.directory
    assert cache.clear() == 7 and cache.info().windows == 0


def test_the_default_directory_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GENAI_USAGE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "genai-usage"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "genai-usage"
    monkeypatch.setenv("GENAI_USAGE_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"
    assert UsageCache().directory == tmp_path / "explicit"


def test_no_cache_unless_given(
    fake_engine: FakeUsageEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENAI_USAGE_CACHE_DIR", str(tmp_path / "never"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fake_engine.api_client() as client:
            fetch_usage(client, START, END, interval="day", now=AFTER)
    assert not (tmp_path / "never").exists()


def test_any_name_survives_the_cache(fake_engine: FakeUsageEngine, tmp_path: Path) -> None:
    import json

    from _generated.testing import Fault

    names = ['q"uote', "back\\slash", "nul\x00char", "Ünïcode ✓", "[1,2]", "null", None, ""]
    body = json.dumps(
        [
            {
                "rule_type": rule,
                "task_id": task,
                "count": {"inference": i, "eval_prompt": 1, "eval_completion": 2},
            }
            for i, (rule, task) in enumerate(zip(names, reversed(names), strict=True))
        ]
    )
    cache = UsageCache(tmp_path)
    with fake_engine.api_client() as client:
        fake_engine.inject(Fault.body(body))
        first = fetch_usage(
            client, START, "2026-11-02", ["rule_type", "task"], cache=cache, now=AFTER
        )
        fake_engine.clear()
        again = fetch_usage(
            client,
            START,
            "2026-11-02",
            ["rule_type", "task"],
            cache=UsageCache(tmp_path),
            now=AFTER,
        )
    assert fake_engine.attempts == 0
    assert again.rows == first.rows and len(first.rows) == len(names)


def test_windows_of_more_groups_than_one_insert_holds_read_back_exactly(
    fake_engine: FakeUsageEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from _generated.reports import cachedb
    from _generated.testing import Fault

    # 400 rows to a statement (the connection allows up to 16,383 on Python 3.11+):
    # 1,001 new groups take three statements, then 500 more come with 700 known ones.
    monkeypatch.setattr(cachedb, "_rows_per_insert", lambda connection: 400)
    first_day = [f"task-{i:04d}" for i in range(1001)]
    second_day = first_day[301:] + [f"new-{i:03d}" for i in range(500)]
    for day, tasks in enumerate((first_day, second_day)):
        body = [
            {
                "rule_type": "RegexRule",
                "task_id": task,
                "count": {"inference": i + day, "eval_prompt": day, "eval_completion": 1},
            }
            for i, task in enumerate(reversed(tasks))
        ]
        fake_engine.inject(Fault.body(json.dumps(body)))
    with fake_engine.api_client() as client:
        fetched = fetch_usage(
            client,
            START,
            "2026-11-03",
            ["rule_type", "task"],
            "day",
            workers=1,
            cache=UsageCache(tmp_path),
            now=AFTER,
        )
        fake_engine.clear()
        cached = fetch_usage(
            client,
            START,
            "2026-11-03",
            ["rule_type", "task"],
            "day",
            cache=UsageCache(tmp_path),
            now=AFTER,
        )
    assert fake_engine.attempts == 0 and cached.cached == cached.windows
    assert cached.rows == fetched.rows and len(cached.rows) == 1001 + 1200
    assert {r.task_id for r in cached.rows} == set(first_day) | set(second_day)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_full_disk_means_running_without_the_cache(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    # Every write to /dev/full fails with ENOSPC, as on a full disk.
    (tmp_path / UsageCache(tmp_path).path.name).symlink_to("/dev/full")
    with pytest.warns(UsageCacheWarning, match="disk is full"):
        report = run(fake_engine, UsageCache(tmp_path))
    assert report.complete and report.cached == [] and fake_engine.attempts == 7


def test_windows_of_one_layout_share_their_groups_and_clearing_forgets_them(
    tmp_path: Path,
) -> None:
    from _generated import ApiClient, Configuration, UsageApi
    from _generated.reports import Window
    from _generated.reports.store import GroupTable, columns_of

    api = UsageApi(ApiClient(Configuration(host="http://127.0.0.1:9", access_token="t")))
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    days = [Window(start + timedelta(days=i), start + timedelta(days=i + 1)) for i in range(3)]
    cache = UsageCache(tmp_path)
    scope = cache.scope(api, ("rule_type", "task"))
    first = [("RegexRule", "a"), ("RegexRule", "b")]
    writer = GroupTable()
    for i, day in enumerate(days[:2]):
        cache.store(scope, columns_of(day, writer, first, [i, 1], [2, 3], [4, 5]), writer)
    table = GroupTable()
    one, two = (cache.load(scope, day, table) for day in days[:2])
    assert one is not None and two is not None
    assert [(r.task_id, r.inference) for s in (one, two) for r in s.rows(table)] == [
        ("a", 0),
        ("b", 1),
        ("a", 1),
        ("b", 1),
    ]
    # Another table gets its own numbers, even for the same stored ids.
    other = GroupTable()
    other.numbers([("PIIDataRule", "z")])
    again = cache.load(scope, days[0], other)
    assert again is not None
    assert [r.task_id for r in again.rows(other)] == ["a", "b"]
    # After clear(), the same ids may name other groups: never the old keys.
    cache.clear()
    second = [("ToxicityRule", "x"), ("ToxicityRule", "y")]
    cache.store(scope, columns_of(days[2], writer, second, [7, 8], [0, 0], [0, 0]), writer)
    fresh = cache.load(scope, days[2], table)
    assert fresh is not None
    assert [(r.rule_type, r.task_id) for r in fresh.rows(table)] == second
    cache.close()


@pytest.mark.parametrize("stored", ["not json", "[1, 2, 3]", '"ab"', "[1, null]", "{}"])
def test_a_corrupt_group_key_warns_and_its_windows_are_fetched_again(
    fake_engine: FakeUsageEngine, tmp_path: Path, stored: str
) -> None:
    cache = UsageCache(tmp_path)
    good = run(fake_engine, cache)
    cache.close()
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE groups SET key = ? WHERE id = (SELECT MIN(id) FROM groups)", (stored,))
    fake_engine.clear()
    with pytest.warns(UsageCacheWarning, match="corrupt"):
        again = run(fake_engine, UsageCache(tmp_path))
    assert again.rows == good.rows and fake_engine.attempts > 0
    fake_engine.clear()
    assert run(fake_engine, UsageCache(tmp_path)).rows == good.rows  # repaired
    assert fake_engine.attempts == 0


_LIMITED_CHILD = textwrap.dedent(
    """
    import resource, signal, sys, warnings
    from datetime import datetime, timezone
    from _generated import ApiClient, Configuration
    from _generated.reports import UsageCache, fetch_usage
    host, token, directory = sys.argv[1:4]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))  # no file may grow: a full disk
    warnings.simplefilter("always")
    with ApiClient(Configuration(host=host, access_token=token)) as client:
        report = fetch_usage(client, "2026-11-01", "2026-11-08", ["task"], "day",
                             cache=UsageCache(directory),
                             now=datetime(2026, 11, 9, tzinfo=timezone.utc))
    print(len(report.windows), len(report.cached))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX resource limits")
def test_a_full_disk_never_discards_the_cache_it_cannot_write(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    good = run(fake_engine, UsageCache(tmp_path))
    env = {**os.environ, "PYTHONPATH": python_path(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, "-c", _LIMITED_CHILD, fake_engine.host, fake_engine.token]
    child = subprocess.run([*argv, str(tmp_path)], env=env, capture_output=True, text=True)
    assert child.returncode == 0, child.stderr
    assert "without the cache" in child.stderr and "discarding" not in child.stderr
    fake_engine.clear()
    assert run(fake_engine, UsageCache(tmp_path)).rows == good.rows
    assert fake_engine.attempts == 0  # the windows stored before are still there


class _LookAlike:
    """An object with the UsageApi method and nothing else (no api_client to key by)."""

    def __init__(self, client: ApiClient) -> None:
        self._api = UsageApi(client)

    def get_token_usage_api_v2_usage_tokens_get(self, **arguments: Any) -> Any:
        return self._api.get_token_usage_api_v2_usage_tokens_get(**arguments)


def test_an_api_without_a_host_never_reads_another_servers_windows(tmp_path: Path) -> None:
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    one = FakeUsageEngine([UsageRecord(monday, "task-a", "RegexRule", 1, 0, 0)])
    two = FakeUsageEngine([UsageRecord(monday, "task-a", "ToxicityRule", 5, 6, 7)])
    cache = UsageCache(tmp_path)
    with one, two, one.api_client() as first, two.api_client() as second:
        with pytest.warns(UsageCacheWarning, match="without the cache"):
            fetch_usage(_LookAlike(first), START, END, cache=cache, now=AFTER)
        with pytest.warns(UsageCacheWarning, match="without the cache"):
            report = fetch_usage(_LookAlike(second), START, END, cache=cache, now=AFTER)
    assert [(row.rule_type, row.total) for row in report] == [("ToxicityRule", 18)]
    assert two.attempts == 1 and cache.info().windows == 0


def test_a_cache_file_another_process_is_creating_is_waited_for(
    fake_engine: FakeUsageEngine, tmp_path: Path
) -> None:
    cache = UsageCache(tmp_path)
    # Another process's first run, mid-way: a new file, not yet in WAL mode, write-locked.
    other = sqlite3.connect(cache.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, other.execute, ("COMMIT",))
    release.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UsageCacheWarning)
            first = run(fake_engine, cache)
    finally:
        release.join()
        other.close()
    assert cache.info().windows == 7
    fake_engine.clear()
    assert run(fake_engine, UsageCache(tmp_path)).rows == first.rows
    assert fake_engine.attempts == 0
