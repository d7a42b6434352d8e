"""Content blocks as they stream: one object per content-block index.

Each class owns what accumulates for one block type (text, thinking, redacted thinking,
tool input JSON) and can render itself in the API's JSON shape. Text grows in a list of
pieces joined on read (and in chunks while nobody reads, so 100,000 small deltas cost the
text's size, not 100,000 string objects), and tool input is parsed incrementally, so that
the cost of a block stays linear in the bytes received. Copies never recurse
(:func:`~streamscope.core.json.codec.copy_json`): a block holds values up to 1,000 levels deep.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from streamscope.core.json.codec import copy_json
from streamscope.core.json.depth import MAX_DEPTH, json_depth
from streamscope.core.json.partial import MISSING, PartialJSON
from streamscope.core.schema.validation import SchemaChecker, Violation
from streamscope.core.stream.tool_call import ToolCall

__all__ = [
    "TOOL_BLOCK_TYPES",
    "Block",
    "GenericBlock",
    "RedactedThinkingBlock",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "make_block",
]

TOOL_BLOCK_TYPES = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
"""Block types whose ``input`` streams as ``input_json_delta``."""


# Pieces appended since the last join are joined into one chunk at this count: a str
# object costs ~50 bytes besides its text, and deltas are a few characters each (100,000
# one-word text deltas held 6.2 MB unjoined, 0.5 MB chunked; benchmarks/memory_state.py).
_CHUNK: Final = 256


class _Pieces:
    """A string that grows by appending; joined lazily so reads are cheap and linear."""

    __slots__ = ("_loose", "_parts", "_size")

    def __init__(self, initial: str = "") -> None:
        self._parts = [initial] if initial else []
        self._loose = 0  # pieces at the end of _parts not yet joined into a chunk
        self._size = len(initial)

    def append(self, piece: str) -> None:
        parts = self._parts
        parts.append(piece)
        self._size += len(piece)
        self._loose += 1
        if self._loose >= _CHUNK:
            chunk = "".join(parts[-_CHUNK:])
            del parts[-_CHUNK:]
            parts.append(chunk)
            self._loose = 0

    def get(self) -> str:
        parts = self._parts
        if not parts:
            return ""
        if len(parts) > 1:
            parts[:] = ["".join(parts)]
        self._loose = 0
        return parts[0]

    def __len__(self) -> int:
        return self._size

    def excerpt(self, head: int, tail: int) -> tuple[str, str]:
        """The first ``head`` and the last ``tail`` characters, without joining the whole
        (a view of a 200 MB text reads these every frame)."""
        parts = self._parts
        start: list[str] = []
        need = head
        for part in parts:
            if need <= 0:
                break
            start.append(part[:need])
            need -= len(start[-1])
        end: list[str] = []
        need = tail
        for part in reversed(parts):
            if need <= 0:
                break
            end.append(part[-need:])
            need -= len(end[-1])
        return "".join(start), "".join(reversed(end))


class Block:
    """One content block: what ``content_block_start`` said and what arrived after.

    Attributes
    ----------
    index: the content-block index from the stream.
    type: the block type (``"text"``, ``"tool_use"``, ... or any future type).
    complete: True once ``content_block_stop`` arrived for it.
    start: the ``content_block`` object of the start event (a dict, kept whole).
    started_at, first_delta_at, last_delta_at, stopped_at: clock times (seconds) or None.
    delta_count: how many deltas this block received.
    extra_deltas: deltas this block type does not interpret, kept whole.
    synthesized: True when no start event was seen and the block was made from a delta.
    """

    __slots__ = (
        "complete",
        "delta_count",
        "extra_deltas",
        "first_delta_at",
        "index",
        "last_delta_at",
        "start",
        "started_at",
        "stopped_at",
        "synthesized",
        "type",
    )

    kind: ClassVar[str] = "other"
    """Which lane a view draws: ``text``, ``thinking``, ``redacted_thinking``, ``tool``,
    ``other``."""

    def __init__(self, index: int, start: dict[str, Any], at: float | None) -> None:
        self.index = index
        self.type: str = str(start.get("type"))
        self.start = start
        self.complete = False
        self.started_at = at
        self.first_delta_at: float | None = None
        self.last_delta_at: float | None = None
        self.stopped_at: float | None = None
        self.delta_count = 0
        self.extra_deltas: list[Any] = []
        self.synthesized = False

    def mark_delta(self, at: float | None) -> None:
        if self.first_delta_at is None:
            self.first_delta_at = at
        self.last_delta_at = at
        self.delta_count += 1

    def stop(self, at: float | None) -> None:
        self.complete = True
        self.stopped_at = at

    @property
    def duration(self) -> float | None:
        """Seconds from start to stop (or to the last delta while open)."""
        end = self.stopped_at if self.stopped_at is not None else self.last_delta_at
        if end is None or self.started_at is None:
            return None
        return end - self.started_at

    def to_dict(self) -> dict[str, Any]:
        """The block in the API's JSON shape, as the SDK's accumulator builds it."""
        return copy_json(self.start)

    def __repr__(self) -> str:
        state = "complete" if self.complete else "open"
        return f"<{type(self).__name__} index={self.index} type={self.type!r} {state}>"


class TextBlock(Block):
    """Assistant text, with any citations that arrived as ``citations_delta``."""

    __slots__ = ("_text", "citations")
    kind = "text"

    def __init__(self, index: int, start: dict[str, Any], at: float | None) -> None:
        super().__init__(index, start, at)
        self._text = _Pieces(str(start.get("text") or ""))
        initial = start.get("citations")
        self.citations: list[Any] | None = list(initial) if isinstance(initial, list) else None

    @property
    def text(self) -> str:
        return self._text.get()

    @property
    def length(self) -> int:
        """Characters of text so far (without joining it)."""
        return len(self._text)

    def excerpt(self, head: int, tail: int) -> tuple[str, str]:
        """The text's first ``head`` and last ``tail`` characters (without joining it)."""
        return self._text.excerpt(head, tail)

    def append_text(self, piece: str) -> None:
        self._text.append(piece)

    grow = append_text

    def add_citation(self, citation: Any) -> None:
        if self.citations is None:
            self.citations = []
        self.citations.append(citation)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["text"] = self.text
        if self.citations:
            out["citations"] = copy_json(self.citations)
        return out


