"""The picture of a stream (widgets/render): structure, figures, timeline, reading without
styles, hostile content, and the work a frame costs."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from html_checks import DOCUMENT_TAGS, VIEW_TAGS, Node, assert_inert, tree, visible_text
from streams import (
    HOSTILE,
    HOSTILE_TEXT,
    RICH_CALLS,
    build_state,
    error_event,
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

from streamscope.core.figures.faults import error_event_words
from streamscope.core.io import gallery
from streamscope.core.io.cassette import read_events
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render import RegionStore, StreamPicture, render_stream_html
from streamscope.widgets.render.arguments import json_pointer
from streamscope.widgets.render.page import _selectors, scope_css

Event = dict[str, Any]


def picture(events: list[Event], *, finish: bool = True, **kwargs: Any) -> str:
    return render_stream_html(build_state(events, finish=finish), **kwargs)


def view_of(markup: str) -> Node:
    return tree(markup).one("ss-view")


_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "br",
    }
)  # fmt: skip


class _Unstyled(HTMLParser):
    """Text as a browser lays out HTML without any CSS: blocks on their own lines, table
    cells apart, everything in <style> dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "style":
            self.skip += 1
        elif tag in _BLOCKS:
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.skip -= 1
        elif tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def unstyled(markup: str) -> str:
    """What a page that strips styles shows: one line per block, spaces collapsed."""
    parser = _Unstyled()
    parser.feed(markup)
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.out).split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- hostile content


@pytest.fixture(scope="module")
def hostile() -> str:
    return picture(hostile_stream())


@pytest.mark.parametrize("standalone", [False, True])
def test_hostile_stream_renders_inert(standalone: bool) -> None:
    out = picture(hostile_stream(), standalone=standalone)
    assert_inert(out, DOCUMENT_TAGS if standalone else VIEW_TAGS)
    for bad in ("<script", "<iframe", "<img"):
        assert bad not in out.lower()
    rows = out.count('class="ss-tl-row"')
    assert out.lower().count("<svg") == rows  # the timeline's tracks only
    for href in re.findall(r'href="([^"]*)"', out):
        assert html.unescape(href).startswith(("http://", "https://", "mailto:", "#")), href


def test_hostile_text_is_visible_as_text(hostile: str) -> None:
    text = visible_text(hostile)
    for payload in HOSTILE:
        assert payload in text
    view = view_of(hostile)
    # the header names both models of the hostile fallback block
    assert view.one("ss-model").text() == f"model{HOSTILE_TEXT} → to{HOSTILE_TEXT}"
    thinking = view.one("ss-lane", data_index="0").one("ss-thinking-text").text()
    assert f"thinking {HOSTILE_TEXT}" in thinking
    tool = view.one("ss-lane", data_index="2")
    assert tool.one("ss-lane-name").text() == f"tool{HOSTILE_TEXT}"
    assert tool.one("ss-tool-id").text() == f"toolu_{HOSTILE_TEXT}"
    field = tool.one(tag="li", data_path=json_pointer((f"key{HOSTILE_TEXT}",)))
    assert field.one(tag="b").text() == f"key{HOSTILE_TEXT}"
    assert field.one("ss-s").text() == f'"value {HOSTILE_TEXT}"'
    result = view.one("ss-lane", data_index="5")
    assert HOSTILE_TEXT in json.loads(result.one("ss-tool-raw").text())["content"][0]["title"]
    assert f"result {HOSTILE_TEXT}" in result.one("ss-generic-links").text()
    assert result.select(tag="a") == []  # its javascript: URL is no link
    cites = view.one("ss-citations").select("ss-citation")
    assert [c.one("ss-cited").text() for c in cites] == [
        f"cited {HOSTILE_TEXT}",
        f"cited2 {HOSTILE_TEXT}",
    ]
    assert view.one("ss-error-text").text() == f"type{HOSTILE_TEXT}: error {HOSTILE_TEXT}"
    unknown = view.one("ss-lane", data_index="6")
    assert unknown.attrs["data-type"] == f"future_block{HOSTILE_TEXT}"
    assert view.one("ss-stop-reason").text() == f"stop{HOSTILE_TEXT}"
    heading = view.one("ss-lane", data_index="1").one(tag="h3")
    assert heading.text() == f"head {HOSTILE_TEXT}"


