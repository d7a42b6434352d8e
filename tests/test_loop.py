"""ToolLoop offline: requests sent, parallel tool runs, approvals, errors, stops and usage."""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import gc
import json
import re
import threading
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from mock_api import MockAPI
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

from streamscope.core.io.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.loop.tool_loop import (
    ASYNC_APPROVER_MESSAGE,
    STOPPED_BEFORE_APPROVAL,
    Decision,
    IncompleteStreamError,
    LoopObserver,
    ToolExecution,
    ToolLoop,
    Turn,
    as_decision,
)
from streamscope.core.stream.changes import Change
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.status import EXECUTION_STATUSES
from streamscope.core.stream.tool_call import ToolCall
from streamscope.core.stream.usage import Usage, sum_usage
from streamscope.core.tools.tool import Tool, ToolResult, result_content, tool

Event = dict[str, Any]
MODEL = "claude-test"


def calls_turn(*calls: tuple[str, Any], **kwargs: Any) -> list[Event]:
    return parallel_tools_stream(list(calls), **kwargs)


def make_loop(turns: list[list[Event]], tools: list[Any], **kwargs: Any) -> ToolLoop:
    return ToolLoop(ReplayClient(turns), model=MODEL, max_tokens=512, tools=tools, **kwargs)


def approval_loop(
    counter: Counter, turns: list[list[Event]] | None = None, **kwargs: Any
) -> ToolLoop:
    """The approval scenario: ``delete_file`` needs approval (``approval_turns()`` by
    default); ``loop.client`` is its ReplayClient."""
    turns = approval_turns() if turns is None else turns
    return make_loop(turns, approval_tools(counter), require_approval=["delete_file"], **kwargs)


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


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"max_turns": True}, TypeError, "max_turns must be a positive int"),
        ({"max_turns": 1.5}, TypeError, "max_turns must be a positive int"),
        ({"max_turns": "3"}, TypeError, "max_turns must be a positive int"),
        ({"max_turns": 0}, ValueError, "max_turns must be at least 1"),
        ({"max_turns": -2}, ValueError, "max_turns must be at least 1"),
        ({"max_tokens": 0}, ValueError, "max_tokens must be at least 1"),
        ({"max_tokens": "512"}, TypeError, "max_tokens must be a positive int"),
        ({"model": None}, TypeError, "model must be a non-empty str"),
        ({"model": ""}, TypeError, "model must be a non-empty str"),
        ({"tool_timeout": 0}, ValueError, "tool_timeout must be a positive, finite number"),
        ({"tool_timeout": -1.0}, ValueError, "tool_timeout must be a positive, finite"),
        ({"tool_timeout": float("nan")}, ValueError, "tool_timeout must be a positive, finite"),
        ({"tool_timeout": float("inf")}, ValueError, "tool_timeout must be a positive, finite"),
        ({"tool_timeout": True}, TypeError, "tool_timeout must be a number of seconds or None"),
        ({"tool_timeout": "5"}, TypeError, "tool_timeout must be a number of seconds or None"),
        ({"approval_timeout": 0}, ValueError, "approval_timeout must be a positive, finite"),
        ({"approval_timeout": "30"}, TypeError, "approval_timeout must be a number of seconds"),
        ({"method": "steam"}, ValueError, "method must be 'create' or 'stream'"),
        ({"method": 1}, TypeError, "method must be 'create' or 'stream'"),
        ({"max_workers": 0}, ValueError, "max_workers must be at least 1"),
        ({"max_workers": True}, TypeError, "max_workers must be a positive int or None"),
        ({"max_workers": 2.0}, TypeError, "max_workers must be a positive int or None"),
        ({"approve": "yes"}, TypeError, "approve must be a callable or None"),
        ({"on_event": 3}, TypeError, "on_event must be a callable or None"),
        ({"on_tool_execution": "print"}, TypeError, "on_tool_execution must be a callable or None"),
        ({"note_edits": "no"}, TypeError, "note_edits must be True or False"),
        ({"tools": "get_weather"}, TypeError, "tools must be a list"),
        ({"tools": 5}, TypeError, "tools must be a list"),
        ({"require_approval": 5}, TypeError, "require_approval must be True, False or tool"),
        ({"require_approval": [5]}, TypeError, "require_approval names tools by their names"),
    ],
)
def test_constructor_arguments_are_checked(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    arguments: dict[str, Any] = {"model": MODEL, "max_tokens": 10, **kwargs}
    with pytest.raises(error, match=words):
        ToolLoop(ReplayClient([]), **arguments)


def test_constructor_accepts_good_arguments_and_rejects_a_non_client() -> None:
    loop = ToolLoop(
        ReplayClient([]),
        model=MODEL,
        max_tokens=10,
        max_turns=3,
        tool_timeout=2,
        approval_timeout=0.5,
        max_workers=4,
    )
    assert (loop.max_turns, loop.tool_timeout, loop.approval_timeout) == (3, 2.0, 0.5)
    assert ToolLoop(ReplayClient([]), model=MODEL, max_tokens=10).tool_timeout is None
    with pytest.raises(TypeError, match=r"client must be an anthropic\.Anthropic"):
        ToolLoop("sk-ant-...", model=MODEL, max_tokens=10)


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

    def meet(name: str) -> str:
        """Returns once both calls are running."""
        barrier.wait()  # both must be running at once, or this breaks (an error result)
        return name

    loop = make_loop(
        [calls_turn(("meet", {"name": "a"}), ("meet", {"name": "b"})), text_stream("ok")], [meet]
    )
    conversation = loop.run("go")
    runs = loop.executions
    assert [r.status for r in runs] == ["done", "done"]
    assert [c["content"] for c in results_of(conversation[2])] == ["a", "b"]
    assert all(r.duration is not None for r in runs)
    a, b = runs
    assert a.started_at is not None and b.started_at is not None
    assert a.finished_at is not None and b.finished_at is not None
    assert a.started_at < b.finished_at and b.started_at < a.finished_at  # overlapped


def test_two_async_tools_run_concurrently_in_arun() -> None:
    async def main() -> list[Any]:
        arrived: list[str] = []
        both = asyncio.Event()

        async def meet(label: str) -> str:
            """Returns once both calls are running."""
            arrived.append(label)
            if len(arrived) == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 5)  # one at a time would time out
            return f"met {label}"

        loop = make_loop(
            [calls_turn(("meet", {"label": "a"}), ("meet", {"label": "b"})), text_stream("ok")],
            [meet],
        )
        return await loop.arun("go")

    conversation = asyncio.run(main())
    assert [c["content"] for c in results_of(conversation[2])] == ["met a", "met b"]


