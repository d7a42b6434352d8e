"""streamscope: watch an Anthropic Messages API stream live in a Jupyter notebook.

``streamscope.core`` reduces a stream to its state (no Jupyter imports);
``streamscope.widgets`` shows it. ``__version__`` is the one place the version is written
(``pyproject.toml`` reads it from here).
"""

__version__ = "0.1.0"
