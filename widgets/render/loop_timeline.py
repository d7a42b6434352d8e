"""The timeline of a whole tool loop: each turn's stream and each tool run, on one time axis.

What running tools together buys is the teaching question: a turn's parallel runs sit on
rows one under the other, and their bars overlap. A run's bar is cut by its history
(queued, awaiting approval, running), so a wait for a person reads apart from a slow tool.
Under each turn with tool runs, the figure: "3 tools: 1.60 s wall for 4.30 s of tool time
(2.7x)". Times are from the first request of the view's loop; the axis runs to a round
figure (see :func:`nice_axis_end`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from streamscope.core.figures.loop import run_time
from streamscope.core.figures.text import fmt_seconds, plural
from streamscope.core.loop.records import ToolExecution, Turn
from streamscope.widgets.render.markup import e
from streamscope.widgets.render.panel import figure_attrs
from streamscope.widgets.render.timeline import axis_ticks, colour_legend

__all__ = ["loop_timeline", "parallel_figure"]

_TICKS = 5
_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_axis_end(seconds: float) -> float:
    """The loop's axis end: the nearest nice tick above the data (a 20.3 s loop on a 0-25 s
    axis, ticks every 5 s), not the next 1-2-5 decade (0-50 s, 60% empty)."""
    if seconds <= 1.0:
        return 1.0
    raw = seconds / _TICKS
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in _STEPS if raw <= f * magnitude * (1 + 1e-9))
    return step * _TICKS


_DRAWN = ("queued", "awaiting approval", "running")
_COLOURS = {"stream": "blue", "queued": "grey", "awaiting approval": "teal", "running": "amber"}
"""Each bar's colour (conversation.css), in words for a page without styles."""


INSTANT = 0.05
"""Seconds of tool time below which a turn's runs get no figure (canned tools)."""


def parallel_figure(runs: Sequence[ToolExecution]) -> str | None:
    """``"3 tools: 1.60 s wall for 4.30 s of tool time (2.7x)"``, or None (fewer than two
    runs that ran, or runs that together took under :data:`INSTANT`)."""
    spans = [
        (run.started_at, run.finished_at)
        for run in runs
        if run.started_at is not None and run.finished_at is not None
    ]
    if len(spans) < 2:
        return None
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    busy = sum(end - start for start, end in spans)
    if wall <= 0 or busy < INSTANT:
        return None  # tools that took no time: a ratio of rounding errors says nothing
    return (
        f"{plural(len(spans), 'tool')}: {fmt_seconds(wall)} wall for {fmt_seconds(busy)} of "
        f"tool time ({busy / wall:.1f}x)"
    )


def _track(segments: list[tuple[float, float, str]], end: float) -> str:
    rects = "".join(
        f'<rect x="{start * 1000:.0f}" y="1" height="10" class="ss-tl-seg"'
        f' data-status="{e(status)}" width="{max(end * 1000 / 250, (stop - start) * 1000):.0f}">'
        "</rect>"
        for start, stop, status in segments
    )
    return (
        f'<svg class="ss-tl-track" viewBox="0 0 {end * 1000:.0f} 12" preserveAspectRatio="none"'
        f' aria-hidden="true" focusable="false">{rects}</svg>'
    )


def _run_segments(
    run: ToolExecution, origin: float, now: float | None
) -> list[tuple[float, float, str]]:
    history = list(run.history)
    out: list[tuple[float, float, str]] = []
    for k, (status, at) in enumerate(history):
        if status not in _DRAWN:
            continue
        stop = history[k + 1][1] if k + 1 < len(history) else (run.finished_at or now)
        if stop is None:
            continue
        out.append((at - origin, max(at, stop) - origin, status))
    return out


def loop_timeline(turns: Sequence[Turn], origin: float | None, now: float | None) -> list[str]:
    """The loop timeline's parts: one figure with a row per turn and per tool run."""
    if origin is None or not turns:
        return []
    rows: list[tuple[str, str, list[tuple[float, float, str]], str]] = []
    ends = [0.0]
    for turn in turns:
        state = turn.state
        if state is not None and state.started_at is not None:
            stop = state.last_event_at if state.last_event_at is not None else now
            if stop is not None:
                span = (state.started_at - origin, max(state.started_at, stop) - origin, "stream")
                ends.append(span[1])
                times = e(f"{fmt_seconds(span[0])} → {fmt_seconds(span[1])}")
                rows.append((f"Turn {turn.number}", "turn", [span], times))
        for run in turn.executions:
            segments = _run_segments(run, origin, now)
            ends.extend(stop for _, stop, _ in segments)
            times = e(run.status)
            took = run_time(run.started_at, run.finished_at, None, f"run.{run.id}.time")
            if took.kind != "waiting":  # the card's figure, the same text
                times += f", ran <span{figure_attrs(took)}>{e(took.text)}</span>"
            rows.append((f"  {run.name}", "run", segments, times))
        figure = parallel_figure(turn.executions)
        if figure:
            rows.append((figure, "figure", [], ""))
    if now is not None:
        ends.append(now - origin)
    end = nice_axis_end(max(ends))
    items = []
    for label, kind, segments, times in rows:
        if kind == "figure":
            items.append(f'<li class="ss-tl-figure">{e(label)}</li>')
            continue
        items.append(
            f'<li class="ss-tl-row" data-kind="{kind}"><span class="ss-tl-label">{e(label)}</span>'
            f'{_track(segments, end)} <span class="ss-tl-times">{times}</span></li>'
        )
    legend = colour_legend(
        [
            ("data-status", s, s, _COLOURS[s])
            for s in ("stream", "queued", "awaiting approval", "running")
        ],
        "ss-tl-legend ss-loop-legend",
    )
    return [
        '<figure class="ss-timeline ss-loop-timeline"><figcaption class="ss-final-title">'
        "The loop over time: each turn's stream and each tool run</figcaption>"
        f'<ol class="ss-tl-rows">{"".join(items)}</ol>'
        f'<div class="ss-tl-axis" aria-hidden="true">{axis_ticks(end, _TICKS)}</div>'
        f"{legend}</figure>"
    ]
