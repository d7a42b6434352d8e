"""Pictures of the blocks that arrive whole: server tool results, MCP, hand-offs, compaction.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.server_tools``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from streamscope.core.figures.text import fmt_bytes, fmt_int, plural, utf8_len
from streamscope.core.stream.blocks import Block, GenericBlock, ToolUseBlock
from streamscope.widgets.render.markup import SEP, attr, e, link

__all__ = [
    "BLOCK_PICTURES",
    "EXCERPT_CHARS",
    "KIND_LABELS_MORE",
    "TYPE_LABELS",
    "block_picture",
    "caller_text",
    "error_words",
    "fallback_words",
    "folded",
    "picture_kind",
    "type_label",
]

EXCERPT_CHARS: Final = 4000
"""Characters of a long output (stdout, a fetched document) shown before it folds; the
whole text is one click away ("Show all", :mod:`.fulltext`) and, whole, in
``to_message()`` / ``export_json()``."""

ShowAll = Callable[[str, str], str]
"""``show_all(text, label)``: the "Show all" control of a folded text (a lane's)."""

KIND_LABELS_MORE = {
    "server": "server tool result",
    "fallback": "model fallback",
    "compaction": "compaction",
}
"""Lane kinds besides the core's (``text``, ``thinking``, ``redacted_thinking``, ``tool``,
``other``): what the timeline's legend says for them."""

TYPE_LABELS = {
    "web_search_tool_result": "web search result",
    "web_fetch_tool_result": "web fetch result",
    "code_execution_tool_result": "code execution result",
    "bash_code_execution_tool_result": "bash result",
    "text_editor_code_execution_tool_result": "file edit result",
    "tool_search_tool_result": "tool search result",
    "advisor_tool_result": "advisor result",
    "mcp_tool_result": "MCP result",
    "mcp_tool_listing": "MCP tool listing",
    "container_upload": "container upload",
    "compaction": "compaction",
    "fallback": "fallback",
}

_ERRORS = {
    "invalid_tool_input": "the tool's input was invalid",
    "unavailable": "the tool is unavailable",
    "too_many_requests": "too many requests (rate limited)",
    "max_uses_exceeded": "the tool's max_uses was reached",
    "execution_time_exceeded": "execution took too long",
    "output_file_too_large": "an output file was too large",
    "url_too_long": "the URL is too long",
    "url_not_allowed": "the URL is not allowed (allowed/blocked domains)",
    "url_not_in_prior_context": "the URL was not in the conversation before",
    "url_not_accessible": "the URL could not be fetched",
    "unsupported_content_type": "the content type is not supported",
    "query_too_long": "the query is too long",
    "file_not_found": "the file was not found",
    "prompt_too_long": "the prompt is too long",
    "overloaded": "the service is overloaded",
    "model_not_found": "the model was not found",
    "request_too_large": "the request is too large",
    "pattern_too_long": "the search pattern is too long",
    "invalid_pattern": "the search pattern is invalid",
}

_REFUSAL = {
    "cyber": "cyber",
    "bio": "bio",
    "frontier_llm": "frontier LLM development",
    "reasoning_extraction": "reasoning extraction",
    "general_harms": "general harms",
}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def picture_kind(block: Block) -> str:
    """The lane's kind: the core's kind, with blocks that arrive whole split into
    ``server`` (a tool's result, an upload, an MCP listing), ``fallback``,
    ``compaction`` and ``other`` (a type this picture does not know)."""
    if not isinstance(block, GenericBlock):
        return block.kind
    if block.type == "fallback":
        return "fallback"
    if block.type == "compaction":
        return "compaction"
    return "server" if block.type in BLOCK_PICTURES else "other"


def type_label(block: Block) -> str | None:
    """What a block that arrived whole is, in words (None: not one of those)."""
    return TYPE_LABELS.get(block.type) if isinstance(block, GenericBlock) else None


def error_words(code: object) -> str:
    """A tool error code in words (``url_not_allowed`` -> ``the URL is not allowed ...``)."""
    text = _str(code) or "unknown error"
    words = _ERRORS.get(text)
    return f"error: {words} ({text})" if words else f"error: {text}"


def refusal_category(category: object) -> str:
    return _REFUSAL.get(_str(category), _str(category) or "no category")


def fallback_words(content: dict[str, Any]) -> str:
    """``claude-a declined (cyber) → claude-b continued``."""
    source = _str(_dict(content.get("from")).get("model")) or "a model"
    target = _str(_dict(content.get("to")).get("model")) or "another model"
    trigger = _dict(content.get("trigger"))
    why = ""
    if trigger:
        kind = _str(trigger.get("type")) or "refusal"
        category = trigger.get("category")
        why = f" ({kind}: {refusal_category(category)})" if category else f" ({kind})"
    return f"{source} declined{why} → {target} continued"


def caller_text(caller: object) -> str:
    """Who made a tool call: ``""`` for the model directly, else ``called from code
    execution (srvtoolu_…)``."""
    data = _dict(caller)
    kind = _str(data.get("type"))
    if not kind or kind == "direct":
        return ""
    tool = _str(data.get("tool_id"))
    source = "code execution" if kind.startswith("code_execution") else kind
    return f"called from {source}" + (f" ({tool})" if tool else "")


def folded(text: str, cls: str, label: str, show_all: ShowAll | None = None) -> str:
    """``text`` in a ``<pre>``, cut to :data:`EXCERPT_CHARS` with a note saying where the
    rest is: ``show_all``'s control (the whole text one click away), and the exports."""
    if len(text) <= EXCERPT_CHARS:
        return f'<pre class="{cls}" tabindex="0" aria-label="{e(label)}">{e(text)}</pre>'
    shown = text[:EXCERPT_CHARS]
    return (
        f'<pre class="{cls}" tabindex="0" aria-label="{e(label)}" data-folded="">{e(shown)}</pre>'
        f'<p class="ss-folded-note">{e(label)}: first {fmt_int(EXCERPT_CHARS)} of '
        f"{fmt_int(len(text))} characters ({fmt_bytes(utf8_len(text))}); to_message() and "
        "export_json() have it whole</p>"
        f"{show_all(text, label) if show_all is not None else ''}"
    )


def _head(content: dict[str, Any], *bits: str) -> str:
    parts = [b for b in bits if b]
    tool_use_id = _str(content.get("tool_use_id"))
    if tool_use_id:
        parts.append(f'for <span class="ss-tool-id">{e(tool_use_id)}</span>')
    caller = caller_text(content.get("caller"))
    if caller:
        parts.append(f'<span class="ss-caller">{e(caller)}</span>')
    return f'<div class="ss-result-head">{SEP.join(parts)}</div>' if parts else ""


def _error(inner: dict[str, Any]) -> str:
    return (
        f'<p class="ss-result-error" role="note"{attr("data-error", inner.get("error_code"))}>'
        f"{e(error_words(inner.get('error_code')))}</p>"
    )


def _is_error(inner: dict[str, Any]) -> bool:
    return _str(inner.get("type")).endswith("error") or "error_code" in inner


def _files(items: object) -> str:
    files = [_str(_dict(i).get("file_id")) for i in (items if isinstance(items, list) else [])]
    files = [f for f in files if f]
    if not files:
        return ""
    rows = "".join(f'<li><code class="ss-file-id">{e(f)}</code></li>' for f in files)
    count = plural(len(files), "output file")
    return f'<div class="ss-files"><span>{count}</span><ul>{rows}</ul></div>'


def _terminal(inner: dict[str, Any], show_all: ShowAll | None = None) -> str:
    """A terminal: stdout, stderr, return code, output files."""
    code = inner.get("return_code")
    ok = code == 0
    parts = []
    stdout = _str(inner.get("stdout"))
    stderr = _str(inner.get("stderr"))
    encrypted = _str(inner.get("encrypted_stdout"))
    if stdout:
        parts.append(folded(stdout, "ss-stdout", "stdout", show_all))
    elif encrypted:
        parts.append(
            f'<p class="ss-muted">stdout encrypted ({fmt_bytes(utf8_len(encrypted))}), '
            "kept unchanged</p>"
        )
    if stderr:
        parts.append(folded(stderr, "ss-stderr", "stderr", show_all))
    if not stdout and not stderr and not encrypted:
        parts.append('<p class="ss-muted">no output</p>')
    parts.append(
        f'<p class="ss-return-code" data-ok="{"true" if ok else "false"}">'
        f"return code {e(code if code is not None else '—')}</p>"
    )
    parts.append(_files(inner.get("content")))
    return f'<div class="ss-terminal">{"".join(parts)}</div>'


def _code_result(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = _dict(content.get("content"))
    body = _error(inner) if _is_error(inner) else _terminal(inner, show_all)
    return [_head(content), body]


def _web_fetch(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = _dict(content.get("content"))
    if _is_error(inner):
        return [_head(content), _error(inner)]
    url = _str(inner.get("url"))
    document = _dict(inner.get("content"))
    title = _str(document.get("title"))
    source = _dict(document.get("source"))
    text = source.get("data")
    media = _str(source.get("media_type")) or _str(source.get("type"))
    head = [link(url, title or url) if url else "", e(inner.get("retrieved_at") or "")]
    parts = [
        _head(content),
        f'<div class="ss-fetch">{SEP.join(h for h in head if h)}'
        f"{'<span> · ' + e(media) + '</span>' if media else ''}</div>",
    ]
    if isinstance(text, str) and _str(source.get("type")) == "text":
        parts.append(folded(text, "ss-fetch-text", "fetched document", show_all))
    elif isinstance(text, str):
        parts.append(
            f'<p class="ss-muted">{e(media or "document")}, {fmt_bytes(utf8_len(text))} '
            "(base64), kept unchanged</p>"
        )
    return parts


def _web_search(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = content.get("content")
    if isinstance(inner, dict):
        return [_head(content), _error(inner)]
    items = [i for i in (inner if isinstance(inner, list) else []) if isinstance(i, dict)]
    rows = "".join(
        f"<li>{link(i.get('url'), str(i.get('title') or i.get('url')))}"
        f"{' <span class=ss-muted>' + e(i['page_age']) + '</span>' if i.get('page_age') else ''}"
        "</li>"
        for i in items[:50]
        if _str(i.get("url"))
    )
    return [
        _head(content, plural(len(items), "result")),
        f'<ul class="ss-generic-links">{rows}</ul>' if rows else "",
    ]


def _diff(inner: dict[str, Any]) -> str:
    lines = inner.get("lines")
    if not isinstance(lines, list):
        return ""
    rows = []
    for line in lines[:400]:
        text = _str(line)
        sign = text[:1]
        kind = "add" if sign == "+" else "del" if sign == "-" else "ctx"
        rows.append(f'<span class="ss-diff-line" data-diff="{kind}">{e(text)}</span>\n')
    where = (
        f"@@ -{inner.get('old_start')},{inner.get('old_lines')} "
        f"+{inner.get('new_start')},{inner.get('new_lines')} @@"
    )
    return f'<pre class="ss-diff" tabindex="0">{e(where)}\n{"".join(rows)}</pre>'


def _text_editor(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = _dict(content.get("content"))
    if _is_error(inner):
        message = _str(inner.get("error_message"))
        extra = f'<p class="ss-muted">{e(message)}</p>' if message else ""
        return [_head(content), _error(inner) + extra]
    kind = _str(inner.get("type"))
    if kind.endswith("view_result"):
        lines = inner.get("num_lines")
        total = inner.get("total_lines")
        what = f"viewed {e(inner.get('file_type') or 'file')}"
        if lines is not None:
            what += f", lines {e(inner.get('start_line'))}–… ({e(lines)} of {e(total)})"
        return [
            _head(content, what),
            folded(_str(inner.get("content")), "ss-file-view", "file content", show_all),
        ]
    if kind.endswith("create_result"):
        what = "updated the file" if inner.get("is_file_update") else "created the file"
        return [_head(content, what)]
    if kind.endswith("str_replace_result"):
        return [_head(content, "replaced text"), _diff(inner)]
    return [_head(content, e(kind))]


def _tool_search(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = _dict(content.get("content"))
    if _is_error(inner):
        return [_head(content), _error(inner)]
    refs = [_dict(r) for r in inner.get("tool_references") or [] if isinstance(r, dict)]
    rows = "".join(f"<li><code>{e(r.get('tool_name'))}</code></li>" for r in refs)
    return [
        _head(content, f"found {plural(len(refs), 'tool')}"),
        f'<ul class="ss-found-tools">{rows}</ul>' if rows else "",
    ]


def _advisor(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = _dict(content.get("content"))
    if _is_error(inner):
        return [_head(content), _error(inner)]
    stop = _str(inner.get("stop_reason"))
    stop_html = f"stopped: {e(stop)}" if stop else ""
    if _str(inner.get("type")) == "advisor_redacted_result":
        size = utf8_len(_str(inner.get("encrypted_content")))
        return [
            _head(content, "advice (redacted)", stop_html),
            f'<p class="ss-redacted">{fmt_bytes(size)} of encrypted advice, kept unchanged</p>',
        ]
    return [
        _head(content, "advice", stop_html),
        folded(_str(inner.get("text")), "ss-advice", "advice", show_all),
    ]


def _mcp_result(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    inner = content.get("content")
    error = bool(content.get("is_error"))
    texts = (
        [inner]
        if isinstance(inner, str)
        else [_str(_dict(i).get("text")) for i in (inner if isinstance(inner, list) else [])]
    )
    flag = '<span class="ss-result-error">is_error: the tool failed</span>' if error else ""
    return [
        _head(content, flag),
        folded("\n\n".join(texts), "ss-mcp-result", "MCP tool result", show_all),
    ]


def _mcp_listing(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    tools = [_dict(t) for t in content.get("tools") or [] if isinstance(t, dict)]
    rows = "".join(
        f"<li><code>{e(t.get('name'))}</code>"
        f"{' ' + e(t['description']) if _str(t.get('description')) else ''}</li>"
        for t in tools[:100]
    )
    server = e(content.get("mcp_server_name") or "")
    return [
        f'<div class="ss-result-head">{plural(len(tools), "tool")} on MCP server {server}</div>',
        f'<ul class="ss-found-tools">{rows}</ul>',
    ]


def _container_upload(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    return [
        '<div class="ss-result-head">file uploaded to the container: '
        f'<code class="ss-file-id">{e(content.get("file_id"))}</code></div>'
    ]


def _compaction(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    summary = content.get("content")
    encrypted = _str(content.get("encrypted_content"))
    parts = []
    if isinstance(summary, str):
        parts.append(
            f'<div class="ss-result-head">summary of the earlier conversation{SEP}'
            f"{plural(len(summary), 'character')}</div>"
        )
        parts.append(folded(summary, "ss-compaction-text", "compaction summary", show_all))
    else:
        parts.append(
            '<div class="ss-result-head">no summary (null: compaction failed, or not yet '
            "streamed)</div>"
        )
    if encrypted:
        parts.append(
            f'<p class="ss-muted">{fmt_bytes(utf8_len(encrypted))} of encrypted context, '
            "kept to send back</p>"
        )
    changes = content.get("tool_changes")
    if isinstance(changes, list) and changes:
        parts.append(f'<p class="ss-muted">{plural(len(changes), "tool change")}</p>')
    return parts


def _fallback(content: dict[str, Any], show_all: ShowAll | None = None) -> list[str]:
    return [f'<p class="ss-fallback" role="note">↪ {e(fallback_words(content))}</p>']


BLOCK_PICTURES: dict[str, Callable[[dict[str, Any], ShowAll | None], list[str]]] = {
    "web_search_tool_result": _web_search,
    "web_fetch_tool_result": _web_fetch,
    "code_execution_tool_result": _code_result,
    "bash_code_execution_tool_result": _code_result,
    "text_editor_code_execution_tool_result": _text_editor,
    "tool_search_tool_result": _tool_search,
    "advisor_tool_result": _advisor,
    "mcp_tool_result": _mcp_result,
    "mcp_tool_listing": _mcp_listing,
    "container_upload": _container_upload,
    "compaction": _compaction,
    "fallback": _fallback,
}
"""Block type -> its picture (a list of parts, the JSON box excluded)."""


def block_picture(block: Block, show_all: ShowAll | None = None) -> list[str] | None:
    """The picture of a block that arrived whole, or None (a type not known here);
    ``show_all`` makes the control under each folded text."""
    if isinstance(block, ToolUseBlock) or not isinstance(block, GenericBlock):
        return None
    picture = BLOCK_PICTURES.get(block.type)
    if picture is None:
        return None
    return [p for p in picture(block.content, show_all) if p]
