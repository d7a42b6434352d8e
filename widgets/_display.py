"""Displaying a live widget with a static ``text/html`` picture beside it in the bundle.

GitHub and nbviewer run no widget JavaScript; the ``text/html`` entry is what they show.
The picture is refreshed (``update_display``) when the view reaches its final state.
anywidget's bundle metadata is kept: Colab needs it.
"""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["StaticFallbackDisplay"]

Bundle = tuple[dict[str, Any], dict[str, Any]]


class StaticFallbackDisplay:
    """Mixin for a view: ``_widget_bundle()`` plus ``_static_html()`` make its display."""

    _display_id: str | None = None
    _displayed: bool = False

    def _widget_bundle(self) -> Bundle:
        raise NotImplementedError

    def _static_html(self) -> str:
        raise NotImplementedError

    def _bundle(self) -> Bundle:
        data, metadata = self._widget_bundle()
        data = dict(data)
        data["text/html"] = self._static_html()
        return data, dict(metadata)

    def _repr_mimebundle_(self, **kwargs: Any) -> Bundle:
        return self._bundle()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self._display_id is None:
            self._display_id = uuid.uuid4().hex
        data, metadata = self._bundle()
        display(data, raw=True, metadata=metadata, display_id=self._display_id)  # type: ignore[no-untyped-call]
        self._displayed = True

    def _refresh_static(self) -> None:
        """Replace the displayed bundle, so the static picture shows the current state."""
        if not self._displayed:
            return
        from IPython.display import update_display

        data, metadata = self._bundle()
        update_display(  # type: ignore[no-untyped-call]
            data, raw=True, metadata=metadata, display_id=self._display_id
        )
