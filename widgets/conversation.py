"""ConversationView: a :class:`~streamscope.core.loop.ToolLoop` live in Jupyter.

One :class:`~streamscope.widgets.view.StreamView` per turn as it streams, then that turn's
tool runs side by side (status, elapsed time, result preview); calls that need approval
show their full arguments with Approve (optionally with edited JSON) and Deny (with a
reason). A header carries the loop's status and a Stop button.

Buttons are heard only while the cell *awaits*. Measured in JupyterLab 4.6 with ipykernel
7.4: a click is handled in ~0.1 s while the cell does a top-level ``await``; not while the
cell blocks (``loop.run``, ``time.sleep``), and not inside a nested event loop
(``nest_asyncio`` + ``run_until_complete``). So the recommended usage is::

    view = ConversationView(loop)
    display(view)
    messages = await loop.arun(messages)      # or: await view.arun(messages)

``approval_needed`` returns an ``asyncio.Future`` that the buttons resolve. When the loop
runs where clicks cannot arrive (sync ``loop.run``, a nested loop), the view says so and
answers with its ``approve=`` fallback if one was given, else raises
:class:`ApprovalUnavailableError` (the conversation so far stays in ``loop.messages``; the
unanswered calls are asked again by ``await loop.arun(loop.messages)``).

Tool runs travel as a synced list of small dicts per turn (full arguments once, for
approval calls only); the StreamViews batch their own frames. Every model-controlled string
(tool names, ids, arguments, results) reaches the page as text: ``textContent`` in
``static/conversation.js``, ``html.escape`` in the static ``text/html`` picture that the
display bundle carries for GitHub and nbviewer (refreshed when the loop ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

import anywidget
import ipywidgets  # type: ignore[import-untyped]
import traitlets

from streamscope.core.loop import Decision, LoopObserver, ToolLoop, ToolRun, Turn
from streamscope.core.pricing import PriceTable
from streamscope.core.state import StreamState
from streamscope.core.tool_call import ToolCall
from streamscope.core.tools import ToolInputError, json_default
from streamscope.widgets._display import StaticFallbackDisplay
from streamscope.widgets._static import STATIC, read_css
from streamscope.widgets.html import render_html, scope_css, stylesheet
from streamscope.widgets.view import StreamView

__all__ = ["CLICKS_NEED_AWAIT", "ApprovalUnavailableError", "ConversationView", "arun_loop"]

_ESM = STATIC / "conversation.js"
_CSS = read_css("theme.css", "conversation.css")

CLICKS_NEED_AWAIT = "Clicks are only handled while the cell awaits: use `await loop.arun(...)`."
_BLOCKING_NOTICE = (
    "This cell blocks (loop.run), so the Stop and approval buttons cannot be heard. "
    + CLICKS_NEED_AWAIT
)
_NESTED_NOTICE = (
    "The loop runs inside a nested event loop (nest_asyncio / run_until_complete), where "
    "clicks are not handled. " + CLICKS_NEED_AWAIT
)
_ARGS_PREVIEW = 300
_RESULT_PREVIEW = 600

Approver = Callable[[ToolCall], Any]


class ApprovalUnavailableError(RuntimeError):
    """A call needs approval, but no click can arrive (the cell blocks or a nested event loop
    runs) and the view has no ``approve=`` fallback."""


# --------------------------------------------------------------------------- widgets


class _Header(anywidget.AnyWidget):
    """The loop's status line, notices and Stop button (rendered by conversation.js)."""

    _esm = _ESM
    _css = _CSS

    panel = traitlets.Unicode("header").tag(sync=True)
    """str: which panel conversation.js draws."""
    status = traitlets.Unicode("idle").tag(sync=True)
    """str: ``idle``, ``streaming``, ``tools``, ``approval``, ``done``, ``stopped``,
    ``failed``."""
    info = traitlets.Dict().tag(sync=True)
    """dict: ``turn``, ``runs`` (counts by status), ``stop_reason``, ``run`` (how many runs
    this view has shown)."""
    notice = traitlets.Unicode("").tag(sync=True)
    """str: a plain message for the user (why buttons cannot be heard), or empty."""
    stop = traitlets.Unicode("off").tag(sync=True)
    """str: the Stop button: ``off`` (hidden), ``on``, ``requested``, ``blocked``."""