def meeting_tools(barrier: threading.Barrier) -> list[Any]:
    async def anap(x: int) -> int:
        await asyncio.to_thread(barrier.wait)
        return x * 2

    def snap(x: int) -> int:
        barrier.wait()
        return x + 1

    return [anap, snap]


def test_mixed_tools_overlap_in_both_run_and_arun() -> None:
    for mode in ("run", "arun"):
        barrier = threading.Barrier(3, timeout=5)  # all three calls must be running at once
        turns = [
            calls_turn(("anap", {"x": 1}), ("snap", {"x": 1}), ("anap", {"x": 5})),
            text_stream("ok"),
        ]
        loop = make_loop(turns, meeting_tools(barrier))
        conversation = loop.run("go") if mode == "run" else asyncio.run(loop.arun("go"))
        assert [c["content"] for c in results_of(conversation[2])] == ["2", "2", "10"], mode


def test_results_keep_call_order_not_finish_order() -> None:
    second_finished = threading.Event()

    def wait(after_second: bool, label: str) -> str:
        if after_second:
            assert second_finished.wait(5)
        return label

    loop = make_loop(
        [
            calls_turn(
                ("wait", {"after_second": True, "label": "first"}),
                ("wait", {"after_second": False, "label": "second"}),
            ),
            text_stream("ok"),
        ],
        [wait],
    )
    finished: list[str] = []

    def on_tool_execution(run: ToolExecution) -> None:
        if run.done:
            finished.append(run.id)
            if run.id == "toolu_01_wait":
                second_finished.set()

    loop.observers.append(type("O", (), {"tool_finished": lambda self, r: on_tool_execution(r)})())
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

    loop = approval_loop(counter, approve=approve)
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
    run = loop.executions[0]
    assert run.status == ("done" if runs else "denied")
    assert run.decision == as_decision(decision)
    if not runs:
        assert run.started_at is None and run.error == expected_content


def test_approval_with_edited_arguments() -> None:
    counter = Counter()
    loop = approval_loop(
        counter,
        approve=lambda call: (True, {"path": "/tmp/safe"}),
    )
    conversation = loop.run("clean up")
    assert ("delete_file", {"path": "/tmp/safe"}) in counter.calls
    assert ("delete_file", {"path": "/tmp/a"}) not in counter.calls
    run = loop.executions[0]
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
    assert "path: expected string, got integer 5" in first["content"]
    assert 'extra: unexpected property "extra" (not in the schema)' in first["content"]
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
    loop = approval_loop(counter)
    with pytest.raises(ValueError, match="no approve= callable"):
        loop.run("x")
    with pytest.raises(TypeError, match="expected True, False"):
        as_decision("yes")


def test_async_approver_in_run_raises_a_clear_error_before_any_request() -> None:
    counter = Counter()

    async def approve(call: ToolCall) -> bool:
        return True

    loop = approval_loop(counter, approve=approve)
    client = loop.client
    with pytest.raises(TypeError, match=r"await loop\.arun\(messages\)"):
        loop.run("x")
    assert client.requests == [] and counter.calls == []
    assert ASYNC_APPROVER_MESSAGE.startswith("the approver is async")


def test_observer_returning_a_future_in_run_raises() -> None:
    class View:
        def approval_needed(self, call: ToolCall) -> Any:
            return asyncio.Future(loop=asyncio.new_event_loop())

    counter = Counter()
    loop = approval_loop(counter, observer=View())
    with pytest.raises(TypeError, match=r"await loop\.arun"):
        loop.run("x")
    assert ("delete_file", {"path": "/tmp/a"}) not in counter.calls
    assert loop.stop_reason == "error"


def test_async_approver_in_arun_keeps_the_event_loop_responsive() -> None:
    counter = Counter()

    async def main() -> tuple[list[Any], int]:
        ticks = 0
        stop_ticking = asyncio.Event()
        decided = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop_ticking.is_set():
                ticks += 1
                if ticks == 10:
                    decided.set()  # a person answers while the event loop runs
                await asyncio.sleep(0)

        async def approve(call: ToolCall) -> Any:
            await asyncio.wait_for(decided.wait(), 5)  # a blocked event loop never gets here
            return (False, "too risky")

        loop = approval_loop(
            counter,
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

    def tool_queued(self, run: ToolExecution) -> None:
        self.log.append(("queued", (run.name, run.status)))

    def tool_awaiting_approval(self, run: ToolExecution) -> None:
        self.log.append(("awaiting", run.name))

    def tool_started(self, run: ToolExecution) -> None:
        self.log.append(("started", run.name))

    def tool_finished(self, run: ToolExecution) -> None:
        self.log.append(("finished", (run.name, run.status)))

    def approval_needed(self, call: ToolCall) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures[call.id] = future
        asyncio.get_running_loop().call_soon(future.set_result, (True, {"path": "/x"}))
        return future


def test_observer_sees_every_step_and_answers_approvals_with_futures() -> None:
    counter = Counter()
    view = RecordingView()
    loop = approval_loop(counter, observer=view)
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
        ("queued", ("delete_file", "queued")),
        ("queued", ("read_file", "queued")),
    ]
    assert ("awaiting", "delete_file") in view.log
    assert ("finished", ("delete_file", "done")) in view.log
    assert names.index("awaiting") < names.index("turn_started", names.index("awaiting"))
    assert not loop.observer_errors


