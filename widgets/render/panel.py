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
from streamscope.core.pricing.prices import DEFAULT_PRICES, PriceTable, estimate_cost
from streamscope.core.stream.blocks import ThinkingBlock
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.usage import Usage
from streamscope.widgets.render.cache import cache_section
from streamscope.widgets.render.format import (
    DASH,
    fmt_int,
    fmt_percent,
    fmt_rate,
    fmt_seconds,
    fmt_usd,
    number,
    plural,
)
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

__all__ = ["MAX_PROBLEMS_SHOWN", "USAGE_ROWS", "panel_parts", "tokens_per_second"]

MAX_PROBLEMS_SHOWN = 200
"""Problems listed in the panel; the rest are counted (all are in ``state.problems``)."""
MIN_RATE_SECONDS = 0.25
"""Below this much generation time (an instant replay) tokens per second means nothing."""
ARGS_PREVIEW = 160
"""Characters of a tool call's arguments shown on its line (its lane has all of them)."""

USAGE_ROWS: tuple[tuple[str, str, bool], ...] = (
    ("input_tokens", "input", False),
    ("cache_creation_input_tokens", "cache write", False),
    ("cache_write_5m_tokens", "of which 5m", True),
    ("cache_write_1h_tokens", "of which 1h", True),
    ("cache_read_input_tokens", "cache read", False),
    ("total_input_tokens", "total input", False),
    ("output_tokens", "output", False),
    ("thinking_tokens", "of which thinking", True),
)

Anchor = Callable[[int], str]


CHARS_PER_TOKEN = 4
"""For estimates while streaming: the usage in ``message_start`` is a placeholder."""


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


def tokens_per_second(state: StreamState, *, estimate: bool = False) -> float | None:
    """Output tokens per second of generation; ``estimate``: from the characters streamed
    so far (while streaming, the usage count is the placeholder of ``message_start``)."""
    first, last = state.first_token_at, state.last_event_at
    output = estimated_output_tokens(state) if estimate else state.usage.output_tokens
    if first is None or last is None or not output:
        return None
    seconds = last - first
    return output / seconds if seconds >= MIN_RATE_SECONDS else None


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


def _usage(state: StreamState, prices: PriceTable | None = None) -> str:
    usage = state.usage
    rows = []
    for key, label, sub in USAGE_ROWS:
        value = getattr(usage, key)
        cls = ' class="ss-sub"' if sub else ""
        raw = attr("data-value", value) if number(value) is not None else ""
        rows.append(
            f'<tr{cls}><th scope="row">{label}</th>'
            f'<td data-usage="{key}"{raw}>{fmt_int(value)}</td></tr>'
        )
    rate = usage.cache_hit_rate
    rows.append(
        '<tr><th scope="row">cache hit rate</th>'
        f'<td data-usage="cache_hit_rate"{attr("data-value", rate)}>{fmt_percent(rate)}</td></tr>'
    )
    extra = []
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


def _cost(state: StreamState, prices: PriceTable | None, final: bool) -> str:
    out = f'<section class="ss-cost">{section_title("Estimated cost")}'
    usage = state.usage
    estimated = False
    if not final:
        output = estimated_output_tokens(state)
        if output > usage.output_tokens:  # so far: the count comes with message_delta
            usage = Usage({**usage.raw, "output_tokens": output})
            estimated = True
    cost = estimate_cost(usage, state.model, prices or DEFAULT_PRICES)
    if cost is None:
        model = state.model
        note = f"no price known for {model}" if model else "no model yet"
        return out + f'<p class="ss-muted">{e(note)}</p></section>'
    parts = SEP.join(
        f"{label} {fmt_usd(value)}"
        for label, value in (
            ("input", cost.input_usd),
            ("cache write", cost.cache_write_usd),
            ("cache read", cost.cache_read_usd),
            ("output", cost.output_usd),
        )
    )
    total = fmt_usd(cost.total_usd)
    if estimated:
        total = f"≈ {total} so far"
    out += (
        f'<p class="ss-cost-total" data-cost="total_usd">{total}</p>'
        f'<p class="ss-cost-parts">{parts}</p>'
    )
    if estimated:
        out += '<p class="ss-muted">output estimated from the text so far; exact at the end</p>'
    if abs(cost.without_cache_usd - cost.total_usd) > 1e-12:
        out += (
            f'<p class="ss-muted" data-cost="without_cache_usd">without caching: '
            f"{fmt_usd(cost.without_cache_usd)}</p>"
        )
    source = f"{cost.model_key}: {cost.source or 'prices as of ' + cost.as_of}"
    return out + f'<p class="ss-muted ss-cost-source">prices of {e(source)}</p></section>'


def _timing(state: StreamState, final: bool, now: float | None) -> str:
    # Time to first token counts from the request when the view knows when it was sent
    # (it opened the stream, or the recording says); else from message_start, and says so.
    ttft = "time to first token" if state.request_known else "first token, from message_start"
    duration = state.duration
    if now is not None and state.started_at is not None:
        duration = now - state.started_at
    rate = tokens_per_second(state, estimate=not final)
    rate_text = fmt_rate(rate, "")
    if rate is not None and not final:
        rate_text = f"≈ {rate_text} (estimate)"
    # What changes every frame (events, duration) last: a frame's splice stays small.
    rows: list[tuple[str, str, str]] = [
        ("time_to_first_token", ttft, fmt_seconds(state.time_to_first_token)),
        ("output_tokens_per_second", "output tokens / s", rate_text),
        ("event_count", "events", fmt_int(state.event_count)),
        ("duration", "duration", fmt_seconds(duration)),
    ]
    cells = "".join(
        f'<dt>{label}</dt><dd data-timing="{key}">{text}</dd>' for key, label, text in rows
    )
    return f'<section class="ss-timing">{section_title("Timing")}<dl>{cells}</dl></section>'


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
    cache: CacheExplanation | None = None,
) -> list[str]:
    """The panel's sections, in order (empty ones left out); ``cache``: why the run did or
    did not read the previous run's prompt cache, under the cache figures."""
    parts = [
        _error(state, failure),
        _calls(state, anchor),
        _signatures(state),
        _usage(state, prices),
        cache_section(cache) if cache is not None else "",
        applied_edits(state),
        _cost(state, prices, final),
        _timing(state, final, now),
        _stop(state, final),
        _problems(state, hidden_problems),
    ]
    return [p for p in parts if p]
