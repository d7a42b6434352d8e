"""The picture as an untrusted notebook or GitHub shows it: the same HTML, no styles.

Issue 18 found, in that copy, the axis's ticks run together ("02 s4 s6 s"), a legend of
words whose colours were gone, and lanes with no space between them. Chromium lays out
the static picture with its ``<style>`` removed (what JupyterLab's sanitizer does), and
with it, to check that the words added for the unstyled copy do not show there.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from streamscope.core import StreamState, gallery
from streamscope.core.io.playback import load_timed_events
from streamscope.widgets.render.page import static_fragment
from streamscope.widgets.render.stream import StreamPicture

pytestmark = pytest.mark.browser

_GAPS = """
() => {
  const lanes = [...document.querySelectorAll('.ss-lane')];
  const gaps = [];
  for (let k = 1; k < lanes.length; k++) {
    const a = lanes[k - 1].getBoundingClientRect(), b = lanes[k].getBoundingClientRect();
    if (b.top >= a.bottom - 1) gaps.push(b.top - a.bottom);  // one under the other
  }
  return gaps;
}
"""


def _page(browser: Any, html: str) -> Any:
    page = browser.new_page(viewport={"width": 900, "height": 900})
    page.set_content(f"<!doctype html><body>{html}")
    return page


@pytest.mark.parametrize("styled", [False, True])
def test_the_unstyled_copy_reads_and_the_styled_one_hides_its_words(
    browser: Any, styled: bool
) -> None:
    state = StreamState()
    for at, event in load_timed_events(gallery.path("parallel_tools"), from_request=True):
        state.apply(event, at=at)
    state.finish()
    html = static_fragment(StreamPicture(state).static_html())
    if not styled:
        html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    page = _page(browser, html)
    try:
        axis = page.locator(".ss-tl-axis").first.inner_text()
        legend = page.locator(".ss-timeline").first.inner_text()
        gaps = page.evaluate(_GAPS)
    finally:
        page.close()
    if not styled:
        assert re.fullmatch(r"0 · 2 s · 4 s · 6 s · 8 s · 10 s", axis.strip()), axis
        assert "Bar colours:" in legend
        assert "text: blue" in legend and "tool call: amber" in legend, legend
        assert gaps and min(gaps) >= 8, gaps  # a rule between lanes, not touching boxes
    else:
        assert " · " not in axis and "Bar colours" not in legend and ": blue" not in legend
        assert gaps and min(gaps) >= 4, gaps  # the flex gap, not the rule
