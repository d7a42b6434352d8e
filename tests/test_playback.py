"""Replay timing on a fake clock, live speed/pause changes, and stepping."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import pytest
from anthropic.lib.streaming import TextEvent
from anthropic.types import RawContentBlockStopEvent
from conftest import RECORDED, skip_or_fail

from streamscope.core.io.cassette import read_cassette, write_cassette
from streamscope.core.io.playback import (
    Replay,
    Stepper,
    areplay_events,
    load_timed_events,
    replay_events,
)


def ev(i: int) -> dict[str, Any]:
    return {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": str(i)},
    }


TIMES = [0.0, 0.5, 0.5, 2.0, 2.25]
TIMED = [(t, ev(i)) for i, t in enumerate(TIMES)]


class FakeClock:
    """A monotonic clock that only moves when slept on (optionally oversleeping)."""

    def __init__(self, overshoot: float = 0.0) -> None:
        self.now = 1000.0
        self.overshoot = overshoot
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds + self.overshoot

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def yield_times(it: Any, clock: FakeClock) -> list[float]:
    return [clock.now - 1000.0 for _ in it]


# --------------------------------------------------------------------------- timing


@pytest.mark.parametrize("speed", [1.0, 2.0, 0.5, 10.0])
def test_gaps_scaled_by_speed(speed: float) -> None:
    clock = FakeClock()
    r = Replay(TIMED, speed, sleep=clock.sleep, clock=clock, tick=100.0)
    got = yield_times(r, clock)
    assert got == pytest.approx([t / speed for t in TIMES])
    assert sum(clock.sleeps) == pytest.approx(TIMES[-1] / speed)


def test_replay_function_yields_the_events() -> None:
    clock = FakeClock()
    events = list(replay_events(TIMED, 1.0, clock.sleep, clock=clock))
    assert events == [e for _, e in TIMED]
    assert clock.now - 1000.0 == pytest.approx(2.25)


@pytest.mark.parametrize("speed", [None, math.inf])
def test_instant(speed: float | None) -> None:
    clock = FakeClock()
    assert len(list(replay_events(TIMED, speed, clock.sleep, clock=clock))) == 5
    assert clock.sleeps == []


@pytest.mark.parametrize("speed", [0, -1.0, math.nan])
def test_bad_speed(speed: float) -> None:
    with pytest.raises(ValueError):
        Replay(TIMED, speed)
    r = Replay(TIMED)
    with pytest.raises(ValueError):
        r.speed = speed


def test_no_drift_when_sleep_oversleeps() -> None:
    # Each sleep oversleeps by 30 ms. Were waits summed from sleeps, lateness would
    # accumulate; measured against the clock, each event is at most one overshoot late.
    times = [i * 0.1 for i in range(50)]
    clock = FakeClock(overshoot=0.03)
    got = yield_times(
        Replay([(t, ev(0)) for t in times], 1.0, sleep=clock.sleep, clock=clock), clock
    )
    lateness = [g - t for g, t in zip(got, times, strict=True)]
    assert min(lateness) >= -1e-9
    assert max(lateness) <= 0.03 + 1e-9


def test_long_gap_is_slept_in_ticks() -> None:
    clock = FakeClock()
    r = Replay([(0.0, ev(0)), (1.0, ev(1))], 1.0, sleep=clock.sleep, clock=clock, tick=0.05)
    list(r)
    assert max(clock.sleeps) <= 0.05 + 1e-12
    assert sum(clock.sleeps) == pytest.approx(1.0)
    assert len(clock.sleeps) == pytest.approx(20, abs=1)


def test_untimed_events_default_instant_or_interval() -> None:
    events = [ev(i) for i in range(4)]
    clock = FakeClock()
    assert yield_times(Replay(events, 1.0, sleep=clock.sleep, clock=clock), clock) == [0, 0, 0, 0]
    clock = FakeClock()
    r = Replay(events, 2.0, sleep=clock.sleep, clock=clock, default_interval=0.2, tick=10)
    assert yield_times(r, clock) == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_mixed_known_and_unknown_times() -> None:
    clock = FakeClock()
    src = [(None, ev(0)), (5.0, ev(1)), (None, ev(2)), (6.0, ev(3))]
    r = Replay(src, 1.0, sleep=clock.sleep, clock=clock, default_interval=0.5, tick=10)
    # The first timed event sits one interval after the untimed first; later times
    # keep their recorded gaps from it.
    assert yield_times(r, clock) == pytest.approx([0.0, 0.5, 1.0, 1.5])


def test_speed_changes_mid_replay() -> None:
    clock = FakeClock()
    src = [(float(i), ev(i)) for i in range(5)]
    r = Replay(src, 1.0, sleep=clock.sleep, clock=clock, tick=10)
    got = []
    for event in r:
        got.append(clock.now - 1000.0)
        if event == ev(1):
            r.speed = 4.0
        if event == ev(3):
            r.speed = None
    assert got == pytest.approx([0.0, 1.0, 1.25, 1.5, 1.5])


def test_speed_change_during_a_long_wait_takes_effect_within_a_tick() -> None:
    clock = FakeClock()
    r = Replay([(0.0, ev(0)), (10.0, ev(1))], 1.0, clock=clock, tick=0.1)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now - 1000.0 >= 1.0:
            r.speed = 9.0  # after 1 s real, 9 s recorded remain -> 1 s more

    r._sleep = sleep
    assert yield_times(r, clock) == pytest.approx([0.0, 2.0], abs=0.11)


def test_pause_freezes_the_recorded_clock() -> None:
    clock = FakeClock()
    r = Replay([(0.0, ev(0)), (1.0, ev(1)), (2.0, ev(2))], 1.0, clock=clock, tick=0.25)
    pause_started: list[float] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if not pause_started and clock.now - 1000.0 >= 0.5:
            r.paused = True
            pause_started.append(clock.now)
        elif pause_started and r.paused and clock.now - pause_started[0] >= 3.0:
            r.paused = False

    r._sleep = sleep
    got = yield_times(r, clock)
    # 0.5 s of waiting, a 3 s pause, then the remaining 0.5 s and 1 s gap.
    assert got == pytest.approx([0.0, 4.0, 5.0], abs=0.26)
    assert got[1] >= 4.0 - 1e-9


def test_areplay_with_fake_sleep() -> None:
    clock = FakeClock()

    async def main() -> list[float]:
        return [
            clock.now - 1000.0 async for _ in areplay_events(TIMED, 2.0, clock.asleep, clock=clock)
        ]

    assert asyncio.run(main()) == pytest.approx([t / 2 for t in TIMES])


def test_async_iteration_of_replay_object() -> None:
    clock = FakeClock()
    r = Replay(TIMED, None, asleep=clock.asleep, clock=clock)

    async def main() -> list[dict[str, Any]]:
        return [e async for e in r]

    assert asyncio.run(main()) == [e for _, e in TIMED]
    assert r.position == 5 and r.remaining == 0


def test_real_clock_short_replay() -> None:
    start = time.monotonic()
    events = list(replay_events([(0.0, ev(0)), (0.01, ev(1)), (0.02, ev(2))], speed=1.0))
    elapsed = time.monotonic() - start
    assert len(events) == 3
    assert elapsed >= 0.02  # it waited for the recorded times (a sleep is never shorter)


def test_resume_after_partial_iteration() -> None:
    clock = FakeClock()
    r = Replay(TIMED, 1.0, sleep=clock.sleep, clock=clock, tick=10)
    it = iter(r)
    next(it)
    next(it)
    it.close()
    before = clock.now
    rest = list(r)  # continues at position 2, which is due at once relative to itself
    assert rest == [e for _, e in TIMED[2:]]
    assert clock.now - before == pytest.approx(TIMES[-1] - TIMES[2])


# --------------------------------------------------------------------------- sources


def test_sources_path_cassette_and_models(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_cassette(path, [e for _, e in TIMED], times=TIMES)
    assert load_timed_events(path) == TIMED
    assert load_timed_events(str(path)) == TIMED
    assert load_timed_events(read_cassette(path)) == TIMED
    stop = RawContentBlockStopEvent(type="content_block_stop", index=0)
    derived = TextEvent(type="text", text="a", snapshot="a")
    assert load_timed_events([stop, derived, (1, {"type": "ping"})]) == [
        (None, {"type": "content_block_stop", "index": 0}),
        (1.0, {"type": "ping"}),
    ]
    with pytest.raises(TypeError):
        load_timed_events([("soon", {"type": "ping"})])


def test_replay_sse_fixture_instantly() -> None:
    src = RECORDED / "llm-anthropic" / "test_prompt.0.sse"
    if not src.exists():
        skip_or_fail("../shared/fixtures absent")
    clock = FakeClock()
    events = list(replay_events(src, 1.0, clock.sleep, clock=clock))
    assert len(events) == 10
    assert clock.sleeps == []


# --------------------------------------------------------------------------- stepping


def test_stepper_basics() -> None:
    s = Stepper([e for _, e in TIMED])
    assert len(s) == 5 and s.position == 0 and s.remaining == 5
    assert s.peek() == ev(0)
    assert s.step() == ev(0)
    assert s.position == 1 and s.remaining == 4
    assert [s.step() for _ in range(4)] == [ev(i) for i in range(1, 5)]
    assert s.done and s.step() is None and s.peek() is None
    s.reset()
    assert s.position == 0 and list(s) == [ev(i) for i in range(5)]
    assert s.done


def test_step_until_type_and_predicate() -> None:
    events = [
        {"type": "message_start"},
        {"type": "content_block_start", "index": 0},
        {"type": "content_block_delta", "index": 0},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1},
        {"type": "message_stop"},
    ]
    s = Stepper(events)
    assert s.step_until("content_block_stop") == events[:4]
    assert s.position == 4
    assert s.step_until(lambda e: e.get("index") == 1) == [events[4]]
    assert s.step_until("nothing like this") == [events[5]]
    assert s.done and s.step_until("message_stop") == []


def test_stepper_from_cassette(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_cassette(path, [e for _, e in TIMED], times=TIMES)
    s = Stepper(path)
    assert s.events == [e for _, e in TIMED]
    assert next(iter(s)) == ev(0)
    assert s.position == 1


def test_a_stepped_view_counts_from_the_request_as_a_replay_does() -> None:
    # notebook 02: a Stepper hands over the recorded request and when it was sent, so a
    # view fed one event at a time reads the replay's time to first token and duration
    from streamscope.core.io import gallery
    from streamscope.core.io.runs import state_of
    from streamscope.core.stream.state import StreamState

    path = gallery.path("parallel_tools")
    stepper = Stepper(path)
    assert stepper.request is not None and stepper.request_at is not None
    stepped = StreamState()
    stepped.set_request(stepper.request)
    stepped.set_request_time(stepper.request_at)
    for t, event in stepper.timed:
        stepped.apply(event, at=t)
    replayed = state_of(read_cassette(path))
    assert replayed.time_to_first_token is not None and replayed.duration is not None
    assert stepped.time_to_first_token == pytest.approx(replayed.time_to_first_token)
    assert stepped.duration == pytest.approx(replayed.duration)
    # counted from message_start instead, it would read less (the wait before the stream)
    assert stepped.first_event_at is not None
    assert stepped.first_event_at - stepper.request_at > 0.1
