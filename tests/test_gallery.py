"""The gallery: shipped recordings, their index, what they reduce to, and the generator.

Every recording listed in the index must exist, load, match the index (events, bytes,
duration) and reduce through StreamState with exactly the expected stop reason, error and
problems. The teaching points are checked one by one (parallel calls in start order after
thinking, the 200 KB argument, cache miss then hit, citations, the tool loop's coherence).
Regenerating with scripts/make_gallery.py must give the same bytes.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import statistics
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from streams import StreamBuilder, estimate_tokens, write_synthetic_cassette

from streamscope.core.io import gallery
from streamscope.core.io.cassette import read_cassette
from streamscope.core.stream.blocks import (
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.core.stream.state import StreamState

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_gallery.py"

# name -> (stop_reason, error type, problem kinds): written out here, not read from the index
EXPECTED: dict[str, tuple[str | None, str | None, tuple[str, ...]]] = {
    "parallel_tools": ("tool_use", None, ()),
    "thinking_summarized": ("end_turn", None, ()),
    "thinking_omitted": ("end_turn", None, ()),
    "thinking_redacted": ("end_turn", None, ()),
    "cache_miss": ("end_turn", None, ()),
    "cache_hit": ("end_turn", None, ()),
    "web_search": ("end_turn", None, ()),
    "write_file_200kb": ("tool_use", None, ()),
    "max_tokens_mid_tool": ("max_tokens", None, ("block_never_stopped",)),
    "overloaded_error": (None, "overloaded_error", ("block_never_stopped",)),
    "tool_loop.turn1": ("tool_use", None, ()),
    "tool_loop.turn2": ("tool_use", None, ()),
    "tool_loop.turn3": ("tool_use", None, ()),
    "tool_loop.turn4": ("end_turn", None, ()),
    "invalid_tool_arguments": ("tool_use", None, ()),
    "capacity_thinking_on": ("end_turn", None, ()),
    "capacity_thinking_off": ("end_turn", None, ()),
    "three_models_haiku": ("end_turn", None, ()),
    "three_models_sonnet": ("end_turn", None, ()),
    "three_models_opus": ("end_turn", None, ()),
    **{f"poem_sample_{k}": ("end_turn", None, ()) for k in range(1, 6)},
    "weekend_parallel.turn1": ("tool_use", None, ()),
    "weekend_parallel.turn2": ("end_turn", None, ()),
    "weekend_sequential.turn1": ("tool_use", None, ()),
    "weekend_sequential.turn2": ("tool_use", None, ()),
    "weekend_sequential.turn3": ("tool_use", None, ()),
    "weekend_sequential.turn4": ("end_turn", None, ()),
    **{
        f"{pair}.turn{n}": ("end_turn", None, ())
        for pair in (
            "cache_timestamp",
            "cache_tools_reordered",
            "cache_message_edited",
            "cache_ttl_lapsed",
            "cache_appended",
        )
        for n in (1, 2)
    },
    # today's API (scripts/gallery_today.py; tests/test_gallery_today.py)
    "code_execution": ("end_turn", None, ()),
    "web_fetch": ("end_turn", None, ()),
    "mcp_call": ("end_turn", None, ()),
    "compaction": ("end_turn", None, ()),
    "fallback": ("end_turn", None, ()),
    "context_editing": ("end_turn", None, ()),
    "tool_search": ("tool_use", None, ()),
    "thinking_estimate": ("end_turn", None, ()),
    "refusal": ("refusal", None, ()),
    "cache_diagnostics": ("end_turn", None, ()),
}
NAMES = sorted(EXPECTED)
CONVERSATIONS = {
    "tool_loop": 4,
    "weekend_parallel": 2,
    "weekend_sequential": 4,
    "cache_timestamp": 2,
    "cache_tools_reordered": 2,
    "cache_message_edited": 2,
    "cache_ttl_lapsed": 2,
    "cache_appended": 2,
}


def reduce(name: str) -> StreamState:
    cassette = gallery.load(name)
    state = StreamState(started_at=0.0)
    for t, event in cassette.timed_events():
        state.apply(event, at=t)
    state.finish()
    return state


@pytest.fixture(scope="module")
def states() -> dict[str, StreamState]:
    return {name: reduce(name) for name in NAMES}


def load_script() -> ModuleType:
    if not SCRIPT.exists():
        pytest.skip("scripts/make_gallery.py is not here (installed package only)")
    name = "_streamscope_make_gallery"
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- index and files


def test_index_lists_exactly_the_expected_recordings() -> None:
    assert sorted(r.name for r in gallery.list_recordings()) == NAMES
    found = {c.name: list(c.turns) for c in gallery.list_conversations()}
    assert found == {
        name: [f"{name}.turn{i}" for i in range(1, n + 1)] for name, n in CONVERSATIONS.items()
    }


@pytest.mark.parametrize("name", NAMES)
def test_recording_exists_loads_and_matches_its_index_entry(name: str) -> None:
    info = gallery.info(name)
    path = gallery.path(name)
    assert path.is_file() and path.name == info.file == f"{name}.jsonl"
    cassette = gallery.load(name)
    assert cassette.problems == []
    assert cassette.version == 1
    assert len(cassette.events) == info.events == len(gallery.load_events(name))
    assert path.stat().st_size == info.bytes
    times = [t for t in cassette.times if t is not None]
    assert len(times) == len(cassette.times)
    assert times[0] == 0.0
    assert times == sorted(times)
    assert times[-1] == pytest.approx(info.duration, abs=1e-6)
    meta = cassette.meta
    assert meta["title"] == info.title and meta["description"] == info.description
    assert meta["model"] == info.model == cassette.events[0]["message"]["model"]
    assert meta["synthetic"] is True
    assert (info.stop_reason, info.error, info.problems) == EXPECTED[name]


def test_index_json_matches_the_folder_and_data_stays_small() -> None:
    folder = gallery.path("cache_hit").parent
    files = {p.name for p in folder.iterdir() if p.suffix in (".jsonl", ".json")}
    assert files == {r.file for r in gallery.list_recordings()} | {"index.json"}
    total = sum(r.bytes for r in gallery.list_recordings())
    assert total < 1_000_000
    assert max(gallery.list_recordings(), key=lambda r: r.bytes).name == "write_file_200kb"


@pytest.mark.parametrize("name", NAMES)
def test_reduces_with_exactly_the_expected_problems(
    name: str, states: dict[str, StreamState]
) -> None:
    state = states[name]
    stop_reason, error, problems = EXPECTED[name]
    assert tuple(p.kind for p in state.problems) == problems
    assert state.stop_reason == stop_reason
    assert (state.error or {}).get("type") == error
    assert state.unknown_events == []


def test_index_markdown() -> None:
    text = gallery.index_markdown()
    assert text.startswith("| name | what it shows | model | events | size | duration |")
    for r in gallery.list_recordings():
        assert f"`{r.name}`" in text
    assert "`tool_loop` (4 turns)" in text and "`weekend_sequential` (4 turns)" in text
    assert "6 min" in text  # the 200 KB write takes minutes at a realistic rate


def test_the_readme_lists_the_gallery_as_it_is() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = gallery.index_markdown().rstrip("\n")
    assert table in readme, "paste gallery.index_markdown() into the README's Gallery section"


def test_unknown_names_are_helpful() -> None:
    with pytest.raises(KeyError, match="did you mean 'web_search'"):
        gallery.load("web_serch")
    with pytest.raises(KeyError, match=r"conversation\('tool_loop'\)"):
        gallery.path("tool_loop")
    with pytest.raises(KeyError, match="no conversation"):
        gallery.conversation("parallel_tools")


def test_recordings_load_from_a_zip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Not on a file system (zipped install): files are copied out to a real path."""
    folder = gallery.path("cache_hit").parent
    archive = tmp_path / "gallery.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in folder.iterdir():
            z.write(p, f"recordings/{p.name}")
    with zipfile.ZipFile(archive) as z:
        monkeypatch.setattr(gallery, "_folder", lambda: zipfile.Path(z, "recordings/"))
        gallery._index.cache_clear()
        try:
            path = gallery.path("cache_hit")
            assert path.is_file() and not str(path).startswith(str(folder))
            assert path.read_bytes() == (folder / "cache_hit.jsonl").read_bytes()
            assert len(gallery.conversation("tool_loop")) == 4
        finally:
            gallery._index.cache_clear()


