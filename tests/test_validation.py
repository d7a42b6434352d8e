"""Tool arguments against their schema: the rule, live while streaming, and in the loop."""

from __future__ import annotations

import itertools
import json
from typing import Annotated, Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field
from streams import message_end, message_start, text_events, tool_events

from streamscope.core import StreamState, ToolLoop, tool
from streamscope.core.io.replay_client import ReplayClient
from streamscope.core.json.partial import PartialJSON
from streamscope.core.schema.validation import (
    SchemaChecker,
    Violation,
    format_path,
    json_equal,
    validate_arguments,
)
from streamscope.core.stream.blocks import ToolUseBlock
from streamscope.core.tools.schemas import tool_schemas
from streamscope.core.tools.tool import Tool, ToolInputError

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2, "maxLength": 40, "pattern": "^[A-Z]"},
        "days": {"type": "integer", "minimum": 1, "maximum": 14},
        "units": {"enum": ["celsius", "fahrenheit"]},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "kind": {"const": "forecast"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3, "uniqueItems": True},
        "where": {
            "type": "object",
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            "required": ["lat", "lon"],
            "additionalProperties": False,
        },
        "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
    },
    "required": ["city", "days"],
    "additionalProperties": False,
}


def lines(violations: list[Violation]) -> list[str]:
    return [str(v) for v in violations]


# ---------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"city": "Lisbon", "days": 3}, []),
        ({"city": "Lisbon", "days": 3.0}, []),  # JSON: 3.0 is an integer
        ({"city": "Lisbon", "days": "3"}, ['days: expected integer, got string "3"']),
        ({"city": "Lisbon", "days": True}, ["days: expected integer, got boolean true"]),
        ({"city": "Lisbon", "days": 2.5}, ["days: expected integer, got number 2.5"]),
        ({"city": "Lisbon", "days": 0}, ["days: must be ≥ 1 (got 0)"]),
        ({"city": "Lisbon", "days": 15}, ["days: must be ≤ 14 (got 15)"]),
        ({"city": "L", "days": 1}, ["city: must be at least 2 characters long (got 1)"]),
        ({"city": "L" * 41, "days": 1}, ["city: must be at most 40 characters long (got 41)"]),
        ({"city": "lisbon", "days": 1}, ["city: must match the pattern ^[A-Z]"]),
        (
            {"city": "Lisbon", "days": 1, "units": "kelvin"},
            ['units: must be one of "celsius", "fahrenheit" (got "kelvin")'],
        ),
        ({"city": "Lisbon", "days": 1, "ratio": 0}, ["ratio: must be > 0 (got 0)"]),
        ({"city": "Lisbon", "days": 1, "ratio": 1.0}, ["ratio: must be < 1 (got 1)"]),
        ({"city": "Lisbon", "days": 1, "kind": "now"}, ['kind: must be "forecast" (got "now")']),
        (
            {"city": "Lisbon", "days": 1, "tags": ["a", "b", "a", 4]},
            [
                "tags[3]: expected string, got integer 4",
                "tags: must have at most 3 items (got 4)",
                "tags: items must be unique (item 2 repeats item 0)",
            ],
        ),
        (
            {"city": "Lisbon", "days": 1, "where": {"lat": 1, "alt": 3}},
            [
                'where.alt: unexpected property "alt" (not in the schema)',
                'where: missing required property "lon"',
            ],
        ),
        ({"city": "Lisbon", "days": 1, "note": None}, []),
        (
            {"city": "Lisbon", "days": 1, "note": "too long"},
            ["note: must be at most 5 characters long (got 8)"],
        ),
        (
            {"city": "Lisbon", "days": 1, "note": 5},
            ["note: expected string or null, got integer 5"],
        ),
        (
            {"days": 1, "extra": [1]},
            [
                'extra: unexpected property "extra" (not in the schema)',
                '(arguments): missing required property "city"',
            ],
        ),
        ([1], ["(arguments): expected object, got array"]),
    ],
)
def test_each_keyword(arguments: Any, expected: list[str]) -> None:
    assert lines(validate_arguments(WEATHER, arguments)) == expected


