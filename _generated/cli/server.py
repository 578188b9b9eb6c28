"""Where requests go: host, token, proxy and CA from flags and environment, or the demo engine.

Everything here is checked before the first request, and a bad value is a usage error
naming the flag or variable it came from.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Optional
from urllib.parse import urlsplit

from _generated.cli.codes import UsageError
from _generated.cli.parser import ENV_HOST, ENV_TOKENS
from _generated.configuration import Configuration

__all__ = ["MIN_TOKEN_LENGTH", "Server", "Target", "resolve_target"]

#: Shorter tokens are refused: they could not be told apart from ordinary text in messages.
MIN_TOKEN_LENGTH: Final = 8
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")


@dataclass(frozen=True)
class Target:
    """A checked server address and its credentials (``token`` never printed)."""

    host: Optional[str]
    token: Optional[str] = None
    proxy: Optional[str] = None
    no_proxy: Optional[str] = None
    ca_bundle: Optional[str] = None

    def __repr__(self) -> str:
        return f"Target(host={self.host!r}, token=<{'set' if self.token else 'unset'}>)"


def check_url(url: str, source: str, what: str = "URL") -> str:
    """``url`` without a trailing slash, or :class:`UsageError` naming ``source``."""
    text = url.strip()
    expected = f"expected an http:// or https:// {what} such as https://engine.example.com"
    parts = urlsplit(text)
    # A proxy URL may carry user:password: never echo it.
    shown = (
        text if "@" not in parts.netloc else text.replace(parts.netloc.rpartition("@")[0], "***")
    )
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{source}: {expected}, got {shown!r}")
    if what != "proxy URL" and (parts.username is not None or parts.password is not None):
        raise UsageError(f"{source}: credentials in the URL are not used: pass --token")
    netloc = parts.netloc.rpartition("@")[2]
    if netloc.startswith("["):
        name, _, rest = netloc.partition("]")
        name, has_port, port = name + "]", rest.startswith(":"), rest[1:]
        if rest and not has_port:
            name += rest
    else:
        name, colon, port = netloc.partition(":")
        has_port = bool(colon)
    if not _HOSTNAME.fullmatch(name):
        raise UsageError(f"{source}: invalid host name {name!r} in {shown!r}")
    if has_port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise UsageError(f"{source}: invalid port {port!r} in {shown!r}: expected 1 to 65535")
    if parts.query or parts.fragment:
        raise UsageError(f"{source}: a base URL has no query or fragment, got {shown!r}")
    return text.rstrip("/")


def _token(args: argparse.Namespace, environ: Mapping[str, str]) -> Optional[str]:
    if args.token is not None:
        source = "argument --token"
        raw: Optional[str] = str(args.token)
        if not str(args.token).strip():
            raise UsageError(
                "argument --token: empty: pass the API key, or leave --token out to use "
                "$ARTHUR_API_KEY"
            )
    else:
        source, raw = next(
            ((f"${name}", environ[name]) for name in ENV_TOKENS if environ.get(name, "").strip()),
            ("", None),
        )
    if raw is None:
        return None
    # Mounted secrets usually end in a newline: surrounding whitespace is never part of a key.
    token = raw.strip()
    if any(char.isspace() or not char.isprintable() for char in token):
        raise UsageError(f"{source}: the token contains spaces or control characters")
    if len(token) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"{source}: the token is {len(token)} characters long; refusing tokens shorter "
            f"than {MIN_TOKEN_LENGTH}, which could not be kept out of messages"
        )
    return token


def _proxy(args: argparse.Namespace, host: str, environ: Mapping[str, str]) -> Optional[str]:
    if args.proxy is not None:
        return check_url(args.proxy, "argument --proxy", "proxy URL")
    scheme = urlsplit(host).scheme.lower()
    for name in (
        ("HTTPS_PROXY", "https_proxy") if scheme == "https" else ("HTTP_PROXY", "http_proxy")
    ):
        value = environ.get(name, "").strip()
        if value:
            return check_url(value, f"${name}", "proxy URL")
    return None


def resolve_target(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Target:
    """Host, token, proxy and CA bundle for a run (``host`` is None with ``--demo``)."""
    ca_bundle = args.ca_bundle
    if ca_bundle is not None and not os.path.isfile(ca_bundle):
        raise UsageError(f"argument --ca-bundle: no such file: {ca_bundle!r}")
    if ca_bundle is not None and not os.access(ca_bundle, os.R_OK):
        raise UsageError(f"argument --ca-bundle: cannot read {ca_bundle!r}")
    if args.demo:
        return Target(host=None, ca_bundle=ca_bundle)
    if args.host is not None:
        host = check_url(args.host, "argument --host")
    elif environ.get(ENV_HOST, "").strip():
        host = check_url(environ[ENV_HOST], f"${ENV_HOST}")
    else:
        raise UsageError(f"no server: pass --host URL or set {ENV_HOST} (or use --demo)")
    no_proxy = environ.get("NO_PROXY") or environ.get("no_proxy") or None
    return Target(
        host=host,
        token=_token(args, environ),
        proxy=_proxy(args, host, environ),
        no_proxy=no_proxy,
        ca_bundle=ca_bundle,
    )


class Server:
    """Context manager giving the ``Target`` to use: the one resolved, or the demo engine's."""

    def __init__(self, target: Target, note: Any) -> None:
        self._target = target
        self._note = note
        self._engine: Any = None

    def __enter__(self) -> Target:
        if self._target.host is not None:
            return self._target
        # The demo engine is the test double; it is loaded only for --demo.
        from _generated.testing import FakeUsageEngine, demo_records

        self._engine = FakeUsageEngine(demo_records(), token=secrets.token_urlsafe(16))
        self._engine.start()
        self._note(f"demo engine with sample data at {self._engine.host}")
        return Target(host=self._engine.host, token=self._engine.token)

    def __exit__(self, *exc_info: object) -> None:
        if self._engine is not None:
            self._engine.stop()


def make_configuration(
    target: Target,
    *,
    retries: Optional[int],
    workers: int,
    timeout: Optional[float],
    deadline: Optional[float],
) -> Configuration:
    """The client configuration of a run; ``deadline`` bounds the whole run, not each call."""

    class RunConfiguration(Configuration):
        # Each call reads ``deadline`` when it starts: give it what is left of the run's.
        @property
        def deadline(self) -> Optional[float]:
            if self._run_ends is None:
                return None
            return max(self._run_ends - time.monotonic(), 0.001)

        @deadline.setter
        def deadline(self, value: Optional[float]) -> None:
            self._run_ends = None if value is None else time.monotonic() + value

    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    configuration = RunConfiguration(
        host=target.host,
        access_token=target.token,
        retries=retries,
        connection_pool_maxsize=max(workers, 4),
        ssl_ca_cert=target.ca_bundle,
        proxy=target.proxy,
        no_proxy=target.no_proxy,
        deadline=deadline,
        **extra,
    )
    return configuration
