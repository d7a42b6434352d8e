"""ConversationView without a kernel: a ToolLoop over recorded turns, clicks simulated.

The loop replays the gallery's four-turn ``tool_loop`` conversation (parallel calls, then
``send_email``, which needs approval) with local tools. Clicks arrive as the ``action``
messages surface.js sends (with the view's token); what the view sends is recorded from its
dummy comm. Blocking runs (sync ``loop.run``, a nested event loop) must say why the buttons
cannot work and use the fallback or raise, never hang.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from html_checks import VIEW_TAGS, Node, assert_inert, tree
from streams import HOSTILE_TEXT, message_end, message_start, parallel_tools_stream, text_events
from view_harness import Recorder, deliver, page_parts

from streamscope.core.io import gallery
from streamscope.core.io.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.loop.records import ToolExecution
from streamscope.core.loop.tool_loop import ToolLoop
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.tool_call import ToolCall
from streamscope.widgets import ConversationView
from streamscope.widgets.loop_view import CLICKS_NEED_AWAIT, NOBODY
from streamscope.widgets.render.loop import ConversationPicture
from streamscope.widgets.render.page import stylesheet

TIMEOUT = 20.0
Event = dict[str, Any]


class Tools:
    """The four tools the gallery's tool_loop conversation calls; records every call."""

    def __init__(self, job_log_seconds: float = 0.0) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.job_log_seconds = job_log_seconds
        """How long a log fetch takes (async: the three of turn 2 overlap)."""

    def functions(self) -> list[Callable[..., Any]]:
        calls = self.calls
        seconds = self.job_log_seconds

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
            if seconds:
                await asyncio.sleep(seconds)
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


def click(view: ConversationView, run: ToolExecution, action: str, **fields: Any) -> None:
    """A click on the approval form of ``run``, as surface.js sends it."""
    deliver(
        view,
        {
            "type": "action",
            "action": action,
            "key": ConversationPicture.run_key(run),
            "token": view.token,
            "fields": fields,
        },
    )


async def when_asked(view: ConversationView, count: int = 1) -> list[ToolExecution]:
    """Wait (events, not time) until ``count`` runs wait for a click; fail after TIMEOUT."""

    async def wait() -> None:
        while len(view.pending) < count:
            await asyncio.sleep(0.002)

    await asyncio.wait_for(wait(), TIMEOUT)
    return view.pending


def run_with_clicks(loop: ToolLoop, view: ConversationView, *clicks: dict[str, Any]) -> list[Any]:
    """``await view.arun(...)`` while answering each approval in turn with ``clicks``."""

    async def main() -> list[Any]:
        task = asyncio.ensure_future(view.arun("Why did the nightly build fail?"))
        for content in clicks:
            (run,) = await when_asked(view)
            click(view, run, **content)
        return await asyncio.wait_for(task, TIMEOUT)

    return asyncio.run(main())


def last_results(messages: list[Any]) -> list[dict[str, Any]]:
    return list(messages[-2]["content"])


def picture(view: ConversationView) -> Node:
    return tree(view.static_html()).one("ss-conv")


def live(view: ConversationView) -> str:
    """Everything the live page holds, controls included."""
    with view._lock:
        view._flush()
        return view._store.expand("conv", controls=True)


# --------------------------------------------------------------------------- the picture


