"""The timeline (SPEC 3.3): episodes, flags and the window summary, hand-worked."""

import datetime as dt

import attrs
from hypothesis import given, settings

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Event
from offender_journey.facts.derive import derive
from offender_journey.folds.episodes import EpisodeKind
from offender_journey.history import ALL_TIME, History, Window
from offender_journey.timeline import Timeline, build_timeline
from offender_journey.views.conversion import Conversion
from strategies import identity_records, journeys

AS_OF = dt.datetime(2020, 1, 1, 9, tzinfo=dt.UTC)
D = dt.date.fromisoformat


def timeline_of(j: JourneyBuilder, window: Window = ALL_TIME) -> Timeline:
    t = build_timeline(History.build(j.offender_id, j.events, AS_OF), window)
    t.check()
    return t


def spans(t: Timeline, kind: EpisodeKind) -> list[tuple[str, str, bool]]:
    return [(str(e.start), str(e.end), e.open) for e in t.episodes.of_kind(kind)]


def flags(t: Timeline) -> list[tuple[str, str]]:
    return [(f.offence_id, f.kind.value) for f in t.flags]


def test_bail_remand_and_warrant_episodes_are_half_open_and_open_ones_run_to_as_of():
    j = JourneyBuilder("O1")
    bail = j.bail("2013-01-10")
    j.end_bail("2013-02-10", bail)
    j.bail("2014-01-01")  # never ended
    remand = j.remand("2013-03-01")
    j.end_remand("2013-03-15", remand)
    warrant = j.warrant("2013-04-01")
    j.withdraw_warrant("2013-04-20", warrant)
    t = timeline_of(j)
    assert spans(t, EpisodeKind.ON_BAIL) == [
        ("2013-01-10", "2013-02-10", False),
        ("2014-01-01", "2020-01-02", True),  # through the as_of day
    ]
    assert spans(t, EpisodeKind.REMANDED) == [("2013-03-01", "2013-03-15", False)]
    assert spans(t, EpisodeKind.WARRANT_OUTSTANDING) == [("2013-04-01", "2013-04-20", False)]
    assert [e.ref for e in t.covering(D("2013-02-09"))] == [bail.bail_id]
    assert t.covering(D("2013-02-10")) == []


def test_custody_licence_recall_and_return():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-01", "burglary_domestic")
    j.convict("2013-02-01", c)
    prison = j.sentence("2013-02-01", c, disposal="immediate_custody", length_days=365)
    licence = j.release("2013-08-01", prison, licence_end="2014-02-01")
    j.recall("2013-10-01", licence)
    j.return_to_custody("2013-10-05", licence)
    second = j.release("2013-12-01", prison, licence_end="2014-02-01")
    j.end_licence("2014-01-15", second)
    t = timeline_of(j)
    assert spans(t, EpisodeKind.IN_CUSTODY) == [
        ("2013-02-01", "2013-08-01", False),  # sentence → first release
        ("2013-10-05", "2013-12-01", False),  # return → next release
    ]
    assert spans(t, EpisodeKind.ON_LICENCE) == [
        ("2013-08-01", "2013-10-01", False),  # → recall
        ("2013-12-01", "2014-01-15", False),  # → licence_ended (before licence_end)
    ]


def test_licence_runs_to_licence_end_and_return_without_release_to_licence_end():
    j = JourneyBuilder("O1")
    prison = j.sentence("2013-02-01", disposal="immediate_custody", length_days=100)
    licence = j.release("2013-03-01", prison, licence_end="2013-06-01")
    j.end_licence("2013-07-01", licence)  # after licence_end: licence_end is earlier
    j.return_to_custody("2013-05-01", licence)
    t = timeline_of(j)
    assert spans(t, EpisodeKind.ON_LICENCE) == [("2013-03-01", "2013-06-01", False)]
    assert spans(t, EpisodeKind.IN_CUSTODY)[1] == ("2013-05-01", "2013-06-01", False)


def test_orders_run_for_their_length():
    j = JourneyBuilder("O1")
    j.sentence("2013-01-01", disposal="suspended_sentence", length_days=365)
    j.sentence("2014-01-01", disposal="community_order", length_days=0)
    j.sentence("2015-01-01", disposal="community_order")  # no length: open
    t = timeline_of(j)
    assert spans(t, EpisodeKind.SUSPENDED_SENTENCE) == [("2013-01-01", "2014-01-01", False)]
    assert spans(t, EpisodeKind.COMMUNITY_ORDER) == [
        ("2014-01-01", "2014-01-01", False),
        ("2015-01-01", "2020-01-02", True),
    ]


