"""StreamState against the anthropic SDK's own accumulator, side by side, in one process.

Run: ``.venv/bin/python benchmarks/bench_core.py``. Feeds the heavy message (see
heavy_message.py) as the SDK's own event models to ``accumulate_event`` and to
``StreamState.apply`` and prints times and ratios for:

1. reading every tool block's parsed input after every event;
2. reading the parsed inputs once per 50 ms of wall time (the SDK still re-parses the
   whole JSON buffer on every delta: it has no other mode);
3. growth from 50 KB to 200 KB of JSON per tool (linear would be 4x); the SDK's growth is
   measured for one doubling (50 KB to 100 KB) only: at 200 KB it takes minutes.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anthropic._models import construct_type
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent

sys.path.insert(0, str(Path(__file__).parent))
from heavy_message import heavy_message_events

from streamscope.core import StreamState
from streamscope.core.stream.blocks import ToolUseBlock

FRAME_SECONDS = 0.05


def sdk_models(tool_json_bytes: int) -> list[Any]:
    events = heavy_message_events(tool_json_bytes)
    return [construct_type(type_=RawMessageStreamEvent, value=e) for e in events]


def sdk_every_event(events: list[Any]) -> int:
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    reads = 0
    for event in events:
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
        for block in snapshot.content:
            if block.type == "tool_use":
                _ = block.input
                reads += 1
    return reads


def ours_every_event(events: list[Any]) -> int:
    state = StreamState()
    reads = 0
    for event in events:
        state.apply(event)
        for block in state.blocks:
            if isinstance(block, ToolUseBlock):
                _ = block.input
                reads += 1
    return reads


def ours_per_frame(events: list[Any]) -> int:
    state = StreamState()
    clock = time.perf_counter
    next_frame = clock() + FRAME_SECONDS
    reads = 0
    for event in events:
        state.apply(event)
        if clock() >= next_frame:
            next_frame = clock() + FRAME_SECONDS
            for block in state.blocks:
                if isinstance(block, ToolUseBlock):
                    _ = block.input
                    reads += 1
    for block in state.blocks:
        if isinstance(block, ToolUseBlock):
            _ = block.input
            reads += 1
    return reads


def best_of(fn: Callable[[list[Any]], int], events: list[Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(events)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sizes = {"50 KB": 50_000, "100 KB": 100_000, "200 KB": 200_000}
    events = {label: sdk_models(size) for label, size in sizes.items()}
    print(
        "heavy message: "
        + ", ".join(f"{len(e):,} events ({label} JSON per tool)" for label, e in events.items())
        + f"; ours best of {repeat}"
    )
    sdk = {label: best_of(sdk_every_event, events[label], 1) for label in ("50 KB", "100 KB")}
    every = {label: best_of(ours_every_event, e, repeat) for label, e in events.items()}
    frame = {label: best_of(ours_per_frame, e, repeat) for label, e in events.items()}
    for label in ("50 KB", "100 KB"):
        print(f"\n{label} per tool")
        print(f"  SDK accumulate_event, input read every event : {sdk[label]:8.3f} s")
        print(
            f"  StreamState, input read every event          : {every[label]:8.3f} s"
            f"   {sdk[label] / every[label]:6.1f}x faster"
        )
        print(
            f"  StreamState, input read once per 50 ms       : {frame[label]:8.3f} s"
            f"   {sdk[label] / frame[label]:6.1f}x faster"
        )
    print("\ngrowth with the JSON size (linear: 2x per doubling, 4x for 4x)")
    print(f"  SDK, 50 KB -> 100 KB                  : {sdk['100 KB'] / sdk['50 KB']:5.1f}x")
    print(f"  StreamState every event, 50 -> 200 KB : {every['200 KB'] / every['50 KB']:5.1f}x")
    print(f"  StreamState per 50 ms,   50 -> 200 KB : {frame['200 KB'] / frame['50 KB']:5.1f}x")


if __name__ == "__main__":
    main()