def test_each_turn_shows_its_stream_then_its_tool_runs() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    messages = run_with_clicks(loop, view, {"action": "approve"})

    assert loop.stop_reason == "end_turn" and messages == loop.messages
    conv = picture(view)
    assert conv.attrs["data-status"] == "done"
    turns = conv.select("ss-conv-turn")
    assert len(turns) == len(loop.turns) == 4
    for section, turn in zip(turns, loop.turns, strict=True):
        view_el = section.one("ss-view")
        assert view_el.one("ss-title").text() == f"Turn {turn.number}"
        assert view_el.one("ss-status").text() == "done"
    cards = [[c.one("ss-conv-run-name").text() for c in t.select("ss-conv-run")] for t in turns]
    assert cards == [["list_ci_runs", "get_team"], ["get_job_log"] * 3, ["send_email"], []]
    statuses = {c.attrs["data-status"] for c in conv.select("ss-conv-run")}
    assert statuses == {"done"}
    job_log = turns[1].select("ss-conv-run")[0]
    assert job_log.one("ss-conv-result-text").text() == (
        "log of run 4812 (test-integration): <b>exit code 1</b>"
    )
    subtitle = turns[0].one("ss-subtitle").text()
    assert "2 tool calls" in subtitle and "stop: tool_use" in subtitle
    header = conv.one("ss-conv-header").text()
    assert "4 turns" in header and "6 tool calls" in header and "input tokens" in header
    assert conv.select("ss-conv-approval") == []  # controls never reach the static picture
    assert tools.names().count("send_email") == 1
    assert not loop.observer_errors


def test_each_event_is_reduced_once(monkeypatch: pytest.MonkeyPatch) -> None:
    applied: list[StreamState] = []  # the states themselves: ids of freed ones are reused
    original = StreamState.apply

    def counting(self: StreamState, event: Any, at: float | None = None) -> Any:
        applied.append(self)
        return original(self, event, at)

    monkeypatch.setattr(StreamState, "apply", counting)
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    run_with_clicks(loop, view, {"action": "approve"})
    # (the replay client reduces its own copy to answer get_final_message(): not ours)
    for turn in loop.turns:
        assert turn.state is not None
        assert sum(state is turn.state for state in applied) == turn.state.event_count
    assert [p.state for p in view.streams] == [t.state for t in loop.turns]
    assert not [v for v in vars(view).values() if isinstance(v, StreamState)]


def test_a_waiting_approval_is_under_the_header_and_in_it() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)

    async def main() -> None:
        task = asyncio.ensure_future(loop.arun("go"))
        (run,) = await when_asked(view)
        page = tree(live(view)).one("ss-conv")
        assert page.one("ss-conv-waiting").text() == "1 approval waiting"
        waiting = page.one("ss-conv-waiting")  # a button at the top that scrolls to it
        assert "ss-btn" in waiting.classes and waiting.attrs["href"] == "#ss-conv-approvals"
        children = [c for c in page.children if c.tag == "div"]
        # right under the header, before every turn: the top of the output is where the
        # eye is after Run All (at the bottom it was 4,000 px below the viewport)
        assert "ss-conv-header" in children[0].classes
        assert "ss-conv-approvals" in children[1].classes
        assert children[1].attrs["id"] == "ss-conv-approvals"
        assert [c for c in children if "ss-conv-turns" in c.classes]
        form = children[1].one("ss-conv-approval")
        assert form.one(tag="strong").text() == "send_email"
        body = form.one("ss-t")  # the email body reads as lines, not "\n\n"
        assert body.tag == "pre" and "\n\n" in body.text()
        card = page.select("ss-conv-run", data_status="awaiting approval")
        assert len(card) == 1
        click(view, run, "approve")
        await asyncio.wait_for(task, TIMEOUT)
        assert tree(live(view)).select("ss-conv-approval") == []

    asyncio.run(main())


