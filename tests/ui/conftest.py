"""Fixtures for the browser tests: one JupyterLab server and one Chromium per session.

Without /usr/bin/chromium the tests skip, except in CI (``CI`` set): there a missing
browser fails the run, so the browser tests cannot silently stop running.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The shared stream builders (tests/streams.py) for the tests in this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ui_harness import (
    UI_TIMEOUT_MS,
    JupyterServer,
    NotebookSession,
    launch_chromium,
    require_chromium,
    run_jupyter_lab,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab from the repo's .venv on a free 127.0.0.1 port, root in a temp dir."""
    require_chromium()
    with run_jupyter_lab(tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (headless, no sandbox, no network chatter)."""
    require_chromium()
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
