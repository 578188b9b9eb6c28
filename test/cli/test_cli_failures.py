"""Clear failures: 404, 400, a long Retry-After, bad hosts, ports and tokens, redaction.

Every run is a subprocess against ``FakeUsageEngine``; every error is one
``genai-usage: error:`` line.
"""

from __future__ import annotations

import json

import pytest
from cli_helpers import RANGE, assert_one_line_error, engine_env, run_cli

from _generated.testing import FakeUsageEngine, Fault


def test_404_names_the_url_tried_and_the_path_prefix(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.status(404), times=1)
    result = run_cli("tokens", *RANGE, "--retries", "0", env=engine_env(fake_engine))
    assert result.returncode == 4
    assert_one_line_error(result, f"{fake_engine.host}/api/v2/usage/tokens", "path prefix")


def test_a_server_400_is_exit_2_with_the_servers_words_in_one_bounded_line(
    fake_engine: FakeUsageEngine,
) -> None:
    detail = "1 validation error for TokenQueryRow\n  inference\n" + "x" * 3000
    fake_engine.inject(Fault.status(400, body=json.dumps({"detail": detail})), times=1)
    result = run_cli("tokens", *RANGE, env=engine_env(fake_engine))
    assert result.returncode == 2
    assert_one_line_error(result, "refused the request", "1 validation error for TokenQueryRow")
    assert len(result.stderr) < 700
    assert fake_engine.attempts == 1  # a 400 is not retried


def test_a_429_not_retried_says_how_long_the_server_asked_to_wait(
    fake_engine: FakeUsageEngine,
) -> None:
    fake_engine.inject(Fault.status(429, headers={"Retry-After": "3600"}), times=1)
    result = run_cli("tokens", *RANGE, env=engine_env(fake_engine))
    assert result.returncode == 4
    assert_one_line_error(result, "asked to wait 60 min", "Retry-After")
    assert fake_engine.attempts == 1


@pytest.mark.parametrize(
    ("host", "needle"),
    [
        ("http://127.0.0.1:99999", "invalid port"),
        ("http://127.0.0.1:http", "invalid port"),
        ("http://127.0.0.1:0", "invalid port"),
        ("http://bad host.example", "invalid host name"),
        ("http://", "expected an http:// or https://"),
        ("ftp://engine.example.com", "expected an http:// or https://"),
        ("https://user:secret@engine.example.com", "credentials"),
    ],
)
def test_an_invalid_host_or_port_is_a_usage_error(
    fake_engine: FakeUsageEngine, host: str, needle: str
) -> None:
    flag = run_cli("tokens", *RANGE, "--host", host, env={"ARTHUR_API_KEY": fake_engine.token})
    assert flag.returncode == 2
    assert_one_line_error(flag, "--host", needle)
    assert "secret" not in flag.stderr
    env = run_cli("tokens", *RANGE, env={"ARTHUR_BASE_URL": host})
    assert env.returncode == 2
    assert_one_line_error(env, "$ARTHUR_BASE_URL", needle)


def test_a_token_from_the_environment_is_stripped(fake_engine: FakeUsageEngine) -> None:
    env = {"ARTHUR_BASE_URL": fake_engine.host, "ARTHUR_API_KEY": f"  {fake_engine.token}\r\n"}
    result = run_cli("tokens", *RANGE, "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    assert fake_engine.requests[0].header("Authorization") is not None


@pytest.mark.parametrize(
    ("flags", "env", "needle"),
    [
        (["--token", ""], {"ARTHUR_API_KEY": "engine-token-from-env"}, "--token: empty"),
        (["--token", "   "], {}, "--token: empty"),
        (["--token", "sh0rt7"], {}, "shorter than 8"),
        ([], {"ARTHUR_API_KEY": "abc\n"}, "$ARTHUR_API_KEY"),
        (["--token", "has inner space"], {}, "spaces or control characters"),
    ],
)
def test_bad_tokens_are_usage_errors_before_any_request(
    fake_engine: FakeUsageEngine, flags: list[str], env: dict[str, str], needle: str
) -> None:
    result = run_cli("tokens", *RANGE, *flags, env={"ARTHUR_BASE_URL": fake_engine.host, **env})
    assert result.returncode == 2
    assert_one_line_error(result, needle)
    assert fake_engine.attempts == 0
    for value in [*flags[1:], *env.values()]:
        assert not value.strip() or value.strip() not in result.stderr


def test_redaction_replaces_the_whole_token_only(fake_engine: FakeUsageEngine) -> None:
    token = fake_engine.token
    body = {"detail": f"unknown key {token}; keys look like {token[:4]}"}
    fake_engine.inject(Fault.status(401, body=json.dumps(body)), times=1)
    result = run_cli("tokens", *RANGE, "--retries", "0", env=engine_env(fake_engine))
    assert result.returncode == 3
    assert_one_line_error(result, "unknown key [redacted]", f"keys look like {token[:4]}")
    assert token not in result.stderr


def test_server_text_in_messages_is_escaped(fake_engine: FakeUsageEngine) -> None:
    body = {"detail": "bad\x1b]0;pwned\x07 range\r\nsecond line"}
    fake_engine.inject(Fault.status(400, body=json.dumps(body)), times=1)
    result = run_cli("tokens", *RANGE, env=engine_env(fake_engine))
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert_one_line_error(result, "bad")


def test_the_advice_names_flags_not_sdk_settings(fake_engine: FakeUsageEngine) -> None:
    fake_engine.inject(Fault.hang(), times=1)
    result = run_cli(
        "tokens", *RANGE, "--timeout", "0.5", "--retries", "0", env=engine_env(fake_engine)
    )
    assert result.returncode == 4
    assert_one_line_error(result, "--timeout")
    assert "_request_timeout" not in result.stderr


def test_a_401_after_a_redirect_elsewhere_names_the_redirect_not_the_token(
    fake_engine: FakeUsageEngine,
) -> None:
    # An http -> https proxy redirect is the usual case: the token is (rightly) not sent on.
    with FakeUsageEngine() as elsewhere:
        fake_engine.inject(Fault.status(301, headers={"Location": elsewhere.url()}), times=5)
        result = run_cli("tokens", *RANGE, "--no-cache", env=engine_env(fake_engine))
        there = elsewhere.host
    assert result.returncode == 3
    assert_one_line_error(result, f"at {there}, where the server redirected", f"--host {there}")
    assert "check --token" not in result.stderr
