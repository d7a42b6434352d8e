"""Where the shared recorded streams live, and how tests reach them (skipping when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO.parent / "shared" / "fixtures" / "recorded"


def recorded_paths() -> list[Path]:
    """Every recorded stream file, or [] when ../shared is not beside the repo."""
    if not RECORDED.is_dir():
        return []
    return sorted(p for p in RECORDED.rglob("*") if p.is_file())


def recorded(name: str) -> Path:
    """One recorded stream by its path under fixtures/recorded; skips if missing."""
    path = RECORDED / name
    if not path.is_file():
        pytest.skip(f"recorded fixture {name} not found (../shared absent)")
    return path


def recorded_params() -> list[object]:
    """Parametrize values for every recorded stream, or one skip marker when absent."""
    paths = recorded_paths()
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/fixtures absent"))]
    return [pytest.param(p, id=str(p.relative_to(RECORDED))) for p in paths]
