"""The final panel: what is settled about a message, one part per section.

Sections: the error (if any), the finished tool calls (a line each, linked to their lanes),
the thinking signatures, token usage with cache reads and writes, the estimated cost and
where its prices came from, timing, the stop reason, and the problems the stream had. Each
is a small part; a frame re-renders them all and the region store sends only those that
changed. Tables are tables and labels are text, so the panel reads without its styles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamscope.core.comparison.cache import CacheExplanation
from streamscope.core.figures.model import (
    USAGE_LABELS,
    USAGE_ROWS,
    Figure,
    StreamFigures,
    replay_note,
    stream_figures,
)
from streamscope.core.figures.text import DASH, fmt_int, number, plural
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.blocks import ThinkingBlock
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render.cache import cache_section
from streamscope.widgets.render.markup import SEP, attr, e, json_text, pre, section_title
from streamscope.widgets.render.message_facts import (
    applied_edits,
    cache_diagnostics,
    container_note,
    fallback_credit_note,
    input_transformations_note,
    iterations_table,
    stop_details_text,
    usage_notes,
)

__all__ = [
    "MAX_PROBLEMS_SHOWN",
    "USAGE_ROWS",
    "figure_attrs",
    "panel_parts",
    "tokens_per_second",
]

MAX_PROBLEMS_SHOWN = 200
"""Problems listed in the panel; the rest are counted (all are in ``state.problems``)."""
ARGS_PREVIEW = 160
"""Characters of a tool call's arguments shown on its line (its lane has all of them)."""

Anchor = Callable[[int], str]


def tokens_per_second(state: StreamState, *, estimate: bool = False) -> float | None:
    """Output tokens per second, the figure every place shows
    (:func:`~streamscope.core.figures.model.stream_figures`); ``estimate`` is kept for callers
    and changes nothing: the figures know when the count is an estimate."""
    del estimate
    value = stream_figures(state)["output_tokens_per_second"].value
    return float(value) if isinstance(value, (int, float)) else None


def figure_attrs(figure: Figure) -> str:
    """The attributes that name a figure on the page: ``data-ss-figure`` (its key, the same
    wherever it is shown) and ``data-ss-kind`` (estimate or waiting; none: exact)."""
    kind = "" if figure.kind == "exact" else f' data-ss-kind="{figure.kind}"'
    return f' data-ss-figure="{e(figure.key)}"{kind}'


def _error(state: StreamState, failure: str | None) -> str:
    texts = []
    error = state.error
    if isinstance(error, dict):
        message = error.get("message")
        texts.append(f"{error.get('type') or 'error'}: {message if message else json_text(error)}")
    if failure:
        texts.append(failure)
    if not texts:
        return ""
    body = "".join(f'<p class="ss-error-text">{e(t)}</p>' for t in texts)
    return (
        f'<section class="ss-error" role="alert">{section_title("Stream failed")}{body}</section>'
    )


BAD_FLAG = ' data-bad=""'
VIOLATIONS_SHOWN = 20
"""Violations listed per call in the panel (the argument builder marks every one)."""


def _calls(state: StreamState, anchor: Anchor) -> str:
    calls = state.tool_calls
    if not calls:
        return ""
    items = []
    for call in calls:
        args = json_text(call.input, indent=None)
        if len(args) > ARGS_PREVIEW:
            args = args[: ARGS_PREVIEW - 1] + "…"
        error = (
            f' <span class="ss-tool-error">{e(call.input_error)}</span>' if call.input_error else ""
        )
        broken = ""
        if call.violations:  # how the arguments break the tool's schema
            shown = call.violations[:VIOLATIONS_SHOWN]
            more = len(call.violations) - len(shown)
            rows = "".join(f"<li>⚠ {e(str(v))}</li>" for v in shown)
            if more:
                rows += f"<li>… and {plural(more, 'more violation')}</li>"
            broken = f'<ul class="ss-call-violations" role="note">{rows}</ul>'
        items.append(
            f'<li class="ss-call"{attr("data-index", call.index)}'
            f"{BAD_FLAG if call.violations else ''}>"
            f'<a class="ss-call-name" href="#{e(anchor(call.index))}">{e(call.name)}</a> '
            f'<code class="ss-call-args">{e(args)}</code> '
            f'<span class="ss-call-id">{e(call.id)}</span>{error}{broken}</li>'
        )
    return (
        f'<section class="ss-final-calls">{section_title(f"Tool calls ({len(calls)})")}'
        f"<ol>{''.join(items)}</ol></section>"
    )


