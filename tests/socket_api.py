"""The Messages API over real sockets on 127.0.0.1, for fault tests of the real ``anthropic``
client (through ``base_url``): each request gets the next scripted answer: a status with
headers (429 with ``retry-after``, 529), or an SSE stream that may be cut after a number of
bytes, reset (TCP RST) there, or stall there. Standard library only (``http.server`` in a
thread); the server stops itself when the ``with`` block ends, and every wait is bounded.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mock_api import sse_body

__all__ = ["Answer", "SocketAPI"]

STALL_LIMIT = 10.0  # seconds a stalled answer holds the connection, at most


@dataclass
class Answer:
    """One scripted answer: ``status`` with ``headers`` and a JSON error body, or (status
    200) ``events`` as SSE, cut after ``cut`` bytes; then ``reset`` the connection (RST) or
    ``stall`` (hold it open, silent, until the client gives up or STALL_LIMIT). ``hold``:
    an event the test sets once the client has read what was sent; the reset waits for it
    (at most STALL_LIMIT), so a RST never overtakes the bytes before it. ``pace``: seconds
    between two events (a picture's timeline; no test waits on it)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    cut: int | None = None
    reset: bool = False
    stall: bool = False
    hold: threading.Event | None = None
    pace: float = 0.0


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops its kept-alive connection (a retry, a closed client) is
        not the test's business: say nothing; anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class SocketAPI:
    """``with SocketAPI(answers) as api:`` serves ``answers`` in order on 127.0.0.1;
    ``api.base_url`` for the client; ``api.requests`` counts what arrived."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = list(answers)
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                self.rfile.read(length)
                with api._lock:
                    api.requests += 1
                    answer = api.answers.pop(0) if api.answers else Answer(status=500)
                api.serve(self, answer)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve(self, handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        if answer.status != 200:
            body = json.dumps(
                {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
            ).encode()
            handler.send_response(answer.status)
            for name, value in {"content-type": "application/json", **answer.headers}.items():
                handler.send_header(name, value)
            handler.send_header("content-length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        body = sse_body(answer.events)
        if answer.cut is not None:
            body = body[: answer.cut]
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("connection", "close")
        handler.end_headers()
        if answer.pace > 0:  # event by event, as a model streams
            sent = 0
            for event in answer.events:
                part = sse_body([event])[: len(body) - sent]
                if not part:
                    break
                handler.wfile.write(part)
                handler.wfile.flush()
                sent += len(part)
                self._stop.wait(answer.pace)
        else:
            handler.wfile.write(body)
            handler.wfile.flush()
        if answer.reset:
            if answer.hold is not None:
                answer.hold.wait(STALL_LIMIT)
            sock = handler.connection
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # RST: the connection reset mid-stream
        elif answer.stall:
            self._stop.wait(STALL_LIMIT)
        handler.close_connection = True

    def __enter__(self) -> SocketAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=STALL_LIMIT + 5)
