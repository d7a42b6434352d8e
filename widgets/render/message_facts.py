"""What today's API says about a message besides its blocks, as panel parts and header bits.

Stop details in words (``refused: cyber — …``), the prompt cache's diagnostics (why it
missed, how many tokens, what that cost at the model's rates; ``pending`` when the API
says null), ``usage.iterations`` as rows each priced by its own model, the thinking
tokens, context management's ``applied_edits``, the code-execution ``container``, the
fallback credit, and which models answered (one declined, the next continued). Only
``widgets/render/panel.py`` and the stream's header call these.
"""

from __future__ import annotations

from typing import Any

from streamscope.core.figures.cache_reason import cache_miss_words
from streamscope.core.figures.text import fmt_int, fmt_usd, plural
from streamscope.core.pricing.prices import DEFAULT_PRICES, PriceTable, estimate_cost
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.usage import Usage
from streamscope.widgets.render.markup import SEP, attr, e, section_title
from streamscope.widgets.render.server_tools import refusal_category

__all__ = [
    "ITERATION_LABELS",
    "applied_edits",
    "cache_diagnostics",
    "cache_miss_text",
    "container_note",
    "iterations_table",
    "models_text",
    "stop_details_text",
]

ITERATION_LABELS = {
    "message": "message",
    "fallback_message": "fallback message",
    "compaction": "compaction",
    "advisor_message": "advisor",
}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def stop_details_text(details: dict[str, Any] | None) -> str:
    """``refused: cyber — explanation`` (a refusal's category and explanation)."""
    if not details:
        return ""
    kind = details.get("type")
    head = "refused" if kind == "refusal" else str(kind or "details")
    category = details.get("category")
    text = f"{head}: {refusal_category(category)}" if category else head
    explanation = details.get("explanation")
    if isinstance(explanation, str) and explanation:
        text += f" — {explanation}"
    model = details.get("recommended_model")
    if isinstance(model, str) and model:
        text += f" (retry on {model})"
    if details.get("fallback_credit_token"):
        text += "; a fallback credit token came with it"
    return text


def cache_miss_text(state: StreamState) -> str | None:
    """The cache miss in words; ``pending`` when diagnostics came with a null reason; None
    when the message carries no diagnostics."""
    diagnostics = state.diagnostics
    if diagnostics is None:
        return None
    return cache_miss_words(diagnostics.get("cache_miss_reason"))


def cache_diagnostics(state: StreamState, prices: PriceTable | None) -> str:
    """The cache section's diagnosis line (empty without diagnostics)."""
    text = cache_miss_text(state)
    if text is None:
        return ""
    reason = _dict(_dict(state.diagnostics).get("cache_miss_reason"))
    missed = reason.get("cache_missed_input_tokens")
    cost = ""
    if isinstance(missed, int) and missed > 0:
        table = prices or DEFAULT_PRICES
        as_input = estimate_cost(Usage({"input_tokens": missed}), state.model, table)
        as_read = estimate_cost(Usage({"cache_read_input_tokens": missed}), state.model, table)
        if as_input is not None and as_read is not None:
            extra = as_input.input_usd - as_read.cache_read_usd
            cost = (
                f'<span class="ss-cache-miss-cost" data-value="{extra:.9f}">'
                f"{SEP}{fmt_usd(extra)} more than reading them from the cache</span>"
            )
    return (
        f'<p class="ss-cache-miss"{attr("data-reason", reason.get("type") or "pending")}>'
        f"cache miss: {e(text)}{cost}</p>"
    )


