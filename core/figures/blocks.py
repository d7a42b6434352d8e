"""A block's times, as the lane's head and the timeline's row both show them: one span,
one set of figures (``block.<index>.start``, ``.end``, ``.duration``), seconds from the
stream's start (the request when known). Imports figures.model only.
"""

from __future__ import annotations

from streamscope.core.figures.model import Figure
from streamscope.core.stream.blocks import Block

__all__ = ["block_figures", "block_span"]


def block_span(block: Block, origin: float, now: float | None = None) -> tuple[float, float] | None:
    """A block's start and end in seconds from ``origin``: an open block runs to ``now``
    while the stream is live (to its last delta otherwise); None before it has a time."""
    start = block.started_at if block.started_at is not None else block.first_delta_at
    if start is None:
        return None
    end = block.stopped_at if block.stopped_at is not None else block.last_delta_at
    if now is not None and not block.complete:
        end = max(end, now) if end is not None else now
    begin = start - origin
    return begin, max(begin, (end - origin) if end is not None else begin)


def block_figures(
    block: Block, origin: float | None, now: float | None = None
) -> dict[str, Figure]:
    """``start``, ``end`` and ``duration`` of ``block`` (waiting before it has a time)."""
    span = block_span(block, origin, now) if origin is not None else None
    base = f"block.{block.index}"
    if span is None:
        return {
            name: Figure(f"{base}.{name}", name, None, "seconds", "waiting")
            for name in ("start", "end", "duration")
        }
    start, end = span
    return {
        "start": Figure(f"{base}.start", "start", start, "seconds"),
        "end": Figure(f"{base}.end", "end", end, "seconds"),
        "duration": Figure(f"{base}.duration", "duration", end - start, "seconds"),
    }
