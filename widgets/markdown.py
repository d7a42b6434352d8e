"""A small, safe Markdown renderer for assistant text in the static HTML.

Model text is untrusted. The whole input is HTML-escaped first (``html.escape`` with
``quote=True``); Markdown is then recognised on the escaped text, so every ``<``, ``>``,
``"`` and ``'`` in the output outside our own tags is an entity and raw HTML never passes
through. Our tags carry only fixed attributes, except ``href`` (http, https and mailto only,
checked after removing the control characters and whitespace a browser would drop) and a
code block's language class (reduced to ``[a-z0-9-]``). Images are never loaded: their alt
text and URL are shown as text.

Supported: paragraphs (a single newline is a line break), ATX headings, emphasis, strong,
strikethrough, inline code, fenced code blocks, bullet and numbered lists (nested by
indentation), blockquotes, horizontal rules, GFM tables, links ``[text](url)`` and
autolinks (``<https://...>`` and bare ``https://...``).
"""

from __future__ import annotations

import html
import re

__all__ = ["is_safe_url", "markdown_to_html"]

_LINK_ATTRS = 'rel="noopener noreferrer nofollow" target="_blank"'
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
# C0 controls, space and DEL: browsers strip or ignore them inside a URL (java\tscript:).
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


def _clean_url(url: str) -> str:
    return _URL_JUNK.sub("", url)


def is_safe_url(url: str) -> bool:
    """True when ``url`` (raw, not HTML-escaped) is an http(s) or mailto URL."""
    cleaned = _clean_url(url).lower()
    return (
        cleaned.startswith(_SAFE_SCHEMES)
        and len(cleaned) > len("mailto:")
        # Harmless after an http(s) scheme, but no href we write ever contains it.
        and "javascript:" not in cleaned
    )


def _href(raw_url: str) -> str | None:
    """The escaped ``href`` value for a raw URL, or None if the URL is not allowed."""
    if not is_safe_url(raw_url):
        return None
    return html.escape(_clean_url(raw_url), quote=True)


# ---------------------------------------------------------------------------- inline

_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_BACKSLASH = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~])")
_LABEL = r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
_DEST = r"\(\s*((?:[^\s()]|\([^\s()]*\))*)(?:\s+&quot;([^\n]*?)&quot;)?\s*\)"
_IMAGE = re.compile(r"!" + _LABEL + _DEST)
_LINK = re.compile(_LABEL + _DEST)
_ANGLE_AUTOLINK = re.compile(r"&lt;((?:https?://|mailto:)(?:(?!&gt;|&lt;)[^\s\x00])+)&gt;", re.I)
_BARE_URL = re.compile(r"(?<![\w/=\x00])https?://(?:(?!&lt;|&gt;|&quot;|&#x27;)[^\s\x00])+", re.I)
# Emphasis content never contains its own delimiter: a lone opener then fails at the next
# delimiter instead of scanning to the end (unclosed "**" repeated was quadratic: 1.3 s/20 KB).
_STRONG = re.compile(
    r"\*\*(?=[^\s*])((?:(?!\*\*).)+?)(?<=[^\s*])\*\*"
    r"|(?<!\w)__(?=[^\s_])((?:(?!__).)+?)(?<=[^\s_])__(?!\w)",
    re.DOTALL,
)
_EM = re.compile(r"\*(?=[^\s*])([^*]+?)(?<=[^\s*])\*|(?<!\w)_(?=[^\s_])([^_]+?)(?<=[^\s_])_(?!\w)")
_STRIKE = re.compile(r"~~(?=[^\s~])((?:(?!~~).)+?)(?<=[^\s~])~~", re.DOTALL)
_TRAILING_PUNCT = ".,;:!?*_~'\""