def test_hostile_payload_in_every_field_never_becomes_markup() -> None:
    payload = '"><img src=x onerror=alert(1)><a href="javascript:alert(2)">x</a>'
    out = picture(hostile_stream(payload), standalone=True)
    assert_inert(out, DOCUMENT_TAGS)
    assert visible_text(out).count(payload) >= 10


# ---------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def rich() -> str:
    return picture(rich_stream())


def test_fragment_is_one_scoped_view(rich: str) -> None:
    assert rich.startswith('<div class="ss-static tex2jax_ignore mathjax_ignore"><style>')
    root = tree(rich)
    assert len(root.select("ss-view")) == 1
    css = rich[rich.index("<style>") + 7 : rich.index("</style>")]
    # (split at top-level commas only: those inside :is(a, b) belong to one selector)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in _selectors(block)]
    assert all(
        s.startswith(".ss-static") or s.startswith("@") or "%" in s or s in ("from", "to")
        for s in selectors
    ), [s for s in selectors if not s.startswith(".ss-static")][:5]


def test_standalone_document(rich: str) -> None:
    out = picture(rich_stream(), standalone=True)
    assert out.startswith("<!doctype html>")
    assert "Content-Security-Policy" in out and "default-src 'none'" in html.unescape(out)
    assert "<script" not in out


def test_lanes_in_index_order(rich: str) -> None:
    view = view_of(rich)
    lanes = view.select("ss-lane", tag="section")
    assert [lane.attrs["data-index"] for lane in lanes] == ["0", "1", "2", "3", "4"]
    assert [lane.attrs["data-kind"] for lane in lanes] == [
        "thinking",
        "text",
        "tool",
        "tool",
        "tool",
    ]
    assert {lane.attrs["data-status"] for lane in lanes} == {"done"}
    assert view.one("ss-status").attrs["data-status"] == "done"
    assert view.one("ss-model").text() == "claude-sonnet-4-5"


def test_parallel_tool_calls_share_one_row(rich: str) -> None:
    view = view_of(rich)
    row = view.one("ss-tool-row")
    assert row.attrs["data-count"] == "3"
    names = [lane.one("ss-lane-name").text() for lane in row.select("ss-lane")]
    assert names == [name for name, _ in RICH_CALLS]
    for lane in view.select("ss-lane"):
        assert (row in lane.ancestors()) == (lane.attrs["data-kind"] == "tool")


def test_tool_rows_split_around_other_lanes() -> None:
    events = [
        message_start(),
        *tool_events(0, "a", {"x": 1}),
        *tool_events(1, "b", {"x": 2}),
        *text_events(2, "between"),
        *tool_events(3, "c", {"x": 3}),
        *message_end("tool_use"),
    ]
    rows = view_of(picture(events)).select("ss-tool-row")
    assert [r.attrs["data-count"] for r in rows] == ["2", "1"]


def test_tool_lane_shows_id_fields_and_raw_json(rich: str) -> None:
    lane = view_of(rich).one("ss-lane", data_index="4")
    assert lane.one("ss-lane-name").text() == "book_hotel"
    assert lane.one("ss-tool-id").text() == "toolu_04_book_hotel"
    assert json.loads(lane.one("ss-tool-raw").text()) == dict(RICH_CALLS)["book_hotel"]
    args = lane.one("ss-args")
    top = {f.attrs["data-path"]: f for f in args.children}  # top-level fields say their path
    assert set(top) == {"/city", "/nights", "/guests", "/tags"}
    assert not [f for f in args.select(tag="li") if "data-state" in f.attrs]
    assert [b.text() for b in top["/guests"].select(tag="b")] == ["guests", "adults", "children"]
    tags = top["/tags"].one(tag="ol")
    assert tags.attrs["start"] == "0" and tags.one("ss-s").text() == '"quiet"'
    assert top["/nights"].one("ss-n").text() == "2"


