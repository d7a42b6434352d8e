"""Recording a tool loop: one cassette per streamed turn, each with the request it sent.

``ToolLoop(..., observer=TurnRecorder("runs", name="trip"))`` writes
``runs/trip.turn1.jsonl``, ``runs/trip.turn2.jsonl``... as the turns stream. Each header
holds the whole request the turn sent (``meta.request``: model, parameters, system, tools
with their schemas, the conversation so far; cleaned by
:func:`~streamscope.core.wire.request.clean_request`), ``meta.request_at`` ``0.0`` (``t``
counts from the moment the loop sent the request, so the first event's ``t`` is the time to
first event), and ``meta.conversation`` / ``meta.turn``. The files replay with
``ReplayClient(recorder.paths)`` and compare with
:func:`~streamscope.core.comparison.runs.compare_runs`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from streamscope.core.io.cassette import CassetteWriter
from streamscope.core.loop.records import LoopObserver, Turn
from streamscope.core.wire.request import clean_request

__all__ = ["TurnRecorder"]


class TurnRecorder(LoopObserver):
    """A loop observer that records each streamed turn to its own cassette.

    Parameters
    ----------
    folder:
        Where the cassettes go (created if missing).
    name:
        The files' stem and the header's ``conversation``: ``<name>.turn<N>.jsonl``.
    meta:
        More header fields for every turn (redacted like any user metadata).

    A turn whose stream was cut (stopped, failed, interrupted) is left in
    ``<name>.turn<N>.jsonl.partial``, as :func:`~streamscope.core.io.cassette.record` does.
    """

    def __init__(
        self, folder: str | os.PathLike[str], name: str = "loop", meta: dict[str, Any] | None = None
    ) -> None:
        self.folder = Path(folder)
        self.name = name
        self.meta = dict(meta or {})
        self.paths: list[Path] = []
        """The cassettes written completely, in turn order."""
        self._writers: dict[int, CassetteWriter] = {}

    def turn_started(self, turn: Turn) -> None:
        state = turn.state
        if state is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {
            **self.meta,
            "request": clean_request(turn.request or {}),
            "request_at": 0.0,
            "conversation": self.name,
            "turn": turn.number,
        }
        path = self.folder / f"{self.name}.turn{turn.number}.jsonl"
        writer = CassetteWriter(path, meta)
        writer.mark_request(state.started_at)
        self._writers[turn.number] = writer

    def event(self, turn: Turn, event: Any, change: Any) -> None:
        writer = self._writers.get(turn.number)
        state = turn.state
        if writer is None or state is None:
            return
        at, start = state.last_event_at, state.started_at
        writer.write(event, None if at is None or start is None else at - start)

    def turn_finished(self, turn: Turn) -> None:
        writer = self._writers.pop(turn.number, None)
        if writer is None:
            return
        if writer.ended:
            writer.close()
            self.paths.append(writer.path)
        else:
            writer.abort()

    def loop_finished(self, loop: Any) -> None:
        for writer in self._writers.values():
            writer.abort()
        self._writers.clear()