class _Inline:
    """Inline Markdown on escaped text; finished fragments wait in a stash as placeholders."""

    def __init__(self) -> None:
        self._stash: list[str] = []

    def _keep(self, fragment: str) -> str:
        self._stash.append(fragment)
        return f"\x00{len(self._stash) - 1}\x00"

    def render(self, escaped: str) -> str:
        """Inline HTML for one run of escaped text (a paragraph, heading or cell)."""
        text = self.spans(escaped)
        return self.restore(text.replace("\n", "<br>"))

    def restore(self, text: str) -> str:
        def put_back(match: re.Match[str]) -> str:
            return self.restore(self._stash[int(match.group(1))])

        return _PLACEHOLDER.sub(put_back, text)

    def spans(self, text: str, *, links: bool = True) -> str:
        if "\\`" in text:  # an escaped backtick opens no code span
            text = text.replace("\\`", self._keep("`"))
        text = _CODE_SPAN.sub(lambda m: self._keep(_code_span(m.group(2))), text)
        text = _BACKSLASH.sub(lambda m: self._keep(m.group(1)), text)
        text = _IMAGE.sub(lambda m: self._keep(self._image(m)), text)
        if links:
            text = _LINK.sub(lambda m: self._keep(self._link(m)), text)
            text = _ANGLE_AUTOLINK.sub(lambda m: self._keep(self._autolink(m.group(1))), text)
            text = _BARE_URL.sub(self._bare_url, text)
        text = _sub_rec(_STRONG, "strong", text)
        text = _sub_rec(_EM, "em", text)
        return _sub_rec(_STRIKE, "del", text)

    def _image(self, match: re.Match[str]) -> str:
        alt, url = match.group(1), match.group(2)
        label = f"[image: {alt}]" if alt else "[image]"
        return (
            f'<span class="ss-image-ref"><span class="ss-image-alt">{label}</span> '
            f'<span class="ss-image-url">{url}</span></span>'
        )

    def _link(self, match: re.Match[str]) -> str:
        label, url, title = match.group(1), match.group(2), match.group(3)
        href = _href(html.unescape(url))
        if href is None:
            # Not a link: show what the model wrote, as text.
            return f'<span class="ss-link-text">{match.group(0)}</span>'
        inner = self.spans(label, links=False)
        # The title is escaped text; a placeholder in it would put our own markup (with its
        # quotes) inside the attribute, so such a title is dropped.
        title_attr = f' title="{title}"' if title and "\x00" not in title else ""
        return f'<a href="{href}"{title_attr} {_LINK_ATTRS}>{inner}</a>'

    def _autolink(self, escaped_url: str) -> str:
        href = _href(html.unescape(escaped_url))
        if href is None:
            return f"&lt;{escaped_url}&gt;"
        return f'<a href="{href}" {_LINK_ATTRS}>{escaped_url}</a>'

    def _bare_url(self, match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING_PUNCT:
            url, tail = url[:-1], url[-1] + tail
        if url.endswith(")") and url.count("(") < url.count(")"):
            url, tail = url[:-1], ")" + tail
        return self._keep(self._autolink(url)) + tail


def _code_span(content: str) -> str:
    if content.startswith(" ") and content.endswith(" ") and content.strip():
        content = content[1:-1]
    return f'<code class="ss-code-inline">{content}</code>'


def _sub_rec(pattern: re.Pattern[str], tag: str, text: str) -> str:
    def wrap(match: re.Match[str]) -> str:
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        return f"<{tag}>{_sub_rec(pattern, tag, inner)}</{tag}>"

    return pattern.sub(wrap, text)


# ---------------------------------------------------------------------------- blocks

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}&gt; ?(.*)$")
_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)")
_MAX_NESTING = 16
"""Nested lists and quotes deeper than this render as text (no recursion blow-up)."""
_TABLE_SEP = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


def _indent(line: str) -> int:
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def _dedent(line: str, amount: int) -> str:
    """Remove up to ``amount`` columns of leading whitespace."""
    width = 0
    cut = 0
    for char in line:
        if width >= amount or char not in " \t":
            break
        width += 1 if char == " " else 4 - width % 4
        cut += 1
    return line[cut:]


