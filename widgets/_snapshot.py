"""The snapshot: a JSON-ready picture of a StreamState for front ends and static HTML.

One function, :func:`snapshot`, turns live state into plain data. The widget keeps it in
a synced trait (so a view rendered late, re-rendered or reloaded is complete), the static
HTML fallback and the HTML export render from it. Times are seconds relative to the
state's start. Built when a stream ends, stops or fails, and on request; never per delta.
Its parts (:func:`block_snapshot`, :func:`message_fields`, :func:`problem_snapshot`) are
what the live widget's delta frames carry, so frames and snapshot agree by construction.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from streamscope.core.blocks import (
    Block,
    GenericBlock,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.core.pricing import DEFAULT_PRICES, PriceTable, estimate_cost
from streamscope.core.problems import Problem
from streamscope.core.state import StreamState

__all__ = ["Status", "block_snapshot", "message_fields", "problem_snapshot", "snapshot"]

Status = Literal["waiting", "streaming", "done", "failed", "stopped"]

SNAPSHOT_VERSION = 1

MIN_RATE_SECONDS = 0.25
"""Below this much generation time (an instant replay) tokens per second means nothing."""


def _rel(at: float | None, origin: float | None) -> float | None:
    if at is None or origin is None:
        return None
    return round(at - origin, 6)


def _json_safe(value: Any) -> Any:
    """Floats that JSON cannot carry (inf, nan) become strings; the rest is unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def block_snapshot(block: Block, origin: float | None) -> dict[str, Any]:
    """One block as plain data (see module docstring)."""
    out: dict[str, Any] = {
        "index": block.index,
        "type": block.type,
        "kind": block.kind,
        "complete": block.complete,
        "synthesized": block.synthesized,
        "started_at": _rel(block.started_at, origin),
        "first_delta_at": _rel(block.first_delta_at, origin),
        "last_delta_at": _rel(block.last_delta_at, origin),
        "stopped_at": _rel(block.stopped_at, origin),
        "delta_count": block.delta_count,
    }
    if isinstance(block, TextBlock):
        out["text"] = block.text
        out["citations"] = block.citations or []
    elif isinstance(block, ThinkingBlock):
        out["thinking"] = block.thinking
        out["signature"] = block.signature
        out["omitted"] = block.omitted
    elif isinstance(block, RedactedThinkingBlock):
        out["data"] = block.data
    elif isinstance(block, ToolUseBlock):
        out["id"] = block.id
        out["name"] = block.name
        out["input_json"] = block.input_json
        out["input"] = block.input
        out["input_error"] = block.input_error
        path = block.streaming_path
        out["streaming_path"] = list(path) if path is not None else None
        server_name = block.start.get("server_name")
        if server_name is not None:
            out["server_name"] = server_name
    elif isinstance(block, GenericBlock):
        out["content"] = block.content
    if block.extra_deltas:
        out["extra_deltas"] = block.extra_deltas
    return out


def status_of(state: StreamState, *, stopped: bool = False, failure: str | None = None) -> Status:
    if failure is not None or state.failed:
        return "failed"
    if stopped:
        return "stopped"
    if state.ended or state.finished:
        return "done"
    return "streaming" if state.event_count else "waiting"


def message_fields(
    state: StreamState,
    *,
    prices: PriceTable | None = None,
    stopped: bool = False,
    failure: str | None = None,
) -> dict[str, Any]:
    """The snapshot's message-level part (everything but blocks, calls, signatures, problems).

    JSON-ready. Live views send it again whenever it changes, so it must stay small.
    """
    usage = state.usage
    cost = estimate_cost(usage, state.model, prices or DEFAULT_PRICES)
    first_token = state.first_token_at
    last = state.last_event_at
    generation_seconds = (last - first_token) if first_token is not None and last else None
    tokens_per_second = (
        usage.output_tokens / generation_seconds
        if generation_seconds and generation_seconds >= MIN_RATE_SECONDS and usage.output_tokens
        else None
    )
    data: dict[str, Any] = {
        "status": status_of(state, stopped=stopped, failure=failure),
        "model": state.model,
        "message_id": state.message_id,
        "usage": {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "cache_write_5m_tokens": usage.cache_write_5m_tokens,
            "cache_write_1h_tokens": usage.cache_write_1h_tokens,
            "thinking_tokens": usage.thinking_tokens,
            "total_input_tokens": usage.total_input_tokens,
            "cache_hit_rate": usage.cache_hit_rate,
            "server_tool_use": usage.server_tool_use,
            "service_tier": usage.service_tier,
        },
        "cost": None
        if cost is None
        else {
            "model_key": cost.model_key,
            "as_of": cost.as_of,
            "input_usd": cost.input_usd,
            "cache_write_usd": cost.cache_write_usd,
            "cache_read_usd": cost.cache_read_usd,
            "output_usd": cost.output_usd,
            "total_usd": cost.total_usd,
            "without_cache_usd": cost.without_cache_usd,
        },
        "timing": {
            "time_to_first_event": state.time_to_first_event,
            "time_to_first_token": state.time_to_first_token,
            "duration": state.duration,
            "output_tokens_per_second": tokens_per_second,
        },
        "stop_reason": state.stop_reason,
        "stop_sequence": state.stop_sequence,
        "stop_details": state.stop_details,
        "error": state.error,
        "failure": failure,
    }
    return _json_safe(data)  # type: ignore[no-any-return]


def problem_snapshot(problem: Problem) -> dict[str, Any]:
    """One problem as plain data."""
    return {"kind": problem.kind, "index": problem.index, "text": str(problem)}


def snapshot(
    state: StreamState,
    *,
    prices: PriceTable | None = None,
    stopped: bool = False,
    failure: str | None = None,
    seq: int = 0,
) -> dict[str, Any]:
    """The whole state as JSON-ready data.

    ``stopped`` says the user stopped consumption; ``failure`` is the reason the source
    failed (an exception), if it did; ``seq`` is the number of the last delta frame the
    data already includes, so a front end can drop older frames.
    """
    origin = state.started_at
    data: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "seq": seq,
        "revision": state.event_count,
        **message_fields(state, prices=prices, stopped=stopped, failure=failure),
        "blocks": [block_snapshot(b, origin) for b in state.blocks],
        "superseded_blocks": [block_snapshot(b, origin) for b in state.superseded_blocks],
        "tool_calls": [
            {
                "id": call.id,
                "name": call.name,
                "index": call.index,
                "input": call.input,
                "input_error": call.input_error,
            }
            for call in state.tool_calls
        ],
        "signatures": [
            {"index": b.index, "signature": b.signature, "omitted": b.omitted}
            for b in state.blocks
            if isinstance(b, ThinkingBlock)
        ],
        "problems": [problem_snapshot(p) for p in state.problems],
        "event_count": state.event_count,
    }
    return _json_safe(data)  # type: ignore[no-any-return]
