"""How numbers, times, sizes and money read in every picture: the renderer's name for the
one formatter, :mod:`streamscope.core.figures.text` (the core's ``compare`` and ``repr`` use
the same rules, so a figure reads the same in a view, a table and a printout)."""

from __future__ import annotations

from streamscope.core.figures.text import (
    DASH,
    fmt_bytes,
    fmt_clock,
    fmt_int,
    fmt_percent,
    fmt_rate,
    fmt_seconds,
    fmt_usd,
    number,
    plural,
    utf8_len,
)

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
