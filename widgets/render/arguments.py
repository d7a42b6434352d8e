"""The argument builder of a tool call: its fields as they stream in, and its raw JSON.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.arguments``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from streamscope.core.figures.text import plural
from streamscope.core.json.partial import MISSING
from streamscope.core.schema.validation import Violation
from streamscope.widgets.render.markup import e, pre
from streamscope.widgets.render.regions import slot

__all__ = [
    "CHUNK",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "ArgumentTree",
    "TextChunks",
    "json_pointer",
    "value_html",
]

MAX_DEPTH = 20
"""Levels of nesting the tree shows; deeper values are summarized."""
CHUNK = 4096
"""Characters per chunk of a growing text."""
MAX_LEAVES = 120
"""A container with more leaves than this is summarized (its raw JSON has every byte): a
tree costs several times its JSON in markup."""

Path = tuple[str | int, ...]
_END = object()
Bad = dict[Path, list[str]]
"""Violation messages by the path of the value they are about."""


def json_pointer(path: Path) -> str:
    """RFC 6901 pointer of a path (the ``data-path`` of a field)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# Leaf markup is short on purpose: a tree of small fields is mostly markup, and every byte
# of it crosses the comm. Classes: ss-s string, ss-t text with newlines, ss-n number, ss-b
# boolean, ss-z null, ss-e empty container, ss-deep a summarized value.


SHORT_STRING = 12
"""Characters up to which a string value keeps to one line (it moves to the next line
whole): a date or an id, not a sentence, so a narrow lane still holds it."""


def _leaf(value: Any) -> str:
    if isinstance(value, str):
        if "\n" in value:
            return pre(e(value), "ss-t")
        # a short value (a date, a code) wraps whole, never at its hyphen ("2025-11-" / "14")
        whole = " data-whole" if len(value) <= SHORT_STRING else ""
        return f'<span class="ss-s"{whole}>"{e(value)}"</span>'
    if value is None:
        return '<span class="ss-z">null</span>'
    if isinstance(value, bool):
        return f'<span class="ss-b">{"true" if value else "false"}</span>'
    if isinstance(value, (int, float)):
        try:
            text = json.dumps(value)
        except (ValueError, OverflowError):
            text = str(value)
        if len(text) > 40:  # a hostile 10**400
            text = f"{text[:20]}…{text[-8:]} ({len(text):,} digits)"
        return f'<span class="ss-n">{e(text)}</span>'
    return f"<span>{e(repr(value))}</span>"


def _streaming(path: Path, streaming: Path | None) -> bool:
    return streaming is not None and streaming[: len(path)] == path


def _leaf_count(value: Any, limit: int) -> int:
    """Leaves under ``value``, counted up to ``limit`` + 1 (iterative, stops early). Walks
    iterators, not copies: a 10,000-item array costs its first leaves, not its length."""
    if not isinstance(value, (dict, list)):
        return 1
    count = 0
    stack: list[Iterator[Any]] = [iter(value.values() if isinstance(value, dict) else value)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, dict):
            stack.append(iter(item.values()))
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            count += 1
            if count > limit:
                break
    return count


def bad_note(messages: list[str]) -> str:
    """The visible mark of a value that breaks its schema."""
    return f'<span class="ss-bad" role="note">⚠ {e("; ".join(messages))}</span>'


