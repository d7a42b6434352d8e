"""Static HTML of a stream snapshot: the notebook's ``text/html`` fallback and the HTML export.

:func:`render_html` draws the dict of :func:`streamscope.widgets.snapshot` with the
DOM of the live view (notes/dom-contract.md; same elements and classes as
``static/view.js``), so the live view's stylesheet ``static/view.css``, read at render time,
applies unchanged; ``static/static.css`` adds the few rules only the static picture needs
(collapsible tree branches, the timeline's grid and legend). The output never contains a
script: GitHub, nbviewer and a saved file show it as it is.

Every string that came from the model or the wire (text, thinking, signatures, tool names,
ids, arguments, results, citations, stop details, problems, errors, even block types) is
escaped with ``html.escape(..., quote=True)``; Markdown goes through the safe renderer of
:mod:`streamscope.widgets.markdown`; links are made only for http(s) and mailto URLs. A
standalone document also carries a Content-Security-Policy that forbids scripts outright.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from streamscope.widgets._static import read_css
from streamscope.widgets.markdown import is_safe_url, markdown_to_html

__all__ = ["export_html", "json_pointer", "render_html", "scope_css", "stylesheet"]

TREE_LIMIT = 16_000
"""Tool arguments longer than this (characters of JSON) get no tree in the static picture
and only a preview in the final panel: the lane's raw JSON keeps every byte."""
CALL_PREVIEW = 2_000

_KINDS = ("text", "thinking", "redacted_thinking", "tool", "other")
_KIND_LABELS = {
    "text": "text",
    "thinking": "thinking",
    "redacted_thinking": "redacted thinking",
    "tool": "tool call",
    "other": "other block",
}
# Fallback fills for the timeline; view.css colours bars through --ss-kind when present.
_KIND_COLOURS = {
    "text": "#3b82f6",
    "thinking": "#8b5cf6",
    "redacted_thinking": "#6b7280",
    "tool": "#f59e0b",
    "other": "#14b8a6",
}
_STATUSES = ("waiting", "streaming", "done", "failed", "stopped")
_COLLAPSE_THINKING_AT = 1200
"""Characters of complete thinking above which its ``<details>`` starts closed (as live)."""
_MAX_TREE_DEPTH = 40
_HEADING_OFFSET = 2
"""``# Title`` in a reply becomes ``<h3>``, as in the live view."""
_LINK_ATTRS = 'rel="noopener noreferrer nofollow" target="_blank"'
_USAGE_ROWS = (
    ("input_tokens", "input", False),
    ("cache_creation_input_tokens", "cache write", False),
    ("cache_write_5m_tokens", "of which 5m", True),
    ("cache_write_1h_tokens", "of which 1h", True),
    ("cache_read_input_tokens", "cache read", False),
    ("total_input_tokens", "total input", False),
    ("output_tokens", "output", False),
    ("thinking_tokens", "of which thinking", True),
    ("cache_hit_rate", "cache hit rate", False),
)
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
_SUMMARIZED_HINT = (
    'This thinking block arrived as a signature only (thinking display "omitted"). To see '
    'summarized reasoning, request thinking={"type": "enabled" | "adaptive", …, '
    '"display": "summarized"}.'
)
_DASH = "–"


# ---------------------------------------------------------------------------- helpers