def test_offences_on_bail_are_flagged_except_under_their_own_bail():
    j = JourneyBuilder("O1")
    first = j.charge("2013-01-10", "shoplifting", offence_date="2013-01-09")
    bail = j.bail("2013-01-10", first)
    # Committed while on bail for `first`: flagged.
    second = j.charge("2013-02-01", "shoplifting", offence_date="2013-01-20")
    # A charge the bail lists, committed in the bail period (re-sent bail covers
    # its own charge): not flagged by that bail.
    third = j.charge("2013-02-02", "shoplifting", offence_date="2013-01-25")
    own = j.bail("2013-01-12", third)
    j.end_bail("2013-03-01", bail)
    j.end_bail("2013-03-01", own)
    t = timeline_of(j)
    assert flags(t) == [(second.charge_id, "on_bail"), (third.charge_id, "on_bail")]
    assert next(f for f in t.flags if f.offence_id == third.charge_id).episode_ref == bail.bail_id


def test_self_bail_alone_does_not_flag():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-20", "shoplifting", offence_date="2013-01-15")
    bail = j.bail("2013-01-10", c)  # bail listing the charge, covering its offence date
    j.end_bail("2013-03-01", bail)
    assert timeline_of(j).flags == ()


def test_flags_for_licence_orders_and_cautions_with_half_open_ends():
    j = JourneyBuilder("O1")
    j.sentence("2013-01-01", disposal="suspended_sentence", length_days=100)  # to 2013-04-11
    j.sentence("2013-01-01", disposal="community_order", length_days=50)
    prison = j.sentence("2012-01-01", disposal="immediate_custody", length_days=100)
    j.release("2012-06-01", prison, licence_end="2012-12-01")
    on_start = j.charge("2013-02-01", "theft_other", offence_date="2013-01-01")
    on_end = j.charge("2013-05-01", "theft_other", offence_date="2013-04-11")
    licence_offence = j.caution("2012-07-02", "drugs_possession", offence_date="2012-07-01")
    in_custody = j.charge("2012-03-01", "drugs_supply", offence_date="2012-02-01")
    t = timeline_of(j)
    assert flags(t) == [
        (licence_offence.caution_id, "on_licence"),
        (on_start.charge_id, "suspended_sentence"),
        (on_start.charge_id, "community_order"),
    ]
    assert on_end.charge_id not in {f.offence_id for f in t.flags}
    assert in_custody.charge_id not in {f.offence_id for f in t.flags}


def test_window_summary_before_and_within():
    j = JourneyBuilder("O1")
    a = j.arrest("2011-05-01")
    old = j.charge("2011-05-01", "shoplifting", arrest=a, case_id="K1")
    j.bail("2011-05-01", old)
    j.hearing("2011-06-01", "K1", old)
    j.hearing("2012-02-01", "K1", old, outcome="concluded")
    j.convict("2012-02-01", old)
    j.sentence("2012-02-01", old)
    new = j.charge("2013-01-01", "shoplifting", case_id="K2")
    j.hearing("2013-02-01", "K2", new)
    j.hearing("2013-03-01", "K2", new)
    j.dispose("2013-03-01", new)
    j.charge("2013-04-01", "shoplifting")
    j.caution("2013-05-01", "drugs_possession")
    j.arrest("2016-01-01")  # after the window: not counted
    t = timeline_of(j, Window(D("2012-01-01"), D("2015-12-31")))
    before, within = t.summary.before, t.summary.within
    assert (before.arrests, before.charges, before.bail_grants) == (1, 1, 1)
    assert (before.court_cases, before.court_appearances) == (1, 1)
    assert (before.convictions, before.sentencing_occasions) == (0, 0)
    assert before.conversion == Conversion(1, 1, 0, 0)  # convicted after the window start
    assert (within.arrests, within.charges, within.bail_grants) == (0, 2, 0)
    assert (within.court_cases, within.court_appearances) == (2, 3)
    assert (within.convictions, within.cautions, within.sentencing_occasions) == (1, 1, 1)
    assert within.conversion == Conversion(2, 0, 1, 1)
    assert all(t.window.contains(e.date) for e in t.events)
    assert len(t.events) == 9


