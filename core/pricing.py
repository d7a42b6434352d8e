"""Estimated USD cost of one message from its token usage, and the model price table behind it.

Prices are USD per million tokens (MTok), taken from Anthropic's pricing page,
https://platform.claude.com/docs/en/about-claude/pricing ("Model pricing", "Long context
pricing", prompt-caching columns), cross-checked against each model's overview page
(https://platform.claude.com/docs/en/models/<model>/overview). :data:`PRICES_AS_OF` is the
date the table reflects; pass your own prices with :meth:`PriceTable.with_overrides` when
they change.

How usage is priced:

* Uncached input at the base input rate; cache reads at the cache-hit rate.
* Cache writes: with the ``cache_creation`` breakdown, 5-minute and 1-hour writes at their
  own rates; without it, every ``cache_creation_input_tokens`` at the 5-minute rate (the
  API's default TTL).
* Output at the output rate. Thinking tokens are already part of ``output_tokens`` and are
  not added again.
* A model with a prompt-length tier (``long_prompt_threshold``) bills every token of a
  request whose prompt (input + cache writes + cache reads) exceeds the threshold at the
  ``long_prompt`` rates, output included.

Not priced (out of scope): server tool fees (web search, per request; code execution
hours), Batch API and priority-tier discounts, fast mode, ``inference_geo`` / data-residency
multipliers, cloud-provider list prices (Bedrock, Vertex and Foundry ids are matched to the
Claude API rates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from streamscope.core.usage import Usage

__all__ = [
    "DEFAULT_PRICES",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "CostEstimate",
    "ModelPrice",
    "PriceTable",
    "estimate_cost",
]

PRICES_SOURCE = "https://platform.claude.com/docs/en/about-claude/pricing"
"""Where the default prices come from."""

PRICES_AS_OF = "2026-11-12"
"""ISO date the default table's prices are from (the pricing page after the Fable 5.2 launch)."""

_MTOK = Decimal(1_000_000)
_RATE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's rates in USD per million tokens, with an optional long-prompt tier."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    long_prompt_threshold: int | None = None
    """Prompt size (input + cache reads + cache writes) above which ``long_prompt`` applies."""
    long_prompt: ModelPrice | None = None
    """Rates for every token of a request whose prompt exceeds ``long_prompt_threshold``."""

    def __post_init__(self) -> None:
        for name in _RATE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"ModelPrice.{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"ModelPrice.{name} must be a finite number >= 0, got {value}")
        if (self.long_prompt_threshold is None) != (self.long_prompt is None):
            raise ValueError("long_prompt_threshold and long_prompt must be given together")
        if self.long_prompt_threshold is not None and self.long_prompt_threshold < 0:
            raise ValueError("long_prompt_threshold must be >= 0")
        if self.long_prompt is not None and self.long_prompt.long_prompt is not None:
            raise ValueError("a long_prompt tier cannot have a tier of its own")

    @classmethod
    def standard(
        cls, input: float, output: float, *, cache_read: float | None = None
    ) -> ModelPrice:
        """Rates with Anthropic's usual cache multipliers: writes 1.25x (5m) and 2x (1h),
        reads 0.1x the input rate unless ``cache_read`` is given."""
        return cls(
            input=float(input),
            output=float(output),
            cache_write_5m=_scale(input, "1.25"),
            cache_write_1h=_scale(input, "2"),
            cache_read=_scale(input, "0.1") if cache_read is None else cache_read,
        )

    def rates_for(self, prompt_tokens: int) -> ModelPrice:
        """The rates that apply to a request with this many prompt tokens."""
        threshold = self.long_prompt_threshold
        if self.long_prompt is not None and threshold is not None and prompt_tokens > threshold:
            return self.long_prompt
        return self


def _scale(rate: float, factor: str) -> float:
    return float(Decimal(repr(rate)) * Decimal(factor))


# ---------------------------------------------------------------------------------------------
# The default table. Keys are undated Claude API ids; dated snapshots, "-latest" aliases and
# cloud ids resolve to them through PriceTable.lookup.

_OPUS_45 = ModelPrice.standard(5, 25)  # Opus 4.5 - 4.8 and Opus 5
_OPUS_4 = ModelPrice.standard(15, 75)  # Opus 4, 4.1 and Opus 3
_SONNET_4 = ModelPrice.standard(3, 15)  # Sonnet 3.5 - 4.6
_SONNET_5 = ModelPrice.standard(2, 10)
_FABLE_5 = ModelPrice.standard(10, 50)
_FABLE_51 = ModelPrice.standard(10, 50, cache_read=0.25)  # cache hits at 0.025x input
_FABLE_52 = ModelPrice.standard(8, 40, cache_read=0.20)  # cache hits at 0.025x input

# Sonnet 4 and 4.5 with the 1M-context beta: prompts over 200K tokens pay $6 / $22.50 and the
# cache multipliers on top. Later models (Opus 4.6+, Sonnet 4.6+) bill the 1M window flat.
_SONNET_4_LONG = replace(
    _SONNET_4, long_prompt_threshold=200_000, long_prompt=ModelPrice.standard(6, 22.5)
)

