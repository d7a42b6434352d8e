"""Regenerate the gallery: every recording in core/io/recordings/ and its index.json.

Each recording is written by tests/synthetic.py from a recipe below (content,
seed, model, prompt-side usage), so the output is the same bytes on every run. Every
recording is reduced through StreamState, with its request's tools, before it is written,
and must report exactly the stop reason, error, problems and tool-argument violations its
recipe expects.

Each header holds the whole request the recipe describes (``meta.request``: model,
parameters, system, tools with their input schemas, and every message so far: a turn of a
conversation carries the earlier assistant turns exactly as they streamed, and the tool
results) and when it was sent (``meta.request_at``: minus the time to first event, since
``t`` counts from the first event).

    .venv/bin/python scripts/make_gallery.py            # rewrite core/io/recordings/
    .venv/bin/python scripts/make_gallery.py --out DIR  # write elsewhere
    .venv/bin/python scripts/make_gallery.py --check    # compare with the committed files

Writing core/io/recordings/ also rewrites the README's gallery table (gallery.index_markdown()
of the new index); --check also checks that the README holds that table.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams import (
    StreamBuilder,
    TimedEvent,
    estimate_tokens,
    write_synthetic_cassette,
)

from streamscope.core.stream.blocks import ToolUseBlock
from streamscope.core.stream.state import StreamState

REPO = Path(__file__).resolve().parents[1]

DEFAULT_OUT = REPO / "core" / "io" / "recordings"
README = REPO / "README.md"
TABLE_HEAD = "| name | what it shows | model | events | size | duration |"
CREATED = "2025-11-03T09:00:00.000Z"
# The label the recordings carry. It names the generator's old home (now tests/synthetic.py)
# and stays as is so that regenerating gives byte-identical files.
GENERATOR = "streamscope.core.synthetic, recipes in scripts/make_gallery.py"
NOT_ASKED: Any = object()
"""A recording whose request did not ask for cache diagnostics."""

# Today's models (the 5.5 family of the SDK 2.17's model list), all priced by genai-prices.
SONNET = "claude-sonnet-5-5"
HAIKU = "claude-haiku-5-5"
OPUS = "claude-opus-5-5"

DATE = {"type": "string", "format": "date", "description": "A date, YYYY-MM-DD."}
CODE = {"type": "string", "pattern": "^[A-Z]{3}$"}


def _tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """A client tool as the request sends it: name, description and input schema."""
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


GET_WEATHER = _tool(
    "get_weather",
    "Daily forecast for a place over a date range.",
    {
        "location": {"type": "string", "description": "City and country."},
        "start_date": DATE,
        "end_date": DATE,
        "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    ["location", "start_date", "end_date"],
)
SEARCH_FLIGHTS = _tool(
    "search_flights",
    "Search return flights between two airports or city codes.",
    {
        "origin": {**CODE, "description": "IATA airport or city code."},
        "destination": {**CODE, "description": "IATA airport or city code."},
        "depart_date": DATE,
        "return_date": DATE,
        "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
        "cabin": {"type": "string", "enum": ["economy", "premium_economy", "business", "first"]},
        "max_stops": {"type": "integer", "minimum": 0, "maximum": 3},
    },
    ["origin", "destination", "depart_date", "passengers"],
)
FIND_HOTELS = _tool(
    "find_hotels",
    "Find hotels with rooms free for the whole stay.",
    {
        "city": {"type": "string"},
        "neighbourhood": {"type": "string"},
        "check_in": DATE,
        "check_out": DATE,
        "guests": {"type": "integer", "minimum": 1, "maximum": 10},
        "max_price_per_night": {"type": "number", "exclusiveMinimum": 0},
        "currency": {**CODE, "description": "ISO 4217 code of max_price_per_night."},
        "sort_by": {"type": "string", "enum": ["price", "rating", "distance"]},
    },
    ["city", "check_in", "check_out", "guests"],
)
GET_EXCHANGE_RATE = _tool(
    "get_exchange_rate",
    "Today's mid-market exchange rate between two currencies.",
    {"base": CODE, "quote": CODE},
    ["base", "quote"],
)
READ_FILE = _tool(
    "read_file",
    "Read a text file of the repository.",
    {"path": {"type": "string", "description": "Path relative to the repository root."}},
    ["path"],
)
WRITE_FILE = _tool(
    "write_file",
    "Write a text file of the repository, replacing it if it exists.",
    {"path": {"type": "string", "minLength": 1}, "content": {"type": "string"}},
    ["path", "content"],
)
CREATE_FILE = _tool(
    "create_file",
    "Create a new text file.",
    {"path": {"type": "string", "minLength": 1}, "content": {"type": "string"}},
    ["path", "content"],
)
RUN_TESTS = _tool(
    "run_tests",
    "Run pytest on a path and return the summary.",
    {"path": {"type": "string"}, "keyword": {"type": "string"}},
    [],
)


@dataclass
class Recording:
    """One cassette to write, with what it should reduce to."""

    name: str
    title: str
    description: str
    teaches: str
    builder: StreamBuilder
    request: dict[str, Any]
    stop_reason: str | None
    error: str | None = None
    problems: tuple[str, ...] = ()
    violations: tuple[str, ...] = ()
    """The tool-argument violations reducing it with the request's tools must find."""
    conversation: str | None = None
    turn: int | None = None
    extra_meta: dict[str, Any] = field(default_factory=dict)
    created: str = CREATED
    """When the recording was made (the request went out ``time_to_first_event`` before)."""
    diagnostics: Any = NOT_ASKED
    """The response's ``diagnostics`` (in ``message_start``'s message), when the request
    asked for them (``None``: asked, no divergence found)."""
    post: Callable[[list[TimedEvent]], list[TimedEvent]] | None = None
    """Sets what the builder does not write (today's API fields: see recipes_today)."""

    @property
    def file(self) -> str:
        return f"{self.name}.jsonl"


@dataclass
class Conversation:
    name: str
    title: str
    description: str
    teaches: str
    model: str
    turns: list[Recording]


# --------------------------------------------------------------------------- parallel tools

TRAVEL_SYSTEM = (
    "You are a travel-planning assistant. Use the tools to check facts before you answer; "
    "call independent tools in parallel. Prices for the user in GBP."
)
TRAVEL_PROMPT = (
    "I'm thinking of a long weekend in Lisbon, Friday 14 to Monday 17 November, flying "
    "from London with my partner. Can you check the weather, find direct flights and a "
    "couple of hotels in or near Alfama under €180 a night? We budget in pounds."
)
TRAVEL_THINKING = (
    "The user wants a long weekend in Lisbon: Friday 14 to Monday 17 November 2025, two "
    "people, flying from London.\n\nWhat I need:\n1. Weather for Lisbon over those four "
    "days, so I can say what to pack and whether the hills of Alfama will be slippery.\n"
    "2. Direct return flights London to Lisbon, out on the 14th and back on the 17th, for "
    "two. Any London airport is fine, so LON as the city code.\n3. Hotels in Alfama for "
    "three nights (check-in 14th, check-out 17th), two guests, at most €180 a night. Sort "
    "by rating since they asked for a couple of good options.\n4. They budget in pounds but "
    "hotel prices come in euros, so an EUR to GBP rate lets me convert.\n\nNone of these "
    "depends on another, so I can call all four tools at once instead of one after the "
    "other. I'll say briefly what I'm doing, then make the calls."
)
TRAVEL_TEXT = (
    "I'll check the forecast, direct flights and Alfama hotels for those dates at the same "
    "time, and get the euro–pound rate so I can give you everything in sterling."
)


def parallel_tools() -> Recording:
    b = StreamBuilder(SONNET, seed=101, usage={"input_tokens": 1912}, max_tokens=4096)
    b.thinking(TRAVEL_THINKING)
    b.text(TRAVEL_TEXT)
    b.tool_use(
        "get_weather",
        {
            "location": "Lisbon, Portugal",
            "start_date": "2025-11-14",
            "end_date": "2025-11-17",
            "units": "celsius",
        },
    )
    b.tool_use(
        "search_flights",
        {
            "origin": "LON",
            "destination": "LIS",
            "depart_date": "2025-11-14",
            "return_date": "2025-11-17",
            "passengers": 2,
            "cabin": "economy",
            "max_stops": 0,
        },
    )
    b.tool_use(
        "find_hotels",
        {
            "city": "Lisbon",
            "neighbourhood": "Alfama",
            "check_in": "2025-11-14",
            "check_out": "2025-11-17",
            "guests": 2,
            "max_price_per_night": 180,
            "currency": "EUR",
            "sort_by": "rating",
        },
    )
    b.tool_use("get_exchange_rate", {"base": "EUR", "quote": "GBP"})
    b.stop("tool_use")
    return Recording(
        name="parallel_tools",
        title="Parallel tool calls",
        description=(
            "A trip-planning agent thinks, says what it will do, then calls get_weather, "
            "search_flights, find_hotels and get_exchange_rate back to back in one response."
        ),
        teaches=(
            "Independent tools arrive as consecutive tool_use blocks in one message "
            "(stop_reason tool_use); thinking comes first, then text, then the calls. Run "
            "them together and send one tool_result per tool_use, in the same order."
        ),
        builder=b,
        request={
            "max_tokens": 4096,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "system": TRAVEL_SYSTEM,
            "tools": [GET_WEATHER, SEARCH_FLIGHTS, FIND_HOTELS, GET_EXCHANGE_RATE],
            "messages": [{"role": "user", "content": TRAVEL_PROMPT}],
        },
        stop_reason="tool_use",
    )


# --------------------------------------------------------------------------- thinking

CAPACITY_PROMPT = (
    "Our API peaks at 1,200 requests a minute and each request keeps a worker busy for "
    "250 ms on average. How many workers do we need to keep utilisation under 70%?"
)
CAPACITY_THINKING = (
    "This is a utilisation question, so Little's law applies: the average number of busy "
    "workers equals the arrival rate times the time each request holds a worker.\n\n"
    "Arrival rate: 1,200 requests per minute is 20 requests per second. Service time: "
    "250 ms = 0.25 s. So on average 20 × 0.25 = 5 workers are busy at peak.\n\n"
    "Utilisation with N workers is 5 / N. For that to stay under 70%: 5 / N < 0.7, so "
    "N > 7.14. The smallest whole number is 8, which gives 5 / 8 = 62.5%. Check 7: "
    "5 / 7 = 71.4%, just over the limit, so 7 is not enough.\n\nI should mention that this "
    "is an average. Requests arrive in bursts, and at 62.5% utilisation queueing delay is "
    "still modest, but if the 250 ms has a long tail (slow database calls), the p99 will "
    "suffer first. Also: losing one worker during a deploy or a crash takes them from 8 to "
    "7, which is 71%, so N+1 for resilience argues for 9. I'll give 8 as the answer to "
    "the question as asked and suggest 9 with a reason."
)
CAPACITY_ANSWER = (
    "**8 workers** keep you under 70%.\n\n"
    "By Little's law, the number of busy workers is arrival rate × time per request:\n\n"
    "- 1,200 requests/min = **20 requests/s**\n"
    "- 20 requests/s × 0.25 s = **5 workers busy** on average\n\n"
    "Utilisation is busy ÷ total, so you need 5 ÷ N < 0.70, i.e. N > 7.14:\n\n"
    "| workers | utilisation |\n"
    "| ---: | ---: |\n"
    "| 7 | 71.4% |\n"
    "| 8 | 62.5% |\n"
    "| 9 | 55.6% |\n\n"
    "Two reasons to consider **9**: peaks are bursty, so an average of 62.5% still has "
    "moments above 70%; and with 8, losing one worker during a deploy puts you back at "
    "71%. If the 250 ms has a long tail (slow queries), watch p99 latency rather than "
    "the average."
)


