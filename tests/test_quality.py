"""The data-quality report: every stored-but-untrusted fact, counted by kind."""

import datetime as dt
import itertools

import attrs

from offender_journey.builder import JourneyBuilder
from offender_journey.history import ALL_TIME, History, Window
from offender_journey.offender import quality
from offender_journey.views.quality import Quality


def report(j: JourneyBuilder, window: Window = ALL_TIME) -> Quality:
    return quality(History.build(j.offender_id, j.events), window)


def test_a_clean_journey_has_no_oddities():
    j = JourneyBuilder("O1")
    a = j.arrest("2013-01-02")
    c = j.charge("2013-01-03", "shoplifting", arrest=a, offence_date="2013-01-01")
    bail = j.bail("2013-01-03", c)
    j.end_bail("2013-02-01", bail)
    j.convict("2013-02-01", c)
    j.sentence("2013-02-01", c)
    assert report(j) == Quality()
    assert report(j).total == 0
    assert str(report(j)) == "No data-quality issues found."


def test_outcome_oddities():
    j = JourneyBuilder("O1")
    a = j.arrest("2013-03-01")
    c = j.charge("2013-03-02", "shoplifting", arrest=a, offence_date="2013-03-10")
    early = j.convict("2013-02-01", c)  # before charge and before arrest
    final = j.convict("2013-04-01", c)
    ghost = JourneyBuilder("elsewhere").charge("2013-01-01", "theft_other")
    unknown = j.dispose("2013-04-01", ghost)
    counts = report(j).counts
    assert counts == {
        "conviction_before_charge": 1,
        "conviction_before_arrest": 1,
        "duplicate_outcomes": 1,
        "outcome_unknown_charge": 1,
        "offence_after_arrest": 1,
        "offence_after_charge": 1,
    }
    examples = report(j).examples
    assert examples["conviction_before_charge"] == (early.event_id,)
    assert examples["duplicate_outcomes"] == (final.event_id,)
    assert examples["outcome_unknown_charge"] == (unknown.event_id,)


def test_episode_oddities():
    j = JourneyBuilder("O1")
    stranger = JourneyBuilder("elsewhere")
    j.end_bail("2013-01-01", stranger.bail("2012-01-01"))
    j.end_remand("2013-01-01", stranger.remand("2012-01-01"))
    j.execute_warrant("2013-01-01", stranger.warrant("2012-01-01"))
    foreign = stranger.release("2012-01-01", stranger.sentence("2011-01-01"), "2013-01-01")
    j.recall("2013-01-01", foreign)
    j.return_to_custody("2013-01-02", foreign)
    bail = j.bail("2013-05-01")
    j.end_bail("2013-04-01", bail)
    fine = j.sentence("2013-06-01", disposal="fine")
    j.release("2013-07-01", fine, licence_end="2013-06-01")
    j.sentence("2013-08-01", disposal="community_order")
    counts = report(j).counts
    assert counts == {
        "bail_ended_without_grant": 1,
        "remand_ended_without_remand": 1,
        "warrant_closed_without_issue": 1,
        "licence_event_without_release": 2,
        "episode_ends_before_start": 2,
        "release_without_custodial_sentence": 1,
        "order_without_length": 1,
        # The return to custody above is never ended: the order is made in prison.
        "order_while_in_prison": 1,
    }


def test_resent_ids_sentence_oddities_and_unknown_retractions():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-01", "shoplifting")
    j.extend([attrs.evolve(c, event_id="again")])
    bail = j.bail("2013-01-01")
    j.extend([attrs.evolve(bail, event_id="bail-again")])
    pending = j.charge("2013-01-01", "shoplifting")
    ghost = JourneyBuilder("elsewhere").charge("2013-01-01", "theft_other")
    j.sentence("2013-03-01", pending, ghost)
    j.retract(ghost)  # not in this stream
    counts = report(j).counts
    assert counts == {
        "resent_charge_id": 1,
        "resent_id": 1,
        "sentence_charge_not_convicted": 1,
        "sentence_unknown_charge": 1,
        "retraction_unknown_target": 1,
    }


def test_negative_durations_match_what_occasions_leave_out():
    j = JourneyBuilder("O1")
    a = j.arrest("2013-01-10")
    c = j.charge("2013-01-10", "shoplifting", arrest=a, offence_date="2013-01-12")
    j.convict("2013-01-05", c)
    j.sentence("2014-02-01", c)
    counts = report(j).counts
    assert counts["negative_arrest_to_conviction"] == 1
    assert counts["negative_offence_to_arrest"] == 1
    assert report(j).examples["negative_offence_to_arrest"] == (c.event_id,)
    # Windowed: counted on the occasion date, like SPEC 3.2.
    only_2013 = report(j, Window(dt.date(2013, 1, 1), dt.date(2013, 12, 31))).counts
    assert "negative_arrest_to_conviction" not in only_2013
    assert only_2013["conviction_before_arrest"] == 1


def test_retracted_events_are_not_oddities():
    j = JourneyBuilder("O1")
    c = j.charge("2013-03-02", "shoplifting")
    wrong = j.convict("2013-02-01", c)
    j.retract(wrong)
    assert report(j) == Quality()


