"""Tests for streamscope.core.pricing.prices: costs against genai-prices' own calculation, the cost
arithmetic on fixed rates, model id lookup, where prices come from, overrides, no network."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import genai_prices
import pytest
from genai_prices import data_snapshot
from genai_prices.types import ClauseStartsWith, ModelInfo, Provider, Tier, TieredPrices
from genai_prices.types import ModelPrice as GenaiModelPrice

from streamscope.core.pricing import database
from streamscope.core.pricing.prices import (
    _SUPPLEMENT,
    DEFAULT_PRICES,
    PRICES_AS_OF,
    PRICES_SOURCE,
    CostEstimate,
    ModelPrice,
    PriceTable,
    estimate_cost,
)
from streamscope.core.stream.usage import Usage

GENAI = f"genai-prices {genai_prices.__version__}"
# "genai-prices 0.2.3 (data as of 2026-11-10)" for the release these tests were written on;
# a newer release is labelled "data newer than ...", so the tests read the label.
DATABASE, DATABASE_AS_OF = database.describe(None)
SUPPLEMENT = "streamscope supplement (2026-11-12)"


def _cost(usage: dict[str, Any], model: str, table: PriceTable | None = None) -> CostEstimate:
    estimate = estimate_cost(Usage(usage), model, table)
    assert estimate is not None
    return estimate


# --- every Claude model genai-prices knows, priced by us and by genai-prices itself ---

CLAUDE_MODELS = [model.id for model in database.anthropic_models(data_snapshot.get_snapshot())]

USAGES: dict[str, dict[str, Any]] = {
    "input and output": {"input_tokens": 1_234, "output_tokens": 567},
    "cache write, no breakdown (5m rate)": {
        "input_tokens": 50,
        "cache_creation_input_tokens": 10_000,
        "output_tokens": 400,
    },
    "cache writes 5m and 1h": {
        "input_tokens": 50,
        "cache_creation_input_tokens": 9_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 4_000, "ephemeral_1h_input_tokens": 5_000},
        "output_tokens": 10,
    },
    "cache read": {"input_tokens": 60, "cache_read_input_tokens": 10_000, "output_tokens": 300},
    "every kind, with thinking": {
        "input_tokens": 321,
        "cache_creation_input_tokens": 7_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 3_000, "ephemeral_1h_input_tokens": 4_000},
        "cache_read_input_tokens": 20_000,
        "output_tokens": 2_500,
        "output_tokens_details": {"thinking_tokens": 1_800},
    },
    "long prompt, over 200K": {
        "input_tokens": 150_000,
        "cache_creation_input_tokens": 60_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 60_000},
        "cache_read_input_tokens": 40_001,
        "output_tokens": 3_000,
        "output_tokens_details": {"thinking_tokens": 1_000},
    },
}


def _genai(usage: dict[str, Any], model: str) -> genai_prices.types.PriceCalculation:
    """genai-prices' own price: its Anthropic usage mapping, its matching, its arithmetic."""
    response = {"model": model, "usage": usage}
    extracted = genai_prices.extract_usage(response, provider_id="anthropic")
    return extracted.calc_price()


def _assert_same_cost(ours: CostEstimate, theirs: genai_prices.types.PriceCalculation) -> None:
    assert ours.total_usd == pytest.approx(float(theirs.total_price), rel=1e-12, abs=1e-15)
    prompt = ours.input_usd + ours.cache_write_usd + ours.cache_read_usd
    assert prompt == pytest.approx(float(theirs.input_price), rel=1e-12, abs=1e-15)
    assert ours.output_usd == pytest.approx(float(theirs.output_price), rel=1e-12, abs=1e-15)


def test_genai_prices_lists_the_current_claude_models() -> None:
    assert {"claude-fable-5-2", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"} <= set(
        CLAUDE_MODELS
    )


