"""Notebook views of a streamed message, driven by streamscope.core.

``StreamView`` is the live widget; ``show`` / ``ashow`` watch a live SDK stream and return
its final message; ``replay`` plays a recording with controls; ``snapshot`` is the JSON
picture of a state that every view renders.
"""

from streamscope.widgets._snapshot import snapshot
from streamscope.widgets.conversation import ConversationView, arun_loop
from streamscope.widgets.shortcuts import ashow, replay, show
from streamscope.widgets.view import StreamView

__all__ = ["ConversationView", "StreamView", "arun_loop", "ashow", "replay", "show", "snapshot"]