class _ToolRuns(anywidget.AnyWidget):
    """One turn's tool runs, side by side, with the approval controls."""

    _esm = _ESM
    _css = _CSS

    panel = traitlets.Unicode("runs").tag(sync=True)
    """str: which panel conversation.js draws."""
    title = traitlets.Unicode("").tag(sync=True)
    """str: e.g. ``Turn 2``."""
    runs: traitlets.List[dict[str, Any]] = traitlets.List(traitlets.Dict()).tag(sync=True)
    """list[dict]: one small dict per call (see ``ConversationView._row``)."""
    arguments = traitlets.Dict().tag(sync=True)
    """dict: row key → the call's full arguments as pretty JSON (approval calls only)."""
    errors = traitlets.Dict().tag(sync=True)
    """dict: row key → ``{"text", "n"}``: why the last Approve was refused (invalid JSON)."""

    def __init__(self, title: str) -> None:
        super().__init__(title=title)
        self.run_keys: dict[ToolRun, str] = {}
        self.run_order: list[ToolRun] = []


# --------------------------------------------------------------------------- helpers


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json(value: Any, indent: int | None = None) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent, default=json_default)
    except (TypeError, ValueError):
        return repr(value)


def _content_text(content: Any) -> str:
    """A tool result's content as plain text (blocks other than text named in brackets)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif isinstance(block, dict):
                parts.append(f"[{block.get('type', 'block')}]")
            else:
                parts.append(str(block))
        return "\n".join(parts)
    return _json(content)


def _nested_event_loop() -> bool:
    """True when an event loop runs inside a task of another one (``nest_asyncio``'s
    ``run_until_complete`` in a cell): two ``_run_once`` frames on the stack. The outer
    loop, the one that would read the click, is stuck under the inner one."""
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


# --------------------------------------------------------------------------- the view


class ConversationView(StaticFallbackDisplay, LoopObserver):
    """Watch a :class:`ToolLoop` live: each turn's stream, its tool runs, approvals, Stop.

    Recommended usage (buttons work only while the cell awaits)::

        view = ConversationView(loop)
        display(view)
        messages = await loop.arun(messages)      # or: await view.arun(messages)

    Parameters
    ----------
    loop:
        The loop to watch; the view adds itself to ``loop.observers``. Or pass the view as
        ``ToolLoop(..., observer=view)`` and leave this out.
    approve:
        A synchronous ``approve(call) -> decision`` used only where clicks cannot arrive (a
        blocking ``loop.run``, a nested event loop); e.g. one that asks with ``input()``.
        Without it, such an approval raises :class:`ApprovalUnavailableError`. A loop made
        with its own ``approve=`` never asks the view: its callable decides, the view shows.
    prices, frame_interval, flush_timer:
        Passed to each turn's :class:`StreamView`.
    """

    def __init__(
        self,
        loop: ToolLoop | None = None,
        *,
        approve: Approver | None = None,
        prices: PriceTable | None = None,
        frame_interval: float = 0.05,
        flush_timer: bool = True,
    ) -> None:
        self.loop: ToolLoop | None = None
        self._fallback = approve
        self._view_options: dict[str, Any] = {
            "prices": prices,
            "frame_interval": frame_interval,
            "flush_timer": flush_timer,
        }
        self._lock = threading.RLock()
        self._header = _Header()
        self._header.on_msg(self._on_header_msg)
        self.box = ipywidgets.VBox([self._header])
        """The widget tree: the header, then per turn its StreamView and tool-runs panel."""
        self.box.add_class("ss-conv-box")
        self.streams: list[StreamView] = []
        """Every turn's StreamView, in order (across runs of the loop)."""
        self.decisions: list[dict[str, Any]] = []
        """Decisions made with the buttons: ``id``, ``name``, ``approved``, ``reason``,
        ``edited``, ``latency`` (seconds from the click to the kernel handling it)."""
        self._runs_seen = 0
        self._views: dict[int, StreamView] = {}
        self._panels: dict[int, _ToolRuns] = {}
        self._all_runs: list[ToolRun] = []
        self._futures: dict[ToolRun, asyncio.Future[Any]] = {}
        self._decided: dict[ToolRun, Decision] = {}
        self._notes: dict[ToolRun, str] = {}
        self._previews: dict[ToolRun, tuple[Any, str]] = {}
        self._asking: ToolRun | None = None
        self._turn = 0
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
    def pending(self) -> list[ToolRun]:
        """Runs waiting for a click now."""
        with self._lock:
            return [run for run, future in self._futures.items() if not future.done()]

    def stop(self) -> None:
        """What the Stop button does: ``loop.stop()``."""
        if self.loop is not None:
            self.loop.stop()
            if self._header.stop == "on":
                self._header.stop = "requested"

    # ------------------------------------------------------------------ observer

    def loop_started(self, loop: ToolLoop) -> None:
        with self._lock:
            self.loop = loop
            self._runs_seen += 1
            self._views = {}
            self._panels = {}
            self._futures = {}
            self._decided = {}
            self._notes = {}
            self._asking = None
            self._turn = 0
            self._header.notice = ""
            self._header.stop = "on"
            self._header.status = "streaming"
            self._update_info()

    def loop_finished(self, loop: ToolLoop) -> None:
        with self._lock:
            for future in self._futures.values():
                future.cancel()
            reason = loop.stop_reason
            self._header.status = (
                "stopped" if reason == "stopped" else "failed" if reason == "error" else "done"
            )
            self._header.stop = "off"
            self._update_info()
        self._refresh_static()

    def turn_started(self, turn: Turn) -> None:
        with self._lock:
            self._turn = turn.number
            if self._can_hear_clicks():
                if self._header.stop == "blocked":
                    self._header.stop = "on"
            else:
                self._header.stop = "blocked"
                self._header.notice = _NESTED_NOTICE if self._aloop_running() else _BLOCKING_NOTICE
            started = turn.state.started_at if turn.state is not None else None
            view = StreamView(StreamState(started_at=started), **self._view_options)
            view.add_class("ss-conv-turn")
            self._views[turn.number] = view
            self.streams.append(view)
            self._header.status = "streaming"
            self._update_info()
            self.box.children = (*self.box.children, view)

    def event(self, turn: Turn, event: Any, change: Any) -> None:
        view = self._views.get(turn.number)
        if view is not None:
            at = turn.state.last_event_at if turn.state is not None else None
            view.apply(event, at=at)

    def turn_finished(self, turn: Turn) -> None:
        view = self._views.get(turn.number)
        if view is not None:
            # No message means the turn was cut: by Stop, or by a failure the state shows.
            cut_by_stop = (
                turn.message is None and self.loop is not None and self.loop.stop_requested
            )
            view.finish(stopped=cut_by_stop)

    def tool_queued(self, run: ToolRun) -> None:
        with self._lock:
            panel = self._panel(run.turn)
            if run not in panel.run_keys:
                panel.run_keys[run] = str(len(panel.run_order))
                panel.run_order.append(run)
                self._all_runs.append(run)
            if self._header.status == "streaming":
                self._header.status = "tools"
            self._sync(panel)

    def tool_awaiting_approval(self, run: ToolRun) -> None:
        with self._lock:
            self._asking = run
            self._row_changed(run)

    def tool_started(self, run: ToolRun) -> None:
        with self._lock:
            self._row_changed(run)

    def tool_finished(self, run: ToolRun) -> None:
        with self._lock:
            future = self._futures.pop(run, None)
            if future is not None and not future.done():
                future.cancel()
            self._row_changed(run)

    def approval_needed(self, call: ToolCall) -> Any:
        """Asked by the loop for a gated call: a Future the Approve / Deny buttons resolve,
        or, where no click can arrive, the ``approve=`` fallback's answer."""
        if not self._can_hear_clicks():
            with self._lock:
                run = self._run_for(call)
                notice = _NESTED_NOTICE if self._aloop_running() else _BLOCKING_NOTICE
                self._header.notice = notice
                self._header.stop = "blocked"
                self._notes[run] = notice
                self._row_changed(run)
            if self._fallback is not None:
                return self._fallback(call)
            raise ApprovalUnavailableError(
                f"{call.name!r} needs approval, but no click can be handled here. "
                f"{CLICKS_NEED_AWAIT} The conversation so far is in loop.messages; "
                "`await loop.arun(loop.messages)` asks for this call again. (Or give "
                "ConversationView a synchronous approve= callable for blocking runs.)"
            )
        with self._lock:
            run = self._run_for(call)
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._futures[run] = future
            future.add_done_callback(lambda _: self._future_done(run))
            self._header.status = "approval"
            self._row_changed(run)
            return future

    # ------------------------------------------------------------------ clicks

    def _on_header_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "stop":
            self.stop()

    def _on_runs_msg(self, panel: _ToolRuns, content: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "decide":
            return
        with self._lock:
            run = next((r for r, k in panel.run_keys.items() if k == content.get("key")), None)
            future = self._futures.get(run) if run is not None else None
            if run is None or future is None or future.done() or run in self._decided:
                return  # a late or repeated click
            decision = self._decision(panel, run, content)
            if decision is None:
                return
            sent = content.get("sent_at")
            latency = (
                time.time() - sent / 1000
                if isinstance(sent, (int, float)) and not isinstance(sent, bool)
                else None
            )
            self.decisions.append(
                {
                    "id": run.id,
                    "name": run.name,
                    "approved": decision.approved,
                    "reason": decision.reason,
                    "edited": decision.input is not None,
                    "latency": latency,
                }
            )
            self._decided[run] = decision
            if panel.run_keys[run] in panel.errors:
                panel.errors = {k: v for k, v in panel.errors.items() if k != panel.run_keys[run]}
            self._row_changed(run)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            future.get_loop().call_soon_threadsafe(_resolve, future, decision)

    def _decision(self, panel: _ToolRuns, run: ToolRun, content: dict[str, Any]) -> Decision | None:
        """The click as a Decision, or None after showing why edited arguments were refused."""
        if content.get("approved") is not True:
            reason = content.get("reason")
            text = reason.strip() if isinstance(reason, str) else ""
            return Decision.deny(text or None)
        raw = content.get("input")
        if raw is None:
            return Decision.approve()
        if not isinstance(raw, str):
            return self._refuse(panel, run, "The edited arguments must be JSON text.")
        try:
            value = json.loads(raw)
        except ValueError as exc:
            return self._refuse(panel, run, f"Invalid JSON: {exc}")
        if not isinstance(value, dict):
            return self._refuse(panel, run, "The arguments must be a JSON object ({...}).")
        if run.tool is not None:
            try:
                run.tool.validate(value)
            except ToolInputError as exc:
                return self._refuse(panel, run, str(exc))
        return Decision.approve(None if value == run.call.input else value)

    def _refuse(self, panel: _ToolRuns, run: ToolRun, text: str) -> Decision | None:
        """Show why the edited arguments were refused; no decision (the call still waits)."""
        key = panel.run_keys[run]
        previous = panel.errors.get(key)
        count = previous.get("n", 0) + 1 if isinstance(previous, dict) else 1
        panel.errors = {**panel.errors, key: {"text": text, "n": count}}
        return None

    def _future_done(self, run: ToolRun) -> None:
        with self._lock:
            if self._futures.get(run) is not None and self._futures[run].done():
                del self._futures[run]
            if self._header.status == "approval" and not self.pending:
                self._header.status = "tools"
            self._row_changed(run)

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
        return self._aloop_running() and not _nested_event_loop()

    # ------------------------------------------------------------------ rows

    def _panel(self, turn: int) -> _ToolRuns:
        panel = self._panels.get(turn)
        if panel is None:
            title = "Resumed calls" if turn == 0 else f"Turn {turn}"
            if self._runs_seen > 1:
                title = f"Run {self._runs_seen} · {title.lower()}"
            panel = _ToolRuns(title)
            panel.on_msg(lambda _w, content, _b: self._on_runs_msg(panel, content))
            self._panels[turn] = panel
            self.box.children = (*self.box.children, panel)
        return panel

    def _run_for(self, call: ToolCall) -> ToolRun:
        asking = self._asking
        if asking is not None and asking.call is call:
            return asking
        for run in reversed(self._all_runs):
            if run.call is call:
                return run
        # Not announced by tool_awaiting_approval (approval_needed called directly).
        run = ToolRun(call=call, turn=self._turn, status="awaiting_approval", needs_approval=True)
        self.tool_queued(run)
        return run

    def _row_changed(self, run: ToolRun) -> None:
        panel = self._panels.get(run.turn)
        if panel is not None and run in panel.run_keys:
            self._sync(panel)
        self._update_info()

    def _sync(self, panel: _ToolRuns) -> None:
        panel.runs = [self._row(panel, run) for run in panel.run_order]
        # Full arguments of approval calls, once (again only if an approver edited them).
        changed = {}
        for run in panel.run_order:
            key = panel.run_keys[run]
            if run.needs_approval and (key not in panel.arguments or run.approved_input):
                text = _json(run.input, indent=2)
                if panel.arguments.get(key) != text:
                    changed[key] = text
        if changed:
            panel.arguments = {**panel.arguments, **changed}

    def _row(self, panel: _ToolRuns, run: ToolRun) -> dict[str, Any]:
        future = self._futures.get(run)
        decision = run.decision or self._decided.get(run)
        elapsed: float | None = run.duration
        if elapsed is None and run.started_at is not None and run.status == "running":
            elapsed = time.monotonic() - run.started_at
        return {
            "key": panel.run_keys[run],
            "id": run.id,
            "name": run.name,
            "status": run.status,
            "approval": run.needs_approval,
            "asking": future is not None and not future.done() and run not in self._decided,
            "args": self._args_preview(run),
            "elapsed": None if elapsed is None else round(elapsed, 3),
            "result": _clip(_content_text(run.content), _RESULT_PREVIEW) if run.done else "",
            "is_error": run.is_error,
            "decision": None
            if decision is None
            else {
                "approved": decision.approved,
                "reason": decision.reason,
                "edited": run.approved_input is not None or decision.input is not None,
            },
            "note": self._notes.get(run, ""),
        }

    def _args_preview(self, run: ToolRun) -> str:
        """The arguments as one clipped line (a big input is serialized once, not per update)."""
        cached = self._previews.get(run)
        if cached is None or cached[0] is not run.input:
            cached = self._previews[run] = (run.input, _clip(_json(run.input), _ARGS_PREVIEW))
        return cached[1]

    def _update_info(self) -> None:
        counts: dict[str, int] = {}
        for run in self._all_runs:
            counts[run.status] = counts.get(run.status, 0) + 1
        loop = self.loop
        self._header.info = {
            "turn": self._turn,
            "runs": counts,
            "stop_reason": loop.stop_reason if loop is not None else None,
            "run": self._runs_seen,
        }

    # ------------------------------------------------------------------ display

    def to_html(self) -> str:
        """The static picture: header, each turn's StreamView, each turn's tool runs. No
        script; every model-controlled string escaped."""
        shared = f"<style>{stylesheet()}</style>"
        parts: list[str] = []
        first_view = True
        for child in self.box.children[1:]:
            if isinstance(child, StreamView):
                piece = render_html(child.snapshot)
                if not first_view:  # one copy of the view's stylesheet is enough
                    piece = piece.replace(shared, "", 1)
                first_view = False
                parts.append(piece)
            elif isinstance(child, _ToolRuns):
                parts.append(_runs_html(child))
        css = scope_css(_CSS, ".ss-conv").replace("</", "<\\/")
        return (
            f'<div class="ss-conv ss-static" data-status="{html.escape(self._header.status)}">'
            f"<style>{css}</style>{_header_html(self._header)}{''.join(parts)}</div>"
        )

    def _widget_bundle(self) -> tuple[dict[str, Any], dict[str, Any]]:
        raw = self.box._repr_mimebundle_()
        data, metadata = raw if isinstance(raw, tuple) else (raw, {})
        return dict(data or {}), dict(metadata or {})

    def _static_html(self) -> str:
        return self.to_html()


# --------------------------------------------------------------------------- static HTML


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _seconds(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


_STATUS_LABELS = {
    "pending": "queued",
    "awaiting_approval": "awaiting approval",
    "denied": "denied",
    "running": "running",
    "ok": "ok",
    "error": "error",
}


def _header_html(header: _Header) -> str:
    info = header.info or {}
    runs = info.get("runs") or {}
    bits = [f"turn {info.get('turn', 0)}"]
    if runs:
        total = sum(runs.values())
        detail = ", ".join(f"{n} {_STATUS_LABELS.get(k, k)}" for k, n in sorted(runs.items()))
        bits.append(f"{total} tool run{'s' if total != 1 else ''} ({detail})")
    if info.get("stop_reason"):
        bits.append(f"stop: {info['stop_reason']}")
    notice = f'<div class="ss-conv-notice">{_e(header.notice)}</div>' if header.notice else ""
    return (
        f'<div class="ss-conv-header" data-status="{_e(header.status)}">'
        '<span class="ss-conv-title">Tool loop</span>'
        f'<span class="ss-conv-status">{_e(header.status)}</span>'
        f'<span class="ss-conv-info">{_e(" · ".join(bits))}</span></div>{notice}'
    )


def _runs_html(panel: _ToolRuns) -> str:
    cards = []
    for row in panel.runs:
        key = str(row.get("key"))
        decision = row.get("decision")
        parts = [
            '<div class="ss-conv-run-head">'
            f'<span class="ss-conv-run-name">{_e(row.get("name"))}</span>'
            f'<span class="ss-conv-run-status">{_e(_STATUS_LABELS.get(row["status"], ""))}'
            f'</span><span class="ss-conv-run-time">{_e(_seconds(row.get("elapsed")))}</span>'
            f'</div><div class="ss-conv-run-id">{_e(row.get("id"))}</div>'
        ]
        full = panel.arguments.get(key) if row.get("approval") else None
        if full is not None:
            parts.append(f'<pre class="ss-conv-args ss-conv-args-full">{_e(full)}</pre>')
        else:
            parts.append(f'<pre class="ss-conv-args">{_e(row.get("args"))}</pre>')
        if isinstance(decision, dict):
            parts.append(f'<div class="ss-conv-decision">{_e(_decision_text(decision))}</div>')
        if row.get("note"):
            parts.append(f'<div class="ss-conv-note">{_e(row["note"])}</div>')
        if row.get("result"):
            error = ' data-error="true"' if row.get("is_error") else ""
            parts.append(f'<pre class="ss-conv-result"{error}>{_e(row["result"])}</pre>')
        cards.append(
            f'<div class="ss-conv-run" data-status="{_e(row.get("status"))}"'
            f' data-approval="{"true" if row.get("approval") else "false"}">'
            f"{''.join(parts)}</div>"
        )
    count = len(panel.runs)
    return (
        '<div class="ss-conv-runs">'
        f'<div class="ss-conv-runs-head">{_e(panel.title)} · {count} tool call'
        f"{'s' if count != 1 else ''}</div>"
        f'<div class="ss-conv-grid">{"".join(cards)}</div></div>'
    )


def _decision_text(decision: dict[str, Any]) -> str:
    if decision.get("approved"):
        return "approved (arguments edited)" if decision.get("edited") else "approved"
    reason = decision.get("reason")
    return f"denied: {reason}" if reason else "denied"


# --------------------------------------------------------------------------- one-liner


async def arun_loop(loop: ToolLoop, messages: str | Sequence[Any], **options: Any) -> list[Any]:
    """Display a :class:`ConversationView` of ``loop`` and ``await loop.arun(messages)``;
    returns the whole conversation. ``options`` go to :class:`ConversationView`."""
    from IPython.display import display

    view = ConversationView(loop, **options)
    display(view)  # type: ignore[no-untyped-call]
    return await loop.arun(messages)
