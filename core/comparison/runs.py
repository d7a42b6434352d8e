"""Runs side by side: a summary of each run, the rows where they differ, and diffs of their
answers and tool calls. Printable and assertable without Jupyter; ``streamscope.widgets``'s
``compare(...)`` draws the same :class:`Comparison`.

A *run* is one or more streamed turns (:mod:`streamscope.core.io.runs` says what holds one).

Sums are over turns (each turn re-sends the conversation, so input tokens add up);
times are seconds: ``time_to_first_token`` and ``time_to_first_text`` of the first turn,
``waiting`` each turn's wait for its first event and ``duration`` the model's time (from
each request, when known, to its last event), both summed over turns, and ``wall_time``
from the first request to the end of the last turn or tool run (a tool loop only:
recordings do not hold the time spent between turns).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from streamscope.core.comparison.reading import reading_text
from streamscope.core.figures.text import DASH, fmt_int, fmt_seconds, fmt_usd
from streamscope.core.io.runs import turns_of
from streamscope.core.json.clip import short_json
from streamscope.core.pricing.prices import PriceTable, estimate_cost
from streamscope.core.schema.validation import JSONPath, Violation, format_path, json_equal
from streamscope.core.stream.blocks import TextBlock, ToolUseBlock
from streamscope.core.stream.state import StreamState
from streamscope.core.stream.usage import sum_usage

__all__ = [
    "ROW_NOTES",
    "ArgumentChange",
    "CallDiff",
    "CallSummary",
    "Comparison",
    "ComparisonRow",
    "DiffOp",
    "RunSummary",
    "TextDiff",
    "compare_runs",
    "diff_arguments",
    "diff_calls",
    "diff_text",
    "format_change",
    "summarize",
]

_ABSENT: Final = object()


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class CallSummary:
    """One finished client tool call of a run."""

    turn: int
    """The turn (1, 2, ...) whose response made the call."""
    name: str
    input: Any
    id: str
    violations: tuple[Violation, ...] = ()
    """How its arguments broke the tool's schema (when the schema was known)."""


@dataclass(frozen=True)
class RunSummary:
    """What one run cost, took and answered. Token counts are summed over its turns."""

    label: str
    model: str | None
    turns: int
    input_tokens: int
    """Uncached input tokens."""
    output_tokens: int
    thinking_tokens: int | None
    """Output tokens spent thinking, when the API reported them (None: never reported)."""
    cache_write_tokens: int
    cache_read_tokens: int
    cost_usd: float | None
    """Estimated cost (:func:`~streamscope.core.pricing.prices.estimate_cost`); None when a
    turn's model has no price."""
    time_to_first_token: float | None
    """Seconds from the first request (or first event) to the first text, thinking or
    tool-input delta."""
    time_to_first_text: float | None
    """Seconds from the first request (or first event) to the first word of text of the
    first turn (after any thinking)."""
    waiting: float | None
    """Seconds spent waiting for each turn's first event, summed over turns: what every
    extra round trip costs."""
    duration: float | None
    """The model's time: each turn from its request (or first event) to its last event,
    summed."""
    wall_time: float | None
    """First request to the end of the last turn or tool run (tool loops only)."""
    tool_calls: tuple[CallSummary, ...]
    stop_reasons: tuple[str | None, ...]
    """Each turn's stop reason (``"error"`` for a turn that failed)."""
    answer: str
    """The text of the last turn."""
    problems: int
    """Protocol problems found in the streams."""
    violations: int
    """Tool-argument violations, over all calls."""
    states: tuple[StreamState, ...] = field(default=(), compare=False, repr=False)
    """Each turn's state, in order (what a view draws as lanes)."""

    @property
    def models_answered(self) -> tuple[str, ...]:
        """Each turn's answering models where one handed off to another (``fallback``
        blocks), as ``"claude-a → claude-b"``; empty when no turn had a fallback."""
        return tuple(" → ".join(s.models) for s in self.states if len(s.models) > 1)

    @property
    def refusals(self) -> tuple[str, ...]:
        """Each refused turn's category (``stop_details.category``, or ``refusal``)."""
        out = []
        for state in self.states:
            details = state.stop_details or {}
            if state.stop_reason == "refusal" or details.get("type") == "refusal":
                out.append(str(details.get("category") or "refusal"))
        return tuple(out)

    @property
    def cache_misses(self) -> tuple[str, ...]:
        """Each turn's ``diagnostics.cache_miss_reason`` type (``pending`` when null)."""
        out = []
        for state in self.states:
            diagnostics = state.diagnostics
            if diagnostics is None:
                continue
            reason = diagnostics.get("cache_miss_reason")
            out.append(str(reason.get("type")) if isinstance(reason, dict) else "pending")
        return tuple(out)

    @property
    def requests(self) -> tuple[dict[str, Any] | None, ...]:
        """Each turn's request, when known."""
        return tuple(state.request for state in self.states)

    @property
    def tools_used(self) -> dict[str, int]:
        """How many calls each tool got, in order of first call."""
        out: dict[str, int] = {}
        for call in self.tool_calls:
            out[call.name] = out.get(call.name, 0) + 1
        return out


