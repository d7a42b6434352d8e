"""The text a reader sees in a Markdown answer: what an answer diff compares.

Two answers that say the same thing with different ``**`` or table pipes read the same, so
their diff should not mark the markup. :func:`reading_text` walks markdown-it-py's tokens
(CommonMark, GFM tables and strikethrough, raw HTML as text: the renderer's dialect) and
keeps the words: paragraphs and headings as lines, list items with their bullet or number,
table rows as lines with a tab between cells, code as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["READING_LIMIT", "reading_text"]

READING_LIMIT: Final = 200_000
"""Characters above which an answer is compared as written (parsing it would dominate)."""

_MD: Final = MarkdownIt("commonmark", {"html": False, "maxNesting": 40}).enable(
    ["table", "strikethrough"]
)
_BLANK_LINES: Final = re.compile(r"\n{3,}")


def _inline(children: Sequence[Token] | None) -> str:
    out: list[str] = []
    for token in children or ():
        if token.type in ("text", "code_inline", "html_inline"):
            out.append(token.content)
        elif token.type == "softbreak":
            out.append(" ")  # a page joins the lines of a paragraph
        elif token.type == "hardbreak":
            out.append("\n")
        elif token.type == "image":
            out.append(_inline(token.children))
    return "".join(out)


def reading_text(source: str) -> str:
    """``source`` (Markdown) as the words a reader of its rendered page sees, in order."""
    if len(source) > READING_LIMIT:
        return source
    out: list[str] = []
    lists: list[int | None] = []  # per open list: the next number, None for bullets
    first_cell = True
    for token in _MD.parse(source):
        kind = token.type
        if kind == "inline":
            out.append(_inline(token.children))
        elif kind in ("paragraph_close", "heading_close"):
            out.append("\n" if token.hidden else "\n\n")
        elif kind in ("fence", "code_block"):
            out.append(token.content + "\n")
        elif kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            start = token.attrGet("start")
            lists.append(int(start) if isinstance(start, (int, str)) else 1)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            out.append("\n")
        elif kind == "list_item_open":
            number = lists[-1] if lists else None
            out.append("  " * (len(lists) - 1) + ("• " if number is None else f"{number}. "))
            if number is not None:
                lists[-1] = number + 1
        elif kind == "tr_open":
            first_cell = True
        elif kind in ("th_open", "td_open"):
            out.append("" if first_cell else "\t")
            first_cell = False
        elif kind == "tr_close" or kind in ("table_close", "hr"):
            out.append("\n")
    return _BLANK_LINES.sub("\n\n", "".join(out)).strip()
