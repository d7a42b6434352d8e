"""The schema corpus against the reference validator ``jsonschema``: 100% agreement except
the deliberate differences listed in :data:`streamscope.core.schema.validation.DIFFERENCES`."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from schema_corpus import GROUPS, KEYWORDS_2020_12, PAIRS, SPECIAL, Pair

from streamscope.core.json.partial import PartialJSON
from streamscope.core.schema.validation import DIFFERENCES, SchemaChecker, validate_arguments


def reference(pair: Pair) -> str:
    """The reference validator's outcome (``not_checked``: it rejects the schema)."""
    try:
        jsonschema.Draft202012Validator.check_schema(pair.schema)
    except jsonschema.SchemaError:
        return "not_checked"
    validator = jsonschema.Draft202012Validator(pair.schema)
    return "valid" if validator.is_valid(pair.value) else "invalid"


def ours(schema: Any, value: Any) -> str:
    found = validate_arguments(schema, value)
    if any(v.keyword == "not_checked" for v in found):
        assert len(found) == 1 and found[0].path == ()
        assert found[0].message.startswith("not checked: ")
        return "not_checked"
    return "invalid" if found else "valid"


def test_the_corpus_is_large_and_covers_every_keyword() -> None:
    assert len(PAIRS) >= 200
    used: set[str] = set()
    stack: list[Any] = [p.schema for p in PAIRS]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            used |= set(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert used >= KEYWORDS_2020_12
    assert {p.differs for p in PAIRS if p.differs} == set(DIFFERENCES) - {"lone surrogates"}


@pytest.mark.parametrize(
    "pair", [Pair(n, s, v) for n, s, vs in GROUPS for v in vs], ids=lambda p: p.name
)
def test_agreement_with_the_reference(pair: Pair) -> None:
    assert ours(pair.schema, pair.value) == reference(pair), (pair.schema, pair.value)


@pytest.mark.parametrize("pair", SPECIAL, ids=lambda p: p.name)
def test_the_unlucky_pairs(pair: Pair) -> None:
    """Hostile and unlucky pairs: the outcome given in the corpus; where a documented
    difference is named, the reference really disagrees (so the list stays true)."""
    assert ours(pair.schema, pair.value) == pair.expect, (pair.name, pair.value)
    if pair.differs is not None:
        assert pair.differs in DIFFERENCES
        try:
            theirs = reference(pair)
        except Exception:  # OverflowError, RecursionError...: not an outcome at all
            theirs = "raised"
        assert theirs != pair.expect


@pytest.mark.parametrize(
    "pair",
    [p for p in PAIRS if p.expect != "not_checked" and isinstance(p.value, (dict, list))],
    ids=lambda p: p.name,
)
def test_streamed_one_character_at_a_time_the_live_check_agrees(pair: Pair) -> None:
    """The live check (values checked as they complete) finds the same violations as the
    whole check, for every corpus pair whose value is a container."""
    checker = SchemaChecker(pair.schema)
    parser = PartialJSON(on_complete=checker.completed)
    for char in json.dumps(pair.value):
        parser.feed(char)
    parser.finish()
    assert parser.done
    assert checker.violations == validate_arguments(pair.schema, pair.value)
