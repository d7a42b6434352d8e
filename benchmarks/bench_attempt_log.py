"""What logging every HTTP attempt costs a stream: ``AttemptLog`` on the real SDK client.

Run: ``.venv/bin/python benchmarks/bench_attempt_log.py [repeat]``. Times (best of
``repeat``, default 5) reading one streamed response of 2,000 text deltas (about 200 KB of
SSE, one chunk per event: the worst case for a per-chunk cost) through
``anthropic.Anthropic(...).messages.create(stream=True)`` over an in-memory transport, each
event applied to a ``StreamState`` (what a view does), in three ways:

- ``baseline``: the client without middleware;
- ``pass-through middleware``: a middleware that only calls ``call_next`` (what the SDK's
  hook costs by itself);
- ``AttemptLog``: the log ToolLoop now adds, counting every chunk of the body.

Printed: seconds and the ratio to the baseline; then the cost of counting the body alone
(the body's chunks iterated with and without the counting wrapper), per chunk and as a
share of the baseline's time.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2

from streamscope.core.stream.state import StreamState
from streamscope.core.wire.attempts import AttemptLog, Received, _Counted

DELTAS = 2_000


def _events() -> list[dict[str, Any]]:
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_bench", "type": "message", "role": "assistant", "model": "m",
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        },
    }  # fmt: skip
    text = "The quick brown fox jumps over the lazy dog; " * 2
    delta = {"type": "text_delta", "text": text}
    usage = {"output_tokens": 9}
    return [
        start,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": delta}
            for _ in range(DELTAS)
        ),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": usage},
        {"type": "message_stop"},
    ]  # fmt: skip


CHUNKS = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in _events()]


class _Body(httpx2.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield from CHUNKS


class _Transport(httpx2.BaseTransport):
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=_Body())


class _PassThrough(anthropic.Middleware):
    def handle(self, request: Any, call_next: Callable[[Any], Any]) -> Any:
        return call_next(request)


def _client(middleware: list[Any]) -> anthropic.Anthropic:
    http = httpx2.Client(transport=_Transport())
    return anthropic.Anthropic(api_key="sk-bench", http_client=http, middleware=middleware)


def _read(client: anthropic.Anthropic) -> int:
    state = StreamState()
    request: Any = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    with client.messages.create(stream=True, **request) as stream:
        for event in stream:
            state.apply(event)
    return state.event_count


def main(repeat: int = 5) -> None:
    cases = {
        "baseline": _client([]),
        "pass-through middleware": _client([_PassThrough()]),
        "AttemptLog": _client([log := AttemptLog()]),
    }
    for client in cases.values():  # warm up (imports, the SDK's first-request work)
        assert _read(client) == DELTAS + 5
    received = log.attempts[-1].received
    assert received is not None and received.bytes == sum(len(c) for c in CHUNKS)
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeat):  # interleaved rounds: a slow moment of the machine hits all
        for name, client in cases.items():
            start = time.perf_counter()
            _read(client)
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["baseline"]
    print(f"{len(CHUNKS):,} chunks, {sum(len(c) for c in CHUNKS):,} bytes, best of {repeat}")
    for name, seconds in best.items():
        print(f"{name:>24}: {seconds * 1000:8.1f} ms  {seconds / base:5.2f}x baseline")
    # the body counting alone, without the SDK around it (a stream's noise drowns it)
    raw, counted = float("inf"), float("inf")
    for _ in range(repeat * 10):
        for wrap in (False, True):
            body: Any = _Counted(_Body(), Received(), time.monotonic) if wrap else _Body()
            start = time.perf_counter()
            for _chunk in body:
                pass
            took = time.perf_counter() - start
            raw, counted = (raw, min(counted, took)) if wrap else (min(raw, took), counted)
    per_chunk = (counted - raw) / len(CHUNKS)
    print(
        f"counting the body: {per_chunk * 1e6:.2f} µs a chunk more,"
        f" {per_chunk * len(CHUNKS) / base:.2%} of the baseline's time"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
