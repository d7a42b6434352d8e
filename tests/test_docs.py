"""The documentation site: ``scripts/docs`` builds it strictly, and it holds what it says.

The build (shared with the browser test, see ``docs_site.py``) executes every example
notebook with no API key; each page must show the views' pictures as static HTML, the
gallery every recording, the API reference every name of ``__all__``. The strictness
itself is checked on small projects with the same configuration's pieces: a broken
internal link, a reference to a name that does not exist, and a cell that raises each fail
a build.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_site import ROOT, Build, built_site

import streamscope
import streamscope.core
import streamscope.widgets
from streamscope.core import gallery

EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.ipynb"))
ERROR_OUTPUT = re.compile(r"Traceback|Error displaying widget|output_stderr|class=\"output error")


@pytest.fixture(scope="module")
def build() -> Build:
    result = built_site()
    assert result.returncode == 0, result.output[-6000:]
    return result


def page(build: Build, name: str) -> str:
    return (build.site / name).read_text(encoding="utf-8")


def test_the_build_is_strict_and_quiet(build: Build) -> None:
    # Sphinx's own warnings and errors ("WARNING: ..."; a kernel's log lines say "WARNING |")
    said = re.findall(r"^.*\b(?:WARNING|ERROR|CRITICAL): .*$", build.output, re.MULTILINE)
    assert said == []
    assert (ROOT / "docs" / "conf.py").read_text(encoding="utf-8").count("nitpicky = True") == 1
    script = (ROOT / "scripts" / "docs").read_text(encoding="utf-8")
    assert "-W --keep-going -n" in script


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_notebook_is_a_page_with_its_pictures(build: Build, name: str) -> None:
    html = page(build, f"examples/{name}.html")
    assert 'class="ss-static' in html, "no static picture of a view on the page"
    assert re.search(r'<section class="ss-lane"[^>]*data-kind="text"', html)
    assert ERROR_OUTPUT.search(html) is None, ERROR_OUTPUT.search(html)
    # no widget state and no widget JavaScript: the pictures are the static text/html
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert "jupyter-widgets" not in html and "require.js" not in html


def test_the_pictures_carry_the_recorded_figures(build: Build) -> None:
    """Executed instantly, the pictures still show the recorded times (notebook 4)."""
    html = page(build, "examples/04_prompt_caching.html")
    assert "time to first token" in html and "1.38 s" in html and "786 ms" in html


def test_the_gallery_page_shows_every_recording(build: Build) -> None:
    html = page(build, "gallery.html")
    shown = re.findall(r'<div class="ss-gallery-item" data-recording="([^"]+)">', html)
    assert shown == [r.name for r in gallery.list_recordings()]
    assert html.count('class="ss-static') == len(shown)
    for info in gallery.list_recordings():
        text = html.replace("&quot;", '"').replace("&#39;", "'").replace("\u2019", "'")
        assert info.description[:30].replace("\u2019", "'") in text  # smart quotes or not


@pytest.mark.parametrize("module", [streamscope.core, streamscope.widgets])
def test_the_api_reference_documents_everything_in_all(build: Build, module: object) -> None:
    name = module.__name__  # type: ignore[attr-defined]
    html = page(build, f"api/{name.rsplit('.', 1)[-1]}.html")
    for export in module.__all__:  # type: ignore[attr-defined]
        if export == "gallery":
            assert f'id="module-{gallery.__name__}"' in html
        else:
            assert f'id="{name}.{export}"' in html, f"{name}.{export} is not documented"


def test_the_site_names_the_version_and_works_offline(build: Build) -> None:
    index = page(build, "index.html")
    assert streamscope.__version__ in index
    for html_file in build.site.rglob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', text):
            pytest.fail(f"{html_file.relative_to(build.site)} loads {src}")
    assert (build.site / "searchindex.js").is_file()


# -- strictness, on small projects ---------------------------------------------------------

CONF = """
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_nb", "sphinx.ext.autodoc", "strict_refs"]
nitpicky = True
nb_execution_mode = "force"
nb_execution_raise_on_error = False
nb_execution_show_tb = True
exclude_patterns = ["_build"]
"""

NOTEBOOK_HEADER = """---
file_format: mystnb
kernelspec:
  name: python3
  display_name: Python 3
---
"""

BROKEN = {  # the page, and what the failed build must say
    "internal link": ("# Page\n\nSee [the other page](nowhere.md).\n", "nowhere"),
    "missing reference": (
        "# Page\n\nSee {func}`streamscope.core.no_such_function`.\n",
        "no_such_function",
    ),
    "cell that errors": (
        NOTEBOOK_HEADER + "# Page\n\n```{code-cell} ipython3\n1 / 0\n```\n",
        "ZeroDivisionError",
    ),
}
GOOD = (
    "# Page\n\n{class}`streamscope.core.StreamState` and "
    "{mod}`streamscope.core.schema.validation` (outside `__all__`, it exists).\n\n"
    "```{eval-rst}\n.. autoclass:: streamscope.core.StreamState\n   :members:\n```\n"
)


def mini_build(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(CONF.format(ext=str(ROOT / "docs" / "_ext")))
    (source / "index.md").write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", "-q"]
    return subprocess.run(
        [*command, str(source), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_a_strict_build_fails_on(tmp_path: Path, what: str) -> None:
    text, said = BROKEN[what]
    result = mini_build(tmp_path, text)
    assert result.returncode != 0, result.stdout + result.stderr
    assert said in result.stdout + result.stderr


def test_a_strict_build_passes_references_that_exist(tmp_path: Path) -> None:
    result = mini_build(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
