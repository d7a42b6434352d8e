"""StreamView without a kernel: what it sends over its (dummy) comm, and what it does.

A widget made outside a kernel gets a dummy comm; every test records ``comm.send`` (custom
frames and trait syncs alike) and measures messages and bytes as Jupyter would pack them.
Frames are replayed by a small mirror of view.js (``rebuild``) and, when Node is present,
by view.js itself, to check that frames plus the snapshot reproduce the state exactly.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from streams import (
    HOSTILE,
    HOSTILE_TEXT,
    error_event,
    hostile_stream,
    message_end,
    message_start,
    parallel_tools_stream,
    rich_stream,
    text_events,
    text_stream,
)

from streamscope.core.errors import StreamAPIError
from streamscope.core.pricing import DEFAULT_PRICES
from streamscope.core.state import StreamState
from streamscope.widgets import StreamView, snapshot
from streamscope.widgets._wire import pack_snapshot

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from heavy_message import content_bytes, heavy_message_events  # noqa: E402

VIEW_JS = REPO / "widgets" / "static" / "view.js"
Event = dict[str, Any]


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Every message a view sends, as Jupyter's JSON packer would encode it."""

    def __init__(self, view: StreamView) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        self._lock = threading.Lock()
        view.comm.send = self._send

    def _send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        with self._lock:
            self.messages.append(json.loads(encoded))
            self.sizes.append(len(encoded))

    @property
    def bytes(self) -> int:
        return sum(self.sizes)

    @property
    def frames(self) -> list[dict[str, Any]]:
        return [m["content"] for m in self.messages if m["method"] == "custom"]

    def updates(self, key: str) -> list[Any]:
        return [
            m["state"][key] for m in self.messages if m["method"] == "update" and key in m["state"]
        ]


def make_view(**options: Any) -> tuple[StreamView, Recorder, FakeClock]:
    clock = FakeClock()
    options.setdefault("flush_timer", False)
    view = StreamView(clock=clock, **options)
    return view, Recorder(view), clock


def front_end_message(view: StreamView, content: dict[str, Any]) -> None:
    """Deliver a custom message as if view.js had sent it."""
    view._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def feed(view: StreamView, clock: FakeClock, events: list[Event], step: float) -> None:
    """Apply events ``step`` seconds apart; 0.1 s pass before ``message_delta``, so that every
    content chunk goes out in a frame before the final snapshot."""
    for event in events:
        clock.now += 0.1 if event["type"] == "message_delta" else step
        view.apply(event)


def unpack(packed: dict[str, Any]) -> dict[str, Any]:
    """What view.js's unpack() does: restore the tool inputs the packed snapshot left out."""
    snap: dict[str, Any] = json.loads(json.dumps(packed))
    blocks = {b["index"]: b for b in snap["blocks"]}
    for block in snap["blocks"]:
        if "input_json" in block and "input" not in block and block.get("complete"):
            block["input"] = json.loads(block["input_json"])
    for call in snap["tool_calls"]:
        if "input" not in call:
            call["input"] = blocks[call["index"]]["input"]
    return snap


