"""What explaining a cache miss costs: ``explain_cache`` on requests of growing size.

Run: ``.venv/bin/python benchmarks/bench_cache_explain.py [repeat]``. Times (best of
``repeat``, default 5) ``explain_cache(previous, current)`` on two requests whose cached
system prompt is 0.25, 0.5, 1 and 2 MB long, in three cases:

- ``identical``: nothing changed (every character compared);
- ``changed at the end``: the last character differs (every character compared, then the
  excerpt cut);
- ``changed at the start``: the first characters differ (the comparison stops early).

The baseline is what the comparison cannot do without: ``previous == current`` on the same
two requests (Python's own deep equality, in C). Printed: seconds, the ratio to the
baseline, and the ratio to the 1 MB run (linear: 0.25x, 0.5x, 1x, 2x). The limit the issue
sets: a 1 MB system prompt under 0.1 s.
"""

from __future__ import annotations

import copy
import functools
import gc
import operator
import sys
import time
from collections.abc import Callable
from typing import Any

from streamscope.core import explain_cache

SIZES = (250_000, 500_000, 1_000_000, 2_000_000)


def _request(system: str) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "tools": [
            {"name": f"tool_{i}", "description": "d" * 200, "input_schema": {"type": "object"}}
            for i in range(20)
        ],
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i} " * 50}
            for i in range(40)
        ],
    }


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _pairs(size: int) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    text = ("The manual, section by section. " * (size // 32 + 1))[:size]
    base = _request(text)
    same = copy.deepcopy(base)
    same["system"][0]["text"] = (text + ".")[:-1]  # equal, but another object: compared
    end = copy.deepcopy(base)
    end["system"][0]["text"] = text[:-1] + "!"
    start = copy.deepcopy(base)
    start["system"][0]["text"] = "!" + text[1:]
    return {
        "identical": (base, same),
        "changed at the end": (base, end),
        "changed at the start": (base, start),
    }


def main(repeat: int = 5) -> None:
    results: dict[str, dict[int, tuple[float, float]]] = {}
    for size in SIZES:
        for case, (previous, current) in _pairs(size).items():
            took = _best(functools.partial(explain_cache, previous, current), repeat)
            base = _best(functools.partial(operator.eq, previous, current), repeat)
            results.setdefault(case, {})[size] = (took, base)
    print(f"explain_cache, best of {repeat} (baseline: previous == current)")
    print(f"{'case':22} {'system':>8} {'seconds':>10} {'baseline':>10} {'x base':>8} {'x 1 MB':>7}")
    for case, by_size in results.items():
        one_mb = by_size[1_000_000][0]
        for size, (took, base) in by_size.items():
            print(
                f"{case:22} {size / 1e6:6.2f}MB {took:10.5f} {base:10.5f} "
                f"{took / base if base else float('inf'):8.1f} {took / one_mb:7.2f}"
            )
    worst = max(by_size[1_000_000][0] for by_size in results.values())
    print(f"worst at 1 MB: {worst:.5f} s (limit 0.1 s): {'ok' if worst < 0.1 else 'TOO SLOW'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
