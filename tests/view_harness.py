"""Helpers for testing views without a kernel: a fake clock, a comm recorder, the page's side.

A widget made outside a kernel gets a dummy comm; :class:`Recorder` replaces its ``send``
and keeps every message JSON-encoded as Jupyter would pack it (so byte counts are real).
:func:`page_parts` applies the recorded patches the way ``static/surface.js`` does, in
Python; :func:`node_page_parts` runs surface.js itself under Node on the same messages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SURFACE_JS = REPO / "widgets" / "static" / "surface.js"


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """Every message a widget sends (custom messages and trait syncs), JSON-encoded."""

    def __init__(self, widget: Any) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        self._lock = threading.Lock()
        widget.comm.send = self._send

    def _send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        encoded = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        with self._lock:
            self.messages.append(json.loads(encoded))
            self.sizes.append(len(encoded))

    @property
    def bytes(self) -> int:
        return sum(self.sizes)

    @property
    def patches(self) -> list[dict[str, Any]]:
        """The ``patch`` custom messages, in order."""
        out = []
        for message in self.messages:
            inner = message.get("content") if message.get("method") == "custom" else None
            if isinstance(inner, dict) and inner.get("type") == "patch":
                out.append(inner)
        return out

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.sizes.clear()


def utf16_slice(text: str, units: int) -> str:
    """``text`` without its last ``units`` UTF-16 code units (what JS ``slice`` keeps)."""
    encoded = text.encode("utf-16-le", "surrogatepass")
    return encoded[: len(encoded) - 2 * units].decode("utf-16-le", "surrogatepass")


def apply_patch(parts: dict[str, list[str]], patch: dict[str, Any]) -> None:
    """One patch, applied as surface.js's ``Store.apply`` does."""
    for region, count, *edits in patch["ops"]:
        old = parts.get(region, [])
        new = (old + [""] * count)[:count]
        for index, drop, tail in edits:
            before = old[index] if index < len(old) and drop >= 0 else ""
            new[index] = utf16_slice(before, max(drop, 0)) + tail
        parts[region] = new


def page_parts(initial: dict[str, Any], patches: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The regions a page holds after the initial picture and ``patches``."""
    parts = {k: list(v) for k, v in initial.get("regions", {}).items()}
    seq = initial.get("seq", 0)
    for patch in patches:
        if patch["seq"] <= seq:
            continue
        assert patch["seq"] == seq + 1, "a patch was lost"
        apply_patch(parts, patch)
        seq = patch["seq"]
    return {region: held for region, held in parts.items() if held}


def node_missing() -> str | None:
    return None if shutil.which("node") else "node not found"


def require_node() -> None:
    """Skip without Node, but fail in CI (``CI`` set), where the JS must be checked."""
    from conftest import skip_or_fail

    reason = node_missing()
    if reason is not None:
        skip_or_fail(f"Node.js is needed to check the page script: {reason}")


_NODE_SCRIPT = """
import { Store } from %s;
import { readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(0, "utf8"));
const handlers = {};
const model = {
  get: (name) => (name === "picture" ? input.picture : undefined),
  on: (event, fn) => { handlers[event] = fn; },
  off: () => {},
  send: (content) => { sent.push(content); },
};
const sent = [];
const store = new Store(model);
for (const message of input.messages) handlers["msg:custom"](message);
const parts = Object.fromEntries(store.parts);
process.stdout.write(JSON.stringify({ parts, seq: store.seq, sent }));
"""


def node_page_parts(
    initial: dict[str, Any], patches: list[dict[str, Any]], tmp_path: Path
) -> dict[str, Any]:
    """Run surface.js's Store under Node on ``patches``; its parts, seq and sent messages."""
    require_node()
    script = tmp_path / "apply.mjs"
    script.write_text(_NODE_SCRIPT % json.dumps(SURFACE_JS.as_uri()))
    result = subprocess.run(
        ["node", str(script)],
        input=json.dumps({"picture": initial, "messages": patches}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    data["parts"] = {region: held for region, held in data["parts"].items() if held}
    return data


def deliver(widget: Any, content: dict[str, Any]) -> None:
    """Deliver a custom message to ``widget`` as if its front end had sent it."""
    message = {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    widget._handle_msg(message)
