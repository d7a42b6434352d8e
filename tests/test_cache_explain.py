"""explain_cache: why a request missed the prompt cache, on pairs built for each case, on
the gallery's pairs (where the API's own reason must agree), and the diagnostics argument
the loop and a user's own call send, through the real SDK client."""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mock_api import MockAPI
from streams import message_end, message_start, text_events, tool_events

from streamscope.core import (
    CacheExplanation,
    StreamState,
    ToolLoop,
    cache_diagnostics,
    explain_cache,
    gallery,
)
from streamscope.core.comparison.cache import SERVER_SECTIONS
from streamscope.core.figures.text import fmt_usd
from streamscope.core.wire.diagnostics import (
    diagnostics_arguments,
    message_id_of,
    server_cache_miss,
    takes_diagnostics,
)

MODEL = "claude-haiku-4-5-20251001"
MANUAL = "<support manual> " + "Section text. " * 400
EPHEMERAL = {"type": "ephemeral"}


def cached(block: dict[str, Any], ttl: str | None = None) -> dict[str, Any]:
    control = dict(EPHEMERAL) if ttl is None else {**EPHEMERAL, "ttl": ttl}
    return {**block, "cache_control": control}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"The {name} tool.",
        "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
    }


def request(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 512,
        "tools": [tool("lookup"), cached(tool("open_ticket"))],
        "system": [text("You are a support bot."), cached(text(MANUAL))],
        "messages": [{"role": "user", "content": "Why does 5 GHz drop at 8pm?"}],
    }
    base.update(fields)
    return base


