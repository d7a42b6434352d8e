"""Screenshots of the views in a real JupyterLab or Notebook 7, for the README and docs/.

Replays a gallery recording (or runs the gallery's tool loop) in a notebook in Debian's
Chromium and photographs the view: finished, ``--at`` seconds into the replay, or live after
its first ``--hold`` events (the rest is held back an hour, so the view stays live while it
is photographed); light or ``--dark``; at ``--width`` pixels. While live, ``--open`` opens
the view's wire inspector or request box, ``--click`` clicks in it (a timeline bar, an
event's number), and ``--part`` photographs only some of it (the box around every part
given). Needs /usr/bin/chromium.

    .venv/bin/python scripts/screenshot.py                      # docs/streamview.png
    .venv/bin/python scripts/screenshot.py --at 3 --out docs/streamview-live.png
    .venv/bin/python scripts/screenshot.py --dark --width 800 --out docs/streamview-dark-800.png
    .venv/bin/python scripts/screenshot.py --loop --dark --width 800 --part .ss-conv-title \\
        --part .ss-conv-approval --out docs/conversation-approval.png
    .venv/bin/python scripts/screenshot.py --loop --approve --width 800 \\
        --part .ss-loop-timeline --out docs/loop-timeline.png
    .venv/bin/python scripts/screenshot.py --width 800 --recording fallback --part .ss-header \\
        --part .ss-lanes --part .ss-timeline-box --out docs/fallback.png  # --dark: -dark.png
    .venv/bin/python scripts/screenshot.py --width 800 --recording cache_diagnostics \\
        --part .ss-usage --out docs/cache-miss.png  # code_execution, compaction: .ss-lanes
    .venv/bin/python scripts/screenshot.py --compare --out docs/compare.png
    .venv/bin/python scripts/screenshot.py --width 800 --hold 80 --open wire \\
        --click ".ss-tl-row[data-index='4'] rect.ss-tl-bar" \\
        --click "li.ss-wire-event:nth-child(6) button" \\
        --part .ss-timeline-box --part .ss-wire-box --out docs/wire-inspector.png
    .venv/bin/python scripts/screenshot.py --width 800 --recording invalid_tool_arguments \\
        --hold 24 --speed 0.5 --part .ss-header --part .ss-lanes --out docs/violations.png
    .venv/bin/python scripts/screenshot.py --width 800 --hold 60 --speed 4 --open request \\
        --part .ss-request-box --out docs/request.png
    .venv/bin/python scripts/screenshot.py --view-width 950 --hold 60 --part .ss-final \\
        --out docs/panel-950.png   # and --dark: docs/panel-950-dark.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "ui")]

from streams import held_recording  # noqa: E402
from ui_harness import CHROMIUM, NotebookSession, launch_chromium, run_jupyter_lab  # noqa: E402

LIVE = ".ss-mount > .ss-view"
BOXES = {"wire": "details.ss-wire", "request": "details.ss-request"}
"""What ``--open`` opens: the wire inspector, the request box."""

LOOP_CELLS = [
    """
import time
from streamscope.core import AsyncReplayClient, ToolLoop, gallery
from streamscope.widgets import ConversationView

def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    \"\"\"Runs of a CI pipeline.\"\"\"
    time.sleep(0.8)  # as a call to a CI server would
    return {"runs": [{"id": 4812}, {"id": 4815}, {"id": 4819}]}

def get_team(team: str) -> dict:
    \"\"\"A team's contact details.\"\"\"
    time.sleep(0.4)
    return {"team": team, "email": "platform-team@acme.example"}

def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    \"\"\"The end of a job's log.\"\"\"
    time.sleep({4812: 1.2, 4815: 0.7}.get(run_id, 1.0))
    return f"run {run_id} {job}: exit code 1"

def send_email(to: list[str], subject: str, body: str) -> dict:
    \"\"\"Send an email.\"\"\"
    return {"status": "sent"}
""",
    """
loop = ToolLoop(
    AsyncReplayClient(gallery.conversation("tool_loop"), speed=4),
    model="claude-sonnet-4-5", max_tokens=8192,
    tools=[list_ci_runs, get_team, get_job_log, send_email],
    require_approval=["send_email"],
)
view = ConversationView(loop)
display(view)
messages = await loop.arun("Why did the nightly build fail? Email the platform team.")
""",
]


def live_steps(page: Any, view: Any, boxes: list[str], clicks: list[str]) -> None:
    """Open the view's ``boxes`` (and wait for what they load), then click ``clicks``."""
    for name in boxes:
        box = view.locator(BOXES[name])
        box.locator("summary").click()
        box.locator("[data-ss-lazy] > *").first.wait_for()
    for selector in clicks:
        view.locator(selector).first.click()
        # The kernel answers a click in ~0.1 s; a lane it scrolls to flashes for 1.2 s. A
        # photograph needs no barrier: it waits until both are over.
        page.wait_for_timeout(1500)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def around(view: Any, parts: list[str], margin: int = 8) -> dict[str, float]:
    """The page area holding every element of ``parts`` in ``view`` (a screenshot clip)."""
    boxes = [view.locator(css).first.bounding_box() for css in parts]
    found = [b for b in boxes if b is not None]
    if not found:
        raise SystemExit(f"none of {parts} is on the page")
    left = min(b["x"] for b in found) - margin
    top = min(b["y"] for b in found) - margin
    right = max(b["x"] + b["width"] for b in found) + margin
    bottom = max(b["y"] + b["height"] for b in found) + margin
    return {"x": max(0, left), "y": max(0, top), "width": right - left, "height": bottom - top}


