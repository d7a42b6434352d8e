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
# # 2 · Parallel tool use, one event at a time
#
# When a model needs several independent facts, it can ask for several tools in **one
# response**: several `tool_use` blocks in the same message. This notebook takes the
# `parallel_tools` recording apart event by event, to see how the arguments of each
# call are built up, how the calls follow each other, and what to send back.
# No API key needed.

# %%
import json

from streamscope.core import Stepper, gallery
from streamscope.widgets import StreamView, replay

# %% [markdown]
# ## First, with the buttons
#
# Run the next cell and press **❚❚ Pause** early, then **Step ›** to apply one event
# at a time; the counter shows where you are. **▶ Play** resumes; the speed menu goes
# from 0.25× to instant. (Left alone, it plays to the end.)

# %%
replayed = await replay(gallery.path("parallel_tools"), speed=1)

# %% [markdown]
# **The events on the wire.** Play it again, pause it, and open **Events on the wire**
# under the timeline: every event as it arrived, with its time, type, block and size, and
# each delta's piece of JSON. Pick a block in the menu, or click a bar of the timeline or a
# lane's number, to see one call's events; click an event's number to see its moment on
# the timeline. Look at the order: the API streams one block at a time, so each call's
# `content_block_delta` events come whole before the next call starts. "Parallel" means
# the calls arrive in one response and can **run** together, not that they stream
# interleaved. (The filters work while the view is live, playing or paused; the finished
# picture keeps the first 50 events.)

# %% [markdown]
# ## Now in code
#
# A `Stepper` hands out the recorded events one by one. We feed each to a fresh
# `StreamView` with `view.apply(event, at=t)`, passing the recorded arrival time `t`
# so the view's timeline matches the recording. Run the cells below one by one and
# watch the view change.

# %%
stepper = Stepper(gallery.path("parallel_tools"))
view = StreamView()
view.state.set_request(stepper.request)  # the recorded request: its tools, to send again
view.state.set_request_time(stepper.request_at)  # times count from the request, as replays do
view


# %% [markdown]
# Two small helpers: `step(until)` applies the events up to the next one matching
# `until` (an event type, or a test on the event) and returns them; `describe(event)`
# says in one line what an event carries.


# %%
def describe(event):
    """One line per event: its type, block index and what it adds."""
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
    """Apply events up to the next one matching `until` (a type or a test)."""
    first = stepper.position
    events = stepper.step_until(until)
    for n, event in enumerate(events):
        view.apply(event, at=stepper.timed[first + n][0])
    return events


# %% [markdown]
# `message_start` opens the message (model, id, input tokens); then block #0 starts.
# (A `ping` comes right after: it only keeps the connection alive, and nothing is
# drawn for it.)

# %%
for event in step("content_block_start"):
    print(describe(event))

# %% [markdown]
# Let the thinking and the text stream to their ends (blocks #0 and #1), then stop
# right after the first tool block starts:

# %%
events = step(lambda e: e["type"] == "content_block_start" and e["index"] == 2)
print(len(events), "events; the last ones:")
for event in events[-4:]:
    print(" ", describe(event))

# %% [markdown]
# ## Watch an argument builder grow
#
# A tool call's arguments arrive as `input_json_delta` pieces: fragments of a JSON
# text, cut anywhere (even inside a key or a number). Only the concatenation of all of
# them is valid JSON. streamscope parses as it goes, so at every step you can read
# what is known so far; a string still being written shows what has arrived of it.
# Step through the first call, `get_weather`, one delta at a time:

# %%
weather = view.state.block(2)
while not weather.complete:
    (event,) = step(lambda e: True)  # exactly one event
    piece = event.get("delta", {}).get("partial_json")
    if piece is not None:
        print(f"{piece!r:<20} -> {json.dumps(weather.input)}")
print("finished:", weather.name, weather.input)

# %% [markdown]
# ## Back to back, not interleaved
#
# The next tool block starts only after the previous one stopped: the API streams one
# content block at a time. "Parallel" means the model asked for all four calls in the
# same response, so **your code** can run them at the same time; the view places
# consecutive tool lanes side by side for that reason. Step to the end:

# %%
for event in step("message_stop")[-4:]:
    print(describe(event))
print("stop reason:", view.state.stop_reason)
print([call.name for call in view.state.tool_calls])

# %% [markdown]
# ## Read the timeline
#
# The timeline under the lanes draws what this table prints: when each block started,
# when its first delta came, and when it stopped (written as the view writes times).
# Like the replay at the top, this view counts from the request (the recording says when
# it was sent), so its time to first token and its duration read the same as the replay's.
# The thinking takes most of the time; each tool call's JSON streams in well under a
# second, one after the other.

# %%
from streamscope.core.figures.text import fmt_seconds  # the view's one way to write a time

origin = view.state.started_at  # the timeline's zero
print(f"{'block':<21} {'start':>8} {'first':>8} {'stop':>8}  deltas")
for block in view.state.blocks:
    label = f"#{block.index} {getattr(block, 'name', block.type)}"
    times = [
        fmt_seconds(t - origin) if t is not None and origin is not None else "–"
        for t in (block.started_at, block.first_delta_at, block.stopped_at)
    ]
    print(f"{label:<21} {times[0]:>8} {times[1]:>8} {times[2]:>8}  {block.delta_count:>6}")

# %% [markdown]
# ## What goes back
#
# `stop_reason` is `tool_use`: the model waits for results. The next request repeats
# the conversation, adds this assistant message **unchanged** (thinking and signature
# included), then one user message holding **one `tool_result` per `tool_use`,
# matched by id**, in the same order. The results below are made up; a real loop
# (notebook 5) runs the functions.

# %%
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
