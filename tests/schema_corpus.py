"""A corpus of JSON Schema (draft 2020-12) schema/value pairs: every keyword, and the unlucky
values of issue 19 (backtracking patterns, deep nesting, huge numbers, non-finite bounds).

Each group is ``(name, schema, values)``; :data:`PAIRS` flattens them to one
:class:`Pair` per value. The expected outcome is the reference validator's (``jsonschema``,
computed by the test) except where a pair says otherwise:

- ``expect``: the outcome given here, for pairs the reference cannot judge (it hangs on a
  backtracking pattern, or raises): ``"valid"``, ``"invalid"`` or ``"not_checked"``;
- ``differs``: a key of :data:`streamscope.core.schema.validation.DIFFERENCES`, the documented
  reason our validator deliberately disagrees with the reference on this pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pair:
    name: str
    schema: Any
    value: Any
    expect: str | None = None  # "valid" | "invalid" | "not_checked"; None: the reference's
    differs: str | None = None


def _deep(keyword: str, depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {keyword: [schema]} if keyword == "allOf" else {keyword: schema}
    return schema


def _ref_chain(hops: int) -> dict[str, Any]:
    defs: dict[str, Any] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(hops)}
    defs[f"d{hops}"] = {"type": "string", "maxLength": 3}
    return {"$defs": defs, "properties": {"a": {"$ref": "#/$defs/d0"}}}


GROUPS: list[tuple[str, Any, list[Any]]] = [
    # ---------------------------------------------------------------- types
    ("type string", {"type": "string"}, ["a", "", 1, None, True, [], {}]),
    ("type integer", {"type": "integer"}, [1, 1.0, 1.5, "1", True, -0, 10**30]),
    ("type number", {"type": "number"}, [1, 1.5, "1.5", False, None]),
    ("type boolean", {"type": "boolean"}, [True, False, 0, "true"]),
    ("type null", {"type": "null"}, [None, 0, "", False]),
    ("type array", {"type": "array"}, [[], [1], {}, "[]"]),
    ("type object", {"type": "object"}, [{}, {"a": 1}, [], None]),
    ("type list", {"type": ["string", "null"]}, ["a", None, 1]),
    # ---------------------------------------------------------------- enum, const
    (
        "enum",
        {"enum": [1, "a", None, [1, 2], {"k": True}]},
        [1, 1.0, "a", None, [1, 2], [2, 1], {"k": True}, {"k": 1}, True, "b"],
    ),
    ("const number", {"const": 1}, [1, 1.0, True, "1"]),
    ("const false", {"const": False}, [False, 0, None]),
    (
        "const object",
        {"const": {"a": [1, {"b": None}]}},
        [{"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]}, {"a": [1]}],
    ),
    ("enum huge", {"enum": list(range(5000))}, [4999, 5000, -1]),
    # ---------------------------------------------------------------- numbers
    ("minimum", {"minimum": 5}, [5, 4.999, 6, "3"]),
    ("maximum", {"maximum": 5}, [5, 5.001, -10]),
    ("exclusiveMinimum", {"exclusiveMinimum": 5}, [5, 5.5, 4]),
    ("exclusiveMaximum", {"exclusiveMaximum": 0}, [0, -0.1, 1]),
    ("multipleOf int", {"multipleOf": 3}, [9, 10, 0, -3, 9.0]),
    ("multipleOf float", {"multipleOf": 0.5}, [1.5, 1.25, 4]),
    ("multipleOf 10**400", {"multipleOf": 10**400}, [10**400, 10**401, 10**400 + 1, 0, 7]),
    ("multipleOf 3 of 401 digits", {"multipleOf": 3}, [10**400, 3 * 10**399]),
    ("minimum huge", {"minimum": 10**300}, [10**301, 1]),
    # ---------------------------------------------------------------- strings
    ("minLength", {"minLength": 2}, ["ab", "a", "é", "😀😀", 5]),
    ("maxLength", {"maxLength": 2}, ["ab", "abc", "😀😀", "😀😀😀"]),
    ("pattern", {"pattern": "^[A-Z]{3}$"}, ["ABC", "abc", "ABCD", 123]),
    ("pattern unanchored", {"pattern": "b"}, ["abc", "xyz"]),
    ("format annotation", {"format": "email"}, ["not an email", 1]),
    ("format date", {"format": "date"}, ["yesterday"]),
    # ---------------------------------------------------------------- arrays
    ("items", {"items": {"type": "integer"}}, [[1, 2], [1, "2"], [], "x"]),
    ("items false", {"items": False}, [[], [1]]),
    (
        "prefixItems",
        {"prefixItems": [{"type": "integer"}, {"type": "string"}]},
        [[1, "a"], [1, 2], [1], [1, "a", None]],
    ),
    (
        "prefixItems closed",
        {"prefixItems": [{"type": "integer"}], "items": False},
        [[1], [1, 2], []],
    ),
    (
        "prefixItems then items",
        {"prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
        [[1, "a", "b"], [1, "a", 2]],
    ),
    ("minItems maxItems", {"minItems": 1, "maxItems": 2}, [[], [1], [1, 2, 3]]),
    (
        "uniqueItems",
        {"uniqueItems": True},
        [[1, 2], [1, 1.0], [True, 1], [[1], [1]], [{"a": 1}, {"a": 1.0}], [{"a": 1}, {"b": 1}]],
    ),
    ("contains", {"contains": {"type": "string"}}, [["a", 1], [1, 2], []]),
    ("minContains", {"contains": {"type": "string"}, "minContains": 2}, [["a", "b"], ["a", 1]]),
    ("maxContains", {"contains": {"type": "string"}, "maxContains": 1}, [["a"], ["a", "b"]]),
    ("minContains 0", {"contains": {"type": "string"}, "minContains": 0}, [[], [1]]),
    (
        "unevaluatedItems",
        {"prefixItems": [{"type": "integer"}], "unevaluatedItems": False},
        [[1], [1, 2]],
    ),
    (
        "unevaluatedItems allOf",
        {"allOf": [{"prefixItems": [True, True]}], "unevaluatedItems": {"type": "string"}},
        [[1, 2, "x"], [1, 2, 3]],
    ),
    # ---------------------------------------------------------------- objects
    ("properties", {"properties": {"a": {"type": "integer"}}}, [{"a": 1}, {"a": "1"}, {}]),
    ("required", {"required": ["a", "b"]}, [{"a": 1, "b": 2}, {"a": 1}, [], "a"]),
    (
        "additionalProperties false",
        {"properties": {"a": {}}, "additionalProperties": False},
        [{"a": 1}, {"a": 1, "b": 2}],
    ),
    (
        "additionalProperties schema",
        {"properties": {"a": {}}, "additionalProperties": {"type": "integer"}},
        [{"b": 1}, {"b": "x"}, {"a": "x"}],
    ),
    (
        "patternProperties",
        {"patternProperties": {"^x-": {"type": "string"}}},
        [{"x-a": "s"}, {"x-a": 1}, {"y": 1}],
    ),
    (
        "properties and patternProperties overlap",
        {
            "properties": {"x-id": {"type": "string"}},
            "patternProperties": {"^x-": {"minLength": 3}, "id$": {"maxLength": 4}},
        },
        [{"x-id": "abcd"}, {"x-id": "ab"}, {"x-id": "abcde"}, {"x-id": 5}],
    ),
    (
        "two patterns",
        {
            "patternProperties": {"a": {"type": "integer"}, "b": {"minimum": 3}},
            "additionalProperties": False,
        },
        [{"ab": 3}, {"ab": 2}, {"ab": "x"}, {"c": 1}],
    ),
    (
        "minProperties maxProperties",
        {"minProperties": 1, "maxProperties": 2},
        [{}, {"a": 1}, {"a": 1, "b": 2, "c": 3}],
    ),
    ("propertyNames", {"propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, {"Ab": 1}]),
    ("propertyNames maxLength", {"propertyNames": {"maxLength": 2}}, [{"ab": 1}, {"abc": 1}]),
    (
        "dependentRequired",
        {"dependentRequired": {"a": ["b"]}},
        [{"a": 1, "b": 2}, {"a": 1}, {"b": 1}],
    ),
    (
        "dependentSchemas",
        {"dependentSchemas": {"a": {"required": ["c"]}}},
        [{"a": 1, "c": 1}, {"a": 1}, {}],
    ),
    (
        "unevaluatedProperties",
        {"properties": {"a": {}}, "unevaluatedProperties": False},
        [{"a": 1}, {"a": 1, "b": 2}],
    ),
    (
        "unevaluatedProperties allOf",
        {"allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": False},
        [{"a": 1}, {"b": 1}],
    ),
    (
        "unevaluatedProperties if",
        {
            "if": {"properties": {"k": {"const": 1}}},
            "then": {"properties": {"x": {}}},
            "unevaluatedProperties": False,
        },
        [{"k": 1, "x": 2}, {"k": 2, "x": 2}],
    ),
    # ---------------------------------------------------------------- applicators
    ("allOf", {"allOf": [{"type": "integer"}, {"minimum": 2}]}, [3, 1, "x"]),
    ("anyOf", {"anyOf": [{"type": "string"}, {"minimum": 2}]}, ["a", 3, 1]),
    ("oneOf", {"oneOf": [{"type": "integer"}, {"minimum": 2}]}, [1, 2.5, 3, "x"]),
    ("not", {"not": {"type": "string"}}, [1, "a"]),
    ("not not", {"not": {"not": {"minimum": 3}}}, [4, 2]),
    (
        "if then else",
        {"if": {"type": "integer"}, "then": {"minimum": 5}, "else": {"type": "string"}},
        [6, 4, "a", None],
    ),
    ("if then", {"if": {"minimum": 10}, "then": {"multipleOf": 5}}, [15, 12, 3]),
    ("else only", {"if": {"type": "string"}, "else": {"type": "null"}}, [None, "a", 1]),
    (
        "nested anyOf in properties",
        {"properties": {"a": {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "null"}]}}},
        [{"a": None}, {"a": "abc"}, {"a": 1}],
    ),
    (
        "anyOf of objects",
        {
            "properties": {
                "p": {
                    "anyOf": [
                        {
                            "properties": {"k": {"const": "a"}, "v": {"type": "integer"}},
                            "required": ["k"],
                        },
                        {
                            "properties": {"k": {"const": "b"}, "v": {"type": "string"}},
                            "required": ["k"],
                        },
                    ]
                }
            }
        },
        [{"p": {"k": "a", "v": 1}}, {"p": {"k": "a", "v": "x"}}, {"p": {"k": "b", "v": "x"}}],
    ),
    # ---------------------------------------------------------------- booleans as schemas
    ("true", True, [1, "a", None, {}]),
    ("false", False, [1, None, {}]),
    ("property false", {"properties": {"a": False}}, [{"a": 1}, {}]),
    ("property true", {"properties": {"a": True}}, [{"a": 1}]),
    ("empty schema", {}, [1, [{"a": None}]]),
    # ---------------------------------------------------------------- references
    (
        "$ref $defs",
        {"$defs": {"P": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/P"}}},
        [{"a": 1}, {"a": "1"}],
    ),
    (
        "$ref with siblings",
        {
            "$defs": {"P": {"type": "integer"}},
            "properties": {"a": {"$ref": "#/$defs/P", "minimum": 3}},
        },
        [{"a": 4}, {"a": 2}, {"a": "x"}],
    ),
    (
        "$ref alias",
        {
            "$defs": {
                "P": {
                    "type": "object",
                    "properties": {"x": {"type": "integer"}},
                    "required": ["x"],
                    "additionalProperties": False,
                },
                "A": {"$ref": "#/$defs/P"},
            },
            "properties": {"p": {"$ref": "#/$defs/A"}},
        },
        [{"p": {"x": 1}}, {"p": {"x": "1"}}, {"p": {"y": 1}}],
    ),
    (
        "$ref recursive",
        {
            "$defs": {
                "N": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/$defs/N"}, "v": {"type": "integer"}},
                }
            },
            "$ref": "#/$defs/N",
        },
        [{"v": 1, "next": {"v": 2, "next": {"v": 3}}}, {"next": {"next": {"v": "x"}}}],
    ),
    (
        "$ref root",
        {"properties": {"c": {"$ref": "#"}}, "maxProperties": 1},
        [{"c": {"c": {}}}, {"c": {"a": 1, "b": 2}}],
    ),
    (
        "$ref escaped pointer",
        {"$defs": {"a/b~c": {"type": "integer"}}, "properties": {"x": {"$ref": "#/$defs/a~1b~0c"}}},
        [{"x": 1}, {"x": "y"}],
    ),
    ("$ref chain of 40", _ref_chain(40), [{"a": "abc"}, {"a": "abcd"}, {"a": 1}]),
    (
        "$id and $anchor",
        {
            "$defs": {"x": {"$anchor": "num", "type": "number"}},
            "properties": {"a": {"$ref": "#num"}},
        },
        [{"a": 1}, {"a": "1"}],
    ),
    (
        "$dynamicRef",
        {"$dynamicAnchor": "meta", "type": "object", "properties": {"a": {"$dynamicRef": "#meta"}}},
        [{"a": {}}, {"a": 1}],
    ),
    # ---------------------------------------------------------------- nested documents
    (
        "nested",
        {
            "type": "object",
            "properties": {
                "edits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"line": {"type": "integer", "minimum": 1}},
                        "required": ["line"],
                    },
                }
            },
        },
        [
            {"edits": [{"line": 1}, {"line": 2}]},
            {"edits": [{"line": 0}]},
            {"edits": [{}]},
            {"edits": [{"line": "1"}]},
        ],
    ),
    # ---------------------------------------------------------------- invalid schemas
    ("minimum given as a boolean", {"minimum": True}, [1]),
    ("type not a type", {"type": "strung"}, ["a"]),
    ("required not a list", {"required": "a"}, [{}]),
    ("minLength negative", {"minLength": -1}, ["a"]),
    ("items not a schema", {"items": 3}, [[1]]),
    ("$ref not a string", {"$ref": 7}, [1]),
]

# Pairs the reference cannot judge, or where we deliberately differ.
SPECIAL: list[Pair] = [
    # Backtracking patterns: Python's re (the reference) never returns on these.
    Pair("backtracking pattern", {"pattern": "^(\\w+\\s?)*$"}, "a" * 35 + "!", "invalid"),
    Pair("backtracking pattern", {"pattern": "^(\\w+\\s?)*$"}, "a" * 35, "valid"),
    Pair("backtracking pattern", {"pattern": "^(a+)+$"}, "a" * 40 + "b", "invalid"),
    Pair("backtracking pattern", {"pattern": "^(a|aa)+$"}, "a" * 60 + "b", "invalid"),
    Pair(
        "backtracking patternProperties",
        {"patternProperties": {"^(\\w+\\s?)*$": {"type": "integer"}}},
        {"a" * 35 + "!": "x", "ok": 1},
        "valid",
    ),
    Pair(
        "backtracking patternProperties",
        {"patternProperties": {"^(\\w+\\s?)*$": {"type": "integer"}}},
        {"a" * 35: "x"},
        "invalid",
    ),
    Pair(
        "backtracking additionalProperties",
        {"patternProperties": {"^(\\w+\\s?)*$": True}, "additionalProperties": False},
        {"a" * 35 + "!": 1},
        "invalid",
    ),
    # Nesting too deep: the reference raises RecursionError.
    Pair("allOf 10,000 deep", _deep("allOf", 10_000), "a", "not_checked"),
    Pair("not 10,000 deep", _deep("not", 10_000), 1, "not_checked"),
    Pair("items 10,000 deep", _deep("items", 10_000), [[1]], "not_checked"),
    Pair("$ref chain of 10,000", _ref_chain(10_000), {"a": "abc"}, "valid"),
    Pair("$ref chain of 10,000", _ref_chain(10_000), {"a": 1}, "invalid"),
    # Not JSON: the reference raises OverflowError or compares with infinity.
    Pair("minLength Infinity", {"minLength": float("inf")}, "a", "not_checked"),
    Pair("maxLength NaN", {"maxLength": float("nan")}, "a", "not_checked"),
    Pair("maximum -Infinity", {"maximum": float("-inf")}, 1, "not_checked", "non-finite numbers"),
    # Decimal multipleOf: exact here, binary floats in the reference.
    Pair("multipleOf 0.1", {"multipleOf": 0.1}, 0.3, "valid", "multipleOf"),
    Pair("multipleOf 0.01", {"multipleOf": 0.01}, 0.29, "valid", "multipleOf"),
    Pair("multipleOf 0.01", {"multipleOf": 0.01}, 0.07, "valid", "multipleOf"),
    # The reference recurses once per hop and raises RecursionError.
    Pair("$ref chain of 500", _ref_chain(500), {"a": "abc"}, "valid"),
    Pair("$ref chain of 500", _ref_chain(500), {"a": "abcd"}, "invalid"),
    # Patterns Rust's regex engine does not support: the schema is not checked.
    Pair("look-behind", {"pattern": "(?<!x)y"}, "y", "not_checked", "pattern engine"),
    Pair("unicode class", {"pattern": "^\\p{L}+$"}, "héllo", "valid", "pattern engine"),
    Pair("unicode class", {"pattern": "^\\p{L}+$"}, "h3llo", "invalid", "pattern engine"),
    Pair("backreference", {"pattern": "(a)\\1"}, "aa", "not_checked", "pattern engine"),
    Pair(
        "look-ahead in patternProperties",
        {"patternProperties": {"^(?!x)": {}}},
        {"y": 1},
        "not_checked",
        "pattern engine",
    ),
    # A reference to another document: never fetched.
    Pair(
        "remote $ref",
        {"$ref": "https://example.com/schema.json"},
        1,
        "not_checked",
        "unusable schemas",
    ),
    Pair("dangling $ref", {"$ref": "#/$defs/missing"}, 1, "not_checked", "unusable schemas"),
    # Lone surrogates in values: checked with U+FFFD in their place.
    Pair("lone surrogate", {"type": "string", "maxLength": 2}, "a\ud800", "valid"),
    Pair("lone surrogate", {"type": "string", "maxLength": 1}, "a\ud800", "invalid"),
    Pair("lone surrogate key", {"propertyNames": {"maxLength": 1}}, {"\udc00": 1}, "valid"),
]

PAIRS: list[Pair] = [
    *(Pair(name, schema, value) for name, schema, values in GROUPS for value in values),
    *SPECIAL,
]

KEYWORDS_2020_12 = frozenset(
    {
        "$ref",
        "$defs",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "prefixItems",
        "items",
        "contains",
        "properties",
        "patternProperties",
        "additionalProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "type",
        "enum",
        "const",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "format",
    }
)
"""The validation and applicator keywords of draft 2020-12 (the corpus uses each)."""
