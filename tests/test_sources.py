"""Event sources: real anthropic SDK streams served offline, and sync-over-async driving."""

from __future__ import annotations

import asyncio
import functools
import gc
import http.server
import socketserver
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.lib.streaming import ParsedMessageStopEvent, TextEvent
from anthropic.types import RawContentBlockStopEvent, RawMessageStopEvent
from conftest import RECORDED, skip_or_fail

from streamscope.core.io.cassette import write_cassette
from streamscope.core.io.sources import (
    AsyncEventIterator,
    AsyncSourceLoopError,
    EventIterator,
    SourceBusyError,
    SourceExhaustedError,
    aiter_events,
    iter_events,
)
from streamscope.core.wire.sdk import event_to_dict, is_derived_event
from streamscope.core.wire.sse import parse_sse_events

REQUEST: dict[str, Any] = {
    "model": "claude-test",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}
SELECTED = [
    "anthropic-sdk-python/basic_response.txt",
    "anthropic-sdk-python/tool_use_response.txt",
    "anthropic-sdk-python/compaction_response.txt",
    "anthropic-sdk-python/server_tool_use_response.txt",
    "llm-anthropic/test_tools.0.sse",
    "llm-anthropic/test_thinking_prompt.0.sse",
    "llm-anthropic/test_web_search.0.sse",
    "pydantic-ai/test_anthropic_model_thinking_part_redacted_stream.0.sse",
    "pydantic-ai/test_anthropic_mcp_servers_stream.0.sse",
]


def all_fixtures() -> list[str]:
    if not RECORDED.is_dir():
        return []
    return sorted(str(p.relative_to(RECORDED)) for p in RECORDED.rglob("*") if p.is_file())


def selected_fixtures() -> list[str]:
    return [name for name in SELECTED if (RECORDED / name).is_file()]


