"""Memory a StreamState keeps over a long stream, measured with tracemalloc.

Run: ``.venv/bin/python benchmarks/memory_state.py [events]`` (default 100,000). For each
kind of long stream, one state is fed every event, then the memory still allocated (held
by the state; the events are made one at a time and dropped) and the peak are printed,
with what the state kept. ``to_message()`` needs the text, so 100,000 text deltas cost
the text's size; pings, unknown events and message deltas are not needed, so they cost a
bounded amount however many arrive.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from streamscope.core.stream.state import StreamState

Event = dict[str, Any]

START: Event = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "usage": {"input_tokens": 10, "output_tokens": 1},
    },
}


def text_deltas(n: int) -> Iterator[Event]:
    yield START
    yield {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    for i in range(n):
        yield {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": f"w{i % 1000} "},
        }


def tool_deltas(n: int) -> Iterator[Event]:
    yield START
    yield {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
    }
    yield {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "input_json_delta", "partial_json": '{"body": "'},
    }
    for i in range(n):
        yield {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": f"w{i % 1000} "},
        }


def pings(n: int) -> Iterator[Event]:
    yield START
    for _ in range(n):
        yield {"type": "ping"}


def unknown_events(n: int) -> Iterator[Event]:
    yield START
    for i in range(n):
        yield {"type": "future_event", "seq": i, "payload": {"note": f"event {i}"}}


def message_deltas(n: int) -> Iterator[Event]:
    yield START
    for i in range(n):
        yield {
            "type": "message_delta",
            "delta": {"stop_reason": None},
            "usage": {"output_tokens": i},
        }


def after_stop(n: int) -> Iterator[Event]:
    yield START
    yield {"type": "message_stop"}
    for i in range(n):
        yield {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": f"{i}"},
        }


STREAMS: dict[str, Callable[[int], Iterator[Event]]] = {
    "text deltas": text_deltas,
    "tool JSON deltas": tool_deltas,
    "pings": pings,
    "unknown events": unknown_events,
    "message_delta events": message_deltas,
    "events after message_stop": after_stop,
}


def measure(events: Iterator[Event]) -> tuple[StreamState, int, int]:
    """Feed a fresh state; return it with the bytes it holds and the peak while feeding."""
    gc.collect()
    tracemalloc.start()
    state = StreamState(clock=lambda: 0.0)
    for event in events:
        state.apply(event)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return state, held, peak


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"{n:,} events per stream (tracemalloc; MB = 10^6 bytes)")
    print(f"{'stream':28} {'held MB':>8} {'peak MB':>8}  kept")
    for name, make in STREAMS.items():
        state, held, peak = measure(make(n))
        text = sum(
            len(getattr(b, "text", "") or getattr(b, "input_json", "")) for b in state.blocks
        )
        dropped = getattr(state, "dropped", "n/a")  # n/a: a version without the caps
        kept = (
            f"problems={len(state.problems)} unknown_events={len(state.unknown_events)} "
            f"message_deltas={len(state.message_deltas)} dropped={dropped} block_text={text:,}"
        )
        print(f"{name:28} {held / 1e6:8.2f} {peak / 1e6:8.2f}  {kept}")


if __name__ == "__main__":
    main()
