"""StreamView in a real ipykernel: what reaches iopub, and whether Stop is heard.

Starts the repo's Python as an ipykernel through jupyter_client, runs cells that display a
StreamView and consume a stream, and reads iopub: comm messages (count and bytes), the
patches, the display replaced by the static picture at the end, and the kernel going back
to idle.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import RECORDED

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[1]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RECORDED_STREAM = RECORDED / "llm-anthropic" / "test_stream_events_thinking.0.sse"


@dataclass
class Run:
    """The iopub messages of one execution, up to the kernel going idle."""

    messages: list[dict[str, Any]]
    reply: dict[str, Any]
    seconds: float
    comm_msgs: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.comm_msgs = [m for m in self.messages if m["msg_type"] == "comm_msg"]

    @property
    def comm_bytes(self) -> int:
        return sum(len(json.dumps(m["content"]["data"]).encode()) for m in self.comm_msgs)

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] == msg_type]

    def patches(self) -> list[dict[str, Any]]:
        return [
            m["content"]["data"]["content"]
            for m in self.comm_msgs
            if m["content"]["data"].get("method") == "custom"
        ]

    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream"))


class Kernel:
    """An ipykernel of the repo's Python (a private kernelspec pointing at sys.executable)."""

    def __init__(self, spec_dir: Path) -> None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        kernel_dir = spec_dir / "streamscope-test"
        kernel_dir.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec = {"argv": argv, "display_name": "streamscope test", "language": "python"}
        (kernel_dir / "kernel.json").write_text(json.dumps(spec))
        specs = KernelSpecManager(kernel_dirs=[str(spec_dir)])
        self.manager = KernelManager(kernel_name="streamscope-test", kernel_spec_manager=specs)
        self.manager.start_kernel(cwd=str(REPO))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def execute(self, code: str, timeout: float = 180, on_message: Any = None) -> Run:
        client = self.client
        start = time.monotonic()
        msg_id = client.execute(code)
        messages: list[dict[str, Any]] = []
        while True:
            msg = client.get_iopub_msg(timeout=timeout)
            messages.append(msg)
            if on_message is not None:
                on_message(msg)
            if (
                msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"
                and msg["parent_header"].get("msg_id") == msg_id
            ):
                break
        seconds = time.monotonic() - start
        reply = client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = client.get_shell_msg(timeout=timeout)
        return Run(messages, reply, seconds)

    def send_custom(self, comm_id: str, content: dict[str, Any]) -> None:
        """A custom widget message, as the front end sends it on a click."""
        data = {"method": "custom", "content": content}
        msg = self.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.client.shell_channel.send(msg)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    k = Kernel(tmp_path_factory.mktemp("kernelspec"))
    try:
        setup = k.execute(
            "import sys, time, json\n"
            f"sys.path[:0] = [{str(REPO / 'benchmarks')!r}, {str(REPO / 'scripts')!r}]\n"
            "from heavy_message import heavy_message_events, content_bytes\n"
            "from streamscope.widgets import StreamView\n"
            "from streamscope.core import read_events\n"
            "print(sys.executable)"
        )
        assert setup.reply["content"]["status"] == "ok", setup.reply["content"]
        assert Path(setup.stdout().strip()) == Path(sys.executable)
        yield k
    finally:
        k.close()


def _assert_ok(run: Run) -> None:
    content = run.reply["content"]
    assert content["status"] == "ok", "\n".join(content.get("traceback", []))


def test_recorded_stream(kernel: Kernel) -> None:
    if RECORDED_STREAM.is_file():
        source = f"read_events({str(RECORDED_STREAM)!r})"
    else:
        source = "heavy_message_events(tool_json_bytes=2_000)"  # ../shared absent
    run = kernel.execute(
        f"events = {source}\n"
        "view = StreamView()\n"
        "display(view)\n"
        "view.consume(events)\n"
        "print('blocks', len(view.state.blocks), 'status', view.status)"
    )
    _assert_ok(run)
    assert "status done" in run.stdout()
    opened = [
        m for m in run.of_type("comm_open") if m["content"]["target_name"] == "jupyter.widget"
    ]
    assert opened
    displayed = run.of_type("display_data")
    assert len(displayed) == 1
    data = displayed[0]["content"]["data"]
    assert WIDGET_MIME in data and 'class="ss-view' in data["text/html"]
    display_id = displayed[0]["content"]["transient"]["display_id"]
    updated = run.of_type("update_display_data")
    assert len(updated) == 1
    assert updated[0]["content"]["transient"]["display_id"] == display_id
    final = updated[0]["content"]["data"]
    assert set(final) == {"text/html", "text/plain"}  # the widget is gone: a saved notebook
    assert 'data-status="done"' in final["text/html"]  # reopens with this picture
    assert len(run.comm_msgs) <= 10  # a recorded stream applied at once: a few patches


