"""streamscope.core: an Anthropic Messages stream in, live and trustworthy state out.

No Jupyter imports here. Events (SDK models, beta or not, or plain dicts) are reduced by
:class:`StreamState`; sources read recorded streams and drive live SDK streams; the
seed-compatible :class:`StreamingInterface` turns a stream into messages; :class:`ToolLoop`
runs a whole agent loop; :mod:`~streamscope.core.gallery` holds recorded example streams.
Tool arguments are checked against their schema while they stream (:class:`Violation`);
:func:`compare_runs` puts runs side by side; :func:`explain_cache` says why a request
missed the prompt cache (:func:`cache_diagnostics` asks the API too);
:func:`request_code` writes a request you can re-send; :func:`load_conversation` reads
back what ``ToolLoop.export_json`` wrote.

``__all__`` is what a notebook user types. Everything else lives in its own module
(``streamscope.core.cassette``, ``.playback``, ``.pricing``, ``.sse``, ...); the names this
package used to export besides are still found here for one release, with a
``DeprecationWarning`` that says where they live now.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from streamscope.core import gallery
from streamscope.core.blocks import (
    Block,
    GenericBlock,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.core.cache_diagnosis import cache_diagnostics
from streamscope.core.cache_explain import CacheExplanation, explain_cache
from streamscope.core.cassette import arecord, read_cassette, read_events, record
from streamscope.core.compare import compare_runs
from streamscope.core.conversation import load_conversation
from streamscope.core.errors import StreamAPIError
from streamscope.core.interface import StreamingInterface
from streamscope.core.loop import Decision, IncompleteStreamError, ToolLoop, ToolRun, Turn
from streamscope.core.playback import Stepper, areplay, replay
from streamscope.core.pricing import DEFAULT_PRICES, PriceTable, estimate_cost
from streamscope.core.problems import Problem
from streamscope.core.replay_client import AsyncReplayClient, ReplayClient
from streamscope.core.resend import request_code
from streamscope.core.sources import aiter_events, iter_events
from streamscope.core.state import StreamState
from streamscope.core.tool_call import ToolCall
from streamscope.core.tools import ToolResult, tool
from streamscope.core.usage import Usage
from streamscope.core.validation import Violation

__all__ = [
    "DEFAULT_PRICES",
    "AsyncReplayClient",
    "Block",
    "CacheExplanation",
    "Decision",
    "GenericBlock",
    "IncompleteStreamError",
    "PriceTable",
    "Problem",
    "RedactedThinkingBlock",
    "ReplayClient",
    "Stepper",
    "StreamAPIError",
    "StreamState",
    "StreamingInterface",
    "TextBlock",
    "ThinkingBlock",
    "ToolCall",
    "ToolLoop",
    "ToolResult",
    "ToolRun",
    "ToolUseBlock",
    "Turn",
    "Usage",
    "Violation",
    "aiter_events",
    "arecord",
    "areplay",
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
    "replay",
    "request_code",
    "tool",
]

_DEPRECATED: dict[str, str] = {
    "AsyncSourceLoopError": "streamscope.core.sources",
    "Cassette": "streamscope.core.cassette",
    "CassetteWriter": "streamscope.core.cassette",
    "Change": "streamscope.core.changes",
    "CostEstimate": "streamscope.core.pricing",
    "LoopObserver": "streamscope.core.loop",
    "ModelPrice": "streamscope.core.pricing",
    "PRICES_AS_OF": "streamscope.core.pricing",
    "PartialJSON": "streamscope.core.partial_json",
    "Replay": "streamscope.core.playback",
    "ReplayExhaustedError": "streamscope.core.replay_client",
    "SSEDecoder": "streamscope.core.sse",
    "Tool": "streamscope.core.tools",
    "ToolInputError": "streamscope.core.tools",
    "event_to_dict": "streamscope.core.cassette",
    "parse_sse_events": "streamscope.core.sse",
    "read_timed_events": "streamscope.core.cassette",
    "write_cassette": "streamscope.core.cassette",
}
"""Names no longer exported here, and the module each lives in now."""

if TYPE_CHECKING:  # type checkers see the deprecated names with their real types
    from streamscope.core.cassette import Cassette as Cassette
    from streamscope.core.cassette import CassetteWriter as CassetteWriter
    from streamscope.core.cassette import event_to_dict as event_to_dict
    from streamscope.core.cassette import read_timed_events as read_timed_events
    from streamscope.core.cassette import write_cassette as write_cassette
    from streamscope.core.changes import Change as Change
    from streamscope.core.loop import LoopObserver as LoopObserver
    from streamscope.core.partial_json import PartialJSON as PartialJSON
    from streamscope.core.playback import Replay as Replay
    from streamscope.core.pricing import PRICES_AS_OF as PRICES_AS_OF
    from streamscope.core.pricing import CostEstimate as CostEstimate
    from streamscope.core.pricing import ModelPrice as ModelPrice
    from streamscope.core.replay_client import ReplayExhaustedError as ReplayExhaustedError
    from streamscope.core.sources import AsyncSourceLoopError as AsyncSourceLoopError
    from streamscope.core.sse import SSEDecoder as SSEDecoder
    from streamscope.core.sse import parse_sse_events as parse_sse_events
    from streamscope.core.tools import Tool as Tool
    from streamscope.core.tools import ToolInputError as ToolInputError
else:

    def __getattr__(name: str) -> Any:
        """A deprecated name: warn, then hand back the object from its own module."""
        module = _DEPRECATED.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        warnings.warn(
            f"importing {name} from {__name__} is deprecated and will stop working in the "
            f"next release; import it from {module}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), name)
