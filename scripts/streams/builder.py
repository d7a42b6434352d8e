"""Synthetic streams: a small generator of realistic, timed Anthropic Messages API streams.

Not part of the installed package: ``scripts/make_gallery.py`` writes the gallery with it,
and tests use it (``from streams import ...``; ``tests/conftest.py`` puts ``scripts/`` on
``sys.path``). The wire shapes of its events are :mod:`streams.events`'.

:class:`StreamBuilder` composes a response block by block and renders it as wire-shaped
events with plausible arrival times, the way the API streams them:

- ids like ``msg_01…``, ``toolu_01…``, ``srvtoolu_01…`` (base62, deterministic from the
  seed); signatures, redacted thinking and search-result payloads as opaque base64 blobs
  shaped like the real ones;
- ``message_start`` with prompt-side usage (cache writes split into 5-minute and 1-hour
  lifetimes), a ``ping`` after the first block starts, ``message_delta`` with cumulative
  usage (``output_tokens_details.thinking_tokens`` when there was thinking,
  ``server_tool_use`` counts, input grown by server tool results);
- text in pieces of a few words, thinking in larger pieces followed by an empty
  ``thinking_delta`` and the ``signature_delta``, tool input JSON in small irregular
  fragments starting with an empty one, parallel tool blocks back to back;
- time to first event from the prompt size and cache use (about 0.4 to 1.5 s), then output
  at the model's rate (about 4 characters per token), with jitter and rare stalls.

The same seed and the same calls give the same events and times, byte for byte. Times from
:meth:`StreamBuilder.build` count from the first event, as in a cassette; the wait before
it is :attr:`StreamBuilder.time_to_first_event`. :func:`write_synthetic_cassette` writes a
cassette whose header does not depend on the clock either.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from streams.events import block_delta, block_start, block_stop
from streamscope.core.io.cassette import PathArg, write_cassette

__all__ = [
    "CHARS_PER_TOKEN",
    "StreamBuilder",
    "TimedEvent",
    "estimate_tokens",
    "make_id",
    "output_rate",
    "write_synthetic_cassette",
]

TimedEvent = tuple[float, dict[str, Any]]
"""``(t, event)``: seconds since the first event, and the event in wire shape."""

CHARS_PER_TOKEN = 4.0
"""The rule of thumb used for every token estimate here."""

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Output tokens per second by model family: typical streaming rates, not promises.
_RATES: tuple[tuple[str, float], ...] = (
    ("opus", 42.0),
    ("sonnet", 72.0),
    ("haiku", 150.0),
)
_DEFAULT_RATE = 65.0

ThinkingDisplay = Literal["summarized", "omitted"]


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` by the 4-characters-per-token rule (0 for empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def output_rate(model: str) -> float:
    """A typical output rate (tokens per second) for ``model``'s family."""
    lowered = model.lower()
    for family, rate in _RATES:
        if family in lowered:
            return rate
    return _DEFAULT_RATE


def make_id(prefix: str, rng: random.Random) -> str:
    """An API-style id: ``prefix`` + ``01`` + 22 base62 characters (``msg_01…``)."""
    return prefix + "01" + "".join(rng.choice(_BASE62) for _ in range(22))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + _varint(len(payload)) + payload


def _random_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def _opaque_blob(rng: random.Random, label: bytes, size: int, tail: bytes) -> str:
    """Base64 of a protobuf-like envelope: a header naming ``label``, nonces, ciphertext."""
    header = b"\x08\x0c\x18\x02" + _field(0x2A, _random_bytes(rng, 64)) + _field(0x32, label)
    body = (
        _field(0x0A, header)
        + _field(0x12, _random_bytes(rng, 12))
        + _field(0x1A, _random_bytes(rng, 12))
        + _field(0x22, _random_bytes(rng, 48))
        + _field(0x2A, _random_bytes(rng, max(16, size)))
    )
    return base64.b64encode(_field(0x12, body) + tail).decode("ascii")


# --------------------------------------------------------------------------- parts