def fixture_body(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def expected(body: bytes) -> list[dict[str, Any]]:
    # The SDK drops `ping` on the wire; everything else must arrive exactly once.
    return [e for e in parse_sse_events(body) if e["type"] != "ping"]


def sse_response(body: bytes) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def sync_client(body: bytes) -> anthropic.Anthropic:
    transport = httpx2.MockTransport(lambda request: sse_response(body))
    return anthropic.Anthropic(
        api_key="test", max_retries=0, http_client=httpx2.Client(transport=transport)
    )


def async_client(body: bytes) -> anthropic.AsyncAnthropic:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        return sse_response(body)

    transport = httpx2.MockTransport(handler)
    return anthropic.AsyncAnthropic(
        api_key="test", max_retries=0, http_client=httpx2.AsyncClient(transport=transport)
    )


def as_dicts(events: list[Any]) -> list[dict[str, Any]]:
    assert not any(isinstance(e, dict) for e in events)  # real SDK objects came through
    return [event_to_dict(e) for e in events]


def check_final(final: Any, body: bytes) -> None:
    wire = expected(body)
    deltas = [e for e in wire if e["type"] == "message_delta"]
    assert final is not None
    assert final.id == wire[0]["message"]["id"]
    starts = [e for e in wire if e["type"] == "content_block_start"]
    assert len(final.content) == len(starts)
    if deltas:
        assert final.stop_reason == deltas[-1]["delta"]["stop_reason"]


# --------------------------------------------------------------------------- real SDK objects


@pytest.mark.parametrize("name", all_fixtures())
def test_sync_create_stream_all_fixtures(name: str) -> None:
    body = fixture_body(name)
    stream = sync_client(body).messages.create(stream=True, **REQUEST)
    it = iter_events(stream)
    assert as_dicts(list(it)) == expected(body)
    assert it.message_stream is None and it.final_message is None


@pytest.mark.parametrize("name", selected_fixtures())
def test_sync_message_stream_manager(name: str) -> None:
    body = fixture_body(name)
    it = iter_events(sync_client(body).messages.stream(**REQUEST))
    assert iter_events(it) is it  # normalising twice keeps the message stream reachable
    events = list(it)
    assert not any(is_derived_event(e) for e in events)
    assert as_dicts(events) == expected(body)
    stops = [e for e in events if e.type == "message_stop"]
    for stop in stops:  # the MessageStream's own stop event (with snapshot) passes through
        assert isinstance(stop, ParsedMessageStopEvent)
    message = it.message_stream.get_final_message()
    assert message is it.final_message
    check_final(message, body)
    assert it.message_stream.response.is_closed  # the manager was exited


@pytest.mark.parametrize("name", selected_fixtures())
def test_sync_message_stream_entered_by_caller(name: str) -> None:
    body = fixture_body(name)
    with sync_client(body).messages.stream(**REQUEST) as stream:
        it = iter_events(stream)
        events = list(it)
        assert it.message_stream is stream
        check_final(stream.get_final_message(), body)
    assert as_dicts(events) == expected(body)


@pytest.mark.parametrize("name", selected_fixtures())
def test_beta_create_and_stream(name: str) -> None:
    body = fixture_body(name)
    client = sync_client(body)
    raw = list(iter_events(client.beta.messages.create(stream=True, **REQUEST)))
    assert as_dicts(raw) == expected(body)
    it = iter_events(client.beta.messages.stream(**REQUEST))
    assert as_dicts(list(it)) == expected(body)
    check_final(it.message_stream.get_final_message(), body)
    assert type(it.final_message).__name__ == "ParsedBetaMessage"


@pytest.mark.parametrize("name", selected_fixtures())
def test_async_sources(name: str) -> None:
    body = fixture_body(name)

    async def main() -> None:
        client = async_client(body)
        stream = await client.messages.create(stream=True, **REQUEST)
        assert as_dicts([e async for e in aiter_events(stream)]) == expected(body)
        it = aiter_events(client.messages.stream(**REQUEST))
        assert as_dicts([e async for e in it]) == expected(body)
        check_final(await it.message_stream.get_final_message(), body)
        bit = aiter_events(client.beta.messages.stream(**REQUEST))
        assert as_dicts([e async for e in bit]) == expected(body)
        check_final(await bit.message_stream.get_final_message(), body)
        bstream = await client.beta.messages.create(stream=True, **REQUEST)
        assert as_dicts([e async for e in aiter_events(bstream)]) == expected(body)

    asyncio.run(main())


@pytest.mark.parametrize("name", selected_fixtures()[:3])
def test_async_iteration_of_sync_sdk_stream_uses_threads(name: str) -> None:
    body = fixture_body(name)

    async def main() -> None:
        it = aiter_events(sync_client(body).messages.stream(**REQUEST))
        assert as_dicts([e async for e in it]) == expected(body)
        check_final(it.message_stream.get_final_message(), body)

    asyncio.run(main())


@pytest.mark.parametrize("name", selected_fixtures()[:4])
def test_sync_over_async_sdk_without_running_loop(name: str) -> None:
    body = fixture_body(name)
    client = async_client(body)
    for _ in range(2):  # same client twice: its connections stay on one loop
        it = iter_events(client.messages.stream(**REQUEST))
        assert as_dicts(list(it)) == expected(body)
        check_final(it.final_message, body)
    it = iter_events(client.beta.messages.stream(**REQUEST))
    assert as_dicts(list(it)) == expected(body)


@pytest.mark.parametrize("name", selected_fixtures()[:4])
def test_sync_over_async_sdk_inside_running_loop(name: str) -> None:
    body = fixture_body(name)

    async def main() -> None:
        client = async_client(body)
        for _ in range(2):
            it = iter_events(client.messages.stream(**REQUEST))
            assert as_dicts(list(it)) == expected(body)
            check_final(it.final_message, body)

    asyncio.run(main())


def test_early_close_exits_sdk_manager() -> None:
    name = "llm-anthropic/test_tools.0.sse"
    if not (RECORDED / name).is_file():
        skip_or_fail("../shared/fixtures absent")
    body = fixture_body(name)
    it = iter_events(sync_client(body).messages.stream(**REQUEST))
    next(it)
    next(it)
    it.close()
    assert it.message_stream.response.is_closed

    async def main() -> None:
        ait = aiter_events(async_client(body).messages.stream(**REQUEST))
        await ait.__anext__()
        await ait.aclose()
        assert ait.message_stream.response.is_closed

    asyncio.run(main())


# --------------------------------------------------------------------------- generic sources


EVENTS: list[dict[str, Any]] = [{"type": "message_start", "n": i} for i in range(5)]


def test_iterable_events_come_out_unchanged() -> None:
    got = list(iter_events(EVENTS))
    assert all(a is b for a, b in zip(got, EVENTS, strict=True))
    gen_got = list(iter_events(e for e in EVENTS))
    assert all(a is b for a, b in zip(gen_got, EVENTS, strict=True))


def test_derived_events_are_skipped_raw_pass() -> None:
    text = TextEvent(type="text", text="a", snapshot="a")
    stop = RawContentBlockStopEvent(type="content_block_stop", index=0)
    plain_text = {"type": "text"}
    assert is_derived_event(text)
    assert not is_derived_event(stop) and not is_derived_event(plain_text)
    assert not is_derived_event(RawMessageStopEvent(type="message_stop"))
    got = list(iter_events([text, stop, plain_text]))
    assert got == [stop, plain_text] and got[0] is stop


@pytest.mark.parametrize("bad", ["data: {}\n\n", b"data", {"type": "ping"}, 42])
def test_not_a_source(bad: Any) -> None:
    with pytest.raises(TypeError):
        iter_events(bad)
    with pytest.raises(TypeError):
        aiter_events(bad)


def test_single_sdk_event_is_not_a_source() -> None:
    with pytest.raises(TypeError):
        iter_events(RawMessageStopEvent(type="message_stop"))


def test_path_source(tmp_path: Path) -> None:
    path = tmp_path / "s.sse"
    path.write_text('data: {"type": "ping"}\n\ndata: {"type": "message_stop"}\n\n')
    assert list(iter_events(path)) == [{"type": "ping"}, {"type": "message_stop"}]

    async def main() -> list[Any]:
        return [e async for e in aiter_events(path)]

    assert asyncio.run(main()) == [{"type": "ping"}, {"type": "message_stop"}]


def test_iterators_are_context_managers() -> None:
    with iter_events(iter(EVENTS)) as it:
        assert isinstance(it, EventIterator)
        assert next(it) is EVENTS[0]

    async def main() -> None:
        async with aiter_events(EVENTS) as ait:
            assert isinstance(ait, AsyncEventIterator)
            assert await ait.__anext__() is EVENTS[0]

    asyncio.run(main())


# --------------------------------------------------------------------------- sync over async


class Probe:
    """An async source that records where it ran and whether it was closed."""

    def __init__(self, n: int = 5, fail_after: int | None = None) -> None:
        self.n = n
        self.fail_after = fail_after
        self.threads: set[int] = set()
        self.loops: set[int] = set()
        self.closed = threading.Event()

    async def gen(self) -> AsyncIterator[dict[str, Any]]:
        try:
            for i in range(self.n):
                if self.fail_after is not None and i == self.fail_after:
                    raise ValueError(f"boom at {i}")
                await asyncio.sleep(0)
                self.threads.add(threading.get_ident())
                self.loops.add(id(asyncio.get_running_loop()))
                yield EVENTS[i]
        finally:
            self.closed.set()


def in_running_loop(fn: Callable[[], Any]) -> Any:
    async def main() -> Any:
        return fn()

    return asyncio.run(main())


def test_async_iterable_without_running_loop_runs_in_this_thread() -> None:
    probe = Probe()
    got = list(iter_events(probe.gen()))
    assert all(a is b for a, b in zip(got, EVENTS, strict=True))
    assert probe.threads == {threading.get_ident()}
    probe2 = Probe()
    list(iter_events(probe2.gen()))
    assert probe2.loops == probe.loops  # one persistent private loop per thread


def test_async_iterable_inside_running_loop_runs_in_worker_thread() -> None:
    probe = Probe()

    def consume() -> tuple[list[Any], int]:
        return list(iter_events(probe.gen())), id(asyncio.get_running_loop())

    got, caller_loop = in_running_loop(consume)
    assert all(a is b for a, b in zip(got, EVENTS, strict=True))
    assert threading.get_ident() not in probe.threads
    assert caller_loop not in probe.loops


def test_async_manager_is_entered_and_exited() -> None:
    log: list[str] = []

    class Manager:
        async def __aenter__(self) -> AsyncIterator[dict[str, Any]]:
            log.append("enter")
            return Probe(3).gen()

        async def __aexit__(self, *exc: object) -> None:
            log.append("exit")

    assert len(list(iter_events(Manager()))) == 3
    assert log == ["enter", "exit"]
    log.clear()
    assert len(in_running_loop(lambda: list(iter_events(Manager())))) == 3
    assert log == ["enter", "exit"]
    log.clear()
    it = iter_events(Manager())
    next(it)
    it.close()
    assert log == ["enter", "exit"]


@pytest.mark.parametrize("running", [False, True])
def test_early_close_closes_the_async_iterator(running: bool) -> None:
    def consume_two(probe: Probe) -> list[Any]:
        it = iter_events(probe.gen())
        got = [next(it), next(it)]
        it.close()
        return got

    def break_early(probe: Probe) -> None:
        for _ in iter_events(probe.gen()):
            break
        gc.collect()

    runs: list[Callable[[Probe], object]] = [consume_two, break_early]
    for run in runs:
        probe = Probe()
        if running:
            in_running_loop(functools.partial(run, probe))
        else:
            run(probe)
        assert probe.closed.wait(5), run.__name__


@pytest.mark.parametrize("running", [False, True])
def test_exceptions_propagate(running: bool) -> None:
    probe = Probe(5, fail_after=2)
    got: list[Any] = []

    def consume() -> None:
        for event in iter_events(probe.gen()):
            got.append(event)  # noqa: PERF402 - the loop is what is under test

    with pytest.raises(ValueError, match="boom at 2"):
        if running:
            in_running_loop(consume)
        else:
            consume()
    assert got == EVENTS[:2]
    assert probe.closed.is_set()


def test_exception_raised_before_first_event() -> None:
    class Failing:
        def __aiter__(self) -> Failing:
            return self

        async def __anext__(self) -> Any:
            raise KeyError("nope")

    with pytest.raises(KeyError):
        list(iter_events(Failing()))
    with pytest.raises(KeyError):
        in_running_loop(lambda: list(iter_events(Failing())))


def test_source_bound_to_callers_loop_gives_clear_error() -> None:
    async def main() -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def bound() -> AsyncIterator[dict[str, Any]]:
            yield EVENTS[0]
            await future  # belongs to the caller's loop, not the worker's

        it = iter_events(bound())
        assert next(it) is EVENTS[0]
        with pytest.raises(AsyncSourceLoopError, match="consume_async") as info:
            next(it)
        assert isinstance(info.value.__cause__, RuntimeError)
        future.cancel()

    asyncio.run(main())


def test_sdk_stream_opened_on_callers_loop_gives_clear_error() -> None:
    """The real case, over loopback: a stream opened by `await client.messages.create(...)`
    on the notebook's loop cannot be read from sync code on another loop."""
    name = "llm-anthropic/test_prompt.0.sse"
    if not (RECORDED / name).is_file():
        skip_or_fail("../shared/fixtures absent")
    body = fixture_body(name)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body[:50])
                self.wfile.flush()
                threading.Event().wait(0.2)
                self.wfile.write(body[50:])
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    try:
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    except OSError as exc:  # pragma: no cover
        pytest.skip(f"no loopback: {exc}")
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    async def main() -> None:
        client = anthropic.AsyncAnthropic(api_key="test", base_url=url, max_retries=0)
        stream = await client.messages.create(stream=True, **REQUEST)
        with pytest.raises(AsyncSourceLoopError):
            list(iter_events(stream))
        await stream.close()
        await client.close()

    try:
        asyncio.run(main())
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- async side


