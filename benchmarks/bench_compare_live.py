"""Eight runs streaming at once in a real kernel: one bench output against eight StreamViews.

Run: ``.venv/bin/python benchmarks/bench_compare_live.py``. Starts an ipykernel of this
Python; in it, eight streams are served by an ``AsyncReplayClient`` at their pace, all at
once, each set twice:

- ``bench``: ``await acompare_live(client, [{}] * 8, concurrency=8, ...)``: one output;
- ``views``: eight ``StreamView``s, each displayed and fed by ``consume_async``, gathered.

The sets: eight synthetic answers (``scripts/streams``: 3 KB of Markdown each, four of
them after 1.5 KB of thinking, at Haiku's, Sonnet's and Opus's typical output rates), then
eight gallery recordings (thinking shown, omitted and redacted, web search with citations,
parallel tool calls, an overloaded error mid-stream, a plain answer; 7 to 18 s each).

It reads iopub and prints, side by side: comm messages per second of streaming (all
outputs together), comm bytes (the JSON of each comm_msg's data, packed as Jupyter packs
it: UTF-8, not ASCII-escaped) against the content bytes
(text, thinking, signatures, tool JSON, server tool results), and the kernel's CPU time
over the wall time (process time, every thread) and in CPU seconds. The bench's last
message carries the comparison the output becomes (a cost per run, not per byte streamed):
its bytes are also shown apart. The limits of issue 22, printed beside the bench's figures:
at most 25 messages a second, comm bytes at most 2x the content, kernel CPU at most 15%.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_view import Kernel, wire_bytes

HERE = Path(__file__).resolve().parent
RECORDINGS = [
    "thinking_summarized",
    "thinking_omitted",
    "thinking_redacted",
    "capacity_thinking_on",
    "web_search",
    "parallel_tools",
    "overloaded_error",
    "three_models_opus",
]
SETUP = f"""
import sys, time, json, asyncio, random
sys.path[:0] = [{str(HERE)!r}, {str(HERE.parent / "scripts")!r}]
from heavy_message import _markdown, _prose, content_bytes
from streams import StreamBuilder
from streamscope.core.io import gallery
from streamscope.core.io.replay_client import AsyncReplayClient
from streamscope.widgets import StreamView, acompare_live

MODELS = ["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"]

def answers():
    # eight answers of 3 KB of Markdown (half of them after 1.5 KB of thinking), at each
    # model's typical output rate (Haiku 150, Sonnet 72, Opus 42 tokens/s)
    runs = []
    for k in range(8):
        rng = random.Random(k)
        b = StreamBuilder(MODELS[k % 3], seed=f"bench{{k}}", usage={{"input_tokens": 60}})
        if k % 2:
            b.thinking(_prose(rng, 1500))
        b.text(_markdown(rng, 3000))
        b.stop("end_turn")
        runs.append(b.build())
    return runs

def delivered(events):
    # what a page shows: the deltas' content and whole blocks that come in their start
    # (server tool results)
    extra = sum(len(json.dumps(e["content_block"]).encode()) for e in events
                if e.get("type") == "content_block_start"
                and e["content_block"].get("type", "").endswith("_result"))
    return content_bytes(events) + extra

SOURCES = {{
    "answers": answers(),
    "gallery": [gallery.path(n) for n in {RECORDINGS!r}],
}}
CONTENTS = {{
    "answers": sum(delivered([e for _, e in run]) for run in SOURCES["answers"]),
    "gallery": sum(delivered(gallery.load_events(n)) for n in {RECORDINGS!r}),
}}
SOURCE = "answers"
REQUEST = dict(model="claude-sonnet-4-5", max_tokens=8192,
               messages=[{{"role": "user", "content": "Hello"}}])

def client():
    return AsyncReplayClient(SOURCES[SOURCE], speed=1.0)

async def bench():
    await acompare_live(client(), [{{}} for _ in range(8)], concurrency=8, **REQUEST)

async def views():
    c = client()
    shown = []
    for _ in range(8):
        view = StreamView()
        display(view)
        shown.append(view)
    await asyncio.gather(
        *(v.consume_async(c.messages.stream(**REQUEST)) for v in shown), return_exceptions=True
    )
"""
CELL = """
SOURCE = {source!r}
cpu, wall = time.process_time(), time.monotonic()
await {how}()
print(json.dumps({{"content": CONTENTS[SOURCE], "seconds": time.monotonic() - wall,
                  "cpu": time.process_time() - cpu}}))
"""


def measure(kernel: Kernel, how: str, source: str) -> dict[str, Any]:
    messages, stdout = kernel.run(CELL.format(how=how, source=source))
    stats = json.loads(stdout.strip().splitlines()[-1])
    comm = [m for m in messages if m["msg_type"] == "comm_msg"]
    sizes = [wire_bytes(m["content"]["data"]) for m in comm]
    comm_bytes = sum(sizes)
    final = 0
    for m, size in zip(comm, sizes, strict=True):
        if "ss-compare-table" in json.dumps(m["content"]["data"]):
            final += size
    return {
        "final": final,
        "how": how,
        "content": stats["content"],
        "seconds": stats["seconds"],
        "cpu": stats["cpu"],
        "comm_msgs": len(comm),
        "comm_bytes": comm_bytes,
    }


MSGS_LIMIT = 25.0
BYTES_LIMIT = 2.0
CPU_LIMIT = 0.15


def show(row: dict[str, Any], base: dict[str, Any] | None) -> None:
    rate = row["comm_msgs"] / row["seconds"]
    ratio = row["comm_bytes"] / row["content"]
    live = (row["comm_bytes"] - row["final"]) / row["content"]
    cpu = row["cpu"] / row["seconds"]
    limits = ("", "", "")
    if row["how"] == "bench":  # the limits are the bench's (eight views are the baseline)
        limits = (
            f" (limit {MSGS_LIMIT:g})",
            f" (limit {BYTES_LIMIT:g}x)",
            f" (limit {CPU_LIMIT:.0%})",
        )
    against = ""
    if base is not None:
        against = (
            f"   vs views: {rate / (base['comm_msgs'] / base['seconds']):.2f}x msgs/s, "
            f"{row['comm_bytes'] / base['comm_bytes']:.2f}x bytes, "
            f"{row['cpu'] / base['cpu']:.2f}x CPU"
        )
    print(
        f"{row['how']:>5}: {row['seconds']:5.1f} s  {row['comm_msgs']:5,} comm msgs "
        f"({rate:5.1f}/s{limits[0]})  {row['comm_bytes'] / 1000:7.1f} KB comm = "
        f"{ratio:5.2f}x content{limits[1]} ({row['content'] / 1000:.1f} KB; while streaming "
        f"{live:5.2f}x, the final table {row['final'] / 1000:.1f} KB)  kernel CPU "
        f"{cpu:5.1%}{limits[2]}, {row['cpu']:.2f} CPU s{against}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as spec_dir:
        kernel = Kernel(Path(spec_dir))
        try:
            kernel.run(SETUP)
            print("Limits: 25 comm msgs/s, comm bytes 2x content, kernel CPU 15%.")
            for source, title in (
                ("answers", "Eight 3 KB Markdown answers (four after thinking) at model pace"),
                ("gallery", "Eight gallery recordings at their recorded pace"),
            ):
                print(f"\n{title}, all at once:")
                views = measure(kernel, "views", source)
                bench = measure(kernel, "bench", source)
                show(views, None)
                show(bench, views)
        finally:
            kernel.close()


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"\n(benchmark took {time.monotonic() - start:.0f} s)", file=sys.stderr)
