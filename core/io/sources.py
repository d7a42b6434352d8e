"""Event sources: whatever a user passes in, out comes one stream of raw events.

How it works: ``docs/internals.md``, section ``streamscope.core.io.sources``.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import inspect
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar

from streamscope.core.io.closing import AsyncClosing, Closing
from streamscope.core.wire.request import request_of
from streamscope.core.wire.sdk import (
    is_async_stream_manager,
    is_derived_event,
    is_message_stream,
    is_stream_manager,
)

__all__ = [
    "AsyncEventIterator",
    "AsyncSourceLoopError",
    "EventIterator",
    "SourceBusyError",
    "SourceExhaustedError",
    "aiter_events",
    "iter_events",
]

_T = TypeVar("_T")

_LOOP_ERROR_HINTS = (
    "different event loop",
    "different loop",
    "attached to a different",
    "event loop is closed",
)
_CLOSE_TIMEOUT = 10.0


class AsyncSourceLoopError(RuntimeError):
    """An async source belongs to another event loop and cannot be read from sync code here."""


class SourceBusyError(RuntimeError):
    """A one-shot source is already being read by another reader."""


class SourceExhaustedError(RuntimeError):
    """A one-shot source was already read to the end (or closed): it has no events left."""


@functools.lru_cache(maxsize=1)
def _sdk_sync_stream_classes() -> tuple[type, ...]:
    try:
        from anthropic import Stream
        from anthropic.lib.streaming import (
            BetaMessageStream,
            BetaMessageStreamManager,
            MessageStream,
            MessageStreamManager,
        )
    except ImportError:  # pragma: no cover
        return ()
    return (
        Stream,
        MessageStream,
        MessageStreamManager,
        BetaMessageStream,
        BetaMessageStreamManager,
    )


def _check_source(source: object) -> None:
    if isinstance(source, (str, bytes, bytearray)):
        raise TypeError(
            "a str/bytes is not an event source: pass pathlib.Path(...) for a recording, "
            "or parse_sse_events(text) for SSE text"
        )
    if isinstance(source, dict):
        raise TypeError("a single event is not an event source: pass a list of events")
    try:
        import pydantic
    except ImportError:  # pragma: no cover
        return
    if isinstance(source, pydantic.BaseModel):
        raise TypeError("a single event is not an event source: pass a list of events")


def _loop_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RuntimeError) and any(
            hint in str(current).lower() for hint in _LOOP_ERROR_HINTS
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


_LOOP_ERROR_MESSAGE = (
    "this async source (or its client's HTTP connection) belongs to another event loop, so "
    "it cannot be read from synchronous code here. In a notebook, await it instead: "
    "`await view.consume_async(stream)` or `async for event in aiter_events(stream)`; or use "
    "the synchronous `anthropic.Anthropic` client. (An AsyncAnthropic client's connections "
    "belong to the loop that opened them.)"
)


# --------------------------------------------------------------------------- one reader


_readers_lock = threading.Lock()
_reading: dict[int, object] = {}  # id -> one-shot source being read by one of our iterators
_spent: weakref.WeakSet[Any] = weakref.WeakSet()  # one-shot sources we read to the end


@functools.lru_cache(maxsize=1)
def _sdk_stream_classes() -> tuple[type, ...]:
    try:
        from anthropic import AsyncStream, Stream
        from anthropic.lib.streaming import (
            AsyncMessageStream,
            BetaAsyncMessageStream,
            BetaMessageStream,
            MessageStream,
        )
    except ImportError:  # pragma: no cover
        return ()
    return (
        Stream,
        AsyncStream,
        MessageStream,
        AsyncMessageStream,
        BetaMessageStream,
        BetaAsyncMessageStream,
    )


def _one_shot(source: object) -> bool:
    """Whether ``source`` can be read only once: an SDK stream or an iterator."""
    if is_message_stream(source) or isinstance(source, _sdk_stream_classes()):
        return True
    if isinstance(source, (list, tuple, os.PathLike)):
        return False
    if is_stream_manager(source) or is_async_stream_manager(source):
        return False  # entering it makes a new request
    cls = type(source)
    return hasattr(cls, "__next__") or hasattr(cls, "__anext__")


def _spent_reason(source: object) -> str | None:
    """Why ``source`` has no events left, or None when it may still have some."""
    try:
        if source in _spent:
            return "it was already read to the end"
    except TypeError:  # not weakly referenceable: not remembered
        pass
    if inspect.isgenerator(source) and inspect.getgeneratorstate(source) == inspect.GEN_CLOSED:
        return "the generator has already finished (or was closed)"
    if inspect.isasyncgen(source) and source.ag_frame is None:
        return "the async generator has already finished (or was closed)"
    # SDK streams (and the replay client's) read from one generator of theirs, made on first
    # use: once it has finished, iterating the stream again yields nothing.
    attributes = getattr(source, "__dict__", None)
    inner = attributes.get("_iterator") if isinstance(attributes, dict) else None
    if inspect.isgenerator(inner) and inspect.getgeneratorstate(inner) == inspect.GEN_CLOSED:
        return "it was already read to the end (or closed)"
    if inspect.isasyncgen(inner) and inner.ag_frame is None:
        return "it was already read to the end (or closed)"
    return None


def _check_readable(source: object) -> None:
    """Refuse a one-shot source that is spent or being read by another of our iterators."""
    if not _one_shot(source):
        return
    reason = _spent_reason(source)
    if reason is not None:
        raise SourceExhaustedError(
            f"this {type(source).__name__} has no events left: {reason}. A stream can be read "
            "once: make a new request, or record it (streamscope.core.record) and replay "
            "the recording"
        )
    if id(source) in _reading:
        raise SourceBusyError(
            f"this {type(source).__name__} is already being read (by another view or loop): "
            "a stream can be read by one reader only, or each would get part of its events. "
            "Read it in one place, or record it and replay the recording to each"
        )


class _Claim:
    """Marks a one-shot source as being read for as long as one of our iterators reads it."""

    __slots__ = ("done", "source")

    def __init__(self, source: object) -> None:
        self.source: object = None
        self.done = False
        if not _one_shot(source):
            return
        with _readers_lock:
            _check_readable(source)
            _reading[id(source)] = source
        self.source = source

    def release(self) -> None:
        source = self.source
        if source is None:
            return
        self.source = None
        with _readers_lock:
            _reading.pop(id(source), None)
            if self.done:
                with contextlib.suppress(TypeError):  # not weakly referenceable
                    _spent.add(source)


# --------------------------------------------------------------------------- holders


class _Holder:
    """What the iterator learns while running, shared with its generator without a cycle."""

    __slots__ = ("message_stream",)

    def __init__(self) -> None:
        self.message_stream: Any = None


def _final_message(message_stream: Any) -> Any:
    if message_stream is None:
        return None
    try:
        return message_stream.current_message_snapshot
    except AssertionError:
        return None


class _SourceResults:
    """What an event iterator's source left behind: its SDK MessageStream and final message,
    and the request that opened it."""

    def __init__(self, holder: _Holder, source: object) -> None:
        self._holder = holder
        self.source = source
        self._request: dict[str, Any] | None = None

    @property
    def request(self) -> dict[str, Any] | None:
        """The request that opened the source, when it can be known (an SDK stream or
        manager, a replay client's stream, :func:`~streamscope.core.io.cassette.record`'s
        iterator), cleaned of credentials and headers
        (:func:`~streamscope.core.wire.request.request_of`); None otherwise. Known before the
        first event for a manager (not yet entered) and for an open stream."""
        if self._request is None:
            self._request = request_of(self.source) or request_of(self._holder.message_stream)
        return self._request

    @property
    def message_stream(self) -> Any:
        return self._holder.message_stream

    @property
    def final_message(self) -> Any:
        return _final_message(self._holder.message_stream)


class EventIterator(_SourceResults, Iterator[Any], Closing):
    """The iterator ``iter_events`` returns: raw events, plus what the source left behind.

    ``message_stream`` is the SDK ``MessageStream`` (entered from a manager, or passed in),
    so ``it.message_stream.get_final_message()`` works after iteration; ``final_message``
    is its accumulated message (sync or async stream alike), or None. ``close()`` stops
    early: it exits a manager this iterator entered and closes the iterator it took from
    the source (so a generator passed in is closed); an SDK stream passed in is not closed.
    """

    def __init__(self, gen: Iterator[Any], holder: _Holder, source: object) -> None:
        super().__init__(holder, source)
        self._gen = gen

    def __iter__(self) -> EventIterator:
        return self

    def __next__(self) -> Any:
        return next(self._gen)

    def close(self) -> None:
        close = getattr(self._gen, "close", None)
        if close is not None:
            close()


class AsyncEventIterator(_SourceResults, AsyncIterator[Any], AsyncClosing):
    """The async iterator ``aiter_events`` returns (see ``EventIterator``)."""

    def __init__(self, gen: AsyncIterator[Any], holder: _Holder, source: object) -> None:
        super().__init__(holder, source)
        self._gen = gen

    def __aiter__(self) -> AsyncEventIterator:
        return self

    async def __anext__(self) -> Any:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        aclose = getattr(self._gen, "aclose", None)
        if aclose is not None:
            await aclose()


# --------------------------------------------------------------------------- sync side


def _iter_sync(source: Any, holder: _Holder) -> Iterator[Any]:
    if isinstance(source, os.PathLike):
        from streamscope.core.io.cassette import read_events

        yield from read_events(source)
        return
    if is_stream_manager(source):
        with source as stream:
            yield from _raw_events(stream, holder)
        return
    claim = _Claim(source)
    try:
        yield from _raw_events(source, holder)
        claim.done = True
    finally:
        claim.release()


def _raw_events(stream: Any, holder: _Holder) -> Iterator[Any]:
    """Raw events of an iterable; the iterator taken from it is closed when we stop."""
    if is_message_stream(stream):
        holder.message_stream = stream
    iterator = iter(stream)
    try:
        for event in iterator:
            if not is_derived_event(event):
                yield event
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


async def _iter_async(source: Any, holder: _Holder) -> AsyncIterator[Any]:
    # One flat generator (no nested async generators): closing it closes everything at once,
    # with no reliance on the loop's async-generator finalizers.
    claim = _Claim(source)
    try:
        async with contextlib.AsyncExitStack() as stack:
            manager = is_async_stream_manager(source)
            stream = await stack.enter_async_context(source) if manager else source
            if is_message_stream(stream):
                holder.message_stream = stream
            iterator = stream.__aiter__()
            stack.push_async_callback(_aclose, iterator)
            while True:
                try:
                    event = await iterator.__anext__()
                except StopAsyncIteration:
                    claim.done = True
                    return
                if not is_derived_event(event):
                    yield event
    finally:
        claim.release()


class _Runner(Protocol):
    """Runs coroutines for sync code: on this thread's private loop, or on the worker."""

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run a coroutine to completion and return its result (or raise its error)."""

    def finish(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a clean-up coroutine, bounded in time, never raising."""


