"""SSE decoding by the WHATWG rules, and SSE text to event dicts (incl. the recorded corpus)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from anthropic._streaming import SSEDecoder as SDKDecoder
from hypothesis import given, settings
from hypothesis import strategies as st

from streamscope.core.io.cassette import read_events
from streamscope.core.wire.sse import (
    INVALID_SSE_DATA,
    SSEDecoder,
    SSEMessage,
    aiter_sse_events,
    iter_sse_events,
    parse_sse_events,
    sse_message_to_event,
)

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "recorded"


def fixture_files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file())


def decode(*chunks: str) -> list[SSEMessage]:
    decoder = SSEDecoder()
    out: list[SSEMessage] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


# --------------------------------------------------------------------------- the rules


def test_simple_event() -> None:
    assert decode("event: ping\ndata: {}\n\n") == [SSEMessage(data="{}", event="ping")]


def test_default_event_name_is_message() -> None:
    assert decode("data: x\n\n") == [SSEMessage(data="x", event="message")]


def test_comments_are_ignored() -> None:
    msgs = decode(": keep-alive\nevent: a\n:data: not data\ndata: 1\n: more\n\n")
    assert msgs == [SSEMessage(data="1", event="a")]


def test_comment_only_block_dispatches_nothing() -> None:
    assert decode(": hello\n\n: again\n\n") == []


def test_multiline_data_joined_with_newline() -> None:
    assert decode("data: a\ndata: b\ndata:\ndata: c\n\n")[0].data == "a\nb\n\nc"


def test_only_one_leading_space_removed() -> None:
    msgs = decode("data:x\n\ndata: x\n\ndata:  x\n\ndata: x \n\n")
    assert [m.data for m in msgs] == ["x", "x", " x", "x "]


def test_line_without_colon_is_field_with_empty_value() -> None:
    msgs = decode("data\n\nevent\ndata: 1\n\n")
    assert msgs == [SSEMessage(data="", event="message"), SSEMessage(data="1", event="message")]


def test_value_may_contain_colons() -> None:
    assert decode('data: {"a": "b:c"}\n\n')[0].data == '{"a": "b:c"}'


def test_event_without_data_is_not_dispatched_and_resets_event_name() -> None:
    assert decode("event: foo\n\n") == []
    assert decode("event: foo\n\ndata: 1\n\n") == [SSEMessage(data="1", event="message")]


def test_unknown_fields_are_ignored() -> None:
    assert decode("foo: bar\nData: no\ndata: 1\n\n") == [SSEMessage(data="1")]


def test_id_persists_and_nul_id_is_ignored() -> None:
    msgs = decode("id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n")
    assert [m.id for m in msgs] == ["7", "7", "7", ""]


def test_retry_only_digits_and_retry_only_block_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("retry: 1500\n\n") == []
    assert decoder.retry == 1500
    msgs = decoder.feed("retry: 12a\ndata: a\n\nretry: 30\ndata: b\n\ndata: c\n\n")
    assert [m.retry for m in msgs] == [None, 30, None]
    assert decoder.retry == 30


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"])
def test_line_endings(nl: str) -> None:
    text = f"event: a{nl}data: 1{nl}data: 2{nl}{nl}: c{nl}data: 3{nl}{nl}"
    assert decode(text) == [SSEMessage(data="1\n2", event="a"), SSEMessage(data="3")]


def test_mixed_line_endings() -> None:
    msgs = decode("data: 1\r\ndata: 2\rdata: 3\n\r\ndata: 4\r\r")
    assert [m.data for m in msgs] == ["1\n2\n3", "4"]


def test_crlf_split_across_feeds_is_one_line_ending() -> None:
    # Were "\r" + "\n" two endings, the blank line would dispatch early and lose "event: x".
    assert decode("event: x\r", "\ndata: 1\r", "\n\r", "\n") == [SSEMessage(data="1", event="x")]


def test_cr_at_chunk_end_dispatches_without_waiting() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("data: 1\r\r") == [SSEMessage(data="1")]
    assert decoder.feed("data: 2\r\r") == [SSEMessage(data="2")]


def test_line_split_across_many_feeds() -> None:
    text = "event: content_block_delta\ndata: " + "x" * 1000 + "\n\n"
    assert decode(*text) == [SSEMessage(data="x" * 1000, event="content_block_delta")]


def test_last_event_without_blank_line_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    msgs = decoder.feed("data: 1\n\ndata: 2\n")
    assert [m.data for m in msgs] == ["1"]
    assert decoder.incomplete
    decoder2 = SSEDecoder()
    decoder2.feed("data: 1\n\n")
    assert not decoder2.incomplete
    decoder3 = SSEDecoder()
    decoder3.feed("data: 1\n\ndata: 2")  # cut mid-line
    assert decoder3.incomplete


def test_bom_stripped_only_at_start() -> None:
    assert decode("\ufeffdata: 1\n\n") == [SSEMessage(data="1")]
    assert decode("\ufeff", "data: 1\n\n") == [SSEMessage(data="1")]
    # A BOM later on is part of the field name, which is then unknown.
    assert decode("data: 1\n\n\ufeffdata: 2\n\n") == [SSEMessage(data="1")]


def test_bytes_bom_split_and_utf8_split() -> None:
    decoder = SSEDecoder()
    assert decoder.feed_bytes(b"\xef") == []
    assert decoder.feed_bytes(b"\xbb\xbfdata: 1\n\n") == [SSEMessage(data="1")]
    text = "data: héllo € 𝄞 日本\n\n"
    raw = text.encode("utf-8")
    for cut in range(1, len(raw)):
        decoder = SSEDecoder()
        msgs = decoder.feed_bytes(raw[:cut]) + decoder.feed_bytes(raw[cut:])
        assert msgs == [SSEMessage(data="héllo € 𝄞 日本")], cut


def test_bytes_one_at_a_time() -> None:
    raw = "event: a\r\ndata: ü€\r\n\r\n".encode()
    decoder = SSEDecoder()
    msgs = [m for i in range(len(raw)) for m in decoder.feed_bytes(raw[i : i + 1])]
    assert msgs == [SSEMessage(data="ü€", event="a")]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert SSEDecoder().feed_bytes(b"data: a\xffb\n\n") == [SSEMessage(data="a\ufffdb")]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["event", "data", "id", ":", "foo", "retry"]),
            st.text(
                alphabet=st.characters(blacklist_characters="\r\n\0", blacklist_categories=["Cs"]),
                max_size=8,
            ),  # bytes on the wire: no lone surrogates
            st.sampled_from(["\n", "\r\n", "\r"]),
            st.booleans(),
        ),
        max_size=20,
    ),
    st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_any_rechunking_gives_same_messages(
    lines: list[tuple[str, str, str, bool]], cuts: list[int]
) -> None:
    text = "".join(
        f"{name}: {value}{nl}" + (nl if blank else "") for name, value, nl, blank in lines
    )
    whole = decode(text)
    points = sorted({c % (len(text) + 1) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert decode(*pieces) == whole
    raw = text.encode("utf-8")
    decoder = SSEDecoder()
    byte_points = sorted({c % (len(raw) + 1) for c in cuts})
    out = []
    for a, b in zip([0, *byte_points], [*byte_points, len(raw)], strict=True):
        out.extend(decoder.feed_bytes(raw[a:b]))
    assert out == whole


# --------------------------------------------------------------------------- to events


def test_parse_sse_events_json_and_trailing_spaces() -> None:
    text = 'event: message_start\ndata: {"type":"message_start"}      \n\n'
    assert parse_sse_events(text) == [{"type": "message_start"}]
    assert parse_sse_events(text.encode()) == [{"type": "message_start"}]


def test_ping_and_error_events_are_included() -> None:
    text = (
        'event: ping\ndata: {"type": "ping"}\n\n'
        'event: error\ndata: {"type": "error", "error": '
        '{"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    events = parse_sse_events(text)
    assert [e["type"] for e in events] == ["ping", "error"]
    assert events[1]["error"]["type"] == "overloaded_error"


@pytest.mark.parametrize(
    ("data", "why"),
    [("{not json", "Expecting"), ("[1, 2]", "list"), ("42", "int"), ('"s"', "str"), ("", "")],
)
def test_invalid_data_is_kept(data: str, why: str) -> None:
    events = parse_sse_events(f"event: weird\ndata: {data}\n\n")
    assert len(events) == 1
    event = events[0]
    assert event["type"] == INVALID_SSE_DATA
    assert event["event"] == "weird"
    assert event["data"] == data
    assert why in event["error"]


def test_iter_sse_events_over_mixed_chunks() -> None:
    chunks: list[str | bytes] = [b'data: {"type":', ' "a"}\n', b"\n", 'data: {"type": "b"}\n\n']
    assert [e["type"] for e in iter_sse_events(chunks)] == ["a", "b"]


def test_aiter_sse_events() -> None:
    import asyncio

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in [b'data: {"type": "a"}\r\n', b"\r\n"]:
            yield chunk

    async def main() -> list[str]:
        return [e["type"] async for e in aiter_sse_events(chunks())]

    assert asyncio.run(main()) == ["a"]


# --------------------------------------------------------------------------- recorded corpus


def expected_count(raw: bytes) -> int:
    """Independent oracle: one `data:` line per event in the corpus; the last event only
    dispatches when a blank line follows it."""
    lines = raw.decode("utf-8").split("\n")
    n = sum(1 for line in lines if line.startswith("data:"))
    return n if raw.endswith(b"\n\n") else n - 1


def test_fixture_corpus_present_or_skip() -> None:
    if not fixture_files():
        pytest.skip("shared fixtures not present")
    assert len(fixture_files()) >= 50


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_parses_with_expected_count(path: Path) -> None:
    raw = path.read_bytes()
    events = parse_sse_events(raw)
    assert len(events) == expected_count(raw)
    assert all(e["type"] != INVALID_SSE_DATA for e in events)
    assert events[0]["type"] == "message_start"
    # Same messages as the anthropic SDK's own decoder (which also drops the final event
    # when no blank line follows), in the same order.
    sdk = [json.loads(s.data) for s in SDKDecoder().iter_bytes(iter([raw])) if s.data]
    assert events == sdk
    # Byte-by-byte feeding gives the same events.
    assert list(iter_sse_events(raw[i : i + 7] for i in range(0, len(raw), 7))) == events


def test_known_fixture_counts() -> None:
    basic = FIXTURES / "anthropic-sdk-python" / "basic_response.txt"
    prompt = FIXTURES / "llm-anthropic" / "test_prompt.0.sse"
    if not basic.exists() or not prompt.exists():
        pytest.skip("shared fixtures not present")
    types = [e["type"] for e in parse_sse_events(basic.read_bytes())]
    # 9 events in the file; the final message_stop has no blank line after it.
    assert types == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
    ]
    prompt_types = [e["type"] for e in parse_sse_events(prompt.read_bytes())]
    assert len(prompt_types) == 10
    assert prompt_types[-1] == "message_stop"


# --------------------------------------------------------------------------- hostile input


def deep_line(depth: int) -> str:
    return '{"type": "content_block_delta", "x": ' + "[" * depth + "]" * depth + "}"


DEEP_BODY = (
    'event: message_start\ndata: {"type": "message_start", "message": {"id": "m"}}\n\n'
    f"event: content_block_delta\ndata: {deep_line(5000)}\n\n"
    f"event: content_block_delta\ndata: {deep_line(998)}\n\n"
    'event: message_stop\ndata: {"type": "message_stop"}\n\n'
)


def check_deep(events: list[dict[str, Any]]) -> None:
    assert [e["type"] for e in events] == [
        "message_start",
        INVALID_SSE_DATA,
        "content_block_delta",
        "message_stop",
    ]
    bad = events[1]
    assert bad["data"] == deep_line(5000)  # the raw text, kept
    assert "nested 5001 levels deep" in bad["error"]


def test_a_line_nested_too_deep_is_kept_and_the_rest_is_read(tmp_path: Path) -> None:
    check_deep(parse_sse_events(DEEP_BODY))
    check_deep(parse_sse_events(DEEP_BODY.encode()))
    check_deep(
        list(iter_sse_events([DEEP_BODY[i : i + 777] for i in range(0, len(DEEP_BODY), 777)]))
    )
    decoder = SSEDecoder()
    check_deep([sse_message_to_event(m) for m in decoder.feed(DEEP_BODY)])
    path = tmp_path / "deep.sse"
    path.write_text(DEEP_BODY)
    check_deep(read_events(path))

    async def collect() -> list[dict[str, Any]]:
        async def chunks() -> AsyncIterator[str]:
            yield DEEP_BODY

        return [e async for e in aiter_sse_events(chunks())]

    check_deep(asyncio.run(collect()))


def test_a_line_nested_just_under_the_cap_parses_from_a_deep_stack() -> None:
    line = deep_line(998)  # 999 levels with its object: json.loads needs ~1,000 free frames

    def at_depth(n: int) -> dict[str, Any]:
        if n:
            return at_depth(n - 1)
        return sse_message_to_event(SSEMessage(data=line))

    event = at_depth(300)
    assert event["type"] == "content_block_delta"
