"""Files that would hang or exhaust the kernel (issue 19): absurd times in a recording,
paths that are not regular files, lines over the cap, conversation files that cannot be
sent as they are. Every hang regression runs in a subprocess with a timeout, so it fails
instead of hanging the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from streams import text_stream

from streamscope.core.io import safe_files
from streamscope.core.io.cassette import read_cassette, read_events, write_cassette
from streamscope.core.io.playback import Replay
from streamscope.core.io.safe_files import MAX_EVENT_TIME, RecordingError, check_time
from streamscope.core.loop.export import load_conversation

TIMEOUT = 60


def run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter; a hang fails the test after ``TIMEOUT`` seconds."""
    tests = str(Path(__file__).parent)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**os.environ, "PYTHONPATH": tests},
    )


def absurd_cassette(path: Path, bad: str) -> None:
    """A cassette whose third event's time is ``bad`` (JSON text: Infinity, 1e308...)."""
    events = text_stream("Hello there, world.")
    write_cassette(path, events, times=[0.01 * i for i in range(len(events))])
    lines = path.read_text("utf-8").splitlines()
    third = json.loads(lines[3])
    lines[3] = json.dumps({"t": 0.0, "event": third["event"]}).replace('"t": 0.0', f'"t": {bad}')
    path.write_text("\n".join(lines) + "\n", "utf-8")


# --------------------------------------------------------------------------- times

BAD_TIMES = ["Infinity", "-Infinity", "NaN", "1e308", "-1e308", "1" + "0" * 400, "90000.5"]


def test_check_time() -> None:
    assert check_time(0.0) is None and check_time(MAX_EVENT_TIME) is None
    for bad in (float("inf"), float("nan"), 1e308, 10**400, MAX_EVENT_TIME + 1):
        assert check_time(bad) is not None


@pytest.mark.parametrize("bad", BAD_TIMES)
def test_an_absurd_time_is_a_problem_and_comes_at_the_default_interval(
    bad: str, tmp_path: Path
) -> None:
    path = tmp_path / "absurd.jsonl"
    absurd_cassette(path, bad)
    cassette = read_cassette(path)
    assert cassette.times[2] is None
    assert len(cassette.time_problems) == 1 and "line 4" in cassette.time_problems[0]
    replay = Replay(path, default_interval=0.25)
    assert all(abs(t) <= MAX_EVENT_TIME for t in replay.times)
    assert replay.times[2] == pytest.approx(replay.times[1] + 0.25)
    assert replay.problems and "default interval" in replay.problems[0][1]


def test_absurd_times_in_pairs_too() -> None:
    events = text_stream("Hi.")
    pairs: list[tuple[Any, dict[str, Any]]] = [(0.0, e) for e in events]
    pairs[1] = (float("inf"), events[1])
    pairs[2] = (10**400, events[2])
    replay = Replay(pairs, default_interval=0.5)
    assert replay.times[:3] == [0.0, 0.5, 1.0]
    assert [position for position, _ in replay.problems] == [1, 2]
    with pytest.raises(ValueError, match="default_interval"):
        Replay(pairs, default_interval=float("inf"))


