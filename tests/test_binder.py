"""binder/: what a Binder launch builds, checked the way repo2docker would build it.

repo2docker reads only ``binder/`` when it exists: ``runtime.txt`` picks the Python,
``pip install -r binder/requirements.txt`` runs from the repository root, then
``binder/postBuild`` (which installs streamscope itself). The slow test does the same in a
fresh virtual environment, on a copy of the repository, and runs the quickstart in it. It
needs the package index (pip's cache makes it quick); it skips when pip cannot reach it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import skip_or_fail
from notebook_run import ROOT, SECRET_VARIABLES, execute, text_of, widget_outputs
from packaging.requirements import Requirement

BINDER = ROOT / "binder"
QUICKSTART = Path("examples") / "01_quickstart.ipynb"
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "node_modules",
)


def runtime_version() -> tuple[int, int]:
    text = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", text)
    assert match, f"runtime.txt should read python-X.Y, not {text!r}"
    return int(match[1]), int(match[2])


def binder_requirements() -> dict[str, Requirement]:
    out = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            out[requirement.name.lower()] = requirement
    return out


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]  # type: ignore[no-any-return]


def test_runtime_is_a_supported_python() -> None:
    version = runtime_version()
    requires = project()["requires-python"]
    minimum = re.fullmatch(r">=\s*(\d+)\.(\d+)", requires)
    assert minimum, requires
    assert version >= (int(minimum[1]), int(minimum[2]))


def test_requirements_cover_the_project_dependencies() -> None:
    """postBuild installs streamscope with --no-deps: its dependencies must all be here, with
    the same lower bounds, plus JupyterLab and a kernel."""
    binder = binder_requirements()
    for spec in project()["dependencies"]:
        needed = Requirement(spec)
        assert needed.name.lower() in binder, f"{needed.name} is missing from binder/"
        assert binder[needed.name.lower()].specifier == needed.specifier, needed.name
    assert {"jupyterlab", "ipykernel"} <= set(binder)


def test_requirements_open_the_paired_text_notebooks() -> None:
    """The examples are jupytext pairs: Binder opens their .py files as notebooks with
    jupytext, at the version the lab extra asks for."""
    lab = {
        Requirement(spec).name.lower(): Requirement(spec)
        for spec in project()["optional-dependencies"]["lab"]
    }
    binder = binder_requirements()
    assert "jupytext" in binder and binder["jupytext"].specifier == lab["jupytext"].specifier


def test_post_build_installs_this_checkout() -> None:
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "postBuild must be executable"
    text = post_build.read_text(encoding="utf-8")
    assert text.startswith("#!")
    assert re.search(r"pip install --no-deps \.\s", text)
    assert "01_quickstart.ipynb" in text


def _python_for(version: tuple[int, int]) -> str | None:
    if sys.version_info[:2] == version:
        base = str(getattr(sys, "_base_executable", ""))
        if base and Path(base).exists():
            return base
    return shutil.which(f"python{version[0]}.{version[1]}")


# pip's words for "the package index cannot be reached" (then skip: no network, no test)
OFFLINE = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No route to host",
    "Could not fetch URL",
)


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    if result.returncode != 0 and any(marker in result.stderr for marker in OFFLINE):
        skip_or_fail(f"the package index is not reachable: {args[-3:]}")
    assert result.returncode == 0, f"{args} failed:\n{output}"
    return result.stdout


@pytest.mark.notebooks
def test_binder_environment_runs_the_quickstart(tmp_path: Path) -> None:
    version = runtime_version()
    python = _python_for(version)
    if python is None:
        skip_or_fail(f"no Python {version[0]}.{version[1]} here (binder/runtime.txt)")

    repo = tmp_path / "repo"  # what Binder clones: the sources, no build products
    shutil.copytree(ROOT, repo, ignore=COPY_IGNORE, symlinks=True)
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SECRET_VARIABLES and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_PREFER_BINARY="1",
    )

    _run([python, "-m", "venv", str(venv)], tmp_path, env)
    venv_python = bin_dir / "python"
    assert _run([str(venv_python), "-c", "import sys; print(sys.version_info[:2])"], tmp_path, env)
    _run([str(venv_python), "-m", "pip", "install", "-r", "binder/requirements.txt"], repo, env)
    _run([str(repo / "binder" / "postBuild")], repo, env)

    # streamscope is installed (not read from the checkout), with its gallery.
    where = _run(
        [
            str(venv_python),
            "-c",
            "import streamscope.core.io.gallery as g, streamscope.widgets as w; "
            "print(g.path('parallel_tools')); print(w.__file__)",
        ],
        tmp_path,
        env,
    )
    for line in where.split():
        assert Path(line).is_relative_to(venv), line
    # JupyterLab can render the widgets: both front-end extensions are in the environment.
    labextensions = venv / "share" / "jupyter" / "labextensions"
    assert (labextensions / "anywidget" / "package.json").exists()
    assert (labextensions / "@jupyter-widgets" / "jupyterlab-manager" / "package.json").exists()
    config = venv / "etc" / "jupyter" / "jupyter_server_config.d" / "streamscope.json"
    assert "01_quickstart.ipynb" in config.read_text(encoding="utf-8")

    run = execute(repo / QUICKSTART, venv_python, tmp_path / "kernels", timeout=90)
    assert run.seconds < 90
    assert widget_outputs(run.notebook) == []  # finished views are their pictures
    assert any(
        'class="ss-static' in output.get("data", {}).get("text/html", "")
        for cell in run.notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "stop reason: tool_use" in text_of(run.notebook)
