"""Credentials by role (issue 19): a canary planted every way a secret can come in never
reaches a file, a page, a comm message or the clipboard; everything else (prompts, tool
schemas, tool inputs, thinking and signatures, metadata.user_id) is kept byte for byte, and
the code to send the request again sends what was sent, less credentials."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from html_checks import tree
from mock_api import MockAPI
from streams import message_end, message_start, text_events, text_stream, tool_events
from test_resend import Capture, run_code
from test_resend import local_api as local_api  # the fixture
from view_harness import Recorder, deliver, page_parts

from streamscope.core import StreamState, ToolLoop, record, request_code
from streamscope.core.io.cassette import read_cassette, sanitize_meta
from streamscope.core.loop.export import load_conversation
from streamscope.core.loop.recorder import TurnRecorder
from streamscope.core.wire.credentials import is_credential_field, is_secret_key, lookalikes
from streamscope.core.wire.request import clean_request, left_out
from streamscope.widgets import ConversationView, StreamView

CANARY = "CANARY7f3a9"
"""In every secret planted: no written byte, page, message or copy may hold it."""

CLIENT_KEY = f"sk-ant-api03-{CANARY}clientkey0000000000"
SECRETS: dict[str, Any] = {
    "extra_headers": {
        "Authorization": f"Bearer {CANARY}-extra-authorization",
        "x-api-key": f"{CANARY}-extra-x-api-key",
        "X-Custom-Auth": f"{CANARY}-extra-custom",
    },
    "extra_body": {
        "anthropic_key": f"{CANARY}-body-anthropic-key",
        "service_token": f"{CANARY}-body-service-token",
        "apiKey": f"{CANARY}-body-apikey",
        "note": f"sk-ant-api03-{CANARY}bodyvalue0000",  # a key-shaped value, any name
        "top_k": 3,  # not a credential: sent, and kept
    },
    "extra_query": {"key": f"{CANARY}-query-key", "region": "eu"},
}
META = {
    "authkey": f"{CANARY}-meta-authkey",
    "refresh_tokens": [f"{CANARY}-meta-refresh"],
    "mytokens": {"a": f"{CANARY}-meta-mytokens"},
    "dbpassword_hash": f"{CANARY}-meta-dbpassword",
    "creds": f"{CANARY}-meta-creds",
    "AUTH": 12345,
    "run": "nightly",
}

# The user's data: must be kept byte for byte everywhere.
FETCH_TOOL: dict[str, Any] = {
    "name": "fetch_page",
    "description": "Fetch a page. Example: Authorization: Bearer example-token-123",
    "input_schema": {
        "type": "object",
        "properties": {
            "url": {"type": "string"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "password": {"type": "string"},
        },
        "required": ["url"],
    },
}
PROMPT = (
    "Explain this header: `Authorization: Bearer example-token-123` and why sk-live-"
    "0123456789abcdefXYZ in a README is bad. password=hunter2 api_key: demo"
)
HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": PROMPT},
    {
        "role": "assistant",
        "content": [
            {
                "type": "thinking",
                "thinking": "The user pasted api_key=abc; Bearer xyz is an example.",
                "signature": "EqQBCkYIBxgCKkBsig+/=token=secret==",
            },
            {
                "type": "tool_use",
                "id": "toolu_01",
                "name": "fetch_page",
                "input": {
                    "url": "https://example.invalid/?api_key=demo&token=t",
                    "headers": {"Accept": "text/html", "Authorization": "Basic demo"},
                    "password": "example",
                },
            },
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01", "content": "secret=42 <b>ok</b>"}
        ],
    },
]
BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 512,
    "system": "Never print a password.",
    "tools": [FETCH_TOOL],
    "metadata": {"user_id": "Bearer userdata-abcdefgh"},
    "messages": HISTORY,
}


def sdk_client(api: MockAPI, credential: str = "api_key") -> anthropic.Anthropic:
    """The real SDK client with a client-level credential (``api_key`` or ``auth_token``:
    the SDK takes one) and a default header planted."""
    key = CLIENT_KEY if credential == "api_key" else None
    token = f"{CANARY}-client-auth-token" if credential == "auth_token" else None
    return anthropic.Anthropic(
        api_key=key,
        auth_token=token,
        default_headers={"X-Default-Token": f"{CANARY}-default-header"},
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(api.respond)),
    )


def expected_request(sent: dict[str, Any]) -> dict[str, Any]:
    """What was sent, less stream and the credential-shaped extra_body fields."""
    body = {k: v for k, v in sent.items() if k != "stream"}
    for name in ("anthropic_key", "service_token", "apiKey", "note"):
        body.pop(name)
    return body


def assert_no_canary(where: str, text: str | bytes) -> None:
    data = text if isinstance(text, str) else text.decode("utf-8", "replace")
    assert CANARY not in data, (
        f"a secret reached {where}: ...{data[data.find(CANARY) - 80 :][:160]}"
    )


def every_written_file(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- the rule


def test_the_rule_by_role() -> None:
    for name in ("authkey", "refresh_tokens", "mytokens", "dbpassword_hash", "creds", "AUTH"):
        assert is_secret_key(name), name
    for name in ("max_tokens", "run", "model", "temperature"):
        assert not is_secret_key(name), name
    assert is_credential_field("service_token", 1) and is_credential_field("anthropic_key", "")
    assert is_credential_field("note", "sk-ant-api03-abcdefghijkl")
    assert not is_credential_field("top_k", 3) and not is_credential_field("max_tokens", 9)
    kwargs = {**BODY, **SECRETS, "api_key": CLIENT_KEY, "timeout": 5, "stream": True}
    cleaned = clean_request(kwargs)
    assert CANARY not in json.dumps(cleaned)
    assert cleaned == {**BODY, "top_k": 3}  # the user's data untouched, top_k sent in the body
    omitted = left_out(kwargs)
    assert "api_key" in omitted and "timeout" in omitted
    assert "extra_headers (Authorization, x-api-key, X-Custom-Auth)" in omitted
    assert "extra_query (key, region)" in omitted
    assert {"extra_body.anthropic_key", "extra_body.service_token", "extra_body.note"} <= set(
        omitted
    )
    assert CANARY not in " ".join(omitted)  # names only, never a value
    meta = sanitize_meta({**META, "request": kwargs})
    assert CANARY not in json.dumps(meta)
    assert meta == {"run": "nightly", "request": {**BODY, "top_k": 3}}


def test_lookalikes_are_found_not_changed() -> None:
    found = lookalikes(BODY)
    places = [item.where for item in found]
    assert "metadata.user_id" in places  # a bearer token's shape: warned, kept
    assert "messages[0].content" in places
    assert "tools[0].description" in places
    assert all(item.what for item in found)
    assert lookalikes({"messages": [{"role": "user", "content": "hello"}]}) == []


# --------------------------------------------------------------------------- a recorded stream


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, MockAPI]:
    """``BODY`` with every secret planted, recorded through the real SDK."""
    api = MockAPI(every=text_stream("Checked."))
    client = sdk_client(api)
    path = tmp_path / "run.jsonl"
    manager = client.messages.stream(**BODY, **SECRETS)
    list(record(manager, path, meta=META))
    # the secrets did go out (this is what is recorded against)
    sent = api.raw[0].decode()
    assert f"{CANARY}-body-service-token" in sent
    assert api.headers[0]["authorization"].endswith("extra-authorization")
    return path, api


def test_a_recording_keeps_the_request_less_credentials(
    recorded: tuple[Path, MockAPI], tmp_path: Path
) -> None:
    path, api = recorded
    for name, data in every_written_file(tmp_path).items():
        assert_no_canary(name, data)
    cassette = read_cassette(path)
    assert cassette.request == expected_request(api.bodies[0])
    assert cassette.meta["run"] == "nightly" and "authkey" not in cassette.meta
    raw = path.read_text("utf-8")
    assert json.dumps(PROMPT)[1:-1] in raw  # byte for byte, the example key too


def test_the_code_to_send_it_again_sends_what_was_sent_less_credentials(
    recorded: tuple[Path, MockAPI], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, api = recorded
    expected = expected_request(api.bodies[0])
    python = request_code(path)
    curl = request_code(path, "curl")
    assert_no_canary("request_code (Python)", python)
    assert_no_canary("request_code (curl)", curl)
    assert python.startswith("# The request as it was sent, less credentials")
    again = MockAPI(every=text_stream("Checked."))
    run_code(python, again, monkeypatch)
    assert again.sent() == expected
    assert again.sent()["tools"][0]["input_schema"]["properties"]["password"] == {"type": "string"}
    body = curl.split("<<'STREAMSCOPE_REQUEST'\n", 1)[1].rsplit("\nSTREAMSCOPE_REQUEST", 1)[0]
    sent = json.loads(body)
    assert sent.pop("stream") is True and sent == expected
    # a request given as keywords: the comment names what was left out, never its value
    code = request_code({**BODY, **SECRETS, "api_key": CLIENT_KEY})
    assert_no_canary("request_code of keywords", code)
    assert "# Left out (not written here): " in code and "extra_body.service_token" in code
    scope: dict[str, Any] = {}
    monkeypatch.undo()
    again = MockAPI(every=text_stream("Checked."))
    run_code(code, again, monkeypatch)
    assert again.sent() == {**BODY, "top_k": 3}
    del scope


def test_a_view_never_shows_or_sends_a_secret(
    recorded: tuple[Path, MockAPI], tmp_path: Path
) -> None:
    path, api = recorded
    state = StreamState(request=read_cassette(path).request)
    # and a view fed from the live SDK stream, which reads the request from the SDK
    view = StreamView(flush_timer=False)
    rec = Recorder(view)
    initial = json.loads(json.dumps(view.picture))
    client = sdk_client(MockAPI(every=text_stream("Checked.")))
    view.consume(client.messages.stream(**BODY, **SECRETS))
    assert view.state.request == expected_request(api.bodies[0])
    deliver(view, {"type": "want", "region": "lazy:request/code"})
    parts = page_parts(initial, rec.patches)
    code = tree("".join(parts["lazy:request/code"]))
    copies = [block.text() for block in code.select(tag="pre")]  # what Copy puts on the clipboard
    assert len(copies) == 2
    for text in copies:
        assert_no_canary("the clipboard", text)
        assert "example-token-123" in text  # the prompt's example, as written
    warning = "".join(parts["request"])
    assert "ss-request-warn" in warning and "metadata.user_id" in warning
    assert "example-token-123" not in warning  # the warning says where, not what
    assert_no_canary("the comm messages", json.dumps(rec.messages))
    view.export_html(tmp_path / "view.html")
    view.export_json(tmp_path / "view.json")
    assert_no_canary("the static picture", view.static_html())
    other = StreamView(state=state, flush_timer=False)
    assert_no_canary("a picture of the recorded state", other.static_html())
    for name, data in every_written_file(tmp_path).items():
        assert_no_canary(name, data)


# --------------------------------------------------------------------------- a tool loop


def fetch_page(url: str, headers: dict[str, str] | None = None, password: str = "") -> str:
    """Fetch a page (Example: Authorization: Bearer example-token-123)."""
    return f"fetched {url} with {sorted(headers or {})} secret=42"


def test_a_tool_loop_writes_and_shows_no_secret(tmp_path: Path) -> None:
    tool_input = {
        "url": "https://example.invalid/?api_key=demo",
        "headers": {"Accept": "text/html"},
        "password": "example",
    }
    api = MockAPI(
        [
            [
                message_start(),
                *tool_events(0, "fetch_page", tool_input, tool_id="toolu_01"),
                *message_end("tool_use"),
            ],
            [message_start(), *text_events(0, "Done."), *message_end()],
        ]
    )
    loop = ToolLoop(
        sdk_client(api, "auth_token"),
        model="claude-sonnet-4-5",
        max_tokens=512,
        tools=[fetch_page],
        system="Never print a password.",
        metadata={"user_id": "Bearer userdata-abcdefgh"},
        observer=TurnRecorder(tmp_path / "turns", name="run", meta=META),
        **SECRETS,
    )
    view = ConversationView(loop, flush_timer=False)
    rec = Recorder(view)
    initial = json.loads(json.dumps(view.picture))
    loop.run(PROMPT)
    assert loop.stop_reason == "end_turn", loop.failure
    # the tool got its input as the model wrote it, headers and password included
    assert api.bodies[1]["messages"][1]["content"][0]["input"] == tool_input
    loop.export_json(tmp_path / "conversation.json")
    (tmp_path / "static.html").write_text(view.to_html(), "utf-8")
    # the newest turn's request box, opened: its code says what it left out, and no more
    deliver(view, {"type": "want", "region": "lazy:t2.request/code"})
    code = "".join(page_parts(initial, rec.patches)["lazy:t2.request/code"])
    assert "client.messages.stream(" in code and "extra_body.service_token" in code
    assert_no_canary("the ConversationView's messages", json.dumps(rec.messages))
    for name, data in every_written_file(tmp_path).items():
        assert_no_canary(name, data)
    # the export is the conversation as sent (less credentials), user_id included
    params, messages = load_conversation(tmp_path / "conversation.json", beta=False)
    sent = api.bodies[1]
    assert messages[: len(sent["messages"])] == sent["messages"]
    assert params["metadata"] == {"user_id": "Bearer userdata-abcdefgh"}
    assert params["tools"] == sent["tools"]
    assert "password" in params["tools"][0]["input_schema"]["properties"]
    assert "headers" in params["tools"][0]["input_schema"]["properties"]
    # each turn's recording holds the request as sent, less credentials
    for number, turn_file in enumerate(sorted((tmp_path / "turns").glob("*.jsonl"))):
        assert read_cassette(turn_file).request == expected_request(api.bodies[number])


# --------------------------------------------------------------------------- shell-safe curl

HOSTILE = [
    "b1,$(touch /tmp/pwned)",
    "b2`id`'\"",
    "b3 ; rm -rf ~ #",
    "b4\\$HOME{a,b}*?[x]",
    "b5 é ☕ \t tab",
]


def test_curl_gives_every_header_to_curl_as_one_argument(tmp_path: Path) -> None:
    request = {**BODY, "betas": HOSTILE}
    command = request_code(request, "curl")
    marker = tmp_path / "pwned"
    # printf in place of curl: the shell's argv, one argument a line (NUL-separated)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "curl").write_text('#!/bin/bash\nprintf "%s\\0" "$@"\ncat > /dev/null\n')
    (fake / "curl").chmod(0o755)
    result = subprocess.run(
        ["bash", "-c", command.replace("/tmp/pwned", str(marker))],
        capture_output=True,
        env={"PATH": f"{fake}:/usr/bin:/bin", "ANTHROPIC_API_KEY": "k", "HOME": str(tmp_path)},
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    argv = result.stdout.decode().split("\0")[:-1]
    headers = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--header"]
    expected_beta = "anthropic-beta: " + ",".join(HOSTILE).replace("/tmp/pwned", str(marker))
    assert expected_beta in headers
    assert headers[0] == "x-api-key: k" and "content-type: application/json" in headers
    assert len(headers) == 4 and not marker.exists()


@pytest.mark.parametrize("bad", ["good\nX-Injected: yes", "good\r\nX: y", "a\rb", "nul\x00"])
def test_curl_refuses_a_header_value_with_a_line_break(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot hold a line break"):
        request_code({**BODY, "betas": [bad]}, "curl")
    assert "betas=" in request_code({**BODY, "betas": [bad]})  # Python quotes it exactly


def test_real_curl_sends_hostile_header_values_as_they_are(local_api: str) -> None:
    assert shutil.which("curl"), "curl is needed (scripts/test installs it)"
    betas = [b for b in HOSTILE if "$(" not in b and "~" not in b]
    command = request_code({**BODY, "betas": betas}, "curl")
    result = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": local_api},
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    [(_path, headers, body)] = Capture.seen
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["anthropic-beta"].encode("latin-1").decode() == ",".join(betas)
    assert "x-injected" not in lower
    sent = json.loads(body)
    assert sent.pop("stream") is True and sent == BODY
