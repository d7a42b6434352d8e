"""The request behind a stream: what was sent, read from whatever the caller holds.

How it works: ``docs/internals.md``, section ``streamscope.core.wire.request``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from streamscope.core.json.codec import coerce_json
from streamscope.core.wire.credentials import KEPT_HEADERS, is_credential_field
from streamscope.core.wire.redaction import is_credential_name

__all__ = ["NOT_SENT", "betas_of", "clean_request", "left_out", "request_of", "sdk_keywords"]

NOT_SENT: Final = frozenset(
    {
        "stream",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
        "api_key",
        "auth_token",
        "user_profile_id",
        "workspace_id",
    }
)
"""Keyword arguments of ``messages.create``/``stream`` that are not body fields (options,
headers, credentials): left out of a recorded request."""
_BETA_HEADER: Final = "anthropic-beta"


def _is_sentinel(value: object) -> bool:
    """The SDK's "not given" markers (``NOT_GIVEN``, ``omit``)."""
    return type(value).__name__ in ("NotGiven", "Omit") and type(value).__module__.startswith(
        "anthropic"
    )


def _split_betas(value: object) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return [str(part) for part in value if not _is_sentinel(part)]
    return []


def _is_body_field(key: object, value: object) -> bool:
    """A top-level keyword that is part of the body: not an option, a header, a
    credential (``authorization``, ``headers``...) or an SDK "not given" marker."""
    return (
        isinstance(key, str)
        and key not in NOT_SENT
        and not is_credential_name(key)
        and not _is_sentinel(value)
    )


def clean_request(
    kwargs: Mapping[str, Any], *, betas: Iterable[str] | None = None
) -> dict[str, Any]:
    """``kwargs`` of a Messages request as recordable JSON data (see the module docstring).

    ``betas`` (e.g. from an ``anthropic-beta`` header) are added as ``betas`` when the
    keywords do not name any.
    """
    body = {key: value for key, value in kwargs.items() if _is_body_field(key, value)}
    extra = kwargs.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(
            (key, value)
            for key, value in extra.items()
            if _is_body_field(key, value) and not is_credential_field(key, value)
        )
    if "betas" in body:
        body["betas"] = _split_betas(body["betas"])
    elif betas is not None:
        found = _split_betas(list(betas))
        if found:
            body["betas"] = found
    cleaned, _ = coerce_json(body)
    return cleaned if isinstance(cleaned, dict) else {}


def left_out(kwargs: Mapping[str, Any]) -> list[str]:
    """What :func:`clean_request` leaves out of ``kwargs``, by name only (never a value):
    ``api_key``, ``extra_headers (authorization, x-trace)``, ``extra_body.service_token``,
    ``extra_query (key)``, ``timeout``... (``stream``, and headers that only carry the
    betas, are not listed)."""
    out: list[str] = []
    for key, value in kwargs.items():
        if not isinstance(key, str) or key in ("stream", "extra_body") or _is_sentinel(value):
            continue
        if key in ("extra_headers", "extra_query") and isinstance(value, Mapping):
            names = [
                str(name)
                for name in value
                if not (key == "extra_headers" and str(name).lower() in KEPT_HEADERS)
            ]
            if names:
                out.append(f"{key} ({', '.join(names)})")
        elif not _is_body_field(key, value):
            out.append(key)
    extra = kwargs.get("extra_body")
    if isinstance(extra, Mapping):
        out.extend(
            f"extra_body.{key}"
            for key, value in extra.items()
            if isinstance(key, str)
            and not _is_sentinel(value)
            and (not _is_body_field(key, value) or is_credential_field(key, value))
        )
    return out


def betas_of(request: Mapping[str, Any] | None) -> list[str]:
    """The betas a request used (``[]`` for the plain endpoint)."""
    if not request:
        return []
    return _split_betas(request.get("betas"))


@functools.lru_cache(maxsize=8)
def sdk_keywords(
    beta: bool, method: Literal["create", "stream"] = "create"
) -> frozenset[str] | None:
    """The keywords the installed SDK's ``messages.<method>`` takes (``beta``: of
    ``client.beta.messages``); None when that cannot be read (then pass everything)."""
    try:
        if beta:
            from anthropic.resources.beta.messages import Messages
        else:
            from anthropic.resources.messages import Messages  # type: ignore[assignment]
        parameters = inspect.signature(getattr(Messages, method)).parameters
    except Exception:  # no SDK, or one shaped otherwise
        return None
    return frozenset(name for name in parameters if name != "self")


# --------------------------------------------------------------------------- finding it


def _from_call(body: object, options: object) -> dict[str, Any] | None:
    """A request from the ``body`` and ``options`` the SDK passes to ``client._post``."""
    if not isinstance(body, Mapping):
        return None
    betas: list[str] = []
    if isinstance(options, Mapping):
        headers = options.get("headers")
        if isinstance(headers, Mapping):
            betas = _split_betas(headers.get(_BETA_HEADER))
        extra = options.get("extra_json")
        if isinstance(extra, Mapping):
            body = {**body, "extra_body": extra}
    return clean_request(body, betas=betas)


def _from_manager(source: object) -> dict[str, Any] | None:
    """An SDK stream manager's pending call (``_<Class>__api_request``)."""
    attributes = getattr(source, "__dict__", None)
    if not isinstance(attributes, dict):
        return None
    pending = next(
        (value for name, value in attributes.items() if name.endswith("__api_request")), None
    )
    if pending is None:
        return None
    keywords = getattr(pending, "keywords", None)  # sync: functools.partial(client._post, ...)
    if isinstance(keywords, Mapping):
        return _from_call(keywords.get("body"), keywords.get("options"))
    frame = getattr(pending, "cr_frame", None)  # async: the coroutine client.post(...)
    if inspect.iscoroutine(pending) and frame is not None:
        local = frame.f_locals
        return _from_call(local.get("body"), local.get("options"))
    return None


def _from_http(stream: object) -> dict[str, Any] | None:
    """An SDK stream's HTTP request: the exact JSON body sent, betas from its header."""
    response = getattr(stream, "response", None)
    http_request = getattr(response, "request", None)
    if http_request is None:
        return None
    try:
        content = http_request.content
        data = json.loads(content) if content else None
    except Exception:  # a streamed or non-JSON body: unknown
        return None
    if not isinstance(data, dict):
        return None
    headers = getattr(http_request, "headers", None)
    beta = headers.get(_BETA_HEADER) if headers is not None else None
    return clean_request(data, betas=_split_betas(beta))


def request_of(source: object) -> dict[str, Any] | None:
    """The request that opened ``source``, cleaned (see the module docstring), or None."""
    try:
        own = getattr(source, "request", None)
        if isinstance(own, Mapping):
            return clean_request(own)
        inner = getattr(source, "source", None)  # an EventIterator: what it reads
        if inner is not None and inner is not source:
            found = request_of(inner)
            if found is not None:
                return found
        found = _from_manager(source)
        if found is not None:
            return found
        found = _from_http(source)
        if found is not None:
            return found
        raw = getattr(source, "_raw_stream", None)  # an entered MessageStream
        if raw is not None:
            return _from_http(raw)
    except Exception:  # a source shaped unlike the SDK's: unknown, never an error
        return None
    return None
