"""Every block, delta and field the installed SDK streams has a picture made for it.

The lists come from the SDK's own annotations (``typing.get_args`` on its unions and its
models' fields), not from a list typed here: an SDK that adds a block type, a delta type, a
usage field or a message field fails this test until the view shows it (or the exception
is listed in :data:`EXCEPTIONS`, with its reason). A JSON box does not count: each sample
is rendered and its lane must have a picture of its own (no ``ss-generic`` box, a kind
other than ``other``). Every sample validates against the SDK's model of its type.
"""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin

import pytest
from anthropic.types.beta import (
    BetaMessage,
    BetaMessageDeltaUsage,
    BetaRawContentBlockDeltaEvent,
    BetaRawContentBlockStartEvent,
    BetaRawMessageDeltaEvent,
    BetaRawMessageStreamEvent,
    BetaThinkingDelta,
    BetaUsage,
)
from html_checks import DOCUMENT_TAGS, Node, assert_inert, hrefs, tree, visible_text
from pydantic import BaseModel, TypeAdapter
from streams import block_delta, block_start, block_stop, message_end, message_start

from streamscope.core.stream.state import StreamState
from streamscope.widgets.render import render_stream_html
from streamscope.widgets.render.server_tools import BLOCK_PICTURES

MODEL = "claude-sonnet-4-5"
DROPPED = {
    "type": "thinking_dropped",
    "path": "messages.1.content.0",
    "reason": "model_binding_mismatch",
}

