"""Redaction: metadata without credentials, whatever shape it comes in.

How it works: ``docs/internals.md``, section ``streamscope.core.wire.redaction``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

from streamscope.core.json.codec import coerce_json

__all__ = ["REDACTED", "is_credential_name", "is_secret_name", "redact", "redact_text"]

REDACTED: Final = "[redacted]"

_CREDENTIAL_NAMES: Final = frozenset(
    {
        "api_key",
        "x_api_key",
        "anthropic_api_key",
        "auth_token",
        "authorization",
        "proxy_authorization",
        "headers",
        "extra_headers",
        "default_headers",
        "cookie",
        "cookies",
        "set_cookie",
        "password",
        "secret",
        "client_secret",
    }
)
_SECRET_WORDS: Final = frozenset(
    {
        "key",
        "keys",
        "apikey",
        "token",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "auth",
        "oauth",
        "authorization",
        "credential",
        "credentials",
        "cookie",
        "cookies",
    }
)
# Names written as one word: secret when they end like this (``accesstoken``, ``privatekey``).
_SECRET_SUFFIXES: Final = (
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "signingkey",
    "token",
    "secret",
    "password",
    "passwd",
    "credentials",
    "credential",
)
_CAMEL: Final = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD: Final = re.compile(r"[^a-z0-9]+")

_KNOWN_KEYS: Final = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]+"
    r"|\bsk-[A-Za-z0-9_\-]{16,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bAIza[0-9A-Za-z_\-]{35}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    re.S,
)
_BEARER: Final = re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=\-]+")
_URL: Final = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>]+")
# ``name=value``, ``name: value``, ``"name": "value"``: the name is checked, the value replaced.
_PAIR: Final = re.compile(
    r"(?<![\w\-])([A-Za-z_][\w\-]*)([\"']?\s*[=:]\s*)([\"']?)"
    r"((?:(?i:bearer|basic|digest|token)\s+)?[^\s\"'&,;)}\[\]]+)"
)


def _words(name: str) -> list[str]:
    return [w for w in _NON_WORD.split(_CAMEL.sub(r"\1 \2", name).lower()) if w]


def is_secret_name(name: str) -> bool:
    """Whether a field named ``name`` holds a secret, read as words (see the module)."""
    words = _words(name)
    if any(w in _SECRET_WORDS for w in words):
        return True
    return "".join(words).endswith(_SECRET_SUFFIXES)


def is_credential_name(name: str) -> bool:
    """Whether ``name`` is a credential or header field of a request (see the module)."""
    norm = name.strip().lower().replace("-", "_")
    return norm in _CREDENTIAL_NAMES or norm.endswith("api_key")


def _redact_url(url: str, strict: bool) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a bad IPv6 host: keep only what precedes any query
        return url.split("?", 1)[0] + ("?" + REDACTED if "?" in url else "")
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:{REDACTED}@{host}"

    def params(text: str) -> str:
        out = []
        for part in text.split("&"):
            name, eq, value = part.partition("=")
            if eq and value and (strict or is_secret_name(unquote(name))):
                part = f"{name}={REDACTED}"
            out.append(part)
        return "&".join(out)

    fragment = params(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, netloc, parts.path, params(parts.query), fragment))


def redact_text(text: str, *, strict: bool = True) -> str:
    """``text`` with the secrets it holds replaced by ``[redacted]`` (see the module)."""
    text = _KNOWN_KEYS.sub(REDACTED, text)
    if "://" in text:
        text = _URL.sub(lambda m: _redact_url(m.group(), strict), text)
    if "=" in text or ":" in text:
        secret = is_secret_name if strict else is_credential_name

        def pair(m: re.Match[str]) -> str:
            if not secret(m.group(1)):
                return m.group()
            return f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}"

        text = _PAIR.sub(pair, text)
    return _BEARER.sub(rf"\1\2{REDACTED}", text)


def redact(
    value: Any, *, strict: bool = True, secret_key: Callable[[str], bool] | None = None
) -> Any:
    """``value`` as JSON data without credentials (see the module); never raises.

    ``secret_key``: when given, an entry whose name it accepts is dropped whatever its value
    (numbers too), in place of the name rule above."""
    data, _ = coerce_json(value)
    secret: Callable[[str], bool] = is_secret_name if strict else is_credential_name
    if secret_key is not None:
        secret = secret_key
    if isinstance(data, str):
        return redact_text(data, strict=strict)
    if not isinstance(data, (dict, list)):
        return data
    root: Any = {} if isinstance(data, dict) else []
    stack: list[tuple[Any, Any]] = [(data, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else ((None, v) for v in source)
        for key, item in pairs:
            if (
                key is not None
                and secret(key)
                and (secret_key is not None or isinstance(item, (str, dict, list)))
            ):
                continue  # a secret's field: dropped
            if isinstance(item, str):
                item = redact_text(item, strict=strict)
            elif isinstance(item, (dict, list)):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
                item = copy
            if key is None:
                target.append(item)
            else:
                target[redact_text(key, strict=strict)] = item
    return root