def _signatures(state: StreamState) -> str:
    blocks = [b for b in state.blocks if isinstance(b, ThinkingBlock)]
    if not blocks:
        return ""
    items = []
    for block in blocks:
        signature = block.signature
        if signature:
            shown = f"{signature[:24]}…{signature[-12:]}" if len(signature) > 48 else signature
            omitted = " (thinking omitted)" if block.omitted else ""
            text = f"#{block.index}: {plural(len(signature), 'character')}{omitted} "
            body = f'{e(text)}<code class="ss-signature-text">{e(shown)}</code>'
        elif not block.complete:  # as the lane says: it comes at the block's end
            body = f"#{block.index}: signature pending"
        else:
            body = f"#{block.index}: none"
        items.append(
            f'<li class="ss-signature-item"{attr("data-index", block.index)}'
            f' data-present="{"true" if signature else "false"}">{body}</li>'
        )
    return (
        f'<section class="ss-signatures">{section_title("Thinking signatures")}'
        f"<ul>{''.join(items)}</ul></section>"
    )


def _usage(state: StreamState, figures: StreamFigures, prices: PriceTable | None = None) -> str:
    usage = state.usage
    rows = []
    for key, label, sub in (*USAGE_ROWS, ("cache_hit_rate", USAGE_LABELS["cache_hit_rate"], False)):
        figure = figures[key]
        cls = ' class="ss-sub"' if sub else ""
        raw = attr("data-value", figure.value) if number(figure.value) is not None else ""
        rows.append(
            f'<tr{cls}><th scope="row">{label}</th>'
            f'<td data-usage="{key}"{figure_attrs(figure)}{raw}>{e(figure.text)}</td></tr>'
        )
    extra = []
    output = figures["output_tokens"]
    if output.kind == "estimate":
        extra.append(
            f'<p class="ss-muted">output: ≈ {e(output.source)} until the count arrives</p>'
        )
    server = usage.server_tool_use
    if isinstance(server, dict) and server:
        counts = ", ".join(f"{k}: {fmt_int(v)}" for k, v in server.items())
        extra.append(
            f'<p class="ss-muted" data-usage="server_tool_use">server tools: {e(counts)}</p>'
        )
    extra += [
        cache_diagnostics(state, prices),
        iterations_table(state, prices),
        fallback_credit_note(state),
        container_note(state),
        usage_notes(state),
        input_transformations_note(state),
    ]
    if usage.service_tier:
        extra.append(
            '<p class="ss-muted" data-usage="service_tier">'
            f"service tier: {e(usage.service_tier)}</p>"
        )
    return (
        f'<section class="ss-usage">{section_title("Usage (tokens)")}'
        f'<table class="ss-usage-table"><tbody>{"".join(rows)}</tbody></table>'
        f"{''.join(extra)}</section>"
    )


def _cost(state: StreamState, figures: StreamFigures) -> str:
    out = f'<section class="ss-cost">{section_title("Estimated cost")}'
    cost = figures["cost"]
    if cost.kind == "waiting":
        return out + f'<p class="ss-muted">{e(cost.source)}</p></section>'
    parts = SEP.join(
        f"{e(part.label)} <span{figure_attrs(part)}>{e(part.text)}</span>"
        for part in figures.cost_parts.values()
    )
    total = f"<span{figure_attrs(cost)}>{e(cost.text)}</span>"
    if cost.kind == "estimate":
        total += " so far"
    out += (
        f'<p class="ss-cost-total" data-cost="total_usd">{total}</p>'
        f'<p class="ss-cost-parts">{parts}</p>'
    )
    if cost.kind == "estimate":
        out += (
            '<p class="ss-muted">an estimate until the stream ends (output counted at the end)</p>'
        )
    without = figures.without_cache
    if without is not None:
        out += (
            f'<p class="ss-muted" data-cost="without_cache_usd">without caching: '
            f"<span{figure_attrs(without)}>{e(without.text)}</span></p>"
        )
    return (
        out + f'<p class="ss-muted ss-cost-source">prices of {e(figures.cost_source)}</p></section>'
    )