class _ThreadLoop:
    """A thread's private loop, closed when the thread (or the process) ends."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        loop = getattr(self, "loop", None)
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.close()


_thread_loops = threading.local()


def _private_loop() -> asyncio.AbstractEventLoop:
    holder: _ThreadLoop | None = getattr(_thread_loops, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _ThreadLoop()
        _thread_loops.holder = holder
        if threading.current_thread() is threading.main_thread():
            atexit.register(holder.__del__)
    return holder.loop


class _PrivateLoopRunner:
    def __init__(self) -> None:
        self.loop = _private_loop()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        task = self.loop.create_task(coro)
        try:
            return self.loop.run_until_complete(task)
        except BaseException:
            if not task.done():  # interrupted (e.g. KeyboardInterrupt): cancel what was started
                task.cancel()
                with contextlib.suppress(BaseException):
                    self.loop.run_until_complete(task)
            raise

    def finish(self, coro: Coroutine[Any, Any, None]) -> None:
        if self.loop.is_closed() or self.loop.is_running():
            coro.close()
            return
        with contextlib.suppress(Exception):
            self.run(asyncio.wait_for(coro, _CLOSE_TIMEOUT))


_worker_lock = threading.Lock()
_worker_loop: asyncio.AbstractEventLoop | None = None


def _shared_worker_loop() -> asyncio.AbstractEventLoop:
    global _worker_loop
    with _worker_lock:
        if _worker_loop is None or _worker_loop.is_closed():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="streamscope-async-driver", daemon=True)
            thread.start()
            started.wait()
            _worker_loop = loop
        return _worker_loop


class _WorkerThreadRunner:
    def __init__(self) -> None:
        self.loop = _shared_worker_loop()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            if not future.done():  # interrupted while waiting: stop the work on the worker
                future.cancel()
                with contextlib.suppress(BaseException):
                    future.result(timeout=_CLOSE_TIMEOUT)
            raise

    def finish(self, coro: Coroutine[Any, Any, None]) -> None:
        if self.loop.is_closed() or not self.loop.is_running():
            coro.close()
            return
        if _running_loop() is self.loop:  # finalised on the worker itself: do not wait on it
            self.loop.create_task(coro)
            return
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            future.result(timeout=_CLOSE_TIMEOUT)
        except (Exception, concurrent.futures.CancelledError):
            future.cancel()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _anext(iterator: AsyncIterator[_T]) -> _T:
    return await iterator.__anext__()


async def _aclose(iterator: AsyncIterator[Any]) -> None:
    aclose: Callable[[], Awaitable[None]] | None = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


def _drive_async(source: Any, holder: _Holder) -> Iterator[Any]:
    runner: _Runner = _WorkerThreadRunner() if _running_loop() else _PrivateLoopRunner()
    agen = _iter_async(source, holder)
    finished = False
    try:
        while True:
            try:
                event = runner.run(_anext(agen))
            except StopAsyncIteration:
                finished = True
                return
            except Exception as exc:
                finished = True  # an async generator that raised is already closed
                if _loop_error(exc):
                    raise AsyncSourceLoopError(_LOOP_ERROR_MESSAGE) from exc
                raise
            yield event
    finally:
        if not finished:
            runner.finish(_aclose(agen))


def iter_events(source: Any) -> EventIterator:
    """Raw events from any source, for sync code (see the module docstring).

    ``source``: an iterable or async iterable of events; an SDK ``Stream``/``AsyncStream``;
    a ``MessageStream``/``AsyncMessageStream`` or the manager ``messages.stream(...)``
    returns (entered here and exited at the end); or an ``os.PathLike`` recording
    (``.jsonl`` cassette or SSE text). Events come out unchanged (same objects).
    """
    if isinstance(source, EventIterator):
        return source
    _check_source(source)
    _check_readable(source)
    holder = _Holder()
    gen: Iterator[Any]
    if isinstance(source, os.PathLike) or is_stream_manager(source) or hasattr(source, "__iter__"):
        gen = _iter_sync(source, holder)
    elif is_async_stream_manager(source) or hasattr(source, "__aiter__"):
        gen = _drive_async(source, holder)
    else:
        raise TypeError(f"not an event source: {type(source).__name__}")
    return EventIterator(gen, holder, source)


# --------------------------------------------------------------------------- async side


_DONE = object()


async def _iter_sync_threaded(source: Any, holder: _Holder) -> AsyncIterator[Any]:
    """Pull a blocking (SDK, network) sync source in worker threads, keeping the loop free."""
    manager = source if is_stream_manager(source) else None
    claim = _Claim(source)
    try:
        stream = await asyncio.to_thread(source.__enter__) if manager is not None else source
        try:
            if is_message_stream(stream):
                holder.message_stream = stream
            iterator = iter(stream)
            while True:
                event = await asyncio.to_thread(next, iterator, _DONE)
                if event is _DONE:
                    claim.done = True
                    return
                if not is_derived_event(event):
                    yield event
        finally:
            if manager is not None:
                await asyncio.to_thread(manager.__exit__, None, None, None)
    finally:
        claim.release()


async def _from_sync(gen: Iterator[Any]) -> AsyncIterator[Any]:
    try:
        for event in gen:
            yield event
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            close()


def aiter_events(source: Any, *, threaded: bool | None = None) -> AsyncEventIterator:
    """Raw events from any source, for async code (``async for event in aiter_events(s)``).

    Takes everything ``iter_events`` takes. A sync source is iterated directly, except the
    SDK's sync streams and managers, which block on the network: those are pulled in worker
    threads so the event loop (and a notebook's buttons) stays responsive. ``threaded``
    forces either way for sync sources.
    """
    if isinstance(source, AsyncEventIterator):
        return source
    _check_source(source)
    _check_readable(source)
    holder = _Holder()
    gen: AsyncIterator[Any]
    if is_async_stream_manager(source) or hasattr(source, "__aiter__"):
        gen = _iter_async(source, holder)
    elif isinstance(source, os.PathLike):
        gen = _from_sync(_iter_sync(source, holder))
    elif is_stream_manager(source) or hasattr(source, "__iter__"):
        if threaded is None:
            threaded = isinstance(source, _sdk_sync_stream_classes())
        if threaded:
            gen = _iter_sync_threaded(source, holder)
        else:
            gen = _from_sync(_iter_sync(source, holder))
    else:
        raise TypeError(f"not an event source: {type(source).__name__}")
    return AsyncEventIterator(gen, holder, source)
