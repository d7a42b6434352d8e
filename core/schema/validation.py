"""Tool arguments checked against their JSON schema: one rule for the live marks and the loop.

How it works: ``docs/internals.md``, section ``streamscope.core.schema.validation``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import jsonschema_rs

__all__ = [
    "DIFFERENCES",
    "SchemaChecker",
    "Violation",
    "validate_arguments",
]

JSONPath = tuple[str | int, ...]

DIFFERENCES: Final[dict[str, str]] = {
    "pattern engine": "patterns (pattern, patternProperties) are Rust regex syntax, matched "
    "in linear time: a pattern using look-around or backreferences, which Python's "
    "backtracking engine accepts, makes the schema 'not checked' rather than risk a match "
    "that never ends; Unicode classes such as \\p{L}, which Python's re rejects, work",
    "multipleOf": "a decimal multipleOf is exact (0.3 is a multiple of 0.1), where "
    "jsonschema divides binary floats and calls 0.3 not a multiple of 0.1",
    "non-finite numbers": "Infinity or NaN in a schema (maximum: -Infinity) are not JSON: "
    "the schema is 'not checked', where jsonschema compares with them",
    "unusable schemas": "a schema invalid under its meta-schema, a $ref that leads nowhere "
    "or loops, or nesting too deep gives one 'not checked' violation instead of an "
    "exception; jsonschema raises (SchemaError, Unresolvable, RecursionError)",
    "lone surrogates": "a string holding a lone surrogate (JSON allows \\ud800) is checked "
    "with U+FFFD in its place: same length, not the same text for a pattern",
}
"""Where :func:`validate_arguments` deliberately differs from the reference validator
``jsonschema`` (the corpus test in ``tests/test_schema_corpus.py`` holds every other case
to 100% agreement)."""


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


# --------------------------------------------------------------------------- compiling

_SHOWN_CHOICES: Final = 6  # enum members named in a message
_NOT_CHECKED: Final = "not_checked"
_MAX_CACHED: Final = 64  # compiled schemas kept (one per tool, usually)
_MAX_MEMO: Final = 10_000  # (sub-schema, member) lookups remembered per schema

# Keywords whose sub-schemas apply to a member only depending on other members, on which
# branch matches, or on the dynamic scope: below them, members are checked with their
# container.
_WAITS: Final = frozenset(
    {
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "dependencies",
        "unevaluatedProperties",
        "unevaluatedItems",
        "$dynamicRef",
        "$recursiveRef",
    }
)


class SchemaUnusable(Exception):
    """The validator cannot use this schema (the message says why, in words)."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the schema nests too deep to check"
    first = str(exc).strip().splitlines()
    text = first[0] if first else type(exc).__name__
    if "Recursion limit" in text:
        return "the schema nests too deep to check"
    where = getattr(exc, "instance_path", None)
    if isinstance(exc, jsonschema_rs.ValidationError) and where:
        text = f"{exc.message} at {'/'.join(str(p) for p in where)}"
    return f"the schema is not usable ({text[:200]})"


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


_ROOT_URI: Final = "urn:streamscope:input-schema"
_MAX_SCHEMA_CHARS: Final = 512 * 1024
"""A schema whose JSON text is longer is not checked (compiling grows faster than linearly
with the number of ``$ref`` hops: a 10,000-hop chain, 350 KB, compiles in about a second)."""
_SUB_BUDGET_CHARS: Final = 2 * 1024 * 1024
"""Sub-schema validators compiled per schema: as many as this many characters of schema
allow (at most :data:`_MAX_SUB_VALIDATORS`); past it, members wait for their container."""
_MAX_SUB_VALIDATORS: Final = 256


def _options() -> dict[str, Any]:
    return {
        "pattern_options": jsonschema_rs.RegexOptions(),  # linear-time matching
        "validate_formats": False,  # 2020-12: format is an annotation
        "offline": True,  # never fetch a $ref
    }


