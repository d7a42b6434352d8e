"""The timeline: when each block streamed, as an SVG bar chart and as a table.

One row per block, labelled by its tool name or kind, from its start to its stop (or last
delta while open); a mark at its first delta; round ticks; a legend; a click on a bar
scrolls to its lane (live), and the table's rows link to the lanes (everywhere). The same
figures are in that table, inside a ``<details>``, for screen readers and for pages that
strip SVG. At most :data:`MAX_ROWS` rows are drawn (the lanes show every block).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from streamscope.core.blocks import Block
from streamscope.widgets.render.format import fmt_seconds
from streamscope.widgets.render.lanes import KIND_LABELS, block_label
from streamscope.widgets.render.markup import e

__all__ = ["MAX_ROWS", "timeline_html"]

MAX_ROWS = 100
_WIDTH, _LABEL_W, _PAD_R, _ROW_H = 720, 170, 16, 22
_FONT = 12
"""viewBox units: ≥ 11 px on screen while the chart is at least 660 px wide."""
_KINDS = ("text", "thinking", "redacted_thinking", "tool", "other")
_COLOURS = {
    "text": "#3b82f6",
    "thinking": "#8b5cf6",
    "redacted_thinking": "#6b7280",
    "tool": "#f59e0b",
    "other": "#14b8a6",
}


def _tick_step(span: float, target: int = 6) -> float:
    """A 1-2-5 step giving at most about ``target`` ticks over ``span`` seconds."""
    raw = span / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _tick_label(t: float) -> str:
    if t == 0:
        return "0"
    if t < 1:
        return f"{t * 1000:.0f} ms"
    return f"{t:g} s" if t < 60 else f"{t / 60:g} min"


def _span(block: Block, origin: float) -> tuple[float, float] | None:
    start = block.started_at if block.started_at is not None else block.first_delta_at
    if start is None:
        return None
    end = block.stopped_at if block.stopped_at is not None else block.last_delta_at
    begin = start - origin
    return begin, max(begin, (end - origin) if end is not None else begin)


def timeline_html(
    blocks: Sequence[Block], origin: float | None, now: float | None, anchor: Callable[[int], str]
) -> str:
    """The timeline of ``blocks`` (times relative to ``origin``; ``now``: the latest time)."""
    if not blocks or origin is None:
        return ""
    shown = list(blocks[:MAX_ROWS])
    spans = [_span(b, origin) for b in shown]
    total = max([s[1] for s in spans if s is not None] + [(now or origin) - origin, 0.0])
    total = total if total > 0 else 1.0
    plot_w = _WIDTH - _LABEL_W - _PAD_R
    axis_y = len(shown) * _ROW_H + 4
    legend_y = axis_y + 38
    height = legend_y + 10

    def x(t: float) -> float:
        return _LABEL_W + plot_w * max(0.0, t) / total

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" width="100%"'
        f' role="img" font-size="{_FONT}" aria-label="When each of {len(shown)} blocks streamed">'
    ]
    step = _tick_step(total)
    for k in range(int(total / step + 1e-9) + 1):
        t = k * step
        out.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="0" y2="{axis_y}" class="ss-tl-grid"'
            f' stroke="currentColor" stroke-opacity="0.12"></line>'
            f'<text x="{x(t):.1f}" y="{axis_y + 16}" class="ss-tl-tick" text-anchor="middle"'
            f' fill="currentColor">{_tick_label(t)}</text>'
        )
    for row, (block, span) in enumerate(zip(shown, spans, strict=True)):
        y = row * _ROW_H + 2
        label = f"#{block.index} {block_label(block)}"
        if len(label) > 24:
            label = label[:23] + "…"
        out.append(
            f'<g class="ss-tl-row" data-index="{block.index}" data-kind="{e(block.kind)}">'
            f'<text x="4" y="{y + _ROW_H - 7}" class="ss-tl-label" fill="currentColor">'
            f"{e(label)}</text>"
            f'<line x1="{_LABEL_W}" x2="{_LABEL_W + plot_w}" y1="{y + _ROW_H / 2}"'
            f' y2="{y + _ROW_H / 2}" class="ss-tl-track" stroke="currentColor"'
            ' stroke-opacity="0.15"></line>'
        )
        if span is not None:
            start, end = span
            tip = f"#{block.index} {block_label(block)}: {fmt_seconds(start)} → {fmt_seconds(end)}"
            state = "done" if block.complete else "open"
            # No <a> inside SVG: JupyterLab's HTML renderer fails on SVG links. The live
            # view scrolls on data-ss-scroll; the table below links for static pages.
            out.append(
                f'<rect x="{x(start):.1f}" y="{y + 4}"'
                f' width="{max(2.0, x(end) - x(start)):.1f}" height="{_ROW_H - 8}" rx="2"'
                f' class="ss-tl-bar" data-state="{state}" data-ss-scroll="{e(anchor(block.index))}"'
                f' fill="{_COLOURS.get(block.kind, "#888")}"><title>{e(tip)}</title></rect>'
            )
            first = block.first_delta_at
            if first is not None:
                fx = x(first - origin)
                out.append(
                    f'<line x1="{fx:.1f}" x2="{fx:.1f}" y1="{y + 3}" y2="{y + _ROW_H - 3}"'
                    ' class="ss-tl-first" stroke="currentColor" stroke-opacity="0.6"></line>'
                )
        out.append("</g>")
    out.append(
        f'<line x1="{_LABEL_W}" x2="{_LABEL_W + plot_w}" y1="{axis_y}" y2="{axis_y}"'
        ' class="ss-tl-axis" stroke="currentColor" stroke-opacity="0.4"></line>'
    )
    offset = 0
    legend = []
    for kind in _KINDS:
        if any(b.kind == kind for b in shown):
            text = KIND_LABELS[kind]
            legend.append(
                f'<rect x="{_LABEL_W + offset}" y="{legend_y - 10}" width="12" height="12" rx="2"'
                f' fill="{_COLOURS[kind]}"></rect><text x="{_LABEL_W + offset + 16}"'
                f' y="{legend_y}" class="ss-tl-label" fill="currentColor">{text}</text>'
            )
            offset += 30 + 7 * len(text)
    out.append(f'<g class="ss-tl-legend">{"".join(legend)}</g></svg>')
    more = len(blocks) - len(shown)
    note = f'<p class="ss-muted">… {more:,} more blocks, in the lanes</p>' if more > 0 else ""
    rows = "".join(
        f'<tr><td><a href="#{e(anchor(b.index))}">#{b.index}</a></td><td>{e(block_label(b))}</td>'
        f"<td>{fmt_seconds(s[0]) if s else '–'}</td><td>{fmt_seconds(s[1]) if s else '–'}</td></tr>"
        for b, s in zip(shown, spans, strict=True)
    )
    table = (
        '<details class="ss-timeline-table"><summary>Timeline as a table</summary>'
        "<table><thead><tr><th>block</th><th>what</th><th>start</th><th>end</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )
    return (
        f'<figure class="ss-timeline"><figcaption class="ss-final-title">Timeline</figcaption>'
        f"{''.join(out)}{note}{table}</figure>"
    )
