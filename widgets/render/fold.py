"""A text too long to show whole: its start as Markdown, a fold, its end as plain text.

A lane's text (or thinking) longer than :data:`FOLD_AT` characters is not rendered whole:
every frame would re-render (and re-sanitize, and diff) all of it, so a 200 MB line took
10.5 s and 1.8 GB. :class:`FoldedMarkdown` shows the first :data:`HEAD` characters as
Markdown (rendered once: text only grows at its end), a fold that says how much is not shown
and where the whole text is (``view.state``, ``export_json``), then the last :data:`TAIL`
characters as plain text (where the stream is writing). A text up to :data:`FOLD_AT` is
rendered as :class:`~streamscope.widgets.render.markdown.MarkdownStream` renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

from streamscope.widgets.render.markdown import MarkdownStream
from streamscope.widgets.render.markup import e

__all__ = ["FOLD_AT", "HEAD", "TAIL", "FoldedMarkdown"]

FOLD_AT: Final = 512 * 1024
"""Characters past which a text is shown folded."""
HEAD: Final = 256 * 1024
"""Characters of its start shown (as Markdown)."""
TAIL: Final = 64 * 1024
"""Characters of its end shown (as plain text)."""


class _Text(Protocol):
    """A growing text read without joining it (a text or thinking block)."""

    @property
    def length(self) -> int: ...

    def excerpt(self, head: int, tail: int) -> tuple[str, str]: ...


class FoldedMarkdown:
    """:class:`MarkdownStream` for texts up to :data:`FOLD_AT`, a folded excerpt past it."""

    __slots__ = ("_head", "_stream")

    def __init__(self) -> None:
        self._stream = MarkdownStream()
        self._head: list[str] | None = None

    def parts(
        self,
        source: _Text,
        whole: Callable[[], str],
        *,
        final: bool = False,
        show_all: Callable[[], str] | None = None,
    ) -> list[str]:
        """The parts for ``source`` (``whole`` gives its text, read only when it is shown
        whole); ``show_all`` gives the control that shows a folded text whole."""
        length = source.length
        if length <= FOLD_AT:
            return self._stream.parts(whole(), final=final)
        start, end = source.excerpt(HEAD, TAIL)
        if self._head is None:
            self._head = MarkdownStream().parts(start, final=True)
            self._stream = MarkdownStream()  # what it rendered of the whole is let go
        hidden = length - HEAD - TAIL
        fold = (
            f'<p class="ss-fold" role="note" data-hidden="{hidden}">… {hidden:,} characters '
            "not shown here: the whole text is in <code>view.state</code> and "
            "<code>view.export_json(...)</code> …</p>"
        )
        more = [show_all()] if show_all is not None else []
        return [*self._head, fold, *more, f'<p class="ss-fold-tail">{e(end)}</p>']
