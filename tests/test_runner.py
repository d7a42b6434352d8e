"""The SDK's own tool runner in a ConversationView: ``RunnerWatch``, ``show_runner``,
``ashow_runner``.

The real ``anthropic`` client runs ``client.beta.messages.tool_runner(..., stream=True)`` over
``httpx2.MockTransport``, which serves the gallery's four recorded ``tool_loop`` turns and
keeps every request body. The SDK runs the tools; the tests check the tool results the SDK
sent in its next request against what the view shows (its static picture), that each
event was applied once, and that Stop (a click on the view) closes the runner.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import anthropic
import pytest
from anthropic import beta_async_tool, beta_tool
from anthropic.lib.tools import ToolError
from mock_api import MockAPI
from view_harness import deliver

from streamscope.core.io import gallery
from streamscope.core.loop.runner_watch import BLOCKING_NOTICE, STOPPED, RunnerWatch
from streamscope.core.stream.state import StreamState
from streamscope.widgets import ConversationView, ashow_runner, show_runner, watch_runner

MODEL = "claude-test"
QUESTION: Any = [{"role": "user", "content": "Why did the nightly build fail?"}]
TIMEOUT = 20.0
RUN_STATUS = re.compile(r'<div class="ss-conv-run" data-status="([a-z ]+)"')
CONV_STATUS = re.compile(r'<div class="ss-conv [^"]*" data-status="([a-z ]+)"')


def recorded_turns() -> list[list[dict[str, Any]]]:
    return [gallery.load_events(f"tool_loop.turn{n}") for n in range(1, 5)]


def sdk_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events a MessageStream hands on: all but ``ping`` (not in the SDK's union)."""
    return [event for event in events if event["type"] != "ping"]


def log_text(run_id: int, job: str) -> str:
    return f"run {run_id} ({job}): <b>exit code 1</b>"


def sync_tools(calls: list[str]) -> list[Any]:
    @beta_tool
    def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> str:
        """Failed runs of a pipeline."""
        calls.append("list_ci_runs")
        return json.dumps({"runs": [4812, 4815, 4819]})

    @beta_tool
    def get_team(team: str) -> str:
        """A team's contact details."""
        calls.append("get_team")
        return "platform-team@acme.example"

    @beta_tool
    def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
        """The end of a job's log."""
        calls.append("get_job_log")
        return log_text(run_id, job)

    @beta_tool
    def send_email(to: list[str], subject: str, body: str) -> str:
        """Send an email."""
        calls.append("send_email")
        raise ToolError("SMTP relay refused the message")

    return [list_ci_runs, get_team, get_job_log, send_email]


def async_tools(calls: list[str], hang: asyncio.Event | None = None) -> list[Any]:
    @beta_async_tool
    async def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> str:
        """Failed runs of a pipeline."""
        calls.append("list_ci_runs")
        return json.dumps({"runs": [4812, 4815, 4819]})

    @beta_async_tool
    async def get_team(team: str) -> str:
        """A team's contact details."""
        calls.append("get_team")
        if hang is not None:
            await hang.wait()  # never set: only Stop ends it
        return "platform-team@acme.example"

    @beta_async_tool
    async def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
        """The end of a job's log."""
        calls.append("get_job_log")
        return log_text(run_id, job)

    @beta_async_tool
    async def send_email(to: list[str], subject: str, body: str) -> str:
        """Send an email."""
        calls.append("send_email")
        raise ToolError("SMTP relay refused the message")

    return [list_ci_runs, get_team, get_job_log, send_email]


def async_runner(server: MockAPI, tools: list[Any]) -> Any:
    return server.async_client().beta.messages.tool_runner(
        model=MODEL, max_tokens=8192, tools=tools, messages=QUESTION, stream=True
    )


def sync_runner(server: MockAPI, tools: list[Any]) -> Any:
    return server.sync_client().beta.messages.tool_runner(
        model=MODEL, max_tokens=8192, tools=tools, messages=QUESTION, stream=True
    )