@dataclass
class _Part:
    """One content block to render."""

    kind: str
    text: str = ""
    data: str = ""
    tokens: int = 0
    display: str = "summarized"
    signature: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    block: dict[str, Any] = field(default_factory=dict)
    json_text: str = ""
    chunk: tuple[int, int] | None = None
    delay: float | None = None
    cut: float | int | None = None
    cut_to_max_tokens: bool = False


_TOOL_OVERHEAD = 8  # output tokens for a tool block's name and framing


class StreamBuilder:
    """Compose one streamed response, then :meth:`build` it into timed wire events.

    Parameters
    ----------
    model:
        The model named in ``message_start`` (also picks the default output rate).
    seed:
        Everything random (ids, blobs, chunking, timing) derives from it.
    usage:
        Prompt-side usage reported by ``message_start``: ``input_tokens``,
        ``cache_creation_input_tokens``, ``cache_read_input_tokens``, optionally a
        ``cache_creation`` breakdown (default: all writes in ``cache_ttl``) and
        ``service_tier``.
    cache_ttl:
        ``"5m"`` or ``"1h"``: where cache writes go in the breakdown.
    max_tokens:
        The request's ``max_tokens``: output may not exceed it, and a ``max_tokens`` stop
        reports exactly it.
    tokens_per_second:
        Output rate; default: the model family's typical rate, varied a little by seed.
    time_to_first_event:
        Seconds from request to ``message_start``; default from the uncached prompt size.
    message_id:
        Default: a ``msg_01…`` id from the seed.

    Block methods return the builder, so calls chain. Blocks get consecutive indexes in
    call order.
    """

    def __init__(
        self,
        model: str = "claude-sonnet-4-5-20250929",
        *,
        seed: int | str = 0,
        usage: Mapping[str, Any] | None = None,
        cache_ttl: Literal["5m", "1h"] = "5m",
        max_tokens: int | None = None,
        tokens_per_second: float | None = None,
        time_to_first_event: float | None = None,
        message_id: str | None = None,
    ) -> None:
        self.model = model
        self.seed = seed
        self.max_tokens = max_tokens
        # The "streamscope.synthetic" prefix predates the move to tests/; changing it would
        # change every id and blob, and so every gallery recording.
        self._ids = random.Random(f"streamscope.synthetic:{seed}:ids")
        self._blobs = random.Random(f"streamscope.synthetic:{seed}:blobs")
        setup = random.Random(f"streamscope.synthetic:{seed}:setup")
        self.message_id = message_id if message_id is not None else make_id("msg_", self._ids)
        self.request_uuid = "-".join(
            "".join(setup.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12)
        )
        self.usage = self._prompt_usage(usage or {}, cache_ttl, setup)
        if tokens_per_second is None:
            tokens_per_second = output_rate(model) * setup.uniform(0.9, 1.1)
        if tokens_per_second <= 0:
            raise ValueError("tokens_per_second must be > 0")
        self.tokens_per_second = float(tokens_per_second)
        if time_to_first_event is None:
            uncached = self.usage["input_tokens"] + self.usage["cache_creation_input_tokens"]
            cached = self.usage["cache_read_input_tokens"]
            time_to_first_event = min(
                3.0, 0.3 + uncached / 24000 + cached / 250000 + setup.uniform(0.1, 0.45)
            )
        self.time_to_first_event = round(float(time_to_first_event), 6)
        self._start_output_tokens = setup.randint(1, 5)
        self._parts: list[_Part] = []
        self._tool_ids: list[str] = []
        self._last_server_id: str | None = None
        self._stop: dict[str, Any] | None = None
        self._error: dict[str, Any] | None = None
        self._cut = False

    # ------------------------------------------------------------------ setup

    @staticmethod
    def _prompt_usage(given: Mapping[str, Any], ttl: str, rng: random.Random) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "input_tokens": int(given.get("input_tokens", rng.randint(40, 400))),
            "cache_creation_input_tokens": int(given.get("cache_creation_input_tokens", 0)),
            "cache_read_input_tokens": int(given.get("cache_read_input_tokens", 0)),
        }
        breakdown = given.get("cache_creation")
        if not isinstance(breakdown, Mapping):
            written = usage["cache_creation_input_tokens"]
            breakdown = {
                "ephemeral_5m_input_tokens": written if ttl == "5m" else 0,
                "ephemeral_1h_input_tokens": written if ttl == "1h" else 0,
            }
        usage["cache_creation"] = dict(breakdown)
        usage["output_tokens"] = 0  # set per build
        usage["service_tier"] = given.get("service_tier", "standard")
        return usage

    # ------------------------------------------------------------------ reading

    @property
    def tool_ids(self) -> list[str]:
        """Ids of the client ``tool_use`` blocks so far, in order (what tool results cite)."""
        return list(self._tool_ids)

    @property
    def last_tool_id(self) -> str:
        if not self._tool_ids:
            raise ValueError("no tool_use block yet")
        return self._tool_ids[-1]

    # ------------------------------------------------------------------ blocks

    def _add(self, part: _Part) -> StreamBuilder:
        if self._stop is not None or self._error is not None:
            raise ValueError("the stream already ended (stop() or error() was called)")
        if self._cut:
            raise ValueError("the last block was cut; only stop('max_tokens') or error() follow")
        self._parts.append(part)
        return self

    def signature(self, thinking_tokens: int) -> str:
        """A fresh thinking signature: an opaque base64 blob, longer for longer thinking."""
        size = 150 + min(thinking_tokens, 1400) // 2 + self._blobs.randint(0, 40)
        return _opaque_blob(self._blobs, self.model.encode("ascii", "replace"), size, b"\x18\x01")

    def thinking(
        self,
        text: str,
        signature: str | None = None,
        display: ThinkingDisplay = "summarized",
        *,
        tokens: int | None = None,
    ) -> StreamBuilder:
        """A thinking block with its signature.

        ``display="summarized"``: ``text`` is the summary that streams; the model thought
        longer (``tokens`` billed, default 1.6 to 2.6 times the summary). ``"omitted"``:
        ``text`` is what was thought but is not sent; the block carries only the signature,
        after a silence as long as the thinking took.
        """
        if display not in ("summarized", "omitted"):
            raise ValueError(f"display must be 'summarized' or 'omitted', not {display!r}")
        if tokens is None:
            factor = self._blobs.uniform(1.6, 2.6) if display == "summarized" else 1.0
            tokens = max(1, round(estimate_tokens(text) * factor))
        if signature is None:
            signature = self.signature(tokens)
        return self._add(
            _Part("thinking", text=text, tokens=tokens, display=display, signature=signature)
        )

    def redacted_thinking(
        self, data: str | None = None, *, tokens: int | None = None
    ) -> StreamBuilder:
        """A ``redacted_thinking`` block (encrypted reasoning), whole in its start event."""
        if tokens is None:
            tokens = self._blobs.randint(120, 600)
        if data is None:
            data = _opaque_blob(
                self._blobs, self.model.encode("ascii", "replace"), tokens, b"\x18\x01"
            )
        return self._add(_Part("redacted_thinking", data=data, tokens=tokens))

    def text(
        self, markdown: str, citations: Sequence[Mapping[str, Any]] | None = None
    ) -> StreamBuilder:
        """A text block streamed in pieces of a few words; ``citations`` arrive first."""
        return self._add(_Part("text", text=markdown, citations=[dict(c) for c in citations or ()]))

    def tool_use(
        self,
        name: str,
        input: Mapping[str, Any],
        id: str | None = None,
        *,
        chunk: tuple[int, int] | None = None,
    ) -> StreamBuilder:
        """A client tool call; its input streams as JSON fragments (``chunk``: their size
        range in characters, default 1 to 14)."""
        tool_id = id if id is not None else make_id("toolu_", self._ids)
        self._tool_ids.append(tool_id)
        return self._tool_part("tool_use", tool_id, name, input, chunk)

    def server_tool_use(
        self,
        name: str,
        input: Mapping[str, Any],
        id: str | None = None,
    ) -> StreamBuilder:
        """A server tool call (``web_search``, ``web_fetch`` ...) run by the API itself."""
        tool_id = id if id is not None else make_id("srvtoolu_", self._ids)
        self._last_server_id = tool_id
        return self._tool_part("server_tool_use", tool_id, name, input, None)

    def _tool_part(
        self,
        kind: str,
        tool_id: str,
        name: str,
        input: Mapping[str, Any],
        chunk: tuple[int, int] | None,
    ) -> StreamBuilder:
        json_text = json.dumps(dict(input), ensure_ascii=False)
        block = {"type": kind, "id": tool_id, "name": name, "input": {}}
        tokens = estimate_tokens(json_text) + _TOOL_OVERHEAD
        return self._add(_Part(kind, block=block, json_text=json_text, tokens=tokens, chunk=chunk))

    def web_search_result(
        self,
        results: Sequence[Mapping[str, Any]],
        tool_use_id: str | None = None,
        *,
        delay: float | None = None,
    ) -> StreamBuilder:
        """The ``web_search_tool_result`` for the last server tool call (or ``tool_use_id``).

        Each result needs ``title`` and ``url`` (``page_age`` optional); the encrypted
        page content is generated. ``delay``: seconds the search took (default 0.9-2.4).
        """
        target = tool_use_id if tool_use_id is not None else self._last_server_id
        if target is None:
            raise ValueError("web_search_result() needs a server_tool_use() before it")
        content = []
        input_tokens = 0
        for result in results:
            size = self._blobs.randint(220, 520)
            input_tokens += self._blobs.randint(450, 1400)
            content.append(
                {
                    "type": "web_search_result",
                    "title": str(result["title"]),
                    "url": str(result["url"]),
                    "encrypted_content": self._search_blob(size, b"\x18\x03"),
                    "page_age": result.get("page_age"),
                }
            )
        block = {"type": "web_search_tool_result", "tool_use_id": target, "content": content}
        return self._add(_Part("server_result", block=block, tokens=input_tokens, delay=delay))

    def _search_blob(self, size: int, tail: bytes) -> str:
        return _opaque_blob(self._blobs, self.request_uuid.encode("ascii"), size, tail)

    def web_citation(self, url: str, title: str, cited_text: str) -> dict[str, Any]:
        """A ``web_search_result_location`` citation (for :meth:`text`'s ``citations``)."""
        return {
            "type": "web_search_result_location",
            "cited_text": cited_text,
            "url": url,
            "title": title,
            "encrypted_index": self._search_blob(self._blobs.randint(40, 90), b"\x18\x04"),
        }

    def block(self, content_block: Mapping[str, Any]) -> StreamBuilder:
        """Any other block delivered whole in its start event (a server tool result ...)."""
        return self._add(_Part("whole", block=copy.deepcopy(dict(content_block))))

    # ------------------------------------------------------------------ endings

    def cut(self, at: float | int | None = None) -> StreamBuilder:
        """Cut the last block short: it never gets ``content_block_stop``.

        ``at``: a fraction (``0 < at < 1``) or a number of characters of its content to
        send; ``None``: as much as fits in ``max_tokens``. Only ``stop("max_tokens")``,
        :meth:`error` or nothing (the connection dropped) may follow.
        """
        if not self._parts:
            raise ValueError("nothing to cut")
        part = self._parts[-1]
        if part.kind not in ("text", "thinking", "tool_use", "server_tool_use"):
            raise ValueError(f"a {part.kind} block arrives whole and cannot be cut")
        if part.kind == "thinking" and part.display == "omitted":
            raise ValueError("an omitted thinking block has no content to cut")
        if at is None:
            if self.max_tokens is None:
                raise ValueError("cut() without 'at' needs max_tokens")
            part.cut_to_max_tokens = True
        elif isinstance(at, float) and not 0.0 < at < 1.0:
            raise ValueError("a fractional cut must be between 0 and 1")
        elif isinstance(at, int) and at < 0:
            raise ValueError("a cut position must be >= 0")
        part.cut = at
        self._cut = True
        return self

    def stop(
        self,
        stop_reason: str = "end_turn",
        *,
        stop_sequence: str | None = None,
        usage: Mapping[str, Any] | None = None,
    ) -> StreamBuilder:
        """End with ``message_delta`` (stop reason, cumulative usage) and ``message_stop``.

        ``usage`` adds or overrides fields of the final usage.
        """
        if self._stop is not None or self._error is not None:
            raise ValueError("the stream already ended")
        if self._cut and stop_reason != "max_tokens":
            raise ValueError("after cut(), only stop('max_tokens') is plausible")
        self._stop = {
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": dict(usage or {}),
        }
        return self

    def error(self, type: str = "overloaded_error", message: str = "Overloaded") -> StreamBuilder:
        """A mid-stream ``error`` event; the stream ends with it."""
        if self._stop is not None or self._error is not None:
            raise ValueError("the stream already ended")
        self._error = {"type": "error", "error": {"type": type, "message": message}}
        return self

    # ------------------------------------------------------------------ rendering

    def build(self, *, from_request: bool = False) -> list[TimedEvent]:
        """The stream as ``(t, event)`` pairs.

        ``t`` counts from the first event (a cassette's convention); with
        ``from_request=True``, from when the request was sent.
        """
        events = _Renderer(self).render()
        if from_request:
            offset = self.time_to_first_event
            return [(round(t + offset, 6), e) for t, e in events]
        return events

    def events(self) -> list[dict[str, Any]]:
        """Just the events of :meth:`build`."""
        return [event for _, event in self.build()]


