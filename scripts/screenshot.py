"""Screenshots of the views in a real JupyterLab or Notebook 7, for the README and docs/.

Replays a gallery recording (or runs the gallery's tool loop) in a notebook in Debian's
Chromium and photographs the view: finished, or ``--at`` seconds into the replay (mid
stream); light or ``--dark``; at ``--width`` pixels. Needs /usr/bin/chromium.

    .venv/bin/python scripts/screenshot.py                      # docs/streamview.png
    .venv/bin/python scripts/screenshot.py --at 3 --out docs/streamview-live.png
    .venv/bin/python scripts/screenshot.py --dark --width 800 --out docs/streamview-dark-800.png
    .venv/bin/python scripts/screenshot.py --loop --out docs/conversation.png
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "ui"), str(REPO / "tests")]

from ui_harness import CHROMIUM, NotebookSession, launch_chromium, run_jupyter_lab  # noqa: E402

LOOP_CELLS = [
    """
from streamscope.core import AsyncReplayClient, ToolLoop, gallery
from streamscope.widgets import ConversationView

def list_ci_runs(pipeline: str, status: str, since: str, until: str) -> dict:
    \"\"\"Runs of a CI pipeline.\"\"\"
    return {"runs": [{"id": 4812}, {"id": 4815}, {"id": 4819}]}

def get_team(team: str) -> dict:
    \"\"\"A team's contact details.\"\"\"
    return {"team": team, "email": "platform-team@acme.example"}

def get_job_log(run_id: int, job: str, tail_lines: int = 80) -> str:
    \"\"\"The end of a job's log.\"\"\"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "streamview.png")
    parser.add_argument("--ui", choices=["notebook", "lab"], default="lab")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--recording", default="parallel_tools")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--at", type=float, default=None, help="seconds into the replay")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--loop", action="store_true", help="the tool loop, at its approval")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    if args.loop:
        cells = LOOP_CELLS
    else:
        cells = [
            "from streamscope.widgets import replay\nfrom streamscope.core import gallery\n"
            f"view = await replay(gallery.path({args.recording!r}), speed={args.speed})"
        ]
    with tempfile.TemporaryDirectory() as tmp, run_jupyter_lab(Path(tmp)) as server:  # noqa: SIM117
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(
                    viewport={"width": args.width, "height": 1000}, device_scale_factor=2
                )
                session = NotebookSession(server, page)
                session.open("screenshot.ipynb", cells, ui=args.ui)
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
                elif args.at is not None:
                    page.locator(".ss-mount .ss-view").first.wait_for()
                    time.sleep(max(0.0, args.at - (time.monotonic() - started)))
                    target = page.locator(".ss-mount .ss-view").first
                else:
                    target = page.locator(".ss-static > .ss-view").first
                    target.wait_for()
                box = target.bounding_box()
                assert box is not None
                page.set_viewport_size({"width": args.width, "height": int(box["height"]) + 400})
                target.scroll_into_view_if_needed()
                args.out.parent.mkdir(parents=True, exist_ok=True)
                target.screenshot(path=str(args.out), animations="disabled")
                session.close()
            finally:
                browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