def fit_view(page: Any, view: Any, width: int) -> int:
    """Resize the window until ``view`` is ``width`` px wide; returns the window's width."""
    for _ in range(8):
        box = view.bounding_box()
        if box is None or abs(box["width"] - width) < 1:
            break
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"] + round(width - box["width"]),
                                "height": size["height"]})  # fmt: skip
        page.wait_for_timeout(300)  # the notebook's layout follows
    return int(page.viewport_size["width"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "streamview.png")
    parser.add_argument("--ui", choices=["notebook", "lab"], default="lab")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument(
        "--view-width", type=int, default=None, help="resize the window until the view is this wide"
    )
    parser.add_argument("--recording", default="parallel_tools")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--at", type=float, default=None, help="seconds into the replay")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--loop", action="store_true", help="the tool loop, at its approval")
    parser.add_argument("--approve", action="store_true", help="--loop: approve, then the end")
    parser.add_argument("--compare", action="store_true", help="weekend runs side by side")
    parser.add_argument("--hold", type=int, default=None, help="live, after this many events")
    parser.add_argument("--open", action="append", default=[], choices=sorted(BOXES))
    parser.add_argument("--click", action="append", default=[], help="CSS, in the live view")
    parser.add_argument("--part", action="append", default=[], help="CSS, in the view")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    if args.loop:
        cells = LOOP_CELLS
    elif args.compare:
        cells = [
            "from streamscope.core.io import gallery\nfrom streamscope.widgets import compare\n"
            "compare(gallery.conversation('weekend_parallel'),"
            " gallery.conversation('weekend_sequential'), labels=['parallel', 'one at a time'])"
        ]
    elif args.hold is not None:  # a task, so that the cell ends and clicks are heard
        cells = [
            "import asyncio\nfrom streamscope.widgets import StreamView\n"
            "view = StreamView()\ndisplay(view)\n"
            f"task = asyncio.ensure_future(view.play('held.jsonl', speed={args.speed}))"
        ]
    else:
        cells = [
            "from streamscope.widgets import replay\nfrom streamscope.core.io import gallery\n"
            f"view = await replay(gallery.path({args.recording!r}), speed={args.speed})"
        ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_jupyter_lab(Path(tmp)) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(
                viewport={"width": args.width, "height": 1000}, device_scale_factor=2
            )
            session = NotebookSession(server, page)
            if args.hold is not None:
                held_recording(args.recording, args.hold, server.root / "held.jsonl")
            session.open("screenshot.ipynb", cells, ui=args.ui)
            if args.ui == "lab":  # the file browser would take a third of a narrow window
                page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
            if args.dark:
                page.evaluate(
                    "() => window.jupyterapp.commands.execute('apputils:change-theme',"
                    " {theme: 'JupyterLab Dark'})"
                )
                page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
            session.run_all()
            started = time.monotonic()
            if args.loop:
                target = page.locator(".ss-conv").first
                page.locator(".ss-conv-approval").first.wait_for()
                if args.approve:
                    page.locator(".ss-conv-approval [data-ss-action='approve']").first.click()
                    target = page.locator(".ss-static > .ss-conv").first
                    target.wait_for(timeout=120_000)
            elif args.compare:
                target = page.locator(".ss-static > .ss-compare").first
                target.wait_for()
            elif args.hold is not None:
                target = page.locator(LIVE).first
                position = target.locator(".ss-controls .ss-position")
                position.filter(has_text=f"event {args.hold} of").wait_for()
                session.wait_idle()
                live_steps(page, target, args.open, args.click)
                page.wait_for_timeout(1500)  # the figures are redrawn once a second
            elif args.at is not None:
                page.locator(".ss-mount .ss-view").first.wait_for()
                time.sleep(max(0.0, args.at - (time.monotonic() - started)))
                target = page.locator(".ss-mount .ss-view").first
            else:
                target = page.locator(".ss-static > .ss-view").first
                target.wait_for()
            width = (
                args.width if args.view_width is None else fit_view(page, target, args.view_width)
            )
            box = target.bounding_box()
            assert box is not None
            page.set_viewport_size({"width": width, "height": int(box["height"]) + 400})
            target.scroll_into_view_if_needed()
            args.out.parent.mkdir(parents=True, exist_ok=True)
            if args.part:
                page.screenshot(
                    path=str(args.out), animations="disabled", clip=around(target, args.part)
                )
            else:
                target.screenshot(path=str(args.out), animations="disabled")
            session.close()
        finally:
            browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