class _Renderer:
    """Turns a builder's parts into timed events (one fresh RNG per build)."""

    def __init__(self, builder: StreamBuilder) -> None:
        self.b = builder
        self.rng = random.Random(f"streamscope.synthetic:{builder.seed}:render")
        self.rate = builder.tokens_per_second
        self.t = 0.0
        self.out: list[TimedEvent] = []
        self.output_tokens = 0
        self.thinking_tokens = 0
        self.extra_input = 0
        self.server_requests: dict[str, int] = {}
        self.pinged = False

    # -------------------------------------------------------------- helpers

    def emit(self, event: dict[str, Any], after: float = 0.0) -> None:
        self.t += max(0.0, after)
        self.out.append((round(self.t, 6), event))
        if not self.pinged and event["type"] == "content_block_start":
            self.pinged = True  # the API pings once, right after the first block starts
            self.emit({"type": "ping"}, self.rng.uniform(0.0002, 0.002))

    def seconds_for(self, tokens: float) -> float:
        """How long ``tokens`` take at the output rate, with jitter and rare stalls."""
        seconds = tokens / self.rate * self.rng.uniform(0.6, 1.45)
        if self.rng.random() < 0.015:
            seconds += self.rng.uniform(0.15, 0.7)
        return max(0.002, seconds)

    def split_words(self, text: str, lo: int, hi: int) -> list[str]:
        """Pieces of ``lo``..``hi`` characters, mostly cut before a space (like tokens)."""
        pieces: list[str] = []
        i, n = 0, len(text)
        while i < n:
            j = min(n, i + self.rng.randint(lo, hi))
            if j < n and self.rng.random() < 0.8:
                space = text.find(" ", j, j + 10)
                newline = text.find("\n", j, j + 10)
                cuts = [c for c in (space, newline) if c > i]
                if cuts:
                    j = min(cuts)
            pieces.append(text[i:j])
            i = j
        return pieces

    def split_raw(self, text: str, lo: int, hi: int) -> list[str]:
        pieces: list[str] = []
        i, n = 0, len(text)
        while i < n:
            j = min(n, i + self.rng.randint(lo, hi))
            pieces.append(text[i:j])
            i = j
        return pieces

    # -------------------------------------------------------------- the stream

    def render(self) -> list[TimedEvent]:
        b = self.b
        start_usage = copy.deepcopy(b.usage)
        start_usage["output_tokens"] = b._start_output_tokens
        self.emit(
            {
                "type": "message_start",
                "message": {
                    "model": b.model,
                    "id": b.message_id,
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "stop_details": None,
                    "usage": start_usage,
                },
            }
        )
        open_block = False
        for index, part in enumerate(b._parts):
            self.output_tokens += self.render_part(index, part)
            open_block = part.cut is not None or part.cut_to_max_tokens
        if b.max_tokens is not None and self.output_tokens > b.max_tokens and not open_block:
            raise ValueError(f"{self.output_tokens} output tokens exceed max_tokens={b.max_tokens}")
        if b._error is not None:
            self.emit(copy.deepcopy(b._error), self.rng.uniform(0.4, 1.8))
        elif b._stop is not None:
            self.emit(self.message_delta(b._stop, open_block), self.rng.uniform(0.004, 0.04))
            self.emit({"type": "message_stop"}, self.rng.uniform(0.0003, 0.003))
        return self.out

    def message_delta(self, stop: dict[str, Any], open_block: bool) -> dict[str, Any]:
        b = self.b
        output = self.output_tokens
        if stop["stop_reason"] == "max_tokens" and b.max_tokens is not None:
            output = b.max_tokens
        usage: dict[str, Any] = {
            "input_tokens": b.usage["input_tokens"] + self.extra_input,
            "cache_creation_input_tokens": b.usage["cache_creation_input_tokens"],
            "cache_read_input_tokens": b.usage["cache_read_input_tokens"],
            "output_tokens": output,
        }
        if self.thinking_tokens:
            usage["output_tokens_details"] = {"thinking_tokens": self.thinking_tokens}
        if self.server_requests:
            # The SDK's BetaServerToolUsage requires both counts (today's wire: 2.17).
            counts = {"web_search_requests": 0, "web_fetch_requests": 0}
            for key, count in self.server_requests.items():
                if key in counts:
                    counts[key] = count
            usage["server_tool_use"] = counts
        usage.update(stop["usage"])
        return {
            "type": "message_delta",
            "delta": {
                "stop_reason": stop["stop_reason"],
                "stop_sequence": stop["stop_sequence"],
                "stop_details": None,
            },
            "usage": usage,
        }

    def kept(self, part: _Part, content: str, overhead: int) -> str:
        """The part of ``content`` that is sent (all of it unless the block is cut)."""
        if part.cut_to_max_tokens:
            assert self.b.max_tokens is not None
            left = self.b.max_tokens - self.output_tokens - overhead
            keep = max(0, int(left * CHARS_PER_TOKEN))
            if keep >= len(content):
                raise ValueError(
                    f"the {part.kind} block ends before max_tokens={self.b.max_tokens}; "
                    "make it longer or cut it at a position"
                )
            return content[:keep]
        if part.cut is None:
            return content
        keep = int(len(content) * part.cut) if isinstance(part.cut, float) else part.cut
        if keep >= len(content):
            raise ValueError(f"cutting the {part.kind} block at {part.cut!r} leaves it whole")
        return content[:keep]

    def cut_tokens(self, part: _Part, tokens: int) -> int:
        """Output tokens of a cut block: all that was left when max_tokens hit."""
        if part.cut_to_max_tokens:
            assert self.b.max_tokens is not None
            return self.b.max_tokens - self.output_tokens
        return tokens

    def render_part(self, index: int, part: _Part) -> int:
        gap = self.rng.uniform(0.01, 0.12) if index == 0 else self.rng.uniform(0.004, 0.05)
        if part.kind == "thinking":
            return self.render_thinking(index, part, gap)
        if part.kind == "redacted_thinking":
            self.thinking_tokens += part.tokens
            self.emit(
                block_start(index, {"type": "redacted_thinking", "data": part.data}),
                gap + self.seconds_for(part.tokens),
            )
            self.emit(block_stop(index), self.rng.uniform(0.001, 0.02))
            return part.tokens
        if part.kind == "text":
            return self.render_text(index, part, gap)
        if part.kind in ("tool_use", "server_tool_use"):
            return self.render_tool(index, part, gap)
        if part.kind == "server_result":
            self.extra_input += part.tokens
            gap = part.delay if part.delay is not None else self.rng.uniform(0.9, 2.4)
        self.emit(block_start(index, copy.deepcopy(part.block)), gap)
        self.emit(block_stop(index), self.rng.uniform(0.001, 0.01))
        return 0

    def render_thinking(self, index: int, part: _Part, gap: float) -> int:
        self.emit(block_start(index, {"type": "thinking", "thinking": "", "signature": ""}), gap)
        if part.display == "omitted":
            # the model thinks all the same; only the signature is sent, at the end
            self.thinking_tokens += part.tokens
            self.emit(
                block_delta(index, {"type": "signature_delta", "signature": part.signature}),
                self.seconds_for(part.tokens),
            )
            self.emit(block_stop(index), self.rng.uniform(0.001, 0.015))
            return part.tokens
        text = self.kept(part, part.text, 0)
        # A summary arrives in bursts: the time of all the thinking (part.tokens), spread
        # over the summary's pieces by their length.
        per_char = part.tokens / max(1, len(part.text))
        for piece in self.split_words(text, 24, 150):
            self.emit(
                block_delta(index, {"type": "thinking_delta", "thinking": piece}),
                self.seconds_for(len(piece) * per_char),
            )
        if len(text) < len(part.text):
            tokens = self.cut_tokens(part, round(len(text) * per_char))
            self.thinking_tokens += tokens
            return tokens
        self.thinking_tokens += part.tokens
        self.emit(block_delta(index, {"type": "thinking_delta", "thinking": ""}), 0.002)
        self.emit(
            block_delta(index, {"type": "signature_delta", "signature": part.signature}),
            self.rng.uniform(0.001, 0.02),
        )
        self.emit(block_stop(index), self.rng.uniform(0.001, 0.015))
        return part.tokens

    def render_text(self, index: int, part: _Part, gap: float) -> int:
        block: dict[str, Any] = {"type": "text", "text": ""}
        if part.citations:
            block = {"citations": [], "type": "text", "text": ""}
        self.emit(block_start(index, block), gap)
        for citation in part.citations:
            self.emit(
                block_delta(
                    index, {"type": "citations_delta", "citation": copy.deepcopy(citation)}
                ),
                self.rng.uniform(0.002, 0.03),
            )
        text = self.kept(part, part.text, 0)
        for piece in self.split_words(text, 2, 26):
            self.emit(
                block_delta(index, {"type": "text_delta", "text": piece}),
                self.seconds_for(estimate_tokens(piece)),
            )
        if len(text) < len(part.text):
            return self.cut_tokens(part, estimate_tokens(text))
        self.emit(block_stop(index), self.rng.uniform(0.001, 0.02))
        return estimate_tokens(text)

    def render_tool(self, index: int, part: _Part, gap: float) -> int:
        # the model writes the tool's name before the block can start
        self.emit(block_start(index, copy.deepcopy(part.block)), gap + self.seconds_for(3))
        if part.kind == "server_tool_use":
            key = f"{part.block.get('name')}_requests"
            self.server_requests[key] = self.server_requests.get(key, 0) + 1
        self.emit(
            block_delta(index, {"type": "input_json_delta", "partial_json": ""}),
            self.rng.uniform(0.001, 0.03),
        )
        raw = self.kept(part, part.json_text, _TOOL_OVERHEAD)
        lo, hi = part.chunk or (1, 14)
        for piece in self.split_raw(raw, lo, hi):
            self.emit(
                block_delta(index, {"type": "input_json_delta", "partial_json": piece}),
                self.seconds_for(len(piece) / CHARS_PER_TOKEN),
            )
        if len(raw) < len(part.json_text):
            return self.cut_tokens(part, estimate_tokens(raw) + _TOOL_OVERHEAD)
        self.emit(block_stop(index), self.rng.uniform(0.001, 0.02))
        return part.tokens


# --------------------------------------------------------------------------- writing


def write_synthetic_cassette(
    path: PathArg,
    events: Iterable[TimedEvent],
    meta: Mapping[str, Any] | None = None,
    *,
    created: str = "2025-11-03T09:00:00.000Z",
) -> int:
    """Write a cassette with a fixed ``created`` stamp, so the same input gives the same
    bytes."""
    pairs = list(events)
    count = write_cassette(
        path,
        [e for _, e in pairs],
        times=[t for t, _ in pairs],
        meta=dict(meta or {}),
        created=created,
    )
    return count
