"""StreamingInterface: the seed-compatible message stream, built on StreamState.

How it works: ``docs/internals.md``, section ``streamscope.core.letta``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from streamscope.core.io.sources import aiter_events
from streamscope.core.stream.blocks import (
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.core.stream.changes import Change
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.state import StreamState

__all__ = [
    "ApprovalRequestMessage",
    "AssistantMessage",
    "FunctionCall",
    "HiddenReasoningMessage",
    "ReasoningContent",
    "ReasoningMessage",
    "RedactedReasoningContent",
    "StopReasonMessage",
    "StreamMessage",
    "StreamingInterface",
    "TextContent",
    "ToolCallDelta",
    "ToolCallMessage",
    "ToolCallObject",
    "UsageStatistics",
]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Message(BaseModel):
    id: str
    date: str = Field(default_factory=_now)
    index: int | None = None
    """The content-block index the message came from."""
    run_id: str | None = None
    step_id: str | None = None


class ReasoningMessage(_Message):
    """A piece of thinking text, or (with empty ``reasoning``) the block's signature."""

    message_type: Literal["reasoning_message"] = "reasoning_message"
    source: Literal["reasoner_model"] = "reasoner_model"
    reasoning: str
    signature: str | None = None


class HiddenReasoningMessage(_Message):
    """A redacted thinking block: opaque data that must go back unchanged."""

    message_type: Literal["hidden_reasoning_message"] = "hidden_reasoning_message"
    state: Literal["redacted"] = "redacted"
    hidden_reasoning: str | None = None


class AssistantMessage(_Message):
    message_type: Literal["assistant_message"] = "assistant_message"
    content: str


class ToolCallDelta(BaseModel):
    name: str | None = None
    arguments: str | None = None
    tool_call_id: str | None = None


class ToolCallMessage(_Message):
    message_type: Literal["tool_call_message"] = "tool_call_message"
    tool_call: ToolCallDelta


class ApprovalRequestMessage(_Message):
    """A call to a tool that needs a human's approval before it runs."""

    message_type: Literal["approval_request_message"] = "approval_request_message"
    tool_call: ToolCallDelta


class StopReasonMessage(BaseModel):
    """The end of the stream: the API's stop reason, or ``error``."""

    message_type: Literal["stop_reason"] = "stop_reason"
    stop_reason: str


StreamMessage = (
    ReasoningMessage
    | HiddenReasoningMessage
    | AssistantMessage
    | ToolCallMessage
    | ApprovalRequestMessage
    | StopReasonMessage
)


class FunctionCall(BaseModel):
    name: str
    arguments: str
    """The input as a JSON string."""


