"""ReplayClient: recorded turns served in order through the SDK client's shapes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from anthropic.types import Message
from anthropic.types.beta import BetaMessage
from conftest import RECORDED, skip_or_fail
from streams import parallel_tools_stream, text_stream, thinking_stream, timed

from streamscope.core.io.cassette import read_cassette, write_cassette
from streamscope.core.io.replay_client import (
    AsyncReplayClient,
    ReplayClient,
    ReplayExhaustedError,
    _Recording,
)
from streamscope.core.io.sources import aiter_events, iter_events

REQUEST: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}


def test_create_stream_serves_turns_in_order_and_keeps_requests() -> None:
    first, second = text_stream("one"), text_stream("two")
    client = ReplayClient([first, second])
    messages = [{"role": "user", "content": "hi"}]
    with client.messages.create(stream=True, model="m", max_tokens=5, messages=messages) as stream:
        assert list(stream) == first
    messages.append({"role": "assistant", "content": "changed after the call"})
    events = list(client.messages.create(stream=True, **REQUEST))
    assert events == second
    assert client.requests[0] == {
        "stream": True,
        "model": "m",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],  # a deep copy, not the live list
    }
    assert client.endpoints == ["messages.create", "messages.create"]
    assert client.served == 2 and client.remaining == 0
    with pytest.raises(ReplayExhaustedError, match=r"request #3 .*2 turns were recorded") as err:
        client.messages.create(stream=True, **REQUEST)
    assert "make a new ReplayClient" in str(err.value)  # says what to do (issue 9, item 12)


def test_served_events_are_copies() -> None:
    turn = text_stream("x")
    client = ReplayClient([turn])
    for event in client.messages.create(stream=True, **REQUEST):
        event["type"] = "mutated"
    assert turn[0]["type"] == "message_start"


def test_close_stops_iteration() -> None:
    client = ReplayClient([text_stream("abcdefgh" * 10, chunk=2)])
    stream = client.messages.create(stream=True, **REQUEST)
    got = [next(stream), next(stream)]
    stream.close()
    assert len(got) == 2 and list(stream) == []


def test_message_stream_manager_and_final_message() -> None:
    client = ReplayClient([thinking_stream("hmm", "Hello there"), text_stream("Hi!")])
    with client.messages.stream(**REQUEST) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(texts) == "Hello there"
    assert isinstance(final, Message)
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].signature == "EqQBCkYIBxgCKkBsig=="  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    with client.messages.stream(**REQUEST) as stream:
        assert stream.get_final_text() == "Hi!"
    assert client.endpoints == ["messages.stream", "messages.stream"]
    assert "stream" not in client.requests[0]


def test_sources_accept_both_shapes() -> None:
    calls = parallel_tools_stream([("f", {"a": 1})])
    client = ReplayClient([calls, calls])
    it = iter_events(client.messages.stream(**REQUEST))
    assert list(it) == calls
    assert isinstance(it.final_message, Message)
    assert it.final_message.content[0].input == {"a": 1}  # type: ignore[union-attr]
    assert list(iter_events(client.messages.create(stream=True, **REQUEST))) == calls


def test_beta_twins_and_betas_argument() -> None:
    client = ReplayClient([text_stream("a"), text_stream("b"), text_stream("c")])
    with pytest.raises(TypeError, match="'betas'"):
        client.messages.create(stream=True, betas=["x"], **REQUEST)
    assert client.served == 0  # a rejected request consumes no turn
    final = client.beta.messages.create(betas=["x"], **REQUEST)
    assert isinstance(final, BetaMessage) and final.content[0].text == "a"  # type: ignore[union-attr]
    with client.beta.messages.stream(betas=["x"], **REQUEST) as stream:
        assert isinstance(stream.get_final_message(), BetaMessage)
    assert client.endpoints == ["beta.messages.create", "beta.messages.stream"]
    assert client.requests[0]["betas"] == ["x"]


def test_missing_required_arguments() -> None:
    client = ReplayClient([text_stream("a")])
    with pytest.raises(TypeError, match="missing required arguments: max_tokens"):
        client.messages.create(stream=True, model="m", messages=[])


def test_cassette_paths_and_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "turn.jsonl"
    write_cassette(path, text_stream("from disk"))
    client = ReplayClient(str(path))  # a single path is one turn
    assert len(client.turns) == 1
    assert list(client.messages.create(stream=True, **REQUEST)) == read_cassette(path).events
    client = ReplayClient([path, read_cassette(path)])
    assert len(client.turns) == 2
    with pytest.raises(TypeError, match="one recording per turn"):
        ReplayClient(text_stream("flat list of events"))


def test_recorded_sse_fixture() -> None:
    path = RECORDED / "anthropic-sdk-python" / "tool_use_response.txt"
    if not path.is_file():
        skip_or_fail("../shared/fixtures absent")
    client = ReplayClient([path])
    with client.messages.stream(**REQUEST) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert any(block.type == "tool_use" for block in final.content)


def test_speed_paces_with_recorded_times(monkeypatch: pytest.MonkeyPatch) -> None:
    events = text_stream("ab", chunk=1)
    paced = ReplayClient([timed(events, step=0.05)], speed=1.0)
    start = time.monotonic()
    list(paced.messages.create(stream=True, **REQUEST))
    assert time.monotonic() - start >= 0.05 * (len(events) - 1) * 0.9
    slept: list[float] = []
    monkeypatch.setattr(_Recording, "_sleep", lambda self, seconds: slept.append(seconds))
    instant = ReplayClient([timed(events, step=10.0)])
    assert list(instant.messages.create(stream=True, **REQUEST)) == events
    assert slept == []  # an instant replay never waits


def test_async_client() -> None:
    turns = [text_stream("a"), thinking_stream("t", "b"), text_stream("c"), text_stream("d")]
    client = AsyncReplayClient(turns)

    async def main() -> None:
        stream = await client.messages.create(stream=True, **REQUEST)
        async with stream:
            assert [e async for e in stream] == turns[0]
        async with client.messages.stream(**REQUEST) as ms:
            texts = [t async for t in ms.text_stream]
            final = await ms.get_final_message()
        assert "".join(texts) == "b" and isinstance(final, Message)
        it = aiter_events(client.beta.messages.stream(betas=["x"], **REQUEST))
        assert [e async for e in it] == turns[2]
        assert isinstance(it.final_message, BetaMessage)
        message = await client.messages.create(**REQUEST)
        assert isinstance(message, Message) and message.content[0].text == "d"  # type: ignore[union-attr]
        with pytest.raises(ReplayExhaustedError, match="4 turns were recorded"):
            await client.messages.create(stream=True, **REQUEST)

    asyncio.run(main())
    assert client.endpoints == [
        "messages.create",
        "messages.stream",
        "beta.messages.stream",
        "messages.create",
        "messages.create",
    ]


def test_async_close_interrupts_a_paced_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """After close, the 5 s wait for the next event is never started."""
    waits: list[float] = []
    real = _Recording._asleep

    async def asleep(self: _Recording, seconds: float) -> None:
        waits.append(seconds)
        await real(self, min(seconds, 0.0))

    monkeypatch.setattr(_Recording, "_asleep", asleep)
    client = AsyncReplayClient([timed(text_stream("ab"), step=5.0)], speed=1.0)

    async def main() -> list[Any]:
        stream = await client.messages.create(stream=True, **REQUEST)
        first = await stream.__anext__()
        await stream.close()
        return [first, *[e async for e in stream]]

    assert len(asyncio.run(main())) == 1
    assert all(w < 5.0 for w in waits)


def test_a_recording_with_deeply_nested_events_replays(tmp_path: Path) -> None:
    deep: Any = "leaf"
    for _ in range(990):
        deep = [deep]
    events = text_stream("after the deep one")
    events.insert(1, {"type": "future_event", "payload": deep})
    path = tmp_path / "deep.jsonl"
    write_cassette(path, events)
    client = ReplayClient([path])
    got = list(client.messages.create(stream=True, **REQUEST))
    assert [e["type"] for e in got] == [e["type"] for e in events]
