"""A release that installs: the sdist and wheel a user gets, checked the way an index would.

``python -m build`` makes both (the wheel from the sdist, so the sdist is complete);
``twine check --strict`` and ``check-wheel-contents`` pass; the wheel alone, installed into
a fresh virtual environment with no extras and run from a temporary folder (no checkout
on ``sys.path``), replays a gallery stream into a view and writes ``export_html``. The
version is written once (``streamscope.__version__``), and the CHANGELOG's newest section,
the wheel's metadata and the README's Binder badge agree with it and with the repository
URL in ``pyproject.toml``. Building needs the package index (setuptools for the build,
the dependencies for the fresh environment), as ``tests/test_binder.py`` does.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

import streamscope

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TIMEOUT = 600


def run(command: list[str], cwd: Path, timeout: float = TIMEOUT) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    return out


def only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_version_is_written_once() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc|\.dev)\d+)?", streamscope.__version__)
    assert "version" in project()["dynamic"] and "version" not in project()
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    # the newest versioned section (an "[Unreleased]" section above it is allowed)
    versions = re.findall(r"^## \[([^\]]+)\]", changelog, re.MULTILINE)
    newest = [v for v in versions if v.lower() != "unreleased"]
    assert newest and newest[0] == streamscope.__version__, versions


def test_the_repository_url_is_written_once() -> None:
    repository = project()["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", repository)
    assert match, repository
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    binder = re.findall(r"https://mybinder\.org/v2/gh/([\w.-]+)/([\w.-]+)/", readme)
    assert binder == [(match[1], match[2])]
    assert "OWNER" not in readme
    for url in project()["urls"].values():
        assert url.startswith(repository), url


def test_the_index_page_has_what_it_needs() -> None:
    meta = project()
    assert {"Repository", "Documentation", "Changelog", "Issues"} <= set(meta["urls"])
    assert len(meta["keywords"]) >= 5
    classifiers = set(meta["classifiers"])
    assert "Framework :: Jupyter" in classifiers and "Typing :: Typed" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert "Programming Language :: Python :: 3.11" in classifiers


def test_twine_and_check_wheel_contents_pass(dist: Path) -> None:
    wheel = only(dist, "*.whl")
    sdist = only(dist, "*.tar.gz")
    assert wheel.name == f"streamscope-{streamscope.__version__}-py3-none-any.whl"
    run([str(BIN / "twine"), "check", "--strict", str(wheel), str(sdist)], cwd=dist)
    run([str(BIN / "check-wheel-contents"), str(wheel)], cwd=dist)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(
            f"streamscope-{streamscope.__version__}.dist-info/METADATA"
        ).decode()
    assert {"streamscope/__init__.py", "streamscope/py.typed"} <= names
    assert "streamscope/core/io/recordings/index.json" in names
    assert "streamscope/widgets/static/surface.js" in names
    assert not any(n.startswith(("tests/", "docs/", "package/", "core/")) for n in names)
    assert f"Version: {streamscope.__version__}" in metadata
    assert "Project-URL: Repository, " in metadata


def test_the_wheel_alone_installs_and_replays(dist: Path, tmp_path: Path) -> None:
    wheel = only(dist, "*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path

        import streamscope
        from streamscope.core import gallery, replay_events
        from streamscope.widgets import StreamView

        checkout = {str(ROOT)!r}
        assert not any(p and Path(p).resolve() == Path(checkout) for p in sys.path), sys.path
        assert not streamscope.__file__.startswith(checkout), streamscope.__file__
        view = StreamView()
        view.consume(replay_events(gallery.path("parallel_tools"), speed=None))
        page = view.export_html("parallel_tools.html").read_text(encoding="utf-8")
        assert "find_hotels" in page and "ss-final" in page, page[:500]
        print("version", streamscope.__version__, "from", streamscope.__file__)
        """
    )
    out = run([str(python), "-I", "-c", script], cwd=work, timeout=120)
    assert f"version {streamscope.__version__} from {venv}" in out
    assert (work / "parallel_tools.html").stat().st_size > 10_000