def test_streaming_tool_fields_are_marked() -> None:
    events = [
        message_start(),
        *tool_events(0, "write", {"path": "a.txt", "body": {"text": "hello world, this is long"}}),
    ]
    cut = next(
        i for i, e in enumerate(events) if "this" in e.get("delta", {}).get("partial_json", "")
    )
    lane = view_of(picture(events[: cut + 1], finish=False)).one("ss-lane", data_index="0")
    assert lane.attrs["data-status"] == "streaming"
    marked = {f.attrs["data-path"]: f.attrs.get("data-state") for f in lane.select(tag="li")}
    assert marked == {"/path": None, "/body": "streaming", "/body/text": "streaming"}
    assert lane.one(tag="li", data_path="/body/text").one("ss-s").text().startswith('"hello')


def test_multiline_strings_read_as_lines() -> None:
    body = "Hi all,\n\nThe build failed.\n\nBest"
    events = [message_start(), *tool_events(0, "send_email", {"body": body}), *message_end()]
    value = view_of(picture(events)).one(tag="li", data_path="/body").one("ss-t")
    assert value.tag == "pre" and value.text() == body


def test_invalid_tool_json_shows_the_error_and_opens_the_raw_json() -> None:
    events = [message_start(), *tool_events(0, "bad", '{"a": tru'), *message_end("tool_use")]
    lane = view_of(picture(events)).one("ss-lane", data_index="0")
    assert lane.one("ss-tool-error").text()
    assert lane.one("ss-tool-raw").text() == '{"a": tru'
    assert "open" in lane.one("ss-tool-rawbox").attrs


def test_a_tool_call_cut_by_the_end_of_the_stream_is_cut_off() -> None:
    events = [message_start(), *tool_events(0, "write", {"content": "x" * 200})][:-1]
    view = view_of(picture(events[:-3]))
    lane = view.one("ss-lane", data_index="0")
    assert lane.attrs["data-status"] == "cut off"
    assert lane.one("ss-lane-status").text() == "cut off"
    assert view.one("ss-status").text() == "cut off"


def test_server_tool_lane_names_its_server() -> None:
    events = [
        message_start(),
        *tool_events(0, "search", {"q": "x"}, block_type="mcp_tool_use"),
        *message_end(),
    ]
    events[1]["content_block"]["server_name"] = "docs-server"
    lane = view_of(picture(events)).one("ss-lane", data_index="0")
    assert lane.attrs["data-type"] == "mcp_tool_use"
    assert lane.one("ss-tool-server").text() == "via MCP server docs-server"


def test_thinking_lane_and_signature_badge() -> None:
    view = view_of(picture(thinking_stream("short reasoning", signature="S" * 300)))
    lane = view.one("ss-lane", data_kind="thinking")
    details = lane.one("ss-thinking")
    assert details.tag == "details" and "open" in details.attrs
    assert lane.one("ss-thinking-text").text() == "short reasoning"
    badge = lane.one("ss-signature")
    assert badge.attrs["data-present"] == "true"
    assert "300 characters" in badge.text()
    assert view.one("ss-signature-item").attrs["data-index"] == "0"


def test_long_complete_thinking_starts_collapsed() -> None:
    lane = view_of(picture(thinking_stream("x" * 5000))).one("ss-lane", data_index="0")
    assert "open" not in lane.one("ss-thinking").attrs