_DEFAULT: dict[str, ModelPrice] = {
    # Mythos-class. Mythos is the limited-availability twin of each Fable, same rate card.
    "claude-fable-5-2": _FABLE_52,
    "claude-mythos-5-2": _FABLE_52,
    "claude-fable-5-1": _FABLE_51,
    "claude-mythos-5-1": _FABLE_51,
    "claude-fable-5": _FABLE_5,
    "claude-mythos-5": _FABLE_5,
    # Opus
    "claude-opus-5-5": ModelPrice.standard(4, 20, cache_read=0.20),  # cache hits 0.05x input
    "claude-opus-5": _OPUS_45,
    "claude-opus-4-8": _OPUS_45,
    "claude-opus-4-7": _OPUS_45,
    "claude-opus-4-6": _OPUS_45,
    "claude-opus-4-5": _OPUS_45,  # claude-opus-4-5-20251101
    "claude-opus-4-1": _OPUS_4,  # claude-opus-4-1-20250805
    "claude-opus-4": _OPUS_4,  # claude-opus-4-20250514, alias claude-opus-4-0
    "claude-3-opus": _OPUS_4,  # claude-3-opus-20240229 (retired; last published rates)
    # Sonnet
    "claude-sonnet-5-5": ModelPrice.standard(2, 10, cache_read=0.10),  # cut from $0.20, 10-07
    "claude-sonnet-5": _SONNET_5,
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4_LONG,  # claude-sonnet-4-5-20250929
    "claude-sonnet-4": _SONNET_4_LONG,  # claude-sonnet-4-20250514, alias claude-sonnet-4-0
    "claude-3-7-sonnet": _SONNET_4,  # claude-3-7-sonnet-20250219 / -latest
    "claude-3-5-sonnet": _SONNET_4,  # -20241022, -20240620 / -latest (retired)
    # Haiku
    "claude-haiku-5-5": ModelPrice(
        input=0.10,
        output=0.50,
        cache_write_5m=0.125,
        cache_write_1h=0.20,
        cache_read=0.01,
        long_prompt_threshold=100_000,
        long_prompt=ModelPrice(
            input=0.50, output=2.50, cache_write_5m=0.625, cache_write_1h=1.00, cache_read=0.05
        ),
    ),
    "claude-haiku-4-5": ModelPrice.standard(1, 5),  # claude-haiku-4-5-20251001
    "claude-3-5-haiku": ModelPrice.standard(0.80, 4),  # claude-3-5-haiku-20241022 / -latest
    "claude-3-haiku": ModelPrice(  # claude-3-haiku-20240307; cache rates as published
        input=0.25, output=1.25, cache_write_5m=0.30, cache_write_1h=0.50, cache_read=0.03
    ),
}

# ---------------------------------------------------------------------------------------------
# Model id normalisation, cheapest first.

_BRACKET_SUFFIX = re.compile(r"\[[^\]]*\]$")  # "claude-opus-4-6[1m]"
_CLOUD_PREFIX = re.compile(r"^(?:[a-z0-9-]+\.)?anthropic\.")  # "us.anthropic.", "anthropic."
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")  # "-v1:0", "-v2"
_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")  # "claude-sonnet-4.5" (gateways)
_DATE_SUFFIX = re.compile(r"-\d{8}$")  # "-20250929"
_ZERO_MINOR = re.compile(r"^(claude-(?:opus|sonnet|haiku|fable|mythos)-\d+)-0$")  # "-4-0"


def _normalize(model: str) -> str:
    """The undated Claude API id a platform-specific model id stands for."""
    name = model.rsplit("/", 1)[-1]  # ARNs, "publishers/anthropic/models/...", "anthropic/..."
    name = _BRACKET_SUFFIX.sub("", name)
    name = name.split("@", 1)[0]  # Vertex "claude-...@20250929"
    name = _CLOUD_PREFIX.sub("", name)
    name = _BEDROCK_VERSION.sub("", name)
    name = _DOTTED_VERSION.sub("-", name)
    name = name.removesuffix("-latest")
    name = _DATE_SUFFIX.sub("", name)
    return _ZERO_MINOR.sub(r"\1", name)


def _extends(candidate: str, key: str) -> bool:
    """True when ``candidate`` is ``key`` plus a variant suffix (``-thinking``), not a version."""
    if not candidate.startswith(key + "-"):
        return False
    next_segment = candidate[len(key) + 1 :].split("-", 1)[0]
    return not next_segment.isdigit()


