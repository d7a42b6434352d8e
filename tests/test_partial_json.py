"""Tests for streamscope.core.json.partial: agreement with json.loads, live partial values."""

from __future__ import annotations

import copy
import itertools
import json
import pickle
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamscope.core.json.depth import MAX_DEPTH, json_depth
from streamscope.core.json.partial import MISSING, PartialJSON

# ---------------------------------------------------------------------------- helpers


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def strict_loads(doc: str) -> object:
    """json.loads without its NaN / Infinity extension (the reference we must match)."""
    return json.loads(doc, parse_constant=_reject_constant)


def assert_same(got: object, want: object) -> None:
    """Exact equality: same types, same key order, floats equal to the bit (so -0.0 != 0.0)."""
    assert type(got) is type(want), (got, want)
    if isinstance(want, dict):
        assert isinstance(got, dict)
        assert list(got) == list(want)
        for key, item in want.items():
            assert_same(got[key], item)
    elif isinstance(want, list):
        assert isinstance(got, list)
        assert len(got) == len(want), (got, want)
        for got_item, want_item in zip(got, want, strict=True):
            assert_same(got_item, want_item)
    elif isinstance(want, float):
        assert repr(got) == repr(want)
    else:
        assert got == want


def assert_partial(
    partial: object,
    final: object,
    spath: tuple[str | int, ...] | None,
    path: tuple[str | int, ...] = (),
) -> None:
    """``partial`` is a consistent snapshot of ``final``.

    Values off the streaming path are complete (equal to the final ones); containers on it
    hold a prefix of the final members; a string on it is a prefix of the final string.
    """
    on_path = spath is not None and spath[: len(path)] == path
    if not on_path:
        assert_same(partial, final)
        return
    if isinstance(final, dict):
        assert isinstance(partial, dict)
        assert list(partial) == list(final)[: len(partial)]
        for key, item in partial.items():
            assert_partial(item, final[key], spath, (*path, key))
    elif isinstance(final, list):
        assert isinstance(partial, list)
        assert len(partial) <= len(final)
        for index, item in enumerate(partial):
            assert_partial(item, final[index], spath, (*path, index))
    elif isinstance(final, str):
        assert isinstance(partial, str)
        assert final.startswith(partial), (partial, final)
    else:  # numbers and literals never show before they are complete
        assert_same(partial, final)


def assert_path_in(final: object, spath: Sequence[str | int]) -> None:
    node = final
    for part in spath:
        if isinstance(node, dict):
            assert isinstance(part, str) and part in node, (spath, final)
        else:
            assert isinstance(node, list), (spath, final)
            assert isinstance(part, int) and 0 <= part < len(node), (spath, final)
        node = node[part]  # type: ignore[index]


def check_snapshot(parser: PartialJSON, final: object) -> None:
    """Invariants that must hold after every chunk of a valid document."""
    assert parser.error is None
    spath = parser.streaming_path
    value = parser.value
    assert parser.has_value == (value is not MISSING)
    if parser.done:
        assert spath is None
        assert_same(value, final)
        return
    if value is MISSING:  # nothing started, or a top-level number / literal in progress
        assert spath in (None, ())
        return
    assert spath is not None
    assert_path_in(final, spath)
    assert_partial(value, final, spath)


def path_of(parser: PartialJSON) -> tuple[str | int, ...] | None:
    """Read through a call, so mypy does not narrow the property between feeds."""
    return parser.streaming_path


def is_done(parser: PartialJSON) -> bool:
    return parser.done