class _Compiled:
    """One schema compiled: the library's validator for the whole schema, and for each
    sub-schema a value completed mid-stream needs (compiled on first use, within a
    budget), each resolving ``$ref`` against the whole schema."""

    __slots__ = ("_registry", "_subs", "local_refs", "root", "schema", "sub_budget")

    def __init__(self, schema: dict[str, Any] | bool, size: int) -> None:
        self.schema = schema
        self.root: Any = jsonschema_rs.validator_for(schema, **_options())
        self._registry = jsonschema_rs.Registry([(_ROOT_URI, schema)])
        self._subs: dict[str, Any] = {}
        self.local_refs = not _has_nested_ids(schema)
        self.sub_budget = min(_MAX_SUB_VALIDATORS, _SUB_BUDGET_CHARS // max(size, 1))

    def validator(self, pointer: str) -> Any:
        """The validator of the sub-schema at ``pointer`` (``#/properties/a``), or None when
        the budget is spent or it does not compile (then its value waits for its
        container)."""
        if pointer == "#":
            return self.root
        if pointer in self._subs:
            return self._subs[pointer]
        found = None
        if len(self._subs) < self.sub_budget:
            ref = f"{_ROOT_URI}#{quote(pointer[1:], safe='/~$')}"
            try:
                found = jsonschema_rs.validator_for(
                    {"$ref": ref}, registry=self._registry, **_options()
                )
            except Exception:
                found = None
        self._subs[pointer] = found
        return found


def _has_nested_ids(schema: object) -> bool:
    """Whether a sub-schema sets ``$id`` or ``$anchor`` (then ``$ref`` resolves against
    another base, and only the library follows it). No recursion."""
    stack = [(schema, True)]
    while stack:
        node, is_root = stack.pop()
        if isinstance(node, dict):
            if not is_root and ("$id" in node or "$anchor" in node or "$dynamicAnchor" in node):
                return True
            stack.extend((child, False) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, False) for child in node)
    return False


@functools.lru_cache(maxsize=_MAX_CACHED)
def _compile_text(text: str) -> _Compiled:
    try:
        return _Compiled(json.loads(text), len(text))
    except RecursionError:
        raise SchemaUnusable("the schema nests too deep to check") from None
    except Exception as exc:
        raise SchemaUnusable(_reason(exc)) from None


def compile_schema(schema: object) -> _Compiled:
    """The schema compiled (remembered by its JSON text). Raises :class:`SchemaUnusable`."""
    if not isinstance(schema, (dict, bool)):
        raise SchemaUnusable(f"the schema is not usable (a {type(schema).__name__}, not an object)")
    try:
        text = json.dumps(schema, allow_nan=False, sort_keys=False)
    except RecursionError:
        raise SchemaUnusable("the schema nests too deep to check") from None
    except (TypeError, ValueError) as exc:
        raise SchemaUnusable(f"the schema is not JSON ({exc})") from None
    if len(text) > _MAX_SCHEMA_CHARS:
        raise SchemaUnusable(
            f"the schema is too large to check ({len(text):,} characters of JSON; the cap is "
            f"{_MAX_SCHEMA_CHARS:,})"
        )
    return _compile_text(text)


# --------------------------------------------------------------------------- where a value stands

# A position: the pointers whose validators check the value there (each a sub-schema that
# applies), or None when the value waits for its container.
_Position = tuple[str, ...] | None


class _Locator:
    """Which sub-schemas apply to the member ``key`` of a value checked by ``pointers``."""

    __slots__ = ("_memo", "compiled")

    def __init__(self, compiled: _Compiled) -> None:
        self.compiled = compiled
        self._memo: dict[tuple[tuple[str, ...], str | int], _Position] = {}

    def _node(self, pointer: str) -> object:
        node: object = self.compiled.schema
        for raw in pointer[2:].split("/") if len(pointer) > 1 else ():
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def _expand(self, pointers: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]] | None:
        """Every schema object that applies with ``pointers``: through ``$ref`` chains (any
        length, each target once) and ``allOf`` branches. None: a member must wait."""
        out: list[tuple[str, dict[str, Any]]] = []
        seen: set[str] = set()
        todo = list(pointers)
        while todo:
            pointer = todo.pop()
            if pointer in seen:
                continue
            seen.add(pointer)
            node = self._node(pointer)
            if not isinstance(node, dict):
                continue  # true: nothing below; false: the value itself fails
            if _WAITS.intersection(node):
                return None
            ref = node.get("$ref")
            if ref is not None:
                local = isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))
                if not (local and self.compiled.local_refs):
                    return None
                todo.append("#" if ref == "#" else ref)
            branches = node.get("allOf")
            if isinstance(branches, list):
                todo.extend(f"{pointer}/allOf/{i}" for i in range(len(branches)))
            out.append((pointer, node))
        return out

    def child(self, pointers: tuple[str, ...], key: str | int) -> _Position:
        slot: str | int = key
        memo = self._memo.get((pointers, slot))
        if memo is not None or (pointers, slot) in self._memo:
            return memo
        found = self._child(pointers, key)
        if len(self._memo) < _MAX_MEMO:
            self._memo[(pointers, slot)] = found
        return found

    def _child(self, pointers: tuple[str, ...], key: str | int) -> _Position:
        nodes = self._expand(pointers)
        if nodes is None:
            return None
        out: list[str] = []
        for pointer, node in nodes:
            if isinstance(key, str):
                out += _member_pointers(pointer, node, key)
            else:
                out += _item_pointers(pointer, node, key)
        return tuple(out)


