"""Asking the API why a cache missed: the ``diagnostics`` request argument, in the form the
installed SDK takes, and the server's answer read back from a stream.

A request that carries ``diagnostics={"previous_message_id": ...}`` is compared by the API
with the request that produced that message; the response then says where the two
diverged (``diagnostics.cache_miss_reason`` on the message, in ``message_start`` when
streaming). The first request of a chain opts in with ``"previous_message_id": None``.
SDKs that know the parameter (anthropic 2.17 has it on ``messages.create``/``stream``, beta
or not) get it as a keyword; older ones get it in ``extra_body``, which every 1.x and 2.x SDK
sends as part of the JSON body. Nothing here changes a request unless asked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "cache_diagnostics",
    "diagnostics_arguments",
    "message_id_of",
    "server_cache_miss",
    "server_diagnostics",
    "takes_diagnostics",
]


def takes_diagnostics(method: Callable[..., Any] | None) -> bool:
    """Whether ``method`` (an SDK ``messages.create``/``stream``) names a ``diagnostics``
    parameter (the GA form); False for older SDKs (and anything whose signature is
    unknown), which then get ``extra_body``."""
    if method is None:
        return False
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "diagnostics" in parameters


def _default_method() -> Callable[..., Any] | None:
    try:
        from anthropic.resources.messages import Messages
    except ImportError:  # pragma: no cover - the SDK is a dependency
        return None
    create: Callable[..., Any] = Messages.create
    return create


def message_id_of(previous: Any) -> str | None:
    """The message id of ``previous``: a ``msg_...`` string, an SDK message, a message dict,
    a :class:`~streamscope.core.stream.state.StreamState`, a Turn or a view (their state's), or
    None."""
    if previous is None or isinstance(previous, str):
        return previous
    if isinstance(previous, Mapping):
        value = previous.get("id")
        return value if isinstance(value, str) else None
    state = getattr(previous, "state", None)
    if state is not None and state is not previous:
        return message_id_of(state)
    value = getattr(previous, "message_id", None)
    if value is None:
        value = getattr(previous, "id", None)
    return value if isinstance(value, str) else None


def diagnostics_arguments(
    previous_id: str | None,
    method: Callable[..., Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The keyword arguments that ask for cache diagnostics against ``previous_id`` on a
    call of ``method``: ``{"diagnostics": {...}}`` when it takes the parameter, else
    ``{"extra_body": {..., "diagnostics": {...}}}`` (merged into ``extra_body``, a copy)."""
    value = {"previous_message_id": previous_id}
    if takes_diagnostics(method if method is not None else _default_method()):
        return {"diagnostics": value}
    body = dict(extra_body or {})
    body["diagnostics"] = value
    return {"extra_body": body}


def cache_diagnostics(previous: Any = None, *, client: Any = None) -> dict[str, Any]:
    """The request argument for your own call that asks the API why its cache missed::

        message = client.messages.create(..., **ss.cache_diagnostics(previous))

    ``previous``: the previous response (an SDK message, its id, a StreamState, a view),
    or None on the first request (opts in). ``client`` (or ``client.beta``): whose
    ``messages.create`` decides the form; default the installed SDK's."""
    method = None
    if client is not None:
        messages = getattr(client, "messages", None)
        method = getattr(messages, "create", None)
    return diagnostics_arguments(message_id_of(previous), method)


def server_diagnostics(state: Any) -> dict[str, Any] | None:
    """The ``diagnostics`` object of a streamed message (``message_start``, or a later
    ``message_delta`` that carries one), or None."""
    found: Any = None
    message = getattr(state, "message", None)
    if isinstance(message, Mapping):
        found = message.get("diagnostics")
    for delta in getattr(state, "message_deltas", ()) or ():
        if isinstance(delta, Mapping) and isinstance(delta.get("diagnostics"), Mapping):
            found = delta["diagnostics"]
    return dict(found) if isinstance(found, Mapping) else None


def server_cache_pending(state: Any) -> bool:
    """Whether the API sent ``diagnostics.cache_miss_reason`` as null (not diagnosed yet:
    "pending"), as opposed to not sending diagnostics at all."""
    diagnostics = server_diagnostics(state)
    return (
        diagnostics is not None
        and "cache_miss_reason" in diagnostics
        and diagnostics["cache_miss_reason"] is None
    )


def server_cache_miss(state: Any) -> dict[str, Any] | None:
    """The server's ``diagnostics.cache_miss_reason`` for a streamed message, or None."""
    diagnostics = server_diagnostics(state)
    reason = diagnostics.get("cache_miss_reason") if diagnostics is not None else None
    return dict(reason) if isinstance(reason, Mapping) else None