@pytest.mark.parametrize("model", CLAUDE_MODELS)
@pytest.mark.parametrize("kind", list(USAGES))
def test_costs_equal_genai_prices_own_calculation(model: str, kind: str) -> None:
    usage = USAGES[kind]
    ours = _cost(usage, model)
    assert ours.source == DATABASE
    assert ours.model_key == model.removesuffix("-latest").replace("-4-0", "-4")
    _assert_same_cost(ours, _genai(usage, model))


def _tiered() -> Iterator[tuple[str, int]]:
    for key, price in DEFAULT_PRICES.prices.items():
        if price.long_prompt_threshold is not None:
            yield key, price.long_prompt_threshold


@pytest.mark.parametrize(("model", "threshold"), list(_tiered()))
@pytest.mark.parametrize("over", [0, 1])
def test_long_context_tier_boundary_matches_genai_prices(
    model: str, threshold: int, over: int
) -> None:
    """The prompt (input + writes + reads) reaching the threshold keeps the base rates; one
    token more bills every token, output included, at the tier's."""
    usage = {
        "input_tokens": 1 + over,
        "cache_creation_input_tokens": threshold // 2,
        "cache_read_input_tokens": threshold - threshold // 2 - 1,
        "output_tokens": 1_000,
    }
    ours = _cost(usage, model)
    assert ours.long_prompt is bool(over)
    _assert_same_cost(ours, _genai(usage, model))


def test_some_models_have_a_long_context_tier() -> None:
    # genai-prices 0.2.3: claude-haiku-5-5 above 100K, claude-sonnet-4-5 above 200K.
    assert list(_tiered())


def test_thinking_tokens_are_output_already() -> None:
    plain = {"input_tokens": 10, "output_tokens": 1_000}
    thinking = {**plain, "output_tokens_details": {"thinking_tokens": 800}}
    assert _cost(thinking, "claude-opus-5-5") == _cost(plain, "claude-opus-5-5")
    rate = DEFAULT_PRICES.prices["claude-opus-5-5"].output  # $20 in genai-prices 0.2.3
    assert _cost(thinking, "claude-opus-5-5").output_usd == pytest.approx(1_000 * rate / 1e6)


# --- the arithmetic, on fixed rates (independent of the database's numbers) ---

SONNET_45 = ModelPrice(
    3,
    15,
    3.75,
    6,
    0.3,
    long_prompt_threshold=200_000,
    long_prompt=ModelPrice(6, 22.5, 7.5, 12, 0.6),
)
HAIKU_55 = ModelPrice(
    0.10,
    0.50,
    0.125,
    0.20,
    0.01,
    long_prompt_threshold=100_000,
    long_prompt=ModelPrice(0.50, 2.50, 0.625, 1.00, 0.05),
)
FIXED = PriceTable(
    {
        "claude-sonnet-4-5": SONNET_45,
        "claude-haiku-5-5": HAIKU_55,
        "claude-opus-4-6": ModelPrice.standard(5, 25),
    },
    "2026-11-12",
)


def test_cache_write_turn_then_cache_read_turn_on_the_same_prefix() -> None:
    write = _cost(
        {"input_tokens": 50, "cache_creation_input_tokens": 10_000, "output_tokens": 400},
        "claude-sonnet-4-5-20250929",
        FIXED,
    )
    assert write.model_key == "claude-sonnet-4-5"
    assert write.input_usd == 0.00015  # 50 * $3 / 1M
    assert write.cache_write_usd == 0.0375  # 10,000 * $3.75 / 1M, no breakdown: 5m rate
    assert write.cache_read_usd == 0.0
    assert write.output_usd == 0.006  # 400 * $15 / 1M
    assert write.total_usd == pytest.approx(0.04365, rel=1e-12)
    assert write.without_cache_usd == pytest.approx(0.03615, rel=1e-12)  # 10,050 * $3 + out

    read = _cost(
        {"input_tokens": 60, "cache_read_input_tokens": 10_000, "output_tokens": 300},
        "claude-sonnet-4-5-20250929",
        FIXED,
    )
    assert read.input_usd == 0.00018
    assert read.cache_write_usd == 0.0
    assert read.cache_read_usd == 0.003  # 10,000 * $0.30 / 1M
    assert read.output_usd == 0.0045
    assert read.total_usd == pytest.approx(0.00768, rel=1e-12)
    assert read.without_cache_usd == pytest.approx(0.03468, rel=1e-12)  # 10,060 * $3 + out

    # Over both turns caching saves 0.07083 - 0.05133.
    assert write.total_usd + read.total_usd == pytest.approx(0.05133, rel=1e-12)
    assert write.without_cache_usd + read.without_cache_usd == pytest.approx(0.07083, rel=1e-12)


