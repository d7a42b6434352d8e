"""The built documentation site in Chromium, opened from ``file://`` with no server.

A notebook page shows a view's picture (lanes and final panel) as static HTML, with no
widget state and no kernel; the gallery page shows every recording; the search page finds
``StreamView``; no page logs a console error or throws.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from docs_site import Build, built_site

from streamscope.core import gallery


@pytest.fixture(scope="module")
def site() -> Build:
    result = built_site()
    assert result.returncode == 0, result.output[-6000:]
    return result


@pytest.fixture
def errors(page: Any) -> Iterator[list[str]]:
    """Console errors and uncaught exceptions of ``page``; none may be left at the end."""
    found: list[str] = []
    page.on("console", lambda m: found.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(f"pageerror: {e}"))
    yield found
    assert found == []


def test_a_notebook_page_shows_the_views_picture(site: Build, page: Any, errors: list[str]) -> None:
    page.goto((site.site / "examples" / "01_quickstart.html").as_uri())
    picture = page.locator(".ss-static").first
    picture.wait_for(state="visible")
    lanes = picture.locator("section.ss-lane")
    kinds = {lanes.nth(i).get_attribute("data-kind") for i in range(lanes.count())}
    assert {"thinking", "text", "tool"} <= kinds
    assert lanes.first.is_visible()
    panel = picture.locator(".ss-final")
    assert panel.count() == 1 and panel.is_visible()
    assert "get_exchange_rate" in picture.inner_text()
    # styled by its own stylesheet: the lanes are laid out, not plain unstyled text
    assert lanes.first.bounding_box()["height"] > 20
    assert page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count() == 0
    assert page.evaluate("() => typeof window.require === 'undefined'")


def test_the_gallery_page_shows_every_recording(site: Build, page: Any, errors: list[str]) -> None:
    page.goto((site.site / "gallery.html").as_uri())
    items = page.locator(".ss-gallery-item")
    names = [items.nth(i).get_attribute("data-recording") for i in range(items.count())]
    assert names == [r.name for r in gallery.list_recordings()]
    for i in range(items.count()):
        assert items.nth(i).locator(".ss-static section.ss-lane").count() >= 1, names[i]
    items.last.scroll_into_view_if_needed()
    assert items.last.is_visible()


def test_search_finds_streamview(site: Build, page: Any, errors: list[str]) -> None:
    page.goto((site.site / "search.html").as_uri() + "?q=StreamView")
    hit = page.locator('#search-results a[href*="streamscope.widgets.StreamView"]').first
    hit.wait_for(state="visible")
    assert "StreamView" in hit.inner_text()
    hit.click()
    page.wait_for_load_state()
    assert page.url.split("#")[0].endswith("api/widgets.html")
    assert page.locator('[id="streamscope.widgets.StreamView"]').is_visible()
