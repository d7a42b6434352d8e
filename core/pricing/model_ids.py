"""Claude model ids as gateways and clouds spell them, reduced to the Claude API's undated id.

A price is keyed by the undated id (``claude-sonnet-4-5``); streams name dated snapshots,
``-latest`` aliases, Bedrock, Vertex and gateway ids, and variants (``-thinking``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["database_key", "database_names", "extends", "normalize"]

_BRACKET_SUFFIX = re.compile(r"\[[^\]]*\]$")  # "claude-opus-4-6[1m]"
_CLOUD_PREFIX = re.compile(r"^(?:[a-z0-9-]+\.)?anthropic\.")  # "us.anthropic.", "anthropic."
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")  # "-v1:0", "-v2"
_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")  # "claude-sonnet-4.5" (gateways)
_DATE_SUFFIX = re.compile(r"-\d{8}$")  # "-20250929"
_ZERO_MINOR = re.compile(r"^(claude-(?:opus|sonnet|haiku|fable|mythos)-\d+)-0$")  # "-4-0"


def normalize(model: str) -> str:
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


def extends(candidate: str, key: str) -> bool:
    """True when ``candidate`` is ``key`` plus a variant suffix (``-thinking``), not a version."""
    if not candidate.startswith(key + "-"):
        return False
    next_segment = candidate[len(key) + 1 :].split("-", 1)[0]
    return not next_segment.isdigit()


def database_key(model_id: str) -> str:
    """genai-prices' id for a model as an undated Claude API id (``claude-opus-4-0`` ->
    ``claude-opus-4``, ``claude-3-7-sonnet-latest`` -> ``claude-3-7-sonnet``)."""
    return _ZERO_MINOR.sub(r"\1", model_id.removesuffix("-latest"))


def database_names(raw: str) -> Iterator[str]:
    """The names to ask genai-prices for, most specific first: normalised, as given, then
    without variant suffixes (``claude-fable-5-1-thinking`` -> ``claude-fable-5-1``)."""
    name = normalize(raw)
    yield name
    if raw != name:
        yield raw
    stem = name
    while "-" in stem and not stem.rsplit("-", 1)[1].isdigit():
        stem = stem.rsplit("-", 1)[0]
    if stem != name and "-" in stem:
        yield stem