def rebuild(frames: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The blocks a front end holds after applying ``frames`` (view.js's applyFrame)."""
    blocks: dict[int, dict[str, Any]] = {}
    for frame in frames:
        for op in frame["ops"]:
            if op[0] == "start":
                blocks[op[1]["index"]] = dict(op[1])
            elif op[0] == "add":
                block = blocks[op[1]]
                block[op[2]] = block.get(op[2], "") + op[3]
            elif op[0] == "set":
                blocks[op[1]].update(op[2])
    return blocks


# --------------------------------------------------------------------------- batching


def test_instant_heavy_message_is_a_handful_of_messages() -> None:
    events = heavy_message_events()
    assert len(events) > 25_000
    view, rec, _ = make_view()
    for event in events:  # the fake clock never moves: everything is "instant"
        view.apply(event)
    assert len(rec.messages) <= 3
    content = content_bytes(events)
    assert content <= rec.bytes <= 3 * content
    assert view.snapshot == snapshot(view.state, seq=view.snapshot["seq"])


def test_real_clock_instant_apply_stays_under_20_frames_per_second() -> None:
    events = heavy_message_events(tool_json_bytes=20_000)
    view = StreamView(flush_timer=False)
    rec = Recorder(view)
    start = time.monotonic()
    for event in events:
        view.apply(event)
    elapsed = time.monotonic() - start
    assert len(rec.frames) <= elapsed / 0.05 + 2
    assert len(rec.updates("snapshot")) == 1


def test_paced_stream_sends_about_20_frames_per_second() -> None:
    events = heavy_message_events(tool_json_bytes=10_000)
    view, rec, clock = make_view()
    for event in events:
        clock.now += 0.001
        view.apply(event)
    seconds = len(events) * 0.001
    assert 19 * seconds <= len(rec.frames) <= 20 * seconds + 2
    seqs = [f["seq"] for f in rec.frames]
    assert seqs == list(range(1, len(seqs) + 1))
    # the snapshot goes out once, at the end: never per block
    assert len(rec.updates("snapshot")) == 1
    assert rec.updates("snapshot")[0]["seq"] >= seqs[-1]


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(heavy_message_events(tool_json_bytes=6_000), id="heavy"),
        pytest.param(rich_stream(), id="rich"),
        pytest.param(
            parallel_tools_stream(
                [("a", {"x": [1, 2.5, None, True]}), ("b", "not an object"), ("c", {})]
            ),
            id="parallel-tools",
        ),
        pytest.param(hostile_stream(), id="hostile"),
    ],
)
def test_frames_rebuild_every_block_exactly(events: list[Event]) -> None:
    view, rec, clock = make_view()
    feed(view, clock, events, step=0.003)
    final = snapshot(view.state)
    blocks = rebuild(rec.frames)
    assert sorted(blocks) == [b["index"] for b in final["blocks"]]
    for expected in final["blocks"]:
        got = blocks[expected["index"]]
        for field in ("text", "thinking", "input_json", "signature"):
            if field in expected:
                assert got[field] == expected[field], (expected["index"], field)
        derived = {"input", "omitted"}
        assert {k: v for k, v in got.items() if k not in derived} == {
            k: v for k, v in expected.items() if k not in derived
        }
        if expected["type"] == "tool_use" and expected["input_error"] is None:
            assert json.loads(got["input_json"] or "{}") == expected["input"]
        elif expected["type"] == "tool_use":
            assert got["input"] == expected["input"]  # what could be read is sent as is


def test_frames_carry_only_new_text() -> None:
    text = "".join(f"word{k} " for k in range(2_000))
    events = text_stream(text, chunk=8)
    view, rec, clock = make_view()
    feed(view, clock, events, step=0.002)
    added = "".join(op[3] for f in rec.frames for op in f["ops"] if op[0] == "add")
    assert added == text  # every byte once
    frame_bytes = sum(
        s for m, s in zip(rec.messages, rec.sizes, strict=False) if m["method"] == "custom"
    )
    assert frame_bytes < len(text) + 250 * len(rec.frames)  # a small envelope per frame


# --------------------------------------------------------------------------- snapshot


def test_final_snapshot_trait_equals_snapshot_of_state() -> None:
    view, rec, clock = make_view()
    feed(view, clock, rich_stream(), step=0.01)
    sent = rec.updates("snapshot")
    assert len(sent) == 1
    expected = snapshot(view.state, seq=view.snapshot["seq"])
    assert view.snapshot == expected
    assert unpack(sent[0]) == json.loads(json.dumps(expected))
    assert expected["status"] == "done"