@pytest.mark.parametrize(
    ("action", "fields", "content", "is_error", "sent_subject"),
    [
        ("approve", {}, '{"status": "sent"}', False, "Nightly failures"),
        (
            "deny",
            {"reason": "  not on a Monday  "},
            "The user denied this tool call: not on a Monday",
            True,
            None,
        ),
        ("deny", {"reason": ""}, "The user denied this tool call.", True, None),
        (
            "approve",
            {
                "input": json.dumps(
                    {"to": ["me@acme.example"], "subject": "Draft: nightly", "body": "b"}
                )
            },
            None,
            False,
            "Draft: nightly",
        ),
    ],
    ids=["approve", "deny-with-reason", "deny", "approve-edited"],
)
def test_a_click_answers_the_approval(
    action: str,
    fields: dict[str, Any],
    content: str | None,
    is_error: bool,
    sent_subject: str | None,
) -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    messages = run_with_clicks(loop, view, {"action": action, **fields})
    (result,) = last_results(messages)
    assert result["is_error"] is is_error
    if content is not None:
        assert result["content"] == content
    sent = [args for name, args in tools.calls if name == "send_email"]
    if sent_subject is None:
        assert sent == []  # a denied tool never runs
    else:
        assert [args["subject"][: len(sent_subject)] for args in sent] == [sent_subject]
    edited = "input" in fields
    if edited:
        assert result["content"].startswith("(The user edited the arguments")
    (logged,) = view.decisions
    assert logged["name"] == "send_email" and logged["edited"] is edited
    card = picture(view).select("ss-conv-run")[-1]
    decision = card.one("ss-conv-decision").text()
    if action == "approve":
        assert decision.startswith("approved")
    else:  # the head says "denied"; the card says it once (issue 18), with who and why
        assert decision.startswith("by you")
        assert card.text().lower().count("denied") == 2  # the head, and the result sent
        assert card.one("ss-conv-run-status").text() == "denied"


def test_invalid_edited_arguments_are_refused_until_fixed() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    errors: list[str] = []

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))
        (run,) = await when_asked(view)
        for bad in ("{not json", "[1, 2]", '{"to": "x"}'):
            click(view, run, "approve", input=bad)
            assert view.pending == [run], "a refused edit must not answer the approval"
            errors.append(tree(live(view)).one("ss-conv-refusal").text())
        good = {"to": ["x@acme.example"], "subject": "s", "body": "b"}
        click(view, run, "approve", input=json.dumps(good))
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    assert errors[0].startswith("Invalid JSON")
    assert "JSON object" in errors[1]
    assert "subject" in errors[2] and "body" in errors[2]  # the tool's own validation
    assert [a["to"] for n, a in tools.calls if n == "send_email"] == [["x@acme.example"]]
    assert last_results(messages)[0]["is_error"] is False


def test_late_forged_and_unknown_clicks_change_nothing() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))
        (run,) = await when_asked(view)
        key = ConversationPicture.run_key(run)
        deliver(view, {"type": "action", "action": "approve", "key": "run-0", "token": view.token})
        deliver(view, {"type": "action", "action": "approve", "key": key, "token": "forged"})
        deliver(view, {"type": "bogus"})
        deliver(view, ["not", "a", "dict"])  # type: ignore[arg-type]
        assert view.pending == [run]
        click(view, run, "deny", reason="no")
        click(view, run, "approve")  # a double click
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
        assert view.loop is loop and view.status == "approval"
        assert 'data-ss-action="stop"' in live(view)
        deliver(view, {"type": "action", "action": "stop", "token": view.token})
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    assert loop.stop_reason == "stopped"
    assert messages[-1]["role"] == "user"  # the results of the stopped turn come last
    assert view.status == "stopped" and view.pending == []
    assert "send_email" not in tools.names()
    assert len(view.streams) == 3  # no request after the stop
    assert 'data-ss-action="stop"' not in live(view)


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
    assert stream.status == "stopped" and stream.state.event_count == 5
    assert picture(view).select("ss-problems") == []


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


def test_sync_run_explains_and_denies_instead_of_hanging() -> None:
    tools = Tools()
    loop = make_loop(tools, sync=True)
    view = ConversationView(loop, flush_timer=False)
    messages = run_in_thread(lambda: loop.run("go"))
    assert last_results(messages)[0]["content"] == f"The user denied this tool call: {NOBODY}"
    conv = picture(view)
    assert CLICKS_NEED_AWAIT in conv.one("ss-conv-notice").text()
    card = conv.select("ss-conv-run")[-1]
    assert CLICKS_NEED_AWAIT in card.one("ss-conv-note").text()
    assert card.one("ss-conv-decision").text() == f"by the view's policy: {NOBODY}"
    assert "send_email" not in tools.names()
    assert view.status == "done"


