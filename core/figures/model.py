"""A run's figures, computed once per frame in one place: every number a view shows.

How it works: ``docs/internals.md``, section ``streamscope.core.figures.model``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from streamscope.core.figures.text import (
    DASH,
    fmt_clock,
    fmt_int,
    fmt_percent,
    fmt_rate,
    fmt_seconds,
    fmt_usd,
    number,
)
from streamscope.core.pricing.prices import DEFAULT_PRICES, PriceTable, estimate_cost
from streamscope.core.stream.blocks import Block
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.status import FINAL_STREAM_STATUSES
from streamscope.core.stream.usage import Usage

__all__ = [
    "CHARS_PER_TOKEN",
    "ESTIMATE_MARK",
    "MIN_RATE_SECONDS",
    "USAGE_LABELS",
    "USAGE_ROWS",
    "Figure",
    "FigureKind",
    "StreamFigures",
    "estimated_output_tokens",
    "output_span",
    "replay_note",
    "stream_figures",
]

FigureKind = Literal["exact", "estimate", "waiting"]
Unit = Literal["int", "seconds", "clock", "usd", "percent", "rate", "text"]

ESTIMATE_MARK: Final = "≈ "
"""What an estimate's text starts with, everywhere."""
CHARS_PER_TOKEN: Final = 4
"""For the output estimate while streaming: ``message_start``'s count is a placeholder."""
MIN_RATE_SECONDS: Final = 0.25
"""Below this much generation time (an instant replay) tokens per second means nothing."""

USAGE_LABELS: Final[Mapping[str, str]] = {
    "input_tokens": "input (uncached)",
    "cache_creation_input_tokens": "cache write",
    "cache_write_5m_tokens": "of which 5m",
    "cache_write_1h_tokens": "of which 1h",
    "cache_read_input_tokens": "cache read",
    "total_input_tokens": "total input",
    "output_tokens": "output",
    "thinking_tokens": "of which thinking",
    "cache_hit_rate": "cache hit rate",
}
"""One word per usage figure, in every view, the ``Usage`` docs and the README."""

_SUB_ROWS = frozenset({"cache_write_5m_tokens", "cache_write_1h_tokens", "thinking_tokens"})
USAGE_ROWS: Final[tuple[tuple[str, str, bool], ...]] = tuple(
    (key, USAGE_LABELS[key], key in _SUB_ROWS)
    for key in (
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_write_5m_tokens",
        "cache_write_1h_tokens",
        "cache_read_input_tokens",
        "total_input_tokens",
        "output_tokens",
        "thinking_tokens",
    )
)
"""The usage table's rows: (figure key, label, indented under the row above)."""

_FORMAT: Final[Mapping[str, Callable[[object], str]]] = {
    "int": fmt_int,
    "seconds": fmt_seconds,
    "clock": fmt_clock,
    "usd": fmt_usd,
    "percent": fmt_percent,
    "rate": lambda v: fmt_rate(v, ""),
    "text": lambda v: DASH if v is None or v == "" else str(v),
}


@dataclass(frozen=True)
class Figure:
    """One figure: its value, how sure it is, and where an estimate comes from."""

    key: str
    label: str
    value: object
    unit: Unit = "int"
    kind: FigureKind = "exact"
    source: str = ""
    """How the figure was found (an estimate's method, a time's origin)."""

    @property
    def text(self) -> str:
        """The figure as every place shows it: ``≈`` before an estimate, a dash while
        waiting."""
        if self.kind == "waiting" or (self.unit != "text" and number(self.value) is None):
            return DASH
        shown = _FORMAT[self.unit](self.value)
        return ESTIMATE_MARK + shown if self.kind == "estimate" else shown

    @property
    def exact(self) -> bool:
        return self.kind == "exact"


