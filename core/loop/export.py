"""A tool loop's conversation on disk: written by ``ToolLoop.export_json``, read back by
:func:`load_conversation` to go on where it stopped.

How it works: ``docs/internals.md``, section ``streamscope.core.loop.export``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from streamscope.core.io.files import write_atomic
from streamscope.core.io.safe_files import open_recording
from streamscope.core.json.codec import coerce_json, dumps_exact
from streamscope.core.loop.document_check import check_conversation, load_strict
from streamscope.core.wire.request import betas_of, clean_request, sdk_keywords

__all__ = [
    "CONVERSATION_SCHEMA",
    "conversation_document",
    "export_conversation",
    "load_conversation",
]

CONVERSATION_SCHEMA: Final = "streamscope.conversation/1"
"""The format name and major version written (and the newest one read)."""
_FORMAT: Final = "streamscope.conversation/"
_VERSION: Final = 1


class ExportedLoop(Protocol):
    """What an export reads of a tool loop (a ToolLoop is one)."""

    @property
    def model(self) -> str: ...
    @property
    def max_tokens(self) -> int: ...
    @property
    def tool_params(self) -> Sequence[Any]: ...
    @property
    def request_kwargs(self) -> dict[str, Any]: ...
    @property
    def messages(self) -> list[Any]: ...
    @property
    def turns(self) -> Sequence[Any]: ...
    @property
    def stop_reason(self) -> str | None: ...


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _params(loop: ExportedLoop) -> dict[str, Any]:
    params: dict[str, Any] = {"model": loop.model, "max_tokens": loop.max_tokens}
    if loop.tool_params:
        params["tools"] = list(loop.tool_params)
    params.update(loop.request_kwargs)
    # The request's own fields byte for byte; keys, headers, options and the
    # credential-shaped fields of extra_body left out (streamscope.core.wire.credentials).
    return clean_request(params)


def conversation_document(loop: ExportedLoop, *, created: str | None = None) -> dict[str, Any]:
    """What ``export_json`` writes, as data (see the module docstring)."""
    messages, _ = coerce_json(list(loop.messages))
    turns = []
    for turn in loop.turns:
        state = turn.state
        if state is None:
            continue
        entry = {
            "number": turn.number,
            "model": state.model,
            "message_id": state.message_id,
            "stop_reason": state.stop_reason,
            "usage": coerce_json(state.usage.to_dict())[0],
        }
        failure = getattr(turn, "failure", None)
        if isinstance(failure, str):  # a failed turn says why, in words
            entry["failure"] = failure
        turns.append(entry)
    return {
        "schema": CONVERSATION_SCHEMA,
        "created": created if created is not None else _now(),
        "params": _params(loop),
        "messages": messages,
        "stop_reason": loop.stop_reason,
        "turns": turns,
    }


def export_conversation(
    loop: ExportedLoop, path: str | os.PathLike[str], *, created: str | None = None
) -> Path:
    """Write ``loop``'s parameters and conversation to ``path`` (atomically); returns it."""
    return write_atomic(path, dumps_exact(conversation_document(loop, created=created), indent=2))


def load_conversation(
    path: str | os.PathLike[str], *, beta: bool = False
) -> tuple[dict[str, Any], list[Any]]:
    """``(params, messages)`` of a conversation ``export_json`` wrote, so that::

        params, messages = load_conversation("run.json")
        client.messages.create(**params, messages=[*messages, next_user_turn])

    continues it: the conversation goes back byte for byte (thinking and signatures
    untouched). Betas the loop used become the ``anthropic-beta`` header
    (``extra_headers``), so the call above works; with ``beta=True`` they stay
    ``betas=[...]`` for ``client.beta.messages.create``. Parameters the installed SDK's
    method does not take as keywords are passed in ``extra_body``. Add ``stream=True`` (or
    call ``.stream(...)``) for a large ``max_tokens``: the SDK refuses long non-streaming
    requests.

    Raises ``ValueError`` for a file that is not a conversation (not a regular file, not
    strict JSON, a key twice in one object), one of a newer format version, or one whose
    fields cannot be sent as they are (``max_tokens: NaN``, ``"model": 5``,
    ``"tools": "x"``: :func:`~streamscope.core.loop.document_check.check_conversation`),
    the message naming the field.
    """
    name = os.fspath(path)
    with open_recording(path) as handle:  # a regular file only (never /dev/zero, a FIFO)
        data = handle.read()
    try:
        doc = load_strict(data.decode("utf-8"))
    except ValueError as exc:  # invalid UTF-8 or JSON, a duplicate key
        raise ValueError(f"{name} is not a conversation file streamscope can read: {exc}") from None
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith(_FORMAT):
        raise ValueError(
            f"{os.fspath(path)} is not a streamscope conversation (no {_FORMAT}N schema)"
        )
    version = schema.removeprefix(_FORMAT)
    if not version.isdigit() or int(version) > _VERSION:
        raise ValueError(
            f"{os.fspath(path)} is a {schema} file; this streamscope reads up to "
            f"{CONVERSATION_SCHEMA}: upgrade streamscope to read it"
        )
    params = doc.get("params")
    messages = doc.get("messages")
    try:
        check_conversation(params, messages)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    return _for_endpoint(params, beta), messages


def _for_endpoint(params: dict[str, Any], beta: bool) -> dict[str, Any]:
    """``params`` shaped for ``client[.beta].messages.create``: betas as a header or a
    keyword, unknown keywords in ``extra_body``."""
    out = dict(params)
    betas = betas_of(out)
    out.pop("betas", None)
    accepted = sdk_keywords(beta, "create")
    extra = {k: out.pop(k) for k in list(out) if accepted is not None and k not in accepted}
    if betas and beta:
        out = {"betas": betas, **out}
    elif betas:
        out["extra_headers"] = {"anthropic-beta": ",".join(betas)}
    if extra:
        out["extra_body"] = extra
    return out
