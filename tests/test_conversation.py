"""ToolLoop.export_json and load_conversation: the conversation goes on, byte for byte."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from mock_api import MockAPI
from streams import (
    message_end,
    message_start,
    redacted_thinking_events,
    text_events,
    thinking_events,
    tool_events,
)
from test_request import KEY

from streamscope.core import ToolLoop, load_conversation
from streamscope.core.loop.export import CONVERSATION_SCHEMA, conversation_document

Event = dict[str, Any]
MODEL = "claude-test"
THINKING = "Plan: add them.  Then answer — briefly, in French: « d'accord » ☕ 𝄞\n\n  "
SIGNATURE = "EqQBCkYIBxgCKkB" + "A1b2C3d4/+=" * 30


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def turns() -> list[list[Event]]:
    first = [
        message_start(MODEL),
        *thinking_events(0, THINKING, SIGNATURE),
        *redacted_thinking_events(1),
        *text_events(2, "Je calcule…"),
        *tool_events(3, "add", {"a": 2, "b": 3}),
        *message_end("tool_use"),
    ]
    second = [
        message_start(MODEL, message_id="msg_test_0002"),
        *thinking_events(0, "It is 5.", "Sig2" + "x" * 40),
        *text_events(1, "Ça fait 5."),
        *message_end(),
    ]
    return [first, second, [message_start(MODEL), *text_events(0, "De rien."), *message_end()]]


def run_loop(server: MockAPI, **kwargs: Any) -> ToolLoop:
    loop = ToolLoop(
        server.sync_client(),
        model=MODEL,
        max_tokens=4096,
        tools=[add],
        system="Réponds en français.",
        thinking={"type": "enabled", "budget_tokens": 2048},
        extra_headers={"x-api-key": KEY},
        timeout=30,
        **kwargs,
    )
    loop.run("Combien font 2 + 3 ?")
    return loop


def test_the_document() -> None:
    loop = run_loop(MockAPI(turns()))
    doc = conversation_document(loop, created="2025-11-03T09:00:00.000Z")
    assert doc["schema"] == CONVERSATION_SCHEMA == "streamscope.conversation/1"
    assert doc["params"] == {
        "model": MODEL,
        "max_tokens": 4096,
        "tools": loop.tool_params,
        "system": "Réponds en français.",
        "thinking": {"type": "enabled", "budget_tokens": 2048},
    }  # no headers, no key, no timeout
    assert doc["messages"] == loop.messages and len(doc["messages"]) == 4
    assert doc["stop_reason"] == "end_turn"
    assert [t["number"] for t in doc["turns"]] == [1, 2]
    assert doc["turns"][0]["stop_reason"] == "tool_use"
    assert doc["turns"][1]["message_id"] == "msg_test_0002"


def test_export_and_load_continue_the_conversation_byte_for_byte(tmp_path: Path) -> None:
    original = MockAPI(turns())
    loop = run_loop(original)
    path = loop.export_json(tmp_path / "run.json")
    assert path == tmp_path / "run.json" and not (tmp_path / "run.json.partial").exists()
    text = path.read_text(encoding="utf-8")
    assert (
        KEY not in text
        and "x-api-key" not in text
        and THINKING.strip() in json.loads(text)["messages"][1]["content"][0]["thinking"]
    )
    params, messages = load_conversation(path)
    assert messages == loop.messages
    again = MockAPI([turns()[1], turns()[2]])
    client: Any = again.sync_client()
    # the second request of the run, sent again from the file: the very same bytes
    client.messages.create(**params, messages=messages[:3], stream=True).close()
    assert again.raw[0] == original.raw[1]
    # and the conversation goes on: every earlier turn goes back exactly as it streamed
    more = [*messages, {"role": "user", "content": "Merci !"}]
    client.messages.create(**params, messages=more, stream=True).close()
    sent = again.bodies[1]
    assert sent["messages"] == more
    thinking = sent["messages"][1]["content"][0]
    assert thinking == {"type": "thinking", "thinking": THINKING, "signature": SIGNATURE}
    assert sent["messages"][1]["content"][1]["type"] == "redacted_thinking"


@pytest.mark.parametrize("beta", [False, True])
def test_betas_as_a_header_or_for_the_beta_endpoint(beta: bool, tmp_path: Path) -> None:
    original = MockAPI(turns())
    loop = run_loop(original, betas=["interleaved-thinking-2025-05-14"])
    path = loop.export_json(tmp_path / "run.json")
    assert json.loads(path.read_text())["params"]["betas"] == ["interleaved-thinking-2025-05-14"]
    params, messages = load_conversation(path, beta=beta)
    again = MockAPI([turns()[1]])
    client: Any = again.sync_client()
    if beta:
        assert params["betas"] == ["interleaved-thinking-2025-05-14"]
        client.beta.messages.create(**params, messages=messages[:3], stream=True).close()
    else:
        assert params["extra_headers"] == {"anthropic-beta": "interleaved-thinking-2025-05-14"}
        client.messages.create(**params, messages=messages[:3], stream=True).close()
    assert again.raw[0] == original.raw[1]
    assert again.headers[0]["anthropic-beta"] == original.headers[1]["anthropic-beta"]


def test_the_async_client_continues_it_too(tmp_path: Path) -> None:
    original = MockAPI(turns())
    loop = run_loop(original)
    params, messages = load_conversation(loop.export_json(tmp_path / "run.json"))
    again = MockAPI([turns()[1]])

    async def main() -> None:
        client: Any = again.async_client()
        stream = await client.messages.create(**params, messages=messages[:3], stream=True)
        await stream.close()

    asyncio.run(main())
    assert again.raw[0] == original.raw[1]


def test_parameters_the_sdk_does_not_take_go_in_extra_body(tmp_path: Path) -> None:
    loop = run_loop(MockAPI(turns()), extra_body={"top_k": 3})
    loop.request_kwargs["temperature"] = 0.5  # a field this SDK's create() does not name
    path = loop.export_json(tmp_path / "run.json")
    assert json.loads(path.read_text())["params"]["top_k"] == 3  # sent in the body
    params, _ = load_conversation(path)
    assert params["extra_body"] == {"top_k": 3, "temperature": 0.5}
    assert "top_k" not in params and "temperature" not in params


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"schema": "streamscope.conversation/2", "params": {}, "messages": []}, "upgrade"),
        ({"schema": "something/1"}, "not a streamscope conversation"),
        ([1, 2], "not a streamscope conversation"),
        ({"schema": "streamscope.conversation/1", "params": [], "messages": []}, "params must"),
    ],
)
def test_files_it_cannot_read(content: Any, message: str, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message):
        load_conversation(path)


def test_unknown_fields_are_ignored_and_a_lone_surrogate_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(
        '{"schema": "streamscope.conversation/1", "future": 1, "params": {"model": "m"}, '
        '"messages": [{"role": "user", "content": "\\ud83d"}]}'
    )
    params, messages = load_conversation(path)
    assert params == {"model": "m"} and messages[0]["content"] == "\ud83d"