@dataclass(frozen=True)
class ComparisonRow:
    """One line of the table: a metric across the runs.

    ``values`` are the raw values (numbers, strings, None when unknown), ``texts`` the
    same formatted for display, ``relative`` each value against the first run's
    (``0.25`` is 25% more; None for the first run, non-numbers and a zero baseline).
    """

    key: str
    label: str
    values: tuple[Any, ...]
    texts: tuple[str, ...]
    differs: bool
    relative: tuple[float | None, ...]
    note: str = ""
    """What the figure measures, where its label alone does not say (shown under the table)."""


@dataclass(frozen=True)
class DiffOp:
    """A stretch of two texts: ``tag`` is ``equal``, ``replace``, ``delete`` (only in
    ``before``) or ``insert`` (only in ``after``)."""

    tag: Literal["equal", "replace", "delete", "insert"]
    before: str
    after: str


@dataclass(frozen=True)
class TextDiff:
    """Two answers compared word by word (``ops``), and as a unified diff of lines."""

    before_label: str
    after_label: str
    ops: tuple[DiffOp, ...]
    unified: str
    ratio: float
    """How alike they are, 0 to 1: twice the words kept over all the words of both (words
    inside a stretch too long to diff word by word count as changed)."""
    note: str = ""
    """What was not diffed word by word (or line by line) and why: the size caps of
    :func:`diff_text`; empty when everything was."""

    @property
    def same(self) -> bool:
        return all(op.tag == "equal" for op in self.ops)


@dataclass(frozen=True)
class ArgumentChange:
    """One difference between two calls' arguments, at ``path`` in the input."""

    path: JSONPath
    kind: Literal["changed", "added", "removed"]
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        where = format_path(self.path)
        if self.kind == "added":
            return f"{where}: added {short_json(self.after)}"
        if self.kind == "removed":
            return f"{where}: removed (was {short_json(self.before)})"
        return f"{where}: {short_json(self.before)} → {short_json(self.after)}"


