"""The request box of a stream's picture: the request that opened it, as code to send again.

How it works: ``docs/internals.md``, section ``streamscope.widgets.render.request``.
"""

from __future__ import annotations

from streamscope.core.figures.text import fmt_bytes
from streamscope.core.io.resend import request_code
from streamscope.core.stream.state import StreamState
from streamscope.core.wire.credentials import Lookalike, lookalikes
from streamscope.widgets.render.markup import SEP, e, pre
from streamscope.widgets.render.regions import LAZY_PREFIX, slot

__all__ = ["SHOWN_LIMIT", "RequestBox", "copy_button", "warning"]

SHOWN_LIMIT = 64 * 1024
"""Characters of code the box shows; past it, ``request_code(view)`` gives the request."""

_STYLES = (("python", "Python (the anthropic SDK)"), ("curl", "curl"))


def copy_button(label: str = "Copy") -> str:
    """A live-only button that copies the ``<pre>`` of its ``.ss-copyable`` (the static
    picture drops it: ``data-ss-live="drop"``)."""
    return (
        f'<button type="button" class="ss-live-btn ss-copy" data-ss-live="drop"'
        f' data-ss-copy="" title="Copy to the clipboard">{e(label)}</button>'
    )


def warning(found: list[Lookalike]) -> str:
    """A warning beside the request: where its content looks like a credential (never the
    text itself); empty when nothing does."""
    if not found:
        return ""
    places = ", ".join(f"<code>{e(item.where)}</code> ({e(item.what)})" for item in found)
    return (
        f'<p class="ss-request-warn" role="note">⚠ This request holds text shaped like a'
        f" credential: {places}. It is your conversation's content, kept as written here, in"
        " the code to send it again and in files; take it out of the conversation if it is"
        " real.</p>"
    )


class RequestBox:
    """Renders a picture's request box; the code is made once per request."""

    __slots__ = ("_code", "_version", "_warning", "box_id", "code_id")

    def __init__(self, prefix: str) -> None:
        self.box_id = f"{prefix}request"
        self.code_id = f"{LAZY_PREFIX}{prefix}request/code"
        self._version: int | None = None
        self._code: list[str] = []
        self._warning = ""

    def regions(self, state: StreamState | None, anchor: str) -> dict[str, list[str]]:
        """The box for ``state``'s request (None, or a state whose request is unknown: no
        box, and the code made before is let go)."""
        if state is None or not state.request_version:
            self._version, self._code = None, []
            return {self.box_id: [], self.code_id: []}
        if state.request_version != self._version:
            request = state.request
            if request is None:
                self._version, self._code = None, []
                return {self.box_id: [], self.code_id: []}
            self._version, self._code = state.request_version, self._render(state)
            self._warning = warning(lookalikes(request))
        box = (
            f'<details class="ss-request" data-ss-key="{e(anchor)}-request">'
            f"<summary>The request{SEP}send it again</summary>"
            f"{slot(self.code_id, cls='ss-request-code', data_ss_lazy='')}</details>"
            f"{self._warning}"
        )
        return {self.box_id: [box], self.code_id: self._code}

    @staticmethod
    def _render(state: StreamState) -> list[str]:
        parts = []
        for style, label in _STYLES:
            try:
                code = request_code(state, style)  # type: ignore[arg-type]
            except Exception as exc:  # a request that cannot be written as code: say why
                parts.append(f'<p class="ss-muted">{e(label)}: {e(str(exc))}</p>')
                continue
            if len(code) > SHOWN_LIMIT:
                parts.append(
                    f'<p class="ss-muted">{e(label)}: {fmt_bytes(len(code.encode()))} of code, too'
                    " long to show here: <code>request_code(view)</code> gives it.</p>"
                )
                continue
            parts.append(
                f'<div class="ss-copyable"><div class="ss-col-title">{e(label)} '
                f"{copy_button()}</div>{pre(e(code), 'ss-code')}</div>"
            )
        return parts
