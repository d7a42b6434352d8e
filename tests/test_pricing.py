"""Tests for streamscope.core.pricing: hand-computed costs, model id lookup, overrides."""

from __future__ import annotations

import pytest

from streamscope.core.pricing import (
    DEFAULT_PRICES,
    PRICES_AS_OF,
    CostEstimate,
    ModelPrice,
    PriceTable,
    estimate_cost,
)
from streamscope.core.usage import Usage


def _cost(usage: dict[str, object], model: str, table: PriceTable | None = None) -> CostEstimate:
    estimate = estimate_cost(Usage(usage), model, table)
    assert estimate is not None
    return estimate


# --- one prefix, written then read (Sonnet 4.5: $3 in, $3.75 5m write, $0.30 read, $15 out) ---


def test_cache_write_turn_then_cache_read_turn_on_the_same_prefix() -> None:
    write = _cost(
        {"input_tokens": 50, "cache_creation_input_tokens": 10_000, "output_tokens": 400},
        "claude-sonnet-4-5-20250929",
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


# --- 5-minute vs 1-hour writes (Opus 4.6: $6.25 5m, $10 1h) ---


@pytest.mark.parametrize(
    ("breakdown", "expected"),
    [
        (None, 0.03125),  # no breakdown: all 5,000 at the 5m rate
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
    estimate = _cost(usage, "claude-opus-4-6")
    assert estimate.cache_write_usd == pytest.approx(expected, rel=1e-12)
    assert estimate.input_usd == 0.0005


# --- prompt-length tiers ---


def test_haiku_5_5_switches_to_long_prompt_rates_above_100k_prompt_tokens() -> None:
    at = _cost(
        {"input_tokens": 40_000, "cache_read_input_tokens": 60_000, "output_tokens": 1_000},
        "claude-haiku-5-5",
    )
    assert not at.long_prompt
    assert at.input_usd == 0.004  # 40,000 * $0.10
    assert at.cache_read_usd == 0.0006  # 60,000 * $0.01
    assert at.output_usd == 0.0005  # 1,000 * $0.50
    assert at.without_cache_usd == pytest.approx(0.0105, rel=1e-12)

    above = _cost(
        {"input_tokens": 40_001, "cache_read_input_tokens": 60_000, "output_tokens": 1_000},
        "claude-haiku-5-5",
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
    )
    assert estimate.long_prompt
    assert estimate.input_usd == 0.0000005
    assert estimate.cache_write_usd == 0.1  # 100,000 * $1.00 (long 1h rate)


@pytest.mark.parametrize(
    ("input_tokens", "input_usd", "output_usd"),
    [(200_000, 0.6, 0.015), (200_001, 1.200006, 0.0225)],
)
def test_sonnet_4_5_long_context_tier_above_200k(
    input_tokens: int, input_usd: float, output_usd: float
) -> None:
    estimate = _cost({"input_tokens": input_tokens, "output_tokens": 1_000}, "claude-sonnet-4-5")
    assert estimate.input_usd == input_usd
    assert estimate.output_usd == output_usd


def test_models_without_a_tier_bill_a_1m_prompt_flat() -> None:
    estimate = _cost({"input_tokens": 900_000}, "claude-opus-4-6")
    assert not estimate.long_prompt
    assert estimate.input_usd == 4.5


# --- what is and is not counted ---


def test_thinking_tokens_are_not_added_to_output() -> None:
    estimate = _cost(
        {
            "input_tokens": 10,
            "output_tokens": 1_000,
            "output_tokens_details": {"thinking_tokens": 800},
        },
        "claude-opus-5-5",
    )
    assert estimate.output_usd == 0.02  # 1,000 * $20, thinking already inside
    assert estimate.input_usd == 0.00004


def test_empty_usage_costs_nothing() -> None:
    estimate = _cost({}, "claude-fable-5-1")
    assert estimate.total_usd == 0.0
    assert estimate.without_cache_usd == 0.0


def test_without_cache_falls_back_to_total_when_unknown() -> None:
    estimate = CostEstimate("m", "2026-01-01", 1.0, 2.0, 0.5, 4.0)
    assert estimate.total_usd == 7.5
    assert estimate.without_cache_usd == 7.5


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
    ],
)
def test_lookup_resolves_dated_ids_aliases_and_cloud_ids(model: str, key: str) -> None:
    found = DEFAULT_PRICES.lookup(model)
    assert found is not None
    assert found[0] == key
    assert found[1] is DEFAULT_PRICES.prices[key]


@pytest.mark.parametrize(
    "model",
    [None, "", "gpt-6-sol", "claude-opus-4-9", "claude-fable-5-3", "claude-3-sonnet-20240229"],
)
def test_unknown_models_have_no_price(model: str | None) -> None:
    assert DEFAULT_PRICES.lookup(model) is None
    assert estimate_cost(Usage({"input_tokens": 10}), model) is None


def test_longest_matching_key_wins() -> None:
    table = PriceTable(
        {"claude-x": ModelPrice.standard(1, 1), "claude-x-mini": ModelPrice.standard(2, 2)},
        "2026-01-01",
    )
    assert table.lookup("claude-x-mini-fast") == ("claude-x-mini", table.prices["claude-x-mini"])
    assert table.lookup("claude-x-fast") == ("claude-x", table.prices["claude-x"])
    assert table.lookup("claude-x-2") is None  # a different version, not a variant


# --- the default table ---


def test_default_table_covers_the_current_and_legacy_models() -> None:
    expected = {
        "claude-fable-5-2", "claude-mythos-5-2", "claude-fable-5-1", "claude-mythos-5-1",
        "claude-fable-5", "claude-mythos-5", "claude-opus-5-5", "claude-opus-5",
        "claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-opus-4-5",
        "claude-opus-4-1", "claude-opus-4", "claude-3-opus", "claude-sonnet-5-5",
        "claude-sonnet-5", "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-sonnet-4",
        "claude-3-7-sonnet", "claude-3-5-sonnet", "claude-haiku-5-5", "claude-haiku-4-5",
        "claude-3-5-haiku", "claude-3-haiku",
    }  # fmt: skip
    assert set(DEFAULT_PRICES) == expected
    assert DEFAULT_PRICES.as_of == PRICES_AS_OF


def test_default_rates_follow_the_cache_multipliers_except_where_published_otherwise() -> None:
    cheap_reads = {"claude-fable-5-2": 0.20, "claude-mythos-5-2": 0.20,
                   "claude-fable-5-1": 0.25, "claude-mythos-5-1": 0.25,
                   "claude-opus-5-5": 0.20, "claude-sonnet-5-5": 0.10}  # fmt: skip
    for key, price in DEFAULT_PRICES.prices.items():
        for rates in (price, price.long_prompt):
            if rates is None or key == "claude-3-haiku":  # Haiku 3: $0.30 / $0.50 / $0.03
                continue
            assert rates.cache_write_5m == pytest.approx(rates.input * 1.25), key
            assert rates.cache_write_1h == pytest.approx(rates.input * 2), key
            read = cheap_reads.get(key, rates.input * 0.1)
            assert rates.cache_read == pytest.approx(read), key


@pytest.mark.parametrize(
    ("key", "rates"),
    [
        ("claude-fable-5-2", (8, 40, 10, 16, 0.20)),
        ("claude-fable-5-1", (10, 50, 12.5, 20, 0.25)),
        ("claude-opus-5-5", (4, 20, 5, 8, 0.20)),
        ("claude-opus-4-6", (5, 25, 6.25, 10, 0.50)),
        ("claude-opus-4-1", (15, 75, 18.75, 30, 1.50)),
        ("claude-sonnet-5-5", (2, 10, 2.5, 4, 0.10)),
        ("claude-sonnet-4-6", (3, 15, 3.75, 6, 0.30)),
        ("claude-haiku-5-5", (0.10, 0.50, 0.125, 0.20, 0.01)),
        ("claude-haiku-4-5", (1, 5, 1.25, 2, 0.10)),
        ("claude-3-5-haiku", (0.80, 4, 1, 1.6, 0.08)),
        ("claude-3-haiku", (0.25, 1.25, 0.30, 0.50, 0.03)),
    ],
)
def test_published_rates(key: str, rates: tuple[float, float, float, float, float]) -> None:
    p = DEFAULT_PRICES.prices[key]
    assert (p.input, p.output, p.cache_write_5m, p.cache_write_1h, p.cache_read) == rates


# --- overrides ---


def test_partial_override_updates_one_field_and_leaves_the_rest() -> None:
    table = DEFAULT_PRICES.with_overrides({"claude-sonnet-4-5": {"cache_read": 0.25}})
    old, new = DEFAULT_PRICES.prices["claude-sonnet-4-5"], table.prices["claude-sonnet-4-5"]
    assert new.cache_read == 0.25
    assert (new.input, new.output, new.cache_write_5m, new.cache_write_1h) == (3, 15, 3.75, 6)
    assert new.long_prompt is old.long_prompt and new.long_prompt_threshold == 200_000
    assert old.cache_read == 0.3  # the default table is untouched
    assert table.as_of == PRICES_AS_OF
    read = _cost({"cache_read_input_tokens": 10_000}, "claude-sonnet-4-5-20250929", table)
    assert read.cache_read_usd == 0.0025


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
    assert mine.as_of == "2026-12-01"
    opus = table.prices["claude-opus-6"]
    assert (opus.cache_write_5m, opus.cache_write_1h, opus.cache_read) == (7.5, 12, 0.6)
    assert _cost({}, "claude-opus-6-20270101", table).model_key == "claude-opus-6"
    assert _cost({}, "claude-opus-4-6").as_of == PRICES_AS_OF


def test_override_with_a_full_price_for_a_dated_id_wins_over_its_alias() -> None:
    pinned = ModelPrice(1, 1, 1, 1, 1)
    table = DEFAULT_PRICES.with_overrides({"claude-sonnet-4-5-20250929": pinned})
    assert table.lookup("claude-sonnet-4-5-20250929") == ("claude-sonnet-4-5-20250929", pinned)
    assert table.lookup("claude-sonnet-4-5") == (
        "claude-sonnet-4-5",
        DEFAULT_PRICES.prices["claude-sonnet-4-5"],
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


def test_model_price_validation() -> None:
    with pytest.raises(ValueError):
        ModelPrice(1, 1, 1, 1, float("nan"))
    with pytest.raises(ValueError):
        ModelPrice(1, 1, 1, 1, 1, long_prompt_threshold=10)
    tier = ModelPrice(2, 2, 2, 2, 2)
    with pytest.raises(ValueError):
        ModelPrice(1, 1, 1, 1, 1, 10, ModelPrice(1, 1, 1, 1, 1, 5, tier))
    assert ModelPrice(1, 1, 1, 1, 1, 10, tier).rates_for(11) is tier
