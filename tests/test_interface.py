"""StreamingInterface: the seed's contract, without the seed's bugs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anthropic
import httpx2
import pytest
from conftest import recorded
from mock_api import sse_body
from streams import (
    error_event,
    message_end,
    message_start,
    parallel_tools_stream,
    redacted_thinking_events,
    text_events,
    thinking_events,
    tool_events,
)
from test_sources import sse_response

from streamscope.core import StreamAPIError, StreamingInterface, gallery, read_events
from streamscope.core.letta import (
    AssistantMessage,
    HiddenReasoningMessage,
    ReasoningContent,
    ReasoningMessage,
    RedactedReasoningContent,
    StopReasonMessage,
    StreamMessage,
    TextContent,
)
from streamscope.core.wire.sse import parse_sse_events

Event = dict[str, Any]


async def agen(events: Iterable[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event


async def collect(iface: StreamingInterface, source: Any) -> list[StreamMessage]:
    return [m async for m in iface.process(source)]


def run(iface: StreamingInterface, events: list[Event]) -> list[StreamMessage]:
    return asyncio.run(collect(iface, agen(events)))


def types(messages: list[StreamMessage]) -> list[str]:
    return [m.message_type for m in messages]


def test_message_stream_for_thinking_text_and_parallel_tools() -> None:
    events = parallel_tools_stream(
        [("get_weather", {"city": "Paris"}), ("get_time", {"tz": "CET"})],
        thinking="Two lookups.",
        text="Checking.",
        chunk=4,
    )
    iface = StreamingInterface()
    messages = run(iface, events)
    kinds = types(messages)
    assert kinds[-1] == "stop_reason" and messages[-1].stop_reason == "tool_use"  # type: ignore[union-attr]
    reasoning = [m for m in messages if m.message_type == "reasoning_message"]
    assert "".join(m.reasoning for m in reasoning) == "Two lookups."
    assert [m.signature for m in reasoning if m.signature] == ["EqQBCkYIBxgCKkBsig=="]
    text = [m.content for m in messages if m.message_type == "assistant_message"]
    assert "".join(text) == "Checking."
    calls = [m for m in messages if m.message_type == "tool_call_message"]
    by_index: dict[int | None, str] = {}
    for m in calls:
        by_index[m.index] = by_index.get(m.index, "") + (m.tool_call.arguments or "")
    assert [json.loads(v) for v in by_index.values()] == [{"city": "Paris"}, {"tz": "CET"}]
    objects = iface.get_tool_call_objects()
    assert [o.function.name for o in objects] == ["get_weather", "get_time"]
    assert json.loads(objects[0].function.arguments) == {"city": "Paris"}
    assert iface.get_tool_call_object() == objects[0]


def test_approval_tools_are_announced_as_approval_requests() -> None:
    events = parallel_tools_stream([("delete_file", {"path": "/"}), ("ls", {})])
    messages = run(StreamingInterface(requires_approval_tools=["delete_file"]), events)
    approvals = [m for m in messages if m.message_type == "approval_request_message"]
    assert approvals and {m.tool_call.name for m in approvals} == {"delete_file"}
    plain = [m for m in messages if m.message_type == "tool_call_message"]
    assert {m.tool_call.name for m in plain} == {"ls"}


def test_usage_statistics_include_cache() -> None:
    events = parallel_tools_stream(
        [("f", {})],
        input_tokens=12,
        cache_creation_input_tokens=300,
        cache_read_input_tokens=4000,
        output_tokens=55,
    )
    iface = StreamingInterface()
    run(iface, events)
    stats = iface.get_usage_statistics()
    assert stats.prompt_tokens == 12 + 300 + 4000
    assert stats.completion_tokens == 55
    assert stats.total_tokens == 4312 + 55
    assert stats.cached_input_tokens == 4000
    assert stats.cache_write_tokens == 300


def test_content_keeps_each_thinking_block_and_its_signature() -> None:
    events = [
        message_start(),
        *thinking_events(0, "  first\n", signature="S1", chunk=2),
        *tool_events(1, "f", {"a": 1}),
        *thinking_events(2, " ", signature="S2", chunk=1),
        *redacted_thinking_events(3, "OPAQUE"),
        *text_events(4, "done"),
        *message_end(),
    ]
    iface = StreamingInterface()
    messages = run(iface, events)
    assert iface.get_content() == [
        ReasoningContent(reasoning="  first\n", signature="S1"),
        ReasoningContent(reasoning=" ", signature="S2"),
        RedactedReasoningContent(data="OPAQUE"),
        TextContent(text="done"),
    ]
    hidden = [m for m in messages if m.message_type == "hidden_reasoning_message"]
    assert [m.hidden_reasoning for m in hidden] == ["OPAQUE"]
    whitespace = [m for m in messages if m.message_type == "reasoning_message" and m.index == 2]
    assert [m.reasoning for m in whitespace] == [" ", ""]


def test_server_tool_deltas_do_not_break_the_stream() -> None:
    events = [
        message_start(),
        *tool_events(0, "web_search", {"query": "q"}, block_type="server_tool_use", chunk=2),
        *text_events(1, "found"),
        *tool_events(2, "f", {"x": 1}),
        *message_end("tool_use"),
    ]
    iface = StreamingInterface()
    messages = run(iface, events)
    assert {m.tool_call.name for m in messages if m.message_type == "tool_call_message"} == {"f"}
    assert [o.function.name for o in iface.get_tool_call_objects()] == ["f"]


def test_second_start_on_one_index_loses_no_tool() -> None:
    events = [
        message_start(),
        *tool_events(0, "first", {"a": 1}),
        *tool_events(0, "second", {"b": 2}),
        *message_end("tool_use"),
    ]
    iface = StreamingInterface()
    run(iface, events)
    assert [o.function.name for o in iface.get_tool_call_objects()] == ["first", "second"]
    assert [p.kind for p in iface.state.problems] == ["duplicate_start"]


def test_error_event_yields_error_stop_then_raises() -> None:
    events = [message_start(), *text_events(0, "partial", stop=False), error_event()]
    iface = StreamingInterface()
    seen: list[StreamMessage] = []

    async def consume() -> None:
        async for m in iface.process(agen(events)):
            seen.append(m)

    with pytest.raises(StreamAPIError) as info:
        asyncio.run(consume())
    assert info.value.error_type == "overloaded_error"
    assert seen[-1].message_type == "stop_reason" and seen[-1].stop_reason == "error"
    assert "".join(m.content for m in seen if m.message_type == "assistant_message") == "partial"
    assert iface.get_content() == [TextContent(text="partial")]


def test_source_exception_yields_error_stop_and_reraises() -> None:
    async def broken() -> AsyncIterator[Event]:
        yield message_start()
        raise ConnectionError("network cut")

    iface = StreamingInterface()
    seen: list[StreamMessage] = []

    async def consume() -> None:
        async for m in iface.process(broken()):
            seen.append(m)

    with pytest.raises(ConnectionError):
        asyncio.run(consume())
    assert types(seen) == ["stop_reason"]


def test_cancel_never_processes_an_event_twice() -> None:
    gate = asyncio.Event()
    events = [message_start(), *text_events(0, "abcdef", chunk=1, stop=False)]

    async def slow() -> AsyncIterator[Event]:
        for i, event in enumerate(events):
            if i == 4:
                gate.set()
                await asyncio.sleep(10)  # cancelled here
            yield event

    iface = StreamingInterface()

    async def main() -> None:
        task = asyncio.create_task(collect(iface, slow()))
        await gate.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert iface.state.event_count == 4
    block = iface.state.blocks[0]
    assert block.text == "ab"  # type: ignore[attr-defined]


def test_async_context_manager_is_entered_and_exited() -> None:
    calls: list[str] = []

    class Managed:
        def __init__(self, events: list[Event]) -> None:
            self.events = events

        async def __aenter__(self) -> Managed:
            calls.append("enter")
            return self

        async def __aexit__(self, *exc: object) -> None:
            calls.append("exit")

        def __aiter__(self) -> AsyncIterator[Event]:
            return agen(self.events)

    iface = StreamingInterface()
    asyncio.run(collect(iface, Managed([message_start(), *text_events(0, "hi"), *message_end()])))
    assert calls == ["enter", "exit"]
    assert iface.get_content() == [TextContent(text="hi")]


def test_recorded_parallel_tools_through_the_interface() -> None:
    events = read_events(recorded("llm-anthropic/test_tools.0.sse"))
    iface = StreamingInterface()
    messages = run(iface, events)
    assert messages[-1].stop_reason == "tool_use"  # type: ignore[union-attr]
    objects = iface.get_tool_call_objects()
    assert len(objects) == 2 and all(o.id.startswith("toolu_") for o in objects)
    for o in objects:
        json.loads(o.function.arguments)


# --------------------------------------------------------------------------- the real SDK client

REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-5",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Weather in Paris and the time in Tokyo?"}],
    "tools": [
        {"name": "get_weather", "input_schema": {"type": "object"}},
        {"name": "get_time", "input_schema": {"type": "object"}},
    ],
}


class RecordedAPI:
    """The Messages API as a mock HTTP transport for the real ``AsyncAnthropic`` client:
    serves one recorded SSE body, byte for byte, and keeps every request."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[httpx2.Request] = []

    def client(self) -> anthropic.AsyncAnthropic:
        async def handler(request: httpx2.Request) -> httpx2.Response:
            self.requests.append(request)
            return sse_response(self.body)

        return anthropic.AsyncAnthropic(
            api_key="test",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
        )


