"""Claude model rates read from genai-prices, the price database pydantic-ai and Logfire keep.

How it works: ``docs/internals.md``, section ``streamscope.core.pricing.database``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType

import genai_prices
from genai_prices import data_snapshot
from genai_prices.data_snapshot import DataSnapshot
from genai_prices.types import ModelInfo, TieredPrices

from streamscope.core.pricing.model_ids import database_key, database_names
from streamscope.core.pricing.rates import ModelPrice, PriceMatch

__all__ = [
    "RELEASE_DATES",
    "DatabaseLayer",
    "RateCard",
    "Rates",
    "anthropic_models",
    "describe",
    "find_model",
    "rate_card",
    "snapshot",
]

RELEASE_DATES = {"0.2.3": "2026-11-10"}
"""Upload date on PyPI of each genai-prices release streamscope was tested with: the package
records no date of its own, and its data is as new as the release."""

_TOKEN_KEYS = frozenset(
    {
        "input_mtok",
        "output_mtok",
        "cache_read_mtok",
        "cache_write_mtok",
        "cache_write_5m_mtok",
        "cache_write_1h_mtok",
    }
)
# Server tool fees (web search, $10 per 1,000): per request, not per token; streamscope's
# estimate leaves them out (see streamscope.core.pricing.prices).
_NOT_PRICED = frozenset({"web_searches_kcount"})

Rates = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]
"""USD per million tokens: input, output, 5-minute cache write, 1-hour cache write, cache read."""


@dataclass(frozen=True, slots=True)
class RateCard:
    """One model's rates on one day, with the prompt-length tier if it has one."""

    base: Rates
    threshold: int | None = None
    """Prompt size (input + cache writes + cache reads) above which ``tier`` applies."""
    tier: Rates | None = None


def snapshot() -> DataSnapshot:
    """The price data genai-prices uses now (bundled unless the process fetched newer)."""
    return data_snapshot.get_snapshot()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def describe(data: DataSnapshot | None) -> tuple[str, str]:
    """Where ``data`` (None: the bundled data) comes from, in words, and its ISO date."""
    version = genai_prices.__version__
    if data is not None and data.from_auto_update:
        fetched = data.timestamp
        return (
            f"genai-prices {version} (fetched {fetched:%Y-%m-%d %H:%M})",
            fetched.date().isoformat(),
        )
    released = RELEASE_DATES.get(version)
    if released is not None:
        return f"genai-prices {version} (data as of {released})", released
    newest = max(RELEASE_DATES, key=_version_key)
    if _version_key(version) > _version_key(newest):
        date = RELEASE_DATES[newest]
        return f"genai-prices {version} (data newer than {date})", date
    return f"genai-prices {version} (data of unknown date)", RELEASE_DATES[newest]


def anthropic_models(data: DataSnapshot) -> list[ModelInfo]:
    """Every Claude model the data prices, in its order."""
    return list(data.find_provider(None, "anthropic", None).models)


def find_model(data: DataSnapshot, name: str) -> ModelInfo | None:
    """The Claude model ``name`` refers to, by genai-prices' own matching rules."""
    try:
        _provider, model = data.find_provider_model(name, None, "anthropic", None)
    except LookupError:
        return None
    return model