def test_packed_snapshot_sends_tool_inputs_once() -> None:
    view, _rec, clock = make_view()
    feed(view, clock, heavy_message_events(tool_json_bytes=20_000), step=0.0)
    packed = pack_snapshot(view.snapshot)
    assert all("input" not in b for b in packed["blocks"] if b["type"] == "tool_use")
    assert all("input" not in c for c in packed["tool_calls"])
    full = len(json.dumps(view.snapshot))
    assert len(json.dumps(packed)) < 0.6 * full
    assert unpack(packed) == json.loads(json.dumps(view.snapshot))


def test_snapshot_request_from_the_front_end_sets_the_trait() -> None:
    events = rich_stream()
    view, rec, _clock = make_view()
    half = len(events) // 2
    for event in events[:half]:
        view.apply(event)  # the clock stands still: after the first frame, all pending
    assert len(rec.frames) == 1
    front_end_message(view, {"type": "request_snapshot", "reason": "gap", "have": 0})
    assert len(rec.frames) == 2  # pending changes went out first...
    sent = rec.updates("snapshot")
    assert len(sent) == 1  # ...then the snapshot, which includes them
    assert sent[0]["status"] == "streaming"
    assert sent[0]["seq"] == rec.frames[-1]["seq"]
    assert unpack(sent[0]) == json.loads(json.dumps(snapshot(view.state, seq=sent[0]["seq"])))


def test_snapshot_request_when_current() -> None:
    view, rec, clock = make_view()
    feed(view, clock, text_stream("hello there"), step=0.01)
    count = len(rec.messages)
    front_end_message(view, {"type": "request_snapshot", "reason": "init", "have": 0})
    assert len(rec.messages) == count  # nothing new: an init request costs nothing
    front_end_message(view, {"type": "request_snapshot", "reason": "gap", "have": 0})
    assert len(rec.updates("snapshot")) == 2  # a gap always gets the snapshot again


def test_a_state_already_fed_shows_whole() -> None:
    state = StreamState()
    for event in rich_stream():
        state.apply(event)
    view, _rec, _clock = make_view(state=state)
    assert view.snapshot["status"] == "done"
    assert view.snapshot == snapshot(state)


# --------------------------------------------------------------------------- failures


def _failing(events: list[Event], after: int, exc: BaseException) -> Iterator[Event]:
    yield from events[:after]
    raise exc


def test_failure_keeps_what_arrived_marks_failed_and_reraises() -> None:
    events = text_stream("The network will cut this sentence in the middle.", chunk=5)
    view, rec, _clock = make_view()
    with pytest.raises(ConnectionError, match="peer reset"):
        view.consume(_failing(events, 6, ConnectionError("peer reset")))
    snap = view.snapshot
    assert snap["status"] == "failed"
    assert snap["failure"] == "ConnectionError: peer reset"
    assert snap["blocks"][0]["text"] == "The network will cut this sentence in the middle."[:20]
    assert view.failure == "ConnectionError: peer reset"
    assert snap == snapshot(view.state, failure=view.failure, seq=snap["seq"])
    assert rec.updates("snapshot")[-1]["status"] == "failed"


def test_error_event_raises_stream_api_error() -> None:
    events = [message_start(), *text_events(0, "partial answer", stop=False)]
    events.append(error_event("Overloaded", "overloaded_error"))
    events += message_end()  # never read: the error ends consumption
    view, _rec, _clock = make_view()
    with pytest.raises(StreamAPIError) as info:
        view.consume(events)
    assert info.value.error_type == "overloaded_error"
    assert info.value.error == {"type": "overloaded_error", "message": "Overloaded"}
    snap = view.snapshot
    assert snap["status"] == "failed"
    assert snap["error"]["type"] == "overloaded_error"
    assert snap["blocks"][0]["text"] == "partial answer"
    assert view.state.event_count == len(events) - len(message_end())


