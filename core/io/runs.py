"""What a *run* is, read from whatever holds one: its streamed turns, in order.

A run is one or more streamed turns: a :class:`~streamscope.core.stream.state.StreamState`;
a recording's path or :class:`~streamscope.core.io.cassette.Cassette` (with the request and
its time from the header); a tool loop or a list of its turns; a list of any of these (the
turns of one conversation); anything with a ``loop`` (a ConversationView) or a ``state`` (a
StreamView).
"""

from __future__ import annotations

import os
import re
from typing import Any

from streamscope.core.io.cassette import Cassette, read_cassette, read_events
from streamscope.core.stream.state import StreamState

__all__ = ["state_of", "states_of", "turns_of"]


def state_of(source: str | os.PathLike[str] | Cassette) -> StreamState:
    """A recording reduced to a finished :class:`StreamState`: with the request from the
    header (so tool inputs are checked against its tools) and, when the header says when
    it was sent, ``started_at`` at the request (true time to first token)."""
    if isinstance(source, Cassette):
        cassette = source
    else:
        path = os.fspath(source)
        if not path.lower().endswith((".jsonl", ".jsonl.partial")):
            state = StreamState(started_at=0.0)
            for event in read_events(path):
                state.apply(event, at=0.0)
            state.finish()
            return state
        cassette = read_cassette(path)
    state = StreamState(started_at=0.0 if cassette.request_at is not None else None)
    state.set_request(cassette.request)
    last = 0.0
    for t, event in cassette.timed_events(from_request=True):
        last = t if t is not None else last
        state.apply(event, at=last)
    state.finish(at=last)
    return state


def states_of(run: Any) -> list[StreamState]:
    """The streamed turns of a run, in order (see the module docstring for what a run is)."""
    return turns_of(run)[0]


def turns_of(run: Any) -> tuple[list[StreamState], float | None, str | None]:
    """``(turn states, wall time, a label)`` of a run."""
    if isinstance(run, StreamState):
        return [run], None, None
    if isinstance(run, (str, os.PathLike)):
        return [state_of(run)], None, _stem(run)
    if isinstance(run, Cassette):
        return [state_of(run)], None, None
    turns = getattr(run, "turns", None)
    if isinstance(turns, list) and hasattr(run, "messages"):  # a ToolLoop
        streamed = [t.state for t in turns if getattr(t, "state", None) is not None]
        return streamed, _wall_time(run, streamed), None
    if isinstance(run, (list, tuple)):
        states: list[StreamState] = []
        stems: list[str] = []
        for item in run:
            found, _, stem = turns_of(item)
            states += found
            if stem:
                stems.append(stem)
        return states, None, _common_stem(stems)
    state = getattr(run, "state", None)
    if isinstance(state, StreamState):  # a StreamView, or a Turn
        return [state], None, None
    if state is None and hasattr(run, "resumed") and hasattr(run, "executions"):
        return [], None, None  # a loop's turn 0: calls left from an earlier run, no stream
    loop = getattr(run, "loop", None)
    if loop is not None and loop is not run:  # a ConversationView
        return turns_of(loop)
    raise TypeError(
        f"not a run: {type(run).__name__} (give a StreamState, a cassette path, a ToolLoop, "
        "a list of turns, or a view)"
    )


def _stem(path: str | os.PathLike[str]) -> str:
    name = os.path.basename(os.fspath(path))
    for suffix in (".partial", ".jsonl", ".sse", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _common_stem(stems: list[str]) -> str | None:
    if not stems:
        return None
    if len(stems) == 1:
        return stems[0]
    heads = {re.sub(r"\.turn\d+$", "", stem) for stem in stems}
    return heads.pop() if len(heads) == 1 else None


def _wall_time(loop: Any, states: list[StreamState]) -> float | None:
    starts = [s.started_at for s in states if s.started_at is not None]
    if not starts:
        return None
    ends = [s.last_event_at for s in states if s.last_event_at is not None]
    for run in getattr(loop, "executions", []) or []:
        finished = getattr(run, "finished_at", None)
        if isinstance(finished, (int, float)):
            ends.append(finished)
    return max(ends) - min(starts) if ends else None
