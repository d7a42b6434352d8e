"""The Messages API behind ``httpx2.MockTransport``, for tests that drive the real
``anthropic`` client (the HTTP package of the 2.x SDK): it answers each request with a
recorded stream and keeps what the SDK sent, byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2

Event = dict[str, Any]

__all__ = ["MockAPI", "sse_body"]


def sse_body(events: list[Event]) -> bytes:
    """Events as the API sends them: ``event:`` and ``data:`` lines, a blank line each."""
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


class MockAPI:
    """Answers request *n* with ``turns[n]`` (or every request with ``every``) and keeps
    each request: ``raw`` (the exact bytes), ``headers``, ``bodies`` (parsed), ``betas``."""

    def __init__(
        self,
        turns: list[list[Event]] | None = None,
        *,
        every: list[Event] | None = None,
        key: str = "sk-test",
    ) -> None:
        if (turns is None) == (every is None):
            raise ValueError("give the turns to serve in order, or one stream for every request")
        self.turns = list(turns or [])
        self.every = every
        self.key = key
        self.raw: list[bytes] = []
        self.headers: list[httpx2.Headers] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """Each request's JSON body, parsed."""
        return [json.loads(body) for body in self.raw]

    @property
    def betas(self) -> list[str | None]:
        """Each request's ``anthropic-beta`` header (the SDK sends ``betas`` there)."""
        return [headers.get("anthropic-beta") for headers in self.headers]

    def sent(self, n: int = -1) -> dict[str, Any]:
        """The JSON body of request ``n`` as the SDK sent it, minus ``stream``."""
        body = self.bodies[n]
        body.pop("stream", None)
        return body

    def respond(self, request: httpx2.Request) -> httpx2.Response:
        self.raw.append(request.content)
        self.headers.append(request.headers)
        events = self.every if self.every is not None else self.turns.pop(0)
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=sse_body(events)
        )

    def sync_client(self) -> anthropic.Anthropic:
        transport = httpx2.MockTransport(self.respond)
        return anthropic.Anthropic(
            api_key=self.key, max_retries=0, http_client=httpx2.Client(transport=transport)
        )

    def async_client(self) -> anthropic.AsyncAnthropic:
        async def handler(request: httpx2.Request) -> httpx2.Response:
            return self.respond(request)

        transport = httpx2.MockTransport(handler)
        return anthropic.AsyncAnthropic(
            api_key=self.key, max_retries=0, http_client=httpx2.AsyncClient(transport=transport)
        )
