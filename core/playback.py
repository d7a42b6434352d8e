"""Replaying recordings: in real time, faster or slower, paused, or one event at a time.

A source is a recording's path (``.jsonl`` cassette or SSE text), a ``Cassette``, or a list
of events or of ``(t, event)`` pairs. Events come out as wire-shaped dicts.

Timing: ``t`` is the recorded time in seconds. Replay keeps a virtual clock that advances
by ``speed`` times the real (monotonic) clock, and yields an event once the virtual clock
has reached its ``t``. Waits are measured against the clock, never summed from sleeps, so
they do not drift. ``speed=None`` (or ``math.inf``) means instant. Events without a time
(SSE files, synthetic lists) come ``default_interval`` recorded seconds after the previous
one (default 0: instantly). ``speed`` and ``paused`` can change while replaying; a long
wait is slept in slices of at most ``tick`` seconds so a change takes effect promptly.

The request: when the recording says when its request was sent (a cassette header's
``request_at``, or ``request_at=`` given), a replay starts at the request, as the live
stream did: the first event comes after the recorded time to first event (divided by
``speed``), and :attr:`Replay.times` count from the request. ``from_request=False`` starts
at the first event, as recordings without the field always do.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
from typing import Any, Union

from streamscope.core.cassette import (
    Cassette,
    event_to_dict,
    is_cassette_path,
    read_cassette,
    read_timed_events,
)
from streamscope.core.sources import is_derived_event

__all__ = ["Replay", "ReplaySource", "Stepper", "areplay", "load_timed_events", "replay"]

ReplaySource = Union[str, "os.PathLike[str]", Cassette, Iterable[Any]]
TimedEvent = tuple[float | None, dict[str, Any]]
_EPSILON = 1e-9  # a virtual time this close to the target counts as reached


def load_timed_events(source: ReplaySource, *, from_request: bool = False) -> list[TimedEvent]:
    """``(t, event)`` pairs from any replay source (events as dicts; t None when unknown);
    ``from_request=True`` counts ``t`` from the request when a cassette says when it was
    sent (see :func:`~streamscope.core.cassette.read_timed_events`)."""
    if isinstance(source, (str, os.PathLike)):
        return read_timed_events(source, from_request=from_request)
    if isinstance(source, Cassette):
        return source.timed_events(from_request=from_request)
    out: list[TimedEvent] = []
    for item in source:
        if isinstance(item, tuple) and len(item) == 2:
            t, event = item
            if t is not None and not isinstance(t, (int, float)):
                raise TypeError(f"not a time: {t!r}")
        else:
            t, event = None, item
        if is_derived_event(event):
            continue
        out.append((None if t is None else float(t), event_to_dict(event)))
    return out


def _recording(
    source: ReplaySource,
) -> tuple[list[TimedEvent], float | None, dict[str, Any] | None]:
    """A source's ``(t, event)`` pairs as recorded, when its request was sent and the
    request (None: unknown), reading a cassette once."""
    if isinstance(source, (str, os.PathLike)) and is_cassette_path(source):
        source = read_cassette(source)
    if isinstance(source, Cassette):
        return source.timed_events(), source.request_at, source.request
    return load_timed_events(source), None, None


def _check_speed(speed: float | None) -> float | None:
    if speed is None or math.isinf(speed):
        return None
    if not speed > 0:
        raise ValueError(f"speed must be > 0, or None for instant (got {speed!r})")
    return float(speed)


class Replay:
    """A replay you can steer while it runs: set ``.speed`` or ``.paused`` at any time.

    Iterate it (``for event in r``) or async-iterate it (``async for event in r``);
    ``position`` counts the events yielded so far. ``timed`` holds the ``(t, event)``
    pairs as recorded; :attr:`times` each event's due time in recorded seconds since the
    start (the request when known, see the module docstring).
    """

    def __init__(
        self,
        source: ReplaySource,
        speed: float | None = 1.0,
        *,
        sleep: Callable[[float], object] = time.sleep,
        asleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        default_interval: float = 0.0,
        tick: float = 0.05,
        request_at: float | None = None,
        from_request: bool = True,
    ) -> None:
        self.timed, recorded_at, self.request = _recording(source)
        """``request``: the request a cassette's header recorded (None: unknown), for
        ``StreamState.set_request`` (tool schemas, the request to re-send)."""
        if request_at is None:
            request_at = recorded_at
        self.request_at: float | None = request_at if from_request else None
        """When the request was sent, in the recording's seconds; None: the replay starts
        at the first event."""
        self._speed = _check_speed(speed)
        self.paused = False
        self.position = 0
        self._sleep = sleep
        self._asleep = asleep
        self._clock = clock
        self.default_interval = default_interval
        self.tick = tick
        self._targets = self._recorded_times()

    def _recorded_times(self) -> list[float]:
        """Each event's recorded time relative to the start (the request when known, else
        the first event), filling in unknown times."""
        out: list[float] = []
        first: float | None = self.request_at
        previous = 0.0
        for t, _ in self.timed:
            if t is None:
                at = previous + self.default_interval if out else 0.0
            else:
                if first is None:
                    first = t - (previous + self.default_interval if out else 0.0)
                at = t - first if out else max(0.0, t - first)
            out.append(at)
            previous = at
        return out

    @property
    def times(self) -> list[float]:
        """Each event's due time, in recorded seconds since the start of the replay: since
        the request when :attr:`request_at` is known, else since the first event."""
        return list(self._targets)

    @property
    def last_time(self) -> float | None:
        """The due time (recorded seconds since the start) of the last event yielded; None
        before the first."""
        return self._targets[self.position - 1] if self.position > 0 else None

    @property
    def time_to_first_event(self) -> float | None:
        """The recorded seconds from the request to the first event (None: unknown)."""
        if self.request_at is None or not self._targets:
            return None
        return self._targets[0]

    @property
    def speed(self) -> float | None:
        return self._speed

    @speed.setter
    def speed(self, value: float | None) -> None:
        self._speed = _check_speed(value)

    def __len__(self) -> int:
        return len(self.timed)

    @property
    def remaining(self) -> int:
        return len(self.timed) - self.position

    def _wait(self, target: float, state: list[float]) -> float:
        """Seconds to sleep before ``target`` is due (0 when due). ``state`` is
        ``[virtual_time, last_clock]``, advanced here from the real clock."""
        now = self._clock()
        speed = self._speed
        if self.paused:
            state[1] = now
            return self.tick
        if speed is None:
            state[0] = max(state[0], target)
            state[1] = now
            return 0.0
        state[0] += (now - state[1]) * speed
        state[1] = now
        if state[0] >= target - _EPSILON:
            return 0.0
        return min((target - state[0]) / speed, self.tick)

    def _start(self) -> list[float]:
        if self.position == 0 and self.request_at is not None:
            start = 0.0  # the request: the first event is due after its recorded wait
        else:
            start = self._targets[self.position] if self.position < len(self._targets) else 0.0
        return [start, self._clock()]

    def __iter__(self) -> Generator[dict[str, Any], None, None]:
        state = self._start()
        while self.position < len(self.timed):
            target = self._targets[self.position]
            while (delay := self._wait(target, state)) > 0:
                self._sleep(delay)
            event = self.timed[self.position][1]
            self.position += 1
            yield event

    async def _aiter(self) -> AsyncIterator[dict[str, Any]]:
        state = self._start()
        while self.position < len(self.timed):
            target = self._targets[self.position]
            while (delay := self._wait(target, state)) > 0:
                await self._asleep(delay)
            event = self.timed[self.position][1]
            self.position += 1
            yield event

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._aiter()


def replay(
    source: ReplaySource,
    speed: float | None = 1.0,
    sleep: Callable[[float], object] = time.sleep,
    *,
    clock: Callable[[], float] = time.monotonic,
    default_interval: float = 0.0,
    from_request: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield a recording's events with their recorded gaps divided by ``speed``.

    ``speed=None`` (or ``math.inf``) yields everything at once. Inject ``sleep`` and
    ``clock`` together to replay on a fake clock. A recording that says when its request
    was sent starts there: the first event comes after the recorded time to first event
    (``from_request=False``: at once).
    """
    return iter(
        Replay(
            source,
            speed,
            sleep=sleep,
            clock=clock,
            default_interval=default_interval,
            from_request=from_request,
        )
    )