class ThinkingBlock(Block):
    """Extended thinking: the reasoning text and the signature that vouches for it."""

    __slots__ = ("_thinking", "estimated_tokens", "signature", "signature_deltas")
    kind = "thinking"

    def __init__(self, index: int, start: dict[str, Any], at: float | None) -> None:
        super().__init__(index, start, at)
        self._thinking = _Pieces(str(start.get("thinking") or ""))
        self.estimated_tokens: int | None = None
        """The sum of the ``thinking_delta.estimated_tokens`` increments (a running
        estimate the API sends while the thinking display is omitted); None when none
        came. A display hint, not a billed count; not part of :meth:`to_dict`."""
        signature = start.get("signature")
        self.signature: str = signature if isinstance(signature, str) else ""
        self.signature_deltas = 0

    @property
    def thinking(self) -> str:
        return self._thinking.get()

    @property
    def length(self) -> int:
        """Characters of thinking so far (without joining it)."""
        return len(self._thinking)

    def excerpt(self, head: int, tail: int) -> tuple[str, str]:
        """The thinking's first ``head`` and last ``tail`` characters (without joining it)."""
        return self._thinking.excerpt(head, tail)

    def append_thinking(self, piece: str) -> None:
        self._thinking.append(piece)

    grow = append_thinking

    def add_estimate(self, increment: object) -> None:
        """Add one ``estimated_tokens`` increment (anything but a non-negative int is
        ignored: the estimate is a display hint)."""
        if type(increment) is int and increment >= 0:
            self.estimated_tokens = (self.estimated_tokens or 0) + increment

    @property
    def omitted(self) -> bool:
        """True when the block carries a signature but no thinking text (display omitted)."""
        return self.complete and bool(self.signature) and not self.thinking

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["thinking"] = self.thinking
        out["signature"] = self.signature
        return out


