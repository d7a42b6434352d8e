"""The words for where a stream and a tool run stand: one list each, used by every view.

A view never invents its own status: it shows one of these, as a word and a colour.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "EXECUTION_STATUSES",
    "FINAL_STREAM_STATUSES",
    "STREAM_STATUSES",
    "ExecutionStatusWord",
    "StreamStatus",
    "stream_status",
]

StreamStatus = Literal["waiting", "streaming", "paused", "done", "stopped", "cut off", "failed"]
STREAM_STATUSES: tuple[StreamStatus, ...] = (
    "waiting",
    "streaming",
    "paused",
    "done",
    "stopped",
    "cut off",
    "failed",
)
"""``waiting``: nothing arrived yet; ``streaming``: events are arriving; ``paused``: a replay
is paused; ``done``: ``message_stop`` arrived; ``stopped``: the user stopped it; ``cut off``:
the source ended without ``message_stop``; ``failed``: an ``error`` event or the source
raised."""
FINAL_STREAM_STATUSES: frozenset[StreamStatus] = frozenset({"done", "stopped", "cut off", "failed"})

ExecutionStatusWord = Literal[
    "queued", "awaiting approval", "running", "done", "failed", "denied", "timed out", "stopped"
]
EXECUTION_STATUSES: tuple[ExecutionStatusWord, ...] = (
    "queued",
    "awaiting approval",
    "running",
    "done",
    "failed",
    "denied",
    "timed out",
    "stopped",
)


def stream_status(
    *,
    events: int,
    ended: bool,
    finished: bool,
    error: bool,
    stopped: bool = False,
    paused: bool = False,
    failure: bool = False,
) -> StreamStatus:
    """The status word for a stream in this condition (see :data:`STREAM_STATUSES`)."""
    if failure or error:
        return "failed"
    if stopped:
        return "stopped"
    if ended:
        return "done"
    if finished:
        return "cut off"
    if paused:
        return "paused"
    return "streaming" if events else "waiting"
