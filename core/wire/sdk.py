"""The SDK's shapes: which objects are its raw events, its streams and stream managers, and an
event in wire shape (a dict) whatever form it came in."""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import Any

from streamscope.core.json.plain import dump_model

__all__ = [
    "event_to_dict",
    "is_async_stream_manager",
    "is_derived_event",
    "is_message_stream",
    "is_stream_manager",
    "raw_base_class",
    "raw_event_classes",
]

# Types of the events a MessageStream derives from raw ones (SDK 1.x and 2.x); anything else from
# ``anthropic.lib.streaming`` that is not a raw event class is treated as derived too.
_DERIVED_TYPES = frozenset(
    {"text", "citation", "thinking", "signature", "input_json", "compaction"}
)


def _flatten_union(tp: object) -> list[type]:
    args = typing.get_args(tp)
    if not args:
        return [tp] if isinstance(tp, type) else []
    if typing.get_origin(tp) is typing.Annotated:
        return _flatten_union(args[0])
    return [cls for arg in args for cls in _flatten_union(arg)]


@functools.lru_cache(maxsize=1)
def raw_event_classes() -> tuple[type, ...]:
    """The anthropic SDK's raw stream event classes, beta and non-beta."""
    try:
        from anthropic.types import RawMessageStreamEvent
        from anthropic.types.beta import BetaRawMessageStreamEvent
    except ImportError:  # pragma: no cover - anthropic is a dependency
        return ()
    return tuple(_flatten_union(RawMessageStreamEvent) + _flatten_union(BetaRawMessageStreamEvent))


@functools.lru_cache(maxsize=1)
def _sdk_base_model() -> type | None:
    try:
        from anthropic._models import BaseModel
    except ImportError:  # pragma: no cover
        return None
    return BaseModel


def is_derived_event(event: object) -> bool:
    """True for the helper events a ``MessageStream`` adds (``text``, ``thinking``...).

    Dicts are never derived; raw SDK events (including a MessageStream's
    ``message_stop``/``content_block_stop`` with snapshots) are not derived.
    """
    if isinstance(event, dict):
        return False
    if isinstance(event, raw_event_classes()):
        return False
    base = _sdk_base_model()
    if base is None or not isinstance(event, base):
        return False
    if type(event).__module__.startswith("anthropic.lib.streaming"):
        return True
    return getattr(event, "type", None) in _DERIVED_TYPES


def raw_base_class(event: object) -> type | None:
    """The raw SDK event class an event is (or derives from), or None."""
    raw = raw_event_classes()
    for cls in type(event).__mro__:
        if cls in raw:
            return cls
    return None


def is_message_stream(obj: object) -> bool:
    """True for the SDK's ``MessageStream`` helpers (they have a final message snapshot)."""
    cls = type(obj)
    return hasattr(cls, "get_final_message") and hasattr(cls, "current_message_snapshot")


def is_stream_manager(obj: object) -> bool:
    """True for a context manager that opens a stream when entered (``messages.stream(...)``
    of the sync SDK client or the replay client): the request is sent on entering."""
    return (
        hasattr(obj, "__enter__")
        and hasattr(obj, "__exit__")
        and not hasattr(obj, "__iter__")
        and not hasattr(obj, "__aiter__")
    )


def is_async_stream_manager(obj: object) -> bool:
    """Async twin of :func:`is_stream_manager` (``AsyncAnthropic().messages.stream(...)``)."""
    return (
        hasattr(obj, "__aenter__")
        and hasattr(obj, "__aexit__")
        and not hasattr(obj, "__aiter__")
        and not hasattr(obj, "__iter__")
    )


def event_to_dict(event: object) -> dict[str, Any]:
    """An event in wire shape: dicts are copied (shallowly), SDK models via ``to_dict()``.

    A MessageStream's ``message_stop``/``content_block_stop`` carry a snapshot of the
    message/block that is not on the wire; it is left out.
    """
    if isinstance(event, Mapping):
        return dict(event)
    if getattr(event, "to_dict", None) is None:
        raise TypeError(f"not an event: {type(event).__name__}")
    snapshot: set[str] = set()
    base = raw_base_class(event)
    if base is not None and base is not type(event):
        snapshot = set(getattr(type(event), "model_fields", {})) - set(base.model_fields)  # type: ignore[attr-defined]
    # The snapshot is left out (not serialised at all). warnings=False: models built loosely
    # from unknown (newer) wire shapes warn on dump, yet dump exactly what was received
    # (checked against the recorded corpus).
    data: dict[str, Any] = dump_model(event, exclude=snapshot or None, warnings=False)
    return data
