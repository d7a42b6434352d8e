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
# # 3 · Thinking and signatures
#
# With extended thinking on, a response starts with `thinking` blocks: the model's
# reasoning before it answers. Each ends with a **signature**. This notebook replays
# four recordings: summarized thinking, thinking whose display is omitted, redacted
# thinking, and thinking interleaved with tool calls; then shows why a signature must
# go back to the API exactly as it came. No API key needed.
#
# The replays run at 4× so the notebook is quick; set `SPEED = 1` to watch them at
# the recorded pace.

# %%
from streamscope.core import StreamState, gallery
from streamscope.core.figures.text import fmt_seconds
from streamscope.widgets import replay

SPEED = 4


def shown(value, spec=","):
    """`value` formatted, or "–" when the stream never said (stopped before the end)."""
    return "–" if value is None else format(value, spec)


# %% [markdown]
# ## Summarized thinking
#
# Claude 4 models do not stream their raw reasoning: they stream a **summary** of it,
# in large pieces, then an empty `thinking_delta`, then a `signature_delta`. You pay
# for the full reasoning, so the billed thinking tokens are more than the summary's
# length suggests.

# %%
view = await replay(gallery.path("thinking_summarized"), speed=SPEED)

# %%
usage = view.state.usage
for thought in view.state.blocks[:1]:  # none if the replay was stopped before it began
    summary = len(thought.thinking)
    print(f"summary: {summary:,} characters, about {summary // 4:,} tokens")
    print(f"signature: {thought.signature[:32] or '–'}… ({len(thought.signature):,} characters)")
print(f"billed: {shown(usage.thinking_tokens)} thinking tokens")
print(f"  (inside the {usage.output_tokens:,} output tokens)")

# %% [markdown]
# ## Thinking with its display omitted
#
# A request can ask for the thinking not to be returned at all
# (`"display": "omitted"` in its `thinking` settings). The block then carries no text,
# only the signature, after a long silence while the model thinks. The thinking still
# takes time and is still billed; the lane says so rather than looking stuck.

# %%
view = await replay(gallery.path("thinking_omitted"), speed=SPEED)

# %%
blocks = view.state.blocks
if blocks:
    print("thinking text:", repr(blocks[0].thinking), "· omitted:", blocks[0].omitted)
if blocks and blocks[0].stopped_at is not None:  # a stopped replay may not have reached it
    silence = blocks[0].stopped_at - blocks[0].started_at
    # written as the thinking lane's head writes it (recorded time)
    print(f"silence while the model thought: {fmt_seconds(silence)}")
print("billed thinking tokens:", shown(view.state.usage.thinking_tokens))

# %% [markdown]
# ## Redacted thinking
#
# Occasionally part of the reasoning is flagged by safety systems and comes back
# **encrypted**, as a `redacted_thinking` block: one opaque `data` string in its start
# event, no deltas. You cannot read it, but the model can: keep it and send it back.

# %%
view = await replay(gallery.path("thinking_redacted"), speed=SPEED)

# %%
for block in view.state.blocks:
    print(f"#{block.index} {block.type}")
for redacted in (b for b in view.state.blocks if b.type == "redacted_thinking"):
    print(f"redacted data: {redacted.data[:32]}… ({len(redacted.data):,} characters)")

# %% [markdown]
# ## Interleaved thinking with tools
#
# In an agent loop, the model can think again **between** tool rounds (the
# `interleaved-thinking-2025-05-14` beta on Claude 4 models). This is turn 2 of the
# tool-loop conversation of notebook 5: the model has just received two tool results,
# thinks about them, and goes straight to three parallel calls, with no text at all.

# %%
view = await replay(gallery.path("tool_loop.turn2"), speed=SPEED)
print([block.type for block in view.state.blocks], "·", view.state.stop_reason)

# %% [markdown]
# ## Why the signature must go back unchanged
#
# The signature is Anthropic's seal on a thinking block. When you continue the
# conversation (in a tool loop you must), the assistant message you send back has to
# contain its thinking blocks exactly as they were streamed: the API checks each
# signature against its thinking and rejects the request if either was edited or left
# out. With the display omitted, the text is empty but the signature still carries the
# full reasoning, encrypted: that is how the model picks up where it left off. Redacted
# `data` works the same way.
#
# So the rule for client code is simple: **never rebuild, trim or re-encode thinking
# blocks; pass them through**. streamscope joins the signature deltas byte for byte and
# `StreamState.to_message()` gives back the blocks ready to send. Check it against the
# raw events of the redacted-thinking recording:

# %%
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

# %% [markdown]
# `content` is what goes back as the assistant turn:
# `{"role": "assistant", "content": content}`. The `ToolLoop` of notebook 5 does exactly
# this between turns.
