"""The ``%%claude`` magic in a real ipykernel (jupyter_client), with no API key in its
environment: ``{name}`` filled from the notebook, the options as the request sent, the bound
result, the no-key message, ``--replay``, ``--continue``, ``--compare``/``--samples``, the
help, and a Stop clicked while the cell awaits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from test_view_kernel import Kernel, Run

pytestmark = pytest.mark.kernel

_TOKEN = re.compile(r'data-ss-token=\\?"([0-9a-f]+)')


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ANTHROPIC_API_KEY", raising=False)  # the kernel inherits this env
        k = Kernel(tmp_path_factory.mktemp("kernelspec"))
    try:
        setup = k.execute(
            "%load_ext streamscope\nimport json, os\nprint('ANTHROPIC_API_KEY' in os.environ)"
        )
        _ok(setup)
        assert setup.stdout().strip() == "False"
        yield k
    finally:
        k.close()


def _ok(run: Run) -> None:
    content = run.reply["content"]
    assert content["status"] == "ok", "\n".join(content.get("traceback", []))


def _stderr(run: Run) -> str:
    return "".join(
        m["content"]["text"] for m in run.of_type("stream") if m["content"]["name"] == "stderr"
    )


def _value(kernel: Kernel, expression: str) -> Any:
    run = kernel.execute(f"print(json.dumps({expression}))")
    _ok(run)
    return json.loads(run.stdout().strip().splitlines()[-1])


def test_options_interpolation_and_the_bound_result(kernel: Kernel) -> None:
    _ok(kernel.execute("doc = 'the Q3 report'\ntopic = 'finance'"))
    run = kernel.execute(
        "%%claude --replay capacity_thinking_on --model claude-haiku-4-5 --max-tokens 3000"
        ' --thinking 2000 --system "Be brief about {topic}." --cache --out answer\n'
        "Summarise {doc} in {{three}} bullet points.\n"
    )
    _ok(run)
    assert "execute_result" not in {m["msg_type"] for m in run.messages}  # nothing echoed
    request = _value(kernel, "answer.state.request")
    assert request["model"] == "claude-haiku-4-5"
    assert request["max_tokens"] == 3000
    assert request["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert request["system"] == [
        {"type": "text", "text": "Be brief about finance.", "cache_control": {"type": "ephemeral"}}
    ]
    assert request["messages"] == [
        {"role": "user", "content": "Summarise the Q3 report in {three} bullet points."}
    ]
    assert _value(kernel, "[type(answer).__name__, answer.status]") == ["StreamView", "done"]
    assert _value(kernel, "'_claude' in globals()") is False  # --out: bound there only
    # live first (the widget and patches), then the output is the static picture
    assert run.comm_msgs
    (final,) = run.of_type("update_display_data")
    assert set(final["content"]["data"]) == {"text/html", "text/plain"}
    assert (
        "8 workers" in final["content"]["data"]["text/html"]
        or "workers" in final["content"]["data"]["text/html"]
    )


def test_continue_sends_the_conversation_so_far(kernel: Kernel) -> None:
    _ok(kernel.execute("%%claude --replay capacity_thinking_off\nHow many workers?\n"))
    run = kernel.execute("%%claude --replay capacity_thinking_off --continue\nAnd at peak?\n")
    _ok(run)
    messages = _value(kernel, "_claude.state.request['messages']")
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"] == "How many workers?"
    assert messages[1]["content"][0]["type"] == "text"
    assert "8 workers" in messages[1]["content"][0]["text"]
    assert messages[2]["content"] == "And at peak?"


def test_no_key_says_how_to_set_it_and_binds_nothing(kernel: Kernel) -> None:
    _ok(kernel.execute("_claude = None"))
    run = kernel.execute("%%claude\nHello\n")
    _ok(run)
    text = _stderr(run)
    assert "No ANTHROPIC_API_KEY" in text
    assert "export ANTHROPIC_API_KEY" in text and "--replay" in text
    assert _value(kernel, "_claude") is None
    assert not run.of_type("display_data")


def test_an_unknown_name_is_reported(kernel: Kernel) -> None:
    run = kernel.execute("%%claude --replay capacity_thinking_off\nSummarise {nowhere}.\n")
    _ok(run)
    assert "no variable 'nowhere'" in _stderr(run)


def test_compare_and_samples_run_side_by_side(kernel: Kernel) -> None:
    run = kernel.execute(
        "%%claude --replay capacity_thinking_on,capacity_thinking_off,capacity_thinking_on,"
        "capacity_thinking_off --compare claude-sonnet-4-5,claude-haiku-4-5 --samples 2"
        " --max-tokens 8192\nHow many workers?\n"
    )
    _ok(run)
    result = _value(
        kernel,
        "[type(_claude).__name__, list(_claude.comparison.labels),"
        " _claude.comparison.runs[2].requests[0]['model']]",
    )
    assert result == [
        "ComparisonView",
        [
            "claude-sonnet-4-5 #1",
            "claude-sonnet-4-5 #2",
            "claude-haiku-4-5 #1",
            "claude-haiku-4-5 #2",
        ],
        "claude-haiku-4-5",
    ]
    (final,) = run.of_type("update_display_data")
    assert "ss-compare-table" in final["content"]["data"]["text/html"]


def test_help(kernel: Kernel) -> None:
    run = kernel.execute("%claude?")
    _ok(run)
    payload = run.reply["content"].get("payload", [])
    text = "".join(p.get("data", {}).get("text/plain", "") for p in payload)
    for option in ("--model", "--thinking", "--compare", "--samples", "--replay", "--continue"):
        assert option in text


def test_stop_is_heard_while_the_magic_awaits(kernel: Kernel) -> None:
    state: dict[str, Any] = {"comm_id": None, "sent": False}

    def on_message(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "comm_open":
            state["comm_id"] = msg["content"]["comm_id"]
        elif msg["msg_type"] == "comm_msg" and not state["sent"]:
            data = msg["content"]["data"]
            found = _TOKEN.search(json.dumps(data))
            if found and data.get("method") == "custom":
                kernel.send_custom(
                    state["comm_id"], {"type": "action", "action": "stop", "token": found[1]}
                )
                state["sent"] = True

    # thinking_summarized takes 18 s at its recorded pace: Stop is sent with its first patch
    run = kernel.execute(
        "%%claude --replay thinking_summarized\nIs this date valid?\n", on_message=on_message
    )
    _ok(run)
    assert state["sent"]
    assert _value(kernel, "[_claude.stopped, _claude.status]") == [True, "stopped"]


def test_tools_and_record(kernel: Kernel, tmp_path: Any) -> None:
    path = tmp_path / "run.jsonl"
    _ok(
        kernel.execute(
            "from streamscope.core import tool\n"
            "@tool\n"
            "def get_weather(city: str) -> str:\n"
            "    '''Forecast for a city.'''\n"
            "    return 'sunny'\n"
            "TOOLS = [get_weather, {'name': 'noop', 'input_schema': {'type': 'object'}}]"
        )
    )
    run = kernel.execute(
        f"%%claude --replay capacity_thinking_off --tools TOOLS --record {path}\nWeather?\n"
    )
    _ok(run)
    tools = _value(kernel, "_claude.state.request['tools']")
    assert [t["name"] for t in tools] == ["get_weather", "noop"]
    assert tools[0]["input_schema"]["properties"]["city"]["type"] == "string"
    # the recording holds the stream and the request, and no key
    from streamscope.core.io.cassette import read_cassette

    cassette = read_cassette(path)
    assert cassette.events[-1]["type"] == "message_stop"
    assert cassette.request is not None and cassette.request["tools"][1]["name"] == "noop"
    assert "sk-" not in path.read_text(encoding="utf-8")