def test_callbacks_and_observer_errors_do_not_break_the_loop() -> None:
    seen: dict[str, int] = {"event": 0, "turn": 0, "tool": 0}

    def on_event(turn: Turn, event: Any, change: Change) -> None:
        seen["event"] += 1

    def on_turn_start(turn: Turn) -> None:
        seen["turn"] += 1

    def on_tool_execution(run: ToolExecution) -> None:
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
        on_tool_execution=on_tool_execution,
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
    assert '- a: expected number, got string "one"' in invalid
    assert '- (arguments): missing required property "b"' in invalid
    assert '- c: unexpected property "c" (not in the schema)' in invalid
    assert unknown == "Unknown tool 'no_such_tool'. Available tools: divide, soft_fail."
    assert "not valid JSON" in bad_json and "'divide'" in bad_json
    assert "no local implementation" in remote
    assert soft == "quota exceeded, try tomorrow"
    assert counter.calls == [("divide", {"a": 1.0, "b": 0.0})]  # only the valid call ran
    runs = loop.executions
    assert runs[0].exception is not None and "ZeroDivisionError" in (runs[0].traceback or "")
    assert runs[0].duration is not None
    assert [r.status for r in runs] == ["failed"] * 6
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


def test_stream_error_event_fails_the_turn_and_keeps_the_conversation() -> None:
    """An ``error`` event mid-stream: the run returns the conversation so far, the turn is
    marked failed in words with the text received kept, and a Problem says so."""
    failing = [message_start(MODEL), *text_events(0, "partial", stop=False), error_event()]
    loop = make_loop([calls_turn(("echo", {"x": 1})), failing], [tool(lambda x: x, name="echo")])
    messages = loop.run("go")
    assert len(messages) == 3  # user, assistant with the call, tool results
    assert messages[2]["content"][0]["tool_use_id"] == "toolu_00_echo"
    assert loop.stop_reason == "error" and not loop.running
    turn = loop.turns[-1]
    assert turn.message is None and turn.state is not None and turn.state.failed
    assert turn.failure == "overloaded_error mid-stream: Overloaded"
    assert loop.failure is not None and loop.failure.startswith(turn.failure)
    assert "".join(b.text for b in turn.state.blocks if hasattr(b, "text")) == "partial"
    assert "turn_failed" in {p.kind for p in turn.problems}
    assert "turn_failed" in {p.kind for p in turn.state.problems}


def test_stream_error_event_raises_when_asked_and_keeps_the_conversation() -> None:
    failing = [message_start(MODEL), *text_events(0, "partial", stop=False), error_event()]
    loop = make_loop(
        [calls_turn(("echo", {"x": 1})), failing], [tool(lambda x: x, name="echo")],
        raise_errors=True,
    )  # fmt: skip
    with pytest.raises(StreamAPIError) as info:
        loop.run("go")
    assert info.value.error_type == "overloaded_error"
    assert len(loop.messages) == 3  # user, assistant with the call, tool results
    assert loop.messages[2]["content"][0]["tool_use_id"] == "toolu_00_echo"
    assert loop.stop_reason == "error" and not loop.running
    assert loop.turns[-1].message is None and loop.turns[-1].state is not None
    assert loop.turns[-1].state.failed
    assert loop.turns[-1].failure == "overloaded_error mid-stream: Overloaded"


def test_truncated_stream_fails_the_turn() -> None:
    loop = make_loop([[message_start(MODEL), *text_events(0, "cut")]], [])
    assert loop.run("go") == [{"role": "user", "content": "go"}]
    assert loop.stop_reason == "error"
    assert loop.turns[-1].failure == "the stream ended without message_stop"
    with pytest.raises(IncompleteStreamError, match="without message_stop"):
        make_loop([[message_start(MODEL), *text_events(0, "cut")]], [], raise_errors=True).run("go")


def test_raise_errors_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="raise_errors"):
        make_loop([], [], raise_errors="yes")


def test_a_bug_in_the_stream_still_raises() -> None:
    """Only failures of the wire become a failed turn: anything else raises."""

    class Messages:
        def create(self, **kwargs: Any) -> Any:
            raise ValueError("a bug, not the wire")

    class Client:
        messages = Messages()

    loop = ToolLoop(Client(), model=MODEL, max_tokens=5)
    with pytest.raises(ValueError, match="a bug"):
        loop.run("go")
    assert loop.stop_reason == "error" and loop.turns[-1].failure is None


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
    assert loop.executions == [] and loop.stop_reason == "end_turn"


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


def test_stop_during_tools_keeps_results_that_come_within_the_grace() -> None:
    both_running = threading.Barrier(2, timeout=5)

    def stopper(x: int) -> int:
        both_running.wait()
        loop.stop()
        return x

    client = ReplayClient(
        [calls_turn(("stopper", {"x": 1}), ("stopper", {"x": 2})), text_stream("never")]
    )
    loop = ToolLoop(client, model=MODEL, max_tokens=10, tools=[stopper])
    loop.stop_grace = 30.0  # an upper bound: the batch ends as soon as both are done
    conversation = loop.run("go")
    assert len(client.requests) == 1 and loop.stop_reason == "stopped"
    assert [b["content"] for b in results_of(conversation[-1])] == ["1", "2"]
    assert [r.status for r in loop.executions] == ["done", "done"]


def test_stop_before_a_sync_approval_denies_without_asking() -> None:
    counter = Counter()
    asked: list[str] = []

    def on_tool_execution(run: ToolExecution) -> None:
        if run.name == "read_file" and run.status == "running":
            loop.stop()  # non-gated calls start first; the approval comes after

    def approve(call: ToolCall) -> bool:
        asked.append(call.id)
        return True

    loop = approval_loop(
        counter,
        approve=approve,
        on_tool_execution=on_tool_execution,
    )
    loop.stop_grace = 30.0  # read_file returns at once; the batch does not wait the grace out
    conversation = loop.run("x")
    assert asked == [] and loop.stop_reason == "stopped"
    first, second = results_of(conversation[-1])
    assert first["content"] == STOPPED_BEFORE_APPROVAL and loop.executions[0].status == "stopped"
    assert loop.executions[0].detail == "stopped before approval"
    assert second["content"] == "contents of /tmp/b"


