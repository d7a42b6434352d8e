"""Problems: what went wrong in a stream, recorded with the data that carried it.

StreamState never raises on bad input. Each protocol violation or undecodable event
becomes a :class:`Problem` that keeps the whole event, so nothing the stream delivered
is lost and a view can show it plainly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing that was wrong with a stream.

    Attributes
    ----------
    kind:
        A short machine-readable name, e.g. ``"delta_before_start"``,
        ``"duplicate_start"``, ``"unknown_event"``, ``"invalid_tool_json"``,
        ``"stream_truncated"``.
    message:
        What happened and what was done about it, in one sentence.
    event_number:
        The 0-based position of the event in the stream (-1 when found at the end).
    index:
        The content-block index concerned, if any.
    data:
        The event (or value) that carried the problem, kept whole.
    """

    kind: str
    message: str
    event_number: int = -1
    index: int | None = None
    data: object = None

    def __str__(self) -> str:
        where = f"event #{self.event_number}" if self.event_number >= 0 else "end of stream"
        block = f", block {self.index}" if self.index is not None else ""
        return f"{where}{block}: {self.message}"
