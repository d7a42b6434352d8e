"""Each HTTP attempt the ``anthropic`` client makes, in words: the SDK's ``middleware=`` hook
(SDK 1.0 and later) runs once per attempt inside its retry loop, so :class:`AttemptLog` sees the 429
that was retried, the 529 before a stream, the connection that failed, which the caller
otherwise never learns about when a retry succeeds.

``client = anthropic.Anthropic(middleware=[log := AttemptLog()])``; ``log.attempts`` then
holds one :class:`Attempt` per HTTP attempt, in order (a view can show them as rows of its
timeline), each with what arrived of its body (:class:`Received`: bytes, the last chunk's
time, the error that cut it). Nothing of the request is kept but its method and path: no
header, so no credential.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anthropic
import httpx2

__all__ = ["STATUS_WORDS", "Attempt", "AttemptLog", "Received", "attempt_logs", "wire_reason"]

STATUS_WORDS: dict[int, str] = {
    429: "rate limited",
    500: "server error",
    502: "bad gateway",
    503: "unavailable",
    504: "gateway timeout",
    529: "overloaded",
}
"""What an HTTP status means, in a word or two (the views and the loop say these)."""


@dataclass(eq=False)
class Received:
    """What arrived of one response's body, as it arrives: ``bytes``, ``last_at`` (the last
    chunk, ``time.monotonic()``), ``error`` (the exception that cut the body, its class name
    and ``reason``: ``"connection reset"``, ``"timed out"``...), ``ended_at``."""

    bytes: int = 0
    last_at: float | None = None
    error: str | None = None
    reason: str | None = None
    ended_at: float | None = None

    @property
    def complete(self) -> bool:
        """The body was read to its end without an error."""
        return self.ended_at is not None and self.error is None


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: ``number`` from 1, ``status`` (None when no response came),
    ``error`` (the exception's name when it raised), ``retry_after`` (the header, as sent),
    ``started``/``ended`` (``time.monotonic()``)."""

    number: int
    method: str
    path: str
    started: float
    ended: float
    status: int | None = None
    error: str | None = None
    retry_after: str | None = None
    retries_taken: int = 0
    """0 for a request's first attempt: an attempt with 0 starts a new request."""
    reason: str | None = None
    """The failure in a few words when no response came (``"connection refused"``)."""
    received: Received | None = None
    """The body as it arrives (None: no response, or a response without a body stream)."""

    def __str__(self) -> str:
        if self.status is None:
            what = f"no response ({self.error or 'failed'})"
        elif self.status < 400:
            what = f"{self.status} ok"
        else:
            what = f"{self.status} {STATUS_WORDS.get(self.status, 'error')}"
        wait = f", retry after {self.retry_after} s" if self.retry_after is not None else ""
        return f"attempt {self.number}: {what}{wait} ({self.ended - self.started:.2f} s)"


