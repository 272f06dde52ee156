"""The README and every page in docs/ are tests: their Python blocks run, their commands hold."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
#: ``print(x)  # text``: the comment states what the line prints (``...`` = anything after).
PRINTS = re.compile(r"^([ \t]*)print\((.*)\)[ \t]+#[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _checked(block: str) -> str:
    """The block with every commented ``print`` turned into a check of what it prints."""

    def check(match: re.Match[str]) -> str:
        indent, expression, expected = match.groups()
        if expected.endswith("..."):
            test = f"str({expression}).startswith({expected[:-3].rstrip()!r})"
        else:
            test = f"str({expression}) == {expected!r}"
        return f"{indent}assert {test}, str({expression})"

    return PRINTS.sub(check, block)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(BLOCK.findall(page.read_text()), start=1):
        code = compile(_checked(block), f"{page.name} block {number}", "exec")
        exec(code, namespace)  # our own documentation, never input


def test_commented_prints_are_checked() -> None:
    assert _checked("print(1 + 1)   # 2") == "assert str(1 + 1) == '2', str(1 + 1)"
    namespace: dict[str, object] = {}
    with pytest.raises(AssertionError):
        exec(_checked("print('community_order')  # Disposal.COMMUNITY_ORDER"), namespace)


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)\n```", text, re.MULTILINE | re.DOTALL)


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    test_command = _bash_blocks(readme)[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci
    assert "pytest" in test_command


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    main_job, tests = _bash_blocks(readme)[:2]
    assert "pip install" in main_job
    assert "offender-journey" in main_job
    assert "pip install" in tests
    assert readme.index(main_job) < readme.index("---")
