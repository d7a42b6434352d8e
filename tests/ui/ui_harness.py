"""Harness for the browser tests: a JupyterLab server, Debian's Chromium, notebooks run in it.

``JupyterServer`` starts ``.venv/bin/jupyter lab`` on 127.0.0.1 with a random token and a
temporary root; ``launch_chromium`` starts ``/usr/bin/chromium`` through Playwright (never
``playwright install``); ``NotebookSession`` writes a notebook into the root, opens it in
JupyterLab 4 (``/lab/tree/...``) or Notebook 7 (``/notebooks/...``), runs every cell with
``window.jupyterapp.commands.execute('notebook:run-all-cells')`` and shuts the kernel down
with ``sessionContext.shutdown()`` (closing a running notebook would ask for confirmation).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 180.0
"""Seconds to wait for /api/status (2 shared cores: a cold start can take a while)."""
UI_TIMEOUT_MS = 120_000
"""Playwright timeout for page loads, kernels and outputs."""

UI = Literal["lab", "notebook"]

_APP_READY = """
(path) => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  if (!w || !w.sessionContext || !w.context || !w.context.isReady) return false;
  if (w.context.path !== path) return false;
  const session = w.sessionContext.session;
  const kernel = session && session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected'
    && ['idle', 'busy'].includes(kernel.status);
}
"""
_RUN_ALL = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
_SHUTDOWN = """
async () => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (w && w.sessionContext) { await w.sessionContext.shutdown(); }
}
"""
_KERNEL_IDLE = """
() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def jupyter_executable() -> Path:
    """``jupyter`` of the repo's .venv (or beside the running Python)."""
    for candidate in (REPO / ".venv" / "bin" / "jupyter", Path(sys.executable).parent / "jupyter"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("no jupyter executable in .venv/bin (run scripts/setup-env test)")


@dataclass
class JupyterServer:
    """A running ``jupyter lab`` on 127.0.0.1; ``url(path)`` adds the token."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{sep}token={self.token}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""


@contextmanager
def run_jupyter_lab(workdir: Path) -> Iterator[JupyterServer]:
    """Start JupyterLab serving ``workdir/root``; stop it on exit."""
    root = workdir / "root"
    root.mkdir(parents=True, exist_ok=True)
    config_dir = workdir / "config"
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    # No news pop-up: the announcements plugin would ask on first start.
    (config_dir / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    token = secrets.token_hex(16)
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
        # the kernels' own IPython profile: no test cell lands in the user's history (which
        # JupyterLab sends back to the page), none of theirs in the test
        "IPYTHONDIR": str(workdir / "ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ANTHROPIC_API_KEY", None)
    command = [
        str(jupyter_executable()),
        "lab",
        "--no-browser",
        "--allow-root",
        f"--ServerApp.token={token}",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
    ]
    log_path = workdir / "jupyter.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = JupyterServer(root, port, token, process, log_path)
    try:
        _wait_for_status(server)
        yield server
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate a server; kill it if it has not ended within 20 s."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_for_status(server: JupyterServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({server.process.returncode}):\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url("api/status"), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer /api/status ({last_error}):\n{server.log()}")


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium; scripts/test does it as root)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not executable"
    return None


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright's own protocol driver."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def notebook(cells: Sequence[str]) -> Any:
    """A Python 3 notebook of code cells."""
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]  # type: ignore[no-untyped-call]
    return nb


@dataclass
class NotebookSession:
    """Runs notebooks in one browser page against one server."""

    server: JupyterServer
    page: Any
    dialogs: list[str] = field(default_factory=list)

    def open(self, name: str, cells: Sequence[str], *, ui: UI = "lab") -> None:
        """Write ``name`` into the server root, open it, wait for its kernel."""
        path = self.server.root / name
        nbformat.write(notebook(cells), str(path))  # type: ignore[no-untyped-call]
        # ?reset: a fresh workspace, so no tab from an earlier test is restored and current.
        route = f"lab/tree/{name}?reset" if ui == "lab" else f"notebooks/{name}"
        self.page.goto(self.server.url(route), wait_until="domcontentloaded")
        self.page.wait_for_function(_APP_READY, arg=name, timeout=UI_TIMEOUT_MS)

    def run_all(self) -> None:
        """Start running every cell; does not wait (the command resolves when cells end)."""
        self.page.evaluate(_RUN_ALL)

    def wait_idle(self) -> None:
        """Wait until no cell is queued or running and the kernel is idle."""
        self.page.wait_for_function(
            """() => {
              const w = window.jupyterapp.shell.currentWidget;
              const prompts = w.node.querySelectorAll('.jp-InputArea-prompt');
              return [...prompts].every(p => !/\\[\\*\\]/.test(p.textContent || ''));
            }""",
            timeout=UI_TIMEOUT_MS,
        )
        self.page.wait_for_function(_KERNEL_IDLE, timeout=UI_TIMEOUT_MS)

    def run(self, name: str, cells: Sequence[str], *, ui: UI = "lab", wait_for: str) -> Any:
        """Open, run all cells, wait for ``wait_for`` in the page; returns its locator."""
        self.open(name, cells, ui=ui)
        self.run_all()
        locator = self.page.locator(wait_for).first
        locator.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
        return locator

    def close(self) -> None:
        """Shut the kernel down so closing the page asks nothing."""
        with contextlib.suppress(Exception):  # the page may be gone already: nothing to do
            self.page.evaluate(_SHUTDOWN)

    def outputs_text(self) -> str:
        """All cell outputs' visible text, one output per line."""
        texts: list[str] = self.page.locator(".jp-OutputArea-output").all_inner_texts()
        return "\n".join(texts)


# ----------------------------------------------------------------------------- live twins

TWIN_CELL = """
from IPython.display import display

def live_twin(view):
    \"\"\"Show the view again as a bare widget: it stays live when the view's own output
    becomes the static picture.\"\"\"
    data, metadata = view._widget_bundle()
    widget = {k: v for k, v in data.items() if k.startswith("application/vnd.jupyter.widget")}
    display(widget, raw=True, metadata=metadata)
"""
"""Defines ``live_twin(view)`` in the kernel: a cell that shows a view and its live twin has
both pictures once the view is final, which :func:`static_and_twin` compares."""

# Lazy regions (raw JSON, the wire inspector, the request code) are opened in the twin first
# (it loads them on demand); <details> open state, the link attributes JupyterLab's HTML
# renderer may rewrite, and what JupyterLab adds to headings, are left out of the comparison,
# and so are Copy buttons: they need no kernel, so a live widget keeps them once its stream
# is over, and the static picture (no script) has none.
_OPEN_TWIN = """
(cell) => {
  const live = cell.querySelector('.ss-mount > .ss-view');
  for (const d of live.querySelectorAll('details')) d.open = true;
  return live.querySelectorAll('[data-ss-lazy]').length;
}
"""
_TWIN_LOADED = """
(cell) => {
  const live = cell.querySelector('.ss-mount > .ss-view');
  const stat = cell.querySelector('.ss-static > .ss-view');
  const text = (el) => {
    const copy = el.cloneNode(true);
    for (const b of copy.querySelectorAll('[data-ss-copy]')) b.remove();
    return copy.textContent;
  };
  const want = [...stat.querySelectorAll('[data-ss-lazy]')].map(text);
  const have = [...live.querySelectorAll('[data-ss-lazy]')].map(text);
  return JSON.stringify(want) === JSON.stringify(have);
}
"""
_BOTH = """
(cell) => {
  const norm = (el) => {
    const copy = el.cloneNode(true);
    for (const d of copy.querySelectorAll('details')) d.removeAttribute('open');
    for (const b of copy.querySelectorAll('[data-ss-copy]')) b.remove();
    for (const a of copy.querySelectorAll('[href]')) {
      for (const name of ['href', 'target', 'rel']) a.removeAttribute(name);
    }
    // what JupyterLab adds to headings in outputs (anchors, table-of-contents numbers)
    for (const a of copy.querySelectorAll('.jp-InternalAnchorLink, .numbering-entry')) {
      a.remove();
    }
    for (const h of copy.querySelectorAll('h1, h2, h3, h4, h5, h6')) h.removeAttribute('id');
    return copy.outerHTML;
  };
  return [
    norm(cell.querySelector('.ss-static > .ss-view')),
    norm(cell.querySelector('.ss-mount > .ss-view')),
  ];
}
"""


def static_and_twin(page: Any, cell: Any) -> tuple[int, str, str]:
    """Open every ``<details>`` of ``cell``'s live twin, wait until its lazy regions hold
    what the static picture holds, and return how many lazy regions the twin has and both
    pictures as comparable HTML (static first)."""
    handle = cell.element_handle()
    lazy: int = handle.evaluate(_OPEN_TWIN)
    page.wait_for_function(_TWIN_LOADED, arg=handle)
    static, live = handle.evaluate(_BOTH)
    return lazy, static, live


def assert_same_html(static: str, live: str) -> None:
    """``static == live``, saying briefly where they first differ."""
    if static != live:
        k = next(
            (i for i, (a, b) in enumerate(zip(static, live, strict=False)) if a != b),
            min(len(static), len(live)),
        )
        where = slice(max(0, k - 200), k + 200)
        raise AssertionError(
            f"static and live differ at {k}:\nstatic: {static[where]}\nlive:   {live[where]}"
        )