def thinking_summarized() -> Recording:
    b = StreamBuilder(OPUS, seed=202, usage={"input_tokens": 74}, max_tokens=8192)
    b.thinking(CAPACITY_THINKING, display="summarized")
    b.text(CAPACITY_ANSWER)
    b.stop("end_turn")
    return Recording(
        name="thinking_summarized",
        title="Thinking, summarized",
        description=(
            "Extended thinking on a capacity-planning question: a summarized thinking block "
            "with its signature, then a Markdown answer with a table."
        ),
        teaches=(
            "Claude 4 and later models stream a summary of their thinking in large pieces, "
            "an empty thinking_delta, then the signature. You pay for the full thinking "
            "(output_tokens_details.thinking_tokens), more than the summary's length."
        ),
        builder=b,
        request={
            "max_tokens": 8192,
            "thinking": {"type": "enabled", "budget_tokens": 4096},
            "messages": [{"role": "user", "content": CAPACITY_PROMPT}],
        },
        stop_reason="end_turn",
    )


REGEX_PROMPT = (
    "Give me a regex for ISO 8601 calendar dates (YYYY-MM-DD) that rejects impossible "
    "months and days. Leap years can be handled in code."
)
REGEX_ANSWER = (
    "This accepts months 01–12 and the right number of days for each month, with "
    "February capped at 28:\n\n"
    "```regex\n"
    "^\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)"
    "|02-(?:0[1-9]|1\\d|2[0-8]))$\n"
    "```\n\n"
    "How it is built:\n\n"
    "- `0[13578]|1[02]`: the 31-day months (Jan, Mar, May, Jul, Aug, Oct, Dec), days "
    "01–31\n"
    "- `0[469]|11`: the 30-day months (Apr, Jun, Sep, Nov), days 01–30\n"
    "- `02`: February, days 01–28\n\n"
    "For 29 February, check the year in code:\n\n"
    "```python\n"
    "import calendar\n\n"
    "def is_valid(date: str) -> bool:\n"
    '    if date.endswith("-02-29"):\n'
    "        return calendar.isleap(int(date[:4]))\n"
    "    return DATE_RE.fullmatch(date) is not None\n"
    "```\n\n"
    "If you can parse instead of matching, `datetime.date.fromisoformat(s)` does all of "
    "this, leap years included, and raises `ValueError` on a bad date."
)


def thinking_omitted() -> Recording:
    b = StreamBuilder(SONNET, seed=303, usage={"input_tokens": 58}, max_tokens=8192)
    b.thinking("", display="omitted", tokens=1184)
    b.text(REGEX_ANSWER)
    b.stop("end_turn")
    return Recording(
        name="thinking_omitted",
        title="Thinking, display omitted",
        description=(
            "A thinking block with display omitted: no thinking text at all, a long "
            "silence while the model thinks, then the signature and the answer."
        ),
        teaches=(
            "With thinking.display = omitted the block carries only a signature; the "
            "thinking is still billed (thinking_tokens) and still takes time, so a view "
            "must show that something is happening during the silence."
        ),
        builder=b,
        request={
            "max_tokens": 8192,
            "thinking": {"type": "enabled", "budget_tokens": 4096, "display": "omitted"},
            "messages": [{"role": "user", "content": REGEX_PROMPT}],
        },
        stop_reason="end_turn",
    )


EDR_PROMPT = (
    "Our EDR flagged this on a finance laptop: `powershell -nop -w hidden -enc SQBFAFgA...` "
    "(truncated). What is it likely doing and what should we do first?"
)
EDR_THINKING = (
    "The user is a defender triaging an EDR alert. The command line has the classic shape "
    "of a stager: -nop skips the profile, -w hidden hides the window, -enc takes a base64 "
    'UTF-16LE script. "SQBFAFgA" decodes to "IEX", Invoke-Expression, so the payload '
    "runs code it builds or downloads at run time.\n\nI should explain what this pattern "
    "usually means and give incident-response steps in the right order, without going into "
    "how to build such a payload."
)
EDR_ANSWER = (
    "This has the shape of a **PowerShell stager**, and it should be treated as an active "
    "compromise until shown otherwise.\n\n"
    "- `-nop` skips the user's profile, `-w hidden` hides the window.\n"
    "- `-enc` passes a Base64 (UTF-16LE) script. `SQBFAFgA` decodes to `IEX`, i.e. "
    "`Invoke-Expression`: the script runs code it assembles or downloads at run time, "
    "usually straight into memory.\n\n"
    "**First steps, in order:**\n\n"
    "1. **Isolate the laptop** with the EDR's network containment. Don't power it off: "
    "memory holds the decoded payload.\n"
    "2. **Get the full command line** from the EDR event and decode it offline "
    "(`[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($s))`) in a sandbox.\n"
    "3. **Find the parent process**: Outlook or a browser points to phishing; `wmiprvse` or "
    "`services.exe` points to lateral movement.\n"
    "4. **Pull PowerShell logs** (Script Block Logging, event 4104) for the decoded script "
    "and any URLs or IPs it contacted; block those at the proxy.\n"
    "5. **Reset the user's credentials** and review their recent sign-ins, especially to "
    "finance systems.\n\n"
    "If you paste the decoded script here, I can help you read what it does."
)


def thinking_redacted() -> Recording:
    b = StreamBuilder(SONNET, seed=404, usage={"input_tokens": 96}, max_tokens=4096)
    b.thinking(EDR_THINKING)
    b.redacted_thinking(tokens=412)
    b.text(EDR_ANSWER)
    b.stop("end_turn")
    return Recording(
        name="thinking_redacted",
        title="Redacted thinking",
        description=(
            "An incident-response question: a thinking block, then a redacted_thinking "
            "block (encrypted reasoning, no text), then the answer."
        ),
        teaches=(
            "Part of the reasoning can arrive as redacted_thinking: one opaque data blob "
            "in the start event, no deltas. Show it as redacted and pass it back "
            "unchanged with the rest of the turn."
        ),
        builder=b,
        request={
            "max_tokens": 4096,
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "messages": [{"role": "user", "content": EDR_PROMPT}],
        },
        stop_reason="end_turn",
    )


# --------------------------------------------------------------------------- prompt cache

MANUAL_TOKENS = 14213
SUPPORT_PROMPT = (
    "My X2 keeps dropping the 5 GHz network every evening around 8pm, then it comes back "
    "after a few minutes. 2.4 GHz is fine. What should I check?"
)
SUPPORT_INPUT = 41
CACHE_MISS_ANSWER = (
    "A drop at the same time every evening that fixes itself usually means something "
    "scheduled, or a channel change. In order:\n\n"
    "1. **Wireless schedule** (Settings → Wireless → Schedule, manual §7.3). Check that no "
    "rule turns the 5 GHz radio off or limits it around 20:00. Family time limits in the "
    "app can create one without you noticing.\n"
    "2. **DFS channels** (§6.4). If 5 GHz is on *Auto* and lands on channels 52–144, the "
    "X2 must leave the channel for a minute or more when it detects radar. Set a fixed "
    "non-DFS channel: **36, 40, 44 or 48**.\n"
    "3. **Automatic updates** (§11.2). The default update window is 20:00–20:30; an "
    "update restarts the 5 GHz radio. Move the window to the night.\n"
    "4. **System log** (Settings → Advanced → Logs). Look for `radar detected`, "
    "`sched: wlan1 off` or `fw-update` around 20:00; it will tell you which one it is.\n\n"
    "If the log shows none of these, note the exact time of the next drop and contact "
    "support with a diagnostics file (§12.1)."
)
CACHE_HIT_ANSWER = (
    "Since it happens at the same time every evening and recovers by itself, look for "
    "something scheduled first:\n\n"
    "1. **Automatic updates** (manual §11.2): the default window is **20:00–20:30**, and "
    "installing an update restarts the 5 GHz radio. Move it to the night in "
    "Settings → System → Updates.\n"
    "2. **Wireless schedule** (§7.3): check Settings → Wireless → Schedule, and any time "
    "limits set in the app, for a rule that turns 5 GHz off around 20:00.\n"
    "3. **DFS radar events** (§6.4): on *Auto*, 5 GHz can pick channels 52–144 and must "
    "vacate them when radar is detected. A fixed channel of **36, 40, 44 or 48** avoids "
    "that.\n\n"
    "The system log (Settings → Advanced → Logs) will show which it is: look for "
    "`fw-update`, `sched: wlan1 off` or `radar detected` just before 20:00. If none "
    "appear, send a diagnostics file to support (§12.1)."
)


def _support_request() -> dict[str, Any]:
    return {
        "max_tokens": 1024,
        "system": [
            {
                "type": "text",
                "text": f"<Northwind X2 router support manual: {MANUAL_TOKENS:,} tokens>",
                "cache_control": {"type": "ephemeral"},
            }
        ],
        "messages": [{"role": "user", "content": SUPPORT_PROMPT}],
    }


def cache_miss() -> Recording:
    b = StreamBuilder(
        HAIKU,
        seed=505,
        usage={"input_tokens": SUPPORT_INPUT, "cache_creation_input_tokens": MANUAL_TOKENS},
        max_tokens=1024,
    )
    b.text(CACHE_MISS_ANSWER)
    b.stop("end_turn")
    return Recording(
        name="cache_miss",
        title="Prompt cache: miss (write)",
        description=(
            "A support bot with a 14k-token manual in a cached system prompt, first call: "
            "the prefix is written to the cache (5-minute lifetime)."
        ),
        teaches=(
            "A cache write reports cache_creation_input_tokens (with the 5m/1h breakdown) "
            "and costs 1.25x input; the uncached input_tokens are only what follows the "
            "breakpoint. Compare with cache_hit: same total input, slower first event."
        ),
        builder=b,
        request=_support_request(),
        stop_reason="end_turn",
    )


def cache_hit() -> Recording:
    b = StreamBuilder(
        HAIKU,
        seed=506,
        usage={"input_tokens": SUPPORT_INPUT, "cache_read_input_tokens": MANUAL_TOKENS},
        max_tokens=1024,
    )
    b.text(CACHE_HIT_ANSWER)
    b.stop("end_turn")
    return Recording(
        name="cache_hit",
        title="Prompt cache: hit (read)",
        description=(
            "The same request two minutes later: the 14k-token prefix is read from the "
            "cache, so the first event comes sooner and the input costs a tenth."
        ),
        teaches=(
            "A cache hit reports cache_read_input_tokens (0.1x input price); the total "
            "input (uncached + written + read) is the same as for cache_miss."
        ),
        builder=b,
        request=_support_request(),
        stop_reason="end_turn",
    )


