"""The fake's HTTP/1.1 server: threads, keep-alive, and the faults applied on the wire."""

from __future__ import annotations

import logging
import select
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Sequence
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Final, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from _generated.testing.endpoint import Answer, answer, authenticate
from _generated.testing.faults import REDACTED, RecordedRequest, reason

if TYPE_CHECKING:
    from _generated.testing.engine import FakeUsageEngine

__all__ = ["POLL_INTERVAL", "EngineHTTPServer"]

_log = logging.getLogger("_generated.testing")

#: Seconds between checks of the stop flag (serving loop, hung connections).
POLL_INTERVAL: Final = 0.02
_MAX_REQUEST_BODY: Final = 1 << 20
_WRITE_CHUNK: Final = 256 * 1024
_SINGLE_WRITE_LIMIT: Final = 64 * 1024


class EngineHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], engine: FakeUsageEngine) -> None:
        self.engine = engine
        self.stopping = threading.Event()
        self._open_lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._reset: set[socket.socket] = set()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup of the host; not needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def mark_for_reset(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._open_lock:
            self._reset.add(sock)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
            abort = request in self._reset
            self._reset.discard(request)
        if abort:
            # Close without a FIN first, so SO_LINGER 0 turns the close into an RST.
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def abort_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError)):
            # The client went away (or the engine stopped) mid-answer: normal in tests.
            _log.debug("connection from %s ended: %r", client_address, exc)
        else:
            _log.exception("FakeUsageEngine failed answering %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: EngineHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeUsageEngine"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Head and body may go in separate writes; don't let Nagle hold the second one.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- dispatch ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        engine = self.server.engine
        stopping = self.server.stopping
        refused = self._discard_request_body()
        sent_path, query_string = self._target()
        # Routed on the decoded path, as Starlette does; recorded as sent.
        path = unquote(sent_path)
        query = parse_qsl(query_string, keep_blank_values=True)
        auth_header = self.headers.get("Authorization")
        authorized = authenticate(auth_header, engine.tokens) == "ok"
        fault = engine._take_fault(path) if refused is None else None
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name] = REDACTED if name.lower() == "authorization" else value
        grouped: dict[str, list[str]] = {}
        for key, value in query:
            grouped.setdefault(key, []).append(value)
        engine._record(
            RecordedRequest(
                method=self.command,
                path=sent_path,
                query=grouped,
                headers=headers,
                authorized=authorized,
                time=time.monotonic(),
                query_string=query_string,
                fault=fault.kind if fault else None,
                client=(str(self.client_address[0]), int(self.client_address[1])),
            )
        )
        if refused is not None:  # recorded like any request, then answered as http.server does
            self.send_error(refused)
            self.close_connection = True
            return
        latency = engine.latency
        if latency > 0 and stopping.wait(latency):
            self.close_connection = True
            return
        if fault is None:
            self._send(*self._normal(path, query_string))
            return
        kind = fault.kind
        if kind == "drop":
            self.close_connection = True
        elif kind == "hang":
            self._hang()
        elif kind in ("status", "body"):
            payload = fault.payload if fault.payload is not None else b""
            self._send(
                fault.code or 200, [("Content-Type", fault.content_type), *fault.headers], payload
            )
        elif kind == "delay":
            if stopping.wait(fault.seconds):
                self.close_connection = True
                return
            self._send(*self._normal(path, query_string))
        elif kind == "slow_body":
            status, head, body = self._normal(path, query_string)
            self._send(status, head, body, chunk_size=fault.chunk_size, chunk_delay=fault.seconds)
        elif kind in ("truncate", "reset"):
            status, head, body = self._normal(path, query_string)
            self._send(status, head, body, send_only=len(body) // 2)
            self.close_connection = True
            if kind == "reset":
                self.server.mark_for_reset(self.connection)

    def _target(self) -> tuple[str, str]:
        """The request target's path and query, as sent (``self.path`` has a leading ``//``
        made ``/`` by http.server, and the engine answers ``//`` with 404)."""
        words = self.requestline.split()
        target = words[1] if len(words) >= 2 else self.path
        if "://" in target.partition("?")[0]:  # absolute form, as sent to a proxy
            parts = urlsplit(target)
            return parts.path or "/", parts.query
        path, _, query = target.partition("?")
        return path, query

    def _normal(self, path: str, query_string: str) -> Answer:
        engine = self.server.engine
        return answer(
            engine._endpoint_state(),
            self.command,
            path,
            query_string,
            self.headers.get("Authorization"),
            self.headers.get("Host"),
        )

    # -- writing -----------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        *,
        send_only: Optional[int] = None,
        chunk_size: Optional[int] = None,
        chunk_delay: float = 0.0,
    ) -> None:
        """Write a whole HTTP/1.1 answer (or its first ``send_only`` body bytes)."""
        no_body = status in (204, 304) or 100 <= status < 200
        lines = [f"HTTP/1.1 {status} {reason(status)}"]
        lines.append(f"Server: {self.server_version}")
        lines.append(f"Date: {formatdate(usegmt=True)}")
        # A header given twice (a fault's own Content-Type) is sent once, with the last value.
        named = {name.lower(): (name, value) for name, value in headers}
        lines.extend(f"{name}: {value}" for name, value in named.values())
        if not no_body and "content-length" not in named:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if no_body or self.command == "HEAD":
            body = b""
        view = memoryview(body)
        if send_only is not None:
            view = view[:send_only]
        sock = self.connection
        if chunk_size is None and len(view) <= _SINGLE_WRITE_LIMIT:
            sock.sendall(head + view.tobytes())
            return
        sock.sendall(head)
        step = chunk_size or _WRITE_CHUNK
        for offset in range(0, len(view), step):
            if chunk_delay and self.server.stopping.wait(chunk_delay):
                self.close_connection = True
                return
            sock.sendall(view[offset : offset + step])

    def _discard_request_body(self) -> Optional[int]:
        """Read and drop the request's body; the status to answer instead when it is not
        read (too large, or a bad length)."""
        if self.headers.get("Transfer-Encoding"):
            # A chunked body is not read: answer and close, so it is not taken for a request.
            self.close_connection = True
            return None
        length = self.headers.get("Content-Length")
        if not length:
            return None
        try:
            size = int(length)
        except ValueError:
            size = -1
        if not 0 <= size <= _MAX_REQUEST_BODY:
            return 413 if size > 0 else 400
        self.rfile.read(size)
        return None

    def _hang(self) -> None:
        # Hold the connection until the engine stops or the client closes its end.
        sock = self.connection
        self.close_connection = True
        while not self.server.stopping.is_set():
            readable, _, _ = select.select([sock], [], [], POLL_INTERVAL * 5)
            if not readable:
                continue
            try:
                if not sock.recv(1, socket.MSG_PEEK):
                    return
            except OSError:
                return
            # The client sent more bytes: leave them unread and keep waiting.
            if self.server.stopping.wait(POLL_INTERVAL * 5):
                return
