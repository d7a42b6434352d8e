"""The JSON Schema of each tool, from whatever names the tools: SDK params, ``@tool``
functions, plain functions, pydantic models, or a mapping of names to any of those."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from streamscope.core.json.plain import dump_model
from streamscope.core.tools.tool import Tool

__all__ = ["tool_schemas"]


def _model_schema(model: Any) -> dict[str, Any] | None:
    make = getattr(model, "model_json_schema", None)
    if isinstance(model, type) and callable(make):
        schema = make()
        return schema if isinstance(schema, dict) else None
    return None


def _entry_schema(name: str | None, spec: Any) -> tuple[str, dict[str, Any]] | None:
    """``(name, input_schema)`` of one tool spec, or None when it has none."""
    if isinstance(spec, Mapping):
        schema = spec.get("input_schema")
        tool_name = spec.get("name", name)
        if name is not None and "input_schema" not in spec and "name" not in spec:
            schema, tool_name = dict(spec), name  # {name: schema}
        if isinstance(tool_name, str) and isinstance(schema, Mapping):
            return tool_name, dict(schema)
        return None
    model = _model_schema(spec)
    if model is not None:
        return (name or str(getattr(spec, "__name__", ""))), model
    to_param = getattr(spec, "to_param", None)
    if callable(to_param):  # a streamscope Tool
        param = to_param()
        return _entry_schema(name, param) if isinstance(param, Mapping) else None
    if callable(spec):  # a plain function: described as ToolLoop would
        return _entry_schema(name, Tool(spec).to_param())
    data = dump_model(spec)  # an SDK ToolParam model
    if data is not spec and isinstance(data, Mapping):
        return _entry_schema(name, data)
    return None


def tool_schemas(tools: Iterable[Any] | Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``{tool name: input_schema}`` from whatever names the tools.

    ``tools``: SDK tool params (dicts with ``name`` and ``input_schema``; server tools
    have none and are skipped), streamscope :class:`~streamscope.core.tools.tool.Tool` objects
    (``@tool`` functions) or plain functions (described as the tool loop describes them),
    pydantic model classes (named by their class name), or a mapping ``{name: schema,
    model, Tool or param}`` to name them yourself.
    """
    if tools is None:
        return {}
    pairs: Iterable[tuple[str | None, Any]]
    if isinstance(tools, Mapping):
        pairs = ((str(name), spec) for name, spec in tools.items())
    elif isinstance(tools, (str, bytes)):
        raise TypeError(f"tools must be a list of tool specs or a mapping, not {tools!r}")
    else:
        pairs = ((None, spec) for spec in tools)
    out: dict[str, dict[str, Any]] = {}
    for name, spec in pairs:
        entry = _entry_schema(name, spec)
        if entry is not None and entry[0]:
            out[entry[0]] = entry[1]
    return out
