# ---
# jupyter:
#   jupytext:
#     custom_cell_magics: claude
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
# # 8 · The bench: one prompt, many runs, live side by side
#
# A prompt engineer asks the same thing several ways and compares: three models, thinking
# on and off, five samples of one prompt to see how much the answers vary.
# `await acompare_live(client, variants, **common)` sends every variant at once (at most
# `concurrency=4` streaming together), each run in its own column of **one** output, with a
# time axis on top saying when each run started, got its first token and finished. When
# all are done, the output becomes the `compare` table, and you get the `ComparisonView`
# back.
#
# No API key needed: without one, each cell replays recordings from the gallery (written
# by the project's generator, with real shapes and pacing). With `ANTHROPIC_API_KEY` set,
# the same cells call the API.

# %%
import os

import anthropic

from streamscope.core.io import gallery
from streamscope.widgets import acompare_live

HAIKU = "claude-haiku-5-5"
SONNET = "claude-sonnet-5-5"
OPUS = "claude-opus-5-5"


def client_or(recordings):
    """The API with a key; the gallery's recordings (replayed at their pace) without."""
    if os.environ.get("ANTHROPIC_API_KEY"):
        return anthropic.AsyncAnthropic()
    return recordings


print("API key:", "set" if os.environ.get("ANTHROPIC_API_KEY") else "none, replaying")

# %% [markdown]
# ## The same question to three models
#
# `variants` maps a label to what differs (here the model); everything else is common.
# Each run sends `{**common, **variant}`.

# %%
QUESTION = [
    {
        "role": "user",
        "content": "In three sentences: when should I use a process pool rather than a "
        "thread pool in Python?",
    }
]
models = await acompare_live(
    client_or(["three_models_haiku", "three_models_sonnet", "three_models_opus"]),
    {"haiku": {"model": HAIKU}, "sonnet": {"model": SONNET}, "opus": {"model": OPUS}},
    max_tokens=512,
    messages=QUESTION,
)

# %%
table = models.comparison  # its rows' texts are what the table shows
keys = ("output_tokens", "time_to_first_token", "cost_usd")
output, first, cost = (table.row(key).texts for key in keys)
for k, label in enumerate(table.labels):
    print(f"{label}: {output[k]} output tokens, first token after {first[k]}, {cost[k]}")
print("runs:", ", ".join(models.comparison.labels))

# %% [markdown]
# ## Thinking on and off
#
# One variant adds `thinking` (and room for it in `max_tokens`); the other is the common
# request as it is.

# %%
CAPACITY = gallery.load("capacity_thinking_off").meta["request"]["messages"]
thinking = await acompare_live(
    client_or(["capacity_thinking_off", "capacity_thinking_on"]),
    {
        "thinking off": {},
        "thinking on": {"thinking": {"type": "enabled", "budget_tokens": 4096}},
    },
    model=SONNET,
    max_tokens=8192,
    messages=CAPACITY,
)

# %%
off, on = thinking.comparison.runs
print(f"thinking on: {thinking.comparison.row('thinking_tokens').texts[1]} thinking tokens")
first_text = thinking.comparison.row("time_to_first_text").texts
print(f"first word of the answer: {first_text[0]} without thinking, {first_text[1]} with")

# %% [markdown]
# ## Five samples of a creative prompt
#
# `samples=5` repeats the request; the table's answer diffs say how far each sample is
# from the first. Judge a prompt change on one run of a creative prompt and you may be
# judging the dice.

# %%
POEM = [
    {
        "role": "user",
        "content": "Write a four-line poem about a lighthouse keeper's last night on duty.",
    }
]
poems = await acompare_live(
    client_or([f"poem_sample_{k}" for k in range(1, 6)]),
    samples=5,
    model=SONNET,
    max_tokens=256,
    messages=POEM,
)

# %%
for diff in poems.comparison.answer_diffs:
    print(f"{diff.after_label} against {diff.before_label}: {diff.ratio:.0%} of the words alike")

# %% [markdown]
# ## A budget
#
# `max_cost=` (dollars) stops launching once the estimated spend would pass it: finished
# runs count at their cost, running ones at what they are expected to cost (before any
# finished, the worst case: the prompt at 4 characters a token and all of `max_tokens`).
# The output says so, and the comparison has the runs that ran.

# %%
budget = await acompare_live(
    client_or([f"poem_sample_{k}" for k in range(1, 6)]),
    samples=5,
    max_cost=0.006,
    model=SONNET,
    max_tokens=256,
    messages=POEM,
)
print("runs that ran:", len(budget.comparison.runs))

# %% [markdown]
# ## From one cell: `%%claude`
#
# `%load_ext streamscope` adds a cell magic: the cell is the user message, `{name}` is
# filled from the notebook's variables, and the run streams into a view bound to
# `_claude` (or `--out NAME`). `--compare MODEL,MODEL` and `--samples N` run the bench.
# `%claude?` lists the options. Without a key it says how to set one; `--replay NAME`
# replays a recording instead (remove it to call the API).

# %%
# %load_ext streamscope

# %%
pool = "a process pool rather than a thread pool"

# %% magic_args="--replay three_models_sonnet --max-tokens 512" language="claude"
# In three sentences: when should I use {pool} in Python?

# %%
view = _claude  # noqa: F821 (bound by %%claude)
print("%%claude bound _claude:", type(view).__name__, view.status)
print("sent:", view.state.request["messages"][0]["content"])

# %% magic_args="--replay poem_sample_1,poem_sample_2 --samples 2 --out pair" language="claude"
# Write a four-line poem about a lighthouse keeper's last night on duty.

# %%
print("samples:", ", ".join(pair.comparison.labels))  # noqa: F821 (bound by --out)
