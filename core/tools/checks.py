"""Argument checks for constructors: one clear ``TypeError`` or ``ValueError`` each.

``bool`` is an ``int`` to Python but never a count or a number of seconds here:
``max_turns=True`` is a mistake, not one turn.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["positive_int", "positive_seconds"]


def positive_int(name: str, value: Any, *, optional: bool = False) -> int | None:
    """``value`` if it is an ``int`` >= 1 (or None when ``optional``)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        expected = "a positive int or None" if optional else "a positive int"
        raise TypeError(f"{name} must be {expected}, not {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value!r}")
    return value


def positive_seconds(name: str, value: Any) -> float | None:
    """``value`` as seconds if it is a finite number > 0, or None (no bound)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"{name} must be a positive, finite number of seconds (or None), not {value!r}"
        )
    return float(value)
