"""`rules`: a partnership shows and sets how its sources' records of a person agree."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.persons import Rules, read_rules
from offender_journey.store import SQLiteStore, open_store
from offender_journey.synth import write_jsonl


def exit_code(argv: list[str]) -> int:
    """The command's exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "c.jsonl", 2, seed=3)
    assert main(["ingest", "c.jsonl", "--store", "j.db"]) == 0
    return "j.db"


def test_a_new_store_shows_the_default_rules(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["rules", "--store", store]) == 0
    shown = capsys.readouterr().out
    assert "outcome   courts" in shown
    assert "offence date and offence code" in shown
    assert main(["rules", "--store", store, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fingerprint"] == Rules().fingerprint


def test_rules_set_are_stored_for_every_command_and_can_be_reset(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "rules",
                "--store",
                store,
                "--precedence",
                "outcome=police,courts",
                "--precedence",
                "custody=probation prison",
                "--matching-of",
                "courts=reference",
            ]
        )
        == 0
    )
    expected = Rules(
        {"outcome": ("police", "courts"), "custody": ("probation", "prison")},
        matching_by_source={"courts": "reference"},
    )
    with SQLiteStore(store) as opened:
        assert read_rules(opened) == expected
    # A later change keeps what was set before.
    assert main(["rules", "--store", store, "--matching", "reference"]) == 0
    capsys.readouterr()
    assert main(["rules", "--store", store, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["precedence"]["outcome"] == ["police", "courts"]
    assert shown["matching"] == "reference"
    assert shown["fingerprint"] != expected.fingerprint
    assert main(["rules", "--store", store, "--defaults"]) == 0
    with SQLiteStore(store) as opened:
        assert read_rules(opened) == Rules()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--precedence", "outcomes=courts"], "precedence: unknown kind of fact 'outcomes'"),
        (["--precedence", "outcome=Courts"], "precedence.outcome: 'Courts' is not a source name"),
        (["--precedence", "outcome=courts,courts"], "precedence.outcome: 'courts' is named twice"),
        (["--matching-of", "courts=fuzzy"], "matching_by_source.courts: 'fuzzy' is not a"),
        (["--precedence", "outcome"], "--precedence takes NAME=VALUE, not 'outcome'"),
        (["--matching", "fuzzy"], "invalid choice: 'fuzzy'"),
    ],
)
def test_bad_rules_are_refused_naming_the_field_and_nothing_is_stored(
    store: str, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert exit_code(["rules", "--store", store, *arguments]) == 2
    assert message in capsys.readouterr().err
    with SQLiteStore(store) as opened:
        assert read_rules(opened) == Rules()


def test_a_postgresql_store_keeps_its_rules_for_every_command(postgres_url: str) -> None:
    open_store(postgres_url).close()  # the tables, as a first ingest makes them
    assert main(["rules", "--store", postgres_url, "--precedence", "outcome=police"]) == 0
    with open_store(postgres_url, create=False) as store:
        assert read_rules(store) == Rules({"outcome": ["police"]})


def test_a_role_that_may_not_change_the_rules_is_told_so(
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The follower reads the rules (it derives persons by them) but may not set them."""
    open_store(postgres_url).close()
    assert main(["pg-roles", "--store", postgres_url]) == 0
    analyst = postgres_login(postgres_url, "follower")
    capsys.readouterr()
    assert exit_code(["rules", "--store", analyst, "--precedence", "outcome=police"]) == 2
    assert "this role may not change the rules" in capsys.readouterr().err
    with open_store(postgres_url, create=False) as store:
        assert read_rules(store) == Rules()


def test_only_the_owner_sets_the_rules_though_the_writer_keeps_its_notes(
    postgres_url: str,
    postgres_login: Callable[[str, str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The writer may write the store's notes (an unfinished import) but not the rules."""
    import psycopg

    from offender_journey.persons import RULES_KEY
    from offender_journey.store.postgres import OWNER_NOTES

    assert RULES_KEY in OWNER_NOTES
    open_store(postgres_url).close()
    assert main(["pg-roles", "--store", postgres_url]) == 0
    clerk = postgres_login(postgres_url, "writer")
    capsys.readouterr()
    assert exit_code(["rules", "--store", clerk, "--precedence", "outcome=police"]) == 2
    assert "this role may not change the rules" in capsys.readouterr().err
    with (
        psycopg.connect(clerk, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("INSERT INTO store_notes VALUES (%s, '{}')", (RULES_KEY,))
    with open_store(clerk, create=False) as store:
        store.set_meta("unfinished_import", "cohort.jsonl")
        assert store.meta("unfinished_import") == "cohort.jsonl"
    assert main(["rules", "--store", postgres_url, "--precedence", "outcome=police"]) == 0
    with open_store(clerk, create=False) as store:
        assert read_rules(store) == Rules({"outcome": ["police"]})