# --------------------------------------------------------------------------- web search

SEARCH_PROMPT = "Is the free-threaded (no-GIL) build of Python ready to use in production?"
PY314 = ("https://docs.python.org/3/whatsnew/3.14.html", "What's new in Python 3.14")
PEP779 = (
    "https://peps.python.org/pep-0779/",
    "PEP 779 – Criteria for supported status for free-threaded Python",
)
HOWTO = (
    "https://docs.python.org/3/howto/free-threading-python.html",
    "Python support for free threading",
)
PEP703 = (
    "https://peps.python.org/pep-0703/",
    "PEP 703 – Making the Global Interpreter Lock Optional in CPython",
)
EXT_HOWTO = (
    "https://docs.python.org/3/howto/free-threading-extensions.html",
    "C API Extension Support for Free Threading",
)
TRACKER = (
    "https://py-free-threading.github.io/tracking/",
    "Compatibility Status Tracking - Python free-threading guide",
)
GUIDE = ("https://py-free-threading.github.io/", "Python free-threading guide")


def _results(*pages: tuple[str, str], ages: tuple[str | None, ...]) -> list[dict[str, Any]]:
    return [
        {"title": title, "url": url, "page_age": age}
        for (url, title), age in zip(pages, ages, strict=True)
    ]


def web_search() -> Recording:
    b = StreamBuilder(SONNET, seed=606, usage={"input_tokens": 2203}, max_tokens=4096)
    b.text("I'll check the current status of free-threaded Python.")
    b.server_tool_use("web_search", {"query": "Python free-threaded build supported status 3.14"})
    b.web_search_result(
        _results(PY314, PEP779, HOWTO, PEP703, GUIDE, ages=("3 weeks ago", None, None, None, None))
    )
    b.text("Let me also check the performance cost and library support.")
    b.server_tool_use(
        "web_search", {"query": "free-threaded python single-threaded overhead extension support"}
    )
    b.web_search_result(_results(HOWTO, EXT_HOWTO, TRACKER, ages=(None, None, "1 month ago")))
    b.text("**Mostly yes for new projects, with caveats.** Here is where it stands:\n\n")
    b.text(
        "Since Python 3.14 the free-threaded build is officially supported rather than "
        "experimental",
        citations=[
            b.web_citation(
                *PY314,
                cited_text="The free-threaded build of Python is now supported and no longer "
                "experimental. ",
            ),
            b.web_citation(
                *PEP779,
                cited_text="This PEP establishes the criteria for moving free-threaded "
                "Python from experimental to supported status (Phase II). ",
            ),
        ],
    )
    b.text(
        ", but it remains a separate, optional build (`python3.14t`); the default "
        "interpreter still has the GIL.\n\n**Performance.** "
    )
    b.text(
        "Single-threaded code runs roughly 5–10% slower on the free-threaded build",
        citations=[
            b.web_citation(
                *PY314,
                cited_text="The performance penalty on single-threaded code in free-threaded "
                "mode is now roughly 5-10%, depending on the platform and C compiler used.",
            )
        ],
    )
    b.text(
        ", so it pays off for CPU-bound work spread over threads, not for typical "
        "I/O-bound web services.\n\n**Libraries.** "
    )
    b.text(
        "C extensions have to declare that they support running without the GIL; "
        "importing one that doesn't re-enables the GIL for the whole process and prints "
        "a warning",
        citations=[
            b.web_citation(
                *HOWTO,
                cited_text="If an extension module that does not explicitly indicate "
                "support for running without the GIL is imported, the GIL will be "
                "re-enabled and a warning will be printed.",
            ),
            b.web_citation(
                *EXT_HOWTO,
                cited_text="C extensions need to indicate that they support running with "
                "the GIL disabled.",
            ),
        ],
    )
    b.text(". ")
    b.text(
        "Support across popular packages is tracked by the community",
        citations=[
            b.web_citation(
                *TRACKER,
                cited_text="This page tracks the status of packages for which we're aware "
                "of active work on free-threaded support.",
            )
        ],
    )
    b.text(
        ": check every compiled dependency you use before switching.\n\n"
        "**In practice:** try it in CI with `python3.14t` and `PYTHON_GIL=0`, measure, and "
        "keep the default build for production services until all your native "
        "dependencies ship free-threaded wheels."
    )
    b.stop("end_turn")
    return Recording(
        name="web_search",
        title="Web search with citations",
        description=(
            "A research question answered with two web_search server tool calls, their "
            "results, and an answer whose sentences carry web_search_result_location "
            "citations."
        ),
        teaches=(
            "Server tools run inside the API: server_tool_use is followed by its "
            "web_search_tool_result without a round trip. Cited text comes in its own "
            "text blocks whose citations arrive as citations_delta before the words; "
            "input_tokens grows by the results and usage.server_tool_use counts searches."
        ),
        builder=b,
        request={
            "max_tokens": 4096,
            "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}],
            "messages": [{"role": "user", "content": SEARCH_PROMPT}],
        },
        stop_reason="end_turn",
    )


# --------------------------------------------------------------------------- large tool input

CALC_HEADER = '''"""Table-driven tests for calc.evaluate.

Every expected value below was checked against Python's own arithmetic, which evaluate()
follows: true division with /, floor division with //, Python's sign rules for %,
right-associative **, and unary minus binding more loosely than ** (so -2 ** 2 == -4).
Malformed input raises CalcError.
"""

from __future__ import annotations

import pytest

from calc import CalcError, evaluate'''


def _expr(rng: random.Random, depth: int, ops: str, top: bool = True) -> str:
    """A random arithmetic expression (Python syntax, small integers, at least one
    operator)."""
    if depth == 0 or (not top and rng.random() < 0.3):
        return str(rng.randint(0, 99))
    left = _expr(rng, depth - 1, ops, False)
    right = _expr(rng, depth - 1, ops, False)
    op = rng.choice(ops.split())
    if rng.random() < 0.3:
        return f"({left} {op} {right})"
    return f"{left} {op} {right}"


def _value(expression: str) -> Any:
    # only ever called on expressions built above: digits, operators, parentheses
    return eval(expression, {"__builtins__": {}}, {})


def _cases(
    rng: random.Random,
    count: int,
    make: Callable[[random.Random], str],
    accept: Callable[[Any], bool] = lambda v: True,
) -> list[tuple[str, Any]]:
    seen: set[str] = set()
    out: list[tuple[str, Any]] = []
    while len(out) < count:
        expression = make(rng)
        if expression in seen or len(expression) > 64:  # keep lines under 100 characters
            continue
        try:
            value = _value(expression)
        except (ZeroDivisionError, OverflowError):
            continue
        if not accept(value):
            continue
        seen.add(expression)
        out.append((expression, value))
    return out


def _small(value: Any) -> bool:
    return isinstance(value, int) and abs(value) < 10**12


def _section(name: str, doc: str, cases: list[tuple[str, Any]], approx: bool) -> str:
    lines = ["", "", "", f"# {doc}", f"{name} = ["]
    lines += [f"    ({json.dumps(expression)}, {value!r})," for expression, value in cases]
    lines.append("]")
    test = name.lower().removesuffix("_cases")
    check = "pytest.approx(expected)" if approx else "expected"
    kind = "float" if approx else "int"
    lines += [
        "",
        "",
        f'@pytest.mark.parametrize(("expression", "expected"), {name})',
        f"def test_{test}(expression: str, expected: {kind}) -> None:",
        f"    assert evaluate(expression) == {check}",
    ]
    return "\n".join(lines)