def test_long_open_thinking_stays_expanded() -> None:
    events = [message_start(), *thinking_events(0, "x" * 5000, signature="")[:-1]]
    lane = view_of(picture(events, finish=False)).one("ss-lane", data_index="0")
    assert "open" in lane.one("ss-thinking").attrs
    assert lane.one("ss-signature").text() == "signature pending"


def test_omitted_thinking_explains_how_to_get_summaries() -> None:
    events = [message_start(), *thinking_events(0, "", signature="EqSIG"), *text_events(1, "hi")]
    lane = view_of(picture([*events, *message_end()])).one("ss-lane", data_index="0")
    assert lane.select("ss-thinking") == []
    assert '"display": "summarized"' in lane.one("ss-omitted").text()


def test_redacted_thinking_shows_its_size() -> None:
    events = [message_start(), *redacted_thinking_events(0, "A" * 2048), *message_end()]
    lane = view_of(picture(events)).one("ss-lane", data_index="0")
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
    lane = view_of(picture(events)).one("ss-lane", data_index="0")
    text = lane.one("ss-text")
    assert text.one(tag="h3").text() == "Title"
    assert text.one(tag="strong").text() == "this"
    assert text.one(tag="a").attrs["href"] == "https://example.com"
    cite = lane.one("ss-citation")
    assert cite.one(tag="a").attrs["href"] == "https://example.com/page"
    assert cite.one(tag="a").attrs["rel"] == "noopener noreferrer nofollow"
    assert cite.one("ss-cited").text() == "a quote"


def test_search_result_is_links_with_its_json_one_click_away() -> None:
    result = {
        "type": "web_search_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": [
            {"type": "web_search_result", "title": "Good", "url": "https://good.example"},
            {"type": "web_search_result", "title": "Bad", "url": "javascript:alert(1)"},
        ],
    }
    events = [message_start(), *generic_events(0, result), *message_end()]
    lane = view_of(picture(events)).one("ss-lane", data_index="0")
    assert lane.attrs["data-kind"] == "server"
    assert json.loads(lane.one("ss-tool-raw").text()) == result
    assert lane.one("ss-result-head").text() == "2 results · for srvtoolu_1"
    assert [a.attrs["href"] for a in lane.select(tag="a")] == ["https://good.example"]


# ---------------------------------------------------------------- final panel


def test_usage_figures(rich: str) -> None:
    usage = {td.attrs["data-usage"]: td for td in view_of(rich).one("ss-usage").select(tag="td")}
    assert usage["input_tokens"].text() == "312"
    assert usage["cache_creation_input_tokens"].text() == "1,024"
    assert usage["cache_read_input_tokens"].text() == "2,048"
    assert usage["cache_read_input_tokens"].attrs["data-value"] == "2048"
    assert usage["total_input_tokens"].text() == "3,384"
    assert usage["output_tokens"].text() == "187"
    assert usage["cache_hit_rate"].text() == "60.5%"
    assert usage["thinking_tokens"].text() == "–"


def test_cost_names_where_its_prices_came_from(rich: str) -> None:
    cost = view_of(rich).one("ss-cost")
    assert cost.one("ss-cost-total").text().startswith("$0.0")
    assert "genai-prices" in cost.one("ss-cost-source").text()
    assert "cache read $" in cost.one("ss-cost-parts").text()
    assert "without caching" in cost.text()


def test_unknown_model_has_no_price() -> None:
    cost = view_of(picture(text_stream("hi", model="mystery-model"))).one("ss-cost")
    assert "no price known for mystery-model" in cost.text()


def test_calls_are_one_line_each_linked_to_their_lanes(rich: str) -> None:
    view = view_of(rich)
    calls = view.one("ss-final-calls").select("ss-call")
    assert [c.one("ss-call-name").text() for c in calls] == [n for n, _ in RICH_CALLS]
    for call in calls:
        lane = view.one("ss-lane", data_index=call.attrs["data-index"] or "")
        assert call.one("ss-call-name").attrs["href"] == f"#{lane.attrs['id']}"
    assert json.loads(calls[0].one("ss-call-args").text()) == RICH_CALLS[0][1]


