"""Notebook views of a streamed message, driven by streamscope.core.

``StreamView`` is the live view of one stream, ``ConversationView`` of a whole tool loop,
``ComparisonView`` of runs side by side, ``BenchView`` of one prompt sent several ways at
once (``acompare_live``). Every picture is drawn by one renderer
(:mod:`streamscope.widgets.render`), which imports without anywidget or ipywidgets: the
views below are imported when first used, so ``import streamscope.widgets.render`` in a
script or CI needs no widget library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamscope.widgets.bench import BenchView, acompare_live
    from streamscope.widgets.comparison import ComparisonView, compare
    from streamscope.widgets.loop_view import ConversationView, arun_loop
    from streamscope.widgets.runner import ashow_runner, show_runner, watch_runner
    from streamscope.widgets.shortcuts import ashow, replay, show
    from streamscope.widgets.view import StreamView

_HOMES: dict[str, str] = {
    "BenchView": "bench",
    "acompare_live": "bench",
    "ComparisonView": "comparison",
    "compare": "comparison",
    "ConversationView": "loop_view",
    "arun_loop": "loop_view",
    "ashow_runner": "runner",
    "show_runner": "runner",
    "watch_runner": "runner",
    "ashow": "shortcuts",
    "replay": "shortcuts",
    "show": "shortcuts",
    "StreamView": "view",
}

__all__ = [
    "BenchView",
    "ComparisonView",
    "ConversationView",
    "StreamView",
    "acompare_live",
    "arun_loop",
    "ashow",
    "ashow_runner",
    "compare",
    "replay",
    "show",
    "show_runner",
    "watch_runner",
]


def __getattr__(name: str) -> Any:
    """A view or a shortcut, imported from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
