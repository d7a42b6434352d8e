"""The front-end files next to the Python: where they are and how their CSS is combined."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC", "read_css"]

STATIC = Path(__file__).parent / "static"


def read_css(*names: str) -> str:
    """The named stylesheets from ``static/``, joined in order."""
    return "\n".join((STATIC / name).read_text(encoding="utf-8") for name in names)
