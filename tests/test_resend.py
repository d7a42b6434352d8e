"""request_code: the SDK call and the curl command that send a run's request again."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import anthropic
import httpx2
import pytest
from mock_api import MockAPI, sse_body
from streams import message_end, message_start, text_events, text_stream, tool_events
from test_request import KEY, PARAMS

from streamscope.core import StreamState, ToolLoop, gallery, record, request_code
from streamscope.core.io.cassette import read_cassette
from streamscope.core.io.replay_client import ReplayClient
from streamscope.core.io.resend import run_request

TRICKY = {
    **PARAMS,
    "messages": [
        {
            "role": "user",
            "content": "Is $HOME `whoami` safe? 'quotes' \"too\" \\ é ☕\nSTREAMSCOPE_REQUEST",
        }
    ],
}


def run_code(code: str, server: MockAPI, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Execute generated Python with the real SDK, its HTTP going to ``server``."""
    real = anthropic.Anthropic

    def client(**kwargs: Any) -> anthropic.Anthropic:
        transport = httpx2.MockTransport(server.respond)
        return real(max_retries=0, http_client=httpx2.Client(transport=transport), **kwargs)

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
    monkeypatch.setattr(anthropic, "Anthropic", client)
    scope: dict[str, Any] = {}
    exec(compile(code, "<request_code>", "exec"), scope)
    return scope


def record_tricky(path: Path, betas: list[str] | None) -> MockAPI:
    """Record the TRICKY request through the real SDK (beta endpoint when ``betas``); the
    API it reached keeps what was sent."""
    api = MockAPI(every=text_stream("Hello there."), key=KEY)
    client = api.sync_client()
    manager = (
        client.beta.messages.stream(**TRICKY, betas=betas)
        if betas
        else client.messages.stream(**TRICKY)
    )
    list(record(manager, path))
    return api


@pytest.mark.parametrize("betas", [None, ["interleaved-thinking-2025-05-14"]])
def test_the_python_code_sends_the_same_bytes(
    betas: list[str] | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    original = record_tricky(tmp_path / "run.jsonl", betas)
    code = request_code(tmp_path / "run.jsonl")
    assert KEY not in code and "api_key" not in code
    assert ("client.beta.messages.stream(" in code) == bool(betas)
    again = MockAPI(every=text_stream("Hello there."), key=KEY)
    scope = run_code(code, again, monkeypatch)
    assert again.raw == original.raw  # byte for byte
    assert again.headers[0].get("anthropic-beta") == original.headers[0].get("anthropic-beta")
    assert again.headers[0]["authorization"] == "Bearer sk-ant-from-the-environment"
    assert scope["message"].content[0].text == "Hello there."
    assert capsys.readouterr().out == "Hello there."


def test_fields_the_sdk_does_not_take_go_in_extra_body(monkeypatch: pytest.MonkeyPatch) -> None:
    request = {**PARAMS, "temperature": 0.2, "top_k": 5}
    code = request_code(StreamState(request=request))
    assert "extra_body={'temperature': 0.2, 'top_k': 5}" in code
    server = MockAPI(every=text_stream("Hello there."), key=KEY)
    run_code(code, server, monkeypatch)
    assert server.sent() == {k: v for k, v in request.items()}


def test_which_turn_of_a_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    def get_weather(city: str) -> str:
        """Forecast."""
        return "sunny"

    turns = [
        [
            message_start(),
            *tool_events(0, "get_weather", {"city": "Lisbon"}),
            *message_end("tool_use"),
        ],
        [message_start(), *text_events(0, "Sunny."), *message_end()],
    ]
    loop = ToolLoop(ReplayClient(turns), model="claude-test", max_tokens=100, tools=[get_weather])
    loop.run("Weather?")
    first, last = run_request(loop, 0), run_request(loop)
    assert len(first["messages"]) == 1 and len(last["messages"]) == 3
    assert request_code(loop) != request_code(loop, turn=0)
    server = MockAPI(every=text_stream("Hello there."), key=KEY)
    run_code(request_code(loop), server, monkeypatch)
    assert server.sent()["messages"] == json.loads(json.dumps(last["messages"]))
    assert server.sent()["tools"] == loop.tool_params


def test_unknown_requests_and_styles() -> None:
    with pytest.raises(ValueError, match="request of this run is not known"):
        request_code(StreamState().apply_all(text_stream("x")))
    with pytest.raises(ValueError, match="style must be"):
        request_code(PARAMS, "ruby")  # type: ignore[arg-type]
    assert "client.messages.stream(" in request_code(PARAMS)


# ---------------------------------------------------------------------------- curl


class Capture(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        Capture.seen.append((self.path, dict(self.headers.items()), body))
        payload = sse_body(text_stream("ok"))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_api() -> Iterator[str]:
    Capture.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("betas", [None, ["b1", "b2"]])
def test_the_curl_command_sends_the_same_request(
    betas: list[str] | None, local_api: str, tmp_path: Path
) -> None:
    original = record_tricky(tmp_path / "run.jsonl", betas)
    command = request_code(tmp_path / "run.jsonl", "curl")
    assert shutil.which("curl"), "curl is needed to run the command (scripts/test installs it)"
    assert KEY not in command and "$ANTHROPIC_API_KEY" in command
    result = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        env={
            "ANTHROPIC_API_KEY": "sk-ant-env",
            "ANTHROPIC_BASE_URL": local_api,
            "PATH": "/usr/bin:/bin",
        },
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert b"message_stop" in result.stdout
    [(path, headers, body)] = Capture.seen
    assert path == "/v1/messages"
    assert json.loads(body) == original.bodies[0]  # the same request, stream too
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["x-api-key"] == "sk-ant-env"
    assert lower["anthropic-version"] == original.headers[0]["anthropic-version"]
    assert lower.get("anthropic-beta") == original.headers[0].get("anthropic-beta")
    assert lower["content-type"] == "application/json"


def test_the_gallery_loop_turn_is_resent_on_the_beta_endpoint() -> None:
    path = gallery.conversation("tool_loop")[-1]
    code = request_code(path)
    assert "client.beta.messages.stream(" in code and "betas=['interleaved-thinking" in code
    request = read_cassette(path).request
    assert request is not None
    curl = request_code(path, "curl")
    body = curl.split("<<'STREAMSCOPE_REQUEST'\n", 1)[1].rsplit("\nSTREAMSCOPE_REQUEST", 1)[0]
    sent = json.loads(body)
    assert sent.pop("stream") is True
    assert sent == {k: v for k, v in request.items() if k != "betas"}
