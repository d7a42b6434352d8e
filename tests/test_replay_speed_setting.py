"""``STREAMSCOPE_REPLAY_SPEED``: a build (the docs, CI) replays without recorded pacing."""

from __future__ import annotations

import pytest

from streamscope.core import gallery
from streamscope.core.io.playback import REPLAY_SPEED_VARIABLE, Replay
from streamscope.core.io.replay_client import ReplayClient


def test_unset_the_given_speed_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REPLAY_SPEED_VARIABLE, raising=False)
    assert Replay(gallery.path("cache_hit"), 0.5).speed == 0.5


@pytest.mark.parametrize(("value", "speed"), [("instant", None), (" Instant ", None), ("8", 8.0)])
def test_the_setting_overrides_every_starting_speed(
    monkeypatch: pytest.MonkeyPatch, value: str, speed: float | None
) -> None:
    monkeypatch.setenv(REPLAY_SPEED_VARIABLE, value)
    replay = Replay(gallery.path("cache_hit"), 1.0)
    assert replay.speed == speed
    replay.speed = 2.0  # the controls still steer it
    assert replay.speed == 2.0


def test_instant_replays_sleep_for_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay client's recorded pacing (1.7 s for cache_hit) is skipped: no sleep."""
    monkeypatch.setenv(REPLAY_SPEED_VARIABLE, "instant")
    slept: list[float] = []
    replay = Replay(gallery.path("cache_hit"), 1.0, sleep=slept.append)
    assert len(list(replay)) == gallery.info("cache_hit").events
    assert slept == []
    client = ReplayClient([gallery.path("cache_hit")], speed=1.0)
    with client.messages.stream(model="m", max_tokens=1, messages=[]) as stream:
        assert stream.get_final_message().stop_reason == "end_turn"


def test_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REPLAY_SPEED_VARIABLE, "0")
    with pytest.raises(ValueError, match="speed must be > 0"):
        Replay(gallery.path("cache_hit"))
