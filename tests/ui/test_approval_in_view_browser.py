"""Notebook 05 after Run All, in JupyterLab 4 and Notebook 7 (Chromium, 1400 x 1000, the
file browser as a fresh workspace has it): the waiting approval is where the eye is.

Issue 18 found the pending ``send_email`` approval ~4,000 px below the viewport after Run
All: JupyterLab shows the notebook's last cell, and the form was drawn under every turn of
an output far above it. The form now sits under the loop's header and the page brings it
into view once, when it first appears. The test runs the example notebook itself,
untouched, waits for the form and asserts, without scrolling anything, that its Approve
button comes inside the notebook's visible area; then that "1 approval waiting" in the header
is a button that brings the form into view; then approves, and the notebook runs to its end.
"""

from __future__ import annotations

from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect
from ui_harness import _APP_READY, REPO, UI, UI_TIMEOUT_MS, NotebookSession

pytestmark = pytest.mark.browser

NOTEBOOK = REPO / "examples" / "05_tool_loop.ipynb"

_IN_VIEW = """
(el) => {
  // the nearest ancestor that scrolls (JupyterLab's and Notebook 7's notebook panel)
  let box = el.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight
                  && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  const r = el.getBoundingClientRect();
  const v = box ? box.getBoundingClientRect() : { top: 0, bottom: innerHeight };
  const top = Math.max(v.top, 0), bottom = Math.min(v.bottom, innerHeight);
  return { top: r.top, bottom: r.bottom, viewTop: top, viewBottom: bottom,
           inView: r.height > 0 && r.top >= top && r.bottom <= bottom };
}
"""


def open_example(session: NotebookSession, ui: UI) -> None:
    nb = nbformat.read(str(NOTEBOOK), as_version=4)  # type: ignore[no-untyped-call]
    for cell in nb.cells:  # as a user gets it: no outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    name = f"05_tool_loop_{ui}.ipynb"
    nbformat.write(nb, str(session.server.root / name))  # type: ignore[no-untyped-call]
    route = f"lab/tree/{name}?reset" if ui == "lab" else f"notebooks/{name}"
    session.page.goto(session.server.url(route), wait_until="domcontentloaded")
    session.page.wait_for_function(_APP_READY, arg=name, timeout=UI_TIMEOUT_MS)


def where(locator: Any) -> dict[str, Any]:
    found: dict[str, Any] = locator.evaluate(_IN_VIEW)
    return found


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_after_run_all_the_waiting_approval_is_in_view(notebooks: NotebookSession, ui: UI) -> None:
    session = notebooks
    page = session.page
    open_example(session, ui)
    session.run_all()
    form = page.locator(".ss-conv-approval").first
    form.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    approve = form.locator(".ss-btn-approve")
    expect(approve).to_be_visible()
    # nobody scrolls: the page brings the form where the eye is (smooth: give it 5 s)
    page.wait_for_function(f"(el) => ({_IN_VIEW})(el).inView", arg=approve.element_handle(),
                           timeout=5_000)  # fmt: skip
    shown = where(approve)
    print(f"\n[{ui}] Approve at y={shown['top']:.0f}..{shown['bottom']:.0f} in a view of "
          f"{shown['viewTop']:.0f}..{shown['viewBottom']:.0f}")  # fmt: skip
    assert shown["inView"], shown

    # "1 approval waiting" is a button that brings the form into view, from anywhere
    waiting = page.locator(".ss-conv-waiting").first
    expect(waiting).to_have_text("1 approval waiting")
    expect(waiting).to_have_attribute("role", "button")
    waiting.evaluate("(el) => el.scrollIntoView({ block: 'end' })")
    assert not where(approve)["inView"]  # the header at the view's bottom: the form below
    waiting.click()
    page.wait_for_function(f"(el) => ({_IN_VIEW})(el).inView", arg=approve.element_handle(),
                           timeout=5_000)  # fmt: skip

    approve.click()
    page.locator(".ss-conv-run[data-approval='true'][data-status='done']").first.wait_for(
        timeout=UI_TIMEOUT_MS
    )
    session.wait_idle()
    sent = page.locator(".jp-OutputArea-output", has_text="emails sent: [{'to':")
    sent.first.wait_for(state="attached")  # approved: the tool ran
    assert session.dialogs == []
