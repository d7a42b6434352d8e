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
# # 1 · Quickstart: watch a Claude stream
#
# When you call the Messages API with `stream=True`, the answer arrives as a
# sequence of small **events**: a `message_start`, then for each piece of content a
# `content_block_start`, many `content_block_delta`s and a `content_block_stop`, and
# finally a `message_delta` (why it stopped, how many tokens) and `message_stop`.
#
# streamscope turns those events into a live picture. In this notebook you replay a
# recorded stream, so **no API key is needed**, and you will see:
#
# * **lanes**: one per content block (thinking, text, each tool call), filling in as
#   the deltas arrive;
# * the **final panel**: what is settled once the stream ends (the tool calls,
#   signatures, token usage, an estimated cost, timing and the stop reason);
# * the **timeline**: when each block streamed.
#
# Run the cells from top to bottom (Shift+Enter).

# %%
from streamscope.core import gallery
from streamscope.widgets import replay

# %% [markdown]
# The package ships a small **gallery** of recorded streams, loadable by name.
# We use `parallel_tools`: a travel agent that thinks, says what it will do, then
# calls four tools in one response.

# %%
info = gallery.info("parallel_tools")
print(info.title, "·", info.model)
print(info.description)

# %% [markdown]
# ## Replay it
#
# `await replay(...)` shows a `StreamView` and plays the recording with its original
# timing. While it plays, the header has **▶ Play / ❚❚ Pause**, **Step ›** (one
# event at a time), a **speed** menu and **■ Stop**. Run the cell again to watch it
# a second time, or pass `speed=0.5` for slow motion.
#
# The buttons work because the cell *awaits* the replay: a notebook only hears a
# button click while the running cell is waiting, not while it is busy.

# %%
view = await replay(gallery.path("parallel_tools"), speed=1)

# %% [markdown]
# ## What you are looking at
#
# From the top:
#
# * **Lane #0, thinking** (purple): the model's reasoning, streamed as a summary,
#   then its **signature** (a check mark and its length). The signature is what
#   lets you send this thinking back to the API later; notebook 3 is about it.
# * **Lane #1, text** (blue): what the model says to the user, rendered as Markdown.
# * **Lanes #2 to #5, tool_use** (orange): the four tool calls side by side, in
#   balanced columns (two by two in a narrow output, four across in a wide one; never
#   three and a lone one). Each shows its **arguments** as they are written, parsed as
#   they arrive: a string appears while it is still being written, a number once it is
#   complete. The JSON exactly as received is one click away, behind **Raw JSON**
#   under the arguments (with its size once the call is done).
# * **The timeline**: one row per block, labelled with its index and its type or tool
#   name, and a bar from its start to its stop; the tick marks its first delta.
#   Blocks never overlap: the API streams one block at a time.
# * **The final panel**: what is settled once the stream ends: the finished tool calls
#   (one line each: the full arguments are in their lanes), the thinking signature,
#   usage and cost, timing (time to first token, output speed) and the stop reason
#   `tool_use`: the model is waiting for the results. Where the output is narrower
#   than 1000 px it sits **below** the lanes and the timeline; in a wider output it
#   moves **beside** them, on the right.
#
# Every number the view shows comes from one place, `view.figures`, and reads the same
# when you print it (times from the request, as the panel counts them):

# %%
print(view.figures.summary())

# %% [markdown]
# And everything the view shows is in `view.state`, a `StreamState`:

# %%
state = view.state
print("stop reason:", state.stop_reason)
for block in state.blocks:
    print(f"#{block.index} {block.type:<9} {block.delta_count:>3} deltas")

# %%
for call in state.tool_calls:
    print(call.name, call.input)

# %% [markdown]
# ## Usage: why the last numbers win
#
# Token counts arrive twice. `message_start` already knows the **input** (the prompt
# was read before the first token was written) and carries a placeholder output
# count. The `message_delta` at the end carries the final counts. They are
# **cumulative**, not increments: the right thing to do is to *overwrite* the
# earlier values, never to add them up (adding would count the input twice).

# %%
events = gallery.load_events("parallel_tools")
start = next(e for e in events if e["type"] == "message_start")
delta = next(e for e in events if e["type"] == "message_delta")
print("message_start usage:", start["message"]["usage"])
print("message_delta usage:", delta["usage"])
print("the state keeps:   ", state.usage)

# %% [markdown]
# The estimated cost uses Anthropic's list prices (see
# `streamscope.core.pricing.prices.DEFAULT_PRICES.as_of`); the thinking tokens are billed as output.

# %%
figures = view.figures  # the panel's figures, as the panel writes them
parts = figures.cost_parts
if not parts:  # stopped before message_start said which model: no price
    print("no estimate: the model is unknown")
else:
    print(f"input {parts['input'].text} + output {parts['output'].text}", end=" ")
    print(f"= {figures.text('cost')} ({figures.cost_source})")
thinking = state.usage.thinking_tokens  # None until message_delta (e.g. after a Stop)
print("of the output,", "–" if thinking is None else thinking, "tokens were thinking")

# %% [markdown]
# ## Keep it
#
# A view can be saved as a self-contained HTML file (no scripts, styles inline)
# or as the message in the API's JSON shape. The notebook itself also keeps a
# static picture of every view, which is what GitHub and nbviewer show.

# %%
import tempfile
from pathlib import Path

out = Path(tempfile.mkdtemp())
html_file = view.export_html(out / "parallel_tools.html")
json_file = view.export_json(out / "parallel_tools.json")
print(html_file, f"{html_file.stat().st_size:,} bytes")
print(json_file, f"{json_file.stat().st_size:,} bytes")

# %% [markdown]
# ## Next
#
# * `02_parallel_tools`: step through this stream one event at a time.
# * `03_thinking_and_signatures`: summarized, omitted and redacted thinking.
# * `04_prompt_caching`: what a cache write and a cache read cost.
# * `05_tool_loop`: a whole agent loop, with an approval button.
# * `06_your_own_key`: stream live with your own key, and record a cassette.
# * `07_compare_runs`: put runs side by side: their figures, tool calls and answers diffed.
# * `08_bench`: one prompt to several models or settings, many samples, live side by side,
#   and the `%%claude` cell magic.
#
# The gallery holds more recordings (web search with citations, a 200 KB tool
# argument, a stream cut by `max_tokens`, an error mid-stream):

# %%
recordings = gallery.list_recordings()
width = max(len(recording.name) for recording in recordings)
for recording in recordings:
    print(f"{recording.name:<{width}}  {recording.title}")
