"""A folded text's whole, one click away (issues 17 and 19): "Show all" sends a live page the
whole text a page at a time, only when asked and only once each; a static picture and
``export_html`` carry it whole up to their budget and say where it is past that; hostile
text stays text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from html_checks import DOCUMENT_TAGS, VIEW_TAGS, assert_inert, tree
from streams import block_start, block_stop, message_end, message_start, text_stream
from view_harness import Recorder, apply_patch

from streamscope.core.loop.records import Turn
from streamscope.core.stream.state import StreamState
from streamscope.widgets import ConversationView, StreamView, compare
from streamscope.widgets.render import render_stream_html
from streamscope.widgets.render.fulltext import NOTEBOOK_BUDGET, PAGE, SHOW_ALL_CAP
from streamscope.widgets.surface import Surface

EVIL = "</pre><script>alert(1)</script><img src=x onerror=alert(2)>&amp; \"q\" 's' \r\n"


def stdout_of(size: int, marker: str = "") -> str:
    """``size`` characters of numbered lines (with ``marker`` in each), ending in ``END``."""
    line = f"line {{:07d}} {marker}\n"
    count = size // len(line.format(0)) + 1
    text = "".join(line.format(k) for k in range(count))
    return text[: size - 3] + "END"


def bash_events(stdout: str, stderr: str = "") -> list[dict[str, Any]]:
    result = {
        "type": "bash_code_execution_tool_result",
        "tool_use_id": "srvtoolu_1",
        "content": {
            "type": "bash_code_execution_result",
            "stdout": stdout,
            "stderr": stderr,
            "return_code": 0,
            "content": [],
        },
    }
    events = text_stream("Output follows.", chunk=8)[:-2]
    return [*events, block_start(1, result), block_stop(1), *message_end()]


def _view(events: list[dict[str, Any]]) -> tuple[StreamView, Recorder, dict[str, list[str]]]:
    view = StreamView(flush_timer=False)
    rec = Recorder(view)
    page = {k: list(v) for k, v in json.loads(json.dumps(view.picture))["regions"].items()}
    for event in events:
        view.apply(event)
    view.finish()
    for patch in rec.patches:
        apply_patch(page, patch)
    rec.clear()
    return view, rec, page


def _region(page: dict[str, list[str]], label: str) -> str:
    """The id of the "Show all" region of ``label`` in the page's parts."""
    found = [
        node.attrs["data-ss-region"] or ""
        for parts in list(page.values())
        for node in tree("".join(parts)).select("ss-fulltext-text")
    ]
    [region] = [r for r in found if r.endswith("/" + label)]
    return region


def _say(view: Surface, message: dict[str, Any]) -> None:
    view._on_front_end_msg(view, message, [])


def _open_all(view: Surface, rec: Recorder, page: dict[str, list[str]], region: str) -> int:
    """Do what the page does: open the ``<details>`` (``want``), then ask for each page the
    last marker names, until none is left. Returns how many patches brought it."""
    rec.clear()
    _say(view, {"type": "want", "region": region})
    patches = 0
    while True:
        for patch in rec.patches:
            apply_patch(page, patch)
            patches += 1
        rec.clear()
        markers = tree("".join(page.get(region, []))).select("ss-more")
        if not markers:
            return patches
        [marker] = markers
        _say(
            view,
            {"type": "more", "region": region, "page": int(marker.attrs["data-ss-page"] or "")},
        )


def _text(parts: list[str]) -> str:
    """The text a ``<pre>`` of these parts shows (each page is a span of escaped text)."""
    pre = tree("<pre>" + "".join(parts) + "</pre>").one(tag="pre")
    assert all(n.tag == "span" and n.classes == ["ss-page"] for n in pre.iter()[1:])
    return pre.text()


