"""ToolLoop offline: requests sent, parallel tool runs, approvals, errors, stops and usage."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from typing import Any, Literal

import anthropic
import httpx2
import pytest
from pydantic import BaseModel
from streams import (
    block_stop,
    citation_event,
    error_event,
    generic_events,
    message_end,
    message_start,
    parallel_tools_stream,
    redacted_thinking_events,
    text_events,
    text_stream,
    thinking_events,
    timed,
    tool_events,
)

from streamscope.core.changes import Change
from streamscope.core.errors import StreamAPIError
from streamscope.core.loop import (
    ASYNC_APPROVER_MESSAGE,
    STOPPED_BEFORE_APPROVAL,
    Decision,
    IncompleteStreamError,
    LoopObserver,
    ToolLoop,
    ToolRun,
    Turn,
    as_decision,
    sum_usage,
)
from streamscope.core.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.tool_call import ToolCall
from streamscope.core.tools import Tool, ToolResult, result_content, tool
from streamscope.core.usage import Usage

Event = dict[str, Any]
MODEL = "claude-test"


def calls_turn(*calls: tuple[str, Any], **kwargs: Any) -> list[Event]:
    return parallel_tools_stream(list(calls), **kwargs)


def make_loop(turns: list[list[Event]], tools: list[Any], **kwargs: Any) -> ToolLoop:
    return ToolLoop(ReplayClient(turns), model=MODEL, max_tokens=512, tools=tools, **kwargs)


def results_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    assert message["role"] == "user"
    blocks: list[dict[str, Any]] = message["content"]
    assert all(b["type"] == "tool_result" for b in blocks)
    return blocks


class Counter:
    """Records every call of the tools made with it (thread-safe)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def add(self, name: str, **kwargs: Any) -> None:
        with self._lock:
            self.calls.append((name, kwargs))


# --------------------------------------------------------------------------- requests


def test_exact_requests_and_conversation() -> None:
    def get_weather(
        city: str, units: Literal["celsius", "fahrenheit"] = "celsius"
    ) -> dict[str, Any]:
        """Current weather for a city.

        Args:
            city: City name, e.g. "Paris".
            units: Temperature units.
        """
        return {"city": city, "temp": 21, "units": units}

    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    client = ReplayClient(
        [
            calls_turn(("get_weather", {"city": "Paris"}), text="Let me check."),
            text_stream("It is 21 degrees."),
        ]
    )
    system = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    loop = ToolLoop(
        client,
        model=MODEL,
        max_tokens=256,
        tools=[get_weather, web_search],
        system=system,
        tool_choice={"type": "auto"},
        temperature=0.2,
    )
    conversation = loop.run("Weather in Paris?")

    schema = {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": 'City name, e.g. "Paris".'},
                "units": {
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"],
                    "default": "celsius",
                    "description": "Temperature units.",
                },
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    }
    user = {"role": "user", "content": "Weather in Paris?"}
    assistant = {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me check."},
            {
                "type": "tool_use",
                "id": "toolu_01_get_weather",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
    }
    result = {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_01_get_weather",
                "content": '{"city": "Paris", "temp": 21, "units": "celsius"}',
                "is_error": False,
            }
        ],
    }
    final = {"role": "assistant", "content": [{"type": "text", "text": "It is 21 degrees."}]}
    common = {
        "model": MODEL,
        "max_tokens": 256,
        "tools": [schema, web_search],
        "system": system,
        "tool_choice": {"type": "auto"},
        "temperature": 0.2,
        "stream": True,
    }
    assert client.requests == [
        {**common, "messages": [user]},
        {**common, "messages": [user, assistant, result]},
    ]
    assert client.endpoints == ["messages.create", "messages.create"]
    assert conversation == [user, assistant, result, final]
    assert loop.messages == conversation and loop.new_messages == conversation[1:]
    assert loop.stop_reason == "end_turn"
    assert [t.number for t in loop.turns] == [1, 2]
    assert loop.turns[0].request is not None and loop.turns[0].request["messages"] == [user]
    assert loop.turns[1].message == final and loop.turns[0].tool_results == result


def test_betas_use_the_beta_endpoint_and_stream_method() -> None:
    client = ReplayClient([text_stream("hi"), text_stream("again")])
    loop = ToolLoop(client, model=MODEL, max_tokens=10, betas=["some-beta-2025"], method="stream")
    loop.run([{"role": "user", "content": "x"}])
    assert client.endpoints == ["beta.messages.stream"]
    assert client.requests[0]["betas"] == ["some-beta-2025"]
    assert "tools" not in client.requests[0] and "stream" not in client.requests[0]
    loop.method = "create"
    loop.run("y")
    assert client.endpoints[-1] == "beta.messages.create"


def test_reserved_and_bad_arguments() -> None:
    client = ReplayClient([])
    with pytest.raises(TypeError, match="messages="):
        ToolLoop(client, model=MODEL, max_tokens=1, messages=[])
    with pytest.raises(ValueError, match="max_turns"):
        ToolLoop(client, model=MODEL, max_tokens=1, max_turns=0)