def _timing(figures: StreamFigures, rate: float) -> str:
    # What changes every frame (events, elapsed) last: a frame's splice stays small.
    cells = []
    for key, name in (
        ("time_to_first_token", "time_to_first_token"),
        ("output_tokens_per_second", "output_tokens_per_second"),
        ("events", "event_count"),
        ("elapsed", "duration"),
    ):
        figure = figures[key]
        clock = ""
        if key == "elapsed" and figures.live and figures.elapsed_at is not None:
            # ticks on the page like the header's clock: the two read the same
            ticking = f' data-ss-clock-rate="{rate:g}"' if rate != 1.0 else ""
            clock = f' data-ss-clock="{figures.elapsed_at:.3f}"{ticking}'
        cells.append(
            f"<dt>{e(figure.label)}</dt>"
            f'<dd data-timing="{name}"{figure_attrs(figure)}{clock}>{e(figure.text)}</dd>'
        )
    note = ""
    if figures.replayed:
        note = f'<p class="ss-muted ss-replay-note">{e(replay_note(figures.replay_speed))}</p>'
    return (
        f'<section class="ss-timing">{section_title("Timing")}<dl>{"".join(cells)}</dl>'
        f"{note}</section>"
    )


def _stop(state: StreamState, final: bool) -> str:
    reason = state.stop_reason
    shown = reason or ("none" if final else DASH)
    out = (
        f'<section class="ss-stop">{section_title("Stop reason")}'
        f'<p class="ss-stop-reason">{e(shown)}</p>'
    )
    if state.stop_sequence:
        out += f'<p class="ss-muted">stop sequence: {e(state.stop_sequence)}</p>'
    if state.stop_details:
        out += f'<p class="ss-stop-details">{e(stop_details_text(state.stop_details))}</p>'
    return out + "</section>"


def _problems(state: StreamState, hidden_kinds: frozenset[str]) -> str:
    problems = [p for p in state.problems if p.kind not in hidden_kinds]
    superseded = state.superseded_blocks
    if not problems and not superseded:
        return ""
    items = "".join(
        f'<li class="ss-problem"{attr("data-kind", p.kind)}>{e(p)}</li>'
        for p in problems[:MAX_PROBLEMS_SHOWN]
    )
    more = len(problems) - MAX_PROBLEMS_SHOWN
    if more > 0:
        items += f'<li class="ss-problem-more">… and {more:,} more (all in state.problems)</li>'
    out = f'<section class="ss-problems">{section_title(f"Problems ({len(problems)})")}'
    if items:
        out += f"<ul>{items}</ul>"
    if superseded:
        shown: list[Any] = [b.to_dict() for b in superseded[:MAX_PROBLEMS_SHOWN]]
        out += (
            f'<details class="ss-superseded"><summary>{plural(len(superseded), "superseded block")}'
            f"</summary>{pre(e(json_text(shown)), 'ss-generic')}</details>"
        )
    return out + "</section>"


def panel_parts(
    state: StreamState,
    *,
    prices: PriceTable | None,
    anchor: Anchor,
    final: bool,
    failure: str | None = None,
    hidden_problems: frozenset[str] = frozenset(),
    now: float | None = None,
    figures: StreamFigures | None = None,
    rate: float = 1.0,
    cache: CacheExplanation | None = None,
) -> list[str]:
    """The panel's sections, in order (empty ones left out). ``figures``: this frame's
    (computed here from ``state`` and ``now`` when not given); ``cache``: why the run did or
    did not read the previous run's prompt cache, under the cache figures."""
    if figures is None:
        figures = stream_figures(state, now=now, prices=prices)
    parts = [
        _error(state, failure),
        _calls(state, anchor),
        _signatures(state),
        _usage(state, figures, prices),
        cache_section(cache) if cache is not None else "",
        applied_edits(state),
        _cost(state, figures),
        _timing(figures, rate),
        _stop(state, final),
        _problems(state, hidden_problems),
    ]
    return [p for p in parts if p]