@pytest.mark.parametrize("seconds", [0.0, 2.0], ids=["instant", "paced"])
def test_heavy_message_traffic_is_bounded(kernel: Kernel, seconds: float) -> None:
    run = kernel.execute(
        "events = heavy_message_events(tool_json_bytes=20_000)\n"
        "def paced(events, seconds):\n"
        "    per = seconds / len(events)\n"
        "    start = time.monotonic()\n"
        "    for k, event in enumerate(events):\n"
        "        if seconds and k % 100 == 0:\n"
        "            time.sleep(max(0.0, start + k * per - time.monotonic()))\n"
        "        yield event\n"
        "view = StreamView()\n"
        "display(view)\n"
        "t0 = time.monotonic()\n"
        f"view.consume(paced(events, {seconds}))\n"
        "print(json.dumps({'content': content_bytes(events), 'events': len(events),\n"
        "                  'streamed': time.monotonic() - t0}))"
    )
    _assert_ok(run)
    stats = json.loads(run.stdout().strip().splitlines()[-1])
    assert stats["events"] > 10_000
    patches = run.patches()
    assert [p["seq"] for p in patches] == list(range(1, len(patches) + 1))
    per_second = len(run.comm_msgs) / max(stats["streamed"], 1.0)
    assert per_second <= 25, (len(run.comm_msgs), stats)
    assert run.comm_bytes <= 3 * stats["content"], (run.comm_bytes, stats)
    (final,) = run.of_type("update_display_data")
    assert f"{stats['events']:,}</dd>" in final["content"]["data"]["text/html"]


def test_stop_is_heard_while_the_cell_awaits(kernel: Kernel) -> None:
    state: dict[str, Any] = {"comm_id": None, "sent": False, "token": None}

    def on_message(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "comm_open" and msg["content"]["target_name"] == "jupyter.widget":
            state["comm_id"] = msg["content"]["comm_id"]
        elif msg["msg_type"] == "comm_msg" and not state["sent"]:
            data = msg["content"]["data"]
            if data.get("method") == "custom" and data["content"].get("type") == "patch":
                token = state["token"]
                kernel.send_custom(
                    state["comm_id"], {"type": "action", "action": "stop", "token": token}
                )
                state["sent"] = True
        elif msg["msg_type"] == "stream" and "token " in msg["content"]["text"]:
            state["token"] = msg["content"]["text"].split("token ")[1].split()[0]

    run = kernel.execute(
        "import asyncio\n"
        "from streams import text_stream\n"
        "async def stalls():\n"
        "    for event in text_stream('words before a long silence', chunk=5)[:5]:\n"
        "        yield event\n"
        "    await asyncio.sleep(60)\n"
        "view = StreamView()\n"
        "print('token', view.token, flush=True)\n"
        "display(view)\n"
        "await view.consume_async(stalls())\n"
        "print('stopped', view.stopped, view.status)",
        on_message=on_message,
    )
    _assert_ok(run)
    assert state["sent"]
    assert "stopped True stopped" in run.stdout()
    assert run.seconds < 30
    (final,) = run.of_type("update_display_data")
    assert "words before a" in final["content"]["data"]["text/html"]


def test_a_pause_in_the_stream_is_flushed_by_the_timer(kernel: Kernel) -> None:
    """The chunks pending when a source goes quiet go out from the view's timer, during the
    silence: the source itself waits (an event, not a sleep) until it sees them sent."""
    patches: list[dict[str, Any]] = []

    def on_message(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "comm_msg":
            data = msg["content"]["data"]
            if data.get("method") == "custom":
                patches.append(data["content"])

    run = kernel.execute(
        "import threading\n"
        "from streams import text_stream\n"
        "view = StreamView()\n"
        "flushed = threading.Event()\n"
        "_send = view.send\n"
        "def spy(content, buffers=None):\n"
        "    if any(op[0] == 'text/0' for op in content.get('ops', [])):\n"
        "        flushed.set()\n"
        "    return _send(content, buffers)\n"
        "view.send = spy\n"
        "def pauses():\n"
        "    events = text_stream('before the pause | after it', chunk=4)\n"
        "    yield from events[:4]\n"  # message_start, block start, two chunks: one pending
        "    print('flushed in the silence:', flushed.wait(30))\n"  # the timer's frame
        "    yield from events[4:]\n"
        "display(view)\n"
        "view.consume(pauses())",
        on_message=on_message,
    )
    _assert_ok(run)
    assert "flushed in the silence: True" in run.stdout()
    # on the page, the text before the silence came in a frame before the rest
    texts = [
        "".join(str(op) for op in patch["ops"] if op[0] == "text/0")
        for patch in patches
        if patch.get("type") == "patch"
    ]
    before = next(k for k, t in enumerate(texts) if "before" in t)
    after = next(k for k, t in enumerate(texts) if "after" in t)
    assert before < after