def iterations_table(state: StreamState, prices: PriceTable | None) -> str:
    """``usage.iterations`` as rows: kind, model, input, cache write/read, output, cost at
    that iteration's model (a ``compaction`` has no model: the message's)."""
    iterations = state.iterations
    if not iterations:
        return ""
    table = prices or DEFAULT_PRICES
    rows = []
    for item in iterations:
        kind = str(item.get("type") or "")
        model = item.get("model") if isinstance(item.get("model"), str) else None
        cost = estimate_cost(Usage(item), model or state.model, table)
        cost_text = fmt_usd(cost.total_usd) if cost is not None else "no price"
        cells = "".join(
            f"<td>{fmt_int(item.get(key))}</td>"
            for key in (
                "input_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
                "output_tokens",
            )
        )
        rows.append(
            f'<tr{attr("data-iteration", kind)}><th scope="row">'
            f"{e(ITERATION_LABELS.get(kind, kind))}</th><td>{e(model or '—')}</td>{cells}"
            f'<td data-cost="iteration">{cost_text}</td></tr>'
        )
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in ("iteration", "model", "input", "cache write", "cache read", "output", "cost")
    )
    return (
        f'<table class="ss-iterations"><caption>{plural(len(iterations), "iteration")}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def applied_edits(state: StreamState) -> str:
    """Context management's ``applied_edits``: what was cleared, in words."""
    edits = _dict(state.context_management).get("applied_edits")
    if not isinstance(edits, list) or not edits:
        return ""
    items = []
    for edit in edits:
        data = _dict(edit)
        kind = str(data.get("type") or "edit")
        bits = []
        if "cleared_tool_uses" in data:
            bits.append(plural(int(data.get("cleared_tool_uses") or 0), "tool use"))
        if "cleared_thinking_turns" in data:
            bits.append(plural(int(data.get("cleared_thinking_turns") or 0), "thinking turn"))
        tokens = data.get("cleared_input_tokens")
        what = " and ".join(bits) or "content"
        text = f"{kind}: cleared {what}"
        if isinstance(tokens, int):
            text += f" ({fmt_int(tokens)} input tokens)"
        items.append(f"<li{attr('data-edit', kind)}>{e(text)}</li>")
    return (
        f'<section class="ss-context-edits">{section_title("Context management")}'
        f"<ul>{''.join(items)}</ul></section>"
    )


def container_note(state: StreamState) -> str:
    """The code-execution container: id, expiry, skills."""
    container = state.container
    if not container:
        return ""
    text = f"container {container.get('id')}, expires {container.get('expires_at')}"
    skills = container.get("skills")
    if isinstance(skills, list) and skills:
        names = ", ".join(str(_dict(s).get("skill_id")) for s in skills)
        text += f"; skills: {names}"
    return f'<p class="ss-muted ss-container" data-usage="container">{e(text)}</p>'


def fallback_credit_note(state: StreamState) -> str:
    credit = _dict(state.usage.raw.get("fallback_credit"))
    if not credit:
        return ""
    status = _dict(credit.get("status"))
    kind = status.get("type")
    text = "fallback credit redeemed" if kind == "redeemed" else f"fallback credit {kind}"
    if status.get("reason"):
        text += f" ({status['reason']})"
    return f'<p class="ss-muted" data-usage="fallback_credit">{e(text)}</p>'


def usage_notes(state: StreamState) -> str:
    """The usage's words that are not counts: where and how fast it ran."""
    raw = state.usage.raw
    out = []
    for key, label in (("inference_geo", "inference region"), ("speed", "speed")):
        value = raw.get(key)
        if isinstance(value, str) and value:
            out.append(f'<p class="ss-muted" data-usage="{key}">{label}: {e(value)}</p>')
    return "".join(out)


def input_transformations_note(state: StreamState) -> str:
    """What the API changed in the request's input (thinking blocks dropped or allowed)."""
    items = state.message.get("input_transformations") if state.message else None
    if not isinstance(items, list) or not items:
        return ""
    counts: dict[str, int] = {}
    for item in items:
        kind = str(_dict(item).get("type") or "unknown")
        counts[kind] = counts.get(kind, 0) + 1
    text = ", ".join(f"{kind.replace('_', ' ')}: {n}" for kind, n in counts.items())
    return (
        f'<p class="ss-muted" data-usage="input_transformations">input changed by the API: '
        f"{e(text)}</p>"
    )


def models_text(state: StreamState) -> str:
    """``claude-a → claude-b`` when a model handed off, else the model (or empty)."""
    return " → ".join(state.models)
