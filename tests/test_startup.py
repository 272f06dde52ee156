"""Fast start-up: a command loads only what it needs, so a repeated question stays quick.

Each check runs a fresh interpreter (what a user starts) and looks at the modules it
loaded; timing is left to ``bench/bench_startup.py``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offender_journey.cli import _COMMANDS, build_parser, main
from offender_journey.synth import write_jsonl

SRC = str(Path(__file__).resolve().parents[1] / "src")

#: Never needed to answer ``metrics`` from up-to-date fact tables, nor for ``--help``.
HEAVY = ("cattrs", "pendulum", "pandas", "polars", "pyarrow", "numpy", "dask")

#: Needed only to derive facts, import events, or compute views nobody asked for.
NOT_FOR_METRICS = (
    *HEAVY,
    "concurrent.futures.process",
    "offender_journey.facts.derive",
    "offender_journey.io",
    "offender_journey.envelope",
    "offender_journey.views.cost",
    "offender_journey.views.iom",
    "offender_journey.views.warrants",
    "offender_journey.views.history_bands",
)


def loaded_by(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def run_cli(*argv: str) -> str:
    """Code running the command line as ``offender-journey ARGV`` does, output discarded."""
    return (
        "import contextlib, io\n"
        "from offender_journey.cli import main\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        code = main({list(argv)!r})\n"
        "except SystemExit as exit_:\n"
        "    code = exit_.code\n"
        "assert code == 0, code\n"
    )


def test_importing_the_command_line_loads_no_command_and_no_heavy_library() -> None:
    modules = loaded_by("import offender_journey.cli")
    assert not modules & set(HEAVY)
    assert "offender_journey.events" not in modules
    assert not {f"offender_journey.cli.{entry.module}" for entry in _COMMANDS.values()} & modules


def test_help_lists_every_command_without_importing_any(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for name, entry in _COMMANDS.items():
        assert f"{name} " in listed or f"{name}\n" in listed
        assert entry.help in " ".join(listed.split())
    modules = loaded_by(run_cli("--help"))
    assert not modules & set(HEAVY)
    assert "offender_journey.cli.ingest" not in modules


def test_the_table_names_exactly_the_commands_the_modules_register() -> None:
    full = build_parser()  # every module's register(), as when documenting the grammar
    (commands,) = [a for a in full._actions if a.dest == "command"]
    assert isinstance(commands.choices, dict)
    assert list(commands.choices) == list(_COMMANDS)


def test_each_command_parses_its_own_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("metrics", "restrict", "iom"):
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0
        assert f"usage: offender-journey {name}" in capsys.readouterr().out


def test_metrics_from_up_to_date_tables_loads_only_what_it_counts_with(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "c.jsonl", 30, seed=5)
    store = str(tmp_path / "j.db")
    assert main(["ingest", str(tmp_path / "c.jsonl"), "--store", store]) == 0  # tables made
    modules = loaded_by(run_cli("metrics", "--json", "--store", store))
    assert not modules & set(NOT_FOR_METRICS)
    with_all = loaded_by(run_cli("metrics", "--json", "--all", "--store", store))
    assert "offender_journey.views.cost" in with_all  # loaded once asked for


def test_optional_views_are_listed_but_loaded_on_first_use() -> None:
    code = (
        "from offender_journey.metrics import VIEWS, default_views\n"
        "import sys\n"
        "names = list(VIEWS)\n"
        "assert 'offender_journey.views.cost' not in sys.modules\n"
        "assert names[4:] == ['history_bands', 'iom', 'cost', 'warrants'], names\n"
        "assert default_views() == names[:4]\n"
        "assert VIEWS['cost'].name == 'cost' and not VIEWS['cost'].default\n"
    )
    assert "offender_journey.views.cost" in loaded_by(code)
