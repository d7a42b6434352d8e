"""How deep JSON nests: the one limit (:data:`MAX_DEPTH`) and two linear measures of depth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

__all__ = ["MAX_DEPTH", "NestingTooDeepError", "json_depth", "text_depth"]

MAX_DEPTH: Final = 1000
"""Deepest nesting read (containers inside containers), like ``json``'s practical limit."""

# A JSON string (closed or not), or one bracket: what text_depth scans.
_STRING_OR_BRACKET: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


class NestingTooDeepError(ValueError):
    """A value or a JSON text is nested deeper than allowed."""


def text_depth(text: str) -> int:
    """Deepest nesting of a JSON text (brackets inside strings do not count); linear."""
    if text.count("[") + text.count("{") == 0:
        return 0
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        c = match.group()[0]
        if c == "[" or c == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif c == "]" or c == "}":
            depth -= 1
    return deepest


def json_depth(value: object) -> int:
    """Deepest nesting of dicts, lists and tuples in ``value`` (``[]`` is 1), walked
    without recursion; a container inside itself counts once."""
    deepest = 0
    stack: list[tuple[Iterator[Any], int]] = []
    on_path: set[int] = set()
    ids: list[int] = []
    child = _children(value)
    if child is None:
        return 0
    stack.append((child, 1))
    on_path.add(id(value))
    ids.append(id(value))
    deepest = 1
    while stack:
        items, depth = stack[-1]
        for item in items:
            sub = _children(item)
            if sub is not None and id(item) not in on_path:
                stack.append((sub, depth + 1))
                on_path.add(id(item))
                ids.append(id(item))
                deepest = max(deepest, depth + 1)
                break
        else:
            stack.pop()
            on_path.discard(ids.pop())
    return deepest


def _children(value: object) -> Iterator[Any] | None:
    if isinstance(value, dict):
        return iter(value.values())
    if isinstance(value, (list, tuple)):
        return iter(value)
    return None
