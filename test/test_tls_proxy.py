"""Transport safety: TLS verification, header injection, redirects, plain-http tokens, proxies.

Everything runs on loopback. Certificates are made here with the ``openssl`` command line
(a throw-away CA, a server certificate for 127.0.0.1, one for the name ``engine.test`` only,
and a client certificate); the HTTPS server is ``http.server`` wrapped in ``ssl``; the
forward proxy is a few stdlib sockets that record what they see and send plain requests to
the fake engine (so a request "to" a public name never leaves the machine) and tunnel
``CONNECT`` to loopback addresses only.
"""

from __future__ import annotations

import ipaddress
import json
import select
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode, urlsplit

import pytest
import urllib3
from _helpers import END, START, Sleeps, fetch

from _generated import ApiClient, Configuration, UsageApi
from _generated._constants import DEFAULT_REDIRECTS
from _generated.api_client import InsecureTokenWarning
from _generated.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiValueError,
    UnauthorizedException,
)
from _generated.retry import RetryPolicy
from _generated.testing import ENDPOINT_PATH, FakeUsageEngine, Fault

TOKEN = "tls-test-token-5d81c0e2"
ROW = {
    "rule_type": "PIIDataRule",
    "task_id": None,
    "count": {
        "inference": 10,
        "eval_prompt": 20,
        "eval_completion": 3,
        "user_input": 10,
        "prompt": 20,
        "completion": 3,
    },
}
IO_TIMEOUT = 5.0


