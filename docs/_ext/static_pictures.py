"""Pages show the views' static pictures only: no ipywidgets state is embedded.

Executing a notebook stores the widgets' state in its metadata, and MyST-NB would put it
in the page as a ``widget-state+json`` script. A finished view's output is its static
``text/html`` picture alone, so that state is dead weight (and names widgets no page here
can load): it is dropped before each page is written.
"""

from __future__ import annotations

from typing import Any

from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.application import Sphinx


def drop_widget_state(app: Sphinx, pagename: str, *args: Any) -> None:
    if app.env is not None and pagename in NbMetadataCollector.get_doc_data(app.env):
        NbMetadataCollector.get_js_files(app.env, pagename).pop("ipywidgets_state", None)


def setup(app: Sphinx) -> dict[str, Any]:
    # before MyST-NB's own handler (priority 500) adds the page's scripts
    app.connect("html-page-context", drop_widget_state, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