def _e(value: object) -> str:
    """Escaped text of anything (None becomes the empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


def _attr(name: str, value: object) -> str:
    return f' {name}="{_e(value)}"'


def _num(value: object) -> float | None:
    """``value`` as a finite number, else None (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt_int(value: object) -> str:
    number = _num(value)
    return _DASH if number is None else f"{round(number):,}"


def _fmt_seconds(value: object) -> str:
    number = _num(value)
    if number is None:
        return _DASH
    return f"{number:.2f} s" if number < 10 else f"{number:.1f} s"


def _fmt_usd(value: object) -> str:
    number = _num(value)
    if number is None:
        return _DASH
    if number == 0:
        return "$0"
    return f"${number:.6f}" if number < 0.01 else f"${number:.4f}"


def _fmt_bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    return f"{count / 1024:.1f} KB" if count < 1048576 else f"{count / 1048576:.2f} MB"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _pretty(value: Any) -> str:
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _link(url: object, text: str) -> str:
    """A link when ``url`` is http(s)/mailto; otherwise the text alone, never a link."""
    if isinstance(url, str) and is_safe_url(url.strip()):
        href = _e(re.sub(r"[\x00-\x20\x7f]+", "", url))
        return f'<a href="{href}" {_LINK_ATTRS}>{_e(text)}</a>'
    return f'<span class="ss-link-text">{_e(text)}</span>'


def json_pointer(path: Sequence[str | int]) -> str:
    """RFC 6901 pointer of a path (``data-path`` of a tree field, as the live view writes)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# ---------------------------------------------------------------------------- CSS


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def scope_css(css: str, scope: str = ".ss-view") -> str:
    """Prefix every selector with ``scope`` (unless it already starts with it) so the
    rules cannot touch the rest of a notebook page. ``:root``, ``:host``, ``html`` and
    ``body`` become ``scope``; ``@media``/``@supports``/``@container``/``@layer`` blocks are
    scoped inside; other at-rules (``@keyframes``, ``@font-face``) stay as they are.
    """
    css = _CSS_COMMENT.sub("", css)
    out: list[str] = []
    i = 0
    n = len(css)
    while i < n:
        brace = css.find("{", i)
        semi = css.find(";", i)
        if brace == -1:
            break
        if semi != -1 and semi < brace and css[i:semi].strip().startswith("@"):
            out.append(css[i : semi + 1].strip())  # @import / @charset / @layer a, b;
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
            selectors = ", ".join(_scope_selector(s.strip(), scope) for s in prelude.split(","))
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


def _scope_selector(selector: str, scope: str) -> str:
    if not selector:
        return selector
    for root in (":root", ":host", "html", "body"):
        if selector == root:
            return scope
        if selector.startswith(root + " "):
            return scope + selector[len(root) :]
    if selector.startswith(scope) and (
        len(selector) == len(scope) or not re.match(r"[\w-]", selector[len(scope)])
    ):
        return selector
    return f"{scope} {selector}"


def stylesheet() -> str:
    """theme.css, view.css and static.css, scoped to ``.ss-view``, safe inside <style>."""
    css = read_css("theme.css", "view.css", "static.css")
    return scope_css(css).replace("</", "<\\/")


# ---------------------------------------------------------------------------- lanes


def _kind_of(block: Mapping[str, Any]) -> str:
    kind = block.get("kind")
    return kind if isinstance(kind, str) and kind in _KINDS else "other"


def _lane(block: Mapping[str, Any], body: str) -> str:
    kind = _kind_of(block)
    complete = block.get("complete") is True
    bits = []
    if block.get("synthesized"):
        bits.append("no start event")
    if _num(block.get("delta_count")) is not None:
        bits.append(f"{_fmt_int(block.get('delta_count'))} deltas")
    start = _num(block.get("started_at"))
    end = _num(block.get("stopped_at"))
    if end is None:
        end = _num(block.get("last_delta_at"))
    if start is not None and end is not None:
        bits.append(_fmt_seconds(end - start))
    if not complete:
        bits.append("streaming…")
    return (
        '<section class="ss-lane"'
        + _attr("data-index", block.get("index"))
        + _attr("data-kind", kind)
        + _attr("data-type", block.get("type"))
        + _attr("data-complete", "true" if complete else "false")
        + '><div class="ss-lane-head">'
        + f'<span class="ss-lane-index">#{_e(block.get("index"))}</span>'
        + f'<span class="ss-lane-type">{_e(block.get("type"))}</span>'
        + f'<span class="ss-lane-meta">{_e(" · ".join(bits))}</span>'
        + f'</div><div class="ss-lane-body">{body}{_extra_deltas(block)}</div></section>'
    )


def _extra_deltas(block: Mapping[str, Any]) -> str:
    if _kind_of(block) == "other":
        return ""  # a generic lane shows them in its JSON
    extra = _list(block.get("extra_deltas"))
    if not extra:
        return ""
    plural = "s" if len(extra) != 1 else ""
    return (
        f'<details class="ss-extra-deltas"><summary>{len(extra):,} uninterpreted '
        f'delta{plural}</summary><pre class="ss-generic">{_e(_pretty(extra))}</pre></details>'
    )


def _text_body(block: Mapping[str, Any]) -> str:
    text = _str(block.get("text"))
    out = f'<div class="ss-text">{markdown_to_html(text, heading_offset=_HEADING_OFFSET)}</div>'
    citations = [c for c in _list(block.get("citations")) if isinstance(c, dict)]
    if citations:
        items = []
        for cite in citations:
            title = (
                _str(cite.get("title"))
                or _str(cite.get("document_title"))
                or _str(cite.get("url"))
                or _str(cite.get("type"))
                or "source"
            )
            source = (
                _link(cite.get("url"), title)
                if cite.get("url")
                else f'<span class="ss-citation-title">{_e(title)}</span>'
            )
            cited = _str(cite.get("cited_text"))
            quote = f'<q class="ss-cited">{_e(cited)}</q>' if cited else ""
            kind = _attr("data-type", cite.get("type"))
            items.append(f'<li class="ss-citation"{kind}>{source}{quote}</li>')
        out += f'<ol class="ss-citations">{"".join(items)}</ol>'
    return out


def _thinking_body(block: Mapping[str, Any]) -> str:
    thinking = _str(block.get("thinking"))
    signature = _str(block.get("signature"))
    complete = block.get("complete") is True
    omitted = bool(block.get("omitted")) or (complete and bool(signature) and not thinking)
    out = ""
    if not omitted:
        is_open = not (complete and len(thinking) > _COLLAPSE_THINKING_AT)
        out += (
            f'<details class="ss-thinking"{" open" if is_open else ""}>'
            f'<summary class="ss-thinking-summary">Thinking · {len(thinking):,} characters'
            f'</summary><div class="ss-thinking-text">{_e(thinking)}</div></details>'
        )
    if signature:
        shown = f"{signature[:40]}…{signature[-20:]}" if len(signature) > 80 else signature
        out += (
            f'<span class="ss-signature" data-present="true" title="{_e(shown)}">'
            f"signature ✓ {len(signature):,} chars</span>"
        )
    else:
        note = "no signature" if complete else "signature pending"
        out += f'<span class="ss-signature" data-present="false">{note}</span>'
    if omitted:
        out += f'<div class="ss-omitted">{_e(_SUMMARIZED_HINT)}</div>'
    return out


def _redacted_body(block: Mapping[str, Any]) -> str:
    data = _str(block.get("data"))
    size = _utf8_len(data)
    return (
        f'<div class="ss-redacted" data-size="{size}">Redacted thinking: {_fmt_bytes(size)} of '
        "encrypted reasoning, kept unchanged so it can go back to the API.</div>"
    )


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "other"


def _leaf(value: Any) -> str:
    kind = _type_of(value)
    if kind == "string":
        text = value
    elif kind == "other":
        text = str(value)
    else:
        text = json.dumps(value)
    return f'<span class="ss-val ss-val-{kind}">{_e(text)}</span>'


def _state(path: tuple[str | int, ...], streaming: tuple[str | int, ...] | None) -> str:
    if streaming is not None and streaming[: len(path)] == path:
        return "streaming"
    return "complete"


def _branch(
    value: dict[str, Any] | list[Any],
    path: tuple[str | int, ...],
    streaming: tuple[str | int, ...] | None,
) -> str:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    fields = []
    for key, child in items:
        child_path = (*path, key)
        key_cls = "ss-key ss-index" if isinstance(value, list) else "ss-key"
        head = (
            f'<li class="ss-field"{_attr("data-path", json_pointer(child_path))}'
            f"{_attr('data-state', _state(child_path, streaming))}>"
        )
        key_html = f'<span class="{key_cls}">{_e(key)}</span>'
        if isinstance(child, (dict, list)) and child and len(child_path) < _MAX_TREE_DEPTH:
            count = f"[{len(child)}]" if isinstance(child, list) else f"{{{len(child)}}}"
            fields.append(
                f'{head}<details class="ss-branch" open><summary>{key_html}'
                f'<span class="ss-count">{count}</span></summary>'
                f"{_branch(child, child_path, streaming)}</details></li>"
            )
        elif isinstance(child, (dict, list)) and child:
            fields.append(
                f'{head}{key_html}<span class="ss-val">{_e(json.dumps(child))}</span></li>'
            )
        elif isinstance(child, (dict, list)):
            empty = "[]" if isinstance(child, list) else "{}"
            fields.append(f'{head}{key_html}<span class="ss-count">{empty}</span></li>')
        else:
            fields.append(f"{head}{key_html}{_leaf(child)}</li>")
    return f'<ul class="ss-tree">{"".join(fields)}</ul>'


def _tree(value: Any, streaming: tuple[str | int, ...] | None, complete: bool) -> str:
    if value is None and not complete:
        return ""
    if isinstance(value, (dict, list)):
        return _branch(value, (), streaming)
    state = "complete" if complete else "streaming"
    return f'<div class="ss-field" data-path="" data-state="{state}">{_leaf(value)}</div>'


def _streaming_path(block: Mapping[str, Any]) -> tuple[str | int, ...] | None:
    path = block.get("streaming_path")
    if block.get("complete") is True or not isinstance(path, list):
        return None
    return tuple(p for p in path if isinstance(p, (str, int)) and not isinstance(p, bool))


def _tool_body(block: Mapping[str, Any]) -> str:
    raw = _str(block.get("input_json"))
    error = block.get("input_error")
    server = block.get("server_name")
    complete = block.get("complete") is True
    name = _str(block.get("name")) or "(no name yet)"
    server_html = f'<span class="ss-tool-server">via {_e(server)}</span>' if server else ""
    error_html = f'<div class="ss-tool-error">{_e(error)}</div>' if error else ""
    if len(raw) > TREE_LIMIT:
        # A tree of a large argument costs ~8x its bytes in markup: the raw JSON beside it
        # already shows every byte, so the picture stays about the size of the content.
        tree = (
            f'<div class="ss-tree-skipped">{_fmt_bytes(_utf8_len(raw))} of arguments: '
            "too large for a tree here, see the raw JSON</div>"
        )
    else:
        tree = _tree(block.get("input"), _streaming_path(block), complete)
    return (
        '<div class="ss-tool"><div class="ss-tool-head">'
        f'<span class="ss-tool-name">{_e(name)}</span>{server_html}'
        f'<span class="ss-tool-id">{_e(block.get("id"))}</span></div>{error_html}'
        '<div class="ss-tool-cols">'
        '<div class="ss-tool-col"><div class="ss-col-title">arguments</div>'
        f'<div class="ss-tool-tree">{tree}</div></div>'
        f'<div class="ss-tool-col"><div class="ss-col-title">raw JSON · '
        f"{_fmt_bytes(_utf8_len(raw))}</div>"
        f'<pre class="ss-tool-raw">{_e(raw)}</pre></div></div></div>'
    )


def _result_summary(content: dict[str, Any]) -> str:
    inner = content.get("content")
    bits = []
    if content.get("tool_use_id"):
        bits.append(f"for {content['tool_use_id']}")
    if isinstance(inner, list):
        bits.append(f"{len(inner)} item{'' if len(inner) == 1 else 's'}")
    if isinstance(inner, dict):
        if inner.get("error_code"):
            bits.append(f"error: {inner['error_code']}")
        if _num(inner.get("return_code")) is not None:
            bits.append(f"return code {inner['return_code']}")
    if content.get("is_error"):
        bits.append("error")
    return " · ".join(str(b) for b in bits)


def _generic_body(block: Mapping[str, Any]) -> str:
    content = block.get("content")
    extra = _list(block.get("extra_deltas"))
    if content is None:
        shown: Any = {k: v for k, v in block.items() if k not in _TIMING_KEYS}
    elif extra:
        shown = {"content": content, "extra_deltas": extra}
    else:
        shown = content
    data = _dict(content)
    out = ""
    summary = _result_summary(data)
    if summary:
        out += f'<div class="ss-generic-summary">{_e(summary)}</div>'
    links = [
        item
        for item in _list(data.get("content"))[:20]
        if isinstance(item, dict) and isinstance(item.get("url"), str) and item.get("url")
    ]
    if links:
        out += '<ul class="ss-generic-links">'
        for item in links:
            out += f"<li>{_link(item['url'], _str(item.get('title')) or item['url'])}</li>"
        out += "</ul>"
    return out + f'<pre class="ss-generic">{_e(_pretty(shown))}</pre>'


_TIMING_KEYS = frozenset(
    {"started_at", "first_delta_at", "last_delta_at", "stopped_at", "delta_count", "kind"}
)
_BODIES = {
    "text": _text_body,
    "thinking": _thinking_body,
    "redacted_thinking": _redacted_body,
    "tool": _tool_body,
    "other": _generic_body,
}


def _sorted_blocks(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks = [b for b in _list(snapshot.get("blocks")) if isinstance(b, dict)]
    return sorted(blocks, key=lambda b: _num(b.get("index")) or 0.0)


def _lanes(blocks: list[dict[str, Any]]) -> str:
    """Lanes in index order; consecutive tool lanes share one ``.ss-tool-row``."""
    out = ['<div class="ss-lanes">']
    row: list[str] = []

    def flush() -> None:
        if row:
            out.append(f'<div class="ss-tool-row" data-count="{len(row)}">{"".join(row)}</div>')
            row.clear()

    for block in blocks:
        kind = _kind_of(block)
        lane = _lane(block, _BODIES[kind](block))
        if kind == "tool":
            row.append(lane)
        else:
            flush()
            out.append(lane)
    flush()
    if not blocks:
        out.append('<div class="ss-empty">No content.</div>')
    out.append("</div>")
    return "".join(out)


# ---------------------------------------------------------------------------- final panel


def _final_title(text: str) -> str:
    return f'<div class="ss-final-title">{_e(text)}</div>'


def _call_args(call: Mapping[str, Any]) -> str:
    """The call's arguments, pretty; a large one only begins here (its lane has it all)."""
    text = _pretty(call.get("input"))
    if len(text) <= TREE_LIMIT:
        return text
    rest = _fmt_bytes(_utf8_len(text) - _utf8_len(text[:CALL_PREVIEW]))
    return f"{text[:CALL_PREVIEW]}\n… {rest} more, in lane #{call.get('index')}"


def _calls(snapshot: Mapping[str, Any]) -> str:
    calls = [c for c in _list(snapshot.get("tool_calls")) if isinstance(c, dict)]
    if not calls:
        return ""
    items = []
    for call in calls:
        error = call.get("input_error")
        items.append(
            f'<div class="ss-call"{_attr("data-index", call.get("index"))}>'
            f'<div class="ss-call-head"><span class="ss-call-name">{_e(call.get("name"))}</span>'
            f'<span class="ss-call-id">{_e(call.get("id"))}</span></div>'
            f'<pre class="ss-call-args">{_e(_call_args(call))}</pre>'
            + (f'<div class="ss-tool-error">{_e(error)}</div>' if error else "")
            + "</div>"
        )
    title = _final_title(f"Tool calls ({len(calls)})")
    return f'<div class="ss-final-calls">{title}{"".join(items)}</div>'


def _signatures(snapshot: Mapping[str, Any]) -> str:
    entries = [s for s in _list(snapshot.get("signatures")) if isinstance(s, dict)]
    if not entries:
        return ""
    items = []
    for entry in entries:
        signature = _str(entry.get("signature"))
        index = entry.get("index")
        if signature:
            shown = f"{signature[:24]}…{signature[-12:]}" if len(signature) > 48 else signature
            omitted = " (thinking omitted)" if entry.get("omitted") else ""
            text = f"#{index}: {len(signature):,} chars {shown}{omitted}"
        else:
            text = f"#{index}: none"
        items.append(
            f'<li class="ss-signature-item"{_attr("data-index", index)}'
            f' data-present="{"true" if signature else "false"}">{_e(text)}</li>'
        )
    title = _final_title("Thinking signatures")
    return f'<div class="ss-signatures">{title}<ul>{"".join(items)}</ul></div>'


def _usage(snapshot: Mapping[str, Any]) -> str:
    usage = _dict(snapshot.get("usage"))
    rows = []
    for key, label, sub in _USAGE_ROWS:
        value = usage.get(key)
        if key == "cache_hit_rate":
            rate = _num(value)
            text = _DASH if rate is None else f"{rate * 100:.1f}%"
        else:
            text = _fmt_int(value)
        raw = "" if _num(value) is None else _attr("data-value", value)
        row_class = ' class="ss-sub"' if sub else ""
        rows.append(f'<tr{row_class}><th>{label}</th><td data-usage="{key}"{raw}>{text}</td></tr>')
    extra = []
    server = usage.get("server_tool_use")
    if isinstance(server, dict) and server:
        counts = ", ".join(f"{k}: {_fmt_int(v)}" for k, v in server.items())
        extra.append(
            f'<div class="ss-muted" data-usage="server_tool_use">server tools: {_e(counts)}</div>'
        )
    tier = usage.get("service_tier")
    if tier:
        extra.append(
            f'<div class="ss-muted" data-usage="service_tier">service tier: {_e(tier)}</div>'
        )
    return (
        f'<div class="ss-usage">{_final_title("Usage")}'
        f'<table class="ss-usage-table">{"".join(rows)}</table>{"".join(extra)}</div>'
    )


def _cost(snapshot: Mapping[str, Any]) -> str:
    cost = snapshot.get("cost")
    out = f'<div class="ss-cost">{_final_title("Estimated cost")}'
    if not isinstance(cost, dict):
        model = snapshot.get("model")
        note = f"no price known for {model}" if model else "no model"
        return out + f'<div class="ss-muted">{_e(note)}</div></div>'
    parts = " · ".join(
        f"{label} {_fmt_usd(cost.get(key))}"
        for key, label in (
            ("input_usd", "input"),
            ("cache_write_usd", "cache write"),
            ("cache_read_usd", "cache read"),
            ("output_usd", "output"),
        )
    )
    out += (
        f'<div class="ss-cost-total" data-cost="total_usd">{_fmt_usd(cost.get("total_usd"))}</div>'
        f'<div class="ss-cost-parts">{_e(parts)}</div>'
    )
    total, without = _num(cost.get("total_usd")), _num(cost.get("without_cache_usd"))
    if total is not None and without is not None and abs(without - total) > 1e-12:
        out += (
            f'<div class="ss-muted" data-cost="without_cache_usd">without caching: '
            f"{_fmt_usd(without)}</div>"
        )
    out += (
        f'<div class="ss-muted ss-cost-asof">{_e(cost.get("model_key"))} prices as of '
        f"{_e(cost.get('as_of'))}</div>"
    )
    return out + "</div>"


def _timing(snapshot: Mapping[str, Any]) -> str:
    timing = _dict(snapshot.get("timing"))
    rate = _num(timing.get("output_tokens_per_second"))
    rows = (
        (
            "time_to_first_token",
            "time to first token",
            _fmt_seconds(timing.get("time_to_first_token")),
        ),
        ("output_tokens_per_second", "output tokens / s", _DASH if rate is None else f"{rate:.1f}"),
        ("duration", "duration", _fmt_seconds(timing.get("duration"))),
        ("event_count", "events", _fmt_int(snapshot.get("event_count"))),
    )
    cells = "".join(
        f'<dt>{label}</dt><dd data-timing="{key}">{text}</dd>' for key, label, text in rows
    )
    return f'<div class="ss-timing">{_final_title("Timing")}<dl>{cells}</dl></div>'


def _stop(snapshot: Mapping[str, Any], status: str) -> str:
    reason = snapshot.get("stop_reason")
    shown = reason if reason else ("none" if status in ("done", "failed", "stopped") else "…")
    out = (
        f'<div class="ss-stop">{_final_title("Stop")}<div class="ss-stop-reason">{_e(shown)}</div>'
    )
    sequence = snapshot.get("stop_sequence")
    if sequence:
        out += f'<div class="ss-muted">stop sequence: {_e(sequence)}</div>'
    details = snapshot.get("stop_details")
    if details:
        out += f'<pre class="ss-stop-details">{_e(_pretty(details))}</pre>'
    return out + "</div>"


def _problems(snapshot: Mapping[str, Any]) -> str:
    problems = [p for p in _list(snapshot.get("problems")) if isinstance(p, dict)]
    superseded = [b for b in _list(snapshot.get("superseded_blocks")) if isinstance(b, dict)]
    if not problems and not superseded:
        return ""
    items = "".join(
        f'<li class="ss-problem"{_attr("data-kind", p.get("kind"))}>{_e(p.get("text"))}</li>'
        for p in problems
    )
    out = f'<div class="ss-problems">{_final_title(f"Problems ({len(problems)})")}'
    if items:
        out += f"<ul>{items}</ul>"
    if superseded:
        plural = "s" if len(superseded) != 1 else ""
        out += (
            f'<details class="ss-superseded"><summary>{len(superseded)} superseded block{plural}'
            f'</summary><pre class="ss-generic">{_e(_pretty(superseded))}</pre></details>'
        )
    return out + "</div>"


def _error(snapshot: Mapping[str, Any], status: str) -> str:
    parts = []
    error = snapshot.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        parts.append(f"{error.get('type') or 'error'}: {message if message else _pretty(error)}")
    elif error:
        parts.append(str(error))
    failure = snapshot.get("failure")
    if failure:
        parts.append(str(failure))
    if not parts:
        return ""
    title = _final_title("Stream failed" if status == "failed" else "Error")
    texts = "".join(f'<div class="ss-error-text">{_e(p)}</div>' for p in parts)
    return f'<div class="ss-error">{title}{texts}</div>'


def _final(snapshot: Mapping[str, Any], status: str) -> str:
    figures = _usage(snapshot) + _cost(snapshot) + _timing(snapshot) + _stop(snapshot, status)
    return (
        '<aside class="ss-final">'
        + _error(snapshot, status)
        + _calls(snapshot)
        + _signatures(snapshot)
        + f'<div class="ss-figures">{figures}</div>'
        + _problems(snapshot)
        + "</aside>"
    )


# ---------------------------------------------------------------------------- timeline


def _tick_step(span: float, target: int = 6) -> float:
    """A 1-2-2.5-5 step giving about ``target`` ticks over ``span`` seconds."""
    raw = span / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _tick_label(value: float, step: float) -> str:
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    return f"{value:.{decimals}f} s"


def _span_of(block: Mapping[str, Any]) -> tuple[float, float] | None:
    start = _num(block.get("started_at"))
    if start is None:
        start = _num(block.get("first_delta_at"))
    if start is None:
        return None
    end = _num(block.get("stopped_at"))
    if end is None:
        end = _num(block.get("last_delta_at"))
    return start, max(start, end if end is not None else start)


def _timeline(snapshot: Mapping[str, Any], blocks: list[dict[str, Any]]) -> str:
    """Inline SVG: one row per block from its start to its stop (or last delta)."""
    if not blocks:
        return ""
    spans = [_span_of(b) for b in blocks]
    ends = [s[1] for s in spans if s is not None]
    duration = _num(_dict(snapshot.get("timing")).get("duration"))
    if duration is not None:
        ends.append(duration)
    total = max(ends, default=0.0)
    if total <= 0:
        total = 1.0
    width, label_w, pad_r, row_h = 720, 150, 16, 18
    plot_w = width - label_w - pad_r
    axis_y = len(blocks) * row_h + 4
    legend_y = axis_y + 34
    height = legend_y + 8

    def x(t: float) -> float:
        return label_w + plot_w * max(0.0, t) / total

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="When each of the {len(blocks)} blocks streamed" font-size="10">'
        "<title>When each block streamed</title>"
    ]
    step = _tick_step(total)
    count = int(total / step + 1e-9)
    for k in range(count + 1):
        t = k * step
        out.append(
            f'<g class="ss-tl-grid"><line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="0" y2="{axis_y}" '
            f'class="ss-tl-gridline" stroke="currentColor" stroke-opacity="0.12"/>'
            f'<text x="{x(t):.1f}" y="{axis_y + 14}" class="ss-tl-tick" text-anchor="middle" '
            f'fill="currentColor">{_tick_label(t, step)}</text></g>'
        )
    for row, (block, span) in enumerate(zip(blocks, spans, strict=True)):
        kind = _kind_of(block)
        y = row * row_h + 2
        name = _str(block.get("name"))
        label = f"#{block.get('index')} {block.get('type')}"
        if len(label) > 26:
            label = label[:25] + "…"
        parts = [
            f'<g class="ss-timeline-row ss-tl-{kind}"{_attr("data-index", block.get("index"))}'
            f"{_attr('data-kind', kind)}>",
            f'<text x="4" y="{y + row_h - 5}" class="ss-tl-label" fill="currentColor">'
            f"{_e(label)}</text>",
            f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{y + row_h / 2}" '
            f'y2="{y + row_h / 2}" class="ss-tl-track" stroke="currentColor" '
            'stroke-opacity="0.15"/>',
        ]
        if span is not None:
            start, end = span
            tip = f"#{block.get('index')} {block.get('type')}"
            tip += f" {name}" if name else ""
            tip += f": {_fmt_seconds(start)} → {_fmt_seconds(end)}"
            open_attr = "" if block.get("complete") is True else ' data-open="true"'
            parts.append(
                f'<rect x="{x(start):.1f}" y="{y + 3}" width="{max(2.0, x(end) - x(start)):.1f}" '
                f'height="{row_h - 6}" rx="2" class="ss-tl-bar" fill="{_KIND_COLOURS[kind]}"'
                f"{_attr('data-start', round(start, 6))}{_attr('data-end', round(end, 6))}"
                f"{open_attr}><title>{_e(tip)}</title></rect>"
            )
            first = _num(block.get("first_delta_at"))
            if first is not None:
                parts.append(
                    f'<line x1="{x(first):.1f}" x2="{x(first):.1f}" y1="{y + 2}" '
                    f'y2="{y + row_h - 2}" class="ss-tl-first" stroke="currentColor" '
                    'stroke-opacity="0.5"/>'
                )
        parts.append("</g>")
        out.append("".join(parts))
    out.append(
        f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{axis_y}" y2="{axis_y}" '
        'class="ss-tl-axis" stroke="currentColor" stroke-opacity="0.4"/>'
    )
    out.append(f'<g class="ss-tl-legend" transform="translate({label_w} {legend_y})">')
    offset = 0
    for kind in _KINDS:
        if not any(_kind_of(b) == kind for b in blocks):
            continue
        text = _KIND_LABELS[kind]
        out.append(
            f'<g class="ss-tl-legend-item ss-tl-{kind}" data-kind="{kind}">'
            f'<rect x="{offset}" y="-9" width="10" height="10" rx="2" class="ss-tl-bar" '
            f'fill="{_KIND_COLOURS[kind]}"/><text x="{offset + 14}" y="0" class="ss-tl-label" '
            f'fill="currentColor">{text}</text></g>'
        )
        offset += 28 + 6 * len(text)
    out.append("</g></svg>")
    return f'<div class="ss-timeline">{"".join(out)}</div>'