class RedactedThinkingBlock(Block):
    """Reasoning the API encrypted: opaque ``data`` that must go back unchanged."""

    __slots__ = ()
    kind = "redacted_thinking"

    @property
    def data(self) -> str:
        value = self.start.get("data")
        return value if isinstance(value, str) else ""


class ToolUseBlock(Block):
    """A tool call (client, server or MCP) whose input JSON streams in.

    ``input_json`` is the raw JSON exactly as received; ``input`` the parsed value,
    partial while streaming (a string still being written shows what has arrived; numbers
    appear only once complete) and final after the block stops. ``input`` returns live
    containers: copy them to keep a snapshot.

    Pieces are parsed when the input is read (or the block stops), all pending pieces in
    one go: reading after every delta costs what parsing each delta would, and a view that
    reads once per frame pays far less per delta. Either way the total stays linear.

    With the tool's ``input_schema`` known (:meth:`bind_schema`, done by a
    :class:`~streamscope.core.stream.state.StreamState` that knows its tools), each value is
    checked against it the moment it is complete (see :mod:`streamscope.core.schema.validation`):
    :attr:`violations` lists what was found so far, also while the block streams.
    """

    __slots__ = ("_checker", "_json", "_parser", "_unparsed", "input_error")
    kind = "tool"

    def __init__(self, index: int, start: dict[str, Any], at: float | None) -> None:
        super().__init__(index, start, at)
        self._json = _Pieces()
        self._unparsed = _Pieces()  # what arrived since the parser was last fed
        self._parser = PartialJSON()
        self._checker: SchemaChecker | None = None
        self.input_error: str | None = None

    @property
    def id(self) -> str:
        value = self.start.get("id")
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        value = self.start.get("name")
        return value if isinstance(value, str) else ""

    @property
    def input_json(self) -> str:
        return self._json.get()

    def _parse_pending(self) -> PartialJSON:
        if len(self._unparsed):
            self._parser.feed(self._unparsed.get())
            self._unparsed = _Pieces()
        return self._parser

    @property
    def input(self) -> Any:
        parser = self._parse_pending()
        if parser.has_value:
            return parser.value
        return self.start.get("input", {})

    @property
    def streaming_path(self) -> tuple[str | int, ...] | None:
        """Path of the field still being written (None when nothing is open)."""
        return None if self.complete else self._parse_pending().streaming_path

    @property
    def schema(self) -> dict[str, Any] | None:
        """The ``input_schema`` the input is checked against; None when unknown (then
        :attr:`violations` stays empty: nothing was checked)."""
        checker = self._checker
        return checker.schema if checker is not None else None  # type: ignore[return-value]

    @property
    def violations(self) -> list[Violation]:
        """How the input breaks :attr:`schema`, so far: each value is checked once, when it
        is complete, so a violation shows while the block still streams; a missing
        required property once its object closes. A new list on every read."""
        checker = self._checker
        if checker is None:
            return []
        self._parse_pending()
        return list(checker.violations)

    @property
    def schema_error(self) -> str | None:
        """Why the input is not (or no longer) checked against :attr:`schema` (a schema the
        validator cannot use, a check that broke): also a ``not checked`` violation; None
        when it is checked, or when no schema is bound."""
        checker = self._checker
        if checker is None:
            return None
        self._parse_pending()
        return checker.error

    def bind_schema(self, schema: dict[str, Any] | None) -> None:
        """Check the input against ``schema`` (None: stop checking). Input already received
        is checked now (parsed again from its text once), the rest as it arrives."""
        if schema is None:
            if self._checker is not None:
                self._checker = None
                self._parser = PartialJSON()
                self._unparsed = _Pieces(self._json.get())
                if self.complete:
                    self._check_final(truncated=self.input_error is not None)
            return
        checker = SchemaChecker(schema)
        self._checker = checker
        self._parser = PartialJSON(on_complete=checker.completed)
        self._unparsed = _Pieces(self._json.get())
        if self.complete:
            self._check_final(truncated=self.input_error is not None)

    def _check_final(self, truncated: bool) -> None:
        """At the block's stop: the input is whole (or cut short)."""
        if not self._json.get():
            if self._checker is not None and not truncated:
                self._checker.check_whole(self.start.get("input", {}))  # input that came whole
            return
        self._parse_pending().finish()

    def grow(self, piece: str) -> None:
        self._json.append(piece)
        self._unparsed.append(piece)

    append_json = grow

    def finish_json(self, truncated: bool) -> str | None:
        """Close the input: returns and records why it is invalid, else None."""
        self._check_final(truncated)
        if not self._json.get():
            return None
        parser = self._parser
        error = parser.error
        if error and truncated:
            error = f"stream ended before the tool input was complete ({error})"
        self.input_error = error
        return error

    def to_call(self) -> ToolCall:
        """This block as a :class:`~streamscope.core.stream.tool_call.ToolCall`, input as it
        stands."""
        return ToolCall(
            id=self.id,
            name=self.name,
            input=self.input,
            index=self.index,
            input_json=self.input_json,
            input_error=self.input_error,
            violations=tuple(self.violations),
        )

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        raw = self._json.get()
        if raw and not self.complete:
            # The SDK's accumulator re-parses partial JSON without trailing strings; an
            # unfinished block in the final message matches it.
            out["input"] = _sdk_partial_parse(raw, fallback=self.input)
        elif raw:
            out["input"] = copy_json(self.input)
        if raw and json_depth(out["input"]) >= _SENDABLE_DEPTH:
            # parsed only down to (or near) the core's depth limit: a value that deep cannot
            # be serialised or sent; the raw text stands for it (as the problem says)
            out["input"] = raw
        return out


