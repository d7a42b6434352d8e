"""The few helpers every renderer module writes markup with: escaping and small elements.

Every string that came from the model or the wire goes through :func:`e` (``html.escape``
with quotes) before it is put in markup; :func:`link` makes a link only for http(s) and
mailto URLs. Labels, separators and units are text, so a picture stripped of its styles
(an untrusted notebook, GitHub) still reads well.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from streamscope.widgets.render.markdown import is_safe_url

__all__ = ["NO_MATH", "SEP", "attr", "e", "json_text", "link", "pre", "section_title"]

NO_MATH = "tex2jax_ignore mathjax_ignore"
"""Classes that keep MathJax away: notebooks typeset ``$…$`` in outputs, and every price
("input $0.01 · output $0.02") or dollar sign in a model's text would become TeX."""

SEP = " · "
"""The separator between figures in a line: a middle dot, as text (no markup: it is sent
with every figure that changes)."""

_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")


def e(value: object) -> str:
    """Escaped text of anything (None is the empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


def attr(name: str, value: object) -> str:
    """`` name="value"`` escaped (nothing for None)."""
    return "" if value is None else f' {name}="{e(value)}"'


def link(url: object, text: str) -> str:
    """A link when ``url`` is http(s)/mailto; the text alone otherwise."""
    if isinstance(url, str) and is_safe_url(url.strip()):
        href = e(_URL_JUNK.sub("", url))
        return f'<a href="{href}" target="_blank">{e(text)}</a>'
    return f'<span class="ss-link-text">{e(text)}</span>'


def section_title(text: str, level: str = "ss-final-title") -> str:
    """A panel section's title (a ``<div>``: chrome never enters a notebook's headings)."""
    return f'<div class="{level}">{e(text)}</div>'


def json_text(value: Any, indent: int | None = 2) -> str:
    """``value`` as JSON text, never raising (odd values as their ``repr``)."""
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, default=str)
    except RecursionError:
        return "(nested too deeply to show here)"
    except (TypeError, ValueError):
        try:
            return repr(value)
        except RecursionError:
            return "(nested too deeply to show here)"


def pre(escaped: str, cls: str, extra: str = "") -> str:
    """A ``<pre>`` of already escaped text, focusable (it may scroll); a leading newline
    survives (the HTML parser drops the first newline after ``<pre>``, so one more is
    written)."""
    lead = "\n" if escaped.startswith("\n") else ""
    # a scroll box (max-height, overflow): focusable, so it scrolls by keyboard too
    return f'<pre class="{cls}" tabindex="0"{extra}>{lead}{escaped}</pre>'
