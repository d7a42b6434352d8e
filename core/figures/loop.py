"""A tool loop's figures: totals over its turns, read from each turn's own figures, and a
tool run's time. Imports figures.model only.

The loop header's output tokens and cost are the sums of what each turn's panel shows (an
estimate while a turn streams, marked), so the header never disagrees with the turns
under it; keys start with ``loop.`` so that a page holding both can name both.
"""

from __future__ import annotations

from collections.abc import Sequence

from streamscope.core.figures.model import USAGE_LABELS, Figure, FigureKind, StreamFigures

__all__ = ["loop_figures", "run_time"]


def loop_figures(
    turns: Sequence[StreamFigures],
    *,
    tool_calls: int,
    wall: float | None,
) -> dict[str, Figure]:
    """The totals over ``turns``: each turn's figures as its panel shows them (the panel's
    last frame), so the header moves with the panels, never ahead of them."""
    figs: dict[str, Figure] = {}

    def put(key: str, label: str, value: object, unit: str = "int", kind: FigureKind = "exact",
            source: str = "") -> None:  # fmt: skip
        figs[f"loop.{key}"] = Figure(f"loop.{key}", label, value, unit, kind, source)  # type: ignore[arg-type]

    def total(key: str) -> tuple[int | float, bool]:
        """The sum of a figure over the turns, and whether any of them is an estimate."""
        parts = [t.get(key) for t in turns]
        values = [p.value for p in parts if p is not None and p.kind != "waiting"]
        summed = sum(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool))
        return summed, any(p is not None and p.kind == "estimate" for p in parts)

    put("turns", "turns", len(turns))
    put("tool_calls", "tool calls", tool_calls)
    for key in ("total_input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        put(key, USAGE_LABELS[key], total(key)[0])
    output, estimated = total("output_tokens")
    put(
        "output_tokens",
        USAGE_LABELS["output_tokens"],
        output,
        kind="estimate" if estimated else "exact",
        source="the turns' output, summed",
    )
    put("thinking_tokens", USAGE_LABELS["thinking_tokens"], total("thinking_tokens")[0])
    read, whole = total("cache_read_input_tokens")[0], total("total_input_tokens")[0]
    rate = read / whole if whole else None  # Usage.cache_hit_rate, over the loop
    put("cache_hit_rate", USAGE_LABELS["cache_hit_rate"], rate, "percent",
        "waiting" if rate is None else "exact")  # fmt: skip
    costs = [t.get("cost") for t in turns]
    priced = bool(costs) and all(c is not None and c.kind != "waiting" for c in costs)
    cost = total("cost")[0] if priced else None
    put(
        "cost",
        "estimated cost",
        cost,
        "usd",
        # the loop's cost is an estimate however exact its parts: the header says so
        "waiting" if cost is None else "estimate",
        source="the turns' costs, summed",
    )
    put("wall_time", "wall time", wall, "seconds", "waiting" if wall is None else "exact")
    return figs


def run_time(
    started_at: float | None, finished_at: float | None, now: float | None, key: str = "run_time"
) -> Figure:
    """How long a tool run took (to ``now`` while it runs: ``clock``, ticking on a page).
    ``key`` names it on a page (``run.<tool_use id>.time``: a card and the loop's timeline)."""
    if started_at is None:
        return Figure(key, "ran", None, "seconds", "waiting")
    if finished_at is not None:
        return Figure(key, "ran", max(0.0, finished_at - started_at), "seconds")
    if now is None:
        return Figure(key, "running", None, "seconds", "waiting")
    return Figure(key, "running", max(0.0, now - started_at), "clock")
