# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5 · A tool loop, with approvals
#
# An agent is a loop: send the conversation, stream the answer, run the tools it asked
# for, send the results back, repeat until the model ends its turn. `ToolLoop` does
# that. `ConversationView` shows each turn live, each tool run, and an **Approve /
# Deny** pair of buttons for tools you marked as risky.
#
# Here the API is replaced by an `AsyncReplayClient` that serves the recorded turns of
# the gallery's four-turn `tool_loop` conversation, so **no API key is needed**, and
# the tools are small Python functions returning canned data. Everything else is the
# real loop.

# %%
from IPython.display import display

from streamscope.core import AsyncReplayClient, ToolLoop, gallery
from streamscope.core.figures.text import fmt_percent, fmt_seconds
from streamscope.widgets import ConversationView

conversation = gallery.list_conversations()[0]
print(conversation.title, "·", conversation.description)

# %% [markdown]
# ## The tools
#
# First the canned data the tools hand out (what the recorded conversation saw), then
# the tools themselves: plain functions. The docstring becomes a tool's description and
# the signature its JSON schema; the loop checks the model's arguments against it
# before calling. Each tool waits a little, as a call to a real CI server would
# (`LATENCY`, in seconds), so that you can see what running them together buys.

# %%
import json
import time

LATENCY = {"list_ci_runs": 0.8, "get_team": 0.4, 4812: 1.2, 4815: 0.7, 4819: 1.0}

RUNS = [
    {"id": 4812, "failed_job": "test-integration", "commit": "9f3c2e1"},
    {"id": 4815, "failed_job": "build-images", "commit": "a71d0b4"},
    {"id": 4819, "failed_job": "test-integration", "commit": "c02be7f"},
]
TIMEOUT = (
    "tests/integration/test_uploads.py::test_upload_resume FAILED\n"
    "E   TimeoutError: multipart upload did not complete within 30s"
)
LOGS = {
    4812: TIMEOUT,
    4815: "#14 ERROR: failed to copy files: no space left on device\n"
    "runner: ci-runner-07  disk: /var/lib/docker 100% (98.3G/98.3G)",
    4819: TIMEOUT,
}
outbox = []


# %%
def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    """List the runs of a CI pipeline with a status, between two dates."""
    time.sleep(LATENCY["list_ci_runs"])
    return {"runs": RUNS}


def get_team(team: str) -> dict:
    """Contact details of a team."""
    time.sleep(LATENCY["get_team"])
    return {"team": team, "email": f"{team}-team@acme.example", "lead": "Priya Raman"}


def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    """The last lines of a CI job's log."""
    time.sleep(LATENCY.get(run_id, 0.5))
    return LOGS[run_id]


def send_email(to: list[str], subject: str, body: str) -> dict:
    """Send an email. Needs the user's approval."""
    outbox.append({"to": to, "subject": subject})
    return {"status": "sent"}


# %% [markdown]
# ## The loop
#
# `ToolLoop` takes a client (here the offline `AsyncReplayClient`; with a key,
# `anthropic.AsyncAnthropic()`), the request settings, the tools, and which tools
# need approval. The recorded conversation used extended thinking with the
# interleaved-thinking beta, so we ask for the same.

# %%
SETTINGS = dict(
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
QUESTION = (
    "The nightly pipeline went red several times last week. "
    "Can you find out why and email a short summary to the platform team?"
)

# %% [markdown]
# ## Run it
#
# The next cell makes the client and the loop, shows the conversation and runs the
# loop. The replay client serves each recorded turn once, so the cell makes a fresh one
# every time: run it again to watch again. `speed=2` serves the recorded turns at
# twice their original pace (`speed=1`: as they were recorded).
#
# On turn 3 the model wants to `send_email`: the loop **waits** and the view shows the
# email's arguments with **Approve** and **Deny**. Read it, then click one. You can also
# edit the arguments before approving, or give a reason with a denial: the model is told.
#
# Offline, the replay client serves the recorded turns whatever you decide, so the
# last turn always says the email went out; `outbox` below tells the truth. With a
# real model, a denial gets a different answer.
#
# The cell uses `await loop.arun(...)`, not `loop.run(...)`: a notebook handles a click
# only while the running cell is *awaiting*; a cell that blocks would never hear it.
#
# When nobody is there to click (the notebook runs unattended: "Run All" and walk
# away, nbclient, a docs build), no page shows the view: after a few seconds the view
# decides by its `approve=` policy, by default a denial "nobody was there to approve",
# and shows that decision on the call's card. Nothing waits forever.

# %%
client = AsyncReplayClient(gallery.conversation("tool_loop"), speed=2)
loop = ToolLoop(client, **SETTINGS)
view = ConversationView(loop)
display(view)
messages = await loop.arun(QUESTION)

# %% [markdown]
# ## What happened
#
# Each turn is in `loop.turns`: its `StreamState`, its tool runs and what was sent
# back. Turns 1 and 2 asked for several tools at once, and the loop ran them together.
# (A turn cut by ■ Stop has no stop reason: it shows as "–".)
#
# **What did running them together buy?** Under the turns, *The loop over time* draws
# each turn's streaming and each tool run as a bar: the three `get_job_log` runs of
# turn 2 overlap, and the figure beside them compares the wall time with the tool time
# one after another would have taken. The same from the records:

# %%
for turn in loop.turns:
    runs = ", ".join(f"{run.name} ({run.status})" for run in turn.executions) or "no tools"
    print(f"turn {turn.number}: stop {turn.stop_reason or '–':<9} {runs}")
    timed = [r for r in turn.executions if r.started_at is not None and r.finished_at is not None]
    if len(timed) > 1:
        wall = max(r.finished_at for r in timed) - min(r.started_at for r in timed)
        busy = sum(r.finished_at - r.started_at for r in timed)
        # written as the loop's timeline writes it (fmt_seconds: the view's one way)
        print(f"  {len(timed)} tools together: {fmt_seconds(wall)} wall for {fmt_seconds(busy)}")
print("stop reason of the loop:", loop.stop_reason)
print("emails sent:", outbox)

# %% [markdown]
# Between turns the loop appends the assistant message exactly as streamed (thinking
# and signature untouched, see notebook 3) and one user message with one
# `tool_result` per `tool_use`, matched by id and in the same order. The replay client
# kept every request it received, so we can check what the second request sent:

# %%
if len(client.requests) < 2:
    print("the loop was stopped before its second request")
else:
    second = client.requests[1]["messages"]
    assistant, results = second[-2], second[-1]
    print("assistant:", [block["type"] for block in assistant["content"]])
    calls = [block["id"] for block in assistant["content"] if block["type"] == "tool_use"]
    answered = [block["tool_use_id"] for block in results["content"]]
    print("tool_use ids answered in order:", calls == answered)
    print(json.dumps(results["content"][-1], indent=1))

# %% [markdown]
# Usage over the whole loop: the system prompt and tool definitions were written to
# the cache on turn 1 and read on every later turn (notebook 4).

# %%
print(loop.usage)
rate = loop.usage.cache_hit_rate  # None when no input was counted (stopped at once)
print("cache hit rate over the loop:", fmt_percent(rate))  # as the loop's header says it

# %% [markdown]
# ## With your own key
#
# Swap the client: `ToolLoop(anthropic.AsyncAnthropic(), model=..., ...)` and the same
# cells run against the API. Approvals can also come from code:
# `ToolLoop(..., approve=lambda call: call.input["to"] == ["me@example.com"])`.
