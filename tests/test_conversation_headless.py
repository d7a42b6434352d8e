"""ConversationView without a kernel: a ToolLoop over recorded turns, clicks simulated.

The loop replays the gallery's four-turn ``tool_loop`` conversation (parallel calls, then
``send_email``, which needs approval) with local tools. Clicks are delivered as the custom
messages conversation.js sends; what the panels send back is recorded from their dummy
comms. Blocking runs (sync ``loop.run``, a nested event loop) must say why the buttons
cannot work and use the fallback or raise, never hang.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from html_checks import VIEW_TAGS, assert_inert, tree
from streams import HOSTILE_TEXT, message_end, message_start, parallel_tools_stream, text_events

from streamscope.core import gallery
from streamscope.core.loop import STOPPED_BEFORE_APPROVAL, ToolLoop
from streamscope.core.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.tool_call import ToolCall
from streamscope.widgets import ConversationView, StreamView
from streamscope.widgets.conversation import (
    CLICKS_NEED_AWAIT,
    ApprovalUnavailableError,
    _Header,
    _ToolRuns,
)

TIMEOUT = 20.0
Event = dict[str, Any]


class Tools:
    """The four tools the gallery's tool_loop conversation calls; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def functions(self) -> list[Callable[..., Any]]:
        calls = self.calls

        def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict[str, Any]:
            """Failed runs of a pipeline."""
            calls.append(("list_ci_runs", {"pipeline": pipeline}))
            return {"runs": [{"id": 4812}, {"id": 4815}, {"id": 4819}]}

        def get_team(team: str) -> dict[str, Any]:
            """A team's contact details."""
            calls.append(("get_team", {"team": team}))
            return {"team": team, "email": "platform-team@acme.example"}

        async def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
            """The end of a job's log."""
            calls.append(("get_job_log", {"run_id": run_id}))
            await asyncio.sleep(0.01)
            return f"log of run {run_id} ({job}): <b>exit code 1</b>"

        def send_email(to: list[str], subject: str, body: str) -> dict[str, Any]:
            """Send an email."""
            calls.append(("send_email", {"to": to, "subject": subject}))
            return {"status": "sent"}

        return [list_ci_runs, get_team, get_job_log, send_email]

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def make_loop(tools: Tools, *, sync: bool = False, **kwargs: Any) -> ToolLoop:
    turns = gallery.conversation("tool_loop")
    client = ReplayClient(turns) if sync else AsyncReplayClient(turns)
    return ToolLoop(
        client,
        model="claude-sonnet-4-5",
        max_tokens=8192,
        tools=tools.functions(),
        require_approval=["send_email"],
        **kwargs,
    )


def panels(view: ConversationView) -> list[_ToolRuns]:
    return [child for child in view.box.children if isinstance(child, _ToolRuns)]


def kind(widget: Any) -> str:
    # anywidget makes a subclass per instance: compare with isinstance, not type()
    for cls, name in ((_Header, "header"), (StreamView, "stream"), (_ToolRuns, "runs")):
        if isinstance(widget, cls):
            return name
    return type(widget).__name__


def click(panel: _ToolRuns, content: dict[str, Any]) -> None:
    """Deliver a custom message as if conversation.js had sent it."""
    message = {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    panel._handle_msg(message)


def asking(view: ConversationView) -> tuple[_ToolRuns, dict[str, Any]]:
    for panel in panels(view):
        for row in panel.runs:
            if row["asking"]:
                return panel, row
    raise AssertionError("no row is asking")


async def when_asked(view: ConversationView) -> tuple[_ToolRuns, dict[str, Any]]:
    async def wait() -> None:
        while not view.pending:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), TIMEOUT)
    return asking(view)


