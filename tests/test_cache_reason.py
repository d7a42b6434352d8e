"""The API's ``cache_miss_reason`` reads the same in the panel's cache line ("cache miss: …")
and in the cache explanation against a previous run ("The API says: …"): one phrasing, one
function, for every reason type the installed SDK knows (read from its union)."""

from __future__ import annotations

import copy
from typing import Any, get_args

import pytest
from anthropic.types.beta import BetaCacheMissReason
from html_checks import tree

from streamscope.core.figures.cache_reason import (
    CACHE_MISS_WORDS,
    PENDING_WORDS,
    cache_miss_words,
)
from streamscope.core.io import gallery
from streamscope.core.io.runs import state_of
from streamscope.widgets import StreamView


def _reason_types() -> list[tuple[str, bool]]:
    """``(type, carries cache_missed_input_tokens)`` of each member of the SDK's union."""
    union = get_args(BetaCacheMissReason)[0]
    found = []
    for model in get_args(union):
        kind = get_args(model.model_fields["type"].annotation)[0]
        found.append((kind, "cache_missed_input_tokens" in model.model_fields))
    return found


REASONS = _reason_types()


def test_the_sdk_union_is_read_and_each_type_has_words() -> None:
    kinds = {kind for kind, _ in REASONS}
    assert len(kinds) >= 6 and "tools_changed" in kinds and "unavailable" in kinds
    assert kinds <= set(CACHE_MISS_WORDS), kinds - set(CACHE_MISS_WORDS)


def _both_lines(reason: dict[str, Any] | None) -> tuple[str, str | None]:
    """The panel's words and the explanation's words for a run whose message carries
    ``reason`` (the words only: each line's own lead-in and figures cut off)."""
    first, second = gallery.conversation("cache_tools_reordered")
    state = state_of(second)
    assert state.message is not None
    message = copy.deepcopy(state.message)
    message["diagnostics"] = {"cache_miss_reason": reason}
    state.message = message
    page = tree(StreamView(state, previous=first, flush_timer=False).static_html())
    miss = page.one("ss-cache-miss")
    cost = miss.select("ss-cache-miss-cost")
    panel = miss.text().removeprefix("cache miss: ")
    if cost:
        panel = panel.removesuffix(cost[0].text())
    servers = page.select("ss-cache-server")
    said = servers[0].text().removeprefix("The API says: ").removesuffix(".") if servers else None
    return panel, said


@pytest.mark.parametrize(("kind", "counted"), REASONS)
def test_panel_and_explanation_say_one_thing(kind: str, counted: bool) -> None:
    reason: dict[str, Any] = {"type": kind}
    if counted:
        reason["cache_missed_input_tokens"] = 13984
    panel, said = _both_lines(reason)
    words = cache_miss_words(reason)
    assert panel == said == words
    assert words.startswith(CACHE_MISS_WORDS[kind])
    assert ("13,984 input tokens missed the cache" in words) is counted


def test_pending_and_unknown_reasons() -> None:
    panel, said = _both_lines(None)
    assert panel == said == PENDING_WORDS  # null: pending, in both places
    reason = {"type": "a_future_reason", "cache_missed_input_tokens": 5}
    panel, said = _both_lines(reason)
    assert panel == said == "a_future_reason: 5 input tokens missed the cache"
    assert cache_miss_words({}) == "no reason given"


def test_no_diagnostics_at_all_says_nothing() -> None:
    # null is "pending"; a message without diagnostics (not asked for) has no API line
    first, second = gallery.conversation("cache_tools_reordered")
    state = state_of(second)
    assert state.message is not None
    message = copy.deepcopy(state.message)
    message.pop("diagnostics", None)
    state.message = message
    page = tree(StreamView(state, previous=first, flush_timer=False).static_html())
    assert page.select("ss-cache-server") == []