def test_timing_and_stop(rich: str) -> None:
    view = view_of(rich)
    timing = {dd.attrs["data-timing"]: dd.text() for dd in view.one("ss-timing").select(tag="dd")}
    events = len(rich_stream())
    assert timing["duration"] == f"{events * 0.05:.2f} s"
    assert timing["event_count"] == str(events)
    assert view.one("ss-stop-reason").text() == "tool_use"
    assert view.select("ss-problems") == [] and view.select("ss-error") == []


def test_problems_and_failure_are_listed() -> None:
    state = build_state(text_stream("cut short")[:-2])
    state.failure = "ConnectionError: reset"
    view = view_of(render_stream_html(state))
    assert view.attrs["data-status"] == "failed"
    assert view.one("ss-error-text").text() == "ConnectionError: reset"
    kinds = [p.attrs["data-kind"] for p in view.one("ss-problems").select("ss-problem")]
    assert "stream_truncated" in kinds


def test_a_stopped_stream_is_stopped_not_a_problem() -> None:
    state = build_state(text_stream("stopped by the user")[:-2])
    state.stopped = True
    view = view_of(render_stream_html(state))
    assert view.one("ss-status").text() == "stopped"
    assert view.select("ss-problems") == []


# ---------------------------------------------------------------- timeline


def test_timeline_has_one_row_per_block_labelled_by_tool_name(rich: str) -> None:
    timeline = view_of(rich).one("ss-timeline")
    rows = timeline.select("ss-tl-row")
    assert [r.attrs["data-index"] for r in rows] == ["0", "1", "2", "3", "4"]
    labels = [r.one("ss-tl-label").text() for r in rows]
    assert labels == ["#0 thinking", "#1 text", "#2 get_weather", "#3 search_flights",
                      "#4 book_hotel"]  # fmt: skip
    xs = [float(r.one("ss-tl-bar").attrs["x"] or "nan") for r in rows]
    assert xs == sorted(xs) and len(set(xs)) == 5
    ticks = [t.text() for t in timeline.select("ss-tl-tick")]
    assert ticks == ["0", "1 s", "2 s", "3 s", "4 s", "5 s"]  # 4.5 s of stream: a 5 s axis
    assert [li.attrs["data-kind"] for li in timeline.one("ss-tl-legend").select(tag="li")] == [
        "text",
        "thinking",
        "tool",
    ]


def test_timeline_bar_lengths_follow_the_times() -> None:
    events = parallel_tools_stream([("a", {"x": "y" * 40}), ("b", {"x": 1})], chunk=4)
    rows = view_of(picture(events)).one("ss-timeline").select("ss-tl-row")
    widths = [float(r.one("ss-tl-bar").attrs["width"] or "nan") for r in rows]
    assert widths[0] > 3 * widths[1]


def test_timeline_rows_link_to_their_lanes_and_say_their_times(rich: str) -> None:
    view = view_of(rich)
    rows = view.one("ss-timeline").select("ss-tl-row")
    lanes = view.select("ss-lane", tag="section")
    assert [r.one("ss-tl-label").attrs["href"] for r in rows] == [
        f"#{lane.attrs['id']}" for lane in lanes
    ]
    assert rows[2].one("ss-tl-times").text() == "2.30 s → 2.75 s"


def test_the_axis_changes_only_when_the_stream_outgrows_it() -> None:
    from streamscope.widgets.render.timeline import axis_end

    assert [axis_end(t) for t in (0.2, 1.0, 1.5, 2.0, 3.2, 7, 12, 180)] == [
        1.0, 1.0, 2.0, 2.0, 5.0, 10.0, 20.0, 200.0
    ]  # fmt: skip


# ---------------------------------------------------------------- without styles


