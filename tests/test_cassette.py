"""Cassettes: writing, reading back, sanitising meta, malformed lines, recording a stream."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anthropic.lib.streaming import ParsedMessageStopEvent, TextEvent
from anthropic.types import (
    Message,
    RawContentBlockDeltaEvent,
    RawContentBlockStopEvent,
    RawMessageStopEvent,
)
from anthropic.types.beta import BetaRawContentBlockDeltaEvent
from conftest import RECORDED, skip_or_fail
from pydantic import BaseModel

from streamscope.core.io.cassette import (
    CassetteWriter,
    arecord,
    read_cassette,
    read_events,
    read_timed_events,
    record,
    sanitize_meta,
    write_cassette,
)
from streamscope.core.io.files import partial_path
from streamscope.core.wire.sdk import event_to_dict
from streamscope.core.wire.sse import INVALID_SSE_DATA, parse_sse_events

EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "content": [], "usage": {}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "héllo 日本"},
    },
    {"type": "content_block_stop", "index": 0},
    {"type": "message_stop"},
]


class FakeClock:
    def __init__(self, times: list[float]) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# --------------------------------------------------------------------------- round trip


def test_writer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    clock = FakeClock([50.0, 50.25, 50.5000004, 51.0, 52.1234567])
    with CassetteWriter(path, meta={"model": "claude-x", "title": "demo"}, clock=clock) as w:
        for event in EVENTS:
            w.write(event)
    cassette = read_cassette(path)
    assert cassette.problems == []
    assert cassette.version == 1
    assert cassette.meta == {"model": "claude-x", "title": "demo"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", cassette.created)
    assert cassette.events == EVENTS
    assert cassette.times == [0.0, 0.25, 0.5, 1.0, 2.123457]
    raw = path.read_bytes()
    assert "héllo 日本".encode() in raw  # ensure_ascii=False
    first = json.loads(raw.splitlines()[0])
    assert set(first) == {"streamscope_cassette", "created", "meta"}
    assert all(set(obj) == {"t", "event"} for obj in lines(path)[1:])


def test_explicit_times_and_first_time_offset(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    clock = FakeClock([10.0, 12.0])
    with CassetteWriter(path, clock=clock) as w:
        w.write(EVENTS[0], t=0.5)  # clock 10.0 means recorded 0.5
        w.write(EVENTS[1])  # clock 12.0 -> 2.5
        w.write(EVENTS[2], t=7.0)
    assert read_cassette(path).times == [0.5, 2.5, 7.0]


def test_each_line_is_flushed_before_close(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    w = CassetteWriter(path, clock=FakeClock([0.0, 1.0]))
    w.write(EVENTS[0])
    w.write(EVENTS[1])
    assert w.partial_path == tmp_path / "c.jsonl.partial"
    assert read_cassette(w.partial_path).events == EVENTS[:2]  # read while still open
    assert not path.exists()  # in place only once complete
    w.close()
    assert w.closed
    assert read_events(path) == EVENTS[:2] and not w.partial_path.exists()
    with pytest.raises(ValueError):
        w.write(EVENTS[2])


def test_empty_cassette_has_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    CassetteWriter(path, meta={"a": 1}).close()
    cassette = read_cassette(path)
    assert cassette.meta == {"a": 1}
    assert cassette.events == []
    assert cassette.problems == []


def test_write_cassette_with_and_without_times(tmp_path: Path) -> None:
    p1 = tmp_path / "t.jsonl"
    assert write_cassette(p1, EVENTS, times=[0, 0.1, None, 0.3, 0.4], meta={"k": "v"}) == 5
    assert read_timed_events(p1) == list(zip([0.0, 0.1, None, 0.3, 0.4], EVENTS, strict=True))
    p2 = tmp_path / "u.jsonl"
    write_cassette(str(p2), iter(EVENTS))
    assert read_cassette(p2).times == [None] * 5
    assert read_events(p2) == EVENTS
    with pytest.raises(ValueError):
        write_cassette(tmp_path / "x.jsonl", EVENTS, times=[0.0])


def test_lone_surrogate_round_trips(tmp_path: Path) -> None:
    event = json.loads('{"type": "content_block_delta", "delta": {"text": "a\\ud83d"}}')
    path = tmp_path / "s.jsonl"
    write_cassette(path, [event])
    path.read_bytes().decode("utf-8")  # still valid UTF-8
    assert read_events(path) == [event]


# --------------------------------------------------------------------------- sanitising


def test_meta_is_sanitised(tmp_path: Path) -> None:
    key = "sk-ant-api03-AbC_dEf-123456789"
    meta = {
        "model": "claude-x",
        "api_key": key,
        "API-Key": key,
        "X-Api-Key": key,
        "Authorization": "Bearer abc",
        "anthropic_api_key": key,
        "request": {
            "headers": {"x-api-key": key},
            "extra_headers": {"anthropic-beta": "b"},
            "default_headers": {"a": "b"},
            "messages": [{"role": "user", "content": f"my key is {key} ok"}],
            "max_tokens": 100,
        },
        "notes": [key, ("tuple", key)],
        "client": {"auth_token": "tok-SECRET", "Proxy-Authorization": "p"},
    }
    path = tmp_path / "m.jsonl"
    write_cassette(path, EVENTS[:1], meta=meta)
    raw = path.read_text("utf-8")
    # the prompt is the user's data, kept byte for byte: the only place the key remains
    assert raw.count("sk-ant") == 1 and f"my key is {key} ok" in raw
    assert "Bearer" not in raw
    assert "SECRET" not in raw
    assert "anthropic-beta" not in raw
    got = read_cassette(path).meta
    assert got == {
        "model": "claude-x",
        "request": {
            "messages": [{"role": "user", "content": f"my key is {key} ok"}],
            "max_tokens": 100,
        },
        "notes": ["[redacted]", ["tuple", "[redacted]"]],
        "client": {},
    }
    assert meta["api_key"] == key  # the caller's dict is not modified


def test_sanitize_meta_keeps_plain_values() -> None:
    assert sanitize_meta({"max_tokens": 5, "temperature": 0.5, "x": None, "ok": True}) == {
        "max_tokens": 5,
        "temperature": 0.5,
        "x": None,
        "ok": True,
    }


# --------------------------------------------------------------------------- SDK models


def test_event_to_dict_sdk_models_round_trip_json() -> None:
    delta = RawContentBlockDeltaEvent.construct(
        type="content_block_delta", index=2, delta={"type": "text_delta", "text": "hi"}
    )
    d = event_to_dict(delta)
    assert d == {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "text_delta", "text": "hi"},
    }
    assert json.loads(json.dumps(d)) == d
    beta = BetaRawContentBlockDeltaEvent.model_validate(
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"a'},
        }
    )
    assert event_to_dict(beta)["delta"] == {"type": "input_json_delta", "partial_json": '{"a'}
    stop = RawContentBlockStopEvent(type="content_block_stop", index=1)
    assert event_to_dict(stop) == {"type": "content_block_stop", "index": 1}
    src = {"type": "ping"}
    copy = event_to_dict(src)
    assert copy == src and copy is not src


def test_event_to_dict_drops_message_stream_snapshots() -> None:
    message = Message.model_validate(
        {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "x",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )
    parsed_stop = ParsedMessageStopEvent[object].model_validate(
        {"type": "message_stop", "message": message.to_dict()}
    )
    assert isinstance(parsed_stop, RawMessageStopEvent)
    assert event_to_dict(parsed_stop) == {"type": "message_stop"}


def test_writer_skips_derived_events_and_writes_models(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    text_event = TextEvent(type="text", text="a", snapshot="a")
    stop = RawContentBlockStopEvent(type="content_block_stop", index=0)
    write_cassette(path, [text_event, stop])
    assert read_events(path) == [{"type": "content_block_stop", "index": 0}]


# --------------------------------------------------------------------------- malformed input


def test_malformed_lines_are_kept_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"t": 0.0, "event": EVENTS[0]})
    body = "\n".join(
        [
            json.dumps(
                {"streamscope_cassette": 1, "created": "2025-01-01T00:00:00.000Z", "meta": {}}
            ),
            good,
            '{"t": 0.1, "event": {"type": "content_blo',  # truncated (crash while writing)
            "[1, 2]",
            json.dumps({"t": 0.2, "event": "not an object"}),
            "",
            json.dumps({"t": "soon", "event": EVENTS[1]}),
            json.dumps({"type": "ping"}),  # bare event line
        ]
    )
    path.write_bytes(body.encode() + b"\n" + b'{"t": 0.3, "event": {"type": "x\xff"}}\n')
    cassette = read_cassette(path)
    types = [e["type"] for e in cassette.events]
    assert types == [
        "message_start",
        INVALID_SSE_DATA,
        INVALID_SSE_DATA,
        INVALID_SSE_DATA,
        "content_block_start",
        "ping",
        "x\ufffd",
    ]
    assert cassette.events[1]["data"] == '{"t": 0.1, "event": {"type": "content_blo'
    assert cassette.events[1]["line"] == 3
    assert cassette.events[2]["data"] == "[1, 2]"
    assert cassette.times == [0.0, None, None, None, None, None, 0.3]
    joined = "\n".join(cassette.problems)
    for needle in ["line 3", "line 4", "line 5", "line 7", "line 9", "UTF-8"]:
        assert needle in joined


def test_missing_header_and_unknown_version(tmp_path: Path) -> None:
    p1 = tmp_path / "noheader.jsonl"
    p1.write_text(json.dumps({"t": 0.0, "event": EVENTS[0]}) + "\n")
    c1 = read_cassette(p1)
    assert c1.events == [EVENTS[0]]
    assert any("no cassette header" in p for p in c1.problems)
    p2 = tmp_path / "v9.jsonl"
    p2.write_text(json.dumps({"streamscope_cassette": 9, "meta": {"a": 1}}) + "\n")
    c2 = read_cassette(p2)
    assert c2.meta == {"a": 1}
    assert any("version" in p for p in c2.problems)


# --------------------------------------------------------------------------- read_events


def test_read_events_by_suffix(tmp_path: Path) -> None:
    sse = 'event: ping\ndata: {"type": "ping"}\n\ndata: {"type": "message_stop"}   \n\n'
    for name in ["x.sse", "x.txt", "x.data"]:
        (tmp_path / name).write_text(sse)
        assert read_events(tmp_path / name) == [{"type": "ping"}, {"type": "message_stop"}]
        assert read_timed_events(str(tmp_path / name)) == [
            (None, {"type": "ping"}),
            (None, {"type": "message_stop"}),
        ]
    write_cassette(tmp_path / "x.jsonl", EVENTS, times=[0, 1, 2, 3, 4])
    assert read_events(os.fspath(tmp_path / "x.jsonl")) == EVENTS


def test_fixture_to_cassette_and_back(tmp_path: Path) -> None:
    src = RECORDED / "llm-anthropic" / "test_tools.0.sse"
    if not src.exists():
        skip_or_fail("../shared/fixtures absent")
    events = read_events(src)
    assert events == parse_sse_events(src.read_bytes())
    write_cassette(tmp_path / "tools.jsonl", events, times=[i / 10 for i in range(len(events))])
    assert read_events(tmp_path / "tools.jsonl") == events


# --------------------------------------------------------------------------- record


def test_record_yields_same_objects_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    clock = FakeClock([1.0, 1.5, 2.0, 2.5, 3.0])
    got = list(record(iter(EVENTS), path, meta={"api_key": "sk-ant-x"}, clock=clock))
    assert all(a is b for a, b in zip(got, EVENTS, strict=True))
    cassette = read_cassette(path)
    assert cassette.events == EVENTS
    assert cassette.times == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert cassette.meta == {}


def test_record_passes_derived_events_but_does_not_write_them(tmp_path: Path) -> None:
    text_event = TextEvent(type="text", text="a", snapshot="a")
    path = tmp_path / "r.jsonl"
    got = list(record([EVENTS[0], text_event], path))
    assert got[1] is text_event
    assert read_events(path) == [EVENTS[0]]


def test_record_closed_early_keeps_what_was_seen(tmp_path: Path) -> None:
    path = tmp_path / "early.jsonl"
    gen = record(iter(EVENTS), path)
    assert next(gen) is EVENTS[0]
    assert next(gen) is EVENTS[1]
    gen.close()
    assert not path.exists()  # cut short: what arrived is in the .partial file
    assert read_events(partial_path(path)) == EVENTS[:2]


def test_record_source_failure_propagates_and_file_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "fail.jsonl"

    def source() -> Iterator[dict[str, Any]]:
        yield EVENTS[0]
        raise ConnectionError("dropped")

    seen = []
    with pytest.raises(ConnectionError, match="dropped"):
        for event in record(source(), path):
            seen.append(event)  # noqa: PERF402 - the loop is what is under test
    assert seen == [EVENTS[0]]
    assert not path.exists()
    assert read_events(partial_path(path)) == [EVENTS[0]]


def test_arecord(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"

    async def source() -> AsyncIterator[dict[str, Any]]:
        for event in EVENTS:
            await asyncio.sleep(0)
            yield event

    async def main() -> list[Any]:
        return [e async for e in arecord(source(), path, meta={"model": "m"})]

    got = asyncio.run(main())
    assert all(a is b for a, b in zip(got, EVENTS, strict=True))
    assert read_cassette(path).meta == {"model": "m"}
    assert read_events(path) == EVENTS


def test_arecord_closed_early(tmp_path: Path) -> None:
    path = tmp_path / "ae.jsonl"

    async def source() -> AsyncIterator[dict[str, Any]]:
        for event in EVENTS:
            yield event

    async def main() -> None:
        agen = arecord(source(), path)
        await agen.__anext__()
        await agen.aclose()

    asyncio.run(main())
    assert not path.exists()
    assert read_events(partial_path(path)) == EVENTS[:1]


# --------------------------------------------------------------------------- hostile input


def test_a_line_nested_too_deep_is_kept_and_every_other_line_read(tmp_path: Path) -> None:
    deep = '{"t": 0.1, "event": {"type": "x", "v": ' + "[" * 5000 + "]" * 5000 + "}}"
    path = tmp_path / "deep.jsonl"
    body = [
        json.dumps(line)
        for line in (
            {"streamscope_cassette": 1, "meta": {}},
            *[{"t": 0, "event": e} for e in EVENTS],
        )
    ]
    body.insert(3, deep)
    path.write_text("\n".join(body) + "\n")
    cassette = read_cassette(path)
    assert [e for e in cassette.events if e["type"] != INVALID_SSE_DATA] == EVENTS
    bad = cassette.events[2]
    assert bad["type"] == INVALID_SSE_DATA and bad["data"] == deep and bad["line"] == 4
    assert cassette.problems == [
        "line 4: invalid JSON: JSON nested 5002 levels deep (the limit is 1000)"
    ]
    assert len(read_events(path)) == len(EVENTS) + 1


def test_files_are_strict_json_and_keep_the_exact_text(tmp_path: Path) -> None:
    text = "half \ud83d, low \udc00, é 日本 😀"
    events = [
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": text},
        },
        {"type": "x", "nan": float("nan"), "inf": float("-inf"), "big": 10**400, "set": {2, 1}},
        OrderedDict(type="message_stop"),
    ]
    path = tmp_path / "strict.jsonl"
    write_cassette(path, events, meta={"note": text})
    raw = path.read_bytes().decode("utf-8")  # valid UTF-8
    assert "\\ud83d" in raw and "\\udc00" in raw and "日本 😀" in raw

    def reject(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON")

    rows = [json.loads(line, parse_constant=reject) for line in raw.splitlines()]
    assert rows[0]["meta"]["note"] == text
    assert rows[1]["event"]["delta"]["thinking"] == text  # exactly, lone surrogates included
    assert rows[2]["event"] == {
        "type": "x",
        "nan": None,
        "inf": None,
        "big": 10**400,
        "set": [1, 2],
    }
    assert rows[3]["event"] == {"type": "message_stop"}


FAKE_KEY = "sk-ant-api03-FAKEfakeFAKE0123456789_-abc"
FAKE_SECRET = "hunter2-FAKE-9f8e7d"


@dataclass
class _Creds:
    user: str
    token: str
    note: str


class _Settings(BaseModel):
    endpoint: str
    api_key: str
    nested: dict[str, Any]


class _Opaque:
    def __repr__(self) -> str:
        return f"Opaque(password={FAKE_SECRET!r}, key={FAKE_KEY})"


def planted_meta() -> dict[Any, Any]:
    cycle: dict[str, Any] = {"password": FAKE_SECRET}
    cycle["self"] = cycle
    return {
        "title": "kept as it is",
        "request": {
            "model": "claude-x",
            "max_tokens": 1024,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "tools": [
                {"name": "lookup", "input_schema": {"properties": {"key": {"type": "string"}}}}
            ],
            "headers": {"x-api-key": FAKE_KEY, "authorization": f"Bearer {FAKE_SECRET}"},
            "api_key": FAKE_KEY,
            "messages": [{"role": "user", "content": "my key is in the environment"}],
        },
        "in_text": f"call it with {FAKE_KEY} please",
        "in_bytes": f"key={FAKE_KEY}".encode(),
        "in_set": {FAKE_KEY, "other"},
        "in_frozenset": frozenset({FAKE_KEY}),
        "in_tuple": ("a", FAKE_KEY),
        "in_dataclass": _Creds("me", FAKE_SECRET, f"key {FAKE_KEY}"),
        "in_model": _Settings(
            endpoint="https://x.invalid", api_key=FAKE_SECRET, nested={"token": FAKE_SECRET}
        ),
        "in_object": _Opaque(),
        "token": FAKE_SECRET,
        "access_token": FAKE_SECRET,
        "apikey": FAKE_SECRET,
        "apiKey": FAKE_SECRET,
        "passwd": FAKE_SECRET,
        "private_key": FAKE_SECRET,
        "client_secret": FAKE_SECRET,
        "Authorization": f"Bearer {FAKE_SECRET}",
        "header_line": f"Authorization: Bearer {FAKE_SECRET}",
        "credentials": {"user": "me", "pass": FAKE_SECRET},
        "url": f"https://api.invalid/v1?user=me&sig={FAKE_SECRET}#access_token={FAKE_SECRET}",
        "userinfo_url": f"https://me:{FAKE_SECRET}@host.invalid/path",
        "env": f"ANTHROPIC_API_KEY={FAKE_SECRET} python run.py",
        b"bytes_key": FAKE_KEY,
        b"api_key": FAKE_SECRET,
        ("tuple", "key"): FAKE_KEY,
        FAKE_KEY: "a key as a key",
        "cycle": cycle,
        "deep": _deep({"secret": FAKE_SECRET}, 3000),
        "max_tokens": 4096,
        "author": "Ada",
        "model_name": "x",
        "authkey": FAKE_SECRET,
        "refresh_tokens": FAKE_SECRET,
        "mytokens": FAKE_SECRET,
        "dbpassword_hash": FAKE_SECRET,
        "creds": FAKE_SECRET,
        "PIN_SECRET_count": 1234,
    }


def _deep(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("how", ["CassetteWriter", "write_cassette", "record", "arecord"])
def test_no_secret_is_written_however_it_is_planted(tmp_path: Path, how: str) -> None:
    path = tmp_path / "secrets.jsonl"
    meta = planted_meta()
    if how == "CassetteWriter":
        with CassetteWriter(path, meta=meta) as writer:
            writer.write(EVENTS[0])
    elif how == "write_cassette":
        write_cassette(path, EVENTS[:1], meta=meta)
    elif how == "record":
        list(record(iter(EVENTS[:1]), path, meta=meta))
    else:

        async def source() -> AsyncIterator[dict[str, Any]]:
            yield EVENTS[0]

        async def main() -> None:
            [e async for e in arecord(source(), path, meta=meta)]

        asyncio.run(main())
    raw = path.read_bytes()
    for secret in (FAKE_KEY, FAKE_SECRET, "FAKE"):
        assert secret.encode() not in raw, secret
    got = read_cassette(path).meta
    # what the project writes itself is kept as it is; the request loses only credentials
    assert got["title"] == "kept as it is"
    assert got["request"] == {
        "model": "claude-x",
        "max_tokens": 1024,
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "tools": [{"name": "lookup", "input_schema": {"properties": {"key": {"type": "string"}}}}],
        "messages": [{"role": "user", "content": "my key is in the environment"}],
    }
    # every key naming a secret goes, "auth" inside "author" too (issue 19's rule)
    assert got["max_tokens"] == 4096 and "author" not in got and got["model_name"] == "x"
    assert sorted(got["in_set"]) == ["[redacted]", "other"] and got["in_tuple"] == [
        "a",
        "[redacted]",
    ]
    assert got["in_dataclass"] == {"user": "me", "note": "key [redacted]"}
    assert (
        got["url"]
        == "https://api.invalid/v1?user=[redacted]&sig=[redacted]#access_token=[redacted]"
    )
    assert got["header_line"] == "Authorization: [redacted]"
    for name in ("token", "access_token", "apikey", "apiKey", "passwd", "private_key", "api_key"):
        assert name not in got
    for name in ("authkey", "refresh_tokens", "mytokens", "dbpassword_hash", "creds"):
        assert name not in got
    assert "PIN_SECRET_count" not in got  # a number under a secret's name goes too
    assert meta["token"] == FAKE_SECRET  # the caller's value is untouched


def test_sanitize_meta_never_raises_on_odd_types() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    odd = {
        b"\xff\xfe": {1, 2},
        3: Broken(),
        None: [Broken()],
        (1, 2): frozenset(),
        "m": memoryview(b"x"),
    }
    got = sanitize_meta(odd)
    assert json.loads(json.dumps(got)) == got
    assert sanitize_meta(["not", "a", "dict", FAKE_KEY]) == ["not", "a", "dict", "[redacted]"]


def test_a_recording_that_fails_before_its_first_event_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "keep.jsonl"
    write_cassette(path, EVENTS)
    before = path.read_bytes()

    def failing() -> Iterator[dict[str, Any]]:
        yield from ()
        raise ConnectionError("refused")

    gen = record(failing(), path)
    with pytest.raises(ConnectionError):
        next(gen)
    assert path.read_bytes() == before
    assert read_events(partial_path(path)) == []  # the header only


def test_a_recording_cut_mid_stream_keeps_what_arrived_beside_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    write_cassette(path, EVENTS[:1])
    before = path.read_bytes()

    def cut() -> Iterator[dict[str, Any]]:
        yield from EVENTS[:3]
        raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        for _ in record(cut(), path):
            pass
    assert path.read_bytes() == before
    assert read_events(partial_path(path)) == EVENTS[:3]
    assert read_timed_events(partial_path(path))[2][1] == EVENTS[2]
    list(record(iter(EVENTS), path))  # the next complete recording replaces both
    assert read_events(path) == EVENTS and not partial_path(path).exists()


def test_write_cassette_failure_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    write_cassette(path, EVENTS)
    before = path.read_bytes()

    def events() -> Iterator[object]:
        yield EVENTS[0]
        yield object()  # not an event: write_cassette raises

    with pytest.raises(TypeError, match="not an event"):
        write_cassette(path, events())
    assert path.read_bytes() == before
    assert not partial_path(path).exists()
    with pytest.raises(ValueError):
        write_cassette(path, EVENTS, times=[0.0])
    assert path.read_bytes() == before and not partial_path(path).exists()


def test_a_reader_that_stops_at_the_streams_end_gets_the_file_in_place(tmp_path: Path) -> None:
    # A view stops reading at an error event (and a loop at message_stop): that recording
    # is whole, so it replaces the file.
    failed = [*EVENTS[:3], {"type": "error", "error": {"type": "overloaded_error"}}, EVENTS[3]]
    for name, events, stop_after in (("stop", EVENTS, 5), ("error", failed, 4)):
        path = tmp_path / f"{name}.jsonl"
        gen = record(iter(events), path)
        for _ in range(stop_after):
            next(gen)
        gen.close()
        assert read_events(path) == events[:stop_after] and not partial_path(path).exists()
