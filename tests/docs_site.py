"""Building the documentation site once per test session, the way a user builds it.

``built_site()`` runs ``scripts/docs`` (strict: ``-W --keep-going -n``, every notebook
executed) in a subprocess with a timeout, so a hung notebook fails instead of hanging the
suite, and returns ``site/``. ``tests/test_docs.py`` and ``tests/ui/test_docs_browser.py``
share one build per pytest process.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
BUILD_TIMEOUT = 600.0
"""Seconds the whole build may take on a busy machine (it takes 1 to 2 minutes)."""


@dataclass(frozen=True)
class Build:
    returncode: int
    output: str
    """stdout and stderr together."""
    site: Path


@functools.cache
def built_site() -> Build:
    """Run ``scripts/docs`` once; later calls return the same result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    process = subprocess.run(
        [str(ROOT / "scripts" / "docs")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    return Build(process.returncode, process.stdout + process.stderr, SITE)
