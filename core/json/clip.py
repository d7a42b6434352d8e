"""Values shortened for a message, a table cell or a label: clipped at a limit, with "…"."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["clip", "short_json"]


def clip(text: str, limit: int) -> str:
    """``text``, or its first ``limit - 1`` characters and "…" when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_json(value: Any, limit: int = 60) -> str:
    """A value as JSON text (its ``repr`` when it is not JSON), clipped to ``limit``."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return clip(text, limit)
