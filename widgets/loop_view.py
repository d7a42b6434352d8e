"""ConversationView: a :class:`~streamscope.core.loop.tool_loop.ToolLoop` live in Jupyter.

How it works: ``docs/internals.md``, section ``streamscope.widgets.loop_view``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from streamscope.core.loop.records import as_decision
from streamscope.core.loop.tool_loop import Decision, LoopObserver, ToolExecution, ToolLoop, Turn
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.changes import Change
from streamscope.core.stream.tool_call import ToolCall
from streamscope.core.tools.tool import ToolInputError
from streamscope.core.wire.attempts import Attempt
from streamscope.widgets._hosts import MARIMO_CLICKS
from streamscope.widgets.render.controls import Button, control_bar
from streamscope.widgets.render.fulltext import Budget
from streamscope.widgets.render.loop import (
    CONTROLS_ID,
    ROOT_ID,
    ConversationPicture,
    run_status_word,
)
from streamscope.widgets.render.regions import Op
from streamscope.widgets.render.stream import StreamPicture
from streamscope.widgets.surface import Surface

__all__ = [
    "CLICKS_NEED_AWAIT",
    "GRACE_SECONDS",
    "NOBODY",
    "ApprovalUnavailableError",
    "ConversationView",
    "arun_loop",
    "deny_unattended",
]

CLICKS_NEED_AWAIT = "Clicks are only handled while the cell awaits: use `await loop.arun(...)`."
NOBODY = "nobody was there to approve"
GRACE_SECONDS = 5.0
"""How long a question waits for a page to render the view before the ``unattended=`` policy
decides (a page says hello as soon as it renders; measured well under a second in
JupyterLab)."""
_BLOCKING_NOTICE = (
    "This cell blocks (loop.run), so the Stop and approval buttons cannot be heard. "
    + CLICKS_NEED_AWAIT
)
_MARIMO_NOTICE = (
    MARIMO_CLICKS.replace("this button cannot", "Stop and the approval buttons cannot")
    + " Where a call needs approval, the view's unattended= policy decides."
)
_NESTED_NOTICE = (
    "The loop runs inside a nested event loop (nest_asyncio / run_until_complete), where "
    "clicks are not handled. " + CLICKS_NEED_AWAIT
)

Approver = Callable[[ToolCall], Any]


class ApprovalUnavailableError(RuntimeError):
    """No longer raised: where no click can arrive, the view's ``unattended=`` policy decides
    (by default a denial). Kept so that ``except`` clauses written for it still work."""


def deny_unattended(call: ToolCall) -> Decision:
    """The default ``unattended=`` policy: deny, saying nobody was there to approve."""
    return Decision.deny(NOBODY)


def _nested_event_loop() -> bool:
    """True when an event loop runs inside a task of another one (``nest_asyncio``'s
    ``run_until_complete`` in a cell): two ``_run_once`` frames on the stack."""
    frame: FrameType | None = sys._getframe(1)
    count = 0
    while frame is not None:
        if frame.f_code.co_name == "_run_once":
            count += 1
            if count > 1:
                return True
        frame = frame.f_back
    return False


def _resolve(future: asyncio.Future[Any], decision: Decision) -> None:
    if not future.done():
        future.set_result(decision)


class ConversationView(LoopObserver, Surface):
    """Watch a :class:`ToolLoop` live: each turn's stream, its tool runs, approvals, Stop.

    Parameters
    ----------
    loop:
        The loop to watch; the view adds itself to ``loop.observers``. Or pass the view as
        ``ToolLoop(..., observer=view)`` and leave this out.
    unattended:
        The policy for when nobody can click: a synchronous ``unattended(call) -> decision``,
        used where clicks cannot arrive (a blocking ``loop.run``, a nested event loop) and
        when no page has shown the view within :data:`GRACE_SECONDS` of a question. The
        default denies with the reason "nobody was there to approve". A loop made with its
        own ``approve=`` never asks the view: its callable decides, the view shows.
    prices, clock, frame_interval, flush_timer:
        The price table for costs, and the frame pacing (see :class:`StreamView`).
    """

    grace_seconds: float = GRACE_SECONDS
    """Seconds a question waits for a page to show the view before the policy decides."""

    def __init__(
        self,
        loop: ToolLoop | None = None,
        *,
        unattended: Approver | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
        frame_interval: float = 0.05,
        flush_timer: bool = True,
    ) -> None:
        self.loop: ToolLoop | None = None
        self._fallback: Approver = unattended if unattended is not None else deny_unattended
        self._conv = ConversationPicture(prices=prices)
        self._futures: dict[ToolExecution, asyncio.Future[Any]] = {}
        self._current: Turn | None = None
        self.decisions: list[dict[str, Any]] = []
        """Decisions made with the buttons: ``id``, ``name``, ``approved``, ``reason``,
        ``edited``, ``latency`` (seconds from the click to the kernel handling it, or None)."""
        Surface.__init__(self, clock=clock, frame_interval=frame_interval, flush_timer=flush_timer)
        self._conv.token = self.token
        if loop is not None:
            self.attach(loop)

    # ------------------------------------------------------------------ public

    def attach(self, loop: ToolLoop) -> None:
        """Watch ``loop`` (add this view to its observers, once)."""
        if not any(observer is self for observer in loop.observers):
            loop.observers.append(self)
        self.loop = loop

    async def arun(self, messages: str | Sequence[Any]) -> list[Any]:
        """``await loop.arun(messages)`` for the attached loop: the buttons work meanwhile."""
        if self.loop is None:
            raise RuntimeError("no loop attached: ConversationView(loop) or view.attach(loop)")
        return await self.loop.arun(messages)

    @property
    def streams(self) -> list[StreamPicture]:
        """Each turn's stream picture, in order (``.state`` is the turn's StreamState)."""
        return list(self._conv.pictures.values())

    @property
    def pending(self) -> list[ToolExecution]:
        """Runs waiting for a click now."""
        with self._lock:
            return list(self._conv.notes.asking)

    @property
    def status(self) -> str:
        return self._conv.notes.status

    def stop(self) -> None:
        """What the Stop button does: ``loop.stop()``."""
        if self.loop is not None:
            self.loop.stop()
            with self._lock:
                if self._conv.notes.stop == "on":
                    self._conv.notes.stop = "requested"
                self._changed()

    # ------------------------------------------------------------------ observer

    def loop_started(self, loop: ToolLoop) -> None:
        with self._lock:
            self.loop = loop
            notes = self._conv.notes
            notes.notice = ""
            notes.failure = None
            notes.stop = "on"
            notes.status = "streaming"
            self._changed()

    def loop_finished(self, loop: ToolLoop) -> None:
        with self._lock:
            for future in self._futures.values():
                future.cancel()
            notes = self._conv.notes
            notes.asking.clear()
            reason = loop.stop_reason
            notes.status = (
                "stopped"
                if reason in ("stopped", "interrupted")
                else "failed"
                if reason == "error"
                else "done"
            )
            notes.failure = loop.failure
            notes.stop = "off"
            for picture in self._conv.pictures.values():
                picture.touch_all()
        self._settle()

    def turn_started(self, turn: Turn) -> None:
        with self._lock:
            notes = self._conv.notes
            if self._can_hear_clicks():
                if notes.stop == "blocked":
                    notes.stop = "on"
            else:
                notes.stop = "blocked"
                notes.notice = self._deaf_notice()
            self._current = turn
            self._conv.add_turn(turn)
            notes.status = "streaming"
            self._changed()

    def event(self, turn: Turn, event: Any, change: Change) -> None:
        picture = self._conv.pictures.get(self._conv.key(turn))
        if picture is not None:
            with self._lock:
                picture.inspector.record(event, turn.state.last_event_at if turn.state else None)
                picture.note(change)
                self._changed()

    def attempt(self, turn: Turn, attempt: Attempt) -> None:
        """The SDK made an HTTP attempt for ``turn`` (a retry is a second): draw its row."""
        picture = self._conv.pictures.get(self._conv.key(turn))
        if picture is not None:
            with self._lock:
                picture.attempts = list(turn.attempts)
                picture.touch_all()
                self._changed()

    def turn_finished(self, turn: Turn) -> None:
        picture = self._conv.pictures.get(self._conv.key(turn))
        if picture is None:
            return
        with self._lock:
            picture.attempts = list(turn.attempts)
            picture.failure_words = turn.failure
            # No message means the turn was cut: by Stop, or by a failure the state shows.
            if turn.message is None and self.loop is not None and self.loop.stop_requested:
                picture.state.stopped = True
            picture.touch_all()
            self._changed()

    def tool_queued(self, run: ToolExecution) -> None:
        with self._lock:
            self._conv.add_run(run, self._turn_of(run))
            if self._conv.notes.status == "streaming":
                self._conv.notes.status = "tools"
            self._changed()

    def tool_awaiting_approval(self, run: ToolExecution) -> None:
        self._run_changed()

    def tool_started(self, run: ToolExecution) -> None:
        self._run_changed()

    def tool_finished(self, run: ToolExecution) -> None:
        with self._lock:
            future = self._futures.pop(run, None)
            if future is not None and not future.done():
                future.cancel()
            if run in self._conv.notes.asking:
                self._conv.notes.asking.remove(run)
            self._changed()

    def approval_needed(self, call: ToolCall) -> Any:
        """Asked by the loop for a gated call: a Future the Approve / Deny buttons resolve,
        or, where no click can arrive, the ``unattended=`` policy's answer."""
        if not self._can_hear_clicks():
            with self._lock:
                run = self._run_for(call)
                notes = self._conv.notes
                notice = self._deaf_notice()
                notes.notice = notice
                notes.stop = "blocked"
                notes.notes[run] = notice
                self._changed()
            return self._unattended(run, call)
        with self._lock:
            run = self._run_for(call)
            aloop = asyncio.get_running_loop()
            future: asyncio.Future[Any] = aloop.create_future()
            self._futures[run] = future
            future.add_done_callback(lambda _: self._future_done(run))
            notes = self._conv.notes
            if run not in notes.asking:
                notes.asking.append(run)
            notes.status = "approval"
            self._changed()
            if self.front_ends == 0:  # maybe nobody is there: give a page a moment
                aloop.call_later(self.grace_seconds, self._nobody_came, run, call, future)
            return future

    def _nobody_came(self, run: ToolExecution, call: ToolCall, future: asyncio.Future[Any]) -> None:
        """The grace period is over: with still no page showing the view, the policy decides."""
        if future.done() or self.front_ends > 0:
            return
        with self._lock:
            if run in self._conv.notes.asking:
                self._conv.notes.asking.remove(run)
            self._conv.notes.notes[run] = (
                f"No page showed this view within {self.grace_seconds:g} s of the question, "
                "so the view's unattended= policy decided."
            )
        try:
            decision = self._unattended(run, call)
        except Exception as exc:  # the policy raised: the loop records it for this call
            if not future.done():
                future.set_exception(exc)
            return
        _resolve(future, decision)

    def _unattended(self, run: ToolExecution, call: ToolCall) -> Decision:
        """Decide with the ``unattended=`` policy, and show the decision on the call's card."""
        decision = as_decision(self._fallback(call))
        with self._lock:
            self._conv.notes.decisions[run] = {
                "approved": decision.approved,
                "reason": decision.reason,
                "edited": decision.input is not None,
                "policy": True,
            }
            self._changed()
        return decision

    # ------------------------------------------------------------------ clicks

    def _on_action(self, action: str, key: str | None, value: Any, fields: dict[str, Any]) -> None:
        if action.startswith("wire-"):  # key: the prefix of the turn's picture
            with self._lock:
                picture = next((p for p in self._conv.pictures.values() if p.prefix == key), None)
                if picture is not None and picture.inspector.click(action, value):
                    self._changed()
            return
        if action == "stop":
            self.stop()
            return
        if action not in ("approve", "deny") or key is None:
            return
        with self._lock:
            run = next((r for r in self._conv.notes.asking if self._conv.run_key(r) == key), None)
            future = self._futures.get(run) if run is not None else None
            if run is None or future is None or future.done():
                return  # a late or repeated click
            decision = self._decision(run, action, fields)
            if decision is None:
                self._changed()
                return
            self.decisions.append(
                {
                    "id": run.id,
                    "name": run.name,
                    "approved": decision.approved,
                    "reason": decision.reason,
                    "edited": decision.input is not None,
                    "latency": self.last_click_latency,
                }
            )
            notes = self._conv.notes
            notes.decisions[run] = {
                "approved": decision.approved,
                "reason": decision.reason,
                "edited": decision.input is not None,
            }
            notes.refusals.pop(run, None)
            notes.asking.remove(run)
            self._changed()
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            future.get_loop().call_soon_threadsafe(_resolve, future, decision)

    def _decision(self, run: ToolExecution, action: str, fields: dict[str, Any]) -> Decision | None:
        """The click as a Decision, or None after showing why edited arguments were refused."""
        if action == "deny":
            reason = fields.get("reason")
            text = reason.strip() if isinstance(reason, str) else ""
            return Decision.deny(text or None)
        raw = fields.get("input")
        if not isinstance(raw, str):
            return Decision.approve()
        try:
            value = json.loads(raw)
        except ValueError as exc:
            return self._refuse(run, f"Invalid JSON: {exc}")
        if not isinstance(value, dict):
            return self._refuse(run, "The arguments must be a JSON object ({...}).")
        if value == run.call.input:
            return Decision.approve()
        if run.tool is not None:
            try:
                run.tool.validate(value)
            except ToolInputError as exc:
                return self._refuse(run, str(exc))
        return Decision.approve(value)

    def _refuse(self, run: ToolExecution, text: str) -> Decision | None:
        """Show why the edited arguments were refused: no decision, the call still waits."""
        self._conv.notes.refusals[run] = text
        return None

    def _future_done(self, run: ToolExecution) -> None:
        with self._lock:
            if self._futures.get(run) is not None and self._futures[run].done():
                del self._futures[run]
            notes = self._conv.notes
            if run in notes.asking:
                notes.asking.remove(run)
            if notes.status == "approval" and not notes.asking:
                notes.status = "tools"
            self._changed()

    # ------------------------------------------------------------------ where we run

    def _aloop_running(self) -> bool:
        """The loop is inside ``arun`` on this thread's running event loop."""
        aloop = self.loop.event_loop if self.loop is not None else None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return aloop is not None and aloop is running

    def _can_hear_clicks(self) -> bool:
        return self._aloop_running() and not _nested_event_loop() and not self.in_marimo

    def _blocking_notice(self) -> str:
        """Why Stop cannot be heard, in the words of what is watched (a RunnerWatch has
        its own: the cell calls show_runner, not loop.run)."""
        notice = getattr(self.loop, "blocking_notice", None)
        return notice if isinstance(notice, str) else _BLOCKING_NOTICE

    def _deaf_notice(self) -> str:
        """Why no click can be heard now: marimo, a nested event loop, or a blocking cell."""
        if self.in_marimo:
            return _MARIMO_NOTICE
        return _NESTED_NOTICE if self._aloop_running() else self._blocking_notice()

    # ------------------------------------------------------------------ records

    def _turn_of(self, run: ToolExecution) -> Turn | None:
        loop = self.loop
        if loop is not None:
            for turn in reversed(loop.turns):
                if run in turn.executions:
                    return turn
        current = self._current
        return current if current is not None and current.number == run.turn else None

    def _run_for(self, call: ToolCall) -> ToolExecution:
        for runs in self._conv.executions.values():
            for run in reversed(runs):
                if run.call is call:
                    return run
        run = ToolExecution(
            call=call,
            turn=self._current.number if self._current else 0,
            status="awaiting approval",
            needs_approval=True,
        )
        self.tool_queued(run)
        return run

    def _run_changed(self) -> None:
        with self._lock:
            self._changed()

    # ------------------------------------------------------------------ rendering

    def _root(self) -> str:
        return ROOT_ID

    def _is_final(self) -> bool:
        return self._conv.notes.status in ("done", "stopped", "failed")

    def _live(self) -> bool:
        return self.loop is not None and self.loop.running

    def _group(self, region_id: str) -> str | None:
        key = self._conv.turn_of_region(region_id)
        if key is not None and key in self._conv.folded_keys() | self._conv.unfolded:
            return f"turn:{key}"  # a folded turn's regions go with it, when opened
        return super()._group(region_id)

    def _render_group(self, group: str) -> None:
        if group.startswith("turn:"):  # drawn again at the next frame, from its state
            self._conv.unfolded.add(int(group.removeprefix("turn:")))

    def _tick(self) -> None:
        for picture in self._conv.pictures.values():
            picture.tick()

    def _render_more(self, region_id: str, page: int) -> list[Op]:
        for picture in self._conv.pictures.values():
            ops = picture.more(self._store, region_id, page)
            if ops:
                return ops
        return []

    def _supply(self, budget: int) -> Callable[[str], list[str] | None] | None:
        shared = Budget(budget)  # one budget for the whole conversation
        suppliers = [p.supply(shared) for p in self._conv.pictures.values()]

        def whole(region_id: str) -> list[str] | None:
            for supply in suppliers:
                parts = supply(region_id)
                if parts is not None:
                    return parts
            return None

        return whole

    def _render(self) -> list[Op]:
        ops = self._conv.render(self._store, time.monotonic(), live=self._live())
        op = self._store.update(CONTROLS_ID, self._controls())
        if op is not None:
            ops.append(op)
        return ops

    def _controls(self) -> list[str]:
        stop = self._conv.notes.stop
        if stop == "off":
            return []
        title = (
            self._blocking_notice() if stop == "blocked" else "Stop the loop after what is running"
        )
        label = "Stopping…" if stop == "requested" else "■ Stop"
        button = Button("stop", label, title, stop in ("blocked", "requested"))
        return [control_bar(self.token, [button])]

    def _text(self) -> str:
        conv = self._conv
        runs = [r for rs in conv.executions.values() for r in rs]
        counts: dict[str, int] = {}
        for run in runs:
            word = run_status_word(run.status)
            counts[word] = counts.get(word, 0) + 1
        bits = [conv.notes.status, f"{len(conv.turns)} turns", f"{len(runs)} tool calls"]
        bits += [f"{n} {word}" for word, n in counts.items()]
        return f"<ConversationView {' · '.join(bits)}>"

    def to_html(self) -> str:
        """The static picture (no script; controls left out)."""
        return self.static_html()


async def arun_loop(loop: ToolLoop, messages: str | Sequence[Any], **options: Any) -> list[Any]:
    """Display a :class:`ConversationView` of ``loop`` and ``await loop.arun(messages)``;
    returns the whole conversation. ``options`` go to :class:`ConversationView`."""
    from IPython.display import display

    view = ConversationView(loop, **options)
    display(view)  # type: ignore[no-untyped-call]
    return await loop.arun(messages)
