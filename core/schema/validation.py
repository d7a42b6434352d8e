"""Tool arguments checked against their JSON schema: one rule for the live marks and the loop.

How it works: ``docs/internals.md``, section ``streamscope.core.schema.validation``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "SchemaChecker",
    "Violation",
    "validate_arguments",
]

JSONPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    """One way the arguments break the tool's schema.

    ``path`` is where (a JSON path in the arguments, ``()`` for the whole object),
    ``message`` what is wrong in a few words, ``keyword`` the schema keyword that failed
    (``"type"``, ``"enum"``, ``"required"``, ``"additionalProperties"``, ``"minimum"``...).
    """

    path: JSONPath
    message: str
    keyword: str = ""

    @property
    def where(self) -> str:
        """The path as text: ``city``, ``edits[3].line``; ``(arguments)`` for ``()``."""
        return format_path(self.path)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def format_path(path: JSONPath) -> str:
    """``("edits", 3, "line")`` as ``edits[3].line``; ``()`` as ``(arguments)``."""
    if not path:
        return "(arguments)"
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(("." if out else "") + part)
    return "".join(out)


# --------------------------------------------------------------------------- values

_NUMERIC: Final = frozenset({"integer", "number"})
_MAX_REF_HOPS: Final = 32  # a $ref chain longer than this is a loop: left unchecked
_COMPOSITE: Final = ("anyOf", "oneOf", "allOf")
_SHOWN_CHOICES: Final = 6  # enum members named in a message


def json_type(value: object) -> str:
    """The JSON type of a parsed value: ``integer`` for whole numbers (also ``3.0``)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "boolean"
    if kind is int:
        return "integer"
    if isinstance(value, float):
        return "integer" if math.isfinite(value) and value.is_integer() else "number"
    if kind is str:
        return "string"
    if kind is list:
        return "array"
    if kind is dict:
        return "object"
    return kind.__name__


def _type_matches(declared: str, actual: str) -> bool:
    return declared == actual or (declared == "number" and actual == "integer")


def _json_key(value: object) -> str:
    """A text equal for JSON-equal values (``1`` and ``1.0``; ``true`` apart from ``1``;
    object members in any order). No recursion, whatever the depth."""
    out: list[str] = []
    stack: list[tuple[bool, object]] = [(False, value)]
    while stack:
        is_text, item = stack.pop()
        if is_text:
            out.append(item)  # type: ignore[arg-type]
        elif item is None or item is True or item is False or type(item) is str:
            out.append(json.dumps(item))
        elif type(item) is int:
            out.append(f"n{item}")
        elif type(item) is float:
            out.append(f"n{int(item)}" if item.is_integer() else f"n{item!r}")
        elif type(item) is list:
            out.append("[")
            stack.append((True, "]"))
            for child in reversed(item):
                stack += [(True, ","), (False, child)]
        elif type(item) is dict:
            out.append("{")
            stack.append((True, "}"))
            for key in sorted(item, reverse=True):
                stack += [(True, ","), (False, item[key]), (True, json.dumps(key) + ":")]
        else:
            out.append(repr(item))
    return "".join(out)


def json_equal(a: object, b: object) -> bool:
    """JSON equality: ``1 == 1.0``, ``true != 1``, objects by members, arrays in order."""
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return _json_key(a) == _json_key(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _show(value: object, limit: int = 40) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


# --------------------------------------------------------------------------- schemas


_VALIDATING: Final = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "items",
        "prefixItems",
        "additionalItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "anyOf",
        "oneOf",
        "allOf",
        "$ref",
    }
)
"""The keywords checked here (every other keyword is left unchecked)."""