def eventually(predicate: Any, seconds: float = 2.0) -> bool:
    """Poll ``predicate`` until true or ``seconds`` pass (servers finish after the client)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# -- certificates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    ca: Path
    server: tuple[Path, Path]  # SAN IP:127.0.0.1, DNS:localhost
    named: tuple[Path, Path]  # SAN DNS:engine.test only
    client: tuple[Path, Path]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _leaf(directory: Path, name: str, extensions: str) -> tuple[Path, Path]:
    key, csr, pem, ext = (directory / f"{name}.{s}" for s in ("key", "csr", "pem", "ext"))
    ext.write_text(
        extensions + "\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.name, "-out", csr.name, "-subj", f"/CN={name}", cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", csr.name, "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", pem.name, "-extfile", ext.name, cwd=directory,
    )  # fmt: skip
    return pem, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is needed to make test certificates")
    directory = tmp_path_factory.mktemp("certs")
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=SDK test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    return Certs(
        ca=directory / "ca.pem",
        server=_leaf(
            directory,
            "server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth",
        ),
        named=_leaf(
            directory, "named", "subjectAltName=DNS:engine.test\nextendedKeyUsage=serverAuth"
        ),
        client=_leaf(directory, "client", "extendedKeyUsage=clientAuth"),
    )


# -- a small HTTPS server -------------------------------------------------------------------------


class _TLSHandler(BaseHTTPRequestHandler):
    server: _TLSHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = IO_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        authorized = self.headers.get("Authorization") == f"Bearer {TOKEN}"
        with owner.lock:
            owner.requests.append((self.path, authorized))
        if urlsplit(self.path).path == ENDPOINT_PATH and authorized:
            status, body = 200, json.dumps([ROW]).encode()
        else:
            status, body = 401, b'{"detail":"Not authenticated"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _TLSHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: TLSServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _TLSHandler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs in the connection's own thread, never in the accept loop.
        owner = self.owner
        with owner.lock:
            owner.connections += 1
        request.settimeout(IO_TIMEOUT)
        try:
            tls = owner.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with owner.lock:
                owner.failed_handshakes += 1
            return
        try:
            peer = tls.getpeercert()
            if peer:
                with owner.lock:
                    owner.client_subjects.append(dict(item[0] for item in peer["subject"]))
            self.RequestHandlerClass(tls, client_address, self)
        except OSError:
            pass  # the client left mid-request (e.g. it rejected a client certificate)
        finally:
            tls.close()


@dataclass
class TLSServer:
    """An HTTPS server on 127.0.0.1 answering the endpoint with one fixed row."""

    cert: tuple[Path, Path]
    client_ca: Optional[Path] = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0
    failed_handshakes: int = 0
    requests: list[tuple[str, bool]] = field(default_factory=list)
    server_names: list[Optional[str]] = field(default_factory=list)
    client_subjects: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.cert)
        if self.client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.client_ca)
        context.sni_callback = self._sni
        self.context = context
        self._httpd = _TLSHTTPServer(self)
        self.port = self._httpd.server_port
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _sni(self, sock: Any, server_name: Optional[str], context: Any) -> None:
        with self.lock:
            self.server_names.append(server_name)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=2)


@pytest.fixture
def https(certs: Certs) -> Iterator[TLSServer]:
    server = TLSServer(certs.server)
    yield server
    server.stop()


def tls_api(server: TLSServer, **config: Any) -> tuple[ApiClient, UsageApi]:
    config.setdefault("access_token", TOKEN)
    config.setdefault("host", server.url)
    client = ApiClient(Configuration(**config))
    return client, UsageApi(client)


# -- TLS ------------------------------------------------------------------------------------------


def test_verification_is_on_by_default() -> None:
    assert Configuration().verify_ssl is True


def test_an_untrusted_certificate_is_refused_and_not_retried(https: TLSServer) -> None:
    sleeps = Sleeps()
    client, api = tls_api(https, retries=RetryPolicy(max_retries=2, sleep=sleeps))
    with client, pytest.raises(ApiConnectionError) as info:
        fetch(api)
    exc = info.value
    assert type(exc) is ApiConnectionError and exc.status == 0
    assert str(exc).startswith(f"TLS handshake with {https.url} failed")
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc)
    assert "check ssl_ca_cert" in str(exc)
    assert isinstance(exc.__cause__, urllib3.exceptions.MaxRetryError)
    assert isinstance(exc.__cause__.reason, urllib3.exceptions.SSLError)
    assert exc.retryable is False
    assert sleeps.delays == []
    assert eventually(lambda: https.failed_handshakes == 1)
    assert https.connections == 1
    assert https.requests == []


def test_the_ca_file_given_is_trusted(https: TLSServer, certs: Certs) -> None:
    client, api = tls_api(https, ssl_ca_cert=str(certs.ca))
    with client:
        rows = fetch(api)
    assert [row.to_dict() for row in rows] == [ROW]
    assert https.requests[0][1] is True


def test_ca_cert_data_is_trusted(https: TLSServer, certs: Certs) -> None:
    client, api = tls_api(https, ca_cert_data=certs.ca.read_text())
    with client:
        assert len(fetch(api)) == 1


def test_verify_ssl_false_accepts_any_certificate(https: TLSServer) -> None:
    client, api = tls_api(https, verify_ssl=False)
    with client, pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        assert len(fetch(api)) == 1


@pytest.fixture
def named_https(certs: Certs) -> Iterator[TLSServer]:
    server = TLSServer(certs.named)
    yield server
    server.stop()


def test_a_certificate_for_another_name_is_refused(named_https: TLSServer, certs: Certs) -> None:
    client, api = tls_api(named_https, ssl_ca_cert=str(certs.ca), retries=2)
    with client, pytest.raises(ApiConnectionError, match="TLS handshake") as info:
        fetch(api)
    assert "127.0.0.1" in str(info.value)
    assert named_https.connections == 1


def test_assert_hostname_names_the_expected_certificate(
    named_https: TLSServer, certs: Certs
) -> None:
    client, api = tls_api(named_https, ssl_ca_cert=str(certs.ca), assert_hostname="engine.test")
    with client:
        assert len(fetch(api)) == 1


def test_assert_hostname_still_checks_the_name(named_https: TLSServer, certs: Certs) -> None:
    client, api = tls_api(named_https, ssl_ca_cert=str(certs.ca), assert_hostname="other.test")
    with client, pytest.raises(ApiConnectionError, match="TLS handshake"):
        fetch(api)


def test_tls_server_name_is_sent_and_checked(named_https: TLSServer, certs: Certs) -> None:
    client, api = tls_api(named_https, ssl_ca_cert=str(certs.ca), tls_server_name="engine.test")
    with client:
        assert len(fetch(api)) == 1
    assert named_https.server_names == ["engine.test"]


@pytest.fixture
def mtls(certs: Certs) -> Iterator[TLSServer]:
    server = TLSServer(certs.server, client_ca=certs.ca)
    yield server
    server.stop()


def test_client_certificate_is_presented(mtls: TLSServer, certs: Certs) -> None:
    cert, key = certs.client
    client, api = tls_api(mtls, ssl_ca_cert=str(certs.ca), cert_file=str(cert), key_file=str(key))
    with client:
        assert len(fetch(api)) == 1
    assert mtls.client_subjects == [{"commonName": "client"}]


def test_without_the_client_certificate_the_server_refuses(mtls: TLSServer, certs: Certs) -> None:
    client, api = tls_api(mtls, ssl_ca_cert=str(certs.ca), retries=0)
    with client, pytest.raises(ApiConnectionError):
        fetch(api)
    assert mtls.requests == []


# -- header injection -----------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\r", "\n", "\0", "\r\n"], ids=["CR", "LF", "NUL", "CRLF"])
def test_control_characters_in_header_values_are_refused_before_sending(
    fake_engine: FakeUsageEngine, char: str
) -> None:
    with fake_engine.api_client() as client:
        api = UsageApi(client)
        with pytest.raises(ApiValueError) as info:
            fetch(api, _headers={"X-Trace": f"a{char}X-Injected: 1"})
    assert str(info.value) == "the value of header 'X-Trace' contains CR, LF or NUL"
    assert fake_engine.attempts == 0


def test_a_call_refused_for_its_headers_warns_nothing_about_the_token(
    fake_engine: FakeUsageEngine,
) -> None:
    # Nothing is sent, so no token crosses the network: no InsecureTokenWarning either.
    config = fake_engine.configuration(host="http://engine.example", retries=0)
    with ApiClient(config) as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ApiValueError, match="CR, LF or NUL"):
            fetch(UsageApi(client), _headers={"X-Trace": "a\r\nX-Injected: 1"})
    assert not [w for w in caught if issubclass(w.category, InsecureTokenWarning)]


@pytest.mark.parametrize("char", ["\r", "\n", "\0"], ids=["CR", "LF", "NUL"])
def test_control_characters_in_header_names_are_refused_before_sending(
    fake_engine: FakeUsageEngine, char: str
) -> None:
    with (
        fake_engine.api_client() as client,
        pytest.raises(ApiValueError, match=r"^header name '.*' contains CR, LF or NUL$"),
    ):
        fetch(UsageApi(client), _headers={f"X-A{char}B": "1"})
    assert fake_engine.attempts == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"secret-bytes\r\nX-Injected: 1", "contains CR, LF or NUL"),
        (None, "must be a str, bytes or int, got NoneType"),
        (["secret-list"], "must be a str, bytes or int, got list"),
        ("secret-\u20ac", "has characters outside Latin-1"),
    ],
    ids=["bytes-with-CRLF", "None", "list", "not-Latin-1"],
)
def test_header_values_the_transport_would_refuse_are_refused_before_sending(
    fake_engine: FakeUsageEngine, value: Any, expected: str
) -> None:
    with fake_engine.api_client() as client, pytest.raises(ApiValueError) as info:
        fetch(UsageApi(client), _headers={"X-Api-Key": value})
    assert str(info.value) == f"the value of header 'X-Api-Key' {expected}"
    assert "secret" not in f"{info.value} {info.value!r}"
    assert fake_engine.attempts == 0


def test_bytes_and_int_header_values_are_sent_as_text(fake_engine: FakeUsageEngine) -> None:
    # http.client takes both (the generated client passes them on); the async client too.
    with fake_engine.api_client() as client:
        fetch(UsageApi(client), _headers={"X-Trace": b"trace-1", "X-Attempt": 5})
    (request,) = fake_engine.requests
    assert (request.header("X-Trace"), request.header("X-Attempt")) == ("trace-1", "5")


@pytest.mark.parametrize("name", ["Bad:Name", " X-Leading-Space", ""])
def test_header_names_the_transport_would_refuse_are_refused_before_sending(
    fake_engine: FakeUsageEngine, name: str
) -> None:
    with (
        fake_engine.api_client() as client,
        pytest.raises(ApiValueError, match=r"^header name '.*' is not a valid HTTP header name$"),
    ):
        fetch(UsageApi(client), _headers={name: "1"})
    assert fake_engine.attempts == 0


def test_a_token_with_a_newline_is_refused_without_echoing_it(
    fake_engine: FakeUsageEngine,
) -> None:
    secret = "secret-part-one\r\nX-Evil: secret-part-two"
    with (
        fake_engine.api_client(access_token=secret) as client,
        pytest.raises(ApiValueError) as info,
    ):
        fetch(UsageApi(client))
    message = f"{info.value} {info.value!r}"
    assert "Authorization" in message
    assert "secret-part" not in message
    assert fake_engine.attempts == 0


def test_default_headers_are_checked_too(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        client.set_default_header("X-Tenant", "a\nb")
        with pytest.raises(ApiValueError, match="'X-Tenant'"):
            fetch(UsageApi(client))
    assert fake_engine.attempts == 0


def test_a_default_header_name_that_is_not_text_is_refused(fake_engine: FakeUsageEngine) -> None:
    with fake_engine.api_client() as client:
        client.default_headers[b"X-Tenant"] = "acme"  # type: ignore[index]
        with pytest.raises(ApiValueError, match=r"^header name b'X-Tenant' must be a str$"):
            fetch(UsageApi(client))
    assert fake_engine.attempts == 0


# -- redirects ------------------------------------------------------------------------------------


@pytest.fixture
def other_host() -> Iterator[FakeUsageEngine]:
    """A second fake engine on 127.0.0.2: a different host for urllib3's redirect check."""
    try:
        engine = FakeUsageEngine(host="127.0.0.2").start()
    except OSError as exc:
        pytest.skip(f"cannot bind 127.0.0.2 here: {exc}")
    yield engine
    engine.stop()


