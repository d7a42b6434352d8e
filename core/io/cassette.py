"""Cassettes: the project's own recording format (``.jsonl``), and reading recordings.

How it works: ``docs/internals.md``, section ``streamscope.core.io.cassette``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Callable,
    Generator,
    Iterable,
    Mapping,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, TypeVar, overload

from streamscope.core.figures.faults import failure_words
from streamscope.core.io.closing import Closing
from streamscope.core.io.files import partial_path
from streamscope.core.io.safe_files import check_time, open_recording, read_lines
from streamscope.core.json.codec import coerce_json, dumps_exact, limit_depth, loads
from streamscope.core.json.depth import MAX_DEPTH
from streamscope.core.stream.errors import exception_text
from streamscope.core.wire.credentials import is_secret_key
from streamscope.core.wire.redaction import redact, redact_text
from streamscope.core.wire.request import clean_request, request_of
from streamscope.core.wire.sdk import (
    event_to_dict,
    is_async_stream_manager,
    is_derived_event,
    is_message_stream,
    is_stream_manager,
)
from streamscope.core.wire.sse import INVALID_SSE_DATA, SSEDecoder, sse_message_to_event

__all__ = [
    "CASSETTE_VERSION",
    "PROJECT_FIELDS",
    "AsyncRecordingIterator",
    "Cassette",
    "CassetteWriter",
    "RecordingIterator",
    "arecord",
    "is_cassette_path",
    "read_cassette",
    "read_events",
    "read_timed_events",
    "record",
    "sanitize_meta",
    "write_cassette",
]

CASSETTE_VERSION = 1

_E = TypeVar("_E")
PathArg = str | os.PathLike[str]

PROJECT_FIELDS: Final = frozenset(
    {
        "title",
        "description",
        "teaches",
        "model",
        "synthetic",
        "generator",
        "seed",
        "request",
        "request_at",
        "time_to_first_event",
        "output_tokens_per_second",
        "timings",
        "conversation",
        "turn",
    }
)
"""Meta fields the project writes itself (the gallery's recordings): kept as they are, with
only credentials taken out (a request's API key and headers), not the strict pass."""
_META_DEPTH: Final = MAX_DEPTH - 1  # the header line holds meta one level down
_TERMINAL: Final = frozenset({"message_stop", "error"})


# --------------------------------------------------------------------------- events


def _dumps(obj: object) -> bytes:
    return dumps_exact(obj, separators=(",", ":")).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------- meta


def sanitize_meta(value: Any) -> Any:
    """``value`` as JSON data without credentials; never raises (any type, bytes keys,
    sets, cycles). ``request`` keeps the request byte for byte less its credentials
    (:func:`~streamscope.core.wire.request.clean_request`); the other fields in
    :data:`PROJECT_FIELDS` lose only credentials; every other field goes through
    :func:`~streamscope.core.wire.redaction.redact` (strict), every entry whose key names a
    secret (:func:`~streamscope.core.wire.credentials.is_secret_key`: ``*key*``, ``*token*``,
    ``*secret*``, ``*password*``, ``*auth*``, ``*cred*``, any case) dropped at any depth,
    keys in strings, Bearer tokens and URL query values replaced by ``[redacted]``.
    Anything nested deeper than the header line can hold (1,000 levels in all) is kept as
    its JSON text."""
    if not isinstance(value, Mapping):
        return limit_depth(redact(value, secret_key=is_secret_key), _META_DEPTH)
    try:
        items = list(value.items())
    except Exception:
        return redact(repr(value))
    out: dict[str, Any] = {}
    for key, item in items:
        name, _ = coerce_json(key)
        name = name if isinstance(name, str) else json.dumps(name)
        if name == "request" and isinstance(item, Mapping):
            out[name] = clean_request(item)
            continue
        if name in PROJECT_FIELDS:
            out[name] = redact(item, strict=False)
            continue
        cleaned = redact({name: item}, secret_key=is_secret_key)
        if isinstance(cleaned, dict):
            out.update(cleaned)
    return limit_depth(out, _META_DEPTH)


# --------------------------------------------------------------------------- writing


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CassetteWriter(Closing):
    """Writes a cassette line by line to ``<path>.partial``, flushing each line (a crash keeps
    what was received there); :meth:`close` renames it over ``path``, :meth:`abort` leaves
    ``path`` untouched.

    ``write(event, t=None)``: ``t`` defaults to ``clock()`` minus the first event's time.
    Used as a context manager, it closes on success and aborts on an exception.
    """

    def __init__(
        self,
        path: PathArg,
        meta: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        created: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.partial_path = partial_path(self.path)
        """Where the lines go until :meth:`close` renames the file into place."""
        self.ended = False
        """True when the last event written ends a stream (``message_stop`` or ``error``)."""
        self._clock = clock
        self._t0: float | None = None
        self.count = 0
        header = {
            "streamscope_cassette": CASSETTE_VERSION,
            "created": created if created is not None else _now_iso(),
            "meta": sanitize_meta(meta if meta is not None else {}),
        }
        self._file: IO[bytes] | None = open(self.partial_path, "wb")  # noqa: SIM115 - closed in close()
        try:
            self._put(header)
        except BaseException:
            self.abort(keep_partial=False)
            raise

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
        self._put_event(round(float(t), 6), event_to_dict(event))

    def mark_request(self, at: float | None = None) -> None:
        """The request is sent now (or was sent at ``at``, on this writer's clock): ``t``
        counts from then (write the header's ``request_at`` as ``0.0``). No effect once an
        event was written."""
        if self._t0 is None:
            self._t0 = self._clock() if at is None else at

    def write_fault(self, exc: BaseException) -> None:
        """Append the failure that ended the source (its line is ``{"t": ..., "fault":
        {"words", "error", "message", "events"}}``: no event, what a reader tells the
        recording was cut by). The message goes through the credential redaction."""
        if self._file is None:
            return
        now = self._clock()
        t = None if self._t0 is None else round(now - self._t0, 6)
        fault = {
            "words": failure_words(exc, events=self.count),
            "error": type(exc).__name__,
            "message": redact_text(exception_text(exc)),
            "events": self.count,
        }
        self._put({"t": t, "fault": fault})

    def write_untimed(self, event: object) -> None:
        """Append one event with ``"t": null`` (synthetic recordings without times)."""
        if is_derived_event(event):
            return
        self._put_event(None, event_to_dict(event))

    def _put_event(self, t: float | None, data: dict[str, Any]) -> None:
        self._put({"t": t, "event": data})
        self.count += 1
        self.ended = data.get("type") in _TERMINAL

    def close(self) -> None:
        """Finish: the complete file replaces ``path`` (atomically)."""
        handle = self._file
        if handle is None:
            return
        self._file = None
        try:
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()
        os.replace(self.partial_path, self.path)

    def abort(self, *, keep_partial: bool = True) -> None:
        """Stop writing and leave ``path`` as it was; what was written stays in the
        ``.partial`` file (readable by :func:`read_events`) unless ``keep_partial=False``."""
        handle = self._file
        if handle is None:
            return
        self._file = None
        try:
            handle.close()
        finally:
            if not keep_partial:
                self.partial_path.unlink(missing_ok=True)

    def __exit__(self, *exc_info: object) -> None:
        if exc_info and exc_info[0] is not None:
            self.abort()
        else:
            self.close()


def write_cassette(
    path: PathArg,
    events: Iterable[object],
    times: Iterable[float | None] | None = None,
    meta: dict[str, Any] | None = None,
    created: str | None = None,
) -> int:
    """Write a whole cassette at once; returns the number of events written.

    Without ``times`` every event gets ``"t": null`` (replayed without waiting).
    ``created`` fixes the header's timestamp (default: now), for reproducible files. The
    file at ``path`` is replaced only once complete; on failure it is left as it was and
    nothing else remains.
    """
    pairs: Iterable[tuple[float | None, object]]
    if times is None:
        pairs = ((None, event) for event in events)
    else:
        time_list, event_list = list(times), list(events)
        if len(time_list) != len(event_list):
            raise ValueError(f"{len(event_list)} events but {len(time_list)} times")
        pairs = zip(time_list, event_list, strict=True)
    writer = CassetteWriter(path, meta, created=created)
    try:
        for t, event in pairs:
            if t is None:
                writer.write_untimed(event)
            else:
                writer.write(event, t)
        writer.close()
    except BaseException:
        writer.abort(keep_partial=False)
        raise
    return writer.count


def _recording_meta(
    meta: dict[str, Any] | None, request: dict[str, Any] | None, opens: bool
) -> dict[str, Any]:
    out = dict(meta) if meta is not None else {}
    if request is not None:
        out["request"] = request  # what was sent wins over a request the caller described
    if opens:
        out["request_at"] = 0.0  # the writer's clock starts when the request is sent
    return out


class _Shared:
    """What a recording iterator learns while its generator runs (no reference cycle)."""

    __slots__ = ("message_stream",)

    def __init__(self) -> None:
        self.message_stream: Any = None


class _Recorded:
    """What a recording iterator knows, sync or async: its cassette's ``path``, the
    ``request`` in its header, and the SDK ``MessageStream`` once entered."""

    def __init__(self, path: Path, request: dict[str, Any] | None, shared: _Shared) -> None:
        self.path = path
        self.request = request
        self._shared = shared

    @property
    def message_stream(self) -> Any:
        return self._shared.message_stream


class RecordingIterator(_Recorded, Generator[_E, None, None]):
    """What :func:`record` returns: the events, unchanged, as a generator (``next``,
    ``send``, ``throw``, ``close``), plus what it knows about the recording.

    ``request`` is the request recorded in the header (None when unknown); ``path`` the
    cassette; ``message_stream`` the SDK ``MessageStream`` when :func:`record` entered a
    manager itself (so ``get_final_message()`` still works), else None.
    """

    def __init__(
        self,
        gen: Generator[_E, None, None],
        path: Path,
        request: dict[str, Any] | None,
        shared: _Shared,
    ) -> None:
        super().__init__(path, request, shared)
        self._iterator = gen  # the name sources.py checks to tell a spent iterator

    def __iter__(self) -> RecordingIterator[_E]:
        return self

    def __next__(self) -> _E:
        return next(self._iterator)

    def send(self, value: None) -> _E:
        return self._iterator.send(value)

    def throw(self, *args: Any) -> _E:
        return self._iterator.throw(*args)

    def close(self) -> None:
        self._iterator.close()


class AsyncRecordingIterator(_Recorded, AsyncGenerator[_E, None]):
    """What :func:`arecord` returns: the async twin of :class:`RecordingIterator`."""

    def __init__(
        self,
        gen: AsyncGenerator[_E, None],
        path: Path,
        request: dict[str, Any] | None,
        shared: _Shared,
    ) -> None:
        super().__init__(path, request, shared)
        self._iterator = gen

    def __aiter__(self) -> AsyncRecordingIterator[_E]:
        return self

    async def __anext__(self) -> _E:
        return await self._iterator.__anext__()

    async def asend(self, value: None) -> _E:
        return await self._iterator.asend(value)

    async def athrow(self, *args: Any) -> _E:
        return await self._iterator.athrow(*args)

    async def aclose(self) -> None:
        await self._iterator.aclose()


@overload
def record(
    events: Iterable[_E],
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RecordingIterator[_E]: ...


@overload
def record(
    events: Any,
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RecordingIterator[Any]: ...


def record(
    events: Any,
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RecordingIterator[Any]:
    """Yield every event unchanged (the same objects) while writing it to a cassette.

    ``events``: any iterable of events (an SDK ``Stream`` or ``MessageStream``, a list, a
    replay), or an SDK stream manager (``client.messages.stream(...)``, or the replay
    client's), which ``record`` enters itself and exits at the end: it then knows when the
    request was sent, and ``t`` counts from that moment (header ``request_at`` 0.0). The
    request is recorded in the header's ``meta.request`` whenever it can be known (see
    :func:`~streamscope.core.wire.request.request_of`), before ``meta``'s own ``request``.

    When ``events`` ends, or iteration stops right after the stream's own end
    (``message_stop`` or ``error``, where a view stops reading), the cassette replaces the
    file at ``path``. When ``events`` fails, or iteration stops before the stream's end (a
    Stop, an interrupt), ``path`` is left as it was and the events that arrived stay in
    ``<path>.partial`` (readable by :func:`read_events`). Derived ``MessageStream`` events
    are passed on but not written.
    """
    request, header, shared = _prepare(events, meta, opens := is_stream_manager(events))
    gen = _record(events, path, header, clock, opens, shared)
    return RecordingIterator(gen, Path(path), request, shared)


def _prepare(
    events: Any, meta: dict[str, Any] | None, opens: bool
) -> tuple[dict[str, Any] | None, dict[str, Any], _Shared]:
    """What :func:`record` and :func:`arecord` know before the first event: the request,
    the header's meta, and where the message stream will be kept."""
    request = request_of(events)
    return request, _recording_meta(meta, request, opens), _Shared()


class _Session:
    """One recording from its first event to its end, for :func:`record` and
    :func:`arecord` alike: ``with _Session(...) as writer`` around the events. The request
    is marked sent when it opens a manager; a source that fails leaves its fault as the
    last line; at the end the cassette goes into place if the source ended (or its stream
    did, and then the reader stopped), else stays ``.partial``."""

    def __init__(
        self, path: PathArg, meta: dict[str, Any], clock: Callable[[], float], opens: bool
    ) -> None:
        self.writer = CassetteWriter(path, meta, clock)
        if opens:
            self.writer.mark_request()

    def __enter__(self) -> CassetteWriter:
        return self.writer

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        writer = self.writer
        if isinstance(exc, Exception):  # the source failed: say so in the recording
            writer.write_fault(exc)
        if exc_type is None or (writer.ended and exc_type is GeneratorExit):
            writer.close()
        else:
            writer.abort()


def _record(
    events: Any,
    path: PathArg,
    meta: dict[str, Any],
    clock: Callable[[], float],
    opens: bool,
    shared: _Shared,
) -> Generator[Any, None, None]:
    with _Session(path, meta, clock, opens) as writer:
        if opens:
            with events as stream:
                shared.message_stream = stream if is_message_stream(stream) else None
                for event in stream:
                    writer.write(event)
                    yield event
        else:
            for event in events:
                writer.write(event)
                yield event


@overload
def arecord(
    events: AsyncIterable[_E],
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncRecordingIterator[_E]: ...


@overload
def arecord(
    events: Any,
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncRecordingIterator[Any]: ...


def arecord(
    events: Any,
    path: PathArg,
    meta: dict[str, Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncRecordingIterator[Any]:
    """Async twin of ``record`` (an ``AsyncMessageStreamManager`` is entered with
    ``async with``)."""
    request, header, shared = _prepare(events, meta, opens := is_async_stream_manager(events))
    gen = _arecord(events, path, header, clock, opens, shared)
    return AsyncRecordingIterator(gen, Path(path), request, shared)


async def _arecord(
    events: Any,
    path: PathArg,
    meta: dict[str, Any],
    clock: Callable[[], float],
    opens: bool,
    shared: _Shared,
) -> AsyncGenerator[Any, None]:
    with _Session(path, meta, clock, opens) as writer:
        if opens:
            async with events as stream:
                shared.message_stream = stream if is_message_stream(stream) else None
                async for event in stream:
                    writer.write(event)
                    yield event
        else:
            async for event in events:
                writer.write(event)
                yield event


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
    time_problems: list[str] = field(default_factory=list)
    """The problems that are times no replay can wait for (also in ``problems``)."""
    fault: dict[str, Any] | None = None
    """The failure that cut the recording (``words``, ``error``, ``message``, ``events``,
    and ``t``), when the recorder saw its source fail; None otherwise."""

    @property
    def request(self) -> dict[str, Any] | None:
        """The request recorded in the header (``meta.request``), or None. Older
        recordings may hold only part of it (tool names instead of tool definitions)."""
        value = self.meta.get("request")
        return value if isinstance(value, dict) else None

    @property
    def request_at(self) -> float | None:
        """When the request was sent, in the seconds of ``times`` (``meta.request_at``), or
        None when the recording does not say."""
        value = self.meta.get("request_at")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value) if check_time(value) is None else None

    @property
    def time_to_first_event(self) -> float | None:
        """Seconds from the request to the first event, when both are known."""
        first = next((t for t in self.times if t is not None), None)
        if first is None or self.request_at is None:
            return None
        return first - self.request_at

    def timed_events(
        self, *, from_request: bool = False
    ) -> list[tuple[float | None, dict[str, Any]]]:
        """``(t, event)`` pairs; ``from_request=True`` counts ``t`` from the request when
        the header says when it was sent (the first event then comes at its time to first
        event), else leaves the times as recorded."""
        origin = self.request_at if from_request else None
        if not origin:
            return list(zip(self.times, self.events, strict=True))
        return [
            (None if t is None else round(t - origin, 6), event)
            for t, event in zip(self.times, self.events, strict=True)
        ]


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
        obj = loads(raw)
    except ValueError as exc:  # invalid, or nested deeper than 1,000 levels
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
    fault = obj.get("fault")
    if isinstance(fault, dict) and "event" not in obj:
        cassette.fault = {**fault, "t": obj.get("t")}
        return
    event = obj.get("event")
    if isinstance(event, dict):
        t = obj.get("t")
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))):
            cassette.problems.append(f"line {lineno}: bad time {t!r}; read as unknown")
            t = None
        why = None if t is None else check_time(t)
        if why is not None:  # Infinity, NaN, 1e308: never waited for
            message = f"line {lineno}: {why}; replayed at the default interval"
            cassette.problems.append(message)
            cassette.time_problems.append(message)
            t = None
        cassette.events.append(event)
        cassette.times.append(None if t is None else float(t))
    elif "type" in obj and "t" not in obj:
        cassette.events.append(obj)  # a bare event per line (plain JSONL of events)
        cassette.times.append(None)
    else:
        _bad_line(cassette, lineno, raw, "line has no event object")


def read_cassette(path: PathArg) -> Cassette:
    """Read a ``.jsonl`` cassette (or a ``.jsonl.partial`` one, cut short), keeping going
    past (and recording) malformed lines."""
    cassette = Cassette()
    with open_recording(path) as f:
        for lineno, raw_bytes in read_lines(f, os.fspath(path)):
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
    messages = []
    with open_recording(path) as f:
        for _, line in read_lines(f, os.fspath(path)):
            messages += decoder.feed_bytes(line)
    return [sse_message_to_event(m) for m in messages]


def is_cassette_path(path: PathArg) -> bool:
    name = Path(path).name.lower()
    return name.endswith((".jsonl", ".jsonl.partial"))


def read_events(path: PathArg) -> list[dict[str, Any]]:
    """Events of a recording: ``.jsonl`` (or ``.jsonl.partial``, a recording cut short) is a
    cassette; any other file is SSE text."""
    if is_cassette_path(path):
        return read_cassette(path).events
    return _read_sse(path)


def read_timed_events(
    path: PathArg, *, from_request: bool = False
) -> list[tuple[float | None, dict[str, Any]]]:
    """``(t, event)`` pairs of a recording; SSE files carry no times (all None).

    ``from_request=True``: ``t`` counts from when the request was sent, if the cassette's
    header says (``meta.request_at``), so ``StreamState(started_at=0.0)`` fed
    ``apply(event, at=t)`` reports the true time to first event and first token; without
    it the times are as recorded.
    """
    if is_cassette_path(path):
        return read_cassette(path).timed_events(from_request=from_request)
    return [(None, event) for event in _read_sse(path)]
