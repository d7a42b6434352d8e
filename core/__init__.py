"""streamscope.core: an Anthropic Messages stream in, live and trustworthy state out.

No Jupyter imports here. Events (SDK models, beta or not, or plain dicts) are reduced by
:class:`StreamState`; sources read recorded streams and drive live SDK streams; the
seed-compatible :class:`StreamingInterface` turns a stream into messages.
"""

from streamscope.core.blocks import (
    Block,
    GenericBlock,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.core.cassette import (
    Cassette,
    CassetteWriter,
    arecord,
    event_to_dict,
    read_cassette,
    read_events,
    read_timed_events,
    record,
    write_cassette,
)
from streamscope.core.changes import Change
from streamscope.core.errors import StreamAPIError
from streamscope.core.interface import StreamingInterface
from streamscope.core.loop import (
    Decision,
    IncompleteStreamError,
    LoopObserver,
    ToolLoop,
    ToolRun,
    Turn,
)
from streamscope.core.partial_json import PartialJSON
from streamscope.core.playback import Replay, Stepper, areplay, replay
from streamscope.core.pricing import (
    DEFAULT_PRICES,
    PRICES_AS_OF,
    CostEstimate,
    ModelPrice,
    PriceTable,
    estimate_cost,
)
from streamscope.core.problems import Problem
from streamscope.core.replay_client import AsyncReplayClient, ReplayClient, ReplayExhaustedError
from streamscope.core.sources import AsyncSourceLoopError, aiter_events, iter_events
from streamscope.core.sse import SSEDecoder, parse_sse_events
from streamscope.core.state import StreamState
from streamscope.core.tool_call import ToolCall
from streamscope.core.tools import Tool, ToolInputError, ToolResult, tool
from streamscope.core.usage import Usage

__all__ = [
    "DEFAULT_PRICES",
    "PRICES_AS_OF",
    "AsyncReplayClient",
    "AsyncSourceLoopError",
    "Block",
    "Cassette",
    "CassetteWriter",
    "Change",
    "CostEstimate",
    "Decision",
    "GenericBlock",
    "IncompleteStreamError",
    "LoopObserver",
    "ModelPrice",
    "PartialJSON",
    "PriceTable",
    "Problem",
    "RedactedThinkingBlock",
    "Replay",
    "ReplayClient",
    "ReplayExhaustedError",
    "SSEDecoder",
    "Stepper",
    "StreamAPIError",
    "StreamState",
    "StreamingInterface",
    "TextBlock",
    "ThinkingBlock",
    "Tool",
    "ToolCall",
    "ToolInputError",
    "ToolLoop",
    "ToolResult",
    "ToolRun",
    "ToolUseBlock",
    "Turn",
    "Usage",
    "aiter_events",
    "arecord",
    "areplay",
    "estimate_cost",
    "event_to_dict",
    "iter_events",
    "parse_sse_events",
    "read_cassette",
    "read_events",
    "read_timed_events",
    "record",
    "replay",
    "tool",
    "write_cassette",
]
