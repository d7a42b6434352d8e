"""Runs side by side: summaries, the table of differences, answer and argument diffs."""

from __future__ import annotations

from typing import Any

import pytest
from streams import message_end, message_start, text_events, text_stream, tool_events

from streamscope.core import StreamState, ToolLoop, compare_runs, gallery
from streamscope.core.comparison.reading import reading_text
from streamscope.core.comparison.runs import (
    ArgumentChange,
    CallSummary,
    Comparison,
    diff_arguments,
    diff_calls,
    diff_text,
    summarize,
)
from streamscope.core.io.replay_client import ReplayClient
from streamscope.core.io.runs import state_of, states_of
from streamscope.core.pricing.prices import estimate_cost
from streamscope.core.stream.usage import sum_usage


@pytest.fixture(scope="module")
def weekend() -> Comparison:
    return compare_runs(
        gallery.conversation("weekend_parallel"), gallery.conversation("weekend_sequential")
    )


def test_parallel_against_sequential_calls(weekend: Comparison) -> None:
    parallel, sequential = weekend.runs
    assert weekend.labels == ("weekend_parallel", "weekend_sequential")
    assert (parallel.turns, sequential.turns) == (2, 4)
    assert parallel.stop_reasons == ("tool_use", "end_turn")
    assert sequential.stop_reasons == ("tool_use", "tool_use", "tool_use", "end_turn")
    assert [c.turn for c in parallel.tool_calls] == [1, 1, 1]
    assert [c.turn for c in sequential.tool_calls] == [1, 2, 3]
    assert parallel.tools_used == sequential.tools_used == {"get_weather": 3}
    # what parallel calls buy: fewer round trips, fewer input tokens, less waiting
    assert sequential.input_tokens > 1.5 * parallel.input_tokens
    assert sequential.waiting is not None and parallel.waiting is not None
    assert sequential.waiting > 2 * parallel.waiting
    assert sequential.duration is not None and parallel.duration is not None
    assert sequential.duration > parallel.duration
    assert parallel.cost_usd is not None and sequential.cost_usd is not None
    assert sequential.cost_usd > parallel.cost_usd
    assert {row.key for row in weekend.differences} >= {
        "turns",
        "input_tokens",
        "cost_usd",
        "waiting",
        "duration",
        "stop_reasons",
        "answer",
    }
    assert not weekend.row("tool_calls").differs and not weekend.row("tools_used").differs
    assert weekend.row("turns").relative == (None, 1.0)
    assert weekend.row("turns").texts == ("2", "4")
    [calls] = weekend.call_diffs
    assert [d.status for d in calls] == ["same", "same", "same"]
    [answer] = weekend.answer_diffs
    assert not answer.same and 0.5 < answer.ratio < 1
    # the text a reader sees is diffed, not the Markdown: no ** and no table pipes
    assert "**" in parallel.answer and "| --- |" in parallel.answer
    assert "".join(op.before for op in answer.ops) == reading_text(parallel.answer)
    assert "".join(op.after for op in answer.ops) == reading_text(sequential.answer)
    marks = "".join(op.before + op.after for op in answer.ops)
    assert "**" not in marks and "|" not in marks
    assert answer.unified.startswith("--- weekend_parallel\n+++ weekend_sequential\n")


def test_the_sums_are_the_turns_sums(weekend: Comparison) -> None:
    sequential = weekend.runs[1]
    states = [state_of(p) for p in gallery.conversation("weekend_sequential")]
    assert [s.to_message() for s in sequential.states] == [s.to_message() for s in states]
    usage = sum_usage(s.usage for s in states)
    assert sequential.input_tokens == usage.input_tokens
    assert sequential.output_tokens == usage.output_tokens
    costs = [estimate_cost(s.usage, s.model) for s in states]
    assert sequential.cost_usd == pytest.approx(sum(c.total_usd for c in costs if c))
    assert sequential.duration == pytest.approx(sum(s.duration or 0 for s in states))
    assert sequential.time_to_first_token == states[0].time_to_first_token
    assert all(r is not None and r["tools"] for r in sequential.requests)


def test_thinking_on_against_off() -> None:
    comparison = compare_runs(
        gallery.path("capacity_thinking_on"),
        gallery.path("capacity_thinking_off"),
        labels=["thinking", "no thinking"],
    )
    on, off = comparison.runs
    assert (on.label, off.label) == ("thinking", "no thinking")
    assert on.thinking_tokens and on.thinking_tokens > 0 and off.thinking_tokens is None
    assert on.output_tokens > off.output_tokens
    assert on.time_to_first_text is not None and off.time_to_first_text is not None
    assert on.time_to_first_text > 5 * off.time_to_first_text  # the answer waits for thinking
    assert comparison.row("thinking_tokens").texts[1] == "–"
    assert comparison.call_diffs == ((),)
    assert "8 workers" in on.answer and "8 workers" in off.answer


def test_time_to_first_token_counts_from_the_request() -> None:
    cassette = gallery.load("cache_hit")
    summary = summarize(gallery.path("cache_hit"))
    wait = cassette.meta["time_to_first_event"]
    assert summary.waiting == pytest.approx(wait)
    assert summary.time_to_first_token is not None and summary.time_to_first_token > wait


