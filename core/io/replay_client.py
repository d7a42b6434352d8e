"""ReplayClient: an offline stand-in for ``anthropic.Anthropic`` that serves recorded turns.

How it works: ``docs/internals.md``, section ``streamscope.core.io.replay_client``.
"""

from __future__ import annotations

import asyncio
import copy
import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from types import TracebackType
from typing import Any

from streamscope.core.io.cassette import Cassette, is_cassette_path, read_cassette
from streamscope.core.io.closing import AsyncClosing, Closing
from streamscope.core.io.playback import Replay, ReplaySource, load_timed_events
from streamscope.core.json.codec import copy_json
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.request import clean_request

__all__ = [
    "AsyncReplayClient",
    "AsyncReplayMessageStream",
    "AsyncReplayMessageStreamManager",
    "AsyncReplayStream",
    "ReplayClient",
    "ReplayExhaustedError",
    "ReplayMessageStream",
    "ReplayMessageStreamManager",
    "ReplayStream",
    "recorded_time",
]

TimedEvents = list[tuple[float | None, dict[str, Any]]]
_REQUIRED = ("max_tokens", "messages", "model")


def recorded_time(source: object) -> tuple[float | None, float | None] | None:
    """Where a replay client's stream (or stream manager) is in its recording: ``(the
    recorded time of the last event read, in seconds since the request or None before the
    first; the replay's speed, None: instant)``; None for any other source. A view that
    consumes such a stream shows the recording's figures (not wall time sped up) and says
    at what speed it was replayed."""
    recording = getattr(source, "_recording", None)
    if not isinstance(recording, _Recording):
        return None
    current = recording.current
    return (current.last_time if current is not None else None), recording.speed


class ReplayExhaustedError(RuntimeError):
    """A request arrived after every recorded turn was served."""


def _final_model(message: dict[str, Any], beta: bool) -> Any:
    """The SDK's (Beta)Message for a message dict, built loosely like the SDK's responses."""
    try:
        from anthropic._models import construct_type
        from anthropic.types import Message
        from anthropic.types.beta import BetaMessage
    except ImportError:  # pragma: no cover - anthropic is a dependency
        return message
    return construct_type(value=message, type_=BetaMessage if beta else Message)