def run_with_clicks(
    loop: ToolLoop, view: ConversationView, *clicks: dict[str, Any]
) -> tuple[list[Any], list[tuple[_ToolRuns, dict[str, Any]]]]:
    """``await view.arun(...)`` while clicking ``clicks`` in turn, each when a row asks."""
    seen: list[tuple[_ToolRuns, dict[str, Any]]] = []
    assert view.loop is loop

    async def main() -> list[Any]:
        task = asyncio.ensure_future(view.arun("Why did the nightly build fail?"))
        for content in clicks:
            panel, row = await when_asked(view)
            seen.append((panel, row))
            click(panel, {"type": "decide", "key": row["key"], **content})
            await asyncio.sleep(0.01)
        return await asyncio.wait_for(task, TIMEOUT)

    return asyncio.run(main()), seen


def last_results(messages: list[Any]) -> list[dict[str, Any]]:
    return list(messages[-2]["content"])


class Sent:
    """Every message a widget sends over its dummy comm, JSON-encoded as Jupyter would."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.bytes = 0

    def hook(self, widget: Any) -> None:
        def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
            encoded = json.dumps(data, ensure_ascii=False).encode("utf-8")
            self.messages.append(json.loads(encoded))
            self.bytes += len(encoded)

        widget.comm.send = send


# --------------------------------------------------------------------------- the live picture


def test_one_stream_view_per_turn_then_its_tool_runs() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    messages, seen = run_with_clicks(loop, view, {"approved": True})

    assert loop.stop_reason == "end_turn"
    kinds = [kind(child) for child in view.box.children]
    assert kinds == ["header", *(["stream", "runs"] * 3), "stream"]
    assert len(view.streams) == len(loop.turns) == 4
    for stream, turn in zip(view.streams, loop.turns, strict=True):
        assert turn.state is not None
        assert stream.state.to_message() == turn.state.to_message()
        assert stream.state.event_count == turn.state.event_count
        assert stream.snapshot["status"] == "done"
        assert stream.snapshot["stop_reason"] == turn.state.stop_reason

    rows = [[(r["name"], r["status"]) for r in p.runs] for p in panels(view)]
    assert rows == [
        [("list_ci_runs", "ok"), ("get_team", "ok")],
        [("get_job_log", "ok")] * 3,
        [("send_email", "ok")],
    ]
    assert [p.title for p in panels(view)] == ["Turn 1", "Turn 2", "Turn 3"]
    for panel in panels(view):
        for row in panel.runs:
            assert row["elapsed"] is not None and row["elapsed"] >= 0
            assert row["asking"] is False and row["result"]
    job_log = panels(view)[1].runs[0]
    assert job_log["result"] == "log of run 4812 (test-integration): <b>exit code 1</b>"
    assert job_log["args"].startswith('{"run_id": 4812')
    # the approval prompt carried the full arguments, not a preview
    panel, row = seen[0]
    assert row["status"] == "awaiting_approval" and row["approval"] is True
    full = json.loads(panel.arguments[row["key"]])
    assert full == loop.turns[2].runs[0].call.input
    assert len(full["body"]) > 300 and row["args"].endswith("…")

    assert tools.names().count("send_email") == 1
    assert view._header.status == "done"
    assert view._header.info["runs"] == {"ok": 6}
    assert view._header.info["stop_reason"] == "end_turn"
    assert view._header.stop == "off" and view._header.notice == ""
    assert not loop.observer_errors
    assert messages == loop.messages


@pytest.mark.parametrize(
    ("decision", "content", "is_error", "sent_subject"),
    [
        ({"approved": True}, '{"status": "sent"}', False, "Nightly failures"),
        (
            {"approved": False, "reason": "  not on a Monday  "},
            "The user denied this tool call: not on a Monday",
            True,
            None,
        ),
        ({"approved": False, "reason": ""}, "The user denied this tool call.", True, None),
        (
            {
                "approved": True,
                "input": json.dumps(
                    {"to": ["me@acme.example"], "subject": "Draft: nightly", "body": "b"}
                ),
            },
            None,
            False,
            "Draft: nightly",
        ),
    ],
    ids=["approve", "deny-with-reason", "deny", "approve-edited"],
)
def test_a_click_answers_the_approval(
    decision: dict[str, Any], content: str | None, is_error: bool, sent_subject: str | None
) -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    messages, _ = run_with_clicks(loop, view, {**decision, "sent_at": 0})

    (result,) = last_results(messages)
    assert result["is_error"] is is_error
    if content is not None:
        assert result["content"] == content
    sent = [args for name, args in tools.calls if name == "send_email"]
    if sent_subject is None:
        assert sent == []  # a denied tool never runs
    else:
        assert [args["subject"][: len(sent_subject)] for args in sent] == [sent_subject]

    panel = panels(view)[-1]
    (row,) = panel.runs
    edited = "input" in decision
    assert row["decision"] == {
        "approved": decision["approved"],
        "reason": (decision.get("reason") or "").strip() or None,
        "edited": edited,
    }
    assert row["status"] == ("ok" if decision["approved"] else "denied")
    if edited:
        assert result["content"].startswith("(The user edited the arguments")
        assert json.loads(panel.arguments[row["key"]])["subject"] == "Draft: nightly"
    (logged,) = view.decisions
    assert logged["name"] == "send_email" and logged["edited"] is edited
    assert logged["latency"] is not None  # sent_at was given (0: a very old click)


def test_invalid_edited_arguments_are_refused_until_fixed() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    errors: list[str] = []

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))
        panel, row = await when_asked(view)
        key = row["key"]
        for bad in ("{not json", "[1, 2]", '{"to": "x"}', 42):
            click(panel, {"type": "decide", "key": key, "approved": True, "input": bad})
            await asyncio.sleep(0.01)
            assert view.pending, "a refused edit must not answer the approval"
            errors.append(panel.errors[key]["text"])
            assert panel.runs[int(key)]["asking"] is True
        counts = panel.errors[key]["n"]
        good = {"to": ["x@acme.example"], "subject": "s", "body": "b"}
        click(panel, {"type": "decide", "key": key, "approved": True, "input": json.dumps(good)})
        messages = await asyncio.wait_for(task, TIMEOUT)
        assert counts == 4 and key not in panel.errors
        return messages

    messages = asyncio.run(main())
    assert errors[0].startswith("Invalid JSON")
    assert "JSON object" in errors[1]
    assert "subject" in errors[2] and "body" in errors[2]  # the tool's own validation
    assert "JSON text" in errors[3]
    assert [a["to"] for n, a in tools.calls if n == "send_email"] == [["x@acme.example"]]
    assert last_results(messages)[0]["is_error"] is False


def test_late_and_unknown_clicks_change_nothing() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))
        panel, row = await when_asked(view)
        click(panel, {"type": "decide", "key": "99", "approved": True})
        click(panel, {"type": "bogus"})
        click(panel, ["not", "a", "dict"])  # type: ignore[arg-type]
        assert view.pending
        click(panel, {"type": "decide", "key": row["key"], "approved": False, "reason": "no"})
        click(panel, {"type": "decide", "key": row["key"], "approved": True})  # double click
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    assert len(view.decisions) == 1 and view.decisions[0]["approved"] is False
    assert "send_email" not in tools.names()
    assert last_results(messages)[0]["content"] == "The user denied this tool call: no"


def test_stop_button_while_an_approval_waits() -> None:
    tools = Tools()
    view = ConversationView(flush_timer=False)
    loop = make_loop(tools, observer=view)  # the other way to attach a view

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))
        await when_asked(view)
        assert view.loop is loop
        assert view._header.status == "approval" and view._header.stop == "on"
        message = {"content": {"data": {"method": "custom", "content": {"type": "stop"}}}}
        view._header._handle_msg({**message, "buffers": []})
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    assert loop.stop_reason == "stopped"
    assert messages[-1]["role"] == "user"  # the results of the stopped turn come last
    assert messages[-1]["content"][0]["content"] == STOPPED_BEFORE_APPROVAL
    (row,) = panels(view)[-1].runs
    assert row["status"] == "denied" and row["asking"] is False
    assert view._header.status == "stopped" and view._header.stop == "off"
    assert view.pending == [] and "send_email" not in tools.names()
    assert len(view.streams) == 3  # no request after the stop


# --------------------------------------------------------------------------- blocking runs


def run_in_thread(fn: Callable[[], Any]) -> Any:
    """``fn()`` in a thread; fails (instead of hanging the suite) after TIMEOUT seconds."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "the run hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_sync_run_explains_and_raises_instead_of_hanging() -> None:
    tools = Tools()
    loop = make_loop(tools, sync=True)
    view = ConversationView(loop, flush_timer=False)
    with pytest.raises(ApprovalUnavailableError, match=r"await loop\.arun"):
        run_in_thread(lambda: loop.run("go"))
    assert CLICKS_NEED_AWAIT in view._header.notice
    assert "loop.run" in view._header.notice
    (row,) = panels(view)[-1].runs
    assert row["name"] == "send_email" and row["asking"] is False
    assert CLICKS_NEED_AWAIT in row["note"]
    assert "send_email" not in tools.names()
    assert view._header.status == "failed"

    # The recommended way picks up where it stopped: the unanswered call is asked again.
    loop.client = AsyncReplayClient([gallery.conversation("tool_loop")[-1]])
    messages, _ = run_with_clicks_resume(loop, view)
    assert tools.names().count("send_email") == 1
    assert messages[-1]["role"] == "assistant"
    assert panels(view)[-1].title == "Run 2 · resumed calls"


