"""TLS, header injection, redirects, plain-http token warnings and proxies
(test/test_tls_proxy.py) run against the async client.

Imported, not copied: an autouse fixture puts the async client behind the names those
scenarios use (``ApiClient``, ``UsageApi``, ``tls_api``, ``FakeUsageEngine.api_client``),
so each runs once more with ``_generated.aio``. The scenarios naming urllib3's exception
or warning types have async counterparts below.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import aiohttp
import pytest
import test_tls_proxy as scenarios
from test_tls_proxy import (  # noqa: F401  (collected here, with the async client)
    TOKEN,
    Certs,
    LoopbackProxy,
    TLSServer,
    certs,
    eventually,
    https,
    mtls,
    named_https,
    other_host,
    proxy,
    test_a_call_refused_for_its_headers_warns_nothing_about_the_token,
    test_a_certificate_for_another_name_is_refused,
    test_a_default_header_name_that_is_not_text_is_refused,
    test_a_redirect_to_another_host_still_authenticates_to_the_proxy,
    test_a_redirected_request_gets_no_hidden_urllib3_retries,
    test_a_relative_redirect_is_followed_on_the_same_host,
    test_a_token_with_a_newline_is_refused_without_echoing_it,
    test_a_warning_made_an_error_refuses_every_call,
    test_an_api_key_header_is_not_forwarded_to_another_host,
    test_an_unreachable_proxy_is_a_connection_error_naming_the_proxy,
    test_assert_hostname_names_the_expected_certificate,
    test_assert_hostname_still_checks_the_name,
    test_authorization_is_kept_on_a_same_host_redirect,
    test_authorization_is_not_forwarded_to_another_host,
    test_bytes_and_int_header_values_are_sent_as_text,
    test_ca_cert_data_is_trusted,
    test_client_certificate_is_presented,
    test_control_characters_in_header_names_are_refused_before_sending,
    test_control_characters_in_header_values_are_refused_before_sending,
    test_default_headers_are_checked_too,
    test_header_names_the_transport_would_refuse_are_refused_before_sending,
    test_header_values_the_transport_would_refuse_are_refused_before_sending,
    test_hosts_not_in_no_proxy_still_use_the_proxy,
    test_https_goes_through_a_connect_tunnel,
    test_no_proxy_hosts_are_reached_directly,
    test_no_warning_for_loopback_hosts,
    test_no_warning_without_a_token,
    test_redirects_are_bounded_and_the_last_one_is_an_error,
    test_requests_go_through_the_proxy_with_its_headers,
    test_the_ca_file_given_is_trusted,
    test_the_warning_comes_before_the_token_is_sent,
    test_tls_server_name_is_sent_and_checked,
    test_without_the_client_certificate_the_server_refuses,
)

from _generated import Configuration, aio
from _generated.api_client import InsecureTokenWarning
from _generated.exceptions import ApiConnectionError, ApiValueError
from _generated.retry import RetryPolicy
from _generated.testing import FakeUsageEngine
from aio._aio_helpers import BlockingClient, blocking_api


def _tls_api(server: TLSServer, **config: Any) -> tuple[BlockingClient, Any]:
    config.setdefault("access_token", TOKEN)
    config.setdefault("host", server.url)
    client = BlockingClient(Configuration(**config))
    return client, blocking_api(client)


@pytest.fixture(autouse=True)
def with_the_async_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scenarios, "ApiClient", BlockingClient)
    monkeypatch.setattr(scenarios, "UsageApi", blocking_api)
    monkeypatch.setattr(scenarios, "tls_api", _tls_api)
    monkeypatch.setattr(
        FakeUsageEngine,
        "api_client",
        lambda engine, **kwargs: BlockingClient(engine.configuration(**kwargs)),
    )


async def _fetch(configuration: Configuration) -> list[Any]:
    async with aio.ApiClient(configuration) as client:
        return await aio.UsageApi(client).get_token_usage_api_v2_usage_tokens_get(
            start_time=scenarios.START, end_time=scenarios.END
        )


def test_an_untrusted_certificate_is_refused_and_not_retried(https: TLSServer) -> None:  # noqa: F811
    sleeps: list[float] = []
    retries = RetryPolicy(max_retries=2, sleep=sleeps.append)
    config = Configuration(host=https.url, access_token=TOKEN, retries=retries)
    with pytest.raises(ApiConnectionError) as info:
        asyncio.run(_fetch(config))
    exc = info.value
    assert type(exc) is ApiConnectionError and exc.status == 0
    assert str(exc).startswith(f"TLS handshake with {https.url} failed")
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc)
    assert "check ssl_ca_cert" in str(exc)
    assert isinstance(exc.__cause__, aiohttp.ClientSSLError)
    assert exc.retryable is False
    assert sleeps == []
    assert eventually(lambda: https.failed_handshakes == 1)
    assert https.requests == []


def test_verify_ssl_false_accepts_any_certificate(https: TLSServer) -> None:  # noqa: F811
    config = Configuration(host=https.url, access_token=TOKEN, verify_ssl=False)
    assert len(asyncio.run(_fetch(config))) == 1


def test_token_over_plain_http_to_a_remote_host_warns(
    fake_engine: FakeUsageEngine,
    proxy: LoopbackProxy,  # noqa: F811
) -> None:
    config = fake_engine.configuration(host="http://engine.example", proxy=proxy.url, retries=0)

    async def scenario() -> list[warnings.WarningMessage]:
        async with aio.ApiClient(config) as client:
            api = aio.UsageApi(client)
            with pytest.warns(InsecureTokenWarning) as caught:
                assert await api.get_token_usage_api_v2_usage_tokens_get(
                    start_time=scenarios.START, end_time=scenarios.END
                )
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                await api.get_token_usage_api_v2_usage_tokens_get()  # once per host and client
        return list(caught)

    (warning,) = asyncio.run(scenario())
    assert str(warning.message).startswith(
        "sending a bearer token over plain http to engine.example"
    )
    assert fake_engine.token not in str(warning.message)
    assert warning.filename == __file__, "the warning points at the awaiting line"
    assert len(proxy.records) == 2


def test_a_socks_proxy_is_refused_clearly() -> None:
    config = Configuration(host="http://127.0.0.1:9", proxy="socks5://user:pw@127.0.0.1:1080")
    with pytest.raises(ApiValueError, match="use the sync client for SOCKS") as info:
        aio.ApiClient(config)
    assert "pw" not in str(info.value)
