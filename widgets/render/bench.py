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
from streamscope.core.stream.blocks import ToolUseBlock
from streamscope.core.stream.changes import Change
from streamscope.widgets.render.comparison import comparison_body
from streamscope.widgets.render.fulltext import Budget
from streamscope.widgets.render.lanes import Lane, lanes_more, lanes_supply
from streamscope.widgets.render.markup import NO_MATH, SEP, e, json_text
from streamscope.widgets.render.regions import CONTROL_PREFIX, Op, RegionStore, slot
from streamscope.widgets.render.timeline import axis_ticks

__all__ = ["AXIS_EVERY", "FIGURES_EVERY", "BenchPicture"]

ROOT_ID = "bench"
HEAD_ID = "bench/head"
NOTICE_ID = "bench/notice"
AXIS_ID = "bench/axis"
ROWS_ID = "bench/axis-rows"
BODY_ID = "bench/body"
CONTROLS_ID = f"{CONTROL_PREFIX}bench/controls"
AXIS_EVERY = 5.0
"""Seconds between two redraws of the open bars on the time axis (the moments a run
starts, gets its first token or ends are drawn at once). The header's clock ticks in the
page meanwhile."""
FIGURES_EVERY = 2.0
"""Seconds between two redraws of what moves with time alone (figures, the axis). Eight
runs at a model's pace bring ~2 KB of content a second; redrawing eight columns' figures
and eight open bars every second would send about as much again."""
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
    """The shared axis' length: 10 s, doubled as often as needed. It grows by doubling
    (rarely), since every bar is redrawn when it does."""
    end = 10.0
    while end < seconds:
        end *= 2
    return end


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json_text(value, indent=None)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

        figures = (
            self._moments
            or now is None
            or self._figures_at is None
            or now - self._figures_at >= FIGURES_EVERY
        )
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
                self._render_column(column, put, figures, now)
        axis = (
            self._moments
            or now is None
            or self._axis_at is None
            or now - self._axis_at >= AXIS_EVERY
        )
        if axis:
            self._axis_at = now
            self._put_axis(put, now)
        if figures:
            self._figures_at = now
            self._moments = False
            put(HEAD_ID, [self._head(now)])
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
        return (
            f'<span class="ss-head"><span class="ss-title">{e(self.title)}</span> '
            f'<span class="ss-model">{plural(len(bench.executions), "run")}: {e(summary)}</span> '
            f'<span class="ss-status" data-status="{status}" role="status">{status}</span>'
            f"{clock}{total}</span>{slot(CONTROLS_ID, cls='ss-controls')}"
        )

    # ------------------------------------------------------------------ the axis

    def _put_axis(self, put: Any, now: float | None) -> None:
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
        end = _axis_end(max([*latest, 0.0]))
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
        # one part per run, what moves (an open bar's width) last: a splice of a few bytes
        put(ROWS_ID, [self._axis_row(run, origin, end, now) for run in bench.executions])

    def _axis_row(self, run: BenchRun, origin: float, end: float, now: float | None) -> str:
        state = run.state
        word = _PHASE_WORDS[run.phase]
        if run.launched_at is None:
            times, track = word, ""
        else:
            start = run.launched_at - origin
            stop_at = run.finished_at if run.finished_at is not None else now
            stop = (stop_at - origin) if stop_at is not None else start
            first = state.first_token_at - origin if state.first_token_at is not None else None
            bits = [f"started {fmt_seconds(start)}"]
            bits.append("no token yet" if first is None else f"first token {fmt_seconds(first)}")
            if run.finished_at is not None:
                bits.append(f"{word} {fmt_seconds(stop)}")
            times = SEP.join(bits)
            mark = ""
            if first is not None:
                mark = (
                    f'<rect x="{first * 1000:.0f}" y="0" width="{end * 1000 / 300:.1f}"'
                    ' height="12" class="ss-tl-first" fill="currentColor"'
                    ' fill-opacity="0.8"></rect>'
                )
            width = max(end * 1000 / 250, (stop - start) * 1000)
            track = (
                f'<svg class="ss-tl-track" viewBox="0 0 {end * 1000:.0f} 12"'
                ' preserveAspectRatio="none" aria-hidden="true" focusable="false">'
                f'{mark}<rect x="{start * 1000:.0f}" y="1" height="10" class="ss-tl-bar"'
                f' width="{width:.0f}"></rect></svg>'
            )
        state_word = "open" if run.phase == "running" else "done"
        return (
            f'<li class="ss-tl-row" data-kind="text" data-phase="{e(run.phase)}"'
            f' data-state="{state_word}"><span class="ss-tl-label">{e(run.label)}</span>'
            f' <span class="ss-tl-times">{e(times)}</span>{track}</li>'
        )

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
        dirty = {b.index for b in blocks} if column.structural else column.dirty
        for block in blocks:
            if block.index not in dirty:
                continue
            lane = column.lanes.get(block.index)
            if lane is None or lane.block is not block:
                anchor = f"ss-bench-{id(self):x}-{column.prefix}b{block.index}"
                lane = column.lanes[block.index] = Lane(block, column.prefix, anchor)
            for region_id, parts in lane.regions(final).items():
                # a lane's frame (its counts: "Thinking · 1,234 characters") moves with the
                # figures; its text goes out every frame
                if region_id != lane.body_id or figures or column.structural:
                    put(region_id, parts)
        if column.structural:
            put(
                column.prefix + "lanes",
                [column.lanes[b.index].head(over) for b in blocks if b.index in column.lanes]
                or [self._empty(run)],
            )
        if figures or column.structural:
            put(column.prefix + "fig", [self._figures(run, now)])
        column.dirty = set()
        column.structural = False

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
