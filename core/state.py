"""StreamState: the one reducer from Anthropic stream events to live message state.

``apply`` takes SDK event models (beta or not) and plain dicts in the wire shape, never
raises, and returns a :class:`~streamscope.core.changes.Change`. Blocks are keyed by
content-block index; usage counts are overwritten (they are cumulative); every protocol
violation becomes a :class:`~streamscope.core.problems.Problem` carrying its event.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

from streamscope.core._models import dump_model
from streamscope.core.blocks import (
    Block,
    GenericBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    make_block,
)
from streamscope.core.changes import Change
from streamscope.core.problems import Problem
from streamscope.core.tool_call import ToolCall
from streamscope.core.usage import Usage

__all__ = ["StreamState"]

Clock = Callable[[], float]

# Fields of a message_delta's usage that the SDK's accumulator copies into the final
# message (besides output_tokens, always copied). to_message() follows the same rule.
_SDK_DELTA_USAGE_FIELDS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "output_tokens_details",
    "iterations",
    "fallback_credit",
)

# Deltas that grow a block: delta type -> (payload key, block class, field name).
_GROWING: dict[str, tuple[str, type[Block], str]] = {
    "text_delta": ("text", TextBlock, "text"),
    "thinking_delta": ("thinking", ThinkingBlock, "thinking"),
    "input_json_delta": ("partial_json", ToolUseBlock, "input_json"),
}

# What to make when a delta arrives for an index that never started.
_SYNTHESIZED_START: dict[str, dict[str, Any]] = {
    "text_delta": {"type": "text", "text": ""},
    "citations_delta": {"type": "text", "text": ""},
    "thinking_delta": {"type": "thinking", "thinking": "", "signature": ""},
    "signature_delta": {"type": "thinking", "thinking": "", "signature": ""},
    "input_json_delta": {"type": "tool_use", "id": "", "name": "", "input": {}},
}


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class StreamState:
    """Live state of one streamed Messages API response.

    Parameters
    ----------
    clock:
        Returns the current time in seconds; ``apply(event, at=...)`` overrides it per
        event (replays pass the recorded arrival times).
    started_at:
        When the request was sent, if known: time to first event and first token are
        measured from it (otherwise from the first event).
    """

    def __init__(self, *, clock: Clock = time.monotonic, started_at: float | None = None) -> None:
        self._clock = clock
        self.message: dict[str, Any] | None = None
        """The ``message_start`` message (without content), updated by ``message_delta``."""
        self.usage = Usage()
        self._final_usage: dict[str, Any] = {}
        self._initial_content: list[Any] = []
        self._by_index: dict[int, Block] = {}
        self._sorted: list[Block] | None = []
        self._start_order: list[Block] = []
        self.superseded_blocks: list[Block] = []
        """Blocks replaced by a second ``content_block_start`` on the same index."""
        self.problems: list[Problem] = []
        self.unknown_events: list[Any] = []
        """Events of types this version does not know, kept whole."""
        self.message_deltas: list[dict[str, Any]] = []
        self.error: dict[str, Any] | None = None
        """The ``error`` event's error object (``{"type": "overloaded_error", ...}``)."""
        self.ended = False
        """True once ``message_stop`` arrived."""
        self.finished = False
        """True once :meth:`finish` was called (the source is exhausted)."""
        self.event_count = 0
        self.ping_count = 0
        self.started_at = started_at
        self.first_event_at: float | None = None
        self.first_token_at: float | None = None
        self.last_event_at: float | None = None
        self.ended_at: float | None = None
        self._handlers: dict[str, Callable[[Any, int, float], Change]] = {
            "content_block_delta": self._on_block_delta,
            "content_block_start": self._on_block_start,
            "content_block_stop": self._on_block_stop,
            "message_start": self._on_message_start,
            "message_delta": self._on_message_delta,
            "message_stop": self._on_message_stop,
            "ping": self._on_ping,
            "error": self._on_error,
        }

    # ------------------------------------------------------------------ reading

    @property
    def blocks(self) -> list[Block]:
        """All content blocks, in index order."""
        if self._sorted is None:
            self._sorted = sorted(self._by_index.values(), key=lambda b: b.index)
        return self._sorted

    def block(self, index: int) -> Block | None:
        return self._by_index.get(index)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Finalized client tool calls, in the order their blocks started."""
        return [
            b.to_call()
            for b in self._start_order
            if isinstance(b, ToolUseBlock) and b.type == "tool_use" and b.complete
        ]

    @property
    def model(self) -> str | None:
        value = self.message.get("model") if self.message else None
        return value if isinstance(value, str) else None

    @property
    def message_id(self) -> str | None:
        value = self.message.get("id") if self.message else None
        return value if isinstance(value, str) else None

    @property
    def stop_reason(self) -> str | None:
        value = self.message.get("stop_reason") if self.message else None
        return value if isinstance(value, str) else None

    @property
    def stop_sequence(self) -> str | None:
        value = self.message.get("stop_sequence") if self.message else None
        return value if isinstance(value, str) else None

    @property
    def stop_details(self) -> dict[str, Any] | None:
        value = self.message.get("stop_details") if self.message else None
        return value if isinstance(value, dict) else None

    @property
    def failed(self) -> bool:
        """True when the stream carried an ``error`` event."""
        return self.error is not None

    @property
    def time_to_first_event(self) -> float | None:
        if self.first_event_at is None or self.started_at is None:
            return None
        return self.first_event_at - self.started_at

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the start to the first text, thinking or tool-input delta."""
        if self.first_token_at is None or self.started_at is None:
            return None
        return self.first_token_at - self.started_at

    @property
    def duration(self) -> float | None:
        """Seconds from the start to the last event so far."""
        if self.last_event_at is None or self.started_at is None:
            return None
        return self.last_event_at - self.started_at

    def to_message(self) -> dict[str, Any]:
        """The message as a plain dict in the API's JSON shape.

        Equal to what the anthropic SDK's accumulator builds from the same events (its
        beta accumulator, which knows every block type), so it can go back to the API as
        the assistant turn: thinking and signatures untouched.
        """
        message: dict[str, Any] = copy.deepcopy(self.message) if self.message else {}
        if not message:
            message = {"type": "message", "role": "assistant"}
        message["content"] = copy.deepcopy(self._initial_content) + [
            b.to_dict() for b in self.blocks
        ]
        if self.message is not None:
            message["usage"] = copy.deepcopy(self._final_usage)
        return message

    # ------------------------------------------------------------------ applying

    def apply(self, event: Any, at: float | None = None) -> Change:
        """Reduce one event into the state. Never raises: bad input becomes a problem."""
        if at is None:
            at = self._clock()
        number = self.event_count
        self.event_count = number + 1
        if self.first_event_at is None:
            self.first_event_at = at
            if self.started_at is None:
                self.started_at = at
        self.last_event_at = at
        is_dict = type(event) is dict
        event_type = event.get("type") if is_dict else getattr(event, "type", None)
        try:
            if event_type == "content_block_delta":
                # Hot path (nearly every event): a text, thinking or JSON piece for an
                # open block of the matching kind. Anything else takes the full path.
                delta = event.get("delta") if is_dict else getattr(event, "delta", None)
                index = event.get("index") if is_dict else getattr(event, "index", None)
                if type(delta) is dict:
                    spec = _GROWING.get(delta.get("type"))  # type: ignore[arg-type]
                    piece = delta.get(spec[0]) if spec else None
                else:
                    spec = _GROWING.get(getattr(delta, "type", None))  # type: ignore[arg-type]
                    piece = getattr(delta, spec[0], None) if spec else None
                if spec is not None and type(piece) is str and type(index) is int:
                    block = self._by_index.get(index)
                    if block is not None and type(block) is spec[1] and not block.complete:
                        block.grow(piece)  # type: ignore[attr-defined]
                        if block.first_delta_at is None:
                            block.first_delta_at = at
                        block.last_delta_at = at
                        block.delta_count += 1
                        if self.first_token_at is None:
                            self.first_token_at = at
                        return Change("block_delta", index, spec[2], piece)
            handler = self._handlers.get(event_type) if isinstance(event_type, str) else None
            if handler is None:
                return self._on_unknown(event, number, event_type)
            return handler(event, number, at)
        except Exception as exc:
            return self._ignored(
                "invalid_event",
                f"could not interpret a {event_type!r} event ({type(exc).__name__}: {exc})",
                number,
                event,
            )

    def apply_all(self, events: Iterable[Any]) -> StreamState:
        """Apply every event, then :meth:`finish`; returns self."""
        for event in events:
            self.apply(event)
        self.finish()
        return self

    def finish(self, at: float | None = None) -> None:
        """The source has no more events: flag a stream cut short and open blocks."""
        if self.finished:
            return
        self.finished = True
        if not self.ended and self.error is None:
            self._record(
                "stream_truncated",
                "the stream ended without message_stop; everything received is kept",
                -1,
                None,
                None,
            )
        if not self.ended:
            self._close_open_blocks(-1)

    # ------------------------------------------------------------------ handlers

    def _record(
        self, kind: str, message: str, number: int, index: int | None, data: Any
    ) -> Problem:
        problem = Problem(kind, message, number, index, dump_model(data))
        self.problems.append(problem)
        return problem

    def _ignored(self, kind: str, message: str, number: int, event: Any) -> Change:
        index = _get(event, "index")
        index = index if _is_index(index) else None
        return Change("ignored", index, problem=self._record(kind, message, number, index, event))

    def _on_unknown(self, event: Any, number: int, event_type: object) -> Change:
        data = dump_model(event)
        self.unknown_events.append(data)
        if event_type == "invalid_sse_data":
            error = _get(event, "error")
            return self._ignored(
                "invalid_data", f"undecodable event data kept as received ({error})", number, data
            )
        if not isinstance(event, dict) and not hasattr(event, "type"):
            return self._ignored(
                "invalid_event", f"not an event: {type(event).__name__}", number, data
            )
        return self._ignored("unknown_event", f"unknown event type {event_type!r}", number, data)

    def _on_ping(self, event: Any, number: int, at: float) -> Change:
        self.ping_count += 1
        return Change("ping")

    def _on_error(self, event: Any, number: int, at: float) -> Change:
        error = dump_model(_get(event, "error"))
        self.error = error if isinstance(error, dict) else {"type": "error", "message": error}
        self.ended_at = at
        return Change("error")

    def _on_message_start(self, event: Any, number: int, at: float) -> Change:
        if self.message is not None:
            return self._ignored(
                "duplicate_message_start",
                "a second message_start; the first one is kept",
                number,
                event,
            )
        message = dict(dump_model(_get(event, "message")))
        content = message.pop("content", None)
        if isinstance(content, list):
            self._initial_content = content
        self.message = message
        usage = message.pop("usage", None)
        usage = dict(dump_model(usage)) if usage is not None else {}
        self.usage.update(usage)
        self._final_usage = copy.deepcopy(usage)
        if self._by_index:
            self._record(
                "event_before_message_start",
                "content blocks arrived before message_start; they are kept",
                number,
                None,
                event,
            )
        return Change("message_start")

    def _on_message_delta(self, event: Any, number: int, at: float) -> Change:
        data = dump_model(event)
        self.message_deltas.append(data)
        delta = data.get("delta") or {}
        usage = data.get("usage") or {}
        if self.message is None:
            self.message = {}
            self._record(
                "event_before_message_start",
                "message_delta before message_start; applied anyway",
                number,
                None,
                data,
            )
        message = self.message
        message["stop_reason"] = delta.get("stop_reason")
        message["stop_sequence"] = delta.get("stop_sequence")
        message["stop_details"] = delta.get("stop_details")
        if delta.get("container") is not None:
            message["container"] = delta["container"]
        for key in ("context_management", "input_transformations"):
            if data.get(key) is not None:
                message[key] = data[key]
        self.usage.update(usage)
        final = self._final_usage
        final["output_tokens"] = usage.get("output_tokens")
        for key in _SDK_DELTA_USAGE_FIELDS:
            if usage.get(key) is not None:
                final[key] = copy.deepcopy(usage[key])
        return Change("message_delta")

    def _on_message_stop(self, event: Any, number: int, at: float) -> Change:
        if self.ended:
            return self._ignored("duplicate_message_stop", "a second message_stop", number, event)
        self.ended = True
        self.ended_at = at
        self._close_open_blocks(number)
        return Change("message_stop")

    def _close_open_blocks(self, number: int) -> None:
        for block in self.blocks:
            if block.complete:
                continue
            error = block.finish_json(truncated=True) if isinstance(block, ToolUseBlock) else None
            detail = f": {error}" if error else ""
            self._record(
                "block_never_stopped",
                f"{block.type} block {block.index} never got content_block_stop{detail}",
                number,
                block.index,
                None,
            )

    def _on_block_start(self, event: Any, number: int, at: float) -> Change:
        index = _get(event, "index")
        start = dump_model(_get(event, "content_block"))
        if not _is_index(index) or not isinstance(start, dict):
            return self._ignored(
                "invalid_event", "content_block_start without a valid index or block", number, event
            )
        problem = None
        previous = self._by_index.get(index)
        if previous is not None:
            self.superseded_blocks.append(previous)
            problem = self._record(
                "duplicate_start",
                f"a second content_block_start for index {index}; the earlier "
                f"{previous.type} block is kept in superseded_blocks",
                number,
                index,
                event,
            )
        block = make_block(index, dict(start), at)
        self._by_index[index] = block
        self._sorted = None
        self._start_order.append(block)
        if block.type == "fallback" and self.message is not None:
            target = start.get("to")
            if isinstance(target, dict) and target.get("model"):
                self.message["model"] = target["model"]
        return Change("block_start", index, problem=problem)

    def _on_block_stop(self, event: Any, number: int, at: float) -> Change:
        index = _get(event, "index")
        block = self._by_index.get(index) if _is_index(index) else None
        if block is None:
            return self._ignored(
                "stop_unknown_index",
                f"content_block_stop for unknown index {index!r}",
                number,
                event,
            )
        if block.complete:
            return self._ignored(
                "duplicate_stop", f"a second content_block_stop for index {index}", number, event
            )
        problem = None
        if isinstance(block, ToolUseBlock):
            error = block.finish_json(truncated=False)
            if error:
                problem = self._record(
                    "invalid_tool_json",
                    f"tool input of {block.name or block.type} is not valid JSON: {error}",
                    number,
                    index,
                    block.input_json,
                )
        block.stop(at)
        return Change("block_stop", index, problem=problem)

    def _on_block_delta(self, event: Any, number: int, at: float) -> Change:
        index = _get(event, "index")
        delta = _get(event, "delta")
        delta_type = _get(delta, "type")
        if not _is_index(index) or not isinstance(delta_type, str):
            return self._ignored(
                "invalid_event", "content_block_delta without a valid index or delta", number, event
            )
        block = self._by_index.get(index)
        problem = None
        if block is None:
            block, problem = self._synthesize(index, delta_type, number, at, event)
        elif block.complete:
            problem = self._record(
                "delta_after_stop",
                f"{delta_type} after content_block_stop of block {index}; applied anyway",
                number,
                index,
                event,
            )
        if delta_type == "text_delta" and isinstance(block, TextBlock):
            piece = _get(delta, "text")
            if isinstance(piece, str):
                block.append_text(piece)
                return self._grew(block, at, "text", piece, problem)
        elif delta_type == "input_json_delta" and isinstance(block, ToolUseBlock):
            piece = _get(delta, "partial_json")
            if isinstance(piece, str):
                block.append_json(piece)
                return self._grew(block, at, "input_json", piece, problem)
        elif delta_type == "thinking_delta" and isinstance(block, ThinkingBlock):
            piece = _get(delta, "thinking")
            if isinstance(piece, str):
                block.append_thinking(piece)
                return self._grew(block, at, "thinking", piece, problem)
        elif delta_type == "signature_delta" and isinstance(block, ThinkingBlock):
            signature = _get(delta, "signature")
            if isinstance(signature, str):
                if block.signature_deltas and problem is None:
                    problem = self._record(
                        "duplicate_signature",
                        f"a second signature for thinking block {index}; the earlier one "
                        "is in this problem's data, the latest is kept",
                        number,
                        index,
                        {"previous_signature": block.signature, "event": dump_model(event)},
                    )
                block.signature = signature
                block.signature_deltas += 1
                block.mark_delta(at)
                return Change("block_delta", index, "signature", signature, problem)
        elif delta_type == "citations_delta" and isinstance(block, TextBlock):
            citation = _get(delta, "citation")
            if citation is not None:
                block.add_citation(dump_model(citation))
                block.mark_delta(at)
                return Change("block_delta", index, "citations", None, problem)
        elif delta_type == "compaction_delta" and isinstance(block, GenericBlock):
            data = dump_model(delta)
            block.content["content"] = data.get("content")
            block.content["encrypted_content"] = data.get("encrypted_content")
            block.mark_delta(at)
            return Change("block_delta", index, "content", None, problem)
        # Unknown delta type, a delta that does not fit its block, or a malformed one:
        # keep it on the block so nothing is lost.
        block.extra_deltas.append(dump_model(delta))
        block.mark_delta(at)
        if problem is None:
            problem = self._record(
                "unhandled_delta",
                f"{delta_type} on a {block.type} block was not interpreted; kept in extra_deltas",
                number,
                index,
                event,
            )
        return Change("block_delta", index, "extra_deltas", None, problem)

    def _grew(
        self, block: Block, at: float, field: str, piece: str, problem: Problem | None
    ) -> Change:
        block.mark_delta(at)
        if self.first_token_at is None:
            self.first_token_at = at
        return Change("block_delta", block.index, field, piece, problem)

    def _synthesize(
        self, index: int, delta_type: str, number: int, at: float, event: Any
    ) -> tuple[Block, Problem]:
        start = dict(_SYNTHESIZED_START.get(delta_type, {"type": "unknown"}))
        block = make_block(index, start, at)
        block.synthesized = True
        self._by_index[index] = block
        self._sorted = None
        self._start_order.append(block)
        problem = self._record(
            "delta_before_start",
            f"{delta_type} for index {index} before any content_block_start; a "
            f"{block.type} block was made to hold it",
            number,
            index,
            event,
        )
        return block, problem
