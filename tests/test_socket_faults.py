"""Faults on a real wire: the real ``anthropic`` client (through ``base_url``) against a
server on 127.0.0.1 (tests/socket_api.py): retries the SDK makes, errors before and during
the stream, a reset connection, a stall past the client's timeout, a response cut at every
byte offset of one event. What arrived is always kept by the reducer.

Then each fault end to end (``FAULTS``): the StreamView says what happened in words (its
header, a timeline row and a panel line per HTTP attempt the SDK made), the ToolLoop ends
with the turn marked failed and everything received kept (or retries, where the SDK does),
and ``record`` leaves a cassette that reads back to the same state, the fault recorded.
A reset waits for the client to have read what came before it (``Answer.hold``), and
every run that could hang runs under a deadline (:func:`within`)."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anthropic
import pytest
from html_checks import tree
from mock_api import sse_body
from socket_api import Answer, SocketAPI
from streams import error_event, text_stream

from streamscope.core import StreamState, ToolLoop
from streamscope.core.figures.faults import attempt_words, failure_words, is_wire_failure
from streamscope.core.io.cassette import read_cassette, record
from streamscope.core.io.files import partial_path
from streamscope.core.wire.attempts import AttemptLog
from streamscope.core.wire.sdk import is_derived_event
from streamscope.widgets import ConversationView, StreamView

T = TypeVar("T")

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


# --------------------------------------------------------------------------- end to end

DEADLINE = 30.0
"""Seconds a whole run may take before the test fails instead of hanging (every client
below times out within 5 s, and the server stops waiting after its STALL_LIMIT)."""
CUT = len(sse_body(EVENTS[:5]))
"""Bytes of the body before the reset or stall: the first five events, whole."""
PARTIAL = "".join(e["delta"]["text"] for e in EVENTS[:5] if e["type"] == "content_block_delta")


def within(seconds: float, fn: Callable[[], T]) -> T:
    """``fn()`` on a thread: its result, its exception, or a failure after ``seconds``."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(("ok", fn()))
        except BaseException as exc:
            out.append(("raised", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s: a hang")
    kind, value = out[0]
    if kind == "raised":
        raise value
    return value  # type: ignore[no-any-return]


@dataclass
class Fault:
    """One fault: what the server answers (per run), the client's retries and timeout, and
    what must be said: the failure's words (None: the SDK retried and the stream went
    through), each attempt's words (regular expressions), the text kept."""

    answers: Callable[[threading.Event], list[Answer]]
    words: str | None
    attempts: list[str]
    text: str
    retries: int = 0
    timeout: float = 5.0
    cassette_words: str | None = None
    holds: list[threading.Event] = field(default_factory=list)


WAIT = r"retried after \d+ ms \(retry-after: 0\)"
FAULTS = {
    "429, retried": Fault(
        lambda hold: [Answer(429, {"retry-after": "0"}), Answer(events=EVENTS)],
        None,
        [rf"429 rate limited, {WAIT}", "200 ok"],
        TEXT,
        retries=1,
    ),
    "529 before the stream": Fault(
        lambda hold: [Answer(529)],
        "529 overloaded",
        ["529 overloaded"],
        "",
        cassette_words="529 overloaded",
    ),
    "429 then 529, retries spent": Fault(
        lambda hold: [Answer(429, {"retry-after": "0"}), Answer(529)],
        "529 overloaded",
        [rf"429 rate limited, {WAIT}", "529 overloaded"],
        "",
        retries=1,
        cassette_words="529 overloaded",
    ),
    "overloaded_error mid-stream": Fault(
        lambda hold: [Answer(events=[*EVENTS[:5], error_event()])],
        "overloaded_error mid-stream: Overloaded",
        ["200 ok"],
        PARTIAL,
        cassette_words="overloaded_error mid-stream: Overloaded",
    ),
    "connection reset mid-stream": Fault(
        lambda hold: [Answer(events=EVENTS, cut=CUT, reset=True, hold=hold)],
        f"connection reset after {CUT} bytes",
        [f"200 ok, connection reset after {CUT} bytes"],
        PARTIAL,
        cassette_words="connection reset after 5 events",
    ),
    "429 retried, then a reset": Fault(
        lambda hold: [
            Answer(429, {"retry-after": "0"}),
            Answer(events=EVENTS, cut=CUT, reset=True, hold=hold),
        ],
        f"connection reset after {CUT} bytes",
        [rf"429 rate limited, {WAIT}", f"200 ok, connection reset after {CUT} bytes"],
        PARTIAL,
        retries=1,
        cassette_words="connection reset after 5 events",
    ),
    "stall past the timeout": Fault(
        lambda hold: [Answer(events=EVENTS, cut=CUT, stall=True)],
        r"no data for (\d+) ms: timed out",
        [r"200 ok, no data for (\d+) ms: timed out"],
        PARTIAL,
        timeout=0.5,
        cassette_words="timed out",
    ),
}


def said(pattern: str, text: str | None) -> bool:
    """``text`` is the words ``pattern`` stands for (a silence, where there is one, lasted at
    least the client's 0.5 s timeout)."""
    found = re.fullmatch(pattern, text or "")
    if found is None:
        return False
    return not found.groups() or int(found.group(1)) >= 500


def logged(api: SocketAPI, fault: Fault) -> tuple[anthropic.Anthropic, AttemptLog]:
    log = AttemptLog()
    sdk = anthropic.Anthropic(
        api_key="sk-test",
        base_url=api.base_url,
        max_retries=fault.retries,
        timeout=fault.timeout,
        middleware=[log],
    )
    return sdk, log


def check_attempt_rows(html: str, fault: Fault) -> None:
    """The timeline's attempt rows and the panel's lines say each attempt, in order (none
    when a single attempt went through: nothing to tell)."""
    page = tree(html)
    rows = [r.one("ss-tl-words").text() for r in page.select("ss-tl-row", data_kind="attempt")]
    lines = [li.text() for li in page.select("ss-attempt")]
    if fault.attempts == ["200 ok"]:
        assert rows == [] and lines == []
        return
    assert len(rows) == len(fault.attempts) == len(lines), (rows, lines)
    for k, (pattern, row, line) in enumerate(zip(fault.attempts, rows, lines, strict=True)):
        assert said(pattern, row), (pattern, row)
        assert line == f"attempt {k + 1}: {row}"  # the same words in both places


@pytest.mark.parametrize("name", list(FAULTS))
def test_the_view_says_what_happened_in_words(name: str) -> None:
    fault = FAULTS[name]
    hold = threading.Event()
    with SocketAPI(fault.answers(hold)) as api:
        sdk, log = logged(api, fault)
        view = StreamView(flush_timer=False, attempts=log)
        apply = view.apply

        def applied(event: Any, at: float | None = None) -> Any:
            change = apply(event, at)
            if view.state.event_count >= 5:
                hold.set()  # the client has what came before the reset
            return change

        view.apply = applied  # type: ignore[method-assign]
        failure: BaseException | None = None
        try:
            within(DEADLINE, lambda: view.consume(sdk.messages.stream(**REQUEST)))
        except Exception as exc:
            failure = exc
    assert text_of(view.state) == fault.text
    html = view.static_html()
    check_attempt_rows(html, fault)
    status = tree(html).one("ss-status")
    if fault.words is None:
        assert failure is None and view.status == "done" and status.text() == "done"
        return
    assert failure is not None and view.status == "failed"
    words = tree(html).one("ss-failure-words").text()
    assert words.startswith(": ") and said(fault.words, words[2:]), words
    assert view.failure is not None and view.failure.startswith(words[2:])


@pytest.mark.parametrize("name", list(FAULTS))
def test_the_loop_retries_or_ends_with_the_turn_failed_and_what_arrived_kept(
    name: str, tmp_path: Path
) -> None:
    fault = FAULTS[name]
    hold = threading.Event()

    def on_event(turn: Any, event: Any, change: Any) -> None:
        if turn.state.event_count >= 5:
            hold.set()

    with SocketAPI(fault.answers(hold)) as api:
        sdk = anthropic.Anthropic(
            api_key="sk-test",
            base_url=api.base_url,
            max_retries=fault.retries,
            timeout=fault.timeout,
        )  # no AttemptLog of ours: the loop brings its own
        view = ConversationView(flush_timer=False)
        loop = ToolLoop(sdk, model="m", max_tokens=50, observer=view, on_event=on_event)
        messages = within(DEADLINE, lambda: loop.run("hi"))  # returns: no exception
        assert api.requests == len(fault.attempts)
    turn = loop.turns[-1]
    assert turn.state is not None and text_of(turn.state) == fault.text
    assert [a.number for a in turn.attempts] == list(range(1, len(fault.attempts) + 1))
    html = view.static_html()
    check_attempt_rows(html, fault)
    if fault.words is None:
        assert loop.stop_reason == "end_turn" and turn.failure is None
        assert messages[-1] == {"role": "assistant", "content": [{"type": "text", "text": TEXT}]}
        return
    assert loop.stop_reason == "error" and not loop.running
    assert said(fault.words, turn.failure), turn.failure
    assert loop.failure is not None and loop.failure.startswith(turn.failure or "?")
    assert messages == [{"role": "user", "content": "hi"}]  # the failed turn is not sent on
    assert turn.message is None and turn.state.status == "failed"
    assert "turn_failed" in {p.kind for p in turn.state.problems}
    page = tree(html)
    assert page.one("ss-failure-words").text() == f": {turn.failure}"
    assert loop.failure in page.one("ss-conv").text()  # "The loop failed", in full
    exported = json.loads(loop.export_json(tmp_path / "conversation.json").read_text("utf-8"))
    assert exported["stop_reason"] == "error"
    assert exported["turns"][-1]["failure"] == turn.failure


@pytest.mark.parametrize("name", list(FAULTS))
def test_record_keeps_a_readable_cassette_of_what_arrived(name: str, tmp_path: Path) -> None:
    fault = FAULTS[name]
    hold = threading.Event()
    path = tmp_path / "fault.jsonl"
    live = StreamState()

    def consume(sdk: anthropic.Anthropic) -> None:
        for event in record(sdk.messages.stream(**REQUEST), path):
            if not is_derived_event(event):  # the MessageStream's own: never recorded
                live.apply(event)
            if live.event_count >= 5:
                hold.set()

    with SocketAPI(fault.answers(hold)) as api:
        sdk, _log = logged(api, fault)
        failure: BaseException | None = None
        try:
            within(DEADLINE, lambda: consume(sdk))
        except Exception as exc:
            failure = exc
    live.finish()
    if fault.words is None:
        assert failure is None and path.exists() and not partial_path(path).exists()
        cassette = read_cassette(path)
        assert cassette.fault is None
    else:
        assert failure is not None and not path.exists()  # the cut one stays .partial
        cassette = read_cassette(partial_path(path))
        assert cassette.fault is not None and cassette.fault["events"] == live.event_count
        assert cassette.fault["words"] == fault.cassette_words
        assert cassette.fault["error"] == type(failure).__name__
        assert "sk-test" not in partial_path(path).read_text("utf-8")
    assert cassette.problems == []  # every line reads
    replayed = StreamState().apply_all(cassette.events)
    assert replayed.event_count == live.event_count
    assert text_of(replayed) == text_of(live) == fault.text
    assert replayed.to_message()["content"] == live.to_message()["content"]
    assert replayed.stop_reason == live.stop_reason
    # a view replaying the recording: the same content, and the fault among its problems
    shown = partial_path(path) if fault.words is not None else path
    view = StreamView(flush_timer=False)
    asyncio.run(asyncio.wait_for(view.play(shown, speed=None), DEADLINE))
    assert view.state.to_message()["content"] == live.to_message()["content"]
    recorded = [p.message for p in view.state.problems if p.kind == "recorded_fault"]
    if fault.words is None:
        assert recorded == []
    else:
        assert recorded == [
            f"the recording was cut by its source's failure: {fault.cassette_words}"
            f" ({type(failure).__name__})"
        ]
        assert recorded[0] in tree(view.static_html()).one("ss-problems").text()


def test_a_response_cut_at_every_byte_ends_the_loop_with_the_turn_failed() -> None:
    """A clean EOF inside the third event, at each of its bytes: the loop's turn ends
    failed ("the stream ended without message_stop") with the text before it kept."""
    start = len(sse_body(EVENTS[:2]))
    offsets = range(len(sse_body(EVENTS[2:3])))
    with SocketAPI([Answer(events=EVENTS, cut=start + offset) for offset in offsets]) as api:
        sdk = client(api)
        for offset in offsets:
            loop = ToolLoop(sdk, model="m", max_tokens=50)
            assert within(DEADLINE, functools.partial(loop.run, "hi")) == [
                {"role": "user", "content": "hi"}
            ], offset
            turn = loop.turns[-1]
            assert turn.failure == "the stream ended without message_stop", offset
            assert turn.state is not None and TEXT.startswith(text_of(turn.state))


def test_the_async_client_and_arun_say_the_same() -> None:
    """``AsyncAnthropic`` and ``arun``: the loop's own AttemptLog counts the async body too
    (a 429 retried, then a reset after the first five events), the turn fails in words."""
    hold = threading.Event()

    def on_event(turn: Any, event: Any, change: Any) -> None:
        if turn.state.event_count >= 5:
            hold.set()

    answers = [
        Answer(429, {"retry-after": "0"}),
        Answer(events=EVENTS, cut=CUT, reset=True, hold=hold),
    ]
    with SocketAPI(answers) as api:
        sdk = anthropic.AsyncAnthropic(
            api_key="sk-test", base_url=api.base_url, max_retries=1, timeout=5
        )
        view = ConversationView(flush_timer=False)
        loop = ToolLoop(sdk, model="m", max_tokens=50, observer=view, on_event=on_event)

        async def main() -> list[Any]:
            return await asyncio.wait_for(loop.arun("hi"), DEADLINE)

        messages = asyncio.run(main())
    turn = loop.turns[-1]
    assert messages == [{"role": "user", "content": "hi"}] and loop.stop_reason == "error"
    assert turn.failure == f"connection reset after {CUT} bytes"
    assert turn.state is not None and text_of(turn.state) == PARTIAL
    fault = FAULTS["429 retried, then a reset"]
    check_attempt_rows(view.static_html(), fault)
    assert loop.attempt_log is not None and loop.attempt_log.attempts == turn.attempts


def test_a_stream_opened_before_the_view_still_shows_its_attempts() -> None:
    """``view.consume(client.messages.create(stream=True, ...))``: the request (a 429, then
    the retry) was made before the view saw the stream; the view finds that request's
    attempts in the log, and none of the request before it."""
    answers = [Answer(events=EVENTS), Answer(429, {"retry-after": "0"}), Answer(events=EVENTS)]
    log = AttemptLog()
    with SocketAPI(answers) as api:
        sdk = anthropic.Anthropic(
            api_key="sk-test", base_url=api.base_url, max_retries=1, timeout=5, middleware=[log]
        )
        assert stream_into(StreamState(), sdk) is None  # an earlier request: one attempt
        view = StreamView(flush_timer=False, attempts=log)
        within(DEADLINE, lambda: view.consume(sdk.messages.create(stream=True, **REQUEST)))
    assert len(log.attempts) == 3 and text_of(view.state) == TEXT
    check_attempt_rows(view.static_html(), FAULTS["429, retried"])


def test_a_refused_connection_is_an_attempt_without_a_response_in_words() -> None:
    with socket.socket() as probe:  # a port nobody listens on (bound, then closed)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = AttemptLog()
    sdk = anthropic.Anthropic(
        api_key="sk-test", base_url=f"http://127.0.0.1:{port}", max_retries=0, timeout=5,
        middleware=[log],
    )  # fmt: skip
    loop = ToolLoop(sdk, model="m", max_tokens=5)
    assert within(DEADLINE, functools.partial(loop.run, "hi")) == [
        {"role": "user", "content": "hi"}
    ]
    assert [attempt_words(a) for a in log.attempts] == ["no response: connection refused"]
    assert loop.turns[-1].failure == "no response: connection refused"
    assert loop.turns[-1].attempts == log.attempts  # the client's own log, not a copy's


def test_only_failures_of_the_wire_become_a_failed_turn() -> None:
    assert is_wire_failure(ConnectionResetError()) and is_wire_failure(TimeoutError())
    assert not is_wire_failure(FileNotFoundError("run.jsonl"))  # a missing file is not
    assert not is_wire_failure(ValueError("bug")) and not is_wire_failure(KeyboardInterrupt())
    assert failure_words(FileNotFoundError("run.jsonl")) == "FileNotFoundError: run.jsonl"