@dataclass(frozen=True)
class CallDiff:
    """A tool call of the first run matched with one of another run: the n-th call of a
    tool (``position`` counts from 0) pairs with the n-th call of the same tool.
    ``status`` is ``same``, ``changed`` (see ``changes``), ``removed`` (only in the first
    run) or ``added`` (only in the other)."""

    name: str
    position: int
    status: Literal["same", "changed", "removed", "added"]
    before: CallSummary | None
    after: CallSummary | None
    changes: tuple[ArgumentChange, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Runs side by side (see the module docstring). The first run is the baseline:
    ``answer_diffs[i]`` and ``call_diffs[i]`` compare ``runs[i + 1]`` with it."""

    runs: tuple[RunSummary, ...]
    rows: tuple[ComparisonRow, ...]
    answer_diffs: tuple[TextDiff, ...]
    call_diffs: tuple[tuple[CallDiff, ...], ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(run.label for run in self.runs)

    @property
    def differences(self) -> tuple[ComparisonRow, ...]:
        """The rows whose values are not all the same."""
        return tuple(row for row in self.rows if row.differs)

    def row(self, key: str) -> ComparisonRow:
        """The row named ``key`` (``"input_tokens"``, ``"duration"``...)."""
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"no row {key!r}; rows: {', '.join(r.key for r in self.rows)}")

    def __str__(self) -> str:
        return _table(self)


# --------------------------------------------------------------------------- runs


def _sum_optional(values: Iterable[float | int | None]) -> Any:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _first_text_at(state: StreamState) -> float | None:
    times = [
        b.first_delta_at
        for b in state.blocks
        if isinstance(b, TextBlock) and b.first_delta_at is not None
    ]
    if not times or state.started_at is None:
        return None
    return min(times) - state.started_at


def _answer(states: Sequence[StreamState]) -> str:
    for state in reversed(states):
        texts = [b.text for b in state.blocks if isinstance(b, TextBlock)]
        if texts:
            return "".join(texts)
    return ""


def _calls(states: Sequence[StreamState]) -> tuple[CallSummary, ...]:
    out: list[CallSummary] = []
    for number, state in enumerate(states, start=1):
        for call in state.tool_calls:
            out.append(CallSummary(number, call.name, call.input, call.id, call.violations))
    return tuple(out)


def _cost(states: Sequence[StreamState], prices: PriceTable | None) -> float | None:
    total = 0.0
    for state in states:
        model = state.model or (state.request or {}).get("model")
        estimate = estimate_cost(state.usage, model if isinstance(model, str) else None, prices)
        if estimate is None:
            return None
        total += estimate.total_usd
    return total


def summarize(run: Any, label: str | None = None, prices: PriceTable | None = None) -> RunSummary:
    """One run's :class:`RunSummary` (see the module docstring for what a run is)."""
    states, wall, stem = turns_of(run)
    if not states:
        raise ValueError(f"this run has no streamed turn: {run!r}")
    usage = sum_usage(s.usage for s in states)
    first = states[0]
    models = [s.model for s in states if s.model]
    violations = sum(
        len(b.violations) for s in states for b in s.blocks if isinstance(b, ToolUseBlock)
    )
    return RunSummary(
        label=label or stem or first.model or "run",
        model=models[-1] if models else None,
        turns=len(states),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        thinking_tokens=_sum_optional(s.usage.thinking_tokens for s in states),
        cache_write_tokens=usage.cache_creation_input_tokens,
        cache_read_tokens=usage.cache_read_input_tokens,
        cost_usd=_cost(states, prices),
        time_to_first_token=first.time_to_first_token,
        time_to_first_text=_first_text_at(first),
        waiting=_sum_optional(s.time_to_first_event for s in states),
        duration=_sum_optional(s.duration for s in states),
        wall_time=wall,
        tool_calls=_calls(states),
        stop_reasons=tuple(
            "error" if s.failed or s.failure is not None else s.stop_reason for s in states
        ),
        answer=_answer(states),
        problems=sum(len(s.problems) for s in states),
        violations=violations,
        states=tuple(states),
    )


# --------------------------------------------------------------------------- diffs

_WORDS: Final = re.compile(r"\s+|\w+|[^\w\s]")
_PARAGRAPH_BREAK: Final = re.compile(r"(\n[ \t]*\n\s*)")
_LINE_BREAK: Final = re.compile(r"(\n)")
WORD_DIFF_CHARS: Final = 6_000
"""A changed stretch (both sides together) longer than this is diffed by lines, and lines
longer than this are not diffed word by word: shown removed and added whole."""
WORD_DIFF_BUDGET: Final = 200_000
"""Characters diffed word by word in one comparison, at most; past it, changed stretches
are shown whole (and :attr:`TextDiff.note` says so)."""
UNIFIED_DIFF_CHARS: Final = 1_000_000
"""Texts longer than this (either) get no line-by-line unified diff (the note says so)."""


def _units(text: str, breaks: re.Pattern[str]) -> list[str]:
    """``text`` cut after each break (a blank line, or a newline), the breaks kept, so the
    units join back to ``text``."""
    pieces = breaks.split(text)
    units = [
        pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else "") for i in range(0, len(pieces), 2)
    ]
    return [u for u in units if u]


