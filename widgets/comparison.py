"""``compare(*runs)``: runs side by side in a notebook (the view of a Comparison).

The data is :func:`streamscope.core.comparison.runs.compare_runs`'s; this module shows it. A
comparison is of finished runs, so its picture is static HTML from the one renderer
(:mod:`streamscope.widgets.render.comparison`): no widget, nothing to keep alive, and a saved
notebook shows it as it was.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streamscope.core.comparison.runs import Comparison, compare_runs
from streamscope.core.io.files import write_atomic
from streamscope.core.pricing.prices import PriceTable
from streamscope.widgets.render.comparison import comparison_body
from streamscope.widgets.render.page import standalone_document, static_fragment

__all__ = ["ComparisonView", "compare"]


class ComparisonView:
    """Runs side by side: the table of their figures, the diffs of their tool calls and
    answers against the first run, and their lanes in columns. Display it (the last
    expression of a cell); ``comparison`` holds the data; ``print(view)`` the text table."""

    def __init__(self, comparison: Comparison, *, prices: PriceTable | None = None) -> None:
        self.comparison = comparison
        self._prices = prices
        self._html: str | None = None

    def html(self) -> str:
        """The picture as a static HTML fragment (styles scoped to it, no script)."""
        if self._html is None:
            self._html = static_fragment(comparison_body(self.comparison, self._prices))
        return self._html

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": str(self.comparison)}

    def __str__(self) -> str:
        return str(self.comparison)

    def __repr__(self) -> str:
        return f"<ComparisonView {' · '.join(self.comparison.labels)}>"

    def export_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the picture as a standalone HTML document (no script); returns the path."""
        body = comparison_body(self.comparison, self._prices)
        title = "streamscope · " + " vs ".join(self.comparison.labels)
        return write_atomic(path, standalone_document(body, title).encode("utf-8"))


def compare(
    *runs: Any, labels: Sequence[str] | None = None, prices: PriceTable | None = None
) -> ComparisonView:
    """Runs side by side. A run is a StreamState, a view, a recording's path, a ToolLoop,
    or a list of these (the turns of one conversation: ``gallery.conversation(name)``);
    see :func:`~streamscope.core.comparison.runs.compare_runs`. ``labels`` name the columns."""
    return ComparisonView(compare_runs(*runs, labels=labels, prices=prices), prices=prices)
