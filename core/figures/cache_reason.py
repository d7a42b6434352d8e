"""Why the API says a prompt cache missed, in words: one phrasing for every place that says it.

``diagnostics.cache_miss_reason`` is shown by the final panel's cache line ("cache miss:
…") and by the cache explanation against a previous run ("The API says: …"); both read
:func:`cache_miss_words`, so the two can never word one reason two ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from streamscope.core.figures.text import fmt_int

__all__ = ["CACHE_MISS_WORDS", "PENDING_WORDS", "cache_miss_words"]

CACHE_MISS_WORDS: Final[Mapping[str, str]] = {
    "model_changed": "the model changed",
    "system_changed": "the system prompt changed",
    "tools_changed": "the tools changed",
    "messages_changed": "an earlier message changed",
    "previous_message_not_found": "the API has no record of the previous message (nothing "
    "to compare with)",
    "unavailable": "no diagnosis (another prompt setting, such as thinking, may differ)",
}
"""Each ``cache_miss_reason.type`` the SDK knows, in words."""

PENDING_WORDS: Final = "pending (the API had not finished comparing)"
"""What a null ``cache_miss_reason`` says."""


def cache_miss_words(reason: object) -> str:
    """``reason`` (a ``cache_miss_reason`` object, or None: pending) in words, with the
    tokens that missed when the API counted them: ``the tools changed: 13,984 input tokens
    missed the cache``. A type this module does not know reads as itself."""
    if reason is None:
        return PENDING_WORDS
    data = reason if isinstance(reason, Mapping) else {}
    kind = data.get("type")
    words = CACHE_MISS_WORDS.get(kind, kind) if isinstance(kind, str) and kind else None
    text = words or "no reason given"
    missed = data.get("cache_missed_input_tokens")
    if isinstance(missed, int) and not isinstance(missed, bool):
        text += f": {fmt_int(missed)} input tokens missed the cache"
    return text