def value_html(
    value: Any,
    path: Path,
    streaming: Path | None,
    depth: int = 0,
    bad: Bad | None = None,
    too_many: bool | None = None,
) -> str:
    """A value as markup: a leaf, or a nested list (summarized past :data:`MAX_DEPTH`, and
    past :data:`MAX_LEAVES`: ``too_many`` when the caller counted them already)."""
    if not isinstance(value, (dict, list)):
        return _leaf(value)
    if not value:
        return f'<span class="ss-e">{"{}" if isinstance(value, dict) else "[]"}</span>'
    size = plural(len(value), "field" if isinstance(value, dict) else "item")
    if depth >= MAX_DEPTH:
        return f'<span class="ss-deep">… {size}, nested too deeply to show here</span>'
    if too_many is None:
        too_many = _leaf_count(value, MAX_LEAVES) > MAX_LEAVES
    if too_many:
        return f'<span class="ss-deep">… {size}: too many to list here, see the raw JSON</span>'
    items = value.items() if isinstance(value, dict) else enumerate(value)
    rows = [field_html(key, child, (*path, key), streaming, depth + 1, bad) for key, child in items]
    if isinstance(value, list):
        return f'<ol class="ss-tree ss-array" start="0">{"".join(rows)}</ol>'
    return f'<ul class="ss-tree">{"".join(rows)}</ul>'


def field_html(
    key: str | int,
    value: Any,
    path: Path,
    streaming: Path | None,
    depth: int,
    bad: Bad | None = None,
    too_many: bool | None = None,
) -> str:
    """One field (``<li>``): its key in ``<b>`` (objects only: a list's numbers are its
    indices). Top-level fields, the fields being written and the ones that break the
    schema carry their ``data-path``."""
    marked = _streaming(path, streaming)
    messages = bad.get(path) if bad else None
    attrs = f' data-path="{e(json_pointer(path))}"' if depth <= 1 or marked or messages else ""
    if marked:
        attrs += ' data-state="streaming"'
    key_html = "" if isinstance(key, int) else f"<b>{e(key)}</b>: "
    inner = value_html(value, path, streaming, depth, bad, too_many)
    if messages:
        attrs += ' data-bad=""'
        note = bad_note(messages)
        # beside a leaf; before a container's list (its head line)
        inner = f"{inner} {note}" if inner.startswith("<span") else f"{note}{inner}"
    return f"<li{attrs}>{key_html}{inner}</li>"


class _Children:
    """The frozen parts of one top-level container's children (complete ones, kept)."""

    __slots__ = ("frozen", "source")

    def __init__(self, source: object) -> None:
        self.source = source
        self.frozen: list[str] = []