def _member_pointers(pointer: str, node: dict[str, Any], key: str) -> list[str]:
    out: list[str] = []
    properties = node.get("properties")
    if isinstance(properties, dict) and key in properties:
        out.append(f"{pointer}/properties/{_escape(key)}")
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict):
        out += [f"{pointer}/patternProperties/{_escape(p)}" for p in patterns if _matches(p, key)]
    if not out and "additionalProperties" in node:
        out.append(f"{pointer}/additionalProperties")
    return out


def _item_pointers(pointer: str, node: dict[str, Any], key: int) -> list[str]:
    prefix = node.get("prefixItems")
    items = node.get("items")
    if isinstance(items, list):  # drafts before 2020-12: items as a list of item schemas
        if key < len(items):
            return [f"{pointer}/items/{key}"]
        return [f"{pointer}/additionalItems"] if "additionalItems" in node else []
    if isinstance(prefix, list) and key < len(prefix):
        return [f"{pointer}/prefixItems/{key}"]
    return [f"{pointer}/items"] if "items" in node else []


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> Any:
    return jsonschema_rs.validator_for(
        {"pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions()
    )


def _matches(pattern: str, key: str) -> bool:
    """Whether ``key`` matches ``pattern`` (linear time; the schema compiled, so the
    pattern is valid)."""
    try:
        return bool(_pattern(pattern).is_valid(key))
    except Exception:  # a lone surrogate in the name
        return bool(_pattern(pattern).is_valid(_without_surrogates(key)))


# --------------------------------------------------------------------------- values


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
    text = str(value)
    return text if len(text) <= 40 else f"{text[:18]}…({len(text)} digits)"


def _got(value: object) -> str:
    actual = json_type(value)
    return actual if actual in ("null", "array", "object") else f"{actual} {_show(value)}"


def _without_surrogates(value: object) -> Any:
    """A copy with each lone surrogate replaced by U+FFFD (no recursion)."""

    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, object]] = [(root, 0, value)]
    while stack:
        parent, slot, item = stack.pop()
        if isinstance(item, str):
            parent[slot] = _without_surrogates(item)
        elif isinstance(item, list):
            copy: list[Any] = [None] * len(item)
            parent[slot] = copy
            stack.extend((copy, i, child) for i, child in enumerate(item))
        elif isinstance(item, dict):
            members: dict[str, Any] = {}
            parent[slot] = members
            pending = []
            for key, child in item.items():
                name = _without_surrogates(key) if isinstance(key, str) else key
                members[name] = None
                pending.append((members, name, child))
            stack.extend(pending)
        else:
            parent[slot] = item
    return root[0]


# --------------------------------------------------------------------------- words


def _location(pointer: str, error: Any) -> list[str | int]:
    base: list[str | int] = [
        p.replace("~1", "/").replace("~0", "~") for p in pointer[2:].split("/") if pointer != "#"
    ]
    return [*base, *error.schema_path]


