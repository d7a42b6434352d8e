"""Static pages: a picture as a notebook's ``text/html`` fragment or a standalone HTML file.

The fragment is the expanded region tree inside ``<div class="ss-static">`` with the views'
stylesheet scoped to it (so it cannot restyle the rest of a notebook); the standalone
document adds a Content-Security-Policy that forbids scripts outright. Neither carries a
script: GitHub, nbviewer, VS Code and a notebook reopened without a kernel show it as is.
"""

from __future__ import annotations

import functools
import re

from streamscope.widgets._static import read_css
from streamscope.widgets.render.markup import NO_MATH, e

__all__ = ["scope_css", "standalone_document", "static_fragment", "stylesheet"]

SCOPE = ".ss-static"

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def scope_css(css: str, scope: str = SCOPE) -> str:
    """Prefix every selector with ``scope`` so the rules touch nothing else on the page.

    ``:root``, ``:host``, ``html`` and ``body`` become ``scope``; ``@media``, ``@supports``,
    ``@container`` and ``@layer`` blocks are scoped inside; other at-rules stay as they are.
    """
    css = _CSS_COMMENT.sub("", css)
    out: list[str] = []
    i, n = 0, len(css)
    while i < n:
        brace = css.find("{", i)
        semi = css.find(";", i)
        if brace == -1:
            break
        if semi != -1 and semi < brace and css[i:semi].strip().startswith("@"):
            out.append(css[i : semi + 1].strip())
            i = semi + 1
            continue
        prelude = css[i:brace].strip()
        end = _matching_brace(css, brace)
        body = css[brace + 1 : end]
        if prelude.startswith("@"):
            if re.match(r"@(media|supports|container|layer)\b", prelude):
                out.append(f"{prelude} {{\n{scope_css(body, scope)}\n}}")
            else:
                out.append(f"{prelude} {{{body}}}")
        else:
            selectors = ", ".join(_scope_selector(s.strip(), scope) for s in _selectors(prelude))
            out.append(f"{selectors} {{{body.strip()}}}")
        i = end + 1
    return "\n".join(out)


def _matching_brace(css: str, start: int) -> int:
    depth = 0
    for j in range(start, len(css)):
        if css[j] == "{":
            depth += 1
        elif css[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(css)


def _selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside ``:is(a, b)``,
    ``:not(...)``, attribute values or strings)."""
    out: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(prelude):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            out.append(prelude[start:i])
            start = i + 1
    out.append(prelude[start:])
    return out


def _scope_selector(selector: str, scope: str) -> str:
    if not selector:
        return selector
    for root in (":root", ":host", "html", "body"):
        if selector == root:
            return scope
        if selector.startswith(root + " "):
            return scope + selector[len(root) :]
    return f"{scope} {selector}"


STYLE_FILES = ("theme.css", "view.css", "conversation.css", "compare.css", "bench.css")
"""The views' stylesheets, in order: the live views' and the static pictures' alike."""


@functools.lru_cache(maxsize=1)
def stylesheet() -> str:
    """The views' stylesheet (:data:`STYLE_FILES`) scoped to ``.ss-static``."""
    css = read_css(*STYLE_FILES)
    return scope_css(css).replace("</", "<\\/")


def static_fragment(body: str) -> str:
    """A notebook ``text/html`` fragment: the picture with its scoped stylesheet."""
    return f'<div class="ss-static {NO_MATH}"><style>{stylesheet()}</style>{body}</div>'


def standalone_document(body: str, title: str) -> str:
    """A whole HTML document (UTF-8, CSP without scripts, light colours)."""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        '<meta name="generator" content="streamscope">'
        f"<title>{e(title)}</title>"
        "<style>body{margin:0;padding:16px;background:#fff;color:#1f2328}</style>"
        f"</head>\n<body>\n{static_fragment(body)}\n</body></html>\n"
    )
