"""The code stays typed (mypy --strict on src/) and lint-clean (ruff), checked with the tests."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        pytest.skip(f"{name} is part of the test extra")
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_mypy_strict_on_src() -> None:
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_lint() -> None:
    result = run(tool("ruff"), "check", "src", "tests", "examples", "bench")
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format() -> None:
    result = run(tool("ruff"), "format", "--check", "src", "tests", "examples", "bench")
    assert result.returncode == 0, result.stdout[-4000:]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the package under ``root/src``, with ``root``'s contracts."""
    return subprocess.run(
        [tool("lint-imports"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
    )


def test_imports_run_one_way() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:]


def test_an_import_that_climbs_a_layer_fails(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    store = tmp_path / "src" / "offender_journey" / "store" / "memory.py"
    store.write_text(store.read_text() + "\nfrom ..facts import schema as _climbing\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "offender_journey.store.memory -> offender_journey.facts" in result.stdout
