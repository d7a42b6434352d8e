"""The gallery: recorded example streams shipped with the package, loadable by name.

How it works: ``docs/internals.md``, section ``streamscope.core.io.gallery``.
"""

from __future__ import annotations

import atexit
import difflib
import functools
import json
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from streamscope.core.io.cassette import Cassette, read_cassette

__all__ = [
    "ConversationInfo",
    "RecordingInfo",
    "conversation",
    "index_markdown",
    "info",
    "list_conversations",
    "list_recordings",
    "load",
    "load_events",
    "path",
]

_PACKAGE = "streamscope.core.io"
_FOLDER = "recordings"
_INDEX = "index.json"


@dataclass(frozen=True)
class RecordingInfo:
    """One gallery recording, as the index describes it."""

    name: str
    file: str
    title: str
    description: str
    """What the recording shows."""
    teaches: str
    """What a reader should take from it."""
    model: str
    events: int
    bytes: int
    duration: float
    """Seconds from the first event to the last."""
    stop_reason: str | None = None
    error: str | None = None
    """The type of the stream's ``error`` event, if it has one."""
    problems: tuple[str, ...] = ()
    """Problem kinds a :class:`~streamscope.core.stream.state.StreamState` reports for it."""
    conversation: str | None = None
    turn: int | None = None


@dataclass(frozen=True)
class ConversationInfo:
    """A multi-turn conversation: its turns are recordings named in order."""

    name: str
    title: str
    description: str
    teaches: str
    model: str
    turns: tuple[str, ...]


def _folder() -> Traversable:
    return resources.files(_PACKAGE) / _FOLDER


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_folder() / _INDEX).read_text(encoding="utf-8"))
    return data


def _recording(entry: dict[str, Any]) -> RecordingInfo:
    return RecordingInfo(
        name=entry["name"],
        file=entry["file"],
        title=entry["title"],
        description=entry["description"],
        teaches=entry["teaches"],
        model=entry["model"],
        events=int(entry["events"]),
        bytes=int(entry["bytes"]),
        duration=float(entry["duration"]),
        stop_reason=entry.get("stop_reason"),
        error=entry.get("error"),
        problems=tuple(entry.get("problems", ())),
        conversation=entry.get("conversation"),
        turn=entry.get("turn"),
    )


def list_recordings() -> list[RecordingInfo]:
    """Every recording (conversation turns included), in index order."""
    return [_recording(entry) for entry in _index()["recordings"]]


def list_conversations() -> list[ConversationInfo]:
    """The multi-turn conversations, in index order."""
    return [
        ConversationInfo(
            name=entry["name"],
            title=entry["title"],
            description=entry["description"],
            teaches=entry["teaches"],
            model=entry["model"],
            turns=tuple(entry["turns"]),
        )
        for entry in _index()["conversations"]
    ]


def _unknown(name: str, kind: str, known: list[str]) -> KeyError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return KeyError(f"no {kind} named {name!r} in the gallery{hint} (known: {', '.join(known)})")


def info(name: str) -> RecordingInfo:
    """The index entry of recording ``name``."""
    for recording in list_recordings():
        if recording.name == name:
            return recording
    conversations = [c.name for c in list_conversations()]
    if name in conversations:
        raise KeyError(f"{name!r} is a conversation of several turns: use conversation({name!r})")
    raise _unknown(name, "recording", [r.name for r in list_recordings()])


@functools.lru_cache(maxsize=1)
def _extract_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="streamscope-gallery-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _as_path(file: str) -> Path:
    resource = _folder() / file
    if isinstance(resource, Path):
        return resource
    # Not on a file system (a zipped install): copy it out once, for the process' lifetime.
    target = _extract_dir() / file
    if not target.exists():
        target.write_bytes(resource.read_bytes())
    return target


def path(name: str) -> Path:
    """A file-system path to recording ``name``'s cassette."""
    return _as_path(info(name).file)


def load(name: str) -> Cassette:
    """Recording ``name`` as a :class:`~streamscope.core.io.cassette.Cassette` (meta, events,
    times)."""
    return read_cassette(path(name))


def load_events(name: str) -> list[dict[str, Any]]:
    """Just the events of recording ``name``, in wire shape."""
    return load(name).events


def conversation(name: str) -> list[Path]:
    """Paths to the turns of conversation ``name``, in order (one cassette per turn), e.g.
    for ``ReplayClient(gallery.conversation("tool_loop"))``."""
    for entry in list_conversations():
        if entry.name == name:
            return [path(turn) for turn in entry.turns]
    raise _unknown(name, "conversation", [c.name for c in list_conversations()])


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.2f} MB"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def index_markdown() -> str:
    """The index as a Markdown table (name, what it shows, model, events, size, duration),
    then the conversations and their turns."""
    lines = [
        "| name | what it shows | model | events | size | duration |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for r in list_recordings():
        if r.conversation is not None:
            continue
        lines.append(
            f"| `{r.name}` | **{_cell(r.title)}**: {_cell(r.description)} | {r.model} "
            f"| {r.events} | {_size(r.bytes)} | {_duration(r.duration)} |"
        )
    by_name = {r.name: r for r in list_recordings()}
    for c in list_conversations():
        turns = [by_name[t] for t in c.turns]
        lines.append(
            f"| `{c.name}` ({len(turns)} turns) | **{_cell(c.title)}**: {_cell(c.description)} "
            f"| {c.model} | {sum(t.events for t in turns)} | {_size(sum(t.bytes for t in turns))} "
            f"| {_duration(sum(t.duration for t in turns))} |"
        )
    for c in list_conversations():
        lines += [
            "",
            f"Turns of `{c.name}` (load each with `load(name)`, or all with "
            f"`conversation({c.name!r})`):",
            "",
        ]
        for turn in c.turns:
            r = by_name[turn]
            lines.append(
                f"{r.turn}. `{r.name}`: {_cell(r.description)} ({r.events} events, "
                f"{_size(r.bytes)}, {_duration(r.duration)}, stop: {r.stop_reason})"
            )
    return "\n".join(lines) + "\n"
