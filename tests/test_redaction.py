"""Redaction: secret names read as words, secrets found inside text, any value in."""

from __future__ import annotations

import pytest

from streamscope.core.wire.redaction import (
    REDACTED,
    is_credential_name,
    is_secret_name,
    redact,
    redact_text,
)

KEY = "sk-ant-api03-AbCdEf_123-456"


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "apiKey",
        "APIKEY",
        "X-Api-Key",
        "token",
        "access_token",
        "accessToken",
        "refreshtoken",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "private_key",
        "privatekey",
        "Authorization",
        "Proxy-Authorization",
        "auth",
        "OAuth",
        "credentials",
        "cookie",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["max_tokens", "budget_tokens", "output_tokens", "author", "title", "monkey", "model"]
)
def test_names_that_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)


def test_credential_names_are_the_narrow_set() -> None:
    assert is_credential_name("x-api-key") and is_credential_name("Headers")
    assert not is_credential_name("key") and not is_credential_name("token")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"my key is {KEY}.", f"my key is {REDACTED}."),
        ("Bearer abc.def-123", f"Bearer {REDACTED}"),
        ("Authorization: Bearer abc123", f"Authorization: {REDACTED}"),
        ('{"password": "hunter2"}', f'{{"password": "{REDACTED}"}}'),
        ("token=abc&x=1", f"token={REDACTED}&x=1"),
        ("max_tokens=1024", "max_tokens=1024"),
        ("https://h.invalid/p?a=1&b=2#frag", f"https://h.invalid/p?a={REDACTED}&b={REDACTED}#frag"),
        ("https://me:pw@h.invalid/", f"https://me:{REDACTED}@h.invalid/"),
        ("ghp_" + "a" * 36, REDACTED),
        ("AKIAABCDEFGHIJKLMNOP", REDACTED),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", REDACTED),
        ("nothing to see", "nothing to see"),
    ],
)
def test_secrets_in_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_lenient_text_keeps_ordinary_query_values() -> None:
    url = "https://h.invalid/search?q=raft&api_key=zzz"
    assert redact_text(url, strict=False) == f"https://h.invalid/search?q=raft&api_key={REDACTED}"


def test_redact_any_value() -> None:
    cycle: list[object] = [KEY]
    cycle.append(cycle)
    value = {
        b"token": "x",
        "kept": {KEY: 1, "n": 5, "token": 7},
        "s": frozenset({KEY}),
        "c": cycle,
    }
    assert redact(value) == {
        "kept": {REDACTED: 1, "n": 5, "token": 7},  # numbers under a secret name stay
        "s": [REDACTED],
        "c": [REDACTED, "<cycle>"],
    }
    assert redact(KEY) == REDACTED and redact(3) == 3