def test_refs_unions_all_of_and_tuples() -> None:
    schema: dict[str, Any] = {
        "$defs": {
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "integer"}},
                "required": ["x"],
                "additionalProperties": False,
            },
            "Alias": {"$ref": "#/$defs/Point"},
        },
        "type": "object",
        "properties": {
            "p": {"$ref": "#/$defs/Alias", "description": "only a description beside the ref"},
            "q": {"$ref": "#/$defs/Point", "maxProperties": 0},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]},
            "closed": {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
            "both": {"allOf": [{"type": "integer"}, {"minimum": 5}]},
            "one": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            "loop": {"$ref": "#/$defs/Loop"},
            "nothing": False,
            "anything": True,
        },
    }
    schema["$defs"]["Loop"] = {"$ref": "#/$defs/Loop"}  # a loop: left unchecked
    value = {
        "p": {"x": "1"},
        "q": {"x": 1},
        "pair": [1, 2],
        "closed": [1, 2],
        "both": 3,
        "one": 2,
        "loop": 1,
        "nothing": 1,
        "anything": {"a": [1]},
    }
    assert lines(validate_arguments(schema, value)) == [
        'p.x: expected integer, got string "1"',
        "q: must have at most 0 properties (got 1)",
        "pair[1]: expected string, got integer 2",
        "closed[1]: unexpected item 1 (the schema allows 1 at most)",
        "both: must be ≥ 5 (got 3)",
        "one: matches 2 of the allowed forms; exactly one must match",
        "nothing: not allowed here (the schema allows nothing)",
    ]


def test_every_keyword_is_checked_and_json_equality() -> None:
    schema = {
        "type": "object",
        "properties": {
            "day": {"type": "string", "format": "date"},  # format: an annotation (2020-12)
            "no": {"not": {"type": "string"}},
            "e": {"enum": [1, True, {"a": [1, 2]}]},
        },
        "dependentRequired": {"day": ["e"]},
    }
    ok = {"day": "not a date", "no": 1, "e": 1.0}
    assert validate_arguments(schema, ok) == []
    assert lines(validate_arguments(schema, {"e": {"a": [2, 1]}}))[0].startswith(
        "e: must be one of"
    )
    assert lines(validate_arguments(schema, {"no": "s", "day": "x"})) == [
        'no: must not match {"type": "string"} (got "s")',
        '(arguments): missing required property "e"',
    ]
    assert validate_arguments(schema, {"e": {"a": [1.0, 2]}}) == []
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal(0, False)
    assert json_equal({"a": 1, "b": [None]}, {"b": [None], "a": 1.0})


def test_a_schema_the_validator_cannot_use_is_marked_not_checked() -> None:
    """Never silence: one ``not checked`` violation at the arguments, saying why."""
    for schema, why in [
        ({"properties": {"re": {"pattern": "(?<!x)y"}}}, "not usable"),  # look-behind
        ({"minimum": True}, "not usable"),
        ({"minLength": float("inf")}, "not JSON"),
        ({"maxLength": float("nan")}, "not JSON"),
        ({"$ref": "#/nowhere"}, "not usable"),
        ({"$ref": "https://example.com/s.json"}, "not usable"),  # never fetched
        ("not a schema", "not usable"),
    ]:
        found = validate_arguments(schema, {"re": "y"})
        assert [v.keyword for v in found] == ["not_checked"], schema
        assert found[0].path == () and found[0].message.startswith("not checked: "), schema
        assert why in found[0].message, (schema, found[0].message)


def test_violation_fields_and_paths() -> None:
    v = Violation(("edits", 3, "line"), "must be ≥ 1 (got 0)", "minimum")
    assert v.where == "edits[3].line" and str(v) == "edits[3].line: must be ≥ 1 (got 0)"
    assert format_path(()) == "(arguments)" and format_path((0, "a")) == "[0].a"
    assert Violation((), "x") == Violation((), "x", "")


# ---------------------------------------------------------------------------- live


def feed_in(text: str, cuts: list[int], checker: SchemaChecker) -> PartialJSON:
    parser = PartialJSON(on_complete=checker.completed)
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    for a, b in itertools.pairwise(points):
        parser.feed(text[a:b])
    parser.finish()
    return parser