def test_authorization_is_not_forwarded_to_another_host(
    fake_engine: FakeUsageEngine, other_host: FakeUsageEngine
) -> None:
    location = other_host.url(ENDPOINT_PATH + "?group_by=task")
    fake_engine.inject(Fault.status(307, headers={"Location": location}))
    with fake_engine.api_client() as client, pytest.raises(UnauthorizedException):
        fetch(UsageApi(client))
    (first,) = fake_engine.requests
    assert first.authorized
    (second,) = other_host.requests
    assert second.header("Authorization") is None
    assert not second.authorized
    assert second.query == {"group_by": ["task"]}, "the redirect was followed"


def test_an_api_key_header_is_not_forwarded_to_another_host(
    fake_engine: FakeUsageEngine, other_host: FakeUsageEngine
) -> None:
    fake_engine.inject(Fault.status(307, headers={"Location": other_host.url(ENDPOINT_PATH)}))
    with fake_engine.api_client() as client, pytest.raises(UnauthorizedException):
        client.set_default_header("X-Api-Key", "tenant-key")
        fetch(UsageApi(client), _headers={"X-Trace": "kept"})
    (first,) = fake_engine.requests
    assert first.header("X-Api-Key") == "tenant-key"
    (second,) = other_host.requests
    assert second.header("X-Api-Key") is None
    assert second.header("X-Trace") == "kept", "other headers still go along"