@dataclass(frozen=True)
class StreamFigures:
    """Every figure of one stream at one moment (see the module docstring)."""

    figures: Mapping[str, Figure]
    live: bool
    """The stream is still open: elapsed runs with the clock."""
    elapsed_at: float | None = None
    """Elapsed time at which a page's clock starts ticking (live only)."""
    replayed: bool = False
    """The stream is a replay: its figures are in the recording's time."""
    replay_speed: float | None = None
    """The replay's speed (None: instant, or not a replay)."""
    cost_parts: Mapping[str, Figure] = field(default_factory=dict)
    cost_source: str = ""
    without_cache: Figure | None = None

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]

    def get(self, key: str) -> Figure | None:
        return self.figures.get(key)

    def text(self, key: str) -> str:
        figure = self.figures.get(key)
        return DASH if figure is None else figure.text

    def summary(self) -> str:
        """One line for a printout: ``100 events · 8.34 s · TTFT 277 ms · 512 output``."""
        bits = [f"{self.text('events')} events", self.text("elapsed")]
        if self["time_to_first_token"].kind != "waiting":
            bits.append(f"time to first token {self.text('time_to_first_token')}")
        bits.append(f"{self.text('output_tokens')} output tokens")
        if self["output_tokens_per_second"].kind != "waiting":
            bits.append(f"{self.text('output_tokens_per_second')} output tokens/s")
        cost = self.get("cost")
        if cost is not None and cost.kind != "waiting":
            bits.append(cost.text)
        return " · ".join(bits)