_KEYS = st.sampled_from(["city", "days", "units", "ratio", "kind", "tags", "where", "note", "x"])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 20)
    | st.floats(-2, 2, allow_nan=False)
    | st.sampled_from(["", "L", "Lisbon", "lisbon", "celsius", "forecast", "x" * 50])
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.dictionaries(_KEYS, _VALUES, max_size=8),
    cuts=st.lists(st.integers(0, 10_000), max_size=20),
    indent=st.sampled_from([None, 2]),
)
def test_live_check_equals_the_whole_check(value: Any, cuts: list[int], indent: Any) -> None:
    """However the text is cut (one character at a time, or big pieces the parser decodes
    in one go), the live check finds what the whole check finds, in the same order."""
    text = json.dumps(value, indent=indent)
    checker = SchemaChecker(WEATHER)
    parser = feed_in(text, cuts, checker)
    assert parser.done
    assert checker.violations == validate_arguments(WEATHER, value)


def test_completions_are_reported_once_in_document_order() -> None:
    seen: list[tuple[tuple[str | int, ...], Any, bool]] = []
    parser = PartialJSON(on_complete=lambda p, v, w: seen.append((p, json.dumps(v), w)))
    text = '{"a": "x", "b": [1, true, {"c": null}], "d": 2.5}'
    for char in text:
        parser.feed(char)
    parser.finish()
    assert [(p, v) for p, v, _ in seen] == [
        (("a",), '"x"'),
        (("b", 0), "1"),
        (("b", 1), "true"),
        (("b", 2, "c"), "null"),
        (("b", 2), '{"c": null}'),
        (("b",), '[1, true, {"c": null}]'),
        (("d",), "2.5"),
        ((), '{"a": "x", "b": [1, true, {"c": null}], "d": 2.5}'),
    ]
    assert not any(whole for *_, whole in seen)
    big = json.dumps([{"b": i} for i in range(40)])
    seen.clear()
    parser = PartialJSON(on_complete=lambda p, v, w: seen.append((p, None, w)))
    parser.feed('{"a": ')
    parser.feed(big + "}")  # one large text: the list is decoded whole, in C
    assert seen == [(("a",), None, True), ((), None, False)]


