"""Sphinx configuration of the streamscope documentation (``scripts/docs`` builds it).

Sphinx + MyST-NB + pydata-sphinx-theme, the Jupyter projects' convention. The example
notebooks are executed at build time with no API key and no recorded pacing
(``STREAMSCOPE_REPLAY_SPEED=instant``); each view leaves its picture as static
``text/html``, so the pages need no widget state and no kernel. The build is strict:
``scripts/docs`` passes ``-W --keep-going -n``.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

from generate_pages import generate  # noqa: E402

import streamscope  # noqa: E402

# Executing the notebooks: key-free (a key in the environment would make notebook 06 call
# the API) and instant (every replay ignores its recorded pacing).
for variable in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"):
    os.environ.pop(variable, None)
os.environ["STREAMSCOPE_REPLAY_SPEED"] = "instant"
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

generate(DOCS)

_project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REPOSITORY = _project["urls"]["Repository"]

project = "streamscope"
author = "streamscope maintainers"
copyright = "streamscope maintainers"
release = version = streamscope.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "strict_refs",
    "static_pictures",
]
exclude_patterns = ["_build", "_ext", "**/.ipynb_checkpoints", "*.png"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
suppress_warnings: list[str] = []

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# MyST-NB: execute every notebook (they are committed without outputs). A cell that raises
# is a warning with its traceback (each failing notebook reported), which -W makes fatal.
nb_execution_mode = "force"
nb_execution_raise_on_error = False
nb_execution_show_tb = True
nb_execution_timeout = 180
nb_execution_in_temp = True
nb_merge_streams = True
# The pictures are static text/html: no widget state to embed, no widget JavaScript to load
# (it would come from a CDN and fail under file://).
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_class_signature = "separated"

nitpicky = True
nitpick_ignore_regex = [
    # outside this project: the SDK, pydantic, the standard library's private helpers
    (r"py:.*", r"(anthropic|pydantic|httpx|httpx2|ipywidgets|anywidget|traitlets)\b.*"),
]

html_theme = "pydata_sphinx_theme"
html_title = f"streamscope {release}"
html_static_path: list[str] = []
html_theme_options = {
    "github_url": REPOSITORY,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "use_edit_page_button": False,
}
html_show_sourcelink = False
html_copy_source = False
# The views' static pictures are drawn in light colours (as export_html writes them); an
# explicit mode also keeps the theme from logging "invalid theme mode" on file:// pages.
html_context = {"default_mode": "light"}
# Search without summaries: a summary is fetched from the page, which file:// forbids.
html_show_search_summary = False
