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
# # 7 · Two runs side by side: what did it buy?
#
# A prompt engineer changes one thing (allow parallel tool calls, turn thinking on) and
# wants to know what it changed: tokens, cost, time, the tool calls, the answer.
# `compare(...)` puts runs side by side: one table of their figures, with what differs
# marked, the tool calls and the answers diffed against the first run, and every run's
# turns in its own column.
#
# The recordings here come from the gallery's generator (synthetic, with real shapes and
# pacing), so the notebook needs no API key. Each recording holds the whole request and
# when it was sent, so the times count from the request, as a real client would see them.

# %%
from streamscope.core.comparison.runs import format_change
from streamscope.core.figures.text import fmt_seconds
from streamscope.core.io import gallery
from streamscope.core.io.resend import request_code
from streamscope.widgets import compare, replay

# %% [markdown]
# ## Parallel or one at a time?
#
# The same question: *which of Lisbon, Porto or Seville has the best weather this
# weekend?*, with one `get_weather` tool. In `weekend_parallel` the model asks for the
# three forecasts in **one** response (three `tool_use` blocks); in `weekend_sequential`
# it asks for one city per response, so the loop needs four requests instead of two.

# %%
weekend = compare(
    gallery.conversation("weekend_parallel"),
    gallery.conversation("weekend_sequential"),
    labels=["parallel", "one at a time"],
)
weekend

# %% [markdown]
# The table says it; here it is in numbers you can reuse. Each request re-sends the whole
# conversation so far, so **input tokens add up over the turns**: two extra round trips
# re-send the question, the tool definitions and every earlier forecast.

# %%
comparison = weekend.comparison
parallel, sequential = comparison.runs
print(f"turns: {parallel.turns} parallel, {sequential.turns} one at a time")
# a row of the table: its texts are what the table shows, written the same way
for key in ("input_tokens", "duration", "waiting"):
    row = comparison.row(key)
    print(f"{row.label}: {row.texts[0]} parallel, {row.texts[1]}{format_change(row.relative[1])}")
saved = sequential.duration - parallel.duration
print(f"model time: {fmt_seconds(saved)} saved by asking in parallel")
same_calls = all(diff.status == "same" for diff in comparison.call_diffs[0])
print(f"the same tool calls with the same arguments: {same_calls}")

# %% [markdown]
# The answers differ in wording only: the diff under the table marks removed words
# ~~struck~~ and added words underlined. `print(comparison)` gives the same as text (handy
# in a test or a log); `comparison.row(key)` one line of the table.

# %%
cost = comparison.row("cost_usd")
print(f"{cost.label}: {' vs '.join(cost.texts)} ({cost.relative[1]:+.0%})")

# %% [markdown]
# ## Thinking on or off?
#
# A capacity-planning question, asked with extended thinking on and off. Thinking costs
# output tokens and delays the first words of the answer; here it also bought a longer,
# more careful answer. Look at **time to first text** and **thinking tokens**.

# %%
thinking = compare(
    gallery.path("capacity_thinking_on"),
    gallery.path("capacity_thinking_off"),
    labels=["thinking on", "thinking off"],
)
thinking

# %%
on, off = thinking.comparison.runs
print(f"thinking tokens: {on.thinking_tokens:,}")
first_text = thinking.comparison.row("time_to_first_text").texts  # as the table has them
print(f"first text after {first_text[0]} with thinking, {first_text[1]} without")
print(f"cost: {on.cost_usd / off.cost_usd:.1f}x with thinking")

# %% [markdown]
# ## Arguments that break the tool's schema
#
# Each tool's `input_schema` travels with the request, so the view checks every argument
# **while it streams**: a value that breaks the schema is marked as soon as it is complete,
# before the call ends, and the final panel lists what is wrong. The rule is JSON Schema
# without coercion (`"4"` is not an integer), the same one the tool loop applies before
# it runs a tool.

# %%
booking = await replay(gallery.path("invalid_tool_arguments"), speed=1)

# %%
for call in booking.state.tool_calls:  # (none if you pressed Stop before it ended)
    for violation in call.violations:
        print("violation:", violation)

# %% [markdown]
# ## Send it again
#
# Every view holds the request that opened it (open **The request** under the timeline
# to copy it). `request_code` writes it as code: the SDK call, or curl. The key is read
# from the environment, never written down.

# %%
print(request_code(booking, "curl")[:400], "…")
