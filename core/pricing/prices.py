"""Estimated USD cost of one message from its token usage, and where each price comes from.

How it works: ``docs/internals.md``, section ``streamscope.core.pricing.prices``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from streamscope.core.pricing import database
from streamscope.core.pricing.model_ids import extends, normalize
from streamscope.core.pricing.rates import (
    RATE_FIELDS,
    ModelPrice,
    PriceLayer,
    PriceMatch,
    updated,
)
from streamscope.core.stream.usage import Usage

__all__ = [
    "DEFAULT_PRICES",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "CostEstimate",
    "ModelPrice",
    "PriceMatch",
    "PriceTable",
    "estimate_cost",
]

_MTOK = Decimal(1_000_000)


def _iso_date(as_of: str) -> str:
    date.fromisoformat(as_of)  # ValueError unless an ISO date
    return as_of


def _entries(prices: Mapping[str, ModelPrice]) -> dict[str, ModelPrice]:
    """``prices`` with keys stripped and lower-cased, every value checked."""
    table: dict[str, ModelPrice] = {}
    for key, price in prices.items():
        name = key.strip().lower() if isinstance(key, str) else ""
        if not name:
            raise ValueError(f"model key must be a non-empty string, got {key!r}")
        if not isinstance(price, ModelPrice):
            raise TypeError(f"price for {key!r} must be a ModelPrice, got {price!r}")
        table[name] = price
    return table


class _LocalLayer:
    """Prices held in memory: the supplement, a table you built, your overrides."""

    __slots__ = ("_as_of", "_memo", "_prices", "_source")

    def __init__(self, prices: Mapping[str, ModelPrice], source: str, as_of: str) -> None:
        self._prices: Mapping[str, ModelPrice] = MappingProxyType(dict(prices))
        self._source = source
        self._as_of = as_of
        self._memo: dict[str, PriceMatch | None] = {}

    @property
    def source(self) -> str:
        return self._source

    @property
    def as_of(self) -> str:
        return self._as_of

    def prices(self) -> Mapping[str, ModelPrice]:
        return self._prices

    def problem(self, raw: str) -> str | None:
        return None

    def find(self, raw: str) -> PriceMatch | None:
        """The id as given, then normalised, then the longest key it extends."""
        if raw in self._memo:
            return self._memo[raw]
        key = self._match(raw)
        found = (
            None if key is None else PriceMatch(key, self._prices[key], self._source, self._as_of)
        )
        self._memo[raw] = found
        return found

    def _match(self, raw: str) -> str | None:
        candidates = (raw, normalize(raw))
        for candidate in candidates:
            if candidate in self._prices:
                return candidate
        best: str | None = None
        for key in self._prices:
            if any(extends(c, key) for c in candidates) and (best is None or len(key) > len(best)):
                best = key
        return best


class PriceTable:
    """Model prices in layers, first match wins: your overrides, then what the table was
    built from (genai-prices and the streamscope supplement for
    :data:`~streamscope.core.pricing.prices.DEFAULT_PRICES`)."""

    __slots__ = ("_as_of", "_layers")

    def __init__(self, prices: Mapping[str, ModelPrice], as_of: str) -> None:
        """A table of your own prices only, keyed by Claude API id, from ``as_of`` (ISO)."""
        self._as_of: str | PriceLayer = _iso_date(as_of)
        self._layers: tuple[PriceLayer, ...] = (
            _LocalLayer(_entries(prices), "your price table", as_of),
        )

    @classmethod
    def _of(cls, layers: tuple[PriceLayer, ...], as_of: str | PriceLayer) -> PriceTable:
        """A table of ``layers``, dated ``as_of`` or by the date a layer gives at the time."""
        table = cls.__new__(cls)
        table._layers = layers
        table._as_of = as_of
        return table

    @property
    def as_of(self) -> str:
        """ISO date of the table (for :data:`~streamscope.core.pricing.prices.DEFAULT_PRICES`,
        that of genai-prices' data). Each estimate carries the date of the price it used."""
        return self._as_of if isinstance(self._as_of, str) else self._as_of.as_of

    @property
    def sources(self) -> tuple[str, ...]:
        """Where the table's prices come from, in the order they are looked up."""
        return tuple(layer.source for layer in self._layers)

    @property
    def prices(self) -> Mapping[str, ModelPrice]:
        """Read-only view of every model the table prices (keys lower-cased); a key in an
        earlier layer hides the same key in a later one."""
        merged: dict[str, ModelPrice] = {}
        for layer in reversed(self._layers):
            merged.update(layer.prices())
        return MappingProxyType(merged)

    def __len__(self) -> int:
        return len(self.prices)

    def __iter__(self) -> Iterator[str]:
        return iter(self.prices)

    def __repr__(self) -> str:
        return f"PriceTable({len(self)} models, as_of={self.as_of!r}, sources={self.sources!r})"

    def find(self, model: str | None) -> PriceMatch | None:
        """The price for ``model`` and where it comes from, or None for an unknown model.

        Each layer tries the id as given and normalised (dated snapshot, ``-latest``,
        ``[1m]``, ``anthropic.``/``us.anthropic.`` prefixes, Bedrock ``-v1:0`` and Vertex
        ``@date`` suffixes stripped), then without a variant suffix
        (``claude-fable-5-1-thinking``). A different version number never matches.
        """
        if not model or not isinstance(model, str):
            return None
        raw = model.strip().lower()
        for layer in self._layers:
            found = layer.find(raw)
            if found is not None:
                return found
        return None

    def lookup(self, model: str | None) -> tuple[str, ModelPrice] | None:
        """The matching key and its price, or None for an unknown model (see :meth:`find`)."""
        found = self.find(model)
        return None if found is None else (found.key, found.price)

    def why_unpriced(self, model: str | None) -> str | None:
        """Why ``model`` has no price, in a sentence; None when it has one."""
        if not model or not isinstance(model, str) or not model.strip():
            return "the stream has not named its model"
        if self.find(model) is not None:
            return None
        raw = model.strip().lower()
        for layer in self._layers:
            problem = layer.problem(raw)
            if problem is not None:
                return problem
        return f"no price for {model.strip()!r} in {'; '.join(self.sources)}"

    def with_overrides(
        self,
        prices: Mapping[str, ModelPrice | Mapping[str, float]],
        as_of: str | None = None,
    ) -> PriceTable:
        """A new table with ``prices`` looked up first; this one is unchanged.

        A :class:`ModelPrice` sets the key outright (adding a model). A mapping of rate fields
        (``input``, ``output``, ``cache_write_5m``, ``cache_write_1h``, ``cache_read``,
        ``long_prompt_threshold``) updates the entry the key resolves to through
        :meth:`find`, leaving any long-prompt tier as it was; for a model not in the table
        it needs ``input`` and ``output``, and missing cache rates follow
        :meth:`ModelPrice.standard`. ``as_of`` (ISO) dates the overrides and the new
        table; it defaults to this table's date.
        """
        if as_of is not None:
            _iso_date(as_of)
        layer_as_of = self.as_of if as_of is None else as_of
        table: dict[str, ModelPrice] = {}
        for key, value in prices.items():
            if isinstance(value, ModelPrice):
                table.update(_entries({key: value}))
                continue
            changes: dict[str, float] = dict(value)
            allowed = (*RATE_FIELDS, "long_prompt_threshold")
            unknown = sorted(set(changes) - set(allowed))
            if unknown:
                raise ValueError(f"unknown price fields for {key!r}: {', '.join(unknown)}")
            name = key.strip().lower()
            found = _LocalLayer(table, "", layer_as_of).find(name) or self.find(name)
            if found is not None:
                table[found.key] = updated(found.price, changes)
            elif "input" in changes and "output" in changes:
                base = ModelPrice.standard(changes["input"], changes["output"])
                table[name] = updated(base, changes)
            else:
                raise KeyError(
                    f"{key!r} is not in the price table; a new model needs 'input' and 'output'"
                )
        layers = self._layers
        if table:
            layers = (_LocalLayer(table, "your override", layer_as_of), *layers)
        return PriceTable._of(layers, self._as_of if as_of is None else as_of)


# ---------------------------------------------------------------------------------------------
# The supplement: Claude models genai-prices does not list (checked against genai-prices 0.2.3).
# Mythos is the limited-availability twin of each Fable, with the same rate card; genai-prices
# has claude-mythos-5-2 but not these two.

_SUPPLEMENT_AS_OF = "2026-11-12"  # Anthropic's pricing page after the Fable 5.2 launch
_SUPPLEMENT = {
    "claude-mythos-5-1": ModelPrice.standard(10, 50, cache_read=0.25),  # hits at 0.025x input
    "claude-mythos-5": ModelPrice.standard(10, 50),
}

_DATABASE = database.DatabaseLayer()
DEFAULT_PRICES = PriceTable._of(
    (
        _DATABASE,
        _LocalLayer(
            _SUPPLEMENT, f"streamscope supplement ({_SUPPLEMENT_AS_OF})", _SUPPLEMENT_AS_OF
        ),
    ),
    _DATABASE,
)
"""Anthropic's list prices: genai-prices' data, then the streamscope supplement."""

PRICES_SOURCE, PRICES_AS_OF = database.describe(None)
"""Where the default prices come from, and their ISO date: genai-prices' bundled data.

Deprecated: each :class:`CostEstimate` carries its own ``source`` and ``as_of`` (the
supplement's date differs), and ``DEFAULT_PRICES.as_of`` follows genai-prices' data."""


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """Estimated USD cost of one message, split by token kind."""

    model_key: str
    """The price-table key the model matched."""
    as_of: str
    """ISO date of the prices used."""
    input_usd: float
    cache_write_usd: float
    cache_read_usd: float
    output_usd: float
    long_prompt: bool = False
    """True when the model's long-prompt rates applied."""
    no_cache_input_usd: float | None = None
    """All prompt tokens at the base input rate (None: unknown, no saving shown)."""
    source: str = ""
    """Where the prices come from (see :attr:`PriceMatch.source`)."""

    @property
    def total_usd(self) -> float:
        return math.fsum(
            (self.input_usd, self.cache_write_usd, self.cache_read_usd, self.output_usd)
        )

    @property
    def without_cache_usd(self) -> float:
        """What the same request would have cost with no prompt caching."""
        if self.no_cache_input_usd is None:
            return self.total_usd
        return math.fsum((self.no_cache_input_usd, self.output_usd))


def _usd(tokens: int, rate: float) -> float:
    """Cost of ``tokens`` at ``rate`` USD/MTok, correctly rounded from the exact product."""
    return float(tokens * Decimal(repr(rate)) / _MTOK) if tokens else 0.0


def estimate_cost(
    usage: Usage, model: str | None, table: PriceTable | None = None
) -> CostEstimate | None:
    """Estimated cost of ``usage`` on ``model``; None when the model has no price
    (``table.why_unpriced(model)`` says why)."""
    prices = DEFAULT_PRICES if table is None else table
    found = prices.find(model)
    if found is None:
        return None
    price = found.price
    prompt_tokens = usage.total_input_tokens
    rates = price.rates_for(prompt_tokens)

    written = usage.cache_creation_input_tokens
    write_5m, write_1h = usage.cache_write_5m_tokens, usage.cache_write_1h_tokens
    if write_5m is None and write_1h is None:
        cache_write_usd = _usd(written, rates.cache_write_5m)
    else:
        five, hour = write_5m or 0, write_1h or 0
        rest = max(0, written - five - hour)  # writes the breakdown does not account for
        cache_write_usd = math.fsum(
            (
                _usd(five + rest, rates.cache_write_5m),
                _usd(hour, rates.cache_write_1h),
            )
        )
    return CostEstimate(
        model_key=found.key,
        as_of=found.as_of,
        input_usd=_usd(usage.input_tokens, rates.input),
        cache_write_usd=cache_write_usd,
        cache_read_usd=_usd(usage.cache_read_input_tokens, rates.cache_read),
        output_usd=_usd(usage.output_tokens, rates.output),
        long_prompt=rates is not price,
        no_cache_input_usd=_usd(prompt_tokens, rates.input),
        source=found.source,
    )
