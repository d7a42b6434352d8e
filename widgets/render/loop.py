"""The picture of a tool loop: its header, each turn's stream and tool runs, the waiting approvals.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.loop``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from streamscope.core.figures.loop import loop_figures, run_time
from streamscope.core.figures.model import stream_figures
from streamscope.core.figures.text import plural
from streamscope.core.json.clip import clip
from streamscope.core.loop.records import ToolExecution, Turn
from streamscope.core.tools.tool import json_default
from streamscope.widgets.render.arguments import value_html
from streamscope.widgets.render.cache import cache_line
from streamscope.widgets.render.loop_timeline import loop_timeline
from streamscope.widgets.render.markup import NO_MATH, SEP, e, pre
from streamscope.widgets.render.panel import figure_attrs
from streamscope.widgets.render.regions import CONTROL_PREFIX, LAZY_PREFIX, Op, RegionStore, slot
from streamscope.widgets.render.stream import StreamPicture

__all__ = ["APPROVALS_ID", "ConversationPicture", "ViewNotes", "run_status_word"]

ROOT_ID = "conv"
HEAD_ID = "conv/head"
TURNS_ID = "conv/turns"
TIMELINE_ID = "conv/timeline"
APPROVALS_ID = f"{CONTROL_PREFIX}conv/approvals"
CONTROLS_ID = f"{CONTROL_PREFIX}conv/controls"
KEEP_TURNS = 20
"""Turns shown whole: older ones fold to a line (a long loop keeps the page and the kernel's
picture bounded; a folded turn's picture comes back when opened)."""
ARGS_PREVIEW = 300
RESULT_PREVIEW = 600


def run_status_word(status: str) -> str:
    """The word a tool run's status reads as: the loop's own
    (``core.status.EXECUTION_STATUSES``)."""
    return status


def _json(value: Any, indent: int | None = None) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent, default=json_default)
    except (TypeError, ValueError, RecursionError):
        return "(not JSON-serializable)"


def _content_text(content: Any) -> str:
    """A tool result's content as text (non-text blocks named in brackets)."""
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


@dataclass
class ViewNotes:
    """What the view knows beyond the loop's records: who is waiting, what was decided."""

    status: str = "idle"
    notice: str = ""
    stop: str = "off"
    """The Stop button: ``off``, ``on``, ``requested`` or ``blocked``."""
    asking: list[ToolExecution] = field(default_factory=list)
    """Calls waiting for a click, in order."""
    decisions: dict[ToolExecution, dict[str, Any]] = field(default_factory=dict)
    notes: dict[ToolExecution, str] = field(default_factory=dict)
    refusals: dict[ToolExecution, str] = field(default_factory=dict)
    """Why the last Approve with edited arguments was refused."""
    failure: str | None = None
    """Why the loop failed (its exception, as text)."""