@pytest.mark.parametrize("name", [r.name for r in gallery.list_recordings()])
def test_every_recording_reads_well_without_styles(name: str) -> None:
    state = StreamState().apply_all(read_events(gallery.path(name)))
    lines = unstyled(render_stream_html(state)).split("\n")
    status = "done" if state.ended else "cut off"
    if state.error:  # the header says why, in the core's words
        status = f"failed: {error_event_words(state.error)}"
    models = " → ".join(state.models) or state.model  # a hand-off names both models
    assert lines[0] == f"streamscope {models} {status}"  # words, not run together
    for block in state.blocks:
        head = next(line for line in lines if line.startswith(f"#{block.index} {block.type}"))
        assert re.search(r" · (done|cut off) · [\d.]+ (ms|s|min \d+ s) · \d+ deltas?$", head), head
    for call in state.tool_calls:
        if isinstance(call.input, dict):
            for key, value in list(call.input.items())[:3]:
                if isinstance(value, (int, float, bool)):
                    assert f"{key}: {json.dumps(value)}" in lines
    assert any(
        re.fullmatch(r"input \(uncached\) [\d,]+", line) for line in lines
    )  # usage table rows
    assert any(re.fullmatch(r"cache hit rate [\d.]+%|cache hit rate –", line) for line in lines)
    assert "duration" in lines and "Timing" in lines


def test_separators_and_units_are_text(rich: str) -> None:
    lines = unstyled(rich).split("\n")
    head = next(line for line in lines if line.startswith("#2 "))
    assert re.fullmatch(r"#2 tool_use get_weather · done · \d+ ms · \d+ deltas", head)
    assert "#2 get_weather 2.30 s → 2.75 s" in lines  # the timeline, as text
    assert 'city: "Paris"' in lines
    assert "Thinking · 141 characters" in lines


# ---------------------------------------------------------------- robustness


def test_deep_arguments_are_summarized_not_recursed() -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"k": deep}
    events = [message_start(), *tool_events(0, "deep", deep, chunk=400), *message_end()]
    out = picture(events)
    assert_inert(out, VIEW_TAGS)
    assert "nested too deeply to show here" in out
    assert "leaf" in visible_text(out)  # in the raw JSON


def test_large_arguments_keep_the_picture_near_the_content_size() -> None:
    rows = [{"id": i, "name": f"row {i}", "score": i / 7, "tags": ["a", "b"]} for i in range(2500)]
    body = "line <b>&amp; 'quoted'\n" * 4000
    events = parallel_tools_stream([("insert", {"rows": rows}), ("write", {"content": body})])
    state = build_state(events)
    raw = [b.input_json for b in state.blocks if b.kind == "tool"]  # type: ignore[attr-defined]
    page = render_stream_html(state)
    content = sum(len(r) for r in raw)
    assert len(page) < 2.5 * content
    text = visible_text(page)
    for chunk in raw:  # every byte the stream carried is still on the page
        assert chunk in text
    assert "too many to list here" in page


def test_scope_css() -> None:
    css = """
    /* comment { } */
    :root { --a: 1; }
    .ss-view { color: red; }
    .ss-view .x, .y > .z { margin: 0; }
    @media (max-width: 600px) { .a { left: 0; } }
    @keyframes pulse { 50% { opacity: 0.3; } }
    """
    out = scope_css(css)
    assert ".ss-static {--a: 1;}" in out
    assert ".ss-static .ss-view {color: red;}" in out
    assert ".ss-static .ss-view .x, .ss-static .y > .z {margin: 0;}" in out
    assert "@media (max-width: 600px) {\n.ss-static .a {left: 0;}\n}" in out
    assert "@keyframes pulse { 50% { opacity: 0.3; } }" in out
    assert "comment" not in out
    # commas inside :is(), :not(), attribute values are not selector-list commas
    nested = scope_css(':is(.a, .b) :is(pre, code), .c[title="x, y"]:not(.d, .e) { x: y; }')
    assert (
        nested
        == '.ss-static :is(.a, .b) :is(pre, code), .ss-static .c[title="x, y"]:not(.d, .e) {x: y;}'
    )


