"""Credentials, by role: what never reaches a file, a page, a comm message or the clipboard.

How it works: ``docs/internals.md``, section ``streamscope.core.wire.credentials``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from streamscope.core.wire.redaction import is_secret_name

__all__ = [
    "KEPT_HEADERS",
    "Lookalike",
    "is_credential_field",
    "is_secret_key",
    "lookalikes",
    "looks_like_credential",
]

KEPT_HEADERS: Final = frozenset({"anthropic-beta"})
"""Headers a recorded request keeps (as ``betas``); every other header is left out."""

_SECRET_PARTS: Final = ("key", "token", "secret", "password", "auth", "cred")
_TOKEN_COUNTS: Final = frozenset({"max_tokens", "budget_tokens"})

_SHAPES: Final = (
    ("an Anthropic API key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")),
    ("an API key", re.compile(r"\bsk-(?:live|proj|test)?[A-Za-z0-9_\-]{16,}")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("an AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{8,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
_SCAN_LIMIT: Final = 1 << 20
"""Characters of one string scanned for credential shapes (the start of a longer one)."""


def is_secret_key(name: str) -> bool:
    """Whether a metadata key names a secret: it contains ``key``, ``token``, ``secret``,
    ``password``, ``auth`` or ``cred`` in any case (``authkey``, ``refresh_tokens``,
    ``dbpassword_hash``, ``creds``, ``author`` too), or names one read as words
    (``passwd``, ``pwd``, ``cookie``: :func:`~streamscope.core.wire.redaction.is_secret_name`).
    The Messages API's token counts (``max_tokens``, ``budget_tokens``) are request fields,
    not secrets."""
    lowered = name.lower()
    if lowered in _TOKEN_COUNTS:
        return False
    return any(part in lowered for part in _SECRET_PARTS) or is_secret_name(name)


def looks_like_credential(text: str) -> str | None:
    """What ``text`` holds that is shaped like a credential (``"an Anthropic API key"``,
    ``"a bearer token"``...), or None."""
    head = text[:_SCAN_LIMIT]
    for label, pattern in _SHAPES:
        if pattern.search(head):
            return label
    return None


def is_credential_field(name: object, value: object) -> bool:
    """Whether a field of ``extra_body`` or ``extra_query`` is a credential: its name,
    read as words, names a secret (``anthropic_key``, ``service_token``, ``apiKey``,
    ``password``; not ``max_tokens``), or it is a string shaped like a key or a bearer
    token."""
    if isinstance(name, str) and is_secret_name(name):
        return True
    return isinstance(value, str) and looks_like_credential(value) is not None


class Lookalike(tuple[str, str]):
    """Where (``messages[0].content``) and what (``an Anthropic API key``) was found."""

    __slots__ = ()

    @property
    def where(self) -> str:
        return self[0]

    @property
    def what(self) -> str:
        return self[1]


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            yield at, item
        elif isinstance(item, Mapping):
            for key, child in reversed(list(item.items())):
                stack.append((child, f"{at}.{key}" if at else str(key)))
        elif isinstance(item, (list, tuple)):
            for index in range(len(item) - 1, -1, -1):
                stack.append((item[index], f"{at}[{index}]"))


def lookalikes(value: Any, *, limit: int = 20) -> list[Lookalike]:
    """Strings in ``value`` (a request, a conversation) shaped like a credential, at most
    ``limit`` of them, in document order. Nothing is changed: this is for a warning."""
    found: list[Lookalike] = []
    for where, text in _walk(value, ""):
        what = looks_like_credential(text)
        if what is not None:
            found.append(Lookalike((where, what)))
            if len(found) >= limit:
                break
    return found