# --------------------------------------------------------------------------- realism


ID = re.compile(r"^(msg|toolu|srvtoolu|mcptoolu)_01[0-9A-Za-z]{22}$")


@pytest.mark.parametrize("name", NAMES)
def test_wire_shapes_ids_and_pacing_are_realistic(name: str) -> None:
    cassette = gallery.load(name)
    events = cassette.events
    times = [t for t in cassette.times if t is not None]
    assert events[0]["type"] == "message_start"
    assert ID.match(events[0]["message"]["id"])
    usage = events[0]["message"]["usage"]
    assert set(usage) >= {
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cache_creation",
        "output_tokens",
    }
    # one ping, right after the first block starts
    assert [e["type"] for e in events[1:3]] == ["content_block_start", "ping"]
    assert sum(e["type"] == "ping" for e in events) == 1
    for e in events:
        if e["type"] == "content_block_start" and "id" in e["content_block"]:
            assert ID.match(e["content_block"]["id"])
    assert 0.4 <= cassette.meta["time_to_first_event"] <= 1.5
    text_pieces = [
        e["delta"]["text"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
    ]
    if len(text_pieces) > 5:
        assert statistics.median(len(p) for p in text_pieces) <= 20  # a few words each
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g >= 0 for g in gaps)
    assert max(gaps) < 20


