"""The gallery speaks the installed SDK's wire format, and today's recordings show what they teach.

Every event of every recording validates against the SDK's beta event union
(``BetaRawMessageStreamEvent``) with no field the SDK's models do not declare (its models
accept extra fields; a walk of the validated models finds any), so the gallery cannot
drift from the real wire. Then each recording of today's API is drawn (static picture)
and its teaching point is checked in the picture.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest
from anthropic.types import BetaErrorResponse
from anthropic.types.beta import BetaRawMessageStreamEvent
from html_checks import Node, tree
from pydantic import BaseModel, TypeAdapter

from streamscope.core import gallery
from streamscope.core.comparison.runs import compare_runs
from streamscope.core.figures.text import DASH
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render import render_stream_html

ADAPTER = TypeAdapter(BetaRawMessageStreamEvent)
MODELS: dict[str, type[BaseModel]] = {
    get_args(m.model_fields["type"].annotation)[0]: m
    for m in get_args(get_args(BetaRawMessageStreamEvent)[0])
}
"""The stream's events; ``ping`` and ``error`` are not in this union (the SDK reads them
apart): an ``error`` event is the SDK's ``BetaErrorResponse``, a ping carries only its type."""
ALL = sorted(r.name for r in gallery.list_recordings())
TODAY = [
    "code_execution",
    "web_fetch",
    "mcp_call",
    "compaction",
    "fallback",
    "context_editing",
    "tool_search",
    "thinking_estimate",
    "refusal",
    "cache_diagnostics",
]


