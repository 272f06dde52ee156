"""What got in a new user's way at the terminal: dates in words, defaults that fit the data,
per cent, plurals, help that reads, and the nearest name for a typo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.cli import _COMMANDS, main
from offender_journey.cli.views import last_followed_quarter
from offender_journey.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path) -> str:
    """Two offenders whose data ends on 30 December 2016; one record retracted."""
    a = JourneyBuilder("O-0001")
    a.profile("2012-12-01", "1990-05-01")
    arrest = a.arrest("2013-01-10")
    charge = a.charge("2013-01-11", "burglary_domestic", arrest=arrest)
    a.convict("2013-03-01", charge)
    a.sentence("2013-03-01", charge, disposal="community_order")
    wrong = a.arrest("2014-02-01")
    a.retract(wrong, "entered twice")
    b = JourneyBuilder("O-0002")
    b.arrest("2016-12-30")
    path = tmp_path / "j.db"
    with SQLiteStore(path) as s:
        s.append([*a.events, *b.events])
    return str(path)


def test_the_headline_says_dates_and_as_of_in_words_and_why_fewer_events_count(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", "--store", store, "--as-of", "2030-01-01"]) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert first == "2 offenders, 6 events in effect; all dates, as of 1 January 2030 (end of day)"
    assert second.startswith("(8 stored: the other 2 are retractions, the records they retract")
    assert main(["metrics", "--store", store, "--from", "2013-01-01", "--to", "2013-12-31"]) == 0
    assert "dates 1 January 2013 to 31 December 2013, as of now" in capsys.readouterr().out


def test_risk_and_iom_default_to_the_datas_end_and_say_so(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["risk", "O-0001", "--store", store]) == 0
    out = capsys.readouterr().out
    assert out.startswith("On 30 December 2016, the data's end (the latest event date)")
    assert "O-0001 on 2016-12-30: 1 previous conviction, 0 previous cautions" in out
    assert main(["iom", "--store", store]) == 0
    assert "Selection on 30 December 2016, the data's end" in capsys.readouterr().out
    assert main(["iom", "--store", store, "--on", "2014-01-01"]) == 0
    assert "the data's end" not in capsys.readouterr().out


def test_reoffending_without_a_period_takes_the_last_quarter_with_full_follow_up(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reoffending", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "dates 1 April 2015 to 30 June 2015" in out.splitlines()[0]
    assert (
        "Cohort period 1 April 2015 to 30 June 2015: the last quarter with 18 months' "
        "follow-up by the data's end (30 December 2016, the latest event date)"
    ) in out


@pytest.mark.parametrize(
    ("end", "quarter"),
    [
        ("2016-12-31", ("2015-04-01", "2015-06-30")),
        ("2016-12-29", ("2015-01-01", "2015-03-31")),
        ("2016-03-31", ("2014-07-01", "2014-09-30")),
    ],
)
def test_the_last_followed_quarter_ends_18_months_or_more_before_the_end(
    end: str, quarter: tuple[str, str]
) -> None:
    import datetime as dt

    first, last = last_followed_quarter(dt.date.fromisoformat(end))
    assert (first.isoformat(), last.isoformat()) == quarter


def test_one_is_singular_in_quality_and_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.jsonl").write_text(
        '{"type":"arrest","event_id":"e1","offender_id":"O1","date":"2014-01-01","arrest_id":"a"}\n'
    )
    assert main(["ingest", "one.jsonl"]) == 0
    assert "facts of 1 offender refreshed" in capsys.readouterr().err
    assert main(["quality"]) == 0
    assert capsys.readouterr().out.startswith("1 offender, 1 event in effect;")


def test_help_never_shows_a_doubled_percent_sign(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("cost", "iom", "warrants", "reoffending"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "%%" not in capsys.readouterr().out, command


def test_the_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"^offender-journey ([a-z-]+)", readme, re.MULTILINE))
    assert set(_COMMANDS) <= listed


def test_what_the_main_job_writes_is_ignored_by_git() -> None:
    main_job = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("\n```", 1)[0]
    written = re.search(r"synth (\S+) .*--truth (\S+)", main_job)
    assert written is not None
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert f"{written.group(1)}/" in ignored  # the agencies' extracts
    assert written.group(2) in ignored


def test_a_typo_in_a_command_names_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrcs"]) == 2
    assert "unknown command 'metrcs' (did you mean metrics?)" in capsys.readouterr().err


def test_an_unknown_id_names_the_nearest_ids_and_the_offenders_command(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("timeline", "risk"):
        assert main([command, "O-001", "--store", store]) == 2
        err = capsys.readouterr().err
        assert "no events for offender 'O-001'" in err
        assert "did you mean O-0001 or O-0002?" in err
        assert "offenders --prefix" in err


def test_risk_shows_words_in_text_and_codes_in_json(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    assert main(["risk", "O-0001", "--store", store, "--on", "2013-06-01"]) == 0
    text = capsys.readouterr().out
    assert "Offence group          domestic burglary" in text
    assert "_" not in text.split("from these inputs:", 1)[1]
    assert main(["risk", "O-0001", "--store", store, "--on", "2013-06-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ogrs3"]["inputs"]["offence_group"] == (
        "domestic_burglary"
    )


def test_what_ogrs3_lacks_is_said_in_words(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "O-0002", "--store", store]) == 0
    assert "OGRS3: cannot be computed, missing date of birth" in capsys.readouterr().out


def test_one_charge_and_one_offender_are_singular_everywhere(tmp_path: Path) -> None:
    from offender_journey.io.export import export
    from offender_journey.views.conversion import Conversion

    assert str(Conversion(charges=1, convicted=1)).startswith("1 of 1 charge convicted")
    j = JourneyBuilder("O1")
    j.arrest("2014-01-01")
    with SQLiteStore(tmp_path / "one.db") as s:
        s.append(j.events)
        assert str(export(s, tmp_path / "out")).startswith("1 offender, 1 event and ")


def test_iom_with_an_as_of_selects_on_the_as_of_day(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    assert main(["iom", "--store", store, "--as-of", "2014-06-30", "--json"]) == 0
    as_of = json.loads(capsys.readouterr().out)
    argv = ["iom", "--store", store, "--as-of", "2014-06-30", "--on", "2014-06-30", "--json"]
    assert main(argv) == 0
    assert as_of == json.loads(capsys.readouterr().out)
    assert main(["iom", "--store", store, "--as-of", "2014-06-30"]) == 0
    assert "the data's end" not in capsys.readouterr().out