# ---------------------------------------------------------------- the work a frame costs


def test_a_frame_re_renders_only_the_open_markdown_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long text streamed in many frames: markdown-it parses only the open block's source
    each frame, so the characters parsed stay linear in the text."""
    from streamscope.widgets.render import markdown

    parsed: list[int] = []
    real_parse = markdown._MD.parse

    def counting_parse(src: str, env: Any = None) -> Any:
        parsed.append(len(src))
        return real_parse(src, env)

    monkeypatch.setattr(markdown._MD, "parse", counting_parse)
    paragraphs = [f"Paragraph {i}: " + "words " * 40 for i in range(60)]
    text = "\n\n".join(paragraphs)
    state = StreamState(started_at=0.0)
    pic = StreamPicture(state)
    store = RegionStore()
    events = [message_start(), *text_events(0, text, chunk=50, stop=False)]
    for i, event in enumerate(events):
        pic.note(state.apply(event, at=i * 0.01))
        pic.render(store)  # one frame per event: the worst case
    total = sum(parsed)
    assert total < 3 * len(text) * 5, (total, len(text))  # not len(text)**2 / chunk
    assert max(parsed) < 600  # never the whole text while streaming


@pytest.mark.parametrize("words", [600, 2000])
def test_a_frame_sends_only_what_changed(words: int) -> None:
    """A growing paragraph costs its new characters: a splice, never the whole text. Past
    OPEN_BLOCK_LIMIT the paragraph is re-parsed only every 25% of growth and the text
    since shows as plain text meanwhile, so some characters cross twice, never more."""
    text = "word " * words
    events = [message_start(), *text_events(0, text, chunk=20, stop=False)]
    state = StreamState(started_at=0.0)
    pic = StreamPicture(state)
    store = RegionStore()
    sizes = []
    for i, event in enumerate(events):
        pic.note(state.apply(event, at=i * 0.01))
        ops = pic.render(store)
        sizes.append(len(json.dumps([op for op in ops if op[0] == "text/0"])))
    assert sum(sizes) < 2.5 * len(text) + 60 * len(sizes)
    small = sorted(sizes)[: int(len(sizes) * 0.9)]
    assert max(small) < 200


def test_export_writes_the_standalone_document_atomically(tmp_path: Path) -> None:
    from streamscope.widgets import StreamView

    view = StreamView(flush_timer=False)
    for event in rich_stream():
        view.apply(event)
    target = tmp_path / "stream.html"
    target.write_text("the old export")
    path = view.export_html(target)
    assert path == target
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "book_hotel" in page
    assert not list(tmp_path.glob("*.partial"))


def test_figures_while_streaming_are_labelled_estimates_and_exact_at_the_end() -> None:
    """Issue 9, item 6: message_start's output count is a placeholder (1), so while the
    stream runs the cost and the rate come from the text so far, and say so."""
    text = "word " * 400
    events = [message_start(), *text_events(0, text, chunk=40)]
    live = tree(picture(events, finish=False)).one("ss-final")
    assert live.one("ss-cost-total").text().startswith("≈ $")
    assert live.one("ss-cost-total").text().endswith("so far")
    assert "characters streamed / 4 until the count arrives" in live.text()
    rate = live.one("ss-timing").select(tag="dd")[1]
    assert rate.attrs["data-ss-figure"] == "output_tokens_per_second"
    assert rate.text().startswith("≈ ") and rate.attrs["data-ss-kind"] == "estimate"
    output = live.select(tag="td", data_usage="output_tokens")[0]
    assert output.text() == "≈ 500" and output.attrs["data-ss-kind"] == "estimate"
    done = tree(picture([*events, *message_end(output_tokens=401)])).one("ss-final")
    assert not done.one("ss-cost-total").text().startswith("≈")
    assert "estimate" not in done.one("ss-cost").text().replace("Estimated cost", "")
    assert "≈" not in done.one("ss-timing").text() + done.one("ss-usage").text()


def test_a_stream_that_ended_with_no_event_is_cut_off_not_waiting() -> None:
    """Issue 9, item 6: a turn that ended with no event does not sit at "Waiting for the
    stream" forever: it ended without its message, so it is cut off, with no content."""
    state = StreamState()
    state.finish()
    view = view_of(render_stream_html(state))
    assert view.one("ss-status").text() == view.attrs["data-status"] == "cut off"
    assert "No content." in view.text() and "Waiting for the stream" not in view.text()


