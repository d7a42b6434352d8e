"""Screenshot of the live StreamView for the README: ``docs/streamview.png``.

Starts JupyterLab from .venv (the browser-test harness in tests/ui), replays a synthetic
stream (thinking, text, three parallel tool calls, prompt-cache usage) through StreamView
in Notebook 7 and saves the rendered view. Needs Debian's Chromium (/usr/bin/chromium).

    .venv/bin/python scripts/screenshot.py [--out docs/streamview.png] [--ui notebook|lab]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "ui"), str(REPO / "tests")]

from streams import RICH_CALLS, paced, parallel_tools_stream  # noqa: E402
from ui_harness import (  # noqa: E402
    CHROMIUM,
    NotebookSession,
    launch_chromium,
    run_jupyter_lab,
)

from streamscope.core.cassette import write_cassette  # noqa: E402

THINKING = (
    "The user wants a weekend in Paris from London for two people. I need three things: "
    "the forecast, flights and a hotel. None depends on another, so I will call the three "
    "tools in parallel and summarise once the results are back."
)
TEXT = (
    "I'll plan your **weekend in Paris**. Checking at once:\n\n"
    "- the `get_weather` forecast for three days\n"
    "- flights from LHR to CDG\n"
    "- a quiet hotel for two nights"
)
CELLS = [
    "from streamscope.widgets import StreamView\n"
    "view = StreamView()\n"
    "display(view)\n"
    "_ = await view.play('screenshot.jsonl', speed=None)",
    "print('screenshot-ready')",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "streamview.png")
    parser.add_argument("--ui", choices=["notebook", "lab"], default="notebook")
    parser.add_argument("--width", type=int, default=1600)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    events = parallel_tools_stream(
        RICH_CALLS,
        thinking=THINKING,
        text=TEXT,
        chunk=5,
        input_tokens=312,
        cache_creation_input_tokens=1024,
        cache_read_input_tokens=2048,
        output_tokens=187,
    )
    with tempfile.TemporaryDirectory() as tmp, run_jupyter_lab(Path(tmp)) as server:
        write_cassette(server.root / "screenshot.jsonl", events, paced(events))
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(
                    viewport={"width": args.width, "height": 900}, device_scale_factor=2
                )
                session = NotebookSession(server, page)
                session.run(
                    "screenshot.ipynb",
                    CELLS,
                    ui=args.ui,
                    wait_for=".jp-OutputArea-output:has-text('screenshot-ready')",
                )
                view = page.locator(".ss-view:not(.ss-static)[data-status='done']").first
                view.wait_for()
                # The notebook scrolls inside its panel: grow the window to fit the whole view.
                box = view.bounding_box()
                assert box is not None
                page.set_viewport_size({"width": args.width, "height": int(box["height"]) + 400})
                view.scroll_into_view_if_needed()
                args.out.parent.mkdir(parents=True, exist_ok=True)
                view.screenshot(path=str(args.out), animations="disabled")
                session.close()
            finally:
                browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