def test_nobody_showing_the_view_gets_the_policy_not_a_hang() -> None:
    """An unattended run (nbclient, a docs build): no page ever says hello."""
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    view.grace_seconds = 0.05
    messages = asyncio.run(asyncio.wait_for(loop.arun("go"), TIMEOUT))
    assert last_results(messages)[0]["content"] == f"The user denied this tool call: {NOBODY}"
    card = picture(view).select("ss-conv-run")[-1]
    assert "No page showed this view" in card.one("ss-conv-note").text()
    assert "send_email" not in tools.names()


def test_with_a_page_showing_the_view_the_question_waits_for_the_person() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    view.grace_seconds = 0.0  # the policy's timer fires at the next turn of the event loop
    deliver(view, {"type": "hello", "have": 0})  # a page rendered it

    async def main() -> list[Any]:
        task = asyncio.ensure_future(loop.arun("go"))
        (run,) = await when_asked(view)
        for _ in range(10):  # the grace timer has fired: the question still waits
            await asyncio.sleep(0)
        assert view.pending == [run]
        click(view, run, "approve")
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    assert last_results(messages)[0]["is_error"] is False
    assert tools.names().count("send_email") == 1


def test_sync_run_uses_the_fallback_approver() -> None:
    tools = Tools()
    loop = make_loop(tools, sync=True)
    asked: list[str] = []

    def fallback(call: ToolCall) -> Any:
        asked.append(call.name)
        return (False, "answered without clicks")

    view = ConversationView(loop, unattended=fallback, flush_timer=False)
    messages = run_in_thread(lambda: loop.run("go"))
    assert asked == ["send_email"]
    assert last_results(messages)[0]["content"] == (
        "The user denied this tool call: answered without clicks"
    )
    assert view.status == "done" and len(view.streams) == 4


def test_a_nested_event_loop_cannot_hear_clicks() -> None:
    """``nest_asyncio``-style: an inner loop run inside a task of the outer one."""
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, unattended=lambda call: True, flush_timer=False)

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
    assert "nested event loop" in picture(view).one("ss-conv-notice").text()
    assert last_results(messages)[0]["is_error"] is False
    assert tools.names().count("send_email") == 1


# --------------------------------------------------------------------------- traffic, static


def test_the_page_is_rebuilt_exactly_from_the_patches() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    initial = json.loads(json.dumps(view.picture))
    rec = Recorder(view)
    run_with_clicks(loop, view, {"action": "approve"})
    assert page_parts(initial, rec.patches) == view._picture_value()["regions"]
    # the loop replays at once: what crosses the comm is about the picture itself
    picture_bytes = len(view.static_html().encode()) - len(stylesheet().encode())
    assert rec.bytes < 1.3 * picture_bytes


def hostile_turns() -> list[list[Event]]:
    first = parallel_tools_stream(
        [(f"evil{HOSTILE_TEXT}", {"x": HOSTILE_TEXT}), ("echo", {"text": HOSTILE_TEXT})]
    )
    last = [message_start("claude-sonnet-4-5"), *text_events(0, "done"), *message_end()]
    return [first, last]


def test_every_model_string_stays_text_live_and_static() -> None:
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
    seen: list[str] = []

    async def main() -> None:
        task = asyncio.ensure_future(loop.arun("go"))
        (run,) = await when_asked(view)
        seen.append(live(view))
        click(view, run, "approve")
        await asyncio.wait_for(task, TIMEOUT)

    asyncio.run(main())
    allowed = VIEW_TAGS | {"button", "input", "textarea"}
    assert_inert(seen[0], allowed)
    approval = tree(seen[0]).one("ss-conv-approval")
    assert approval.one(tag="strong").text() == "echo"
    assert approval.one("ss-s").text() == f'"{HOSTILE_TEXT}"'
    page = view.static_html()
    assert_inert(page, VIEW_TAGS)
    cards = tree(page).one("ss-conv").select("ss-conv-run")
    assert [c.attrs["data-status"] for c in cards] == ["failed", "done"]
    assert cards[0].one("ss-conv-run-name").text() == f"evil{HOSTILE_TEXT}"
    assert cards[1].one("ss-conv-result-text").text() == HOSTILE_TEXT


