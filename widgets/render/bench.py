"""The picture of a bench: runs of one prompt streaming side by side, then their comparison.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.bench``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamscope.core.comparison.bench import Bench, BenchRun, run_cost
from streamscope.core.comparison.runs import Comparison
from streamscope.core.figures.model import stream_figures
from streamscope.core.figures.text import (
    fmt_clock,
    fmt_rate,
    fmt_seconds,
    fmt_usd,
    plural,
)
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.blocks import Block, TextBlock, ThinkingBlock, ToolUseBlock
from streamscope.core.stream.changes import Change
from streamscope.widgets.render.comparison import comparison_body
from streamscope.widgets.render.fulltext import Budget
from streamscope.widgets.render.lanes import Lane, lanes_more, lanes_supply
from streamscope.widgets.render.loop_timeline import nice_axis_end
from streamscope.widgets.render.markup import NO_MATH, SEP, attr, e, json_text
from streamscope.widgets.render.regions import CONTROL_PREFIX, Op, RegionStore, is_lazy, slot
from streamscope.widgets.render.server_tools import picture_kind
from streamscope.widgets.render.timeline import axis_ticks

__all__ = ["AXIS_EVERY", "FIGURES_EVERY", "BenchPicture"]

ROOT_ID = "bench"
HEAD_ID = "bench/head"
NOTICE_ID = "bench/notice"
AXIS_ID = "bench/axis"
ROWS_ID = "bench/axis-rows"
BODY_ID = "bench/body"
CONTROLS_ID = f"{CONTROL_PREFIX}bench/controls"
AXIS_EVERY = 8.0
"""Seconds between two redraws of the open bars on the time axis (the moments a run
starts, gets its first token or ends are drawn at once). The header's clock ticks in the
page meanwhile."""
FIGURES_EVERY = 5.0
"""Seconds between two redraws of what moves with time alone (figures, the axis). Eight
runs at a model's pace bring ~2 KB of content a second; redrawing eight columns' figures
and eight open bars every second would send about as much again."""
TEXT_EVERY = 1.5
"""Most seconds a run's new text waits for a frame. A run's text goes out once
:data:`TEXT_AT_LEAST` characters have come, or this long after its last frame: at a slow
model's pace (~170 bytes a second) a frame every 0.25 s would carry more framing (the op,
the closing tags re-sent) than text."""
TEXT_AT_LEAST = 300
"""Characters of new text (or thinking) that make a run's text due at once."""
_TICKS = 4
_PHASE_WORDS = {
    "queued": "queued",
    "running": "streaming",
    "done": "done",
    "failed": "failed",
    "stopped": "stopped",
    "skipped": "not started",
}


def _axis_end(seconds: float) -> float:
    """The shared axis' length: 20 s (about what a model takes for a short answer),
    doubled as often as needed. It grows by doubling (rarely), since every bar is redrawn
    when it does."""
    end = 20.0
    while end < seconds:
        end *= 2
    return end


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json_text(value, indent=None)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lane_head(lane: Lane, over: bool) -> str:
    """A compact lane: its body in a lane's frame (its kind as its colour), headed by its
    type only where the body does not say what it is (not text, not thinking); none of a
    StreamView's lane figures, anchors or buttons (a column has its figures above)."""
    block = lane.block
    head = ""
    if not isinstance(block, (TextBlock, ThinkingBlock)):
        name = ""
        if isinstance(block, ToolUseBlock) and block.name:
            name = f' <span class="ss-lane-name">{e(block.name)}</span>'
        kind = f'<span class="ss-lane-type">{e(block.type)}</span>'
        head = f'<div class="ss-lane-head">{kind}{name}</div>'
    return (
        f'<section class="ss-lane"{attr("data-kind", picture_kind(block))}'
        f' data-status="{lane.status(over)}">{head}'
        f"{slot(lane.body_id, cls='ss-lane-body')}</section>"
    )


def _received(block: Block) -> int:
    """How much of a block has come, for pacing: its characters of text or thinking, else
    its deltas (8 characters each, about a tool call's JSON fragment)."""
    length = getattr(block, "length", None)
    return length if isinstance(length, int) else block.delta_count * 8


