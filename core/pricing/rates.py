"""What a price table is made of: one model's rates, a price found for a model id, and the
layers (a source of prices each) a table asks in turn.

Rates are USD per million tokens (MTok).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

__all__ = ["RATE_FIELDS", "ModelPrice", "PriceLayer", "PriceMatch", "updated"]

RATE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


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
        for name in RATE_FIELDS:
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


@dataclass(frozen=True, slots=True)
class PriceMatch:
    """The price a model id resolved to, and where it came from."""

    key: str
    """The undated Claude API id (or your table's key) the model matched."""
    price: ModelPrice
    source: str
    """Where the price comes from, e.g. ``"genai-prices 0.2.3 (data as of 2026-11-10)"``,
    ``"streamscope supplement (2026-11-12)"`` or ``"your override"``."""
    as_of: str
    """ISO date of the price."""


class PriceLayer(Protocol):
    """One place prices come from; a :class:`PriceTable` asks its layers in order."""

    @property
    def source(self) -> str: ...

    @property
    def as_of(self) -> str: ...

    def find(self, raw: str) -> PriceMatch | None: ...

    def problem(self, raw: str) -> str | None: ...

    def prices(self) -> Mapping[str, ModelPrice]: ...


def updated(current: ModelPrice, changes: Mapping[str, float]) -> ModelPrice:
    """``current`` with the given fields replaced; its long-prompt tier is kept."""
    rate = {name: changes.get(name, getattr(current, name)) for name in RATE_FIELDS}
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