@pytest.mark.parametrize("bad", ["Infinity", "1e308"])
def test_replay_of_an_absurd_time_finishes(bad: str, tmp_path: Path) -> None:
    """The hang of issue 19: replay() at speed 1 slept towards t=Infinity forever."""
    path = tmp_path / "absurd.jsonl"
    absurd_cassette(path, bad)
    result = run_isolated(
        f"""
        import asyncio
        from streamscope.core.io.playback import replay_events as replay
        from streamscope.widgets import StreamView
        events = list(replay({str(path)!r}, speed=1.0, default_interval=0.01))
        view = StreamView(flush_timer=False)
        state = asyncio.run(view.play({str(path)!r}, speed=1.0, interval=0.01))
        kinds = [p.kind for p in state.problems]
        print(len(events), kinds)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "bad_time" in result.stdout
    assert result.stdout.startswith(str(len(text_stream("Hello there, world."))))


# --------------------------------------------------------------------------- not a file


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path) -> None:
    for name in ("zero.jsonl", "zero.sse"):
        link = tmp_path / name
        link.symlink_to("/dev/zero")
        result = run_isolated(
            f"""
            from streamscope.core.io.cassette import read_events
            try:
                read_events({str(link)!r})
            except ValueError as exc:
                print("refused:", exc)
            """
        )
        assert result.returncode == 0, result.stderr
        assert "refused:" in result.stdout and "character device" in result.stdout


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    result = run_isolated(
        f"""
        from streamscope.core.io.cassette import read_cassette
        from streamscope.core.loop.export import load_conversation
        for read in (read_cassette, load_conversation):
            try:
                read({str(fifo)!r})
            except ValueError as exc:
                print("refused:", exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("refused:") == 2 and "FIFO" in result.stdout


def test_a_directory_and_a_symlink_to_a_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="directory"):
        read_events(tmp_path)
    real = tmp_path / "real.jsonl"
    write_cassette(real, text_stream("ok"))
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert read_events(link) == read_events(real)  # a symlink to a regular file is fine


@pytest.mark.parametrize("suffix", [".jsonl", ".sse"])
def test_a_line_over_the_cap_is_refused(
    suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safe_files, "MAX_LINE_BYTES", 1000)
    path = tmp_path / f"long{suffix}"
    path.write_bytes(b'{"t": 0, "event": {"type": "ping"}}\n' + b"x" * 1001 + b"\n")
    with pytest.raises(RecordingError, match=r"line 2 is longer than 1,000 bytes"):
        read_events(path)
    path.write_bytes(b"data: " + b"x" * 900 + b"\n\n")
    assert len(read_events(path)) == 1  # under the cap: read


# --------------------------------------------------------------------------- conversations


def conversation(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.json"
    path.write_text(text, "utf-8")
    return path


GOOD_PARAMS = '{"model": "m", "max_tokens": 5}'
GOOD_MESSAGES = '[{"role": "user", "content": "hi"}]'


@pytest.mark.parametrize(
    ("params", "messages", "named"),
    [
        ('{"model": "m", "max_tokens": NaN}', GOOD_MESSAGES, "params.max_tokens"),
        ('{"model": "m", "max_tokens": 5.5}', GOOD_MESSAGES, "params.max_tokens"),
        ('{"model": 5, "tools": "x"}', GOOD_MESSAGES, "params.model"),
        ('{"model": "m", "tools": "x"}', GOOD_MESSAGES, "params.tools"),
        ('{"model": "m", "tools": [{"name": 3}]}', GOOD_MESSAGES, "params.tools[0].name"),
        ('{"model": "m", "temperature": Infinity}', GOOD_MESSAGES, "params.temperature"),
        ('{"model": "m", "betas": "b1"}', GOOD_MESSAGES, "params.betas"),
        ('{"model": "m", "metadata": {"x": -Infinity}}', GOOD_MESSAGES, "params.metadata.x"),
        (GOOD_PARAMS, '{"role": "user"}', "messages"),
        (GOOD_PARAMS, '[{"role": "bot", "content": "x"}]', "messages[0].role"),
        (GOOD_PARAMS, '[{"role": "user", "content": 5}]', "messages[0].content"),
        (
            GOOD_PARAMS,
            '[{"role": "user", "content": [{"text": "x"}]}]',
            "messages[0].content[0].type",
        ),
        (
            GOOD_PARAMS,
            '[{"role": "user", "content": [{"type": "tool_result", "n": NaN}]}]',
            "messages[0].content[0].n",
        ),
    ],
)
def test_a_conversation_that_cannot_be_sent_names_the_field(
    params: str, messages: str, named: str, tmp_path: Path
) -> None:
    path = conversation(
        tmp_path,
        f'{{"schema": "streamscope.conversation/1", "params": {params}, "messages": {messages}}}',
    )
    with pytest.raises(ValueError, match=r"c\.json: ") as info:
        load_conversation(path)
    assert str(info.value).split(": ", 1)[1].startswith(named + " must be"), info.value


def test_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = conversation(
        tmp_path,
        '{"schema": "streamscope.conversation/1", "params": {"model": "a", "model": "b"}, '
        f'"messages": {GOOD_MESSAGES}}}',
    )
    with pytest.raises(ValueError, match="'model' appears twice"):
        load_conversation(path)


def test_a_good_conversation_still_loads(tmp_path: Path) -> None:
    path = conversation(
        tmp_path,
        f'{{"schema": "streamscope.conversation/1", "params": {GOOD_PARAMS}, '
        f'"messages": {GOOD_MESSAGES}}}',
    )
    params, messages = load_conversation(path)
    assert params == {"model": "m", "max_tokens": 5} and messages[0]["content"] == "hi"


# --------------------------------------------------------------------------- to_message


@pytest.mark.parametrize("depth", [5000, 1001, 950])
@pytest.mark.parametrize("finished", [True, False])
def test_to_message_of_deep_tool_json_serialises(depth: int, finished: bool) -> None:
    from streams import block_delta, block_start, message_end, message_start

    from streamscope.core import StreamState

    raw = '{"a": ' + "[" * depth + "]" * depth + "}"
    events = [
        message_start(),
        block_start(0, {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}),
        block_delta(0, {"type": "input_json_delta", "partial_json": raw}),
    ]
    if finished:
        events += [{"type": "content_block_stop", "index": 0}, *message_end("tool_use")]
    state = StreamState().apply_all(events)
    message = state.to_message()
    assert message["content"][0]["input"] == raw  # the raw text, as the problem says
    assert json.loads(json.dumps(message)) == message
    if depth > 1000 and finished:
        assert [p.kind for p in state.problems] == ["invalid_tool_json"]
    shallow = StreamState().apply_all(
        [*events[:2], block_delta(0, {"type": "input_json_delta", "partial_json": '{"a": [[]]}'})]
    )
    assert shallow.to_message()["content"][0]["input"] == {"a": [[]]}
