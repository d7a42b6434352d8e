"""Synthetic Anthropic streams for tests: builders of wire-shaped event dict lists.

Small pieces (``message_start``, ``text_events``, ``thinking_events``, ``tool_events``,
``message_end`` ...) compose into whole streams (``text_stream``, ``thinking_stream``,
``parallel_tools_stream``, ``rich_stream``, ``hostile_stream``). ``build_state`` reduces a
list into a finished :class:`StreamState` with evenly spaced synthetic times, so timings and
timelines are deterministic. ``held_recording`` writes a gallery recording that stops short
for an hour: a replay of it stays live where a browser test needs it. ``HOSTILE`` holds
markup payloads that must stay inert in every view: each sets ``window.__pwned`` if it
ever runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from streamscope.core.io import gallery
from streamscope.core.io.cassette import read_cassette, write_cassette
from streamscope.core.stream.state import StreamState

Event = dict[str, Any]

DEFAULT_MODEL = "claude-sonnet-4-5"

HOSTILE_IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_SCRIPT = "<script>window.__pwned=1</script>"
HOSTILE_SVG = '"><svg onload="window.__pwned=1">'
HOSTILE_IFRAME = '<iframe src="javascript:window.__pwned=1"></iframe>'
HOSTILE_LINK = "[click](javascript:window.__pwned=1)"
HOSTILE = (HOSTILE_IMG, HOSTILE_SCRIPT, HOSTILE_SVG, HOSTILE_IFRAME, HOSTILE_LINK)
"""Payloads that would run ``window.__pwned=1`` if a view let them through."""
HOSTILE_TEXT = " ".join(HOSTILE)


def chunks(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of ``size`` characters (at least one piece)."""
    if size < 1:
        raise ValueError("chunk size must be >= 1")
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def message_start(
    model: str = DEFAULT_MODEL,
    *,
    message_id: str = "msg_test_0001",
    input_tokens: int = 25,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    usage: dict[str, Any] | None = None,
) -> Event:
    """A ``message_start`` event with an empty content list."""
    if usage is None:
        usage = {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_creation_input_tokens,
            "cache_read_input_tokens": cache_read_input_tokens,
            "output_tokens": 1,
        }
    return {
        "type": "message_start",
        "message": {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        },
    }


def block_start(index: int, block: dict[str, Any]) -> Event:
    return {"type": "content_block_start", "index": index, "content_block": block}


def block_delta(index: int, delta: dict[str, Any]) -> Event:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def block_stop(index: int) -> Event:
    return {"type": "content_block_stop", "index": index}


def text_events(index: int, text: str, chunk: int = 8, *, stop: bool = True) -> list[Event]:
    """A text block: start, ``text_delta`` pieces of ``chunk`` characters, stop."""
    events = [block_start(index, {"type": "text", "text": ""})]
    events += [block_delta(index, {"type": "text_delta", "text": p}) for p in chunks(text, chunk)]
    if stop:
        events.append(block_stop(index))
    return events


def citation_event(index: int, citation: dict[str, Any]) -> Event:
    return block_delta(index, {"type": "citations_delta", "citation": citation})


def thinking_events(
    index: int, thinking: str, signature: str = "EqQBCkYIBxgCKkBsig==", chunk: int = 8
) -> list[Event]:
    """A thinking block with its signature; empty ``thinking`` gives display-omitted."""
    events = [block_start(index, {"type": "thinking", "thinking": "", "signature": ""})]
    if thinking:
        events += [
            block_delta(index, {"type": "thinking_delta", "thinking": p})
            for p in chunks(thinking, chunk)
        ]
    if signature:
        events.append(block_delta(index, {"type": "signature_delta", "signature": signature}))
    events.append(block_stop(index))
    return events


def redacted_thinking_events(index: int, data: str = "EmwKAhgBEgy3va3pzix/LafPsn4a") -> list[Event]:
    return [block_start(index, {"type": "redacted_thinking", "data": data}), block_stop(index)]


def tool_events(
    index: int,
    name: str,
    tool_input: Any,
    *,
    tool_id: str | None = None,
    chunk: int = 8,
    block_type: str = "tool_use",
    stop: bool = True,
) -> list[Event]:
    """A tool call whose input streams as ``input_json_delta`` pieces.

    ``tool_input`` is JSON-encoded, unless it is a ``str``: then it is sent as raw JSON text
    (possibly invalid, to test errors).
    """
    raw = tool_input if isinstance(tool_input, str) else json.dumps(tool_input)
    block = {
        "type": block_type,
        "id": tool_id if tool_id is not None else f"toolu_{index:02d}_{name[:16]}",
        "name": name,
        "input": {},
    }
    events = [block_start(index, block)]
    events += [
        block_delta(index, {"type": "input_json_delta", "partial_json": p})
        for p in chunks(raw, chunk)
    ]
    if stop:
        events.append(block_stop(index))
    return events


