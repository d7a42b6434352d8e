"""Server-Sent Events decoding, following the WHATWG EventSource rules.

Owns the byte/text level of an event stream: line endings (CRLF, LF, CR, including a CRLF
split across two reads), comments, fields, multi-line data, dispatch on a blank line, a
leading BOM and UTF-8 characters split across reads. On top of that, ``parse_sse_events``
turns each message's ``data`` into an event dict in the API's wire shape; data that is not
a JSON object, or is nested deeper than :data:`~streamscope.core.json.depth.MAX_DEPTH` (1,000
levels), is kept as an ``invalid_sse_data`` event instead of being dropped, and every other
event of the stream is still read.

As the spec says, an event that is not followed by a blank line is never dispatched: the
anthropic SDK's recorded fixtures end that way, so their final ``message_stop`` is dropped.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from streamscope.core.json.codec import loads

__all__ = [
    "INVALID_SSE_DATA",
    "SSEDecoder",
    "SSEMessage",
    "aiter_sse_events",
    "iter_sse_events",
    "parse_sse_events",
    "sse_message_to_event",
]

INVALID_SSE_DATA = "invalid_sse_data"
"""The ``type`` of the event made for a message whose data is not a JSON object."""

_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


@dataclass(frozen=True)
class SSEMessage:
    """One dispatched Server-Sent Event.

    ``id`` is the stream's last event ID at dispatch time (it persists across events, as in
    the spec); ``retry`` is the reconnection time given inside this event's block, if any.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental SSE decoder: feed text (or bytes) as it arrives, get whole messages out.

    Use either ``feed`` or ``feed_bytes`` on one decoder, not both.
    """

    def __init__(self) -> None:
        self._partial: list[str] = []  # pieces of the current, unterminated line
        self._pending_cr = False  # the last chunk ended in "\r": a following "\n" is the same end
        self._at_start = True  # a BOM is only stripped at the very start of the stream
        self._data: list[str] = []
        self._event = ""
        self._retry: int | None = None
        self._has_fields = False
        self._bytes = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.last_event_id: str | None = None
        """The last event ID seen (persists across events)."""
        self.retry: int | None = None
        """The latest reconnection time (ms) the stream asked for."""

    @property
    def incomplete(self) -> bool:
        """True when text was received that no dispatched message accounts for yet.

        At the end of a stream this means the final event lacked its blank line (and, by
        the spec, is discarded), or the stream was cut mid-line.
        """
        return bool(self._partial) or self._has_fields

    def feed(self, text: str) -> list[SSEMessage]:
        """Decode the next piece of text; return the messages it completes."""
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text.startswith(_BOM):
                text = text[1:]
        if self._pending_cr:
            self._pending_cr = False
            if text.startswith("\n"):
                text = text[1:]
        out: list[SSEMessage] = []
        pos = 0
        for match in _LINE_END.finditer(text):
            line = text[pos : match.start()]
            if self._partial:
                self._partial.append(line)
                line = "".join(self._partial)
                self._partial.clear()
            self._line(line, out)
            pos = match.end()
        if text.endswith("\r"):
            self._pending_cr = True
        if pos < len(text):
            self._partial.append(text[pos:])
        return out

    def feed_bytes(self, data: bytes) -> list[SSEMessage]:
        """Decode the next bytes (UTF-8; a character may be split across calls)."""
        return self.feed(self._bytes.decode(data))

    def _line(self, line: str, out: list[SSEMessage]) -> None:
        if not line:
            self._dispatch(out)
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_fields = True
        elif name == "event":
            self._event = value
            self._has_fields = True
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
            self.retry = self._retry
        # Any other field name is ignored, as the spec says.

    def _dispatch(self, out: list[SSEMessage]) -> None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry, self._has_fields = [], "", None, False
        if not data:
            return
        out.append(
            SSEMessage(
                data="\n".join(data), event=event or "message", id=self.last_event_id, retry=retry
            )
        )


def sse_message_to_event(message: SSEMessage) -> dict[str, Any]:
    """The event dict carried by one message, or an ``invalid_sse_data`` event keeping it."""
    try:
        value = loads(message.data)
    except ValueError as exc:  # invalid JSON, or nested too deep
        error = str(exc)
    else:
        if isinstance(value, dict):
            return value
        error = f"expected a JSON object, got {type(value).__name__}"
    return {"type": INVALID_SSE_DATA, "event": message.event, "data": message.data, "error": error}


def parse_sse_events(text: str | bytes) -> list[dict[str, Any]]:
    """All events of a complete SSE body (text, or UTF-8 bytes), as wire-shaped dicts.

    ``ping`` and ``error`` events are included like any other.
    """
    decoder = SSEDecoder()
    messages = decoder.feed_bytes(text) if isinstance(text, bytes) else decoder.feed(text)
    return [sse_message_to_event(m) for m in messages]


def iter_sse_events(chunks: Iterable[str | bytes]) -> Iterator[dict[str, Any]]:
    """Events from SSE text or bytes arriving in chunks (e.g. ``response.iter_bytes()``)."""
    decoder = SSEDecoder()
    for chunk in chunks:
        messages = decoder.feed_bytes(chunk) if isinstance(chunk, bytes) else decoder.feed(chunk)
        for message in messages:
            yield sse_message_to_event(message)


async def aiter_sse_events(chunks: AsyncIterable[str | bytes]) -> AsyncIterator[dict[str, Any]]:
    """Async twin of ``iter_sse_events`` (e.g. ``response.aiter_bytes()``)."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        messages = decoder.feed_bytes(chunk) if isinstance(chunk, bytes) else decoder.feed(chunk)
        for message in messages:
            yield sse_message_to_event(message)