class _Schemas:
    """One tool's schema, with its ``$ref`` targets resolved on demand."""

    __slots__ = ("_children", "_resolved", "root")

    def __init__(self, root: object) -> None:
        self.root = root
        # id -> (the $ref schema, kept alive so its id is never reused; what it resolves to)
        self._resolved: dict[int, tuple[object, object]] = {}
        # (id of a schema, member) -> (that schema, kept alive; its member's schema)
        self._children: dict[tuple[int, str | int], tuple[object, object]] = {}

    def resolve(self, schema: object) -> object:
        """Follow ``$ref`` (local pointers only); None when unconstrained, False when
        nothing is allowed."""
        if isinstance(schema, dict) and "$ref" in schema:
            known = self._resolved.get(id(schema))
            if known is not None and known[0] is schema:
                return known[1]
            result = self._follow(schema)
            self._resolved[id(schema)] = (schema, result)
            return result
        if schema is True or (isinstance(schema, dict) and not _VALIDATING.intersection(schema)):
            return None
        return schema

    def _follow(self, schema: dict[str, Any]) -> object:
        hops = 0
        current: object = schema
        siblings: list[dict[str, Any]] = []
        while isinstance(current, dict) and "$ref" in current:
            extra = {k: v for k, v in current.items() if k in _VALIDATING and k != "$ref"}
            if extra:
                siblings.append(extra)  # 2020-12: keywords beside a $ref apply too
            ref = current["$ref"]
            target = self._pointer(ref) if isinstance(ref, str) else None
            if target is None or hops >= _MAX_REF_HOPS:
                current = None  # a dangling or looping reference: not checked
                break
            current = target
            hops += 1
        resolved = self.resolve(current)
        if not siblings:
            return resolved
        parts: list[object] = [*siblings]
        if resolved is not None:
            parts.append(resolved)
        return parts[0] if len(parts) == 1 else {"allOf": parts}

    def _pointer(self, ref: str) -> object:
        if not ref.startswith("#"):
            return None
        node: object = self.root
        for raw in ref[1:].split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def child(self, schema: object, key: str | int) -> object:
        """The schema of member ``key`` under (resolved) ``schema``; None: unconstrained;
        False: not allowed. Remembered per schema and member (array items past
        ``prefixItems`` share one entry), so each completed value costs a lookup per level."""
        if not isinstance(schema, dict):
            return None
        if isinstance(key, int):
            prefix = schema.get("prefixItems")
            if not isinstance(prefix, list):
                prefix = schema.get("items")
            slot: str | int = key if isinstance(prefix, list) and key < len(prefix) else -1
        elif key in schema.get("properties", ()):
            slot = key
        else:
            return self.resolve(_child_schema(schema, key))  # unlisted keys: not remembered
        memo = (id(schema), slot)
        known = self._children.get(memo)
        if known is not None and known[0] is schema:
            return known[1]
        found = self.resolve(_child_schema(schema, key))
        self._children[memo] = (schema, found)
        return found


def _child_schema(schema: dict[str, Any], key: str | int) -> object:
    if isinstance(key, str):
        properties = schema.get("properties")
        if isinstance(properties, dict) and key in properties:
            return properties[key]
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            for pattern, sub in patterns.items():
                compiled = _compiled(pattern) if isinstance(pattern, str) else None
                if compiled is not None and compiled.search(key):
                    return sub
        additional = schema.get("additionalProperties")
        return additional if isinstance(additional, (dict, bool)) else None
    prefix = schema.get("prefixItems")
    items = schema.get("items")
    if isinstance(prefix, list):
        if key < len(prefix):
            return prefix[key]
        return items if isinstance(items, (dict, bool)) else None
    if isinstance(items, list):  # draft 7 tuple form
        if key < len(items):
            return items[key]
        additional = schema.get("additionalItems")
        return additional if isinstance(additional, (dict, bool)) else None
    return items if isinstance(items, (dict, bool)) else None


def _is_composite(schema: object) -> bool:
    return isinstance(schema, dict) and (
        "anyOf" in schema or "oneOf" in schema or "allOf" in schema
    )


# --------------------------------------------------------------------------- one node


def _check_type(
    value: object, schema: dict[str, Any], path: JSONPath, out: list[Violation]
) -> bool:
    declared = schema.get("type")
    if declared is None:
        return True
    names = [declared] if isinstance(declared, str) else declared
    if not isinstance(names, list):
        return True
    actual = json_type(value)
    if any(isinstance(n, str) and _type_matches(n, actual) for n in names):
        return True
    wanted = " or ".join(str(n) for n in names)
    got = actual if actual in ("null", "array", "object") else f"{actual} {_show(value)}"
    out.append(Violation(path, f"expected {wanted}, got {got}", "type"))
    return False


