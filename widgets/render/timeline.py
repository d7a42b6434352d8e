"""The timeline: when each block streamed, one row per block on a shared time axis.

A row is a list item: its label (the tool name or kind, a link to the lane), its times as
text ("0.61 s → 1.09 s", what a page without styles or SVG shows), and a small SVG track
whose x axis is milliseconds, so a row's markup changes only when its own times do. The
axis runs to a round figure (1, 2 or 5 times a power of ten) that changes only when the
stream outgrows it; the axis, its ticks and the legend are the frame part. At most
:data:`MAX_ROWS` rows are drawn (the lanes show every block).

Regions: ``timeline`` (the frame, with the rows' slot) and ``tl-rows`` (one part per row).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from streamscope.core.figures.blocks import block_figures, block_span
from streamscope.core.stream.blocks import Block, GenericBlock
from streamscope.widgets.render.lanes import KIND_LABELS, block_label
from streamscope.widgets.render.markup import e
from streamscope.widgets.render.regions import slot
from streamscope.widgets.render.server_tools import fallback_words, picture_kind

__all__ = [
    "COLOUR_WORDS",
    "MAX_ROWS",
    "axis_end",
    "axis_ticks",
    "colour_legend",
    "tick_label",
    "timeline_frame",
    "timeline_row",
]

MAX_ROWS = 100
_KINDS = (
    "text",
    "thinking",
    "redacted_thinking",
    "tool",
    "server",
    "fallback",
    "compaction",
    "other",
)
_TICKS = 5
COLOUR_WORDS = {
    "text": "blue",
    "thinking": "violet",
    "redacted_thinking": "grey",
    "tool": "amber",
    "server": "teal",
    "fallback": "orange",
    "compaction": "grey",
    "other": "teal",
}
"""Each kind's bar colour (theme.css), in words: a page without styles has no colours, and
a reader who cannot tell them apart has the words."""
AXIS_SEP = '<span class="ss-tl-axis-sep"> · </span>'
"""Between two ticks: a page without styles reads ``0 · 2 s · 4 s`` (it read ``02 s4 s``);
view.css hides it (the ticks are spaced out by the axis)."""


def axis_ticks(end: float, steps: int = _TICKS) -> str:
    """The axis's ticks, ``0`` to ``end`` in ``steps``, separated in words."""
    return AXIS_SEP.join(
        f'<span class="ss-tl-tick">{tick_label(end * k / steps)}</span>' for k in range(steps + 1)
    )


def colour_legend(items: Sequence[tuple[str, str, str, str]], cls: str = "ss-tl-legend") -> str:
    """A legend: ``(attribute, value, label, colour in words)`` per colour. Each item says
    its colour in words (hidden by view.css, where the swatch shows it), after a title that
    a page without styles reads (``Bar colours:``), also hidden there."""
    lis = "".join(
        f'<li {attr}="{e(value)}">{e(label)}<span class="ss-tl-colour">: {e(colour)}</span></li>'
        for attr, value, label, colour in items
    )
    return f'<span class="ss-tl-legend-title">Bar colours:</span><ul class="{cls}">{lis}</ul>'


def axis_end(seconds: float) -> float:
    """The axis length for a stream this long: the next 1-2-5 step, at least 1 s."""
    if seconds <= 1.0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(seconds))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if seconds <= factor * magnitude * (1 + 1e-9):
            return factor * magnitude
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def tick_label(t: float) -> str:
    if t == 0:
        return "0"
    if t < 1:
        return f"{t * 1000:.0f} ms"
    return f"{t:g} s" if t < 120 else f"{t / 60:g} min"


def timeline_span(blocks: Sequence[Block], origin: float, now: float | None) -> float:
    """Seconds the timeline must cover: the last block end, or now."""
    ends = [s[1] for s in (block_span(b, origin) for b in blocks[:MAX_ROWS]) if s is not None]
    return max([*ends, (now - origin) if now is not None else 0.0, 0.0])


def timeline_frame(blocks: Sequence[Block], end: float, rows_id: str, *, more: int = 0) -> str:
    """The frame: caption, the rows' slot, the axis to ``end`` seconds, the legend."""
    seen = {picture_kind(b) for b in blocks[:MAX_ROWS]}
    kinds = [k for k in _KINDS if k in seen]
    legend = colour_legend([("data-kind", k, KIND_LABELS[k], COLOUR_WORDS[k]) for k in kinds])
    note = f'<p class="ss-muted">… {more:,} more blocks, in the lanes</p>' if more > 0 else ""
    return (
        '<figure class="ss-timeline"><figcaption class="ss-final-title">Timeline</figcaption>'
        f"{slot(rows_id, 'ol', 'ss-tl-rows')}"
        f'<div class="ss-tl-axis" aria-hidden="true">{axis_ticks(end)}</div>'
        f"{legend}{note}</figure>"
    )


def timeline_row(
    block: Block,
    origin: float,
    end: float,
    anchor: Callable[[int], str],
    now: float | None = None,
    *,
    mark: float | None = None,
    action: str = "",
) -> str:
    """One block's row on an axis of ``end`` seconds (an open block runs to ``now``).
    ``mark``: a moment to show (seconds from ``origin``); ``action``: the attributes that
    make a click on the bar show this block's events in the wire inspector."""
    label = f"#{block.index} {block_label(block)}"
    span = block_span(block, origin, now)
    state = "done" if block.complete else "open"
    if span is None:
        times, track = "no time yet", ""
    else:
        start, stop = span
        # the lane's head shows end - start of this span (its figure named there: here
        # the names would cost every heartbeat's patch of an open row ~70 bytes)
        figs = block_figures(block, origin, now)
        times = f"{e(figs['start'].text)} → {e(figs['end'].text)}"
        width_ms = max(end * 1000 / 250, (stop - start) * 1000)  # at least a sliver
        first = ""
        if block.first_delta_at is not None:
            fx = (block.first_delta_at - origin) * 1000
            first = (
                f'<rect x="{fx:.0f}" y="0" width="{end * 1000 / 400:.1f}" height="12"'
                ' class="ss-tl-first" fill="currentColor" fill-opacity="0.6"></rect>'
            )
        # What changes while a block streams (its width, its end time) comes last, so a
        # frame's splice of an open row is a few dozen characters.
        if mark is not None:
            first += (
                f'<rect x="{mark * 1000:.0f}" y="0" width="{end * 1000 / 300:.1f}" height="12"'
                ' class="ss-tl-mark"></rect>'
            )
        track = (
            f'<svg class="ss-tl-track" viewBox="0 0 {end * 1000:.0f} 12"'
            f' preserveAspectRatio="none" aria-hidden="true" focusable="false">{first}'
            f'<rect x="{start * 1000:.0f}" y="1" height="10" class="ss-tl-bar"{action}'
            f' data-ss-scroll="{e(anchor(block.index))}" width="{width_ms:.0f}"></rect></svg>'
        )
    if isinstance(block, GenericBlock) and block.type == "fallback":
        times = f"{e(fallback_words(block.content))} · {times}"  # the hand-off, in words
    return (
        f'<li class="ss-tl-row" data-index="{block.index}" data-kind="{e(picture_kind(block))}"'
        f' data-state="{state}"><a class="ss-tl-label" href="#{e(anchor(block.index))}">'
        f'{e(label)}</a>{track} <span class="ss-tl-times">{times}</span></li>'
    )