@pytest.mark.parametrize(
    ("breakdown", "expected"),
    [
        (None, 0.03125),  # no breakdown: all 5,000 at the 5m rate ($6.25)
        ({"ephemeral_5m_input_tokens": 5_000, "ephemeral_1h_input_tokens": 0}, 0.03125),
        ({"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 5_000}, 0.05),
        ({"ephemeral_5m_input_tokens": 2_000, "ephemeral_1h_input_tokens": 3_000}, 0.0425),
        # The breakdown misses 1,000 written tokens: they go at the 5m rate.
        ({"ephemeral_5m_input_tokens": 1_000, "ephemeral_1h_input_tokens": 3_000}, 0.0425),
    ],
)
def test_cache_writes_use_the_5m_and_1h_breakdown(
    breakdown: dict[str, int] | None, expected: float
) -> None:
    usage: dict[str, object] = {"input_tokens": 100, "cache_creation_input_tokens": 5_000}
    if breakdown is not None:
        usage["cache_creation"] = breakdown
    estimate = _cost(usage, "claude-opus-4-6", FIXED)
    assert estimate.cache_write_usd == pytest.approx(expected, rel=1e-12)
    assert estimate.input_usd == 0.0005


def test_long_prompt_rates_apply_to_every_token_above_the_threshold() -> None:
    at = _cost(
        {"input_tokens": 40_000, "cache_read_input_tokens": 60_000, "output_tokens": 1_000},
        "claude-haiku-5-5",
        FIXED,
    )
    assert not at.long_prompt
    assert (at.input_usd, at.cache_read_usd, at.output_usd) == (0.004, 0.0006, 0.0005)
    assert at.without_cache_usd == pytest.approx(0.0105, rel=1e-12)

    above = _cost(
        {"input_tokens": 40_001, "cache_read_input_tokens": 60_000, "output_tokens": 1_000},
        "claude-haiku-5-5",
        FIXED,
    )
    assert above.long_prompt
    assert above.input_usd == 0.0200005  # 40,001 * $0.50
    assert above.cache_read_usd == 0.003  # 60,000 * $0.05
    assert above.output_usd == 0.0025  # output at the long rate too: 1,000 * $2.50
    assert above.without_cache_usd == pytest.approx(0.0525005, rel=1e-12)


def test_cache_writes_count_toward_the_prompt_length() -> None:
    estimate = _cost(
        {
            "input_tokens": 1,
            "cache_creation_input_tokens": 100_000,
            "cache_creation": {
                "ephemeral_5m_input_tokens": 0,
                "ephemeral_1h_input_tokens": 100_000,
            },
        },
        "claude-haiku-5-5",
        FIXED,
    )
    assert estimate.long_prompt
    assert estimate.input_usd == 0.0000005
    assert estimate.cache_write_usd == 0.1  # 100,000 * $1.00 (long 1h rate)


def test_empty_usage_costs_nothing() -> None:
    estimate = _cost({}, "claude-fable-5-1")
    assert estimate.total_usd == 0.0
    assert estimate.without_cache_usd == 0.0


def test_without_cache_falls_back_to_total_when_unknown() -> None:
    estimate = CostEstimate("m", "2026-01-01", 1.0, 2.0, 0.5, 4.0)
    assert estimate.total_usd == 7.5
    assert estimate.without_cache_usd == 7.5
    assert estimate.source == ""


# --- model id lookup ---


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
        ("claude-3-7-sonnet-20250219", "claude-3-7-sonnet"),
        ("claude-opus-4-6", "claude-opus-4-6"),
        ("claude-opus-4-6[1m]", "claude-opus-4-6"),
        ("claude-opus-4-0", "claude-opus-4"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("claude-opus-4-5-20251101", "claude-opus-4-5"),
        ("claude-haiku-4-5", "claude-haiku-4-5"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("claude-3-sonnet-20240229", "claude-3-sonnet"),
        ("claude-fable-5-2", "claude-fable-5-2"),
        ("claude-fable-5-1-thinking", "claude-fable-5-1"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("us.anthropic.claude-opus-4-7", "claude-opus-4-7"),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-7",
            "claude-opus-4-7",
        ),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"),
        ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
        ("  CLAUDE-Opus-4-6  ", "claude-opus-4-6"),
        ("claude-mythos-5-1", "claude-mythos-5-1"),
        ("claude-mythos-5-20260301", "claude-mythos-5"),
    ],
)
def test_lookup_resolves_dated_ids_aliases_and_cloud_ids(model: str, key: str) -> None:
    found = DEFAULT_PRICES.lookup(model)
    assert found is not None
    assert found[0] == key
    assert found[1] is DEFAULT_PRICES.prices[key]


@pytest.mark.parametrize(
    "model", ["gpt-6-sol", "claude-nonesuch-5-1", "claude-opus-99", "mystery-model", "claude"]
)
def test_unknown_models_have_no_price_and_say_why(model: str) -> None:
    assert DEFAULT_PRICES.lookup(model) is None
    assert estimate_cost(Usage({"input_tokens": 10}), model) is None
    reason = DEFAULT_PRICES.why_unpriced(model)
    assert reason == f"no price for {model!r} in {DATABASE}; {SUPPLEMENT}"


def test_a_different_version_is_a_different_model() -> None:
    table = DEFAULT_PRICES.with_overrides({"claude-x-5-1": {"input": 1, "output": 2}})
    assert table.lookup("claude-x-5-1-thinking") is not None
    assert table.lookup("claude-x-5-2") is None
    assert table.lookup("claude-x-5") is None


@pytest.mark.parametrize("model", [None, "", "   "])
def test_a_stream_without_a_model_has_no_price(model: str | None) -> None:
    assert estimate_cost(Usage({"input_tokens": 10}), model) is None
    assert DEFAULT_PRICES.why_unpriced(model) == "the stream has not named its model"


def test_a_known_model_has_no_reason_to_be_unpriced() -> None:
    assert DEFAULT_PRICES.why_unpriced("claude-opus-4-7") is None


def test_longest_matching_key_wins() -> None:
    table = PriceTable(
        {"claude-x": ModelPrice.standard(1, 1), "claude-x-mini": ModelPrice.standard(2, 2)},
        "2026-01-01",
    )
    assert table.lookup("claude-x-mini-fast") == ("claude-x-mini", table.prices["claude-x-mini"])
    assert table.lookup("claude-x-fast") == ("claude-x", table.prices["claude-x"])
    assert table.lookup("claude-x-2") is None  # a different version, not a variant


# --- where prices come from ---


def test_default_prices_come_from_genai_prices_then_the_supplement() -> None:
    assert DEFAULT_PRICES.sources == (DATABASE, SUPPLEMENT)
    assert DATABASE.startswith(GENAI)
    assert DEFAULT_PRICES.as_of == PRICES_AS_OF == DATABASE_AS_OF
    assert DEFAULT_PRICES.sources[0] == PRICES_SOURCE
    genai = _cost({"input_tokens": 1}, "claude-opus-4-7")
    assert (genai.source, genai.as_of) == (DATABASE, DATABASE_AS_OF)


@pytest.mark.parametrize(
    ("key", "twin"),
    [("claude-mythos-5-1", "claude-fable-5-1"), ("claude-mythos-5", "claude-fable-5")],
)
def test_the_supplement_prices_what_genai_prices_lacks(key: str, twin: str) -> None:
    """Mythos is the limited-availability twin of each Fable, with its rate card. Once
    genai-prices lists a supplement model, genai-prices' price wins (and the entry can go:
    genai-prices 0.2.3 lists neither)."""
    assert set(_SUPPLEMENT) == {"claude-mythos-5-1", "claude-mythos-5"}
    estimate = _cost({"input_tokens": 1}, key)
    if database.find_model(data_snapshot.get_snapshot(), key) is None:
        assert (estimate.source, estimate.as_of) == (SUPPLEMENT, "2026-11-12")
        assert DEFAULT_PRICES.prices[key] is _SUPPLEMENT[key]
    else:
        assert estimate.source == DATABASE
    assert DEFAULT_PRICES.prices[key] == DEFAULT_PRICES.prices[twin]


def test_an_unknown_genai_prices_release_is_dated_by_the_newest_known_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(genai_prices, "__version__", "9.0.0")
    assert database.describe(None) == (
        "genai-prices 9.0.0 (data newer than 2026-11-10)",
        "2026-11-10",
    )
    monkeypatch.setattr(genai_prices, "__version__", "0.2.3")
    assert database.describe(None) == ("genai-prices 0.2.3 (data as of 2026-11-10)", "2026-11-10")


def _claude(model_id: str, price: GenaiModelPrice) -> ModelInfo:
    return ModelInfo(id=model_id, match=ClauseStartsWith(starts_with=model_id), prices=price)


@pytest.fixture
def fetched() -> Iterator[None]:
    """genai-prices data as its own UpdatePrices would install it (no network here)."""
    bundled = data_snapshot.get_snapshot().find_provider(None, "anthropic", None)
    provider = Provider(
        id="anthropic",
        name="Anthropic",
        api_pattern=bundled.api_pattern,
        extractors=bundled.extractors,
        models=[
            _claude(
                "claude-opus-4-7", GenaiModelPrice(input_mtok=Decimal(7), output_mtok=Decimal(35))
            ),
            _claude(
                "claude-opus-9",
                GenaiModelPrice(
                    input_mtok=TieredPrices(
                        base=Decimal(1),
                        tiers=[
                            Tier(start=100, price=Decimal(2)),
                            Tier(start=200, price=Decimal(3)),
                        ],
                    ),
                    output_mtok=Decimal(5),
                ),
            ),
        ],
    )
    snapshot = data_snapshot.DataSnapshot(providers=[provider], from_auto_update=True)
    data_snapshot.set_custom_snapshot(snapshot)
    try:
        yield
    finally:
        data_snapshot.set_custom_snapshot(None)


@pytest.mark.usefixtures("fetched")
def test_prices_genai_prices_fetched_are_used_and_labelled() -> None:
    estimate = _cost({"input_tokens": 1_000, "cache_read_input_tokens": 1_000}, "claude-opus-4-7")
    assert estimate.source.startswith(f"{GENAI} (fetched ")
    # No cache-read price: genai-prices bills reads as input; so do we.
    assert (estimate.input_usd, estimate.cache_read_usd) == (0.007, 0.007)
    _assert_same_cost(
        estimate,
        _genai(
            {"input_tokens": 1_000, "cache_read_input_tokens": 1_000, "output_tokens": 0},
            "claude-opus-4-7",
        ),
    )
    assert DEFAULT_PRICES.find("claude-sonnet-4-5") is None  # not in the fetched data


@pytest.mark.usefixtures("fetched")
def test_prices_streamscope_cannot_read_are_reported_not_guessed() -> None:
    assert estimate_cost(Usage({"input_tokens": 10}), "claude-opus-9") is None
    assert DEFAULT_PRICES.why_unpriced("claude-opus-9") == (
        "genai-prices gives claude-opus-9 several prompt-length tiers"
    )


def test_the_bundled_data_is_back_after_a_fetch(fetched: None) -> None:
    data_snapshot.set_custom_snapshot(None)
    assert _cost({"input_tokens": 1}, "claude-opus-4-7").source == DEFAULT_PRICES.sources[0]
    assert "fetched" not in DEFAULT_PRICES.sources[0]


# --- overrides ---


def test_partial_override_updates_one_field_and_leaves_the_rest() -> None:
    table = DEFAULT_PRICES.with_overrides({"claude-sonnet-4-5": {"cache_read": 0.25}})
    old, new = DEFAULT_PRICES.prices["claude-sonnet-4-5"], table.prices["claude-sonnet-4-5"]
    assert new.cache_read == 0.25
    assert (new.input, new.output, new.cache_write_5m, new.cache_write_1h) == (
        old.input,
        old.output,
        old.cache_write_5m,
        old.cache_write_1h,
    )
    assert new.long_prompt is old.long_prompt
    assert new.long_prompt_threshold == old.long_prompt_threshold
    assert old.cache_read != 0.25  # the default table is untouched
    assert table.as_of == PRICES_AS_OF
    assert table.sources == ("your override", *DEFAULT_PRICES.sources)
    read = _cost({"cache_read_input_tokens": 10_000}, "claude-sonnet-4-5-20250929", table)
    assert read.cache_read_usd == 0.0025
    assert (read.source, read.as_of) == ("your override", PRICES_AS_OF)
    assert _cost({}, "claude-opus-4-7", table).source == DEFAULT_PRICES.sources[0]


def test_partial_override_by_dated_id_updates_the_matched_entry() -> None:
    table = DEFAULT_PRICES.with_overrides({"claude-sonnet-4-5-20250929": {"input": 2.5}})
    assert len(table) == len(DEFAULT_PRICES)
    assert table.prices["claude-sonnet-4-5"].input == 2.5


def test_override_adds_a_new_model_and_the_new_date_is_carried() -> None:
    table = DEFAULT_PRICES.with_overrides(
        {
            "my-gateway-model": ModelPrice(1, 2, 3, 4, 0.5),
            "claude-opus-6": {"input": 6, "output": 30},
        },
        as_of="2026-12-01",
    )
    mine = _cost({"input_tokens": 1_000, "output_tokens": 1_000}, "my-gateway-model", table)
    assert (mine.model_key, mine.input_usd, mine.output_usd) == ("my-gateway-model", 0.001, 0.002)
    assert (mine.as_of, mine.source) == ("2026-12-01", "your override")
    assert table.as_of == "2026-12-01"
    opus = table.prices["claude-opus-6"]
    assert (opus.cache_write_5m, opus.cache_write_1h, opus.cache_read) == (7.5, 12, 0.6)
    assert _cost({}, "claude-opus-6-20270101", table).model_key == "claude-opus-6"
    assert _cost({}, "claude-opus-4-6", table).as_of == PRICES_AS_OF


def test_override_with_a_full_price_for_a_dated_id_wins_over_its_alias() -> None:
    pinned = ModelPrice(1, 1, 1, 1, 1)
    table = DEFAULT_PRICES.with_overrides({"claude-sonnet-4-5-20250929": pinned})
    assert table.lookup("claude-sonnet-4-5-20250929") == ("claude-sonnet-4-5-20250929", pinned)
    assert table.lookup("claude-sonnet-4-5") == (
        "claude-sonnet-4-5",
        DEFAULT_PRICES.prices["claude-sonnet-4-5"],
    )


def test_an_override_prices_a_model_no_one_else_does() -> None:
    table = DEFAULT_PRICES.with_overrides({"gpt-6-sol": {"input": 1, "output": 2}})
    assert _cost({"input_tokens": 1_000_000}, "gpt-6-sol", table).input_usd == 1.0
    assert table.why_unpriced("gpt-6-sol") is None


def test_a_table_of_your_own_prices_only() -> None:
    table = PriceTable({"claude-opus-4-7": ModelPrice.standard(1, 2)}, "2026-01-01")
    assert table.sources == ("your price table",)
    estimate = _cost({"input_tokens": 1_000_000}, "claude-opus-4-7", table)
    assert (estimate.input_usd, estimate.source, estimate.as_of) == (
        1.0,
        "your price table",
        "2026-01-01",
    )
    assert table.lookup("claude-sonnet-4-5") is None
    assert (
        table.why_unpriced("claude-sonnet-4-5")
        == "no price for 'claude-sonnet-4-5' in your price table"
    )


def test_bad_overrides_are_rejected() -> None:
    with pytest.raises(KeyError):
        DEFAULT_PRICES.with_overrides({"claude-nonesuch-9": {"cache_read": 0.1}})
    with pytest.raises(ValueError, match="unknown price fields"):
        DEFAULT_PRICES.with_overrides({"claude-opus-4-6": {"inptu": 1.0}})
    with pytest.raises(ValueError):
        DEFAULT_PRICES.with_overrides({"claude-opus-4-6": {"input": -1.0}})
    with pytest.raises(ValueError):
        DEFAULT_PRICES.with_overrides({}, as_of="last tuesday")
    with pytest.raises(ValueError):
        PriceTable({}, "last tuesday")


def test_model_price_validation() -> None:
    with pytest.raises(ValueError):
        ModelPrice(1, 1, 1, 1, float("nan"))
    with pytest.raises(ValueError):
        ModelPrice(1, 1, 1, 1, 1, long_prompt_threshold=10)
    tier = ModelPrice(2, 2, 2, 2, 2)
    with pytest.raises(ValueError):
        ModelPrice(1, 1, 1, 1, 1, 10, ModelPrice(1, 1, 1, 1, 1, 5, tier))
    assert ModelPrice(1, 1, 1, 1, 1, 10, tier).rates_for(11) is tier


# --- no network, ever ---

NO_NETWORK = """
import socket, threading

def refuse(*args, **kwargs):
    raise AssertionError(f"network use: {args!r}")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

from streamscope.core import StreamState, estimate_cost, gallery
from streamscope.core.pricing.prices import DEFAULT_PRICES
from genai_prices import data_snapshot

costs = []
for name in ("cache_miss", "cache_hit", "parallel_tools"):
    state = StreamState().apply_all(gallery.load_events(name))
    costs.append(estimate_cost(state.usage, state.model))
assert all(cost is not None and cost.total_usd > 0 for cost in costs), costs
assert DEFAULT_PRICES.why_unpriced("claude-opus-4-9") is not None
assert len(DEFAULT_PRICES.prices) > 20
assert not data_snapshot.get_snapshot().from_auto_update
updaters = [t.name for t in threading.enumerate() if "genai" in t.name]
assert not updaters, updaters
print("ok", costs[0].source)
"""


def test_import_and_costs_open_no_connection_and_start_no_updater() -> None:
    """In a fresh interpreter, with every way to connect refused before streamscope is
    imported: recorded streams are priced from the bundled data."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(NO_NETWORK)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == f"ok {DATABASE}"


def test_pricing_in_this_process_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network use: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    table = DEFAULT_PRICES.with_overrides({}, as_of="2026-11-29")
    for model in [*CLAUDE_MODELS, "claude-mythos-5-1", "claude-nonesuch"]:
        estimate_cost(Usage(USAGES["every kind, with thinking"]), model, table)
        table.why_unpriced(model)
