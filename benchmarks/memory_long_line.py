"""One very long text line in a StreamView: time, peak memory, what the page receives.

Run: ``.venv/bin/python benchmarks/memory_long_line.py [--sizes 20,50,200] [--timeout 120]
[--baseline DIR]``.

Each size runs in its own interpreter: a StreamView (no timer, its comm counted) fed one
text block of N MB with no line break, in 64 KB ``text_delta`` pieces (distinct strings,
as a real stream's are), then finished and turned into its static picture. Printed: the
seconds, the peak RSS above the interpreter with streamscope imported, that peak as a
multiple of the text, the static picture's size and the bytes sent to the page.
``--baseline DIR`` runs the same with the streamscope package found at ``DIR`` (a folder
holding ``streamscope/`` of another checkout) first, and prints the ratios side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIECE = 64 * 1024

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {scripts!r})
from streams import block_delta, block_start, message_end, message_start
from streamscope.widgets import StreamView

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

mb, piece = {mb}, {piece}
count = mb * 1024 * 1024 // piece
StreamView(flush_timer=False)  # first use loaded, before the baseline
base = rss()
view = StreamView(flush_timer=False)
sent = [0]
view.comm.send = lambda data=None, metadata=None, buffers=None: sent.__setitem__(
    0, sent[0] + len(json.dumps(data))
)
start = time.perf_counter()
view.apply(message_start())
view.apply(block_start(0, {{"type": "text", "text": ""}}))
for i in range(count):
    text = (f"{{i:08d}}" + "abcdefgh" * (piece // 8))[:piece]  # distinct, no line break
    view.apply(block_delta(0, {{"type": "text_delta", "text": text}}))
view.apply({{"type": "content_block_stop", "index": 0}})
for event in message_end():
    view.apply(event)
view.finish()
picture = view.static_html()
seconds = time.perf_counter() - start
assert view.state.blocks[0].length == count * piece  # not joined: the peak is the view's
print(json.dumps({{"seconds": seconds, "peak": rss() - base, "text": count * piece,
                  "picture": len(picture), "sent": sent[0]}}))
"""


def measure(mb: int, timeout: float, package: str | None) -> dict[str, float] | None:
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = package
    code = CHILD.format(scripts=str(REPO / "scripts"), mb=mb, piece=PIECE)
    try:
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    out: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def line(label: str, mb: int, got: dict[str, float] | None, timeout: float) -> str:
    if got is None:
        return f"  {label:8} {mb:4d} MB: did not finish in {timeout:g} s"
    return (
        f"  {label:8} {mb:4d} MB: {got['seconds']:7.2f} s, peak +{got['peak'] / 1e6:7.0f} MB "
        f"({got['peak'] / got['text']:.2f}x the text), picture {got['picture'] / 1e6:.2f} MB, "
        f"sent to the page {got['sent'] / 1e6:.2f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20,50,200")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--baseline", default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"one text line in a StreamView, {PIECE // 1024} KB deltas")
    for mb in sizes:
        now = measure(mb, args.timeout, None)
        if args.baseline is not None:
            before = measure(mb, args.timeout, args.baseline)
            print(line("before", mb, before, args.timeout))
            print(line("after", mb, now, args.timeout))
            if before is not None and now is not None:
                print(
                    f"  {'ratio':8} {mb:4d} MB: time {now['seconds'] / before['seconds']:.2f}x, "
                    f"peak {now['peak'] / max(before['peak'], 1):.2f}x, "
                    f"sent {now['sent'] / max(before['sent'], 1):.3f}x (after / before)"
                )
        else:
            print(line("now", mb, now, args.timeout))


if __name__ == "__main__":
    main()
