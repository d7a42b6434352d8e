"""Issue 18: one set of figures. Every figure a picture shows is named on the page
(``data-ss-figure``); at every frame of every gallery recording, a figure shown in two
places reads the same, and reads what the one figures model says."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from html_checks import tree

from streamscope.core import gallery
from streamscope.core.figures.model import (
    ESTIMATE_MARK,
    USAGE_LABELS,
    output_span,
    replay_note,
    stream_figures,
)
from streamscope.core.figures.text import fmt_seconds, fmt_usd
from streamscope.core.io.playback import load_timed_events
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render.regions import RegionStore
from streamscope.widgets.render.stream import StreamPicture

NAMES = [r.name for r in gallery.list_recordings()]


def shown_figures(markup: str) -> dict[str, list[str]]:
    """Every element naming a figure: figure key -> the texts shown for it."""
    found: dict[str, list[str]] = defaultdict(list)
    for node in tree(markup).iter():
        key = node.attrs.get("data-ss-figure")
        if key:
            found[key].append(node.text())
    return found


@pytest.mark.parametrize("name", NAMES)
def test_a_figure_shown_twice_reads_the_same_at_every_frame(name: str) -> None:
    events = load_timed_events(gallery.path(name), from_request=True)
    state = StreamState()
    picture = StreamPicture(state)
    store = RegionStore()
    twice: set[str] = set()
    for frames, (at, event) in enumerate(events, 1):
        assert at is not None
        picture.note(state.apply(event, at=at))
        picture.inspector.record(event, at)
        picture.render(store, now=at, wall=at)
        shown = shown_figures(store.expand(picture.root_id))
        figures = picture.figures
        assert figures is not None
        assert len(shown["events"]) == 2  # wire and panel, from one computation
        for key, texts in shown.items():
            assert len(set(texts)) == 1, (name, frames, key, texts)
            if len(texts) > 1:
                twice.add(key)
            model = figures.get(key)
            if model is not None:  # the page reads the model of the last figures frame
                assert texts[0] == model.text, (name, frames, key, texts, model)
    state.finish()
    picture.render(store)
    shown = shown_figures(store.expand(picture.root_id))
    final = stream_figures(state)
    for key, texts in shown.items():
        assert len(set(texts)) == 1, (name, "final", key, texts)
        model = final.get(key)
        if model is not None:
            assert texts[0] == model.text, (name, "final", key, texts)
    # the same figures in two places: the event count (wire and panel) always, the
    # running clock (header and panel) while the stream is live and the clock runs
    assert "events" in twice
    assert shown["events"] == [f"{len(events):,}"] * 2
    assert "elapsed" in twice


def test_an_estimate_says_so_and_the_cost_prices_the_shown_output() -> None:
    """Usage vs cost: while streaming the usage row shows the output the cost prices
    (an estimate, marked), never message_start's placeholder; before any text too."""
    events = load_timed_events(gallery.path("thinking_omitted"), from_request=True)
    state = StreamState()
    for at, event in events[:3]:  # message_start and the (omitted) thinking's start
        state.apply(event, at=at)
    third = events[2][0]
    assert third is not None
    early = stream_figures(state, now=third + 5.0)
    assert early["output_tokens"].kind == "estimate"
    assert early["cost"].kind == "estimate" and early["cost"].text.startswith(ESTIMATE_MARK)
    for at, event in events[3:]:
        state.apply(event, at=at)
    state.finish()
    done = stream_figures(state)
    assert done["output_tokens"].kind == "exact"
    assert done["output_tokens"].value == state.usage.output_tokens
    assert done["cost"].kind == "exact" and not done["cost"].text.startswith(ESTIMATE_MARK)


def test_tokens_per_second_spans_the_first_output_of_any_kind() -> None:
    """thinking_omitted: 13 s of thinking whose display is omitted, then text. The rate
    counts from the thinking block's start, not from the first text token (it read 488)."""
    state = StreamState()
    for at, event in load_timed_events(gallery.path("thinking_omitted"), from_request=True):
        state.apply(event, at=at)
    state.finish()
    span = output_span(state)
    assert span is not None and state.first_token_at is not None
    assert span[0] < state.first_token_at - 10  # the thinking started long before the text
    rate = stream_figures(state)["output_tokens_per_second"].value
    assert isinstance(rate, float)
    assert rate == pytest.approx(state.usage.output_tokens / (span[1] - span[0]))
    assert rate < 150


def test_usage_words_have_one_meaning() -> None:
    assert USAGE_LABELS["input_tokens"] == "input (uncached)"
    assert USAGE_LABELS["total_input_tokens"] == "total input"
    state = StreamState()
    for at, event in load_timed_events(gallery.path("cache_hit"), from_request=True):
        state.apply(event, at=at)
    state.finish()
    picture = StreamPicture(state)
    panel = tree(picture.static_html())
    labels = [th.text() for th in panel.select(tag="th")]
    assert "input (uncached)" in labels and "total input" in labels and "input" not in labels