def test_aiter_events_over_sync_sources() -> None:
    main_thread = threading.get_ident()
    seen: list[int] = []

    def gen() -> Iterator[dict[str, Any]]:
        for event in EVENTS:
            seen.append(threading.get_ident())
            yield event

    async def main(threaded: bool | None) -> list[Any]:
        return [e async for e in aiter_events(gen(), threaded=threaded)]

    got = asyncio.run(main(None))
    assert all(a is b for a, b in zip(got, EVENTS, strict=True)) and set(seen) == {main_thread}
    seen.clear()
    got = asyncio.run(main(True))
    assert len(got) == 5 and main_thread not in seen


def test_aiter_events_early_close_and_errors() -> None:
    probe = Probe()

    async def main() -> None:
        ait = aiter_events(probe.gen())
        assert await ait.__anext__() is EVENTS[0]
        await ait.aclose()

    asyncio.run(main())
    assert probe.closed.is_set()

    failing = Probe(5, fail_after=1)

    async def main2() -> list[Any]:
        return [e async for e in aiter_events(failing.gen())]

    with pytest.raises(ValueError, match="boom at 1"):
        asyncio.run(main2())


# --------------------------------------------------------------------------- one reader

FEW = parse_sse_events(
    'event: message_start\ndata: {"type": "message_start", "message": {"id": "m"}}\n\n'
    'event: ping\ndata: {"type": "ping"}\n\n'
    'event: message_stop\ndata: {"type": "message_stop"}\n\n'
)


