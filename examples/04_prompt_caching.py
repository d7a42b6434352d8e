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
# # 4 · Prompt caching: write once, read cheaply
#
# A long, unchanging prefix (a system prompt, a manual, tool definitions) can be
# **cached**: mark the end of it with `cache_control` and the API stores the processed
# prefix for 5 minutes (or an hour). The first request **writes** the cache, and the
# ones after it **read** it, which is faster and much cheaper.
#
# The two recordings here are the same support-bot request two minutes apart, with a
# 14,000-token manual in a cached system prompt. No API key needed.

# %%
from streamscope.core import StreamState, estimate_cost, gallery
from streamscope.core.figures.text import fmt_usd
from streamscope.core.stream.usage import sum_usage
from streamscope.widgets import replay

# %% [markdown]
# ## The first call writes the cache
#
# Look at the usage table in the final panel: **cache write** holds the manual's
# tokens; **input** is only the few tokens after the cache breakpoint (the question).

# %%
miss = await replay(gallery.path("cache_miss"), speed=1)

# %% [markdown]
# ## The next call reads it
#
# Same prompt, so the prefix is read from the cache: **cache read** holds the
# manual's tokens, and the first event comes sooner.

# %%
hit = await replay(gallery.path("cache_hit"), speed=1)

# %% [markdown]
# ## Side by side
#
# The three input counts add up to everything the model read:
# `input_tokens + cache_creation_input_tokens + cache_read_input_tokens`.
# It is the same total in both calls; only the price of each part differs. At list
# prices a cache **write** costs 1.25× the input price (2× for the one-hour cache)
# and a **read** 0.1×.
#
# **First token** is the time from sending the request to the first content delta: the
# recordings say when their request went out, so the replays show what a client saw, and
# it is the same figure as *time to first token* in each view's final panel. Reading the
# prefix from the cache made the answer start sooner.

# %%
# Each view's `figures` are what its panel shows, written as it writes them:
rows = [("cache_miss", miss.figures), ("cache_hit", hit.figures)]
keys = ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"]
keys += ["total_input_tokens", "output_tokens", "time_to_first_token"]
print(f"{'':<10}" + "".join(f"{label:>20}" for label in ["input (uncached)", "cache write",
      "cache read", "total input", "output", "time to first token"]))  # fmt: skip
for name, figures in rows:  # a figure a stopped replay never got reads "–"
    print(f"{name:<10}" + "".join(f"{figures.text(key):>20}" for key in keys))

# %%
for name, figures in rows:
    parts = figures.cost_parts
    if not parts:  # a replay stopped before message_start: no model, no price
        print(f"{name:<10} no estimate: the model is unknown")
        continue
    print(f"{name:<10} " + " + ".join(f"{p.label} {p.text}" for p in parts.values()))
    without = figures.without_cache.text if figures.without_cache else figures.text("cost")
    print(f"{'':<10} = {figures.text('cost')}   (without caching: {without})")

# %% [markdown]
# The write costs a little **more** than not caching at all; every read after it
# costs a fraction. So caching pays off from the **second** call that reuses the
# prefix within its lifetime. Over ten calls:

# %%
first, again = (estimate_cost(v.state.usage, v.state.model) for v in (miss, hit))
if first is None or again is None:
    print("no estimate: a replay was stopped before its model was known")
else:
    write, read, plain = first.total_usd, again.total_usd, first.without_cache_usd
    for calls in (1, 2, 10):
        cached = write + (calls - 1) * read
        print(f"{calls:>2} × the call: cached {fmt_usd(cached)}, uncached {fmt_usd(calls * plain)}")

# %% [markdown]
# ## Hit rate
#
# The **cache hit rate** is the share of the input that was read from cache:
# `cache_read / total input`. For one call it is 0 % or close to 100 %; over a
# conversation it tells you whether your breakpoints work. The four turns of the
# tool-loop conversation (notebook 5) write the system prompt and tool definitions on
# turn 1 and read them on every turn after, while the uncached part grows with each
# round of tool results:

# %%
turns = gallery.list_conversations()[0].turns
states = [StreamState().apply_all(gallery.load_events(name)) for name in turns]
for n, state in enumerate(states, start=1):
    u = state.usage
    print(
        f"turn {n}: input (uncached) {u.input_tokens:>5,}"
        f"  write {u.cache_creation_input_tokens:>5,}"
        f"  read {u.cache_read_input_tokens:>5,}"
        f"  hit rate {u.cache_hit_rate:6.1%}"
    )
total = sum_usage(state.usage for state in states)
print(f"whole loop: hit rate {total.cache_hit_rate:.1%}")

