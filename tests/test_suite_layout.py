"""The test suite's own layout: test modules import shared code only from tests/support/ (and get fixtures from
tests/conftest.py); no test module imports another, and tests/ holds no helper module beside the tests."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return names


def test_test_modules_import_only_from_tests_support() -> None:
    wrong = {f"{path.name}: {name}" for path in sorted(TESTS.glob("test_*.py")) for name in _imports(path)
             if name.startswith("tests.") and not name.startswith("tests.support")}
    wrong |= {f"{path.name}: {name}" for path in sorted(TESTS.glob("test_*.py")) for name in _imports(path)
              if name == "tests" or name.startswith("tests.test_")}
    assert not wrong, sorted(wrong)


def test_no_helper_module_lives_beside_the_tests() -> None:
    loose = [p.name for p in TESTS.glob("*.py") if not p.name.startswith("test_")
             and p.name not in {"__init__.py", "conftest.py"}]
    assert loose == [], f"move them to tests/support/: {loose}"