def test_the_printed_table() -> None:
    text = str(
        compare_runs(
            gallery.conversation("weekend_parallel"), gallery.conversation("weekend_sequential")
        )
    )
    lines = text.splitlines()
    assert lines[0].split() == ["weekend_parallel", "weekend_sequential"]
    assert any(line.startswith("* turns (requests)") and "4 (+100%)" in line for line in lines)
    assert any(line.startswith("  tool calls") and "3 (same)" in line for line in lines)
    assert "the same 3 call(s), with the same arguments" in text
    assert "-Seville is your best bet for a weekend on foot:" in text  # as read, not Markdown


# ---------------------------------------------------------------------------- kinds of runs


def add(a: int, b: int) -> int:
    """Add."""
    return a + b


def loop_turns(a: Any) -> list[list[dict[str, Any]]]:
    start = message_start("claude-unpriced")
    return [
        [start, *tool_events(0, "add", {"a": a, "b": 2}), *message_end("tool_use")],
        [start, *text_events(0, f"It is {a}+2."), *message_end()],
    ]


def test_loops_turns_states_and_views() -> None:
    loops = []
    for a in (1, "1"):
        loop = ToolLoop(
            ReplayClient(loop_turns(a)), model="claude-test", max_tokens=100, tools=[add]
        )
        loop.run("add")
        loops.append(loop)
    comparison = compare_runs(*loops)
    first, second = comparison.runs
    assert (first.label, second.label) == ("claude-unpriced", "claude-unpriced (2)")
    assert first.wall_time is not None and first.wall_time >= 0
    assert (first.violations, second.violations) == (0, 1)
    assert comparison.row("violations").differs
    [calls] = comparison.call_diffs
    assert calls[0].status == "changed"
    assert [str(c) for c in calls[0].changes] == ['a: 1 → "1"']
    assert second.tool_calls[0].violations[0].message == 'expected integer, got string "1"'
    assert first.cost_usd is None  # an unknown model has no price

    class View:
        def __init__(self, state: StreamState) -> None:
            self.state = state

    class ConversationView:
        def __init__(self, loop: ToolLoop) -> None:
            self.loop = loop

    state = loops[0].turns[1].state
    assert state is not None
    for run in (View(state), state, loops[0].turns[1]):
        assert states_of(run) == [state]
    assert states_of(ConversationView(loops[0])) == states_of(loops[0]) == states_of(loops[0].turns)
    assert compare_runs(loops[0], labels=["only"]).runs[0].label == "only"


def test_bad_runs_and_labels() -> None:
    with pytest.raises(ValueError, match="at least one run"):
        compare_runs()
    with pytest.raises(ValueError, match="2 runs but 1 labels"):
        compare_runs(StreamState(), StreamState(), labels=["a"])
    with pytest.raises(TypeError, match="not a run: int"):
        compare_runs(3)
    with pytest.raises(ValueError, match="no streamed turn"):
        compare_runs([])
    comparison = compare_runs(StreamState().apply_all(text_stream("x")))
    assert comparison.answer_diffs == () and comparison.call_diffs == ()
    with pytest.raises(KeyError, match="no row 'nope'"):
        comparison.row("nope")


# ---------------------------------------------------------------------------- diffs


def test_argument_diffs() -> None:
    before = {"a": 1, "b": [1, 2, {"c": "x"}], "gone": True, "same": {"k": [None]}}
    after = {"a": 1.0, "b": [1, 3, {"c": "y"}, 4], "new": "n", "same": {"k": [None]}}
    assert diff_arguments(before, after) == (
        ArgumentChange(("b", 1), "changed", 2, 3),
        ArgumentChange(("b", 2, "c"), "changed", "x", "y"),
        ArgumentChange(("b", 3), "added", None, 4),
        ArgumentChange(("gone",), "removed", True, None),
        ArgumentChange(("new",), "added", None, "n"),
    )
    assert diff_arguments({"a": True}, {"a": 1}) == (ArgumentChange(("a",), "changed", True, 1),)
    assert diff_arguments([1], {"a": 1}) == (ArgumentChange((), "changed", [1], {"a": 1}),)


def test_call_diffs_pair_the_nth_call_of_each_tool() -> None:
    def call(name: str, value: Any, turn: int = 1) -> CallSummary:
        return CallSummary(turn, name, {"v": value}, f"id-{name}-{value}")

    before = [call("a", 1), call("b", 1), call("a", 2)]
    after = [call("b", 1, 2), call("a", 1), call("c", 0), call("a", 3), call("a", 4)]
    diffs = diff_calls(before, after)
    assert [(d.name, d.position, d.status) for d in diffs] == [
        ("a", 0, "same"),
        ("b", 0, "same"),
        ("a", 1, "changed"),
        ("a", 2, "added"),
        ("c", 0, "added"),
    ]
    assert diffs[2].changes == (ArgumentChange(("v",), "changed", 2, 3),)
    assert [d.status for d in diff_calls(before, [])] == ["removed"] * 3


def test_text_diff_by_words() -> None:
    diff = diff_text("the cat sat", "the dog sat down", "a", "b")
    assert [(op.tag, op.before, op.after) for op in diff.ops] == [
        ("equal", "the ", "the "),
        ("replace", "cat", "dog"),
        ("equal", " sat", " sat"),
        ("insert", "", " down"),
    ]
    assert diff_text("x", "x", "a", "b").same and diff_text("x", "x", "a", "b").unified == ""
