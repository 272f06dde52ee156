"""The code stays typed (mypy --strict on src/) and lint-clean (ruff), checked with the tests."""

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