def test_stop_in_arun_interrupts_a_slow_stream() -> None:
    # The second event comes an hour after the first: only stop() can end this turn.
    slow_turn = timed([message_start(MODEL), *text_events(0, "hello"), *message_end()], step=3600)
    client = ReplayClient([slow_turn], speed=1.0)

    def on_event(turn: Turn, event: Any, change: Change) -> None:
        loop.stop()

    loop = ToolLoop(client, model=MODEL, max_tokens=10, on_event=on_event)

    async def main() -> list[Any]:
        return await asyncio.wait_for(loop.arun("go"), 30)  # a bound, not a measurement

    conversation = asyncio.run(main())
    assert conversation == [{"role": "user", "content": "go"}]
    assert loop.stop_reason == "stopped" and loop.turns[0].interrupted


class SlowMessages:
    """A sync client's messages resource whose create() answers only when released."""

    def __init__(self, inner: ReplayClient) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()
        self.returned = threading.Event()
        self.streams: list[Any] = []

    def create(self, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.release.wait(5)
        stream = self.inner.messages.create(**kwargs)
        self.streams.append(stream)
        self.returned.set()
        return stream


def test_stop_in_arun_while_a_sync_client_waits_for_headers_closes_the_late_stream() -> None:
    slow = SlowMessages(ReplayClient([text_stream("late")]))
    client = type("SlowClient", (), {"messages": slow})()
    loop = ToolLoop(client, model=MODEL, max_tokens=10)

    async def main() -> None:
        task = asyncio.ensure_future(loop.arun("go"))
        await asyncio.to_thread(slow.entered.wait, 5)
        loop.stop()
        await asyncio.wait_for(task, 30)  # returns while create() is still blocked
        assert not slow.returned.is_set()
        slow.release.set()
        assert await asyncio.to_thread(slow.returned.wait, 5)
        for _ in range(100):  # the late stream is closed on the event loop
            if slow.streams and list(slow.streams[0]) == []:
                break
            await asyncio.sleep(0)

    try:
        asyncio.run(main())
    finally:
        slow.release.set()
    assert loop.stop_reason == "stopped"
    assert len(slow.streams) == 1 and list(slow.streams[0]) == []  # closed, not leaked


def test_stop_while_awaiting_approval_denies_the_call() -> None:
    counter = Counter()

    async def main() -> list[Any]:
        never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def on_tool_execution(run: ToolExecution) -> None:
            if run.status == "awaiting approval":
                loop.stop()

        loop = approval_loop(
            counter,
            approve=lambda call: never,
            on_tool_execution=on_tool_execution,
        )
        loop.stop_grace = 30.0  # read_file returns at once; the grace is not waited out
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
    server = MockAPI(sdk_turns())
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
    server = MockAPI([text_stream("hi")])
    loop = ToolLoop(server.sync_client(), model=MODEL, max_tokens=8, betas=["files-api-2025-04-14"])
    loop.run("x")
    assert server.betas == ["files-api-2025-04-14"]
    assert "betas" not in server.bodies[0]  # the SDK sends betas as a header


# --------------------------------------------------------------------------- faults
#
# Hung tools block on the `release` event, which the fixture sets at teardown (and then
# joins the tool threads), so no thread outlives the test that started it.


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()
    for thread in threading.enumerate():
        if thread.name.startswith(("streamscope-tool", "streamscope-async-tools")):
            thread.join(timeout=5)
            assert not thread.is_alive(), thread.name


def never_retrieved(caplog: pytest.LogCaptureFixture) -> list[str]:
    gc.collect()  # "Task exception was never retrieved" is logged when the task is freed
    return [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]


Driver = Literal["run", "arun"]
DRIVERS: tuple[Driver, ...] = ("run", "arun")


def drive(loop: ToolLoop, messages: Any, driver: Driver) -> list[Any]:
    return loop.run(messages) if driver == "run" else asyncio.run(loop.arun(messages))


class Hung:
    """Tools that never return by themselves, counting their calls."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.counter = Counter()
        self.started = threading.Event()

    def sync_tool(self, on_start: Any = None) -> Tool:
        def hang(x: int) -> str:
            """Never returns (until the test ends)."""
            self.counter.add("hang", x=x)
            self.started.set()
            if on_start is not None:
                on_start()
            self.release.wait()
            return "finished late"

        return Tool(hang)

    def async_tool(self, on_start: Any = None) -> Tool:
        async def hang(x: int) -> str:
            """Never returns (until cancelled)."""
            self.counter.add("hang", x=x)
            self.started.set()
            if on_start is not None:
                on_start()
            await asyncio.Event().wait()
            return "never"

        return Tool(hang)

    def echo(self) -> Tool:
        def echo(x: int) -> str:
            self.counter.add("echo", x=x)
            return f"echo {x}"

        return Tool(echo, timeout=60)  # never the one that times out, however slow the host


def hang_turns() -> list[list[Event]]:
    return [calls_turn(("hang", {"x": 1}), ("echo", {"x": 2})), text_stream("Moving on.")]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_hung_tool_times_out_and_the_loop_goes_on(
    driver: Driver, kind: str, release: threading.Event
) -> None:
    hung = Hung(release)
    hang = hung.sync_tool() if kind == "sync" else hung.async_tool()
    loop = make_loop(hang_turns(), [hang, hung.echo()], tool_timeout=0.05)
    conversation = drive(loop, "go", driver)

    assert loop.stop_reason == "end_turn"
    assert conversation[-1]["content"] == [{"type": "text", "text": "Moving on."}]
    timed_out, echoed = results_of(conversation[2])
    assert echoed == {
        "type": "tool_result",
        "tool_use_id": "toolu_01_echo",
        "content": "echo 2",
        "is_error": False,
    }
    assert timed_out["is_error"] is True
    run = loop.executions[0]
    assert run.status == "timed out" and run.is_error
    if kind == "sync":  # a thread cannot be killed: it is abandoned, and that is said
        assert timed_out["content"] == (
            "Timed out after 0.05 s. The call was abandoned, not killed: it may still "
            "finish, and have its effects, later."
        )
        assert run.abandoned and run.detail == "after 0.05 s; abandoned, may still finish"
    else:
        assert timed_out["content"] == "Timed out after 0.05 s. The call was cancelled."
        assert not run.abandoned and run.detail == "after 0.05 s; cancelled"
    assert [status for status, _ in run.history] == ["queued", "running", "timed out"]
    assert sorted(hung.counter.calls) == [("echo", {"x": 2}), ("hang", {"x": 1})]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_tools_own_timeout_wins_over_the_loops(driver: Driver, release: threading.Event) -> None:
    hung = Hung(release)
    hang = hung.sync_tool()
    hang.timeout = 0.05
    loop = make_loop(hang_turns(), [hang, hung.echo()], tool_timeout=3600)
    conversation = drive(loop, "go", driver)
    timed_out, echoed = results_of(conversation[2])
    assert timed_out["content"].startswith("Timed out after 0.05 s.")
    assert echoed["content"] == "echo 2"


@pytest.mark.parametrize("mode", ["sync-create", "async-create"])
def test_a_hung_tool_times_out_with_the_anthropic_sdk(mode: str, release: threading.Event) -> None:
    hung = Hung(release)
    server = MockAPI(hang_turns())
    client: Any = server.sync_client() if mode == "sync-create" else server.async_client()
    loop = ToolLoop(
        client,
        model=MODEL,
        max_tokens=64,
        tools=[hung.sync_tool(), hung.echo()],
        tool_timeout=0.05,
    )
    conversation = loop.run("go") if mode == "sync-create" else asyncio.run(loop.arun("go"))
    assert conversation[-1]["content"] == [{"type": "text", "text": "Moving on."}]
    assert server.bodies[1]["messages"][2] == conversation[2]  # what the API was sent
    assert [b["is_error"] for b in results_of(conversation[2])] == [True, False]


def test_an_abandoned_call_frees_its_worker(release: threading.Event) -> None:
    hung = Hung(release)
    loop = make_loop(hang_turns(), [hung.sync_tool(), hung.echo()], tool_timeout=0.05)
    loop.max_workers = 1  # echo waits for the one worker, which the hung call gives back
    conversation = loop.run("go")
    assert [b["content"] for b in results_of(conversation[2])][1] == "echo 2"
    echo = loop.executions[1]
    assert [status for status, _ in echo.history] == ["queued", "running", "done"]
    assert echo.started_at is not None and loop.executions[0].finished_at is not None
    assert echo.started_at >= loop.executions[0].finished_at


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_stop_ends_the_loop_whatever_a_tool_is_doing(
    driver: Driver, kind: str, release: threading.Event
) -> None:
    hung = Hung(release)
    hang = hung.sync_tool() if kind == "sync" else hung.async_tool()

    def on_tool_execution(run: ToolExecution) -> None:
        if run.name == "echo" and run.done:  # hang is running, and will never return
            loop.stop()

    client = ReplayClient(hang_turns())
    loop = ToolLoop(
        client,
        model=MODEL,
        max_tokens=10,
        tools=[hang, hung.echo()],
        on_tool_execution=on_tool_execution,
    )
    loop.stop_grace = 0.05
    conversation = drive(loop, "go", driver)

    assert loop.stop_reason == "stopped" and len(client.requests) == 1
    assert [m["role"] for m in conversation] == ["user", "assistant", "user"]
    stopped, echoed = results_of(conversation[2])
    assert echoed["content"] == "echo 2" and echoed["is_error"] is False
    assert stopped["is_error"] is True
    run = loop.executions[0]
    assert run.status == "stopped"
    if kind == "sync":
        assert stopped["content"] == (
            "Stopped: the loop was stopped while this call was running. The call was "
            "abandoned, not killed: it may still finish, and have its effects, later."
        )
        assert run.abandoned and run.detail == "stopped while running; abandoned, may still finish"
    else:
        assert stopped["content"].endswith("running. The call was cancelled.")
        assert run.detail == "stopped while running; cancelled"


def test_stop_from_another_thread_ends_a_blocked_run(release: threading.Event) -> None:
    hung = Hung(release)
    loop = make_loop(hang_turns(), [hung.sync_tool(), hung.echo()])  # default grace

    def stopper() -> None:
        assert hung.started.wait(5)
        loop.stop()

    thread = threading.Thread(target=stopper)
    thread.start()
    conversation = loop.run("go")
    thread.join()
    assert loop.stop_reason == "stopped"
    assert results_of(conversation[2])[0]["content"].startswith("Stopped: the loop was stopped")


@pytest.mark.parametrize("driver", DRIVERS)
def test_stop_after_a_tool_turn_ends_answers_every_call(driver: Driver) -> None:
    counter = Counter()

    def on_event(turn: Turn, event: Any, change: Change) -> None:
        if change.kind == "message_stop":
            loop.stop()  # the turn is whole; its calls must not run, but need results

    loop = approval_loop(
        counter,
        approve=lambda call: True,
        on_event=on_event,
    )
    conversation = drive(loop, "x", driver)
    assert counter.calls == [] and loop.stop_reason == "stopped"
    first, second = results_of(conversation[2])
    assert first["content"] == STOPPED_BEFORE_APPROVAL
    assert second["content"] == "Not run: the loop was stopped before this call started."
    assert [r.status for r in loop.executions] == ["stopped", "stopped"]


# --------------------------------------------------------------------------- approvers


@pytest.mark.parametrize(
    ("driver", "style"),
    [
        ("run", "raises"),
        ("arun", "raises"),
        ("run", "returns-garbage"),
        ("arun", "returns-garbage"),
        ("arun", "async-raises"),  # run() refuses async approvers before any request
    ],
)
def test_an_approver_that_fails_fails_its_call_and_the_loop_goes_on(
    driver: Driver, style: str
) -> None:
    counter = Counter()

    def approve(call: ToolCall) -> Any:
        if style == "raises":
            raise ConnectionError("approval service down")
        return "yes"

    async def aapprove(call: ToolCall) -> Any:
        raise ConnectionError("approval service down")

    loop = approval_loop(
        counter,
        approve=aapprove if style == "async-raises" else approve,
    )
    conversation = drive(loop, "x", driver)
    assert loop.stop_reason == "end_turn" and conversation[-1]["role"] == "assistant"
    first, second = results_of(conversation[2])
    assert first["is_error"] is True
    if style == "returns-garbage":
        assert "an approver returned 'yes'" in first["content"]
    else:
        assert first["content"] == (
            "Not run: asking for approval failed (ConnectionError: approval service down)."
        )
    assert second["content"] == "contents of /tmp/b"
    run = loop.executions[0]
    assert run.status == "failed" and run.exception is not None
    assert run.detail in ("the approver raised ConnectionError", "the approver raised TypeError")
    assert [status for status, _ in run.history] == ["queued", "awaiting approval", "failed"]
    assert [n for n, _ in counter.calls] == ["read_file"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_an_approval_not_decided_in_time_is_denied(driver: Driver) -> None:
    counter = Counter()
    pending: list[Any] = []

    def approve(call: ToolCall) -> Any:
        # A question nobody answers: a concurrent future for run(), an asyncio one for arun().
        if driver == "run":
            future: Any = concurrent.futures.Future()
        else:
            future = asyncio.get_running_loop().create_future()
        pending.append(future)
        return future

    loop = approval_loop(
        counter,
        approve=approve,
        approval_timeout=0.05,
    )
    conversation = drive(loop, "x", driver)
    assert loop.stop_reason == "end_turn"
    first, second = results_of(conversation[2])
    assert first["content"] == "Not run: no decision within 0.05 s (the approval timed out)."
    assert first["is_error"] is True and second["content"] == "contents of /tmp/b"
    run = loop.executions[0]
    assert run.status == "denied" and run.detail == "no decision within 0.05 s"
    assert run.decision == Decision(False, "no decision within 0.05 s")
    assert pending[0].cancelled()  # the question was withdrawn
    assert [n for n, _ in counter.calls] == ["read_file"]


def test_a_decision_that_comes_in_time_is_used() -> None:
    counter = Counter()

    def approve(call: ToolCall) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        threading.Thread(target=future.set_result, args=(True,)).start()  # another thread
        return future

    loop = approval_loop(
        counter,
        approve=approve,
        approval_timeout=30,
    )
    conversation = loop.run("x")
    assert results_of(conversation[2])[0]["content"] == "deleted /tmp/a"


def test_run_and_arun_ask_in_the_same_order_and_send_the_same_conversation() -> None:
    def turns() -> list[list[Event]]:
        return [
            calls_turn(
                ("delete_file", {"path": "/a"}),
                ("read_file", {"path": "/b"}),
                ("delete_file", {"path": "/c"}),
                ("read_file", {"path": "/d"}),
            ),
            text_stream("done"),
        ]

    def play(driver: Driver) -> tuple[list[Any], list[tuple[str, str]], ReplayClient]:
        log: list[tuple[str, str]] = []
        counter = Counter()

        def approve(call: ToolCall) -> Any:
            log.append(("asked", call.input["path"]))
            decision = call.input["path"] == "/a"
            if driver == "run":
                log.append(("decided", call.input["path"]))
                return decision
            # arun: the answer comes later, as a person's click would
            future = asyncio.get_running_loop().create_future()

            def decide() -> None:
                log.append(("decided", call.input["path"]))
                future.set_result(decision)

            asyncio.get_running_loop().call_soon(decide)
            return future

        loop = approval_loop(counter, turns(), approve=approve)
        client = loop.client
        drive(loop, "clean up", driver)
        return loop.messages, log, client

    sync_messages, sync_log, sync_client = play("run")
    async_messages, async_log, async_client = play("arun")
    assert sync_messages == async_messages
    assert sync_client.requests == async_client.requests
    # one question at a time, in call order, in both
    expected = [("asked", "/a"), ("decided", "/a"), ("asked", "/c"), ("decided", "/c")]
    assert sync_log == async_log == expected
    contents = [b["content"] for b in results_of(sync_messages[2])]
    assert contents == [
        "deleted /a",
        "contents of /b",
        "The user denied this tool call.",
        "contents of /d",
    ]


# --------------------------------------------------------------------------- interrupts


class Interrupting:
    """A turn of three calls: `a` finishes, then `boom` raises, while `hang` still runs."""

    def __init__(self, release: threading.Event, exc: type[BaseException], kind: str) -> None:
        self.counter = Counter()
        self.a_finished = threading.Event()
        hung = Hung(release)
        hung.counter = self.counter
        self.hang = hung.sync_tool()
        self.hung = hung

        def a() -> str:
            self.counter.add("a")
            return "a done"

        def boom_sync() -> str:
            self.counter.add("boom")
            assert self.a_finished.wait(5) and hung.started.wait(5)
            raise exc("from the tool")

        async def boom_async() -> str:
            self.counter.add("boom")
            assert await asyncio.to_thread(self.a_finished.wait, 5)
            assert await asyncio.to_thread(hung.started.wait, 5)
            raise exc("from the tool")

        self.tools = [Tool(a), Tool(boom_sync if kind == "sync" else boom_async, name="boom")]
        self.tools.append(self.hang)

    def observer(self) -> Any:
        finished = self.a_finished

        class Observer(LoopObserver):
            def tool_finished(self, run: ToolExecution) -> None:
                if run.name == "a":
                    finished.set()  # the loop has a's result: only now does boom raise

        return Observer()

    @staticmethod
    def turns() -> list[list[Event]]:
        return [
            calls_turn(("a", {}), ("boom", {}), ("hang", {"x": 1})),
            text_stream("resumed"),
        ]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_a_tool_raising_a_base_exception_interrupts_then_resume_runs_nothing_twice(
    driver: Driver,
    kind: str,
    exc: type[BaseException],
    release: threading.Event,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case = Interrupting(release, exc, kind)
    client = ReplayClient(case.turns())
    loop = ToolLoop(client, model=MODEL, max_tokens=10, tools=case.tools, observer=case.observer())
    with pytest.raises(exc, match="from the tool"):
        drive(loop, "go", driver)

    assert loop.stop_reason == "interrupted" and not loop.running
    assert [m["role"] for m in loop.messages] == ["user", "assistant", "user"]
    a, boom, hang = results_of(loop.messages[2])
    assert (a["content"], a["is_error"]) == ("a done", False)
    assert boom == {
        "type": "tool_result",
        "tool_use_id": "toolu_01_boom",
        "content": f"Interrupted: the tool raised {exc.__name__}: from the tool.",
        "is_error": True,
    }
    assert hang["is_error"] is True
    assert hang["content"] == (
        f"Interrupted ({exc.__name__}) while this call was running. The call was abandoned, "
        "not killed: it may still finish, and have its effects, later."
    )
    runs = loop.executions
    assert [r.status for r in runs] == ["done", "stopped", "stopped"]
    assert runs[1].detail == f"interrupted ({exc.__name__} raised by the tool)"
    assert runs[2].detail == f"interrupted ({exc.__name__}); abandoned, may still finish"
    assert runs[2].abandoned

    conversation = drive(loop, loop.messages, driver)  # resume
    assert conversation[-1]["content"] == [{"type": "text", "text": "resumed"}]
    assert client.requests[-1]["messages"] == conversation[:3]
    assert loop.executions == []  # nothing was left to run
    assert sorted(name for name, _ in case.counter.calls) == ["a", "boom", "hang"]
    assert never_retrieved(caplog) == []


@pytest.mark.parametrize("during", ["tools", "approval"])
def test_cancelling_arun_interrupts_then_resume_runs_nothing_twice(
    during: str, release: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    hung = Hung(release)
    async_hung = Hung(release)
    async_hung.counter = hung.counter
    asked: list[str] = []

    def quick(x: int) -> str:
        hung.counter.add("quick", x=x)
        return f"quick {x}"

    async def main() -> None:
        ready = asyncio.Event()
        never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        seen: set[str] = set()

        def on_tool_execution(run: ToolExecution) -> None:
            if run.done or run.status in ("running", "awaiting approval"):
                seen.add(f"{run.name}:{run.status}")
            wanted = {"quick:done", "hang:running", "ahang:running"}
            if during == "approval":
                wanted.add("gated:awaiting approval")
            if wanted <= seen:
                ready.set()

        def approve(call: ToolCall) -> Any:
            asked.append(call.id)
            return never

        tools = [
            Tool(quick),
            hung.sync_tool(),
            Tool(async_hung.async_tool().fn, name="ahang"),
            Tool(quick, name="gated"),
        ]
        calls = [("quick", {"x": 1}), ("hang", {"x": 2}), ("ahang", {"x": 3})]
        if during == "approval":
            calls.append(("gated", {"x": 4}))
        client = ReplayClient([calls_turn(*calls), text_stream("resumed")])
        loop = ToolLoop(
            client,
            model=MODEL,
            max_tokens=10,
            tools=tools,
            require_approval=["gated"],
            approve=approve,
            on_tool_execution=on_tool_execution,
        )
        task = asyncio.ensure_future(loop.arun("go"))
        await asyncio.wait_for(ready.wait(), 5)
        task.cancel()  # what the kernel's Interrupt does to `await loop.arun(...)`
        with pytest.raises(asyncio.CancelledError):
            await task

        assert loop.stop_reason == "interrupted"
        blocks = results_of(loop.messages[2])
        assert [b["tool_use_id"] for b in blocks] == [
            b["id"] for b in loop.messages[1]["content"] if b["type"] == "tool_use"
        ]
        assert (blocks[0]["content"], blocks[0]["is_error"]) == ("quick 1", False)
        assert blocks[1]["content"] == (
            "Interrupted (CancelledError) while this call was running. The call was "
            "abandoned, not killed: it may still finish, and have its effects, later."
        )
        assert blocks[2]["content"] == (
            "Interrupted (CancelledError) while this call was running. The call was cancelled."
        )
        if during == "approval":
            assert blocks[3]["content"] == (
                "Not run: the loop was interrupted (CancelledError) before this call was approved."
            )
            assert never.cancelled()  # the question was withdrawn
        assert all(b["is_error"] for b in blocks[1:])
        assert [r.status for r in loop.executions][1:] == ["stopped"] * (len(blocks) - 1)
        assert all(r.detail and r.detail.startswith("interrupted (") for r in loop.executions[1:])

        conversation = await loop.arun(loop.messages)  # resume
        assert conversation[-1]["content"] == [{"type": "text", "text": "resumed"}]
        assert loop.executions == []

    asyncio.run(main())
    names = sorted(name for name, _ in hung.counter.calls)
    assert names == ["hang", "hang", "quick"]  # the sync and the async hang, once each
    assert len(asked) == (1 if during == "approval" else 0)
    assert never_retrieved(caplog) == []


def test_keyboard_interrupt_in_a_sync_approver_interrupts_run(release: threading.Event) -> None:
    counter = Counter()

    def approve(call: ToolCall) -> bool:
        raise KeyboardInterrupt  # Ctrl-C while input() waits for an answer

    loop = approval_loop(counter, approve=approve)
    loop.stop_grace = 30.0
    with pytest.raises(KeyboardInterrupt):
        loop.run("x")
    first, second = results_of(loop.messages[2])
    assert first["content"] == (
        "Not run: the loop was interrupted (KeyboardInterrupt) before this call was approved."
    )
    # read_file started before the question; it either finished or is said interrupted
    assert second["content"] == "contents of /tmp/b" or second["content"].startswith(
        "Interrupted (KeyboardInterrupt)"
    )
    assert loop.stop_reason == "interrupted"


# --------------------------------------------------------------------------- tool ids


def id_turn(*ids: str) -> list[Event]:
    events = [message_start(MODEL)]
    for i, tool_id in enumerate(ids):
        events += tool_events(i, "echo", {"x": i}, tool_id=tool_id)
    return [*events, *message_end("tool_use")]


@pytest.mark.parametrize("driver", DRIVERS)
def test_repeated_and_invalid_tool_ids_are_answered_once_each(driver: Driver) -> None:
    counter = Counter()

    def echo(x: int) -> str:
        counter.add("echo", x=x)
        return f"echo {x}"

    client = ReplayClient(
        [id_turn("toolu_a", "toolu_a", "", "bad id!", "toolu_b"), text_stream("ok")]
    )
    loop = ToolLoop(client, model=MODEL, max_tokens=10, tools=[echo])
    conversation = drive(loop, "go", driver)

    assert counter.calls == [("echo", {"x": 0}), ("echo", {"x": 4})]  # one run per valid id
    uses = [b for b in conversation[1]["content"] if b["type"] == "tool_use"]
    ids = [b["id"] for b in uses]
    assert ids == [
        "toolu_a",
        "toolu_streamscope_1_1",
        "toolu_streamscope_1_2",
        "toolu_streamscope_1_3",
        "toolu_b",
    ]
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]+", i) for i in ids) and len(set(ids)) == len(ids)
    results = results_of(conversation[2])
    assert [r["tool_use_id"] for r in results] == ids  # exactly one result per tool_use
    assert [r["is_error"] for r in results] == [False, True, True, True, False]
    assert results[1]["content"] == (
        "Not run: this call repeated the id 'toolu_a' of an earlier call in the same turn. "
        "Call the tool again if it is still needed."
    )
    assert results[2]["content"].startswith("Not run: this call came without a valid id ('')")
    assert results[3]["content"].startswith("Not run: this call came without a valid id ('bad")
    turn = loop.turns[0]
    assert [(p.kind, p.index, p.data) for p in turn.problems] == [
        ("duplicate_tool_id", 1, {"id": "toolu_a", "sent_as": ids[1], "name": "echo"}),
        ("invalid_tool_id", 2, {"id": "", "sent_as": ids[2], "name": "echo"}),
        ("invalid_tool_id", 3, {"id": "bad id!", "sent_as": ids[3], "name": "echo"}),
    ]
    assert "not run" in turn.problems[0].message
    assert [r.status for r in turn.executions] == ["done", "failed", "failed", "failed", "done"]
    assert turn.executions[1].detail == "repeated id; not run"
    assert turn.executions[2].detail == "no valid id; not run"
    assert turn.state is not None  # the stream is kept as it came
    assert [c.id for c in turn.state.tool_calls] == ["toolu_a", "toolu_a", "", "bad id!", "toolu_b"]
    assert client.requests[1]["messages"] == conversation[:3]
    assert loop.turns[1].problems == []


def test_resumed_calls_with_repeated_ids_fix_a_copy_of_the_conversation() -> None:
    counter = Counter()

    def echo(x: int) -> str:
        counter.add("echo", x=x)
        return f"echo {x}"

    given = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "toolu_a", "name": "echo", "input": {"x": 1}},
                {"type": "tool_use", "id": "toolu_a", "name": "echo", "input": {"x": 2}},
            ],
        },
    ]
    original = copy.deepcopy(given)
    loop = make_loop([text_stream("ok")], [echo])
    conversation = loop.run(given)
    assert given == original  # the caller's messages are untouched
    assert [b["id"] for b in conversation[1]["content"]] == ["toolu_a", "toolu_streamscope_1_1"]
    assert [r["tool_use_id"] for r in results_of(conversation[2])] == [
        "toolu_a",
        "toolu_streamscope_1_1",
    ]
    assert counter.calls == [("echo", {"x": 1})]
    assert [p.kind for p in loop.turns[0].problems] == ["duplicate_tool_id"]


def test_run_history_records_every_status_in_order() -> None:
    counter = Counter()
    loop = approval_loop(
        counter,
        approve=lambda call: True,
    )
    loop.run("x")
    gated, plain = loop.executions
    assert [s for s, _ in gated.history] == ["queued", "awaiting approval", "running", "done"]
    assert [s for s, _ in plain.history] == ["queued", "running", "done"]
    times = [t for _, t in gated.history]
    assert times == sorted(times)
    assert all(s in EXECUTION_STATUSES for run in loop.executions for s, _ in run.history)


def test_an_approved_call_waiting_for_a_worker_is_queued_again() -> None:
    requeued = threading.Event()
    log: list[tuple[str, str]] = []

    def read_file(path: str) -> str:
        assert requeued.wait(5)  # holds the only worker until delete_file waits for it
        return f"contents of {path}"

    def delete_file(path: str) -> str:
        return f"deleted {path}"

    def on_tool_execution(run: ToolExecution) -> None:
        log.append((run.name, run.status))
        if run.name == "delete_file" and run.status == "queued" and run.decision is not None:
            requeued.set()

    loop = make_loop(
        approval_turns(),
        [delete_file, read_file],
        require_approval=["delete_file"],
        approve=lambda call: True,
        max_workers=1,
        on_tool_execution=on_tool_execution,
    )
    conversation = loop.run("x")
    assert [b["content"] for b in results_of(conversation[2])] == [
        "deleted /tmp/a",
        "contents of /tmp/b",
    ]
    statuses = [s for s, _ in loop.executions[0].history]
    assert statuses == ["queued", "awaiting approval", "queued", "running", "done"]
    assert log.count(("delete_file", "queued")) == 2  # tool_queued again, for the same run
