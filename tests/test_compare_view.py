"""``streamscope.widgets.compare``: the picture of a Comparison (static HTML, one renderer).

The data is tested in test_compare.py; here, what the picture shows of it: the table with
the values that differ marked, the tool-call and answer diffs, every run's turns in its
column, model text kept inert, and the plain-text form.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from html_checks import VIEW_TAGS, assert_inert, tree, visible_text
from streams import HOSTILE_TEXT, message_end, message_start, text_events, tool_events

from streamscope.core import StreamState, gallery
from streamscope.widgets import ComparisonView, StreamView, compare

COMPARE_TAGS = VIEW_TAGS | frozenset({"mark", "ins", "caption", "ol", "button", "select"})


def state_of(events: list[dict[str, object]]) -> StreamState:
    state = StreamState(started_at=0.0)
    for k, event in enumerate(events):
        state.apply(event, at=0.01 * (k + 1))
    state.finish()
    return state


def booking(city: str, party: int, answer: str) -> StreamState:
    return state_of(
        [
            message_start(),
            *text_events(0, answer),
            *tool_events(1, "book_table", {"city": city, "party_size": party}),
            *message_end(stop_reason="tool_use"),
        ]
    )


def test_parallel_against_sequential_in_a_picture() -> None:
    view = compare(
        gallery.conversation("weekend_parallel"),
        gallery.conversation("weekend_sequential"),
        labels=["parallel", "sequential"],
    )
    assert isinstance(view, ComparisonView)
    comparison = view.comparison
    html_text = view.html()
    page = tree(html_text)
    table = page.one("ss-compare-table")
    assert [th.text() for th in table.select(tag="thead")[0].select(tag="th")][1:] == [
        "parallel",
        "sequential",
    ]
    rows = {r.select(tag="th")[0].text(): r for r in table.select(tag="tbody")[0].select(tag="tr")}
    assert len(rows) == len(comparison.rows)
    turns = rows["turns (requests)"]
    assert "data-differs" in turns.attrs
    assert [m.text() for m in turns.select(tag="mark")] == ["4 (+100%)"]  # vs the first run
    assert "data-differs" not in rows["tool calls"].attrs and not rows["tool calls"].select(
        tag="mark"
    )
    # each run's column holds each of its turns' pictures
    columns = page.select("ss-compare-run")
    assert [len(c.select("ss-view")) for c in columns] == [2, 4]
    calls = page.one("ss-compare-calls").text()
    assert "The same 3 calls, with the same arguments." in calls
    answer = page.one("ss-compare-answer")
    assert answer.select(tag="del") and answer.select(tag="ins")
    # the words a reader sees, compared: Markdown's ** and table pipes counted as alike
    # words made it read 89%
    assert "84% of the words alike" in answer.text()
    diff = answer.one("ss-diff").text()
    assert "**" not in diff and "|" not in diff and "Seville\tsunny" in diff
    assert_inert(html_text.split("</style>", 1)[1], COMPARE_TAGS)
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == str(comparison) and bundle["text/html"] == html_text


def test_changed_arguments_and_answers_are_shown_against_the_first_run() -> None:
    first = booking("Lisbon", 2, "Booked for two in Lisbon.")
    second = booking("Porto", 2, "Booked for two in Porto.")
    page = tree(compare(first, second, labels=["A", "B"]).html())
    (changed,) = page.one("ss-compare-calls").select(tag="li", **{"data-status": "changed"})
    assert 'city: "Lisbon" → "Porto"' in changed.text()
    diff = page.one("ss-compare-answer").one("ss-diff")
    assert [d.text() for d in diff.select(tag="del")] == ["Lisbon"]
    assert [i.text() for i in diff.select(tag="ins")] == ["Porto"]
    assert diff.text() == "Booked for two in LisbonPorto."


def test_model_text_in_a_comparison_stays_text(tmp_path: Path) -> None:
    hostile = state_of([message_start(), *text_events(0, HOSTILE_TEXT), *message_end()])
    plain = state_of([message_start(), *text_events(0, "Nothing to see."), *message_end()])
    view = compare(plain, hostile, labels=["plain", "<b>hostile</b>"])
    html_text = view.html()
    assert_inert(html_text.split("</style>", 1)[1], COMPARE_TAGS)
    assert "&lt;b&gt;hostile&lt;/b&gt;" in html_text
    document = view.export_html(tmp_path / "c.html").read_text(encoding="utf-8")
    assert "<script" not in document.lower() and "Content-Security-Policy" in document


def test_runs_can_be_views_and_recordings_and_labels_must_match() -> None:
    stream = StreamView(flush_timer=False)
    for event in json.loads(json.dumps(gallery.load_events("capacity_thinking_off"))):
        stream.apply(event)
    view = compare(gallery.path("capacity_thinking_on"), stream)
    assert view.comparison.labels == ("capacity_thinking_on", "claude-sonnet-5-5")
    text = visible_text(view.html())
    assert "thinking tokens" in text and "508" in text
    with pytest.raises(ValueError, match="2 runs but 1 labels"):
        compare(gallery.path("capacity_thinking_on"), stream, labels=["one"])


def test_waiting_for_replies_to_start_says_what_it_measures() -> None:
    """Notebook 07 showed "waiting for first events" with nothing saying whose events, or
    why one run waited longer: the row's note says it, under the table and in the text."""
    comparison = compare(
        gallery.conversation("weekend_parallel"),
        gallery.conversation("weekend_sequential"),
        labels=["parallel", "one at a time"],
    )
    row = comparison.comparison.row("waiting")
    assert row.label == "waiting for replies to start"
    assert "each extra round trip" in row.note and "before anything streams" in row.note
    caption = tree(comparison.html()).one(tag="caption")
    note = caption.one("ss-compare-note")
    assert note.text() == f"{row.label}: {row.note}"
    assert f"{row.label}: {row.note}" in str(comparison)
