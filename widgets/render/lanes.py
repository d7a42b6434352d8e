"""One lane per content block: its head (what it is, how it streamed) and its body's parts.

A :class:`Lane` belongs to one block and keeps what it already rendered (frozen Markdown
blocks, frozen argument fields), so a frame costs what changed in that block. Bodies by
kind: text (Markdown and citations), thinking (Markdown in a collapsible ``<details>``,
its signature), redacted thinking (its size), a tool call's argument builder (fields and
raw JSON), and any other block as its JSON. Each body may hold sub-regions (slots) that the
picture fills: the Markdown of a text block, the fields and raw JSON of a tool call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from streamscope.core.figures.blocks import block_figures
from streamscope.core.figures.text import fmt_bytes, plural, utf8_len
from streamscope.core.stream.blocks import (
    Block,
    GenericBlock,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from streamscope.widgets.render.arguments import ArgumentTree, TextChunks
from streamscope.widgets.render.fold import FoldedMarkdown
from streamscope.widgets.render.fulltext import SHOW_ALL_CAP, Budget, FullTexts, is_full_text
from streamscope.widgets.render.markup import SEP, attr, e, json_text, link, pre
from streamscope.widgets.render.panel import figure_attrs
from streamscope.widgets.render.regions import LAZY_PREFIX, Op, RegionStore, slot
from streamscope.widgets.render.sanitize import clean
from streamscope.widgets.render.server_tools import (
    KIND_LABELS_MORE,
    block_picture,
    caller_text,
    picture_kind,
    type_label,
)
from streamscope.widgets.render.wire import live_button

__all__ = [
    "COLLAPSE_THINKING_AT",
    "KIND_LABELS",
    "Lane",
    "block_label",
    "lanes_more",
    "lanes_supply",
]

WHOLE_JSON_LIMIT = 64 * 1024
"""Bytes of a block's JSON a picture holds whole; a larger one (a 1 MB stdout) is cut
there, and the exports keep it whole."""

COLLAPSE_THINKING_AT = 1200
"""Characters of finished thinking above which its ``<details>`` starts closed."""

KIND_LABELS = {
    "text": "text",
    "thinking": "thinking",
    "redacted_thinking": "redacted thinking",
    "tool": "tool call",
    "other": "other block",
    **KIND_LABELS_MORE,
}

SUMMARIZED_HINT = (
    'This thinking block arrived as a signature only (thinking display "omitted"). To see '
    'summarized reasoning, request thinking={"type": "enabled" | "adaptive", …, '
    '"display": "summarized"}.'
)

OMITTED_LIVE = (
    'Thinking display "omitted": the API sends no thinking text, only a signature when the '
    "thinking ends. The model is thinking now; the thinking is billed as output tokens. To "
    'see summarized reasoning, request thinking={"type": "enabled" | "adaptive", …, '
    '"display": "summarized"}.'
)
"""What an open thinking block whose display is omitted says during its silence."""

Regions = dict[str, list[str]]


def block_label(block: Block) -> str:
    """What a block is, in a few words: its tool name, or its kind."""
    if isinstance(block, ToolUseBlock) and block.name:
        return block.name
    label = type_label(block)
    if label:
        return label
    return KIND_LABELS.get(block.kind, block.type)


def _rel(at: float | None, origin: float | None) -> float | None:
    return None if at is None or origin is None else at - origin


class Lane:
    """Renders one block (see the module docstring). ``ids`` names its regions.

    ``fold_thinking``: a thinking block's text starts folded and is a lazy region (sent to
    a page only once it opens it; its count and signature show meanwhile): a bench's
    compact columns."""

    def __init__(
        self, block: Block, prefix: str, anchor: str, *, fold_thinking: bool = False
    ) -> None:
        self.block = block
        self.anchor = anchor
        index = block.index
        self.prefix = prefix
        self.fold_thinking = fold_thinking and isinstance(block, ThinkingBlock)
        self.body_id = f"{prefix}lane/{index}"
        lazy = LAZY_PREFIX if self.fold_thinking else ""
        self.text_id = f"{lazy}{prefix}text/{index}"
        self.args_id = f"{prefix}args/{index}"
        self.raw_id = f"{LAZY_PREFIX}{prefix}raw/{index}"
        self.meta_id = f"{prefix}meta/{index}"
        self._markdown = FoldedMarkdown()
        self._tree = ArgumentTree()
        self._raw = TextChunks()
        self.full = FullTexts(prefix)
        """The whole texts of this lane's folded outputs ("Show all")."""
        self._done = False
        self._raw_cut = False

    # ------------------------------------------------------------------ head

    paused = False
    """The replay is paused: an open block says ``paused``, not ``streaming``."""
    display_omitted = False
    """The request asked for ``thinking.display: "omitted"``: an empty open thinking block
    is a silence to explain, not a wait for the first words."""

    def status(self, over: bool) -> str:
        """``streaming`` (``paused`` while a replay is), ``done`` or ``cut off``: the stream
        is ``over`` and this block never got its ``content_block_stop`` (a tool call cut by
        ``max_tokens``, a dropped connection)."""
        if self.block.complete:
            return "done"
        if over:
            return "cut off"
        return "paused" if self.paused else "streaming"

    def head(self, over: bool, token: str = "") -> str:
        """The lane's section: its head line (the figures in their own region, which changes
        every frame) and the slot of its body. Live, the block's number is a button that
        shows its events in the wire inspector."""
        block = self.block
        status = self.status(over)
        number = f'<span class="ss-lane-index">#{block.index}</span>'
        if token:
            number = live_button(
                f"#{block.index}", "wire-block", token, self.prefix, block.index,
                title="Show this block's events on the wire",
            )  # fmt: skip
        name = ""
        if isinstance(block, ToolUseBlock) and block.name:
            name = f' <span class="ss-lane-name">{e(block.name)}</span>'
        return (
            # the rule: a page without styles (an untrusted notebook) spaces the lanes by it
            '<hr class="ss-lane-gap">'
            f'<section class="ss-lane" id="{e(self.anchor)}"{attr("data-index", block.index)}'
            f"{attr('data-kind', picture_kind(block))}{attr('data-type', block.type)}"
            f' data-status="{status}">'
            f'<div class="ss-lane-head">{number} '
            f'<span class="ss-lane-type">{e(block.type)}</span>{name}'
            f"{slot(self.meta_id, 'span', 'ss-lane-meta')}</div>"
            f"{slot(self.body_id, cls='ss-lane-body')}</section>"
        )

    def meta(self, origin: float | None, over: bool, now: float | None = None) -> str:
        """The head's figures: status (as a word), duration (an open block's runs to ``now``
        while the stream is live), deltas."""
        block = self.block
        status = self.status(over)
        bits = [] if not block.synthesized else ["no start event"]
        took = block_figures(block, origin, now)["duration"]  # the timeline's span, the same
        if took.kind != "waiting":
            bits.append(f"<span{figure_attrs(took)}>{e(took.text)}</span>")
        bits.append(plural(block.delta_count, "delta"))  # what changes most, last
        return (
            f'<span>{SEP}<span class="ss-lane-status" data-status="{status}">{status}</span>'
            f"{SEP}{SEP.join(bits)}</span>"
        )

    # ------------------------------------------------------------------ body

    def regions(self, final: bool) -> Regions:
        """The body region and its sub-regions, as parts. ``final``: nothing more will come."""
        self._done = final or self.block.complete
        regions = self._regions(final)
        regions.update(self.full.regions())
        return regions

    def _show_all(self, text: str, label: str) -> str:
        """The "Show all" control of one of this block's folded outputs."""
        key = f"{self.block.index}/{label.replace(' ', '-')}"
        return self.full.control(key, len(text), lambda: text, label, ready=self._done)

    def _show_all_of(self, block: TextBlock | ThinkingBlock, label: str) -> str:
        """The "Show all" control of a folded text or thinking block."""
        read = (lambda: block.text) if isinstance(block, TextBlock) else (lambda: block.thinking)
        key = f"{block.index}/{label}"
        return self.full.control(key, block.length, read, label, ready=self._done)

    def whole(self, region_id: str, budget: Budget) -> list[str] | None:
        """A region's whole parts for a static picture, or None (the stored ones): a folded
        text's, and a block's JSON that a live page gets cut, while ``budget`` lasts."""
        if region_id == self.raw_id:
            block = self.block
            if not self._raw_cut or not isinstance(block, GenericBlock):
                return None
            content = block.content
            raw = json_text(
                {"content": content, "extra_deltas": block.extra_deltas}
                if block.extra_deltas
                else content
            )
            if len(raw) > SHOW_ALL_CAP or not budget.take(len(raw)):
                return None  # the cut one, which says where the whole block is
            return TextChunks().parts(raw)
        return self.full.whole(region_id, budget)

    def _regions(self, final: bool) -> Regions:
        block = self.block
        if isinstance(block, TextBlock):
            return self._text(block, final)
        if isinstance(block, ThinkingBlock):
            return self._thinking(block, final)
        if isinstance(block, ToolUseBlock):
            return self._tool(block, final)
        if isinstance(block, RedactedThinkingBlock):
            size = utf8_len(block.data)
            return {
                self.body_id: [
                    f'<div class="ss-redacted" data-size="{size}">Redacted thinking: '
                    f"{fmt_bytes(size)} of encrypted reasoning, kept unchanged so it can go "
                    "back to the API.</div>",
                    *self._extra(),
                ]
            }
        picture = block_picture(block, self._show_all)
        if picture is not None:
            return self._pictured(block, picture)
        return {self.body_id: self._generic(block)}

    def _pictured(self, block: Block, picture: list[str]) -> Regions:
        """A block with a picture of its own, and its whole JSON one click away (sent to a
        page only once opened: a 1 MB stdout costs nothing until asked for)."""
        content: Any = block.content if isinstance(block, GenericBlock) else block.to_dict()
        shown = (
            {"content": content, "extra_deltas": block.extra_deltas}
            if block.extra_deltas
            else content
        )
        raw = json_text(shown)
        size = utf8_len(raw)
        self._raw_cut = size > WHOLE_JSON_LIMIT
        if self._raw_cut:  # a page parses it at once: export_html and the exports keep it
            raw = (
                f"{raw[: WHOLE_JSON_LIMIT // 2]}\n… {fmt_bytes(size)} in all: the whole block "
                "is in view.export_html(...), to_message() and export_json()"
            )
        box = (
            f'<details class="ss-tool-rawbox" data-ss-key="{e(self.anchor)}-raw">'
            f"<summary>Block JSON{SEP}{fmt_bytes(size)}</summary>"
            f"{slot(self.raw_id, 'pre', 'ss-tool-raw', tabindex='0', data_ss_lazy='')}</details>"
        )
        return {self.body_id: [*picture, box], self.raw_id: self._raw.parts(raw)}

    def _extra(self) -> list[str]:
        extra = self.block.extra_deltas
        if not extra:
            return []
        return [
            f'<details class="ss-extra-deltas"><summary>{plural(len(extra), "uninterpreted delta")}'
            f"</summary>{pre(e(json_text(extra)), 'ss-generic')}</details>"
        ]

    def _text(self, block: TextBlock, final: bool) -> Regions:
        done = final or block.complete
        parts = [slot(self.text_id, cls="ss-text", tabindex="0")]
        citations = [c for c in block.citations or () if isinstance(c, dict)]
        if citations:
            parts.append(_citations(citations))
        markdown = self._markdown.parts(
            block, lambda: block.text, final=done, show_all=lambda: self._show_all_of(block, "text")
        )
        return {self.body_id: [*parts, *self._extra()], self.text_id: markdown}

    def _thinking(self, block: ThinkingBlock, final: bool) -> Regions:
        done = final or block.complete
        length = block.length  # the text is not joined here: it may be 200 MB
        parts = []
        if length or not done:
            folded = self.fold_thinking
            is_open = not folded and not (done and length > COLLAPSE_THINKING_AT)
            lazy = {"data_ss_lazy": ""} if folded else {}
            # a folded lane's frame is re-sent with its column's figures, not per delta: while
            # it streams it says so rather than show a count that is seconds old
            count = "streaming" if folded and not done else plural(length, "character")
            parts.append(
                f'<details class="ss-thinking" data-ss-key="{e(self.anchor)}-thinking"'
                f'{" open" if is_open else ""}><summary class="ss-thinking-summary">Thinking'
                f"{SEP}{count}</summary>"
                f"{slot(self.text_id, cls='ss-thinking-text', tabindex='0', **lazy)}</details>"
            )
        signature = block.signature
        if signature:
            shown = f"{signature[:40]}…{signature[-20:]}" if len(signature) > 80 else signature
            parts.append(
                f'<div class="ss-signature" data-present="true" title="{e(shown)}">'
                f"signature ✓ {plural(len(signature), 'character')}</div>"
            )
        else:
            note = "no signature" if done else "signature pending"
            parts.append(f'<div class="ss-signature" data-present="false">{note}</div>')
        if block.estimated_tokens is not None:
            so_far = "" if done else " so far"
            parts.append(
                f'<div class="ss-thinking-estimate" data-value="{block.estimated_tokens}">'
                f"≈ {block.estimated_tokens:,} thinking tokens{so_far} (the API's running "
                "estimate; usage has the billed count)</div>"
            )
        if done and signature and not length:
            parts.append(f'<div class="ss-omitted">{e(SUMMARIZED_HINT)}</div>')
        elif (
            not done and not length and (self.display_omitted or block.estimated_tokens is not None)
        ):
            # said as the silence starts (the request asked for it, or the API's running
            # estimate came without text), not only once the signature ends it
            parts.append(f'<div class="ss-omitted" data-live="true">{e(OMITTED_LIVE)}</div>')
        regions = {self.body_id: [*parts, *self._extra()]}
        if length or not done:
            regions[self.text_id] = self._markdown.parts(
                block,
                lambda: block.thinking,
                final=done,
                show_all=lambda: self._show_all_of(block, "thinking"),
            )
        return regions

    def _tool(self, block: ToolUseBlock, final: bool) -> Regions:
        done = final or block.complete
        raw = block.input_json
        bits = []
        if not block.name:
            bits.append('<span class="ss-tool-name">(no name yet)</span>')
        server = block.start.get("server_name")
        if server:
            bits.append(f'<span class="ss-tool-server">via MCP server {e(server)}</span>')
        elif block.type == "server_tool_use":
            bits.append('<span class="ss-tool-server">server tool (runs on the API)</span>')
        caller = caller_text(block.start.get("caller"))
        if caller:
            bits.append(f'<span class="ss-caller">{e(caller)}</span>')
        if block.id:
            bits.append(f'<span class="ss-tool-id">{e(block.id)}</span>')
        parts = [f'<div class="ss-tool-head">{" ".join(bits)}</div>'] if bits else []
        if block.input_error:
            parts.append(f'<div class="ss-tool-error" role="note">{e(block.input_error)}</div>')
        parts.append(
            '<div class="ss-tool-args"><div class="ss-col-title">Arguments</div>'
            f"{slot(self.args_id, 'ul', 'ss-tree ss-args', tabindex='0')}</div>"
        )
        streaming = None if done else block.streaming_path
        tree = self._tree.regions(self.args_id, block.input, streaming, done, block.violations)
        # Open the raw JSON where it is the only picture of the input (it did not parse).
        is_open = block.input_error is not None
        parts.append(
            f'<details class="ss-tool-rawbox" data-ss-key="{e(self.anchor)}-raw"'
            f"{' open' if is_open else ''}>"
            f"<summary>Raw JSON{SEP + fmt_bytes(utf8_len(raw)) if done else ''}</summary>"
            f"{slot(self.raw_id, 'pre', 'ss-tool-raw', tabindex='0', data_ss_lazy='')}</details>"
        )
        return {self.body_id: [*parts, *self._extra()], **tree, self.raw_id: self._raw.parts(raw)}

    def _generic(self, block: Block) -> list[str]:
        content: Any = block.content if isinstance(block, GenericBlock) else block.to_dict()
        shown = (
            {"content": content, "extra_deltas": block.extra_deltas}
            if block.extra_deltas
            else content
        )
        data = content if isinstance(content, dict) else {}
        parts = []
        summary = _result_summary(data)
        if summary:
            parts.append(f'<div class="ss-generic-summary">{e(summary)}</div>')
        inner = data.get("content")
        links = [
            item
            for item in (inner if isinstance(inner, list) else [])[:20]
            if isinstance(item, dict) and isinstance(item.get("url"), str) and item.get("url")
        ]
        if links:
            items = "".join(
                f"<li>{link(item['url'], str(item.get('title') or item['url']))}</li>"
                for item in links
            )
            parts.append(f'<ul class="ss-generic-links">{items}</ul>')
        parts.append(pre(e(json_text(shown)), "ss-generic"))
        return parts


