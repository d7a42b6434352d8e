"""The wire inspector's state: one stream's event log, which part of it is shown, and the
clicks that change that. The renderer reads it; the views own it and route clicks to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamscope.core.stream.event_log import EventLog

__all__ = ["WireFilter", "WireInspector"]


@dataclass
class WireFilter:
    """What the inspector shows: a block, a type, a page (None: follow the newest)."""

    index: int | None = None
    kind: str | None = None
    page: int | None = None
    marked: int | None = None
    """The event whose moment the timeline marks."""


class WireInspector:
    """The events of one stream as they arrived (bounded) and the inspector's filter."""

    def __init__(self) -> None:
        self.log = EventLog()
        self.shown = WireFilter()

    def record(self, event: Any, at: float | None) -> None:
        """Log an event (cheap: nothing is serialized)."""
        self.log.add(event, at)

    def click(self, action: str, value: Any) -> bool:
        """A click in the inspector (or on a bar or a lane's number); True if it was one."""
        shown = self.shown
        text = "" if value is None else str(value)
        if action == "wire-block":
            shown.index = int(text) if text.lstrip("-").isdigit() else None
            shown.page = None
        elif action == "wire-type":
            shown.kind = text or None
            shown.page = None
        elif action == "wire-page":
            shown.page = int(text) if text.isdigit() else None
        elif action == "wire-mark":
            shown.marked = int(text) if text.isdigit() else None
        else:
            return False
        return True
