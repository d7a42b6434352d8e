"""The picture of a :class:`~streamscope.core.comparison.runs.Comparison`: runs side by side.

One static fragment (a comparison is of finished runs: nothing streams, so there is no
widget to keep alive and the picture survives a saved notebook as it is):

- the table of the runs' figures, one column per run, the rows that differ marked (``<mark>``
  on the values that differ from the first run, and the change as text: ``4 (+100%)``);
- per other run, its tool calls against the first run's (same, changed with each argument
  that changed, only in one of them) and its answer as a word diff (``<del>``/``<ins>``);
- the runs' lanes in columns: every turn's picture as :class:`~.stream.StreamPicture`
  draws it, its final panel folded (the table has its figures).
"""

from __future__ import annotations

from streamscope.core.comparison.runs import (
    CallDiff,
    Comparison,
    ComparisonRow,
    TextDiff,
    format_change,
)
from streamscope.core.figures.text import plural
from streamscope.core.json.clip import short_json
from streamscope.core.pricing.prices import PriceTable
from streamscope.core.stream.state import StreamState
from streamscope.widgets.render.cache import cache_line
from streamscope.widgets.render.markup import NO_MATH, SEP, e
from streamscope.widgets.render.regions import RegionStore
from streamscope.widgets.render.stream import StreamPicture

__all__ = ["comparison_body"]

DIFF_SHOWN = 20_000
"""Characters of an answer diff drawn; past it, the rest is summarized (``str()`` of the
Comparison prints it whole)."""


def _row(row: ComparisonRow) -> str:
    cells = []
    for k, (text, change) in enumerate(zip(row.texts, row.relative, strict=True)):
        # a number and its change each stay whole; a cell wraps between them and between
        # the items of a list (stop reasons, tools used): no value leaves its cell.
        # data-ss-figure names the value (run k's figure), as the views name theirs
        change_text = format_change(change).strip() if k else ""
        named = f' data-ss-figure="compare.{e(row.key)}.{k}"'
        shown = f'<span class="ss-value"{named}>{e(text)}</span>' + (
            f' <span class="ss-change">{e(change_text)}</span>' if change_text else ""
        )
        differs = k > 0 and row.differs and row.values[k] != row.values[0]
        cells.append(f"<td>{f'<mark>{shown}</mark>' if differs else shown}</td>")
    flag = " data-differs" if row.differs else ""
    return f'<tr{flag}><th scope="row">{e(row.label)}</th>{"".join(cells)}</tr>'


