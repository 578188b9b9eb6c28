"""The query string is quoted exactly as ``urllib.parse.quote`` (the generated client's
``parameters_to_url_query``) quotes it, for any text."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from _generated import ApiClient, Configuration


@given(st.lists(st.tuples(st.text(max_size=6), st.text(max_size=12)), max_size=4))
def test_values_and_names_are_quoted_as_quote_does(pairs: list[tuple[str, str]]) -> None:
    client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    expected = "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs)
    assert client.parameters_to_url_query(pairs, None) == expected


@given(st.lists(st.text(max_size=5), max_size=4), st.sampled_from(["csv", "ssv", "pipes"]))
def test_a_joined_list_quotes_each_item_then_joins(items: list[str], fmt: str) -> None:
    client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    delimiter = {"csv": ",", "ssv": " ", "pipes": "|"}[fmt]
    query = client.parameters_to_url_query([("k", items)], {"k": fmt})
    assert query == "k=" + delimiter.join(quote(item) for item in items)