class PriceTable:
    """Model prices keyed by Claude API id, and the ISO date they are from."""

    __slots__ = ("_as_of", "_memo", "_prices")

    def __init__(self, prices: Mapping[str, ModelPrice], as_of: str) -> None:
        date.fromisoformat(as_of)  # ValueError unless an ISO date
        table: dict[str, ModelPrice] = {}
        for key, price in prices.items():
            name = key.strip().lower() if isinstance(key, str) else ""
            if not name:
                raise ValueError(f"model key must be a non-empty string, got {key!r}")
            if not isinstance(price, ModelPrice):
                raise TypeError(f"price for {key!r} must be a ModelPrice, got {price!r}")
            table[name] = price
        self._prices: Mapping[str, ModelPrice] = MappingProxyType(table)
        self._as_of = as_of
        self._memo: dict[str, tuple[str, ModelPrice] | None] = {}

    @property
    def as_of(self) -> str:
        """ISO date the prices are from."""
        return self._as_of

    @property
    def prices(self) -> Mapping[str, ModelPrice]:
        """Read-only view of the table (keys lower-cased)."""
        return self._prices

    def __len__(self) -> int:
        return len(self._prices)

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def __repr__(self) -> str:
        return f"PriceTable({len(self._prices)} models, as_of={self._as_of!r})"

    def lookup(self, model: str | None) -> tuple[str, ModelPrice] | None:
        """The matching key and its price, or None for an unknown model.

        Tries the id as given, then normalised (dated snapshot, ``-latest``, ``[1m]``,
        ``anthropic.``/``us.anthropic.`` prefixes, Bedrock ``-v1:0`` and Vertex ``@date``
        suffixes stripped); then the longest key the id extends by a non-numeric suffix
        (``claude-fable-5-1-thinking``). A different version number never matches.
        """
        if not model or not isinstance(model, str):
            return None
        raw = model.strip().lower()
        if raw in self._memo:
            return self._memo[raw]
        found = self._match(raw)
        self._memo[raw] = found
        return found

    def _match(self, raw: str) -> tuple[str, ModelPrice] | None:
        candidates = (raw, _normalize(raw))
        for candidate in candidates:
            price = self._prices.get(candidate)
            if price is not None:
                return candidate, price
        best: str | None = None
        for key in self._prices:
            if any(_extends(c, key) for c in candidates) and (best is None or len(key) > len(best)):
                best = key
        return None if best is None else (best, self._prices[best])

    def with_overrides(
        self,
        prices: Mapping[str, ModelPrice | Mapping[str, float]],
        as_of: str | None = None,
    ) -> PriceTable:
        """A new table with ``prices`` applied; this one is unchanged.

        A :class:`ModelPrice` sets the key outright (adding a model). A mapping of rate fields
        (``input``, ``output``, ``cache_write_5m``, ``cache_write_1h``, ``cache_read``,
        ``long_prompt_threshold``) updates the entry the key resolves to through
        :meth:`lookup`, leaving any long-prompt tier as it was; for a model not in the table
        it needs ``input`` and ``output``, and missing cache rates follow
        :meth:`ModelPrice.standard`. ``as_of`` defaults to this table's date.
        """
        table = dict(self._prices)
        for key, value in prices.items():
            if isinstance(value, ModelPrice):
                table[key.strip().lower()] = value
                continue
            changes: dict[str, float] = dict(value)
            allowed = (*_RATE_FIELDS, "long_prompt_threshold")
            unknown = sorted(set(changes) - set(allowed))
            if unknown:
                raise ValueError(f"unknown price fields for {key!r}: {', '.join(unknown)}")
            found = PriceTable(table, self._as_of).lookup(key)
            if found is not None:
                matched, current = found
                table[matched] = _updated(current, changes)
            elif "input" in changes and "output" in changes:
                base = ModelPrice.standard(changes["input"], changes["output"])
                table[key.strip().lower()] = _updated(base, changes)
            else:
                raise KeyError(
                    f"{key!r} is not in the price table; a new model needs 'input' and 'output'"
                )
        return PriceTable(table, self._as_of if as_of is None else as_of)


def _updated(current: ModelPrice, changes: Mapping[str, float]) -> ModelPrice:
    """``current`` with the given fields replaced; its long-prompt tier is kept."""
    rate = {name: changes.get(name, getattr(current, name)) for name in _RATE_FIELDS}
    threshold: float | None = changes.get("long_prompt_threshold", current.long_prompt_threshold)
    if threshold is not None and not float(threshold).is_integer():
        raise ValueError(f"long_prompt_threshold must be a whole number, got {threshold}")
    return ModelPrice(
        input=rate["input"],
        output=rate["output"],
        cache_write_5m=rate["cache_write_5m"],
        cache_write_1h=rate["cache_write_1h"],
        cache_read=rate["cache_read"],
        long_prompt_threshold=None if threshold is None else int(threshold),
        long_prompt=current.long_prompt,
    )


DEFAULT_PRICES = PriceTable(_DEFAULT, PRICES_AS_OF)
"""Anthropic's list prices as of :data:`PRICES_AS_OF`."""


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
    """Estimated cost of ``usage`` on ``model``; None when the model has no price."""
    prices = DEFAULT_PRICES if table is None else table
    found = prices.lookup(model)
    if found is None:
        return None
    key, price = found
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
        model_key=key,
        as_of=prices.as_of,
        input_usd=_usd(usage.input_tokens, rates.input),
        cache_write_usd=cache_write_usd,
        cache_read_usd=_usd(usage.cache_read_input_tokens, rates.cache_read),
        output_usd=_usd(usage.output_tokens, rates.output),
        long_prompt=rates is not price,
        no_cache_input_usd=_usd(prompt_tokens, rates.input),
    )