EXCEPTIONS: dict[str, str] = {
    # message fields
    "message.id": "an identifier: in to_message() and the exports, not a figure",
    "message.type": "always 'message'",
    "message.role": "always 'assistant'",
    "message.content": "the blocks: each has its lane (the block tests below)",
    "message.usage": "the usage table (its fields are tested one by one below)",
    # message_delta fields
    "message_delta.type": "always 'message_delta'",
    "message_delta.delta": "its fields are tested one by one (delta.*)",
    "message_delta.usage": "its fields are tested one by one (usage.*)",
    # thinking_delta fields
    "thinking_delta.type": "the delta's kind",
    "thinking_delta.thinking": "the thinking lane's text",
}
"""Parts of the SDK's surface with no picture of their own, each with why."""


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` -> ``X``; ``Optional[X]`` -> ``X``."""
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    args = get_args(annotation)
    if get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _unwrap(rest[0])
    return annotation


def _members(annotation: Any) -> list[type[BaseModel]]:
    """The models of a (possibly Annotated, possibly Optional) union."""
    inner = _unwrap(annotation)
    if get_origin(inner) in (typing.Union, types.UnionType):
        return [_unwrap(a) for a in get_args(inner) if a is not type(None)]
    return [inner]


def _type_literal(model: type[BaseModel]) -> str:
    (value,) = get_args(model.model_fields["type"].annotation)
    return str(value)


def _field_type(model: type[BaseModel], name: str) -> Any:
    return model.model_fields[name].annotation


BLOCK_TYPES = sorted(
    _type_literal(m) for m in _members(_field_type(BetaRawContentBlockStartEvent, "content_block"))
)
DELTA_TYPES = sorted(
    _type_literal(m) for m in _members(_field_type(BetaRawContentBlockDeltaEvent, "delta"))
)
LANE_CLASSES = {
    "text",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "server_tool_use",
    "mcp_tool_use",
}
"""Block types drawn by a lane class of their own (text, thinking, argument builder)."""


def test_the_sdk_unions_are_read_from_its_annotations() -> None:
    # The lists are the SDK's (not empty, not hand-typed): the fallback block and the
    # compaction delta are in the 2.17 SDK this project is built against.
    assert "fallback" in BLOCK_TYPES and "bash_code_execution_tool_result" in BLOCK_TYPES
    assert "compaction_delta" in DELTA_TYPES and "text_delta" in DELTA_TYPES


@pytest.mark.parametrize("block_type", BLOCK_TYPES)
def test_every_block_type_has_a_picture(block_type: str) -> None:
    assert block_type in LANE_CLASSES | set(BLOCK_PICTURES), (
        f"{block_type} (in the SDK's content_block union) has no picture: add it to "
        "widgets/render/server_tools.BLOCK_PICTURES"
    )


# One sample per block type that arrives whole; each validates against the SDK's model.
BLOCK_SAMPLES: dict[str, dict[str, Any]] = {
    "web_search_tool_result": {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_01",
        "content": [
            {
                "type": "web_search_result",
                "title": "Tides",
                "url": "https://tides.example/today",
                "encrypted_content": "Eo8B",
                "page_age": "2 days ago",
            }
        ],
    },
    "web_fetch_tool_result": {
        "type": "web_fetch_tool_result",
        "tool_use_id": "srvtoolu_02",
        "content": {
            "type": "web_fetch_result",
            "url": "https://docs.example/guide",
            "retrieved_at": "2026-05-01T10:00:00Z",
            "content": {
                "type": "document",
                "title": "The guide",
                "source": {"type": "text", "media_type": "text/plain", "data": "Chapter one."},
            },
        },
    },
    "code_execution_tool_result": {
        "type": "code_execution_tool_result",
        "tool_use_id": "srvtoolu_03",
        "content": {
            "type": "code_execution_result",
            "stdout": "42\n",
            "stderr": "",
            "return_code": 0,
            "content": [],
        },
    },
    "bash_code_execution_tool_result": {
        "type": "bash_code_execution_tool_result",
        "tool_use_id": "srvtoolu_04",
        "content": {
            "type": "bash_code_execution_result",
            "stdout": "1267 lines\n",
            "stderr": "warning: slow disk\n",
            "return_code": 1,
            "content": [{"type": "bash_code_execution_output", "file_id": "file_011"}],
        },
    },
    "text_editor_code_execution_tool_result": {
        "type": "text_editor_code_execution_tool_result",
        "tool_use_id": "srvtoolu_05",
        "content": {
            "type": "text_editor_code_execution_str_replace_result",
            "old_start": 3,
            "old_lines": 1,
            "new_start": 3,
            "new_lines": 1,
            "lines": ["-x = 1", "+x = 2"],
        },
    },
    "tool_search_tool_result": {
        "type": "tool_search_tool_result",
        "tool_use_id": "srvtoolu_06",
        "content": {
            "type": "tool_search_tool_search_result",
            "tool_references": [{"type": "tool_reference", "tool_name": "get_weather"}],
        },
    },
    "advisor_tool_result": {
        "type": "advisor_tool_result",
        "tool_use_id": "srvtoolu_07",
        "content": {"type": "advisor_result", "text": "Check the units.", "stop_reason": None},
    },
    "mcp_tool_result": {
        "type": "mcp_tool_result",
        "tool_use_id": "mcptoolu_01",
        "is_error": False,
        "content": [{"type": "text", "text": "3 open issues"}],
    },
    "mcp_tool_listing": {
        "type": "mcp_tool_listing",
        "mcp_server_name": "tracker",
        "tools": [{"name": "list_issues", "input_schema": {"type": "object"}}],
    },
    "container_upload": {"type": "container_upload", "file_id": "file_012"},
    "compaction": {"type": "compaction", "content": "The user asked...", "encrypted_content": None},
    "fallback": {
        "type": "fallback",
        "from": {"model": "claude-opus-4-7"},
        "to": {"model": "claude-sonnet-4-5"},
        "trigger": {"type": "refusal", "category": "cyber"},
    },
}

_START = TypeAdapter(BetaRawContentBlockStartEvent)


def _lane(events: list[dict[str, Any]], index: int) -> Node:
    state = StreamState()
    for event in events:
        state.apply(event)
    state.finish()
    return tree(render_stream_html(state)).one("ss-lane", data_index=str(index))


@pytest.mark.parametrize("block_type", sorted(BLOCK_PICTURES))
def test_each_picture_is_made_for_its_block(block_type: str) -> None:
    sample = BLOCK_SAMPLES[block_type]
    event = block_start(0, sample)
    _START.validate_python(event)  # the sample is the SDK's shape
    lane = _lane([message_start(model=MODEL), event, block_stop(0), *message_end()], 0)
    assert lane.attrs["data-kind"] != "other"
    assert not lane.select("ss-generic"), f"{block_type} is drawn as a JSON box"
    assert lane.select("ss-tool-rawbox"), "the block's JSON must stay one click away"


def test_every_sdk_block_with_a_picture_has_a_sample() -> None:
    assert set(BLOCK_PICTURES) == set(BLOCK_SAMPLES)
    assert set(BLOCK_PICTURES) >= set(BLOCK_TYPES) - LANE_CLASSES


def test_a_type_the_sdk_does_not_know_keeps_the_json_box() -> None:
    future = {"type": "hologram_result", "payload": {"x": 1}}
    lane = _lane([message_start(), block_start(0, future), block_stop(0), *message_end()], 0)
    assert lane.attrs["data-kind"] == "other"
    assert lane.select("ss-generic")


DELTA_SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "text_delta": ({"type": "text", "text": ""}, {"type": "text_delta", "text": "Hi"}),
    "input_json_delta": (
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        {"type": "input_json_delta", "partial_json": '{"a": 1}'},
    ),
    "citations_delta": (
        {"type": "text", "text": ""},
        {
            "type": "citations_delta",
            "citation": {
                "type": "char_location",
                "cited_text": "x",
                "document_index": 0,
                "document_title": "d",
                "start_char_index": 0,
                "end_char_index": 1,
            },
        },
    ),
    "thinking_delta": (
        {"type": "thinking", "thinking": "", "signature": ""},
        {"type": "thinking_delta", "thinking": "", "estimated_tokens": 128},
    ),
    "signature_delta": (
        {"type": "thinking", "thinking": "", "signature": ""},
        {"type": "signature_delta", "signature": "EqQB"},
    ),
    "compaction_delta": (
        {"type": "compaction", "content": None},
        {"type": "compaction_delta", "content": "Summary so far", "encrypted_content": None},
    ),
}

_EVENT = TypeAdapter(BetaRawMessageStreamEvent)


@pytest.mark.parametrize("delta_type", DELTA_TYPES)
def test_every_delta_type_is_interpreted(delta_type: str) -> None:
    assert delta_type in DELTA_SAMPLES, f"{delta_type} (an SDK delta type) is not handled"
    start, delta = DELTA_SAMPLES[delta_type]
    events = [message_start(model=MODEL), block_start(0, start), block_delta(0, delta)]
    for event in events:
        _EVENT.validate_python(event)
    state = StreamState()
    for event in events:
        state.apply(event)
    assert not state.problems, state.problems
    block = state.block(0)
    assert block is not None and not block.extra_deltas


def test_thinking_estimate_is_summed_and_shown_live() -> None:
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    events: list[dict[str, Any]] = [message_start(model=MODEL), block_start(0, thinking)]
    events += [
        block_delta(0, {"type": "thinking_delta", "thinking": "", "estimated_tokens": 256})
        for _ in range(3)
    ]
    state = StreamState()
    for event in events:
        state.apply(event)
    assert state.estimated_thinking_tokens == 768
    page = tree(render_stream_html(state))
    assert page.one("ss-header").one("ss-thinking-estimate").attrs["data-value"] == "768"
    lane = page.one("ss-lane", data_index="0")
    assert lane.one("ss-thinking-estimate").attrs["data-value"] == "768"
    # A hint, not part of the message: to_message() is the SDK's.
    assert "estimated_tokens" not in str(state.to_message())


# ---------------------------------------------------------------- fields

FIELD_MARKERS: dict[str, str] = {
    "usage.input_tokens": 'data-usage="input_tokens"',
    "usage.output_tokens": 'data-usage="output_tokens"',
    "usage.cache_creation_input_tokens": 'data-usage="cache_creation_input_tokens"',
    "usage.cache_read_input_tokens": 'data-usage="cache_read_input_tokens"',
    "usage.cache_creation": 'data-usage="cache_write_1h_tokens"',
    "usage.output_tokens_details": 'data-usage="thinking_tokens"',
    "usage.server_tool_use": 'data-usage="server_tool_use"',
    "usage.service_tier": 'data-usage="service_tier"',
    "usage.iterations": 'class="ss-iterations"',
    "usage.fallback_credit": 'data-usage="fallback_credit"',
    "usage.inference_geo": 'data-usage="inference_geo"',
    "usage.speed": 'data-usage="speed"',
    "message.model": 'class="ss-model"',
    "message.container": 'data-usage="container"',
    "message.diagnostics": 'class="ss-cache-miss"',
    "message.stop_reason": 'class="ss-stop-reason"',
    "message.stop_sequence": "stop sequence: ",
    "message.stop_details": 'class="ss-stop-details"',
    "message.context_management": 'class="ss-context-edits"',
    "message.input_transformations": 'data-usage="input_transformations"',
    "message_delta.context_management": 'class="ss-context-edits"',
    "message_delta.input_transformations": 'data-usage="input_transformations"',
    "delta.container": 'data-usage="container"',
    "delta.stop_details": 'class="ss-stop-details"',
    "delta.stop_reason": 'class="ss-stop-reason"',
    "delta.stop_sequence": "stop sequence: ",
    "thinking_delta.estimated_tokens": 'class="ss-thinking-estimate"',
}
"""Where each field shows (a marker in the rendered picture)."""


def _sdk_fields() -> list[str]:
    fields = [f"usage.{n}" for n in {*BetaUsage.model_fields, *BetaMessageDeltaUsage.model_fields}]
    fields += [f"message.{n}" for n in BetaMessage.model_fields]
    fields += [f"message_delta.{n}" for n in BetaRawMessageDeltaEvent.model_fields]
    delta = _unwrap(_field_type(BetaRawMessageDeltaEvent, "delta"))
    fields += [f"delta.{n}" for n in delta.model_fields]
    fields += [f"thinking_delta.{n}" for n in BetaThinkingDelta.model_fields]
    return sorted(fields)


SDK_FIELDS = _sdk_fields()


@pytest.mark.parametrize("field", SDK_FIELDS)
def test_every_field_has_a_place(field: str) -> None:
    assert field in FIELD_MARKERS or field in EXCEPTIONS, (
        f"{field} (a field of the SDK's models) is shown nowhere: give it a place in the "
        "view (FIELD_MARKERS) or say why not (EXCEPTIONS)"
    )


def test_exceptions_are_only_what_the_sdk_has() -> None:
    assert set(EXCEPTIONS) <= set(SDK_FIELDS)
    assert not set(EXCEPTIONS) & set(FIELD_MARKERS)


def _everything_stream() -> list[dict[str, Any]]:
    """A stream with every field set (validated against the SDK's event union)."""
    start = message_start(model=MODEL)
    message = start["message"]
    message["diagnostics"] = {
        "cache_miss_reason": {"type": "tools_changed", "cache_missed_input_tokens": 4096}
    }
    message["input_transformations"] = [DROPPED]
    message["usage"].update(
        {
            "inference_geo": "us",
            "speed": "standard",
            "service_tier": "standard",
            "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20},
        }
    )
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    events = [
        start,
        block_start(0, thinking),
        block_delta(0, {"type": "thinking_delta", "thinking": "", "estimated_tokens": 64}),
        block_delta(0, {"type": "signature_delta", "signature": "EqQB"}),
        block_stop(0),
    ]
    end = message_end(stop_reason="stop_sequence")
    delta_event = end[0]
    delta_event["delta"].update(
        {
            "stop_sequence": "###",
            "stop_details": {"type": "refusal", "category": "cyber", "explanation": "Exploit."},
            "container": {"id": "container_1", "expires_at": "2026-05-01T11:00:00Z"},
        }
    )
    delta_event["context_management"] = {
        "applied_edits": [
            {
                "type": "clear_tool_uses_20250919",
                "cleared_tool_uses": 3,
                "cleared_input_tokens": 12000,
            }
        ]
    }
    delta_event["input_transformations"] = [DROPPED]
    delta_event["usage"].update(
        {
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
            "output_tokens_details": {"thinking_tokens": 40},
            "fallback_credit": {"status": {"type": "redeemed"}},
            "iterations": [
                {
                    "type": "message",
                    "model": "claude-opus-4-7",
                    "input_tokens": 100,
                    "output_tokens": 5,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
                {
                    "type": "fallback_message",
                    "model": MODEL,
                    "input_tokens": 100,
                    "output_tokens": 50,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            ],
        }
    )
    return [*events, *end]


def test_every_marker_shows_in_a_stream_that_has_every_field() -> None:
    events = _everything_stream()
    for event in events:
        _EVENT.validate_python(event)
    state = StreamState()
    for event in events:
        state.apply(event)
    page = render_stream_html(state)
    missing = {f: m for f, m in FIELD_MARKERS.items() if m not in page}
    assert not missing, missing
    text = tree(page).one("ss-final")
    assert "refused: cyber — Exploit." in text.one("ss-stop-details").text()
    miss = text.one("ss-cache-miss").text()
    assert "the tools changed: 4,096 input tokens missed the cache" in miss
    assert "clear_tool_uses_20250919: cleared 3 tool uses (12,000 input tokens)" in page
    rows = text.one("ss-iterations").select(tag="tr")
    assert [r.attrs.get("data-iteration") for r in rows[1:]] == ["message", "fallback_message"]


PAYLOAD = '"><img src=x onerror=alert(1)><a href="javascript:alert(2)">x</a>'


def _poison(value: Any, key: str = "") -> Any:
    """Every string of a sample becomes the payload (its ``type`` fields stay, so the
    block is still drawn by its picture); URLs become ``javascript:`` URLs."""
    if isinstance(value, dict):
        return {k: _poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key) for v in value]
    if isinstance(value, str) and key not in ("type", "media_type"):
        return f"javascript:alert(3){PAYLOAD}" if key == "url" else f"{value}{PAYLOAD}"
    return value


def test_hostile_strings_in_every_picture_stay_text() -> None:
    events: list[dict[str, Any]] = [message_start(model=f"m{PAYLOAD}")]
    for index, block_type in enumerate(sorted(BLOCK_SAMPLES)):
        events += [block_start(index, _poison(BLOCK_SAMPLES[block_type])), block_stop(index)]
    events += message_end(stop_details={"type": "refusal", "explanation": PAYLOAD})
    state = StreamState()
    for event in events:
        state.apply(event)
    state.finish()
    out = render_stream_html(state, standalone=True)
    assert_inert(out, DOCUMENT_TAGS)
    assert "javascript:" not in " ".join(hrefs(out))
    assert visible_text(out).count(PAYLOAD) >= len(BLOCK_SAMPLES)


def test_thinking_estimate_from_sdk_models_too() -> None:
    # The reducer's hot path reads SDK event models by attribute: the estimate is summed
    # there as from dicts.
    thinking = {"type": "thinking", "thinking": "", "signature": ""}
    raw = [message_start(model=MODEL), block_start(0, thinking)]
    raw += [block_delta(0, {"type": "thinking_delta", "thinking": "", "estimated_tokens": 64})] * 4
    state = StreamState()
    for event in raw:
        state.apply(_EVENT.validate_python(event))
    assert state.estimated_thinking_tokens == 256
