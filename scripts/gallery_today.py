"""Gallery recipes for today's API (the anthropic SDK 2.17's beta stream), for make_gallery.py.

Code execution with a bash result and a file, web fetch, an MCP call, compaction, a fallback
after a refusal, context editing, tool search, omitted thinking with its running estimate,
a refusal with stop details, and a cache miss with its diagnostics. The stream builder
writes the blocks it knows; each recipe's ``post`` sets what it does not (message and
message_delta fields, deltas of new kinds), so every event stays in the wire shape the
SDK's beta event models accept with no unknown field (tests/test_gallery_today.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from streams import StreamBuilder, TimedEvent

SONNET = "claude-sonnet-5-5"
OPUS = "claude-opus-5-5"
HAIKU = "claude-haiku-5-5"

Post = Callable[[list[TimedEvent]], list[TimedEvent]]


# --------------------------------------------------------------------------- editing helpers


def _message(events: list[TimedEvent], **fields: Any) -> None:
    """Set fields of the ``message_start`` message."""
    events[0][1]["message"].update(copy.deepcopy(fields))


def _final(events: list[TimedEvent]) -> dict[str, Any]:
    return next(e for _, e in events if e["type"] == "message_delta")


def _delta(events: list[TimedEvent], **fields: Any) -> None:
    _final(events)["delta"].update(copy.deepcopy(fields))


def _usage(events: list[TimedEvent], **fields: Any) -> None:
    _final(events)["usage"].update(copy.deepcopy(fields))


def _top(events: list[TimedEvent], **fields: Any) -> None:
    _final(events).update(copy.deepcopy(fields))


def _start_of(events: list[TimedEvent], block_type: str) -> int:
    """Position in ``events`` of the start of the first block of ``block_type``."""
    return next(
        i
        for i, (_, e) in enumerate(events)
        if e["type"] == "content_block_start" and e["content_block"]["type"] == block_type
    )


def _deltas_after(
    events: list[TimedEvent], position: int, deltas: list[dict[str, Any]]
) -> list[TimedEvent]:
    """Spread ``deltas`` for the block started at ``position`` over the gap before the
    next event (the silence in which the block was being made)."""
    index = events[position][1]["index"]
    if events[position + 1][1]["type"] == "ping":  # the one ping follows the first start
        position += 1
    t0 = events[position][0]
    t1 = events[position + 1][0]
    step = (t1 - t0) / (len(deltas) + 1)
    added = [
        (round(t0 + step * (k + 1), 6), {"type": "content_block_delta", "index": index, "delta": d})
        for k, d in enumerate(deltas)
    ]
    return [*events[: position + 1], *added, *events[position + 1 :]]


def _iteration(kind: str, model: str | None, inp: int, out: int, read: int = 0) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": kind,
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": read,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    }
    if model is not None:
        item["model"] = model
    return item


# --------------------------------------------------------------------------- recipes

BASH_STDOUT = (
    "   1270 access.log\n"
    "status  count\n"
    "200     1041\n"
    "301       87\n"
    "404      112\n"
    "500       27\n"
    "wrote /tmp/outputs/status_counts.csv\n"
)
BASH_STDERR = "awk: warning: 3 lines without a status field were skipped\n"


def code_execution(recording: Any) -> Any:
    b = StreamBuilder(SONNET, seed=1701, usage={"input_tokens": 2210}, max_tokens=4096)
    b.text("I'll count the status codes in the uploaded log with a short shell pipeline.")
    b.server_tool_use(
        "bash_code_execution",
        {
            "command": "wc -l access.log && awk '{print $9}' access.log | sort | uniq -c "
            "| awk '{print $2, $1}' > /tmp/outputs/status_counts.csv && cat "
            "/tmp/outputs/status_counts.csv"
        },
    )
    b.block(
        {
            "type": "bash_code_execution_tool_result",
            "tool_use_id": "srvtoolu_placeholder",
            "content": {
                "type": "bash_code_execution_result",
                "stdout": BASH_STDOUT,
                "stderr": BASH_STDERR,
                "return_code": 0,
                "content": [
                    {
                        "type": "bash_code_execution_output",
                        "file_id": "file_011CNha8iCJcU1wXNR6q4V8w",
                    }
                ],
            },
        }
    )
    b.text(
        "The log has **1,267 requests** (1,270 lines; awk skipped 3 without a status): "
        "1,041 succeeded (200), 87 were redirects, 112 were not found and **27 were server "
        "errors (500)**. The counts are in "
        "`status_counts.csv`, attached."
    )
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _fix_tool_use_id(events, "bash_code_execution_tool_result")
        _delta(
            events, container={"id": "container_011CNha7pQm", "expires_at": "2026-12-06T10:30:00Z"}
        )
        _usage(events, server_tool_use={"web_search_requests": 0, "web_fetch_requests": 0})
        return events

    return recording(
        name="code_execution",
        title="Code execution: a bash run and its file",
        description=(
            "The model runs a shell pipeline in the code-execution container: the "
            "bash_code_execution call, its result (stdout, a warning on stderr, return "
            "code 0, one output file) and the answer; the message names its container."
        ),
        teaches=(
            "Code execution is a server tool: its call and result arrive in one response. "
            "A bash result carries stdout, stderr and the return code separately, and "
            "files it wrote as file ids; message_delta.container says which container "
            "ran it and when it expires (reuse it with container=...)."
        ),
        builder=b,
        request={
            "max_tokens": 4096,
            "betas": ["code-execution-2025-08-25"],
            "tools": [{"type": "code_execution_20250825", "name": "code_execution"}],
            "messages": [
                {
                    "role": "user",
                    "content": "How many requests in access.log failed, by status code?",
                }
            ],
        },
        stop_reason="end_turn",
        post=post,
    )


def _fix_tool_use_id(events: list[TimedEvent], result_type: str) -> None:
    """Pair a result with the server call before it (the builder names client calls only)."""
    call_id = None
    for _, event in events:
        if event["type"] != "content_block_start":
            continue
        block = event["content_block"]
        if block["type"] in ("server_tool_use", "mcp_tool_use"):
            call_id = block["id"]
        elif block["type"] == result_type and call_id is not None:
            block["tool_use_id"] = call_id


FETCHED = (
    "Release notes 3.2\n\nThe scheduler now retries a failed job three times with "
    "exponential backoff (1 s, 4 s, 16 s) before marking it failed. The retry count is "
    "configurable per queue with max_retries. Jobs that fail with a ValidationError are "
    "never retried.\n\nThe dashboard shows each attempt as its own row."
)


def web_fetch(recording: Any) -> Any:
    b = StreamBuilder(SONNET, seed=1702, usage={"input_tokens": 940}, max_tokens=2048)
    b.server_tool_use("web_fetch", {"url": "https://docs.example.com/releases/3.2"})
    b.block(
        {
            "type": "web_fetch_tool_result",
            "tool_use_id": "srvtoolu_placeholder",
            "content": {
                "type": "web_fetch_result",
                "url": "https://docs.example.com/releases/3.2",
                "retrieved_at": "2026-12-06T09:00:03Z",
                "content": {
                    "type": "document",
                    "title": "Release notes 3.2",
                    "source": {"type": "text", "media_type": "text/plain", "data": FETCHED},
                    "citations": {"enabled": False},
                },
            },
        }
    )
    b.text(
        "In 3.2 a failed job is retried **three times** (after 1 s, 4 s and 16 s) before "
        "it is marked failed; `max_retries` changes that per queue, and jobs failing with "
        "a `ValidationError` are never retried."
    )
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _fix_tool_use_id(events, "web_fetch_tool_result")
        _usage(events, server_tool_use={"web_search_requests": 0, "web_fetch_requests": 1})
        return events

    return recording(
        name="web_fetch",
        title="Web fetch",
        description="The model fetches a release-notes page and answers from it.",
        teaches=(
            "web_fetch is a server tool: the fetched document (URL, title, when it was "
            "retrieved, its text) arrives as web_fetch_tool_result in the same response "
            "and counts as input tokens; usage.server_tool_use counts fetches."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "betas": ["web-fetch-2025-09-10"],
            "tools": [{"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 2}],
            "messages": [
                {
                    "role": "user",
                    "content": "What changed about job retries in "
                    "https://docs.example.com/releases/3.2 ?",
                }
            ],
        },
        stop_reason="end_turn",
        post=post,
    )


def mcp_call(recording: Any) -> Any:
    b = StreamBuilder(SONNET, seed=1703, usage={"input_tokens": 1320}, max_tokens=2048)
    b.server_tool_use("list_issues", {"repository": "acme/api", "state": "open", "label": "bug"})
    b.block(
        {
            "type": "mcp_tool_result",
            "tool_use_id": "mcptoolu_placeholder",
            "is_error": False,
            "content": [
                {
                    "type": "text",
                    "text": "#412 Timeout on /export for large accounts\n"
                    "#415 Wrong currency symbol in invoices (de-CH)\n"
                    "#419 Retry storm after a 503 from the billing service",
                }
            ],
        }
    )
    b.text("Three open bugs: #412 (export timeouts), #415 (de-CH currency) and #419 (retries).")
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        for _, event in events:
            if event["type"] == "content_block_start":
                block = event["content_block"]
                if block["type"] == "server_tool_use":
                    block["type"] = "mcp_tool_use"
                    block["id"] = block["id"].replace("srvtoolu_", "mcptoolu_")
                    block["server_name"] = "tracker"
        _fix_tool_use_id(events, "mcp_tool_result")
        _usage(events, server_tool_use={"web_search_requests": 0, "web_fetch_requests": 0})
        return events

    return recording(
        name="mcp_call",
        title="MCP connector: a call and its result",
        description=(
            "The model calls list_issues on a remote MCP server through the API's MCP "
            "connector and answers from the result."
        ),
        teaches=(
            "With mcp_servers in the request, the API calls the MCP server itself: "
            "mcp_tool_use (server name, tool, input streaming as JSON) is followed by "
            "mcp_tool_result (content, is_error) in the same response, no round trip."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "betas": ["mcp-client-2025-11-20"],
            "mcp_servers": [
                {"type": "url", "url": "https://mcp.example.com/sse", "name": "tracker"}
            ],
            "tools": [{"type": "mcp_toolset", "mcp_server_name": "tracker"}],
            "messages": [{"role": "user", "content": "Which bugs are open on acme/api?"}],
        },
        stop_reason="end_turn",
        post=post,
    )


COMPACTION_SUMMARY = (
    "## Conversation so far\n\nThe user is migrating a Flask service to FastAPI. Done: "
    "routes for /users and /orders ported, pydantic models for both, tests green. Open: "
    "the background email queue still uses Flask-Mail; the user prefers aiosmtplib. "
    "Decisions: keep SQLAlchemy 2.0 sync sessions for now; no auth changes in this step."
)


def compaction(recording: Any) -> Any:
    b = StreamBuilder(
        SONNET,
        seed=1704,
        usage={"input_tokens": 3100, "cache_read_input_tokens": 41000},
        max_tokens=8192,
    )
    b.block({"type": "compaction", "content": None, "encrypted_content": None})
    b.text(
        "Next, the email queue: replace Flask-Mail with `aiosmtplib` in a background task. "
        "Here is the sender:"
    )
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        position = _start_of(events, "compaction")
        events = _deltas_after(
            events,
            position,
            [
                {
                    "type": "compaction_delta",
                    "content": COMPACTION_SUMMARY,
                    "encrypted_content": "EuYBCkYIBxgCKkB2c3VtbWFyeS1ibG9i",
                }
            ],
        )
        _usage(
            events,
            iterations=[
                _iteration("compaction", None, 152400, 412),
                _iteration("message", SONNET, 3100, 96, read=41000),
            ],
        )
        return events

    return recording(
        name="compaction",
        title="Compaction: the summary that replaces old context",
        description=(
            "A long conversation passes the compaction trigger: the response starts with "
            "a compaction block whose summary arrives as a compaction_delta, then the "
            "answer continues from it."
        ),
        teaches=(
            "With context_management compact, the API summarizes the earlier context in "
            "the response itself. Send the compaction block back unchanged; "
            "usage.iterations reports the compaction's own tokens apart from the message's."
        ),
        builder=b,
        request={
            "max_tokens": 8192,
            "betas": ["compact-2026-01-12"],
            "context_management": {"edits": [{"type": "compact_20260112"}]},
            "messages": [{"role": "user", "content": "Now the email queue, please."}],
        },
        stop_reason="end_turn",
        post=post,
    )


def fallback(recording: Any) -> Any:
    b = StreamBuilder(OPUS, seed=1705, usage={"input_tokens": 860}, max_tokens=2048)
    b.text("To decode it, first")
    b.block(
        {
            "type": "fallback",
            "from": {"model": OPUS},
            "to": {"model": SONNET},
            "trigger": {"type": "refusal", "category": "cyber"},
        }
    )
    b.text(
        "The string is Base64 of UTF-16LE text; decoded it reads `IEX (New-Object "
        "Net.WebClient)...`, a download-and-run stager. Treat the host as compromised."
    )
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _usage(
            events,
            iterations=[
                _iteration("message", OPUS, 860, 6),
                _iteration("fallback_message", SONNET, 860, 58),
            ],
        )
        return events

    return recording(
        name="fallback",
        title="Fallback after a refusal",
        description=(
            "The requested model declines mid-answer (a cyber refusal); a fallback model "
            "takes over in the same response and finishes it."
        ),
        teaches=(
            "With a fallback configured, a refusal is not the end: a fallback block marks "
            "where one model's output gives way to the next (from, to, trigger), the "
            "message's model becomes the one that finished, and usage.iterations prices "
            "each model's part separately."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "betas": ["model-fallback-2026-09-01"],
            "messages": [{"role": "user", "content": "What does this PowerShell -enc string do?"}],
        },
        stop_reason="end_turn",
        post=post,
    )


def context_editing(recording: Any) -> Any:
    b = StreamBuilder(SONNET, seed=1706, usage={"input_tokens": 18200}, max_tokens=2048)
    b.text("The flaky test is `test_export_large`: it fails only when the cache is cold.")
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _top(
            events,
            context_management={
                "applied_edits": [
                    {
                        "type": "clear_tool_uses_20250919",
                        "cleared_tool_uses": 6,
                        "cleared_input_tokens": 42310,
                    },
                    {
                        "type": "clear_thinking_20251015",
                        "cleared_thinking_turns": 2,
                        "cleared_input_tokens": 3870,
                    },
                ]
            },
        )
        return events

    return recording(
        name="context_editing",
        title="Context editing: old tool results cleared",
        description=(
            "An agent's long debugging session: before the model saw the request, the "
            "API cleared six old tool results and two turns of thinking."
        ),
        teaches=(
            "context_management edits run before the model sees the request; "
            "message_delta.context_management.applied_edits says what was cleared and "
            "how many input tokens that saved (they are not in usage.input_tokens)."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "betas": ["context-management-2025-06-27"],
            "context_management": {
                "edits": [{"type": "clear_tool_uses_20250919"}, {"type": "clear_thinking_20251015"}]
            },
            "messages": [{"role": "user", "content": "So which test is flaky?"}],
        },
        stop_reason="end_turn",
        post=post,
    )


def tool_search(recording: Any) -> Any:
    b = StreamBuilder(SONNET, seed=1707, usage={"input_tokens": 2400}, max_tokens=2048)
    b.server_tool_use("tool_search_tool_regex", {"pattern": "weather|forecast"})
    b.block(
        {
            "type": "tool_search_tool_result",
            "tool_use_id": "srvtoolu_placeholder",
            "content": {
                "type": "tool_search_tool_search_result",
                "tool_references": [
                    {"type": "tool_reference", "tool_name": "get_weather"},
                    {"type": "tool_reference", "tool_name": "get_forecast_hourly"},
                ],
            },
        }
    )
    b.tool_use("get_weather", {"location": "Lisbon, Portugal", "days": 3})
    b.stop("tool_use")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _fix_tool_use_id(events, "tool_search_tool_result")
        _usage(events, server_tool_use={"web_search_requests": 0, "web_fetch_requests": 0})
        return events

    return recording(
        name="tool_search",
        title="Tool search: finding the tool first",
        description=(
            "With 200 deferred tools, the model searches for a weather tool by regex, "
            "finds two, and calls get_weather."
        ),
        teaches=(
            "Tools marked defer_loading stay out of the prompt until a tool search finds "
            "them: tool_search_tool_result lists the tools found (tool_reference), and "
            "only those are loaded for the call that follows."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "betas": ["advanced-tool-use-2025-11-20"],
            "tools": [
                {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
                {
                    "name": "get_weather",
                    "description": "Forecast for a place.",
                    "input_schema": {
                        "type": "object",
                        "properties": {
                            "location": {"type": "string"},
                            "days": {"type": "integer", "minimum": 1},
                        },
                        "required": ["location"],
                    },
                    "defer_loading": True,
                },
            ],
            "messages": [{"role": "user", "content": "Weather in Lisbon for the weekend?"}],
        },
        stop_reason="tool_use",
        post=post,
    )


def thinking_estimate(recording: Any) -> Any:
    b = StreamBuilder(SONNET, seed=1708, usage={"input_tokens": 74}, max_tokens=8192)
    b.thinking("", display="omitted", tokens=2816)
    b.text("The regex is `^(?=.*\\d)(?=.*[a-z])(?=.*[A-Z]).{12,}$`.")
    b.stop("end_turn", usage={"output_tokens_details": {"thinking_tokens": 2816}})

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        position = _start_of(events, "thinking")
        # the signature_delta follows the start after the silence; the estimate fills it
        deltas = [
            {"type": "thinking_delta", "thinking": "", "estimated_tokens": 256} for _ in range(11)
        ]
        return _deltas_after(events, position, deltas)

    return recording(
        name="thinking_estimate",
        title="Omitted thinking, with its running estimate",
        description=(
            "Thinking with display omitted and the thinking-token-count beta: no thinking "
            "text, but during the silence empty thinking_deltas carry estimated_tokens, "
            "a running count of how far the thinking has got."
        ),
        teaches=(
            "estimated_tokens is an increment: sum it over the block for a progress "
            "figure. It is a display hint, coarse and rate-limited; "
            "usage.output_tokens_details.thinking_tokens is the count that is billed."
        ),
        builder=b,
        request={
            "max_tokens": 8192,
            "betas": ["thinking-token-count-2026-05-13"],
            "thinking": {"type": "enabled", "budget_tokens": 4096, "display": "omitted"},
            "messages": [
                {
                    "role": "user",
                    "content": "A regex for passwords: 12+ chars, a digit, both cases.",
                }
            ],
        },
        stop_reason="end_turn",
        post=post,
    )


def refusal(recording: Any) -> Any:
    b = StreamBuilder(OPUS, seed=1709, usage={"input_tokens": 520}, max_tokens=2048)
    b.text(
        "I can't help with writing a working exploit for a specific system. If you are "
        "defending it, I can explain how this class of vulnerability is usually "
        "mitigated, how to check whether your version is affected, and how to detect "
        "attempts to exploit it in your logs."
    )
    b.stop("refusal")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _delta(
            events,
            stop_details={
                "type": "refusal",
                "category": "cyber",
                "explanation": "The request asks for working exploit code against a "
                "specific system.",
                "fallback_credit_token": None,
                "fallback_has_prefill_claim": None,
                "recommended_model": None,
            },
        )
        return events

    return recording(
        name="refusal",
        title="A refusal, with its stop details",
        description="The model refuses; the stop reason is refusal and stop_details says why.",
        teaches=(
            "stop_reason refusal comes with stop_details: the policy category (cyber, bio, "
            "...) and an explanation in words. The explanation is not stable text: branch "
            "on the category."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "messages": [{"role": "user", "content": "Write a working exploit for CVE-..."}],
        },
        stop_reason="refusal",
        post=post,
    )


def cache_diagnostics(recording: Any) -> Any:
    b = StreamBuilder(
        HAIKU,
        seed=1710,
        usage={"input_tokens": 14210, "cache_creation_input_tokens": 0},
        max_tokens=1024,
    )
    b.text("Refunds are possible within 30 days of purchase (section 4.2 of the manual).")
    b.stop("end_turn")

    def post(events: list[TimedEvent]) -> list[TimedEvent]:
        _message(
            events,
            diagnostics={
                "cache_miss_reason": {"type": "tools_changed", "cache_missed_input_tokens": 13984}
            },
        )
        return events

    return recording(
        name="cache_diagnostics",
        title="Prompt cache: a miss, and why",
        description=(
            "A support bot's second call misses the cache it wrote: the diagnostics say "
            "the tools changed, and how many input tokens missed."
        ),
        teaches=(
            "With diagnostics requested, message.diagnostics.cache_miss_reason says why "
            "the prefix was not reused (system, tools, messages or model changed, no "
            "previous message) and how many tokens missed; null means still pending."
        ),
        builder=b,
        request={
            "max_tokens": 1024,
            "betas": ["cache-diagnosis-2026-04-07"],
            "messages": [{"role": "user", "content": "Can I still get a refund?"}],
        },
        stop_reason="end_turn",
        post=post,
    )


def today_recordings(recording: Callable[..., Any]) -> list[Any]:
    """The recordings of today's API, made with make_gallery's ``Recording``."""
    return [
        make(recording)
        for make in (
            code_execution,
            web_fetch,
            mcp_call,
            compaction,
            fallback,
            context_editing,
            tool_search,
            thinking_estimate,
            refusal,
            cache_diagnostics,
        )
    ]
