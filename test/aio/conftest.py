"""The async client's tests: an unclosed aiohttp session or connection fails the test.

aiohttp reports a session or connector left open with a ``ResourceWarning`` (made an error
here, for every test under ``test/aio``) and through the event loop's exception handler
(logged by ``asyncio``: collected and failed on below).
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = Path(__file__).parent


# CPython 3.10's asyncio leaves the SSL transport of a failed TLS handshake unclosed (its
# sslproto was rewritten in 3.11); neither aiohttp nor this client holds it to close it.
_PY310_SSL_LEAK = (
    "ignore:unclosed transport <asyncio.sslproto._SSLProtocolTransport:ResourceWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("error::ResourceWarning"))
            if sys.version_info < (3, 11):
                item.add_marker(pytest.mark.filterwarnings(_PY310_SSL_LEAK))


class _Unclosed(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Unclosed" in message or "unclosed" in message:
            self.messages.append(message)


@pytest.fixture(autouse=True)
def no_unclosed_sessions(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test under test/aio after which aiohttp reported an unclosed resource."""
    if _HERE not in Path(str(request.node.fspath)).parents:
        yield
        return
    handler = _Unclosed()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(handler)
    try:
        yield
        gc.collect()  # aiohttp reports from __del__
    finally:
        asyncio_logger.removeHandler(handler)
    assert not handler.messages, f"aiohttp reported unclosed resources: {handler.messages}"