def lanes_more(lanes: Iterable[Lane], store: RegionStore, region_id: str, page: int) -> list[Op]:
    """A page asked for page ``page`` of a folded text's whole ("Show all") in one of
    ``lanes``: the op that brings it (none when not theirs, or asked already)."""
    if not is_full_text(region_id):
        return []
    for lane in lanes:
        if region_id in lane.full:
            found = lane.full.more(region_id, page)
            op = store.splice(region_id, *found) if found is not None else None
            return [op] if op is not None else []
    return []


def lanes_supply(lanes: Iterable[Lane], budget: Budget) -> Callable[[str], list[str] | None]:
    """For :meth:`RegionStore.expand`: the whole texts (and blocks' JSON) of ``lanes`` a
    static picture carries in place of what a live page is sent, while ``budget`` lasts."""
    kept = list(lanes)
    raw = {lane.raw_id: lane for lane in kept}

    def whole(region_id: str) -> list[str] | None:
        lane = raw.get(region_id)
        if lane is None and is_full_text(region_id):
            lane = next((x for x in kept if region_id in x.full), None)
        parts = lane.whole(region_id, budget) if lane is not None else None
        return None if parts is None else [clean(p) for p in parts]

    return whole


def _citations(citations: list[dict[str, Any]]) -> str:
    items = []
    for cite in citations:
        title = next(
            (
                str(cite[k])
                for k in ("title", "document_title", "url", "type")
                if isinstance(cite.get(k), str) and cite[k]
            ),
            "source",
        )
        source = link(cite.get("url"), title) if cite.get("url") else f"<cite>{e(title)}</cite>"
        cited = cite.get("cited_text")
        quote = f' <q class="ss-cited">{e(cited)}</q>' if isinstance(cited, str) and cited else ""
        items.append(
            f'<li class="ss-citation"{attr("data-type", cite.get("type"))}>{source}{quote}</li>'
        )
    return (
        f'<div class="ss-citations"><div class="ss-col-title">Sources</div>'
        f"<ol>{''.join(items)}</ol></div>"
    )


def _result_summary(content: dict[str, Any]) -> str:
    inner = content.get("content")
    bits = []
    if content.get("tool_use_id"):
        bits.append(f"for {content['tool_use_id']}")
    if isinstance(inner, list):
        bits.append(plural(len(inner), "item"))
    if isinstance(inner, dict):
        if inner.get("error_code"):
            bits.append(f"error: {inner['error_code']}")
        if inner.get("return_code") is not None:
            bits.append(f"return code {inner['return_code']}")
    if content.get("is_error"):
        bits.append("error")
    return " · ".join(str(b) for b in bits)
