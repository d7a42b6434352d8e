"""Runs side by side and the recorded request, in JupyterLab 4 and Chromium.

- ``compare(...)`` of the gallery's parallel and one-at-a-time conversations: the table's
  differing values are highlighted (and say so in words), the runs' columns sit side by
  side where the output is wide and one under the other where it is narrow, and a saved
  notebook reopened without its kernel still shows the comparison (it is static HTML).
- A replay of a recording whose header says when its request was sent shows the true time
  to first token, the same figure notebook 04 prints.
"""

from __future__ import annotations

from typing import Any

import pytest
from ui_harness import UI_TIMEOUT_MS, NotebookSession

pytestmark = pytest.mark.browser

DONE = "compare-cells-done"
CELLS = [
    "from streamscope.core.io import gallery\nfrom streamscope.widgets import compare, replay",
    "compare(gallery.conversation('weekend_parallel'), gallery.conversation('weekend_sequential'),"
    " labels=['parallel', 'one at a time'])",
    "hit = await replay(gallery.path('cache_hit'), speed=4)",
    f"print('{DONE}')",
]


def _tops_and_lefts(columns: Any) -> tuple[set[int], set[int]]:
    boxes = [columns.nth(k).bounding_box() for k in range(columns.count())]
    return {round(b["y"]) for b in boxes}, {round(b["x"]) for b in boxes}


def _save(page: Any) -> None:
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.context.save(); }")


def test_runs_side_by_side_and_the_true_time_to_first_token(notebooks: NotebookSession) -> None:
    session = notebooks
    page = session.page
    session.run("compare.ipynb", CELLS, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    picture = page.locator(".ss-static > .ss-compare").first
    table = picture.locator(".ss-compare-table")
    turns = table.locator("tr", has=page.locator("th", has_text="turns (requests)"))
    mark = turns.locator("mark")
    assert mark.inner_text() == "4 (+100%)"  # the change is in words, not in colour alone
    background = mark.evaluate("(m) => getComputedStyle(m).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), background
    assert table.locator("tr[data-differs]").count() >= 5
    diff = picture.locator(".ss-compare-answer .ss-diff")
    assert diff.locator("del").count() > 0 and diff.locator("ins").count() > 0
    strike = diff.locator("del").first.evaluate("(d) => getComputedStyle(d).textDecorationLine")
    assert "line-through" in strike

    columns = picture.locator(".ss-compare-run")
    assert columns.count() == 2
    assert [columns.nth(k).locator(".ss-view").count() for k in range(2)] == [2, 4]
    tops, lefts = _tops_and_lefts(columns)
    assert len(tops) == 1 and len(lefts) == 2, (tops, lefts)  # wide: side by side
    page.set_viewport_size({"width": 700, "height": 1000})
    page.wait_for_function(
        "() => { const c = [...document.querySelectorAll('.ss-compare-run')];"
        " return c.length === 2 && c[0].getBoundingClientRect().x"
        " === c[1].getBoundingClientRect().x; }",
        timeout=UI_TIMEOUT_MS,
    )  # narrow: one under the other
    page.set_viewport_size({"width": 1400, "height": 1000})

    # the replay starts at the recorded request: its time to first token is the true one
    timing = page.locator(".ss-static > .ss-view .ss-timing").first
    text = timing.text_content() or ""  # (JupyterLab skips drawing cells out of view)
    assert "time to first token" in text and "from message_start" not in text
    assert "786 ms" in text  # as the recording's client saw it (notebook 04 prints it too)

    # static HTML: a saved notebook reopened without its kernel shows it as it was
    session.wait_idle()
    _save(page)
    session.close()
    page.reload(wait_until="domcontentloaded")
    page.locator(".ss-static > .ss-compare").first.wait_for(timeout=UI_TIMEOUT_MS)
    reopened = page.locator(".ss-static > .ss-compare").first
    assert reopened.locator(".ss-compare-run .ss-view").count() == 6
    assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
