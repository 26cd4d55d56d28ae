"""The real-world corpora beside the repository (../shared/realmail, realfiles, forms): one way to reach them.

    path = shared_dir("realmail")              # in a test: skips (or fails under CI=true) when absent
    @pytest.mark.shared("realmail")            # the same for a whole test, checked before it runs
    @pytest.mark.parametrize("path", shared_files("realmail", "*.eml"), ...)   # at collection time

Absent locally, such a test is skipped with a reason `pytest -rs` shows, and the session ends with a line
naming the missing corpora. Under `CI=true` an absent corpus fails the test: CI must run them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"
missing: dict[str, int] = {}   # corpus name -> tests that could not run, for the session summary


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def shared_dir(name: str) -> Path:
    """../shared/NAME; skips the calling test when absent (fails it under CI=true)."""
    path = SHARED / name
    if path.is_dir():
        return path
    missing[name] = missing.get(name, 0) + 1
    reason = f"shared corpus absent: {path} (../shared/{name} beside the repository)"
    if in_ci():
        pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
    pytest.skip(reason)


def shared_files(name: str, pattern: str) -> list[Any]:
    """Parameters for a test over the corpus's files; when absent, one parameter that skips (or fails in CI)."""
    path = SHARED / name
    files = sorted(path.glob(pattern)) if path.is_dir() else []
    if files:
        return files
    return [pytest.param(path / pattern, id=f"{name}-absent", marks=pytest.mark.shared(name))]
