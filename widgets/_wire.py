"""What crosses the comm between StreamView and view.js: delta frames and the packed snapshot.

A frame carries only what changed since the previous one, as ordered ops:

- ``["start", head]``: a block started; ``head`` is its :func:`block_snapshot` at that
  moment (a block made from a delta without a start arrives whole the same way);
- ``["add", index, field, text]``: ``text`` appended to ``text``, ``thinking`` or
  ``input_json`` (every chunk between two frames, joined);
- ``["set", index, fields]``: a touched block's small fields that changed since the last
  frame (timings, ``complete``, ``signature``, ``streaming_path``, citations, generic
  content...);
- ``["problem", problem]``: a new problem.

Next to the ops: ``seq`` (1, 2, 3...: a gap means lost messages), ``n`` (events so far),
``t`` (seconds from the start to the last event) and, when it changed, ``summary`` (the
snapshot's message-level fields). The front end derives the rest of the snapshot (tool
calls, signatures, tokens per second) from these, as :func:`snapshot` does.

The snapshot trait travels packed: a complete tool input that is exactly
``JSON.parse(input_json)`` is left out (the front end re-parses it), so the biggest part of
a tool-heavy message crosses once, not three times.
"""

from __future__ import annotations

import copy
from typing import Any

from streamscope.core.blocks import (
    TOOL_BLOCK_TYPES,
    Block,
    GenericBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.core.changes import Change
from streamscope.core.state import StreamState
from streamscope.widgets._snapshot import _rel, block_snapshot, problem_snapshot

__all__ = ["FrameBuilder", "pack_snapshot"]

_APPENDED_FIELDS = frozenset({"text", "thinking", "input_json"})
# Summary fields the front end recomputes from each frame's ``t`` (they change every frame).
_VOLATILE_TIMING = ("duration", "output_tokens_per_second")


class FrameBuilder:
    """Collects the Changes of a StreamState between two frames and renders them as one.

    Cheap per change (a dict lookup and a list append); the work happens once per frame
    in :meth:`build`, proportional to what changed.
    """

    def __init__(self, state: StreamState) -> None:
        self.state = state
        self.seq = 0
        """Number of the last frame built."""
        self._ops: list[list[Any]] = []
        self._appends: dict[tuple[int, str], list[str]] = {}
        self._touched: dict[int, None] = {}
        self._content_dirty: set[int] = set()
        self._dirty = False
        self._announced: dict[int, Block] = {b.index: b for b in state.blocks}
        self._citations_sent: dict[int, int] = {}
        self._extra_sent: dict[int, int] = {}
        self._sent: dict[int, dict[str, Any]] = {}
        """Per block index: the small fields as the front end last received them."""
        self._problems_sent = len(state.problems)
        self._summary: dict[str, Any] | None = None

    @property
    def pending(self) -> bool:
        """Whether anything happened since the last frame."""
        return self._dirty

    def add(self, change: Change) -> None:
        """Record one change (the return value of ``StreamState.apply``)."""
        self._dirty = True
        index = change.index
        if index is None:
            return
        block = self.state.block(index)
        if block is None:
            return
        self._touched[index] = None
        if self._announced.get(index) is not block:
            self._announce(index, block)
            return  # the head already holds what this change added
        if change.kind != "block_delta":
            return
        field = change.field
        if field in _APPENDED_FIELDS and change.chunk is not None:
            key = (index, field)
            pieces = self._appends.get(key)
            if pieces is None:
                pieces = self._appends[key] = []
                self._ops.append(["add", index, field, pieces])
            pieces.append(change.chunk)
        elif field == "content":
            self._content_dirty.add(index)

    def _announce(self, index: int, block: Block) -> None:
        head = block_snapshot(block, self.state.started_at)
        if block.delta_count:  # made from a delta: its live values must not move on
            head = copy.deepcopy(head)
        for key in [k for k in self._appends if k[0] == index]:
            del self._appends[key]  # later chunks of this index follow the new start
        self._ops.append(["start", head])
        self._announced[index] = block
        self._sent[index] = {}  # the head's values may have moved on by the frame: resend
        if isinstance(block, TextBlock):
            self._citations_sent[index] = len(block.citations or ())
        self._extra_sent[index] = len(block.extra_deltas)
        self._content_dirty.discard(index)

    def build(self, summary: dict[str, Any]) -> dict[str, Any] | None:
        """The frame of everything since the last one (None if nothing happened).

        ``summary`` is the snapshot's current message-level part
        (:func:`~streamscope.widgets._snapshot.message_fields`); it is sent when it changed.
        """
        if not self._dirty:
            return None
        state = self.state
        origin = state.started_at
        ops: list[list[Any]] = []
        for op in self._ops:
            if op[0] == "add":
                pieces = op[3]
                ops.append(
                    ["add", op[1], op[2], pieces[0] if len(pieces) == 1 else "".join(pieces)]
                )
            else:
                ops.append(op)
        for index in self._touched:
            block = state.block(index)
            if block is not None and (fields := self._fields(block, origin)):
                ops.append(["set", index, fields])
        problems = state.problems
        ops.extend(["problem", problem_snapshot(p)] for p in problems[self._problems_sent :])
        self._problems_sent = len(problems)
        self.seq += 1
        frame: dict[str, Any] = {
            "type": "frame",
            "seq": self.seq,
            "ops": ops,
            "n": state.event_count,
            "t": state.duration,
        }
        stable = _stable(summary)
        if stable != self._summary:
            self._summary = stable
            frame["summary"] = stable
        self._ops = []
        self._appends = {}
        self._touched = {}
        self._content_dirty = set()
        self._dirty = False
        return frame

    def _fields(self, block: Block, origin: float | None) -> dict[str, Any]:
        """The block's small fields that changed since the last frame sent them."""
        index = block.index
        scalars: dict[str, Any] = {
            "complete": block.complete,
            "first_delta_at": _rel(block.first_delta_at, origin),
            "last_delta_at": _rel(block.last_delta_at, origin),
            "stopped_at": _rel(block.stopped_at, origin),
            "delta_count": block.delta_count,
        }
        out: dict[str, Any] = {}
        if isinstance(block, ThinkingBlock):
            scalars["signature"] = block.signature
        elif isinstance(block, TextBlock):
            count = len(block.citations or ())
            if count != self._citations_sent.get(index, 0):
                self._citations_sent[index] = count
                out["citations"] = block.citations or []
        elif isinstance(block, ToolUseBlock):
            path = block.streaming_path
            scalars["streaming_path"] = list(path) if path is not None else None
            scalars["input_error"] = block.input_error
            if (block.complete or block.input_error is not None) and (
                block.input_error is not None or not block.input_json
            ):
                out["input"] = block.input
        elif isinstance(block, GenericBlock) and index in self._content_dirty:
            out["content"] = block.content
        if len(block.extra_deltas) != self._extra_sent.get(index, 0):
            self._extra_sent[index] = len(block.extra_deltas)
            out["extra_deltas"] = block.extra_deltas
        sent = self._sent.setdefault(index, {})
        for key, value in scalars.items():
            if key not in sent or sent[key] != value:
                sent[key] = out[key] = value
        return out


def _stable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without the timing figures that change with every event."""
    timing = dict(summary.get("timing") or {})
    for key in _VOLATILE_TIMING:
        timing.pop(key, None)
    return {**summary, "timing": timing}


def _input_is_raw_json(block: dict[str, Any]) -> bool:
    return (
        block.get("type") in TOOL_BLOCK_TYPES
        and block.get("complete") is True
        and block.get("input_error") is None
        and bool(block.get("input_json"))
        and "input" in block
    )


def pack_snapshot(snap: dict[str, Any], widget: object = None) -> dict[str, Any]:
    """The snapshot as sent to the front end (``to_json`` of the synced trait).

    Complete tool inputs that parsed without error are dropped from ``blocks`` and from the
    ``tool_calls`` that refer to those blocks: the front end restores them with
    ``JSON.parse(input_json)``, which gives the same value.
    """
    blocks = snap.get("blocks")
    if not isinstance(blocks, list):
        return snap
    packed_ids: dict[int, str] = {}
    packed_blocks: list[Any] = []
    for block in blocks:
        if isinstance(block, dict) and _input_is_raw_json(block):
            packed_ids[block["index"]] = block.get("id", "")
            block = {k: v for k, v in block.items() if k != "input"}
        packed_blocks.append(block)
    if not packed_ids:
        return snap
    calls = [
        {k: v for k, v in call.items() if k != "input"}
        if call.get("index") in packed_ids
        and packed_ids[call["index"]] == call.get("id")
        and call.get("input_error") is None
        else call
        for call in snap.get("tool_calls", [])
    ]
    return {**snap, "blocks": packed_blocks, "tool_calls": calls}