def test_async_failure_reraises() -> None:
    async def source() -> AsyncIterator[Event]:
        for event in text_stream("abc def ghi", chunk=3)[:4]:
            yield event
        raise TimeoutError("read timed out")

    view, _rec, _clock = make_view()
    with pytest.raises(TimeoutError):
        asyncio.run(view.consume_async(source()))
    assert view.snapshot["status"] == "failed"
    assert view.snapshot["failure"] == "TimeoutError: read timed out"
    assert view.snapshot["blocks"][0]["text"] == "abc de"


def test_stop_ends_async_consumption_and_keeps_everything() -> None:
    released = asyncio.Event()

    async def source() -> AsyncIterator[Event]:
        for event in text_stream("first words, then silence", chunk=6)[:4]:
            yield event
        await released.wait()  # a stream that stalls: only Stop can end it
        yield message_end()[0]

    async def main() -> StreamState:
        view_task = asyncio.ensure_future(view.consume_async(source()))
        while view.state.event_count < 4:
            await asyncio.sleep(0.01)
        front_end_message(view, {"type": "control", "action": "stop"})
        return await asyncio.wait_for(view_task, 5)

    view, rec, _clock = make_view()
    state = asyncio.run(main())
    assert state is view.state
    assert view.stopped
    assert view.snapshot["status"] == "stopped"
    assert view.snapshot["blocks"][0]["text"] == "first words,"
    controls = rec.updates("controls")
    assert controls[0] == {"mode": "live", "stop": "on"}
    assert controls[-1]["mode"] == "idle"


def test_sync_consume_disables_stop_meanwhile() -> None:
    view, rec, _clock = make_view()
    view.consume(text_stream("hello"))
    controls = rec.updates("controls")
    assert controls[0]["stop"] == "blocked"
    assert controls[-1] == {"mode": "idle", "stop": "on"}
    doc = StreamView.consume.__doc__ or ""
    assert "consume_async" in doc and "Stop" in doc


def test_interrupt_during_sync_consume_marks_stopped() -> None:
    view, _rec, _clock = make_view()
    with pytest.raises(KeyboardInterrupt):
        view.consume(_failing(text_stream("abc"), 3, KeyboardInterrupt()))
    assert view.snapshot["status"] == "stopped"


# --------------------------------------------------------------------------- replay


def test_replay_steps_one_event_at_a_time() -> None:
    events = rich_stream()
    timed = [(k * 0.002, e) for k, e in enumerate(events)]

    async def main() -> None:
        play = asyncio.ensure_future(view.play(timed, speed=1.0, paused=True))
        await asyncio.sleep(0.15)
        assert view.state.event_count == 0  # paused
        for expected in (1, 2, 3):
            front_end_message(view, {"type": "control", "action": "step"})
            for _ in range(100):
                await asyncio.sleep(0.01)
                if view.state.event_count == expected:
                    break
            await asyncio.sleep(0.1)
            assert view.state.event_count == expected
        front_end_message(view, {"type": "control", "action": "speed", "value": 4})
        assert view.controls["speed"] == 4
        front_end_message(view, {"type": "control", "action": "play"})
        assert view.controls["playing"] is True
        await asyncio.wait_for(play, 10)

    view, rec, _clock = make_view()
    asyncio.run(main())
    assert view.state.event_count == len(events)
    assert view.snapshot["status"] == "done"
    assert view.snapshot == snapshot(view.state, seq=view.snapshot["seq"])
    # recorded times, not the replay's pace, time the blocks
    assert view.snapshot["timing"]["duration"] == pytest.approx(0.002 * (len(events) - 1))
    assert rec.updates("controls")[0]["total"] == len(events)


def test_replay_stop() -> None:
    timed = [(k * 0.5, e) for k, e in enumerate(rich_stream())]

    async def main() -> None:
        play = asyncio.ensure_future(view.play(timed, speed=1.0))
        await asyncio.sleep(0.7)
        front_end_message(view, {"type": "control", "action": "stop"})
        await asyncio.wait_for(play, 5)

    view, _rec, _clock = make_view()
    asyncio.run(main())
    assert 1 <= view.state.event_count < 5
    assert view.snapshot["status"] == "stopped"