def test_parallel_approvals_are_asked_one_at_a_time_in_call_order() -> None:
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
        (first,) = await when_asked(view)
        assert first.input["subject"] == "first"
        assert "1 approval waiting" in live(view)
        click(view, first, "approve")
        (second,) = await when_asked(view)
        assert second is not first and second.input["subject"] == "second"
        click(view, second, "deny", reason="dup")
        return await asyncio.wait_for(task, TIMEOUT)

    messages = asyncio.run(main())
    first, second = last_results(messages)
    assert first["is_error"] is False and second["content"].endswith(": dup")
    assert [a["subject"] for n, a in tools.calls if n == "send_email"] == ["first"]


def test_arun_needs_a_loop() -> None:
    with pytest.raises(RuntimeError, match="no loop attached"):
        asyncio.run(ConversationView(flush_timer=False).arun("go"))


def test_a_finished_loop_becomes_its_static_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(IPython.display, "display", lambda data, **kw: calls.append(("d", data)))
    monkeypatch.setattr(
        IPython.display, "update_display", lambda data, **kw: calls.append(("u", data))
    )
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    view._ipython_display_()
    run_with_clicks(loop, view, {"action": "approve"})
    assert "application/vnd.jupyter.widget-view+json" in calls[0][1]
    kind, data = calls[-1]
    assert kind == "u" and set(data) == {"text/html", "text/plain"}
    assert data["text/plain"].startswith("<ConversationView done · 4 turns · 6 tool calls")


# --------------------------------------------------------------------------- the loop's picture


def test_the_header_sums_the_loop_and_earlier_panels_fold_away() -> None:
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    run_with_clicks(loop, view, {"action": "approve"})
    conv = picture(view)
    info = conv.one("ss-conv-info").text()
    total = sum(t.state.usage.output_tokens for t in loop.turns if t.state)
    assert f"{total:,} output tokens" in info
    assert "4 turns" in info and "6 tool calls" in info and "wall time" in info
    assert re.search(r"≈ \$\d", info)  # the cost over the loop
    boxes = conv.select("ss-final-box")
    assert len(boxes) == 3  # every turn's panel but the last is folded
    assert all("open" not in box.attrs for box in boxes)
    # The request to send again is the newest turn's (the whole conversation); the earlier
    # turns' code is not kept (a long loop would hold the conversation once per turn).
    with_box = [t.attrs["data-turn"] for t in conv.select("ss-conv-turn") if t.select("ss-request")]
    assert with_box == ["4"]
    code = "".join(pre.text() for pre in conv.select(tag="pre") if "ss-code" in str(pre.attrs))
    assert "exit code 1" in code  # a tool result of turn 2, re-sent with turn 4
    kept = [p for p in view._conv.pictures.values() if p._request._code]
    assert len(kept) == 1


def test_every_run_status_is_a_word_from_the_one_list() -> None:
    """Issue 9, item 13: a card shows its run's status, a word of ``EXECUTION_STATUSES`` (as text,
    not colour alone), the one the loop's record holds."""
    from streamscope.core.stream.status import EXECUTION_STATUSES

    loop = make_loop(Tools())
    view = ConversationView(loop, flush_timer=False)
    run_with_clicks(loop, view, {"action": "deny", "fields": {"reason": "not now"}})
    cards = picture(view).select("ss-conv-run")
    runs = [run for turn in loop.turns for run in turn.executions]
    assert len(cards) == len(runs) == 6
    for card, run in zip(cards, runs, strict=True):
        assert card.attrs["data-status"] == run.status and run.status in EXECUTION_STATUSES
        assert card.one("ss-conv-run-status").text() == run.status
    assert [run.status for run in runs].count("denied") == 1


