"""Each HTTP attempt the ``anthropic`` client makes, in words: the SDK's ``middleware=`` hook
(SDK 1.0 and later) runs once per attempt inside its retry loop, so :class:`AttemptLog` sees the 429
that was retried, the 529 before a stream, the connection that failed, which the caller
otherwise never learns about when a retry succeeds.

``client = anthropic.Anthropic(middleware=[log := AttemptLog()])``; ``log.attempts`` then
holds one :class:`Attempt` per HTTP attempt, in order (a view can show them as rows of its
timeline). Nothing of the request is kept but its method and path: no header, so no
credential.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anthropic

__all__ = ["Attempt", "AttemptLog"]

_REASONS = {
    429: "rate limited",
    500: "server error",
    502: "bad gateway",
    503: "unavailable",
    504: "gateway timeout",
    529: "overloaded",
}


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

    def __str__(self) -> str:
        if self.status is None:
            what = f"no response ({self.error or 'failed'})"
        elif self.status < 400:
            what = f"{self.status} ok"
        else:
            what = f"{self.status} {_REASONS.get(self.status, 'error')}"
        wait = f", retry after {self.retry_after} s" if self.retry_after is not None else ""
        return f"attempt {self.number}: {what}{wait} ({self.ended - self.started:.2f} s)"


class AttemptLog(anthropic.Middleware):
    """SDK middleware (sync and async) that logs every attempt and changes nothing."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.attempts: list[Attempt] = []
        self._clock = clock
        self._lock = threading.Lock()

    def _log(self, request: Any, started: float, response: Any, error: str | None) -> None:
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
        retry_after = headers.get("retry-after") if headers is not None else None
        url = urlsplit(str(getattr(request, "url", ""))).path
        with self._lock:
            self.attempts.append(
                Attempt(
                    len(self.attempts) + 1,
                    str(getattr(request, "method", "")).upper(),
                    url,
                    started,
                    self._clock(),
                    status if isinstance(status, int) else None,
                    error,
                    retry_after if isinstance(retry_after, str) else None,
                )
            )

    def handle(self, request: Any, call_next: Callable[[Any], Any]) -> Any:
        started = self._clock()
        try:
            response = call_next(request)
        except Exception as exc:
            self._log(request, started, None, type(exc).__name__)
            raise
        self._log(request, started, response, None)
        return response

    async def handle_async(self, request: Any, call_next: Callable[[Any], Any]) -> Any:
        started = self._clock()
        try:
            response = await call_next(request)
        except Exception as exc:
            self._log(request, started, None, type(exc).__name__)
            raise
        self._log(request, started, response, None)
        return response

    def __str__(self) -> str:
        return "\n".join(str(a) for a in self.attempts)
