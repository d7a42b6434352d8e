""" "Show all" of a long text, kernel side: the cost of sending it a page at a time.

Run: ``.venv/bin/python benchmarks/bench_show_all.py [--sizes 1,4,15]``.

Each size runs in its own interpreter: a StreamView (no timer, its comm counted) is fed a
finished text lane of N MB (80-character lines), then a page opens its "Show all" and asks
for every page as ``static/surface.js`` does (``want``, then ``more`` per marker). Printed
side by side with the baseline, rendering the same text once (escaped and sanitized, in the
same pages, as a static picture does): the seconds and their ratio; the peak memory above
the fed state, as a multiple of the text (what the page was sent is kept for a page that
reloads: the rendering, about 1x); and the largest message, which stays one page whatever the size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path[:0] = [{scripts!r}]
from streams import message_end, message_start, text_stream
from streamscope.widgets import StreamView
from streamscope.widgets.render.fulltext import PAGE
from streamscope.widgets.render.markup import e
from streamscope.widgets.render.sanitize import clean

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0

size = {mb} * 1024 * 1024
line = "".join(chr(97 + k % 26) for k in range(79)) + "\n"
text = (line * (size // len(line) + 1))[:size]
view = StreamView(flush_timer=False)
sizes = []
view.comm.send = lambda data=None, metadata=None, buffers=None: sizes.append(len(json.dumps(data)))
for event in [message_start(), *text_stream(text, chunk=64 * 1024)[1:]]:
    view.apply(event)
view.finish()
del event
base = rss()
region = next(r for r in view._store.parts if "full/" in r)
sizes.clear()
start = time.perf_counter()
view._on_front_end_msg(view, {{"type": "want", "region": region}}, [])
page = 0
while True:
    parts = view._store.parts[region]
    if "data-ss-more" not in parts[-1]:
        break
    view._on_front_end_msg(view, {{"type": "more", "region": region, "page": page}}, [])
    page += 1
seconds = time.perf_counter() - start
assert len(view._store.parts[region]) == page
peak = hwm() - base
start = time.perf_counter()
baseline = [clean(e(text[i : i + PAGE])) for i in range(0, len(text), PAGE)]
once = time.perf_counter() - start
del baseline
print(json.dumps({{"once": once, "seconds": seconds, "pages": page, "text": len(text),
                  "peak": peak, "largest": max(sizes), "sent": sum(sizes)}}))
"""


def measure(mb: int) -> dict[str, float]:
    code = CHILD.format(scripts=str(REPO / "scripts"), mb=mb)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True
    )
    out: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1,4,15", help="MB, comma-separated")
    args = parser.parse_args()
    print(
        f"{'MB':>4} {'pages':>6} {'once s':>8} {'show all s':>11} {'ratio':>6} "
        f"{'peak/text':>10} {'largest msg':>12} {'sent/text':>10}"
    )
    for mb in (int(x) for x in args.sizes.split(",")):
        r = measure(mb)
        print(
            f"{mb:>4} {int(r['pages']):>6} {r['once']:>8.3f} {r['seconds']:>11.3f} "
            f"{r['seconds'] / r['once']:>6.2f} {r['peak'] / r['text']:>10.2f} "
            f"{int(r['largest']):>12,} {r['sent'] / r['text']:>10.2f}"
        )


if __name__ == "__main__":
    main()
