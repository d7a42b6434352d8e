"""The loop always answers (issue 19): whatever a tool returns or raises and whatever text a
stream carried, the next request is one the real SDK sends and the API accepts; tool names
are checked when the tool is defined; thinking goes back byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import pytest
from mock_api import MockAPI
from pydantic import BaseModel, Field
from streams import (
    block_delta,
    block_start,
    message_end,
    message_start,
    text_events,
    thinking_events,
    tool_events,
)

from streamscope.core import ToolLoop, request_code
from streamscope.core.loop.export import load_conversation
from streamscope.core.loop.outgoing import sendable, sendable_text
from streamscope.core.tools.names import check_tool_name
from streamscope.core.tools.tool import Tool, ToolResult, tool

Event = dict[str, Any]
DONE = [message_start(), *text_events(0, "Done."), *message_end()]


def call_turn(name: str, tool_input: Any, *, before: list[Event] | None = None) -> list[Event]:
    """A turn: ``before`` blocks (indexes from 0), then one call of ``name``."""
    head = before or []
    index = 1 + max((e["index"] for e in head if "index" in e), default=-1)
    return [
        message_start(),
        *head,
        *tool_events(index, name, tool_input, tool_id="toolu_01"),
        *message_end("tool_use"),
    ]


def run_loop(turns: list[list[Event]], tools: list[Any]) -> tuple[ToolLoop, MockAPI]:
    api = MockAPI(turns)
    loop = ToolLoop(api.sync_client(), model="claude-sonnet-4-5", max_tokens=256, tools=tools)
    loop.run("Go.")
    return loop, api


def result_block(api: MockAPI) -> dict[str, Any]:
    """The tool_result the second request carried (as the API received it)."""
    block: dict[str, Any] = api.bodies[1]["messages"][-1]["content"][0]
    assert block["type"] == "tool_result"
    return block


# --------------------------------------------------------------------------- UTF-8


def test_sendable_text_joins_pairs_and_replaces_lone_surrogates() -> None:
    assert sendable_text("a\ud83d\ude00b") == ("a😀b", 0)
    assert sendable_text("x\ud800y\udfff") == ("x\ufffdy\ufffd", 2)
    assert sendable_text("plain \ufffd") == ("plain \ufffd", 0)
    value = {"k\ud800": ["\ud800", {"deep": "\udc00"}], "n": 1}
    fixed, count = sendable(value)
    assert fixed == {"k\ufffd": ["\ufffd", {"deep": "\ufffd"}], "n": 1} and count == 3
    assert value == {"k\ud800": ["\ud800", {"deep": "\udc00"}], "n": 1}  # never changed
    same = {"a": ["b"]}
    assert sendable(same)[0] is same


def test_a_tool_returning_a_lone_surrogate_still_gets_its_answer(tmp_path: Path) -> None:
    def echo(text: str) -> str:
        """Echo."""
        return f"got \ud800 {text}"

    loop, api = run_loop([call_turn("echo", {"text": "hi"}), DONE], [echo])
    assert loop.stop_reason == "end_turn", loop.failure
    assert result_block(api)["content"] == "got \ufffd hi"  # what UTF-8 can carry
    assert loop.messages[2]["content"][0]["content"] == "got \ud800 hi"  # the exact text
    problems = [p for turn in loop.turns for p in turn.problems]
    assert [p.kind for p in problems] == ["unsendable_text"]
    state = loop.turns[1].state
    assert state is not None and "unsendable_text" in [p.kind for p in state.problems]
    loop.export_json(tmp_path / "c.json")
    assert "\\ud800" in (tmp_path / "c.json").read_text("utf-8")  # exports keep it exactly
    _params, messages = load_conversation(tmp_path / "c.json")
    assert messages[2]["content"][0]["content"] == "got \ud800 hi"


def test_an_emoji_split_across_two_deltas_is_sent_whole() -> None:
    def echo(text: str) -> str:
        """Echo."""
        return text

    halves = [
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "smile \ud83d"}),
        block_delta(0, {"type": "text_delta", "text": "\ude00 done"}),
        {"type": "content_block_stop", "index": 0},
    ]
    loop, api = run_loop([call_turn("echo", {"text": "x"}, before=halves), DONE], [echo])
    assert loop.stop_reason == "end_turn", loop.failure
    sent = api.bodies[1]["messages"][1]["content"][0]
    assert sent == {"type": "text", "text": "smile \U0001f600 done"}  # one character, whole
    assert "\U0001f600".encode() in api.raw[1] or b"\\ud83d\\ude00" in api.raw[1]
    assert not [p for turn in loop.turns for p in turn.problems]  # a pair is no problem


# --------------------------------------------------------------------------- results


def test_a_result_that_cannot_be_sent_is_an_error_naming_the_tool() -> None:
    def odd() -> ToolResult:
        """Odd."""
        return ToolResult(content=object())  # type: ignore[arg-type]

    loop, api = run_loop([call_turn("odd", {}), DONE], [odd])
    assert loop.stop_reason == "end_turn", loop.failure
    block = result_block(api)
    assert block["is_error"] is True
    assert block["content"].startswith("The result of tool 'odd' could not be sent")
    assert "not object" in block["content"]


def test_a_block_list_that_is_not_json_is_an_error() -> None:
    def blocks() -> ToolResult:
        """Blocks."""
        return ToolResult(content=[{"type": "text", "text": float("nan")}])

    loop, api = run_loop([call_turn("blocks", {}), DONE], [blocks])
    assert loop.stop_reason == "end_turn" and result_block(api)["is_error"] is True


# --------------------------------------------------------------------------- conversion


def multiple_of_three(n: Annotated[int, Field(multiple_of=3)]) -> int:
    """Needs a multiple of three."""
    return n


class Node(BaseModel):
    child: Optional[Node] = None  # noqa: UP045 - the shape of issue 19's report


def walk(node: Node) -> int:
    """Walk a tree."""
    return 1


def deep_node(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    here = root
    for _ in range(depth):
        here["child"] = {}
        here = here["child"]
    return {"node": root}


@pytest.mark.parametrize(
    ("fn", "raw", "said"),
    [
        # jsonschema-rs checks the 401-digit integer exactly, before pydantic could overflow
        (multiple_of_three, '{"n": ' + "1" * 401 + "}", "must be a multiple of 3"),
        # and stops at its depth limit on the 400-deep tree, in words
        (walk, json.dumps(deep_node(400)), "maximum validation depth exceeded"),
    ],
)
def test_unlucky_arguments_become_error_results(fn: Any, raw: str, said: str) -> None:
    """Whatever the arguments do to the checks, the loop answers with an is_error result
    that says why, and goes on (issue 19: an OverflowError or RecursionError ended it)."""
    loop, api = run_loop([call_turn(fn.__name__, raw), DONE], [fn])
    assert loop.stop_reason == "end_turn", loop.failure
    block = result_block(api)
    assert block["is_error"] is True and said in block["content"]
    assert fn.__name__ in block["content"]


def test_a_conversion_that_raises_becomes_an_error_result_and_a_problem() -> None:
    """A check that raises inside the tool's own conversion (pydantic) is answered too."""

    def explode(n: int) -> int:
        """Convert badly."""
        return n

    tool_ = tool(explode)

    def failing_validate(tool_input: Any) -> dict[str, Any]:
        raise RecursionError("maximum recursion depth exceeded")

    tool_._validate = failing_validate  # type: ignore[method-assign]
    loop, api = run_loop([call_turn("explode", '{"n": 1}'), DONE], [tool_])
    assert loop.stop_reason == "end_turn", loop.failure
    block = result_block(api)
    assert block["is_error"] is True and "RecursionError" in block["content"]
    assert "could not be checked or converted" in block["content"]
    [problem] = loop.turns[0].problems
    assert problem.kind == "tool_arguments_not_converted" and "RecursionError" in problem.message
    state = loop.turns[0].state
    assert state is not None
    assert "tool_arguments_not_converted" in [p.kind for p in state.problems]  # the view's mark
    assert loop.turns[0].executions[0].status == "failed"


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "it is empty"),
        ("<lambda>", "holds '<'"),
        ("get weather", "holds ' '"),
        ("<b>x</b>", "holds '<'"),
        ("a" * 65, "65 characters long"),
        ("dotted.name", "holds '.'"),
        ("café", "holds 'é'"),
    ],
)
def test_tool_names_the_api_refuses_are_refused_when_defined(name: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_tool_name(name)
    with pytest.raises(ValueError, match="cannot be the name of a tool"):
        Tool(lambda: None, name=name)
    with pytest.raises(ValueError, match=r"cannot be the name of a client tool|needs a .name."):
        ToolLoop(
            MockAPI(every=DONE).sync_client(),
            model="m",
            max_tokens=1,
            tools=[{"name": name, "input_schema": {"type": "object"}}],
        )


def test_good_names_and_server_tools_pass() -> None:
    for name in ("a", "get_weather", "x-y_Z9", "a" * 64):
        assert check_tool_name(name) == name
    with pytest.raises(ValueError, match="'<lambda>' cannot be the name"):
        tool(lambda: None)
    assert tool(lambda: None, name="ok").name == "ok"
    loop = ToolLoop(
        MockAPI(every=DONE).sync_client(),
        model="m",
        max_tokens=1,
        tools=[{"type": "web_search_20250305", "name": "web_search"}],
    )
    assert loop.tool_params[0]["name"] == "web_search"


# --------------------------------------------------------------------------- thinking


def test_thinking_and_signatures_go_back_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_resend import run_code

    def echo(text: str) -> str:
        """Echo."""
        return text

    thinking = "The key api_key=abc and Bearer abcdefghijkl are examples; sk-ant-api03-xyzxyzxyz."
    signature = "EqQBCkYIBxgCKkB+/token=secret==\u00e9"
    turn1 = call_turn(
        "echo", {"text": "x"}, before=thinking_events(0, thinking, signature=signature)
    )
    loop, api = run_loop([turn1, DONE], [echo])
    assert loop.stop_reason == "end_turn", loop.failure
    sent = api.bodies[1]["messages"][1]["content"][0]
    assert sent == {"type": "thinking", "thinking": thinking, "signature": signature}
    # the code to send it again carries it exactly too
    again = MockAPI(every=DONE)
    run_code(request_code(loop), again, monkeypatch)
    assert again.sent()["messages"][1]["content"][0] == sent
    assert again.sent() == api.sent(1)  # the whole request, as the loop sent it
