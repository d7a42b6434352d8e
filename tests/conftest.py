"""What every test module shares: where the recorded streams of other projects live, the one
rule for a test that cannot run here (skip on a developer's machine, fail in CI), and the
browser fixtures of ``tests/ui`` (one JupyterLab and one Chromium per session).

The one ``conftest.py`` of the suite, so ``from conftest import ...`` is unambiguous.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO.parent / "shared" / "fixtures" / "recorded"
"""Real recorded streams from other projects (``../shared/fixtures/recorded``), read in place."""
UI = Path(__file__).resolve().parent / "ui"
SCRIPTS = REPO / "scripts"

# tests/ui's harness, and the one stream synthesiser (scripts/streams, shared with the scripts)
sys.path[:0] = [p for p in (str(UI), str(SCRIPTS)) if p not in sys.path]

from ui_harness import (  # noqa: E402
    UI_TIMEOUT_MS,
    JupyterServer,
    NotebookSession,
    launch_chromium,
    run_jupyter_lab,
)


def in_ci() -> bool:
    """True when the environment says this is CI (``CI`` set to a true value)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip on a developer's machine; in CI the test must run, so fail."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: this test may not skip)", pytrace=False)
    pytest.skip(reason)


def recorded_paths() -> list[Path]:
    """Every recorded stream file, or [] when ../shared is not beside the repo."""
    if not RECORDED.is_dir():
        return []
    return sorted(p for p in RECORDED.rglob("*") if p.is_file())


def recorded(name: str) -> Path:
    """One recorded stream by its path under fixtures/recorded."""
    path = RECORDED / name
    if not path.is_file():
        skip_or_fail(f"recorded fixture {name} not found (../shared absent)")
    return path


def recorded_params() -> list[object]:
    """Parametrize values for every recorded stream (one failing-in-CI skip when absent)."""
    paths = recorded_paths()
    if not paths:
        if in_ci():
            pytest.fail("../shared/fixtures/recorded is absent (CI is set: it must be there)")
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared absent"))]
    return [pytest.param(p, id=str(p.relative_to(RECORDED))) for p in paths]


def require_browser() -> None:
    """Chromium for the browser tests: skip without it, fail in CI."""
    from ui_harness import chromium_missing_reason

    reason = chromium_missing_reason()
    if reason is not None:
        skip_or_fail(f"browser tests must run in CI: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/ui drives a browser."""
    for item in items:
        if UI in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab from the repo's .venv on a free 127.0.0.1 port, root in a temp dir."""
    require_browser()
    with run_jupyter_lab(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (headless, no sandbox, no network chatter)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page; dialogs are recorded and dismissed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def notebooks(jupyter_server: JupyterServer, page: Any) -> Iterator[NotebookSession]:
    """Run notebooks in ``page``; the kernel is shut down afterwards."""
    session = NotebookSession(jupyter_server, page)

    def on_dialog(dialog: Any) -> None:
        session.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield session
    finally:
        session.close()
