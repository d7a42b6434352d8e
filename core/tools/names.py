"""Tool names the API accepts: checked when a tool is defined, not when the API answers 400.

The Messages API's rule for a client tool's ``name`` is the regex ``^[a-zA-Z0-9_-]{1,64}$``
(platform.claude.com/docs, "Define tools"; the SDK's ``ToolParam`` types it only as
``str``). :func:`check_tool_name` raises a ``ValueError`` that says which character or
length breaks it and how to give a name (``@tool(name=...)``).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["TOOL_NAME_PATTERN", "check_tool_name"]

TOOL_NAME_PATTERN: Final = re.compile(r"[a-zA-Z0-9_-]{1,64}")
"""The API's rule for a tool name (matched whole)."""
_MAX: Final = 64


def check_tool_name(name: object, *, what: str = "a tool") -> str:
    """``name`` if the API accepts it as a tool name, else a ``ValueError`` saying why."""
    if not isinstance(name, str):
        raise TypeError(f"the name of {what} must be a string, not {type(name).__name__}")
    if TOOL_NAME_PATTERN.fullmatch(name):
        return name
    if not name:
        why = "it is empty"
    elif len(name) > _MAX:
        why = f"it is {len(name)} characters long (at most {_MAX})"
    else:
        bad = next(c for c in name if not TOOL_NAME_PATTERN.fullmatch(c))
        why = f"it holds {bad!r}"
    raise ValueError(
        f"{name!r} cannot be the name of {what}: {why}. The API accepts 1 to {_MAX} ASCII "
        "letters, digits, '_' or '-' (^[a-zA-Z0-9_-]{1,64}$); give one with "
        "@tool(name=...) or Tool(fn, name=...)"
    )
