"""Slow drills (property tests with hundreds of examples, fuzzing) leave the fast loop: `DRILL(test)` marks a test
`integration` and `reliability`, so `pytest -m "not integration"` skips it and the full suite (CI) runs it.
Keep a variant with a few examples beside it in the fast loop."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., object])


def DRILL(test: F) -> F:  # noqa: N802 - reads as a marker
    return pytest.mark.integration(pytest.mark.reliability(test))