def generic_events(index: int, block: dict[str, Any]) -> list[Event]:
    """A block delivered whole in its start event (server tool results, future types)."""
    return [block_start(index, block), block_stop(index)]


def message_end(
    stop_reason: str | None = "end_turn",
    *,
    output_tokens: int = 50,
    usage: dict[str, Any] | None = None,
    stop_details: dict[str, Any] | None = None,
) -> list[Event]:
    """``message_delta`` (stop reason, cumulative usage) and ``message_stop``."""
    delta: dict[str, Any] = {"stop_reason": stop_reason, "stop_sequence": None}
    if stop_details is not None:
        delta["stop_details"] = stop_details
    return [
        {
            "type": "message_delta",
            "delta": delta,
            "usage": usage if usage is not None else {"output_tokens": output_tokens},
        },
        {"type": "message_stop"},
    ]


def error_event(message: str = "Overloaded", error_type: str = "overloaded_error") -> Event:
    return {"type": "error", "error": {"type": error_type, "message": message}}


# ------------------------------------------------------------------ whole streams


def text_stream(text: str, chunk: int = 8, *, model: str = DEFAULT_MODEL) -> list[Event]:
    """One text block, ``end_turn``."""
    return [message_start(model), *text_events(0, text, chunk), *message_end()]


def thinking_stream(
    thinking: str,
    text: str = "Done.",
    *,
    signature: str = "EqQBCkYIBxgCKkBsig==",
    chunk: int = 8,
    model: str = DEFAULT_MODEL,
) -> list[Event]:
    """A thinking block (with signature) then a text block."""
    return [
        message_start(model),
        *thinking_events(0, thinking, signature, chunk),
        *text_events(1, text, chunk),
        *message_end(output_tokens=120),
    ]


def parallel_tools_stream(
    calls: Sequence[tuple[str, Any]],
    *,
    thinking: str | None = None,
    text: str | None = None,
    chunk: int = 8,
    model: str = DEFAULT_MODEL,
    input_tokens: int = 40,
    cache_creation_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    output_tokens: int = 200,
) -> list[Event]:
    """Optional thinking and text, then one ``tool_use`` block per ``(name, input)``;
    stops with ``tool_use``."""
    events = [
        message_start(
            model,
            input_tokens=input_tokens,
            cache_creation_input_tokens=cache_creation_input_tokens,
            cache_read_input_tokens=cache_read_input_tokens,
        )
    ]
    index = 0
    if thinking is not None:
        events += thinking_events(index, thinking, chunk=chunk)
        index += 1
    if text is not None:
        events += text_events(index, text, chunk)
        index += 1
    for name, tool_input in calls:
        events += tool_events(index, name, tool_input, chunk=chunk)
        index += 1
    events += message_end(
        "tool_use",
        usage={
            "output_tokens": output_tokens,
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_creation_input_tokens,
            "cache_read_input_tokens": cache_read_input_tokens,
        },
    )
    return events


RICH_CALLS: tuple[tuple[str, Any], ...] = (
    ("get_weather", {"city": "Paris", "units": "celsius", "days": 3}),
    ("search_flights", {"from": "LHR", "to": "CDG", "date": "2025-06-01", "passengers": 2}),
    (
        "book_hotel",
        {"city": "Paris", "nights": 2, "guests": {"adults": 2, "children": 0}, "tags": ["quiet"]},
    ),
)


def rich_stream(chunk: int = 6) -> list[Event]:
    """Thinking, text and three parallel tool calls, with prompt-cache usage: what a
    screenshot or a browser test wants to show."""
    return parallel_tools_stream(
        RICH_CALLS,
        thinking=(
            "The user wants a weekend in Paris. I need the weather, flights and a hotel; "
            "these are independent, so I can call the three tools in parallel."
        ),
        text="I'll check the **weather**, look for `flights` and find a hotel at once, "
        "~~one by one~~.",
        chunk=chunk,
        input_tokens=312,
        cache_creation_input_tokens=1024,
        cache_read_input_tokens=2048,
        output_tokens=187,
    )