def _table(comparison: Comparison) -> str:
    head = "".join(f'<th scope="col">{e(label)}</th>' for label in comparison.labels)
    rows = "".join(_row(row) for row in comparison.rows)
    differing = len(comparison.differences)
    caption = (
        f"{plural(differing, 'figure')} differ{'s' if differing == 1 else ''}; changes are"
        " relative to the first run"
    )
    for row in comparison.rows:  # what a label alone does not say
        if row.note:
            caption += (
                f'<br><span class="ss-compare-note"><b>{e(row.label)}</b>: {e(row.note)}</span>'
            )

    return (
        '<div class="ss-table-wrap ss-compare-table-wrap" tabindex="0">'
        f'<table class="ss-compare-table"><caption>{caption}</caption>'
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _call_line(diff: CallDiff, before: str, after: str) -> str:
    name = f"<b>{e(diff.name)}</b> #{diff.position + 1}"
    if diff.status == "same":
        return f'<li data-status="same">{name}: the same arguments</li>'
    if diff.status == "changed":
        changes = "".join(f"<li><code>{e(str(c))}</code></li>" for c in diff.changes)
        return f'<li data-status="changed">{name}: changed<ul>{changes}</ul></li>'
    call = diff.before if diff.status == "removed" else diff.after
    where = before if diff.status == "removed" else after
    value = short_json(call.input if call is not None else None, 120)
    return (
        f'<li data-status="{diff.status}">{name}: only in {e(where)} <code>{e(value)}</code></li>'
    )


def _calls(diffs: tuple[CallDiff, ...], before: str, after: str) -> str:
    title = f"Tool calls{SEP}{e(before)} → {e(after)}"
    if not diffs:
        body = "<p>No tool calls in either run.</p>"
    elif all(d.status == "same" for d in diffs):
        body = f"<p>The same {plural(len(diffs), 'call')}, with the same arguments.</p>"
    else:
        body = f"<ul>{''.join(_call_line(d, before, after) for d in diffs)}</ul>"
    return f'<section class="ss-compare-calls"><h4>{title}</h4>{body}</section>'


def _answer(diff: TextDiff) -> str:
    title = f"Answer{SEP}{e(diff.before_label)} → {e(diff.after_label)}"
    if diff.same:
        return f'<section class="ss-compare-answer"><h4>{title}</h4><p>The same text.</p></section>'
    out: list[str] = []
    used = 0
    for op in diff.ops:
        if used > DIFF_SHOWN:
            out.append("<span>… (the rest of the diff: <code>print(comparison)</code>)</span>")
            break
        used += len(op.before) + len(op.after)
        if op.tag == "equal":
            out.append(e(op.after))
            continue
        if op.before:
            out.append(f"<del>{e(op.before)}</del>")
        if op.after:
            out.append(f"<ins>{e(op.after)}</ins>")
    alike = f"{diff.ratio:.0%} of the words alike"
    if diff.note:
        alike += f" ({e(diff.note)})"
    return (
        f'<section class="ss-compare-answer"><h4>{title}</h4>'
        f'<p class="ss-muted">{alike}; <del>removed</del>, <ins>added</ins></p>'
        f'<div class="ss-diff" tabindex="0">{"".join(out)}</div></section>'
    )


def _turn(
    state: StreamState, title: str, prices: PriceTable | None, previous: StreamState | None
) -> str:
    picture = StreamPicture(state, prices=prices, title=title)
    picture.collapse_final = True
    picture.show_request = False
    picture.previous = previous
    store = RegionStore()
    picture.render(store)
    line = ""
    explanation = picture.cache_explanation
    if explanation is not None:  # hit, or why it missed: the previous turn's or run's cache
        line = f'<div class="ss-compare-cache">{cache_line(explanation)}</div>'
    return line + picture.static_html(store)


def _columns(comparison: Comparison, prices: PriceTable | None) -> str:
    columns = []
    before: StreamState | None = None
    for run in comparison.runs:
        turns = run.states
        # a run after the first: its first turn against the previous run's first turn
        previous = [before, *turns[:-1]]
        pictures = "".join(
            _turn(state, f"Turn {k + 1}" if len(turns) > 1 else run.label, prices, previous[k])
            for k, state in enumerate(turns)
        )
        before = turns[0] if turns else None
        head = f"<h4>{e(run.label)}{SEP}{plural(len(turns), 'turn')}</h4>"
        columns.append(f'<section class="ss-compare-run">{head}{pictures}</section>')
    return f'<div class="ss-compare-runs">{"".join(columns)}</div>'


def comparison_body(
    comparison: Comparison, prices: PriceTable | None = None, *, fold_runs: bool = False
) -> str:
    """The comparison's picture, unscoped (``page.static_fragment`` wraps it). ``fold_runs``:
    the runs' lanes in a closed ``<details>`` (many runs: the table is what is read first,
    and a page lays out a closed section's content only once opened)."""
    labels = f"{SEP}".join(e(label) for label in comparison.labels)
    header = (
        f'<div class="ss-header"><span class="ss-title">Runs side by side</span>'
        f' <span class="ss-model">{labels}</span></div>'
    )
    before = comparison.labels[0]
    details = "".join(
        _calls(calls, before, run.label) + _answer(answer)
        for run, calls, answer in zip(
            comparison.runs[1:], comparison.call_diffs, comparison.answer_diffs, strict=True
        )
    )
    return (
        f'<div class="ss-compare {NO_MATH}">{header}{_table(comparison)}{details}'
        f"{_folded(comparison, prices) if fold_runs else _columns(comparison, prices)}</div>"
    )


def _folded(comparison: Comparison, prices: PriceTable | None) -> str:
    title = f"Each run's stream{SEP}{plural(len(comparison.runs), 'run')}"
    return (
        f'<details class="ss-compare-runs-box"><summary>{title}</summary>'
        f"{_columns(comparison, prices)}</details>"
    )
