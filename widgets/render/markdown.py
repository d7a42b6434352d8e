"""Assistant text as HTML: markdown-it-py, configured once, rendered one top-level block at a time.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.markdown``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "MAX_NESTING",
    "OPEN_BLOCK_GROWTH",
    "OPEN_BLOCK_LIMIT",
    "MarkdownStream",
    "is_safe_url",
    "render_markdown",
]

MAX_NESTING = 40
"""markdown-it's nesting limit (CommonMark preset: 20). Deeper blocks show as source text."""
HEADING_OFFSET = 2
"""``# Title`` in a reply becomes ``<h3>``."""
OPEN_BLOCK_LIMIT = 4096
"""Characters of open block re-parsed every frame. A longer open block (one huge paragraph
of unlucky text) is re-parsed only when it has grown by :data:`OPEN_BLOCK_GROWTH` since
its last parse, so the parsing a stream costs stays linear in its length (measured: 40 KB
of ``[`` streamed cost 43 s of parsing re-parsed every frame); what arrived since shows
as plain text meanwhile, and the final render is exact."""
OPEN_BLOCK_GROWTH = 1.25

_SAFE_SCHEMES = ("http://", "https://", "mailto:")
# C0 controls, space and DEL: browsers drop them inside a URL (java\tscript:).
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")


def is_safe_url(url: str) -> bool:
    """True when ``url`` is an http(s) or mailto URL (after dropping what a browser drops)."""
    cleaned = _URL_JUNK.sub("", url).lower()
    return cleaned.startswith(_SAFE_SCHEMES) and len(cleaned) > len("mailto:")


def _render_image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    src = str(token.attrGet("src") or "")
    label = html.escape(f"image: {alt}")
    return f'<a class="ss-md-image" href="{html.escape(src)}" target="_blank">{label}</a>'


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[idx].attrSet("target", "_blank")
    return renderer.renderToken(tokens, idx, options, env)


def _render_table_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return '<div class="ss-table-wrap">' + renderer.renderToken(tokens, idx, options, env)


def _render_table_close(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return renderer.renderToken(tokens, idx, options, env) + "</div>"


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    md.add_render_rule("image", _render_image)
    md.add_render_rule("link_open", _render_link_open)
    md.add_render_rule("table_open", _render_table_open)
    md.add_render_rule("table_close", _render_table_close)
    return md


_MD = _make_parser()


def _shift_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_OFFSET)}"


def _too_deep(group: Sequence[Token]) -> bool:
    return any(token.level >= MAX_NESTING - 1 for token in group)


def _groups(tokens: list[Token]) -> list[list[Token]]:
    """Split a token stream into its top-level blocks (one group per level-0 block)."""
    groups: list[list[Token]] = []
    for token in tokens:
        if token.level == 0 and (token.nesting == 1 or (token.nesting == 0 and token.block)):
            groups.append([token])
        elif groups:
            groups[-1].append(token)
        else:
            groups.append([token])
    return groups


def _line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def _render_group(group: list[Token], source: str, env: dict[str, Any]) -> str:
    """One top-level block as one HTML element (its source text when nested too deep)."""
    if _too_deep(group):
        return f'<pre class="ss-md-source">{html.escape(source, quote=False)}</pre>'
    _shift_headings(group)
    html_text: str = _MD.renderer.render(group, _MD.options, env)
    # code blocks and tables scroll sideways: focusable, so they scroll by keyboard too
    html_text = html_text.replace("<pre>", '<pre tabindex="0">').replace(
        '<div class="ss-table-wrap">', '<div class="ss-table-wrap" tabindex="0">'
    )
    return html_text.strip("\n")


def _source_of(group: list[Token], text: str, starts: list[int]) -> str:
    span = group[0].map
    if span is None:
        return text
    begin = starts[span[0]] if span[0] < len(starts) else len(text)
    end = starts[span[1]] if span[1] < len(starts) else len(text)
    return text[begin:end]


_OPEN_ENDS = ("</code></pre>", "</p>")


def _with_pending(parts: list[str], pending: str) -> list[str]:
    """The open block's parts with text not parsed yet: inside its paragraph or code block
    (where the next parse will put it, so that splice stays small), else after it."""
    if parts:
        last = parts[-1]
        for end in _OPEN_ENDS:
            if last.endswith(end):
                return [*parts[:-1], f"{last[: -len(end)]}{pending}{end}"]
    return [*parts, f'<p class="ss-md-pending">{pending}</p>']


def render_markdown(text: str) -> list[str]:
    """The whole text as HTML, one string per top-level block (empty list for no blocks)."""
    env: dict[str, Any] = {}
    tokens = _MD.parse(text, env)
    starts = _line_starts(text)
    return [_render_group(g, _source_of(g, text, starts), env) for g in _groups(tokens)]


class MarkdownStream:
    """The HTML of a growing text, one string per top-level block; see the module docstring.

    Call :meth:`parts` with the whole text so far (each call may only append to the last);
    ``final=True`` once the text is complete.
    """

    __slots__ = ("_env", "_frozen", "_frozen_chars", "_last", "_length", "_open", "_parsed")

    def __init__(self) -> None:
        self._frozen: list[str] = []
        self._frozen_chars = 0
        self._env: dict[str, Any] = {}
        self._last: list[str] = []
        self._length = -1
        self._open: list[str] = []  # the rendered parts after the frozen ones
        self._parsed = 0  # characters after the frozen ones at the last parse

    def parts(self, text: str, *, final: bool = False) -> list[str]:
        if final:
            if self._length != -2:
                self._last = render_markdown(text)
                self._frozen, self._frozen_chars, self._length = [], 0, -2
            return self._last
        if len(text) == self._length:
            return self._last
        self._length = len(text)
        tail = text[self._frozen_chars :]
        if self._parsed > OPEN_BLOCK_LIMIT and len(tail) < self._parsed * OPEN_BLOCK_GROWTH:
            pending = html.escape(tail[self._parsed :], quote=False)
            self._last = [*self._frozen, *_with_pending(self._open, pending)]
            return self._last
        self._parsed = len(tail)
        tokens = _MD.parse(tail, self._env)
        starts = _line_starts(tail)
        groups = _groups(tokens)
        # Freeze every block before the last blank-line gap between two blocks: text
        # appended later cannot reach back across a blank line into a finished block.
        freeze = 0
        for j in range(len(groups) - 1, 0, -1):
            before, after = groups[j - 1][0].map, groups[j][0].map
            if before is not None and after is not None and before[1] < after[0]:
                freeze = j
                break
        rendered = [_render_group(g, _source_of(g, tail, starts), self._env) for g in groups]
        if freeze:
            self._frozen.extend(rendered[:freeze])
            first_open = groups[freeze][0].map
            if first_open is not None:
                self._frozen_chars += starts[first_open[0]]
                self._parsed -= starts[first_open[0]]
        self._open = rendered[freeze:]
        self._last = [*self._frozen, *self._open]
        return self._last
