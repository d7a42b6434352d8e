"""ConversationView in a real JupyterLab 4, driven by Chromium: the approval buttons work
while the cell awaits ``loop.arun``.

One notebook runs the gallery's recorded four-turn ``tool_loop`` conversation twice, each
time through a ToolLoop over an ``AsyncReplayClient`` paced to take a few seconds, shown in
a ConversationView while the cell does ``await loop.arun(...)``. In the page, the test
waits for the ``send_email`` approval prompt and clicks Deny (with a reason) in the first
run and Approve in the second; a cell after each run prints the outcome into the page.
It asserts that both loops finish, that the denied email never ran and its result carries
the reason, that the approved one ran, and measures how long each click took to be
handled (kernel side: click to handler; page side: click to the card's new status). A
last cell runs the loop with the blocking ``loop.run``: the view must say that clicks
cannot be heard there and the cell must end with ApprovalUnavailableError, not hang.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from ui_harness import UI, UI_TIMEOUT_MS, NotebookSession

from streamscope.widgets.loop_view import NOBODY

pytestmark = pytest.mark.browser

SPEED = 6.0
"""Replay pace: the recording's ~23 s play in ~4 s."""
REASON = "Not on a Monday <b>please</b>"
HOSTILE_RESULT = '<img src=x onerror="window.__pwned=1">'
CLICK_BUDGET_S = 5.0
"""Generous bound for a click to be handled (measured ~0.1 s; 2 shared cores here)."""

SETUP = f"""
import json
from IPython.display import display
from streamscope.core.io import gallery
from streamscope.core.loop.tool_loop import ToolLoop
from streamscope.core.io.replay_client import AsyncReplayClient, ReplayClient
from streamscope.widgets import ConversationView

sent = []

def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    \"\"\"Failed runs of a pipeline.\"\"\"
    return {{"runs": [{{"id": 4812}}, {{"id": 4815}}, {{"id": 4819}}]}}

def get_team(team: str) -> dict:
    \"\"\"A team's contact details.\"\"\"
    return {{"team": team, "email": "platform-team@acme.example"}}

def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    \"\"\"The end of a job's log.\"\"\"
    return f"run {{run_id}} {{job}}: exit code 1 " + {HOSTILE_RESULT!r}

def send_email(to: list[str], subject: str, body: str) -> dict:
    \"\"\"Send an email.\"\"\"
    sent.append(subject)
    return {{"status": "sent"}}

def make_loop(sync=False):
    client = ReplayClient if sync else AsyncReplayClient
    return ToolLoop(
        client(gallery.conversation("tool_loop"), speed={SPEED}),
        model="claude-sonnet-4-5", max_tokens=8192,
        tools=[list_ci_runs, get_team, get_job_log, send_email],
        require_approval=["send_email"],
    )

def outcome(tag, loop, view, messages):
    (result,) = messages[-2]["content"]
    print(tag + " " + json.dumps({{
        "stop_reason": loop.stop_reason,
        "result": result,
        "sent": list(sent),
        "decisions": view.decisions,
        "turns": len(view.streams),
        "observer_errors": [repr(e) for e in loop.observer_errors],
    }}))
"""


def run_cell(tag: str) -> str:
    return (
        f"loop_{tag} = make_loop()\n"
        f"view_{tag} = ConversationView(loop_{tag})\n"
        f"display(view_{tag})\n"
        f"messages_{tag} = await loop_{tag}.arun('Why did the nightly build fail?')"
    )


def outcome_cell(tag: str) -> str:
    return f"outcome('OUTCOME-{tag}', loop_{tag}, view_{tag}, messages_{tag})"


BLOCKING_CELL = (
    "loop_c = make_loop(sync=True)\n"
    "view_c = ConversationView(loop_c)\n"
    "display(view_c)\n"
    "try:\n"
    "    loop_c.run('Why did the nightly build fail?')\n"
    "    error = None\n"
    "except Exception as exc:\n"
    "    error = type(exc).__name__\n"
    "print('OUTCOME-c', json.dumps({'error': error, 'sent': len(sent),\n"
    "      'stop_reason': loop_c.stop_reason,\n"
    "      'emails': [[r.status, r.content] for t in loop_c.turns for r in t.executions\n"
    "                 if r.name == 'send_email']}))"
)
CELLS = [
    SETUP,
    run_cell("a"),
    outcome_cell("a"),
    run_cell("b"),
    outcome_cell("b"),
    BLOCKING_CELL,
]
RUN_A, RUN_B, RUN_C = 1, 3, 5
CLICKS_NEED_AWAIT = "Clicks are only handled while the cell awaits: use `await loop.arun(...)`."


@dataclass
class Clicked:
    outcome: dict[str, Any]
    round_trip: float
    """Seconds from the click to the card showing the new status (page side)."""


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def read_outcome(page: Any, tag: str) -> dict[str, Any]:
    output = page.locator(f".jp-OutputArea-output:has-text('OUTCOME-{tag}')").first
    output.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    # textContent: the page brings the next approval into view, so this output may be
    # off-screen, where the notebook skips rendering (content-visibility): innerText ""
    text = output.text_content() or ""
    match = re.search(rf"OUTCOME-{tag} (\{{.*\}})", text, re.S)
    assert match, text
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def approval_card(page: Any, index: int) -> Any:
    """The send_email approval form of run ``index`` (under its header)."""
    card = cell(page, index).locator(".ss-conv-approval")
    card.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    return card


