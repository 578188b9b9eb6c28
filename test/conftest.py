"""Shared fixtures: the two test servers and SDK objects pointed at them.

- ``engine_server`` (session): the FastAPI reference app (``test/engine_app.py``) under
  uvicorn on 127.0.0.1, answering as the real engine does; an :class:`EngineServer` handle.
- ``spec_server`` (session): the same app in spec mode (as the OpenAPI description says:
  422 bodies, omitted bounds the current UTC day, 401 ``Not authenticated``).
- ``fake_engine`` (function): a fresh ``FakeUsageEngine`` with the same seeded records
  (engine mode); ``spec_fake``: the same in spec mode.
- ``configuration`` / ``api_client`` / ``api``: SDK objects for ``engine_server``;
  ``spec_api`` a ``UsageApi`` for ``spec_server``.
- ``bearer_env``: ``BEARER_TOKEN`` set to the server's token (for the docs' examples).
- ``sample_data``: the seeded records both servers serve.
- ``http_pool`` (raw urllib3, no retries), ``shared_fake`` / ``shared_spec_fake`` (one fake
  per module, for hypothesis tests), ``shared_pair`` (one of them and the FastAPI server of
  the same mode, both modes in turn): for the tests of the servers themselves.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from engine_app import Received, create_app

from _generated.testing import ENDPOINT_PATH, FakeUsageEngine, UsageRecord, sample_records

if TYPE_CHECKING:
    import urllib3
    import uvicorn

    from _generated import ApiClient, Configuration, UsageApi

#: Seed of the records both servers serve.
SAMPLE_SEED = 0
#: Token of the FastAPI server; distinctive so leak checks can search output for it.
ENGINE_TOKEN = "engine-test-token-7f3c9a41d2"
#: Keys the FastAPI servers also know, with a role that may not read usage (403).
EXTRA_KEYS = {"task-admin-key-5e1d": "TASK-ADMIN"}
_START_TIMEOUT = 10.0


@dataclass
class EngineServer:
    """Handle on the running FastAPI reference server.

    ``host`` is the base URL (``http://127.0.0.1:PORT``), ``token`` the accepted bearer
    token, ``records`` the served data, ``received`` what it recorded (see
    ``engine_app.Received``), ``reset()`` forgets that; ``spec_mode`` which way it answers.
    """

    host: str
    port: int
    token: str = field(repr=False)
    records: tuple[UsageRecord, ...] = field(repr=False)
    app: Any = field(repr=False)
    server: uvicorn.Server = field(repr=False)
    thread: threading.Thread = field(repr=False)
    spec_mode: bool = False

    @property
    def received(self) -> list[Received]:
        """Requests recorded so far, oldest first."""
        recorded: list[Received] = self.app.state.recorder.received
        return recorded

    def reset(self) -> None:
        """Forget the recorded requests."""
        self.app.state.recorder.reset()

    def url(self, path: str = ENDPOINT_PATH) -> str:
        """Absolute URL of ``path`` (may include a query string)."""
        return self.host + path

    @property
    def auth_headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}`` for raw HTTP requests."""
        return {"Authorization": f"Bearer {self.token}"}

    def configuration(self, **kwargs: Any) -> Configuration:
        """A ``Configuration`` for this server; ``kwargs`` pass through (and may override)."""
        from _generated import Configuration

        kwargs.setdefault("host", self.host)
        kwargs.setdefault("access_token", self.token)
        return Configuration(**kwargs)

    def api_client(self, **kwargs: Any) -> ApiClient:
        """An ``ApiClient`` on :meth:`configuration`; close it after use."""
        from _generated import ApiClient

        return ApiClient(self.configuration(**kwargs))


@pytest.fixture(scope="session")
def sample_data() -> tuple[UsageRecord, ...]:
    """The seeded usage records (November 2026) that both test servers serve."""
    return tuple(sample_records(seed=SAMPLE_SEED))


def _serve(records: tuple[UsageRecord, ...], *, spec_mode: bool) -> Iterator[EngineServer]:
    """Run the FastAPI reference app under uvicorn on 127.0.0.1 until the generator closes."""
    import uvicorn

    app = create_app(
        records, ENGINE_TOKEN, spec_mode=spec_mode, tokens=EXTRA_KEYS, seed=SAMPLE_SEED
    )
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on such sockets (else ~40 ms per call).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="engine-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            pytest.fail("the FastAPI test server did not start")
        time.sleep(0.01)
    try:
        yield EngineServer(
            host=f"http://127.0.0.1:{port}",
            port=port,
            token=ENGINE_TOKEN,
            records=records,
            app=app,
            server=server,
            thread=thread,
            spec_mode=spec_mode,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@pytest.fixture(scope="session")
def engine_server(sample_data: tuple[UsageRecord, ...]) -> Iterator[EngineServer]:
    """The FastAPI reference server in engine mode under uvicorn on 127.0.0.1 (one per session).

    Its recorded requests are *not* cleared between tests: call ``engine_server.reset()``
    first in a test that asserts on ``engine_server.received``.
    """
    yield from _serve(sample_data, spec_mode=False)


@pytest.fixture(scope="session")
def spec_server(sample_data: tuple[UsageRecord, ...]) -> Iterator[EngineServer]:
    """The FastAPI reference server in spec mode (one per session; see ``engine_server``)."""
    yield from _serve(sample_data, spec_mode=True)


@pytest.fixture
def fake_engine(sample_data: tuple[UsageRecord, ...]) -> Iterator[FakeUsageEngine]:
    """A running ``FakeUsageEngine`` (token ``"test-token"``) serving ``sample_data``.

    Fresh per test: no recorded requests, no queued faults, no latency.
    """
    with FakeUsageEngine(sample_data, seed=SAMPLE_SEED) as engine:
        yield engine


@pytest.fixture
def spec_fake(sample_data: tuple[UsageRecord, ...]) -> Iterator[FakeUsageEngine]:
    """Like ``fake_engine``, in spec mode (``FakeUsageEngine(spec_mode=True)``)."""
    with FakeUsageEngine(sample_data, spec_mode=True, seed=SAMPLE_SEED) as engine:
        yield engine


@pytest.fixture(scope="session")
def http_pool() -> Iterator[urllib3.PoolManager]:
    """Raw HTTP for tests of the servers themselves: no retries, redirects returned as is."""
    import urllib3

    timeout = urllib3.Timeout(connect=2.0, read=5.0)
    with urllib3.PoolManager(retries=False, timeout=timeout) as pool:
        yield pool


@pytest.fixture(scope="module")
def shared_fake(sample_data: tuple[UsageRecord, ...]) -> Iterator[FakeUsageEngine]:
    """One engine-mode fake per module, for hypothesis tests (fixtures there can't be per-test)."""
    with FakeUsageEngine(sample_data, seed=SAMPLE_SEED) as engine:
        yield engine


@pytest.fixture(scope="module")
def shared_spec_fake(sample_data: tuple[UsageRecord, ...]) -> Iterator[FakeUsageEngine]:
    """Like ``shared_fake``, in spec mode."""
    with FakeUsageEngine(sample_data, spec_mode=True, seed=SAMPLE_SEED) as engine:
        yield engine


@pytest.fixture(scope="module", params=["engine", "spec"])
def shared_pair(
    request: pytest.FixtureRequest,
    shared_fake: FakeUsageEngine,
    shared_spec_fake: FakeUsageEngine,
    engine_server: EngineServer,
    spec_server: EngineServer,
) -> tuple[FakeUsageEngine, EngineServer]:
    """The module's fake and the FastAPI engine in the same mode (each mode in turn)."""
    if request.param == "engine":
        return shared_fake, engine_server
    return shared_spec_fake, spec_server


@pytest.fixture
def configuration(engine_server: EngineServer) -> Configuration:
    """``Configuration(host=..., access_token=...)`` for ``engine_server``."""
    return engine_server.configuration()


@pytest.fixture
def api_client(configuration: Configuration) -> Iterator[ApiClient]:
    """An ``ApiClient`` on ``configuration``, closed after the test."""
    from _generated import ApiClient

    with ApiClient(configuration) as client:
        yield client


@pytest.fixture
def api(api_client: ApiClient) -> UsageApi:
    """A ``UsageApi`` talking to ``engine_server``."""
    from _generated import UsageApi

    return UsageApi(api_client)


@pytest.fixture
def spec_api(spec_server: EngineServer) -> Iterator[UsageApi]:
    """A ``UsageApi`` talking to ``spec_server`` (its client closed after the test)."""
    from _generated import UsageApi

    with spec_server.api_client() as client:
        yield UsageApi(client)


@pytest.fixture
def bearer_env(engine_server: EngineServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Set ``BEARER_TOKEN`` to ``engine_server``'s token for this test; returns the token."""
    monkeypatch.setenv("BEARER_TOKEN", engine_server.token)
    return engine_server.token