# --------------------------------------------------------------------------- security


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _assert_inert(markup: str) -> None:
    parser = _Tags()
    parser.feed(markup)
    for tag, attrs in parser.tags:
        assert tag not in {"script", "iframe", "img", "object", "embed"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name)


def test_hostile_strings_pass_through_as_data_only() -> None:
    view, rec, clock = make_view()
    feed(view, clock, hostile_stream(), step=0.01)
    # frames and the snapshot carry the payloads verbatim, as JSON string values
    added = "".join(op[3] for f in rec.frames for op in f["ops"] if op[0] == "add")
    for payload in HOSTILE:
        assert added.count(payload) >= 3  # thinking, text, tool arguments...
    snap = rec.updates("snapshot")[-1]
    assert snap["status"] == "failed"
    assert HOSTILE_TEXT in snap["blocks"][1]["text"]
    assert snap["model"] == f"model{HOSTILE_TEXT}"
    assert snap["blocks"][2]["name"] == f"tool{HOSTILE_TEXT}"
    # the static pictures are inert
    data, _ = view._repr_mimebundle_()
    _assert_inert(data["text/html"])


def test_view_js_never_parses_markup() -> None:
    source = VIEW_JS.read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in source.splitlines())
    for sink in (
        r"\.innerHTML\b",
        r"\.outerHTML\b",
        r"insertAdjacentHTML",
        r"document\.write",
        r"\beval\s*\(",
        r"\bFunction\s*\(",
        r"createContextualFragment",
        r"DOMParser",
    ):
        assert not re.search(sink, code), sink


# --------------------------------------------------------------------------- display, export


def test_bundle_keeps_anywidget_metadata_and_adds_html(monkeypatch: pytest.MonkeyPatch) -> None:
    import anywidget.widget

    colab: dict[str, Any] = {
        "application/vnd.jupyter.widget-view+json": {"colab": {"custom_widget_manager": {}}}
    }
    real = anywidget.widget.repr_mimebundle  # type: ignore[attr-defined]

    def with_metadata(**kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, _ = real(**kwargs)
        return data, colab

    monkeypatch.setattr(anywidget.widget, "repr_mimebundle", with_metadata)
    view, _rec, _clock = make_view()
    data, metadata = view._repr_mimebundle_()
    assert metadata == colab
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == view.model_id
    assert 'class="ss-view' in data["text/html"]


def test_static_html_is_refreshed_when_the_stream_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    calls: list[tuple[str, dict[str, Any], str]] = []

    def display(data: dict[str, Any], **kw: Any) -> None:
        calls.append(("display", data, kw["display_id"]))

    def update_display(data: dict[str, Any], **kw: Any) -> None:
        calls.append(("update", data, kw["display_id"]))

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(IPython.display, "update_display", update_display)
    view, _rec, _clock = make_view()
    view._ipython_display_()
    view.consume(rich_stream())
    assert [c[0] for c in calls] == ["display", "update"]
    assert calls[0][2] == calls[1][2]
    assert 'data-status="waiting"' in calls[0][1]["text/html"]
    assert 'data-status="done"' in calls[1][1]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in calls[1][1]


def test_exports(tmp_path: Path) -> None:
    view, _rec, _clock = make_view()
    view.consume(rich_stream())
    path = view.export_json(tmp_path / "m.json")
    assert json.loads(path.read_text(encoding="utf-8")) == view.to_message()
    assert view.to_message() == view.state.to_message()
    page = view.export_html(tmp_path / "m.html").read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>")
    assert ".ss-view" in page and "<script" not in page.lower()
    _assert_inert(page)


def test_price_table_override() -> None:
    prices = DEFAULT_PRICES.with_overrides(
        {"claude-sonnet-4-5": {"input": 100.0, "output": 100.0}}, as_of="2030-01-01"
    )
    view, _rec, _clock = make_view(prices=prices)
    view.consume(rich_stream())
    cost = view.snapshot["cost"]
    assert cost["as_of"] == "2030-01-01"
    default = snapshot(view.state)["cost"]
    assert cost["total_usd"] > default["total_usd"]


def test_timer_flushes_a_paused_stream() -> None:
    view = StreamView(frame_interval=0.05)
    rec = Recorder(view)
    events = text_stream("one two three", chunk=4)
    view.apply(events[0])  # first event: a frame at once
    for event in events[1:3]:
        view.apply(event)  # within 50 ms: pending
    assert len(rec.frames) == 1
    deadline = time.monotonic() + 2
    while len(rec.frames) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(rec.frames) == 2
    assert any(op[0] in ("start", "add") for op in rec.frames[1]["ops"])


def test_public_names() -> None:
    import streamscope.widgets as widgets

    assert set(widgets.__all__) >= {"StreamView", "show", "ashow", "replay"}
    for name in widgets.__all__:
        assert getattr(widgets, name) is not None


def test_show_returns_the_final_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    from streamscope.widgets import ashow, show

    message = show(rich_stream(), flush_timer=False)
    assert isinstance(shown[0], StreamView)
    assert message == shown[0].to_message()
    assert message["stop_reason"] == "tool_use"
    message = asyncio.run(ashow(text_stream("hi"), flush_timer=False))
    assert message["content"][0]["text"] == "hi"


# --------------------------------------------------------------------------- SDK streams


def _sse(events: list[Event]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def _client(events: list[Event]) -> Any:
    import anthropic
    import httpx2

    body = _sse(events)
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=body
        )
    )
    return anthropic.Anthropic(
        api_key="test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


def _async_client(events: list[Event]) -> Any:
    import anthropic
    import httpx2

    body = _sse(events)

    async def handler(request: Any) -> Any:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return anthropic.AsyncAnthropic(
        api_key="test",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
    )


REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Plan a weekend in Paris"}],
}


