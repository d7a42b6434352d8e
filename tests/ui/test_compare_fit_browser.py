"""The comparison's picture in Chromium at the widths an output gets (a static page: the
picture is static HTML, the same that notebook 07 shows).

Issue 18 found, at 800 px in JupyterLab (an output ~480 px wide with the file browser
open), the table's second column cut with no visible scrollbar, and the answer diff's box
cutting its last line in half. Here: no table cell's value leaves its cell and the table
needs no sideways scrolling from 360 px up; the diff box shows whole lines.
"""

from __future__ import annotations

from typing import Any

import pytest
from streams import message_end, message_start, text_events

from streamscope.core import StreamState, gallery
from streamscope.widgets import compare

pytestmark = pytest.mark.browser

WIDTHS = (360, 480, 600, 800, 950, 1200, 1600)


def _state(answer: str) -> StreamState:
    state = StreamState(started_at=0.0)
    for k, event in enumerate([message_start(), *text_events(0, answer), *message_end()]):
        state.apply(event, at=0.01 * (k + 1))
    state.finish()
    return state


def _show(browser: Any, html: str, width: int) -> Any:
    page = browser.new_page(viewport={"width": width + 40, "height": 900})
    page.set_content(f"<!doctype html><body style='margin:0'><div style='width:{width}px'>{html}")
    return page


_CELLS_FIT = """
() => {
  const wrap = document.querySelector('.ss-compare-table-wrap');
  const cut = [...wrap.querySelectorAll('td, th')]
    .filter((c) => c.scrollWidth > c.clientWidth + 1)
    .map((c) => c.textContent);
  return { wrap: [wrap.scrollWidth, wrap.clientWidth], cut };
}
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_value_leaves_its_cell(browser: Any, width: int) -> None:
    view = compare(
        gallery.conversation("weekend_parallel"),
        gallery.conversation("weekend_sequential"),
        labels=["parallel", "one at a time"],
    )
    page = _show(browser, view.html(), width)
    try:
        fit = page.evaluate(_CELLS_FIT)
        assert fit["cut"] == [], fit
        assert fit["wrap"][0] <= fit["wrap"][1], fit  # no sideways scroll needed
    finally:
        page.close()


def test_the_answer_diff_shows_whole_lines(browser: Any) -> None:
    before = "\n".join(f"Line {k}: the forecast for day {k} is sunny." for k in range(60))
    after = before.replace("sunny", "cloudy")
    view = compare(_state(before), _state(after), labels=["a", "b"])
    page = _show(browser, view.html(), 600)
    try:
        box = page.locator(".ss-diff").first
        lines = box.evaluate(
            """(el) => { const s = getComputedStyle(el);
                const inner = el.clientHeight - parseFloat(s.paddingTop)
                              - parseFloat(s.paddingBottom);
                return [el.scrollHeight > el.clientHeight, inner / parseFloat(s.lineHeight)]; }"""
        )
        scrolls, shown = lines
        assert scrolls  # a long diff scrolls in its box
        assert shown == pytest.approx(round(shown), abs=0.05) and round(shown) == 16, shown
    finally:
        page.close()
