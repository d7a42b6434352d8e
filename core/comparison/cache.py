"""Why a request missed the prompt cache: two runs' requests compared the way the cache
reads them, told as one :class:`CacheExplanation`.

How it works: ``docs/internals.md``, section ``streamscope.core.comparison.cache``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from streamscope.core.figures.text import fmt_usd
from streamscope.core.io.cassette import Cassette, is_cassette_path, read_cassette
from streamscope.core.pricing.prices import PriceTable, estimate_cost
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.usage import Usage
from streamscope.core.wire.diagnostics import server_cache_miss, server_cache_pending

__all__ = [
    "SECTIONS",
    "SERVER_SECTIONS",
    "CacheBreakpoint",
    "CacheChange",
    "CacheExpiry",
    "CacheExplanation",
    "Excerpt",
    "explain_cache",
    "sent_at",
]

Section = Literal["model", "tools", "system", "messages"]
SECTIONS: Final[tuple[Section, ...]] = ("model", "tools", "system", "messages")
"""The parts of a request in the order the cache reads them."""
SERVER_SECTIONS: Final[Mapping[str, Section]] = {
    "model_changed": "model",
    "tools_changed": "tools",
    "system_changed": "system",
    "messages_changed": "messages",
}
"""The server's ``cache_miss_reason.type`` for each section (the others,
``previous_message_not_found`` and ``unavailable``, name none)."""
TTL_SECONDS: Final[Mapping[str, int]] = {"5m": 300, "1h": 3600}
_CONTEXT: Final = 24
"""Characters of unchanged text kept on each side of a change in an :class:`Excerpt`."""
_CHANGED: Final = 48
"""Characters of the changed text kept (the rest elided)."""
_CHUNK: Final = 4096

PathPart = str | int


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A value around a change, shortened: ``head`` and ``tail`` are unchanged text (with
    ``…`` where cut), ``changed`` the characters that differ (empty: nothing here, e.g. an
    insertion on the other side)."""

    head: str
    changed: str
    tail: str

    def __str__(self) -> str:
        return f"{self.head}[{self.changed}]{self.tail}"


@dataclass(frozen=True, slots=True)
class CacheChange:
    """The first difference between the two requests, in the order the cache reads them."""

    section: Section
    path: tuple[PathPart, ...]
    """JSON path of the first difference, e.g. ``("system", 0, "text")``."""
    before: Excerpt
    after: Excerpt
    character: int | None = None
    """1-based position of the first changed character, when the values are strings."""
    reordered: bool = False
    """The tools are the same ones, in another order."""

    @property
    def where(self) -> str:
        """The path as text: ``system[0].text``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


@dataclass(frozen=True, slots=True)
class CacheBreakpoint:
    """One ``cache_control`` breakpoint of the previous request."""

    number: int
    """1-based, in the order the cache reads the request."""
    path: tuple[PathPart, ...]
    """Where the marker sits (``("tools", 2)``, ``("system", 0)``,
    ``("messages", 3, "content", 0)``)."""
    section: Section
    ttl: str
    """``"5m"`` or ``"1h"``."""
    holds: bool
    """The current request's prefix is the same up to and including this block."""
    expired: bool = False
    """It holds, but the current request came after its lifetime ended."""
    automatic: bool = False
    """Placed by the top-level ``cache_control`` (on the last cacheable block)."""

    @property
    def readable(self) -> bool:
        """Its prefix could be read: it holds and had not expired."""
        return self.holds and not self.expired


@dataclass(frozen=True, slots=True)
class CacheExpiry:
    """A breakpoint that held but had outlived its lifetime."""

    previous_at: datetime
    current_at: datetime
    ttl: str
    expired_at: datetime
    breakpoints: tuple[int, ...]
    """The numbers of the breakpoints that expired."""

    @property
    def gap(self) -> timedelta:
        return self.current_at - self.previous_at


