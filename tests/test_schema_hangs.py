"""Hostile schemas never hang or crash the kernel: each regression of issue 19 runs in a
subprocess with a wall-clock guard, so it fails instead of hanging CI; and random schemas
with random events never make the live check raise."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streams import message_end, message_start, tool_events

from streamscope.core import StreamState
from streamscope.core.schema.validation import SchemaChecker
from streamscope.core.stream.blocks import ToolUseBlock

GUARD = 60  # seconds: generous for CI; each script takes well under a second
TESTS = Path(__file__).resolve().parents[1] / "scripts"  # the stream synthesiser


def run_guarded(body: str) -> str:
    """Run ``body`` in a fresh interpreter; it must finish within GUARD seconds."""
    script = f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n" + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=GUARD
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


BACKTRACKING = "^(\\\\w+\\\\s?)*$"  # as Python source inside the scripts


def test_a_backtracking_pattern_through_stream_state_apply() -> None:
    out = run_guarded(
        f"""
        from streams import message_start, tool_events, message_end
        from streamscope.core import StreamState
        schema = {{
            "type": "object",
            "properties": {{"s": {{"type": "string", "pattern": "{BACKTRACKING}"}}}},
            "patternProperties": {{"{BACKTRACKING}": {{"type": "integer"}}}},
        }}
        state = StreamState(tools={{"t": schema}})
        value = {{"s": "a" * 35 + "!", "b" * 35: "x", "c" * 35 + "!": 1}}
        for event in [message_start(), *tool_events(0, "t", value, chunk=3), *message_end()]:
            state.apply(event)
        print(sorted(str(v) for v in state.blocks[0].violations))
        """
    )
    assert out.strip() == (
        "['bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb: expected integer, got string \"x\"', "
        # "s" matches the pattern too: both its property and the pattern apply
        "'s: expected integer, got string \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"', "
        "'s: must match the pattern ^(\\\\w+\\\\s?)*$']"
    )


def test_a_backtracking_pattern_through_tool_validate() -> None:
    out = run_guarded(
        f"""
        from typing import Annotated
        from pydantic import Field
        from streamscope.core.tools.tool import Tool, ToolInputError
        def f(s: Annotated[str, Field(pattern="{BACKTRACKING}")]) -> str:
            return s
        tool = Tool(f)
        try:
            tool.validate({{"s": "a" * 35 + "!"}})
        except ToolInputError as exc:
            print([str(v) for v in exc.violations])
        print(tool.validate({{"s": "a b " * 5000}}))
        """
    )
    first, second = out.strip().splitlines()
    assert first == "['s: must match the pattern ^(\\\\w+\\\\s?)*$']"
    assert second.startswith("{'s': 'a b a b")


def test_compare_runs_of_a_recording_with_a_backtracking_pattern(tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    out = run_guarded(
        f"""
        from streams import message_start, tool_events, message_end
        from streamscope.core.io.cassette import write_cassette
        from streamscope.core.comparison.runs import compare_runs
        schema = {{"type": "object", "properties": {{"s": {{"pattern": "{BACKTRACKING}"}}}}}}
        request = {{"model": "m", "max_tokens": 5, "messages": [],
                    "tools": [{{"name": "t", "input_schema": schema}}]}}
        events = [message_start(), *tool_events(0, "t", {{"s": "a" * 35 + "!"}}), *message_end()]
        write_cassette({str(path)!r}, events, meta={{"request": request}})
        other = [message_start(), *tool_events(0, "t", {{"s": "a" * 36 + "!"}}), *message_end()]
        write_cassette({str(path)!r} + ".2.jsonl", other, meta={{"request": request}})
        comparison = compare_runs({str(path)!r}, {str(path)!r} + ".2.jsonl")
        print(len(comparison.call_diffs[0]), comparison.call_diffs[0][0].status)
        """
    )
    assert out.split() == ["1", "changed"]


def test_deep_and_huge_schemas_are_marked_not_checked_and_problems() -> None:
    out = run_guarded(
        """
        import json
        from streams import message_start, tool_events, message_end
        from streamscope.core import StreamState
        from streamscope.core.schema.validation import validate_arguments
        deep_all = {"type": "string"}
        for _ in range(10_000):
            deep_all = {"allOf": [deep_all]}
        defs = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(10_000)}
        defs["d10000"] = {"type": "string", "maxLength": 3}
        chain = {"$defs": defs, "properties": {"a": {"$ref": "#/$defs/d0"}}}
        schemas = {
            "deep": {"properties": {"a": deep_all}},
            "chain": chain,
            "big": {"multipleOf": 10**400},
            "inf": {"properties": {"a": {"minLength": float("inf")}}},
            "nan": {"properties": {"a": {"maxLength": float("nan")}}},
        }
        state = StreamState(tools=schemas)
        events = [message_start()]
        for i, name in enumerate(schemas):
            events += tool_events(i, name, {"a": "abcd"}, tool_id=f"toolu_{i}")
        for event in [*events, *message_end("tool_use")]:
            state.apply(event)
        print(json.dumps([[str(v) for v in b.violations] for b in state.blocks]))
        print(json.dumps(sorted(p.index for p in state.problems if p.kind == "schema_not_checked")))
        print(validate_arguments({"multipleOf": 10**400}, 10**401 + 1)[0].keyword)
        """
    )
    marks_line, problems_line, last = out.strip().splitlines()
    marks = json.loads(marks_line)
    assert marks[0] == ["(arguments): not checked: the schema nests too deep to check"]
    assert marks[1] == ["a: must be at most 3 characters long (got 4)"]
    assert marks[2] == []  # multipleOf 10**400: a usable schema; an object is no number
    assert marks[3][0].startswith("(arguments): not checked: the schema is not JSON")
    assert marks[4][0].startswith("(arguments): not checked: the schema is not JSON")
    assert json.loads(problems_line) == [0, 3, 4]
    assert last == "multipleOf"


# ------------------------------------------------------------------------ random schemas

_LEAF_SCHEMAS = st.sampled_from(
    [
        True,
        False,
        {},
        {"type": "string", "pattern": "^(\\w+\\s?)*$"},
        {"type": "integer", "multipleOf": 10**40},
        {"minLength": 2, "maxLength": 3},
        {"enum": [1, "a", None]},
        {"const": [1]},
        {"minimum": True},  # invalid: not checked
        {"pattern": "(?<=a)b"},  # not Rust syntax: not checked
        {"$ref": "#"},
        {"$ref": "#/nowhere"},
        {"not": {"type": "null"}},
        {"uniqueItems": True},
    ]
)
_SCHEMAS = st.recursive(
    _LEAF_SCHEMAS,
    lambda inner: st.one_of(
        st.builds(
            lambda p: {"type": "object", "properties": p},
            st.dictionaries(st.sampled_from(["a", "b", "aa"]), inner, max_size=3),
        ),
        st.builds(
            lambda p: {"patternProperties": p},
            st.dictionaries(st.sampled_from(["^a", "a+$", "^(a+)+$"]), inner, max_size=2),
        ),
        st.builds(lambda i: {"items": i}, inner),
        st.builds(lambda i: {"prefixItems": i}, st.lists(inner, max_size=3)),
        st.builds(lambda i: {"anyOf": i}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda i: {"allOf": i}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda a, b: {"if": a, "then": b}, inner, inner),
        st.builds(lambda a: {"additionalProperties": a, "unevaluatedProperties": a}, inner),
    ),
    max_leaves=8,
)
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.just("a" * 35 + "!"),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "aa", "aaa", "\ud800"]), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_SCHEMAS, value=_VALUES, chunk=st.integers(1, 9))
def test_random_schemas_and_events_never_raise(schema: Any, value: Any, chunk: int) -> None:
    """Random schemas, random arguments, random cuts through StreamState.apply: the live
    check never raises, and for a complete stream finds what the whole check finds."""
    if isinstance(schema, bool):  # a tool's input_schema is an object (the API's rule)
        schema = {"allOf": [schema]}
    state = StreamState(tools={"t": schema})
    raw = json.dumps(value)  # tool_events sends a str as raw JSON text
    for event in [message_start(), *tool_events(0, "t", raw, chunk=chunk), *message_end()]:
        state.apply(event)
    block = state.blocks[0]
    assert isinstance(block, ToolUseBlock)
    live = block.violations
    checker = SchemaChecker(schema)
    checker.check_whole(value)
    assert sorted(map(str, live)) == sorted(map(str, checker.violations))
    if any(v.keyword == "not_checked" for v in live):
        assert any(p.kind == "schema_not_checked" for p in state.problems)