def test_thinking_signature_and_redacted_thinking_go_back_byte_for_byte() -> None:
    thinking = '  Let me think…\n\t步骤 1: 🤔 "quotes" \\ back\\slash  '
    signature = "EqQBCkYIBxgCKkB+/=sig\u00e9\n"
    redacted = "EmwKAhgBEgy3va3pzix/LafPsn4a+//=="
    citation = {
        "type": "char_location",
        "cited_text": "Paris",
        "document_index": 0,
        "document_title": "Doc",
        "start_char_index": 0,
        "end_char_index": 5,
    }
    turn1 = [
        message_start(MODEL),
        *thinking_events(0, thinking, signature, chunk=3),
        *redacted_thinking_events(1, redacted),
        *text_events(2, "See ", stop=False),
        citation_event(2, citation),
        block_stop(2),
        *tool_events(3, "lookup", {"q": "naïve ☃"}, chunk=2),
        *message_end("tool_use"),
    ]
    client = ReplayClient([turn1, text_stream("done")])
    loop = ToolLoop(
        client,
        model=MODEL,
        max_tokens=2048,
        tools=[tool(lambda q: q.upper(), name="lookup")],
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    loop.run("go")
    sent = client.requests[1]["messages"][1]
    assert sent == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": thinking, "signature": signature},
            {"type": "redacted_thinking", "data": redacted},
            {"type": "text", "text": "See ", "citations": [citation]},
            {
                "type": "tool_use",
                "id": "toolu_03_lookup",
                "name": "lookup",
                "input": {"q": "naïve ☃"},
            },
        ],
    }
    block = sent["content"][0]
    assert block["thinking"].encode() == thinking.encode()
    assert block["signature"].encode() == signature.encode()
    assert client.requests[1]["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert results_of(client.requests[1]["messages"][2])[0]["content"] == "NAÏVE ☃"


# --------------------------------------------------------------------------- parallel runs


def test_two_sync_tools_run_in_parallel() -> None:
    barrier = threading.Barrier(2, timeout=5)

    def slow(name: str) -> str:
        """Sleeps half a second."""
        barrier.wait()  # both must be running at once, or this times out
        time.sleep(0.5)
        return name

    loop = make_loop(
        [calls_turn(("slow", {"name": "a"}), ("slow", {"name": "b"})), text_stream("ok")], [slow]
    )
    start = time.monotonic()
    conversation = loop.run("go")
    elapsed = time.monotonic() - start
    assert elapsed < 0.9, elapsed
    runs = loop.runs
    assert [r.status for r in runs] == ["ok", "ok"]
    assert [c["content"] for c in results_of(conversation[2])] == ["a", "b"]
    for run in runs:
        assert run.duration is not None and 0.45 < run.duration < 0.9
    a, b = runs
    assert a.started_at is not None and b.started_at is not None
    assert a.finished_at is not None and b.finished_at is not None
    assert a.started_at < b.finished_at and b.started_at < a.finished_at  # overlapped


def test_two_async_tools_run_concurrently_in_arun() -> None:
    async def nap(seconds: float) -> str:
        """Sleeps asynchronously."""
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    loop = make_loop(
        [calls_turn(("nap", {"seconds": 0.5}), ("nap", {"seconds": 0.5})), text_stream("ok")],
        [nap],
    )
    start = time.monotonic()
    conversation = asyncio.run(loop.arun("go"))
    assert time.monotonic() - start < 0.9
    assert [c["content"] for c in results_of(conversation[2])] == ["slept 0.5", "slept 0.5"]
    assert all(r.duration is not None and r.duration >= 0.45 for r in loop.runs)


def test_mixed_tools_overlap_in_both_run_and_arun() -> None:
    async def anap(x: int) -> int:
        await asyncio.sleep(0.5)
        return x * 2

    def snap(x: int) -> int:
        time.sleep(0.5)
        return x + 1

    def turns() -> list[list[Event]]:
        return [
            calls_turn(("anap", {"x": 1}), ("snap", {"x": 1}), ("anap", {"x": 5})),
            text_stream("ok"),
        ]

    for mode in ("run", "arun"):
        loop = make_loop(turns(), [anap, snap])
        start = time.monotonic()
        conversation = loop.run("go") if mode == "run" else asyncio.run(loop.arun("go"))
        assert time.monotonic() - start < 0.9, mode
        assert [c["content"] for c in results_of(conversation[2])] == ["2", "2", "10"], mode


def test_results_keep_call_order_not_finish_order() -> None:
    def wait(seconds: float, label: str) -> str:
        time.sleep(seconds)
        return label

    loop = make_loop(
        [
            calls_turn(
                ("wait", {"seconds": 0.3, "label": "first"}),
                ("wait", {"seconds": 0.0, "label": "second"}),
            ),
            text_stream("ok"),
        ],
        [wait],
    )
    finished: list[str] = []
    loop.observers.append(type("O", (), {"tool_finished": lambda self, r: finished.append(r.id)})())
    conversation = loop.run("go")
    blocks = results_of(conversation[2])
    assert [b["tool_use_id"] for b in blocks] == ["toolu_00_wait", "toolu_01_wait"]
    assert [b["content"] for b in blocks] == ["first", "second"]
    assert finished == ["toolu_01_wait", "toolu_00_wait"]


# --------------------------------------------------------------------------- approvals


def approval_turns() -> list[list[Event]]:
    return [
        calls_turn(("delete_file", {"path": "/tmp/a"}), ("read_file", {"path": "/tmp/b"})),
        text_stream("done"),
    ]


def approval_tools(counter: Counter) -> list[Any]:
    def delete_file(path: str) -> str:
        """Delete a file."""
        counter.add("delete_file", path=path)
        return f"deleted {path}"

    def read_file(path: str) -> str:
        """Read a file."""
        counter.add("read_file", path=path)
        return f"contents of {path}"

    return [delete_file, read_file]


@pytest.mark.parametrize(
    ("decision", "expected_content", "runs"),
    [
        (True, "deleted /tmp/a", True),
        (Decision.approve(), "deleted /tmp/a", True),
        (False, "The user denied this tool call.", False),
        (None, "The user denied this tool call.", False),
        ((False, "not on a Friday"), "The user denied this tool call: not on a Friday", False),
        (Decision.deny("nope"), "The user denied this tool call: nope", False),
    ],
)
def test_approval_decisions(decision: Any, expected_content: str, runs: bool) -> None:
    counter = Counter()
    asked: list[ToolCall] = []

    def approve(call: ToolCall) -> Any:
        asked.append(call)
        return decision

    loop = make_loop(
        approval_turns(), approval_tools(counter), require_approval=["delete_file"], approve=approve
    )
    conversation = loop.run("clean up")
    assert [(c.id, c.name, c.input) for c in asked] == [
        ("toolu_00_delete_file", "delete_file", {"path": "/tmp/a"})
    ]
    first, second = results_of(conversation[2])
    assert first["content"] == expected_content
    assert first["is_error"] is (not runs)
    assert second == {
        "type": "tool_result",
        "tool_use_id": "toolu_01_read_file",
        "content": "contents of /tmp/b",
        "is_error": False,
    }
    names = [name for name, _ in counter.calls]
    assert ("delete_file" in names) is runs and "read_file" in names
    run = loop.runs[0]
    assert run.status == ("ok" if runs else "denied")
    assert run.decision == as_decision(decision)
    if not runs:
        assert run.started_at is None and run.error == expected_content


def test_approval_with_edited_arguments() -> None:
    counter = Counter()
    loop = make_loop(
        approval_turns(),
        approval_tools(counter),
        require_approval=["delete_file"],
        approve=lambda call: (True, {"path": "/tmp/safe"}),
    )
    conversation = loop.run("clean up")
    assert ("delete_file", {"path": "/tmp/safe"}) in counter.calls
    assert ("delete_file", {"path": "/tmp/a"}) not in counter.calls
    run = loop.runs[0]
    assert run.approved_input == {"path": "/tmp/safe"} and run.input == {"path": "/tmp/safe"}
    assert run.call.input == {"path": "/tmp/a"}
    content = results_of(conversation[2])[0]["content"]
    assert content == (
        '(The user edited the arguments before running: {"path": "/tmp/safe"})\ndeleted /tmp/safe'
    )
    # the assistant turn still says what the model asked for
    assert conversation[1]["content"][0]["input"] == {"path": "/tmp/a"}


def test_edited_arguments_are_validated() -> None:
    counter = Counter()
    loop = make_loop(
        approval_turns(),
        approval_tools(counter),
        require_approval=True,
        approve=lambda call: (
            Decision.approve({"path": 5, "extra": 1}) if call.name == "delete_file" else True
        ),
    )
    conversation = loop.run("x")
    first = results_of(conversation[2])[0]
    assert first["is_error"] is True
    assert "edited are invalid" in first["content"]
    assert "path: Input should be a valid string" in first["content"]
    assert "extra: Extra inputs are not permitted" in first["content"]
    assert [n for n, _ in counter.calls] == ["read_file"]


def test_approval_configuration_errors() -> None:
    counter = Counter()
    with pytest.raises(ValueError, match="unknown tools"):
        make_loop([], approval_tools(counter), require_approval=["delete_fiel"])
    with pytest.raises(ValueError, match="never run here"):
        make_loop(
            [],
            [{"type": "web_search_20250305", "name": "web_search"}],
            require_approval=["web_search"],
        )
    loop = make_loop(approval_turns(), approval_tools(counter), require_approval=["delete_file"])
    with pytest.raises(ValueError, match="no approve= callable"):
        loop.run("x")
    with pytest.raises(TypeError, match="expected True, False"):
        as_decision("yes")


def test_async_approver_in_run_raises_a_clear_error_before_any_request() -> None:
    counter = Counter()

    async def approve(call: ToolCall) -> bool:
        return True

    client = ReplayClient(approval_turns())
    loop = ToolLoop(
        client,
        model=MODEL,
        max_tokens=10,
        tools=approval_tools(counter),
        require_approval=["delete_file"],
        approve=approve,
    )
    with pytest.raises(TypeError, match=r"await loop\.arun\(messages\)"):
        loop.run("x")
    assert client.requests == [] and counter.calls == []
    assert ASYNC_APPROVER_MESSAGE.startswith("the approver is async")


def test_observer_returning_a_future_in_run_raises() -> None:
    class View:
        def approval_needed(self, call: ToolCall) -> Any:
            return asyncio.Future(loop=asyncio.new_event_loop())

    counter = Counter()
    loop = make_loop(
        approval_turns(), approval_tools(counter), require_approval=["delete_file"], observer=View()
    )
    with pytest.raises(TypeError, match=r"await loop\.arun"):
        loop.run("x")
    assert ("delete_file", {"path": "/tmp/a"}) not in counter.calls
    assert loop.stop_reason == "error"


def test_async_approver_in_arun_keeps_the_event_loop_responsive() -> None:
    counter = Counter()

    async def main() -> tuple[list[Any], int]:
        ticks = 0
        stop_ticking = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop_ticking.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        async def approve(call: ToolCall) -> Any:
            await asyncio.sleep(0.3)  # a person thinking
            return (False, "too risky")

        loop = make_loop(
            approval_turns(),
            approval_tools(counter),
            require_approval=["delete_file"],
            approve=approve,
        )
        task = asyncio.ensure_future(ticker())
        conversation = await loop.arun("x")
        stop_ticking.set()
        await task
        return conversation, ticks

    conversation, ticks = asyncio.run(main())
    assert ticks >= 10  # the loop kept running while the approval was awaited
    first, second = results_of(conversation[2])
    assert first["content"] == "The user denied this tool call: too risky"
    assert second["content"] == "contents of /tmp/b"
    assert [n for n, _ in counter.calls] == ["read_file"]


class RecordingView(LoopObserver):
    """Resolves approvals through futures, like a widget's buttons, and records events."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.futures: dict[str, asyncio.Future[Any]] = {}

    def loop_started(self, loop: ToolLoop) -> None:
        self.log.append(("loop_started", None))

    def loop_finished(self, loop: ToolLoop) -> None:
        self.log.append(("loop_finished", loop.stop_reason))

    def turn_started(self, turn: Turn) -> None:
        assert turn.state is not None and turn.state.event_count == 0
        self.log.append(("turn_started", turn.number))

    def event(self, turn: Turn, event: Any, change: Change) -> None:
        assert turn.state is not None
        self.log.append(("event", change.kind))

    def turn_finished(self, turn: Turn) -> None:
        self.log.append(("turn_finished", turn.number))

    def tool_queued(self, run: ToolRun) -> None:
        self.log.append(("queued", (run.name, run.status)))

    def tool_awaiting_approval(self, run: ToolRun) -> None:
        self.log.append(("awaiting", run.name))

    def tool_started(self, run: ToolRun) -> None:
        self.log.append(("started", run.name))

    def tool_finished(self, run: ToolRun) -> None:
        self.log.append(("finished", (run.name, run.status)))

    def approval_needed(self, call: ToolCall) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures[call.id] = future
        asyncio.get_running_loop().call_later(0.05, future.set_result, (True, {"path": "/x"}))
        return future


def test_observer_sees_every_step_and_answers_approvals_with_futures() -> None:
    counter = Counter()
    view = RecordingView()
    loop = make_loop(
        approval_turns(), approval_tools(counter), require_approval=["delete_file"], observer=view
    )
    asyncio.run(loop.arun("x"))
    assert ("delete_file", {"path": "/x"}) in counter.calls
    names = [name for name, _ in view.log]
    assert names[0] == "loop_started" and view.log[-1] == ("loop_finished", "end_turn")
    assert names.count("turn_started") == 2 and names.count("turn_finished") == 2
    first_turn = view.log[names.index("turn_started") : names.index("turn_finished") + 1]
    assert first_turn[1] == ("event", "message_start")
    assert first_turn[-2] == ("event", "message_stop")
    tools_part = [entry for entry in view.log if entry[0] not in {"event"}]
    assert tools_part[3:5] == [
        ("queued", ("delete_file", "pending")),
        ("queued", ("read_file", "pending")),
    ]
    assert ("awaiting", "delete_file") in view.log
    assert ("finished", ("delete_file", "ok")) in view.log
    assert names.index("awaiting") < names.index("turn_started", names.index("awaiting"))
    assert not loop.observer_errors


def test_callbacks_and_observer_errors_do_not_break_the_loop() -> None:
    seen: dict[str, int] = {"event": 0, "turn": 0, "tool": 0}

    def on_event(turn: Turn, event: Any, change: Change) -> None:
        seen["event"] += 1

    def on_turn_start(turn: Turn) -> None:
        seen["turn"] += 1

    def on_tool_run(run: ToolRun) -> None:
        seen["tool"] += 1

    class Broken:
        def turn_started(self, turn: Turn) -> None:
            raise RuntimeError("widget bug")

    loop = make_loop(
        [calls_turn(("echo", {"x": "hi"})), text_stream("ok")],
        [tool(lambda x: x, name="echo")],
        observer=Broken(),
        on_event=on_event,
        on_turn_start=on_turn_start,
        on_tool_run=on_tool_run,
    )
    loop.run("go")
    assert loop.stop_reason == "end_turn"
    assert seen["turn"] == 2 and seen["event"] > 10
    assert seen["tool"] == 3  # queued, started, finished
    assert [name for name, _ in loop.observer_errors] == ["turn_started", "turn_started"]


# --------------------------------------------------------------------------- errors


def test_tool_errors_become_is_error_results() -> None:
    counter = Counter()

    def divide(a: float, b: float) -> float:
        """Divide a by b."""
        counter.add("divide", a=a, b=b)
        return a / b

    def soft_fail() -> ToolResult:
        return ToolResult("quota exceeded, try tomorrow", is_error=True)

    turn1 = [
        message_start(MODEL),
        *tool_events(0, "divide", {"a": 1, "b": 0}),
        *tool_events(1, "divide", {"a": "one", "c": 2}),
        *tool_events(2, "no_such_tool", {}),
        *tool_events(3, "divide", '{"a": 1, "b": '),
        *tool_events(4, "web_search", {"query": "x"}),
        *tool_events(5, "soft_fail", {}),
        *message_end("tool_use"),
    ]
    loop = make_loop(
        [turn1, text_stream("sorry")],
        [divide, soft_fail, {"type": "web_search_20250305", "name": "web_search"}],
    )
    conversation = loop.run("go")
    blocks = results_of(conversation[2])
    assert [b["is_error"] for b in blocks] == [True] * 6
    assert [b["tool_use_id"] for b in blocks] == [
        "toolu_00_divide",
        "toolu_01_divide",
        "toolu_02_no_such_tool",
        "toolu_03_divide",
        "toolu_04_web_search",
        "toolu_05_soft_fail",
    ]
    raised, invalid, unknown, bad_json, remote, soft = (b["content"] for b in blocks)
    assert raised == "ZeroDivisionError: float division by zero"
    assert invalid.startswith("Invalid arguments for tool 'divide':\n")
    assert "- a: Input should be a valid number" in invalid
    assert "- b: Field required" in invalid
    assert "- c: Extra inputs are not permitted" in invalid
    assert unknown == "Unknown tool 'no_such_tool'. Available tools: divide, soft_fail."
    assert "not valid JSON" in bad_json and "'divide'" in bad_json
    assert "no local implementation" in remote
    assert soft == "quota exceeded, try tomorrow"
    assert counter.calls == [("divide", {"a": 1.0, "b": 0.0})]  # only the valid call ran
    runs = loop.runs
    assert runs[0].exception is not None and "ZeroDivisionError" in (runs[0].traceback or "")
    assert runs[0].duration is not None
    assert [r.status for r in runs] == ["error"] * 6
    assert all(r.started_at is None for r in runs[1:5])


def test_a_tool_use_block_that_never_stopped_still_gets_a_result() -> None:
    turn1 = [
        message_start(MODEL),
        *tool_events(0, "echo", {"x": 1}),
        *tool_events(1, "echo", {"x": 2}, stop=False),
        *message_end("tool_use"),
    ]
    loop = make_loop([turn1, text_stream("ok")], [tool(lambda x: x, name="echo")])
    conversation = loop.run("go")
    first, second = results_of(conversation[2])
    assert first == {
        "type": "tool_result",
        "tool_use_id": "toolu_00_echo",
        "content": "1",
        "is_error": False,
    }
    assert second["tool_use_id"] == "toolu_01_echo" and second["is_error"] is True
    assert "never finished streaming" in second["content"]


def test_results_are_converted_to_content() -> None:
    class Point(BaseModel):
        x: int
        y: int

    image = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}
    ]
    assert result_content("plain") == "plain"
    assert result_content({"a": [1, "é"]}) == '{"a": [1, "é"]}'
    assert result_content(Point(x=1, y=2)) == '{"x": 1, "y": 2}'
    assert result_content([Point(x=1, y=2)]) == '[{"x": 1, "y": 2}]'
    assert result_content(None) == "null"
    assert result_content(image) is image
    assert result_content([{"type": "row", "v": 1}]) == '[{"type": "row", "v": 1}]'


def test_stream_error_event_raises_and_keeps_the_conversation() -> None:
    failing = [message_start(MODEL), *text_events(0, "partial", stop=False), error_event()]
    loop = make_loop([calls_turn(("echo", {"x": 1})), failing], [tool(lambda x: x, name="echo")])
    with pytest.raises(StreamAPIError) as info:
        loop.run("go")
    assert info.value.error_type == "overloaded_error"
    assert len(loop.messages) == 3  # user, assistant with the call, tool results
    assert loop.messages[2]["content"][0]["tool_use_id"] == "toolu_00_echo"
    assert loop.stop_reason == "error" and not loop.running
    assert loop.turns[-1].message is None and loop.turns[-1].state is not None
    assert loop.turns[-1].state.failed


def test_truncated_stream_raises() -> None:
    loop = make_loop([[message_start(MODEL), *text_events(0, "cut")]], [])
    with pytest.raises(IncompleteStreamError, match="without message_stop"):
        loop.run("go")
    assert loop.messages == [{"role": "user", "content": "go"}]


def test_async_client_in_run_raises() -> None:
    loop = ToolLoop(AsyncReplayClient([text_stream("x")]), model=MODEL, max_tokens=5)
    with pytest.raises(TypeError, match="arun"):
        loop.run("x")


# --------------------------------------------------------------------------- turns and stops


def test_pause_turn_is_continued_without_tool_results() -> None:
    search = {"type": "web_search_20250305", "name": "web_search"}
    paused = [
        message_start(MODEL),
        *tool_events(
            0, "web_search", {"query": "news"}, tool_id="srvtoolu_1", block_type="server_tool_use"
        ),
        *generic_events(
            1,
            {
                "type": "web_search_tool_result",
                "tool_use_id": "srvtoolu_1",
                "content": [
                    {
                        "type": "web_search_result",
                        "url": "https://e.x",
                        "title": "E",
                        "encrypted_content": "Zz",
                    }
                ],
            },
        ),
        *message_end("pause_turn"),
    ]
    client = ReplayClient([paused, text_stream("Here is the news.")])
    loop = ToolLoop(client, model=MODEL, max_tokens=100, tools=[search])
    conversation = loop.run("news?")
    assert len(client.requests) == 2
    second = client.requests[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant"]
    assert second[1]["content"][0] == {
        "type": "server_tool_use",
        "id": "srvtoolu_1",
        "name": "web_search",
        "input": {"query": "news"},
    }
    assert second[1]["content"][1]["type"] == "web_search_tool_result"
    assert [m["role"] for m in conversation] == ["user", "assistant", "assistant"]
    assert loop.runs == [] and loop.stop_reason == "end_turn"


def test_max_turns_stops_and_a_new_run_resumes_the_pending_calls() -> None:
    counter = Counter()

    def ping(n: int) -> str:
        counter.add("ping", n=n)
        return f"pong {n}"

    client = ReplayClient(
        [calls_turn(("ping", {"n": 1})), calls_turn(("ping", {"n": 2})), text_stream("done")]
    )
    loop = ToolLoop(client, model=MODEL, max_tokens=10, tools=[ping], max_turns=2)
    conversation = loop.run("go")
    assert len(client.requests) == 2 and loop.stop_reason == "max_turns"
    assert [m["role"] for m in conversation] == ["user", "assistant", "user", "assistant"]
    assert conversation[-1]["content"][0]["type"] == "tool_use"  # left pending
    assert counter.calls == [("ping", {"n": 1})]

    conversation = loop.run(conversation)
    assert counter.calls == [("ping", {"n": 1}), ("ping", {"n": 2})]
    assert loop.turns[0].resumed and loop.turns[0].number == 0 and loop.turns[0].state is None
    assert results_of(client.requests[2]["messages"][4])[0]["content"] == "pong 2"
    assert conversation[-1] == {"role": "assistant", "content": [{"type": "text", "text": "done"}]}
    assert loop.stop_reason == "end_turn" and len(loop.new_messages) == 2


def test_stop_mid_stream_closes_it_and_keeps_the_partial_turn_out() -> None:
    long_text = [message_start(MODEL), *text_events(0, "x" * 400, chunk=4), *message_end()]
    client = ReplayClient([calls_turn(("echo", {"x": 1})), long_text, text_stream("never")])
    seen = 0

    def on_event(turn: Turn, event: Any, change: Change) -> None:
        nonlocal seen
        if turn.number == 2:
            seen += 1
            if seen == 10:
                loop.stop()

    loop = ToolLoop(
        client,
        model=MODEL,
        max_tokens=10,
        tools=[tool(lambda x: x, name="echo")],
        on_event=on_event,
    )
    conversation = loop.run("go")
    assert loop.stop_reason == "stopped" and len(client.requests) == 2
    turn = loop.turns[-1]
    assert turn.interrupted and turn.message is None
    assert turn.state is not None and turn.state.event_count == 10
    assert [m["role"] for m in conversation] == ["user", "assistant", "user"]


def test_stop_during_tools_appends_their_results_and_sends_nothing_more() -> None:
    def slow(x: int) -> int:
        loop.stop()
        time.sleep(0.1)
        return x

    client = ReplayClient(
        [calls_turn(("slow", {"x": 1}), ("slow", {"x": 2})), text_stream("never")]
    )
    loop = ToolLoop(client, model=MODEL, max_tokens=10, tools=[slow])
    conversation = loop.run("go")
    assert len(client.requests) == 1 and loop.stop_reason == "stopped"
    assert [b["content"] for b in results_of(conversation[-1])] == ["1", "2"]


def test_stop_before_a_sync_approval_denies_without_asking() -> None:
    counter = Counter()
    asked: list[str] = []

    def on_tool_run(run: ToolRun) -> None:
        if run.name == "read_file" and run.status == "running":
            loop.stop()  # non-gated calls start first; the approval comes after

    def approve(call: ToolCall) -> bool:
        asked.append(call.id)
        return True

    loop = make_loop(
        approval_turns(),
        approval_tools(counter),
        require_approval=["delete_file"],
        approve=approve,
        on_tool_run=on_tool_run,
    )
    conversation = loop.run("x")
    assert asked == [] and loop.stop_reason == "stopped"
    first, second = results_of(conversation[-1])
    assert first["content"] == STOPPED_BEFORE_APPROVAL and loop.runs[0].status == "denied"
    assert second["content"] == "contents of /tmp/b"


def test_stop_in_arun_interrupts_a_slow_stream_promptly() -> None:
    slow_turn = timed([message_start(MODEL), *text_events(0, "hello"), *message_end()], step=5.0)
    client = ReplayClient([slow_turn], speed=1.0)
    loop = ToolLoop(client, model=MODEL, max_tokens=10)

    async def main() -> list[Any]:
        asyncio.get_running_loop().call_later(0.3, loop.stop)
        return await loop.arun("go")

    start = time.monotonic()
    conversation = asyncio.run(main())
    assert time.monotonic() - start < 2.0
    assert conversation == [{"role": "user", "content": "go"}]
    assert loop.stop_reason == "stopped" and loop.turns[0].interrupted


class SlowMessages:
    """A sync client's messages resource whose create() waits before answering."""

    def __init__(self, inner: ReplayClient, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.streams: list[Any] = []

    def create(self, **kwargs: Any) -> Any:
        time.sleep(self.delay)
        stream = self.inner.messages.create(**kwargs)
        self.streams.append(stream)
        return stream


def test_stop_in_arun_while_a_sync_client_waits_for_headers_closes_the_late_stream() -> None:
    slow = SlowMessages(ReplayClient([text_stream("late")]), delay=0.5)
    client = type("SlowClient", (), {"messages": slow})()
    loop = ToolLoop(client, model=MODEL, max_tokens=10)

    async def main() -> float:
        asyncio.get_running_loop().call_later(0.1, loop.stop)
        start = time.monotonic()
        await loop.arun("go")
        elapsed = time.monotonic() - start
        await asyncio.sleep(0.7)  # let the worker thread finish create()
        return elapsed

    elapsed = asyncio.run(main())
    assert elapsed < 0.45 and loop.stop_reason == "stopped"
    assert len(slow.streams) == 1 and list(slow.streams[0]) == []  # closed, not leaked


def test_stop_while_awaiting_approval_denies_the_call() -> None:
    counter = Counter()

    async def main() -> list[Any]:
        never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        loop = make_loop(
            approval_turns(),
            approval_tools(counter),
            require_approval=["delete_file"],
            approve=lambda call: never,
        )
        asyncio.get_running_loop().call_later(0.2, loop.stop)
        conversation = await loop.arun("x")
        assert never.cancelled()  # the view's pending question was withdrawn
        assert loop.stop_reason == "stopped"
        return conversation

    conversation = asyncio.run(main())
    first, second = results_of(conversation[-1])
    assert first["content"] == STOPPED_BEFORE_APPROVAL and first["is_error"]
    assert second["content"] == "contents of /tmp/b"
    assert [n for n, _ in counter.calls] == ["read_file"]


def test_arun_with_async_client_and_stream_method() -> None:
    async def double(x: int) -> int:
        return 2 * x

    methods: tuple[Literal["create", "stream"], ...] = ("create", "stream")
    for method in methods:
        client = AsyncReplayClient([calls_turn(("double", {"x": 21})), text_stream("42")])
        loop = ToolLoop(client, model=MODEL, max_tokens=10, tools=[double], method=method)
        conversation = asyncio.run(loop.arun("go"))
        assert results_of(conversation[2])[0]["content"] == "42"
        assert client.endpoints == [f"messages.{method}"] * 2


# --------------------------------------------------------------------------- usage


def test_usage_per_turn_and_summed() -> None:
    turn1 = calls_turn(
        ("echo", {"x": 1}),
        input_tokens=100,
        cache_creation_input_tokens=1000,
        cache_read_input_tokens=0,
        output_tokens=30,
    )
    turn2 = [
        message_start(MODEL, input_tokens=20, cache_read_input_tokens=1000),
        *text_events(0, "ok"),
        *message_end(usage={"output_tokens": 7, "server_tool_use": {"web_search_requests": 1}}),
    ]
    loop = make_loop([turn1, turn2], [tool(lambda x: x, name="echo")])
    loop.run("go")
    first, second = (t.usage for t in loop.turns)
    assert (first.input_tokens, first.cache_creation_input_tokens, first.output_tokens) == (
        100,
        1000,
        30,
    )
    assert (second.input_tokens, second.cache_read_input_tokens, second.output_tokens) == (
        20,
        1000,
        7,
    )
    total = loop.usage
    assert total.input_tokens == 120
    assert total.output_tokens == 37
    assert total.cache_creation_input_tokens == 1000
    assert total.cache_read_input_tokens == 1000
    assert total.total_input_tokens == 2120
    assert total.server_tool_use == {"web_search_requests": 1}


def test_sum_usage_adds_nested_counts() -> None:
    a = Usage(
        {
            "input_tokens": 1,
            "cache_creation": {"ephemeral_5m_input_tokens": 2},
            "service_tier": "standard",
        }
    )
    b = Usage(
        {
            "input_tokens": 3,
            "cache_creation": {"ephemeral_5m_input_tokens": 4},
            "service_tier": "priority",
        }
    )
    total = sum_usage([a, b])
    assert total.raw == {
        "input_tokens": 4,
        "cache_creation": {"ephemeral_5m_input_tokens": 6},
        "service_tier": "priority",
    }
    assert sum_usage([]).total_input_tokens == 0


def test_loop_is_not_reentrant_and_copies_the_input() -> None:
    messages = [{"role": "user", "content": "hi"}]
    original = copy.deepcopy(messages)
    loop = make_loop([text_stream("a")], [])
    loop._running = True
    with pytest.raises(RuntimeError, match="already running"):
        loop.run(messages)
    loop._running = False
    conversation = loop.run(messages)
    assert messages == original and conversation is not messages
    assert json.loads(json.dumps(conversation)) == conversation  # plain JSON all the way


# --------------------------------------------------------------------------- the real SDK


def sse_body(events: list[Event]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


class SSEServer:
    """Serves one recorded turn per HTTP request and keeps the request bodies."""

    def __init__(self, turns: list[list[Event]]) -> None:
        self.turns = list(turns)
        self.bodies: list[dict[str, Any]] = []
        self.betas: list[str | None] = []

    def respond(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        self.betas.append(request.headers.get("anthropic-beta"))
        body = sse_body(self.turns.pop(0))
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    def sync_client(self) -> anthropic.Anthropic:
        transport = httpx2.MockTransport(self.respond)
        return anthropic.Anthropic(
            api_key="test", max_retries=0, http_client=httpx2.Client(transport=transport)
        )

    def async_client(self) -> anthropic.AsyncAnthropic:
        async def handler(request: httpx2.Request) -> httpx2.Response:
            return self.respond(request)

        transport = httpx2.MockTransport(handler)
        return anthropic.AsyncAnthropic(
            api_key="test", max_retries=0, http_client=httpx2.AsyncClient(transport=transport)
        )


def sdk_turns() -> list[list[Event]]:
    return [
        calls_turn(("add", {"a": 2, "b": 3}), thinking="Adding.\n  ", text="Sure."),
        text_stream("5"),
    ]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize(
    "mode", ["sync-create", "sync-stream", "async-create", "async-stream", "sync-in-arun"]
)
def test_with_the_anthropic_sdk_over_a_mock_transport(mode: str) -> None:
    server = SSEServer(sdk_turns())
    client: Any = server.async_client() if mode.startswith("async") else server.sync_client()
    method: Literal["create", "stream"] = "stream" if mode.endswith("stream") else "create"
    loop = ToolLoop(client, model=MODEL, max_tokens=64, tools=[add], method=method)
    if mode == "sync-create" or mode == "sync-stream":
        conversation = loop.run("2+3?")
    else:
        conversation = asyncio.run(loop.arun("2+3?"))
    assert conversation[-1] == {"role": "assistant", "content": [{"type": "text", "text": "5"}]}
    first, second = server.bodies
    assert first["tools"] == [Tool(add).to_param()] and first["stream"] is True
    assert second["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "Adding.\n  ",
        "signature": "EqQBCkYIBxgCKkBsig==",
    }
    assert second["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_02_add", "content": "5", "is_error": False}
    ]
    assert second["messages"] == conversation[:3]
    assert loop.usage.output_tokens == 250


def test_betas_with_the_sdk() -> None:
    server = SSEServer([text_stream("hi")])
    loop = ToolLoop(server.sync_client(), model=MODEL, max_tokens=8, betas=["files-api-2025-04-14"])
    loop.run("x")
    assert server.betas == ["files-api-2025-04-14"]
    assert "betas" not in server.bodies[0]  # the SDK sends betas as a header