def deny(page: Any) -> Clicked:
    card = approval_card(page, RUN_A)
    card.scroll_into_view_if_needed()
    expect(card.locator("strong")).to_have_text("send_email")
    expect(card).to_contain_text("platform-team@acme.example")
    # the whole body, as lines, not a preview
    expect(card.locator(".ss-t")).to_contain_text("Sent on behalf of the CI")
    card.locator(".ss-conv-reason").fill(REASON)
    started = time.monotonic()
    card.locator(".ss-btn-deny").click()
    cell(page, RUN_A).locator(".ss-conv-run[data-status='denied']").wait_for()
    round_trip = time.monotonic() - started
    return Clicked(read_outcome(page, "a"), round_trip)


def approve(page: Any) -> Clicked:
    card = approval_card(page, RUN_B)
    card.scroll_into_view_if_needed()
    started = time.monotonic()
    card.locator(".ss-btn-approve").click()
    cell(page, RUN_B).locator(
        ".ss-conv-run[data-approval='true']:not([data-status='awaiting approval'])"
    ).wait_for()
    round_trip = time.monotonic() - started
    return Clicked(read_outcome(page, "b"), round_trip)


def report(label: str, clicked: Clicked) -> None:
    kernel = clicked.outcome["decisions"][0]["latency"]
    print(
        f"\n[{label}] click handled in the kernel after {kernel * 1000:.0f} ms; "
        f"card updated in the page after {clicked.round_trip * 1000:.0f} ms"
    )


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_deny_then_approve_while_the_cell_awaits(notebooks: NotebookSession, ui: UI) -> None:
    session = notebooks
    page = session.page
    session.open(f"conversation_{ui}.ipynb", CELLS, ui=ui)
    session.run_all()

    denied = deny(page)
    report(f"{ui} deny", denied)
    a = denied.outcome
    assert a["stop_reason"] == "end_turn" and a["turns"] == 4
    assert a["sent"] == []  # the denied tool never ran
    assert a["result"]["is_error"] is True
    assert a["result"]["content"] == f"The user denied this tool call: {REASON}"
    assert a["decisions"][0]["approved"] is False
    assert a["observer_errors"] == []

    approved = approve(page)
    report(f"{ui} approve", approved)
    b = approved.outcome
    assert b["stop_reason"] == "end_turn" and b["turns"] == 4
    assert len(b["sent"]) == 1 and b["sent"][0].startswith("Nightly failures")
    assert b["result"] == {
        "type": "tool_result",
        "tool_use_id": b["result"]["tool_use_id"],
        "content": '{"status": "sent"}',
        "is_error": False,
    }
    assert b["observer_errors"] == []

    for clicked in (denied, approved):
        latency = clicked.outcome["decisions"][0]["latency"]
        assert 0 <= latency < CLICK_BUDGET_S, latency
        assert clicked.round_trip < CLICK_BUDGET_S + 5

    # What the page shows once both loops ended.
    session.wait_idle()
    first = cell(page, RUN_A)
    denied_card = first.locator(".ss-conv-run[data-status='denied']")
    expect(denied_card.locator(".ss-conv-decision")).to_have_text(f"by you: {REASON}")
    expect(denied_card.locator(".ss-conv-result")).to_contain_text(REASON)
    # the loop ended: its output is the static picture, every turn in it
    assert first.locator(".ss-static .ss-conv .ss-view").count() == 4
    assert first.locator(".ss-conv-run[data-status='done']").count() == 5
    expect(first.locator(".ss-conv")).to_have_attribute("data-status", "done")
    assert first.locator(".ss-conv-notice").count() == 0  # top-level await: no warning
    second = cell(page, RUN_B)
    ok_card = second.locator(".ss-conv-run[data-approval='true']")
    expect(ok_card).to_have_attribute("data-status", "done")
    expect(ok_card.locator(".ss-conv-decision")).to_have_text("approved")
    # Model-controlled text stays text: the hostile tool result is shown, never run.
    log = second.locator(".ss-conv-run", has_text="get_job_log").first.locator(".ss-conv-result")
    assert second.locator(".ss-conv-approval").count() == 0  # no buttons in the picture
    expect(log).to_contain_text(HOSTILE_RESULT, use_inner_text=True)
    assert page.locator(".ss-conv img, .ss-conv script").count() == 0
    assert page.evaluate("() => window.__pwned") is None

    # A blocking loop.run cannot hear clicks: the view says so and the cell ends, no hang.
    # The approve= policy decides at once (default: deny, nobody was there to approve).
    blocked = read_outcome(page, "c")
    assert blocked["error"] is None and blocked["sent"] == 1  # only run b's email was sent
    assert blocked["stop_reason"] == "end_turn"
    assert blocked["emails"] == [["denied", f"The user denied this tool call: {NOBODY}"]]
    third = cell(page, RUN_C)
    expect(third.locator(".ss-conv-notice")).to_contain_text(CLICKS_NEED_AWAIT)
    card = third.locator(".ss-conv-run[data-approval='true']")
    expect(card.locator(".ss-conv-note")).to_contain_text(CLICKS_NEED_AWAIT)
    assert third.locator(".ss-conv-approval").count() == 0  # no buttons that cannot work
    assert third.locator("[data-ss-action='stop']").count() == 0
    assert session.dialogs == []