def unknown_fields(value: Any, path: str = "") -> list[str]:
    """Paths of fields the SDK's models do not declare, anywhere in a validated model."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        for name in value.model_extra or {}:
            found.append(f"{path}.{name}")
        for name in type(value).model_fields:
            found += unknown_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            found += unknown_fields(item, f"{path}[{k}]")
    return found


def test_unknown_fields_are_found() -> None:
    # The check can fail: an invented field is reported where it stands.
    delta = {"type": "text_delta", "text": "x", "tone": "warm"}
    event = {"type": "content_block_delta", "index": 0, "delta": delta}
    assert unknown_fields(ADAPTER.validate_python(event)) == [".delta.tone"]


@pytest.mark.parametrize("name", ALL)
def test_every_recorded_event_is_the_sdks_wire_format(name: str) -> None:
    for number, event in enumerate(gallery.load_events(name)):
        if event["type"] == "ping":
            assert event == {"type": "ping"}
            continue
        if event["type"] == "error":
            model: BaseModel = BetaErrorResponse.model_validate(event)
        else:
            assert event["type"] in MODELS, f"{name} event {number}: not an SDK event type"
            model = MODELS[event["type"]].model_validate(event)  # the error names its fields
            ADAPTER.validate_python(event)
        extra = unknown_fields(model)
        assert not extra, f"{name} event {number} ({event['type']}): unknown fields {extra}"


def _state(name: str) -> StreamState:
    cassette = gallery.load(name)
    state = StreamState(started_at=0.0, request=cassette.meta.get("request"))
    for t, event in cassette.timed_events():
        state.apply(event, at=t)
    state.finish()
    return state


def _page(name: str) -> Node:
    return tree(render_stream_html(_state(name)))


@pytest.mark.parametrize("name", TODAY)
def test_todays_recordings_reduce_without_problems_or_json_boxes(name: str) -> None:
    state = _state(name)
    assert state.problems == []
    page = _page(name)
    assert not page.select("ss-generic"), "a block drawn as a bare JSON box"
    assert all(lane.attrs["data-kind"] != "other" for lane in page.select("ss-lane"))


def test_code_execution_is_a_terminal() -> None:
    lane = _page("code_execution").one("ss-lane", data_type="bash_code_execution_tool_result")
    assert "1270 access.log" in lane.one("ss-stdout").text()
    assert "3 lines without a status field" in lane.one("ss-stderr").text()
    assert lane.one("ss-return-code").text() == "return code 0"
    assert lane.one("ss-file-id").text() == "file_011CNha8iCJcU1wXNR6q4V8w"
    usage = _page("code_execution").one("ss-usage")
    assert "container_011CNha7pQm" in usage.one("ss-container").text()


def test_web_fetch_shows_the_page() -> None:
    lane = _page("web_fetch").one("ss-lane", data_type="web_fetch_tool_result")
    assert lane.one(tag="a").attrs["href"] == "https://docs.example.com/releases/3.2"
    assert "three times with exponential backoff" in lane.one("ss-fetch-text").text()


def test_mcp_call_names_its_server_and_result() -> None:
    page = _page("mcp_call")
    call = page.one("ss-lane", data_type="mcp_tool_use")
    assert call.one("ss-tool-server").text() == "via MCP server tracker"
    assert "#419 Retry storm" in page.one("ss-lane", data_type="mcp_tool_result").text()


def test_compaction_summary_and_iterations() -> None:
    page = _page("compaction")
    lane = page.one("ss-lane", data_type="compaction")
    assert "migrating a Flask service" in lane.one("ss-compaction-text").text()
    rows = page.one("ss-iterations").select(tag="tr")[1:]
    assert [r.attrs["data-iteration"] for r in rows] == ["compaction", "message"]


def test_fallback_marker_header_and_priced_iterations() -> None:
    page = _page("fallback")
    words = "claude-opus-5-5 declined (refusal: cyber) → claude-sonnet-5-5 continued"
    assert page.one("ss-fallback").text() == f"↪ {words}"
    assert page.one("ss-model").text() == "claude-opus-5-5 → claude-sonnet-5-5"
    row = page.one("ss-tl-row", data_kind="fallback")
    assert words in row.text()
    assert "model fallback" in page.one("ss-tl-legend").text()
    costs = [c.text() for c in page.one("ss-iterations").select(data_cost="iteration")]
    assert len(costs) == 2 and all(c.startswith("$") for c in costs)
    # the SDK's accumulator relabels the message with the model that finished
    assert _state("fallback").to_message()["model"] == "claude-sonnet-5-5"


def test_context_editing_in_words() -> None:
    edits = _page("context_editing").one("ss-context-edits").text()
    assert "clear_tool_uses_20250919: cleared 6 tool uses (42,310 input tokens)" in edits
    assert "cleared 2 thinking turns (3,870 input tokens)" in edits


def test_tool_search_lists_the_tools_found() -> None:
    lane = _page("tool_search").one("ss-lane", data_type="tool_search_tool_result")
    found = [item.text() for item in lane.one("ss-found-tools").select(tag="li")]
    assert found == ["get_weather", "get_forecast_hourly"]


def test_thinking_estimate_sums_the_increments() -> None:
    state = _state("thinking_estimate")
    assert state.estimated_thinking_tokens == 2816 == state.usage.thinking_tokens
    lane = _page("thinking_estimate").one("ss-lane", data_type="thinking")
    assert lane.one("ss-thinking-estimate").attrs["data-value"] == "2816"


def test_refusal_and_cache_reason_in_words_and_in_compare() -> None:
    page = _page("refusal")
    assert page.one("ss-stop-details").text().startswith("refused: cyber — The request asks")
    miss = _page("cache_diagnostics").one("ss-cache-miss")
    assert miss.attrs["data-reason"] == "tools_changed"
    assert "the tools changed: 13,984 input tokens missed the cache" in miss.text()
    assert float(miss.one("ss-cache-miss-cost").attrs["data-value"] or "0") > 0
    rows = {
        r.key: r.texts
        for r in compare_runs(
            gallery.path("refusal"), gallery.path("fallback"), gallery.path("cache_diagnostics")
        ).rows
    }
    assert rows["refusals"] == ("cyber", DASH, DASH)
    assert rows["models_answered"] == (DASH, "claude-opus-5-5 → claude-sonnet-5-5", DASH)
    assert rows["cache_misses"] == (DASH, DASH, "tools_changed")


def test_a_megabyte_of_stdout_folds_with_the_whole_text_one_click_away() -> None:
    stdout = "".join(f"line {k:07d}\n" for k in range(80_000))  # ~1 MB
    result = {
        "type": "bash_code_execution_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": {
            "type": "bash_code_execution_result",
            "stdout": stdout,
            "stderr": "",
            "return_code": 0,
            "content": [],
        },
    }
    events = [
        gallery.load_events("refusal")[0],
        {"type": "content_block_start", "index": 0, "content_block": result},
        {"type": "content_block_stop", "index": 0},
    ]
    state = StreamState()
    for event in events:
        state.apply(event)
    page = render_stream_html(state)
    lane = tree(page).one("ss-lane", data_index="0")
    shown = lane.one("ss-stdout")
    assert "data-folded" in shown.attrs and len(shown.text()) < 5000
    assert "first 4,000 of 1,040,000 characters" in lane.one("ss-folded-note").text()
    raw = lane.one("ss-tool-raw").text()  # the block's JSON, cut for the page
    assert stdout.splitlines()[0] in raw and stdout.splitlines()[-1] not in raw
    assert "the whole block is in view.export_html(...), to_message() and export_json()" in raw
    assert state.to_message()["content"][0]["content"]["stdout"] == stdout  # whole