def calc_test_suite(per_section: int = 640) -> str:
    """A ~205 KB generated test module: what a coding assistant writes when asked for an
    exhaustive table of cases (deterministic; the values are computed, not invented)."""
    rng = random.Random("gallery:calc-suite")
    n = per_section

    def spaced(r: random.Random) -> str:
        expression = _expr(r, 3, "+ - *")
        return "".join(c + (" " * r.randint(0, 2) if c in "+-*()" else "") for c in expression)

    sections = [
        _section(
            "ADDITIVE_CASES",
            "Addition and subtraction, left to right.",
            _cases(rng, n, lambda r: _expr(r, 3, "+ -"), _small),
            approx=False,
        ),
        _section(
            "PRECEDENCE_CASES",
            "* binds tighter than + and -.",
            _cases(rng, n, lambda r: _expr(r, 3, "+ - *"), _small),
            approx=False,
        ),
        _section(
            "PARENTHESES_CASES",
            "Parentheses override precedence, nested to any depth.",
            _cases(rng, n, lambda r: "(" + _expr(r, 4, "+ - *") + ")", _small),
            approx=False,
        ),
        _section(
            "UNARY_MINUS_CASES",
            "Unary minus, repeated, and its precedence against **.",
            _cases(rng, n, lambda r: "-" + _expr(r, 2, "+ - *"), _small)[: n // 2]
            + _cases(
                rng,
                n - n // 2,
                lambda r: (
                    f"-{r.randint(1, 12)} ** {r.randint(0, 4)}"
                    + r.choice(["", f" + {r.randint(0, 9)}", f" * -{r.randint(1, 9)}"])
                ),
                _small,
            ),
            approx=False,
        ),
        _section(
            "POWER_CASES",
            "** is right-associative: 2 ** 3 ** 2 == 2 ** 9.",
            _cases(
                rng,
                n,
                lambda r: (
                    f"{r.randint(0, 9)} ** {r.randint(0, 3)} ** {r.randint(0, 2)}"
                    if r.random() < 0.4
                    else f"({_expr(r, 1, '+ -')}) ** {r.randint(0, 5)}"
                ),
                _small,
            ),
            approx=False,
        ),
        _section(
            "FLOOR_DIVISION_CASES",
            "// and % follow Python's sign rules (the result of % has the divisor's sign).",
            _cases(
                rng,
                n,
                lambda r: (
                    f"{r.randint(-99, 99)} {r.choice(['//', '%'])} "
                    f"{r.choice([-1, 1]) * r.randint(1, 12)}"
                    + r.choice(["", f" + {r.randint(0, 9)}", f" * {r.randint(2, 5)}"])
                ),
                _small,
            ),
            approx=False,
        ),
        _section(
            "TRUE_DIVISION_CASES",
            "/ always gives a float; compared with pytest.approx.",
            _cases(
                rng,
                n,
                lambda r: _expr(r, 2, "+ - *") + " / " + str(r.randint(1, 97)),
                lambda v: isinstance(v, float) and abs(v) < 1e9,
            ),
            approx=True,
        ),
        _section(
            "WHITESPACE_CASES",
            "Spaces are optional and may be repeated anywhere between tokens.",
            _cases(rng, n, spaced, _small),
            approx=False,
        ),
    ]
    errors = [
        "",
        "   ",
        "1 +",
        "* 2",
        "(1 + 2",
        "1 + 2)",
        ")(",
        "1 2",
        "1 / 0",
        "7 // 0",
        "7 % 0",
        "2 ** ",
        "abc",
        "1 + x",
        "3..5",
        "1 ++",
        "()",
        "((1)",
        "4 / (2 - 2)",
        "1e",
    ]
    error_lines = [
        "",
        "",
        "",
        "# Malformed input and division by zero raise CalcError, never a Python exception.",
        "ERROR_CASES = [",
        *[f"    {json.dumps(e)}," for e in errors],
        "]",
        "",
        "",
        '@pytest.mark.parametrize("expression", ERROR_CASES)',
        "def test_errors(expression: str) -> None:",
        "    with pytest.raises(CalcError):",
        "        evaluate(expression)",
        "",
    ]
    return CALC_HEADER + "".join(sections) + "\n".join(error_lines)


def write_file_200kb() -> Recording:
    content = calc_test_suite()
    tool_input = {"path": "tests/test_calc_cases.py", "content": content}
    b = StreamBuilder(HAIKU, seed=707, usage={"input_tokens": 3874}, max_tokens=64000)
    b.text(
        "I'll write the whole table-driven suite to `tests/test_calc_cases.py`: eight "
        "sections of 640 cases each, every expected value computed with Python's own "
        "arithmetic, plus the error cases."
    )
    # Long inputs in larger fragments than short ones: keeps the committed file modest.
    b.tool_use("write_file", tool_input, chunk=(60, 420))
    b.stop("tool_use")
    return Recording(
        name="write_file_200kb",
        title="A 200 KB tool argument",
        description=(
            "A coding assistant writes a ~205 KB generated test module with one write_file "
            "call: about 900 input_json_delta fragments over several minutes."
        ),
        teaches=(
            "Tool input JSON can be huge and slow: a view must stay linear in the bytes "
            "received (no re-parsing the whole buffer per delta) and show the string that "
            "is still being written."
        ),
        builder=b,
        request={
            "max_tokens": 64000,
            "system": "You are a coding assistant working in the calc-kata repository.",
            "tools": [READ_FILE, WRITE_FILE, RUN_TESTS],
            "messages": [
                {
                    "role": "user",
                    "content": "Write an exhaustive table-driven pytest suite for "
                    "calc.evaluate: precedence, parentheses, unary minus, powers, division "
                    "and whitespace, about 600 cases per area, plus error cases. Put it in "
                    "tests/test_calc_cases.py.",
                }
            ],
        },
        stop_reason="tool_use",
        extra_meta={"tool_input_bytes": len(json.dumps(tool_input, ensure_ascii=False))},
    )


# --------------------------------------------------------------------------- cut and error

COMPOSE_YAML = """services:
  postgres:
    image: postgres:16-alpine
    restart: unless-stopped
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password
      POSTGRES_DB: shop
    volumes:
      - pgdata:/var/lib/postgresql/data
    secrets:
      - postgres_password
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U shop -d shop"]
      interval: 10s
      timeout: 5s
      retries: 5
    networks:
      - backend

  redis:
    image: redis:7-alpine
    restart: unless-stopped
    command: ["redis-server", "--appendonly", "yes", "--maxmemory", "256mb",
              "--maxmemory-policy", "allkeys-lru"]
    volumes:
      - redisdata:/data
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 10s
      timeout: 3s
      retries: 5
    networks:
      - backend

  migrate:
    build:
      context: .
      dockerfile: docker/api.Dockerfile
    command: ["alembic", "upgrade", "head"]
    environment:
      DATABASE_URL: postgresql+psycopg://shop@postgres:5432/shop
      DATABASE_PASSWORD_FILE: /run/secrets/postgres_password
    secrets:
      - postgres_password
    depends_on:
      postgres:
        condition: service_healthy
    networks:
      - backend
    restart: "no"

  api:
    build:
      context: .
      dockerfile: docker/api.Dockerfile
    restart: unless-stopped
    command: ["gunicorn", "shop.app:create_app()", "--bind", "0.0.0.0:8000",
              "--workers", "4", "--worker-class", "uvicorn.workers.UvicornWorker",
              "--timeout", "30", "--graceful-timeout", "20"]
    environment:
      DATABASE_URL: postgresql+psycopg://shop@postgres:5432/shop
      DATABASE_PASSWORD_FILE: /run/secrets/postgres_password
      REDIS_URL: redis://redis:6379/0
      LOG_LEVEL: info
      SENTRY_DSN_FILE: /run/secrets/sentry_dsn
    secrets:
      - postgres_password
      - sentry_dsn
    depends_on:
      postgres:
        condition: service_healthy
      redis:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
    healthcheck:
      test: ["CMD", "python", "-c",
             "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz')"]
      interval: 15s
      timeout: 5s
      retries: 3
      start_period: 20s
    networks:
      - backend
      - frontend

  worker:
    build:
      context: .
      dockerfile: docker/api.Dockerfile
    restart: unless-stopped
    command: ["celery", "-A", "shop.tasks", "worker", "--loglevel", "info",
              "--concurrency", "4", "--max-tasks-per-child", "500"]
    environment:
      DATABASE_URL: postgresql+psycopg://shop@postgres:5432/shop
      DATABASE_PASSWORD_FILE: /run/secrets/postgres_password
      REDIS_URL: redis://redis:6379/0
      CELERY_BROKER_URL: redis://redis:6379/1
      CELERY_RESULT_BACKEND: redis://redis:6379/2
      SENTRY_DSN_FILE: /run/secrets/sentry_dsn
    secrets:
      - postgres_password
      - sentry_dsn
    depends_on:
      postgres:
        condition: service_healthy
      redis:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
    healthcheck:
      test: ["CMD", "celery", "-A", "shop.tasks", "inspect", "ping", "--timeout", "5"]
      interval: 30s
      timeout: 10s
      retries: 3
      start_period: 30s
    networks:
      - backend

  beat:
    build:
      context: .
      dockerfile: docker/api.Dockerfile
    restart: unless-stopped
    command: ["celery", "-A", "shop.tasks", "beat", "--loglevel", "info",
              "--schedule", "/var/lib/beat/celerybeat-schedule"]
    environment:
      REDIS_URL: redis://redis:6379/0
      CELERY_BROKER_URL: redis://redis:6379/1
    volumes:
      - beatdata:/var/lib/beat
    depends_on:
      redis:
        condition: service_healthy
    networks:
      - backend

  nginx:
    image: nginx:1.27-alpine
    restart: unless-stopped
    ports:
      - "80:80"
      - "443:443"
    volumes:
      - ./docker/nginx/nginx.conf:/etc/nginx/nginx.conf:ro
      - ./docker/nginx/conf.d:/etc/nginx/conf.d:ro
      - ./static:/srv/static:ro
      - certs:/etc/letsencrypt:ro
    depends_on:
      api:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost/nginx-health"]
      interval: 15s
      timeout: 3s
      retries: 3
    networks:
      - frontend

volumes:
  pgdata:
  redisdata:
  beatdata:
  certs:

networks:
  backend:
    internal: true
  frontend:

secrets:
  postgres_password:
    file: ./secrets/postgres_password.txt
  sentry_dsn:
    file: ./secrets/sentry_dsn.txt
"""


def max_tokens_mid_tool() -> Recording:
    b = StreamBuilder(SONNET, seed=808, usage={"input_tokens": 1287}, max_tokens=1024)
    b.text(
        "Here's a production-leaning Compose file: health checks on every service, a "
        "one-shot migration job the API and worker wait for, secrets from files rather "
        "than environment variables, and Postgres and Redis on an internal network that "
        "nginx can't reach. I'll write it to `docker-compose.yml`."
    )
    b.tool_use("create_file", {"path": "docker-compose.yml", "content": COMPOSE_YAML})
    b.cut()
    b.stop("max_tokens")
    return Recording(
        name="max_tokens_mid_tool",
        title="Cut by max_tokens mid-tool",
        description=(
            "Writing a docker-compose.yml with max_tokens=1024: the tool input JSON stops "
            "mid-string, the block never gets content_block_stop, stop_reason is max_tokens."
        ),
        teaches=(
            "A max_tokens stop can leave a tool call unfinished: its JSON is incomplete and "
            "it must not be run. output_tokens equals max_tokens. Retry with a higher "
            "limit (or ask for the file in parts)."
        ),
        builder=b,
        request={
            "max_tokens": 1024,
            "system": "You are a DevOps assistant with file tools.",
            "tools": [READ_FILE, CREATE_FILE],
            "messages": [
                {
                    "role": "user",
                    "content": "Write a docker-compose.yml for our shop: Postgres, Redis, "
                    "the API (gunicorn), a Celery worker and beat, nginx in front. Health "
                    "checks everywhere, migrations before the API starts, secrets from "
                    "files.",
                }
            ],
        },
        stop_reason="max_tokens",
        problems=("block_never_stopped",),
    )


RAFT_ANSWER = (
    "Raft elects a leader with randomized timeouts and majority votes. Here is the whole "
    "cycle.\n\n"
    "## 1. Followers wait for heartbeats\n\n"
    "Every node starts as a **follower**. A leader sends periodic heartbeats "
    "(empty `AppendEntries` calls). Each follower has an **election timeout**, picked at "
    "random from a range such as 150–300 ms, and resets it whenever a heartbeat arrives.\n\n"
    "## 2. A timeout starts an election\n\n"
    "If a follower hears nothing before its timeout, it assumes the leader is gone. It "
    "increments its **term** (a logical clock), becomes a **candidate**, votes for "
    "itself and sends `RequestVote` to every other node, including its last log index "
    "and term.\n\n"
    "## 3. Nodes grant at most one vote per term\n\n"
    "A node grants its vote if it has not voted in this term yet **and** the candidate's "
    "log is at least as up to date as its own: a higher last term wins, and with equal "
    "terms the longer log wins. This rule is what guarantees a new leader already has "
    "every committed entry.\n\n"
    "## 4. Three ways the election ends\n\n"
    "- **It wins**: votes from a majority make it leader; it sends heartbeats at once so "
    "the others stay followers.\n"
    "- **Someone else wins**: an `AppendEntries` from a leader with a term at least as "
    "high makes it step down.\n"
    "- **Split vote**: nobody reaches a majority; the timeouts expire again, at different "
    "random times, and a new term begins. The randomness makes repeated splits unlikely.\n\n"
    "## 5. Terms keep everyone honest\n\n"
    "Any message carrying a higher term makes the receiver update its term and fall back "
    "to follower, so a stale leader that was partitioned away steps down as soon as it "
    "hears from the new one."
)


def overloaded_error() -> Recording:
    b = StreamBuilder(OPUS, seed=909, usage={"input_tokens": 31}, max_tokens=2048)
    b.text(RAFT_ANSWER)
    b.cut(0.44)
    b.error("overloaded_error", "Overloaded")
    return Recording(
        name="overloaded_error",
        title="Overloaded mid-stream",
        description=(
            "An explanation of Raft elections stops mid-sentence: an error event "
            "(overloaded_error) arrives instead of the rest, with no message_delta or "
            "message_stop."
        ),
        teaches=(
            "Errors can come after a 200 OK, as an SSE error event; the SDK raises "
            "APIStatusError with type overloaded_error. Keep what arrived, show the error "
            "and retry with backoff; the open text block never gets its stop."
        ),
        builder=b,
        request={
            "max_tokens": 2048,
            "messages": [{"role": "user", "content": "Explain how leader election works in Raft."}],
        },
        stop_reason=None,
        error="overloaded_error",
        problems=("block_never_stopped",),
    )


# --------------------------------------------------------------------------- tool loop

LOOP_SYSTEM = (
    "You are a CI assistant for the acme/storefront repository. Today is Monday 3 November "
    "2025. Sending email requires the user's approval."
)
LOOP_TOOLS = [
    _tool(
        "list_ci_runs",
        "List CI pipeline runs in a date range.",
        {
            "pipeline": {"type": "string"},
            "status": {"type": "string", "enum": ["failed", "passed", "cancelled", "any"]},
            "since": DATE,
            "until": DATE,
        },
        ["pipeline", "since"],
    ),
    _tool(
        "get_job_log",
        "The last lines of a CI job's log.",
        {
            "run_id": {"type": "integer", "minimum": 1},
            "job": {"type": "string"},
            "tail_lines": {"type": "integer", "minimum": 1, "maximum": 500},
        },
        ["run_id", "job"],
    ),
    _tool(
        "get_team",
        "Contact details of a team.",
        {"team": {"type": "string"}},
        ["team"],
    ),
    {
        **_tool(
            "send_email",
            "Send an email from the CI assistant. Needs the user's approval.",
            {
                "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "subject": {"type": "string", "maxLength": 200},
                "body": {"type": "string"},
            },
            ["to", "subject", "body"],
        ),
        "cache_control": {"type": "ephemeral"},
    },
]
LOOP_PROMPT = (
    "The nightly pipeline went red several times last week. Can you find out why and email "
    "a short summary to the platform team?"
)
LOOP_CACHED = 2318  # system prompt + tool definitions, cached with a breakpoint

RUNS_RESULT: dict[str, list[dict[str, Any]]] = {
    "runs": [
        {
            "id": 4812,
            "started": "2025-10-28T02:00:04Z",
            "failed_job": "test-integration",
            "commit": "9f3c2e1",
        },
        {
            "id": 4815,
            "started": "2025-10-30T02:00:03Z",
            "failed_job": "build-images",
            "commit": "a71d0b4",
        },
        {
            "id": 4819,
            "started": "2025-11-01T02:00:05Z",
            "failed_job": "test-integration",
            "commit": "c02be7f",
        },
    ]
}
TEAM_RESULT = {
    "team": "platform",
    "email": "platform-team@acme.example",
    "lead": "Priya Raman",
    "slack": "#platform",
}
UPLOAD_TIMEOUT = (
    "tests/integration/test_uploads.py::test_upload_resume FAILED\n"
    "E   TimeoutError: multipart upload did not complete within 30s "
    "(fake-s3 at localhost:4566)\n"
    "=========== 1 failed, 412 passed, 6 skipped in {secs}s ===========\n"
    "Error: Process completed with exit code 1."
)
LOGS = {
    4812: UPLOAD_TIMEOUT.format(secs="611.24"),
    4815: (
        "#14 [api 6/9] COPY --from=assets /app/dist /srv/static\n"
        "#14 ERROR: failed to copy files: write /var/lib/docker/overlay2/k3v9x/diff/srv/"
        "static/app.js.map: no space left on device\n"
        "runner: ci-runner-07  disk: /var/lib/docker 100% (98.3G/98.3G)\n"
        "Error: Process completed with exit code 1."
    ),
    4819: UPLOAD_TIMEOUT.format(secs="604.87"),
}
EMAIL_BODY = (
    "Hi all,\n\n"
    "The nightly pipeline failed three times last week (27 Oct – 2 Nov). Two causes:\n\n"
    "1. Flaky test: tests/integration/test_uploads.py::test_upload_resume timed out "
    "(30 s, multipart upload to fake-s3) in runs #4812 (Tue) and #4819 (Sat). The other "
    "412 tests passed both times. Suggest raising the timeout or making the fake-s3 "
    "container wait until it is ready, and quarantining the test until then.\n\n"
    "2. Runner disk full: run #4815 (Thu) failed in build-images because "
    "/var/lib/docker on ci-runner-07 was at 100% (98.3 GB). Suggest a scheduled "
    "`docker system prune` on the runners, or a larger disk.\n\n"
    "No product code was at fault.\n\n"
    "Sent on behalf of the CI assistant."
)


def _loop_request(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the loop sends on every turn: the same parameters, the conversation so far."""
    return {
        "max_tokens": 8192,
        "thinking": {"type": "enabled", "budget_tokens": 4096},
        "betas": ["interleaved-thinking-2025-05-14"],
        "system": LOOP_SYSTEM,
        "tools": LOOP_TOOLS,
        "messages": list(messages),
    }


def _assistant(builder: StreamBuilder) -> dict[str, Any]:
    """The assistant turn a loop appends after this stream: its content exactly as
    streamed (thinking with its signature)."""
    state = StreamState()
    for t, event in builder.build():
        state.apply(event, at=t)
    return {"role": "assistant", "content": state.to_message()["content"]}


LOOP_META = {"require_approval": ["send_email"]}


def _results_message(ids: list[str], results: list[Any]) -> dict[str, Any]:
    return {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": tool_id,
                "content": r if isinstance(r, str) else json.dumps(r),
            }
            for tool_id, r in zip(ids, results, strict=True)
        ],
    }


def _final_usage(builder: StreamBuilder) -> dict[str, Any]:
    delta = [e for _, e in builder.build() if e["type"] == "message_delta"][-1]
    usage: dict[str, Any] = delta["usage"]
    return usage


def tool_loop() -> Conversation:
    turns: list[Recording] = []
    conversation: list[dict[str, Any]] = [{"role": "user", "content": LOOP_PROMPT}]

    # Turn 1: two independent lookups, in parallel.
    input_tokens = 164
    b1 = StreamBuilder(
        SONNET,
        seed=1001,
        usage={"input_tokens": input_tokens, "cache_creation_input_tokens": LOOP_CACHED},
        max_tokens=8192,
    )
    b1.thinking(
        "The user wants to know why the nightly pipeline failed last week and to email a "
        "summary to the platform team. Last week is Monday 27 October to Sunday 2 November.\n\n"
        "I need two things to start: the failed nightly runs in that range, and the platform "
        "team's address. They don't depend on each other, so I'll request both at once. "
        "Once I have the runs I can pull the log of each failed job."
    )
    b1.text(
        "I'll pull last week's failed nightly runs and look up the platform team's contact details."
    )
    b1.tool_use(
        "list_ci_runs",
        {"pipeline": "nightly", "status": "failed", "since": "2025-10-27", "until": "2025-11-02"},
    )
    b1.tool_use("get_team", {"team": "platform"})
    b1.stop("tool_use")
    turns.append(
        Recording(
            name="tool_loop.turn1",
            title="Tool loop, turn 1: look things up",
            description="Thinking, a sentence, then list_ci_runs and get_team in parallel.",
            teaches="An agent turn ends with stop_reason tool_use; the loop runs both calls.",
            builder=b1,
            request=_loop_request(conversation),
            stop_reason="tool_use",
            conversation="tool_loop",
            turn=1,
            extra_meta=LOOP_META,
        )
    )

    # Turn 2: interleaved thinking about the results, then three log fetches in parallel.
    results1 = [RUNS_RESULT, TEAM_RESULT]
    conversation += [_assistant(b1), _results_message(b1.tool_ids, results1)]
    input_tokens += _final_usage(b1)["output_tokens"] + sum(
        estimate_tokens(json.dumps(r)) + 12 for r in results1
    )
    b2 = StreamBuilder(
        SONNET,
        seed=1002,
        usage={"input_tokens": input_tokens, "cache_read_input_tokens": LOOP_CACHED},
        max_tokens=8192,
    )
    b2.thinking(
        "Three failed runs: #4812 (Tuesday) and #4819 (Saturday) both failed in "
        "test-integration, #4815 (Thursday) in build-images. Different jobs, so there may be "
        "two separate causes.\n\nThe team address is platform-team@acme.example, lead Priya "
        "Raman.\n\nI'll fetch the three job logs in parallel; the last 80 lines of each "
        "should show the failure."
    )
    for run in RUNS_RESULT["runs"]:
        b2.tool_use(
            "get_job_log", {"run_id": run["id"], "job": run["failed_job"], "tail_lines": 80}
        )
    b2.stop("tool_use")
    turns.append(
        Recording(
            name="tool_loop.turn2",
            title="Tool loop, turn 2: fetch the logs",
            description=(
                "Interleaved thinking about the two tool results, then three get_job_log "
                "calls in parallel (no text)."
            ),
            teaches=(
                "With interleaved thinking the model reasons between tool rounds; a turn "
                "can go straight from thinking to tool calls."
            ),
            builder=b2,
            request=_loop_request(conversation),
            stop_reason="tool_use",
            conversation="tool_loop",
            turn=2,
            extra_meta=LOOP_META,
        )
    )

    # Turn 3: diagnosis, then the risky call that needs approval.
    results2 = [LOGS[run["id"]] for run in RUNS_RESULT["runs"]]
    conversation += [_assistant(b2), _results_message(b2.tool_ids, results2)]
    input_tokens += _final_usage(b2)["output_tokens"] + sum(
        estimate_tokens(r) + 12 for r in results2
    )
    b3 = StreamBuilder(
        SONNET,
        seed=1003,
        usage={"input_tokens": input_tokens, "cache_read_input_tokens": LOOP_CACHED},
        max_tokens=8192,
    )
    b3.thinking(
        "Two distinct causes.\n\n#4812 and #4819: the same test, "
        "test_upload_resume, timed out after 30 s waiting for a multipart upload to the "
        "fake-s3 container, while 412 other tests passed. Same failure twice on different "
        "commits, so it's a flaky test rather than a regression.\n\n#4815: infrastructure. "
        "ci-runner-07 ran out of disk in /var/lib/docker (100%, 98.3 GB) while copying "
        "assets into the image. Old images and build cache are the usual culprit.\n\n"
        "I'll summarise for the user and draft the email: short, both causes, run numbers, "
        "and a suggested fix for each. Sending needs approval; the loop will ask."
    )
    b3.text(
        "Found it: two unrelated causes.\n\n"
        "- **Flaky test** (runs #4812 and #4819): `test_upload_resume` timed out after 30 s "
        "waiting on the fake-s3 container; the other 412 tests passed.\n"
        "- **Full disk** (run #4815): `/var/lib/docker` on **ci-runner-07** was at 100% "
        "during the image build.\n\n"
        "I'll email this to the platform team; you'll be asked to approve it first."
    )
    b3.tool_use(
        "send_email",
        {
            "to": ["platform-team@acme.example"],
            "subject": "Nightly failures last week: flaky upload test (2x), full disk on "
            "ci-runner-07 (1x)",
            "body": EMAIL_BODY,
        },
    )
    b3.stop("tool_use")
    turns.append(
        Recording(
            name="tool_loop.turn3",
            title="Tool loop, turn 3: diagnose, ask to send",
            description=(
                "Thinking over the three logs, a summary for the user, then send_email: a "
                "tool that needs the user's approval before it runs."
            ),
            teaches=(
                "Risky tools are gated: the loop shows the call's arguments and waits for "
                "approve or deny before running it."
            ),
            builder=b3,
            request=_loop_request(conversation),
            stop_reason="tool_use",
            conversation="tool_loop",
            turn=3,
            extra_meta=LOOP_META,
        )
    )

    # Turn 4: the approved email was sent; wrap up.
    sent = {"status": "sent", "message_id": "<20251103091412.5f2a9c@acme.example>"}
    conversation += [_assistant(b3), _results_message(b3.tool_ids, [sent])]
    input_tokens += _final_usage(b3)["output_tokens"] + estimate_tokens(json.dumps(sent)) + 12
    b4 = StreamBuilder(
        SONNET,
        seed=1004,
        usage={"input_tokens": input_tokens, "cache_read_input_tokens": LOOP_CACHED},
        max_tokens=8192,
    )
    b4.thinking("The email was approved and sent. Confirm briefly and offer the next step.")
    b4.text(
        "Done: the summary went to **platform-team@acme.example**.\n\n"
        "If you'd like, I can open two issues next: one to quarantine `test_upload_resume` "
        "and make the fake-s3 container wait until it's healthy, and one to schedule "
        "`docker system prune` on the CI runners."
    )
    b4.stop("end_turn")
    turns.append(
        Recording(
            name="tool_loop.turn4",
            title="Tool loop, turn 4: done",
            description="After the approved send_email result: a short confirmation, end_turn.",
            teaches="The loop ends when a turn stops with end_turn instead of tool_use.",
            builder=b4,
            request=_loop_request(conversation),
            stop_reason="end_turn",
            conversation="tool_loop",
            turn=4,
            extra_meta={
                **LOOP_META,
                "approval": {"tool_use_id": b3.last_tool_id, "decision": "approved"},
            },
        )
    )
    return Conversation(
        name="tool_loop",
        title="A whole tool loop",
        description=(
            "A CI assistant finds why the nightly build failed: parallel lookups, interleaved "
            "thinking, three parallel log fetches, a diagnosis, an email that needs approval, "
            "and a final answer (four turns)."
        ),
        teaches=(
            "What a loop sends back between turns (one tool_result per tool_use id, in "
            "order), how input grows turn by turn while the cached prefix is read, and "
            "where a human approves a risky call."
        ),
        model=SONNET,
        turns=turns,
    )


# --------------------------------------------------------------------------- invalid arguments

BOOKING_SYSTEM = "You book restaurant tables for the user. Today is Friday 14 November 2025."
BOOK_TABLE = _tool(
    "book_table",
    "Book a table at a restaurant.",
    {
        "restaurant": {"type": "string", "minLength": 1},
        "date": DATE,
        "time": {
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "24-hour time, HH:MM.",
        },
        "party_size": {"type": "integer", "minimum": 1, "maximum": 12},
        "seating": {"type": "string", "enum": ["indoor", "terrace", "bar"]},
    },
    ["restaurant", "date", "time", "party_size"],
)


def invalid_tool_arguments() -> Recording:
    b = StreamBuilder(SONNET, seed=1111, usage={"input_tokens": 612}, max_tokens=1024)
    b.text("I'll book it for four at seven tomorrow.")
    b.tool_use(
        "book_table",
        {
            "restaurant": "Taberna da Rua das Flores",
            "time": "7pm",
            "party_size": "4",
            "seating": "window",
            "notes": "a birthday",
        },
    )
    b.stop("tool_use")
    return Recording(
        name="invalid_tool_arguments",
        title="Tool arguments that break their schema",
        description=(
            "A booking call whose arguments stream in with a time in the wrong format, the "
            'party size as the string "4", a seating the tool does not offer, an argument '
            "it does not take, and no date."
        ),
        teaches=(
            "Each argument is checked against the tool's input_schema as soon as it is "
            'complete, before the call ends: "4" is a string, not an integer (JSON Schema '
            "does not coerce); a missing required argument shows when the object closes. "
            "The tool loop refuses to run such a call and tells the model why, in the same "
            "words."
        ),
        builder=b,
        request={
            "max_tokens": 1024,
            "system": BOOKING_SYSTEM,
            "tools": [BOOK_TABLE],
            "messages": [
                {
                    "role": "user",
                    "content": "Book Taberna da Rua das Flores for 4 people tomorrow at 7pm, "
                    "by the window if they can. It's a birthday.",
                }
            ],
        },
        stop_reason="tool_use",
        violations=(
            "time: must match the pattern ^([01][0-9]|2[0-3]):[0-5][0-9]$",
            'party_size: expected integer, got string "4"',
            'seating: must be one of "indoor", "terrace", "bar" (got "window")',
            'notes: unexpected property "notes" (not in the schema)',
            '(arguments): missing required property "date"',
        ),
    )


# --------------------------------------------------------------------------- runs to compare

WEEKEND_SYSTEM = (
    "You are a travel assistant. Use the tools to check facts. Today is Thursday 13 November 2025."
)
WEEKEND_PROMPT = (
    "I'm free this weekend, Saturday 15 and Sunday 16 November. Which of Lisbon, Porto or "
    "Seville will have the best weather for walking around all day?"
)
WEEKEND_CITIES = ("Lisbon, Portugal", "Porto, Portugal", "Seville, Spain")
WEEKEND_FORECASTS: dict[str, dict[str, Any]] = {
    "Lisbon, Portugal": {
        "location": "Lisbon, Portugal",
        "units": "celsius",
        "days": [
            {
                "date": "2025-11-15",
                "summary": "sunny intervals",
                "high": 19,
                "low": 12,
                "rain_mm": 0.4,
            },
            {"date": "2025-11-16", "summary": "sunny", "high": 20, "low": 12, "rain_mm": 0.0},
        ],
    },
    "Porto, Portugal": {
        "location": "Porto, Portugal",
        "units": "celsius",
        "days": [
            {"date": "2025-11-15", "summary": "showers", "high": 16, "low": 10, "rain_mm": 7.2},
            {"date": "2025-11-16", "summary": "heavy rain", "high": 15, "low": 11, "rain_mm": 14.8},
        ],
    },
    "Seville, Spain": {
        "location": "Seville, Spain",
        "units": "celsius",
        "days": [
            {"date": "2025-11-15", "summary": "sunny", "high": 23, "low": 10, "rain_mm": 0.0},
            {"date": "2025-11-16", "summary": "sunny", "high": 24, "low": 11, "rain_mm": 0.0},
        ],
    },
}
WEEKEND_ANSWER_PARALLEL = (
    "**Seville** is your best bet for a weekend on foot:\n\n"
    "| city | Saturday | Sunday | rain |\n"
    "| --- | --- | --- | ---: |\n"
    "| Seville | sunny, 23 °C | sunny, 24 °C | 0 mm |\n"
    "| Lisbon | sunny intervals, 19 °C | sunny, 20 °C | 0.4 mm |\n"
    "| Porto | showers, 16 °C | heavy rain, 15 °C | 22 mm |\n\n"
    "Seville is dry and warm both days, though mornings start around 10 °C, so bring a "
    "layer. Lisbon is a close second and a little milder. Skip Porto this time: it rains "
    "most of the weekend."
)
WEEKEND_ANSWER_SEQUENTIAL = (
    "**Seville** is the one to pick for walking around all day:\n\n"
    "| city | Saturday | Sunday | rain |\n"
    "| --- | --- | --- | ---: |\n"
    "| Seville | sunny, 23 °C | sunny, 24 °C | 0 mm |\n"
    "| Lisbon | sunny intervals, 19 °C | sunny, 20 °C | 0.4 mm |\n"
    "| Porto | showers, 16 °C | heavy rain, 15 °C | 22 mm |\n\n"
    "Seville stays dry and warm both days; mornings start around 10 °C, so bring a layer. "
    "Lisbon is a close second. Porto will be wet most of the weekend."
)


def _weekend_request(messages: list[dict[str, Any]], *, parallel: bool) -> dict[str, Any]:
    request: dict[str, Any] = {
        "max_tokens": 2048,
        "system": WEEKEND_SYSTEM,
        "tools": [GET_WEATHER],
        "messages": list(messages),
    }
    if not parallel:
        request["tool_choice"] = {"type": "auto", "disable_parallel_tool_use": True}
    return request


def _weekend_call(b: StreamBuilder, city: str) -> None:
    b.tool_use(
        "get_weather",
        {
            "location": city,
            "start_date": "2025-11-15",
            "end_date": "2025-11-16",
            "units": "celsius",
        },
    )


def _next_input(input_tokens: int, previous: StreamBuilder, results: list[dict[str, Any]]) -> int:
    """A turn's input: the previous turn's input, its output, and the results sent back."""
    return int(
        input_tokens
        + _final_usage(previous)["output_tokens"]
        + sum(estimate_tokens(json.dumps(r)) + 12 for r in results)
    )


def weekend(parallel: bool) -> Conversation:
    """The same question answered with the three forecasts asked at once (two turns), or
    one at a time (``disable_parallel_tool_use``: four turns)."""
    name = "weekend_parallel" if parallel else "weekend_sequential"
    how = "in parallel" if parallel else "one at a time"
    conversation: list[dict[str, Any]] = [{"role": "user", "content": WEEKEND_PROMPT}]
    batches = [list(WEEKEND_CITIES)] if parallel else [[city] for city in WEEKEND_CITIES]
    seed = 1200 if parallel else 1300
    input_tokens = 498
    turns: list[Recording] = []
    previous: StreamBuilder | None = None
    previous_results: list[dict[str, Any]] = []
    for number, batch in enumerate([*batches, []], start=1):
        if previous is not None:
            input_tokens = _next_input(input_tokens, previous, previous_results)
            conversation += [
                _assistant(previous),
                _results_message(previous.tool_ids, previous_results),
            ]
        b = StreamBuilder(
            SONNET, seed=seed + number, usage={"input_tokens": input_tokens}, max_tokens=2048
        )
        if batch and number == 1:
            b.text(
                "I'll check the forecast for all three cities at once."
                if parallel
                else "I'll check the forecasts one city at a time, starting with Lisbon."
            )
        elif batch:
            b.text(f"Now {batch[0].split(',')[0]}.")
        for city in batch:
            _weekend_call(b, city)
        if batch:
            b.stop("tool_use")
            description = f"Asks for the forecast of {', '.join(c.split(',')[0] for c in batch)}."
        else:
            b.text(WEEKEND_ANSWER_PARALLEL if parallel else WEEKEND_ANSWER_SEQUENTIAL)
            b.stop("end_turn")
            description = "Compares the forecasts and answers: Seville."
        turns.append(
            Recording(
                name=f"{name}.turn{number}",
                title=f"Weekend forecasts {how}, turn {number}",
                description=description,
                teaches=(
                    "Every turn sends the whole conversation again: input tokens grow "
                    "with each round trip."
                ),
                builder=b,
                request=_weekend_request(conversation, parallel=parallel),
                stop_reason="tool_use" if batch else "end_turn",
                conversation=name,
                turn=number,
            )
        )
        previous = b
        previous_results = [WEEKEND_FORECASTS[city] for city in batch]
    return Conversation(
        name=name,
        title=f"Weekend forecasts, tools called {how}",
        description=(
            "Which city has the best weekend weather: three get_weather calls "
            + (
                "in one response, then the answer (2 turns)."
                if parallel
                else "made one per response with disable_parallel_tool_use, then the "
                "answer (4 turns)."
            )
        ),
        teaches=(
            "Compare it with "
            + ("weekend_sequential" if parallel else "weekend_parallel")
            + " (compare_runs): parallel calls save round trips, so fewer requests, less "
            "waiting for first tokens, and fewer input tokens, since every request re-sends "
            "the conversation."
        ),
        model=SONNET,
        turns=turns,
    )


CAPACITY_ANSWER_FAST = (
    "**8 workers.**\n\n"
    "At 1,200 requests/min you get 20 requests/s, and each holds a worker for 0.25 s, so "
    "about 20 × 0.25 = 5 workers are busy on average. To keep utilisation under 70% you "
    "need 5 ÷ N < 0.7, so N > 7.1: 8 workers puts you at 62.5%."
)


def capacity(thinking: bool) -> Recording:
    b = StreamBuilder(
        SONNET, seed=1401 if thinking else 1402, usage={"input_tokens": 74}, max_tokens=8192
    )
    request: dict[str, Any] = {
        "max_tokens": 8192,
        "messages": [{"role": "user", "content": CAPACITY_PROMPT}],
    }
    if thinking:
        b.thinking(CAPACITY_THINKING)
        b.text(CAPACITY_ANSWER)
        request["thinking"] = {"type": "enabled", "budget_tokens": 4096}
    else:
        b.text(CAPACITY_ANSWER_FAST)
    b.stop("end_turn")
    state = "on" if thinking else "off"
    return Recording(
        name=f"capacity_thinking_{state}",
        title=f"Capacity question, thinking {state}",
        description=(
            "The capacity-planning question of thinking_summarized on Sonnet, "
            + (
                "with extended thinking: reasoning first, then a fuller answer."
                if thinking
                else "without thinking: the answer starts at once."
            )
        ),
        teaches=(
            "Compare capacity_thinking_on with capacity_thinking_off (compare_runs): "
            "thinking costs output tokens (thinking_tokens) and delays the first word of "
            "the answer; here it buys the caveats (bursts, N+1)."
        ),
        builder=b,
        request=request,
        stop_reason="end_turn",
    )


# --------------------------------------------------------------------------- the bench

POOL_PROMPT = (
    "In three sentences: when should I use a process pool rather than a thread pool in Python?"
)
POOL_ANSWERS = {
    HAIKU: (
        "Use a process pool when your work is CPU-bound, because the GIL lets only one "
        "thread run Python bytecode at a time. A thread pool is better for I/O-bound work "
        "such as network calls, where threads mostly wait. Processes cost more to start and "
        "must pickle their arguments, so keep the tasks coarse."
    ),
    SONNET: (
        "Reach for a **process pool** when the work is CPU-bound pure Python (parsing, "
        "number crunching without NumPy), since the GIL stops threads from running it in "
        "parallel. Use a **thread pool** for I/O-bound work (HTTP requests, database "
        "queries, file reads) or for C extensions that release the GIL, where threads are "
        "cheaper and share memory. Remember that processes pickle every argument and "
        "result, so send them few, large tasks rather than many small ones."
    ),
    OPUS: (
        "Choose a process pool for CPU-bound Python code: the GIL serialises bytecode "
        "across threads, so only separate interpreters give you real parallelism on "
        "several cores. Choose a thread pool when tasks spend their time waiting (sockets, "
        "disks, subprocesses) or run inside libraries that drop the GIL, such as NumPy or "
        "hashlib on large buffers. Mind the costs of processes: start-up time, pickling "
        "of arguments and results, and no shared state without explicit IPC, which is why "
        "batching work into larger chunks usually pays off."
    ),
}
_MODEL_KEYS = {HAIKU: "haiku", SONNET: "sonnet", OPUS: "opus"}


def three_models(model: str) -> Recording:
    key = _MODEL_KEYS[model]
    b = StreamBuilder(model, seed=f"three_models_{key}", usage={"input_tokens": 31}, max_tokens=512)
    b.text(POOL_ANSWERS[model])
    b.stop("end_turn")
    return Recording(
        name=f"three_models_{key}",
        title=f"One question, three models: {key}",
        description=(
            f"A short Python question answered by {key.capitalize()} in three sentences "
            "(the same request to Haiku, Sonnet and Opus)."
        ),
        teaches=(
            "Run three_models_haiku, three_models_sonnet and three_models_opus side by side "
            "(acompare_live): the same prompt, different pace, length and cost."
        ),
        builder=b,
        request={"max_tokens": 512, "messages": [{"role": "user", "content": POOL_PROMPT}]},
        stop_reason="end_turn",
    )


POEM_PROMPT = "Write a four-line poem about a lighthouse keeper's last night on duty."
POEMS = (
    "The lamp still turns though he will not,\n"
    "he winds the clock one final time;\n"
    "the sea keeps every night he kept,\n"
    "and hands the dark to someone's rhyme.",
    "Forty winters in a tower of salt,\n"
    "tonight he polishes the glass too long;\n"
    "ships he will never meet go safely by,\n"
    "and the beam hums his one remaining song.",
    "He logs the weather: *clear, a gentle swell*,\n"
    "then underlines the date, and sets the pen\n"
    "beside the lens he tended fifty years;\n"
    "at dawn the light goes out, and on again.",
    "Last oil, last watch, last flicker on the foam;\n"
    "the gulls don't know, the rocks will never tell.\n"
    "He climbs the hundred steps he counts as home\n"
    "and says goodnight to every ship as well.",
    "No storm tonight, just stars and the slow sweep\n"
    "of light across a sea that never sleeps;\n"
    "he leaves the kettle warm for who comes next,\n"
    "and writes one line: *the light is yours to keep.*",
)


def poem_sample(k: int) -> Recording:
    b = StreamBuilder(SONNET, seed=f"poem_sample_{k}", usage={"input_tokens": 22}, max_tokens=256)
    b.text(POEMS[k - 1])
    b.stop("end_turn")
    return Recording(
        name=f"poem_sample_{k}",
        title=f"Five samples of one poem: sample {k}",
        description=(
            f"Sample {k} of five: the same creative prompt (a four-line poem about a "
            "lighthouse keeper) sent five times to Sonnet."
        ),
        teaches=(
            "Sample a creative prompt several times (acompare_live(..., samples=5)) to see "
            "how much the answers vary before judging a prompt change on one run."
        ),
        builder=b,
        request={"max_tokens": 256, "messages": [{"role": "user", "content": POEM_PROMPT}]},
        stop_reason="end_turn",
    )


# --------------------------------------------------------------------------- writing


# --------------------------------------------------------------------------- cache misses

# Five pairs of requests a support bot sends, each turn asking the API for cache
# diagnostics (the first with previous_message_id None, the second with the first's id):
# four classic misses and a hit. The second turn's response carries what the API says.
SUPPORT_SYSTEM = "You are Northwind's support assistant for the X2 router. Be brief."
SUPPORT_MANUAL = f"<Northwind X2 router support manual: {MANUAL_TOKENS:,} tokens>"
SUPPORT_TOOLS = [
    _tool(
        "lookup_manual",
        "Find the manual sections about a topic.",
        {"topic": {"type": "string"}},
        ["topic"],
    ),
    _tool(
        "get_device_log",
        "Read the router's system log for the last N hours.",
        {"hours": {"type": "integer", "minimum": 1, "maximum": 72}},
        ["hours"],
    ),
    _tool(
        "open_ticket",
        "Open a support ticket with a summary of the problem.",
        {"summary": {"type": "string"}},
        ["summary"],
    ),
]
TOOLS_TOKENS = 412
PAIR_ANSWERS = (
    "Check Settings → Wireless → Schedule first (manual §7.3): a rule there can turn the "
    "5 GHz radio off around 20:00.",
    "Then look at the update window (§11.2): by default it is 20:00–20:30, and an update "
    "restarts the 5 GHz radio.",
)
FIRST_QUESTION = "My X2 drops 5 GHz every evening around 8pm. What should I check?"
FOLLOW_UP = "The schedule is empty. What next?"


def _cached(block: dict[str, Any], ttl: str | None = None) -> dict[str, Any]:
    control: dict[str, Any] = {"type": "ephemeral"}
    if ttl is not None:
        control["ttl"] = ttl
    return {**block, "cache_control": control}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _at(minutes: float, base: str = "2026-12-06T14:02:00") -> str:
    """``base`` plus ``minutes``, as the ISO stamp of a recording."""
    from datetime import datetime, timedelta

    when = datetime.fromisoformat(base) + timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class _Pair:
    name: str
    title: str
    description: str
    teaches: str
    requests: tuple[dict[str, Any], dict[str, Any]]
    usages: tuple[dict[str, Any], dict[str, Any]]
    reason: dict[str, Any] | None
    """The second response's ``cache_miss_reason`` (None: no divergence)."""
    minutes: float = 2.0
    """How long after the first request the second one went out."""


def _pair(pair: _Pair, seed: int) -> Conversation:
    turns: list[Recording] = []
    previous_id: str | None = None
    for number, (request, usage) in enumerate(zip(pair.requests, pair.usages, strict=True), 1):
        b = StreamBuilder(
            HAIKU, seed=seed + number, usage=usage, max_tokens=1024, time_to_first_event=0.6
        )
        b.text(PAIR_ANSWERS[number - 1])
        b.stop("end_turn")
        diagnostics = (
            {"cache_miss_reason": pair.reason} if number == 2 and pair.reason is not None else None
        )
        turns.append(
            Recording(
                name=f"{pair.name}.turn{number}",
                title=f"{pair.title}, turn {number}",
                description=pair.description,
                teaches=pair.teaches,
                builder=b,
                request={
                    **request,
                    "diagnostics": {"previous_message_id": previous_id},
                },
                stop_reason="end_turn",
                conversation=pair.name,
                turn=number,
                created=_at(0 if number == 1 else pair.minutes),
                diagnostics=diagnostics,
            )
        )
        previous_id = b.message_id
    return Conversation(
        name=pair.name,
        title=pair.title,
        description=pair.description,
        teaches=pair.teaches,
        model=HAIKU,
        turns=turns,
    )


def _support(
    *,
    system: list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {"max_tokens": 1024}
    if tools is not None:
        request["tools"] = tools
    request["system"] = system or [_text(SUPPORT_SYSTEM), _cached(_text(SUPPORT_MANUAL))]
    request["messages"] = messages or [{"role": "user", "content": FIRST_QUESTION}]
    return request


def _write(tokens: int, read: int = 0, input_tokens: int = 38) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": tokens,
        "cache_read_input_tokens": read,
    }


def cache_pairs() -> list[Conversation]:
    """The four classic misses and a hit, each a pair of requests."""
    stamped = [
        _cached(_text(f"{SUPPORT_SYSTEM} Current time: 2026-12-06 {clock} UTC.\n{SUPPORT_MANUAL}"))
        for clock in ("14:02", "14:04")
    ]
    prefix = MANUAL_TOKENS + 31
    with_tools = prefix + TOOLS_TOKENS
    tools = [*SUPPORT_TOOLS[:-1], _cached(SUPPORT_TOOLS[-1])]
    shuffled = [SUPPORT_TOOLS[1], SUPPORT_TOOLS[0], _cached(SUPPORT_TOOLS[2])]
    first_answer = {"role": "assistant", "content": PAIR_ANSWERS[0]}
    history: list[dict[str, Any]] = [
        {"role": "user", "content": [_text(FIRST_QUESTION)]},
        first_answer,
        {"role": "user", "content": [_cached(_text("Also: it is the X2 Pro, firmware 4.1."))]},
    ]
    edited: list[dict[str, Any]] = [
        {"role": "user", "content": [_text(FIRST_QUESTION.replace("8pm", "20:00"))]},
        first_answer,
        {"role": "user", "content": [_text("Also: it is the X2 Pro, firmware 4.1.")]},
        {"role": "assistant", "content": PAIR_ANSWERS[1]},
        {"role": "user", "content": [_cached(_text(FOLLOW_UP))]},
    ]
    appended: list[dict[str, Any]] = [
        {"role": "user", "content": [_text(FIRST_QUESTION)]},
        first_answer,
        {"role": "user", "content": [_text("Also: it is the X2 Pro, firmware 4.1.")]},
        {"role": "assistant", "content": PAIR_ANSWERS[1]},
        {"role": "user", "content": [_cached(_text(FOLLOW_UP))]},
    ]
    history_tokens = 96
    pairs = [
        _Pair(
            name="cache_timestamp",
            title="Cache miss: a timestamp in the system prompt",
            description=(
                "The system prompt starts with the current time, so two requests two minutes "
                "apart differ at its first cached block: the 14k-token manual behind it is "
                "written again."
            ),
            teaches=(
                "Anything that changes per request (a time, a request id) must come after "
                "the last breakpoint: put the time in the user message, not the system "
                "prompt. The API says system_changed."
            ),
            requests=(_support(system=[stamped[0]]), _support(system=[stamped[1]])),
            usages=(_write(prefix), _write(prefix)),
            reason={"type": "system_changed", "cache_missed_input_tokens": prefix},
        ),
        _Pair(
            name="cache_tools_reordered",
            title="Cache miss: tools re-ordered",
            description=(
                "The same three tools, listed in another order (built from a set): tools "
                "come first in the cached prefix, so nothing after them can be read."
            ),
            teaches=(
                "Tools are the start of the prefix: build the list in a fixed order "
                "(sorted by name). The API says tools_changed."
            ),
            requests=(_support(tools=tools), _support(tools=shuffled)),
            usages=(_write(with_tools), _write(with_tools)),
            reason={"type": "tools_changed", "cache_missed_input_tokens": with_tools},
        ),
        _Pair(
            name="cache_message_edited",
            title="Cache miss: an earlier message edited",
            description=(
                "A follow-up, with the breakpoint moved to the new last message; but a "
                "clean-up step rewrote the first question (8pm → 20:00), so the cached "
                "conversation behind the second breakpoint is written again (the manual "
                "still reads)."
            ),
            teaches=(
                "Send earlier turns back exactly as they were: any edit before a breakpoint "
                "invalidates it. The API says messages_changed."
            ),
            requests=(
                _support(messages=history),
                _support(messages=edited),
            ),
            usages=(
                _write(history_tokens, read=prefix, input_tokens=12),
                _write(history_tokens + 61, read=prefix, input_tokens=12),
            ),
            reason={"type": "messages_changed", "cache_missed_input_tokens": history_tokens},
        ),
        _Pair(
            name="cache_ttl_lapsed",
            title="Cache miss: the 5-minute lifetime lapsed",
            description=(
                "The same request twelve minutes later: nothing changed, but the cache entry "
                "lived five minutes, so it is written again."
            ),
            teaches=(
                "The API compares requests, not clocks: it reports no divergence. Use "
                'cache_control {"ttl": "1h"} for requests more than five minutes apart '
                "(a write costs 2x instead of 1.25x)."
            ),
            requests=(_support(), _support()),
            usages=(_write(prefix), _write(prefix)),
            reason=None,
            minutes=12.0,
        ),
        _Pair(
            name="cache_appended",
            title="Cache hit: only appended",
            description=(
                "A follow-up that sends the conversation back unchanged and appends to it, "
                "with the breakpoint moved to the new last message: everything before is "
                "read from the cache."
            ),
            teaches=(
                "Moving the breakpoint forward keeps the cache (the markers are not part of "
                "the prefix); only the new messages are written."
            ),
            requests=(_support(messages=history), _support(messages=appended)),
            usages=(
                _write(history_tokens, read=prefix, input_tokens=12),
                _write(61, read=prefix + history_tokens, input_tokens=12),
            ),
            reason=None,
        ),
    ]
    return [_pair(pair, 2100 + 10 * i) for i, pair in enumerate(pairs)]


def single_recordings() -> list[Recording]:
    sys.path.insert(0, str(REPO / "scripts"))
    from gallery_today import today_recordings  # today's API (SDK 2.17): its own module

    return [
        parallel_tools(),
        thinking_summarized(),
        thinking_omitted(),
        thinking_redacted(),
        cache_miss(),
        cache_hit(),
        web_search(),
        write_file_200kb(),
        max_tokens_mid_tool(),
        overloaded_error(),
        invalid_tool_arguments(),
        capacity(thinking=True),
        capacity(thinking=False),
        *(three_models(model) for model in (HAIKU, SONNET, OPUS)),
        *(poem_sample(k) for k in range(1, 6)),
        *today_recordings(Recording),
    ]


def conversations() -> list[Conversation]:
    return [tool_loop(), weekend(parallel=True), weekend(parallel=False), *cache_pairs()]


def _check(recording: Recording, events: list[TimedEvent]) -> None:
    """Reduce the stream with the request's tools; it must report what the recipe says
    (stop reason, error, problems, tool-argument violations), or nothing is written."""
    state = StreamState(started_at=0.0, request=recording.request)
    for t, event in events:
        state.apply(event, at=t)
    state.finish()
    problems = tuple(p.kind for p in state.problems)
    error = state.error.get("type") if state.error else None
    violations = tuple(
        str(v) for b in state.blocks if isinstance(b, ToolUseBlock) for v in b.violations
    )
    if (
        problems != recording.problems
        or error != recording.error
        or state.stop_reason != recording.stop_reason
        or violations != recording.violations
    ):
        raise SystemExit(
            f"{recording.name}: reduced to problems={problems}, error={error}, "
            f"stop_reason={state.stop_reason}, violations={violations}; the recipe expects "
            f"{recording.problems}, {recording.error}, {recording.stop_reason}, "
            f"{recording.violations}"
        )


def _meta(recording: Recording) -> dict[str, Any]:
    b = recording.builder
    meta: dict[str, Any] = {
        "title": recording.title,
        "description": recording.description,
        "teaches": recording.teaches,
        "model": b.model,
        "synthetic": True,
        "generator": GENERATOR,
        "seed": b.seed,
        "time_to_first_event": b.time_to_first_event,
        "output_tokens_per_second": round(b.tokens_per_second, 1),
        "request": {"model": b.model, **recording.request},
        # t counts from the first event; the request went out this long before it
        "request_at": -b.time_to_first_event,
    }
    if recording.conversation is not None:
        meta["conversation"] = recording.conversation
        meta["turn"] = recording.turn
    meta.update(recording.extra_meta)
    return meta


def write_gallery(out: Path) -> dict[str, Any]:
    """Write every recording and index.json into ``out``; returns the index."""
    out.mkdir(parents=True, exist_ok=True)
    multi = conversations()
    entries: list[dict[str, Any]] = []
    for recording in [*single_recordings(), *(t for c in multi for t in c.turns)]:
        events = recording.builder.build()
        if recording.diagnostics is not NOT_ASKED:
            events[0][1]["message"]["diagnostics"] = recording.diagnostics
        if recording.post is not None:
            events = recording.post(events)
        _check(recording, events)
        target = out / recording.file
        count = write_synthetic_cassette(
            target, events, _meta(recording), created=recording.created
        )
        entry: dict[str, Any] = {
            "name": recording.name,
            "file": recording.file,
            "title": recording.title,
            "description": recording.description,
            "teaches": recording.teaches,
            "model": recording.builder.model,
            "events": count,
            "bytes": target.stat().st_size,
            "duration": events[-1][0],
            "stop_reason": recording.stop_reason,
            "error": recording.error,
            "problems": list(recording.problems),
        }
        if recording.conversation is not None:
            entry["conversation"] = recording.conversation
            entry["turn"] = recording.turn
        entries.append(entry)
    index = {
        "gallery": 1,
        "generator": GENERATOR,
        "recordings": entries,
        "conversations": [
            {
                "name": c.name,
                "title": c.title,
                "description": c.description,
                "teaches": c.teaches,
                "model": c.model,
                "turns": [t.name for t in c.turns],
            }
            for c in multi
        ],
    }
    text = json.dumps(index, indent=2, ensure_ascii=False) + "\n"
    (out / "index.json").write_text(text, encoding="utf-8")
    return index


def _differences(a: Path, b: Path) -> list[str]:
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    return [
        name
        for name in names
        if not ((a / name).is_file() and (b / name).is_file())
        or not filecmp.cmp(a / name, b / name, shallow=False)
    ]


def gallery_table() -> str:
    """gallery.index_markdown() of the recordings as they are on disk now (read in a fresh
    process: the gallery module keeps the index it read first)."""
    code = "from streamscope.core import gallery; print(gallery.index_markdown(), end='')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", check=True
    )
    return done.stdout.rstrip("\n") + "\n"


def readme_with_table(readme: str, table: str) -> str:
    """``readme`` with its gallery table (from the table's header line to the next section,
    or the end) replaced by ``table``."""
    start = readme.index(TABLE_HEAD)
    end = readme.find("\n## ", start)
    tail = "" if end == -1 else readme[end:]
    return readme[:start] + table + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--check", action="store_true", help="regenerate into a temporary folder and compare"
    )
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write_gallery(Path(tmp))
            different = _differences(Path(tmp), args.out)
        if different:
            print("out of date: " + ", ".join(different))
            return 1
        print(f"{args.out} is up to date")
        if args.out.resolve() == DEFAULT_OUT:
            readme = README.read_text(encoding="utf-8")
            if readme_with_table(readme, gallery_table()) != readme:
                print("out of date: the README's gallery table (run make_gallery.py)")
                return 1
            print("README.md's gallery table is up to date")
        return 0
    index = write_gallery(args.out)
    if args.out.resolve() == DEFAULT_OUT:
        readme = README.read_text(encoding="utf-8")
        README.write_text(readme_with_table(readme, gallery_table()), encoding="utf-8")
    total = sum(e["bytes"] for e in index["recordings"])
    for e in index["recordings"]:
        print(f"{e['name']:24} {e['events']:6} events {e['bytes']:9,} B {e['duration']:8.1f} s")
    print(f"{'total':24} {total:23,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
