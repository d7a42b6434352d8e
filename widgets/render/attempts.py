"""A request's HTTP attempts, drawn: a row each on the timeline (the attempt's bar, the wait
before its retry) and a list in the final panel, in the words the core computed
(:mod:`streamscope.core.figures.faults`). Drawn only when there is something to tell: a
retry, or an attempt that failed; a request that went through at once shows nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from streamscope.core.figures.text import fmt_seconds
from streamscope.core.wire.attempts import Attempt
from streamscope.widgets.render.markup import e, section_title

__all__ = ["attempt_rows", "attempts_end", "attempts_section", "worth_showing"]

Line = tuple[Attempt, str]


def _failed(attempt: Attempt) -> bool:
    received = attempt.received
    return (
        attempt.status is None
        or attempt.status >= 400
        or (received is not None and received.error is not None)
    )


def worth_showing(attempts: Sequence[Attempt]) -> bool:
    """More than one attempt, or one that failed."""
    return len(attempts) > 1 or any(_failed(a) for a in attempts)


def _end(attempt: Attempt) -> float:
    """Where an attempt's bar ends: its body's end (or last chunk), else its response."""
    received = attempt.received
    if received is not None:
        for at in (received.ended_at, received.last_at):
            if at is not None:
                return max(at, attempt.ended)
    return attempt.ended


def attempts_end(attempts: Sequence[Attempt], origin: float) -> float:
    """Seconds from ``origin`` the timeline must cover for these attempts."""
    return max([0.0, *(_end(a) - origin for a in attempts)])


def _outcome(attempt: Attempt, following: Attempt | None) -> str:
    if following is not None and following.retries_taken > 0:
        return "retried"
    return "failed" if _failed(attempt) else "ok"


def _next(lines: Sequence[Line], k: int) -> Attempt | None:
    return lines[k + 1][0] if k + 1 < len(lines) else None


def attempt_rows(lines: Sequence[Line], origin: float, end: float) -> list[str]:
    """One timeline row per attempt on an axis of ``end`` seconds from ``origin``: the
    attempt's bar, then (for one that was retried) the wait until the next attempt."""
    rows = []
    for k, (attempt, words) in enumerate(lines):
        following = _next(lines, k)
        start = max(0.0, attempt.started - origin)
        stop = max(start, _end(attempt) - origin)
        sliver = end * 1000 / 250
        wait = ""
        if following is not None and following.retries_taken > 0:
            gap = max(0.0, following.started - attempt.ended)
            wait = (
                f'<rect x="{(attempt.ended - origin) * 1000:.0f}" y="4" height="4"'
                f' class="ss-tl-wait" width="{max(sliver, gap * 1000):.0f}"></rect>'
            )
        outcome = _outcome(attempt, following)
        track = (
            f'<svg class="ss-tl-track" viewBox="0 0 {end * 1000:.0f} 12"'
            ' preserveAspectRatio="none" aria-hidden="true" focusable="false">'
            f'<rect x="{start * 1000:.0f}" y="1" height="10" class="ss-tl-attempt"'
            f' width="{max(sliver, (stop - start) * 1000):.0f}"></rect>{wait}</svg>'
        )
        times = f"{fmt_seconds(start)} → {fmt_seconds(stop)}"
        rows.append(
            f'<li class="ss-tl-row" data-kind="attempt" data-outcome="{outcome}"'
            f' data-attempt="{attempt.number}"><span class="ss-tl-label">attempt'
            f' {k + 1}</span>{track} <span class="ss-tl-times">{times}</span>'
            f'<span class="ss-tl-words">{e(words)}</span></li>'
        )
    return rows


def attempts_section(lines: Sequence[Line]) -> str:
    """The panel's list of attempts, in words (empty when there is nothing to tell)."""
    if not worth_showing([a for a, _ in lines]):
        return ""
    items = "".join(
        f'<li class="ss-attempt" data-outcome="{_outcome(a, _next(lines, k))}"'
        f' data-status="{a.status if a.status is not None else "none"}">'
        f"attempt {k + 1}: {e(words)}</li>"
        for k, (a, words) in enumerate(lines)
    )
    title = section_title(f"HTTP attempts ({len(lines)})")
    return f'<section class="ss-attempts">{title}<ol>{items}</ol></section>'
