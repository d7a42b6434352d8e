"""The picture of a :class:`~streamscope.core.comparison.cache.CacheExplanation`: why a run did
or did not read the previous run's prompt cache.

- :func:`cache_section`: a panel section under the cache figures: the summary sentence,
  the server's reason when the API gave one, and the difference one click away (a
  ``<details>``: where, the two values with the changed characters marked, each
  breakpoint and whether it held);
- :func:`cache_line`: one line for a turn of a conversation or a run of a comparison
  (``cache hit``, or the reason it missed), opening to the same explanation.

Everything here comes from a prompt and the user's data: all of it is escaped.
"""

from __future__ import annotations

from typing import Any

from streamscope.core.comparison.cache import (
    CacheBreakpoint,
    CacheExplanation,
    Excerpt,
    explain_cache,
)
from streamscope.core.figures.cache_reason import cache_miss_words
from streamscope.widgets.render.markup import NO_MATH, e, section_title

__all__ = ["cache_explanation", "cache_line", "cache_section"]


def cache_explanation(
    previous: Any, current: Any, current_at: Any = None
) -> CacheExplanation | None:
    """:func:`explain_cache`, or None when a run's request is unknown (nothing to draw)."""
    try:
        return explain_cache(previous, current, current_at=current_at)
    except (ValueError, TypeError):
        return None


def _state(explanation: CacheExplanation) -> str:
    if explanation.hit:
        return "hit"
    if not explanation.breakpoints:
        return "none"
    return "miss"


def _excerpt(excerpt: Excerpt) -> str:
    return f"{e(excerpt.head)}<mark>{e(excerpt.changed)}</mark>{e(excerpt.tail)}"


def _breakpoint(b: CacheBreakpoint) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in b.path).lstrip(".")
    word = "expired" if b.expired else ("holds" if b.holds else "broken")
    auto = " (top-level cache_control)" if b.automatic else ""
    return (
        f'<li data-breakpoint="{b.number}" data-holds="{word}">breakpoint {b.number}: '
        f"<code>{e(where)}</code>, {e(b.ttl)}{e(auto)}: <strong>{word}</strong></li>"
    )


def _server(explanation: CacheExplanation) -> str:
    reason = explanation.server_reason
    if reason is None and not explanation.server_pending:
        return ""  # the API sent no diagnostics
    kind = reason.get("type") if reason is not None else "pending"
    return (
        f'<p class="ss-cache-server" data-server-reason="{e(kind)}">'
        f"The API says: {e(cache_miss_words(reason))}.</p>"
    )


def _difference(explanation: CacheExplanation) -> str:
    rows = []
    change = explanation.change
    if change is not None:
        where = change.where + (
            f", character {change.character:,}" if change.character is not None else ""
        )
        rows.append(
            f'<p>at <code class="ss-cache-path">{e(where)}</code></p>'
            '<div class="ss-cache-values">'
            f'<p><span class="ss-cache-side">before</span> '
            f'<code data-side="before">{_excerpt(change.before)}</code></p>'
            f'<p><span class="ss-cache-side">after</span> '
            f'<code data-side="after">{_excerpt(change.after)}</code></p></div>'
        )
    if explanation.breakpoints:
        items = "".join(_breakpoint(b) for b in explanation.breakpoints)
        rows.append(f'<ul class="ss-cache-breakpoints">{items}</ul>')
    if not rows:
        return ""
    title = "The difference" if change is not None else "The breakpoints"
    return (
        f'<details class="ss-cache-difference"><summary>{title}</summary>{"".join(rows)}</details>'
    )


def _body(explanation: CacheExplanation) -> str:
    return (
        f'<p class="ss-cache-summary">{e(explanation.summary)}</p>'
        f"{_server(explanation)}{_difference(explanation)}"
    )


def cache_section(explanation: CacheExplanation) -> str:
    """The panel's section on the prompt cache against the previous run."""
    return (
        f'<section class="ss-cache {NO_MATH}" data-cache="{_state(explanation)}">'
        f"{section_title('Prompt cache against the previous run')}{_body(explanation)}</section>"
    )


def cache_line(explanation: CacheExplanation) -> str:
    """One line (``cache: hit``, ``cache missed: system prompt changed``) that opens to the
    explanation."""
    state = _state(explanation)
    words = (
        ("cache: hit" if state == "hit" else f"cache missed: {explanation.headline}")
        if state != "none"
        else "cache: nothing was cached"
    )
    return (
        f'<details class="ss-cache-line {NO_MATH}" data-cache="{state}">'
        f"<summary>{e(words)}</summary>{_body(explanation)}</details>"
    )