class _Differ:
    """Paragraphs first, then lines within changed paragraphs, then words within changed
    stretches small enough: linear in practice, capped where it could not be."""

    def __init__(self) -> None:
        self.ops: list[DiffOp] = []
        self.kept_words = 0
        self.budget = WORD_DIFF_BUDGET
        self.whole = 0  # changed stretches shown whole (too long to diff word by word)

    def add(self, tag: Literal["equal", "replace", "delete", "insert"], a: str, b: str) -> None:
        if not a and not b:
            return
        if tag == "equal":
            self.kept_words += len(_WORDS.findall(a))
        last = self.ops[-1] if self.ops else None
        if last is not None and last.tag == tag:
            self.ops[-1] = DiffOp(tag, last.before + a, last.after + b)
        else:
            self.ops.append(DiffOp(tag, a, b))

    def units(self, a: list[str], b: list[str], finer: re.Pattern[str] | None) -> None:
        matcher = difflib.SequenceMatcher(None, a, b)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
            if tag != "replace":
                self.add(tag, before, after)
            else:
                self.changed(before, after, finer)

    def changed(self, before: str, after: str, finer: re.Pattern[str] | None) -> None:
        size = len(before) + len(after)
        if size > WORD_DIFF_CHARS and finer is not None:
            self.units(_units(before, finer), _units(after, finer), None)
        elif size <= WORD_DIFF_CHARS and size <= self.budget:
            self.budget -= size
            self.words(before, after)
        else:
            self.whole += 1
            self.add("replace", before, after)

    def words(self, before: str, after: str) -> None:
        a, b = _WORDS.findall(before), _WORDS.findall(after)
        # Spaces, and (autojunk) a word in over 1% of a long stretch, only extend matches:
        # unrelated stretches cost no more than related ones.
        matcher = difflib.SequenceMatcher(str.isspace, a, b)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            self.add(tag, "".join(a[i1:i2]), "".join(b[j1:j2]))


def diff_text(before: str, after: str, before_label: str, after_label: str) -> TextDiff:
    """``before`` and ``after`` compared word by word, and line by line (unified).

    In bounded time: paragraphs are matched first, lines within changed paragraphs, and
    words only within changed stretches of at most :data:`WORD_DIFF_CHARS` characters
    (:data:`WORD_DIFF_BUDGET` in all); a longer changed stretch is one ``replace`` op and
    :attr:`TextDiff.note` says it was too long to diff word by word. Two 100,000-character
    answers compare in well under a second, 5 MB in a few seconds
    (``benchmarks/bench_compare_text.py``)."""
    differ = _Differ()
    if before == after:
        differ.add("equal", before, after)
    else:
        differ.units(_units(before, _PARAGRAPH_BREAK), _units(after, _PARAGRAPH_BREAK), _LINE_BREAK)
    notes: list[str] = []
    if differ.whole:
        notes.append(
            f"{differ.whole} changed stretch{'es' if differ.whole > 1 else ''} too long to diff "
            "word by word: shown removed and added whole"
        )
    if max(len(before), len(after)) > UNIFIED_DIFF_CHARS:
        unified = ""
        notes.append(f"too long for a line-by-line diff (over {UNIFIED_DIFF_CHARS:,} characters)")
    else:
        unified = "\n".join(
            difflib.unified_diff(
                before.splitlines(),
                after.splitlines(),
                fromfile=before_label,
                tofile=after_label,
                lineterm="",
            )
        )
    total = len(_WORDS.findall(before)) + len(_WORDS.findall(after))
    ratio = 1.0 if total == 0 else round(2 * differ.kept_words / total, 4)
    return TextDiff(before_label, after_label, tuple(differ.ops), unified, ratio, "; ".join(notes))


def diff_arguments(before: Any, after: Any) -> tuple[ArgumentChange, ...]:
    """Where two tool inputs differ, in document order (JSON equality: ``1 == 1.0``)."""
    out: list[ArgumentChange] = []
    stack: list[tuple[JSONPath, Any, Any]] = [((), before, after)]
    while stack:
        path, a, b = stack.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            keys = list(a) + [k for k in b if k not in a]
            stack += [
                (
                    (*path, k),
                    a.get(k, _ABSENT) if k in a else _ABSENT,
                    b.get(k, _ABSENT) if k in b else _ABSENT,
                )
                for k in reversed(keys)
            ]
        elif isinstance(a, list) and isinstance(b, list):
            size = max(len(a), len(b))
            stack += [
                ((*path, i), a[i] if i < len(a) else _ABSENT, b[i] if i < len(b) else _ABSENT)
                for i in reversed(range(size))
            ]
        elif a is _ABSENT:
            out.append(ArgumentChange(path, "added", None, b))
        elif b is _ABSENT:
            out.append(ArgumentChange(path, "removed", a, None))
        elif not json_equal(a, b):
            out.append(ArgumentChange(path, "changed", a, b))
    return tuple(out)