def test_the_loop_timeline_shows_parallel_runs_overlapping() -> None:
    tools = Tools(job_log_seconds=0.05)  # tools that take no time get no figure
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    run_with_clicks(loop, view, {"action": "approve"})
    timeline = picture(view).one("ss-loop-timeline")
    labels = [r.one("ss-tl-label").text().strip() for r in timeline.select("ss-tl-row")]
    assert labels[:3] == ["Turn 1", "list_ci_runs", "get_team"]
    assert labels.count("get_job_log") == 3
    figures = [f.text() for f in timeline.select("ss-tl-figure")]
    (logs,) = [f for f in figures if f.startswith("3 tools:")]
    ratio = re.search(r"wall for .* of tool time \(([\d.]+)x\)$", logs)
    assert ratio is not None and float(ratio.group(1)) > 1.5, logs  # they ran together
    # the send_email run waited for a person: its bar has an "awaiting approval" segment
    email = next(r for r in timeline.select("ss-tl-row") if "send_email" in r.text())
    assert email.select("ss-tl-seg", data_status="awaiting approval")


def test_parallel_figure() -> None:
    from streamscope.core.stream.tool_call import ToolCall
    from streamscope.widgets.render.loop_timeline import parallel_figure

    def run(start: float, end: float) -> ToolExecution:
        r = ToolExecution(call=ToolCall(id="t", name="n", input={}, index=0), turn=1)
        r.started_at, r.finished_at = start, end
        return r

    assert parallel_figure([run(0, 1.0), run(0.1, 1.5), run(0.2, 1.8)]) == (
        "3 tools: 1.80 s wall for 4.00 s of tool time (2.2x)"
    )
    assert parallel_figure([run(0, 1.0)]) is None
    # canned tools that took no time: no ratio of rounding errors ("0 ms for 0 ms (0.9x)")
    assert parallel_figure([run(0, 0.0004), run(0.0001, 0.0005)]) is None


def test_a_loop_that_fails_says_why_in_the_view() -> None:
    """Re-running a replayed loop: the replay client is exhausted; the view shows it."""
    tools = Tools()
    loop = make_loop(tools)
    view = ConversationView(loop, flush_timer=False)
    run_with_clicks(loop, view, {"action": "approve"})
    with pytest.raises(Exception) as info:
        asyncio.run(asyncio.wait_for(loop.arun("again"), TIMEOUT))
    conv = picture(view)
    assert conv.attrs["data-status"] == "failed"
    assert type(info.value).__name__ in conv.one("ss-error-text").text()


def test_a_long_loop_folds_its_older_turns_and_opens_them_on_request() -> None:
    """200 turns: the page holds the newest ones whole and a line for each older one; an
    older turn's picture is sent when a page opens it."""
    turn = [message_start("claude-sonnet-4-5"), *text_events(0, "x" * 50), *message_end()]
    loop = ToolLoop(
        AsyncReplayClient([turn] * 3), model="claude-sonnet-4-5", max_tokens=100, max_turns=3
    )
    view = ConversationView(loop, flush_timer=False)
    view._conv.keep_turns = 1
    initial = json.loads(json.dumps(view.picture))
    rec = Recorder(view)
    for k in range(3):  # three separate runs of one turn each: 3 turns in the view
        loop.client = AsyncReplayClient([turn])
        asyncio.run(asyncio.wait_for(loop.arun(f"go {k}"), TIMEOUT))
    page = page_parts(initial, rec.patches)
    folded = [rid for rid in view._store.parts if rid.startswith(("t1.", "t2."))]
    assert folded == []  # dropped from the kernel's picture
    assert not [rid for rid in page if rid.startswith(("t1.", "t2."))]  # and from the page
    lines = tree(page["conv/turns"][0]).select(tag="summary")
    assert [s.text().split(" · ")[0] for s in lines] == ["Turn 1"]
    deliver(view, {"type": "want", "region": "t1.view"})  # a page opened turn 1
    page = page_parts(initial, rec.patches)
    assert "t1.view" in page and "t1.lanes" in page
    assert page == view._picture_value()["regions"]