WROTE = {"input_tokens": 20, "cache_creation_input_tokens": 5000, "cache_read_input_tokens": 0}
READ = {"input_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 5000}


def explain(previous: Any, current: Any, **kwargs: Any) -> CacheExplanation:
    kwargs.setdefault("previous_usage", WROTE)
    kwargs.setdefault("current_usage", WROTE)
    return explain_cache(previous, current, **kwargs)


# --------------------------------------------------------------------------- each case


def test_identical_requests_hit() -> None:
    e = explain(request(), request(), current_usage=READ)
    assert e.section is None and e.change is None and e.expired is None
    assert e.hit and e.tokens_missed == 0 and e.cost_missed == 0.0
    assert [b.number for b in e.holding] == [1, 2]
    assert e.summary.startswith("Cache hit: nothing changed up to breakpoint 2")
    assert "5,000 tokens read" in e.summary


def test_appended_only_hits_and_the_moved_marker_does_not_count() -> None:
    first = request(messages=[{"role": "user", "content": [cached(text("Why does 5 GHz drop?"))]}])
    second = request(
        messages=[
            {"role": "user", "content": [text("Why does 5 GHz drop?")]},
            {"role": "assistant", "content": "Check the schedule."},
            {"role": "user", "content": [cached(text("It is empty."))]},
        ]
    )
    e = explain(first, second, current_usage=READ)
    assert e.section is None and e.hit
    assert len(e.breakpoints) == 3 and all(b.holds for b in e.breakpoints)


def test_a_string_and_its_one_text_block_are_the_same_prefix() -> None:
    first = request()  # the question as a string
    blocks = [{"role": "user", "content": [text("Why does 5 GHz drop at 8pm?")]}]
    assert explain(first, request(messages=blocks), current_usage=READ).hit
    assert explain(request(system="A"), request(system=[text("A")]), current_usage=READ).hit


def test_model_changed_breaks_every_breakpoint() -> None:
    e = explain(request(), request(model="claude-sonnet-4-5-20250929"))
    assert e.section == "model" and e.change is not None and e.change.path == ("model",)
    assert not any(b.holds for b in e.breakpoints)
    assert e.breakpoint is not None and e.breakpoint.number == 1
    assert e.tokens_missed == 5000
    assert e.summary.startswith("The model changed (claude-haiku-4-5-20251001 → claude-sonnet")
    assert e.headline == "model changed"


def test_timestamp_in_the_system_prompt() -> None:
    first = request(system=[cached(text(f"Now: 2026-12-06 14:02 UTC. {MANUAL}"))])
    second = request(system=[cached(text(f"Now: 2026-12-06 14:07 UTC. {MANUAL}"))])
    e = explain(first, second)
    assert e.section == "system"
    assert e.change is not None and e.change.path == ("system", 0, "text")
    assert e.change.where == "system[0].text"
    assert e.change.character == 21  # "Now: 2026-12-06 14:0" is 20 characters, then 2 → 7
    assert (e.change.before.changed, e.change.after.changed) == ("2", "7")
    assert e.change.before.head.endswith("14:0") and e.change.after.tail.startswith(" UTC.")
    assert e.change.before.tail.endswith("…")  # shortened
    assert e.breakpoint is not None and e.breakpoint.number == 2
    assert [b.number for b in e.holding] == [1]  # the tools, before the system prompt
    assert e.tokens_missed == 5000
    assert e.cost_missed is not None and e.cost_missed > 0
    assert "The system prompt changed at character 21" in e.summary
    assert f"{fmt_usd(e.cost_missed)} more than a read" in e.summary
    assert "Breakpoint 1 still held." in e.summary


def test_tools_reordered() -> None:
    first = request(tools=[tool("lookup"), tool("log"), cached(tool("open_ticket"))])
    second = request(tools=[tool("log"), tool("lookup"), cached(tool("open_ticket"))])
    e = explain(first, second)
    assert e.section == "tools" and e.change is not None and e.change.reordered
    assert str(e.change.before) == "[lookup, log, open_ticket]"
    assert not any(b.holds for b in e.breakpoints)
    assert e.headline == "tools re-ordered"
    assert e.summary.startswith("The tools were re-ordered (`[lookup, log, open_ticket]`")


def test_a_tool_changed_names_its_path() -> None:
    changed = tool("lookup")
    changed["input_schema"] = {"type": "object", "properties": {"q": {"type": "integer"}}}
    e = explain(request(), request(tools=[changed, cached(tool("open_ticket"))]))
    assert e.section == "tools" and e.change is not None and not e.change.reordered
    assert e.change.path == ("tools", 0, "input_schema", "properties", "q", "type")


def test_earlier_message_edited() -> None:
    history: list[dict[str, Any]] = [
        {"role": "user", "content": [text("It drops at 8pm.")]},
        {"role": "assistant", "content": "Check the schedule."},
        {"role": "user", "content": [cached(text("It is empty."))]},
    ]
    edited = copy.deepcopy(history)
    edited[0]["content"][0]["text"] = "It drops at 20:00."
    edited[2]["content"][0].pop("cache_control")
    edited += [
        {"role": "assistant", "content": "Then the updates."},
        {"role": "user", "content": [cached(text("Where?"))]},
    ]
    prev_usage = {**WROTE, "cache_creation_input_tokens": 90, "cache_read_input_tokens": 5000}
    cur_usage = {**WROTE, "cache_creation_input_tokens": 140, "cache_read_input_tokens": 5000}
    e = explain(
        request(messages=history),
        request(messages=edited),
        previous_usage=prev_usage,
        current_usage=cur_usage,
    )
    assert e.section == "messages"
    assert e.change is not None and e.change.path == ("messages", 0, "content", 0, "text")
    assert (e.change.before.changed, e.change.after.changed) == ("8pm", "20:00")
    assert [b.number for b in e.holding] == [1, 2]
    assert e.breakpoint is not None and e.breakpoint.number == 3
    assert e.tokens_missed == 90
    assert e.summary.startswith("An earlier message changed (message 0) at character 13")


def test_a_change_after_the_last_breakpoint_is_no_miss() -> None:
    e = explain(
        request(),
        request(messages=[{"role": "user", "content": "Another question."}]),
        current_usage=READ,
    )
    assert e.section is None and e.hit


def test_lapsed_ttl_with_the_times() -> None:
    at = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
    e = explain(request(), request(), previous_at=at, current_at=at.timestamp() + 12 * 60)
    assert e.section is None and e.expired is not None and not e.hit
    assert e.expired.ttl == "5m" and e.expired.breakpoints == (1, 2)
    assert e.expired.expired_at == datetime(2026, 12, 6, 14, 5, tzinfo=UTC)
    assert e.expired.gap.total_seconds() == 720
    assert e.tokens_missed == 5000
    assert "12 min passed since the previous request" in e.summary
    assert "2026-12-06 14:00:00 UTC → 2026-12-06 14:12:00 UTC" in e.summary
    assert "5-minute cache lifetime" in e.summary


def test_a_one_hour_ttl_outlives_twelve_minutes_but_not_two_hours() -> None:
    first = request(system=[cached(text(MANUAL), ttl="1h")], tools=[tool("lookup")])
    e = explain(first, first, previous_at=0, current_at=12 * 60, current_usage=READ)
    assert e.hit and e.expired is None and e.breakpoints[0].ttl == "1h"
    e = explain(first, first, previous_at=0, current_at=2 * 3600)
    assert e.expired is not None and e.expired.ttl == "1h"


def test_top_level_cache_control_is_a_breakpoint_on_the_last_block() -> None:
    plain = {
        "model": MODEL,
        "max_tokens": 64,
        "cache_control": EPHEMERAL,
        "system": "Be brief. " + MANUAL,
        "messages": [{"role": "user", "content": "hi"}],
    }
    e = explain(plain, {**plain, "system": "Be briefer. " + MANUAL})
    assert [(b.path, b.automatic) for b in e.breakpoints] == [(("messages", 0, "content"), True)]
    assert e.section == "system" and e.change is not None and e.change.path == ("system",)
    assert e.change.character == 9


def test_no_breakpoint_means_nothing_was_cached() -> None:
    plain = request(tools=[tool("a")], system="x")
    e = explain(plain, {**plain, "system": "y"})
    assert e.section is None and not e.breakpoints and not e.hit
    assert "no cache_control breakpoint" in e.summary


def test_a_miss_nothing_explains_says_so() -> None:
    e = explain(request(), request(), current_usage=WROTE)  # no times: expiry unknown
    assert e.section is None and e.expired is None and e.unexplained and not e.hit
    assert e.tokens_missed == 5000
    assert "yet the cache was not read" in e.summary


def test_unknown_usage_gives_no_figures() -> None:
    e = explain_cache(request(), request(model="other"))
    assert e.tokens_missed is None and e.cost_missed is None
    assert "were written again" in e.summary


def test_states_and_turns_are_runs() -> None:
    first, second = StreamState(request=request()), StreamState(request=request(model="x"))
    for state, msg_id in ((first, "msg_1"), (second, "msg_2")):
        state.apply_all([message_start(MODEL, message_id=msg_id), *message_end()])
    assert explain_cache(first, second).section == "model"
    with pytest.raises(ValueError, match="request is unknown"):
        explain_cache(StreamState(), second)
    with pytest.raises(TypeError, match="not a run"):
        explain_cache(42, second)


def test_a_one_megabyte_system_prompt_is_explained_whole() -> None:
    big = "x" * 1_000_000
    e = explain(request(system=[cached(text(big))]), request(system=[cached(text(big + "y"))]))
    assert e.section == "system"  # the cached block itself grew: a change, not an append
    assert e.change is not None and e.change.character == 1_000_001
    assert (e.change.before.changed, e.change.after.changed) == ("", "y")
    e = explain(
        request(system=[cached(text(big))]),
        request(system=[cached(text(big[:-1] + "y"))]),
    )
    assert e.change is not None and e.change.character == 1_000_000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["user", "assistant"]), st.text(max_size=30)),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.text(max_size=30), min_size=1, max_size=5),
    st.booleans(),
)
def test_appending_after_the_last_breakpoint_never_reports_a_miss(
    kept: list[tuple[str, str]], added: list[str], move_marker: bool
) -> None:
    messages: list[dict[str, Any]] = [
        {"role": role, "content": [text(body)]} for role, body in kept
    ]
    first = copy.deepcopy(messages)
    first[-1]["content"][-1] = cached(first[-1]["content"][-1])
    second = copy.deepcopy(first if not move_marker else messages)
    second += [
        {"role": "user" if i % 2 else "assistant", "content": [text(body)]}
        for i, body in enumerate(added)
    ]
    if move_marker:
        second[-1]["content"][-1] = cached(second[-1]["content"][-1])
    e = explain_cache(request(messages=first), request(messages=second), current_usage=READ)
    assert e.section is None and e.change is None and e.expired is None
    assert all(b.holds for b in e.breakpoints)


