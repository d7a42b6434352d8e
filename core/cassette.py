"""Cassettes: the project's own recording format (``.jsonl``), and reading recordings.

Format (UTF-8, one JSON object per line)::

    {"streamscope_cassette": 1, "created": "2025-01-01T12:00:00.000Z", "meta": {...}}
    {"t": 0.0, "event": {"type": "message_start", ...}}
    {"t": 0.412731, "event": {"type": "content_block_start", ...}}

``t`` is seconds since the first event (microseconds), or null when unknown; ``event`` is the
event in wire shape. ``meta`` is user metadata, sanitised: API keys and HTTP headers are
never written. Reading never loses a line silently: a line that cannot be decoded is kept
as an ``invalid_sse_data`` event and noted in ``Cassette.problems``.

Also here: ``read_events`` / ``read_timed_events`` for any recording (``.jsonl`` is a
cassette; anything else is SSE text), and ``record`` / ``arecord`` to tee a live stream to
a cassette without changing what the caller receives.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, TypeVar

from streamscope.core._closing import Closing
from streamscope.core._models import dump_model
from streamscope.core.sources import is_derived_event, raw_base_class
from streamscope.core.sse import INVALID_SSE_DATA, SSEDecoder, sse_message_to_event

__all__ = [
    "CASSETTE_VERSION",
    "Cassette",
    "CassetteWriter",
    "arecord",
    "event_to_dict",
    "read_cassette",
    "read_events",
    "read_timed_events",
    "record",
    "sanitize_meta",
    "write_cassette",
]

CASSETTE_VERSION = 1
REDACTED = "[redacted]"

_E = TypeVar("_E")
PathArg = str | os.PathLike[str]

_SECRET_KEYS = frozenset(
    {
        "api_key",
        "x_api_key",
        "anthropic_api_key",
        "auth_token",
        "authorization",
        "proxy_authorization",
        "headers",
        "extra_headers",
        "default_headers",
        "cookie",
        "cookies",
        "set_cookie",
        "password",
        "secret",
        "client_secret",
    }
)
_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")


# --------------------------------------------------------------------------- events


def event_to_dict(event: object) -> dict[str, Any]:
    """An event in wire shape: dicts are copied (shallowly), SDK models via ``to_dict()``.

    A MessageStream's ``message_stop``/``content_block_stop`` carry a snapshot of the
    message/block that is not on the wire; it is left out.
    """
    if isinstance(event, dict):
        return dict(event)
    if getattr(event, "to_dict", None) is None:
        raise TypeError(f"not an event: {type(event).__name__}")
    snapshot: set[str] = set()
    base = raw_base_class(event)
    if base is not None and base is not type(event):
        snapshot = set(getattr(type(event), "model_fields", {})) - set(base.model_fields)  # type: ignore[attr-defined]
    # The snapshot is left out (not serialised at all). warnings=False: models built loosely
    # from unknown (newer) wire shapes warn on dump, yet dump exactly what was received
    # (checked against the recorded corpus).
    data: dict[str, Any] = dump_model(event, exclude=snapshot or None, warnings=False)
    return data


def _json_default(value: object) -> object:
    data = dump_model(value, "auto")
    if data is not value:
        return data
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def _dumps(obj: object) -> bytes:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # lone surrogates: escape them so the line stays valid UTF-8
        text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=_json_default)
        return text.encode("ascii") + b"\n"


# --------------------------------------------------------------------------- meta


def _is_secret_key(key: str) -> bool:
    norm = key.strip().lower().replace("-", "_")
    return norm in _SECRET_KEYS or norm.endswith("api_key")


def sanitize_meta(value: Any) -> Any:
    """A copy of ``value`` without credentials: secret/header keys dropped at any depth
    (case-insensitive, ``-`` or ``_``), Anthropic keys inside strings replaced."""
    if isinstance(value, dict):
        return {
            k: sanitize_meta(v)
            for k, v in value.items()
            if not (isinstance(k, str) and _is_secret_key(k))
        }
    if isinstance(value, (list, tuple)):
        return [sanitize_meta(v) for v in value]
    if isinstance(value, str):
        return _KEY_PATTERN.sub(REDACTED, value)
    if hasattr(value, "model_dump") or hasattr(value, "to_dict"):
        return sanitize_meta(_json_default(value))
    return value


# --------------------------------------------------------------------------- writing


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CassetteWriter(Closing):
    """Writes a cassette line by line, flushing each line (a crash keeps what was received).

    ``write(event, t=None)``: ``t`` defaults to ``clock()`` minus the first event's time.
    """

    def __init__(
        self,
        path: PathArg,
        meta: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        created: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._t0: float | None = None
        self.count = 0
        self._file: IO[bytes] | None = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        header = {
            "streamscope_cassette": CASSETTE_VERSION,
            "created": created if created is not None else _now_iso(),
            "meta": sanitize_meta(dict(meta or {})),
        }
        self._put(header)

    @property
    def closed(self) -> bool:
        return self._file is None

    def _put(self, obj: object) -> None:
        if self._file is None:
            raise ValueError("cassette is closed")
        self._file.write(_dumps(obj))
        self._file.flush()

    def write(self, event: object, t: float | None = None) -> None:
        """Append one event (dict or SDK model); derived MessageStream events are skipped."""
        if self._file is None:
            raise ValueError("cassette is closed")
        if is_derived_event(event):
            return
        if t is None:
            now = self._clock()
            if self._t0 is None:
                self._t0 = now
            t = now - self._t0
        elif self._t0 is None:
            self._t0 = self._clock() - t
        self._put({"t": round(float(t), 6), "event": event_to_dict(event)})
        self.count += 1

    def write_untimed(self, event: object) -> None:
        """Append one event with ``"t": null`` (synthetic recordings without times)."""
        if is_derived_event(event):
            return
        self._put({"t": None, "event": event_to_dict(event)})
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None


def write_cassette(
    path: PathArg,
    events: Iterable[object],
    times: Iterable[float | None] | None = None,
    meta: dict[str, Any] | None = None,
    created: str | None = None,
) -> int:
    """Write a whole cassette at once; returns the number of events written.

    Without ``times`` every event gets ``"t": null`` (replayed without waiting).
    ``created`` fixes the header's timestamp (default: now), for reproducible files.
    """
    with CassetteWriter(path, meta, created=created) as writer:
        if times is None:
            for event in events:
                writer.write_untimed(event)
        else:
            time_list = list(times)
            event_list = list(events)
            if len(time_list) != len(event_list):
                raise ValueError(f"{len(event_list)} events but {len(time_list)} times")
            for t, event in zip(time_list, event_list, strict=True):
                if t is None:
                    writer.write_untimed(event)
                else:
                    writer.write(event, t)
        return writer.count


def record(
    events: Iterable[_E],
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Generator[_E, None, None]:
    """Yield every event unchanged (the same objects) while writing it to a cassette.

    The file is closed when iteration ends, fails or is closed early. Derived
    ``MessageStream`` events are passed on but not written.
    """
    writer = CassetteWriter(path, meta, clock)
    try:
        for event in events:
            writer.write(event)
            yield event
    finally:
        writer.close()


async def arecord(
    events: AsyncIterable[_E],
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncGenerator[_E, None]:
    """Async twin of ``record``."""
    writer = CassetteWriter(path, meta, clock)
    try:
        async for event in events:
            writer.write(event)
            yield event
    finally:
        writer.close()


# --------------------------------------------------------------------------- reading


@dataclass
class Cassette:
    """A cassette read back: ``events[i]`` arrived at ``times[i]`` (None when unknown)."""

    meta: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    times: list[float | None] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    version: int | None = None

    def timed_events(self) -> list[tuple[float | None, dict[str, Any]]]:
        return list(zip(self.times, self.events, strict=True))


def _bad_line(cassette: Cassette, lineno: int, raw: str, error: str) -> None:
    cassette.problems.append(f"line {lineno}: {error}")
    cassette.events.append(
        {
            "type": INVALID_SSE_DATA,
            "event": "cassette_line",
            "data": raw,
            "error": error,
            "line": lineno,
        }
    )
    cassette.times.append(None)


def _read_header(cassette: Cassette, obj: dict[str, Any]) -> None:
    version = obj.get("streamscope_cassette")
    cassette.version = version if isinstance(version, int) else None
    if version != CASSETTE_VERSION:
        cassette.problems.append(f"line 1: unknown cassette version {version!r}; read anyway")
    created = obj.get("created")
    cassette.created = created if isinstance(created, str) else ""
    meta = obj.get("meta")
    if isinstance(meta, dict):
        cassette.meta = meta
    elif meta is not None:
        cassette.problems.append("line 1: meta is not an object; ignored")


def _read_line(cassette: Cassette, lineno: int, raw: str) -> None:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        _bad_line(cassette, lineno, raw, f"invalid JSON: {exc}")
        return
    if not isinstance(obj, dict):
        _bad_line(cassette, lineno, raw, f"expected a JSON object, got {type(obj).__name__}")
        return
    if lineno == 1 and "streamscope_cassette" in obj:
        _read_header(cassette, obj)
        return
    if lineno == 1:
        cassette.problems.append("line 1: no cassette header")
    event = obj.get("event")
    if isinstance(event, dict):
        t = obj.get("t")
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))):
            cassette.problems.append(f"line {lineno}: bad time {t!r}; read as unknown")
            t = None
        cassette.events.append(event)
        cassette.times.append(None if t is None else float(t))
    elif "type" in obj and "t" not in obj:
        cassette.events.append(obj)  # a bare event per line (plain JSONL of events)
        cassette.times.append(None)
    else:
        _bad_line(cassette, lineno, raw, "line has no event object")


def read_cassette(path: PathArg) -> Cassette:
    """Read a ``.jsonl`` cassette, keeping going past (and recording) malformed lines."""
    cassette = Cassette()
    with open(path, "rb") as f:
        for lineno, raw_bytes in enumerate(f, start=1):
            data = raw_bytes.rstrip(b"\r\n")
            if lineno == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                raw = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                cassette.problems.append(f"line {lineno}: invalid UTF-8 ({exc}); replaced")
                raw = data.decode("utf-8", errors="replace")
            if not raw.strip():
                continue
            _read_line(cassette, lineno, raw)
    return cassette


def _read_sse(path: PathArg) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    with open(path, "rb") as f:
        messages = decoder.feed_bytes(f.read())
    return [sse_message_to_event(m) for m in messages]


def _is_cassette_path(path: PathArg) -> bool:
    return Path(path).suffix.lower() == ".jsonl"


def read_events(path: PathArg) -> list[dict[str, Any]]:
    """Events of a recording: ``.jsonl`` is a cassette; any other file is SSE text."""
    if _is_cassette_path(path):
        return read_cassette(path).events
    return _read_sse(path)


def read_timed_events(path: PathArg) -> list[tuple[float | None, dict[str, Any]]]:
    """``(t, event)`` pairs of a recording; SSE files carry no times (all None)."""
    if _is_cassette_path(path):
        return read_cassette(path).timed_events()
    return [(None, event) for event in _read_sse(path)]
