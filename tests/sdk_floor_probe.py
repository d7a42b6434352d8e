"""Every gallery recording replayed in this interpreter, whatever ``anthropic`` it has: prints
one JSON object of the final messages each path ends with (tests/test_sdk_floor.py runs it
in a venv with the oldest supported SDK and with the current one, and compares).

Paths, per recording: ``core`` (the events as data through ``StreamState``), ``replay``
(``ReplayClient``'s ``messages.stream``), ``sdk`` (the SSE bytes through the real SDK
client, ``beta.messages.create(stream=True)``, behind a mock transport; an SDK that does
not know a block or delta hands it over as it parsed it) and ``view`` (a headless
``StreamView`` consuming that SDK stream, then its static picture). Uses only the standard
library, streamscope and what the SDK itself depends on.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

import anthropic
from anthropic import _base_client

import streamscope
from streamscope.core import ReplayClient, StreamState, gallery, iter_events, read_cassette

_HI = {"role": "user", "content": "Hi"}


def _http() -> Any:
    """The HTTP package the installed SDK is built on (httpx2 from 1.0, httpx before)."""
    return vars(_base_client).get("httpx2") or vars(_base_client)["httpx"]


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _sdk_stream(events: list[dict[str, Any]], request: dict[str, Any]) -> Any:
    http = _http()
    body = _sse(events)

    def respond(_request: Any) -> Any:
        return http.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client = anthropic.Anthropic(
        api_key="sk-test",
        max_retries=0,
        http_client=http.Client(transport=http.MockTransport(respond)),
    )
    return client.beta.messages.create(
        model=request["model"],
        max_tokens=request["max_tokens"],
        messages=request["messages"],
        stream=True,
    )


def _through_sdk(events: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
    """The SDK stream through ``StreamState``; an ``error`` event makes the SDK raise."""
    state = StreamState(request=request)
    raised = None
    try:
        state.apply_all(iter_events(_sdk_stream(events, request)))
    except anthropic.APIError as exc:
        raised = type(exc).__name__
    return {"message": state.to_message(), "raised": raised}


def _view(events: list[dict[str, Any]], request: dict[str, Any], out: Path) -> dict[str, Any]:
    from streamscope.widgets import StreamView

    view = StreamView(flush_timer=False)
    raised = None
    try:
        view.consume(_sdk_stream(events, request))
    except anthropic.APIError as exc:
        raised = type(exc).__name__
    html = view.export_html(out).read_text(encoding="utf-8")
    return {
        "message": view.to_message(),
        "raised": raised,
        "status": view.status,
        "html": len(html) > 1000 and html.rstrip().endswith("</html>"),
    }


def _extra_streams() -> dict[str, list[dict[str, Any]]]:
    """Streams beyond the gallery, with what SDK 1.x does not know: an ``mcp_tool_listing``
    block and ``input_transformations`` (tests/test_sdk_floor.py checks them against the
    current SDK's event models)."""
    dropped = {
        "type": "thinking_dropped",
        "path": "messages.1.content.0",
        "reason": "model_binding_mismatch",
    }
    message = {
        "id": "msg_01FloorProbe",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 40, "output_tokens": 1},
        "input_transformations": [dropped],
    }
    listing = {
        "type": "mcp_tool_listing",
        "mcp_server_name": "tracker",
        "tools": [{"name": "list_issues", "input_schema": {"type": "object"}}],
    }
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": listing},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "ok"}},
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 3},
            "input_transformations": [dropped],
        },
        {"type": "message_stop"},
    ]
    return {"mcp_listing_and_input_transformations": events}


def _known() -> dict[str, list[str]]:
    """The content block types and message fields the installed SDK's beta stream knows."""
    from anthropic.types.beta import BetaMessage, BetaRawContentBlockStartEvent

    def flat(tp: Any) -> list[Any]:
        args = typing.get_args(tp)
        if not args:
            return [tp]
        if typing.get_origin(tp) is typing.Annotated:
            return flat(args[0])
        return [leaf for arg in args for leaf in flat(arg)]

    union = BetaRawContentBlockStartEvent.model_fields["content_block"].annotation
    blocks = [typing.get_args(c.model_fields["type"].annotation)[0] for c in flat(union)]
    return {"blocks": sorted(blocks), "message": sorted(BetaMessage.model_fields)}


def probe() -> dict[str, Any]:
    try:
        importlib.import_module("streamscope.widgets")
        widgets = True
    except ImportError:  # the widget libraries are missing: the core alone
        widgets = False
    result: dict[str, Any] = {
        "anthropic": anthropic.__version__,
        "streamscope": streamscope.__file__,
        "widgets": widgets,
        "known": _known(),
        "recordings": {},
        "extra": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for info in gallery.list_recordings():
            path = gallery.path(info.name)
            events = gallery.load_events(info.name)
            request = read_cassette(path).meta["request"]
            core = StreamState(request=request).apply_all(events)
            with ReplayClient([path]).beta.messages.stream(**request) as stream:
                replayed = StreamState(request=request).apply_all(iter_events(stream))
            entry: dict[str, Any] = {
                "core": core.to_message(),
                "replay": replayed.to_message(),
                "sdk": _through_sdk(events, request),
            }
            if widgets:
                entry["view"] = _view(events, request, Path(tmp) / f"{info.name}.html")
            result["recordings"][info.name] = entry
        request = {"model": "claude-sonnet-5-5", "max_tokens": 64, "messages": [_HI]}
        for name, events in _extra_streams().items():
            extra: dict[str, Any] = {
                "core": StreamState(request=request).apply_all(events).to_message(),
                "sdk": _through_sdk(events, request),
            }
            if widgets:
                extra["view"] = _view(events, request, Path(tmp) / f"{name}.html")
            result["extra"][name] = extra
    return result


if __name__ == "__main__":
    json.dump(probe(), sys.stdout)