def test_sdk_streams_show_the_same_state(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: None)
    from streamscope.widgets import ashow, show

    events = rich_stream()
    expected = StreamState().apply_all(events).to_message()
    client = _client(events)
    # a MessageStream (through its manager): the SDK's own final message comes back
    message = show(client.messages.stream(**REQUEST), flush_timer=False)
    assert not isinstance(message, dict)
    assert message.model_dump(mode="json", exclude_none=True)["content"] == expected["content"]
    # the beta MessageStream and a raw Stream give the same state
    for source in (
        client.beta.messages.stream(**REQUEST),
        client.messages.create(**REQUEST, stream=True),
    ):
        view, _rec, _clock = make_view()
        view.consume(source)
        assert view.to_message()["content"] == expected["content"]
        assert view.snapshot["status"] == "done"
    # async: ashow awaits AsyncMessageStream.get_final_message()
    message = asyncio.run(
        ashow(_async_client(events).messages.stream(**REQUEST), flush_timer=False)
    )
    assert message.model_dump(mode="json", exclude_none=True)["content"] == expected["content"]
    # a plain dict list: ashow hands back state.to_message()
    assert asyncio.run(ashow(events, flush_timer=False)) == expected


def test_sdk_error_event_keeps_the_view_and_reraises() -> None:
    import anthropic

    events = [message_start(), *text_events(0, "cut short", stop=False), error_event()]
    view, _rec, _clock = make_view()
    with pytest.raises(anthropic.APIStatusError):
        view.consume(_client(events).messages.stream(**REQUEST))
    assert view.snapshot["status"] == "failed"
    assert view.snapshot["blocks"][0]["text"] == "cut short"
    assert "overloaded" in (view.failure or "").lower()


# --------------------------------------------------------------------------- view.js in Node