# ---------------------------------------------------------------------------- document


def _header(snapshot: Mapping[str, Any], status: str, title: str | None) -> str:
    model = snapshot.get("model")
    return (
        '<div class="ss-header">'
        f'<span class="ss-title">{_e(title) if title else "streamscope"}</span>'
        f'<span class="ss-model">{_e(model)}</span>'
        f'<span class="ss-status" data-status="{status}">{status}</span>'
        "</div>"
    )


def render_html(
    snapshot: Mapping[str, Any], *, standalone: bool = False, title: str | None = None
) -> str:
    """Static HTML of a snapshot (see the module docstring).

    ``standalone=False`` gives a fragment for a notebook's ``text/html`` output: one
    ``<div class="ss-view">`` whose ``<style>`` is scoped to ``.ss-view``.
    ``standalone=True`` gives a whole ``<!doctype html>`` document, CSS inlined, no script
    at all. ``title`` names the view in its header (and the document's ``<title>``).
    """
    raw_status = snapshot.get("status")
    status = raw_status if isinstance(raw_status, str) and raw_status in _STATUSES else "waiting"
    blocks = _sorted_blocks(snapshot)
    view = (
        f'<div class="ss-view ss-static" data-status="{status}">'
        f"<style>{stylesheet()}</style>"
        + _header(snapshot, status, title)
        + '<div class="ss-body">'
        + _lanes(blocks)
        + _timeline(snapshot, blocks)
        + _final(snapshot, status)
        + "</div></div>"
    )
    if not standalone:
        return view
    doc_title = title or f"streamscope · {snapshot.get('model') or 'stream'}"
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        '<meta name="generator" content="streamscope">'
        f"<title>{_e(doc_title)}</title>"
        # view.css's fallback colours are for a light page (no --jp-* variables here).
        "<style>body{margin:0;padding:16px;background:#fff;color:#1f2328}</style>"
        f"</head>\n<body>\n{view}\n</body></html>\n"
    )


def export_html(
    snapshot: Mapping[str, Any], path: str | os.PathLike[str], title: str | None = None
) -> Path:
    """Write :func:`render_html`'s standalone document to ``path`` (UTF-8); returns the path."""
    target = Path(path)
    target.write_text(render_html(snapshot, standalone=True, title=title), encoding="utf-8")
    return target
