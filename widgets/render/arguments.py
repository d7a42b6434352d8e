"""The argument builder of a tool call: its fields as they stream in, and its raw JSON.

:class:`ArgumentTree` renders the parsed (partial) input as a list with one part per
top-level field. JSON arrives in order, so every field before the one being written is
final: it is rendered once and kept. Each frame re-renders only the open field. Arrays are
``<ol start="0">`` (the list numbers are the indices), strings carry their quotes as text,
a string with newlines shows them as lines (an email body, a file), and the field being
written is marked ``data-state="streaming"``. Nesting deeper than :data:`MAX_DEPTH` is
summarized (the raw JSON beside it keeps every byte), so rendering never recurses without
bound.

:class:`TextChunks` renders a growing text (raw JSON, thinking) as fixed-size chunks, so a
frame re-renders only the last one however long the text gets.
"""

from __future__ import annotations

import json
from typing import Any

from streamscope.core.partial_json import MISSING
from streamscope.widgets.render.format import plural
from streamscope.widgets.render.markup import e, pre

__all__ = ["CHUNK", "MAX_DEPTH", "ArgumentTree", "TextChunks", "json_pointer", "value_html"]

MAX_DEPTH = 20
"""Levels of nesting the tree shows; deeper values are summarized."""
CHUNK = 4096
"""Characters per chunk of a growing text."""

Path = tuple[str | int, ...]


def json_pointer(path: Path) -> str:
    """RFC 6901 pointer of a path (the ``data-path`` of a field)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _leaf(value: Any) -> str:
    if isinstance(value, str):
        if "\n" in value:
            return pre(e(value), "ss-val ss-val-text")
        return f'<span class="ss-val ss-val-string">"{e(value)}"</span>'
    if value is None:
        return '<span class="ss-val ss-val-null">null</span>'
    if isinstance(value, bool):
        return f'<span class="ss-val ss-val-boolean">{"true" if value else "false"}</span>'
    if isinstance(value, (int, float)):
        try:
            text = json.dumps(value)
        except (ValueError, OverflowError):
            text = str(value)
        if len(text) > 40:  # a hostile 10**400
            text = f"{text[:20]}…{text[-8:]} ({len(text):,} digits)"
        return f'<span class="ss-val ss-val-number">{e(text)}</span>'
    return f'<span class="ss-val">{e(repr(value))}</span>'


def _state(path: Path, streaming: Path | None) -> str:
    if streaming is not None and streaming[: len(path)] == path:
        return "streaming"
    return "complete"


def value_html(value: Any, path: Path, streaming: Path | None, depth: int = 0) -> str:
    """A value as markup: a leaf, or a nested list (summarized past :data:`MAX_DEPTH`)."""
    if not isinstance(value, (dict, list)):
        return _leaf(value)
    if not value:
        return (
            '<span class="ss-val ss-val-empty">{}</span>'
            if isinstance(value, dict)
            else ('<span class="ss-val ss-val-empty">[]</span>')
        )
    if depth >= MAX_DEPTH:
        size = plural(len(value), "field" if isinstance(value, dict) else "item")
        return f'<span class="ss-val ss-val-deep">… {size}, nested too deeply to show here</span>'
    items = value.items() if isinstance(value, dict) else enumerate(value)
    rows = [field_html(key, child, (*path, key), streaming, depth + 1) for key, child in items]
    if isinstance(value, list):
        return f'<ol class="ss-tree ss-array" start="0">{"".join(rows)}</ol>'
    return f'<ul class="ss-tree">{"".join(rows)}</ul>'


def field_html(key: str | int, value: Any, path: Path, streaming: Path | None, depth: int) -> str:
    """One field (``<li>``): its key (objects only: a list's numbers are its indices)."""
    head = (
        f'<li class="ss-field" data-path="{e(json_pointer(path))}"'
        f' data-state="{_state(path, streaming)}">'
    )
    key_html = "" if isinstance(key, int) else f'<span class="ss-key">{e(key)}</span>: '
    return f"{head}{key_html}{value_html(value, path, streaming, depth)}</li>"


class ArgumentTree:
    """The parts of one tool call's argument list (see the module docstring)."""

    __slots__ = ("_frozen", "_source")

    def __init__(self) -> None:
        self._frozen: list[str] = []
        self._source: object = None

    def parts(self, value: Any, streaming: Path | None, complete: bool) -> list[str]:
        if value is MISSING or (value is None and not complete):
            return []
        if not isinstance(value, dict):
            state = "complete" if complete else "streaming"
            return [
                f'<li class="ss-field" data-path="" data-state="{state}">'
                f"{value_html(value, (), streaming)}</li>"
            ]
        if value is not self._source:  # a new parse (or a block that started again)
            self._source, self._frozen = value, []
        keys = list(value)
        if not keys:
            return ['<li class="ss-field ss-empty-args">(no arguments)</li>'] if complete else []
        open_key = streaming[0] if streaming else None
        done = len(keys) if open_key is None else keys.index(open_key) if open_key in keys else 0
        frozen = self._frozen
        for key in keys[len(frozen) : done]:
            frozen.append(field_html(key, value[key], (key,), None, 1))
        live = [field_html(key, value[key], (key,), streaming, 1) for key in keys[done:]]
        return [*frozen, *live]


class TextChunks:
    """A growing text as ``<span>`` chunks of :data:`CHUNK` characters; only the last changes."""

    __slots__ = ("_frozen",)

    def __init__(self) -> None:
        self._frozen: list[str] = []

    def parts(self, text: str) -> list[str]:
        frozen = self._frozen
        whole = len(text) // CHUNK
        if whole < len(frozen):  # the text was replaced, not extended
            frozen.clear()
        for k in range(len(frozen), whole):
            frozen.append(f"<span>{e(text[k * CHUNK : (k + 1) * CHUNK])}</span>")
        rest = text[whole * CHUNK :]
        return [*frozen, f"<span>{e(rest)}</span>"] if rest else list(frozen)
