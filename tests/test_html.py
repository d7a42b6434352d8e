"""Static HTML of a snapshot: DOM contract, figures, timeline, and inert hostile content."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from html_checks import DOCUMENT_TAGS, VIEW_TAGS, Node, assert_inert, tree, visible_text
from streams import (
    HOSTILE,
    HOSTILE_TEXT,
    RICH_CALLS,
    build_state,
    generic_events,
    hostile_stream,
    message_end,
    message_start,
    parallel_tools_stream,
    redacted_thinking_events,
    rich_stream,
    text_events,
    text_stream,
    thinking_events,
    thinking_stream,
    tool_events,
)

from streamscope.core.pricing import PRICES_AS_OF
from streamscope.widgets import snapshot
from streamscope.widgets.html import export_html, json_pointer, render_html, scope_css


def snap(events: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    finish = kwargs.pop("finish", True)
    return snapshot(build_state(events, finish=finish), **kwargs)


def view_of(markup: str) -> Node:
    root = tree(markup)
    return root.one("ss-view")


# ---------------------------------------------------------------- hostile content


@pytest.fixture(scope="module")
def hostile_snapshot() -> dict[str, Any]:
    return snap(hostile_stream())


@pytest.mark.parametrize("standalone", [False, True])
def test_hostile_stream_renders_inert(hostile_snapshot: dict[str, Any], standalone: bool) -> None:
    out = render_html(hostile_snapshot, standalone=standalone)
    assert_inert(out, DOCUMENT_TAGS if standalone else VIEW_TAGS)
    assert "<script" not in out.lower()
    assert "<iframe" not in out.lower()
    assert "<img" not in out.lower()
    first_svg = re.search(r"<svg\b", out)
    assert first_svg is not None
    assert first_svg.start() == out.find('<svg xmlns="http://www.w3.org/2000/svg"')
    assert out.lower().count("<svg") == 1  # the timeline only
    # No attribute anywhere carries javascript: (escaped text may, as visible text).
    # No attribute carries javascript:, except data-*/title attributes that hold escaped
    # model text (a block type, a JSON path, a signature) and are never URLs.
    for name, value in re.findall(r'\s([a-z-]+)="([^"]*)"', out):
        if name.startswith("data-") or name == "title":
            continue
        assert "javascript:" not in html.unescape(value).lower(), (name, value)
    for href in re.findall(r'href="([^"]*)"', out):
        assert html.unescape(href).startswith(("http://", "https://", "mailto:"))


def test_hostile_text_is_visible_as_text(hostile_snapshot: dict[str, Any]) -> None:
    out = render_html(hostile_snapshot)
    text = visible_text(out)
    for payload in HOSTILE:
        assert payload in text
    escaped = html.escape(HOSTILE_TEXT, quote=True)
    view = view_of(out)
    # every model-controlled field, each in its own place
    assert view.one("ss-model").text() == f"model{HOSTILE_TEXT}"
    assert view.one("ss-thinking-text").text() == f"thinking {HOSTILE_TEXT}"
    assert f'title="sig{escaped[:37]}' in out  # the signature, shortened into an attribute
    tool = view.one("ss-lane", data_index="2")
    assert tool.one("ss-tool-name").text() == f"tool{HOSTILE_TEXT}"
    assert tool.one("ss-tool-id").text() == f"toolu_{HOSTILE_TEXT}"
    key_path = json_pointer([f"key{HOSTILE_TEXT}"])
    field = tool.one("ss-field", data_path=key_path)
    assert field.one("ss-key").text() == f"key{HOSTILE_TEXT}"
    assert field.one("ss-val").text() == f"value {HOSTILE_TEXT}"
    assert tool.one("ss-field", data_path="/nested/list/0").text().endswith(HOSTILE_TEXT)
    result = view.one("ss-lane", data_index="5")
    assert HOSTILE_TEXT in json.loads(result.one("ss-generic").text())["content"][0]["title"]
    assert result.select(tag="a") == []  # its javascript: URL is no link
    cites = view.one("ss-citations").select("ss-citation")
    assert [c.one("ss-cited").text() for c in cites] == [
        f"cited {HOSTILE_TEXT}",
        f"cited2 {HOSTILE_TEXT}",
    ]
    assert cites[0].one("ss-link-text").text() == f"title {HOSTILE_TEXT}"
    assert cites[1].one("ss-citation-title").text() == f"doc {HOSTILE_TEXT}"
    assert view.one("ss-error-text").text() == f"type{HOSTILE_TEXT}: error {HOSTILE_TEXT}"
    unknown = view.one("ss-lane", data_index="6")
    assert unknown.attrs["data-type"] == f"future_block{HOSTILE_TEXT}"
    assert unknown.one("ss-lane-type").text() == f"future_block{HOSTILE_TEXT}"
    assert f"field{HOSTILE_TEXT}" in json.loads(unknown.one("ss-generic").text())
    assert view.one("ss-stop-reason").text() == f"stop{HOSTILE_TEXT}"
    assert json.loads(view.one("ss-stop-details").text())["explanation"] == HOSTILE_TEXT
    assert view.one("ss-redacted").attrs["data-size"] == str(len(f"data{HOSTILE_TEXT}"))
    assert view.one("ss-lane", data_index="8").one("ss-tool-error").text()
    assert any(HOSTILE_TEXT in p.text() for p in view.select("ss-problem"))
    # markdown: the heading carries the payload as text, the code span too
    heading = view.one("ss-text").one("ss-md-h")
    assert heading.tag == "h3" and heading.text() == f"head {HOSTILE_TEXT}"
    assert view.one("ss-text").one("ss-code-inline").text() == HOSTILE_TEXT
    assert escaped in out


def test_hostile_payload_in_every_field_never_becomes_markup() -> None:
    payload = '"><img src=x onerror=alert(1)><a href="javascript:alert(2)">x</a>'
    out = render_html(snap(hostile_stream(payload)), standalone=True)
    assert_inert(out, DOCUMENT_TAGS)
    assert visible_text(out).count(payload) >= 10


# ---------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def rich() -> dict[str, Any]:
    return snap(rich_stream())


def test_fragment_is_one_scoped_view(rich: dict[str, Any]) -> None:
    out = render_html(rich)
    assert out.startswith('<div class="ss-view ss-static" data-status="done"><style>')
    root = tree(out)
    assert [n.tag for n in root.children] == ["div"]
    view = root.children[0]
    assert view.children[0].tag == "style"
    css = re.search(r"<style>(.*?)</style>", out, re.S)
    assert css is not None
    for prelude in re.findall(r"([^{}]+)\{", css.group(1)):
        prelude = prelude.strip()
        if prelude.startswith("@") or re.fullmatch(
            r"(from|to|\d+%)(\s*,\s*(from|to|\d+%))*", prelude
        ):
            continue
        for selector in prelude.split(","):
            assert selector.strip().startswith(".ss-view"), selector
    assert "<!doctype" not in out.lower()


def test_standalone_document(rich: dict[str, Any]) -> None:
    out = render_html(rich, standalone=True, title="A <title>")
    assert out.startswith("<!doctype html>\n<html")
    assert "<title>A &lt;title&gt;</title>" in out
    assert "Content-Security-Policy" in out and "default-src &#x27;none&#x27;" in out
    assert "<script" not in out.lower()
    view = view_of(out)
    assert view.one("ss-title").text() == "A <title>"
    assert_inert(out, DOCUMENT_TAGS)


def test_theme_view_and_static_css_are_inlined(rich: dict[str, Any]) -> None:
    out = render_html(rich, standalone=True)
    assert "--ss-fg:" in out and "--ss-tool-color:" in out  # theme.css
    assert ".ss-view .ss-tool-row" in out  # view.css
    assert ".ss-view .ss-branch > summary" in out  # static.css


def test_both_live_views_get_the_shared_theme() -> None:
    from streamscope.widgets import ConversationView, StreamView

    for css in (str(StreamView._css), str(ConversationView()._header._css)):
        assert "--ss-fg:" in css and "--ss-tool-color:" in css


def test_lanes_in_index_order_with_the_contract_attributes(rich: dict[str, Any]) -> None:
    view = view_of(render_html(rich))
    lanes = view.select("ss-lane", tag="section")
    assert [lane.attrs["data-index"] for lane in lanes] == ["0", "1", "2", "3", "4"]
    assert [lane.attrs["data-kind"] for lane in lanes] == [
        "thinking",
        "text",
        "tool",
        "tool",
        "tool",
    ]
    assert {lane.attrs["data-complete"] for lane in lanes} == {"true"}
    assert view.one("ss-status").attrs["data-status"] == "done"
    assert view.one("ss-model").text() == "claude-sonnet-4-5"


def test_parallel_tool_calls_share_one_row(rich: dict[str, Any]) -> None:
    view = view_of(render_html(rich))
    row = view.one("ss-tool-row")
    assert row.attrs["data-count"] == "3"
    tools = [c for c in row.children if "ss-lane" in c.classes]
    assert [t.one("ss-tool-name").text() for t in tools] == [name for name, _ in RICH_CALLS]
    for lane in view.select("ss-lane"):
        in_row = row in lane.ancestors()
        assert in_row == (lane.attrs["data-kind"] == "tool")


def test_tool_rows_split_around_other_lanes() -> None:
    events = [
        message_start(),
        *tool_events(0, "a", {"x": 1}),
        *tool_events(1, "b", {"x": 2}),
        *text_events(2, "between"),
        *tool_events(3, "c", {"x": 3}),
        *message_end("tool_use"),
    ]
    rows = view_of(render_html(snap(events))).select("ss-tool-row")
    assert [r.attrs["data-count"] for r in rows] == ["2", "1"]


def test_tool_lane_shows_name_id_raw_json_and_tree(rich: dict[str, Any]) -> None:
    lane = view_of(render_html(rich)).one("ss-lane", data_index="4")
    assert lane.one("ss-tool-name").text() == "book_hotel"
    assert lane.one("ss-tool-id").text() == "toolu_04_book_hotel"
    assert json.loads(lane.one("ss-tool-raw").text()) == dict(RICH_CALLS)["book_hotel"]
    tree_el = lane.one("ss-tool-tree")
    paths = {f.attrs["data-path"]: f for f in tree_el.select("ss-field")}
    assert set(paths) == {
        "/city",
        "/nights",
        "/guests",
        "/guests/adults",
        "/guests/children",
        "/tags",
        "/tags/0",
    }
    assert {f.attrs["data-state"] for f in paths.values()} == {"complete"}
    assert paths["/guests"].one("ss-count").text() == "{2}"
    assert "open" in paths["/guests"].one(tag="details").attrs
    assert paths["/tags/0"].one("ss-val").text() == "quiet"
    assert "ss-val-number" in paths["/nights"].one("ss-val").classes


def test_streaming_tool_fields_are_marked() -> None:
    events = [
        message_start(),
        *tool_events(0, "write", {"path": "a.txt", "body": {"text": "hello world, this is long"}}),
    ]
    # Cut inside the "text" string: the block is open, the path still streaming.
    cut = next(
        i
        for i, e in enumerate(events)
        if e.get("delta", {}).get("partial_json", "").find("this") >= 0
    )
    state = build_state(events[: cut + 1], finish=False)
    lane = view_of(render_html(snapshot(state))).one("ss-lane", data_index="0")
    assert lane.attrs["data-complete"] == "false"
    states = {f.attrs["data-path"]: f.attrs["data-state"] for f in lane.select("ss-field")}
    assert states == {"/path": "complete", "/body": "streaming", "/body/text": "streaming"}
    assert lane.one("ss-field", data_path="/body/text").one("ss-val").text().startswith("hello")


def test_invalid_tool_json_shows_the_error() -> None:
    events = [message_start(), *tool_events(0, "bad", '{"a": tru'), *message_end("tool_use")]
    lane = view_of(render_html(snap(events))).one("ss-lane", data_index="0")
    assert lane.one("ss-tool-error").text()
    assert lane.one("ss-tool-raw").text() == '{"a": tru'


def test_server_tool_lane_names_its_server() -> None:
    events = [
        message_start(),
        *tool_events(0, "search", {"q": "x"}, block_type="mcp_tool_use"),
        *message_end(),
    ]
    events[1]["content_block"]["server_name"] = "docs-server"
    lane = view_of(render_html(snap(events))).one("ss-lane", data_index="0")
    assert lane.attrs["data-type"] == "mcp_tool_use"
    assert lane.one("ss-tool-server").text() == "via docs-server"


def test_thinking_lane_and_signature_badge() -> None:
    view = view_of(render_html(snap(thinking_stream("short reasoning", signature="S" * 300))))
    lane = view.one("ss-lane", data_kind="thinking")
    details = lane.one("ss-thinking")
    assert details.tag == "details" and "open" in details.attrs
    assert lane.one("ss-thinking-text").text() == "short reasoning"
    badge = lane.one("ss-signature")
    assert badge.attrs["data-present"] == "true"
    assert "300 chars" in badge.text()
    assert view.one("ss-signature-item").attrs["data-index"] == "0"


def test_long_complete_thinking_starts_collapsed() -> None:
    lane = view_of(render_html(snap(thinking_stream("x" * 5000)))).one("ss-lane", data_index="0")
    assert "open" not in lane.one("ss-thinking").attrs


def test_long_open_thinking_stays_expanded() -> None:
    events = [message_start(), *thinking_events(0, "x" * 5000, signature="")[:-1]]
    lane = view_of(render_html(snap(events, finish=False))).one("ss-lane", data_index="0")
    assert "open" in lane.one("ss-thinking").attrs
    assert lane.one("ss-signature").text() == "signature pending"


def test_omitted_thinking_explains_how_to_get_summaries() -> None:
    events = [message_start(), *thinking_events(0, "", signature="EqSIG"), *text_events(1, "hi")]
    lane = view_of(render_html(snap([*events, *message_end()]))).one("ss-lane", data_index="0")
    assert lane.select("ss-thinking") == []
    note = lane.one("ss-omitted").text()
    assert '"display": "summarized"' in note
    assert lane.one("ss-signature").attrs["data-present"] == "true"


def test_redacted_thinking_shows_its_size() -> None:
    events = [message_start(), *redacted_thinking_events(0, "A" * 2048), *message_end()]
    lane = view_of(render_html(snap(events))).one("ss-lane", data_index="0")
    assert lane.attrs["data-kind"] == "redacted_thinking"
    assert lane.one("ss-redacted").attrs["data-size"] == "2048"
    assert "2.0 KB" in lane.one("ss-redacted").text()


def test_text_lane_markdown_and_citations() -> None:
    events = [
        message_start(),
        *text_events(0, "# Title\n\nSee **this** [site](https://example.com).", stop=False),
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {
                "type": "citations_delta",
                "citation": {
                    "type": "web_search_result_location",
                    "url": "https://example.com/page",
                    "title": "Example",
                    "cited_text": "a quote",
                },
            },
        },
        {"type": "content_block_stop", "index": 0},
        *message_end(),
    ]
    lane = view_of(render_html(snap(events))).one("ss-lane", data_index="0")
    text = lane.one("ss-text")
    assert text.one(tag="h3").text() == "Title"
    assert text.one(tag="strong").text() == "this"
    assert text.one(tag="a").attrs["href"] == "https://example.com"
    cite = lane.one("ss-citation")
    assert cite.one(tag="a").attrs["href"] == "https://example.com/page"
    assert cite.one(tag="a").attrs["rel"] == "noopener noreferrer nofollow"
    assert cite.one("ss-cited").text() == "a quote"


def test_generic_block_is_pretty_json_with_safe_links() -> None:
    result = {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": [
            {"type": "web_search_result", "title": "Good", "url": "https://good.example"},
            {"type": "web_search_result", "title": "Bad", "url": "javascript:alert(1)"},
        ],
    }
    events = [message_start(), *generic_events(0, result), *message_end()]
    lane = view_of(render_html(snap(events))).one("ss-lane", data_index="0")
    assert lane.attrs["data-kind"] == "other"
    assert json.loads(lane.one("ss-generic").text()) == result
    assert lane.one("ss-generic-summary").text() == "for srvtoolu_1 · 2 items"
    assert [a.attrs["href"] for a in lane.select(tag="a")] == ["https://good.example"]
    assert lane.one("ss-link-text").text() == "Bad"


# ---------------------------------------------------------------- final panel


def test_usage_figures(rich: dict[str, Any]) -> None:
    view = view_of(render_html(rich))
    usage = {td.attrs["data-usage"]: td for td in view.one("ss-usage").select(tag="td")}
    assert set(usage) == {
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_write_5m_tokens",
        "cache_write_1h_tokens",
        "cache_read_input_tokens",
        "total_input_tokens",
        "output_tokens",
        "thinking_tokens",
        "cache_hit_rate",
    }
    assert usage["input_tokens"].text() == "312"
    assert usage["cache_creation_input_tokens"].text() == "1,024"
    assert usage["cache_read_input_tokens"].text() == "2,048"
    assert usage["cache_read_input_tokens"].attrs["data-value"] == "2048"
    assert usage["total_input_tokens"].text() == "3,384"
    assert usage["output_tokens"].text() == "187"
    assert usage["cache_hit_rate"].text() == "60.5%"
    assert usage["thinking_tokens"].text() == "–"


def test_cost_with_as_of_date(rich: dict[str, Any]) -> None:
    cost = view_of(render_html(rich)).one("ss-cost")
    assert rich["cost"] is not None
    assert cost.one("ss-cost-total").text() == f"${rich['cost']['total_usd']:.6f}"
    assert f"prices as of {PRICES_AS_OF}" in cost.text()
    assert "cache read $" in cost.one("ss-cost-parts").text()
    assert "without caching" in cost.text()


def test_unknown_model_has_no_price() -> None:
    cost = view_of(render_html(snap(text_stream("hi", model="mystery-model")))).one("ss-cost")
    assert "no price known for mystery-model" in cost.text()


def test_calls_signatures_timing_and_stop(rich: dict[str, Any]) -> None:
    view = view_of(render_html(rich))
    calls = view.one("ss-final-calls").select("ss-call")
    assert [c.one("ss-call-name").text() for c in calls] == [n for n, _ in RICH_CALLS]
    assert [json.loads(c.one("ss-call-args").text()) for c in calls] == [i for _, i in RICH_CALLS]
    timing = {dd.attrs["data-timing"]: dd.text() for dd in view.one("ss-timing").select(tag="dd")}
    events = len(rich_stream())  # build_state: event i arrives at (i + 1) * 0.05 s
    assert timing["duration"] == f"{events * 0.05:.2f} s"  # from started_at=0
    assert timing["event_count"] == str(events)
    assert view.one("ss-stop-reason").text() == "tool_use"
    assert view.select("ss-problems") == [] and view.select("ss-error") == []


def test_problems_and_failure_are_listed() -> None:
    events = text_stream("cut short")[:-2]  # no message_delta / message_stop
    data = snap(events, failure="ConnectionError: reset")
    view = view_of(render_html(data))
    assert view.attrs["data-status"] == "failed"
    assert view.one("ss-error").one("ss-final-title").text() == "Stream failed"
    assert view.one("ss-error-text").text() == "ConnectionError: reset"
    kinds = [p.attrs["data-kind"] for p in view.one("ss-problems").select("ss-problem")]
    assert "stream_truncated" in kinds


# ---------------------------------------------------------------- timeline


def test_timeline_has_one_row_per_block(rich: dict[str, Any]) -> None:
    view = view_of(render_html(rich))
    svg = view.one("ss-timeline").one(tag="svg")
    rows = svg.select("ss-timeline-row")
    assert [r.attrs["data-index"] for r in rows] == ["0", "1", "2", "3", "4"]
    blocks = {str(b["index"]): b for b in rich["blocks"]}
    xs = []
    for row in rows:
        block = blocks[row.attrs["data-index"] or ""]
        rect = row.one(tag="rect")
        assert float(rect.attrs["data-start"] or "nan") == block["started_at"]
        assert float(rect.attrs["data-end"] or "nan") == block["stopped_at"]
        assert f"ss-tl-{block['kind']}" in row.classes
        xs.append(float(rect.attrs["x"] or "nan"))
    assert xs == sorted(xs) and len(set(xs)) == 5  # blocks started one after another
    ticks = [t.text() for t in svg.select("ss-tl-tick")]
    assert ticks[0] == "0 s" and ticks[-1] == "4 s" and len(ticks) == 5
    legend = [g.attrs["data-kind"] for g in svg.select("ss-tl-legend-item")]
    assert legend == ["text", "thinking", "tool"]


def test_timeline_bar_lengths_follow_the_times() -> None:
    data = snap(parallel_tools_stream([("a", {"x": "y" * 40}), ("b", {"x": 1})], chunk=4))
    rows = view_of(render_html(data)).one("ss-timeline").select("ss-timeline-row")
    widths = [float(r.one(tag="rect").attrs["width"] or "nan") for r in rows]
    assert widths[0] > 3 * widths[1]


# ---------------------------------------------------------------- robustness and export


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "<b>", "blocks": "nope", "usage": None, "cost": 3, "timing": []},
        {"blocks": [{"index": "x", "kind": "<i>", "type": None}, 5, None]},
        {"blocks": [{"index": 0, "kind": "tool", "input": {"a": float("nan")}, "complete": 1}]},
    ],
)
def test_odd_snapshots_render(data: dict[str, Any]) -> None:
    out = render_html(data, standalone=True)
    assert_inert(out, DOCUMENT_TAGS)
    assert view_of(out).attrs["data-status"] in {"waiting", "streaming", "done", "failed"}


def test_deep_arguments_do_not_recurse_forever() -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"k": deep}
    events = [message_start(), *tool_events(0, "deep", deep, chunk=400), *message_end()]
    out = render_html(snap(events))
    assert_inert(out, VIEW_TAGS)
    assert "leaf" in visible_text(out)


def test_export_html_writes_the_standalone_document(rich: dict[str, Any], tmp_path: Path) -> None:
    path = export_html(rich, tmp_path / "stream.html", title="Export")
    assert path == tmp_path / "stream.html"
    assert path.read_text(encoding="utf-8") == render_html(rich, standalone=True, title="Export")


def test_scope_css() -> None:
    css = """
    /* comment { } */
    :root { --a: 1; }
    .ss-view { color: red; }
    .ss-view .x, .y > .z { margin: 0; }
    .ss-viewer { top: 0; }
    @media (max-width: 600px) { .a { left: 0; } }
    @keyframes pulse { 50% { opacity: 0.3; } }
    """
    out = scope_css(css)
    assert ".ss-view {--a: 1;}" in out
    assert ".ss-view {color: red;}" in out
    assert ".ss-view .x, .ss-view .y > .z {margin: 0;}" in out
    assert ".ss-view .ss-viewer {top: 0;}" in out
    assert "@media (max-width: 600px) {\n.ss-view .a {left: 0;}\n}" in out
    assert "@keyframes pulse { 50% { opacity: 0.3; } }" in out
    assert "comment" not in out


def test_json_pointer() -> None:
    assert json_pointer([]) == ""
    assert json_pointer(["a", 0, "b/c", "d~e"]) == "/a/0/b~1c/d~0e"


def test_large_arguments_keep_the_picture_near_the_content_size() -> None:
    rows = [{"id": i, "name": f"row {i}", "score": i / 7, "tags": ["a", "b"]} for i in range(2500)]
    body = "line <b>&amp; 'quoted'\n" * 4000
    events = parallel_tools_stream([("insert", {"rows": rows}), ("write", {"content": body})])
    state = build_state(events)
    raw = [b.input_json for b in state.blocks if b.kind == "tool"]  # type: ignore[attr-defined]
    page = render_html(snapshot(state))
    content = sum(len(r) for r in raw)
    assert len(page) < 2.5 * content
    for text in raw:  # every byte the stream carried is still on the page
        assert html.escape(text, quote=False) in page or html.escape(text) in page
    assert page.count("too large for a tree") == 2