def test_authorization_is_kept_on_a_same_host_redirect(fake_engine: FakeUsageEngine) -> None:
    location = fake_engine.url(ENDPOINT_PATH + "?start_time=2026-11-02T00:00:00Z")
    fake_engine.inject(Fault.status(302, headers={"Location": location}))
    with fake_engine.api_client() as client:
        rows = fetch(UsageApi(client))
    assert len(fake_engine.requests) == 2
    assert all(request.authorized for request in fake_engine.requests)
    assert rows


def test_a_relative_redirect_is_followed_on_the_same_host(fake_engine: FakeUsageEngine) -> None:
    bounds = {
        "start_time": [f"{START:%Y-%m-%dT%H:%M:%SZ}"],
        "end_time": [f"{END:%Y-%m-%dT%H:%M:%SZ}"],
    }
    location = f"{ENDPOINT_PATH}?group_by=task&" + urlencode(bounds, doseq=True)
    fake_engine.inject(Fault.status(308, headers={"Location": location}))
    with fake_engine.api_client() as client:
        rows = fetch(UsageApi(client))
    first, second = fake_engine.requests
    assert first.authorized and second.authorized
    assert second.query == {"group_by": ["task"], **bounds}
    assert rows and all(row.task_id is not None for row in rows)


def test_redirects_are_bounded_and_the_last_one_is_an_error(fake_engine: FakeUsageEngine) -> None:
    # Three redirects are followed (DEFAULT_REDIRECTS); the fourth 3xx is the call's answer.
    fake_engine.inject(Fault.status(302, headers={"Location": ENDPOINT_PATH}), times=10)
    with fake_engine.api_client(retries=0) as client, pytest.raises(ApiException) as caught:
        fetch(UsageApi(client))
    assert caught.value.status == 302
    assert fake_engine.attempts == 1 + DEFAULT_REDIRECTS


def test_a_redirected_request_gets_no_hidden_urllib3_retries(
    fake_engine: FakeUsageEngine, other_host: FakeUsageEngine
) -> None:
    fake_engine.inject(Fault.status(307, headers={"Location": other_host.url()}))
    other_host.inject(Fault.drop(), times=5)  # urllib3 itself would retry this
    with fake_engine.api_client(retries=0) as client, pytest.raises(ApiConnectionError):
        fetch(UsageApi(client))
    assert other_host.attempts == 1