def _violations(error: Any, base: JSONPath, location: list[str | int]) -> list[Violation]:
    """One library error as violations in our words (several for unexpected properties)."""
    kind = error.kind
    name = kind.name
    path = (*base, *error.instance_path)
    value = error.instance
    last = next((p for p in reversed(location) if isinstance(p, str)), "")
    if name in ("additionalProperties", "unevaluatedProperties"):
        why = "not in the schema" if name == "additionalProperties" else "not evaluated"
        return [
            Violation((*path, key), f"unexpected property {_show(key)} ({why})", name)
            for key in kind.unexpected
        ]
    if name == "falseSchema":
        key = path[-1] if path else None
        if last == "additionalProperties" and isinstance(key, str):
            message = f"unexpected property {_show(key)} (not in the schema)"
            return [Violation(path, message, "additionalProperties")]
        if last in ("items", "additionalItems") and isinstance(key, int):
            message = f"unexpected item {key} (the schema allows {key} at most)"
            return [Violation(path, message, "items")]
        return [Violation(path, "not allowed here (the schema allows nothing)", "false")]
    if name == "type":
        wanted = " or ".join(str(t) for t in kind.types)
        return [Violation(path, f"expected {wanted}, got {_got(value)}", "type")]
    if name == "required":
        return [Violation(path, f"missing required property {_show(kind.property)}", last)]
    if name == "enum":
        choices = list(kind.options) if isinstance(kind.options, list) else [kind.options]
        shown = ", ".join(_show(c) for c in choices[:_SHOWN_CHOICES])
        if len(choices) > _SHOWN_CHOICES:
            shown += f", … ({len(choices)} in all)"
        return [Violation(path, f"must be one of {shown} (got {_show(value)})", "enum")]
    if name == "const":
        message = f"must be {_show(kind.expected_value)} (got {_show(value)})"
        return [Violation(path, message, "const")]
    bounds = {
        "minimum": "≥",
        "maximum": "≤",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
    }
    if name in bounds:
        message = f"must be {bounds[name]} {_number(kind.limit)} (got {_number(value)})"
        return [Violation(path, message, name)]
    if name == "multipleOf":
        message = f"must be a multiple of {_number(kind.multiple_of)} (got {_number(value)})"
        return [Violation(path, message, name)]
    counts = {
        "minLength": ("at least", "characters long", len),
        "maxLength": ("at most", "characters long", len),
        "minItems": ("have at least", "items", len),
        "maxItems": ("have at most", "items", len),
        "minProperties": ("have at least", "properties", len),
        "maxProperties": ("have at most", "properties", len),
    }
    if name in counts and isinstance(value, (str, list, dict)):
        how, unit, size = counts[name]
        verb = "be " if unit == "characters long" else ""
        message = f"must {verb}{how} {kind.limit} {unit} (got {size(value)})"
        return [Violation(path, message, name)]
    if name == "pattern":
        return [Violation(path, f"must match the pattern {kind.pattern}", "pattern")]
    if name == "uniqueItems" and isinstance(value, list):
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            key = _json_key(item)
            if key in seen:
                message = f"items must be unique (item {i} repeats item {seen[key]})"
                return [Violation(path, message, "uniqueItems")]
            seen[key] = i
    if name == "not":
        return [Violation(path, f"must not match {_show(kind.schema)} (got {_show(value)})", name)]
    if name in ("anyOf", "oneOf") and isinstance(kind.context, list):
        return _explain(error, base, location, path, name)
    return [Violation(path, str(error.message), name if name != "custom" else last)]


def _explain(
    error: Any, base: JSONPath, location: list[str | int], path: JSONPath, keyword: str
) -> list[Violation]:
    """Why no branch of ``anyOf``/``oneOf`` matched: the one branch of the value's type,
    else the types allowed; or that several matched (``oneOf``)."""
    branches: list[list[Any]] = error.kind.context
    passing = sum(1 for found in branches if not found)
    if passing:
        message = f"matches {passing} of the allowed forms; exactly one must match"
        return [Violation(path, message, keyword)]
    typed = [
        found
        for found in branches
        if not any(e.kind.name == "type" and (*base, *e.instance_path) == path for e in found)
    ]
    if len(typed) == 1:
        out: list[Violation] = []
        for e in typed[0]:
            for v in _violations(e, base, [*location, *e.schema_path]):
                if v not in out:
                    out.append(v)
        return out
    names: list[str] = []
    for found in branches:
        for e in found:
            if e.kind.name == "type" and (*base, *e.instance_path) == path:
                names += [t for t in e.kind.types if t not in names]
    got = _got(error.instance)
    if names and not typed:
        return [Violation(path, f"expected {' or '.join(names)}, got {got}", "type")]
    return [
        Violation(path, f"matches none of the {len(branches)} allowed forms (got {got})", keyword)
    ]


# --------------------------------------------------------------------------- checking


def _plain(schema: object) -> object:
    """A schema as plain data (a pydantic model's dumped, a Mapping as a dict)."""
    if isinstance(schema, Mapping) and not isinstance(schema, dict):
        return dict(schema)
    return schema


def _not_checked(path: JSONPath, reason: str) -> Violation:
    return Violation(path, f"not checked: {reason}", _NOT_CHECKED)


