"""theme.css gives its colours to every root a renderer draws: the bench's shared axis drew
black bars and no border (its root, ``.ss-bench``, had none of the ``--ss-*`` variables)."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "widgets" / "static"
RENDER = Path(__file__).resolve().parents[1] / "widgets" / "render"


def _scoped_roots() -> set[str]:
    """The selectors of theme.css's rule that defines the palette."""
    css = (STATIC / "theme.css").read_text()
    match = re.search(r"([^{}]*)\{[^}]*--ss-text-color:", css)
    assert match is not None
    selectors = re.sub(r"/\*.*?\*/", "", match.group(1), flags=re.S)
    return {s.strip() for s in selectors.split(",")}


def test_every_root_that_uses_the_palette_gets_it() -> None:
    roots = _scoped_roots()
    for root in (".ss-view", ".ss-conv", ".ss-compare", ".ss-bench"):
        assert root in roots, root
    # the bench's own stylesheet and its rows (view.css's timeline) read the palette
    bench_css = (STATIC / "bench.css").read_text()
    assert "var(--ss-border)" in bench_css and "var(--ss-bg)" in bench_css
    assert 'class="ss-tl-bar"' in (RENDER / "bench.py").read_text()
