"""jsonio: exact strict JSON out, capped JSON in, and no recursion at any depth."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from streamscope.core.json.codec import coerce_json, copy_json, dumps_exact, limit_depth, loads
from streamscope.core.json.depth import MAX_DEPTH, NestingTooDeepError, json_depth, text_depth
from streamscope.core.stream.state import StreamState


def deep_list(depth: int, leaf: Any = None) -> Any:
    value = [] if leaf is None else leaf
    for _ in range(depth - (1 if leaf is None else 0)):
        value = [value]
    return value


def at_stack_depth(n: int, fn: Any) -> Any:
    """Call ``fn`` with ``n`` more frames on the stack (a caller deep in a notebook)."""
    return at_stack_depth(n - 1, fn) if n else fn()


# --------------------------------------------------------------------------- dumps_exact


def test_lone_surrogates_are_written_as_escapes_and_read_back_exactly() -> None:
    value = {"thinking": "a\ud83d", "key\udc00": ["\ud83d", "é 日本 😀"]}
    text = dumps_exact(value)
    assert text == '{"thinking": "a\\ud83d", "key\\udc00": ["\\ud83d", "é 日本 😀"]}'
    text.encode("utf-8")
    assert json.loads(text) == value
    assert json.loads(text)["thinking"] == "a\ud83d"


def test_a_thinking_block_exported_goes_back_byte_for_byte() -> None:
    thinking = "pensée \ud83d then \ude00 apart"
    state = StreamState()
    for piece in ("pensée ", "\ud83d", " then ", "\ude00 apart"):
        state.apply(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": piece},
            }
        )
    exported = json.loads(dumps_exact(state.to_message(), indent=2))
    assert exported["content"][0]["thinking"] == thinking


@pytest.mark.parametrize("indent", [None, 0, 2, "\t"])
@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize("separators", [None, (",", ":")])
def test_plain_data_is_written_as_json_dumps_does(
    indent: int | str | None, sort_keys: bool, separators: tuple[str, str] | None
) -> None:
    value = {"b": [1, 2.5, {"x": None, "a": True}], "a": "é", "e": [], "o": {}, "n": -0.0}
    kw: dict[str, Any] = {"indent": indent, "sort_keys": sort_keys, "separators": separators}
    expected = json.dumps(value, ensure_ascii=False, **kw)
    assert dumps_exact(value, **kw) == expected
    deep = {"deep": deep_list(300, value)}  # the iterative encoder, same output
    assert dumps_exact(deep, **kw) == at_stack_depth(0, lambda: _stdlib_dumps(deep, kw))


def _stdlib_dumps(value: Any, kw: dict[str, Any]) -> str:
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    try:
        return json.dumps(value, ensure_ascii=False, **kw)
    finally:
        sys.setrecursionlimit(limit)


@dataclasses.dataclass
class Point:
    x: int
    tags: set[str]


class Model(BaseModel):
    name: str


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


def test_what_json_cannot_hold_is_coerced_and_described() -> None:
    cycle: list[Any] = [1]
    cycle.append(cycle)
    value = {
        "nan": math.nan,
        "inf": -math.inf,
        "big": 10**400,
        "huge": 10**5000,
        "bytes": b"ok\xff",
        "set": {"b", "a"},
        "tuple": (1, 2),
        "point": Point(1, {"t"}),
        "model": Model(name="m"),
        "obj": Opaque(),
        "cycle": cycle,
        b"bkey": 1,
        3: "int key",
        (1, 2): "tuple key",
    }
    notes: list[str] = []
    text = dumps_exact(value, notes=notes)
    got = json.loads(text, parse_constant=_reject)
    assert got == {
        "nan": None,
        "inf": None,
        "big": 10**400,
        "huge": "<integer of about 5001 digits>",
        "bytes": "ok\\xff",
        "set": ["a", "b"],
        "tuple": [1, 2],
        "point": {"x": 1, "tags": ["t"]},
        "model": {"name": "m"},
        "obj": "<Opaque>",
        "cycle": [1, "<cycle>"],
        "bkey": 1,
        "3": "int key",
        "(1, 2)": "tuple key",
    }
    assert "$['nan']: nan written as null" in notes
    assert any("cycle" in n for n in notes) and any("repr()" in n for n in notes)
    assert dumps_exact(math.nan) == "null" and dumps_exact(Opaque()) == '"<Opaque>"'


def _reject(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


def test_notes_are_capped() -> None:
    notes: list[str] = []
    dumps_exact([math.nan] * 50, notes=notes)
    assert len(notes) == 21 and notes[-1] == "... and 30 more"


def test_any_depth_is_written_without_recursion() -> None:
    value = deep_list(20_000, {"k": "\ud83d"})
    text = at_stack_depth(200, lambda: dumps_exact(value))
    assert text == "[" * 20_000 + '{"k": "\\ud83d"}' + "]" * 20_000


# --------------------------------------------------------------------------- loads


def test_loads_reads_up_to_the_cap_from_a_deep_stack() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    value = at_stack_depth(500, lambda: loads(text))
    assert json_depth(value) == MAX_DEPTH
    with pytest.raises(NestingTooDeepError, match="nested 1001 levels deep"):
        loads("[" * 1001 + "]" * 1001)
    with pytest.raises(ValueError):
        at_stack_depth(500, lambda: loads("[" * 900 + "]" * 899))  # invalid, however deep


def test_text_depth_ignores_brackets_in_strings() -> None:
    assert text_depth('{"a": "[[[{{{", "b": [[]], "c": "\\"[["}') == 3
    assert text_depth("[1, 2]") == 1 and text_depth('"["') == 0


# --------------------------------------------------------------------------- copying


def test_copy_json_is_deep_and_iterative() -> None:
    shared = {"x": [1]}
    value: dict[str, Any] = {"a": shared, "b": shared, "deep": deep_list(10_000)}
    value["self"] = value
    copied = copy_json(value)
    assert copied is not value and copied["a"] is copied["b"] and copied["a"] is not shared
    assert copied["self"] is copied
    assert json_depth(copied["deep"]) == 10_000
    copied["a"]["x"].append(2)
    assert shared == {"x": [1]}


def test_coerce_json_caps_depth_and_keeps_plain_data() -> None:
    plain = {"a": [1, "b", None, 2.5]}
    assert coerce_json(plain) == (plain, []) and coerce_json(plain)[0] is plain
    with pytest.raises(NestingTooDeepError):
        coerce_json(deep_list(1001), max_depth=1000)
    assert json_depth(coerce_json(deep_list(1000), max_depth=1000)[0]) == 1000


def test_limit_depth_keeps_what_is_too_deep_as_text() -> None:
    value = {"a": deep_list(5, 1)}
    assert limit_depth(value, 10) is value
    assert limit_depth(value, 3) == {"a": [["[[[1]]]"]]}


LEAF = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["\ud83d", "\udfff", "a\udc00", 10**400, math.nan, -math.inf])
)
ANY = st.recursive(
    LEAF,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(max_size=3) | st.integers() | st.binary(max_size=3), inner, max_size=3
        )
        | st.frozensets(st.text(max_size=3), max_size=3)
        | st.tuples(inner, inner)
        | st.binary(max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=120, deadline=None)
@given(ANY, st.sampled_from([0, 5, 600, 1500]))
def test_dumps_exact_never_raises_and_writes_strict_json(value: Any, depth: int) -> None:
    value = deep_list(depth, value) if depth else value
    copy.copy(value)
    text = dumps_exact(value)
    text.encode("utf-8")
    data = loads(text, max_depth=10_000)
    again = dumps_exact(data)
    assert dumps_exact(loads(again, max_depth=10_000)) == again
    if depth < 600:
        json.loads(text, parse_constant=_reject)
