"""Explaining a revision: numbers as of two times, and the events recorded between."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.cli import main
from offender_journey.history import Window
from offender_journey.revisions import revision
from offender_journey.store import InMemoryStore, SQLiteStore

T1 = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2014, 6, 1, tzinfo=dt.UTC)


def _journeys() -> list:
    """O1: a conviction recorded late; O2: a charge retracted after T1; O3: nothing changes."""
    one = JourneyBuilder("O1")
    c = one.charge("2013-05-01", "shoplifting")
    one.convict("2013-06-01", c, recorded_at="2014-02-01T09:00:00+00:00")
    two = JourneyBuilder("O2")
    wrong = two.charge("2013-07-01", "burglary_domestic")
    two.retract(wrong, "entered against the wrong person", recorded_at="2014-03-01T09:00:00+00:00")
    three = JourneyBuilder("O3")
    three.charge("2013-02-01", "fraud")
    later = JourneyBuilder("O4")
    later.charge("2014-02-01", "robbery")  # happened after T1: a new record
    return one.events + two.events + three.events + later.events


def test_the_two_reports_and_what_moved() -> None:
    store = InMemoryStore()
    store.append(_journeys())
    result = revision(
        store, since=T1, as_of=T2, window=Window(dt.date(2013, 1, 1), dt.date(2013, 12, 31))
    )
    assert result.changed("conversion.charges") == (3, 2)
    assert result.changed("conversion.convicted") == (0, 1)
    assert result.changed("conversion.pending") == (3, 1)
    moved = {path for path, _, _ in result.differences()}
    assert {"conversion.charges", "conversion.convicted", "conversion.rate"} <= moved
    # O2's only event was withdrawn and O4 arrived: as many offenders, one more event (the late conviction, the new charge, less the withdrawn one).
    assert result.changed("offenders") == (3, 3)
    assert result.changed("events") == (3, 4)
    kinds = {(r.kind, r.type): r.events for r in result.recorded}
    assert kinds == {("late", "conviction"): 1, ("retraction", "charge"): 1, ("new", "charge"): 1}
    assert result.by_offender == {"O1": 1, "O2": 1, "O4": 1}


def test_nothing_recorded_between_means_nothing_moved() -> None:
    store = InMemoryStore()
    store.append(_journeys())
    same = revision(store, since=T2, as_of=T2 + dt.timedelta(days=30))
    assert same.recorded == ()
    assert same.differences() == []
    assert "No number changed." in str(same)


def test_times_must_be_in_order_and_aware() -> None:
    store = InMemoryStore()
    with pytest.raises(ValueError, match="before since"):
        revision(store, since=T2, as_of=T1)
    with pytest.raises(ValueError, match="UTC offset"):
        revision(store, since=dt.datetime(2014, 1, 1))


def test_changes_command_json(tmp_path, capsys) -> None:
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append(_journeys())
    code = main(
        [
            "changes",
            "--store",
            str(path),
            "--since",
            "2014-01-01",
            "--as-of",
            "2014-06-01T00:00:00+00:00",
            "--from",
            "2013-01-01",
            "--to",
            "2013-12-31",
            "--json",
            "--by-offender",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"since", "as_of", "changes"}
    assert out["since"]["conversion"]["convicted"] == 0
    assert out["as_of"]["conversion"]["convicted"] == 1
    assert out["changes"]["events"] == 3
    assert out["changes"]["by_offender"] == {"O1": 1, "O2": 1, "O4": 1}
    numbers = {n["number"]: (n["since"], n["as_of"]) for n in out["changes"]["numbers"]}
    assert numbers["conversion.convicted"] == (0, 1)


def test_changes_command_text(tmp_path, capsys) -> None:
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append(_journeys())
    assert (
        main(["changes", "--store", str(path), "--since", "2014-01-01", "--as-of", "2014-06-01"])
        == 0
    )
    text = capsys.readouterr().out
    assert "3 events recorded between, for 3 offenders" in text
    assert "late" in text
    assert "retraction" in text
    assert "conversion.convicted" in text


def test_changes_refuses_reversed_times(tmp_path, capsys) -> None:
    path = tmp_path / "j.db"
    with SQLiteStore(path) as store:
        store.append(_journeys())
    assert (
        main(["changes", "--store", str(path), "--since", "2014-06-01", "--as-of", "2014-01-01"])
        == 2
    )
    assert "before since" in capsys.readouterr().err
