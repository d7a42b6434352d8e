"""How numbers, times, sizes and money read: the one formatter, one rule each.

Every figure streamscope shows (a view's live and static picture, a loop's header,
``compare``'s table and its text, a ``repr``) goes through these functions, so no two
places can disagree on how a number reads; the renderer imports them from here. Each
accepts anything (a missing or odd value reads as a dash) and never raises: a token count
of ``10**400`` or a ``nan`` still formats.
"""

from __future__ import annotations

import math

__all__ = [
    "DASH",
    "fmt_bytes",
    "fmt_clock",
    "fmt_int",
    "fmt_percent",
    "fmt_rate",
    "fmt_seconds",
    "fmt_usd",
    "number",
    "plural",
    "utf8_len",
]

DASH = "–"
"""What a missing figure reads as."""

_HUGE = 10**15
"""Integers above this are shown in scientific notation (a hostile usage count)."""


def number(value: object) -> float | None:
    """``value`` as a finite float, else None (bools and huge ints are not figures here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def fmt_int(value: object) -> str:
    """``1,234``; a dash for anything that is not a finite number."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _HUGE:
        digits = len(str(abs(value))) if abs(value) < 10**4000 else 4000
        return f"{'-' if value < 0 else ''}~10^{digits - 1}"
    figure = number(value)
    return DASH if figure is None else f"{round(figure):,}"


def fmt_seconds(value: object) -> str:
    """``35 ms`` below a second, ``1.23 s`` below ten, ``12.3 s`` below a minute, ``2 min 5 s``."""
    figure = number(value)
    if figure is None:
        return DASH
    if figure < 0:
        return f"-{fmt_seconds(-figure)}"
    if figure < 1:
        return f"{figure * 1000:.0f} ms"
    if figure < 10:
        return f"{figure:.2f} s"
    if figure < 60:
        return f"{figure:.1f} s"
    minutes, seconds = divmod(round(figure), 60)
    return f"{minutes} min {seconds} s"


def fmt_clock(value: object) -> str:
    """A running clock: seconds with one decimal (``12.3 s``).

    The front end ticks elements marked ``data-ss-clock`` with exactly this rule (one
    decimal, then `` s``); it is the only format the front end knows.
    """
    figure = number(value)
    return DASH if figure is None else f"{max(0.0, figure):.1f} s"


def fmt_usd(value: object) -> str:
    """``$0.0123``; six decimals below a cent so small calls do not read as zero."""
    figure = number(value)
    if figure is None:
        return DASH
    if figure == 0:
        return "$0"
    return f"${figure:.6f}" if abs(figure) < 0.01 else f"${figure:.4f}"


def fmt_rate(value: object, unit: str = "/s") -> str:
    figure = number(value)
    return DASH if figure is None else f"{figure:.1f}{unit}"


def fmt_percent(value: object) -> str:
    """A 0..1 fraction as ``60.5%``."""
    figure = number(value)
    return DASH if figure is None else f"{figure * 100:.1f}%"


def fmt_bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    return f"{count / 1024:.1f} KB" if count < 1048576 else f"{count / 1048576:.2f} MB"


def utf8_len(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (a lone surrogate counts as the 3 bytes it would take)."""
    return len(text.encode("utf-8", "surrogatepass"))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 tool call``, ``3 tool calls`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