def test_show_all_sends_the_whole_stdout_a_page_at_a_time() -> None:
    stdout = stdout_of(1_000_000)
    view, rec, page = _view(bash_events(stdout))
    region = _region(page, "stdout")
    assert page.get(region) is None  # nothing of it went to the page unasked
    _say(view, {"type": "more", "region": region, "page": 0})  # never opened: ignored
    assert rec.patches == []
    patches = _open_all(view, rec, page, region)
    whole = _text(page[region])
    assert len(whole) == len(stdout) and whole == stdout and whole.endswith("END")
    pages = -(-len(stdout) // PAGE)
    assert patches == pages + 1  # the first marker, then one patch per page
    # a repeated or early ask sends nothing (two views of one widget both ask)
    _say(view, {"type": "more", "region": region, "page": 3})
    _say(view, {"type": "more", "region": region, "page": pages + 5})
    _say(view, {"type": "more", "region": "lazy:full/../../etc", "page": 0})
    assert rec.patches == []


def test_each_page_message_carries_one_page() -> None:
    stdout = stdout_of(300_000)
    view, rec, page = _view(bash_events(stdout))
    region = _region(page, "stdout")
    rec.clear()
    _say(view, {"type": "want", "region": region})
    sizes = []
    for number in range(-(-len(stdout) // PAGE)):
        rec.clear()
        _say(view, {"type": "more", "region": region, "page": number})
        sizes.extend(rec.sizes)
        assert len(rec.patches) == 1
    # one page and its marker, nothing re-sent (JSON writes each line break as "\n")
    assert max(sizes) < 1.1 * PAGE + 2_000
    assert sum(sizes) < 1.1 * len(stdout) + 20_000


def test_a_reloaded_page_goes_on_where_it_was() -> None:
    stdout = stdout_of(200_000)
    view, rec, page = _view(bash_events(stdout))
    region = _region(page, "stdout")
    _say(view, {"type": "want", "region": region})
    _say(view, {"type": "more", "region": region, "page": 0})
    rec.clear()
    _say(view, {"type": "resync"})  # a page reloaded: the picture has what was sent
    fresh = {k: list(v) for k, v in view.picture["regions"].items()}
    [marker] = tree("".join(fresh[region])).select("ss-more")
    assert marker.attrs["data-ss-page"] == "1"
    _open_all(view, rec, fresh, region)
    assert _text(fresh[region]) == stdout


def test_a_long_text_lane_has_show_all_once_complete() -> None:
    from streamscope.widgets.render.fold import FOLD_AT

    text = stdout_of(FOLD_AT + 100_000, "word")
    events = [message_start(), *text_stream(text, chunk=64 * 1024)[1:]]
    view, rec, page = _view(events)
    region = _region(page, "text")
    _open_all(view, rec, page, region)
    assert _text(page[region]) == text


def test_export_html_carries_the_whole_text_and_says_where_it_is_past_the_caps(
    tmp_path: Path,
) -> None:
    stdout = stdout_of(3 * 1024 * 1024)  # more than a notebook's budget, less than the cap
    view, _, _ = _view(bash_events(stdout, stderr="E" * 5000))
    exported = view.export_html(tmp_path / "v.html").read_text("utf-8")
    boxes = tree(exported).select("ss-fulltext")
    assert [b.one(tag="summary").text() for b in boxes] == [
        f"Show all {len(stdout):,} characters of the stdout",
        "Show all 5,000 characters of the stderr",
    ]
    assert all("open" not in b.attrs for b in boxes)  # folded
    assert boxes[0].one("ss-fulltext-text").text() == stdout
    assert boxes[1].one("ss-fulltext-text").text() == "E" * 5000
    # the block's JSON, which a live page gets cut at 64 KB, is whole in the file too
    raw = tree(exported).one("ss-lane", data_index="1").one("ss-tool-raw").text()
    assert json.loads(raw)["content"]["stdout"] == stdout
    # the notebook's picture carries what its budget allows, and says where the rest is
    static = tree(view.static_html()).select("ss-fulltext")
    assert len(stdout) > NOTEBOOK_BUDGET
    note = static[0].one("ss-fulltext-note").text()
    assert (
        "view.export_json(...)" in note and static[0].select("ss-fulltext-text")[0].text() == note
    )
    assert static[1].one("ss-fulltext-text").text() == "E" * 5000  # within the budget


def test_above_the_cap_no_page_carries_it() -> None:
    stdout = stdout_of(SHOW_ALL_CAP + 10)
    state = StreamState()
    for event in [message_start(), *bash_events(stdout)]:
        state.apply(event)
    page = render_stream_html(state, standalone=True)
    assert len(page) < 1_000_000
    lane = tree(page).one("ss-lane", data_index="1")
    assert lane.select("ss-fulltext") == []
    note = lane.one("ss-fulltext-note").text()
    assert f"{len(stdout):,} characters, too long for a page" in note
    assert "view.state and view.export_json(...)" in note
    assert state.to_message()["content"][1]["content"]["stdout"] == stdout


def test_hostile_text_shown_whole_stays_text(tmp_path: Path) -> None:
    stdout = (EVIL * (3 * PAGE // len(EVIL) + 1))[: 3 * PAGE] + EVIL
    view, rec, page = _view(bash_events(stdout))
    region = _region(page, "stdout")
    _open_all(view, rec, page, region)
    live = "".join(page[region])
    assert_inert(f"<pre>{live}</pre>", VIEW_TAGS)
    assert "<script" not in live and "<img" not in live
    assert _text(page[region]).replace("\r\n", "\n") == stdout.replace("\r\n", "\n")
    exported = view.export_html(tmp_path / "v.html").read_text("utf-8")
    assert_inert(exported, DOCUMENT_TAGS)
    assert "<script>alert" not in exported and "&lt;script&gt;alert(1)" in exported
    whole = tree(exported).one("ss-fulltext-text").text()
    assert whole.replace("\r\n", "\n") == stdout.replace("\r\n", "\n")
    assert_inert(view.static_html(), VIEW_TAGS)


def test_a_conversation_turn_shows_all_too() -> None:
    stdout = stdout_of(NOTEBOOK_BUDGET - 10)  # one page, and within a notebook's budget
    state = StreamState()
    for event in [message_start(), *bash_events(stdout)]:
        state.apply(event)
    view = ConversationView(flush_timer=False)
    rec = Recorder(view)
    page = {k: list(v) for k, v in json.loads(json.dumps(view.picture))["regions"].items()}
    turn = Turn(1, state, {"model": "m", "messages": []})
    view.turn_started(turn)
    view.turn_finished(turn)
    for patch in rec.patches:
        apply_patch(page, patch)
    region = _region(page, "stdout")
    _open_all(view, rec, page, region)
    assert _text(page[region]) == stdout
    whole = tree(view.static_html()).one("ss-fulltext-text").text()
    assert whole == stdout


def test_a_comparison_carries_the_whole_text_not_a_loading_marker() -> None:
    stdout = stdout_of(10_000)
    states = []
    for _ in range(2):
        state = StreamState()
        for event in [message_start(), *bash_events(stdout)]:
            state.apply(event)
        states.append(state)
    page = compare(*states).html()
    assert "data-ss-more" not in page and "loading characters" not in page
    wholes = [n.text() for n in tree(page).select("ss-fulltext-text")]
    assert wholes == [stdout, stdout]