def test_the_formatter_is_one_for_compare_and_the_views() -> None:
    from streamscope.core.comparison.runs import compare_runs

    states = []
    for name in ("cache_miss", "cache_hit"):
        state = StreamState()
        for at, event in load_timed_events(gallery.path(name), from_request=True):
            state.apply(event, at=at)
        state.finish()
        states.append(state)
    table = compare_runs(*states, labels=["miss", "hit"])
    text = str(table)
    for state in states:
        figures = stream_figures(state)
        assert figures.text("cost") in text  # $0.002497, as the panel says it
        assert fmt_seconds(state.time_to_first_token) in text
    assert not re.search(r"\$0\.\d{4}(?!\d)", fmt_usd(0.002497))


def test_a_replay_says_its_figures_are_in_recorded_time() -> None:
    assert replay_note(2.0) == "replayed at 2x: figures in recorded time"
    state = StreamState()
    for at, event in load_timed_events(gallery.path("cache_hit"), from_request=True):
        state.apply(event, at=at)
    picture = StreamPicture(state)
    picture.replayed, picture.replay_speed = True, 2.0
    state.finish()
    assert "replayed at 2x: figures in recorded time" in tree(picture.static_html()).text()


RECORDED = ("time_to_first_token", "elapsed", "output_tokens", "output_tokens_per_second", "cost")


def _recorded_figures(name: str) -> dict[str, str]:
    state = StreamState(started_at=0.0)  # the times count from the request
    events = load_timed_events(gallery.path(name), from_request=True)
    for at, event in events:
        state.apply(event, at=at)
    state.finish()
    figures = stream_figures(state)
    return {key: figures.text(key) for key in RECORDED}


@pytest.mark.parametrize("speed", [20.0, 40.0])
def test_every_replay_path_shows_the_recorded_figures(speed: float) -> None:
    """replay(), AsyncReplayClient(speed=N) and consume: the same recorded figures, with
    the speed said (they showed wall time sped up: 117.8 tok/s at 2x, 235.8 at 4x)."""
    import asyncio

    from streamscope.core.io.replay_client import AsyncReplayClient, ReplayClient
    from streamscope.widgets import StreamView

    name = "cache_hit"
    expected = _recorded_figures(name)
    request = {"model": "m", "max_tokens": 10, "messages": []}

    async def through_client() -> StreamView:
        view = StreamView(flush_timer=False)
        client = AsyncReplayClient([gallery.path(name)], speed=speed)
        await view.consume_async(await client.messages.create(**request, stream=True))
        return view

    async def through_play() -> StreamView:
        view = StreamView(flush_timer=False)
        await view.play(gallery.path(name), speed=speed)
        return view

    synced = StreamView(flush_timer=False)
    synced.consume(ReplayClient([gallery.path(name)], speed=speed).messages.create(
        **request, stream=True
    ))  # fmt: skip
    views = [asyncio.run(through_client()), asyncio.run(through_play()), synced]
    for view in views:
        figures = stream_figures(view.state)
        assert {key: figures.text(key) for key in RECORDED} == expected
        assert view.state.first_event_at is not None
    for view in views[:2]:  # the live picture said at what speed it was replayed
        assert view._picture.replayed and view._picture.replay_speed == speed


def test_the_loop_axis_ends_at_the_nearest_nice_tick() -> None:
    from streamscope.widgets.render.loop_timeline import nice_axis_end

    assert nice_axis_end(20.3) == 25.0  # it drew 0-50 s: 60% empty
    assert [nice_axis_end(t) for t in (0.4, 3.3, 9.9, 10.0, 49.0, 120.0)] == [
        1.0, 5.0, 10.0, 10.0, 50.0, 125.0
    ]  # fmt: skip
    for t in (1.7, 7.2, 20.3, 33.0, 260.0):
        assert t <= nice_axis_end(t) < 2 * t


def test_the_finished_wire_list_says_it_shows_the_first_page() -> None:
    state = StreamState()
    picture = StreamPicture(state)
    for at, event in load_timed_events(gallery.path("parallel_tools"), from_request=True):
        picture.note(state.apply(event, at=at))
        picture.inspector.record(event, at)
    state.finish()
    text = tree(picture.static_html()).text()
    assert f"first 50 of {state.event_count} events shown here" in text


def test_an_open_thinking_block_reads_signature_pending_in_the_panel() -> None:
    events = load_timed_events(gallery.path("thinking_summarized"), from_request=True)
    state = StreamState()
    for at, event in events[:5]:  # the thinking block started, not stopped
        state.apply(event, at=at)
    items = tree(StreamPicture(state).static_html()).select("ss-signature-item")
    assert items and items[0].text() == "#0: signature pending"


def test_a_paused_replay_s_open_lane_says_paused() -> None:
    events = load_timed_events(gallery.path("thinking_summarized"), from_request=True)
    state = StreamState()
    picture = StreamPicture(state)
    store = RegionStore()
    for at, event in events[:5]:
        picture.note(state.apply(event, at=at))
    picture.render(store, now=events[4][0])
    lane = tree(store.expand(picture.root_id)).one("ss-lane-status")
    assert lane.text() == "streaming"
    state.paused = True
    picture.touch_all()
    picture.render(store, now=events[4][0])
    statuses = [n.text() for n in tree(store.expand(picture.root_id)).select("ss-lane-status")]
    assert statuses == ["paused"]