def run_with_clicks_resume(loop: ToolLoop, view: ConversationView) -> tuple[list[Any], None]:
    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun(loop.messages))
        panel, row = await when_asked(view)
        assert view._header.notice == "" and view._header.stop == "on"
        click(panel, {"type": "decide", "key": row["key"], "approved": True})
        return await asyncio.wait_for(task, TIMEOUT)

    return asyncio.run(main()), None


def test_sync_run_uses_the_fallback_approver() -> None:
    tools = Tools()
    loop = make_loop(tools, sync=True)
    asked: list[str] = []

    def fallback(call: ToolCall) -> Any:
        asked.append(call.name)
        return (False, "answered without clicks")

    view = ConversationView(loop, approve=fallback, flush_timer=False)
    messages = run_in_thread(lambda: loop.run("go"))
    assert asked == ["send_email"]
    assert last_results(messages)[0]["content"] == (
        "The user denied this tool call: answered without clicks"
    )
    assert loop.stop_reason == "end_turn"
    assert CLICKS_NEED_AWAIT in view._header.notice
    assert view._header.status == "done"
    assert [kind(c) for c in view.box.children].count("stream") == 4


def test_a_nested_event_loop_cannot_hear_clicks() -> None:
    """``nest_asyncio``-style: an inner loop run inside a task of the outer one."""
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, approve=lambda call: True, flush_timer=False)

    async def outer() -> list[Any]:
        inner = asyncio.new_event_loop()
        running = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(None)
        try:
            return inner.run_until_complete(loop.arun("go"))
        finally:
            asyncio.events._set_running_loop(running)
            inner.close()

    messages = asyncio.run(asyncio.wait_for(outer(), TIMEOUT))
    assert "nested event loop" in view._header.notice
    assert last_results(messages)[0]["is_error"] is False
    assert tools.names().count("send_email") == 1


