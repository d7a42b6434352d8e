"""Checking a conversation file before it is sent again: strict JSON, the fields' types.

:func:`load_strict` parses a document refusing duplicate keys (JSON allows them; the last
would silently win) and :func:`check_conversation` checks what
:func:`~streamscope.core.loop.export.load_conversation` hands to the SDK: ``params`` an
object with a string ``model``, a positive integer ``max_tokens`` (when given), ``tools`` a list of
objects with a string ``name``, ``betas`` a list of strings, ``messages`` a list of
``{"role": "user" | "assistant", "content": str | [blocks]}``, and every number anywhere
finite. Each error is a ``ValueError`` naming the field (``params.max_tokens``,
``messages[3].content[0].type``) and what it holds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Final

from streamscope.core.json.codec import loads

__all__ = ["check_conversation", "load_strict"]

_SHOWN: Final = 60
_NUMBERS: Final = ("temperature", "top_p", "top_k")


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def load_strict(text: str) -> Any:
    """``text`` parsed as JSON (depth-limited as :func:`~streamscope.core.json.codec.loads`);
    a duplicate key is a ``ValueError``."""
    data = loads(text)  # the depth check, and a clear error for invalid JSON
    try:
        return json.loads(text, object_pairs_hook=_pairs)
    except _Duplicate:
        raise
    except RecursionError:  # deeper than the C decoder goes here: types are still checked
        return data


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _fail(where: str, expected: str, value: Any) -> None:
    raise ValueError(f"{where} must be {expected}, not {_show(value)}")


def _check(where: str, value: Any, ok: Callable[[Any], bool], expected: str) -> None:
    if not ok(value):
        _fail(where, expected, value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_everywhere(value: Any, where: str) -> None:
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            _fail(at, "a finite number", item)
        elif isinstance(item, dict):
            stack.extend((child, f"{at}.{key}") for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{at}[{i}]") for i, child in enumerate(item))


def _check_params(params: dict[str, Any]) -> None:
    _check(
        "params.model",
        params.get("model"),
        lambda v: isinstance(v, str) and bool(v),
        "a model name",
    )
    if "max_tokens" in params:
        _check(
            "params.max_tokens",
            params["max_tokens"],
            lambda v: _is_int(v) and v > 0,
            "a positive integer",
        )
    for name in _NUMBERS:
        if name in params:
            _check(f"params.{name}", params[name], _is_number, "a number")
    if "tools" in params:
        tools = params["tools"]
        _check("params.tools", tools, lambda v: isinstance(v, list), "a list of tools")
        for i, tool in enumerate(tools):
            _check(f"params.tools[{i}]", tool, lambda v: isinstance(v, dict), "an object")
            _check(
                f"params.tools[{i}].name",
                tool.get("name"),
                lambda v: isinstance(v, str),
                "a string",
            )
            if "input_schema" in tool:
                _check(
                    f"params.tools[{i}].input_schema",
                    tool["input_schema"],
                    lambda v: isinstance(v, dict),
                    "an object",
                )
    if "betas" in params:
        _check(
            "params.betas",
            params["betas"],
            lambda v: isinstance(v, list) and all(isinstance(b, str) for b in v),
            "a list of strings",
        )
    if "system" in params:
        _check(
            "params.system",
            params["system"],
            lambda v: isinstance(v, (str, list)),
            "a string or a list of blocks",
        )
    for name in ("metadata", "thinking", "tool_choice"):
        if name in params:
            _check(f"params.{name}", params[name], lambda v: isinstance(v, dict), "an object")
    if "stop_sequences" in params:
        _check(
            "params.stop_sequences",
            params["stop_sequences"],
            lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
            "a list of strings",
        )


def _check_messages(messages: list[Any]) -> None:
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        _check(where, message, lambda v: isinstance(v, dict), "an object")
        _check(
            f"{where}.role",
            message.get("role"),
            lambda v: v in ("user", "assistant"),
            "user or assistant",
        )
        content = message.get("content")
        _check(
            f"{where}.content",
            content,
            lambda v: isinstance(v, (str, list)),
            "a string or a list of blocks",
        )
        if isinstance(content, list):
            for j, block in enumerate(content):
                _check(f"{where}.content[{j}]", block, lambda v: isinstance(v, dict), "an object")
                _check(
                    f"{where}.content[{j}].type",
                    block.get("type"),
                    lambda v: isinstance(v, str),
                    "a string",
                )


def check_conversation(params: Any, messages: Any) -> None:
    """Raise a ``ValueError`` naming the first field that cannot be sent as it is (see the
    module docstring)."""
    _check("params", params, lambda v: isinstance(v, dict), "an object")
    _check("messages", messages, lambda v: isinstance(v, list), "a list")
    _check_params(params)
    _check_messages(messages)
    _finite_everywhere(params, "params")
    _finite_everywhere(messages, "messages")