def test_a_generator_being_read_is_refused_to_a_second_reader() -> None:
    source = iter(list(FEW))
    gen = (e for e in FEW)
    first = iter_events(gen)
    assert next(first) is FEW[0]
    with pytest.raises(SourceBusyError, match="already being read"):
        iter_events(gen)
    assert list(first) == FEW[1:]
    # created before either started: the second to start is refused when it starts
    gen2 = (e for e in FEW)
    a, b = iter_events(gen2), iter_events(gen2)
    assert next(a) is FEW[0]
    with pytest.raises(SourceBusyError):
        next(b)
    assert list(a) == FEW[1:]
    assert list(iter_events(source)) == FEW


def test_an_async_stream_shared_by_two_readers_is_refused() -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for event in FEW:
            await asyncio.sleep(0)
            yield event

    async def main() -> list[Any]:
        shared = source()
        first, early = aiter_events(shared), aiter_events(shared)
        got = [await first.__anext__()]
        with pytest.raises(SourceBusyError, match="one reader"):
            aiter_events(shared)
        with pytest.raises(SourceBusyError):
            await early.__anext__()
        got += [e async for e in first]
        with pytest.raises(SourceExhaustedError, match="no events left"):
            aiter_events(shared)
        return got

    assert asyncio.run(main()) == FEW


