"""Memory of the views over long sessions: the kernel's side and the browser's.

Run: ``.venv/bin/python benchmarks/memory_views.py [--browser]``.

Kernel (tracemalloc): a StreamView fed 100,000 events (text deltas), and a ConversationView
of a 200-turn tool loop (each turn one tool call, replayed offline), each measured next to
the same stream reduced by a bare StreamState (what ``to_message()`` needs), so the figure
is what the view adds. ``--browser`` also runs both in JupyterLab in Chromium and reads the
page's JavaScript heap (after a garbage collection) and its DOM size.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "tests" / "ui")]

from streams import message_end, message_start, parallel_tools_stream, text_events  # noqa: E402

EVENTS = 100_000
TURNS = 200


def long_stream() -> list[dict[str, Any]]:
    text = "".join(f"word{i} " for i in range(EVENTS))
    events = [message_start(), *text_events(0, text, chunk=len(text) // (EVENTS - 4))]
    return [*events, *message_end()]


def loop_turns() -> list[list[dict[str, Any]]]:
    turns = [parallel_tools_stream([("echo", {"text": f"turn {k}"})]) for k in range(TURNS - 1)]
    final = [message_start(), *text_events(0, "done"), *message_end()]
    return [*turns, final]


def held(fn: Any) -> tuple[float, Any]:
    """Memory still held by what ``fn`` returns (run once before, so that imports, caches
    and the price data loaded on first use are not counted)."""
    fn()
    gc.collect()
    tracemalloc.start()
    kept = fn()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return size / 1e6, kept


def kernel() -> None:
    from streamscope.core import AsyncReplayClient, StreamState, ToolLoop
    from streamscope.widgets import ConversationView, StreamView

    events = long_stream()

    def bare() -> StreamState:
        return StreamState().apply_all(events)

    def view() -> StreamView:
        v = StreamView(flush_timer=False)
        v.comm.send = lambda *a, **k: None
        for event in events:
            v.apply(event)
        v.finish()
        return v

    state_mb, _ = held(bare)
    view_mb, _ = held(view)
    print(
        f"StreamView, {len(events):,} events: state alone {state_mb:.1f} MB, "
        f"view with its state {view_mb:.1f} MB (the view adds {view_mb - state_mb:.1f} MB)"
    )

    turns = loop_turns()

    def echo(text: str) -> str:
        """Echo."""
        return text

    def run(with_view: bool) -> Any:
        loop = ToolLoop(AsyncReplayClient(turns), model="claude-sonnet-4-5", max_tokens=100,
                        tools=[echo], max_turns=TURNS + 1)  # fmt: skip
        kept: list[Any] = [loop]
        if with_view:
            v = ConversationView(loop, flush_timer=False)
            v.comm.send = lambda *a, **k: None
            kept.append(v)
        asyncio.run(loop.arun("go"))
        return kept

    loop_mb, _ = held(lambda: run(False))
    conv_mb, kept = held(lambda: run(True))
    folded = len(kept[1]._conv.folded_keys())
    print(
        f"ConversationView, {TURNS} turns: loop alone {loop_mb:.1f} MB, with the view "
        f"{conv_mb:.1f} MB (the view adds {conv_mb - loop_mb:.1f} MB; {folded} turns folded)"
    )


BROWSER_CELLS = [
    "import asyncio, sys\n"
    f"sys.path[:0] = [{str(REPO / 'benchmarks')!r}, {str(REPO / 'scripts')!r}]\n"
    "from memory_views import long_stream, loop_turns, TURNS\n"
    "from streamscope.core import AsyncReplayClient, ToolLoop\n"
    "from streamscope.widgets import ConversationView, StreamView\n"
    'def echo(text: str) -> str:\n    """Echo."""\n    return text\n'
    "print('MEM-READY')",
    "v = StreamView()\ndisplay(v)\nawait v.consume_async(long_stream())\nprint('MEM-STREAM')",
    "loop = ToolLoop(AsyncReplayClient(loop_turns()), model='claude-sonnet-4-5',\n"
    "                max_tokens=100, tools=[echo], max_turns=TURNS + 1)\n"
    "c = ConversationView(loop)\ndisplay(c)\nawait loop.arun('go')\nprint('MEM-LOOP')",
]


def browser() -> None:
    from playwright.sync_api import sync_playwright
    from ui_harness import NotebookSession, launch_chromium, run_jupyter_lab

    with (
        tempfile.TemporaryDirectory() as tmp,
        run_jupyter_lab(Path(tmp)) as server,
        sync_playwright() as playwright,
    ):
        chromium = launch_chromium(playwright)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        cdp = page.context.new_cdp_session(page)

        def heap() -> tuple[float, int]:
            cdp.send("HeapProfiler.collectGarbage")
            used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6
            nodes = page.evaluate("() => document.getElementsByTagName('*').length")
            return used, nodes

        session = NotebookSession(server, page)
        session.open("memory.ipynb", BROWSER_CELLS)
        session.run_all()
        start = time.monotonic()
        for marker in ("MEM-READY", "MEM-STREAM", "MEM-LOOP"):
            page.locator(f".jp-OutputArea-output:has-text('{marker}')").wait_for(timeout=900_000)
            used, nodes = heap()
            print(
                f"browser after {marker}: JS heap {used:.1f} MB, {nodes:,} elements "
                f"({time.monotonic() - start:.0f} s)"
            )
        session.close()
        chromium.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    kernel()
    if args.browser:
        browser()


if __name__ == "__main__":
    main()