def hostile_stream(payload: str = HOSTILE_TEXT, chunk: int = 7) -> list[Event]:
    """Hostile markup in every model-controlled string the state keeps."""
    events = [message_start(f"model{payload}")]
    events += thinking_events(0, f"thinking {payload}", signature=f"sig{payload}", chunk=chunk)
    events += text_events(
        1, f"text {payload}\n\n# head {payload}\n\n`{payload}`", chunk, stop=False
    )
    events.append(
        citation_event(
            1,
            {
                "type": "web_search_result_location",
                "cited_text": f"cited {payload}",
                "url": "javascript:window.__pwned=1",
                "title": f"title {payload}",
                "encrypted_index": "x",
            },
        )
    )
    events.append(
        citation_event(
            1,
            {
                "type": "char_location",
                "cited_text": f"cited2 {payload}",
                "document_title": f"doc {payload}",
                "document_index": 0,
                "start_char_index": 0,
                "end_char_index": 5,
            },
        )
    )
    events.append(block_stop(1))
    events += tool_events(
        2,
        f"tool{payload}",
        {f"key{payload}": f"value {payload}", "nested": {"list": [payload, 1]}},
        tool_id=f"toolu_{payload}",
        chunk=chunk,
    )
    events += tool_events(3, "second_tool", {"q": payload}, chunk=chunk)
    events += tool_events(
        4, f"web_search{payload}", {"query": payload}, chunk=chunk, block_type="server_tool_use"
    )
    events += generic_events(
        5,
        {
            "type": "web_search_tool_result",
            "tool_use_id": f"srvtoolu_{payload}",
            "content": [
                {
                    "type": "web_search_result",
                    "title": f"result {payload}",
                    "url": "javascript:window.__pwned=1",
                    "encrypted_content": payload,
                }
            ],
        },
    )
    events += generic_events(6, {"type": f"future_block{payload}", f"field{payload}": payload})
    events += redacted_thinking_events(7, data=f"data{payload}")
    events += tool_events(8, "broken", '{"a": "' + payload, chunk=chunk)  # invalid JSON
    events.append(block_delta(9, {"type": f"mystery_delta{payload}", "x": payload}))
    # today's API: tool output is model-controlled text too
    events += generic_events(
        10,
        {
            "type": "bash_code_execution_tool_result",
            "tool_use_id": f"srvtoolu_{payload}",
            "content": {
                "type": "bash_code_execution_result",
                "stdout": f"stdout {payload}",
                "stderr": f"stderr {payload}",
                "return_code": 1,
                "content": [{"type": "bash_code_execution_output", "file_id": f"file_{payload}"}],
            },
        },
    )
    events += generic_events(
        11,
        {
            "type": "fallback",
            "from": {"model": f"from{payload}"},
            "to": {"model": f"to{payload}"},
            "trigger": {"type": "refusal", "category": payload},
        },
    )
    events += generic_events(
        12,
        {
            "type": "web_fetch_tool_result",
            "tool_use_id": f"srvtoolu_{payload}",
            "content": {
                "type": "web_fetch_result",
                "url": "javascript:window.__pwned=1",
                "retrieved_at": payload,
                "content": {
                    "type": "document",
                    "title": f"fetched {payload}",
                    "source": {"type": "text", "media_type": "text/plain", "data": payload},
                },
            },
        },
    )
    events += generic_events(
        13, {"type": "compaction", "content": f"summary {payload}", "encrypted_content": None}
    )
    events += message_end(
        f"stop{payload}",
        usage={"output_tokens": 99, "input_tokens": 10},
        stop_details={"type": payload, "explanation": payload},
    )
    events.append(error_event(f"error {payload}", f"type{payload}"))
    return events


def build_state(events: Iterable[Event], *, step: float = 0.05, finish: bool = True) -> StreamState:
    """Reduce ``events`` into a StreamState, event ``i`` arriving at ``i * step`` seconds."""
    state = StreamState(started_at=0.0)
    for i, event in enumerate(events):
        state.apply(event, at=(i + 1) * step)
    if finish:
        state.finish()
    return state


def timed(events: Sequence[Event], *, step: float = 0.05) -> list[tuple[float, Event]]:
    """``(t, event)`` pairs, evenly spaced: a replay source or a cassette's content."""
    return [(round(i * step, 6), event) for i, event in enumerate(events)]


def paced(
    events: Sequence[Event],
    *,
    first_token: float = 0.6,
    delta: float = 0.035,
    block_gap: float = 0.12,
) -> list[float]:
    """Plausible arrival times for ``events``: a pause before the first block, ``delta``
    between deltas, ``block_gap`` before each new block (for cassettes and screenshots)."""
    times: list[float] = []
    t = 0.0
    started = False
    for i, event in enumerate(events):
        if i and event.get("type") == "content_block_start":
            t += block_gap if started else first_token
            started = True
        elif i:
            t += delta
        times.append(round(t, 6))
    return times


HOLD = 3600.0
"""Seconds of silence :func:`held_recording` puts in a recording (longer than any test)."""


def held_recording(name: str, before: int, path: Path, *, hold: float = HOLD) -> Path:
    """Write the gallery recording ``name`` to ``path`` with its events from index ``before``
    on :data:`HOLD` seconds later (its request and the rest as recorded).

    A replay of it shows ``before`` events with their recorded timing, then stays live (status
    streaming) until its speed is set to instant: browser tests and screenshots act on a live
    view there without racing the replay's end.
    """
    cassette = read_cassette(gallery.path(name))
    times = [
        None if t is None else t + (hold if k >= before else 0.0)
        for k, t in enumerate(cassette.times)
    ]
    write_cassette(path, cassette.events, times, meta=cassette.meta, created=cassette.created)
    return path