def diff_calls(before: Sequence[CallSummary], after: Sequence[CallSummary]) -> tuple[CallDiff, ...]:
    """The calls of two runs matched by tool name and order (see :class:`CallDiff`)."""
    theirs: dict[str, list[CallSummary]] = {}
    for call in after:
        theirs.setdefault(call.name, []).append(call)
    seen: dict[str, int] = {}
    out: list[CallDiff] = []
    for call in before:
        n = seen[call.name] = seen.get(call.name, -1) + 1
        others = theirs.get(call.name, [])
        if n >= len(others):
            out.append(CallDiff(call.name, n, "removed", call, None))
            continue
        other = others[n]
        changes = diff_arguments(call.input, other.input)
        out.append(CallDiff(call.name, n, "changed" if changes else "same", call, other, changes))
    for name, others in theirs.items():
        for n in range(seen.get(name, -1) + 1, len(others)):
            out.append(CallDiff(name, n, "added", None, others[n]))
    return tuple(out)


# --------------------------------------------------------------------------- the table


# the one formatter (core/figures/text.py): the table reads as the views do
def _tokens(value: Any) -> str:
    return fmt_int(value)


def _seconds(value: Any) -> str:
    return fmt_seconds(value)


def _usd(value: Any) -> str:
    return fmt_usd(value)


def _plain(value: Any) -> str:
    return DASH if value is None or value == "" else str(value)


def _listing(value: Any) -> str:
    return ", ".join(str(v) for v in value) if value else DASH


def _tools_text(value: Any) -> str:
    if not value:
        return DASH
    return ", ".join(name if n == 1 else f"{name} ×{n}" for name, n in value.items())


_ROWS: Final[tuple[tuple[str, str, Any, bool], ...]] = (
    # key, label, formatter, numeric (gets a relative change)
    ("model", "model", _plain, False),
    ("turns", "turns (requests)", _plain, True),
    ("tool_calls", "tool calls", _plain, True),
    ("tools_used", "tools used", _tools_text, False),
    ("input_tokens", "input (uncached) tokens", _tokens, True),
    ("cache_write_tokens", "cache write tokens", _tokens, True),
    ("cache_read_tokens", "cache read tokens", _tokens, True),
    ("output_tokens", "output tokens", _tokens, True),
    ("thinking_tokens", "thinking tokens", _tokens, True),
    ("cost_usd", "cost", _usd, True),
    ("time_to_first_token", "time to first token", _seconds, True),
    ("time_to_first_text", "time to first text", _seconds, True),
    ("waiting", "waiting for replies to start", _seconds, True),
    ("duration", "model time", _seconds, True),
    ("wall_time", "wall time", _seconds, True),
    ("stop_reasons", "stop reasons", _listing, False),
    ("models_answered", "model fallbacks", _listing, False),
    ("refusals", "refusals", _listing, False),
    ("cache_misses", "cache miss reasons", _listing, False),
    ("violations", "argument violations", _plain, True),
    ("problems", "stream problems", _plain, True),
)


ROW_NOTES: Final = {
    "waiting": (
        "from each request until the first event of its reply arrived (the network, the "
        "API's queue and the model reading the prompt, before anything streams), summed over "
        "the turns: each extra round trip adds one such wait"
    ),
}
"""What a row measures, where its label alone does not say."""

_ONLY_WHEN_SEEN: Final = frozenset({"models_answered", "refusals", "cache_misses"})


def _value(run: RunSummary, key: str) -> Any:
    if key == "tool_calls":
        return len(run.tool_calls)
    if key == "tools_used":
        return run.tools_used
    return getattr(run, key)


def _same(values: Sequence[Any]) -> bool:
    first = values[0]
    if isinstance(first, float) or any(isinstance(v, float) for v in values):
        return all(
            (v is None and first is None)
            or (v is not None and first is not None and math.isclose(v, first, abs_tol=1e-9))
            for v in values
        )
    return all(v == first for v in values)


def _relative(values: Sequence[Any], numeric: bool) -> tuple[float | None, ...]:
    base = values[0]
    if not numeric or not isinstance(base, (int, float)) or isinstance(base, bool) or not base:
        return (None,) * len(values)
    changes = [
        None if not isinstance(v, (int, float)) else round(v / base - 1, 4) for v in values[1:]
    ]
    return (None, *changes)