@pytest.mark.parametrize("name", NAMES)
def test_output_arrives_at_a_plausible_rate(name: str, states: dict[str, StreamState]) -> None:
    state = states[name]
    first = state.first_event_at or 0.0
    duration = (state.last_event_at or 0.0) - first
    tokens = state.usage.output_tokens
    if state.failed:  # no final usage: count what arrived
        tokens = sum(estimate_tokens(b.text) for b in state.blocks if isinstance(b, TextBlock))
    rate = tokens / duration
    assert 25 <= rate <= 250, f"{tokens} tokens in {duration:.1f} s"


# --------------------------------------------------------------------------- teaching points


def test_parallel_tools(states: dict[str, StreamState]) -> None:
    state = states["parallel_tools"]
    calls = state.tool_calls
    assert len(calls) >= 3
    assert [c.index for c in calls] == sorted(c.index for c in calls)
    assert [c.name for c in calls][:3] == ["get_weather", "search_flights", "find_hotels"]
    assert all(isinstance(c.input, dict) and c.input for c in calls)
    kinds = [b.type for b in state.blocks]
    assert kinds[0] == "thinking" and kinds[1] == "text"
    assert set(kinds[2:]) == {"tool_use"}
    thinking = state.blocks[0]
    assert isinstance(thinking, ThinkingBlock) and thinking.thinking and thinking.signature
    # back to back: each tool block starts right after the previous one stops
    events = gallery.load_events("parallel_tools")
    types = [(e["type"], e.get("index")) for e in events]
    for call in calls[1:]:
        at = types.index(("content_block_start", call.index))
        assert types[at - 1] == ("content_block_stop", call.index - 1)


def test_thinking_summarized(states: dict[str, StreamState]) -> None:
    state = states["thinking_summarized"]
    thinking, text = state.blocks
    assert isinstance(thinking, ThinkingBlock) and isinstance(text, TextBlock)
    assert len(thinking.thinking) > 500 and len(thinking.signature) > 200
    # the summary streams in larger pieces than the answer
    assert thinking.delta_count < len(thinking.thinking) / 40
    billed = state.usage.thinking_tokens
    assert billed is not None and billed > estimate_tokens(thinking.thinking)
    assert "| 8 | 62.5% |" in text.text


def test_thinking_omitted(states: dict[str, StreamState]) -> None:
    state = states["thinking_omitted"]
    thinking = state.blocks[0]
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.thinking == "" and thinking.signature
    assert (state.usage.thinking_tokens or 0) > 500
    # the model still thinks: a long silence before the signature
    assert thinking.started_at is not None and thinking.last_delta_at is not None
    assert thinking.last_delta_at - thinking.started_at > 5


def test_thinking_redacted(states: dict[str, StreamState]) -> None:
    state = states["thinking_redacted"]
    assert [b.type for b in state.blocks] == ["thinking", "redacted_thinking", "text"]
    redacted = state.blocks[1]
    assert isinstance(redacted, RedactedThinkingBlock) and len(redacted.data) > 200
    content = state.to_message()["content"]
    assert content[1] == {"type": "redacted_thinking", "data": redacted.data}


def test_write_file_200kb(states: dict[str, StreamState]) -> None:
    state = states["write_file_200kb"]
    [call] = state.tool_calls
    assert call.name == "write_file" and call.input_error is None
    assert len(call.input_json.encode()) >= 200_000
    content = call.input["content"]
    assert len(content.encode()) >= 200_000
    compile(content, call.input["path"], "exec")  # the generated module is valid Python


