"""A folded text's whole, one click away: "Show all N characters", sent a page at a time.

Under the excerpt of a long text (a 1 MB stdout, a fetched document, a long text lane), a
closed ``<details>`` holds an empty lazy region. Opened live, the page asks for it and gets
a marker (``data-ss-more``); each time it has drawn a marker it asks for the next page (up
to :data:`PAGE` characters, cut after a line break), and each answer is that page, escaped,
and the next marker. So no message or page task carries more than one page, nothing is
pushed faster than the page draws it, and the kernel renders only what was asked for. A
static picture has no kernel: :meth:`FullTexts.whole` gives the whole text for the same
``<details>`` while a budget lasts (:data:`NOTEBOOK_BUDGET`, :data:`EXPORT_BUDGET`); past
it the page says where the text is. Above :data:`SHOW_ALL_CAP` no page carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from streamscope.core.figures.text import fmt_int
from streamscope.widgets.render.markup import e
from streamscope.widgets.render.regions import LAZY_PREFIX, slot

__all__ = [
    "EXPORT_BUDGET",
    "NOTEBOOK_BUDGET",
    "PAGE",
    "SHOW_ALL_CAP",
    "Budget",
    "FullTexts",
    "is_full_text",
]

PAGE: Final = 64 * 1024
"""Characters per page sent to a live page (a 64K-character part parses in a few ms)."""
SHOW_ALL_CAP: Final = 16 * 1024 * 1024
"""Characters above which a text is never shown whole on a page (live or static): the
page says the text is in ``view.state`` and ``export_json``."""
NOTEBOOK_BUDGET: Final = 64 * 1024
"""Characters of whole texts a notebook's static picture carries, in all: it is saved in
the notebook, and JupyterLab parses it in one task when the view settles and at each
reopening (measured in JupyterLab on a loaded machine: a picture carrying a 1 MB text took
992-1,585 ms in one task, the same picture with a note 102-237 ms)."""
EXPORT_BUDGET: Final = 64 * 1024 * 1024
"""Characters of whole texts ``export_html`` writes, in all."""

_MARK: Final = "full/"
_WHERE = "view.state and view.export_json(...)"


def is_full_text(region_id: str) -> bool:
    """A region that holds the whole of a folded text."""
    return region_id.startswith(LAZY_PREFIX) and _MARK in region_id


class Budget:
    """What a static picture may still carry of whole texts, in characters."""

    __slots__ = ("left", "total")

    def __init__(self, total: int) -> None:
        self.total = total
        self.left = total

    @property
    def where(self) -> str:
        """Where a text this picture does not carry is."""
        if self.total < EXPORT_BUDGET:
            return f"view.export_html(...) (a file), {_WHERE}"
        return _WHERE

    def take(self, length: int) -> bool:
        if length > self.left:
            return False
        self.left -= length
        return True


class _Text:
    __slots__ = ("ends", "label", "length", "read")

    def __init__(self, read: Callable[[], str], length: int, label: str) -> None:
        self.read = read
        self.length = length
        self.label = label
        self.ends: list[int] = []  # where each page sent so far ends


def _page_end(whole: str, start: int) -> int:
    """Where the page that starts at ``start`` ends: after its last line break in its
    second half (a page is a block of its own: lines stay whole), else at :data:`PAGE`
    characters (never between a CR and its LF)."""
    end = min(start + PAGE, len(whole))
    if end == len(whole):
        return end
    brk = whole.rfind("\n", start + PAGE // 2, end)
    if brk != -1:
        return brk + 1
    if whole[end - 1] == "\r" and whole[end] == "\n":
        end += 1
    return end


def _page(text: str) -> str:
    """One page of a whole text: escaped text in a span (a block, drawn only when scrolled
    to, where styles apply; plain running text where they do not)."""
    return f'<span class="ss-page">{e(text)}</span>'


def _pages_note(length: int) -> str:
    return f"{fmt_int(length)} characters"


class FullTexts:
    """The whole texts of one lane's folded outputs (see the module docstring); ``prefix``
    makes their region ids unique on the page."""

    __slots__ = ("_prefix", "_texts")

    def __init__(self, prefix: str) -> None:
        self._prefix = f"{LAZY_PREFIX}{prefix}{_MARK}"
        self._texts: dict[str, _Text] = {}

    def control(
        self, key: str, length: int, read: Callable[[], str], label: str, *, ready: bool = True
    ) -> str:
        """The "Show all" control of a text folded on the page: ``length`` characters that
        ``read()`` gives whole (read only when a page asks); ``ready``: the text is
        complete (a text still streaming is not offered yet)."""
        if length > SHOW_ALL_CAP:
            return (
                f'<p class="ss-fulltext-note" role="note">{e(label)}: {_pages_note(length)}, '
                f"too long for a page (more than {fmt_int(SHOW_ALL_CAP)}): the whole text is in "
                f"{_WHERE}</p>"
            )
        if not ready:
            return (
                f'<p class="ss-fulltext-note" role="note">{e(label)}: the whole text can be '
                "shown once the block is complete</p>"
            )
        region = self._prefix + key
        known = self._texts.get(region)
        if known is None or known.length != length:
            self._texts[region] = _Text(read, length, label)
        return (
            f'<details class="ss-fulltext" data-ss-key="{e(region)}">'
            f"<summary>Show all {_pages_note(length)} of the {e(label)}</summary>"
            f"{slot(region, 'pre', 'ss-fulltext-text', tabindex='0', data_ss_lazy='')}"
            "</details>"
        )

    def regions(self) -> dict[str, list[str]]:
        """The regions of texts no page has asked for yet: their first marker."""
        return {rid: [self._marker(rid, t, 0)] for rid, t in self._texts.items() if not t.ends}

    def __contains__(self, region_id: str) -> bool:
        return region_id in self._texts

    def more(self, region_id: str, page: int) -> tuple[int, list[str]] | None:
        """A page asked for page ``page`` of a text: ``(parts to keep, new parts)`` (the
        page's text and the next marker, if any), or None (not ours, or asked already)."""
        text = self._texts.get(region_id)
        if text is None or page != len(text.ends):
            return None
        start = text.ends[-1] if text.ends else 0
        whole = text.read()
        end = _page_end(whole, start)
        text.ends.append(end)
        parts = [_page(whole[start:end])]
        if end < len(whole):
            parts.append(self._marker(region_id, text, page + 1))
        return page, parts

    def whole(self, region_id: str, budget: Budget) -> list[str] | None:
        """The whole text as parts for a static picture, or a note once the budget is
        spent; None: not one of ours."""
        text = self._texts.get(region_id)
        if text is None:
            return None
        if not budget.take(text.length):
            return [
                f'<span class="ss-fulltext-note">not carried in this page (it carries '
                f"{fmt_int(budget.total)} characters of whole texts at most): the whole "
                f"text is in {budget.where}</span>"
            ]
        whole = text.read()
        parts = []
        start = 0
        while start < len(whole):
            end = _page_end(whole, start)
            parts.append(_page(whole[start:end]))
            start = end
        return parts

    @staticmethod
    def _marker(region_id: str, text: _Text, page: int) -> str:
        start = text.ends[-1] if text.ends else 0
        return (
            f'<span class="ss-more" role="status" data-ss-more="{e(region_id)}" '
            f'data-ss-page="{page}">… loading characters {fmt_int(start + 1)}–'
            f"{fmt_int(min(start + PAGE, text.length))} of {fmt_int(text.length)}</span>"
        )
