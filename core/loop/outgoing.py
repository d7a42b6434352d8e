"""What the tool loop sends: text UTF-8 can carry, tool results the SDK can serialise.

How it works: ``docs/internals.md``, section ``streamscope.core.loop.outgoing``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from streamscope.core.json.codec import copy_json

__all__ = ["result_problem", "sendable", "sendable_text"]

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_REPLACEMENT: Final = "\ufffd"


def sendable_text(text: str) -> tuple[str, int]:
    """``text`` as UTF-8 can carry it (surrogate pairs joined, lone surrogates replaced by
    U+FFFD) and how many were replaced."""
    if not _SURROGATE.search(text):
        return text, 0
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return fixed, fixed.count(_REPLACEMENT) - text.count(_REPLACEMENT)


def _has_surrogates(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def sendable(value: Any) -> tuple[Any, int]:
    """``value`` (JSON data: messages, a system prompt, tools) with every string made
    sendable (:func:`sendable_text`), and the number of lone surrogates replaced. The same
    object when nothing needs it; else a copy (the original is never changed)."""
    if isinstance(value, str):
        return sendable_text(value)
    if not _has_surrogates(value):
        return value, 0
    root = copy_json(value)
    replaced = 0
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in list(item):
                child = item.pop(key)
                new_key, n = sendable_text(key) if isinstance(key, str) else (key, 0)
                replaced += n
                if isinstance(child, str):
                    child, n = sendable_text(child)
                    replaced += n
                elif isinstance(child, (dict, list)):
                    stack.append(child)
                item[new_key] = child
        elif isinstance(item, list):
            for i, child in enumerate(item):
                if isinstance(child, str):
                    item[i], n = sendable_text(child)
                    replaced += n
                elif isinstance(child, (dict, list)):
                    stack.append(child)
    return root, replaced


def result_problem(content: Any) -> str | None:
    """Why ``content`` cannot be a ``tool_result``'s content (a string or a list of
    content blocks, all JSON data), or None when it can."""
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        kind = type(content).__name__
        return f"its content must be a string or a list of content blocks, not {kind}"
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return (
                f"content[{i}] is not a content block (a dict with a type): {type(block).__name__}"
            )
    try:
        json.dumps(content, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return f"its content is not JSON data ({type(exc).__name__}: {exc})"
    return None