# -- plain-http tokens ----------------------------------------------------------------------------


@dataclass
class ProxyRecord:
    method: str
    target: str
    headers: dict[str, str]


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: _ProxyServer
    timeout = IO_TIMEOUT

    def handle(self) -> None:
        head = self._read_head()
        if head is None:
            return
        request_line, headers = head
        method, target, _version = request_line.split(" ", 2)
        owner = self.server.owner
        with owner.lock:
            owner.records.append(ProxyRecord(method, target, headers))
        if method == "CONNECT":
            self._tunnel(target)
        else:
            self._forward(method, target, headers)

    def _read_head(self) -> Optional[tuple[str, dict[str, str]]]:
        lines: list[str] = []
        while len(lines) < 100:
            line = self.rfile.readline(8192)
            if not line:
                return None
            text = line.decode("latin-1").rstrip("\r\n")
            if not text:
                break
            lines.append(text)
        headers = dict(line.split(": ", 1) for line in lines[1:])
        return lines[0], headers

    def _forward(self, method: str, target: str, headers: dict[str, str]) -> None:
        # Whatever host the absolute URL names, the request goes to the fake engine.
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        kept = {
            name: value
            for name, value in headers.items()
            if not name.lower().startswith("proxy-") and name.lower() != "connection"
        }
        kept["Connection"] = "close"
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept.items())
        with socket.create_connection(self.server.owner.upstream, timeout=IO_TIMEOUT) as up:
            up.sendall(head.encode("latin-1") + b"\r\n")
            while chunk := up.recv(65536):
                self.connection.sendall(chunk)

    def _tunnel(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        if not ipaddress.ip_address(host.strip("[]")).is_loopback:
            self.connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        owner = self.server.owner
        with socket.create_connection((host, int(port)), timeout=IO_TIMEOUT) as up:
            self.connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            ends = [self.connection, up]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not owner.stopping.is_set():
                readable, _, _ = select.select(ends, [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is self.connection:
                        with owner.lock:
                            owner.tunneled += data
                    (up if sock is self.connection else self.connection).sendall(data)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner: LoopbackProxy) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class LoopbackProxy:
    """A forward proxy on 127.0.0.1 that records requests; plain ones go to ``upstream``."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.records: list[ProxyRecord] = []
        self.tunneled = bytearray()
        self._server = _ProxyServer(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)


@pytest.fixture
def proxy(fake_engine: FakeUsageEngine) -> Iterator[LoopbackProxy]:
    server = LoopbackProxy(("127.0.0.1", fake_engine.port))
    yield server
    server.stop()


def test_token_over_plain_http_to_a_remote_host_warns(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy
) -> None:
    # The request goes to the loopback proxy only; "engine.example" is never resolved.
    config = fake_engine.configuration(host="http://engine.example", proxy=proxy.url, retries=0)
    with ApiClient(config) as client:
        api = UsageApi(client)
        with pytest.warns(InsecureTokenWarning) as caught:
            rows = api.get_token_usage_api_v2_usage_tokens_get(start_time=START, end_time=END)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fetch(api)  # once per host and client
    assert rows
    (warning,) = caught
    message = str(warning.message)
    assert message == (
        "sending a bearer token over plain http to engine.example; use https:// so it is "
        "not readable on the network"
    )
    assert fake_engine.token not in message
    assert warning.filename == __file__, "the warning points at the caller's line"
    assert [r.target.split("?")[0] for r in proxy.records] == [
        "http://engine.example/api/v2/usage/tokens"
    ] * 2


def test_the_warning_comes_before_the_token_is_sent(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy
) -> None:
    config = fake_engine.configuration(host="http://engine.example", proxy=proxy.url)
    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTokenWarning)
        with pytest.raises(InsecureTokenWarning):
            fetch(UsageApi(client))
    assert proxy.records == []
    assert fake_engine.attempts == 0


def test_a_warning_made_an_error_refuses_every_call(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy
) -> None:
    config = fake_engine.configuration(host="http://engine.example", proxy=proxy.url)
    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTokenWarning)
        for _ in range(3):
            with pytest.raises(InsecureTokenWarning):
                fetch(UsageApi(client))
    assert proxy.records == []


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:{port}", "http://localhost:{port}", "http://[::1]:{port}"],
    ids=["ipv4-loopback", "localhost", "ipv6-loopback"],
)
def test_no_warning_for_loopback_hosts(fake_engine: FakeUsageEngine, host: str) -> None:
    # Only the warning is checked (IPv6 loopback may have nothing listening).
    config = fake_engine.configuration(host=host.format(port=fake_engine.port), retries=0)
    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTokenWarning)
        try:
            fetch(UsageApi(client))
        except ApiConnectionError:
            pass


def test_no_warning_without_a_token(fake_engine: FakeUsageEngine, proxy: LoopbackProxy) -> None:
    config = Configuration(host="http://engine.example", proxy=proxy.url, retries=0)
    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.simplefilter("error", InsecureTokenWarning)
        with pytest.raises(UnauthorizedException):
            fetch(UsageApi(client))


# -- proxies --------------------------------------------------------------------------------------


def test_requests_go_through_the_proxy_with_its_headers(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy
) -> None:
    config = fake_engine.configuration(
        proxy=proxy.url, proxy_headers={"Proxy-Authorization": "Basic cHJveHk6cHc="}
    )
    with ApiClient(config) as client:
        rows = fetch(UsageApi(client))
    assert [row.to_dict() for row in rows] == fake_engine.expected(START, END)
    (record,) = proxy.records
    assert record.method == "GET"
    assert record.target.startswith(f"{fake_engine.host}{ENDPOINT_PATH}?start_time=")
    assert record.headers["Proxy-Authorization"] == "Basic cHJveHk6cHc="
    (request,) = fake_engine.requests
    assert request.authorized
    assert request.header("Proxy-Authorization") is None, "the proxy keeps its own header"


def test_a_redirect_to_another_host_still_authenticates_to_the_proxy(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy
) -> None:
    # Across origins only the target's credentials are dropped; the proxy needs its own.
    fake_engine.inject(
        Fault.status(302, headers={"Location": f"http://engine-b.example{ENDPOINT_PATH}"})
    )
    config = fake_engine.configuration(
        host="http://engine-a.example",
        proxy=proxy.url,
        proxy_headers={"Proxy-Authorization": "Basic cHJveHk6cHc="},
        retries=0,
    )
    with ApiClient(config) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureTokenWarning)
        with pytest.raises(UnauthorizedException):  # the engine got no bearer token
            fetch(UsageApi(client))
    first, second = proxy.records
    assert second.target == f"http://engine-b.example{ENDPOINT_PATH}"
    assert first.headers["Proxy-Authorization"] == "Basic cHJveHk6cHc="
    assert second.headers.get("Proxy-Authorization") == "Basic cHJveHk6cHc="
    assert "Authorization" in first.headers and "Authorization" not in second.headers


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost, 127.0.0.1", "*"])
def test_no_proxy_hosts_are_reached_directly(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy, no_proxy: str
) -> None:
    config = fake_engine.configuration(proxy=proxy.url, no_proxy=no_proxy)
    with ApiClient(config) as client:
        assert fetch(UsageApi(client))
    assert proxy.records == []
    assert fake_engine.attempts == 1


def test_hosts_not_in_no_proxy_still_use_the_proxy(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy
) -> None:
    config = fake_engine.configuration(proxy=proxy.url, no_proxy="localhost,.example.com")
    with ApiClient(config) as client:
        assert fetch(UsageApi(client))
    assert len(proxy.records) == 1


def test_an_unreachable_proxy_is_a_connection_error_naming_the_proxy(
    fake_engine: FakeUsageEngine,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = fake_engine.configuration(proxy=f"http://127.0.0.1:{port}", retries=0)
    with ApiClient(config) as client, pytest.raises(ApiConnectionError) as info:
        fetch(UsageApi(client))
    assert "check Configuration.proxy" in str(info.value)
    assert fake_engine.attempts == 0


def test_https_goes_through_a_connect_tunnel(
    fake_engine: FakeUsageEngine, proxy: LoopbackProxy, https: TLSServer, certs: Certs
) -> None:
    client, api = tls_api(
        https,
        ssl_ca_cert=str(certs.ca),
        proxy=proxy.url,
        proxy_headers={"Proxy-Authorization": "Basic cHJveHk6cHc="},
    )
    with client:
        assert len(fetch(api)) == 1
    (record,) = proxy.records
    assert record.method == "CONNECT"
    assert record.target == f"127.0.0.1:{https.port}"
    assert record.headers["Proxy-Authorization"] == "Basic cHJveHk6cHc="
    assert https.requests and https.requests[0][1], "the bearer token reached the server"
    assert proxy.tunneled, "the request went through the tunnel"
    assert TOKEN.encode() not in proxy.tunneled, "the proxy only saw ciphertext"