def areplay(
    source: ReplaySource,
    speed: float | None = 1.0,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    *,
    clock: Callable[[], float] = time.monotonic,
    default_interval: float = 0.0,
    from_request: bool = True,
) -> AsyncIterator[dict[str, Any]]:
    """Async twin of ``replay`` (waits with ``asyncio.sleep``)."""
    return Replay(
        source,
        speed,
        asleep=sleep,
        clock=clock,
        default_interval=default_interval,
        from_request=from_request,
    ).__aiter__()


class Stepper:
    """One event at a time, for teaching: ``step()`` returns the next event or None."""

    def __init__(self, source: ReplaySource) -> None:
        self.timed = load_timed_events(source)
        self.position = 0

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for _, event in self.timed]

    def __len__(self) -> int:
        return len(self.timed)

    @property
    def remaining(self) -> int:
        return len(self.timed) - self.position

    @property
    def done(self) -> bool:
        return self.position >= len(self.timed)

    def peek(self) -> dict[str, Any] | None:
        """The event ``step()`` would return next, without stepping."""
        return None if self.done else self.timed[self.position][1]

    def step(self) -> dict[str, Any] | None:
        if self.done:
            return None
        event = self.timed[self.position][1]
        self.position += 1
        return event

    def step_until(self, until: str | Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Step up to and including the next event matching ``until`` (an event ``type``
        or a predicate); returns every event stepped over, so none is missed. Steps to the
        end when nothing matches."""
        match: Callable[[dict[str, Any]], bool]
        if isinstance(until, str):
            wanted = until

            def match(event: dict[str, Any]) -> bool:
                return event.get("type") == wanted

        else:
            match = until
        out: list[dict[str, Any]] = []
        while (event := self.step()) is not None:
            out.append(event)
            if match(event):
                break
        return out

    def reset(self) -> None:
        self.position = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while (event := self.step()) is not None:
            yield event
