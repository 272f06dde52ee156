"""One person's facts from several agencies: each fact once, and whose account counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.events import (
    ChargeDisposed,
    Conviction,
    Disposal,
    Event,
    ReleasedOnLicence,
    Sentence,
)
from offender_journey.history import History
from offender_journey.offender import quality
from offender_journey.persons import (
    DEFAULT_PRECEDENCE,
    KINDS_OF_FACT,
    RULES_KEY,
    Rules,
    RulesError,
    read_rules,
    write_rules,
)
from offender_journey.store.memory import InMemoryStore
from offender_journey.store.sqlite import SQLiteStore

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def told_by(source: str, offender_id: str, events: list[Event], **changes: Any) -> list[Event]:
    """The same events as another source holds them: its own person id and event ids."""
    return [
        attrs.evolve(
            e, source=source, offender_id=offender_id, event_id=f"{source}-{e.event_id}", **changes
        )
        for e in events
    ]


def person(records: dict[str, list[Event]], rules: Rules | None = None) -> History:
    return History.of_records("P1", records, now=NOW, rules=rules)


# --- the rules ------------------------------------------------------------------------


def test_default_rules_name_the_agency_that_knows_each_kind_of_fact() -> None:
    rules = Rules()
    assert set(rules.precedence) == set(KINDS_OF_FACT) == set(DEFAULT_PRECEDENCE)
    assert rules.precedence["outcome"][0] == "courts"
    assert rules.precedence["sentence"][0] == "courts"
    assert {rules.precedence[k][0] for k in ("arrest", "charge", "bail")} == {"police"}
    assert rules.precedence["licence"][0] == "probation"
    assert rules.precedence["custody"][0] == "prison"
    assert rules.matching == "offence"


def test_a_source_not_named_ranks_after_those_named() -> None:
    rules = Rules({"outcome": ["courts", "police"]})
    assert [rules.rank("outcome", s) for s in ("courts", "police", "probation", None)] == [
        0,
        1,
        2,
        2,
    ]


def test_rules_round_trip_through_json_and_equal_rules_share_a_fingerprint() -> None:
    rules = Rules({"custody": ["probation", "prison"]}, "reference", {"courts": "offence"})
    again = Rules.from_json(json.loads(json.dumps(rules.to_json())))
    assert again == rules
    assert again.fingerprint == rules.fingerprint
    assert rules.fingerprint != Rules().fingerprint
    assert Rules.from_json({}) == Rules()


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"precedence": {"outcomes": ["courts"]}}, "precedence"),
        ({"precedence": {"outcome": ["Courts"]}}, "precedence.outcome"),
        ({"precedence": {"outcome": ["courts", "courts"]}}, "precedence.outcome"),
        ({"precedence": {"outcome": "courts"}}, "precedence.outcome"),
        ({"matching": "fuzzy"}, "matching"),
        ({"matching_by_source": {"police": "exact"}}, "matching_by_source.police"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(value: dict[str, Any], field: str) -> None:
    with pytest.raises(RulesError) as caught:
        Rules.from_json(value)
    assert caught.value.problems[0].field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_a_store_without_rules_reads_the_defaults_and_keeps_the_rules_it_is_given(
    tmp_path: Path,
) -> None:
    rules = Rules({"outcome": ["police"]})
    memory = InMemoryStore()
    assert read_rules(memory) == Rules()
    write_rules(memory, rules)
    assert read_rules(memory) == rules
    path = tmp_path / "store.db"
    with SQLiteStore(path) as store:
        assert read_rules(store) == Rules()
        write_rules(store, rules)
    with SQLiteStore(path) as store:
        assert read_rules(store) == rules
        write_rules(store, None)
        assert read_rules(store) == Rules()
        store.set_meta(RULES_KEY, "{not json")
        with pytest.raises(RulesError, match="rules: the stored rules are not JSON"):
            read_rules(store)


# --- the same fact once -----------------------------------------------------------------


def test_a_charge_and_its_conviction_reported_by_two_sources_count_once() -> None:
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting")
    police.convict("2019-03-01", charge)
    courts = told_by("courts", "D9", police.events)
    history = person({"police:P1": police.events, "courts:D9": courts})
    assert list(history.charges) == [charge.charge_id]
    assert [e.source for e in history.of_type(Conviction)] == ["courts"]
    assert [e.source for e in history.events] == ["police", "courts"]
    assert len(history.set_aside) == 2
    assert history.conflicts == ()


def test_introducing_events_reported_twice_are_one_thing() -> None:
    courts = JourneyBuilder("D9", source="courts")
    custody = courts.sentence("2019-03-01", disposal="immediate_custody", length_days=200)
    prison = JourneyBuilder("A1234BC", source="prison")
    prison.extend(told_by("prison", "A1234BC", [custody]))
    release = prison.release("2019-06-01", custody, "2019-12-01")
    probation = told_by("probation", "X123456", [custody, release])
    history = person(
        {"courts:D9": courts.events, "prison:A1": prison.events, "probation:X1": probation}
    )
    assert [s.source for s in history.sentences] == ["courts"]
    assert [e.source for e in history.of_type(ReleasedOnLicence)] == ["prison"]
    assert history.conflicts == ()


def test_a_charge_under_another_reference_is_the_same_charge_by_offence_date_and_code() -> None:
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    courts = JourneyBuilder("D9", source="courts")
    theirs = courts.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    courts.convict("2019-03-01", theirs)
    courts.sentence("2019-03-01", theirs)
    history = person({"police:P1": police.events, "courts:D9": courts.events})
    assert list(history.charges) == [charge.charge_id]
    assert list(history.convictions) == [charge.charge_id]
    assert history.sentences[0].charge_ids == (charge.charge_id,)
    assert history.matched == (("courts", theirs.charge_id, charge.charge_id),)
    # Matched by reference only, they are two charges.
    apart = person(
        {"police:P1": police.events, "courts:D9": courts.events},
        Rules(matching_by_source={"courts": "reference"}),
    )
    assert list(apart.charges) == [charge.charge_id, theirs.charge_id]
    assert apart.matched == ()


def test_offence_matching_pairs_charges_one_to_one_in_order() -> None:
    police = JourneyBuilder("P1", source="police")
    first = police.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    second = police.charge("2019-02-02", "shoplifting", offence_date="2019-01-01")
    courts = JourneyBuilder("D9", source="courts")
    a = courts.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    b = courts.charge("2019-02-02", "shoplifting", offence_date="2019-01-01")
    c = courts.charge("2019-02-03", "shoplifting", offence_date="2019-01-01")
    history = person({"police:P1": police.events, "courts:D9": courts.events})
    assert set(history.matched) == {
        ("courts", a.charge_id, first.charge_id),
        ("courts", b.charge_id, second.charge_id),
    }
    assert list(history.charges) == [first.charge_id, second.charge_id, c.charge_id]


def test_one_source_is_never_merged_across_its_own_charges() -> None:
    police = JourneyBuilder("P1", source="police")
    police.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    police.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    other = JourneyBuilder("P2", source="police")
    other.charge("2019-01-02", "shoplifting", offence_date="2019-01-01")
    history = person({"police:P1": police.events, "police:P2": other.events})
    assert len(history.charges) == 3
    assert history.matched == history.set_aside == history.conflicts == ()


# --- conflicts and precedence -------------------------------------------------------------


def test_a_conflicting_outcome_goes_to_the_courts_and_is_recorded() -> None:
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting")
    withdrawn = police.dispose("2019-02-01", charge, "withdrawn")
    courts = JourneyBuilder("D9", source="courts")
    convicted = courts.convict("2019-03-01", charge, recorded_at="2019-03-01T12:00:00+00:00")
    history = person({"police:P1": police.events, "courts:D9": courts.events})
    assert history.outcomes[charge.charge_id] == convicted
    (conflict,) = history.conflicts
    assert (conflict.kind, conflict.fact, conflict.thing_id) == (
        "outcome",
        "outcome",
        charge.charge_id,
    )
    assert conflict.winner == "courts"
    assert conflict.kept == (convicted,)
    assert conflict.overruled == (withdrawn,)
    assert conflict.sources == ("courts", "police")
    # A partnership that believes the police.
    police_first = person(
        {"police:P1": police.events, "courts:D9": courts.events},
        Rules({"outcome": ["police", "courts"]}),
    )
    assert police_first.outcomes[charge.charge_id] == withdrawn
    assert police_first.conflicts[0].winner == "police"


def test_two_release_dates_for_one_licence_go_to_the_prison() -> None:
    courts = JourneyBuilder("D9", source="courts")
    custody = courts.sentence("2019-03-01", disposal="immediate_custody", length_days=200)
    prison = JourneyBuilder("A1", source="prison")
    release = prison.release("2019-06-01", custody, "2019-12-01")
    probation = told_by("probation", "X1", [release], date=dt.date(2019, 6, 3))
    history = person(
        {"courts:D9": courts.events, "prison:A1": prison.events, "probation:X1": probation}
    )
    assert history.of_type(ReleasedOnLicence) == [release]
    (conflict,) = history.conflicts
    assert (conflict.kind, conflict.winner, conflict.thing_id) == (
        "custody",
        "prison",
        release.licence_id,
    )
    assert [e.date for e in conflict.overruled] == [dt.date(2019, 6, 3)]


def test_a_sentence_with_two_disposals_goes_to_the_courts() -> None:
    courts = JourneyBuilder("D9", source="courts")
    sentence = courts.sentence("2019-03-01", disposal="community_order", length_days=365)
    probation = told_by("probation", "X1", [sentence], disposal=Disposal.SUSPENDED_SENTENCE)
    history = person({"probation:X1": probation, "courts:D9": courts.events})
    assert history.sentences == [sentence]
    assert history.of_type(Sentence) == [sentence]
    assert history.conflicts[0].kind == "sentence"
    assert history.conflicts[0].overruled == tuple(probation)


def test_sources_no_rule_names_are_ranked_by_their_latest_record() -> None:
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting")
    early = JourneyBuilder("Y1", source="youth_court")
    early.dispose("2019-02-01", charge, "dismissed", recorded_at="2019-02-01T12:00:00+00:00")
    late = JourneyBuilder("M1", source="magistrates")
    final = late.dispose("2019-02-01", charge, "withdrawn", recorded_at="2019-02-05T12:00:00+00:00")
    history = person({"police:P1": police.events, "youth:Y1": early.events, "m:M1": late.events})
    assert history.outcomes[charge.charge_id] == final
    assert history.conflicts[0].winner == "magistrates"


def test_within_one_source_the_usual_rules_hold() -> None:
    courts = JourneyBuilder("D9", source="courts")
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting")
    courts.dispose("2019-02-01", charge, "dismissed")
    convicted = courts.convict("2019-03-01", charge)
    police.dispose("2019-03-01", charge, "withdrawn")
    history = person({"police:P1": police.events, "courts:D9": courts.events})
    # The courts rank first for outcomes; among their two, the final one counts.
    assert history.outcomes[charge.charge_id] == convicted
    assert len(history.of_type(ChargeDisposed)) == 1
    assert history.conflicts[0].kept[-1] == convicted


def test_one_record_is_its_own_history_whatever_the_rules() -> None:
    courts = JourneyBuilder("D9", source="courts")
    charge = courts.charge("2019-01-02", "shoplifting")
    courts.convict("2019-03-01", charge)
    rules = Rules({"outcome": ["police"]}, "reference")
    alone = person({"courts:D9": courts.events}, rules)
    built = History.build("courts:D9", courts.events, now=NOW)
    assert attrs.evolve(alone, offender_id="courts:D9").events == built.events
    assert alone.in_transaction_order == built.in_transaction_order
    assert alone.conflicts == alone.set_aside == ()


def test_the_quality_report_lists_each_conflict_by_source_and_event_id() -> None:
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting")
    withdrawn = police.dispose("2019-02-01", charge, "withdrawn")
    courts = JourneyBuilder("D9", source="courts")
    convicted = courts.convict("2019-03-01", charge)
    sentence = courts.sentence("2019-03-01", charge, disposal="community_order", length_days=90)
    probation = told_by("probation", "X1", [sentence], length_days=120)
    history = person(
        {"police:P1": police.events, "courts:D9": courts.events, "probation:X1": probation}
    )
    report = quality(history)
    assert report.counts == {"conflicting_outcome": 1, "conflicting_sentence": 1}
    assert report.examples == {
        "conflicting_outcome": (f"courts:{convicted.event_id}>police:{withdrawn.event_id}",),
        "conflicting_sentence": (f"courts:{sentence.event_id}>probation:{probation[0].event_id}",),
    }
    assert "disagree about a charge's outcome" in str(report)


def every_fact() -> list[Event]:
    """One event of every kind a precedence decides, in one journey."""
    j = JourneyBuilder("X")
    arrest = j.arrest("2019-01-01")
    charge = j.charge("2019-01-02", "shoplifting", arrest=arrest)
    bail = j.bail("2019-01-02", charge)
    j.end_bail("2019-01-20", bail)
    j.caution("2019-01-03", "drugs_possession")
    j.hearing("2019-01-20", "case1", charge)
    j.convict("2019-01-20", charge)
    remand = j.remand("2019-01-04", charge)
    j.end_remand("2019-01-10", remand)
    custody = j.sentence("2019-01-20", charge, disposal="immediate_custody", length_days=100)
    licence = j.release("2019-03-01", custody, "2019-06-01")
    j.recall("2019-04-01", licence)
    j.return_to_custody("2019-04-02", licence)
    j.end_licence("2019-06-01", licence)
    warrant = j.warrant("2019-05-01")
    j.execute_warrant("2019-05-02", warrant)
    j.withdraw_warrant("2019-05-03", warrant)
    return j.events


KIND_OF = {
    "arrest": "arrest",
    "charge": "charge",
    "bail_granted": "bail",
    "bail_ended": "bail",
    "caution": "caution",
    "court_appearance": "hearing",
    "conviction": "outcome",
    "remanded_in_custody": "custody",
    "remand_ended": "custody",
    "sentence": "sentence",
    "released_on_licence": "custody",
    "licence_recalled": "licence",
    "returned_to_custody": "custody",
    "licence_ended": "licence",
    "warrant_issued": "warrant",
    "warrant_executed": "warrant",
    "warrant_withdrawn": "warrant",
}


@pytest.mark.parametrize("event", every_fact(), ids=lambda e: e.TYPE)
def test_each_kind_of_fact_goes_to_its_default_source(event: Event) -> None:
    kind = KIND_OF[event.TYPE]
    first = DEFAULT_PRECEDENCE[kind][0]
    mine = told_by(first, "A1", [event])
    # An agency no rule names, telling it a day later: it ranks after the named ones.
    other = told_by("youth_team", "Y1", [event], date=event.date + dt.timedelta(days=1))
    history = person({"youth_team:Y1": other, f"{first}:A1": mine})
    assert history.events == tuple(mine)
    (conflict,) = history.conflicts
    assert (conflict.kind, conflict.winner, conflict.overruled) == (kind, first, tuple(other))
    # Told alike, it is one fact and no conflict.
    alike = told_by("youth_team", "Y1", [event])
    history = person({"youth_team:Y1": alike, f"{first}:A1": mine})
    assert history.events == tuple(mine)
    assert history.conflicts == ()


def test_a_retraction_of_another_sources_event_id_is_of_an_unknown_event() -> None:
    police = JourneyBuilder("P1", source="police")
    charge = police.charge("2019-01-02", "shoplifting")
    courts = JourneyBuilder("D9", source="courts")
    courts.convict("2019-03-01", charge)
    stray = courts.retract(charge, "keyed in error")  # the police's event id, in the courts
    history = person({"police:P1": police.events, "courts:D9": courts.events})
    assert list(history.charges) == [charge.charge_id]
    assert quality(history).examples == {"retraction_unknown_target": (stray.event_id,)}


def test_a_field_one_source_leaves_empty_is_no_conflict() -> None:
    police = JourneyBuilder("P1", source="police")
    arrest = police.arrest("2019-01-01")
    charge = police.charge("2019-01-02", "shoplifting", arrest=arrest, case_id="K1")
    courts = told_by("courts", "D9", [charge], arrest_id=None)
    history = person({"police:P1": police.events, "courts:D9": courts})
    assert history.charges[charge.charge_id] == charge
    assert history.conflicts == ()
    # A field both give, differently, is.
    courts = told_by("courts", "D9", [charge], arrest_id=None, case_id="K2")
    assert person({"police:P1": police.events, "courts:D9": courts}).conflicts[0].kind == "charge"