def _check_enum(
    value: object, schema: dict[str, Any], path: JSONPath, out: list[Violation]
) -> None:
    if "const" in schema and not json_equal(value, schema["const"]):
        out.append(
            Violation(path, f"must be {_show(schema['const'])} (got {_show(value)})", "const")
        )
    choices = schema.get("enum")
    if isinstance(choices, list) and not any(json_equal(value, c) for c in choices):
        shown = ", ".join(_show(c) for c in choices[:_SHOWN_CHOICES])
        if len(choices) > _SHOWN_CHOICES:
            shown += f", … ({len(choices)} in all)"
        out.append(Violation(path, f"must be one of {shown} (got {_show(value)})", "enum"))


def _bound(schema: dict[str, Any], name: str) -> float | None:
    value = schema.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _check_number(
    value: float, schema: dict[str, Any], path: JSONPath, out: list[Violation]
) -> None:
    low, high = _bound(schema, "minimum"), _bound(schema, "maximum")
    ex_low, ex_high = _bound(schema, "exclusiveMinimum"), _bound(schema, "exclusiveMaximum")
    if schema.get("exclusiveMinimum") is True and low is not None:  # draft 4
        ex_low, low = low, None
    if schema.get("exclusiveMaximum") is True and high is not None:
        ex_high, high = high, None
    got = f"(got {_number(value)})"
    if low is not None and value < low:
        out.append(Violation(path, f"must be ≥ {_number(low)} {got}", "minimum"))
    if ex_low is not None and value <= ex_low:
        out.append(Violation(path, f"must be > {_number(ex_low)} {got}", "exclusiveMinimum"))
    if high is not None and value > high:
        out.append(Violation(path, f"must be ≤ {_number(high)} {got}", "maximum"))
    if ex_high is not None and value >= ex_high:
        out.append(Violation(path, f"must be < {_number(ex_high)} {got}", "exclusiveMaximum"))
    step = _bound(schema, "multipleOf")
    if step is not None and step > 0 and math.isfinite(value):
        quotient = value / step
        if not math.isfinite(quotient) or abs(quotient - round(quotient)) > 1e-9 * max(
            1.0, abs(quotient)
        ):
            out.append(
                Violation(path, f"must be a multiple of {_number(step)} {got}", "multipleOf")
            )


def _count(schema: dict[str, Any], name: str) -> int | None:
    value = schema.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _check_string(value: str, schema: dict[str, Any], path: JSONPath, out: list[Violation]) -> None:
    length = len(value)
    shortest, longest = _count(schema, "minLength"), _count(schema, "maxLength")
    if shortest is not None and length < shortest:
        out.append(
            Violation(
                path, f"must be at least {shortest} characters long (got {length})", "minLength"
            )
        )
    if longest is not None and length > longest:
        out.append(
            Violation(
                path, f"must be at most {longest} characters long (got {length})", "maxLength"
            )
        )
    pattern = schema.get("pattern")
    compiled = _compiled(pattern) if isinstance(pattern, str) else None
    if compiled is not None and compiled.search(value) is None:
        out.append(Violation(path, f"must match the pattern {pattern}", "pattern"))


def _check_array(
    value: list[Any], schema: dict[str, Any], path: JSONPath, out: list[Violation]
) -> None:
    size = len(value)
    fewest, most = _count(schema, "minItems"), _count(schema, "maxItems")
    if fewest is not None and size < fewest:
        out.append(Violation(path, f"must have at least {fewest} items (got {size})", "minItems"))
    if most is not None and size > most:
        out.append(Violation(path, f"must have at most {most} items (got {size})", "maxItems"))
    if schema.get("uniqueItems") is True:
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            key = _json_key(item)
            if key in seen:
                out.append(
                    Violation(
                        path,
                        f"items must be unique (item {i} repeats item {seen[key]})",
                        "uniqueItems",
                    )
                )
                break
            seen[key] = i


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], path: JSONPath, out: list[Violation]
) -> None:
    required = schema.get("required")
    if isinstance(required, list):
        for name in required:
            if isinstance(name, str) and name not in value:
                out.append(Violation(path, f"missing required property {_show(name)}", "required"))
    fewest, most = _count(schema, "minProperties"), _count(schema, "maxProperties")
    size = len(value)
    if fewest is not None and size < fewest:
        out.append(
            Violation(path, f"must have at least {fewest} properties (got {size})", "minProperties")
        )
    if most is not None and size > most:
        out.append(
            Violation(path, f"must have at most {most} properties (got {size})", "maxProperties")
        )