class SchemaChecker:
    """Checks one tool call's arguments as they stream, each value when complete.

    Feed it the completions of a :class:`~streamscope.core.json.partial.PartialJSON`
    (``PartialJSON(on_complete=checker.completed)``); :attr:`violations` grows as they
    are found, each once. For a complete document the list equals
    :func:`validate_arguments`. Never raises.
    """

    __slots__ = ("_locator", "_seen", "error", "schema", "violations")

    def __init__(self, schema: object) -> None:
        self.schema = _plain(schema)
        """The tool's ``input_schema``."""
        self.violations: list[Violation] = []
        """What was found so far, in the order found."""
        self.error: str | None = None
        """Why the schema, or part of the check, could not be used (also a ``not
        checked`` violation), or None."""
        self._seen: set[Violation] = set()
        self._locator: _Locator | None = None
        try:
            self._locator = _Locator(compile_schema(self.schema))
        except SchemaUnusable as exc:
            self._give_up((), str(exc))
        except Exception as exc:  # defensive: a schema from a recording may be anything
            self._give_up((), _reason(exc))

    def _give_up(self, path: JSONPath, reason: str) -> None:
        if self.error is None:
            self.error = reason
        self._add(_not_checked(path, reason))

    def _add(self, violation: Violation) -> None:
        if violation not in self._seen:
            self._seen.add(violation)
            self.violations.append(violation)

    def completed(self, path: JSONPath, value: object, whole: bool) -> None:
        """The value at ``path`` is complete (``whole``: it arrived in one piece; its
        members are checked with it either way). Never raises: a check that breaks gives
        a ``not checked`` mark, never an exception in the parse."""
        if self._locator is None or self.error is not None:
            return  # not usable, or a check broke: marked once, not checked further
        where = tuple(path)
        try:
            if whole:  # its members first, in document order, as if they had streamed
                for inner, item in _completions(value):
                    self._completed((*where, *inner), item)
            else:
                self._completed(where, value)
        except Exception as exc:  # defensive: the parser must go on
            self._give_up(where, f"the check failed ({type(exc).__name__}: {exc})")

    def _completed(self, path: JSONPath, value: object) -> None:
        locator = self._locator
        assert locator is not None
        position: _Position = ("#",)
        for depth in range(len(path)):
            if position is None or not position:
                return
            position = locator.child(position, path[depth])
        if not position:
            return
        for pointer in position:
            self._check(pointer, path, value)

    def _check(self, pointer: str, path: JSONPath, value: object) -> None:
        locator = self._locator
        assert locator is not None
        validator = locator.compiled.validator(pointer)
        if validator is None:
            return
        try:
            errors = list(validator.iter_errors(value))
        except UnicodeEncodeError:
            errors = list(validator.iter_errors(_without_surrogates(value)))
        except (ValueError, RecursionError) as exc:
            self._give_up(path, _reason(exc).replace("schema nests", "value nests"))
            return
        for error in errors:
            for violation in _violations(error, path, _location(pointer, error)):
                self._add(violation)

    def check_whole(self, value: object) -> None:
        """Check complete arguments that did not stream (a block whose input came whole)."""
        self.completed((), value, True)


def _completions(value: object) -> Iterator[tuple[JSONPath, object]]:
    """Each value in ``value`` with its path, members before their container, in document
    order: the order a stream completes them. No recursion."""
    stack: list[tuple[JSONPath, object, Iterator[tuple[str | int, object]] | None]] = []

    def members(item: object) -> Iterator[tuple[str | int, object]] | None:
        if isinstance(item, dict):
            return iter(item.items())
        if isinstance(item, list):
            return enumerate(item)
        return None

    stack.append(((), value, members(value)))
    while stack:
        path, item, rest = stack[-1]
        step = next(rest, None) if rest is not None else None
        if step is not None:
            key, child = step
            stack.append(((*path, key), child, members(child)))
            continue
        stack.pop()
        yield path, item


def validate_arguments(schema: object, arguments: object) -> list[Violation]:
    """Every violation of ``schema`` by ``arguments`` (a complete value), in the order the
    live check finds them while the arguments stream. ``[]`` when valid; a schema that
    cannot be used gives one ``not checked`` violation (keyword ``"not_checked"``)."""
    checker = SchemaChecker(schema)
    checker.check_whole(arguments)
    return checker.violations