# --------------------------------------------------------------------------- traffic, static


def test_tool_runs_travel_as_small_state() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    sent: dict[int, Sent] = {}
    original = view._panel

    def hooked(turn: int) -> _ToolRuns:
        panel = original(turn)
        if turn not in sent:
            sent[turn] = Sent()
            sent[turn].hook(panel)
        return panel

    view._panel = hooked  # type: ignore[method-assign]
    run_with_clicks(loop, view, {"approved": True})
    for turn, record in sent.items():
        assert all(m["method"] == "update" for m in record.messages)
        assert record.bytes < 16_000, (turn, record.bytes)
    approval = sent[3].messages
    assert sum("arguments" in m["state"] for m in approval) == 1  # full arguments once
    assert len(approval) <= 8


def hostile_turns() -> list[list[Event]]:
    first = parallel_tools_stream(
        [(f"evil{HOSTILE_TEXT}", {"x": HOSTILE_TEXT}), ("echo", {"text": HOSTILE_TEXT})]
    )
    for event in first:
        block = event.get("content_block")
        if isinstance(block, dict) and block.get("type") == "tool_use":
            block["id"] = f"toolu_{HOSTILE_TEXT}"
    last = [message_start("claude-sonnet-4-5"), *text_events(0, "done"), *message_end()]
    return [first, last]