def _copy_value(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # an uncopyable value (a lock, a client...) is kept as is
        return value


def _copy_request(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: _copy_value(value) for key, value in kwargs.items()}


class _Closed(Exception):
    """Raised inside a paced replay's wait once the stream was closed."""


class _Recording:
    """One served turn: its events (copied), pacing, and the state built while reading."""

    def __init__(
        self,
        timed: TimedEvents,
        speed: float | None,
        beta: bool,
        request: dict[str, Any],
        request_at: float | None = None,
    ) -> None:
        self.timed = [(t, copy_json(event)) for t, event in timed]  # any depth, no recursion
        self.speed = speed
        self.beta = beta
        self._raw_request = request
        self._request: dict[str, Any] | None = None
        self.request_at = request_at
        self.state = StreamState(request=request)
        self.closed = False
        self.current: Replay | None = None
        """The replay being read (its position says where the recording is)."""

    @property
    def request(self) -> dict[str, Any]:
        """The request as recorded (cleaned of credentials), made on first use."""
        if self._request is None:
            self._request = clean_request(self._raw_request)
        return self._request

    def replay(self) -> Replay:
        self.current = Replay(
            self.timed,
            self.speed,
            sleep=self._sleep,
            asleep=self._asleep,
            request_at=self.request_at,
        )
        return self.current

    def _sleep(self, seconds: float) -> None:
        # Replay sleeps in short ticks: closing the stream from another thread ends a wait
        if self.closed:
            raise _Closed
        time.sleep(seconds)

    async def _asleep(self, seconds: float) -> None:
        if self.closed:
            raise _Closed
        await asyncio.sleep(seconds)

    def snapshot(self) -> Any:
        return _final_model(self.state.to_message(), self.beta)

    def serve(self, event: dict[str, Any]) -> bool:
        """Take in one replayed event (the stream's state learns it); False once the stream
        was closed: the event is not served. The one step of both stream classes."""
        if self.closed:
            return False
        self.state.apply(event)
        return True


def _delta_text(event: dict[str, Any]) -> str | None:
    """The text of a ``text_delta`` event (what ``text_stream`` yields), else None."""
    delta = event.get("delta") if event.get("type") == "content_block_delta" else None
    if isinstance(delta, dict) and delta.get("type") == "text_delta":
        return str(delta.get("text", ""))
    return None


def _final_text(message: Any) -> str:
    """A final message's text blocks joined (what ``get_final_text`` returns)."""
    return "".join(getattr(block, "text", "") for block in message.content if block.type == "text")


# --------------------------------------------------------------------------- sync streams


class ReplayStream(Closing):
    """What ``messages.create(..., stream=True)`` returns: raw event dicts, once."""

    def __init__(self, recording: _Recording) -> None:
        self._recording = recording
        self._iterator: Iterator[dict[str, Any]] = self._events()

    @property
    def request(self) -> dict[str, Any]:
        """The request this stream answers, as recorded (cleaned of credentials)."""
        return self._recording.request

    def _events(self) -> Iterator[dict[str, Any]]:
        try:
            for event in self._recording.replay():
                if not self._recording.serve(event):
                    return
                yield event
        except _Closed:
            return

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._recording.closed:
            raise StopIteration
        return next(self._iterator)

    def close(self) -> None:
        self._recording.closed = True


class ReplayMessageStream(ReplayStream):
    """The value of ``with client.messages.stream(...) as stream``."""

    @property
    def current_message_snapshot(self) -> Any:
        return self._recording.snapshot()

    def until_done(self) -> None:
        for _ in self:
            pass

    def get_final_message(self) -> Any:
        self.until_done()
        return self._recording.snapshot()

    def get_final_text(self) -> str:
        return _final_text(self.get_final_message())

    @property
    def text_stream(self) -> Iterator[str]:
        for event in self:
            text = _delta_text(event)
            if text is not None:
                yield text


class ReplayMessageStreamManager:
    """What ``messages.stream(...)`` returns: enter it to get the stream."""

    def __init__(self, recording: _Recording) -> None:
        self._stream = ReplayMessageStream(recording)
        self._recording = recording

    @property
    def request(self) -> dict[str, Any]:
        """The request entering it sends (known before: what ``record`` writes)."""
        return self._recording.request

    def __enter__(self) -> ReplayMessageStream:
        return self._stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stream.close()


# --------------------------------------------------------------------------- async streams


class AsyncReplayStream(AsyncClosing):
    """Async twin of :class:`ReplayStream` (``await client.messages.create(stream=True)``)."""

    def __init__(self, recording: _Recording) -> None:
        self._recording = recording
        self._iterator: AsyncIterator[dict[str, Any]] = self._events()

    @property
    def request(self) -> dict[str, Any]:
        """The request this stream answers, as recorded (cleaned of credentials)."""
        return self._recording.request

    async def _events(self) -> AsyncIterator[dict[str, Any]]:
        try:
            async for event in self._recording.replay():
                if not self._recording.serve(event):
                    return
                yield event
        except _Closed:
            return

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._recording.closed:
            raise StopAsyncIteration
        return await self._iterator.__anext__()

    async def aclose(self) -> None:
        self._recording.closed = True
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None:
            await aclose()

    close = aclose  # the SDK's AsyncStream calls it close()


class AsyncReplayMessageStream(AsyncReplayStream):
    """The value of ``async with client.messages.stream(...) as stream``."""

    @property
    def current_message_snapshot(self) -> Any:
        return self._recording.snapshot()

    async def until_done(self) -> None:
        async for _ in self:
            pass

    async def get_final_message(self) -> Any:
        await self.until_done()
        return self._recording.snapshot()

    async def get_final_text(self) -> str:
        return _final_text(await self.get_final_message())

    @property
    def text_stream(self) -> AsyncIterator[str]:
        return self._texts()

    async def _texts(self) -> AsyncIterator[str]:
        async for event in self:
            text = _delta_text(event)
            if text is not None:
                yield text


class AsyncReplayMessageStreamManager:
    """What ``messages.stream(...)`` of the async client returns (``async with`` it)."""

    def __init__(self, recording: _Recording) -> None:
        self._stream = AsyncReplayMessageStream(recording)
        self._recording = recording

    @property
    def request(self) -> dict[str, Any]:
        """The request entering it sends (known before: what ``arecord`` writes)."""
        return self._recording.request

    async def __aenter__(self) -> AsyncReplayMessageStream:
        return self._stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stream.close()


# --------------------------------------------------------------------------- clients


def _load_turns(cassettes: Any) -> list[tuple[TimedEvents, float | None]]:
    """Each turn's ``(t, event)`` pairs and when its request was sent (None: unknown)."""
    if isinstance(cassettes, (str, os.PathLike, Cassette)):
        cassettes = [cassettes]
    turns: list[tuple[TimedEvents, float | None]] = []
    for n, source in enumerate(cassettes):
        if isinstance(source, dict):
            raise TypeError(
                f"turn {n} is a single event: pass one recording per turn, e.g. "
                "ReplayClient([events_of_turn_1, events_of_turn_2])"
            )
        if isinstance(source, (str, os.PathLike)) and is_cassette_path(source):
            source = read_cassette(source)
        if isinstance(source, Cassette):
            turns.append((source.timed_events(), source.request_at))
        else:
            turns.append((load_timed_events(source), None))
    return turns


class _BaseReplayClient:
    def __init__(self, cassettes: Sequence[ReplaySource], *, speed: float | None = None) -> None:
        loaded = _load_turns(cassettes)
        self.turns = [timed for timed, _ in loaded]
        """The recorded turns, as ``(t, event)`` lists, served in order."""
        self.request_times: list[float | None] = [at for _, at in loaded]
        """When each turn's request was sent, in its recording's seconds (None: unknown)."""
        self.speed = speed
        self.requests: list[dict[str, Any]] = []
        """Deep copies of every request's keyword arguments, in order."""
        self.endpoints: list[str] = []
        """Which method served each request, e.g. ``"messages.create"``."""
        self.served = 0

    @property
    def remaining(self) -> int:
        return len(self.turns) - self.served

    def _next(self, endpoint: str, kwargs: dict[str, Any], beta: bool) -> _Recording:
        missing = [name for name in _REQUIRED if name not in kwargs]
        if missing:
            raise TypeError(f"{endpoint}() missing required arguments: {', '.join(missing)}")
        if not beta and "betas" in kwargs:
            raise TypeError(
                f"{endpoint}() got an unexpected keyword argument 'betas' "
                "(use client.beta.messages)"
            )
        self.requests.append(_copy_request(kwargs))
        self.endpoints.append(endpoint)
        number = len(self.requests)
        if self.served >= len(self.turns):
            recorded = len(self.turns)
            raise ReplayExhaustedError(
                f"request #{number} ({endpoint}) has no recorded turn to replay: "
                f"{recorded} turn{'s' if recorded != 1 else ''} were recorded and all "
                "were served. A replay client serves each turn once: make a new "
                "ReplayClient / AsyncReplayClient for each run (in a notebook, in the cell "
                "that runs the loop, so the cell can be run again)"
            )
        timed = self.turns[self.served]
        request_at = self.request_times[self.served]
        self.served += 1
        return _Recording(timed, self.speed, beta, kwargs, request_at)


class _Messages:
    def __init__(self, client: _BaseReplayClient, beta: bool) -> None:
        self._client = client
        self._beta = beta
        self._prefix = "beta.messages" if beta else "messages"

    def create(self, **kwargs: Any) -> Any:
        recording = self._client._next(f"{self._prefix}.create", kwargs, self._beta)
        if kwargs.get("stream"):
            return ReplayStream(recording)
        for _ in ReplayStream(recording):
            pass
        return recording.snapshot()

    def stream(self, **kwargs: Any) -> ReplayMessageStreamManager:
        recording = self._client._next(f"{self._prefix}.stream", kwargs, self._beta)
        return ReplayMessageStreamManager(recording)


class _AsyncMessages(_Messages):
    async def create(self, **kwargs: Any) -> Any:
        recording = self._client._next(f"{self._prefix}.create", kwargs, self._beta)
        if kwargs.get("stream"):
            return AsyncReplayStream(recording)
        async for _ in AsyncReplayStream(recording):
            pass
        return recording.snapshot()

    def stream(self, **kwargs: Any) -> AsyncReplayMessageStreamManager:  # type: ignore[override]
        recording = self._client._next(f"{self._prefix}.stream", kwargs, self._beta)
        return AsyncReplayMessageStreamManager(recording)


class _Beta:
    def __init__(self, messages: _Messages) -> None:
        self.messages = messages


class ReplayClient(_BaseReplayClient):
    """Offline ``anthropic.Anthropic``: the n-th request gets the n-th recorded turn.

    Parameters
    ----------
    cassettes:
        One recording per turn: paths (``.jsonl`` cassette or SSE text), ``Cassette``
        objects, or lists of event dicts / ``(t, event)`` pairs. A single path is one turn.
    speed:
        Replay pacing against the recorded times (``1.0`` real time); ``None``: instant.
    """

    def __init__(self, cassettes: Sequence[ReplaySource], *, speed: float | None = None) -> None:
        super().__init__(cassettes, speed=speed)
        self.messages = _Messages(self, beta=False)
        self.beta = _Beta(_Messages(self, beta=True))


class AsyncReplayClient(_BaseReplayClient):
    """Offline ``anthropic.AsyncAnthropic`` (``await client.messages.create(...)``)."""

    def __init__(self, cassettes: Sequence[ReplaySource], *, speed: float | None = None) -> None:
        super().__init__(cassettes, speed=speed)
        self.messages = _AsyncMessages(self, beta=False)
        self.beta = _Beta(_AsyncMessages(self, beta=True))
