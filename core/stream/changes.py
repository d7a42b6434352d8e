"""Change: what one applied event did to a StreamState, so views redraw only that."""

from __future__ import annotations

from typing import Literal

from streamscope.core.stream.problems import Problem

__all__ = ["Change", "ChangeKind"]

ChangeKind = Literal[
    "message_start",
    "block_start",
    "block_delta",
    "block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
    "ignored",
]


class Change:
    """The effect of one event.

    ``kind`` says what happened; ``index`` is the block concerned; ``field`` names the
    block attribute that grew (``text``, ``thinking``, ``signature``, ``input_json``,
    ``citations``, ``content`` or ``extra_deltas``) and ``chunk`` is the text appended to
    it (for ``signature``: the new signature). ``problem`` is set when the event was
    also recorded as a problem. A view can forward ``chunk`` instead of re-sending the
    whole field.
    """

    __slots__ = ("chunk", "field", "index", "kind", "problem")

    def __init__(
        self,
        kind: ChangeKind,
        index: int | None = None,
        field: str | None = None,
        chunk: str | None = None,
        problem: Problem | None = None,
    ) -> None:
        self.kind: ChangeKind = kind
        self.index = index
        self.field = field
        self.chunk = chunk
        self.problem = problem

    def __repr__(self) -> str:
        parts = [repr(self.kind)]
        parts += [f"{k}={getattr(self, k)!r}" for k in ("index", "field", "chunk", "problem")]
        return f"Change({', '.join(p for p in parts if not p.endswith('=None'))})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Change):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]