# --------------------------------------------------------------------------- the gallery

PAIRS = {
    "cache_timestamp": "system",
    "cache_tools_reordered": "tools",
    "cache_message_edited": "messages",
    "cache_ttl_lapsed": None,
    "cache_appended": None,
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_gallery_pairs_agree_with_the_api(name: str) -> None:
    previous, current = gallery.conversation(name)
    e = explain_cache(previous, current)
    assert e.section == PAIRS[name]
    assert e.section == e.server_section  # the local rules and the API's reason agree
    if e.server_reason is not None:
        assert SERVER_SECTIONS[e.server_reason["type"]] == e.section
        assert e.tokens_missed == e.server_tokens_missed
    first = gallery.load(f"{name}.turn1")
    assert first.request is not None and first.request["diagnostics"] == {
        "previous_message_id": None
    }
    second = gallery.load(f"{name}.turn2")
    assert second.request is not None
    assert second.request["diagnostics"] == {
        "previous_message_id": first.events[0]["message"]["id"]
    }
    assert e.hit == (name == "cache_appended")
    assert (e.expired is not None) == (name == "cache_ttl_lapsed")


def test_gallery_events_validate_against_the_sdk_beta_models() -> None:
    from anthropic.types.beta import BetaRawMessageStreamEvent
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(BetaRawMessageStreamEvent)
    for name in PAIRS:
        for turn in gallery.conversation(name):
            for event in gallery.load(turn.stem).events:
                if event["type"] != "ping":  # ping is not in the SDK's event union
                    adapter.validate_python(event)
    start = gallery.load("cache_timestamp.turn2").events[0]
    model = adapter.validate_python(start)
    assert model.message.diagnostics.cache_miss_reason.type == "system_changed"


# --------------------------------------------------------------------------- asking the API


def test_the_argument_for_a_users_own_call() -> None:
    state = StreamState()
    state.apply(message_start(MODEL, message_id="msg_prev"))
    assert cache_diagnostics(state) == {"diagnostics": {"previous_message_id": "msg_prev"}}
    assert cache_diagnostics() == {"diagnostics": {"previous_message_id": None}}
    assert message_id_of({"id": "msg_x"}) == "msg_x" and message_id_of("msg_y") == "msg_y"

    def old_create(*, model: str, messages: Any, extra_body: Any = None) -> None: ...

    assert not takes_diagnostics(old_create)
    assert diagnostics_arguments("msg_1", old_create, {"keep": 1}) == {
        "extra_body": {"keep": 1, "diagnostics": {"previous_message_id": "msg_1"}}
    }


def test_the_servers_reason_is_read_from_the_stream() -> None:
    state = StreamState()
    start = message_start(MODEL)
    start["message"]["diagnostics"] = {
        "cache_miss_reason": {"type": "tools_changed", "cache_missed_input_tokens": 7}
    }
    state.apply(start)
    assert server_cache_miss(state) == {"type": "tools_changed", "cache_missed_input_tokens": 7}
    assert server_cache_miss(StreamState()) is None


def two_turns() -> list[list[dict[str, Any]]]:
    first = [
        message_start(MODEL, message_id="msg_turn_one"),
        *tool_events(0, "add", {"a": 2, "b": 3}),
        *message_end("tool_use"),
    ]
    second = [message_start(MODEL, message_id="msg_turn_two"), *text_events(0, "5"), *message_end()]
    return [first, second]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize("mode", ["sync-create", "sync-stream", "async-create"])
def test_diagnose_cache_chains_each_request_with_the_sdk(mode: str) -> None:
    server = MockAPI(two_turns())
    client: Any = server.async_client() if mode.startswith("async") else server.sync_client()
    method: Any = "stream" if mode.endswith("stream") else "create"
    loop = ToolLoop(
        client, model=MODEL, max_tokens=64, tools=[add], method=method, diagnose_cache=True
    )
    if mode.startswith("async"):
        asyncio.run(loop.arun("2+3?"))
    else:
        loop.run("2+3?")
    first, second = server.bodies
    assert first["diagnostics"] == {"previous_message_id": None}
    assert second["diagnostics"] == {"previous_message_id": "msg_turn_one"}
    assert loop.turns[1].request is not None
    assert loop.turns[1].request["diagnostics"] == {"previous_message_id": "msg_turn_one"}
    assert loop.turns[0].sent_at is not None and loop.turns[1].sent_at is not None


def test_without_the_flag_the_requests_are_unchanged() -> None:
    plain, flagged_off = MockAPI(two_turns()), MockAPI(two_turns())
    ToolLoop(plain.sync_client(), model=MODEL, max_tokens=64, tools=[add]).run("2+3?")
    ToolLoop(
        flagged_off.sync_client(), model=MODEL, max_tokens=64, tools=[add], diagnose_cache=False
    ).run("2+3?")
    assert plain.raw == flagged_off.raw
    assert all("diagnostics" not in body for body in plain.bodies)
    assert json.loads(plain.raw[0]) == {
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "2+3?"}],
        "model": MODEL,
        "stream": True,
        "tools": [
            {
                "name": "add",
                "description": "Add two integers.",
                "input_schema": json.loads(json.dumps(plain.bodies[0]["tools"][0]["input_schema"])),
            }
        ],
    }