def rate_card(model: ModelInfo, when: datetime) -> RateCard | str:
    """``model``'s rates in force at ``when``, or why they cannot be read as a rate card."""
    price = model.get_prices(when)
    values = {
        key: value
        for key, value in vars(price).items()
        if not key.startswith("_") and value is not None
    }
    unknown = sorted(set(values) - _TOKEN_KEYS - _NOT_PRICED)
    if unknown:
        fields = ", ".join(unknown)
        return f"genai-prices prices {model.id} by {fields}, which streamscope does not read"
    if "input_mtok" not in values or "output_mtok" not in values:
        return f"genai-prices has no input and output token price for {model.id}"
    tiered = [value for value in values.values() if isinstance(value, TieredPrices)]
    starts = {tier.start for value in tiered for tier in value.tiers}
    if len(starts) > 1 or any(len(value.tiers) != 1 for value in tiered):
        return f"genai-prices gives {model.id} several prompt-length tiers"

    def rates(in_tier: bool) -> Rates | str:
        def pick(key: str) -> Decimal | None:
            value = values.get(key)
            if isinstance(value, TieredPrices):
                return value.tiers[0].price if in_tier else value.base
            return value if isinstance(value, Decimal) else None

        input_rate, output_rate = pick("input_mtok"), pick("output_mtok")
        assert input_rate is not None and output_rate is not None  # checked above
        write, write_5m = pick("cache_write_mtok"), pick("cache_write_5m_mtok")
        if write_5m is not None and write_5m != write:
            # genai-prices would bill writes without a TTL breakdown apart from 5m writes.
            return f"genai-prices prices {model.id}'s 5-minute cache writes apart from the rest"
        # A unit genai-prices does not price is billed as its parent: writes and reads as
        # input, 1-hour writes as cache writes.
        write = input_rate if write is None else write
        write_1h = pick("cache_write_1h_mtok")
        read = pick("cache_read_mtok")
        return (
            input_rate,
            output_rate,
            write,
            write if write_1h is None else write_1h,
            input_rate if read is None else read,
        )

    base = rates(False)
    if isinstance(base, str):
        return base
    if not starts:
        return RateCard(base)
    tier = rates(True)
    if isinstance(tier, str):
        return tier
    (threshold,) = starts
    return RateCard(base, threshold, tier)


def _model_price(card: RateCard) -> ModelPrice:
    def price(rates: Rates, tier: ModelPrice | None = None) -> ModelPrice:
        input_rate, output_rate, write_5m, write_1h, read = (float(rate) for rate in rates)
        return ModelPrice(
            input_rate,
            output_rate,
            write_5m,
            write_1h,
            read,
            long_prompt_threshold=None if tier is None else card.threshold,
            long_prompt=tier,
        )

    return price(card.base, None if card.tier is None else price(card.tier))


class _DatabaseDay:
    """genai-prices' Claude prices as they stand on one day, in one snapshot of its data."""

    __slots__ = ("as_of", "data", "day", "entries", "memo", "prices", "source")

    def __init__(self, data: DataSnapshot, now: datetime) -> None:
        self.data = data
        self.day = now.date()
        self.source, self.as_of = describe(data)
        self.entries: dict[str, PriceMatch | str] = {}
        prices: dict[str, ModelPrice] = {}
        for model in anthropic_models(data):
            card = rate_card(model, now)
            if isinstance(card, str):
                self.entries[model.id] = card
                continue
            key = database_key(model.id)
            price = prices.setdefault(key, _model_price(card))
            self.entries[model.id] = PriceMatch(key, price, self.source, self.as_of)
        self.prices: Mapping[str, ModelPrice] = MappingProxyType(prices)
        self.memo: dict[str, PriceMatch | str | None] = {}

    def entry(self, raw: str) -> PriceMatch | str | None:
        """The match for ``raw``, why the model it names cannot be priced, or None."""
        if raw in self.memo:
            return self.memo[raw]
        found: PriceMatch | str | None = None
        for name in database_names(raw):
            model = find_model(self.data, name)
            if model is not None:
                found = self.entries.get(model.id)
                break
        self.memo[raw] = found
        return found


class DatabaseLayer:
    """Prices from genai-prices, re-read when its data or the day changes."""

    __slots__ = ("_day",)

    def __init__(self) -> None:
        self._day: _DatabaseDay | None = None

    def _current(self) -> _DatabaseDay:
        data, now = snapshot(), datetime.now(UTC)
        day = self._day
        if day is None or day.data is not data or day.day != now.date():
            day = self._day = _DatabaseDay(data, now)
        return day

    @property
    def source(self) -> str:
        return self._current().source

    @property
    def as_of(self) -> str:
        return self._current().as_of

    def prices(self) -> Mapping[str, ModelPrice]:
        return self._current().prices

    def find(self, raw: str) -> PriceMatch | None:
        found = self._current().entry(raw)
        return found if isinstance(found, PriceMatch) else None

    def problem(self, raw: str) -> str | None:
        found = self._current().entry(raw)
        return found if isinstance(found, str) else None
