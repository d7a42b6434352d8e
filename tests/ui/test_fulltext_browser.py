""" "Show all" in a real JupyterLab: a 1 MB stdout (hostile markup in every line) streams in
folded; a click on the live view's "Show all" brings the whole text a page at a time, with
no main-thread task over 200 ms and nothing of it run as markup; the static picture says
where the whole text is (a notebook's picture carries whole texts up to a budget)."""

from __future__ import annotations

from typing import Any

import pytest
from test_full_text import bash_events, stdout_of
from ui_harness import TWIN_CELL, UI_TIMEOUT_MS, JupyterServer, NotebookSession

from streamscope.core.io.cassette import write_cassette

pytestmark = pytest.mark.browser

LIMIT_MS = 200.0
DONE = "fulltext-done"
HOSTILE = '<img src=x onerror="window.__pwned=1"></pre><script>window.__pwned=2</script>'
SIZE = 1_000_000

OBSERVE = """
() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longtasks.push(entry.duration);
  }).observe({ type: "longtask", buffered: false });
}
"""
STDOUT_BOX = ".ss-mount .ss-lane[data-index='1'] details.ss-fulltext"


@pytest.fixture(scope="module")
def stdout(jupyter_server: JupyterServer) -> str:
    text = stdout_of(SIZE, HOSTILE)
    events = bash_events(text)
    write_cassette(
        jupyter_server.root / "fulltext.jsonl", events, [k * 0.01 for k in range(len(events))]
    )
    return text


def test_show_all_brings_a_megabyte_stdout_without_a_long_task(
    notebooks: NotebookSession, stdout: str
) -> None:
    cells = [
        "from streamscope.widgets import StreamView\n" + TWIN_CELL,
        "v = StreamView()\ndisplay(v)\nlive_twin(v)\n"
        "_ = await v.play('fulltext.jsonl', speed=None)",
        f"print('{DONE}')",
    ]
    notebooks.run("fulltext.ipynb", cells, wait_for=f".jp-OutputArea-output:has-text('{DONE}')")
    page: Any = notebooks.page
    box = page.locator(STDOUT_BOX)
    box.wait_for(state="attached", timeout=UI_TIMEOUT_MS)
    pre = box.locator("pre.ss-fulltext-text")
    assert pre.evaluate("(el) => el.textContent.length") == 0  # nothing sent unasked
    page.evaluate(OBSERVE)
    box.locator("summary").click()
    page.wait_for_function(
        "([el, n]) => el.textContent.length >= n && !el.querySelector('.ss-more')",
        arg=[pre.element_handle(), len(stdout)],
        timeout=UI_TIMEOUT_MS,
    )
    shown = pre.evaluate("(el) => el.textContent")
    assert len(shown) == len(stdout) and shown[-40:] == stdout[-40:] and shown.endswith("END")
    assert shown == stdout
    pages = "[...el.querySelectorAll('*')].every(c => c.matches('span.ss-page:not(:has(*))'))"
    assert pre.evaluate(f"(el) => {pages}")  # text in its pages: no element came in
    assert page.evaluate("() => window.__pwned") is None
    longest = page.evaluate("() => Math.max(0, ...window.__longtasks)")
    count = page.evaluate("() => window.__longtasks.length")
    print(f"\nlong tasks while showing all: {count}, longest {longest:.0f} ms")
    assert longest < LIMIT_MS, f"a main-thread task took {longest:.0f} ms"
    # the static picture (no kernel) is past a notebook's budget: it says where the text is
    static = page.locator(".ss-static .ss-lane[data-index='1'] pre.ss-fulltext-text")
    assert "view.export_html(...)" in static.evaluate("(el) => el.textContent")