class ConversationPicture:
    """Renders a loop's turns and runs as regions (see the module docstring)."""

    def __init__(
        self,
        *,
        prices: Any = None,
        token: str = "",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.prices = prices
        self.token = token
        self.turns: list[Turn] = []
        self.pictures: dict[int, StreamPicture] = {}
        self.executions: dict[int, list[ToolExecution]] = {}
        self.notes = ViewNotes()
        self._clock = clock
        self._turn_keys: dict[int, int] = {}
        self.keep_turns = KEEP_TURNS
        """How many of the newest turns are shown whole; older ones fold to a line each."""
        self.unfolded: set[int] = set()
        """Older turns a page opened again (their pictures are rendered and sent)."""
        self._dropped: set[int] = set()

    # ------------------------------------------------------------------ records

    def key(self, turn: Turn) -> int:
        """A stable number for a turn of this view (runs of a loop start again at 1)."""
        found = self._turn_keys.get(id(turn))
        if found is None:
            found = self._turn_keys[id(turn)] = len(self._turn_keys) + 1
        return found

    def add_turn(self, turn: Turn) -> StreamPicture | None:
        key = self.key(turn)
        self.turns.append(turn)
        self.executions.setdefault(key, [])
        if turn.state is None:
            return None
        picture = StreamPicture(
            turn.state, prefix=f"t{key}.", prices=self.prices, title=f"Turn {turn.number}"
        )
        # the panel says why this turn did or did not read the last turn's prompt cache
        picture.previous = next(
            (t for t in reversed(self.turns[:-1]) if t.state is not None and not t.resumed),
            None,
        )
        picture.run = turn
        picture.token = self.token
        self.pictures[key] = picture
        return picture

    def add_run(self, run: ToolExecution, turn: Turn | None) -> None:
        key = self.key(turn) if turn is not None else 0
        runs = self.executions.setdefault(key, [])
        if run not in runs:
            runs.append(run)

    # ------------------------------------------------------------------ rendering

    def render(self, store: RegionStore, now: float, *, live: bool = False) -> list[Op]:
        ops: list[Op] = []

        def put(region_id: str, parts: list[str]) -> None:
            op = store.update(region_id, parts)
            if op is not None:
                ops.append(op)

        folded = self.folded_keys()
        for key in folded - self._dropped:  # newly folded: free their regions and caches
            for rid in [r for r in store.parts if self.turn_of_region(r) == key]:
                op = store.drop(rid)
                if op is not None:
                    ops.append(op)
            if key in self.pictures:
                self.pictures[key].release()
        self._dropped = set(folded)
        turns = [self._turn_part(turn, now, self.key(turn) in folded) for turn in self.turns]
        for key, picture in self.pictures.items():  # their clocks run while the loop does
            if key not in folded:
                ops.extend(picture.render(store, now if live else None))
        put(ROOT_ID, [self._frame()])
        put(HEAD_ID, [self._head(now)])
        put(TURNS_ID, turns or ['<p class="ss-empty">Waiting for the loop to start…</p>'])
        put(TIMELINE_ID, loop_timeline(self.turns, self._origin(), now if live else None))
        for key, runs in self.executions.items():
            if key not in folded:
                put(f"t{key}.executions", [self._card(run, now) for run in runs])
        put(APPROVALS_ID, [self._approval(run) for run in self.notes.asking])
        return ops

    def _frame(self) -> str:
        """The loop's frame: header, the waiting approvals right under it (the top of the
        output is where the eye is after Run All: a form 4,000 px down went unseen), notice
        or failure, the slots of the turns and the loop's timeline."""
        notes = self.notes
        status = e(notes.status)
        notice = (
            f'<p class="ss-conv-notice" role="note">{e(notes.notice)}</p>' if notes.notice else ""
        )
        failure = (
            f'<section class="ss-error" role="alert"><div class="ss-final-title">The loop failed'
            f'</div><p class="ss-error-text">{e(notes.failure)}</p></section>'
            if notes.failure
            else ""
        )
        return (
            f'<div class="ss-conv {NO_MATH}" data-status="{status}">'
            f"{slot(HEAD_ID, cls='ss-conv-header')}"
            f"{slot(APPROVALS_ID, cls='ss-conv-approvals', id='ss-conv-approvals')}"
            f"{notice}{failure}"
            f"{slot(TURNS_ID, cls='ss-conv-turns')}"
            f"{slot(TIMELINE_ID, cls='ss-conv-timeline')}</div>"
        )

    def _head(self, now: float) -> str:
        """Status and totals over the loop: turns, calls, tokens by kind, cache hit rate,
        cost, wall time (each a figure of :func:`~streamscope.core.figures.loop.loop_figures`,
        the sums of what the turns' panels show); how many approvals wait (a button to them)."""
        notes = self.notes
        runs = [r for rs in self.executions.values() for r in rs]
        turns = []  # each turn's figures as its panel last drew them: they move together
        for turn in self.turns:
            if turn.state is None:
                continue
            picture = self.pictures.get(self.key(turn))
            drawn = picture.figures if picture is not None else None
            turns.append(drawn or stream_figures(turn.state, prices=self.prices))
        figs = loop_figures(turns, tool_calls=len(runs), wall=self._wall(now))

        def shown(key: str, words: str = "") -> str:
            figure = figs[f"loop.{key}"]
            # a number and its word wrap together ("769 thinking", never "769" / "thinking")
            inner = f"<span{figure_attrs(figure)}>{e(figure.text)}</span>{e(words)}"
            return f'<span class="ss-conv-fig">{inner}</span>'

        bits = [
            shown("turns", " turn" if figs["loop.turns"].value == 1 else " turns"),
            shown("tool_calls", " tool call" if len(runs) == 1 else " tool calls"),
            shown("total_input_tokens", " total input tokens (uncached + cache)"),
            shown("output_tokens", " output tokens"),
        ]
        if figs["loop.thinking_tokens"].value:
            bits.append(shown("thinking_tokens", " thinking"))
        if (
            figs["loop.cache_read_input_tokens"].value
            or figs["loop.cache_creation_input_tokens"].value
        ):
            bits.append(
                f"cache: {shown('cache_creation_input_tokens', ' written, ')}"
                f"{shown('cache_read_input_tokens', ' read')} "
                f"({shown('cache_hit_rate', ' hit rate')})"
            )
        if figs["loop.cost"].kind != "waiting":
            bits.append(shown("cost"))
        if figs["loop.wall_time"].kind != "waiting":
            bits.append(shown("wall_time", " wall time"))
        waiting = len(notes.asking)
        waiting_html = (
            # a button (an in-page link styled as one) that scrolls to the waiting approval
            # (drawn right under this header) and flashes it
            f' <a class="ss-btn ss-conv-waiting" href="#ss-conv-approvals" role="button">'
            f"{plural(waiting, 'approval')} waiting</a>"
            if waiting
            else ""
        )
        status = e(notes.status)
        return (
            f'<span class="ss-conv-title">Tool loop</span> '
            f'<span class="ss-status" data-status="{status}">{status}</span>'
            # the leading separator is for a page without styles: hidden here (it would
            # start the line when the figures wrap under the title)
            f'<span class="ss-conv-info"><span class="ss-sep">{SEP}</span>{SEP.join(bits)}</span>'
            f'<span class="ss-conv-live" role="status">{waiting_html}</span>'
            f"{slot(CONTROLS_ID, cls='ss-controls')}"
        )

    def _origin(self) -> float | None:
        starts = [
            t.state.started_at
            for t in self.turns
            if t.state is not None and t.state.started_at is not None
        ]
        return min(starts) if starts else None

    def _wall(self, now: float) -> float | None:
        origin = self._origin()
        if origin is None:
            return None
        ends = [origin]
        for turn in self.turns:
            if turn.state is not None and turn.state.last_event_at is not None:
                ends.append(turn.state.last_event_at)
            for run in turn.executions:
                if run.finished_at is not None:
                    ends.append(run.finished_at)
        if self.notes.status not in ("done", "stopped", "failed"):
            ends.append(now)
        return max(ends) - origin

    # ------------------------------------------------------------------ folding

    def folded_keys(self) -> set[int]:
        """Turns older than the last :attr:`keep_turns` that no page asked to see again."""
        keys = [self.key(t) for t in self.turns]
        return {k for k in keys[: max(0, len(keys) - self.keep_turns)] if k not in self.unfolded}

    def turn_of_region(self, region_id: str) -> int | None:
        """The turn whose picture or cards a region belongs to (``t7.lanes``, the lazy
        ``lazy:t7.raw/2``), or None."""
        rid = region_id.removeprefix(LAZY_PREFIX)
        head, dot, _ = rid.partition(".")
        if not dot or not head.startswith("t") or not head[1:].isdigit():
            return None
        return int(head[1:])

    def _turn_part(self, turn: Turn, now: float, folded: bool = False) -> str:
        key = self.key(turn)
        runs = self.executions.get(key, [])
        state = turn.state
        bits = [f"Turn {turn.number}" if not turn.resumed else "Resumed calls"]
        if runs:
            bits.append(plural(len(runs), "tool call"))
        picture = self.pictures.get(key)
        if (
            picture is None
            and state is not None
            and state.duration is not None
            and state.status != "streaming"
        ):  # a picture's head shows its time itself: the panel's figure, named on the page
            bits.append(stream_figures(state).text("elapsed"))
        if turn.stop_reason:
            bits.append(f"stop: {turn.stop_reason}")
        runs_html = slot(f"t{key}.executions", cls="ss-conv-grid") if runs else ""
        explanation = picture.cache_explanation if picture is not None else None
        if explanation is not None:  # every turn after the first: hit, or why it missed
            runs_html = f'<div class="ss-conv-cache">{cache_line(explanation)}</div>{runs_html}'

        if picture is not None:
            picture.title = bits[0]
            picture.subtitle = " · ".join(bits[1:])
            picture.head_duration = True  # once it ended, its head says how long it took
            # only the newest turn's panel stays open: a long loop stays short
            picture.collapse_final = turn is not self.turns[-1]
            # the newest turn's request is the whole conversation: the one to send again
            picture.show_request = turn is self.turns[-1]
            stream = slot(f"t{key}.view", cls="ss-conv-stream")
        else:
            head = SEP.join(f"<span>{e(b)}</span>" for b in bits)
            stream = f'<div class="ss-conv-turn-head">{head}</div>'
        if folded:  # a line; its picture is sent only if a page opens it
            if picture is not None and state is not None and state.duration is not None:
                bits.insert(
                    -1 if turn.stop_reason else len(bits), stream_figures(state).text("elapsed")
                )
            summary = SEP.join(e(b) for b in bits)
            return (
                f'<section class="ss-conv-turn ss-conv-folded" data-turn="{turn.number}">'
                f'<details data-ss-key="t{key}-folded"><summary>{summary}</summary>'
                f"{slot(f't{key}.view', cls='ss-conv-stream', data_ss_lazy='')}{runs_html}"
                "</details></section>"
            )
        return (
            f'<section class="ss-conv-turn" data-turn="{turn.number}">{stream}{runs_html}</section>'
        )

    def _card(self, run: ToolExecution, now: float) -> str:
        notes = self.notes
        word = run_status_word(run.status)
        took = run_time(
            run.started_at, run.finished_at, None if run.done else now, f"run.{run.id}.time"
        )
        clock = ""
        if run.finished_at is None and took.value is not None:
            clock = f' data-ss-clock="{took.value:.3f}"'  # ticks on the page while it runs
        time_html = (
            f'<span class="ss-conv-run-time"{figure_attrs(took)}{clock}>{e(took.text)}</span>'
            if took.kind != "waiting"
            else ""
        )
        args = self._args_html(run)
        parts = [
            f'<div class="ss-conv-run-head"><span class="ss-conv-run-name">{e(run.name)}</span>'
            f'{SEP}<span class="ss-conv-run-status" data-status="{e(word)}">{e(word)}</span>'
            f"{SEP if time_html else ''}{time_html}</div>"
            f'<div class="ss-conv-run-id">{e(run.id)}</div>',
            args,
        ]
        decision = notes.decisions.get(run)
        if decision is None and run.decision is not None:
            decision = {
                "approved": run.decision.approved,
                "reason": run.decision.reason,
                "edited": run.approved_input is not None,
            }
        denied = decision is not None and not decision.get("approved")
        if decision is not None:
            # the head says "denied": the card says it once, with the reason here
            text = _denial_text(decision) if denied else _decision_text(decision)
            parts.append(f'<p class="ss-conv-decision">{e(text)}</p>')
        if run in notes.asking:
            parts.append(
                '<p class="ss-conv-decision"><a href="#ss-conv-approvals">'
                "waiting for your decision: the form at the top</a></p>"
            )
        if run.detail and not denied:
            parts.append(f'<p class="ss-conv-detail">{e(run.detail)}</p>')
        note = notes.notes.get(run)
        if note:
            parts.append(f'<p class="ss-conv-note">{e(note)}</p>')
        if run.done and run.content is not None:
            text = clip(_content_text(run.content), RESULT_PREVIEW)
            error = ' data-error="true"' if run.is_error and not denied else ""
            label = "sent to the model" if denied else "error" if run.is_error else "result"
            parts.append(
                f'<div class="ss-conv-result"{error}><span class="ss-col-title">{label}</span>'
                f"{pre(e(text), 'ss-conv-result-text')}</div>"
            )
        return (
            f'<div class="ss-conv-run" data-status="{e(word)}"'
            f' data-approval="{"true" if run.needs_approval else "false"}">{"".join(parts)}</div>'
        )

    def _args_html(self, run: ToolExecution) -> str:
        value = run.input
        if isinstance(value, Mapping) and value and all(isinstance(k, str) for k in value):
            rows = []
            for k, v in list(value.items())[:12]:
                shown = v if isinstance(v, str) else _json(v)
                rows.append(f"<li><b>{e(k)}</b>: {e(clip(str(shown), ARGS_PREVIEW))}</li>")
            more = len(value) - 12
            if more > 0:
                rows.append(f"<li>… {plural(more, 'more field')}</li>")
            return f'<ul class="ss-conv-args">{"".join(rows)}</ul>'
        return pre(e(clip(_json(value), ARGS_PREVIEW)), "ss-conv-args")

    def _approval(self, run: ToolExecution) -> str:
        """A waiting call's form: readable arguments, raw JSON to edit, Approve / Deny."""
        key = self.run_key(run)
        readable = value_html(run.input, (), None)  # strings with newlines read as lines
        refusal = self.notes.refusals.get(run)
        refusal_html = (
            f'<p class="ss-conv-refusal" role="alert">{e(refusal)}</p>' if refusal else ""
        )
        token = e(self.token)
        return (
            # data-ss-reveal: a page brings the form into view when it first appears (after
            # Run All the notebook shows its last cell, thousands of pixels below)
            f'<div class="ss-conv-approval" role="group" data-ss-form="{key}"'
            f' data-ss-reveal="{key}" aria-label="Approve {e(run.name)}?">'
            f'<div class="ss-conv-approval-head"><strong>{e(run.name)}</strong> needs your approval'
            f'{SEP}<span class="ss-conv-run-id">{e(run.id)}</span></div>{readable}'
            f'<details class="ss-conv-edit" data-ss-key="{key}-edit"><summary>Edit the arguments'
            f' (JSON)</summary><textarea class="ss-conv-edit-text" data-ss-field="input"'
            f' data-ss-key="{key}-input" rows="8" spellcheck="false"'
            f' aria-label="Arguments as JSON">{e(_json(run.input, indent=2))}</textarea></details>'
            f"{refusal_html}"
            f'<div class="ss-conv-approval-actions">'
            f'<button type="button" class="ss-btn ss-btn-approve" data-ss-action="approve"'
            f' data-ss-target="{key}" data-ss-token="{token}">Approve</button>'
            f'<input type="text" class="ss-conv-reason" data-ss-field="reason"'
            f' data-ss-key="{key}-reason" placeholder="reason (optional)"'
            f' aria-label="Reason for denying">'
            f'<button type="button" class="ss-btn ss-btn-deny" data-ss-action="deny"'
            f' data-ss-target="{key}" data-ss-token="{token}">Deny</button></div></div>'
        )

    @staticmethod
    def run_key(run: ToolExecution) -> str:
        return f"run-{id(run):x}"


def _denial_text(decision: Mapping[str, Any]) -> str:
    """A denied call's line under its "denied" head: who denied it and why, without the
    word again."""
    by = "by the view's policy" if decision.get("policy") else "by you"
    reason = decision.get("reason")
    return f"{by}: {reason}" if reason else f"{by}, no reason given"


def _decision_text(decision: Mapping[str, Any]) -> str:
    by = " by the view's policy" if decision.get("policy") else ""
    if decision.get("approved"):
        return f"approved{by} (arguments edited)" if decision.get("edited") else f"approved{by}"
    reason = decision.get("reason")
    return f"denied{by}: {reason}" if reason else f"denied{by}"
