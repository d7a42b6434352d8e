"""Checks that generated HTML is inert: only allowed tags and attributes, safe URLs.

Parsing (not substring search) is what makes these checks meaningful: escaped hostile text
legitimately contains ``onerror=`` and ``javascript:`` *as text*, and an attribute value may
too (a ``title`` holding an escaped signature); what must never exist is a tag or attribute
built from it.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MARKDOWN_TAGS = frozenset(
    {
        "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
        "ul", "ol", "li", "blockquote", "hr", "a", "span", "table", "thead", "tbody", "tr",
        "th", "td", "div",
    }
)  # fmt: skip
VIEW_TAGS = MARKDOWN_TAGS | frozenset(
    {
        "section", "header", "aside", "details", "summary", "dl", "dt", "dd", "q", "cite",
        "style", "svg", "g", "rect", "line", "text", "title", "figure", "figcaption", "b",
        "mark",
    }
)  # fmt: skip
DOCUMENT_TAGS = VIEW_TAGS | frozenset({"html", "head", "body", "meta"})
SAFE_ATTRS = frozenset(
    {
        "class", "href", "rel", "target", "title", "open", "start", "style", "lang",
        "role", "aria-label", "id", "scope", "focusable", "type", "disabled", "value", "tabindex",
        "selected", "placeholder", "rows", "spellcheck", "fill-opacity",
        # svg
        "xmlns", "viewbox", "preserveaspectratio", "width", "height", "x", "y", "x1", "x2",
        "y1", "y2", "rx", "fill", "stroke", "stroke-opacity", "text-anchor", "font-size",
        "transform",
        # document head
        "charset", "http-equiv", "content", "name",
    }
)  # fmt: skip
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
_RAW_TAG = re.compile(r"<[A-Za-z][^>]*>")
_QUOTED = re.compile(r'"[^"]*"')
_EVENT_ATTR = re.compile(r"\son[a-z]+\s*=", re.I)


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag == "style":
            self._skip += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(markup: str) -> tuple[list[tuple[str, list[tuple[str, str | None]]]], str]:
    """Tags (with attributes) and the visible text of ``markup``."""
    parser = _Parsed()
    parser.feed(markup)
    parser.close()
    return parser.tags, "".join(parser.text)


def visible_text(markup: str) -> str:
    return parse(markup)[1]


def assert_inert(markup: str, allowed_tags: frozenset[str] = MARKDOWN_TAGS) -> None:
    """Fail unless ``markup`` can run nothing and load nothing."""
    assert "<script" not in markup.lower()
    for raw in _RAW_TAG.findall(markup):
        # Outside quoted values, a tag has no event handler attribute.
        assert not _EVENT_ATTR.search(_QUOTED.sub('""', raw)), raw
    tags, _ = parse(markup)
    for tag, attrs in tags:
        assert tag in allowed_tags, f"unexpected <{tag}>"
        for name, value in attrs:
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            assert name in SAFE_ATTRS or name.startswith(("data-", "aria-")), (
                f"attribute {name} on <{tag}>"
            )
            cleaned = _URL_JUNK.sub("", html.unescape(value or "")).lower()
            if name == "href":
                assert cleaned.startswith(("http://", "https://", "mailto:", "#")), value
            if name == "style":
                assert "url(" not in cleaned and "expression" not in cleaned, value
            if name in ("href", "style", "content", "class", "rel", "target"):
                assert "javascript:" not in cleaned, f"{name}={value!r} on <{tag}>"
            if name == "rel":
                assert value == "noopener noreferrer nofollow"
            if name == "target":
                assert value == "_blank"


def hrefs(markup: str) -> list[str]:
    tags, _ = parse(markup)
    return [v or "" for tag, attrs in tags if tag == "a" for k, v in attrs if k == "href"]


class Node:
    """A parsed element: tag, attributes, children and text (a tiny DOM for assertions)."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node] = []
        self.parts: list[str | Node] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def iter(self) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            out.append(child)
            out.extend(child.iter())
        return out

    def select(self, cls: str | None = None, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with class ``cls``, tag ``tag`` and attributes (``data_index`` means
        ``data-index``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (cls is None or cls in n.classes)
            and (tag is None or n.tag == tag)
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, cls: str | None = None, tag: str | None = None, **attrs: str) -> Node:
        found = self.select(cls, tag, **attrs)
        assert len(found) == 1, f"{len(found)} elements match {cls!r} {tag!r} {attrs!r}"
        return found[0]

    def ancestors(self) -> list[Node]:
        out = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out


_VOID = frozenset({"br", "hr", "meta", "img", "input", "link", "area", "base", "col", "wbr"})


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        self.current.parts.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        self.current.parts.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        if self.current.tag != "style":
            self.current.parts.append(data)


def tree(markup: str) -> Node:
    """The element tree of well-formed markup (fails on a mismatched end tag)."""
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    assert builder.current is builder.root, f"<{builder.current.tag}> never closed"
    return builder.root
