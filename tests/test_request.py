"""The whole request, recorded: from SDK managers and streams, the replay client, the tool loop
and the gallery; and when it was sent, so replays show the true time to first token."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from mock_api import MockAPI
from streams import message_end, message_start, text_events, text_stream, tool_events

from streamscope.core.io import gallery
from streamscope.core.io.cassette import read_cassette, read_timed_events, record, write_cassette
from streamscope.core.io.playback import Replay
from streamscope.core.io.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.io.sources import aiter_events, iter_events
from streamscope.core.loop.recorder import TurnRecorder
from streamscope.core.loop.tool_loop import ToolLoop
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.request import betas_of, clean_request, request_of

Event = dict[str, Any]
KEY = "sk-ant-api03-" + "x" * 40


TOOLS = [
    {
        "name": "get_weather",
        "description": "Forecast.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
PARAMS: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 1024,
    "system": "Be brief.",
    "tools": TOOLS,
    "stop_sequences": ["###"],
    "messages": [{"role": "user", "content": "Weather in Lisbon?"}],
}


# --------------------------------------------------------------------------- cleaning


def test_clean_request_keeps_the_body_and_drops_what_is_not_sent() -> None:
    cleaned = clean_request(
        {
            **PARAMS,
            "stream": True,
            "extra_headers": {"x-api-key": KEY},
            "extra_query": {"a": "b"},
            "timeout": 30,
            "api_key": KEY,
            "extra_body": {"top_k": 5},
            "metadata": {"user_id": "u-1"},
            "betas": "b1, b2",
        }
    )
    assert cleaned == {
        **PARAMS,
        "metadata": {"user_id": "u-1"},
        "betas": ["b1", "b2"],
        "top_k": 5,
    }
    # the user's text is the user's data: kept byte for byte (a view warns beside it)
    pasted = {"system": f"use {KEY}", "messages": []}
    assert clean_request(pasted) == pasted
    assert betas_of(cleaned) == ["b1", "b2"] and betas_of(None) == [] and betas_of(PARAMS) == []


# --------------------------------------------------------------------------- from the SDK


def test_the_request_of_sdk_managers_and_streams_is_what_the_sdk_sends() -> None:
    server = MockAPI(every=text_stream("Hello there."), key=KEY)
    client = server.sync_client()
    manager = client.messages.stream(**PARAMS, extra_headers={"x-api-key": KEY})
    assert request_of(manager) == PARAMS  # known before the manager sends it
    with manager as stream:
        assert request_of(stream) == PARAMS
        stream.until_done()
    assert server.sent() == PARAMS
    raw = client.messages.create(**PARAMS, stream=True)
    assert request_of(raw) == PARAMS
    raw.close()
    beta = client.beta.messages.stream(**PARAMS, betas=["interleaved-thinking-2025-05-14"])
    assert request_of(beta) == {**PARAMS, "betas": ["interleaved-thinking-2025-05-14"]}
    with beta as stream:
        assert request_of(stream) == request_of(beta)
    assert server.headers[-1]["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert request_of([message_start()]) is None and request_of(object()) is None


def test_the_request_of_an_async_manager_before_it_is_awaited() -> None:
    server = MockAPI(every=text_stream("Hello there."), key=KEY)

    async def main() -> tuple[Any, Any]:
        manager = server.async_client().messages.stream(**PARAMS)
        before = request_of(manager)
        events = aiter_events(manager)
        assert events.request == before
        got = [e async for e in events]
        return before, got

    before, got = asyncio.run(main())
    assert before == PARAMS == server.sent() and got


def test_an_event_iterator_knows_its_request() -> None:
    server = MockAPI(every=text_stream("Hello there."), key=KEY)
    events = iter_events(server.sync_client().messages.stream(**PARAMS))
    assert events.request == PARAMS
    list(events)
    assert iter_events([message_start()]).request is None


# --------------------------------------------------------------------------- record


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def test_record_opens_a_manager_and_writes_the_request_and_when_it_was_sent(
    tmp_path: Path,
) -> None:
    server = MockAPI(every=text_stream("Hello there."), key=KEY)
    path = tmp_path / "run.jsonl"
    manager = server.sync_client().messages.stream(**PARAMS, extra_headers={"x-api-key": KEY})
    recording = record(manager, path, meta={"title": "demo"}, clock=Clock())
    assert recording.request == PARAMS and recording.message_stream is None
    events = list(recording)
    assert events[0].type == "message_start"  # the SDK's own event objects
    stream: Any = recording.message_stream  # entered by record itself
    message = stream.get_final_message()
    assert message.content[0].text == "Hello there."
    cassette = read_cassette(path)
    assert cassette.meta == {"title": "demo", "request": PARAMS, "request_at": 0.0}
    assert cassette.request == server.sent() == PARAMS
    assert cassette.request_at == 0.0
    assert cassette.times[0] == 0.25  # t counts from the request: the wait is kept
    assert cassette.time_to_first_event == 0.25
    assert KEY not in path.read_text()


def test_record_of_an_open_stream_knows_the_request_but_not_when(tmp_path: Path) -> None:
    server = MockAPI(every=text_stream("Hello there."), key=KEY)
    with server.sync_client().messages.stream(**PARAMS) as stream:
        list(record(stream, tmp_path / "a.jsonl", meta={"request": {"model": "mine"}}))
    cassette = read_cassette(tmp_path / "a.jsonl")
    assert cassette.request == PARAMS  # what was sent wins over a description
    assert cassette.request_at is None and cassette.times[0] == 0.0
    list(record(text_stream("x"), tmp_path / "b.jsonl", meta={"request": {"model": "mine"}}))
    assert read_cassette(tmp_path / "b.jsonl").request == {"model": "mine"}


def test_record_of_the_replay_clients_streams(tmp_path: Path) -> None:
    client = ReplayClient([text_stream("one"), text_stream("two")])
    list(record(client.messages.stream(**PARAMS), tmp_path / "a.jsonl"))
    list(
        record(
            client.beta.messages.create(**PARAMS, betas=["b"], stream=True), tmp_path / "b.jsonl"
        )
    )
    assert read_cassette(tmp_path / "a.jsonl").request == PARAMS
    assert read_cassette(tmp_path / "a.jsonl").request_at == 0.0
    assert read_cassette(tmp_path / "b.jsonl").request == {**PARAMS, "betas": ["b"]}
    assert read_cassette(tmp_path / "b.jsonl").request_at is None


def test_arecord_opens_an_async_manager(tmp_path: Path) -> None:
    from streamscope.core.io.cassette import arecord

    async def main() -> None:
        client = AsyncReplayClient([text_stream("hi")])
        recording = arecord(client.messages.stream(**PARAMS), tmp_path / "a.jsonl")
        assert recording.request == PARAMS
        assert [e async for e in recording]
        assert recording.message_stream is not None

    asyncio.run(main())
    assert read_cassette(tmp_path / "a.jsonl").meta == {"request": PARAMS, "request_at": 0.0}


# ------------------------------------------------------------------ the time of the request


def timed_cassette(path: Path) -> Path:
    events = text_stream("hello world")
    times = [0.0 + 0.1 * i for i in range(len(events))]
    write_cassette(path, events, times=times, meta={"request": PARAMS, "request_at": -0.8})
    return path


def test_read_timed_events_from_the_request(tmp_path: Path) -> None:
    path = timed_cassette(tmp_path / "r.jsonl")
    assert read_timed_events(path)[0][0] == 0.0
    timed = read_timed_events(path, from_request=True)
    assert timed[0][0] == 0.8 and timed[1][0] == pytest.approx(0.9)
    state = StreamState(started_at=0.0)
    for t, event in timed:
        state.apply(event, at=t)
    assert state.time_to_first_event == 0.8
    assert state.time_to_first_token == pytest.approx(1.0)  # after message_start and start


class FakeClock:
    def __init__(self) -> None:
        self.now = 10.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_replay_starts_at_the_request(tmp_path: Path) -> None:
    path = timed_cassette(tmp_path / "r.jsonl")
    clock = FakeClock()
    r = Replay(path, 2.0, sleep=clock.sleep, clock=clock, tick=100.0)
    assert r.request_at == -0.8 and r.time_to_first_event == 0.8 and r.request == PARAMS
    assert Replay(text_stream("x")).request is None
    assert r.times[:2] == pytest.approx([0.8, 0.9])
    first = next(iter(r))
    assert first["type"] == "message_start"
    assert clock.now - 10.0 == pytest.approx(0.4)  # the recorded wait, at twice the speed
    clock = FakeClock()
    list(Replay(path, 1.0, sleep=clock.sleep, clock=clock, tick=100.0, from_request=False))
    assert clock.sleeps[0] == pytest.approx(0.1)  # no wait before the first event
    events = text_stream("x")
    given = Replay([(1.0, e) for e in events], 1.0, request_at=0.5, sleep=clock.sleep, clock=clock)
    assert given.time_to_first_event == 0.5


def test_the_replay_client_paces_a_turn_from_its_request(tmp_path: Path) -> None:
    path = timed_cassette(tmp_path / "r.jsonl")
    client = ReplayClient([path])
    assert client.request_times == [-0.8]
    stream = client.messages.create(**PARAMS, stream=True)
    assert stream.request == PARAMS
    assert stream._recording.replay().time_to_first_event == 0.8


# --------------------------------------------------------------------------- the tool loop


def get_weather(city: str) -> str:
    """Forecast."""
    return "sunny"


def loop_turns() -> list[list[Event]]:
    return [
        [message_start(), *tool_events(0, "get_weather", {"city": 1}), *message_end("tool_use")],
        [message_start(), *text_events(0, "Sunny."), *message_end()],
    ]


def test_each_turn_of_a_loop_knows_its_request_and_tools(tmp_path: Path) -> None:
    recorder = TurnRecorder(tmp_path, name="trip", meta={"note": "demo"})
    loop = ToolLoop(
        ReplayClient(loop_turns()),
        model="claude-sonnet-4-5",
        max_tokens=512,
        tools=[get_weather],
        system="Be brief.",
        observer=recorder,
    )
    loop.run("Weather in Lisbon?")
    first, second = (turn.state for turn in loop.turns)
    assert first is not None and second is not None
    assert first.request == clean_request(loop.turns[0].request or {})
    assert first.request is not None and first.request["system"] == "Be brief."
    assert set(first.tool_schemas) == {"get_weather"}
    assert [str(v) for v in first.blocks[0].violations] == [  # type: ignore[attr-defined]
        "city: expected string, got integer 1"
    ]
    assert second.request is not None and len(second.request["messages"]) == 3
    assert [p.name for p in recorder.paths] == ["trip.turn1.jsonl", "trip.turn2.jsonl"]
    cassettes = [read_cassette(p) for p in recorder.paths]
    assert [c.request for c in cassettes] == [first.request, second.request]
    assert all(c.request_at == 0.0 and c.meta["conversation"] == "trip" for c in cassettes)
    assert [c.meta["turn"] for c in cassettes] == [1, 2] and cassettes[0].meta["note"] == "demo"
    assert all(c.times[0] is not None and c.times[0] >= 0 for c in cassettes)
    replayed = ToolLoop(ReplayClient(recorder.paths), model="m", max_tokens=1, tools=[get_weather])
    replayed.run("Weather in Lisbon?")
    assert [t.state.to_message() for t in replayed.turns if t.state] == [
        first.to_message(),
        second.to_message(),
    ]


def test_a_gallery_replay_reports_the_recorded_time_to_first_event() -> None:
    path = gallery.path("parallel_tools")
    cassette = read_cassette(path)
    state = StreamState(started_at=0.0, request=cassette.request)
    for t, event in read_timed_events(path, from_request=True):
        state.apply(event, at=t)
    assert state.time_to_first_event == pytest.approx(cassette.meta["time_to_first_event"])
    assert set(state.tool_schemas) == {
        "get_weather",
        "search_flights",
        "find_hotels",
        "get_exchange_rate",
    }
