"""ToolCall: a finalized client tool call, ready to run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamscope.core.json.codec import dumps_exact
from streamscope.core.schema.validation import Violation

__all__ = ["ToolCall"]


@dataclass(frozen=True)
class ToolCall:
    """A ``tool_use`` block that has stopped: its id, name and parsed input.

    ``input_error`` says why the input JSON did not parse (the model sent invalid JSON
    or the stream was cut); ``input`` then holds what could be read of it.
    ``violations`` are how the input breaks the tool's ``input_schema``, as checked while
    it streamed (empty when valid, or when the schema was not known).
    """

    id: str
    name: str
    input: Any
    index: int
    input_json: str = ""
    input_error: str | None = None
    violations: tuple[Violation, ...] = ()

    @property
    def arguments(self) -> str:
        """The input as a JSON string (what OpenAI-style tool calls carry): strict JSON that
        keeps the text exactly, at any depth (:func:`~streamscope.core.json.codec.dumps_exact`)."""
        return dumps_exact(self.input)