def _rows(runs: Sequence[RunSummary]) -> tuple[ComparisonRow, ...]:
    rows: list[ComparisonRow] = []
    for key, label, fmt, numeric in _ROWS:
        values = tuple(_value(run, key) for run in runs)
        if key == "wall_time" and all(v is None for v in values):
            continue  # only tool loops know it
        if key in _ONLY_WHEN_SEEN and not any(values):
            continue  # today's API: a row only where a run has the figure
        rows.append(
            ComparisonRow(
                key=key,
                label=label,
                values=values,
                texts=tuple(fmt(v) for v in values),
                differs=not _same(values),
                relative=_relative(values, numeric),
                note=ROW_NOTES.get(key, ""),
            )
        )
    same_answer = len({run.answer for run in runs}) == 1
    rows.append(
        ComparisonRow(
            key="answer",
            label="answer (characters)",
            values=tuple(run.answer for run in runs),
            texts=tuple(f"{len(run.answer):,}" for run in runs),
            differs=not same_answer,
            relative=(None,) * len(runs),
        )
    )
    return tuple(rows)


def format_change(change: float | None) -> str:
    """A row's relative change as text: `` (+25%)``, `` (same)``, or '' for the first run."""
    if change is None:
        return ""
    return f" ({change:+.0%})" if change else " (same)"


def _table(comparison: Comparison) -> str:
    runs = comparison.runs
    header = ["", *comparison.labels]
    body = [
        [
            ("* " if row.differs else "  ") + row.label,
            *(text + format_change(rel) for text, rel in zip(row.texts, row.relative, strict=True)),
        ]
        for row in comparison.rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("(* differs; changes relative to the first run)")
    lines += [f"{row.label}: {row.note}" for row in comparison.rows if row.note]
    for run, calls in zip(runs[1:], comparison.call_diffs, strict=True):
        moved = [d for d in calls if d.status != "same"]
        lines += ["", f"tool calls, {runs[0].label} → {run.label}:"]
        if not calls:
            lines.append("  no tool calls")
        elif not moved:
            lines.append(f"  the same {len(calls)} call(s), with the same arguments")
        for d in moved:
            if d.status == "changed":
                lines.append(f"  {d.name} #{d.position + 1}: " + "; ".join(map(str, d.changes)))
            else:
                call = d.before if d.status == "removed" else d.after
                what = "only in " + (runs[0].label if d.status == "removed" else run.label)
                shown = short_json(call.input if call else None)
                lines.append(f"  {d.name} #{d.position + 1}: {what} {shown}")
    for diff in comparison.answer_diffs:
        lines += ["", f"answer, {diff.before_label} → {diff.after_label}:"]
        lines.append("  the same text" if diff.same else diff.unified.rstrip("\n"))
        if diff.note:
            lines.append(f"  ({diff.note})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- compare


def compare_runs(
    *runs: Any, labels: Sequence[str] | None = None, prices: PriceTable | None = None
) -> Comparison:
    """Summaries of ``runs``, the table of their differences, and diffs of their answers
    and tool calls against the first run.

    ``runs``: two or more (one works too) StreamStates, recordings' paths, ToolLoops, lists
    of turns, or views (see the module docstring). ``labels`` name them (default: the
    recording's name, else the model). ``prices`` overrides the price table.
    """
    if not runs:
        raise ValueError("compare_runs needs at least one run")
    if labels is not None and len(labels) != len(runs):
        raise ValueError(f"{len(runs)} runs but {len(labels)} labels")
    summaries = [
        summarize(run, labels[i] if labels is not None else None, prices)
        for i, run in enumerate(runs)
    ]
    seen: dict[str, int] = {}
    unique: list[RunSummary] = []
    for summary in summaries:  # two runs of one model must not share a column name
        n = seen[summary.label] = seen.get(summary.label, 0) + 1
        if n > 1 and labels is None:
            summary = _relabel(summary, f"{summary.label} ({n})")
        unique.append(summary)
    base = unique[0]
    return Comparison(
        runs=tuple(unique),
        rows=_rows(unique),
        answer_diffs=tuple(
            # the text a reader sees: ** and table pipes are not words that changed
            diff_text(
                reading_text(base.answer), reading_text(other.answer), base.label, other.label
            )
            for other in unique[1:]
        ),
        call_diffs=tuple(diff_calls(base.tool_calls, other.tool_calls) for other in unique[1:]),
    )


def _relabel(summary: RunSummary, label: str) -> RunSummary:
    return dataclasses.replace(summary, label=label)
