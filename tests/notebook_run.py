"""Running the example notebooks headless, the way a test needs to.

``execute`` runs one notebook with nbclient in a kernel started by a given Python (the
repo's ``.venv`` or a freshly built one), with the notebook's folder as working directory
and no Anthropic credentials in the kernel's environment. ``widget_outputs`` finds the
widget displays of an executed notebook, which must each carry a ``text/html`` picture.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
KERNEL_NAME = "streamscope-examples"


@dataclass
class Executed:
    notebook: Any
    """The executed notebook (``nbformat.NotebookNode``)."""
    seconds: float
    """Wall time, kernel start included."""


def kernel_manager(python: Path, kernels: Path) -> AsyncKernelManager:
    """A kernel manager whose kernel is ``python -m ipykernel_launcher`` (a kernelspec
    written under ``kernels``, so no installed kernelspec can be picked instead)."""
    spec_dir = kernels / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({python})",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def kernel_env() -> dict[str, str]:
    """This process' environment without Anthropic credentials."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def execute(path: Path, python: Path, kernels: Path, timeout: float = 90) -> Executed:
    """Execute notebook ``path`` (cells in order, stopping at the first error)."""
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        km=kernel_manager(python, kernels),
        timeout=int(timeout),
        startup_timeout=60,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.monotonic()
    client.execute(env=kernel_env())
    return Executed(nb, time.monotonic() - started)


def widget_outputs(nb: Any) -> list[tuple[int, dict[str, Any]]]:
    """``(cell index, output)`` for every output that displays a widget."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if WIDGET_MIME in output.get("data", {}):
                found.append((index, output))
    return found


def text_of(nb: Any) -> str:
    """Everything the cells printed (stdout streams and text/plain results)."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            elif "text/plain" in output.get("data", {}):
                parts.append(output["data"]["text/plain"])
    return "".join(parts)