class _OldMessages:
    """An SDK whose ``messages.create`` has no ``diagnostics`` parameter (before 2.17)."""

    def __init__(self, messages: Any) -> None:
        self._messages = messages

    def create(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Any,
        stream: bool = False,
        tools: Any = None,
        extra_body: Any = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"tools": tools} if tools is not None else {}
        return self._messages.create(
            model=model,
            max_tokens=max_tokens,
            messages=messages,
            stream=stream,
            extra_body=extra_body,
            **kwargs,
        )


class _OldClient:
    def __init__(self, client: Any) -> None:
        self.messages = _OldMessages(client.messages)


def test_an_sdk_without_the_parameter_gets_extra_body_and_the_wire_is_the_same() -> None:
    server = MockAPI(two_turns())
    client = _OldClient(server.sync_client())
    assert "diagnostics" not in inspect.signature(client.messages.create).parameters
    loop = ToolLoop(client, model=MODEL, max_tokens=64, tools=[add], diagnose_cache=True)
    loop.run("2+3?")
    first, second = server.bodies
    assert first["diagnostics"] == {"previous_message_id": None}
    assert second["diagnostics"] == {"previous_message_id": "msg_turn_one"}
    assert loop.turns[1].request is not None and "extra_body" in loop.turns[1].request
    state = loop.turns[1].state
    assert state is not None and state.request is not None
    assert state.request["diagnostics"] == {"previous_message_id": "msg_turn_one"}


