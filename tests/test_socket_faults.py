"""Faults on a real wire: the real ``anthropic`` client (through ``base_url``) against a
server on 127.0.0.1 (tests/socket_api.py): retries the SDK makes, errors before and during
the stream, a reset connection, a stall past the client's timeout, a response cut at every
byte offset of one event. What arrived is always kept by the reducer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import pytest
from mock_api import sse_body
from socket_api import Answer, SocketAPI
from streams import error_event, text_stream

from streamscope.core import StreamState, ToolLoop
from streamscope.core.io.cassette import read_events, record
from streamscope.core.wire.attempts import AttemptLog

TEXT = "Hello from a real socket."
EVENTS = text_stream(TEXT, chunk=5)
REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "hi"}],
}


def client(api: SocketAPI, retries: int = 0, timeout: float = 5.0) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-test", base_url=api.base_url, max_retries=retries, timeout=timeout
    )


def stream_into(state: StreamState, sdk: anthropic.Anthropic) -> Exception | None:
    """Reduce the SDK's stream into ``state``; the exception that ended it, if any."""
    try:
        with sdk.messages.create(stream=True, **REQUEST) as stream:
            for event in stream:
                state.apply(event)
    except Exception as exc:
        return exc
    return None


def text_of(state: StreamState) -> str:
    return "".join(b.text for b in state.blocks if hasattr(b, "text"))


def test_a_429_with_retry_after_is_retried_by_the_sdk() -> None:
    with SocketAPI([Answer(429, {"retry-after": "0"}), Answer(events=EVENTS)]) as api:
        state = StreamState()
        assert stream_into(state, client(api, retries=2)) is None
        assert api.requests == 2
    assert text_of(state) == TEXT and state.stop_reason == "end_turn"


def test_a_529_before_the_stream_without_retries_is_an_error_with_nothing_received() -> None:
    with SocketAPI([Answer(529, {"retry-after": "0"})]) as api:
        state = StreamState()
        error = stream_into(state, client(api, retries=0))
        assert api.requests == 1
    assert isinstance(error, anthropic.APIStatusError) and error.status_code == 529
    assert state.blocks == []


def test_an_overloaded_error_event_mid_stream_keeps_what_arrived() -> None:
    half = EVENTS[:5]
    with SocketAPI([Answer(events=[*half, error_event()])]) as api:
        state = StreamState()
        error = stream_into(state, client(api))
    # The SDK raises on the error event; the reducer kept the text before it.
    assert isinstance(error, anthropic.APIStatusError)
    assert TEXT.startswith(text_of(state)) and text_of(state)


def test_a_connection_reset_mid_stream_keeps_what_arrived() -> None:
    cut = len(sse_body(EVENTS[:5]))
    with SocketAPI([Answer(events=EVENTS, cut=cut, reset=True)]) as api:
        state = StreamState()
        error = stream_into(state, client(api))
    assert error is not None
    assert TEXT.startswith(text_of(state)) and text_of(state)


def test_a_stall_longer_than_the_client_timeout_ends_with_a_timeout() -> None:
    cut = len(sse_body(EVENTS[:5]))
    with SocketAPI([Answer(events=EVENTS, cut=cut, stall=True)]) as api:
        state = StreamState()
        error = stream_into(state, client(api, timeout=0.5))
    assert error is not None and "timed out" in f"{error!r} {error.__cause__!r}".lower(), repr(
        error
    )
    assert TEXT.startswith(text_of(state)) and text_of(state)


def test_a_response_cut_at_every_byte_of_one_event() -> None:
    """The stream ends (cleanly) inside the third event, at each of its bytes: the SDK
    stops; the reducer keeps everything before it and never raises."""
    start = len(sse_body(EVENTS[:2]))
    offsets = range(len(sse_body(EVENTS[2:3])))
    answers = [Answer(events=EVENTS, cut=start + offset) for offset in offsets]
    with SocketAPI(answers) as api:
        sdk = client(api)
        for offset in offsets:
            state = StreamState()
            stream_into(state, sdk)
            state.finish()
            assert state.message is not None, offset  # message_start arrived
            assert TEXT.startswith(text_of(state)), offset
        assert api.requests == len(offsets)


def test_the_loop_and_record_keep_what_arrived_before_a_reset(tmp_path: Path) -> None:
    """A reset mid-stream: ToolLoop raises the SDK's error (the SDK does not retry a
    stream it started), its last turn keeps the text received with a ``stream_truncated``
    problem; ``record`` keeps the events that arrived in ``<path>.partial``, readable."""
    cut = len(sse_body(EVENTS[:5]))
    answers = [Answer(events=EVENTS, cut=cut, reset=True) for _ in range(2)]
    with SocketAPI(answers) as api:
        loop = ToolLoop(client(api), model="m", max_tokens=50)
        with pytest.raises(anthropic.APIConnectionError):
            loop.run("hi")
        turn = loop.turns[-1]
        assert turn.state is not None and turn.message is None
        assert TEXT.startswith(text_of(turn.state)) and text_of(turn.state)
        assert "stream_truncated" in {p.kind for p in turn.state.problems}
        path = tmp_path / "reset.jsonl"
        manager = client(api).messages.stream(**REQUEST)
        with pytest.raises(anthropic.APIConnectionError):
            for _ in record(manager, path):
                pass
        assert api.requests == 2
    assert not path.exists()
    kept = read_events(Path(f"{path}.partial"))
    assert [e["type"] for e in kept] == [e["type"] for e in EVENTS[:5]]


def test_each_retry_attempt_is_logged_through_the_sdk_middleware() -> None:
    answers = [Answer(429, {"retry-after": "0"}), Answer(529), Answer(events=EVENTS)]
    log = AttemptLog()
    with SocketAPI(answers) as api:
        sdk = anthropic.Anthropic(
            api_key="sk-test", base_url=api.base_url, max_retries=2, timeout=5, middleware=[log]
        )
        state = StreamState()
        assert stream_into(state, sdk) is None
    assert text_of(state) == TEXT
    assert [(a.number, a.status, a.retry_after) for a in log.attempts] == [
        (1, 429, "0"),
        (2, 529, None),
        (3, 200, None),
    ]
    assert str(log.attempts[0]).startswith("attempt 1: 429 rate limited, retry after 0 s (")
    assert str(log.attempts[1]).startswith("attempt 2: 529 overloaded (")
    assert all(a.path == "/v1/messages" and a.method == "POST" for a in log.attempts)


def test_a_failed_connection_is_an_attempt_without_a_response() -> None:
    cut = len(sse_body(EVENTS[:1]))
    log = AttemptLog()
    with SocketAPI([Answer(events=EVENTS, cut=cut, stall=True)]) as api:
        sdk = anthropic.Anthropic(
            api_key="sk-test", base_url=api.base_url, max_retries=0, timeout=0.5, middleware=[log]
        )
        assert stream_into(StreamState(), sdk) is not None
    # The response's headers came before the stall: the attempt has its status; the
    # stall is the stream's failure, after the attempt.
    assert [a.status for a in log.attempts] == [200]