def _check_own(
    value: object, schema: object, path: JSONPath, out: list[Violation], schemas: _Schemas
) -> None:
    """The keywords of ``schema`` that apply to ``value`` itself (members were checked as
    they completed); a composite schema checks the whole value."""
    if schema is None:
        return
    if schema is False:
        out.append(Violation(path, "not allowed here (the schema allows nothing)", "false"))
        return
    if not isinstance(schema, dict):
        return
    if _is_composite(schema):
        out.extend(_check_composite(value, schema, path, schemas))
        return
    if not _check_type(value, schema, path, out):
        return
    _check_enum(value, schema, path, out)
    kind = type(value)
    if kind is str:
        _check_string(value, schema, path, out)  # type: ignore[arg-type]
    elif kind is int or kind is float:
        _check_number(value, schema, path, out)  # type: ignore[arg-type]
    elif kind is list:
        _check_array(value, schema, path, out)  # type: ignore[arg-type]
    elif kind is dict:
        _check_object(value, schema, path, out)  # type: ignore[arg-type]


def _unexpected(parent: object, key: str | int, own: object, path: JSONPath) -> Violation | None:
    """A member its object or array does not allow (``additionalProperties: false``)."""
    if own is not False or not isinstance(parent, dict):
        return None
    listed = parent.get("properties") if isinstance(key, str) else parent.get("prefixItems")
    if (isinstance(listed, dict) and key in listed) or (
        isinstance(listed, list) and isinstance(key, int) and key < len(listed)
    ):
        return Violation(path, "not allowed here (the schema allows nothing)", "false")
    if isinstance(key, str):
        return Violation(
            path, f"unexpected property {_show(key)} (not in the schema)", "additionalProperties"
        )
    return Violation(path, f"unexpected item {key} (the schema allows {key} at most)", "items")


# --------------------------------------------------------------------------- whole values


def _plain(schema: object) -> object:
    """A schema as plain data (a pydantic model's dumped, a Mapping as a dict)."""
    if isinstance(schema, Mapping) and not isinstance(schema, dict):
        return dict(schema)
    return schema


def _walk(
    value: object, schema: object, path: JSONPath, schemas: _Schemas, out: list[Violation]
) -> None:
    """Check ``value`` and everything in it, members first, in document order: the order
    (and result) of checking each value as it completes while streaming. No recursion."""
    # frames: (value, path, own schema, iterator over members or None)
    stack: list[tuple[object, JSONPath, object, Iterator[tuple[str | int, object]] | None]] = []

    def push(item: object, where: JSONPath, own: object) -> None:
        members: Iterator[tuple[str | int, object]] | None = None
        if own is not None and own is not False and not _is_composite(own):
            if isinstance(item, dict):
                members = iter(item.items())
            elif isinstance(item, list):
                members = enumerate(item)
        stack.append((item, where, own, members))

    push(value, path, schema)
    while stack:
        item, where, own, members = stack[-1]
        if members is not None:
            step = next(members, None)
            if step is not None:
                key, child = step
                child_path = (*where, key)
                child_schema = schemas.child(own, key)
                problem = _unexpected(own, key, child_schema, child_path)
                if problem is not None:
                    out.append(problem)
                    continue
                if child_schema is None:
                    continue
                push(child, child_path, child_schema)
                continue
        stack.pop()
        _check_own(item, own, where, out, schemas)


def _check_composite(
    value: object, schema: dict[str, Any], path: JSONPath, schemas: _Schemas
) -> list[Violation]:
    out: list[Violation] = []
    base = {k: v for k, v in schema.items() if k not in _COMPOSITE}
    if base:
        _walk(value, schemas.resolve(base), path, schemas, out)
    branches_all = schema.get("allOf")
    if isinstance(branches_all, list):
        for branch in branches_all:
            found: list[Violation] = []
            _walk(value, schemas.resolve(branch), path, schemas, found)
            out.extend(v for v in found if v not in out)
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if not isinstance(branches, list) or not branches:
            continue
        results: list[list[Violation]] = []
        for branch in branches:
            found = []
            _walk(value, schemas.resolve(branch), path, schemas, found)
            results.append(found)
        passing = sum(1 for found in results if not found)
        if keyword == "oneOf" and passing > 1:
            out.append(
                Violation(
                    path, f"matches {passing} of the allowed forms; exactly one must match", "oneOf"
                )
            )
        if passing:
            continue
        out.extend(_explain_branches(value, branches, results, path, keyword, schemas))
    return out


