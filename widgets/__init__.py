"""Notebook views of a streamed message, driven by streamscope.core.

``StreamView`` is the live widget of one stream; ``ConversationView`` of a whole tool loop;
``show`` / ``ashow`` watch a live SDK stream and return its final message; ``replay`` plays
a recording with controls; ``show_runner`` / ``ashow_runner`` watch the SDK's own tool
runner (``watch_runner`` when you display the view yourself); ``compare`` shows runs side
by side; ``acompare_live`` streams one prompt several ways at once, side by side, and ends
in that comparison. Every picture is drawn by one renderer
(:mod:`streamscope.widgets.render`): the live view, the static ``text/html`` a saved
notebook keeps, and ``export_html`` are the same HTML.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from streamscope.widgets.bench import BenchView, acompare_live
from streamscope.widgets.comparison import ComparisonView, compare
from streamscope.widgets.conversation import ConversationView, arun_loop
from streamscope.widgets.runner import ashow_runner, show_runner, watch_runner
from streamscope.widgets.shortcuts import ashow, replay, show
from streamscope.widgets.view import StreamView

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

# Names kept for one release, with where they live now.
_DEPRECATED: dict[str, tuple[str, str]] = {
    "snapshot": (
        "streamscope.widgets._snapshot",
        "the views no longer draw from a JSON snapshot; render_stream_html(state) in "
        "streamscope.widgets.render gives the picture",
    ),
}

if TYPE_CHECKING:  # type checkers see the deprecated names with their real types
    from streamscope.widgets._snapshot import snapshot as snapshot


def __getattr__(name: str) -> Any:
    found = _DEPRECATED.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, hint = found
    warnings.warn(
        f"streamscope.widgets.{name} is deprecated and will be removed in the next release: {hint}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)