def test_cache_miss_then_hit_on_the_same_prefix(states: dict[str, StreamState]) -> None:
    miss, hit = states["cache_miss"].usage, states["cache_hit"].usage
    assert miss.cache_creation_input_tokens > 0 and miss.cache_read_input_tokens == 0
    assert hit.cache_read_input_tokens > 0 and hit.cache_creation_input_tokens == 0
    assert miss.total_input_tokens == hit.total_input_tokens
    assert miss.cache_write_5m_tokens == miss.cache_creation_input_tokens
    miss_meta, hit_meta = gallery.load("cache_miss").meta, gallery.load("cache_hit").meta
    assert miss_meta["request"] == hit_meta["request"]
    assert miss_meta["time_to_first_event"] > hit_meta["time_to_first_event"]


def test_web_search_with_citations(states: dict[str, StreamState]) -> None:
    state = states["web_search"]
    types = [b.type for b in state.blocks]
    assert types.count("server_tool_use") == 2 and types.count("web_search_tool_result") == 2
    result_urls = {
        r["url"]
        for b in state.to_message()["content"]
        if b["type"] == "web_search_tool_result"
        for r in b["content"]
    }
    citations = [c for b in state.blocks if isinstance(b, TextBlock) for c in (b.citations or [])]
    assert len(citations) >= 3
    assert {c["url"] for c in citations} <= result_urls
    assert state.usage.server_tool_use == {"web_search_requests": 2, "web_fetch_requests": 0}
    start_input = gallery.load_events("web_search")[0]["message"]["usage"]["input_tokens"]
    assert state.usage.input_tokens > start_input  # the results count as input


def test_max_tokens_mid_tool(states: dict[str, StreamState]) -> None:
    state = states["max_tokens_mid_tool"]
    block = state.blocks[-1]
    assert isinstance(block, ToolUseBlock) and block.name == "create_file"
    assert state.tool_calls == []  # never finished, so never to be run
    [problem] = state.problems
    assert problem.index == block.index
    assert (
        state.usage.output_tokens
        == gallery.load("max_tokens_mid_tool").meta["request"]["max_tokens"]
    )
    stops = [
        e for e in gallery.load_events("max_tokens_mid_tool") if e["type"] == "content_block_stop"
    ]
    assert block.index not in {e["index"] for e in stops}


def test_overloaded_error(states: dict[str, StreamState]) -> None:
    state = states["overloaded_error"]
    assert state.failed and state.error == {"type": "overloaded_error", "message": "Overloaded"}
    assert not state.ended and state.message_deltas == []
    [text] = state.blocks
    assert isinstance(text, TextBlock) and 300 < len(text.text) < 2000
    assert gallery.load_events("overloaded_error")[-1]["type"] == "error"


def test_tool_loop_turns_are_coherent(states: dict[str, StreamState]) -> None:
    paths = gallery.conversation("tool_loop")
    assert [p.name for p in paths] == [f"tool_loop.turn{i}.jsonl" for i in range(1, 5)]
    turns = [states[f"tool_loop.turn{i}"] for i in range(1, 5)]
    metas = [gallery.load(f"tool_loop.turn{i}").meta for i in range(1, 5)]
    assert [t.stop_reason for t in turns] == ["tool_use", "tool_use", "tool_use", "end_turn"]
    assert all(t.blocks[0].type == "thinking" for t in turns)  # interleaved thinking
    assert len(turns[1].tool_calls) >= 3
    assert [c.name for c in turns[2].tool_calls] == ["send_email"]
    assert all(meta["require_approval"] == ["send_email"] for meta in metas)
    # each request answers the previous turn's calls, by id and in order
    for previous, meta in zip(turns, metas[1:], strict=False):
        results = meta["request"]["messages"][-1]["content"]
        assert [r["tool_use_id"] for r in results] == [c.id for c in previous.tool_calls]
    assert metas[3]["approval"]["tool_use_id"] == turns[2].tool_calls[0].id
    # the conversation grows turn by turn while the cached prefix is read
    inputs = [t.usage.input_tokens for t in turns]
    assert inputs == sorted(inputs) and len(set(inputs)) == 4
    assert turns[0].usage.cache_creation_input_tokens > 0
    assert all(t.usage.cache_read_input_tokens > 0 for t in turns[1:])


