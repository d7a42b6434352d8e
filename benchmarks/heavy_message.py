"""A heavy synthetic message for benchmarks: thinking, Markdown text and parallel tool calls.

``heavy_message_events()`` builds about 20 KB of thinking, 10 KB of Markdown text and four
parallel ``tool_use`` blocks of about 50 KB of JSON arguments each, cut into 8-byte deltas
(about 29,000 events), as wire-shaped event dicts. Deterministic: the same call gives the
same events. The tool blocks' deltas are interleaved round-robin (the core and the views
must cope with any order; real parallel calls usually arrive one block after another).
"""

from __future__ import annotations

import json
import random
from typing import Any

__all__ = ["content_bytes", "heavy_message_events"]

Event = dict[str, Any]

_WORDS = tuple(
    [
        "stream",
        "state",
        "block",
        "delta",
        "token",
        "cache",
        "frame",
        "kernel",
        "widget",
        "parse",
        "render",
        "signature",
        "thinking",
        "tool",
        "argument",
        "budget",
        "latency",
        "message",
        "usage",
        "window",
        "buffer",
        "comm",
        "socket",
        "view",
        "partial",
        "json",
        "schema",
        "field",
        "value",
        "index",
        "order",
        "event",
        "batch",
        "snapshot",
        "front",
        "end",
    ]
)


def _prose(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 16)))
        sentence = sentence[0].upper() + sentence[1:] + ". "
        words.append(sentence)
        length += len(sentence)
    return "".join(words)[:size]


def _markdown(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    n = 0
    section = 1
    while n < size:
        chunk = (
            f"## Step {section}: {rng.choice(_WORDS)} {rng.choice(_WORDS)}\n\n"
            f"{_prose(rng, 300)}\n\n"
            f"- **{rng.choice(_WORDS)}**: {_prose(rng, 60)}\n"
            f"- *{rng.choice(_WORDS)}* with `inline_{section}()` code\n"
            f"- a [link](https://example.com/{section}) to read\n\n"
            f"```python\ndef step_{section}(x):\n"
            f"    return x * {section}  # {rng.choice(_WORDS)}\n```\n\n"
        )
        parts.append(chunk)
        n += len(chunk)
        section += 1
    return "".join(parts)[:size]


def _tool_arguments(rng: random.Random, k: int, size: int) -> str:
    """A JSON object of about ``size`` bytes with nested values, escapes and non-ASCII."""
    args: dict[str, Any] = {
        "path": f"src/module_{k}/file_{k}.py",
        "mode": rng.choice(["create", "overwrite", "patch"]),
        "options": {"dry_run": False, "indent": 4, "encoding": "utf-8", "ratio": 0.75},
        "edits": [],
    }
    edits: list[dict[str, Any]] = args["edits"]
    line = 1
    while len(json.dumps(args, ensure_ascii=False)) < size - 200:
        text = _prose(rng, rng.randint(40, 160))
        if rng.random() < 0.2:
            text += ' with "quotes" and a \\ backslash\n\tand a tab'
        if rng.random() < 0.1:
            text += " — naïve café ✓"
        edits.append({"line": line, "text": text, "tags": [rng.choice(_WORDS) for _ in range(2)]})
        line += rng.randint(1, 9)
    args["summary"] = _prose(rng, 120)
    return json.dumps(args, ensure_ascii=False)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def heavy_message_events(
    tool_json_bytes: int = 50_000,
    *,
    thinking_bytes: int = 20_000,
    text_bytes: int = 10_000,
    tools: int = 4,
    chunk: int = 8,
    interleave_tools: bool = True,
    model: str = "claude-sonnet-4-5",
) -> list[Event]:
    """The heavy message's events (see the module docstring)."""
    rng = random.Random(20250101)
    thinking = _prose(rng, thinking_bytes)
    text = _markdown(rng, text_bytes)
    arguments = [_tool_arguments(rng, k, tool_json_bytes) for k in range(tools)]
    events: list[Event] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_heavy_0001",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 1200,
                    "cache_creation_input_tokens": 3000,
                    "cache_read_input_tokens": 9000,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 2000,
                        "ephemeral_1h_input_tokens": 1000,
                    },
                    "output_tokens": 1,
                },
            },
        },
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
    ]
    events += [
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": p},
        }
        for p in _pieces(thinking, chunk)
    ]
    events += [
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQBCkYIBxgCKkA" + "x" * 300},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    ]
    events += [
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": p}}
        for p in _pieces(text, chunk)
    ]
    events.append({"type": "content_block_stop", "index": 1})
    tool_pieces = [_pieces(a, chunk) for a in arguments]
    starts = [
        {
            "type": "content_block_start",
            "index": 2 + k,
            "content_block": {
                "type": "tool_use",
                "id": f"toolu_heavy_{k:04d}",
                "name": f"write_file_{k}",
                "input": {},
            },
        }
        for k in range(tools)
    ]

    def delta(k: int, piece: str) -> Event:
        return {
            "type": "content_block_delta",
            "index": 2 + k,
            "delta": {"type": "input_json_delta", "partial_json": piece},
        }

    if interleave_tools:
        events += starts
        longest = max(len(p) for p in tool_pieces)
        for i in range(longest):
            events += [
                delta(k, pieces[i]) for k, pieces in enumerate(tool_pieces) if i < len(pieces)
            ]
        events += [{"type": "content_block_stop", "index": 2 + k} for k in range(tools)]
    else:
        for k, pieces in enumerate(tool_pieces):
            events.append(starts[k])
            events += [delta(k, p) for p in pieces]
            events.append({"type": "content_block_stop", "index": 2 + k})
    output_tokens = (len(thinking) + len(text) + sum(len(a) for a in arguments)) // 4
    events += [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
        {"type": "message_stop"},
    ]
    return events


def content_bytes(events: list[Event]) -> int:
    """UTF-8 bytes of the streamed content: text, thinking, signatures and tool JSON."""
    total = 0
    for event in events:
        if event.get("type") != "content_block_delta":
            continue
        delta = event["delta"]
        for key in ("text", "thinking", "partial_json", "signature"):
            value = delta.get(key)
            if isinstance(value, str):
                total += len(value.encode("utf-8"))
    return total


def text_heavy_events(paragraph_bytes: int = 22_000, code_bytes: int = 22_000) -> list[Event]:
    """A reply with one long paragraph and one long code fence (each over 20 KB by default),
    in 8-byte text deltas: the worst case for re-rendering Markdown every frame."""
    rng = random.Random(7)
    paragraph = _prose(rng, paragraph_bytes).replace("\n", " ")
    lines: list[str] = []
    while sum(len(line) + 1 for line in lines) < code_bytes:
        k = len(lines)
        lines.append(f"    result_{k} = compute({k}, {rng.choice(_WORDS)!r})  # step {k}")
    text = f"{paragraph}\n\n```python\n" + "\n".join(lines) + "\n```\n"
    events: list[Event] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_text_heavy",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 50, "output_tokens": 1},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    ]
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        for p in _pieces(text, 8)
    ]
    events += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": len(text) // 4},
        },
        {"type": "message_stop"},
    ]
    return events
