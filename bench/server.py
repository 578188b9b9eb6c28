"""A minimal keep-alive HTTP/1.1 server answering every GET with a fixed body.

Run as its own process (``python -m bench.server``) so its work never competes with the
client for the GIL; it prints its port on stdout and serves until stdin closes.
``group_by=task`` in the query selects the large body (one row per task and rule type);
anything else gets the one-row body.
"""

from __future__ import annotations

import socket
import socketserver
import subprocess
import sys
import threading
from typing import Optional

from bench.data import large_body, small_body

__all__ = ["BenchServer"]

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024


def _response(body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class _Handler(socketserver.BaseRequestHandler):
    large: bytes = b""
    small: bytes = b""

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        while True:
            end = buffer.find(_HEAD_END)
            if end < 0:
                if len(buffer) > _MAX_HEAD:
                    return
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                continue
            head, buffer = buffer[:end], buffer[end + len(_HEAD_END) :]
            request_line = head.split(b"\r\n", 1)[0]
            sock.sendall(self.large if b"group_by=task" in request_line else self.small)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    _Handler.large = _response(large_body())
    _Handler.small = _response(small_body())
    with _Server(("127.0.0.1", 0), _Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(server.server_address[1], flush=True)
        sys.stdin.read()  # the parent closes our stdin to stop us
        server.shutdown()


class BenchServer:
    """The server in a child process; ``url`` is its base URL."""

    def __init__(self) -> None:
        self._process: Optional[subprocess.Popen[str]] = None
        self.url = ""

    def __enter__(self) -> BenchServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        port = int(self._process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


if __name__ == "__main__":
    main()