def estimated_output_tokens(state: StreamState) -> int:
    """Output tokens so far: the usage count, or an estimate from the characters streamed
    (text, thinking, tool JSON) when that is larger (the count arrives at the end)."""
    chars = 0
    for block in state.blocks:
        for name in ("text", "thinking", "input_json"):
            value = getattr(block, name, None)
            if isinstance(value, str):
                chars += len(value)
    return max(state.usage.output_tokens, chars // CHARS_PER_TOKEN)


def _last_output(block: Block) -> float | None:
    times = [t for t in (block.stopped_at, block.last_delta_at) if t is not None]
    return max(times) if times else None


def output_span(state: StreamState, now: float | None = None) -> tuple[float, float] | None:
    """When output was produced: from the first output block's start (its first token, of
    any kind: a thinking block whose display is omitted counts from its start, not from the
    first text after it) to the last block's last delta or stop (``now`` while one is open)."""
    starts = [b.started_at for b in state.blocks if b.started_at is not None]
    if not starts:
        return None
    first = min(starts)
    ends = [t for t in (_last_output(b) for b in state.blocks) if t is not None]
    if now is not None and any(not b.complete for b in state.blocks):
        ends.append(now)
    if not ends:
        return None
    return first, max(ends)


def replay_note(speed: float | None) -> str:
    """The words a replayed view shows: ``replayed at 2x: figures in recorded time``."""
    if speed is None:
        return "replayed instantly: figures in recorded time"
    return f"replayed at {speed:g}x: figures in recorded time"


def stream_figures(
    state: StreamState,
    *,
    now: float | None = None,
    prices: PriceTable | None = None,
    replay_speed: float | None = None,
    replayed: bool = False,
) -> StreamFigures:
    """The figures of ``state`` at ``now`` (the state's clock; None: at its last event).

    ``replayed``/``replay_speed``: the state is a replay (its times are the recording's),
    shown at that speed (None: instant)."""
    final = state.status in FINAL_STREAM_STATUSES
    live = not final and now is not None and state.started_at is not None
    figs: dict[str, Figure] = {}

    def put(key: str, label: str, value: object, unit: Unit = "int", **kw: object) -> Figure:
        figure = Figure(key, label, value, unit, **kw)  # type: ignore[arg-type]
        figs[key] = figure
        return figure

    put("events", "events", state.event_count)
    origin = state.started_at
    since = "from the request" if state.request_known else "from message_start"
    elapsed: float | None = None
    if live and origin is not None and now is not None:
        elapsed = max(0.0, now - origin)
        if state.last_event_at is not None:
            elapsed = max(elapsed, state.last_event_at - origin)
        put("elapsed", "elapsed", elapsed, "clock", source=since)
    else:
        duration = state.duration
        put(
            "elapsed",
            "duration",
            duration,
            "seconds",
            kind="waiting" if duration is None else "exact",
            source=since,
        )
    ttft = state.time_to_first_token
    put(
        "time_to_first_token",
        "time to first token" if state.request_known else "first token, from message_start",
        ttft,
        "seconds",
        kind="waiting" if ttft is None else "exact",
        source=since,
    )
    # output tokens: the count is exact once message_delta has given it (or the end);
    # while streaming it is the larger of the count and the characters streamed / 4
    counted = state.usage.output_tokens
    if state.stop_reason is not None or (final and counted >= estimated_output_tokens(state)):
        output = put("output_tokens", USAGE_LABELS["output_tokens"], counted)
    else:  # message_start's count is a placeholder until message_delta gives the real one
        output = put(
            "output_tokens",
            USAGE_LABELS["output_tokens"],
            estimated_output_tokens(state),
            kind="estimate",
            source=f"characters streamed / {CHARS_PER_TOKEN}",
        )
    span = output_span(state, now if live else None)
    rate: float | None = None
    if span is not None and number(output.value):
        seconds = span[1] - span[0]
        if seconds >= MIN_RATE_SECONDS:
            rate = float(output.value) / seconds  # type: ignore[arg-type]
    put(
        "output_tokens_per_second",
        "output tokens / s",
        rate,
        "rate",
        kind="waiting" if rate is None else output.kind,
        source="first output token (any kind) to the last",
    )
    usage = state.usage
    for key, label, _sub in USAGE_ROWS:
        if key == "output_tokens":
            continue
        value = getattr(usage, key)
        waiting = not final and state.event_count == 0
        put(key, label, value, kind="waiting" if waiting else "exact")
    rate_hit = usage.cache_hit_rate
    put(
        "cache_hit_rate",
        USAGE_LABELS["cache_hit_rate"],
        rate_hit,
        "percent",
        kind="waiting" if rate_hit is None else "exact",
    )
    priced = usage
    if output.kind == "estimate":
        priced = Usage({**usage.raw, "output_tokens": output.value})
    cost = estimate_cost(priced, state.model, prices or DEFAULT_PRICES)
    parts: dict[str, Figure] = {}
    without: Figure | None = None
    source = ""
    if cost is None:
        put(
            "cost",
            "estimated cost",
            None,
            "usd",
            kind="waiting",
            source=f"no price known for {state.model}" if state.model else "no model yet",
        )
    else:
        kind: FigureKind = "exact" if final and output.exact else "estimate"
        put("cost", "estimated cost", cost.total_usd, "usd", kind=kind, source=output.source)
        for key, label, value in (
            ("input", USAGE_LABELS["input_tokens"], cost.input_usd),
            ("cache_write", "cache write", cost.cache_write_usd),
            ("cache_read", "cache read", cost.cache_read_usd),
            ("output", "output", cost.output_usd),
        ):
            parts[key] = Figure(f"cost_{key}", label, value, "usd")
        if output.kind == "estimate":
            parts["output"] = Figure("cost_output", "output", cost.output_usd, "usd", "estimate")
        if abs(cost.without_cache_usd - cost.total_usd) > 1e-12:
            without = Figure("cost_without_cache", "without caching", cost.without_cache_usd, "usd")
        source = f"{cost.model_key}: {cost.source or 'prices as of ' + cost.as_of}"
    return StreamFigures(
        figs,
        live,
        elapsed_at=elapsed,
        replayed=replayed,
        replay_speed=replay_speed if replayed else None,
        cost_parts=parts,
        cost_source=source,
        without_cache=without,
    )
