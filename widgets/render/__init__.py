"""The one renderer: every picture of a stream or a tool loop is HTML made here, in Python.

:class:`StreamPicture` and :class:`ConversationPicture` render state into regions
(:mod:`.regions`); the live widgets send the regions' changes as splices, the static
``text/html`` and ``export_html`` are the same regions joined. Markdown is markdown-it-py
(:mod:`.markdown`), and every fragment passes one allowlist sanitizer (:mod:`.sanitize`).
"""

from __future__ import annotations

from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render.fulltext import EXPORT_BUDGET, NOTEBOOK_BUDGET, Budget
from streamscope.widgets.render.loop import ConversationPicture
from streamscope.widgets.render.page import standalone_document, static_fragment
from streamscope.widgets.render.regions import RegionStore
from streamscope.widgets.render.stream import StreamPicture

__all__ = [
    "ConversationPicture",
    "RegionStore",
    "StreamPicture",
    "render_stream_html",
]


def render_stream_html(
    state: StreamState,
    *,
    prices: PriceTable | None = None,
    title: str = "streamscope",
    standalone: bool = False,
) -> str:
    """The static picture of ``state``: a notebook fragment, or a whole HTML document.

    The picture reads the state and never writes it (a stopped or failed stream says so in
    ``state.stopped`` / ``state.failure``)."""
    picture = StreamPicture(state, prices=prices, title=title)
    store = RegionStore()
    picture.render(store)
    budget = Budget(EXPORT_BUDGET if standalone else NOTEBOOK_BUDGET)
    body = store.expand(picture.root_id, supply=picture.supply(budget))
    if standalone:
        return standalone_document(body, f"{title} · {state.model or 'stream'}")
    return static_fragment(body)
