"""Conformance: StreamState.to_message() agrees with the anthropic SDK's own accumulator.

Every recorded stream in ../shared/fixtures/recorded is reduced by StreamState, from
plain dicts and from SDK event models (beta and non-beta), and compared with the SDK's
beta accumulator fed the same events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from anthropic._models import construct_type
from anthropic.lib.streaming._beta_messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from anthropic.types.beta import BetaRawMessageStreamEvent
from conftest import recorded, recorded_params

from streamscope.core import StreamState, read_events

SDK_EVENT_TYPES = {
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
}


def sdk_message(events: list[dict[str, Any]]) -> dict[str, Any]:
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for event in events:
        if event.get("type") not in SDK_EVENT_TYPES:
            continue  # ping and error are not in the SDK's event unions
        snapshot = accumulate_event(
            event=event,  # type: ignore[arg-type]
            current_snapshot=snapshot,
            json_bufs=json_bufs,
            request_headers=httpx2.Headers(),
        )
    assert snapshot is not None
    return snapshot.to_dict(mode="json")


@pytest.mark.parametrize("path", recorded_params())
def test_to_message_matches_sdk_accumulator(path: Path) -> None:
    events = read_events(path)
    state = StreamState().apply_all(events)
    assert state.to_message() == sdk_message(events)


@pytest.mark.parametrize("path", recorded_params())
@pytest.mark.parametrize("union", [BetaRawMessageStreamEvent, RawMessageStreamEvent])
def test_sdk_models_reduce_like_dicts(path: Path, union: Any) -> None:
    events = [e for e in read_events(path) if e.get("type") in SDK_EVENT_TYPES]
    models = [construct_type(type_=union, value=e) for e in events]
    from_dicts = StreamState().apply_all(events)
    from_models = StreamState().apply_all(models)
    assert from_models.to_message() == from_dicts.to_message()
    assert [str(p) for p in from_models.problems] == [str(p) for p in from_dicts.problems]


@pytest.mark.parametrize("path", recorded_params())
def test_recorded_streams_have_no_problems_but_real_truncation(path: Path) -> None:
    state = StreamState().apply_all(read_events(path))
    kinds = {p.kind for p in state.problems}
    # The SDK's fixtures end without a blank line, so by the SSE rules their last event
    # (message_stop) never dispatches: a truncated stream, correctly flagged.
    kinds.discard("stream_truncated")
    if "incomplete_partial_json" in path.name or "out_of_order" in path.name:
        # Real streams whose last block never got content_block_stop.
        assert kinds == {"block_never_stopped"}
    else:
        assert kinds == set(), state.problems


def test_parallel_tool_calls_in_start_order() -> None:
    state = StreamState().apply_all(read_events(recorded("llm-anthropic/test_tools.0.sse")))
    calls = state.tool_calls
    assert len(calls) == 2
    assert [c.index for c in calls] == sorted(c.index for c in calls)
    assert all(c.id.startswith("toolu_") for c in calls)


def test_thinking_signature_kept_per_block() -> None:
    path = recorded("llm-anthropic/test_stream_events_thinking.0.sse")
    state = StreamState().apply_all(read_events(path))
    thinking = [b for b in state.blocks if b.type == "thinking"]
    assert len(thinking) == 1
    assert thinking[0].signature and thinking[0].thinking  # type: ignore[attr-defined]


def test_cache_usage_from_compaction_stream() -> None:
    path = recorded("pydantic-ai/test_anthropic_compaction_usage_with_cache_streaming.0.sse")
    events = read_events(path)
    state = StreamState()
    for event in events:
        state.apply(event)
        if event["type"] == "message_start":
            # message_start reports the compaction request's cache read ...
            assert state.usage.cache_read_input_tokens == 55096
            assert state.usage.total_input_tokens == 100 + 55096
    # ... and the final, cumulative message_delta overwrites it; the per-iteration
    # breakdown is kept whole.
    usage = state.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens) == (181, 0)
    assert usage.raw["iterations"][0]["cache_read_input_tokens"] == 55096
    assert usage.total_input_tokens == 181


def test_message_delta_counts_overwrite_not_add() -> None:
    # input_tokens grows from message_start to message_delta in this real stream.
    path = recorded("pydantic-ai/test_pause_turn_web_search_streaming_vcr.0.sse")
    events = read_events(path)
    start = next(e for e in events if e["type"] == "message_start")["message"]["usage"]
    delta = [e for e in events if e["type"] == "message_delta"][-1]["usage"]
    state = StreamState().apply_all(events)
    assert state.usage.input_tokens == delta["input_tokens"] != start["input_tokens"]
    assert state.usage.output_tokens == delta["output_tokens"]
