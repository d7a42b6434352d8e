"""What checking tool arguments against their schema while they stream costs the reducer.

Run: ``.venv/bin/python benchmarks/bench_validation.py [repeat]``. Reduces each stream with a
plain ``StreamState()`` (unvalidated) and with the tools' schemas
(``StreamState(tools=...)``: every value checked once, when it completes) and prints the
times and the ratio validated / unvalidated, for:

1. the gallery's 200 KB recording (``write_file_200kb``: one 205 KB string argument in
   about 900 deltas; its schemas come from the cassette's header);
2. the heavy message (heavy_message.py: four tool calls of 50 KB of JSON each, thousands
   of small values, 8-byte deltas interleaved), and the same at 200 KB per tool, where
   linear work grows 4x.

Each in two ways: the input (and its violations) read once at the end, and read after
every event (the worst a view can do; a view reads once per frame).
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from heavy_message import heavy_message_events

from streamscope.core import StreamState, gallery
from streamscope.core.io.cassette import read_cassette
from streamscope.core.stream.blocks import ToolUseBlock

EDIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "minLength": 1, "pattern": r"\.py$"},
        "mode": {"type": "string", "enum": ["create", "overwrite", "patch"]},
        "options": {
            "type": "object",
            "properties": {
                "dry_run": {"type": "boolean"},
                "indent": {"type": "integer", "minimum": 0, "maximum": 8},
                "encoding": {"type": "string"},
                "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "additionalProperties": False,
        },
        "edits": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer", "minimum": 1},
                    "text": {"type": "string", "maxLength": 1000},
                    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
                },
                "required": ["line", "text"],
                "additionalProperties": False,
            },
        },
        "summary": {"type": "string"},
    },
    "required": ["path", "mode", "edits"],
    "additionalProperties": False,
}
HEAVY_TOOLS = {f"write_file_{k}": EDIT_SCHEMA for k in range(4)}


def reduce_once(events: list[Any], tools: Any) -> int:
    state = StreamState(tools=tools)
    for event in events:
        state.apply(event)
    state.finish()
    found = 0
    for block in state.blocks:
        if isinstance(block, ToolUseBlock):
            _ = block.input
            found += len(block.violations)
    return found


def reduce_reading_every_event(events: list[Any], tools: Any) -> int:
    state = StreamState(tools=tools)
    found = 0
    for event in events:
        state.apply(event)
        for block in state.blocks:
            if isinstance(block, ToolUseBlock):
                _ = block.input
                found = len(block.violations)
    state.finish()
    return found


def best_of(
    fn: Callable[[list[Any], Any], int], events: list[Any], tools: Any, repeat: int
) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(events, tools)
        times.append(time.perf_counter() - start)
    return min(times)


def row(label: str, events: list[Any], tools: Any, repeat: int) -> dict[str, float]:
    assert reduce_once(events, tools) == 0, "the benchmark's arguments must be valid"
    out: dict[str, float] = {}
    for mode, fn in (("end", reduce_once), ("every event", reduce_reading_every_event)):
        plain = best_of(fn, events, None, repeat)
        checked = best_of(fn, events, tools, repeat)
        out[mode] = checked
        print(
            f"  {label:28} read at {mode:11}: unvalidated {plain:7.3f} s, "
            f"validated {checked:7.3f} s, ratio {checked / plain:5.2f}x"
        )
    return out


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    cassette = read_cassette(gallery.path("write_file_200kb"))
    request = cassette.request or {}
    print(f"best of {repeat}; validated: StreamState(tools=...) with each tool's input_schema\n")
    print(f"write_file_200kb: {len(cassette.events):,} events, schemas from the header")
    row("200 KB recording", cassette.events, request.get("tools"), repeat)
    heavy50 = heavy_message_events(50_000)
    heavy200 = heavy_message_events(200_000)
    print(f"\nheavy message: {len(heavy50):,} events (50 KB per tool), {len(heavy200):,} (200 KB)")
    small = row("heavy, 50 KB per tool", heavy50, HEAVY_TOOLS, repeat)
    large = row("heavy, 200 KB per tool", heavy200, HEAVY_TOOLS, repeat)
    print("\ngrowth of the validated reducer, 50 -> 200 KB per tool (linear: 4x)")
    for mode in ("end", "every event"):
        print(f"  read at {mode:11}: {large[mode] / small[mode]:5.1f}x")


if __name__ == "__main__":
    main()