def test_reports_add_in_any_order_keeping_the_smallest_examples():
    parts = [
        Quality({"resent_id": 2}, {"resent_id": ("e5", "e3")}),
        Quality({"resent_id": 4, "unknown_arrest": 1}, {"resent_id": ("e1", "e7", "e8", "e9")}),
        Quality({"unknown_arrest": 1}, {"unknown_arrest": ("e2",)}),
    ]
    totals = set()
    for order in itertools.permutations(parts):
        total = Quality()
        for part in order:
            total = total + part
        totals.add(repr(total))
    assert len(totals) == 1
    total = parts[0] + parts[1] + parts[2]
    assert total.counts == {"resent_id": 6, "unknown_arrest": 2}
    assert total.examples["resent_id"] == ("e1", "e3", "e5", "e7", "e8")
    out = total.to_json()
    assert out["total"] == 8
    assert out["kinds"]["unknown_arrest"]["count"] == 2
    assert "Id sent again" in str(total)


def test_arrests_while_in_custody_or_on_remand_are_reported():
    j = JourneyBuilder("O1")
    a = j.arrest("2013-01-02")
    c = j.charge("2013-01-02", "robbery", arrest=a, offence_date="2013-01-01")
    remand = j.remand("2013-01-02", c)  # arrested, charged and remanded the same day: fine
    inside = j.arrest("2013-01-20")  # while remanded
    j.end_remand("2013-03-01", remand)
    j.convict("2013-03-01", c)
    custody = j.sentence("2013-03-01", c, disposal="immediate_custody", length_days=180)
    j.arrest("2013-03-01")  # the day custody starts: not counted
    in_prison = j.arrest("2013-04-10")
    j.release("2013-05-30", custody, "2013-08-28")
    j.arrest("2013-05-30")  # at the gate on release: not counted
    j.arrest("2013-06-15")  # on licence, at liberty
    found = report(j)
    assert found.counts == {"arrest_while_held": 2}
    assert found.examples["arrest_while_held"] == tuple(
        sorted((inside.event_id, in_prison.event_id))
    )
    assert "custody or on remand" in found.to_json()["kinds"]["arrest_while_held"]["meaning"]
    assert report(j, Window(dt.date(2013, 4, 1), None)).counts == {"arrest_while_held": 1}


def test_an_arrest_during_an_open_remand_counts_up_to_the_as_of_date():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-02", "robbery")
    j.remand("2013-01-02", c)  # never ended
    j.arrest("2013-02-01")
    assert report(j).counts == {"arrest_while_held": 1}


def test_bail_running_through_a_remand_or_prison_term_is_reported():
    j = JourneyBuilder("O1")
    first = j.charge("2013-01-02", "theft_other")
    bail = j.bail("2013-01-02", first)
    second = j.charge("2013-02-01", "robbery")
    remand = j.remand("2013-02-01", second)  # bail on the first case should end today
    j.end_remand("2013-04-01", remand)
    j.end_bail("2013-05-01", bail, "case_concluded")
    ended = JourneyBuilder("O2")
    c1 = ended.charge("2013-01-02", "theft_other")
    b = ended.bail("2013-01-02", c1)
    c2 = ended.charge("2013-02-01", "robbery")
    ended.end_bail("2013-02-01", b, "revoked")  # ends the day the remand starts: the usual course
    ended.remand("2013-02-01", c2)
    found = report(j)
    assert found.counts == {"bail_while_held": 1}
    assert found.examples["bail_while_held"] == (bail.event_id,)
    assert report(ended).counts == {}


def test_a_community_order_made_in_prison_is_reported_one_interrupted_is_not():
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-02", "robbery")
    j.convict("2013-03-01", c)
    j.sentence("2013-03-01", c, disposal="immediate_custody", length_days=180)
    d = j.charge("2013-01-05", "theft_other")
    j.convict("2013-04-02", d)
    order = j.sentence("2013-04-02", d, disposal="community_order", length_days=365)
    found = report(j)
    assert found.counts == {"order_while_in_prison": 1}
    assert found.examples["order_while_in_prison"] == (order.event_id,)
    interrupted = JourneyBuilder("O2")
    c = interrupted.charge("2013-01-02", "theft_other")
    interrupted.convict("2013-02-01", c)
    interrupted.sentence("2013-02-01", c, disposal="community_order", length_days=365)
    d = interrupted.charge("2013-05-01", "robbery")
    interrupted.convict("2013-06-03", d)
    interrupted.sentence("2013-06-03", d, disposal="immediate_custody", length_days=120)
    assert report(interrupted).counts == {}


def test_invalid_identifiers_of_the_current_identity_record_are_listed():
    j = JourneyBuilder("P1", source="police")
    old = j.person("2013-01-01", surname="Smith", nomis_number="A12")  # superseded below
    now = j.person(
        "2013-06-01",
        surname="Smith",
        pnc_id="2002/0073319A",  # the check letter is Z
        cro_number="000000/00Z",  # a placeholder
        crn="X123456",  # valid
        nomis_number="A1234BC",  # valid: the mistake above was corrected
    )
    found = report(j)
    assert found.counts == {"invalid_pnc_id": 1, "invalid_cro_number": 1}
    assert found.examples["invalid_pnc_id"] == (now.event_id,)
    assert old.event_id not in {i for ids in found.examples.values() for i in ids}
    assert "never used to link" in found.to_json()["kinds"]["invalid_pnc_id"]["meaning"]
    valid = JourneyBuilder("P2", source="courts")
    valid.person("2013-01-01", forenames="Ann", pnc_id="02/73319Z", cro_number="SF83/4661E")
    assert report(valid) == Quality()  # any spelling of a valid identifier is no oddity