class ArgumentTree:
    """The regions of one tool call's argument list (see the module docstring).

    The list (region ``args_id``) has one part per top-level field; a field holding a
    container gets a region of its own (``args_id/N``) with one part per child, so while a
    long array streams, a frame re-renders only the item being written.
    """

    __slots__ = ("_bad", "_big", "_children", "_frozen", "_seen", "_source", "summarized")

    def __init__(self) -> None:
        self._frozen: list[str] = []
        self._source: object = None
        self._children: dict[int, _Children] = {}
        self._bad: Bad = {}
        self._seen = 0
        self._big: dict[int, Any] = {}
        """Top-level containers found too large to list, by id (held, so an id stays theirs):
        a streamed container only grows, so it is not counted again every frame."""
        self.summarized = False
        """True when some container was too large to list (see :data:`MAX_LEAVES`)."""

    def regions(
        self,
        args_id: str,
        value: Any,
        streaming: Path | None,
        complete: bool,
        violations: Sequence[Violation] = (),
    ) -> dict[str, list[str]]:
        self.summarized = False
        if value is MISSING or (value is None and not complete):
            return {args_id: []}
        if value is not self._source:  # a new parse (or a block that started again)
            self._source, self._frozen, self._children = value, [], {}
            self._bad, self._seen, self._big = {}, 0, {}
        self._learn(value, violations)
        bad = self._bad
        whole = [bad_note(bad[()])] if () in bad else []
        tail = [f'<li class="ss-bad-args" data-bad="">{whole[0]}</li>'] if whole else []
        if not isinstance(value, dict):
            state = "" if complete else ' data-state="streaming"'
            html = value_html(value, (), streaming)
            self.summarized = "ss-deep" in html
            return {args_id: [f'<li data-path=""{state}>{html}</li>', *tail]}
        keys = list(value)
        if not keys:
            empty = '<li class="ss-empty-args">(no arguments)</li>'
            return {args_id: [empty, *tail] if complete else tail}
        open_key = streaming[0] if streaming else None
        done = len(keys) if open_key is None else keys.index(open_key) if open_key in keys else 0
        out: dict[str, list[str]] = {}
        frozen = self._frozen
        for position in range(len(frozen), done):  # fields that just completed
            frozen.append(self._field(args_id, position, keys[position], value, None, out))
        live = [
            self._field(args_id, position, keys[position], value, streaming, out)
            for position in range(done, len(keys))
        ]
        out[args_id] = [*frozen, *live, *tail]
        return out

    def _learn(self, value: Any, violations: Sequence[Violation]) -> None:
        """Take in the violations found since the last frame; a field already rendered that
        one lands in is rendered again (rare: a value is checked when it completes, which
        is before the next field starts)."""
        if len(violations) < self._seen:  # a new list: start over
            self._bad, self._seen, self._frozen, self._children = {}, 0, [], {}
        for violation in violations[self._seen :]:
            path = tuple(violation.path)
            self._bad.setdefault(path, []).append(violation.message)
            if not path or not isinstance(value, dict) or path[0] not in value:
                continue
            position = list(value).index(path[0])
            del self._frozen[position:]
            record = self._children.get(position)
            if record is not None and len(path) > 1:
                container = record.source
                at = path[1]
                if isinstance(container, dict) and at in container:
                    del record.frozen[list(container).index(at) :]
                elif isinstance(container, list) and isinstance(at, int):
                    del record.frozen[at:]
        self._seen = len(violations)

    def _field(
        self,
        args_id: str,
        position: int,
        key: str,
        value: dict[str, Any],
        streaming: Path | None,
        out: dict[str, list[str]],
    ) -> str:
        child = value[key]
        path: Path = (key,)
        region = f"{args_id}/{position}"
        bad = self._bad
        if not isinstance(child, (dict, list)) or not child:
            return field_html(key, child, path, streaming, 1, bad)
        if id(child) in self._big or _leaf_count(child, MAX_LEAVES) > MAX_LEAVES:
            self._big[id(child)] = child
            self.summarized = True
            out[region] = []
            return field_html(key, child, path, streaming, 1, bad, too_many=True)
        state = ' data-state="streaming"' if _streaming(path, streaming) else ""
        tag, cls, start = (
            ("ol", "ss-tree ss-array", "0") if isinstance(child, list) else ("ul", "ss-tree", None)
        )
        attrs = {"start": start} if start is not None else {}
        out[region] = self._child_parts(position, child, path, streaming)
        messages = bad.get(path)
        note = f"{bad_note(messages)} " if messages else ""
        flag = ' data-bad=""' if messages else ""
        return (
            f'<li data-path="{e(json_pointer(path))}"{state}{flag}>'
            f"<b>{e(key)}</b>: {note}{slot(region, tag, cls, **attrs)}</li>"
        )

    def _child_parts(
        self,
        position: int,
        container: dict[str, Any] | list[Any],
        path: Path,
        streaming: Path | None,
    ) -> list[str]:
        record = self._children.get(position)
        if record is None or record.source is not container:
            record = self._children[position] = _Children(container)
        items = (
            list(container.items()) if isinstance(container, dict) else list(enumerate(container))
        )
        open_at = len(items)
        if streaming is not None and len(streaming) > len(path) and streaming[: len(path)] == path:
            keys = [k for k, _ in items]
            if streaming[len(path)] in keys:
                open_at = keys.index(streaming[len(path)])
        elif _streaming(path, streaming):
            open_at = len(items)  # between children: every present child is complete
        frozen = record.frozen
        bad = self._bad
        for k in range(len(frozen), open_at):
            key, child = items[k]
            frozen.append(field_html(key, child, (*path, key), None, 2, bad))
        live = [
            field_html(key, child, (*path, key), streaming, 2, bad)
            for key, child in items[open_at:]
        ]
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