def test_diagnose_cache_is_checked() -> None:
    server = MockAPI(two_turns())
    with pytest.raises(TypeError, match="diagnose_cache must be True or False"):
        ToolLoop(server.sync_client(), model=MODEL, max_tokens=8, diagnose_cache=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not both"):
        ToolLoop(
            server.sync_client(),
            model=MODEL,
            max_tokens=8,
            diagnose_cache=True,
            diagnostics={"previous_message_id": None},
        )


def test_show_runner_chains_each_request_of_the_sdks_tool_runner() -> None:
    from test_runner import recorded_turns, sync_runner, sync_tools

    from streamscope.core.loop.runner_watch import RunnerWatch

    server = MockAPI(recorded_turns())
    watch = RunnerWatch(sync_runner(server, sync_tools([])), diagnose_cache=True)
    watch.run()
    ids = [turn.state.message_id for turn in watch.turns if turn.state is not None]
    sent = [body.get("diagnostics") for body in server.bodies]
    assert len(sent) == len(ids) == 4
    assert sent == [{"previous_message_id": previous} for previous in [None, *ids[:-1]]]

    plain = MockAPI(recorded_turns())
    RunnerWatch(sync_runner(plain, sync_tools([]))).run()
    assert all("diagnostics" not in body for body in plain.bodies)
    assert [json.loads(raw)["messages"] for raw in plain.raw] == [
        body["messages"] for body in server.bodies
    ]


def test_a_small_miss_cost_does_not_read_as_zero() -> None:
    """96 tokens written again cost a fraction of a cent: written as every figure writes a
    cost ($0.0000xx), not "$0.0000 more than a read" (notebook 04)."""
    e = explain_cache(*gallery.conversation("cache_message_edited"))
    assert e.cost_missed is not None and 0 < e.cost_missed < 0.00005
    assert "$0.0000 " not in e.summary
    assert f"{fmt_usd(e.cost_missed)} more than a read" in e.summary