@dataclass(frozen=True, slots=True)
class CacheExplanation:
    """Why the current request did (or did not) read the previous one's cache."""

    section: Section | None
    """Where the requests first differ, up to the previous request's last breakpoint:
    ``"model"``, ``"tools"``, ``"system"`` or ``"messages"``; None when nothing changed up
    to there (the current request only appends after it)."""
    change: CacheChange | None
    """The first difference (path, the two values shortened, the changed characters)."""
    breakpoint: CacheBreakpoint | None
    """The first breakpoint the change breaks (the tokens behind it were written again)."""
    breakpoints: tuple[CacheBreakpoint, ...]
    """Every breakpoint of the previous request."""
    expired: CacheExpiry | None
    """Set when a breakpoint held but the current request came after its lifetime."""
    tokens_missed: int | None
    """Tokens the previous request cached that this one did not read (from the two
    usages; 0 on a hit; None when a usage is unknown)."""
    cost_missed: float | None
    """USD the miss cost over reading those tokens (the model's rates,
    :mod:`~streamscope.core.pricing`); None when unknown."""
    tokens_read: int | None
    """Tokens the current request read from the cache (its usage; None when unknown)."""
    server_reason: dict[str, Any] | None
    """The server's ``diagnostics.cache_miss_reason``, when the API gave one."""
    server_tokens_missed: int | None
    """The server's ``cache_missed_input_tokens``, when it gave it."""
    server_pending: bool
    """The API sent ``cache_miss_reason`` as null: its diagnosis is pending."""
    unexplained: bool
    """Nothing changed and nothing expired (as far as the times are known), yet the usage
    shows the cache was not read."""
    summary: str
    """One sentence a person reads."""

    @property
    def hit(self) -> bool:
        """The cache could be read: nothing changed before the previous request's last
        breakpoint, no lifetime lapsed, and the usage (when known) agrees."""
        return (
            self.section is None
            and self.expired is None
            and not self.unexplained
            and any(b.readable for b in self.breakpoints)
        )

    @property
    def holding(self) -> tuple[CacheBreakpoint, ...]:
        """The breakpoints whose prefix could still be read."""
        return tuple(b for b in self.breakpoints if b.readable)

    @property
    def server_section(self) -> Section | None:
        """The section the server's reason names (None: no divergence, or a reason that
        names none)."""
        reason = self.server_reason
        kind = reason.get("type") if reason is not None else None
        return SERVER_SECTIONS.get(kind) if isinstance(kind, str) else None

    @property
    def headline(self) -> str:
        """A few words: ``cache hit``, ``system prompt changed``, ``5m lifetime lapsed``..."""
        if self.section is not None:
            if self.change is not None and self.change.reordered:
                return "tools re-ordered"
            return f"{_NAMES[self.section]} changed"
        if self.expired is not None:
            return f"{self.expired.ttl} lifetime lapsed"
        if self.hit:
            return "cache hit"
        if not self.breakpoints:
            return "nothing cached"
        return "no change found"


_NAMES: Final[Mapping[Section, str]] = {
    "model": "model",
    "tools": "tools",
    "system": "system prompt",
    "messages": "earlier message",
}


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True, slots=True)
class _Run:
    request: Mapping[str, Any]
    usage: Usage | None
    model: str | None
    at: datetime | None
    server: dict[str, Any] | None
    pending: bool = False


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            return _as_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    raise TypeError(f"a time must be a datetime, epoch seconds or ISO text, not {value!r}")


def sent_at(source: Any) -> datetime | None:
    """When a recording's request was sent: its ``created`` stamp plus ``request_at`` (the
    seconds from the first event back to the request), when the header has both. ``source``:
    a :class:`~streamscope.core.io.cassette.Cassette` or a cassette's path; anything else (a
    list of events, an SSE file) says nothing: None."""
    if isinstance(source, (str, os.PathLike)) and is_cassette_path(source):
        source = read_cassette(source)
    if not isinstance(source, Cassette):
        return None
    cassette = source
    created = _as_datetime(cassette.created) if cassette.created else None
    if created is None or cassette.request_at is None:
        return None
    return created + timedelta(seconds=cassette.request_at)


def _usage_of(value: Any) -> Usage | None:
    if value is None or isinstance(value, Usage):
        return value
    if isinstance(value, Mapping):
        return Usage(dict(value))
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return Usage(dump())
    raise TypeError(f"usage must be a Usage, a usage dict or an SDK Usage, not {value!r}")


