"""Issue 18: every place that shows a figure reads the one figures model, in the tool loop's
view (header, turn headers, tool cards, the loop's timeline) and in the comparison (its
table against each run's own picture).

A figure is named on the page by ``data-ss-figure``; inside a picture holding several
stream views (a loop's turns, a comparison's runs) a stream's figures are scoped by the
view that holds them. Within a scope, one name reads one text; across scopes, the totals
read what their parts add up to.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any

from html_checks import Node, tree
from test_conversation_headless import Tools, make_loop

from streamscope.core import gallery
from streamscope.core.figures.loop import loop_figures
from streamscope.core.figures.model import stream_figures
from streamscope.core.figures.text import fmt_int
from streamscope.core.loop.records import LoopObserver
from streamscope.widgets import ConversationView, compare


def _scope(node: Node) -> Node | None:
    """The stream view holding ``node`` (None: the page's own figures)."""
    up = node.parent
    while up is not None and "ss-view" not in up.classes:
        up = up.parent
    return up


def named(markup: str) -> dict[tuple[int, str], list[str]]:
    """(scope, figure key) -> the texts shown for it; scope 0 is the page's own."""
    scopes: dict[int, int] = {}
    found: dict[tuple[int, str], list[str]] = defaultdict(list)
    for node in tree(markup).iter():
        key = node.attrs.get("data-ss-figure")
        if key:
            scope = _scope(node)
            number = 0 if scope is None else scopes.setdefault(id(scope), len(scopes) + 1)
            found[number, key].append(node.text())
    return found


def _run_loop() -> tuple[Any, ConversationView]:
    loop = make_loop(Tools(job_log_seconds=0.05), approve=lambda call: True)
    view = ConversationView(loop, flush_timer=False)
    asyncio.run(asyncio.wait_for(view.arun("Why did the nightly build fail?"), 30))
    return loop, view


def test_the_loop_s_places_read_one_set_of_figures() -> None:
    loop, view = _run_loop()
    assert loop.stop_reason == "end_turn"
    shown = named(view.static_html())
    for (scope, key), texts in shown.items():
        assert len(set(texts)) == 1, (scope, key, texts)  # one name, one text, per scope

    # each turn: its head's time is its panel's duration (the same figure, named twice)
    states = [t.state for t in loop.turns if t.state is not None]
    turn_scopes = sorted({scope for scope, _ in shown if scope})
    assert len(turn_scopes) == len(states) == 4
    for scope, state in zip(turn_scopes, states, strict=True):
        assert len(shown[scope, "elapsed"]) == 2  # head and panel
        assert shown[scope, "elapsed"][0] == stream_figures(state).text("elapsed")

    # each tool run: its card and the loop's timeline show one time
    runs = [r for t in loop.turns for r in t.executions]
    assert len(runs) == 6
    for run in runs:
        texts = shown[0, f"run.{run.id}.time"]
        assert len(texts) == 2, (run.name, texts)  # the card and the timeline's row

    # the header's totals are what the turns' panels add up to
    outputs = [int(shown[s, "output_tokens"][0].replace(",", "")) for s in turn_scopes]
    assert shown[0, "loop.output_tokens"] == [fmt_int(sum(outputs))]
    expected = loop_figures([stream_figures(s) for s in states], tool_calls=len(runs), wall=None)
    for key in ("loop.turns", "loop.tool_calls", "loop.total_input_tokens", "loop.cost"):
        assert shown[0, key] == [expected[key].text], key
    assert shown[0, "loop.cost"][0].startswith("≈ $")  # a sum of estimates says so


def test_the_header_and_the_panels_agree_while_a_turn_streams() -> None:
    """Mid-turn the header's output is the sum of the panels' (the streaming turn's an
    estimate, marked), never message_start's placeholder beside a panel's estimate."""
    loop = make_loop(Tools(), approve=lambda call: True)
    view = ConversationView(loop, flush_timer=False)
    seen: list[tuple[str, list[str]]] = []

    class Reader(LoopObserver):
        def event(self, turn: Any, event: Any, change: Any) -> None:  # after the view's
            with view._lock:
                view._flush()
                shown = named(view._store.expand("conv"))
            turns = sorted({s for s, k in shown if s and k == "output_tokens"})
            if (0, "loop.output_tokens") in shown and turns:
                panels = [shown[s, "output_tokens"][0] for s in turns]
                seen.append((shown[0, "loop.output_tokens"][0], panels))

    loop.observers.append(Reader())
    asyncio.run(asyncio.wait_for(view.arun("Why did the nightly build fail?"), 30))
    assert len(seen) > 4
    estimates = 0
    for header, panels in seen:
        numbers = [int(re.sub(r"[^\d]", "", p) or 0) for p in panels]
        assert int(re.sub(r"[^\d]", "", header) or 0) == sum(numbers), (header, panels)
        if any(p.startswith("≈") for p in panels):
            estimates += 1
            assert header.startswith("≈"), (header, panels)
    assert estimates  # some frames caught a turn streaming


COMPARED = {  # a row of the comparison -> the figure of a run's own panel it must read as
    "cost_usd": "cost",
    "time_to_first_token": "time_to_first_token",
    "output_tokens": "output_tokens",
    "duration": "elapsed",
    "input_tokens": "input_tokens",
    "cache_write_tokens": "cache_creation_input_tokens",
    "cache_read_tokens": "cache_read_input_tokens",
}


def test_the_comparison_table_reads_what_each_run_s_panel_reads() -> None:
    view = compare(gallery.path("cache_miss"), gallery.path("cache_hit"), labels=["miss", "hit"])
    shown = named(view.html())
    for (scope, key), texts in shown.items():
        assert len(set(texts)) == 1, (scope, key, texts)
    runs = sorted({scope for scope, _ in shown if scope})
    assert len(runs) == 2  # one stream picture per run (one turn each)
    for k, scope in enumerate(runs):
        for row, figure in COMPARED.items():
            table = shown[0, f"compare.{row}.{k}"]
            assert table == shown[scope, figure][:1], (row, k, table, shown[scope, figure])


def test_a_block_s_lane_and_timeline_row_read_one_span() -> None:
    """The lane's head shows the block's duration and the timeline's row its start and end:
    one span (core/figures/blocks), the same for every block of a recording."""
    from streamscope.core.figures.blocks import block_figures
    from streamscope.core.io.playback import load_timed_events
    from streamscope.core.stream.state import StreamState
    from streamscope.widgets.render.stream import StreamPicture

    state = StreamState()
    for at, event in load_timed_events(gallery.path("parallel_tools"), from_request=True):
        state.apply(event, at=at)
    state.finish()
    page = tree(StreamPicture(state).static_html())
    shown = named(StreamPicture(state).static_html())
    rows = {r.attrs["data-index"]: r.one("ss-tl-times").text() for r in page.select("ss-tl-row")}
    assert len(rows) == len(state.blocks) == 6
    for block in state.blocks:
        figs = block_figures(block, state.started_at)
        assert shown[1, f"block.{block.index}.duration"] == [figs["duration"].text]
        assert rows[str(block.index)] == f"{figs['start'].text} → {figs['end'].text}"