def test_tool_loop_replays_through_the_projects_loop() -> None:
    import streamscope.core.io.replay_client as replay_module
    import streamscope.core.loop.tool_loop as loop_module

    cassettes = [gallery.load(f"tool_loop.turn{i}") for i in range(1, 5)]
    runs = json.loads(cassettes[1].meta["request"]["messages"][-1]["content"][0]["content"])
    logs = [r["content"] for r in cassettes[2].meta["request"]["messages"][-1]["content"]]

    def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict[str, Any]:
        """Runs of a CI pipeline."""
        return dict(runs)

    def get_team(team: str) -> dict[str, str]:
        """A team's contact details."""
        return {"team": team, "email": "platform-team@acme.example"}

    def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
        """The end of a job's log."""
        return str(logs[[r["id"] for r in runs["runs"]].index(run_id)])

    sent: list[dict[str, Any]] = []

    def send_email(to: list[str], subject: str, body: str) -> dict[str, str]:
        """Send an email."""
        sent.append({"to": to, "subject": subject})
        return {"status": "sent"}

    asked: list[str] = []

    def approve(call: Any) -> bool:
        asked.append(call.name)
        return True

    loop = loop_module.ToolLoop(
        replay_module.ReplayClient(gallery.conversation("tool_loop")),
        model="claude-sonnet-4-5-20250929",
        max_tokens=8192,
        tools=[list_ci_runs, get_team, get_job_log, send_email],
        require_approval=["send_email"],
        approve=approve,
    )
    loop.run("Why did the nightly pipeline fail last week?")
    assert loop.stop_reason == "end_turn" and len(loop.turns) == 4
    assert asked == ["send_email"] and sent[0]["to"] == ["platform-team@acme.example"]
    assert [r.name for r in loop.executions].count("get_job_log") == 3
    assert not any(r.is_error for r in loop.executions)


# --------------------------------------------------------------------------- the whole request


CLIENT_TOOLS = {
    "parallel_tools": ["get_weather", "search_flights", "find_hotels", "get_exchange_rate"],
    "write_file_200kb": ["read_file", "write_file", "run_tests"],
    "max_tokens_mid_tool": ["read_file", "create_file"],
    "invalid_tool_arguments": ["book_table"],
}


@pytest.mark.parametrize("name", NAMES)
def test_every_header_holds_the_whole_request_and_when_it_was_sent(name: str) -> None:
    cassette = gallery.load(name)
    request = cassette.request
    assert request is not None
    assert request["model"] == cassette.meta["model"] and isinstance(request["max_tokens"], int)
    assert request["messages"][0]["role"] == "user"
    assert not {"stream", "new_messages", "require_approval"} & set(request)
    for entry in request.get("tools", []):
        # a tool has a name; an MCP toolset names its server
        assert isinstance(entry, dict) and (entry.get("name") or entry["mcp_server_name"])
        if "type" not in entry:  # a client tool: its schema is there
            assert entry["input_schema"]["type"] == "object"
    if name in CLIENT_TOOLS:
        assert [t["name"] for t in request["tools"]] == CLIENT_TOOLS[name]
    assert cassette.request_at == -cassette.meta["time_to_first_event"]
    assert cassette.time_to_first_event == pytest.approx(cassette.meta["time_to_first_event"])


# The cache_* pairs are two separate requests each, not a loop (tests/test_cache_explain.py)
LOOPS = sorted(c for c in CONVERSATIONS if not c.startswith("cache_"))


@pytest.mark.parametrize("conversation", LOOPS)
def test_each_turn_sends_the_whole_conversation_so_far(
    conversation: str, states: dict[str, StreamState]
) -> None:
    names = [p.name.removesuffix(".jsonl") for p in gallery.conversation(conversation)]
    requests = [gallery.load(n).request for n in names]
    for n, (name, request) in enumerate(zip(names, requests, strict=True)):
        assert request is not None
        if n == 0:
            assert len(request["messages"]) == 1
            continue
        previous = requests[n - 1]
        assert previous is not None
        assert request["messages"][:-2] == previous["messages"]
        assistant, results = request["messages"][-2:]
        streamed = states[names[n - 1]].to_message()["content"]
        assert assistant == {"role": "assistant", "content": streamed}  # signatures too
        assert [r["tool_use_id"] for r in results["content"]] == [
            c.id for c in states[names[n - 1]].tool_calls
        ]
        same = {k: v for k, v in request.items() if k != "messages"}
        assert same == {k: v for k, v in previous.items() if k != "messages"}, name


def test_only_the_invalid_arguments_break_their_schemas() -> None:
    for name in NAMES:
        cassette = gallery.load(name)
        state = StreamState(request=cassette.request)
        state.apply_all(cassette.events)
        found = [str(v) for b in state.blocks if isinstance(b, ToolUseBlock) for v in b.violations]
        if name != "invalid_tool_arguments":
            assert found == [], name
    assert found == []
    state = StreamState(request=gallery.load("invalid_tool_arguments").request)
    state.apply_all(gallery.load_events("invalid_tool_arguments"))
    [block] = [b for b in state.blocks if isinstance(b, ToolUseBlock)]
    assert [v.keyword for v in block.violations] == [
        "pattern",
        "type",
        "enum",
        "additionalProperties",
        "required",
    ]