NODE = shutil.which("node")
_NODE_CHECK = r"""
import { readFileSync } from "node:fs";
const m = await import(process.argv[2]);
const data = JSON.parse(readFileSync(process.argv[3], "utf8"));
const out = {};
// 1. frames applied by view.js reproduce the final snapshot
let S = m.unpack(data.initial);
for (const f of data.frames) m.applyFrame(S, f);
const final = m.unpack(data.final);
const canon = (v) => JSON.stringify(v, (k, x) =>
  x && typeof x === "object" && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]]))
    : x);
const strip = (b) => { const c = { ...b }; delete c.input; delete c.omitted; return c; };
out.blocks = canon(S.blocks.map(strip)) === canon(final.blocks.map(strip));
const head = (x) => [
  x.status, x.model, x.cost, x.stop_reason, x.stop_details, x.error, x.event_count,
  x.timing.duration, x.timing.time_to_first_token,
];
out.summary = canon(head(S)) === canon(head(final));
const sc2 = new m.PartialJSONScanner();
out.calls = canon(S.tool_calls) === canon(final.tool_calls);
out.signatures = canon(S.signatures) === canon(final.signatures);
out.usage = canon(S.usage) === canon(final.usage);
out.problems = canon(S.problems) === canon(final.problems);
// 2. the partial-JSON repair shows what Python's parser shows, on every prefix
const sc = new m.PartialJSONScanner();
out.prefixes = data.prefixes.map(([text, want]) => {
  sc.feed(text);
  const got = sc.value();
  return JSON.stringify(got === undefined ? null : got) === JSON.stringify(want);
}).every(Boolean);
// 3. links: only http(s) and mailto
const bad = ["javascript:alert(1)", " JAVASCRIPT:x", "data:text/html,x", "vbscript:x", "/rel"];
bad.push("java\tscript:x");
out.hrefs = bad.every((u) => m.safeHref(u) === null) && m.safeHref("https://a.b/c") === "https://a.b/c";
out.pointer = m.pointer(["a/b", "~c", 0]) === "/a~1b/~0c/0";
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(NODE is None, reason="node not installed")
@pytest.mark.parametrize("name", ["heavy", "hostile"])
def test_view_js_applies_frames_like_the_kernel(tmp_path: Path, name: str) -> None:
    from streamscope.core.partial_json import MISSING, PartialJSON

    events = heavy_message_events(tool_json_bytes=3_000) if name == "heavy" else hostile_stream()
    view, rec, clock = make_view()
    initial = pack_snapshot(view.snapshot)
    for event in events:
        if event["type"] in ("message_stop", "error"):
            break
        clock.now += 0.002
        view.apply(event)
    clock.now += 0.002
    front_end_message(view, {"type": "request_snapshot", "reason": "gap", "have": 0})
    assert rec.updates("snapshot")[-1]["seq"] == rec.frames[-1]["seq"]
    if name == "heavy":
        raw = view.snapshot["blocks"][2]["input_json"]
    else:
        raw = '{"a": [1, true, null, {"b": "x\\u00e9\\"y"}], "c": -1.5e3, "d": false, "e": ""}'
    document = json.loads(raw)
    assert document
    parser = PartialJSON()
    prefixes: list[tuple[str, Any]] = []
    for k in range(1, len(raw) + 1):
        parser.feed(raw[k - 1])
        value = parser.value
        prefixes.append((raw[:k], None if value is MISSING else json.loads(json.dumps(value))))
    data = {
        "initial": initial,
        "frames": rec.frames,
        "final": rec.updates("snapshot")[-1],
        "prefixes": prefixes,
    }
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    module = tmp_path / "view.mjs"
    shutil.copy(VIEW_JS, module)
    script = tmp_path / "check.mjs"
    script.write_text(_NODE_CHECK, encoding="utf-8")
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(script), module.as_uri(), str(tmp_path / "data.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    checks = json.loads(result.stdout)
    assert checks == dict.fromkeys(checks, True) and len(checks) == 9, (checks, result.stderr)