_SENDABLE_DEPTH: Final = MAX_DEPTH - 100
"""A tool input nested this deep (one the core could not parse within its limit, or close to
it) is kept as its raw text in ``to_dict()``: ``json.dumps`` and the SDK's request
serialiser recurse, and fail at about 990 levels."""


def _sdk_partial_parse(raw: str, fallback: Any) -> Any:
    from jiter import from_json

    try:
        return from_json(raw.encode(), partial_mode=True)
    except Exception:  # invalid, deeper than jiter's 200 levels, or a lone surrogate
        return copy_json(fallback) if fallback is not MISSING else {}


class GenericBlock(Block):
    """Any other block (server tool results, compaction, fallback, future types), kept whole.

    ``content`` is the start object with known deltas applied (``compaction_delta``);
    deltas it cannot interpret are kept in ``extra_deltas``.
    """

    __slots__ = ("content",)

    def __init__(self, index: int, start: dict[str, Any], at: float | None) -> None:
        super().__init__(index, start, at)
        self.content: dict[str, Any] = copy_json(start)

    def to_dict(self) -> dict[str, Any]:
        return copy_json(self.content)


_BLOCK_CLASSES: dict[str, type[Block]] = {
    "text": TextBlock,
    "thinking": ThinkingBlock,
    "redacted_thinking": RedactedThinkingBlock,
    **dict.fromkeys(TOOL_BLOCK_TYPES, ToolUseBlock),
}


def make_block(index: int, start: dict[str, Any], at: float | None) -> Block:
    """Make the right block class for ``start["type"]`` (GenericBlock for the rest)."""
    cls = _BLOCK_CLASSES.get(str(start.get("type")), GenericBlock)
    return cls(index, start, at)
