"""StreamState: the one reducer from Anthropic stream events to live message state.

How it works: ``docs/internals.md``, section ``streamscope.core.stream.state``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from streamscope.core.json.codec import (
    coerce_json,
    copy_json,
    dumps_exact,
)
from streamscope.core.json.depth import MAX_DEPTH, NestingTooDeepError
from streamscope.core.json.plain import dump_model
from streamscope.core.stream.blocks import (
    Block,
    GenericBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    make_block,
)
from streamscope.core.stream.changes import Change
from streamscope.core.stream.problems import Problem
from streamscope.core.stream.status import StreamStatus, stream_status
from streamscope.core.stream.tool_call import ToolCall
from streamscope.core.stream.usage import Usage
from streamscope.core.tools.schemas import tool_schemas
from streamscope.core.wire.request import clean_request, left_out
from streamscope.core.wire.sdk import event_to_dict

__all__ = ["StreamState"]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

Clock = Callable[[], float]

_KEEP: Final = 1000
"""Entries kept in each side list (unknown events, message deltas, superseded blocks, a
block's extra deltas); the rest are counted in ``StreamState.dropped``."""
_KEEP_PROBLEMS: Final = 100
"""Problems kept per kind; all are counted in ``StreamState.problem_counts``."""
_MAX_COUNT: Final = 2**63 - 1  # the largest usage count read as a number
_NOTES_SHOWN: Final = 3  # coercions named in a non_json_value problem's message

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
    return obj.get(name) if isinstance(obj, dict) else None


def _as_data(event: Any) -> Any:
    """An event as data: a dict as it is, any other Mapping as a dict, an SDK model in wire
    shape (a MessageStream's snapshots left out), another object with a ``type`` as its
    attributes; anything else unchanged. May raise (a broken model or attribute)."""
    if type(event) is dict:
        return event
    if isinstance(event, Mapping):
        return dict(event)
    if callable(getattr(event, "to_dict", None)) or callable(getattr(event, "model_dump", None)):
        return event_to_dict(event)
    attributes = getattr(event, "__dict__", None)
    if isinstance(attributes, dict) and "type" in attributes:
        return {k: v for k, v in attributes.items() if isinstance(k, str) and k[:1] != "_"}
    return event


def _describe(event: Any) -> Any:
    """What a problem keeps of an event that was not applied: its data as JSON data (its
    JSON text when nested too deep), else its Python type and why it could not be read."""
    try:
        data = _as_data(event)
        try:
            return coerce_json(data, max_depth=MAX_DEPTH)[0]
        except NestingTooDeepError:
            return dumps_exact(data)
    except Exception as exc:
        return {
            "python_type": type(event).__name__,
            "error": f"{type(exc).__name__}: {_short(exc)}",
        }


def _short(value: object, limit: int = 200) -> str:
    """``repr`` for a message, cut at ``limit`` characters, never raising."""
    try:
        text = repr(value) if not isinstance(value, BaseException) else str(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def _invalid_count(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False  # not a count at all: read as 0, like a missing one
    return not 0 <= value <= _MAX_COUNT


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _request_tools(request: Mapping[str, Any] | None) -> Any:
    tools = request.get("tools") if request is not None else None
    return tools if isinstance(tools, (list, tuple)) else None


class StreamState:
    """Live state of one streamed Messages API response.

    Parameters
    ----------
    clock:
        Returns the current time in seconds; ``apply(event, at=...)`` overrides it per
        event (replays pass the recorded arrival times).
    started_at:
        When the request was sent, if known (on ``clock``'s time line, or the recorded
        one of ``apply(at=...)``): time to first event and first token are measured from
        it (otherwise from the first event, ``message_start``; see :attr:`request_known`).
    tools:
        The request's tools, so that each ``tool_use`` block's input is checked against
        its tool's ``input_schema`` while it streams (:attr:`ToolUseBlock.violations`):
        SDK tool params (dicts with ``name`` and ``input_schema``), ``@tool`` functions
        (:class:`~streamscope.core.tools.tool.Tool`), pydantic model classes, or a mapping
        ``{name: schema or model}`` (see :func:`~streamscope.core.schema.validation.tool_schemas`).
        Default: the tools of ``request``.
    request:
        The request that opened the stream (``messages.create`` keywords), when known:
        kept in :attr:`request` (cleaned: no credentials, no headers).
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        started_at: float | None = None,
        tools: Any = None,
        request: Mapping[str, Any] | None = None,
    ) -> None:
        self._clock = clock
        self._request_given: Mapping[str, Any] | None = None
        self._request_version = 0
        self._tools_given = False
        self.tool_schemas: dict[str, dict[str, Any]] = {}
        """``{tool name: input_schema}`` the tool blocks are checked against."""
        self._unchecked_blocks: set[int] = set()  # ids of blocks with a schema_not_checked
        self._first_model: str | None = None
        self.message: dict[str, Any] | None = None
        """The ``message_start`` message (without content), updated by ``message_delta``."""
        self.usage = Usage()
        self._final_usage: dict[str, Any] = {}
        self._initial_content: list[Any] = []
        self._by_index: dict[int, Block] = {}
        self._sorted: list[Block] | None = []
        self._start_order: list[Block] = []
        self.superseded_blocks: list[Block] = []
        """Blocks replaced by a second ``content_block_start`` on the same index (the
        first 1,000)."""
        self.problems: list[Problem] = []
        """What went wrong, in order (the first 100 of each kind; append-only)."""
        self.problem_counts: dict[str, int] = {}
        """How many problems of each kind there were, kept or not."""
        self.unknown_events: list[Any] = []
        """Events of types this version does not know, kept whole (the first 1,000)."""
        self.message_deltas: list[dict[str, Any]] = []
        """The ``message_delta`` events (the first 1,000)."""
        self.dropped: dict[str, int] = {}
        """Entries not kept once a side list held 1,000, by list name
        (``"unknown_events"``, ``"message_deltas"``, ``"superseded_blocks"``,
        ``"extra_deltas"``)."""
        self.error: dict[str, Any] | None = None
        """The ``error`` event's error object (``{"type": "overloaded_error", ...}``)."""
        self.ended = False
        """True once ``message_stop`` arrived."""
        self.finished = False
        """True once :meth:`finish` was called (the source is exhausted)."""
        self.event_count = 0
        self.ping_count = 0
        self._surrogate_blocks: set[int] = set()
        self.stopped = False
        """The consumer (a user's Stop, a kernel interrupt) ended the stream early."""
        self.paused = False
        """A replay of this stream is paused."""
        self.failure: str | None = None
        """Why the source failed (an exception, as text), if it did."""
        self.started_at = started_at
        self.request_known = started_at is not None
        """Whether ``started_at`` is when the request was sent (else: the first event's
        arrival, so times are measured from ``message_start``)."""
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
        if request is not None:
            self.set_request(request)
        if tools is not None:
            self.set_tools(tools)

    # ------------------------------------------------------------------ the request

    @property
    def request(self) -> dict[str, Any] | None:
        """The request that opened this stream (model, parameters, system, tools,
        messages; ``betas`` when the beta endpoint was used), cleaned of credentials and
        headers by :func:`~streamscope.core.wire.request.clean_request`; None when unknown.

        A fresh copy on each read, not kept: each turn of a long loop re-sends the whole
        conversation, and a cleaned copy kept per turn would grow with the square of its
        length. :attr:`request_version` says when it changed."""
        if self._request_given is None:
            return None
        return clean_request(self._request_given)

    @property
    def request_left_out(self) -> list[str]:
        """What the request given held that :attr:`request` leaves out, by name (the key,
        headers, options, credential-shaped ``extra_body`` fields;
        :func:`~streamscope.core.wire.request.left_out`)."""
        if self._request_given is None:
            return []
        return left_out(self._request_given)

    @property
    def request_version(self) -> int:
        """Counts :meth:`set_request` calls: a reader that made something from
        :attr:`request` (code to send it again) knows when to make it again."""
        return self._request_version

    def set_request(self, request: Mapping[str, Any] | None) -> None:
        """Say which request opened the stream (None: unknown). Unless tools were given
        (``tools=`` or :meth:`set_tools`), its ``tools`` are the ones checked."""
        if request is not None and not isinstance(request, Mapping):
            raise TypeError(f"request must be a mapping of request fields, not {request!r}")
        self._request_given = request
        self._request_version += 1
        if not self._tools_given:
            self._bind(tool_schemas(_request_tools(request)))

    def set_tools(self, tools: Any) -> None:
        """Check tool inputs against these tools' schemas (see ``tools=``); blocks already
        started are checked too, from the input received so far."""
        self._tools_given = tools is not None
        if tools is None:
            self._bind(tool_schemas(_request_tools(self._request_given)))
        else:
            self._bind(tool_schemas(tools))

    def _schema_not_checked(self, block: ToolUseBlock, number: int) -> Problem | None:
        """A ``schema_not_checked`` problem, once per block, when its input cannot be (or
        stopped being) checked against its schema: never silence."""
        reason = block.schema_error
        if reason is None or id(block) in self._unchecked_blocks:
            return None
        self._unchecked_blocks.add(id(block))
        return self._record(
            "schema_not_checked",
            f"tool input of {block.name or block.type} is not checked against its schema: {reason}",
            number,
            block.index,
            block.schema,
        )

    def _bind(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.tool_schemas = schemas
        for block in self._start_order:
            if isinstance(block, ToolUseBlock) and block.type == "tool_use":
                block.bind_schema(schemas.get(block.name))

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
    def diagnostics(self) -> dict[str, Any] | None:
        """The message's ``diagnostics`` (why the prompt cache missed:
        ``cache_miss_reason``), as the API sent it; None when it sent none."""
        value = self.message.get("diagnostics") if self.message else None
        return value if isinstance(value, dict) else None

    @property
    def container(self) -> dict[str, Any] | None:
        """The message's ``container`` (code execution's: ``id``, ``expires_at``)."""
        value = self.message.get("container") if self.message else None
        return value if isinstance(value, dict) else None

    @property
    def context_management(self) -> dict[str, Any] | None:
        """The message's ``context_management`` (``applied_edits``)."""
        value = self.message.get("context_management") if self.message else None
        return value if isinstance(value, dict) else None

    @property
    def iterations(self) -> list[dict[str, Any]]:
        """``usage.iterations``: one entry per sampling iteration (``message``,
        ``fallback_message``, ``compaction``, ``advisor_message``), the entries that are
        objects, as received; empty when the API sent none."""
        value = self.usage.raw.get("iterations")
        return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []

    @property
    def models(self) -> list[str]:
        """The models that answered, in order: the requested one, then each ``fallback``
        block's ``to`` model (one model declined, the next continued)."""
        first = None
        if self.message:
            first = self._first_model
        out = [first] if isinstance(first, str) and first else []
        for block in self._start_order:
            if block.type == "fallback":
                target = block.start.get("to")
                model = target.get("model") if isinstance(target, dict) else None
                if isinstance(model, str) and model and (not out or out[-1] != model):
                    out.append(model)
        return out

    @property
    def estimated_thinking_tokens(self) -> int | None:
        """The sum of every thinking block's running estimate (None: none came)."""
        values = [
            b.estimated_tokens
            for b in self._start_order
            if isinstance(b, ThinkingBlock) and b.estimated_tokens is not None
        ]
        return sum(values) if values else None

    @property
    def failed(self) -> bool:
        """True when the stream carried an ``error`` event."""
        return self.error is not None

    @property
    def status(self) -> StreamStatus:
        """Where the stream stands (one of
        :data:`~streamscope.core.stream.status.STREAM_STATUSES`)."""
        return stream_status(
            events=self.event_count,
            ended=self.ended,
            finished=self.finished,
            error=self.error is not None,
            stopped=self.stopped,
            paused=self.paused,
            failure=self.failure is not None,
        )

    def set_request_time(self, at: float) -> None:
        """The request was sent at ``at`` (the state's clock): times count from there."""
        self.started_at = at
        self.request_known = True

    def __repr__(self) -> str:
        bits: list[str] = [self.status]
        if self.model:
            bits.append(self.model)
        bits.append(f"{len(self.blocks)} blocks")
        calls = sum(1 for b in self._start_order if isinstance(b, ToolUseBlock) and b.complete)
        if calls:
            bits.append(f"{calls} tool calls")
        if self.stop_reason:
            bits.append(f"stop: {self.stop_reason}")
        bits.append(f"{self.usage.output_tokens:,} output tokens")
        return f"<StreamState {' · '.join(bits)}>"

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
        message: dict[str, Any] = copy_json(self.message) if self.message else {}
        if not message:
            message = {"type": "message", "role": "assistant"}
        message["content"] = copy_json(self._initial_content) + [b.to_dict() for b in self.blocks]
        if self.message is not None:
            message["usage"] = copy_json(self._final_usage)
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
        if self.ended:
            return self._after_stop(event, number, at)
        event_type: Any = None
        try:
            is_dict = type(event) is dict
            event_type = event.get("type") if is_dict else getattr(event, "type", None)
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
                        if spec[1] is ThinkingBlock:  # a running estimate (display omitted)
                            estimate = (
                                delta.get("estimated_tokens")
                                if type(delta) is dict
                                else getattr(delta, "estimated_tokens", None)
                            )
                            if estimate is not None:
                                block.add_estimate(estimate)  # type: ignore[attr-defined]
                        if block.first_delta_at is None:
                            block.first_delta_at = at
                        block.last_delta_at = at
                        block.delta_count += 1
                        if self.first_token_at is None:
                            self.first_token_at = at
                        if not piece.isascii() and _LONE_SURROGATE.search(piece):
                            return Change(
                                "block_delta", index, spec[2], piece, self._surrogate(block, number)
                            )
                        return Change("block_delta", index, spec[2], piece)
            data = _as_data(event)
            if not isinstance(data, dict):
                return self._ignored(
                    "invalid_event",
                    f"not an event: {type(event).__name__}",
                    number,
                    _describe(data),
                )
            event_type = data.get("type")
            try:
                data, notes = coerce_json(data, max_depth=MAX_DEPTH)
            except NestingTooDeepError:
                return self._ignored(
                    "nesting_too_deep",
                    f"a {event_type!r} event nested deeper than {MAX_DEPTH} levels was not "
                    "applied; its JSON text is this problem's data",
                    number,
                    dumps_exact(data),
                )
            if notes:
                shown = "; ".join(notes[:_NOTES_SHOWN]) + (
                    "; ..." if len(notes) > _NOTES_SHOWN else ""
                )
                self._record(
                    "non_json_value",
                    f"a {event_type!r} event held values JSON cannot: applied with them "
                    f"replaced ({shown})",
                    number,
                    None,
                    {"event": data, "replaced": notes},
                )
            handler = self._handlers.get(event_type) if isinstance(event_type, str) else None
            if handler is None:
                return self._on_unknown(data, number, event_type)
            return handler(data, number, at)
        except Exception as exc:
            return self._ignored(
                "invalid_event",
                f"could not interpret a {_short(event_type)} event ({type(exc).__name__}: "
                f"{_short(exc)})",
                number,
                _describe(event),
            )

    def _after_stop(self, event: Any, number: int, at: float) -> Change:
        data = _describe(event)
        event_type = data.get("type") if isinstance(data, dict) else None
        if event_type == "message_stop":
            return self._ignored("duplicate_message_stop", "a second message_stop", number, data)
        if event_type == "error" and self.error is None and isinstance(data, dict):
            self._record(
                "event_after_stop",
                "an error event after message_stop: applied (an error is never hidden); the "
                "message is unchanged",
                number,
                None,
                data,
            )
            return self._on_error(data, number, at)
        return self._ignored(
            "event_after_stop",
            f"a {_short(event_type)} event after message_stop was not applied (the message "
            "is final); it is this problem's data",
            number,
            data,
        )

    def note_problem(
        self,
        kind: str,
        message: str,
        *,
        event_number: int = -1,
        index: int | None = None,
        data: Any = None,
    ) -> Problem:
        """Record a problem found outside the events themselves (a recording's time that
        cannot be waited for, tool arguments that could not be converted): kept in
        :attr:`problems` like any other."""
        return self._record(kind, message, event_number, index, data)

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
        try:
            data = dump_model(data, warnings=False)
        except Exception:
            data = _describe(data)
        problem = Problem(kind, message, number, index, data)
        count = self.problem_counts.get(kind, 0) + 1
        self.problem_counts[kind] = count
        if count <= _KEEP_PROBLEMS:
            self.problems.append(problem)
        elif count == _KEEP_PROBLEMS + 1:
            self.problem_counts["problems_dropped"] = (
                self.problem_counts.get("problems_dropped", 0) + 1
            )
            self.problems.append(
                Problem(
                    "problems_dropped",
                    f"more than {_KEEP_PROBLEMS} {kind} problems: the later ones are counted "
                    f"in problem_counts[{kind!r}], not kept",
                    number,
                )
            )
        return problem

    def _keep(self, items: list[Any], item: Any, name: str, number: int) -> None:
        """Append to a side list, or count the item as dropped once the list is full."""
        if len(items) < _KEEP:
            items.append(item)
            return
        dropped = self.dropped.get(name, 0) + 1
        self.dropped[name] = dropped
        if dropped == 1:
            self._record(
                "limit_reached",
                f"more than {_KEEP} {name} in one stream: the later ones are counted in "
                f"dropped[{name!r}], not kept",
                number,
                None,
                None,
            )

    def _ignored(self, kind: str, message: str, number: int, event: Any) -> Change:
        index = _get(event, "index")
        index = index if _is_index(index) else None
        return Change("ignored", index, problem=self._record(kind, message, number, index, event))

    def _on_unknown(self, event: dict[str, Any], number: int, event_type: object) -> Change:
        self._keep(self.unknown_events, event, "unknown_events", number)
        if event_type == "invalid_sse_data":
            error = _get(event, "error")
            return self._ignored(
                "invalid_data",
                f"undecodable event data kept as received ({_short(error)})",
                number,
                event,
            )
        return self._ignored(
            "unknown_event", f"unknown event type {_short(event_type)}", number, event
        )

    def _check_usage(self, usage: dict[str, Any], number: int, event: Any) -> None:
        bad = [k for k, v in usage.items() if _invalid_count(v)]
        for key, value in usage.items():
            if isinstance(value, dict):
                bad += [f"{key}.{k}" for k, v in value.items() if _invalid_count(v)]
        if bad:
            self._record(
                "invalid_usage",
                f"usage counts out of range ({', '.join(map(str, bad))}): kept as received, "
                "read as 0",
                number,
                None,
                event,
            )

    def _on_ping(self, event: Any, number: int, at: float) -> Change:
        self.ping_count += 1
        return Change("ping")

    def _on_error(self, event: Any, number: int, at: float) -> Change:
        if self.error is not None:
            return self._ignored(
                "second_error",
                "a second error event was not applied (the first is kept); it is this "
                "problem's data",
                number,
                event,
            )
        error = _get(event, "error")
        self.error = error if isinstance(error, dict) else {"type": "error", "message": error}
        if self.ended_at is None:
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
        message = dict(_get(event, "message"))
        content = message.pop("content", None)
        if isinstance(content, list):
            self._initial_content = content
        self.message = message
        model = message.get("model")
        self._first_model = model if isinstance(model, str) else None
        usage = message.pop("usage", None)
        usage = dict(usage) if usage is not None else {}
        self._check_usage(usage, number, event)
        self.usage.update(usage)
        self._final_usage = copy_json(usage)
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
        data = event
        self._keep(self.message_deltas, data, "message_deltas", number)
        delta = data.get("delta") or {}
        usage = data.get("usage") or {}
        if isinstance(usage, dict):
            self._check_usage(usage, number, data)
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
                final[key] = copy_json(usage[key])
        return Change("message_delta")

    def _on_message_stop(self, event: Any, number: int, at: float) -> Change:
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
        start = _get(event, "content_block")
        if not _is_index(index) or not isinstance(start, dict):
            return self._ignored(
                "invalid_event", "content_block_start without a valid index or block", number, event
            )
        problem = None
        previous = self._by_index.get(index)
        if previous is not None:
            self._keep(self.superseded_blocks, previous, "superseded_blocks", number)
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
        if self.tool_schemas and isinstance(block, ToolUseBlock) and block.type == "tool_use":
            block.bind_schema(self.tool_schemas.get(block.name))
            problem = self._schema_not_checked(block, number) or problem
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
            problem = self._schema_not_checked(block, number)
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
                block.add_estimate(_get(delta, "estimated_tokens"))
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
                        {"previous_signature": block.signature, "event": event},
                    )
                block.signature = signature
                block.signature_deltas += 1
                block.mark_delta(at)
                return Change("block_delta", index, "signature", signature, problem)
        elif delta_type == "citations_delta" and isinstance(block, TextBlock):
            citation = _get(delta, "citation")
            if citation is not None:
                block.add_citation(citation)
                block.mark_delta(at)
                return Change("block_delta", index, "citations", None, problem)
        elif delta_type == "compaction_delta" and isinstance(block, GenericBlock):
            data = delta if isinstance(delta, dict) else {}
            block.content["content"] = data.get("content")
            block.content["encrypted_content"] = data.get("encrypted_content")
            block.mark_delta(at)
            return Change("block_delta", index, "content", None, problem)
        # Unknown delta type, a delta that does not fit its block, or a malformed one:
        # keep it on the block so nothing is lost.
        self._keep(block.extra_deltas, delta, "extra_deltas", number)
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
        if problem is None and not piece.isascii() and _LONE_SURROGATE.search(piece):
            problem = self._surrogate(block, self.event_count - 1)
        return Change("block_delta", block.index, field, piece, problem)

    def _surrogate(self, block: Block, number: int) -> Problem | None:
        """A lone surrogate arrived in a block's text: kept exactly (exports write it as its
        ``\\udXXX`` escape), shown as U+FFFD; recorded once per block."""
        if block.index in self._surrogate_blocks:
            return None
        self._surrogate_blocks.add(block.index)
        return self._record(
            "lone_surrogate",
            f"{block.type} block {block.index} holds a lone surrogate (a half of a UTF-16 "
            "pair): kept as received, shown as U+FFFD",
            number,
            block.index,
            None,
        )

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