def test_each_value_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linear: one check per value, however often the block is read while it streams."""
    checks: list[tuple[str | int, ...]] = []
    real = SchemaChecker._check

    def counting(self: SchemaChecker, pointer: str, path: Any, value: Any) -> None:
        checks.append(path)
        real(self, pointer, path, value)

    monkeypatch.setattr(SchemaChecker, "_check", counting)
    items = [{"line": i, "text": f"line {i}"} for i in range(200)]
    schema = {
        "type": "object",
        "properties": {
            "edits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"line": {"type": "integer"}, "text": {"type": "string"}},
                },
            }
        },
    }
    state = StreamState(tools={"edit": schema})
    state.apply(message_start())
    for event in tool_events(0, "edit", {"edits": items}, chunk=5):
        state.apply(event)
        block = state.blocks[0]
        assert isinstance(block, ToolUseBlock)
        _ = block.violations  # read after every delta, as a view might
    assert len(checks) == len(set(checks)) == 1 + 1 + 200 * 3  # root, list, items and fields


def stream_until_stop(tool_input: Any, schema: dict[str, Any]) -> tuple[StreamState, list[Any]]:
    state = StreamState(tools=[{"name": "get_weather", "input_schema": schema}])
    events = [message_start(), *tool_events(0, "get_weather", tool_input, chunk=4)]
    marks: list[Any] = []
    for event in events[:-1]:  # everything but content_block_stop
        state.apply(event)
        block = state.blocks[0] if state.blocks else None
        marks.append(lines(block.violations) if isinstance(block, ToolUseBlock) else [])
    return state, marks


def test_a_field_is_marked_as_soon_as_it_is_complete_before_the_block_ends() -> None:
    state, marks = stream_until_stop({"days": "3", "city": "Lisbon", "tags": [1]}, WEATHER)
    block = state.blocks[0]
    assert isinstance(block, ToolUseBlock) and not block.complete
    first = next(i for i, m in enumerate(marks) if m)
    assert marks[first] == ['days: expected integer, got string "3"']
    assert first < len(marks) - 3  # long before the end of the arguments
    assert marks[-1] == [
        'days: expected integer, got string "3"',
        "tags[0]: expected string, got integer 1",
    ]  # required is checked when the object closes, and "city" is there
    state.apply({"type": "content_block_stop", "index": 0})
    assert lines(block.violations) == marks[-1]
    assert block.schema == WEATHER
    assert state.tool_calls[0].violations == tuple(block.violations)


def test_required_shows_when_the_object_closes() -> None:
    _, marks = stream_until_stop({"city": "Lisbon"}, WEATHER)
    assert marks[-2] == [] and marks[-1] == ['(arguments): missing required property "days"']


# ---------------------------------------------------------------------------- schemas in


class Forecast(BaseModel):
    city: str
    days: int = 1


def forecast(city: str, days: Annotated[int, Field(ge=1)] = 1) -> str:
    """A forecast."""
    return city


@pytest.mark.parametrize(
    "tools",
    [
        [{"name": "forecast", "input_schema": Tool(forecast).input_schema}],
        [tool(forecast)],
        [forecast],
        {"forecast": Forecast},
        {"forecast": Tool(forecast).input_schema},
    ],
    ids=["sdk-param", "tool", "function", "pydantic-mapping", "schema-mapping"],
)
def test_tools_given_in_every_form(tools: Any) -> None:
    state = StreamState(tools=tools)
    assert set(state.tool_schemas) == {"forecast"}
    state.apply(message_start())
    for event in tool_events(0, "forecast", {"city": 3}):
        state.apply(event)
    block = state.blocks[0]
    assert isinstance(block, ToolUseBlock)
    assert lines(block.violations) == ["city: expected string, got integer 3"]


def test_pydantic_models_in_a_list_are_named_by_their_class() -> None:
    assert set(tool_schemas([Forecast])) == {"Forecast"}
    assert tool_schemas([{"type": "web_search_20250305", "name": "web_search"}]) == {}
    with pytest.raises(TypeError):
        tool_schemas("forecast")


def test_the_request_names_the_tools_and_tools_given_later_recheck() -> None:
    request = {
        "model": "m",
        "tools": [{"name": "forecast", "input_schema": Forecast.model_json_schema()}],
    }
    state = StreamState(request=request)
    assert state.request is not None and state.request["model"] == "m"
    assert set(state.tool_schemas) == {"forecast"}
    late = StreamState()
    late.apply(message_start())
    for event in tool_events(0, "forecast", {"city": 3, "days": "2"}):
        late.apply(event)
    block = late.blocks[0]
    assert isinstance(block, ToolUseBlock) and block.schema is None and block.violations == []
    late.set_tools({"forecast": Forecast})  # checked from the text received so far
    assert lines(block.violations) == [
        "city: expected string, got integer 3",
        'days: expected integer, got string "2"',
    ]
    late.set_tools({})
    assert block.violations == [] and block.schema is None


def test_a_server_tool_and_an_unknown_tool_are_not_checked() -> None:
    state = StreamState(tools={"forecast": Forecast})
    state.apply(message_start())
    for event in [
        *tool_events(0, "forecast", {"city": 1}, block_type="server_tool_use"),
        *tool_events(1, "other", {"city": 1}),
    ]:
        state.apply(event)
    assert all(isinstance(b, ToolUseBlock) and b.schema is None for b in state.blocks)


def test_a_check_that_breaks_stops_the_check_not_the_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(SchemaChecker, "_check", broken)
    checker = SchemaChecker({"type": "object", "properties": {"a": {"minLength": 1}}})
    parser = PartialJSON(on_complete=checker.completed)
    parser.feed('{"a": "b", "c": [1]}')
    parser.finish()
    assert parser.done and parser.value == {"a": "b", "c": [1]} and parser.error is None
    assert checker.error == "the check failed (RuntimeError: boom)"
    assert lines(checker.violations) == ["a: not checked: the check failed (RuntimeError: boom)"]


def test_hostile_tools_in_a_recorded_request_are_skipped_or_unchecked() -> None:
    request = {
        "tools": [
            "a name only",
            {"name": "x", "input_schema": "not a schema"},
            {"input_schema": {"type": "object"}},
            {"name": "y", "input_schema": {"$ref": 7, "properties": {"a": {"$ref": "#/nowhere"}}}},
            {"name": "z", "input_schema": {"type": ["object", 3], "required": "a"}},
        ]
    }
    state = StreamState(request=request)
    assert set(state.tool_schemas) == {"y", "z"}
    state.apply(message_start())
    for event in [*tool_events(0, "y", {"a": [1]}), *tool_events(1, "z", {"b": 1})]:
        state.apply(event)
    marks = [lines(b.violations) for b in state.blocks if isinstance(b, ToolUseBlock)]
    assert marks == [
        ['(arguments): not checked: the schema is not usable (7 is not of type "string" at $ref)'],
        [
            '(arguments): not checked: the schema is not usable ("a" is not of type "array" '
            "at required)"
        ],
    ]
    unchecked = [p for p in state.problems if p.kind == "schema_not_checked"]
    assert [(p.index, p.message.split(": ", 1)[0]) for p in unchecked] == [
        (0, "tool input of y is not checked against its schema"),
        (1, "tool input of z is not checked against its schema"),
    ]
    with pytest.raises(TypeError, match="request must be a mapping"):
        StreamState(request=[1])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- one rule


def book(
    guest: str,
    nights: Annotated[int, Field(ge=1, le=30)] = 1,
    room: Literal["single", "double"] = "single",
    tags: list[str] | None = None,
    code: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "AAA",
    ratio: float = 0.5,
    party: Forecast | None = None,
) -> str:
    """Book a room."""
    return f"{guest}:{nights}"


AGREEMENT_CASES: list[dict[str, Any]] = [
    {"guest": "Ada"},
    {"guest": "Ada", "nights": 3},
    {"guest": "Ada", "nights": 3.0},
    {"guest": "Ada", "nights": "3"},  # pydantic's lax mode would take it; the rule does not
    {"guest": "Ada", "nights": True},
    {"guest": "Ada", "nights": 0},
    {"guest": "Ada", "nights": 31},
    {"guest": "Ada", "room": "suite"},
    {"guest": "Ada", "tags": ["a", 1]},
    {"guest": "Ada", "tags": None},
    {"guest": "Ada", "code": "abc"},
    {"guest": "Ada", "ratio": 1},
    {"guest": "Ada", "ratio": "0.5"},
    {"guest": "Ada", "party": {"city": "X"}},
    {"guest": "Ada", "party": {"city": 1, "x": 2}},
    {"guest": "Ada", "surprise": 1},
    {"nights": 2},
    {},
]


def agreement_turns() -> list[list[dict[str, Any]]]:
    first = [message_start()]
    for i, case in enumerate(AGREEMENT_CASES):
        first += tool_events(i, "book", case, tool_id=f"toolu_{i:02d}", chunk=3)
    return [
        [*first, *message_end("tool_use")],
        [message_start(), *text_events(0, "ok"), *message_end()],
    ]


def test_the_live_marks_and_the_loop_agree() -> None:
    """The marks a view shows while the arguments stream, and the loop's check before it
    runs the tool, are the same rule: same violations, same words, and the call runs
    exactly when there are none."""
    loop = ToolLoop(ReplayClient(agreement_turns()), model="m", max_tokens=100, tools=[book])
    loop.run("book it")
    seen_runs = loop.executions
    state = loop.turns[0].state
    assert state is not None
    blocks = [b for b in state.blocks if isinstance(b, ToolUseBlock)]
    assert len(blocks) == len(AGREEMENT_CASES) == len(seen_runs)
    by_id = {run.id: run for run in seen_runs}
    for block, case in zip(blocks, AGREEMENT_CASES, strict=True):
        run = by_id[block.id]
        live = block.violations
        assert live == validate_arguments(Tool(book).input_schema, case), case
        if live:
            assert run.status == "failed", case
            assert run.content is not None and all(str(v) in run.content for v in live), case
            with pytest.raises(ToolInputError) as info:
                Tool(book).validate(case)
            assert info.value.violations == live
        else:
            assert run.status == "done", (case, run.content)
    valid = [c for c in AGREEMENT_CASES if not validate_arguments(Tool(book).input_schema, c)]
    assert len(valid) == 6