def test_weekend_parallel_and_sequential_ask_the_same_question() -> None:
    parallel = [read_cassette(p) for p in gallery.conversation("weekend_parallel")]
    sequential = [read_cassette(p) for p in gallery.conversation("weekend_sequential")]
    first_p, first_s = parallel[0].request, sequential[0].request
    assert first_p is not None and first_s is not None
    assert first_p["messages"] == first_s["messages"] and first_p["tools"] == first_s["tools"]
    assert "tool_choice" not in first_p
    assert first_s["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    calls = [
        [c.input["location"] for c in StreamState().apply_all(c.events).tool_calls]
        for c in (*parallel, *sequential)
    ]
    assert calls[0] == ["Lisbon, Portugal", "Porto, Portugal", "Seville, Spain"]
    assert calls[1] == [] and calls[-1] == []
    assert [c for turn in calls[2:5] for c in turn] == calls[0]


def test_capacity_with_and_without_thinking() -> None:
    on, off = gallery.load("capacity_thinking_on"), gallery.load("capacity_thinking_off")
    assert on.request is not None and off.request is not None
    assert on.request["messages"] == off.request["messages"]
    assert on.request["thinking"]["type"] == "enabled" and "thinking" not in off.request
    thinking = StreamState().apply_all(on.events)
    quick = StreamState().apply_all(off.events)
    assert [b.type for b in thinking.blocks] == ["thinking", "text"]
    assert [b.type for b in quick.blocks] == ["text"]
    assert (thinking.usage.thinking_tokens or 0) > 0 and quick.usage.thinking_tokens is None


# --------------------------------------------------------------------------- the generator


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("gallery")
    load_script().write_gallery(out)
    yield out


def test_regenerating_gives_byte_identical_files(regenerated: Path) -> None:
    folder = gallery.path("cache_hit").parent
    new = sorted(p.name for p in regenerated.iterdir())
    assert new == sorted(p.name for p in folder.iterdir() if p.suffix in (".jsonl", ".json"))
    for name in new:
        assert (regenerated / name).read_bytes() == (folder / name).read_bytes(), name


def builder(seed: int) -> StreamBuilder:
    b = StreamBuilder("claude-sonnet-4-5-20250929", seed=seed, max_tokens=200)
    b.thinking("Plan: look it up, then answer in one sentence.")
    b.text("Checking now.")
    b.tool_use("lookup", {"q": "x" * 40})
    b.tool_use("lookup", {"q": "y"})
    return b.stop("tool_use")


def test_builder_is_deterministic_and_seeded(tmp_path: Path) -> None:
    assert builder(3).build() == builder(3).build()
    assert builder(3).tool_ids == builder(3).tool_ids
    assert builder(3).tool_ids != builder(4).tool_ids
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_synthetic_cassette(a, builder(3).build(), {"title": "t", "api_key": "sk-ant-x"})
    write_synthetic_cassette(b, builder(3).build(), {"title": "t", "api_key": "sk-ant-x"})
    assert a.read_bytes() == b.read_bytes() and b"sk-ant" not in a.read_bytes()
    shifted = builder(3).build(from_request=True)
    assert shifted[0][0] == builder(3).time_to_first_event


def test_builder_usage_and_endings() -> None:
    events = builder(5).events()
    final = next(e for e in events if e["type"] == "message_delta")["usage"]
    assert final["output_tokens_details"]["thinking_tokens"] > 0
    assert final["output_tokens"] <= 200
    with pytest.raises(ValueError, match="max_tokens"):
        StreamBuilder(seed=1).text("short").cut()
    cut = StreamBuilder(seed=1, max_tokens=10).text("word " * 40).cut()
    with pytest.raises(ValueError, match="max_tokens"):
        cut.stop("end_turn")
    state = StreamState().apply_all(cut.stop("max_tokens").events())
    assert state.usage.output_tokens == 10
    assert [p.kind for p in state.problems] == ["block_never_stopped"]
    dropped = StreamState().apply_all(
        StreamBuilder(seed=2).text("partial answer").cut(0.5).events()
    )
    assert [p.kind for p in dropped.problems] == ["stream_truncated", "block_never_stopped"]