# %% [markdown]
# Prices change: `streamscope.core.pricing.prices.DEFAULT_PRICES` says when its prices were taken
# (`DEFAULT_PRICES.as_of`), and `PriceTable.with_overrides(...)` lets you use your
# own; pass the table to `StreamView(prices=...)` to see it in the final panel.

# %% [markdown]
# ## Why did my cache miss?
#
# A cache read needs the request to be **byte for byte the same** as an earlier one up
# to a breakpoint, in the order the API reads it: the **tools**, then the **system**
# prompt, then the **messages** (and each model has its own cache). Anything that
# changes before the last breakpoint, or a gap longer than the cache's lifetime, and the
# whole prefix is written again at 1.25× instead of read at 0.1×.
#
# Two ways to find out why:
#
# - **streamscope explains it locally**, always: `explain_cache(previous, current)`
#   compares the two requests as the cache reads them and says where they first differ,
#   which breakpoint that breaks, what it cost; `StreamView(previous=...)` shows it under
#   the cache figures, and a `ConversationView` and `compare(...)` show a line per turn.
# - **the API says it too**, when asked: a request with
#   `diagnostics={"previous_message_id": ...}` gets `diagnostics.cache_miss_reason`
#   back. `ToolLoop(..., diagnose_cache=True)` and `show_runner(..., diagnose_cache=True)`
#   ask on every turn; for your own calls, `**cache_diagnostics(previous)` gives the
#   argument in the form your SDK takes.
#
# Each pair below is two recorded requests of a support bot (they asked for the API's
# diagnostics, so the second response carries its reason): the four classic misses,
# then a hit.

# %%
from streamscope.core import cache_diagnostics, explain_cache
from streamscope.widgets import compare

print(cache_diagnostics(None))  # the first request of a chain opts in
print(cache_diagnostics("msg_01ExampleId"))  # every request after: the previous id


def explain(pair):
    """The pair's explanation, and what the API said about the same two requests."""
    previous, current = gallery.conversation(pair)
    why = explain_cache(previous, current)
    print(why.summary)
    reason = why.server_reason["type"] if why.server_reason else "no divergence"
    print(f"the API: {reason}; local and API agree: {why.section == why.server_section}")
    return why


# %% [markdown]
# ### 1. A timestamp in the system prompt
#
# The system prompt starts with the current time, so two requests two minutes apart
# differ at its 97th character. Open **The difference** in the panel: the changed
# characters are marked.

# %%
first, second = gallery.conversation("cache_timestamp")
view = await replay(second, speed=1, previous=first)
why = explain("cache_timestamp")

# %% [markdown]
# **Fix:** keep everything that changes per request *after* the last breakpoint. Put
# the time in the user message (or drop the seconds and minutes it does not need), and
# keep the system prompt constant.

# %% [markdown]
# ### 2. Tools re-ordered
#
# The same three tools, listed in another order (built from a `set` or a `dict` filled
# in a different order). Tools are the very start of the prefix: nothing after them
# can be read.

# %%
compare(*gallery.conversation("cache_tools_reordered"), labels=["first", "re-ordered"])

# %%
why = explain("cache_tools_reordered")

# %% [markdown]
# **Fix:** build the tool list in a fixed order, e.g. `sorted(tools, key=lambda t: t["name"])`.

# %% [markdown]
# ### 3. An earlier message edited
#
# A follow-up that moves the breakpoint to the new last message, as it should; but a
# clean-up step rewrote the user's first question (`8pm` → `20:00`). The system prompt's
# breakpoint still holds; the conversation behind the second one is written again.

# %%
why = explain("cache_message_edited")
print("still read:", [f"breakpoint {b.number}" for b in why.holding])

# %% [markdown]
# **Fix:** send earlier turns back exactly as they were sent (and as the model answered
# them); normalize text *before* it enters the conversation, never after.

# %% [markdown]
# ### 4. The lifetime lapsed
#
# The same request twelve minutes later. Nothing changed, so the API reports no
# divergence (it compares requests, not clocks); streamscope knows when each recorded
# request was sent, and says why it missed anyway.

# %%
first, second = gallery.conversation("cache_ttl_lapsed")
view = await replay(second, speed=1, previous=first)
why = explain("cache_ttl_lapsed")

# %% [markdown]
# **Fix:** for requests more than five minutes apart use the one-hour cache,
# `"cache_control": {"type": "ephemeral", "ttl": "1h"}` (a write costs 2× instead of
# 1.25×, so it pays off from the second read), or keep the cache warm.

# %% [markdown]
# ### And a hit
#
# Sending the conversation back unchanged and appending to it keeps the cache: the
# breakpoint markers are not part of the prefix, so moving the last one forward is fine.

# %%
why = explain("cache_appended")
print("hit:", why.hit)