class ToolCallObject(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall
    input_error: str | None = None
    """Why the model's input JSON did not parse, if it did not."""


class TextContent(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ReasoningContent(BaseModel):
    type: Literal["reasoning"] = "reasoning"
    is_native: bool = True
    reasoning: str
    signature: str | None = None


class RedactedReasoningContent(BaseModel):
    type: Literal["redacted_reasoning"] = "redacted_reasoning"
    data: str


class UsageStatistics(BaseModel):
    prompt_tokens: int
    """All input: uncached input + cache reads + cache writes."""
    completion_tokens: int
    total_tokens: int
    cached_input_tokens: int
    """Input read from the prompt cache."""
    cache_write_tokens: int
    """Input written to the prompt cache."""
    reasoning_tokens: int | None = None
    """Output tokens spent on thinking, when the API reports them."""


class StreamingInterface:
    """Turn an Anthropic event stream into seed-compatible messages.

    Parameters
    ----------
    requires_approval_tools:
        Tool names whose calls are announced as ``approval_request_message``.
    state:
        The StreamState to reduce into (a fresh one by default), e.g. one a view shows.
    """

    def __init__(
        self,
        requires_approval_tools: Sequence[str] = (),
        run_id: str | None = None,
        step_id: str | None = None,
        state: StreamState | None = None,
    ) -> None:
        self.requires_approval_tools = list(requires_approval_tools)
        self.run_id = run_id
        self.step_id = step_id
        self.state = state if state is not None else StreamState()
        self.message_id = f"message-{uuid.uuid4()}"

    # ------------------------------------------------------------------ results

    def get_tool_call_objects(self) -> list[ToolCallObject]:
        """All finalized client tool calls of the message, in the order they started."""
        return [
            ToolCallObject(
                id=call.id,
                function=FunctionCall(name=call.name, arguments=call.arguments),
                input_error=call.input_error,
            )
            for call in self.state.tool_calls
        ]

    def get_tool_call_object(self) -> ToolCallObject | None:
        """The first finalized tool call (legacy single-call callers)."""
        calls = self.get_tool_call_objects()
        return calls[0] if calls else None

    def get_usage_statistics(self) -> UsageStatistics:
        usage = self.state.usage
        prompt = usage.total_input_tokens
        return UsageStatistics(
            prompt_tokens=prompt,
            completion_tokens=usage.output_tokens,
            total_tokens=prompt + usage.output_tokens,
            cached_input_tokens=usage.cache_read_input_tokens,
            cache_write_tokens=usage.cache_creation_input_tokens,
            reasoning_tokens=usage.thinking_tokens,
        )

    def get_content(self) -> list[TextContent | ReasoningContent | RedactedReasoningContent]:
        """Reasoning, redacted reasoning and text, one item per block in index order.

        Thinking is returned byte for byte with its own signature: the API rejects
        modified or merged thinking blocks on the next turn.
        """
        content: list[TextContent | ReasoningContent | RedactedReasoningContent] = []
        for block in self.state.blocks:
            if isinstance(block, ThinkingBlock):
                content.append(
                    ReasoningContent(reasoning=block.thinking, signature=block.signature or None)
                )
            elif isinstance(block, RedactedThinkingBlock):
                content.append(RedactedReasoningContent(data=block.data))
            elif isinstance(block, TextBlock):
                content.append(TextContent(text=block.text))
        return content

    get_reasoning_content = get_content

    # ------------------------------------------------------------------ streaming

    async def process(self, stream: Any) -> AsyncIterator[StreamMessage]:
        """Reduce ``stream`` and yield messages as events arrive.

        ``stream`` is any async iterable of events (SDK ``AsyncStream``, a
        MessageStream manager, recorded dicts); one that is an async context manager is
        entered. Raises :class:`StreamAPIError` after yielding ``stop_reason="error"``
        when the stream carries an ``error`` event; any other failure of the source
        also yields ``stop_reason="error"`` and is re-raised unchanged.
        """
        state = self.state
        try:
            async with contextlib.AsyncExitStack() as stack:
                if hasattr(stream, "__aenter__") and hasattr(stream, "__aiter__"):
                    # An iterable stream that is also a context manager (the SDK's
                    # AsyncStream): entering it closes the response when we are done.
                    stream = await stack.enter_async_context(stream)
                async for event in aiter_events(stream):
                    change = state.apply(event)
                    for message in self._messages_for(change):
                        yield message
                    if change.kind == "error" and state.error is not None:
                        raise StreamAPIError(state.error)
        except Exception:
            state.finish()
            yield StopReasonMessage(stop_reason="error")
            raise
        state.finish()
        yield StopReasonMessage(stop_reason=state.stop_reason or "end_turn")

    def _common(self, index: int | None) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "index": index,
            "run_id": self.run_id,
            "step_id": self.step_id,
        }

    def _messages_for(self, change: Change) -> list[StreamMessage]:
        index = change.index
        if index is None or change.kind not in ("block_start", "block_delta"):
            return []
        block = self.state.block(index)
        if block is None:
            return []
        if isinstance(block, ToolUseBlock):
            if block.type != "tool_use":
                return []  # server and MCP tools run on the server: nothing to call
            if change.kind == "block_delta" and (change.field != "input_json" or not change.chunk):
                return []
            delta = ToolCallDelta(
                name=block.name,
                tool_call_id=block.id,
                arguments=change.chunk if change.kind == "block_delta" else None,
            )
            if block.name in self.requires_approval_tools:
                return [ApprovalRequestMessage(tool_call=delta, **self._common(index))]
            return [ToolCallMessage(tool_call=delta, **self._common(index))]
        if isinstance(block, RedactedThinkingBlock) and change.kind == "block_start":
            return [HiddenReasoningMessage(hidden_reasoning=block.data, **self._common(index))]
        if change.kind != "block_delta" or change.chunk is None:
            return []
        if isinstance(block, ThinkingBlock):
            if change.field == "thinking":
                return [ReasoningMessage(reasoning=change.chunk, **self._common(index))]
            if change.field == "signature":
                return [
                    ReasoningMessage(reasoning="", signature=change.chunk, **self._common(index))
                ]
        if isinstance(block, TextBlock) and change.field == "text":
            return [AssistantMessage(content=change.chunk, **self._common(index))]
        return []
