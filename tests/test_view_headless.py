"""StreamView without a kernel: what it sends over its (dummy) comm, and what it does.

Every message is recorded as Jupyter would encode it. The page's side is reproduced by
applying the patches in Python (``view_harness.page_parts``) and by surface.js itself under
Node: both must end with exactly the regions the kernel holds, so the live page and the
static picture are the same HTML.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from html_checks import VIEW_TAGS, assert_inert, tree
from mock_api import MockAPI
from streams import (
    HOSTILE,
    error_event,
    hostile_stream,
    message_end,
    message_start,
    rich_stream,
    text_events,
    text_stream,
    tool_events,
)
from view_harness import FakeClock, Recorder, deliver, node_page_parts, page_parts

from streamscope.core.io import gallery
from streamscope.core.io.cassette import read_cassette, read_events, read_timed_events
from streamscope.core.pricing.prices import DEFAULT_PRICES, ModelPrice
from streamscope.core.stream.blocks import ToolUseBlock
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.state import StreamState
from streamscope.widgets import StreamView
from streamscope.widgets.render import render_stream_html

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from heavy_message import content_bytes, heavy_message_events, text_heavy_events  # noqa: E402

Event = dict[str, Any]
RECORDINGS = [r.name for r in gallery.list_recordings()]


def make_view(**options: Any) -> tuple[StreamView, Recorder, FakeClock, dict[str, Any]]:
    clock: FakeClock = options.pop("clock", None) or FakeClock()
    options.setdefault("flush_timer", False)
    view = StreamView(clock=clock, **options)
    return view, Recorder(view), clock, json.loads(json.dumps(view.picture))


def feed(view: StreamView, clock: FakeClock, events: Iterable[Event], step: float) -> None:
    for event in events:
        clock.advance(step)
        view.apply(event)


def page(view: StreamView, rec: Recorder, initial: dict[str, Any]) -> dict[str, list[str]]:
    return page_parts(initial, rec.patches)


def without_wire(html_text: str) -> str:
    """A view's picture without its wire inspector (a picture made from a state alone has
    no event log to show)."""
    frame = r'(<div class="ss-wire-box" data-ss-region="wire">).*?</details>'
    return re.sub(frame, r"\1", html_text)


def sent_regions(view: StreamView) -> dict[str, list[str]]:
    """The regions a page holds when up to date: all but the lazy ones it never asked for."""
    return view._picture_value()["regions"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- traffic


def test_instant_heavy_message_is_a_handful_of_messages() -> None:
    events = heavy_message_events()
    view, rec, _clock, _initial = make_view()
    for event in events:
        view.apply(event)
    view.finish()
    assert len(rec.patches) <= 3
    assert rec.bytes < 3 * content_bytes(events)


@pytest.mark.parametrize("which", ["heavy", "text"])
def test_paced_streams_stay_under_25_messages_a_second_and_3x_their_content(which: str) -> None:
    events = heavy_message_events() if which == "heavy" else text_heavy_events()
    content = content_bytes(events)
    view, rec, clock, _initial = make_view()
    seconds = 3.0
    feed(view, clock, events, step=seconds / len(events))
    view.finish()
    rate = len(rec.messages) / seconds
    assert rate <= 25, rate
    assert rec.bytes <= 3 * content, rec.bytes / content


def test_patches_rebuild_exactly_what_the_kernel_holds_for_every_recording() -> None:
    for name in RECORDINGS:
        view, rec, clock, initial = make_view()
        feed(view, clock, read_events(gallery.path(name)), step=0.013)
        view.finish()
        assert page(view, rec, initial) == sent_regions(view), name


@pytest.mark.parametrize("name", ["parallel_tools", "thinking_summarized", "web_search"])
def test_surface_js_rebuilds_the_same_regions(name: str, tmp_path: Path) -> None:
    view, rec, clock, initial = make_view()
    feed(view, clock, read_events(gallery.path(name)), step=0.013)
    view.finish()
    result = node_page_parts(initial, rec.patches, tmp_path)
    assert result["parts"] == sent_regions(view)


def test_raw_json_is_sent_once_a_page_opens_it() -> None:
    view, rec, clock, initial = make_view()
    events = list(read_events(gallery.path("parallel_tools")))
    feed(view, clock, events[:60], step=0.013)
    # the slot a lane's body leaves for it (a live frame does not even draw it: no page asked)
    bodies = "".join(p for rid, parts in view._store.parts.items() for p in parts)
    raw = next(iter(re.findall(r'data-ss-region="(lazy:raw/\d+)"', bodies)))
    assert raw not in page(view, rec, initial)  # not sent: the fields show the arguments
    deliver(view, {"type": "want", "region": raw})
    assert page(view, rec, initial)[raw] == view._store.parts[raw] != []
    feed(view, clock, events[60:], step=0.013)  # from now on it is patched like the rest
    view.finish()
    assert page(view, rec, initial) == sent_regions(view)
    assert raw in sent_regions(view)


def test_a_live_views_static_picture_still_shows_what_no_page_opened() -> None:
    view, rec, clock, initial = make_view()
    events = list(read_events(gallery.path("parallel_tools")))
    feed(view, clock, events[:60], step=0.013)
    sent = page(view, rec, initial)
    assert not any(rid.startswith("lazy:") for rid in sent)  # nothing lazy drawn or sent
    static = tree(view.static_html())
    # the wire's newest page (events 51 to 60) and a tool call's raw JSON, drawn for it
    assert len(static.select("ss-wire-event")) == 10
    raws = [node.text() for node in static.select("ss-tool-raw")]
    streamed = [b.input_json for b in view.state.blocks if isinstance(b, ToolUseBlock)]
    assert streamed and [raw for raw in raws if raw] == streamed
    assert not any(rid.startswith("lazy:") for rid in page(view, rec, initial))  # still not sent


def test_the_static_picture_is_the_live_regions_joined() -> None:
    view, _rec, clock, _initial = make_view()
    feed(view, clock, rich_stream(), step=0.02)
    view.finish()
    expected = render_stream_html(view.state)
    uid = re.compile(r"ss-[0-9a-f]{10}-")  # anchors are unique per picture
    assert uid.sub("ss-x-", without_wire(view.static_html())) == uid.sub("ss-x-", expected)


def test_a_silence_costs_no_messages() -> None:
    view, rec, clock, _initial = make_view()
    events = text_stream("before the silence")
    feed(view, clock, events[:3], step=0.1)
    sent = len(rec.messages)
    for _ in range(20):  # 20 s of nothing: the page ticks its own clocks
        clock.advance(1.0)
    assert len(rec.messages) == sent


def test_a_late_front_end_gets_the_whole_picture() -> None:
    view, rec, clock, _initial = make_view()
    feed(view, clock, rich_stream()[:30], step=0.1)
    rec.clear()
    deliver(view, {"type": "hello", "have": 0})
    picture = view.picture
    assert picture["seq"] == view._seq and picture["regions"] == sent_regions(view)
    before = len(rec.messages)
    deliver(view, {"type": "hello", "have": view._seq})  # up to date: nothing to send
    assert len(rec.messages) == before


def test_a_front_end_that_missed_a_patch_asks_and_gets_the_picture() -> None:
    view, rec, clock, _initial = make_view()
    feed(view, clock, rich_stream()[:20], step=0.1)
    deliver(view, {"type": "resync", "have": 1})
    assert view.picture["seq"] == view._seq
    updates = [m for m in rec.messages if m.get("method") == "update"]
    assert updates and "picture" in updates[-1]["state"]


# --------------------------------------------------------------------------- consuming


def _failing(events: list[Event], after: int, exc: BaseException) -> Iterator[Event]:
    yield from events[:after]
    raise exc


def test_failure_keeps_what_arrived_marks_failed_and_reraises() -> None:
    view, _rec, clock, _initial = make_view()

    def silent_then_timeout() -> Iterator[Event]:
        yield from text_stream("abc def ghi", chunk=3)[:4]
        clock.advance(30)  # thirty seconds of silence, then the read times out
        raise TimeoutError("read timed out")

    with pytest.raises(TimeoutError):
        view.consume(silent_then_timeout())
    assert view.status == "failed"
    assert view.failure == "no data for 30.0 s: timed out (TimeoutError: read timed out)"
    assert view.state.blocks[0].text == "abc de"  # type: ignore[attr-defined]
    page = tree(view.static_html())
    assert page.one("ss-error-text").text() == view.failure
    assert page.one("ss-failure-words").text() == ": no data for 30.0 s: timed out"


def test_error_event_raises_stream_api_error_in_consume() -> None:
    events = [message_start(), *text_events(0, "partial", stop=False), error_event()]
    view, _rec, _clock, _initial = make_view()
    with pytest.raises(StreamAPIError) as info:
        view.consume(events)
    assert info.value.error_type == "overloaded_error"
    assert view.status == "failed"


def test_a_replay_that_ends_in_an_error_returns_its_view() -> None:
    view, _rec, _clock, _initial = make_view()
    state = asyncio.run(view.play(gallery.path("overloaded_error"), speed=None))
    assert state is view.state and view.status == "failed"
    assert view.failure is None  # the stream failed, the replay did not
    assert "overloaded_error" in tree(view.static_html()).one("ss-error-text").text()


def test_a_replay_from_the_shortcut_binds_the_view(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: None)
    from streamscope.widgets import replay

    view = asyncio.run(replay(gallery.path("overloaded_error"), speed=None, flush_timer=False))
    assert isinstance(view, StreamView) and view.status == "failed"


def test_stop_ends_async_consumption_and_keeps_everything() -> None:
    released = asyncio.Event()

    async def source() -> AsyncIterator[Event]:
        for event in text_stream("first words, then silence", chunk=6)[:4]:
            yield event
        await released.wait()  # a stream that stalls: only Stop can end it
        yield message_end()[0]

    view, _rec, _clock, _initial = make_view()

    async def main() -> StreamState:
        task = asyncio.ensure_future(view.consume_async(source()))
        while view.state.event_count < 4:
            await asyncio.sleep(0)
        deliver(view, {"type": "action", "action": "stop", "token": view.token})
        return await asyncio.wait_for(task, 5)

    state = asyncio.run(main())
    assert state is view.state and view.stopped
    assert view.status == "stopped"
    picture = tree(view.static_html())
    assert picture.one("ss-status").text() == "stopped"
    assert picture.select("ss-problems") == []  # a user's Stop is not a problem


def test_an_action_without_the_view_token_is_ignored() -> None:
    view, _rec, _clock, _initial = make_view()

    async def main() -> None:
        async def source() -> AsyncIterator[Event]:
            for event in text_stream("hello"):
                await asyncio.sleep(0)
                yield event

        task = asyncio.ensure_future(view.consume_async(source()))
        deliver(view, {"type": "action", "action": "stop", "token": "forged"})
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert not view.stopped and view.status == "done"


def test_sync_consume_renders_stop_disabled_meanwhile() -> None:
    view, rec, _clock, initial = make_view()
    view.consume(text_stream("hello"))
    regions = [page_parts(initial, rec.patches[:k]) for k in range(1, len(rec.patches) + 1)]
    controls = [r.get("ctl:controls", []) for r in regions]
    assert any("disabled" in "".join(c) and "consume_async" in "".join(c) for c in controls)
    # the reason is on the page, not only in the greyed button's tooltip (issue 18)
    from html_checks import visible_text

    shown = [visible_text("".join(c)) for c in controls]
    assert any("Stop is off: this cell blocks" in text for text in shown)
    assert controls[-1] == []  # idle: no controls


def test_interrupt_during_sync_consume_marks_stopped() -> None:
    view, _rec, _clock, _initial = make_view()
    with pytest.raises(KeyboardInterrupt):
        view.consume(_failing(text_stream("abc"), 3, KeyboardInterrupt()))
    assert view.status == "stopped"


def test_replay_steps_one_event_at_a_time() -> None:
    events = rich_stream()
    timed = [(k * 0.002, e) for k, e in enumerate(events)]
    view, rec, _clock, initial = make_view()

    async def until(predicate: Any) -> None:
        """Wait for a condition (the replay polls its pause on a timer); fail after 10 s."""

        async def poll() -> None:
            while not predicate():
                await asyncio.sleep(0.005)

        await asyncio.wait_for(poll(), 10)

    async def main() -> None:
        play = asyncio.ensure_future(view.play(timed, speed=1.0, paused=True))
        await until(lambda: view._replay is not None)
        assert view.state.event_count == 0  # paused
        assert view.status == "paused"
        for expected in (1, 2, 3):
            deliver(view, {"type": "action", "action": "step", "token": view.token})
            await until(lambda expected=expected: view.state.event_count == expected)
            assert view.status == "paused"
            # the step shows at once, in the counter and the panel alike
            shown = page_parts(initial, rec.patches)
            assert f"event {expected} of" in "".join(shown.get("ctl:controls", []))
            panel = "".join(shown.get("final", []))
            assert re.search(rf'data-ss-figure="events"[^>]*>{expected}<', panel)
        deliver(view, {"type": "action", "action": "speed", "value": "4", "token": view.token})
        assert view._replay is not None and view._replay.speed == 4
        deliver(view, {"type": "action", "action": "play", "token": view.token})
        await asyncio.wait_for(play, 10)

    asyncio.run(main())
    assert view.state.event_count == len(events)
    assert view.status == "done"
    assert view.state.duration == pytest.approx(0.002 * (len(events) - 1))
    headers = [page_parts(initial, rec.patches[:k]).get("view", [""])[0] for k in (2, 3)]
    assert any('data-status="paused"' in h for h in headers)


def test_replay_shows_its_controls_and_position() -> None:
    view, rec, _clock, initial = make_view()
    asyncio.run(view.play([(0.0, e) for e in text_stream("hi")], speed=None, paused=False))
    seen = "".join(
        "".join(page_parts(initial, rec.patches[:k]).get("ctl:controls", []))
        for k in range(1, len(rec.patches) + 1)
    )
    for control in ('data-ss-action="pause"', 'data-ss-action="step"', 'data-ss-action="speed"',
                    'data-ss-action="stop"', "event "):  # fmt: skip
        assert control in seen


# --------------------------------------------------------------------------- security


def test_hostile_strings_reach_the_page_as_text_only() -> None:
    view, rec, clock, initial = make_view()
    feed(view, clock, hostile_stream(), step=0.01)
    view.finish()
    for parts in page_parts(initial, rec.patches).values():
        for part in parts:
            assert_inert(part, VIEW_TAGS | {"button", "select", "option"})
    text = json.dumps(rec.patches, ensure_ascii=False)
    for tag in ("<script", "<img", "<iframe", "<svg onload"):
        assert tag not in text  # as text they are "&lt;script"...
    static = view.static_html()
    for payload in HOSTILE:
        assert payload.replace("<", "&lt;").replace(">", "&gt;")[:20] in static


def test_surface_js_holds_no_markdown_json_or_templates() -> None:
    text = (REPO / "widgets" / "static" / "surface.js").read_text()
    source = re.sub(r"//[^\n]*", "", text)  # the code, not its comments
    for forbidden in ("JSON.parse", "markdown", "Markdown", "<table", "<li", "ss-lane", "ss-final"):
        assert forbidden not in source, forbidden
    code_lines = [line for line in source.splitlines() if line.strip()]
    assert len(code_lines) < 360  # patching and generic behaviours only (342 today)


# --------------------------------------------------------------------------- display


def test_live_bundle_has_the_widget_and_the_static_picture() -> None:
    view, _rec, _clock, _initial = make_view()
    data, metadata = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/html"].startswith('<div class="ss-static ')
    assert data["text/plain"].startswith("<StreamView waiting")
    assert isinstance(metadata, dict)


@pytest.mark.parametrize("how", ["consume", "play"])
def test_a_finished_view_becomes_its_static_picture(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    import IPython.display

    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    monkeypatch.setattr(
        IPython.display, "display", lambda data, **kw: calls.append(("display", data, kw))
    )
    monkeypatch.setattr(
        IPython.display,
        "update_display",
        lambda data, **kw: calls.append(("update", data, kw)),
    )
    view, _rec, _clock, _initial = make_view()
    view._ipython_display_()
    assert "application/vnd.jupyter.widget-view+json" in calls[0][1]
    if how == "consume":
        view.consume(rich_stream())
    else:
        asyncio.run(view.play([(0.0, e) for e in rich_stream()], speed=None))
    kind, data, kw = calls[-1]
    assert kind == "update" and kw["display_id"] == calls[0][2]["display_id"]
    assert set(data) == {"text/html", "text/plain"}  # no widget: a saved notebook shows this
    assert data["text/html"] == view.static_html()
    assert "done" in data["text/plain"] and "3 tool calls" in data["text/plain"]
    # shown again later: the picture alone
    view._ipython_display_()
    assert set(calls[-1][1]) == {"text/html", "text/plain"}


def test_plain_text_form() -> None:
    view, _rec, _clock, _initial = make_view()
    view.consume(rich_stream())
    assert repr(view) == (
        "<StreamView done · claude-sonnet-4-5 · 5 blocks · 3 tool calls · stop: tool_use "
        "· 187 output tokens>"
    )


def test_exports(tmp_path: Path) -> None:
    view, _rec, _clock, _initial = make_view()
    view.consume(rich_stream())
    path = view.export_json(tmp_path / "m.json")
    assert json.loads(path.read_text(encoding="utf-8")) == view.to_message()
    page_html = view.export_html(tmp_path / "m.html").read_text(encoding="utf-8")
    assert page_html.lower().startswith("<!doctype html>")
    uid = re.compile(r"ss-[0-9a-f]{10}-")
    assert uid.sub("", render_stream_html(view.state)) in uid.sub("", without_wire(page_html))
    assert "<script" not in page_html.lower()


def test_price_table_override() -> None:
    prices = DEFAULT_PRICES.with_overrides(
        {"claude-sonnet-4-5": ModelPrice.standard(100.0, 100.0)}, as_of="2030-01-01"
    )
    view, _rec, _clock, _initial = make_view(prices=prices)
    view.consume(rich_stream())
    cost = tree(view.static_html()).one("ss-cost")
    assert "your override" in cost.text()


def test_timer_flushes_a_paused_stream() -> None:
    view = StreamView(frame_interval=0.05)
    rec = Recorder(view)
    events = text_stream("one two three", chunk=4)
    view.apply(events[0])
    for event in events[1:3]:
        view.apply(event)
    assert len(rec.patches) == 1
    deadline = time.monotonic() + 5
    while len(rec.patches) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(rec.patches) == 2


def test_show_returns_the_final_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    from streamscope.widgets import ashow, show

    message = show(rich_stream(), flush_timer=False)
    assert isinstance(shown[0], StreamView)
    assert message == shown[0].to_message()
    message = asyncio.run(ashow(text_stream("hi"), flush_timer=False))
    assert message["content"][0]["text"] == "hi"


# --------------------------------------------------------------------------- SDK streams


def _client(events: list[Event]) -> Any:
    """The real SDK client, its HTTP answered with ``events`` (key: ``sk-test``)."""
    return MockAPI(every=events).sync_client()


REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Plan a weekend in Paris"}],
}


def test_sdk_streams_show_the_same_state(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: None)
    from streamscope.widgets import show

    events = rich_stream()
    expected = StreamState().apply_all(events).to_message()
    client = _client(events)
    message = show(client.messages.stream(**REQUEST), flush_timer=False)
    assert message.model_dump(mode="json", exclude_none=True)["content"] == expected["content"]
    for source in (
        client.beta.messages.stream(**REQUEST),
        client.messages.create(**REQUEST, stream=True),
    ):
        view, _rec, _clock, _initial = make_view()
        view.consume(source)
        assert view.to_message()["content"] == expected["content"]
        assert view.status == "done"


def test_sdk_error_event_keeps_the_view_and_reraises() -> None:
    import anthropic

    events = [message_start(), *text_events(0, "cut short", stop=False), error_event()]
    view, _rec, _clock, _initial = make_view()
    with pytest.raises(anthropic.APIStatusError):
        view.consume(_client(events).messages.stream(**REQUEST))
    assert view.status == "failed"
    assert view.state.blocks[0].text == "cut short"  # type: ignore[attr-defined]
    assert "overloaded" in (view.failure or "").lower()


def test_a_recording_with_times_replays_with_its_times() -> None:
    view, _rec, _clock, _initial = make_view()
    cassette = read_cassette(gallery.path("cache_hit"))
    assert cassette.request_at is not None  # the gallery records when the request went out
    asyncio.run(view.play(gallery.path("cache_hit"), speed=None))
    recorded = [t for t, _ in cassette.timed_events() if t is not None]
    state = view.state
    assert state.request_known  # so the picture says "time to first token"
    assert state.duration == pytest.approx(recorded[-1] - cassette.request_at, abs=1e-6)
    assert state.time_to_first_event == pytest.approx(recorded[0] - cassette.request_at, abs=1e-6)
    assert state.request is not None and state.request["model"] == state.model
    assert "time to first token" in view.static_html()


def test_a_recording_without_its_request_time_counts_from_its_first_event() -> None:
    view, _rec, _clock, _initial = make_view()
    timed = read_timed_events(gallery.path("cache_hit"))
    asyncio.run(view.play(timed, speed=None))  # (t, event) pairs: no header
    recorded = [t for t, _ in timed if t is not None]
    assert not view.state.request_known
    assert view.state.duration == pytest.approx(recorded[-1] - recorded[0], abs=1e-6)
    assert "first token, from message_start" in view.static_html()


# --------------------------------------------------------------------------- the clock


def test_a_long_silence_shows_a_running_clock_at_a_small_cost() -> None:
    """thinking_omitted-like: the stream goes quiet for seconds. While it is open the
    elapsed time, the open block's duration and its timeline bar keep moving, one small
    patch a second (the heartbeat), none of them content."""
    released = asyncio.Event()
    view, rec, clock, initial = make_view()
    events = text_stream("before the silence")

    async def source() -> AsyncIterator[Event]:
        for event in events[:4]:
            yield event
        await released.wait()
        for event in events[4:]:
            yield event

    async def main() -> None:
        task = asyncio.ensure_future(view.consume_async(source()))
        while view.state.event_count < 4:
            await asyncio.sleep(0)
        rec.clear()
        seen = []
        for _ in range(10):  # ten seconds of silence, one heartbeat each
            clock.advance(1.0)
            view._on_heartbeat()
            seen.append(page_parts(initial, []))
        released.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    ticks = rec.patches[1:10]  # the first also carries what was pending before the silence
    assert len(ticks) == 9
    sizes = sorted(len(json.dumps(t)) for t in ticks)
    assert sizes[len(sizes) // 2] < 600  # a small message a second, no content
    clocks = [
        float(m.group(1))
        for tick in ticks
        for op in tick["ops"]
        if op[0] == "head"
        for m in [re.search(r"([\d.]+)\">", op[2][2])]
        if m
    ]
    assert clocks == sorted(clocks) and clocks[-1] - clocks[0] >= 7  # seconds, and growing
    assert view.status == "done"
    assert "data-ss-clock" not in view.static_html()  # no running clock once finished


def test_the_clock_runs_on_recorded_time_in_a_replay() -> None:
    view, _rec, clock, _initial = make_view()
    view._replay_anchor = (clock.now, clock.now, 10.0)
    view._mode = "replay"
    view._consuming = True
    view.state.set_request_time(clock.now)
    view.apply(text_stream("x")[0])
    clock.advance(0.5)
    now = view._now()
    assert now == pytest.approx(clock.now - 0.5 + 5.0)  # half a second at 10x: 5 s recorded


def test_the_replay_clock_follows_pause_and_speed_and_the_page_ticks_at_that_rate() -> None:
    """The header's clock is recorded time: a speed change takes effect at once (the page
    ticks at ``data-ss-clock-rate``), a pause stops it, and play goes on from there."""
    from streamscope.core.io.playback import Replay

    view, rec, clock, initial = make_view()
    events = text_stream("x" * 40)
    view._replay = Replay([(0.0, e) for e in events], speed=1.0)
    view._mode, view._consuming = "replay", True
    view.state.set_request_time(clock.now)
    view._replay_anchor = (clock.now, clock.now, 1.0)
    view.apply(events[0], at=clock.now)
    start = clock.now

    def act(action: str, value: Any = None) -> None:
        deliver(view, {"type": "action", "action": action, "value": value, "token": view.token})

    def head() -> str:
        return "".join(page_parts(initial, rec.patches).get("head", []))

    clock.advance(1.0)
    assert view._now() == pytest.approx(start + 1.0)
    act("speed", "0.5")
    clock.advance(2.0)
    assert view._now() == pytest.approx(start + 2.0)  # two wall seconds at 0.5x: one
    assert 'data-ss-clock-rate="0.5"' in head()
    act("pause")
    clock.advance(5.0)
    assert view._now() is None and "data-ss-clock" not in head()  # paused: no running clock
    assert view._recorded_now() == pytest.approx(start + 2.0)  # and recorded time stands
    act("play")
    clock.advance(1.0)
    assert view._now() == pytest.approx(start + 2.5)
    act("speed", "1")
    assert "data-ss-clock-rate" not in head()  # 1x: the page's own rate


def test_a_slow_replay_redraws_its_figures_once_a_second_of_wall_time() -> None:
    """At 0.25x a second of the recording takes four: figures paced by the recording's clock
    said "0 deltas" beside fields that had streamed for seconds (seen in a screenshot)."""
    view, rec, clock, initial = make_view()
    view._mode, view._consuming = "replay", True
    events = text_stream("slowly " * 60, chunk=4)[:-3]  # the block is still open
    base = clock.now
    lags = []
    for k, event in enumerate(events):
        at = base + 0.05 * k  # recorded 50 ms apart, played 200 ms apart
        clock.advance(0.2)
        view._replay_anchor = (at, clock.now, 0.25)
        view.apply(event, at=at)
        meta = "".join(page_parts(initial, rec.patches).get("meta/0", []))
        shown = re.search(r"(\d+) deltas?", meta)
        if shown:
            lags.append(view.state.blocks[0].delta_count - int(shown.group(1)))
    assert len(lags) > 50 and not view.state.blocks[0].complete
    assert max(lags) <= 5  # at most a wall second (5 events) behind, not 20


def test_live_timeline_rows_share_one_axis() -> None:
    """The axis grows (1 s → 2 s → 5 s) mid-block, in frames that do not draw the figures:
    the rows of finished blocks must be redrawn on the new axis with the next figures, not
    left on the old one (bars and ticks would disagree: found in the browser)."""
    view, rec, clock, initial = make_view()
    axes: list[set[str]] = []
    for event in read_events(gallery.path("parallel_tools"))[:-2]:  # still live
        clock.advance(0.03)
        view.apply(event)
        rows = page_parts(initial, rec.patches).get("tl-rows", [])
        axes.append({m for row in rows for m in re.findall(r'viewBox="0 0 (\d+) 12"', row)})
    assert len(set().union(*axes)) >= 2  # the axis did grow
    assert all(len(seen) <= 1 for seen in axes), [s for s in axes if len(s) > 1][:3]


def test_a_view_refuses_a_second_stream_while_one_runs() -> None:
    view, _rec, _clock, _initial = make_view()
    released = asyncio.Event()

    async def slow(text: str) -> AsyncIterator[Event]:
        events = text_stream(text)
        for event in events[:3]:
            yield event
        await released.wait()
        for event in events[3:]:
            yield event

    async def main() -> None:
        first = asyncio.ensure_future(view.consume_async(slow("AAAA")))
        while view.state.event_count < 3:
            await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="already showing a stream"):
            await view.consume_async(slow("BBBB"))
        with pytest.raises(RuntimeError, match="already showing a stream"):
            view.consume(text_stream("CCCC"))
        with pytest.raises(RuntimeError, match="already showing a stream"):
            await view.play([(0.0, e) for e in text_stream("DDDD")])
        released.set()
        await asyncio.wait_for(first, 5)

    asyncio.run(main())
    assert view.state.blocks[0].text == "AAAA"  # type: ignore[attr-defined]
    assert view.status == "done"


# --------------------------------------------------------------------------- hostile input

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_state import BLOCK_START, DEEP, GROWING_EVENT, HOSTILE_EVENT  # noqa: E402


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=st.lists(HOSTILE_EVENT | GROWING_EVENT | BLOCK_START | DEEP, max_size=10))
def test_hostile_events_go_through_the_view_the_picture_and_both_exports(
    events: list[Any], tmp_path: Path
) -> None:
    """Random nesting, lone surrogates, huge and non-finite numbers: nothing raises, the
    page gets encodable text only, and the exports are strict UTF-8 JSON and HTML."""
    view, rec, clock, initial = make_view()
    for event in events:
        clock.advance(0.06)
        view.apply(event)
    view.finish()
    for message in rec.messages:
        json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8")
    page_parts(initial, rec.patches)
    html_text = view.static_html()
    html_text.encode("utf-8")
    assert "<script" not in html_text
    exported = view.export_json(tmp_path / "m.json").read_bytes().decode("utf-8")
    json.loads(exported, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    view.export_html(tmp_path / "m.html").read_bytes().decode("utf-8")


def test_a_lone_surrogate_is_shown_replaced_recorded_and_exported_exactly(tmp_path: Path) -> None:
    events = [message_start(), *text_events(0, "before \ud83d after"), *message_end()]
    view, rec, clock, initial = make_view()
    feed(view, clock, events, step=0.01)
    assert [p.kind for p in view.state.problems] == ["lone_surrogate"]
    assert "before \ufffd after" in "".join(page_parts(initial, rec.patches)["text/0"])
    assert "before \ufffd after" in view.static_html()
    exported = view.export_json(tmp_path / "m.json").read_text(encoding="utf-8")
    assert "before \\ud83d after" in exported  # the exact text, as its JSON escape
    assert json.loads(exported)["content"][0]["text"] == "before \ud83d after"


# --------------------------------------------------------------------------- the wire


def test_the_wire_inspector_lists_events_a_page_at_a_time() -> None:
    view, rec, clock, initial = make_view()
    events = read_events(gallery.path("parallel_tools"))
    feed(view, clock, events[:-1], step=0.013)  # live: the last event is still to come
    listing = "lazy:wire/list"
    assert listing not in page_parts(initial, rec.patches)  # sent only once opened
    deliver(view, {"type": "want", "region": listing})
    deliver(view, {"type": "want", "region": "lazy:ctl:wire-ctl"})

    def act(action: str, value: Any) -> None:
        deliver(view, {"type": "action", "action": action, "value": value, "key": "",
                       "token": view.token})  # fmt: skip

    def numbers() -> list[int]:
        rows = page_parts(initial, rec.patches)[listing]
        return [int(tree(r).one("ss-live-btn").text().lstrip("#")) for r in rows]

    # live, it follows the newest page (events 51 on)
    assert numbers() == list(range(51, len(events)))
    act("wire-page", 0)
    rows = page_parts(initial, rec.patches)[listing]
    assert len(rows) == 50  # the first page
    first = tree(rows[0]).one("ss-wire-event")
    assert first.attrs["data-type"] == "message_start"
    assert "#1" in first.text() and "message_start" in first.text()
    controls = "".join(page_parts(initial, rec.patches)["lazy:ctl:wire-ctl"])
    assert "page 1 of 2" in controls

    act("wire-block", 3)  # a click on bar #3 or on the lane's number
    rows = page_parts(initial, rec.patches)[listing]
    items = [tree(r).one("ss-wire-event") for r in rows]
    assert {item.attrs["data-index"] for item in items} == {"3"}
    deltas = [item for item in items if item.attrs["data-type"] == "content_block_delta"]
    assert deltas and all(item.select(tag="code") for item in deltas)  # the JSON fragments
    act("wire-type", "content_block_stop")
    rows = page_parts(initial, rec.patches)[listing]
    assert len(rows) == 1
    number = int(tree(rows[0]).one("ss-live-btn").text().lstrip("#"))
    act("wire-mark", number)  # a click on the event: its moment on the timeline
    timeline = "".join(page_parts(initial, rec.patches)["tl-rows"])
    assert timeline.count('class="ss-tl-mark"') == len(view.state.blocks)
    feed(view, clock, events[-1:], step=0.013)
    view.finish()
    static = view.static_html()
    assert "Events on the wire" in static and "data-ss-live" not in static
    assert static.count('class="ss-wire-event"') == 50  # bounded: the first page


def test_a_finished_views_wire_list_has_no_buttons() -> None:
    """Once final, nobody hears a click: the live page's list shows the numbers as text, as
    the static picture does, even for rows it had rendered with buttons (found in the
    browser: the live twin differed from the static picture)."""
    view, rec, clock, initial = make_view()
    events = read_events(gallery.path("parallel_tools"))
    feed(view, clock, events[:-1], step=0.013)
    listing = "lazy:wire/list"
    deliver(view, {"type": "want", "region": listing})
    deliver(view, {"type": "action", "action": "wire-page", "value": 0, "key": "",
                   "token": view.token})  # fmt: skip
    live = "".join(page_parts(initial, rec.patches)[listing])
    assert live.count('data-ss-action="wire-mark"') == 50  # the first page, live
    feed(view, clock, events[-1:], step=0.013)
    view.finish()
    final = "".join(page_parts(initial, rec.patches)[listing])
    assert "<button" not in final and "data-ss-token" not in final
    assert final.count('class="ss-wire-event"') == 50 and ">#1 · " in final
    static = view.static_html()
    assert final in static  # the live page's list is the static picture's


def test_the_event_log_is_bounded() -> None:
    from streamscope.core.stream.event_log import CAP, EventLog

    log = EventLog()
    for k in range(CAP + 500):
        log.add({"type": "ping"}, float(k))
    assert len(log.events) == CAP and log.total == CAP + 500 and log.dropped == 500
    items, page, pages = log.page(None)
    assert page == pages - 1 and items[-1].number == CAP + 500


# --------------------------------------------------------------------------- tool schemas

BOOKING_TOOL: dict[str, Any] = {
    "name": "book_table",
    "description": "Book a table.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "party_size": {"type": "integer", "minimum": 1},
            "seating": {"enum": ["indoor", "terrace"]},
            "guests": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["city", "party_size"],
        "additionalProperties": False,
    },
}
BAD_BOOKING = {"city": "Lisbon", "party_size": "4", "guests": ["Ana", 7], "seating": "window"}


def _args(view: StreamView, rec: Recorder, initial: dict[str, Any], index: int) -> str:
    parts = page_parts(initial, rec.patches)
    return "".join(
        "".join(v)
        for k, v in parts.items()
        if k == f"args/{index}" or k.startswith(f"args/{index}/")
    )


def test_a_field_that_breaks_the_schema_is_marked_before_the_block_ends() -> None:
    view, rec, clock, initial = make_view(tools=[BOOKING_TOOL])
    events = [message_start(), *tool_events(0, "book_table", BAD_BOOKING, chunk=3)]
    *body, stop = events
    seen_marked: list[str] = []
    for event in body:  # everything but content_block_stop
        clock.advance(0.06)  # one frame per event
        view.apply(event)
        items = tree(_args(view, rec, initial, 0)).select(tag="li")
        marked = {str(n.attrs["data-path"]) for n in items if "data-bad" in n.attrs}
        seen_marked += [p for p in sorted(marked) if p not in seen_marked]
    # each mark appeared while the block was still streaming, in the order the JSON came
    assert seen_marked == ["/party_size", "/guests/1", "/seating"]
    assert "missing required" not in _args(view, rec, initial, 0)  # "required": all present
    clock.advance(0.06)
    view.apply(stop)
    feed(view, clock, message_end(stop_reason="tool_use"), step=0.06)
    html_text = _args(view, rec, initial, 0)
    assert 'expected integer, got string "4"' in html_text
    assert html_text.count("⚠") == 3
    panel = tree("".join(page_parts(initial, rec.patches)["final"]))
    notes = panel.one("ss-call-violations").text()
    assert "party_size: expected integer" in notes and "guests[1]" in notes
    assert "seating" in notes
    static = view.static_html()
    assert static.count('data-bad=""') == 4  # three fields, and the call in the panel


def test_a_missing_required_field_is_said_once_the_object_closes() -> None:
    view, rec, clock, initial = make_view(tools=[BOOKING_TOOL])
    events = [message_start(), *tool_events(0, "book_table", {"city": "Porto"}, chunk=4)]
    feed(view, clock, events[:-2], step=0.06)
    assert "missing required" not in _args(view, rec, initial, 0)
    feed(view, clock, events[-2:], step=0.06)  # the closing brace, then the stop
    rows = tree(_args(view, rec, initial, 0)).select("ss-bad-args")
    assert len(rows) == 1 and 'missing required property "party_size"' in rows[0].text()


def test_a_violation_that_lands_in_a_rendered_field_rerenders_it() -> None:
    from streamscope.core.schema.validation import Violation
    from streamscope.widgets.render.arguments import ArgumentTree

    value: dict[str, Any] = {"a": [1, 2, 3], "b": "x"}
    arguments = ArgumentTree()
    first = arguments.regions("args/0", value, ("b",), False)
    assert "data-bad" not in "".join(first["args/0"] + first["args/0/0"])
    later = arguments.regions("args/0", value, ("b",), False, [Violation(("a", 1), "too big")])
    assert 'data-path="/a/1" data-bad=""' in "".join(later["args/0/0"])
    assert "too big" in "".join(later["args/0/0"])


def test_the_view_checks_the_tools_of_the_request_it_opened() -> None:
    """No tools= given: the request the SDK sent (over a mock transport) says which."""
    events = [
        message_start(),
        *tool_events(0, "book_table", BAD_BOOKING),
        *message_end(stop_reason="tool_use"),
    ]
    client = _client(events)
    view, rec, _clock, initial = make_view()
    view.consume(client.messages.stream(**REQUEST, tools=[BOOKING_TOOL]))
    request = view.state.request
    assert request is not None and request["tools"][0]["name"] == "book_table"
    assert "api_key" not in json.dumps(request) and "test" not in json.dumps(request)
    block = view.state.blocks[0]
    assert [v.where for v in block.violations] == ["party_size", "guests[1]", "seating"]  # type: ignore[attr-defined]
    assert _args(view, rec, initial, 0).count("⚠") == 3


# --------------------------------------------------------------------------- the request


def test_the_request_box_gives_code_to_send_it_again_and_never_a_key() -> None:
    events = [message_start(), *text_events(0, "Paris in two days."), *message_end()]
    client = _client(events)
    view, rec, _clock, initial = make_view()
    view.consume(client.messages.stream(**REQUEST))
    parts = page_parts(initial, rec.patches)
    assert "The request" in "".join(parts["request"])
    code_id = "lazy:request/code"
    assert code_id not in parts  # sent only once the box is opened
    deliver(view, {"type": "want", "region": code_id})
    code = tree("".join(page_parts(initial, rec.patches)[code_id]))
    blocks = [p.text() for p in code.select(tag="pre")]
    assert len(blocks) == 2  # Python and curl
    python, curl = blocks
    assert "client.messages.create(" in python or "client.messages.stream(" in python
    assert "Plan a weekend in Paris" in python and "claude-sonnet-4-6" in python
    assert "$ANTHROPIC_API_KEY" in curl and "https://api.anthropic.com}/v1/messages" in curl
    assert "test" not in python + curl  # the client's key is nowhere
    compile(python, "<request>", "exec")  # it is Python
    assert len(code.select("ss-copy")) == 2
    static = view.static_html()
    assert "Plan a weekend in Paris" in static  # the code, as text to select
    assert 'class="ss-live-btn ss-copy"' not in static and ">Copy<" not in static


def test_no_request_box_when_the_request_is_not_known() -> None:
    view, rec, clock, initial = make_view()
    feed(view, clock, [message_start(), *text_events(0, "hi"), *message_end()], step=0.01)
    assert view.state.request is None
    assert not page_parts(initial, rec.patches).get("request")
    assert "The request" not in view.static_html()


def test_a_request_too_long_to_show_names_request_code() -> None:
    from streamscope.widgets.render.request import SHOWN_LIMIT

    long_request = dict(REQUEST, messages=[{"role": "user", "content": "x" * (SHOWN_LIMIT + 10)}])
    state = StreamState(request=long_request)
    view, _rec, clock, _initial = make_view(state=state)
    feed(view, clock, [message_start(), *text_events(0, "ok"), *message_end()], step=0.01)
    static = view.static_html()
    assert "too long to show here" in static and "request_code(view)" in static
    assert "x" * 1000 not in static


def test_the_wire_shows_an_event_with_an_absurd_index() -> None:
    """Found by hypothesis: an index of 10**5000 broke the wire's page (Python will not
    turn such an int into text). The event is listed, with no block."""
    view, rec, clock, initial = make_view()
    feed(
        view, clock, [message_start(), {"type": "content_block_stop", "index": 10**5000}], step=0.01
    )
    deliver(view, {"type": "want", "region": "lazy:wire/list"})
    rows = page_parts(initial, rec.patches)["lazy:wire/list"]
    assert len(rows) == 2 and "content_block_stop · –" in tree(rows[1]).text()


def test_replay_position_reads_as_the_panel_events() -> None:
    """The header's "event N of M" and the panel's events figure come from one frame: a
    replay's counter never runs ahead of the panel (issue 18: "event 6 of 66" beside
    "events 2" while thinking streamed)."""
    events = rich_stream()
    timed = [(k * 0.01, e) for k, e in enumerate(events)]

    class Ticking(FakeClock):
        """Moves 20 ms each time it is read: frames go out, figures redraw at 1 Hz."""

        def __call__(self) -> float:
            self.now += 0.02
            return self.now

    view, rec, _clock, initial = make_view(clock=Ticking())
    asyncio.run(view.play(timed, speed=None, paused=False))
    pairs = []
    for k in range(1, len(rec.patches) + 1):
        parts = page_parts(initial, rec.patches[:k])
        controls = "".join(parts.get("ctl:controls", []))
        panel = "".join(parts.get("final", []))
        position = re.search(r"event ([\d,]+) of", controls)
        shown = re.search(r'data-ss-figure="events"[^>]*>([^<]*)<', panel)
        if position and shown:
            pairs.append((position.group(1), shown.group(1)))
    assert len({a for a, _ in pairs}) > 3  # the counter moved through the replay
    assert all(a == b for a, b in pairs), pairs