def _from_state(state: StreamState, at: datetime | None) -> _Run:
    request = state.request
    if request is None:
        raise ValueError("this run's request is unknown: explain_cache compares requests")
    return _Run(
        request=request,
        usage=state.usage if state.message is not None else None,
        model=state.model or _str(request.get("model")),
        at=at,
        server=server_cache_miss(state),
        pending=server_cache_pending(state),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _run_of(value: Any, usage: Any, at: Any) -> _Run:
    when = _as_datetime(at)
    if isinstance(value, StreamState):
        run = _from_state(value, when)
    elif isinstance(value, (str, os.PathLike)):
        from streamscope.core.io.runs import state_of

        cassette = read_cassette(value)
        run = _from_state(state_of(cassette), when or sent_at(cassette))
    elif isinstance(value, Mapping):
        run = _Run(
            request=value,
            usage=None,
            model=_str(value.get("model")),
            at=when,
            server=None,
        )
    elif isinstance(getattr(value, "state", None), StreamState):  # a Turn, a StreamView
        sent = getattr(value, "sent_at", None)
        run = _from_state(value.state, when or _as_datetime(sent))
    else:
        raise TypeError(
            f"not a run: {type(value).__name__} (give a StreamState, a recording's path, a "
            "Turn, or the request as a dict)"
        )
    given = _usage_of(usage)
    return replace(run, usage=given) if given is not None else run


# --------------------------------------------------------------------------- the prefix


@dataclass(frozen=True, slots=True)
class _Block:
    section: Section
    path: tuple[PathPart, ...]
    key: tuple[PathPart, ...]
    """The block's place, the same for a string and the one text block it stands for."""
    value: Any
    """The block as the cache reads it (without its ``cache_control``; a message's first
    block carries the role)."""
    ttl: str | None
    """The block's ``cache_control`` ttl, when it carries one."""


def _ttl(control: Any) -> str | None:
    if not isinstance(control, Mapping):
        return None
    ttl = control.get("ttl")
    return ttl if ttl in TTL_SECONDS else "5m"


def _strip(block: Any) -> tuple[Any, str | None]:
    if isinstance(block, Mapping) and "cache_control" in block:
        ttl = _ttl(block.get("cache_control"))
        return {k: v for k, v in block.items() if k != "cache_control"}, ttl
    return block, None


def _blocks(request: Mapping[str, Any]) -> list[_Block]:
    """The request's cacheable blocks in the order the cache reads them."""
    out: list[_Block] = []
    tools = request.get("tools")
    if isinstance(tools, Sequence) and not isinstance(tools, (str, bytes)):
        for i, tool in enumerate(tools):
            value, ttl = _strip(tool)
            out.append(_Block("tools", ("tools", i), ("tools", i), value, ttl))
    system = request.get("system")
    if isinstance(system, str):
        text = {"type": "text", "text": system}
        out.append(_Block("system", ("system",), ("system", 0), text, None))
    elif isinstance(system, Sequence) and not isinstance(system, bytes):
        for i, block in enumerate(system):
            value, ttl = _strip(block)
            out.append(_Block("system", ("system", i), ("system", i), value, ttl))
    messages = request.get("messages")
    if isinstance(messages, Sequence) and not isinstance(messages, (str, bytes)):
        for m, message in enumerate(messages):
            role = message.get("role") if isinstance(message, Mapping) else None
            content = message.get("content") if isinstance(message, Mapping) else message
            if isinstance(content, str):
                text = {"type": "text", "text": content}
                path: tuple[PathPart, ...] = ("messages", m, "content")
                out.append(_Block("messages", path, (*path, 0), (role, text), None))
            elif isinstance(content, Sequence) and not isinstance(content, bytes):
                for k, block in enumerate(content):
                    value, ttl = _strip(block)
                    path = ("messages", m, "content", k)
                    out.append(_Block("messages", path, path, (role, value), ttl))
    return out


def _breakpoints(request: Mapping[str, Any], blocks: list[_Block]) -> list[tuple[int, str, bool]]:
    """``(block index, ttl, automatic)`` of each breakpoint, in reading order."""
    found = [(i, b.ttl, False) for i, b in enumerate(blocks) if b.ttl is not None]
    top = _ttl(request.get("cache_control"))
    if top is not None and blocks and (not found or found[-1][0] != len(blocks) - 1):
        found.append((len(blocks) - 1, top, True))
    return [(i, ttl or "5m", auto) for i, ttl, auto in found]


# --------------------------------------------------------------------------- differences


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, comparing in chunks (linear, mostly in C)."""
    n = min(len(a), len(b))
    i = 0
    while i + _CHUNK <= n and a[i : i + _CHUNK] == b[i : i + _CHUNK]:
        i += _CHUNK
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most ``limit`` (so it never overlaps the prefix)."""
    la, lb = len(a), len(b)
    j = 0
    while j + _CHUNK <= limit and a[la - j - _CHUNK : la - j] == b[lb - j - _CHUNK : lb - j]:
        j += _CHUNK
    while j < limit and a[la - 1 - j] == b[lb - 1 - j]:
        j += 1
    return j


def _cut_changed(text: str) -> str:
    if len(text) <= _CHANGED:
        return text
    half = _CHANGED // 2
    return f"{text[:half]}…{text[-half:]}"


def _excerpts(a: str, b: str) -> tuple[Excerpt, Excerpt, int]:
    start = _common_prefix(a, b)
    end = _common_suffix(a, b, min(len(a), len(b)) - start)
    head_from = max(0, start - _CONTEXT)
    head = ("…" if head_from else "") + a[head_from:start]

    def one(text: str) -> Excerpt:
        stop = len(text) - end
        tail_to = min(len(text), stop + _CONTEXT)
        tail = text[stop:tail_to] + ("…" if tail_to < len(text) else "")
        return Excerpt(head, _cut_changed(text[start:stop]), tail)

    return one(a), one(b), start + 1


def _short(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    from streamscope.core.json.clip import short_json

    return short_json(value, _CONTEXT * 2 + _CHANGED)


_ABSENT: Final = object()


def _whole(before: Any, after: Any) -> tuple[Excerpt, Excerpt]:
    return Excerpt("", _short(before), ""), Excerpt("", _short(after), "")


def _first_difference(
    path: tuple[PathPart, ...], a: Any, b: Any
) -> tuple[tuple[PathPart, ...], Excerpt, Excerpt, int | None]:
    """Descend into two unequal JSON values to the first place they differ."""
    while True:
        if isinstance(a, str) and isinstance(b, str):
            before, after, character = _excerpts(a, b)
            return path, before, after, character
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            keys = list(a) + [k for k in b if k not in a]
            for key in keys:
                x, y = a.get(key, _ABSENT), b.get(key, _ABSENT)
                if x is _ABSENT or y is _ABSENT or type(x) is not type(y) or x != y:
                    if x is _ABSENT or y is _ABSENT:
                        return (*path, key), *_whole(x, y), None
                    path, a, b = (*path, key), x, y
                    break
            else:  # equal after all (only key order differs: JSON objects are unordered)
                return path, *_whole(a, b), None
            continue
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            for i in range(max(len(a), len(b))):
                x = a[i] if i < len(a) else _ABSENT
                y = b[i] if i < len(b) else _ABSENT
                if x is _ABSENT or y is _ABSENT:
                    return (*path, i), *_whole(x, y), None
                if type(x) is not type(y) or x != y:
                    path, a, b = (*path, i), x, y
                    break
            else:
                return path, *_whole(a, b), None
            continue
        return path, *_whole(a, b), None


def _describe(prev: list[_Block], cur: list[_Block], d: int) -> CacheChange:
    """The change at block ``d`` (the first one that differs)."""
    old = prev[d] if d < len(prev) else None
    new = cur[d] if d < len(cur) else None
    if _reordered(prev, cur) and (old is None or old.section == "tools"):
        names = [_tool_names(prev), _tool_names(cur)]
        return CacheChange(
            "tools", ("tools",), Excerpt("", names[0], ""), Excerpt("", names[1], ""), None, True
        )
    if old is not None and new is not None and old.key == new.key:
        a, b = old.value, new.value
        path = old.path
        if old.section == "messages":  # (role, block): name the role, or the block
            if a[0] != b[0]:
                return CacheChange("messages", (*path[:2], "role"), *_whole(a[0], b[0]), None)
            a, b = a[1], b[1]
            if old.path != new.path:  # a string against a block list: name the block
                path = new.path if len(new.path) > len(old.path) else old.path
            elif path[-1] == "content":  # string content, shown as the string
                a, b = a.get("text", a), b.get("text", b)
        elif path == ("system",) and old.path == new.path:
            a, b = a.get("text", a), b.get("text", b)
        where, before, after, character = _first_difference(path, a, b)
        return CacheChange(old.section, where, before, after, character, _reordered(prev, cur))
    # One side ran out of blocks in this section: an added or removed block.
    first = old if new is None or (old is not None and _order(old) <= _order(new)) else new
    assert first is not None
    x = old.value if old is not None and old.key == first.key else _ABSENT
    y = new.value if new is not None and new.key == first.key else _ABSENT
    if first.section == "messages":
        x = x[1] if isinstance(x, tuple) else x
        y = y[1] if isinstance(y, tuple) else y
    return CacheChange(first.section, first.path, *_whole(x, y), None, _reordered(prev, cur))


def _tool_names(blocks: list[_Block]) -> str:
    names = [
        b.value.get("name") for b in blocks if b.section == "tools" and isinstance(b.value, Mapping)
    ]
    return ", ".join(str(n) for n in names)


def _order(block: _Block) -> int:
    return SECTIONS.index(block.section)


def _reordered(prev: list[_Block], cur: list[_Block]) -> bool:
    a = [b.value for b in prev if b.section == "tools"]
    b = [b.value for b in cur if b.section == "tools"]
    if a == b or len(a) != len(b):
        return False
    remaining = list(b)
    for tool in a:
        if tool not in remaining:
            return False
        remaining.remove(tool)
    return True


# --------------------------------------------------------------------------- figures


def _missed_cost(
    usage: Usage | None, missed: int | None, ttl: str, model: str | None, prices: PriceTable | None
) -> float | None:
    """What the miss cost over a read: the current usage priced as it was, less the same
    usage with the missed tokens read from the cache instead (written again, or sent
    uncached, in that order)."""
    if usage is None or missed is None:
        return None
    if missed == 0:
        return 0.0
    actual = estimate_cost(usage, model, prices)
    if actual is None:
        return None
    raw = dict(usage.raw)
    take = min(missed, usage.cache_creation_input_tokens)
    rest = min(missed - take, usage.input_tokens)
    raw["cache_creation_input_tokens"] = usage.cache_creation_input_tokens - take
    raw["input_tokens"] = usage.input_tokens - rest
    raw["cache_read_input_tokens"] = usage.cache_read_input_tokens + take + rest
    breakdown = raw.get("cache_creation")
    if isinstance(breakdown, Mapping):
        split = dict(breakdown)
        first, second = (
            ("ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens")
            if ttl == "1h"
            else ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
        )
        left = take
        for key in (first, second):
            value = split.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                cut = min(left, value)
                split[key] = value - cut
                left -= cut
        raw["cache_creation"] = split
    hit = estimate_cost(Usage(raw), model, prices)
    if hit is None:
        return None
    return max(0.0, actual.total_usd - hit.total_usd)


def _tokens_missed(prev: Usage | None, cur: Usage | None, miss: bool) -> int | None:
    if not miss:
        return 0 if cur is not None or prev is not None else None
    if prev is None or cur is None:
        return None
    cached = prev.cache_creation_input_tokens + prev.cache_read_input_tokens
    return max(0, cached - cur.cache_read_input_tokens)


def _server_tokens(reason: Mapping[str, Any] | None) -> int | None:
    value = reason.get("cache_missed_input_tokens") if reason is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --------------------------------------------------------------------------- words


def _numbers(items: Sequence[CacheBreakpoint]) -> str:
    numbers = [str(b.number) for b in items]
    if len(numbers) == 1:
        return f"breakpoint {numbers[0]}"
    return f"breakpoints {', '.join(numbers[:-1])} and {numbers[-1]}"


def _clock(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _cost_words(tokens: int | None, server: int | None, cost: float | None, whose: str) -> str:
    if tokens is None and server is not None:
        tokens, whose = server, f"~{server:,} (the server's estimate)"
    if tokens is None:
        return f"the tokens cached behind {whose} were written again"
    count = whose if whose.startswith("~") else f"{tokens:,}"
    text = f"the {count} cached tokens were written again" if tokens else "nothing was read"
    if cost is not None and tokens:
        text += f", {fmt_usd(cost)} more than a read"  # as every figure writes a cost
    return text


def _summary(explanation: CacheExplanation, prev_model: str | None, cur_model: str | None) -> str:
    broken = [b for b in explanation.breakpoints if not b.holds]
    tokens, cost = explanation.tokens_missed, explanation.cost_missed
    server = explanation.server_tokens_missed
    change = explanation.change
    if explanation.section == "model":
        return (
            f"The model changed ({prev_model} → {cur_model}): each model has its own cache, "
            f"so {_cost_words(tokens, server, cost, 'every breakpoint')}."
        )
    if explanation.section is not None and change is not None:
        behind = _numbers(broken) if broken else "the breakpoints"
        if change.reordered:
            what = "The tools were re-ordered"
        else:
            what = (
                f"The {_NAMES[change.section]} changed"
                if change.section != "messages"
                else (
                    f"An earlier message changed (message {change.path[1]})"
                    if len(change.path) > 1
                    else "The messages changed"
                )
            )
        where = (
            f" at character {change.character:,}"
            if change.character is not None
            else ("" if change.reordered else f" at {change.where}")
        )
        shown = f" (`{change.before}` → `{change.after}`)"
        words = _cost_words(tokens, server, cost, behind)
        if tokens is not None or server is not None:
            words = words.replace("cached tokens", f"cached tokens behind {behind}", 1)
        holding = explanation.holding
        held = f" {_numbers(holding).capitalize()} still held." if holding else ""
        return f"{what}{where}{shown}: {words}.{held}"
    expiry = explanation.expired
    if expiry is not None:
        lapsed = [b for b in explanation.breakpoints if b.expired]
        ttl_words = {"5m": "5-minute", "1h": "1-hour"}.get(expiry.ttl, expiry.ttl)
        return (
            f"Nothing changed up to {_numbers(lapsed)}, but {_span(expiry.gap)} passed since "
            f"the previous request ({_clock(expiry.previous_at)} → {_clock(expiry.current_at)}),"
            f" longer than its {ttl_words} cache lifetime (it ended at "
            f"{_clock(expiry.expired_at)}): {_cost_words(tokens, server, cost, _numbers(lapsed))}."
        )
    if not explanation.breakpoints:
        return "The previous request set no cache_control breakpoint: nothing was cached to read."
    last = explanation.breakpoints[-1]
    if explanation.unexplained:
        return (
            f"Nothing changed up to {_numbers([last])} and no lifetime is known to have lapsed, "
            f"yet the cache was not read: {_cost_words(tokens, server, cost, _numbers([last]))} "
            "(the entry may have been evicted, or the requests were too far apart)."
        )
    read = explanation.tokens_read
    read_words = f"; {read:,} tokens read from the cache" if read else ""
    return (
        f"Cache hit: nothing changed up to {_numbers([last])} (the new request only appends "
        f"after it){read_words}."
    )


# --------------------------------------------------------------------------- the function


def explain_cache(
    previous: Any,
    current: Any,
    *,
    previous_usage: Any = None,
    current_usage: Any = None,
    previous_at: Any = None,
    current_at: Any = None,
    prices: PriceTable | None = None,
) -> CacheExplanation:
    """Why ``current`` did or did not read the prompt cache ``previous`` wrote.

    ``previous``/``current``: a :class:`~streamscope.core.stream.state.StreamState`, a recording's
    path, a :class:`~streamscope.core.loop.records.Turn` (or anything with a ``state``, such as a
    StreamView), or the request as a dict. ``*_usage`` give (or replace) a run's usage
    (a :class:`~streamscope.core.stream.usage.Usage`, a usage dict or the SDK's); ``*_at`` when
    each request was sent (a datetime, epoch seconds or ISO text; a recording's header and a
    loop's Turn say it themselves), so that a lapsed lifetime can be told. ``prices``
    overrides the price table for :attr:`CacheExplanation.cost_missed`.
    """
    prev = _run_of(previous, previous_usage, previous_at)
    cur = _run_of(current, current_usage, current_at)
    prev_blocks, cur_blocks = _blocks(prev.request), _blocks(cur.request)
    marks = _breakpoints(prev.request, prev_blocks)
    prev_model, cur_model = _str(prev.request.get("model")), _str(cur.request.get("model"))
    model_changed = prev_model != cur_model

    d = 0  # how many blocks are the same, from the start
    if not model_changed:
        limit = min(len(prev_blocks), len(cur_blocks))
        last = marks[-1][0] if marks else -1
        while d < limit and d <= last:
            a, b = prev_blocks[d], cur_blocks[d]
            if a.key != b.key or type(a.value) is not type(b.value) or a.value != b.value:
                break
            d += 1

    gap_ok: dict[str, bool] = {}
    expiry_times: tuple[datetime, datetime] | None = None
    if prev.at is not None and cur.at is not None:
        expiry_times = (prev.at, cur.at)
        for ttl, seconds in TTL_SECONDS.items():
            gap_ok[ttl] = (cur.at - prev.at).total_seconds() <= seconds

    breakpoints = tuple(
        CacheBreakpoint(
            number=n,
            path=prev_blocks[i].path,
            section=prev_blocks[i].section,
            ttl=ttl,
            holds=not model_changed and i < d,
            expired=(not model_changed and i < d and not gap_ok.get(ttl, True)),
            automatic=auto,
        )
        for n, (i, ttl, auto) in enumerate(marks, start=1)
    )
    section: Section | None = None
    change: CacheChange | None = None
    if model_changed:
        section = "model"
        change = CacheChange("model", ("model",), *_whole(prev_model, cur_model), None, False)
        if isinstance(prev_model, str) and isinstance(cur_model, str):
            before, after, character = _excerpts(prev_model, cur_model)
            change = CacheChange("model", ("model",), before, after, character)
    elif marks and d <= marks[-1][0]:
        change = _describe(prev_blocks, cur_blocks, d)
        section = change.section

    expired: CacheExpiry | None = None
    lapsed = [b for b in breakpoints if b.expired]
    if lapsed and expiry_times is not None:
        ttl = min((b.ttl for b in lapsed), key=lambda t: TTL_SECONDS[t])
        expired = CacheExpiry(
            previous_at=expiry_times[0],
            current_at=expiry_times[1],
            ttl=ttl,
            expired_at=expiry_times[0] + timedelta(seconds=TTL_SECONDS[ttl]),
            breakpoints=tuple(b.number for b in lapsed),
        )

    structural_miss = section is not None or expired is not None
    read = cur.usage.cache_read_input_tokens if cur.usage is not None else None
    cached = (
        prev.usage.cache_creation_input_tokens + prev.usage.cache_read_input_tokens
        if prev.usage is not None
        else None
    )
    unexplained = bool(
        not structural_miss and marks and read == 0 and cached is not None and cached > 0
    )
    miss = structural_miss or unexplained
    tokens = _tokens_missed(prev.usage, cur.usage, miss)
    ttl_for_cost = (
        expired.ttl
        if expired is not None
        else next((b.ttl for b in breakpoints if not b.holds), marks[-1][1] if marks else "5m")
    )
    cost = _missed_cost(cur.usage, tokens, ttl_for_cost, cur.model, prices)
    first_broken = next((b for b in breakpoints if not b.readable), None) if miss else None
    explanation = CacheExplanation(
        section=section,
        change=change,
        breakpoint=first_broken,
        breakpoints=breakpoints,
        expired=expired,
        tokens_missed=tokens,
        cost_missed=cost,
        tokens_read=read,
        server_reason=cur.server,
        server_tokens_missed=_server_tokens(cur.server),
        server_pending=cur.pending,
        unexplained=unexplained,
        summary="",
    )
    return replace(explanation, summary=_summary(explanation, prev_model, cur_model))
