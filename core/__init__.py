"""streamscope.core: an Anthropic Messages stream in, live and trustworthy state out.

No Jupyter imports. ``__all__`` is what a notebook user types; everything else lives in the
layer subpackages (``json``, ``schema``, ``tools``, ``wire``, ``stream``, ``pricing``, ``io``,
``loop``, ``comparison``) and the Letta adapter (``letta``), each importing only the ones
before it in that order.
"""

from __future__ import annotations

from streamscope.core.comparison.cache import CacheExplanation, explain_cache
from streamscope.core.comparison.runs import compare_runs
from streamscope.core.io import gallery
from streamscope.core.io.cassette import arecord, read_cassette, read_events, record
from streamscope.core.io.playback import Stepper, replay_events
from streamscope.core.io.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.io.resend import request_code
from streamscope.core.io.sources import aiter_events, iter_events
from streamscope.core.letta import StreamingInterface
from streamscope.core.loop.export import load_conversation
from streamscope.core.loop.records import Decision, ToolExecution, Turn
from streamscope.core.loop.tool_loop import ToolLoop
from streamscope.core.pricing.prices import PriceTable, estimate_cost
from streamscope.core.stream.errors import StreamAPIError
from streamscope.core.stream.problems import Problem
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.usage import Usage
from streamscope.core.tools.tool import ToolResult, tool
from streamscope.core.wire.diagnostics import cache_diagnostics

__all__ = [
    "AsyncReplayClient",
    "CacheExplanation",
    "Decision",
    "PriceTable",
    "Problem",
    "ReplayClient",
    "Stepper",
    "StreamAPIError",
    "StreamState",
    "StreamingInterface",
    "ToolExecution",
    "ToolLoop",
    "ToolResult",
    "Turn",
    "Usage",
    "aiter_events",
    "arecord",
    "cache_diagnostics",
    "compare_runs",
    "estimate_cost",
    "explain_cache",
    "gallery",
    "iter_events",
    "load_conversation",
    "read_cassette",
    "read_events",
    "record",
    "replay_events",
    "request_code",
    "tool",
]
