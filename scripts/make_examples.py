#!/usr/bin/env python3
"""Write the example notebooks in examples/ from the cells below (the notebooks' source).

The notebooks are generated so they can be reviewed as code: edit the cells here, run
``.venv/bin/python scripts/make_examples.py``, and commit both. They are written without
outputs and with stable cell ids, so the same source gives the same bytes;
``--check`` exits non-zero when a notebook in examples/ differs from what this script
would write (the test suite runs it).

Every notebook runs with no API key (recorded streams from ``streamscope.core.gallery``);
only ``06_your_own_key`` calls the API, and only when ``ANTHROPIC_API_KEY`` is set.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

Cell = tuple[str, str]  # ("markdown" | "code", source)


def md(text: str) -> Cell:
    return ("markdown", textwrap.dedent(text).strip("\n"))


def code(text: str) -> Cell:
    return ("code", textwrap.dedent(text).strip("\n"))


# --------------------------------------------------------------------------- 01


def quickstart() -> list[Cell]:
    return [
        md(
            """
            # 1 · Quickstart: watch a Claude stream

            When you call the Messages API with `stream=True`, the answer arrives as a
            sequence of small **events**: a `message_start`, then for each piece of content a
            `content_block_start`, many `content_block_delta`s and a `content_block_stop`, and
            finally a `message_delta` (why it stopped, how many tokens) and `message_stop`.

            streamscope turns those events into a live picture. In this notebook you replay a
            recorded stream, so **no API key is needed**, and you will see:

            * **lanes**: one per content block (thinking, text, each tool call), filling in as
              the deltas arrive;
            * the **final panel**: what is settled once the stream ends (the tool calls,
              signatures, token usage, an estimated cost, timing and the stop reason);
            * the **timeline**: when each block streamed.

            Run the cells from top to bottom (Shift+Enter).
            """
        ),
        code(
            """
            from streamscope.core import estimate_cost, gallery
            from streamscope.widgets import replay
            """
        ),
        md(
            """
            The package ships a small **gallery** of recorded streams, loadable by name.
            We use `parallel_tools`: a travel agent that thinks, says what it will do, then
            calls four tools in one response.
            """
        ),
        code(
            """
            info = gallery.info("parallel_tools")
            print(info.title, "·", info.model)
            print(info.description)
            print(f"{info.events} events over {info.duration:.1f} s")
            """
        ),
        md(
            """
            ## Replay it

            `await replay(...)` shows a `StreamView` and plays the recording with its original
            timing. While it plays, the header has **▶ Play / ❚❚ Pause**, **Step ›** (one
            event at a time), a **speed** menu and **■ Stop**. Run the cell again to watch it
            a second time, or pass `speed=0.5` for slow motion.

            The buttons work because the cell *awaits* the replay: a notebook only hears a
            button click while the running cell is waiting, not while it is busy.
            """
        ),
        code(
            """
            view = await replay(gallery.path("parallel_tools"), speed=1)
            """
        ),
        md(
            """
            ## What you are looking at

            * **Lane #0, thinking** (purple): the model's reasoning, streamed as a summary,
              then its **signature** (a check mark and its length). The signature is what
              lets you send this thinking back to the API later; notebook 3 is about it.
            * **Lane #1, text** (blue): what the model says to the user, rendered as Markdown.
            * **Lanes #2 to #5, tool_use** (orange), side by side: each tool call's arguments
              being written as JSON. The left column is the parsed value (strings appear while
              they are still being written), the right column the raw JSON exactly as received.
            * **The timeline**: one bar per block, from its start to its stop; the tick marks
              its first delta. Blocks never overlap: the API streams one block at a time.
            * **The final panel**: the four finished tool calls with their arguments, the
              thinking signature, usage and cost, timing (time to first token, output
              speed) and the stop reason `tool_use`: the model is waiting for the results.

            Everything the view shows is in `view.state`, a `StreamState`:
            """
        ),
        code(
            """
            state = view.state
            print("stop reason:", state.stop_reason)
            for block in state.blocks:
                print(f"#{block.index} {block.type:<9} {block.delta_count:>3} deltas")
            """
        ),
        code(
            """
            for call in state.tool_calls:
                print(call.name, call.input)
            """
        ),
        md(
            """
            ## Usage: why the last numbers win

            Token counts arrive twice. `message_start` already knows the **input** (the prompt
            was read before the first token was written) and carries a placeholder output
            count. The `message_delta` at the end carries the final counts. They are
            **cumulative**, not increments: the right thing to do is to *overwrite* the
            earlier values, never to add them up (adding would count the input twice).
            """
        ),
        code(
            """
            events = gallery.load_events("parallel_tools")
            start = next(e for e in events if e["type"] == "message_start")
            delta = next(e for e in events if e["type"] == "message_delta")
            print("message_start usage:", start["message"]["usage"])
            print("message_delta usage:", delta["usage"])
            print("the state keeps:   ", state.usage)
            """
        ),
        md(
            """
            The estimated cost uses Anthropic's list prices (see
            `streamscope.core.DEFAULT_PRICES.as_of`); the thinking tokens are billed as output.
            """
        ),
        code(
            """
            cost = estimate_cost(state.usage, state.model)
            print(f"input ${cost.input_usd:.5f} + output ${cost.output_usd:.5f}", end=" ")
            print(f"= ${cost.total_usd:.5f} (prices as of {cost.as_of})")
            print("of the output,", state.usage.thinking_tokens, "tokens were thinking")
            """
        ),
        md(
            """
            ## Keep it

            A view can be saved as a self-contained HTML file (no scripts, styles inline)
            or as the message in the API's JSON shape. The notebook itself also keeps a
            static picture of every view, which is what GitHub and nbviewer show.
            """
        ),
        code(
            """
            import tempfile
            from pathlib import Path

            out = Path(tempfile.mkdtemp())
            html_file = view.export_html(out / "parallel_tools.html")
            json_file = view.export_json(out / "parallel_tools.json")
            print(html_file, f"{html_file.stat().st_size:,} bytes")
            print(json_file, f"{json_file.stat().st_size:,} bytes")
            """
        ),
        md(
            """
            ## Next

            * `02_parallel_tools`: step through this stream one event at a time.
            * `03_thinking_and_signatures`: summarized, omitted and redacted thinking.
            * `04_prompt_caching`: what a cache write and a cache read cost.
            * `05_tool_loop`: a whole agent loop, with an approval button.
            * `06_your_own_key`: stream live with your own key, and record a cassette.

            The gallery holds more recordings (web search with citations, a 200 KB tool
            argument, a stream cut by `max_tokens`, an error mid-stream):
            """
        ),
        code(
            """
            for recording in gallery.list_recordings():
                print(f"{recording.name:<22} {recording.title}")
            """
        ),
    ]


# --------------------------------------------------------------------------- 02


def parallel_tools() -> list[Cell]:
    return [
        md(
            """
            # 2 · Parallel tool use, one event at a time

            When a model needs several independent facts, it can ask for several tools in **one
            response**: several `tool_use` blocks in the same message. This notebook takes the
            `parallel_tools` recording apart event by event, to see how the arguments of each
            call are built up, how the calls follow each other, and what to send back.
            No API key needed.
            """
        ),
        code(
            """
            import json

            from streamscope.core import Stepper, gallery
            from streamscope.widgets import StreamView, replay
            """
        ),
        md(
            """
            ## First, with the buttons

            Run the next cell and press **❚❚ Pause** early, then **Step ›** to apply one event
            at a time; the counter shows where you are. **▶ Play** resumes; the speed menu goes
            from 0.25× to instant. (Left alone, it plays to the end.)
            """
        ),
        code(
            """
            await replay(gallery.path("parallel_tools"), speed=1);
            """
        ),
        md(
            """
            ## Now in code

            A `Stepper` hands out the recorded events one by one. We feed each to a fresh
            `StreamView` with `view.apply(event, at=t)`, passing the recorded arrival time `t`
            so the view's timeline matches the recording. Run the cells below one by one and
            watch the view change.
            """
        ),
        code(
            """
            stepper = Stepper(gallery.path("parallel_tools"))
            view = StreamView()
            view
            """
        ),
        md(
            """
            Two small helpers: `step(until)` applies the events up to the next one matching
            `until` (an event type, or a test on the event) and returns them; `describe(event)`
            says in one line what an event carries.
            """
        ),
        code(
            """
            def describe(event):
                \"\"\"One line per event: its type, block index and what it adds.\"\"\"
                kind = event["type"]
                if kind == "content_block_start":
                    block = event["content_block"]
                    return f"start #{event['index']} {block['type']} {block.get('name', '')}"
                if kind == "content_block_delta":
                    delta = event["delta"]
                    piece = next((v for k, v in delta.items() if k != "type"), "")
                    return f"delta #{event['index']} {delta['type']:<16} {piece[:40]!r}"
                if kind == "content_block_stop":
                    return f"stop  #{event['index']}"
                return kind


            def step(until):
                \"\"\"Apply events up to the next one matching `until` (a type or a test).\"\"\"
                first = stepper.position
                events = stepper.step_until(until)
                for n, event in enumerate(events):
                    view.apply(event, at=stepper.timed[first + n][0])
                return events
            """
        ),
        md(
            """
            `message_start` opens the message (model, id, input tokens); then block #0 starts.
            (A `ping` comes right after: it only keeps the connection alive, and nothing is
            drawn for it.)
            """
        ),
        code(
            """
            for event in step("content_block_start"):
                print(describe(event))
            """
        ),
        md(
            """
            Let the thinking and the text stream to their ends (blocks #0 and #1), then stop
            right after the first tool block starts:
            """
        ),
        code(
            """
            events = step(lambda e: e["type"] == "content_block_start" and e["index"] == 2)
            print(len(events), "events; the last ones:")
            for event in events[-4:]:
                print(" ", describe(event))
            """
        ),
        md(
            """
            ## Watch an argument builder grow

            A tool call's arguments arrive as `input_json_delta` pieces: fragments of a JSON
            text, cut anywhere (even inside a key or a number). Only the concatenation of all of
            them is valid JSON. streamscope parses as it goes, so at every step you can read
            what is known so far; a string still being written shows what has arrived of it.
            Step through the first call, `get_weather`, one delta at a time:
            """
        ),
        code(
            """
            weather = view.state.block(2)
            while not weather.complete:
                (event,) = step(lambda e: True)  # exactly one event
                piece = event.get("delta", {}).get("partial_json")
                if piece is not None:
                    print(f"{piece!r:<20} -> {json.dumps(weather.input)}")
            print("finished:", weather.name, weather.input)
            """
        ),
        md(
            """
            ## Back to back, not interleaved

            The next tool block starts only after the previous one stopped: the API streams one
            content block at a time. "Parallel" means the model asked for all four calls in the
            same response, so **your code** can run them at the same time; the view places
            consecutive tool lanes side by side for that reason. Step to the end:
            """
        ),
        code(
            """
            for event in step("message_stop")[-4:]:
                print(describe(event))
            print("stop reason:", view.state.stop_reason)
            print([call.name for call in view.state.tool_calls])
            """
        ),
        md(
            """
            ## Read the timeline

            The timeline under the lanes draws what this table prints: when each block started,
            when its first delta came, and when it stopped (seconds from the first event).
            The thinking takes most of the time; each tool call's JSON streams in well under a
            second, one after the other.
            """
        ),
        code(
            """
            print("block                 start  first   stop  deltas")
            for block in view.state.blocks:
                label = f"#{block.index} {getattr(block, 'name', block.type)}"
                print(
                    f"{label:<21} {block.started_at:5.2f}  {block.first_delta_at:5.2f}"
                    f"  {block.stopped_at:5.2f}  {block.delta_count:>5}"
                )
            """
        ),
        md(
            """
            ## What goes back

            `stop_reason` is `tool_use`: the model waits for results. The next request repeats
            the conversation, adds this assistant message **unchanged** (thinking and signature
            included), then one user message holding **one `tool_result` per `tool_use`,
            matched by id**, in the same order. The results below are made up; a real loop
            (notebook 5) runs the functions.
            """
        ),
        code(
            """
            assistant_turn = {"role": "assistant", "content": view.state.to_message()["content"]}
            results_turn = {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": call.id,
                        "content": f"(result of {call.name})",
                    }
                    for call in view.state.tool_calls
                ],
            }
            print([block["type"] for block in assistant_turn["content"]])
            print(json.dumps(results_turn, indent=1)[:400], "…")
            """
        ),
    ]


# --------------------------------------------------------------------------- 03


def thinking() -> list[Cell]:
    return [
        md(
            """
            # 3 · Thinking and signatures

            With extended thinking on, a response starts with `thinking` blocks: the model's
            reasoning before it answers. Each ends with a **signature**. This notebook replays
            four recordings: summarized thinking, thinking whose display is omitted, redacted
            thinking, and thinking interleaved with tool calls; then shows why a signature must
            go back to the API exactly as it came. No API key needed.

            The replays run at 4× so the notebook is quick; set `SPEED = 1` to watch them at
            the recorded pace.
            """
        ),
        code(
            """
            from streamscope.core import StreamState, gallery
            from streamscope.widgets import replay

            SPEED = 4
            """
        ),
        md(
            """
            ## Summarized thinking

            Claude 4 models do not stream their raw reasoning: they stream a **summary** of it,
            in large pieces, then an empty `thinking_delta`, then a `signature_delta`. You pay
            for the full reasoning, so the billed thinking tokens are more than the summary's
            length suggests.
            """
        ),
        code(
            """
            view = await replay(gallery.path("thinking_summarized"), speed=SPEED)
            """
        ),
        code(
            """
            thought = view.state.blocks[0]
            usage = view.state.usage
            summary = len(thought.thinking)
            print(f"summary: {summary:,} characters, about {summary // 4:,} tokens")
            print(f"billed: {usage.thinking_tokens:,} thinking tokens")
            print(f"  (inside the {usage.output_tokens:,} output tokens)")
            print(f"signature: {thought.signature[:32]}… ({len(thought.signature):,} chars)")
            """
        ),
        md(
            """
            ## Thinking with its display omitted

            A request can ask for the thinking not to be returned at all
            (`"display": "omitted"` in its `thinking` settings). The block then carries no text,
            only the signature, after a long silence while the model thinks. The thinking still
            takes time and is still billed; the lane says so rather than looking stuck.
            """
        ),
        code(
            """
            view = await replay(gallery.path("thinking_omitted"), speed=SPEED)
            """
        ),
        code(
            """
            thought = view.state.blocks[0]
            answer = view.state.blocks[1]
            print("thinking text:", repr(thought.thinking), "· omitted:", thought.omitted)
            silence = answer.started_at - thought.started_at
            print(f"silence before the answer: {silence:.1f} s (recorded time)")
            print("billed thinking tokens:", view.state.usage.thinking_tokens)
            """
        ),
        md(
            """
            ## Redacted thinking

            Occasionally part of the reasoning is flagged by safety systems and comes back
            **encrypted**, as a `redacted_thinking` block: one opaque `data` string in its start
            event, no deltas. You cannot read it, but the model can: keep it and send it back.
            """
        ),
        code(
            """
            view = await replay(gallery.path("thinking_redacted"), speed=SPEED)
            """
        ),
        code(
            """
            for block in view.state.blocks:
                print(f"#{block.index} {block.type}")
            redacted = view.state.blocks[1]
            print(f"redacted data: {redacted.data[:32]}… ({len(redacted.data):,} characters)")
            """
        ),
        md(
            """
            ## Interleaved thinking with tools

            In an agent loop, the model can think again **between** tool rounds (the
            `interleaved-thinking-2025-05-14` beta on Claude 4 models). This is turn 2 of the
            tool-loop conversation of notebook 5: the model has just received two tool results,
            thinks about them, and goes straight to three parallel calls, with no text at all.
            """
        ),
        code(
            """
            view = await replay(gallery.path("tool_loop.turn2"), speed=SPEED)
            print([block.type for block in view.state.blocks], "·", view.state.stop_reason)
            """
        ),
        md(
            """
            ## Why the signature must go back unchanged

            The signature is Anthropic's seal on a thinking block. When you continue the
            conversation (in a tool loop you must), the assistant message you send back has to
            contain its thinking blocks exactly as they were streamed: the API checks each
            signature against its thinking and rejects the request if either was edited or left
            out. With the display omitted, the text is empty but the signature still carries the
            full reasoning, encrypted: that is how the model picks up where it left off. Redacted
            `data` works the same way.

            So the rule for client code is simple: **never rebuild, trim or re-encode thinking
            blocks; pass them through**. streamscope joins the signature deltas byte for byte and
            `StreamState.to_message()` gives back the blocks ready to send. Check it against the
            raw events of the redacted-thinking recording:
            """
        ),
        code(
            """
            events = gallery.load_events("thinking_redacted")
            signature_on_the_wire = "".join(
                e["delta"]["signature"]
                for e in events
                if e["type"] == "content_block_delta" and e["delta"]["type"] == "signature_delta"
            )
            starts = [e["content_block"] for e in events if e["type"] == "content_block_start"]
            data_on_the_wire = next(b["data"] for b in starts if b["type"] == "redacted_thinking")

            content = StreamState().apply_all(events).to_message()["content"]
            print([block["type"] for block in content])
            print("signature unchanged:", content[0]["signature"] == signature_on_the_wire)
            print("redacted data unchanged:", content[1]["data"] == data_on_the_wire)
            """
        ),
        md(
            """
            `content` is what goes back as the assistant turn:
            `{"role": "assistant", "content": content}`. The `ToolLoop` of notebook 5 does exactly
            this between turns.
            """
        ),
    ]


# --------------------------------------------------------------------------- 04


def caching() -> list[Cell]:
    return [
        md(
            """
            # 4 · Prompt caching: write once, read cheaply

            A long, unchanging prefix (a system prompt, a manual, tool definitions) can be
            **cached**: mark the end of it with `cache_control` and the API stores the processed
            prefix for 5 minutes (or an hour). The first request **writes** the cache, and the
            ones after it **read** it, which is faster and much cheaper.

            The two recordings here are the same support-bot request two minutes apart, with a
            14,000-token manual in a cached system prompt. No API key needed.
            """
        ),
        code(
            """
            from streamscope.core import StreamState, estimate_cost, gallery
            from streamscope.core.loop import sum_usage
            from streamscope.widgets import replay
            """
        ),
        md(
            """
            ## The first call writes the cache

            Look at the usage table in the final panel: **cache write** holds the manual's
            tokens; **input** is only the few tokens after the cache breakpoint (the question).
            """
        ),
        code(
            """
            miss = await replay(gallery.path("cache_miss"), speed=1)
            """
        ),
        md(
            """
            ## The next call reads it

            Same prompt, so the prefix is read from the cache: **cache read** holds the
            manual's tokens, and the first event comes sooner.
            """
        ),
        code(
            """
            hit = await replay(gallery.path("cache_hit"), speed=1)
            """
        ),
        md(
            """
            ## Side by side

            The three input counts add up to everything the model read:
            `input_tokens + cache_creation_input_tokens + cache_read_input_tokens`.
            It is the same total in both calls; only the price of each part differs. At list
            prices a cache **write** costs 1.25× the input price (2× for the one-hour cache)
            and a **read** 0.1×.
            """
        ),
        code(
            """
            rows = [("cache_miss", miss.state), ("cache_hit", hit.state)]
            print("            input   write    read  total in  output  first event")
            for name, state in rows:
                u = state.usage
                first = gallery.load(name).meta["time_to_first_event"]
                print(
                    f"{name:<10}{u.input_tokens:>7,}{u.cache_creation_input_tokens:>8,}"
                    f"{u.cache_read_input_tokens:>8,}{u.total_input_tokens:>10,}"
                    f"{u.output_tokens:>8,}{first:>12.2f}s"
                )
            """
        ),
        code(
            """
            for name, state in rows:
                cost = estimate_cost(state.usage, state.model)
                print(
                    f"{name:<10} input ${cost.input_usd:.5f} + write ${cost.cache_write_usd:.5f}"
                    f" + read ${cost.cache_read_usd:.5f} + output ${cost.output_usd:.5f}"
                )
                saved = cost.without_cache_usd
                print(f"{'':<10} = ${cost.total_usd:.5f}   (without caching: ${saved:.5f})")
            """
        ),
        md(
            """
            The write costs a little **more** than not caching at all; every read after it
            costs a fraction. So caching pays off from the **second** call that reuses the
            prefix within its lifetime. Over ten calls:
            """
        ),
        code(
            """
            write = estimate_cost(miss.state.usage, miss.state.model).total_usd
            read = estimate_cost(hit.state.usage, hit.state.model).total_usd
            plain = estimate_cost(miss.state.usage, miss.state.model).without_cache_usd
            for calls in (1, 2, 10):
                cached = write + (calls - 1) * read
                print(f"{calls:>2} × the call: cached ${cached:.4f}, uncached ${calls * plain:.4f}")
            """
        ),
        md(
            """
            ## Hit rate

            The **cache hit rate** is the share of the input that was read from cache:
            `cache_read / total input`. For one call it is 0 % or close to 100 %; over a
            conversation it tells you whether your breakpoints work. The four turns of the
            tool-loop conversation (notebook 5) write the system prompt and tool definitions on
            turn 1 and read them on every turn after, while the uncached part grows with each
            round of tool results:
            """
        ),
        code(
            """
            turns = gallery.list_conversations()[0].turns
            states = [StreamState().apply_all(gallery.load_events(name)) for name in turns]
            for n, state in enumerate(states, start=1):
                u = state.usage
                print(
                    f"turn {n}: input {u.input_tokens:>5,}"
                    f"  write {u.cache_creation_input_tokens:>5,}"
                    f"  read {u.cache_read_input_tokens:>5,}"
                    f"  hit rate {u.cache_hit_rate:6.1%}"
                )
            total = sum_usage(state.usage for state in states)
            print(f"whole loop: hit rate {total.cache_hit_rate:.1%}")
            """
        ),
        md(
            """
            Prices change: `streamscope.core.DEFAULT_PRICES` says when its prices were taken
            (`DEFAULT_PRICES.as_of`), and `PriceTable.with_overrides(...)` lets you use your
            own; pass the table to `StreamView(prices=...)` to see it in the final panel.
            """
        ),
    ]


# --------------------------------------------------------------------------- 05


def tool_loop() -> list[Cell]:
    return [
        md(
            """
            # 5 · A tool loop, with approvals

            An agent is a loop: send the conversation, stream the answer, run the tools it asked
            for, send the results back, repeat until the model ends its turn. `ToolLoop` does
            that. `ConversationView` shows each turn live, each tool run, and an **Approve /
            Deny** pair of buttons for tools you marked as risky.

            Here the API is replaced by an `AsyncReplayClient` that serves the recorded turns of
            the gallery's four-turn `tool_loop` conversation, so **no API key is needed**, and
            the tools are small Python functions returning canned data. Everything else is the
            real loop.
            """
        ),
        code(
            """
            from streamscope.core import AsyncReplayClient, ToolLoop, gallery
            from streamscope.widgets import ConversationView

            conversation = gallery.list_conversations()[0]
            print(conversation.title, "·", conversation.description)
            """
        ),
        md(
            """
            ## The tools

            First the canned data the tools hand out (what the recorded conversation saw), then
            the tools themselves: plain functions. The docstring becomes a tool's description and
            the signature its JSON schema; the loop checks the model's arguments against it
            before calling.
            """
        ),
        code(
            """
            import json

            RUNS = [
                {"id": 4812, "failed_job": "test-integration", "commit": "9f3c2e1"},
                {"id": 4815, "failed_job": "build-images", "commit": "a71d0b4"},
                {"id": 4819, "failed_job": "test-integration", "commit": "c02be7f"},
            ]
            TIMEOUT = (
                "tests/integration/test_uploads.py::test_upload_resume FAILED\\n"
                "E   TimeoutError: multipart upload did not complete within 30s"
            )
            LOGS = {
                4812: TIMEOUT,
                4815: "#14 ERROR: failed to copy files: no space left on device\\n"
                "runner: ci-runner-07  disk: /var/lib/docker 100% (98.3G/98.3G)",
                4819: TIMEOUT,
            }
            outbox = []
            """
        ),
        code(
            """
            def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
                \"\"\"List the runs of a CI pipeline with a status, between two dates.\"\"\"
                return {"runs": RUNS}


            def get_team(team: str) -> dict:
                \"\"\"Contact details of a team.\"\"\"
                return {"team": team, "email": f"{team}-team@acme.example", "lead": "Priya Raman"}


            def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
                \"\"\"The last lines of a CI job's log.\"\"\"
                return LOGS[run_id]


            def send_email(to: list[str], subject: str, body: str) -> dict:
                \"\"\"Send an email. Needs the user's approval.\"\"\"
                outbox.append({"to": to, "subject": subject})
                return {"status": "sent"}
            """
        ),
        md(
            """
            ## The loop

            `ToolLoop` takes a client (here the offline `AsyncReplayClient`; with a key,
            `anthropic.AsyncAnthropic()`), the request settings, the tools, and which tools
            need approval. The recorded conversation used extended thinking with the
            interleaved-thinking beta, so we ask for the same. `speed=2` serves the recorded turns
            at twice their original pace (`speed=1`: as they were recorded).
            """
        ),
        code(
            """
            client = AsyncReplayClient(gallery.conversation("tool_loop"), speed=2)
            loop = ToolLoop(
                client,
                model=conversation.model,
                max_tokens=8192,
                tools=[list_ci_runs, get_job_log, get_team, send_email],
                require_approval=["send_email"],
                system=(
                    "You are a CI assistant for the acme/storefront repository. "
                    "Sending email requires the user's approval."
                ),
                thinking={"type": "enabled", "budget_tokens": 4096},
                betas=["interleaved-thinking-2025-05-14"],
            )
            """
        ),
        md(
            """
            ## Run it

            The next cell shows the conversation and runs the loop. On turn 3 the model wants to
            `send_email`: the loop **waits** and the view shows the email's arguments with
            **Approve** and **Deny**. Read it, then click one. You can also edit the arguments
            before approving, or give a reason with a denial: the model is told.

            Offline, the replay client serves the recorded turns whatever you decide, so the
            last turn always says the email went out; `outbox` below tells the truth. With a
            real model, a denial gets a different answer.

            The cell uses `await loop.arun(...)`, not `loop.run(...)`: a notebook handles a click
            only while the running cell is *awaiting*; a cell that blocks would never hear it.

            When nobody is there to click (the notebook runs unattended: "Run All" and walk
            away, nbclient, a docs build), no page shows the view: after a few seconds the view
            decides by its `approve=` policy, by default a denial "nobody was there to approve",
            and shows that decision on the call's card. Nothing waits forever.
            """
        ),
        code(
            """
            view = ConversationView(loop)
            display(view)
            messages = await loop.arun(
                "The nightly pipeline went red several times last week. "
                "Can you find out why and email a short summary to the platform team?"
            )
            """
        ),
        md(
            """
            ## What happened

            Each turn is in `loop.turns`: its `StreamState`, its tool runs and what was sent
            back. Turns 1 and 2 asked for several tools at once, and the loop ran them together.
            """
        ),
        code(
            """
            for turn in loop.turns:
                runs = ", ".join(f"{run.name} ({run.status})" for run in turn.runs) or "no tools"
                print(f"turn {turn.number}: stop {turn.stop_reason:<9} {runs}")
            print("stop reason of the loop:", loop.stop_reason)
            print("emails sent:", outbox)
            """
        ),
        md(
            """
            Between turns the loop appends the assistant message exactly as streamed (thinking
            and signature untouched, see notebook 3) and one user message with one
            `tool_result` per `tool_use`, matched by id and in the same order. The replay client
            kept every request it received, so we can check what the second request sent:
            """
        ),
        code(
            """
            second = client.requests[1]["messages"]
            assistant, results = second[-2], second[-1]
            print("assistant:", [block["type"] for block in assistant["content"]])
            calls = [block["id"] for block in assistant["content"] if block["type"] == "tool_use"]
            answered = [block["tool_use_id"] for block in results["content"]]
            print("tool_use ids answered in order:", calls == answered)
            print(json.dumps(results["content"][1], indent=1))
            """
        ),
        md(
            """
            Usage over the whole loop: the system prompt and tool definitions were written to
            the cache on turn 1 and read on every later turn (notebook 4).
            """
        ),
        code(
            """
            print(loop.usage)
            print(f"cache hit rate over the loop: {loop.usage.cache_hit_rate:.0%}")
            """
        ),
        md(
            """
            ## With your own key

            Swap the client: `ToolLoop(anthropic.AsyncAnthropic(), model=..., ...)` and the same
            cells run against the API. Approvals can also come from code:
            `ToolLoop(..., approve=lambda call: call.input["to"] == ["me@example.com"])`.
            """
        ),
    ]


# --------------------------------------------------------------------------- 06


def your_own_key() -> list[Cell]:
    return [
        md(
            """
            # 6 · Your own key: stream live, record a cassette

            With an API key in the `ANTHROPIC_API_KEY` environment variable, this notebook
            sends a real request and shows the stream live. Without one, it replays the
            recording of the same request from the gallery, so every cell still runs.

            Either way it **records a cassette**: a `.jsonl` file with every event and its
            arrival time, which you can replay later, offline, in a view or as a stand-in for
            the API in your own tests.

            To use a key, start Jupyter from a shell where it is set
            (`export ANTHROPIC_API_KEY=...`). Never paste a key into a notebook: notebooks get
            shared. The cell below only says whether one is set.
            """
        ),
        code(
            """
            import os
            import tempfile
            from pathlib import Path

            from streamscope.core import ReplayClient, gallery, read_cassette, record, replay
            from streamscope.widgets import StreamView
            from streamscope.widgets import replay as replay_in_view

            LIVE = bool(os.environ.get("ANTHROPIC_API_KEY"))
            print("API key found: streaming live" if LIVE else "no API key: replaying")
            """
        ),
        md(
            """
            The request: the capacity-planning question of the gallery's `thinking_summarized`
            recording, with extended thinking. With a key it goes to `claude-sonnet-4-5` (change
            the model or the question as you like); the recording was made with Claude Opus 4.1.
            """
        ),
        code(
            """
            recorded = gallery.load("thinking_summarized")
            REQUEST = {**recorded.meta["request"], "model": "claude-sonnet-4-5"}
            print(REQUEST["messages"][0]["content"])
            print("thinking:", REQUEST["thinking"], "· max_tokens:", REQUEST["max_tokens"])

            cassettes = Path(tempfile.mkdtemp(prefix="cassettes-"))  # or a folder of your own
            CASSETTE = cassettes / "capacity.jsonl"
            """
        ),
        md(
            """
            ## Stream and record

            `record(events, path)` passes every event through unchanged while writing it, with
            its arrival time, to the cassette. The view consumes the recorded stream as it
            would the raw one.

            * **With a key**: `client.messages.stream(...)` opens the stream (the SDK's
              `MessageStream`).
            * **Without**: `replay(path, speed=...)` yields the gallery's events with their
              recorded timing (here at 4×), as if they were arriving now.

            `view.consume(...)` blocks the cell until the stream ends, so the ■ Stop button is
            off meanwhile; `await view.consume_async(...)` with `anthropic.AsyncAnthropic()`
            keeps it working.
            """
        ),
        code(
            """
            view = StreamView()
            display(view)
            meta = {"request": REQUEST, "source": "live" if LIVE else "gallery replay"}

            if LIVE:
                import anthropic

                with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
                    view.consume(record(stream, CASSETTE, meta=meta))
            else:
                events = replay(gallery.path("thinking_summarized"), speed=4)
                view.consume(record(events, CASSETTE, meta=meta))
            """
        ),
        md(
            """
            ## What is in a cassette

            One JSON object per line: a header with the metadata you gave (API keys and HTTP
            headers are never written), then `{"t": seconds, "event": {...}}` per event.
            """
        ),
        code(
            """
            lines = CASSETTE.read_text(encoding="utf-8").splitlines()
            print(len(lines), "lines,", f"{CASSETTE.stat().st_size:,} bytes")
            for line in lines[:3]:
                print(line[:120], "…" if len(line) > 120 else "")

            cassette = read_cassette(CASSETTE)
            print(f"{len(cassette.events)} events over {cassette.times[-1]:.1f} s")
            print("problems:", cassette.problems)
            """
        ),
        md(
            """
            ## Play it back

            The cassette replays like any gallery recording, with the same controls, and with
            no network. (Recorded from a 4× replay, it plays back at that pace.)
            """
        ),
        code(
            """
            again = await replay_in_view(CASSETTE, speed=1)
            print("same message:", again.to_message()["content"] == view.to_message()["content"])
            """
        ),
        md(
            """
            ## A stand-in for the API in your tests

            `ReplayClient([cassette, ...])` answers the n-th request with the n-th cassette, so
            code written against `anthropic.Anthropic()` runs offline and repeatably. It also
            keeps every request it got, for your assertions.
            """
        ),
        code(
            """
            client = ReplayClient([CASSETTE])
            with client.messages.stream(**REQUEST) as stream:
                text = stream.get_final_text()
            print(text[:300], "…")
            print("requests seen:", len(client.requests))
            """
        ),
    ]


# --------------------------------------------------------------------------- writing

NOTEBOOKS: dict[str, Callable[[], list[Cell]]] = {
    "01_quickstart": quickstart,
    "02_parallel_tools": parallel_tools,
    "03_thinking_and_signatures": thinking,
    "04_prompt_caching": caching,
    "05_tool_loop": tool_loop,
    "06_your_own_key": your_own_key,
}

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def build(stem: str, cells: list[Cell]) -> NotebookNode:
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for n, (kind, source) in enumerate(cells):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)  # type: ignore[no-untyped-call]
        else:
            cell = nbformat.v4.new_code_cell(source)  # type: ignore[no-untyped-call]
        cell["id"] = f"{stem.split('_', 1)[0]}-{n:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb  # type: ignore[no-any-return]


def render(stem: str) -> str:
    text: str = nbformat.writes(build(stem, NOTEBOOKS[stem]()), version=4)  # type: ignore[no-untyped-call]
    return text + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="only compare examples/ with the generated notebooks"
    )
    parser.add_argument("--out", type=Path, default=EXAMPLES, help="folder to write (examples/)")
    args = parser.parse_args(argv)
    stale = []
    for stem in NOTEBOOKS:
        path = args.out / f"{stem}.ipynb"
        text = render(stem)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.name)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/make_examples.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