def _comparable(messages: list[StreamMessage]) -> list[dict[str, Any]]:
    return [m.model_dump(exclude={"id", "date"}) for m in messages]


def _recorded_body(name: str) -> bytes:
    if name.startswith("gallery:"):
        return sse_body(gallery.load_events(name.removeprefix("gallery:")))
    return recorded(name).read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "llm-anthropic/test_tools.0.sse",
        "llm-anthropic/test_thinking_prompt.0.sse",
        "pydantic-ai/test_anthropic_model_thinking_part_redacted_stream.0.sse",
        "gallery:parallel_tools",  # packaged with streamscope: runs without ../shared
    ],
)
def test_process_a_raw_stream_from_the_real_async_client(name: str) -> None:
    body = _recorded_body(name)
    api = RecordedAPI(body)
    client = api.client()
    iface = StreamingInterface()

    async def main() -> tuple[Any, list[StreamMessage]]:
        stream = await client.messages.create(**REQUEST, stream=True)
        return stream, [m async for m in iface.process(stream)]

    stream, messages = asyncio.run(main())

    # The request the SDK sent.
    (request,) = api.requests
    assert (request.method, request.url.path) == ("POST", "/v1/messages")
    auth = (request.headers.get("x-api-key"), request.headers.get("authorization"))
    assert auth in (("test", None), (None, "Bearer test"))  # the key, as this SDK sends it
    assert request.headers["anthropic-version"]
    assert request.headers["x-stainless-async"].startswith("async:")  # the async client
    assert json.loads(request.content) == {**REQUEST, "stream": True}
    assert stream.response.is_closed  # nothing left open once process() is done

    # What came back: exactly what the same events give as plain dicts, and what the
    # wire says.
    wire = [event for event in parse_sse_events(body) if event["type"] != "ping"]
    assert not iface.state.problems
    assert iface.state.event_count == len(wire)
    plain = asyncio.run(collect(StreamingInterface(), agen(wire)))
    assert _comparable(messages) == _comparable(plain)
    stop = [e["delta"]["stop_reason"] for e in wire if e["type"] == "message_delta"][-1]
    assert messages[-1] == StopReasonMessage(stop_reason=stop)
    deltas = [e["delta"] for e in wire if e["type"] == "content_block_delta"]
    text = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
    assert "".join(m.content for m in messages if isinstance(m, AssistantMessage)) == text
    thinking = "".join(d["thinking"] for d in deltas if d["type"] == "thinking_delta")
    reasoning = [m for m in messages if isinstance(m, ReasoningMessage)]
    assert "".join(m.reasoning for m in reasoning) == thinking
    signatures = [d["signature"] for d in deltas if d["type"] == "signature_delta"]
    assert [m.signature for m in reasoning if m.signature] == signatures
    starts = [e["content_block"] for e in wire if e["type"] == "content_block_start"]
    tools = [(b["id"], b["name"]) for b in starts if b["type"] == "tool_use"]
    objects = iface.get_tool_call_objects()
    assert [(o.id, o.function.name) for o in objects] == tools
    for o in objects:
        assert isinstance(json.loads(o.function.arguments), dict)
    redacted = [b["data"] for b in starts if b["type"] == "redacted_thinking"]
    hidden = [m.hidden_reasoning for m in messages if isinstance(m, HiddenReasoningMessage)]
    assert hidden == redacted
    assert tools or text or redacted  # each recording has something to show
