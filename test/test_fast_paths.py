"""The per-call fast paths give exactly what the general paths give (proposed for test/)."""

from __future__ import annotations

import datetime
import gc
import threading
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from _generated import ApiClient, Configuration, TokenUsageScope
from _generated._parsing import _GC_PAUSE, parse_body
from _generated.api_client import _plain_query, _quote_value

_ZONES = st.sampled_from(
    [
        None,
        datetime.timezone.utc,
        datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
        datetime.timezone(datetime.timedelta(hours=-3, seconds=7)),
    ]
)
_VALUES = st.one_of(
    st.text(max_size=8),
    st.datetimes(timezones=_ZONES),
    st.lists(st.one_of(st.text(max_size=4), st.sampled_from(list(TokenUsageScope))), max_size=3),
    st.sampled_from([1, True, None, 2.5, TokenUsageScope.TASK, datetime.date(2026, 1, 1)]),
)
_QUERIES = st.lists(
    st.tuples(st.sampled_from(["start_time", "group_by", "k y", "é"]), _VALUES), max_size=4
)
_FORMATS = st.sampled_from([None, {"group_by": "multi"}, {"group_by": "csv"}, {"é": "multi"}])


@given(_QUERIES, _FORMATS)
def test_plain_query_equals_the_general_path(queries: list[Any], formats: Any) -> None:
    client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    try:
        general = client.parameters_to_url_query(
            client.sanitize_for_serialization(queries), formats
        )
    except TypeError:  # e.g. an int in "multi" format: the fast path must not hide it
        assert _plain_query(queries, formats) is None
        return
    fast = _plain_query(queries, formats)
    assert fast is None or fast == general
    assert client._query_string(queries, formats) == general


@given(st.text(max_size=16))
def test_quote_value_equals_urllib_quote(text: str) -> None:
    assert _quote_value(text) == quote(text, safe="")


def test_an_overridden_step_takes_the_general_path() -> None:
    class Custom(ApiClient):
        def sanitize_for_serialization(self, obj: Any) -> Any:
            if isinstance(obj, datetime.datetime):
                return "custom"
            return super().sanitize_for_serialization(obj)

    when = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    client = Custom(Configuration(host="http://127.0.0.1:9"))
    assert client._query_string([("start_time", when)], None) == "start_time=custom"


def test_parsing_a_large_body_leaves_the_collector_as_it_was() -> None:
    row = b'{"rule_type":"r","task_id":"t","count":{"inference":1,"eval_prompt":2,"eval_completion":3}}'  # noqa: E501
    body = b"[" + b",".join([row] * 2000) + b"]"  # above GC_PAUSE_MIN_BODY

    def parse() -> list[Any]:
        return parse_body(  # type: ignore[no-any-return]
            body, "List[TokenUsageResponse]", status=200, reason="OK", headers={}
        )

    assert gc.isenabled()
    assert len(parse()) == 2000
    assert gc.isenabled()
    gc.disable()
    try:
        parse()
        assert not gc.isenabled()  # an application that turned it off keeps it off
    finally:
        gc.enable()


def test_concurrent_pauses_reenable_the_collector_once_all_end() -> None:
    entered, release = threading.Barrier(2), threading.Event()

    def pause() -> None:
        with _GC_PAUSE:
            entered.wait(timeout=5)
            release.wait(timeout=5)

    worker = threading.Thread(target=pause)
    worker.start()
    with _GC_PAUSE:
        entered.wait(timeout=5)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread is still parsing
    release.set()
    worker.join(timeout=5)
    assert gc.isenabled()
