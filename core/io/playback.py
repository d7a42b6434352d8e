"""Replaying recordings: in real time, faster or slower, paused, or one event at a time.

How it works: ``docs/internals.md``, section ``streamscope.core.io.playback``.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
from typing import Any, Union

from streamscope.core.io.cassette import (
    Cassette,
    is_cassette_path,
    read_cassette,
    read_timed_events,
)
from streamscope.core.io.safe_files import MAX_EVENT_TIME, check_time
from streamscope.core.wire.sdk import event_to_dict, is_derived_event

__all__ = [
    "Replay",
    "ReplaySource",
    "Stepper",
    "areplay_events",
    "load_timed_events",
    "replay_events",
]

ReplaySource = Union[str, "os.PathLike[str]", Cassette, Iterable[Any]]
TimedEvent = tuple[float | None, dict[str, Any]]
_EPSILON = 1e-9  # a virtual time this close to the target counts as reached


def load_timed_events(source: ReplaySource, *, from_request: bool = False) -> list[TimedEvent]:
    """``(t, event)`` pairs from any replay source (events as dicts; t None when unknown);
    ``from_request=True`` counts ``t`` from the request when a cassette says when it was
    sent (see :func:`~streamscope.core.io.cassette.read_timed_events`)."""
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
        if t is not None and check_time(t) is None:
            t = float(t)  # else kept as given: Replay reads it as unknown, with a problem
        out.append((t, event_to_dict(event)))
    return out


def _recording(
    source: ReplaySource,
) -> tuple[list[TimedEvent], float | None, dict[str, Any] | None, list[tuple[int, str]]]:
    """A source's ``(t, event)`` pairs as recorded, when its request was sent, the request
    (None: unknown) and the times that cannot be waited for (read as unknown), reading a
    cassette once."""
    problems: list[tuple[int, str]] = []
    if isinstance(source, (str, os.PathLike)) and is_cassette_path(source):
        source = read_cassette(source)
    if isinstance(source, Cassette) and source.fault is not None:
        fault = source.fault
        what = f"{fault.get('words')} ({fault.get('error')})" if fault.get("error") else ""
        problems.append((-2, f"the recording was cut by its source's failure: {what}"))
    if isinstance(source, Cassette):
        timed, request_at, request = source.timed_events(), source.request_at, source.request
        problems += [(-1, message) for message in source.time_problems]
    else:
        timed, request_at, request = load_timed_events(source), None, None
    sane: list[TimedEvent] = []
    for position, (t, event) in enumerate(timed):
        why = None if t is None else check_time(t)
        if why is not None:
            problems.append(
                (position, f"event #{position}: {why}; replayed at the default interval")
            )
            t = None
        sane.append((t, event))
    return sane, request_at, request, problems


REPLAY_SPEED_VARIABLE = "STREAMSCOPE_REPLAY_SPEED"
"""The environment variable that overrides every replay's starting speed (see above)."""


def _starting_speed(speed: float | None) -> float | None:
    """``speed``, unless ``STREAMSCOPE_REPLAY_SPEED`` says otherwise."""
    value = os.environ.get(REPLAY_SPEED_VARIABLE, "").strip().lower()
    if not value:
        return _check_speed(speed)
    return None if value == "instant" else _check_speed(float(value))


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
        self.timed, recorded_at, self.request, self.problems = _recording(source)
        """``request``: the request a cassette's header recorded (None: unknown), for
        ``StreamState.set_request`` (tool schemas, the request to re-send). ``problems``:
        ``(position, message)`` for each recorded time no replay could wait for
        (``Infinity``, ``1e308``; :func:`~streamscope.core.io.safe_files.check_time`): that
        event comes at the default interval instead; position ``-2``: the failure that cut
        the recording (a cassette's ``fault`` line, see ``record``)."""
        if request_at is None:
            request_at = recorded_at
        self.request_at: float | None = request_at if from_request else None
        """When the request was sent, in the recording's seconds; None: the replay starts
        at the first event."""
        self._speed = _starting_speed(speed)
        self.paused = False
        self.position = 0
        self._sleep = sleep
        self._asleep = asleep
        self._clock = clock
        if not (math.isfinite(default_interval) and 0 <= default_interval <= MAX_EVENT_TIME):
            raise ValueError(
                "default_interval must be a finite number of seconds >= 0, "
                f"not {default_interval!r}"
            )
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


def replay_events(
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


def areplay_events(
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
        self.timed, self.request_at, self.request, self.problems = _recording(source)
        """As ``Replay`` reads them: ``request_at``, when a cassette's request was
        sent in the recording's seconds (None: unknown), for
        ``StreamState.set_request_time`` so a stepped view counts from the request as a
        replay does; ``request``, the recorded request; ``problems``, times no replay
        could use (those events' times are None)."""
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