def _language(info: str) -> str:
    words = html.unescape(info).strip().split()
    if not words:
        return ""
    return re.sub(r"[^a-z0-9-]", "", words[0].lower())[:40]


def _split_row(line: str) -> list[str]:
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells = re.split(r"(?<!\\)\|", row)
    return [cell.strip() for cell in cells]


class _Blocks:
    """Block structure of escaped Markdown lines; inline runs go to an :class:`_Inline`."""

    def __init__(self, inline: _Inline, heading_offset: int = 0) -> None:
        self.inline = inline
        self.heading_offset = heading_offset

    def render(self, lines: list[str], *, tight: bool = False, depth: int = 0) -> list[str]:
        out: list[str] = []
        nested = depth < _MAX_NESTING  # deeper than this, quotes and lists are plain text
        i = 0
        n = len(lines)
        while i < n:
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            fence = _FENCE.match(line)
            if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
                i = self._code_block(lines, i, fence, out)
                continue
            heading = _HEADING.match(line)
            if heading:
                level = len(heading.group(1))
                tag = f"h{min(6, level + self.heading_offset)}"
                content = self.inline.render(heading.group(2) or "")
                out.append(f'<{tag} class="ss-md-h" data-level="{level}">{content}</{tag}>')
                i += 1
                continue
            if _HR.match(line):
                out.append("<hr>")
                i += 1
                continue
            if nested and _QUOTE.match(line):
                i = self._quote(lines, i, out, depth)
                continue
            if nested and _ITEM.match(line) and _indent(line) < 4:
                i = self._list(lines, i, out, depth)
                continue
            if "|" in line and i + 1 < n and _TABLE_SEP.match(lines[i + 1]) and "|" in lines[i + 1]:
                i = self._table(lines, i, out)
                continue
            i = self._paragraph(lines, i, out, tight)
        return out

    def _starts_block(self, line: str) -> bool:
        return bool(
            (_FENCE.match(line))
            or _HEADING.match(line)
            or _HR.match(line)
            or _QUOTE.match(line)
            or (_ITEM.match(line) and _indent(line) < 4)
        )

    def _paragraph(self, lines: list[str], i: int, out: list[str], tight: bool) -> int:
        para: list[str] = []
        while i < len(lines) and lines[i].strip():
            if para and self._starts_block(lines[i]):
                break
            para.append(lines[i].strip())
            i += 1
        content = self.inline.render("\n".join(para))
        out.append(content if tight else f"<p>{content}</p>")
        return i

    def _code_block(self, lines: list[str], i: int, fence: re.Match[str], out: list[str]) -> int:
        marker = fence.group(1)
        opener_indent = _indent(lines[i])
        language = _language(fence.group(2))
        body: list[str] = []
        i += 1
        closing = re.compile(r"^ {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}\s*$")
        while i < len(lines) and not closing.match(lines[i]):
            body.append(_dedent(lines[i], opener_indent))
            i += 1
        i += 1  # the closing fence (or past the end)
        attrs = f' class="language-{language}" data-lang="{language}"' if language else ""
        code = "\n".join(body)
        out.append(f'<pre class="ss-code"><code{attrs}>{code}</code></pre>')
        return i

    def _quote(self, lines: list[str], i: int, out: list[str], depth: int) -> int:
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            match = _QUOTE.match(lines[i])
            if match:
                body.append(match.group(1))
            elif body and not self._starts_block(lines[i]):
                body.append(lines[i])  # lazy continuation
            else:
                break
            i += 1
        inner = "\n".join(self.render(body, depth=depth + 1))
        out.append(f"<blockquote>\n{inner}\n</blockquote>")
        return i

    def _list(self, lines: list[str], i: int, out: list[str], depth: int) -> int:
        first = _ITEM.match(lines[i])
        assert first is not None
        base = len(first.group(1))
        ordered = first.group(2)[0].isdigit()
        delimiter = first.group(2)[-1]  # '-', '*', '+', '.' or ')': a change starts a new list
        items: list[list[str]] = []
        loose = False
        n = len(lines)
        while i < n:
            match = _ITEM.match(lines[i])
            if match is None or len(match.group(1)) != base or match.group(2)[-1] != delimiter:
                break
            content_offset = base + len(match.group(2)) + 1
            item = [match.group(3) or ""]
            i += 1
            while i < n:
                line = lines[i]
                if not line.strip():
                    # A blank line: the item goes on if the next text is indented into it.
                    j = i
                    while j < n and not lines[j].strip():
                        j += 1
                    if j < n and _indent(lines[j]) > base:
                        item.extend([""] * (j - i))
                        loose = True
                        i = j
                        continue
                    break
                indent = _indent(line)
                if indent > base:
                    item.append(_dedent(line, min(indent, content_offset)))
                elif _ITEM.match(line) or self._starts_block(line):
                    break
                else:
                    item.append(line.strip())  # lazy continuation of the paragraph
                i += 1
            items.append(item)
            # A blank line between two items makes the list loose.
            if i < n and not lines[i].strip():
                j = i
                while j < n and not lines[j].strip():
                    j += 1
                follow = _ITEM.match(lines[j]) if j < n else None
                if follow and len(follow.group(1)) == base and follow.group(2)[-1] == delimiter:
                    loose = True
                    i = j
                    continue
                break
        tag = "ol" if ordered else "ul"
        start = ""
        if ordered:
            number = int(first.group(2)[:-1])
            if number != 1:
                start = f' start="{number}"'
        rendered = []
        for item in items:
            inner = "\n".join(self.render(item, tight=not loose, depth=depth + 1))
            rendered.append(f"<li>{inner}</li>")
        out.append(f"<{tag}{start}>\n" + "\n".join(rendered) + f"\n</{tag}>")
        return i

    def _table(self, lines: list[str], i: int, out: list[str]) -> int:
        header = _split_row(lines[i])
        aligns = []
        for cell in _split_row(lines[i + 1]):
            left, right = cell.startswith(":"), cell.endswith(":")
            aligns.append("center" if left and right else "right" if right else "left")
        i += 2
        rows: list[list[str]] = []
        while i < len(lines) and lines[i].strip() and "|" in lines[i]:
            rows.append(_split_row(lines[i]))
            i += 1
        width = len(header)

        def cells(row: list[str], tag: str) -> str:
            row = (row + [""] * width)[:width]
            parts = []
            for cell, align in zip(row, aligns + ["left"] * width, strict=False):
                style = f' style="text-align:{align}"' if align != "left" else ""
                parts.append(f"<{tag}{style}>{self.inline.render(cell)}</{tag}>")
            return "<tr>" + "".join(parts) + "</tr>"

        body = "\n".join(cells(row, "td") for row in rows)
        out.append(
            '<div class="ss-table-wrap"><table>\n<thead>'
            + cells(header, "th")
            + "</thead>\n<tbody>\n"
            + body
            + "\n</tbody>\n</table></div>"
        )
        return i


def markdown_to_html(text: str, *, heading_offset: int = 0) -> str:
    """Assistant Markdown as safe HTML (see the module docstring for what is supported).

    ``heading_offset`` demotes headings (``# x`` becomes ``<h3>`` with 2, never below
    ``<h6>``) so a reply's title does not dwarf the notebook around it; ``data-level`` keeps
    the Markdown level.
    """
    # NUL marks our placeholders; the model cannot have a use for it in text.
    text = text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
    escaped = html.escape(text, quote=True)
    inline = _Inline()
    return "\n".join(_Blocks(inline, heading_offset).render(escaped.split("\n")))