def test_static_picture_escapes_every_model_string() -> None:
    def echo(text: str) -> str:
        """Echo."""
        return text

    loop = ToolLoop(
        AsyncReplayClient(hostile_turns()),
        model="claude-sonnet-4-5",
        max_tokens=100,
        tools=[echo],
        require_approval=["echo"],
    )
    view = ConversationView(loop, flush_timer=False)
    run_with_clicks(loop, view, {"approved": True})
    rows = panels(view)[0].runs
    assert [r["status"] for r in rows] == ["error", "ok"]
    assert rows[1]["result"] == HOSTILE_TEXT and HOSTILE_TEXT in rows[0]["result"]

    data, _ = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    page = data["text/html"]
    assert_inert(page, VIEW_TAGS)
    root = tree(page)
    conv = root.one("ss-conv")
    assert conv.attrs["data-status"] == "done"
    assert len(conv.select("ss-view")) == 2
    cards = conv.select("ss-conv-run")
    assert [c.attrs["data-status"] for c in cards] == ["error", "ok"]
    assert cards[0].one("ss-conv-run-name").text() == f"evil{HOSTILE_TEXT}"
    assert cards[1].one("ss-conv-result").text() == HOSTILE_TEXT
    assert cards[1].one("ss-conv-decision").text() == "approved"
    assert json.loads(cards[1].one("ss-conv-args-full").text()) == {"text": HOSTILE_TEXT}
    assert "turn 2" in conv.one("ss-conv-info").text()


def test_parallel_approvals_are_answered_in_any_order() -> None:
    emails = [
        ("send_email", {"to": [f"{who}@acme.example"], "subject": who, "body": "b"})
        for who in ("first", "second")
    ]
    turns = [
        parallel_tools_stream(emails),
        [message_start("claude-sonnet-4-5"), *text_events(0, "ok"), *message_end()],
    ]
    tools = Tools()
    loop = ToolLoop(
        AsyncReplayClient(turns),
        model="claude-sonnet-4-5",
        max_tokens=100,
        tools=tools.functions(),
        require_approval=["send_email"],
    )
    view = ConversationView(loop, flush_timer=False)

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))

        async def both_asking() -> None:
            while len(view.pending) < 2:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(both_asking(), TIMEOUT)
        (panel,) = panels(view)
        assert [r["asking"] for r in panel.runs] == [True, True]
        assert view._header.status == "approval"
        click(panel, {"type": "decide", "key": "1", "approved": False, "reason": "dup"})
        await asyncio.sleep(0.01)
        assert [r["asking"] for r in panel.runs] == [True, False]
        click(panel, {"type": "decide", "key": "0", "approved": True})
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    first, second = last_results(messages)
    assert first["is_error"] is False and second["content"].endswith(": dup")
    assert [a["subject"] for n, a in tools.calls if n == "send_email"] == ["first"]
    assert [r["status"] for r in panels(view)[0].runs] == ["ok", "denied"]


def test_arun_needs_a_loop() -> None:
    with pytest.raises(RuntimeError, match="no loop attached"):
        asyncio.run(ConversationView(flush_timer=False).arun("go"))


def test_a_turn_cut_by_stop_shows_as_stopped() -> None:
    tools = Tools()
    view = ConversationView(flush_timer=False)
    holder: dict[str, ToolLoop] = {}

    def stop_early(turn: Any, event: Any, change: Any) -> None:
        if turn.state is not None and turn.state.event_count == 5:
            holder["loop"].stop()

    loop = make_loop(tools, observer=view, on_event=stop_early)
    holder["loop"] = loop
    asyncio.run(asyncio.wait_for(loop.arun("go"), TIMEOUT))
    assert loop.stop_reason == "stopped"
    (stream,) = view.streams
    assert stream.snapshot["status"] == "stopped"
    assert stream.state.event_count == 5