def split(doc: str, cuts: Iterable[int]) -> list[str]:
    points = sorted({c for c in cuts if 0 < c < len(doc)})
    bounds = [0, *points, len(doc)]
    return [doc[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def parse(chunks: Iterable[str], *, read_each: bool = False) -> PartialJSON:
    parser = PartialJSON()
    for chunk in chunks:
        parser.feed(chunk)
        if read_each:
            _ = parser.value
    parser.finish()
    return parser


# ---------------------------------------------------------------------------- documents

DUPLICATE_KEYS = '{"a": 1, "a": 2, "b": 3, "a": 4}'  # last wins: earlier values get replaced
VALID_DOCUMENTS = [
    "{}",
    "[]",
    '""',
    "0",
    "-0",
    "-0.0",
    "1E+2",
    "1e-7",
    "2.5E3",
    "-12.75e-2",
    "123456789012345678901234567890123",
    "-98765432109876543210",
    "1e400",
    "true",
    "false",
    "null",
    '"plain"',
    ' \t\n\r {"a" : 1 } \n ',
    '[[], {}, [[{}]], {"a": {"b": []}}]',
    DUPLICATE_KEYS,
    '{"": 0, " ": [null, true, false]}',
    '["\\u00e9\\u00E9", "\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u0000\\u001f"]',
    '["\\ud83d\\ude00", "😀", "é", "\\u2028\u2028", "\x7f"]',
    '["\\ud83d", "\\ude00", "\\ude00\\ud83d", "\\ud83d\\u0041", "\\ud83dx", "\\ud83d\\n"]',
    '["\\ud83d\\ud83d\\ude00", "\\udbff\\udfff", "\\ud800\\udc00", "\\ud83d\\ud83d"]',
    '{"path": "/tmp/x.py", "content": "line 1\\nline \\"2\\"\\n", "options": {"n": [1, 2.5, -3]}}',
    '{"nested": {"deeper": {"deepest": [1, [2, [3, [4, {"k": "v"}]]]]}}}',
    "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31]",
    json.dumps({"long": "x" * 500, "list": list(range(50)), "f": [0.1, 1e-300, -2.5e300]}),
    json.dumps({"unicode": "日本語テキスト 🚀✨ naïve", "esc": "tab\there"}, ensure_ascii=True),
]

INVALID_DOCUMENTS = [
    "",
    "   ",
    '{"a" 1}',
    "[1,]",
    '{"a": 1,}',
    "{,}",
    "[,1]",
    "[1,,2]",
    "{1: 2}",
    "{'a': 1}",
    '{"a":}',
    '{"a"}',
    "01",
    "[00]",
    "[-01]",
    "[.5]",
    "[1.]",
    "[1e]",
    "[1e+]",
    "[-]",
    "[+1]",
    "[1.5.3]",
    "[1-2]",
    "[0x10]",
    "[1 2]",
    '["a" "b"]',
    '{"a": 1}x',
    "[1]]",
    "[1}",
    '{"a": 1]',
    '{"a": [1}]',
    "[{]}",
    "{]",
    "[}",
    "]",
    "}",
    '"a\x01b"',
    '"tab\there"',
    '"new\nline"',
    '"\\x"',
    '"\\u12g4"',
    '"\\U0041"',
    '"abc',
    "[1, 2",
    '{"a": [1, {"b": "c"',
    "NaN",
    "[NaN]",
    "Infinity",
    "-Infinity",
    "[True]",
    "tru",
    "[tru]",
    "[nulll]",
    "nul",
    "\ufeff{}",
    "{} {}",
    "[] 1",
    '"a" "b"',
    "1 2",
    "[\u00a0]",
]


@pytest.mark.parametrize("doc", VALID_DOCUMENTS)
def test_valid_document_whole(doc: str) -> None:
    parser = parse([doc])
    assert parser.error is None
    assert is_done(parser)
    assert path_of(parser) is None
    assert_same(parser.value, strict_loads(doc))


@pytest.mark.parametrize("doc", VALID_DOCUMENTS)
def test_valid_document_one_char_at_a_time(doc: str) -> None:
    final = strict_loads(doc)
    parser = PartialJSON()
    for char in doc:
        parser.feed(char)
        if doc != DUPLICATE_KEYS:
            check_snapshot(parser, final)
    parser.finish()
    assert parser.error is None
    assert is_done(parser)
    assert_same(parser.value, final)


@pytest.mark.parametrize("doc", INVALID_DOCUMENTS)
def test_invalid_document_sets_error(doc: str) -> None:
    with pytest.raises(ValueError):
        strict_loads(doc)  # the premise: the reference rejects it too
    for chunks in ([doc], list(doc)):
        parser = parse(chunks, read_each=True)
        assert parser.error is not None, chunks
        assert not is_done(parser)
        assert path_of(parser) is None


def test_json_loads_accepts_nan_but_we_do_not() -> None:
    assert json.loads("[NaN, Infinity]")  # the one place we are stricter than json.loads
    assert parse(["[NaN, Infinity]"]).error == "expected a JSON value at offset 1, got 'N'"


# ---------------------------------------------------------------------------- errors


def test_error_message_and_offset() -> None:
    parser = parse(['{"a": 1, "b": 2 x}'])
    assert parser.error == "expected ',' or '}' at offset 16, got 'x'"
    parser = parse(["[1, 2", " x]"])
    assert parser.error == "expected ',' or ']' at offset 6, got 'x'"


def test_error_offset_counts_carried_escape() -> None:
    parser = PartialJSON()
    parser.feed('["ab\\u0')
    assert parser.error is None
    parser.feed('0zz"]')
    assert parser.error == "invalid \\uXXXX escape at offset 4, got '\\\\u00zz'"


def test_bad_escape_is_reported_before_it_is_complete() -> None:
    parser = PartialJSON()
    parser.feed('["ok", "\\u0g')
    assert parser.error == "invalid \\uXXXX escape at offset 8, got '\\\\u0g'"
    assert parser.value == ["ok", ""]


def test_value_retained_after_error_and_later_input_ignored() -> None:
    parser = PartialJSON()
    parser.feed('{"a": [1, 2], "b": "xyz", "c": {"d": "partial')
    parser.feed('\x01 more", "e": 5}')
    assert parser.error == "invalid control character in string at offset 45, got '\\x01'"
    expected = {"a": [1, 2], "b": "xyz", "c": {"d": "partial"}}
    assert parser.value == expected
    parser.feed('"more": 1}')
    parser.finish()
    assert parser.error == "invalid control character in string at offset 45, got '\\x01'"
    assert parser.value == expected
    assert not is_done(parser)


def test_trailing_garbage_keeps_value_but_not_done() -> None:
    parser = parse(['{"a": 1} ', "x"])
    assert parser.value == {"a": 1}
    assert parser.error == "unexpected data after the JSON value at offset 9, got 'x'"
    assert not is_done(parser)


def test_literal_mismatch_reports_offending_character() -> None:
    parser = parse(["[tr", "ux]"])
    assert parser.error == "invalid literal (expected 'true') at offset 4, got 'x'"
    assert parser.value == []


def test_invalid_number_is_reported_at_its_start() -> None:
    assert parse(['{"n": 0', "1}"]).error == "invalid number '01' at offset 6"


def test_too_many_digits_is_an_error_like_json_loads() -> None:
    doc = "[" + "9" * 5000 + "]"
    with pytest.raises(ValueError):
        json.loads(doc)
    parser = parse([doc])
    assert parser.error == "integer with too many digits at offset 1"


def test_feed_never_raises_on_garbage() -> None:
    for garbage in ["\x00", "}}}}", "\\", '"\\', "[" * 50 + "]" * 60, "\ud800", "{\"a\":'x'}"]:
        parser = PartialJSON()
        parser.feed(garbage)
        parser.feed(garbage)
        parser.finish()
        assert parser.error is not None or is_done(parser)


# ---------------------------------------------------------------------------- finish


def test_finish_on_truncated_input() -> None:
    parser = PartialJSON()
    parser.feed('{"a": [1, 2')
    parser.finish()
    assert parser.error == "unexpected end of JSON input at offset 11"
    assert parser.value == {"a": [1]}  # 2 might have been 23: never shown
    assert not is_done(parser)


@pytest.mark.parametrize("doc", ["", "  ", '"ab', '"ab\\', '"\\ud83d', "tru", "-", '{"a"', "[1"])
def test_finish_on_incomplete_input_sets_error(doc: str) -> None:
    parser = parse(list(doc))
    assert parser.error is not None
    if doc.strip() and doc != "-":
        assert parser.error == f"unexpected end of JSON input at offset {len(doc)}"


def test_finish_completes_top_level_number() -> None:
    parser = PartialJSON()
    parser.feed("12")
    parser.feed("3")
    assert parser.value is MISSING
    assert not parser.has_value
    assert not is_done(parser)
    assert path_of(parser) == ()
    parser.finish()
    assert parser.value == 123
    assert is_done(parser)
    assert parser.error is None
    assert path_of(parser) is None


def test_top_level_number_completed_by_whitespace() -> None:
    parser = PartialJSON()
    parser.feed("-1.5e3")
    assert parser.value is MISSING
    parser.feed(" ")
    assert parser.value == -1500.0
    assert is_done(parser)


def test_missing_is_a_singleton_through_copies() -> None:
    assert copy.copy(MISSING) is MISSING
    assert copy.deepcopy({"v": MISSING})["v"] is MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert repr(MISSING) == "MISSING"


def test_finish_is_idempotent_and_feed_after_finish_is_ignored() -> None:
    parser = parse(["[1]"])
    parser.finish()
    parser.feed("garbage")
    assert is_done(parser)
    assert parser.error is None
    assert parser.value == [1]


# ---------------------------------------------------------------------------- split cases


def test_escape_split_never_shows_half_an_escape() -> None:
    parser = PartialJSON()
    parser.feed('{"a": "x\\')
    assert parser.value == {"a": "x"}
    parser.feed("n")
    assert parser.value == {"a": "x\n"}
    parser.feed("\\u00")
    assert parser.value == {"a": "x\n"}
    parser.feed("e9")
    assert parser.value == {"a": "x\né"}
    parser.feed('"}')
    assert is_done(parser)
    assert parser.value == {"a": "x\né"}


@pytest.mark.parametrize("cut", range(1, 14))
def test_surrogate_pair_split_anywhere(cut: int) -> None:
    doc = '"\\ud83d\\ude00!"'
    parser = PartialJSON()
    parser.feed(doc[:cut])
    assert "\ud83d" not in str(parser.value)  # the high half waits for its partner
    parser.feed(doc[cut:])
    assert parser.value == "😀!" == json.loads(doc)
    assert is_done(parser)


def test_lone_surrogates_like_json_loads() -> None:
    doc = '["\\ud83d", "\\ud83dA", "\\ude00", "\\ud83d\\ud83d\\ude00"]'
    parser = parse(list(doc), read_each=True)
    assert parser.value == json.loads(doc) == ["\ud83d", "\ud83dA", "\ude00", "\ud83d😀"]


def test_multibyte_and_raw_unicode() -> None:
    doc = json.dumps({"ключ": "日本 🚀 e\u0301"}, ensure_ascii=False)
    assert parse(list(doc), read_each=True).value == {"ключ": "日本 🚀 e\u0301"}


def test_key_appears_only_when_its_value_starts() -> None:
    parser = PartialJSON()
    parser.feed('{"ab')
    assert parser.value == {}
    parser.feed('c"')
    assert parser.value == {}
    parser.feed(":")
    assert parser.value == {}
    assert path_of(parser) == ()
    parser.feed(' "x')
    assert parser.value == {"abc": "x"}
    assert path_of(parser) == ("abc",)
    parser.feed('y", "n": 1')
    assert parser.value == {"abc": "xy"}  # the number may still grow
    assert path_of(parser) == ("n",)
    parser.feed("0}")
    assert parser.value == {"abc": "xy", "n": 10}
    assert is_done(parser)


def test_literal_split() -> None:
    parser = PartialJSON()
    parser.feed("[tr")
    assert parser.value == []
    assert path_of(parser) == (0,)
    parser.feed("ue")
    assert parser.value == [True]
    parser.feed(", fal")
    assert parser.value == [True]
    parser.feed("se, nu")
    assert parser.value == [True, False]
    parser.feed("ll]")
    assert parser.value == [True, False, None]
    assert is_done(parser)


def test_numbers_do_not_flicker() -> None:
    parser = PartialJSON()
    seen = []
    for char in "[12345, -6.5e-3]":
        parser.feed(char)
        value = parser.value
        assert isinstance(value, list)
        seen.append(list(value))
    assert [12] not in seen
    assert [12345, -6.5] not in seen
    assert seen[-1] == [12345, -6.5e-3]


def test_containers_appear_when_opened() -> None:
    parser = PartialJSON()
    parser.feed('{"a": [')
    assert parser.value == {"a": []}
    assert path_of(parser) == ("a",)
    parser.feed('{"b": {')
    assert parser.value == {"a": [{"b": {}}]}
    assert path_of(parser) == ("a", 0, "b")
    parser.feed('"c": "d')
    assert path_of(parser) == ("a", 0, "b", "c")
    parser.feed('"}}, "e"')
    assert parser.value == {"a": [{"b": {"c": "d"}}, "e"]}
    assert path_of(parser) == ("a",)


def test_streaming_path_before_start_and_after_done() -> None:
    parser = PartialJSON()
    assert path_of(parser) is None
    parser.feed("  ")
    assert path_of(parser) is None
    assert parser.value is MISSING
    parser.feed('"top')
    assert path_of(parser) == ()
    assert parser.value == "top"
    parser.feed('"')
    assert path_of(parser) is None
    assert is_done(parser)


# ---------------------------------------------------------------------------- live values


def test_value_is_live_and_cached() -> None:
    parser = PartialJSON()
    parser.feed('{"a": [1, 2], "s": "abc')
    first = parser.value
    assert isinstance(first, dict)
    text = first["s"]
    again = parser.value
    assert again is first  # no copy per read
    assert again["s"] is text  # nothing changed: the string is not rebuilt
    parser.feed('def"}')
    assert parser.value is first
    assert first == {"a": [1, 2], "s": "abcdef"}


def test_large_chunks_take_the_same_path_as_small_ones() -> None:
    doc = json.dumps(
        {"content": 'line "quoted" \\ é 🚀\n' * 300, "nums": list(range(300)), "x": [{}]},
        ensure_ascii=True,
    )
    final = json.loads(doc)
    for size in (1, 7, 64, 65, 1000, len(doc)):
        chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
        parser = parse(chunks, read_each=True)
        assert parser.error is None and is_done(parser)
        assert_same(parser.value, final)
    broken = doc[:-2] + ",]}"  # invalid near the end: the bulk decode fails, the parser reports
    parser = parse([broken])
    assert parser.error == f"expected a JSON value at offset {len(doc) - 1}, got ']'"
    assert isinstance(parser.value, dict) and parser.value["nums"] == final["nums"]


def test_deep_nesting_beyond_the_recursion_limit() -> None:
    # No recursion: 5,000 levels parse when the cap allows them.
    depth = 5000
    parser = PartialJSON(max_depth=depth)
    parser.feed("[" * depth + "]" * depth)
    parser.finish()
    assert is_done(parser) and parser.error is None
    node = parser.value
    for _ in range(depth - 1):
        assert isinstance(node, list) and len(node) == 1
        node = node[0]
    assert node == []


@pytest.mark.parametrize("size", [1, 7, 100_000])
def test_nesting_is_capped_at_max_depth(size: int) -> None:
    ok = '{"a": ' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    assert (
        is_done(parse(split(ok, range(0, len(ok), size))))
        and json_depth(parse([ok]).value) == MAX_DEPTH
    )
    deep = "[" * 5000 + "]" * 5000
    parser = parse(split(deep, range(0, len(deep), size)))
    assert (
        parser.error == f"JSON nested deeper than {MAX_DEPTH} levels at offset {MAX_DEPTH}, got '['"
    )
    assert json_depth(parser.value) == MAX_DEPTH  # what was parsed is kept
    # under an open container, a bulk-decoded value must fit in the room left
    parser = parse(["[" * 600, '{"k": ' * 500 + '"v"' + "}" * 500])
    assert parser.error is not None and "nested deeper" in parser.error


def test_a_long_string_fed_in_small_chunks_parses_exactly() -> None:
    # 400 KB in 8-character chunks: ~50k feeds, escapes and non-ASCII cut anywhere. (How the
    # time grows with the size is measured by benchmarks/bench_partial_json.py, not here.)
    body = ('abc\\n\\"é🚀 ' * 40_000)[:400_000]
    doc = '{"content": "' + body + '", "n": 1}'
    parser = PartialJSON()
    for i in range(0, len(doc), 8):
        parser.feed(doc[i : i + 8])
    parser.finish()
    assert is_done(parser)
    assert parser.value == json.loads(doc)


# ---------------------------------------------------------------------------- properties

_SPECIAL_CHARS = [
    '"',
    "\\",
    "/",
    "\n",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "é",
    "😀",
    "\u2028",
    "\ud83d",
    "\ude00",  # lone surrogates: dumps escapes them, loads pairs adjacent ones
]
_TEXT = st.text(st.one_of(st.characters(), st.sampled_from(_SPECIAL_CHARS)), max_size=12)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.integers(min_value=-100, max_value=100)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_TEXT, children, max_size=5),
    max_leaves=15,
)
_DUMPS_OPTIONS = st.fixed_dictionaries(
    {
        "ensure_ascii": st.booleans(),
        "indent": st.sampled_from([None, 0, 2, "\t"]),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": "), (" , ", " : ")]),
    }
)
_CUTS = st.lists(st.integers(min_value=0, max_value=10_000), max_size=30)
_SETTINGS = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(value=_JSON, options=_DUMPS_OPTIONS, cuts=_CUTS)
def test_random_chunks_agree_with_json_loads(
    value: object, options: dict[str, object], cuts: list[int]
) -> None:
    doc = json.dumps(value, **options)  # type: ignore[arg-type]
    final = json.loads(doc)
    parser = PartialJSON()
    for chunk in split(doc, [c % (len(doc) + 1) for c in cuts]):
        parser.feed(chunk)
        check_snapshot(parser, final)
    parser.finish()
    assert parser.error is None
    assert is_done(parser)
    assert path_of(parser) is None
    assert_same(parser.value, final)


