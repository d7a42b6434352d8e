"""Token usage of one streamed message, with prompt-cache reads and writes.

Counts on ``message_delta`` are cumulative totals: each one overwrites, never adds.
Optional counts absent from a delta keep the value ``message_start`` gave. A count that is
not an integer from 0 to 2**63 - 1 (a float, NaN, ``10**400``, a negative number) reads as
0, so sums, rates and prices computed from counts stay finite; :attr:`Usage.raw` keeps it as
received.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

__all__ = ["Usage", "sum_usage"]


_MAX_COUNT = 2**63 - 1


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT:
        return int(value)
    return 0


class Usage:
    """Latest token counts of a message; every field the API sent is kept in :attr:`raw`."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any] | None = None) -> None:
        self.raw: dict[str, Any] = dict(raw or {})
        """Every usage field received, latest value wins (wire names)."""

    def update(self, fields: dict[str, Any]) -> None:
        """Overwrite with the non-null fields of a newer, cumulative usage object."""
        for key, value in fields.items():
            if value is not None:
                self.raw[key] = value

    @property
    def input_tokens(self) -> int:
        """*input (uncached)*: input tokens after the last cache breakpoint (not the total:
        see :attr:`total_input_tokens`)."""
        return _int(self.raw.get("input_tokens"))

    @property
    def output_tokens(self) -> int:
        return _int(self.raw.get("output_tokens"))

    @property
    def cache_creation_input_tokens(self) -> int:
        """*cache write*: input tokens written to the prompt cache (0 when absent)."""
        return _int(self.raw.get("cache_creation_input_tokens"))

    @property
    def cache_read_input_tokens(self) -> int:
        """*cache read*: input tokens read from the prompt cache (0 when absent)."""
        return _int(self.raw.get("cache_read_input_tokens"))

    def _cache_creation(self, key: str) -> int | None:
        breakdown = self.raw.get("cache_creation")
        return _int(breakdown.get(key)) if isinstance(breakdown, dict) else None

    @property
    def cache_write_5m_tokens(self) -> int | None:
        """Cache writes with the 5-minute lifetime, when the API gives the breakdown."""
        return self._cache_creation("ephemeral_5m_input_tokens")

    @property
    def cache_write_1h_tokens(self) -> int | None:
        """Cache writes with the 1-hour lifetime, when the API gives the breakdown."""
        return self._cache_creation("ephemeral_1h_input_tokens")

    @property
    def thinking_tokens(self) -> int | None:
        """Output tokens spent on reasoning (``output_tokens_details``), when given."""
        details = self.raw.get("output_tokens_details")
        return _int(details.get("thinking_tokens")) if isinstance(details, dict) else None

    @property
    def server_tool_use(self) -> dict[str, Any] | None:
        """Server tool request counts, e.g. ``{"web_search_requests": 2}``, when given."""
        value = self.raw.get("server_tool_use")
        return value if isinstance(value, dict) else None

    @property
    def service_tier(self) -> str | None:
        value = self.raw.get("service_tier")
        return value if isinstance(value, str) else None

    @property
    def total_input_tokens(self) -> int:
        """*total input*: input (uncached) + cache write + cache read."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def cache_hit_rate(self) -> float | None:
        """Share of the total input read from cache (None before any input is known)."""
        total = self.total_input_tokens
        return self.cache_read_input_tokens / total if total else None

    def to_dict(self) -> dict[str, Any]:
        """The raw usage object, as the API shapes it."""
        return dict(self.raw)

    def __repr__(self) -> str:
        return (
            f"Usage(input_uncached={self.input_tokens}, "
            f"cache_write={self.cache_creation_input_tokens}, "
            f"cache_read={self.cache_read_input_tokens}, output={self.output_tokens})"
        )


def sum_usage(usages: Iterable[Usage]) -> Usage:
    """Usage added up over messages: counts (also nested ones) summed, other values last."""
    total: dict[str, Any] = {}
    for usage in usages:
        _add_usage(total, usage.raw)
    return Usage(total)


def _add_usage(into: dict[str, Any], raw: dict[str, Any]) -> None:
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            current = into.get(key)
            if not isinstance(current, (int, float)) or isinstance(current, bool):
                current = 0
            into[key] = current + value
        elif isinstance(value, dict):
            sub = into.get(key)
            if not isinstance(sub, dict):
                sub = into[key] = {}
            _add_usage(sub, value)
        else:
            into[key] = copy.deepcopy(value)