def wire_reason(exc: BaseException) -> str:
    """An exception of the wire in a few words, read from its chain (the SDK wraps httpx's
    error, which wraps the socket's): ``connection reset``, ``timed out``, ``connection
    refused``, ``connection closed mid-response``, else ``connection failed``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    names: list[str] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, TimeoutError):
            return "timed out"
        names.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    if any("Timeout" in name for name in names):
        return "timed out"
    if any(name in ("RemoteProtocolError", "IncompleteRead") for name in names):
        return "connection closed mid-response"
    return "connection failed"


class _Counted(httpx2.SyncByteStream):
    """A response body that counts what passes through it (and changes nothing)."""

    def __init__(
        self, inner: httpx2.SyncByteStream, received: Received, clock: Callable[[], float]
    ) -> None:
        self._inner, self._received, self._clock = inner, received, clock

    def __iter__(self) -> Iterator[bytes]:
        received = self._received
        try:
            for chunk in self._inner:
                received.bytes += len(chunk)
                received.last_at = self._clock()
                yield chunk
        except Exception as exc:
            _cut(received, exc, self._clock())
            raise
        received.ended_at = self._clock()

    def close(self) -> None:
        self._inner.close()


class _ACounted(httpx2.AsyncByteStream):
    """The async twin of :class:`_Counted`."""

    def __init__(
        self, inner: httpx2.AsyncByteStream, received: Received, clock: Callable[[], float]
    ) -> None:
        self._inner, self._received, self._clock = inner, received, clock

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = self._received
        try:
            async for chunk in self._inner:
                received.bytes += len(chunk)
                received.last_at = self._clock()
                yield chunk
        except Exception as exc:
            _cut(received, exc, self._clock())
            raise
        received.ended_at = self._clock()

    async def aclose(self) -> None:
        await self._inner.aclose()


def _cut(received: Received, exc: BaseException, at: float) -> None:
    received.error = type(exc).__name__
    received.reason = wire_reason(exc)
    received.ended_at = at


class AttemptLog(anthropic.Middleware):
    """SDK middleware (sync and async) that logs every attempt and changes nothing.

    ``listeners``: callables told of each new :class:`Attempt` (on the thread that made it;
    one that raises is ignored), so a view can draw a retry before any event arrives."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.attempts: list[Attempt] = []
        self.listeners: list[Callable[[Attempt], object]] = []
        self._clock = clock
        self._lock = threading.Lock()

    def _log(
        self,
        request: Any,
        started: float,
        response: Any,
        exc: BaseException | None,
        is_async: bool = False,
    ) -> Attempt:
        http = getattr(response, "http_response", None)
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
        retry_after = headers.get("retry-after") if headers is not None else None
        url = urlsplit(str(getattr(request, "url", ""))).path
        retries = getattr(request, "retries_taken", 0)
        received = None
        if isinstance(http, httpx2.Response) and not http.is_stream_consumed:
            stream = http.stream
            if is_async and isinstance(stream, httpx2.AsyncByteStream):
                received = Received()
                http.stream = _ACounted(stream, received, self._clock)
            elif not is_async and isinstance(stream, httpx2.SyncByteStream):
                received = Received()
                http.stream = _Counted(stream, received, self._clock)
        with self._lock:
            attempt = Attempt(
                len(self.attempts) + 1,
                str(getattr(request, "method", "")).upper(),
                url,
                started,
                self._clock(),
                status if isinstance(status, int) else None,
                None if exc is None else type(exc).__name__,
                retry_after if isinstance(retry_after, str) else None,
                retries if isinstance(retries, int) else 0,
                None if exc is None else wire_reason(exc),
                received,
            )
            self.attempts.append(attempt)
            listeners = list(self.listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a view's bug never breaks a request
                listener(attempt)
        return attempt

    def handle(self, request: Any, call_next: Callable[[Any], Any]) -> Any:
        started = self._clock()
        try:
            response = call_next(request)
        except Exception as exc:
            self._log(request, started, None, exc)
            raise
        self._log(request, started, response, None)
        return response

    async def handle_async(self, request: Any, call_next: Callable[[Any], Any]) -> Any:
        started = self._clock()
        try:
            response = await call_next(request)
        except Exception as exc:
            self._log(request, started, None, exc, is_async=True)
            raise
        self._log(request, started, response, None, is_async=True)
        return response

    def since(self, mark: int) -> list[Attempt]:
        """The attempts logged after the first ``mark`` (``mark = len(log.attempts)``
        taken before a request: that request's attempts, on a client used by one caller
        at a time)."""
        with self._lock:
            return self.attempts[mark:]

    def __str__(self) -> str:
        return "\n".join(str(a) for a in self.attempts)


def attempt_logs(client: Any) -> list[AttemptLog]:
    """The :class:`AttemptLog` middleware of an ``anthropic`` client (none for a client
    without the ``middleware=`` hook, e.g. a replay client)."""
    middleware = getattr(client, "middleware", None)
    if not isinstance(middleware, (tuple, list)):
        return []
    return [m for m in middleware if isinstance(m, AttemptLog)]