def test_a_spent_source_is_refused_with_a_message_that_says_so() -> None:
    gen = (e for e in FEW)
    assert list(iter_events(gen)) == FEW
    with pytest.raises(SourceExhaustedError, match="already read to the end"):
        iter_events(gen)
    closed = (e for e in FEW)
    it = iter_events(closed)
    next(it)
    it.close()  # stopped early: the generator passed in is closed with it
    with pytest.raises(SourceExhaustedError, match="or was closed"):
        iter_events(closed)


def test_an_exhausted_sdk_stream_is_refused() -> None:
    body = fixture_body(SELECTED[0]) if RECORDED.is_dir() else None
    if body is None:
        skip_or_fail("../shared/fixtures absent")
    client = sync_client(body)
    stream = client.messages.create(stream=True, **REQUEST)
    assert as_dicts(list(iter_events(stream))) == expected(body)
    with pytest.raises(SourceExhaustedError, match="make a new request"):
        iter_events(stream)
    elsewhere = client.messages.create(stream=True, **REQUEST)
    for _ in elsewhere:  # read to the end without streamscope
        pass
    with pytest.raises(SourceExhaustedError):
        iter_events(elsewhere)
    with pytest.raises(SourceExhaustedError):
        aiter_events(elsewhere)

    async def main() -> None:
        astream = await async_client(body).messages.create(stream=True, **REQUEST)
        assert as_dicts([e async for e in aiter_events(astream)]) == expected(body)
        with pytest.raises(SourceExhaustedError):
            aiter_events(astream)

    asyncio.run(main())


def test_sources_that_can_be_read_again_are_not_refused(tmp_path: Path) -> None:
    assert list(iter_events(FEW)) == list(iter_events(FEW)) == FEW
    path = tmp_path / "events.jsonl"
    write_cassette(path, FEW)
    assert list(iter_events(path)) == list(iter_events(path)) == FEW
    if RECORDED.is_dir():
        client = sync_client(fixture_body(SELECTED[0]))
        manager = client.messages.stream(**REQUEST)  # entering it makes a new request
        assert list(iter_events(manager)) and list(iter_events(manager))