def variant_text(run: BenchRun) -> str:
    """The arguments that make this run differ, as ``key=value`` pairs."""
    if not run.variant:
        return "the common request"
    return ", ".join(f"{k}={_short(v)}" for k, v in run.variant.items())


class _Column:
    """What one run's column has drawn (its lanes)."""

    def __init__(self, run: BenchRun) -> None:
        self.run = run
        self.prefix = f"r{run.index}."
        self.lanes: dict[int, Lane] = {}
        self.dirty: set[int] = set()
        self.structural = True
        self.saw_first = False
        self.text_at: float | None = None
        """When the run's text last went out (the bench's clock)."""
        self.received = 0
        """How much text it had then (:func:`_received`)."""
        self.fig_key: tuple[Any, ...] | None = None
        """What its figures said in kind when last drawn (see ``_put_figures``)."""


class BenchPicture:
    """Renders a :class:`~streamscope.core.comparison.bench.Bench` as regions (see the module
    docstring). ``comparison`` set: the body shows it instead of the columns."""

    def __init__(self, bench: Bench, *, prices: PriceTable | None = None, title: str) -> None:
        self.bench = bench
        self.prices = prices
        self.title = title
        self.root_id = ROOT_ID
        self.controls_id = CONTROLS_ID
        self.comparison: Comparison | None = None
        self._columns = [_Column(run) for run in bench.executions]
        self._figures_at: float | None = None
        self._axis_at: float | None = None
        self._moments = True
        """A run started, got its first token or ended: the head and the axis at once."""
        self._head_key = ""
        self.withheld: Callable[[str], bool] = lambda region_id: False
        """Whether no page has asked for a lazy region yet (the view says): a run's folded
        thinking is not drawn until one does (the view then calls :meth:`note_all`)."""
        self._rows: dict[int, tuple[Any, ...]] = {}
        """What each run's axis row showed when last drawn (phase, first token, scale)."""
        """The header as last drawn without its clock (which the page ticks itself)."""

    # ------------------------------------------------------------------ changes

    def note(self, run: BenchRun, change: Change | None) -> None:
        """Remember what a run's event (or phase change, ``change`` None) touched."""
        column = self._columns[run.index]
        if change is None:  # launched, finished, skipped: a moment on the axis
            column.structural = self._moments = True
        elif change.kind not in ("block_delta", "ping"):
            column.structural = True
        if change is not None and change.index is not None:
            column.dirty.add(change.index)
        if not column.saw_first and run.state.first_token_at is not None:
            column.saw_first = True  # a moment on the axis: drawn at once
            column.structural = self._moments = True

    def note_all(self) -> None:
        """Redraw everything at the next render (the bench ended, or a setting changed)."""
        self._moments = True
        for column in self._columns:
            column.structural = True

    # ------------------------------------------------------------------ rendering

    def render(self, store: RegionStore, now: float | None) -> list[Op]:
        """Bring ``store`` up to date; the ops that did it. ``now``: the bench's clock while
        runs stream (open bars and the header's clock run to it), else None."""
        ops: list[Op] = []

        def put(region_id: str, parts: list[str]) -> None:
            op = store.update(region_id, parts)
            if op is not None:
                ops.append(op)

        # the columns' figures move together every FIGURES_EVERY (a column whose figures
        # change in kind draws them at once); a moment redraws the header and the axis
        every = now is None or self._figures_at is None or now - self._figures_at >= FIGURES_EVERY
        figures = every or self._moments
        put(ROOT_ID, [self._frame()])
        put(NOTICE_ID, [f'<p class="ss-bench-notice" role="status">{e(self.bench.notice)}</p>']
            if self.bench.notice else [])  # fmt: skip
        if self.comparison is not None:
            body = comparison_body(self.comparison, self.prices, fold_runs=len(self._columns) > 4)
            put(BODY_ID, [body])
            for column in self._columns:  # the columns are gone: forget their regions
                for region_id in list(store.parts):
                    if region_id.startswith(column.prefix):
                        op = store.drop(region_id)
                        if op is not None:
                            ops.append(op)
        else:
            put(BODY_ID, [self._column_frame(c) for c in self._columns])
            for column in self._columns:
                self._render_column(column, put, every, now)
        tick = now is None or self._axis_at is None or now - self._axis_at >= AXIS_EVERY
        if tick:
            self._axis_at = now
        if tick or self._moments:
            self._put_axis(put, now, tick)
        if every:
            self._figures_at = now
        if figures:
            self._moments = False
            # the clock alone moving is no reason to send the header: the page ticks it
            key = self._head(None)
            if key != self._head_key or now is None:
                self._head_key = key
                put(HEAD_ID, [self._head(now), slot(CONTROLS_ID, cls="ss-controls")])
        return ops

    def _frame(self) -> str:
        return (
            f'<div class="ss-bench {NO_MATH}">'
            f"{slot(HEAD_ID, cls='ss-header')}{slot(NOTICE_ID)}"
            f"{slot(AXIS_ID, cls='ss-bench-axis-box')}{slot(BODY_ID, cls='ss-bench-body')}</div>"
        )

    def _head(self, now: float | None) -> str:
        bench = self.bench
        counts: dict[str, int] = {}
        for run in bench.executions:
            word = _PHASE_WORDS[run.phase]
            counts[word] = counts.get(word, 0) + 1
        summary = SEP.join(f"{n:,} {word}" for word, n in counts.items())
        clock = ""
        if now is not None and bench.started_at is not None:
            clock = (
                f' <span class="ss-elapsed" title="since the first request"'
                f' data-ss-clock="{now - bench.started_at:.3f}">'
                f"{fmt_clock(now - bench.started_at)}</span>"
            )
        total = ""
        if bench.done:
            cost = sum(run_cost(r.state, self.prices) or 0.0 for r in bench.finished_runs())
            unpriced = any(run_cost(r.state, self.prices) is None for r in bench.finished_runs())
            wall = (
                bench.finished_at - bench.started_at
                if bench.finished_at is not None and bench.started_at is not None
                else None
            )
            model_time = sum(r.state.duration or 0.0 for r in bench.finished_runs())
            total = (
                f'<span class="ss-bench-total">{SEP}{fmt_usd(cost)} in all'
                f"{' (some runs unpriced)' if unpriced else ''}{SEP}{fmt_seconds(wall)} wall"
                f" for {fmt_seconds(model_time)} of model time</span>"
            )
        status = "done" if bench.done else "streaming"
        # what changes last: the counts, then the clock (a part of its own: the controls)
        return (
            f'<span class="ss-head"><span class="ss-title">{e(self.title)}</span> '
            f'<span class="ss-status" data-status="{status}" role="status">{status}</span> '
            f'<span class="ss-model">{plural(len(bench.executions), "run")}: {e(summary)}</span>'
            f"{clock}{total}</span>"
        )

    # ------------------------------------------------------------------ the axis

    def _put_axis(self, put: Any, now: float | None, tick: bool) -> None:
        """The axis. Between two ticks (:data:`AXIS_EVERY`) only the rows of runs that
        started, got their first token or ended are drawn again (the others' open bars
        grow at the next tick), unless the scale changed."""
        bench = self.bench
        origin = bench.started_at
        if origin is None:
            put(AXIS_ID, [])
            return
        latest = [now - origin] if now is not None else []
        for run in bench.executions:
            for at in (run.finished_at, run.state.last_event_at):
                if at is not None:
                    latest.append(at - origin)
        data_end = max([*latest, 0.0])
        # live, the axis grows by doubling (each growth redraws every bar); finished, it ends
        # at the nearest nice tick above the data (4.2 s on 0-5 s, not 0-20 s)
        end = nice_axis_end(data_end) if bench.done else _axis_end(data_end)
        ticks = axis_ticks(end, _TICKS)
        put(
            AXIS_ID,
            [
                '<figure class="ss-timeline ss-bench-axis"><figcaption class="ss-final-title">'
                "When each run started, got its first token and finished</figcaption>"
                f"{slot(ROWS_ID, 'ol', 'ss-tl-rows')}"
                f'<div class="ss-tl-axis" aria-hidden="true">{ticks}</div></figure>'
            ],
        )
        # a region per run's row: its words, then its bar, what moves (an open bar's
        # width) last: a splice of a few bytes
        put(ROWS_ID, [slot(f"{ROWS_ID}/{run.index}", "li", "ss-tl-row", data_kind="text")
                      for run in bench.executions])  # fmt: skip
        for run in bench.executions:
            moment = (run.phase, run.state.first_token_at is not None, end)
            if tick or self._rows.get(run.index) != moment:
                self._rows[run.index] = moment
                put(f"{ROWS_ID}/{run.index}", self._axis_row(run, origin, end, now))

    def _axis_row(self, run: BenchRun, origin: float, end: float, now: float | None) -> list[str]:
        state = run.state
        word = _PHASE_WORDS[run.phase]
        if run.launched_at is None:
            times, track = word, ""
        else:
            start = run.launched_at - origin
            stop_at = run.finished_at if run.finished_at is not None else now
            stop = (stop_at - origin) if stop_at is not None else start
            first = state.first_token_at - origin if state.first_token_at is not None else None
            # moments on the bench's shared clock ("at"), not a run's own time to first token
            bits = [f"started at {fmt_seconds(start)}"]
            bits.append("no token yet" if first is None else f"first token at {fmt_seconds(first)}")
            if run.finished_at is not None:
                bits.append(f"{word} at {fmt_seconds(stop)}")
            times = SEP.join(bits)
            mark = ""
            if first is not None:
                mark = (
                    f'<rect x="{first * 1000:.0f}" y="0" width="{end * 1000 / 300:.1f}"'
                    ' height="12" class="ss-tl-first" fill="currentColor"'
                    ' fill-opacity="0.8"></rect>'
                )
            width = max(end * 1000 / 250, (stop - start) * 1000)
            track = (  # the scale last: a rescale re-sends the rects, not the attributes
                '<svg class="ss-tl-track" preserveAspectRatio="none" aria-hidden="true"'
                f' focusable="false" viewBox="0 0 {end * 1000:.0f} 12">'
                f'{mark}<rect x="{start * 1000:.0f}" y="1" height="10" class="ss-tl-bar"'
                f' width="{width:.0f}"></rect></svg>'
            )
        state_word = "open" if run.phase == "running" else "done"
        # the phase on the times, not the row: a run that starts or ends re-sends less
        words = (
            f'<span class="ss-tl-label">{e(run.label)}</span> <span class="ss-tl-times"'
            f' data-phase="{e(run.phase)}" data-state="{state_word}">{e(times)}</span>'
        )
        return [words, track] if track else [words]

    # ------------------------------------------------------------------ columns

    def _column_frame(self, column: _Column) -> str:
        run = column.run
        p = column.prefix
        return (
            f'<section class="ss-bench-run" data-run="{run.index}">'
            f'<h4 class="ss-bench-label">{e(run.label)}</h4>'
            f'<p class="ss-bench-variant ss-muted">{e(variant_text(run))}</p>'
            f"{slot(p + 'fig', cls='ss-bench-fig')}{slot(p + 'lanes', cls='ss-lanes')}"
            "</section>"
        )

    def more(self, store: RegionStore, region_id: str, page: int) -> list[Op]:
        """A page asked for the next page of a folded text's whole ("Show all")."""
        return lanes_more(self._lanes(), store, region_id, page)

    def supply(self, budget: Budget) -> Callable[[str], list[str] | None]:
        """The whole texts a static picture carries, while ``budget`` lasts."""
        return lanes_supply(self._lanes(), budget)

    def _lanes(self) -> list[Lane]:
        return [lane for column in self._columns for lane in column.lanes.values()]

    def _render_column(self, column: _Column, put: Any, figures: bool, now: float | None) -> None:
        run = column.run
        state = run.state
        final = run.phase in ("done", "failed", "stopped", "skipped")
        over = state.finished or state.ended
        blocks = state.blocks
        received = sum(_received(b) for b in blocks)
        due = (
            column.structural
            or final
            or now is None
            or column.text_at is None
            or now - column.text_at >= TEXT_EVERY
            or received - column.received >= TEXT_AT_LEAST
        )
        if not due:  # a few characters more: they wait for more, or for TEXT_EVERY
            self._put_figures(column, put, figures, now)
            return
        column.text_at, column.received = now, received
        dirty = {b.index for b in blocks} if column.structural else column.dirty
        for block in blocks:
            if block.index not in dirty:
                continue
            lane = column.lanes.get(block.index)
            if lane is None or lane.block is not block:
                anchor = f"ss-bench-{id(self):x}-{column.prefix}b{block.index}"
                lane = column.lanes[block.index] = Lane(
                    block, column.prefix, anchor, fold_thinking=True
                )
            for region_id, parts in lane.regions(final).items():
                # a lane's frame (its counts: "Thinking · 1,234 characters") moves with the
                # figures; its text goes out every frame; folded thinking once a page opens it
                if is_lazy(region_id) and self.withheld(region_id):
                    continue
                if region_id != lane.body_id or figures or column.structural:
                    put(region_id, parts)
        if column.structural:
            put(
                column.prefix + "lanes",
                [_lane_head(column.lanes[b.index], over) for b in blocks if b.index in column.lanes]
                or [self._empty(run)],
            )
        self._put_figures(column, put, figures, now)
        column.dirty = set()
        column.structural = False

    def _put_figures(self, column: _Column, put: Any, figures: bool, now: float | None) -> None:
        """The run's figures: with the others (:data:`FIGURES_EVERY`), or at once when what
        they say changes in kind (its status, a first token, a tool call, a failure); not
        for every block that starts or stops, which would re-send numbers a second apart."""
        run = column.run
        state = run.state
        calls = sum(1 for b in state.blocks if isinstance(b, ToolUseBlock))
        why = state.error is not None or state.failure is not None
        key = (run.phase, state.model, state.first_token_at is not None, calls, why)
        if figures or key != column.fig_key:
            column.fig_key = key
            put(column.prefix + "fig", [self._figures(run, now)])

    @staticmethod
    def _empty(run: BenchRun) -> str:
        if run.phase == "queued":
            return '<p class="ss-empty">Queued…</p>'
        if run.phase == "skipped":
            return f'<p class="ss-empty">{e(run.why_skipped or "not started")}</p>'
        if run.phase == "running":
            return '<p class="ss-empty">Waiting for the stream…</p>'
        return '<p class="ss-empty">No content.</p>'

    def _figures(self, run: BenchRun, now: float | None) -> str:
        """Status, model and first token first; what moves while it streams (tokens, rate,
        cost) last, so a redraw is a short splice."""
        state = run.state
        word = _PHASE_WORDS[run.phase]
        live = run.phase == "running"
        bits = [f'<span class="ss-status" data-status="{e(word)}">{e(word)}</span>']
        model = state.model or run.request.get("model")
        if isinstance(model, str):
            bits.append(f'<span class="ss-model">{e(model)}</span>')
        if run.launched:
            ttft = state.time_to_first_token
            if ttft is not None:
                bits.append(f"first token {fmt_seconds(ttft)}")
            calls = sum(1 for b in state.blocks if isinstance(b, ToolUseBlock))
            if calls:
                bits.append(plural(calls, "tool call"))
            approx = "≈ " if live else ""
            cost = run_cost(state, self.prices)
            bits.append(f"{approx}{fmt_usd(cost)}" if cost is not None else "cost unknown")
            # the figure every view shows: estimated from the text while it streams (the
            # usage says message_start's placeholder, "3", until message_delta); the rate
            # divides that same figure
            output = stream_figures(state, now=now if live else None)["output_tokens"]
            out = output.value if isinstance(output.value, int) else state.usage.output_tokens
            first = state.first_token_at
            last = now if live and now is not None else state.last_event_at
            if first is not None and last is not None and last > first and out:
                bits.append(f"{approx}{fmt_rate(out / (last - first), ' tok/s')}")
            bits.append(f"{output.text} output {'token' if out == 1 else 'tokens'}")
        why = ""
        if state.error is not None:
            kind = state.error.get("type", "error")
            message = state.error.get("message", "")
            why = f"{kind}: {message}" if message else str(kind)
        elif state.failure is not None:
            why = state.failure
        failure = f'<p class="ss-bench-failure" role="alert">{e(why)}</p>' if why else ""
        return f'{failure}<p class="ss-bench-figures">{SEP.join(bits)}</p>'

    # ------------------------------------------------------------------ text

    def describe(self) -> str:
        """A line of plain text: the runs and where they stand."""
        bits = [f"{run.label}: {_PHASE_WORDS[run.phase]}" for run in self.bench.executions]
        return f"<Bench {' · '.join(bits)}>"
