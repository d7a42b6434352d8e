"""The event log: every event of a stream as it arrived, for the wire inspector.

:class:`EventLog` keeps, per event, its number, arrival time, type, block index and the
event itself (so its size and its text or JSON fragment are computed only for the events
someone looks at). It keeps the most recent :data:`CAP` events and counts the rest:
a 100,000-event stream costs a bounded log. Pages are fixed (events 1-50, 51-100...), so a
page that is being filled only grows.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streamscope.core.json.plain import dump_model

__all__ = ["CAP", "PAGE", "EventLog", "WireEvent"]

CAP = 10_000
"""Events kept (the most recent); older ones are counted in :attr:`EventLog.dropped`."""
PAGE = 50
"""Events per page."""
FRAGMENT = 160
"""Characters of a delta's text or JSON shown per event."""

_PIECES = ("text", "thinking", "partial_json", "signature", "content")  # content: compaction


@dataclass(slots=True)
class WireEvent:
    """One event as it arrived (``number`` counts from 1)."""

    number: int
    at: float | None
    type: str
    index: int | None
    event: Any

    @property
    def size(self) -> int:
        """Bytes of the event's JSON (as serialized: the wire's own bytes are not kept)."""
        try:
            data = (
                self.event
                if isinstance(self.event, dict)
                else dump_model(self.event, "wire", warnings=False)
            )
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            return 0
        return len(text.encode("utf-8", "surrogatepass"))

    @property
    def fragment(self) -> str | None:
        """The delta's text, thinking, JSON fragment or signature (clipped; the API's first
        JSON fragment is often ''), else None."""
        delta = _get(self.event, "delta")
        estimate = _get(delta, "estimated_tokens")
        if type(estimate) is int and not _get(delta, "thinking"):  # thinking display omitted
            return f"≈ +{estimate:,} thinking tokens (estimate)"
        for name in _PIECES:
            piece = _get(delta, name)
            if isinstance(piece, str):
                return piece if len(piece) <= FRAGMENT else piece[: FRAGMENT - 1] + "…"
        return None


def _get(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value.get(name)
    try:
        return getattr(value, name, None)
    except Exception:  # an object whose attributes raise: nothing to show
        return None


class EventLog:
    """Events as they arrived (see the module docstring)."""

    def __init__(self, cap: int = CAP) -> None:
        self.events: deque[WireEvent] = deque(maxlen=cap)
        self.total = 0
        """Events seen, kept or not."""
        self.types: Counter[str] = Counter()
        self.blocks: set[int] = set()

    @property
    def dropped(self) -> int:
        return self.total - len(self.events)

    def add(self, event: Any, at: float | None) -> None:
        """Record one event (cheap: its type and index are read, nothing is serialized)."""
        self.total += 1
        kind = _get(event, "type")
        kind = kind if isinstance(kind, str) else "(no type)"
        index = _get(event, "index")
        plausible = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 2**31
        index = index if plausible else None  # a hostile 10**5000 is no block anyone can show
        self.types[kind] += 1
        if index is not None:
            self.blocks.add(index)
        self.events.append(WireEvent(self.total, at, kind, index, event))

    def forget(self) -> None:
        """Drop the kept events (counted in :attr:`dropped`; the counts by type and block
        stay): a folded turn of a long loop keeps its figures, not its events."""
        self.events.clear()

    def matching(self, *, index: int | None = None, kind: str | None = None) -> Iterator[WireEvent]:
        for item in self.events:
            if (index is None or item.index == index) and (kind is None or item.type == kind):
                yield item

    def page(
        self, number: int | None = None, *, index: int | None = None, kind: str | None = None
    ) -> tuple[list[WireEvent], int, int]:
        """``(events, page, pages)``: page ``number`` (0-based; None: the last) of the events
        that match the filters."""
        if index is None and kind is None:  # no filter: a slice, not a scan of every event
            events = self.events
            pages = max(1, -(-len(events) // PAGE))
            page = pages - 1 if number is None else max(0, min(number, pages - 1))
            stop = min(len(events), (page + 1) * PAGE)
            return list(itertools.islice(events, page * PAGE, stop)), page, pages
        found = list(self.matching(index=index, kind=kind))
        pages = max(1, -(-len(found) // PAGE))
        page = pages - 1 if number is None else max(0, min(number, pages - 1))
        return found[page * PAGE : (page + 1) * PAGE], page, pages