class Observer:
    """Every hook a ToolLoop observer gets, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name in ("loop_started", "loop_finished", "turn_started", "turn_finished", "event"):
            return lambda *args: self.calls.append(name)
        if name.startswith("tool_"):
            return lambda run: self.calls.append(f"{name}:{run.name}:{run.status}")
        raise AttributeError(name)


def sent_results(server: MockAPI) -> list[list[dict[str, Any]]]:
    """The tool_result blocks of each request after the first (what the SDK sent back)."""
    out = []
    for body in server.bodies[1:]:
        last = body["messages"][-1]
        assert last["role"] == "user"
        out.append([b for b in last["content"] if b["type"] == "tool_result"])
    return out


def check_whole_run(watch: RunnerWatch, view: ConversationView, server: MockAPI) -> None:
    turns = recorded_turns()
    assert len(server.bodies) == 4 and all(body["stream"] is True for body in server.bodies)
    assert [len(t.executions) for t in watch.turns] == [2, 3, 1, 0]
    # Each turn's events were applied once: the state equals one fed the recording.
    for turn, events in zip(watch.turns, turns, strict=True):
        reference = StreamState()
        for event in sdk_events(events):
            reference.apply(event)
        assert turn.state is not None
        assert turn.state.event_count == reference.event_count
        assert turn.state.to_message() == reference.to_message()
    # The results the SDK sent are exactly what the runs hold, in call order.
    for turn, sent in zip(watch.turns, sent_results(server), strict=False):
        assert [b["tool_use_id"] for b in sent] == [run.id for run in turn.executions]
        for run, block in zip(turn.executions, sent, strict=True):
            assert run.content == block["content"]
            assert run.is_error == bool(block.get("is_error"))
            assert run.status == ("failed" if run.is_error else "done")
            assert run.started_at is not None and run.finished_at is not None
        assert turn.tool_results is not None and turn.tool_results["content"] == sent
    (email,) = watch.turns[2].executions
    assert email.name == "send_email" and email.is_error
    assert email.error == "SMTP relay refused the message"
    assert watch.stop_reason == "end_turn" and not watch.observer_errors
    # each turn knows the request the SDK sent (its tools: the arguments are checked live;
    # the newest turn's request box shows it to send again), with no key in it
    for turn, body in zip(watch.turns, server.bodies, strict=True):
        assert turn.state is not None and turn.state.request is not None
        assert turn.state.request["messages"] == body["messages"]
        assert turn.state.request.get("tools") == body.get("tools")  # (a thread sends them once)
        assert all(not call.violations for call in turn.state.tool_calls)
        assert set(turn.state.tool_schemas) >= {"get_job_log"}  # checked on every turn
    first = watch.turns[0].state
    assert first is not None and first.request is not None
    names = {t["name"] for t in first.request["tools"]}
    assert names == {"list_ci_runs", "get_team", "get_job_log", "send_email"}

    html = view.static_html()
    assert CONV_STATUS.findall(html) == ["done"]
    assert RUN_STATUS.findall(html) == ["done"] * 5 + ["failed"]
    assert "SMTP relay refused the message" in html
    assert "run 4812 (test-integration): &lt;b&gt;exit code 1&lt;/b&gt;" in html  # escaped, as text
    assert html.count('class="ss-conv-turn"') == 4
    assert 'class="ss-conv-approval"' not in html and "<button" not in html


def test_ashow_runner_shows_every_turn_and_the_results_the_sdk_sent() -> None:
    server = MockAPI(recorded_turns())
    calls: list[str] = []
    view = ConversationView(flush_timer=False)
    observer = Observer()
    watch = watch_runner(async_runner(server, async_tools(calls)), view)
    watch.observers.append(observer)

    message = asyncio.run(asyncio.wait_for(watch.arun(), TIMEOUT))

    assert isinstance(message, anthropic.types.beta.BetaMessage)
    assert message.stop_reason == "end_turn" and message.content[-1].type == "text"
    assert message.id == watch.turns[-1].state.message_id  # type: ignore[union-attr]
    assert calls == ["list_ci_runs", "get_team", *["get_job_log"] * 3, "send_email"]
    check_whole_run(watch, view, server)
    # The hooks a ToolLoop calls, in its order.
    hooks = [c for c in observer.calls if c != "event"]
    assert hooks[:7] == [
        "loop_started",
        "turn_started",
        "turn_finished",
        "tool_queued:list_ci_runs:queued",
        "tool_queued:get_team:queued",
        "tool_started:list_ci_runs:running",
        "tool_started:get_team:running",
    ]
    assert hooks[7:9] == ["tool_finished:list_ci_runs:done", "tool_finished:get_team:done"]
    assert "tool_finished:send_email:failed" in hooks and hooks[-1] == "loop_finished"
    assert observer.calls.count("event") == sum(len(sdk_events(t)) for t in recorded_turns())


def test_show_runner_with_a_sync_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda view: shown.append(view))
    server = MockAPI(recorded_turns())
    calls: list[str] = []

    message = show_runner(sync_runner(server, sync_tools(calls)), flush_timer=False)

    (view,) = shown
    assert isinstance(view, ConversationView)
    assert message.stop_reason == "end_turn"
    assert len(calls) == 6
    watch: Any = view.loop  # typed ToolLoop; a RunnerWatch quacks like one
    assert isinstance(watch, RunnerWatch)
    check_whole_run(watch, view, server)
    # A blocking cell: the view says why Stop cannot be heard, in the runner's words.
    assert view._conv.notes.notice == BLOCKING_NOTICE
    assert "show_runner" in BLOCKING_NOTICE and "loop.run" not in BLOCKING_NOTICE


def test_stop_clicked_while_the_sdk_runs_the_tools_closes_the_runner() -> None:
    server = MockAPI(recorded_turns())
    calls: list[str] = []

    async def main() -> tuple[Any, ConversationView, RunnerWatch]:
        hang = asyncio.Event()
        view = ConversationView(flush_timer=False)
        watch = watch_runner(async_runner(server, async_tools(calls, hang)), view)
        task = asyncio.ensure_future(watch.arun())
        while "get_team" not in calls:  # the SDK is inside the hanging tool
            await asyncio.sleep(0.002)
        assert [run.status for run in watch.executions] == ["running", "running"]
        deliver(view, {"type": "action", "action": "stop", "token": view.token})
        return await asyncio.wait_for(task, TIMEOUT), view, watch

    message, view, watch = asyncio.run(main())

    assert len(server.bodies) == 1  # no request after Stop
    assert message is watch.final_message and message.stop_reason == "tool_use"
    assert watch.stop_reason == "stopped" and watch.runner._closed
    assert [(run.status, run.detail) for run in watch.executions] == [("stopped", STOPPED)] * 2
    html = view.static_html()
    assert CONV_STATUS.findall(html) == ["stopped"]
    assert RUN_STATUS.findall(html) == ["stopped", "stopped"]


def test_stop_while_a_turn_streams_keeps_what_arrived() -> None:
    server = MockAPI(recorded_turns())

    class StopInTurnTwo:
        def event(self, turn: Any, event: Any, change: Any) -> None:
            if turn.number == 2 and turn.state.event_count == 10:
                watch.stop()

    async def main() -> Any:
        return await watch.arun()

    view = ConversationView(flush_timer=False)
    watch = watch_runner(async_runner(server, async_tools([])), view)
    watch.observers.append(StopInTurnTwo())
    message = asyncio.run(main())

    assert len(server.bodies) == 2 and watch.stop_reason == "stopped"
    first, second = watch.turns
    assert message is watch.final_message and message.id == first.state.message_id  # type: ignore[union-attr]
    assert second.message is None and second.interrupted and second.executions == []
    assert second.state is not None and second.state.event_count == 10
    html = view.static_html()
    assert CONV_STATUS.findall(html) == ["stopped"]
    assert "ended without message_stop" not in html  # a Stop is not a problem


def test_wrong_kind_of_runner_is_refused_before_any_request() -> None:
    server = MockAPI(recorded_turns())
    client = server.async_client()
    not_streaming = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=64, tools=async_tools([]), messages=QUESTION
    )
    with pytest.raises(TypeError, match=r"stream=True"):
        watch_runner(not_streaming)
    with pytest.raises(TypeError, match="ashow_runner"):
        show_runner(async_runner(server, async_tools([])))
    with pytest.raises(TypeError, match="show_runner"):
        asyncio.run(ashow_runner(sync_runner(server, sync_tools([]))))
    with pytest.raises(TypeError, match="tool_runner"):
        RunnerWatch(object())
    assert server.bodies == []


def test_a_runner_that_fails_says_why_in_the_view() -> None:
    """The second request finds no answer (the transport raises): the run fails, the view
    keeps the first turn and says why, as a ToolLoop's does."""
    server = MockAPI(recorded_turns()[:1])
    view = ConversationView(flush_timer=False)
    watch = watch_runner(async_runner(server, async_tools([])), view)

    with pytest.raises(anthropic.APIError):
        asyncio.run(asyncio.wait_for(watch.arun(), TIMEOUT))

    assert watch.stop_reason == "error" and not watch.observer_errors
    assert watch.failure is not None and watch.failure.startswith("API")
    html = view.static_html()
    assert CONV_STATUS.findall(html) == ["failed"]
    assert watch.failure.split(":")[0] in html
    assert html.count('class="ss-conv-turn"') >= 1
