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
# # 6 · Your own key: stream live, record a cassette
#
# With an API key in the `ANTHROPIC_API_KEY` environment variable, this notebook
# sends a real request and shows the stream live. Without one, it replays the
# recording of the same request from the gallery, so every cell still runs.
#
# Either way it **records a cassette**: a `.jsonl` file with every event and its
# arrival time, which you can replay later, offline, in a view or as a stand-in for
# the API in your own tests.
#
# To use a key, start Jupyter from a shell where it is set
# (`export ANTHROPIC_API_KEY=...`). Never paste a key into a notebook: notebooks get
# shared. The cell below only says whether one is set.

# %%
import os
import tempfile
from pathlib import Path

from IPython.display import display

from streamscope.core import ReplayClient, gallery, read_cassette, record, replay_events
from streamscope.widgets import StreamView
from streamscope.widgets import replay as replay_in_view

LIVE = bool(os.environ.get("ANTHROPIC_API_KEY"))
print("API key found: streaming live" if LIVE else "no API key: replaying")

# %% [markdown]
# The request: the capacity-planning question of the gallery's `thinking_summarized`
# recording, with extended thinking. With a key it goes to `claude-sonnet-5-5` (change
# the model or the question as you like); the recording was made with Claude Opus 5.5.

# %%
recorded = gallery.load("thinking_summarized")
REQUEST = {**recorded.meta["request"], "model": "claude-sonnet-5-5"}
print(REQUEST["messages"][0]["content"])
print("thinking:", REQUEST["thinking"], "· max_tokens:", REQUEST["max_tokens"])

cassettes = Path(tempfile.mkdtemp(prefix="cassettes-"))  # or a folder of your own
CASSETTE = cassettes / "capacity.jsonl"

# %% [markdown]
# ## Stream and record
#
# `record(events, path)` passes every event through unchanged while writing it, with
# its arrival time, to the cassette. The view consumes the recorded stream as it
# would the raw one.
#
# * **With a key**: `client.messages.stream(...)` opens the stream (the SDK's
#   `MessageStream`).
# * **Without**: `replay_events(path, speed=...)` yields the gallery's events with their
#   recorded timing (here at 4×), as if they were arriving now.
#
# `view.consume(...)` blocks the cell until the stream ends, so the ■ Stop button is
# off meanwhile; `await view.consume_async(...)` with `anthropic.AsyncAnthropic()`
# keeps it working.

# %%
view = StreamView()
display(view)
meta = {"request": REQUEST, "source": "live" if LIVE else "gallery replay"}

if LIVE:
    import anthropic

    with anthropic.Anthropic().messages.stream(**REQUEST) as stream:
        view.consume(record(stream, CASSETTE, meta=meta))
else:
    events = replay_events(gallery.path("thinking_summarized"), speed=4)
    view.consume(record(events, CASSETTE, meta=meta))

# %% [markdown]
# ## What is in a cassette
#
# One JSON object per line: a header with the metadata you gave (API keys and HTTP
# headers are never written), then `{"t": seconds, "event": {...}}` per event.

# %%
lines = CASSETTE.read_text(encoding="utf-8").splitlines()
print(len(lines), "lines,", f"{CASSETTE.stat().st_size:,} bytes")
for line in lines[:3]:
    print(line[:120], "…" if len(line) > 120 else "")

cassette = read_cassette(CASSETTE)
print(f"{len(cassette.events)} events on the cassette")
print("the view's figures:", view.figures.summary())  # as its panel writes them
print("problems:", cassette.problems)

# %% [markdown]
# ## Play it back
#
# The cassette replays like any gallery recording, with the same controls, and with
# no network. (Recorded from a 4× replay, it plays back at that pace.)

# %%
again = await replay_in_view(CASSETTE, speed=1)
print("same message:", again.to_message()["content"] == view.to_message()["content"])

# %% [markdown]
# ## A stand-in for the API in your tests
#
# `ReplayClient([cassette, ...])` answers the n-th request with the n-th cassette, so
# code written against `anthropic.Anthropic()` runs offline and repeatably. It also
# keeps every request it got, for your assertions.

# %%
client = ReplayClient([CASSETTE])
with client.messages.stream(**REQUEST) as stream:
    text = stream.get_final_text()
print(text[:300], "…")
print("requests seen:", len(client.requests))