def test_end_before_start_gives_an_empty_episode():
    j = JourneyBuilder("O1")
    bail = j.bail("2013-05-01")
    j.end_bail("2013-04-01", bail)
    c = j.charge("2013-06-01", "shoplifting", offence_date="2013-05-10")
    t = timeline_of(j)
    assert spans(t, EpisodeKind.ON_BAIL) == [("2013-05-01", "2013-05-01", False)]
    assert c.charge_id not in {f.offence_id for f in t.flags}


def test_json_and_text():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    bail = j.bail("2013-01-10", c)
    later = j.charge("2013-02-10", "burglary_domestic")
    j.end_bail("2013-03-01", bail)
    t = timeline_of(j)
    out = t.to_json()
    assert set(out) == {"offender_id", "window", "as_of", "events", "episodes", "flags", "summary"}
    assert out["events"][0]["type"] == "charge"
    assert out["episodes"] == [
        {
            "kind": "on_bail",
            "start": "2013-01-10",
            "end": "2013-03-01",
            "open": False,
            "ref": bail.bail_id,
            "start_event_id": bail.event_id,
            "end_event_id": j.events[-1].event_id,
            "charge_ids": [c.charge_id],
        }
    ]
    assert out["flags"][0]["offence_id"] == later.charge_id
    assert out["summary"]["within"]["conversion"]["charges"] == 2
    text = str(t)
    assert "Timeline of O1" in text
    assert "flagged offences by kind: on bail 1" in text
    assert "bail grants" in text


@settings(max_examples=150, deadline=None)
@given(journeys())
def test_invariants_and_cover_look_ups_hold_for_any_journey(events):
    t = build_timeline(History.build("O1", events, AS_OF), Window(D("2010-01-01"), None))
    t.check()
    every = list(t.episodes)
    for day in {e.date for e in events}:
        expected = sorted((e.kind, e.start, e.ref) for e in every if e.covers(day))
        assert sorted((e.kind, e.start, e.ref) for e in t.covering(day)) == expected


def test_command_line_timeline(tmp_path, capsys):
    import json

    from offender_journey.cli import main
    from offender_journey.codec import Codec

    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    j.bail("2013-01-10", c)
    j.charge("2013-02-10", "burglary_domestic")
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(Codec().encode_line(e) + "\n" for e in j.events))
    db = str(tmp_path / "journeys.db")
    assert main(["ingest", str(lines), "--store", db]) == 0
    capsys.readouterr()
    assert main(["timeline", "O1", "--store", db, "--json", "--from", "2013-01-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["kind"] for f in out["flags"]] == ["on_bail"]
    assert out["summary"]["within"]["charges"] == 2
    assert main(["timeline", "O1", "--store", db, "--to", "2013-12-31"]) == 0
    assert "Timeline of O1" in capsys.readouterr().out
    assert main(["timeline", "nobody", "--store", db]) == 2


@settings(max_examples=30, deadline=None)
@given(journeys(), identity_records())
def test_identity_records_are_listed_and_change_no_view(
    events: list[Event], people: list[Event]
) -> None:
    """An identity record is no offence and no episode: only the events list shows it."""
    mixed = sorted([*events, *people], key=lambda e: e.recorded_at or AS_OF)
    alone = build_timeline(History.build("O1", events, AS_OF), ALL_TIME)
    both = build_timeline(History.build("O1", mixed, AS_OF), ALL_TIME)
    both.check()
    assert both.summary == alone.summary
    assert all(both.episodes.of_kind(k) == alone.episodes.of_kind(k) for k in EpisodeKind)
    assert both.flags == alone.flags
    assert [e for e in both.events if e.TYPE != "person_recorded"] == list(alone.events)
    assert {e.event_id for e in both.events if e.TYPE == "person_recorded"} == {
        e.event_id for e in people
    }
    # In the fact tables it is one more event of the record, and its invalid identifiers
    # are data-quality issues; nothing else.
    with_people = derive(History.build("O1", mixed, AS_OF))
    without = derive(History.build("O1", events, AS_OF))
    counted = {"offenders", "effective_events", "quality_issues"}
    for table in (f.name for f in attrs.fields(type(without)) if f.name not in counted):
        assert getattr(with_people, table) == getattr(without, table)
    issues = [r for r in with_people.quality_issues if not r.code.startswith("invalid_")]
    assert [r._replace(seq=0) for r in issues] == [
        r._replace(seq=0) for r in without.quality_issues
    ]
    (row,), (plain,) = with_people.offenders, without.offenders
    assert row._replace(events=plain.events, latest_recorded_at=None) == plain._replace(
        latest_recorded_at=None
    )