def _explain_branches(
    value: object,
    branches: list[Any],
    results: list[list[Violation]],
    path: JSONPath,
    keyword: str,
    schemas: _Schemas,
) -> list[Violation]:
    """Why no branch matched: the one branch of the value's type, else the types allowed."""
    typed = [
        found
        for branch, found in zip(branches, results, strict=True)
        if not any(v.keyword == "type" and v.path == path for v in found)
    ]
    if len(typed) == 1:
        return typed[0]
    names: list[str] = []
    for branch in branches:
        resolved = schemas.resolve(branch)
        declared = resolved.get("type") if isinstance(resolved, dict) else None
        for name in [declared] if isinstance(declared, str) else declared or []:
            if isinstance(name, str) and name not in names:
                names.append(name)
    actual = json_type(value)
    got = actual if actual in ("null", "array", "object") else f"{actual} {_show(value)}"
    if names and not typed:
        return [Violation(path, f"expected {' or '.join(names)}, got {got}", "type")]
    return [
        Violation(path, f"matches none of the {len(branches)} allowed forms (got {got})", keyword)
    ]


def validate_arguments(schema: object, arguments: object) -> list[Violation]:
    """Every violation of ``schema`` by ``arguments`` (a complete value), in the order the
    live check finds them while the arguments stream. ``[]`` when valid."""
    schemas = _Schemas(_plain(schema))
    out: list[Violation] = []
    _walk(arguments, schemas.resolve(schemas.root), (), schemas, out)
    return out


# --------------------------------------------------------------------------- streaming


class SchemaChecker:
    """Checks one tool call's arguments as they stream, each value once, when complete.

    Feed it the completions of a :class:`~streamscope.core.json.partial.PartialJSON`
    (``PartialJSON(on_complete=checker.completed)``); :attr:`violations` grows as they
    are found. For a complete document the list equals :func:`validate_arguments`.
    """

    __slots__ = ("_root", "_schemas", "error", "schema", "violations")

    def __init__(self, schema: object) -> None:
        self.schema = _plain(schema)
        """The tool's ``input_schema``."""
        self._schemas = _Schemas(self.schema)
        self.violations: list[Violation] = []
        """What was found so far, in the order found."""
        self.error: str | None = None
        """Why checking stopped (a schema this code could not read), or None."""
        self._root: object = None
        try:
            self._root = self._schemas.resolve(self.schema)
        except Exception as exc:  # defensive: a schema from a recording may be anything
            self.error = f"the schema could not be checked ({type(exc).__name__}: {exc})"

    def completed(self, path: JSONPath, value: object, whole: bool) -> None:
        """The value at ``path`` is complete; ``whole``: its members were not reported
        (it arrived in one piece), so they are checked now too. Never raises: a schema
        that breaks the check stops it (``error``), never the parse."""
        if self.error is not None:
            return
        try:
            self._completed(path, value, whole)
        except Exception as exc:  # defensive: the parser must go on
            self.error = f"the schema could not be checked ({type(exc).__name__}: {exc})"

    def _completed(self, path: JSONPath, value: object, whole: bool) -> None:
        schemas = self._schemas
        parent: object = None
        own = self._root
        for key in path:
            if own is None or own is False or _is_composite(own):
                return  # unconstrained below, or checked whole when the composite completes
            parent, own = own, schemas.child(own, key)
        if path:
            problem = _unexpected(parent, path[-1], own, path)
            if problem is not None:
                self.violations.append(problem)
                return
        if own is None:
            return
        if whole:
            _walk(value, own, path, schemas, self.violations)
        else:
            _check_own(value, own, path, self.violations, schemas)

    def check_whole(self, value: object) -> None:
        """Check complete arguments that did not stream (a block whose input came whole)."""
        self.completed((), value, True)