def test_every_stream_status_is_a_word_from_the_one_list() -> None:
    """Issue 9, item 13: the badge shows ``StreamState.status``, a word of
    ``STREAM_STATUSES``, and every word of the list can be reached and shown."""
    from streamscope.core.stream.status import STREAM_STATUSES

    text = text_events(0, "hello")
    states: dict[str, StreamState] = {}
    states["waiting"] = StreamState()
    states["streaming"] = build_state([message_start(), *text[:2]], finish=False)
    paused = build_state([message_start(), *text[:2]], finish=False)
    paused.paused = True
    states["paused"] = paused
    states["done"] = build_state([message_start(), *text, *message_end()])
    stopped = build_state([message_start(), *text[:2]], finish=False)
    stopped.stopped = True
    stopped.finish()
    states["stopped"] = stopped
    states["cut off"] = build_state([message_start(), *text[:2]])
    states["failed"] = build_state([message_start(), *text[:2], error_event()])
    assert set(states) == set(STREAM_STATUSES)
    for word, state in states.items():
        assert state.status == word
        view = view_of(render_stream_html(state))
        badge = view.one("ss-status")
        assert badge.text() == view.attrs["data-status"] == word  # a word, not a colour alone
        assert badge.attrs.get("role") == "status"


def test_a_finished_stream_s_axis_ends_at_the_nearest_nice_tick() -> None:
    """A finished 2.02 s turn is drawn on 0-2.5 s (it was 0-5 s, 60% empty), as the loop's
    own timeline is (issue 18); while live, the axis keeps its seldom-moving 1-2-5 step."""
    from streamscope.widgets.render.timeline import axis_end

    events = text_stream("a turn that streams for two seconds")

    def last_tick(seconds: float) -> str:
        state = StreamState()
        for k, event in enumerate(events):
            state.apply(event, at=100.0 + k * seconds / (len(events) - 1))
        assert state.duration == pytest.approx(seconds)
        return tree(render_stream_html(state)).select("ss-tl-tick")[-1].text()

    assert last_tick(2.02) == "2.5 s"
    assert last_tick(1.46) == "2 s"  # never a longer axis than the 1-2-5 step's
    assert last_tick(8.34) == "10 s"
    assert axis_end(2.02) == 5.0  # the live step it replaces at the end


def test_a_short_string_argument_wraps_whole_not_at_its_hyphen() -> None:
    # notebook 01 at 1400 px: four narrow tool lanes broke "2025-11-14" after its hyphen
    state = StreamState()
    for event in [
        message_start(),
        *tool_events(0, "search_flights", {"depart_date": "2025-11-14", "note": "x" * 40}),
        *message_end(),
    ]:
        state.apply(event)
    page = tree(render_stream_html(state))
    strings = {n.text(): n.attrs for n in page.select("ss-s")}
    assert "data-whole" in strings['"2025-11-14"']
    assert "data-whole" not in strings['"' + "x" * 40 + '"']
    css = (Path(__file__).parents[1] / "widgets" / "static" / "view.css").read_text()
    assert re.search(r"\.ss-s\[data-whole\]\s*\{\s*white-space:\s*nowrap", css)