@settings(_SETTINGS, max_examples=150)
@given(value=_JSON, options=_DUMPS_OPTIONS)
def test_every_prefix_is_consistent(value: object, options: dict[str, object]) -> None:
    doc = json.dumps(value, **options)  # type: ignore[arg-type]
    final = json.loads(doc)
    parser = PartialJSON()
    for char in doc:
        parser.feed(char)
        check_snapshot(parser, final)
    parser.finish()
    assert parser.error is None and is_done(parser)
    assert_same(parser.value, final)


_MUTATION_CHARS = [*'{}[],:" \\/0123456789.eE+-tfnulrsaxNI\x01\n', "\\u", "\ud83d"]


@_SETTINGS
@given(
    value=_JSON,
    data=st.data(),
    cuts=_CUTS,
)
def test_mutated_documents_match_json_loads_strictness(
    value: object, data: st.DataObject, cuts: list[int]
) -> None:
    doc = json.dumps(value, ensure_ascii=data.draw(st.booleans()))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        at = data.draw(st.integers(min_value=0, max_value=len(doc)))
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        new = data.draw(st.sampled_from(_MUTATION_CHARS))
        if kind == "insert":
            doc = doc[:at] + new + doc[at:]
        elif kind == "delete":
            doc = doc[:at] + doc[at + 1 :]
        else:
            doc = doc[:at] + new + doc[at + 1 :]
    assert_matches_reference(doc, cuts)


_SOUP_TOKENS = [*'{}[],:" \\/0123456789.eE+-tfnulrsxNI\x01\n\t', "\\u", "\\ud83d", "\\ude00"]
_SOUP_TOKENS += ["true", "null", "false", '"a"', "12", "0.5", "1e5", "-0"]


@_SETTINGS
@given(doc=st.lists(st.sampled_from(_SOUP_TOKENS), max_size=10).map("".join), cuts=_CUTS)
def test_token_soup_matches_json_loads_strictness(doc: str, cuts: list[int]) -> None:
    assert_matches_reference(doc, cuts)


def assert_matches_reference(doc: str, cuts: list[int]) -> None:
    """Fed in chunks, ``doc`` is accepted iff strict json.loads accepts it, with its value."""
    parser = parse(split(doc, [c % (len(doc) + 1) for c in cuts]), read_each=True)
    try:
        expected = strict_loads(doc)
    except ValueError:
        assert parser.error is not None, doc
        assert not is_done(parser)
    else:
        assert parser.error is None, (doc, parser.error)
        assert is_done(parser)
        assert_same(parser.value, expected)
