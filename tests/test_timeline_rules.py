"""SPEC 3.3 and the identity rule of SPEC 2, as the timeline and the quality report apply them."""

import datetime as dt

import attrs

from offender_journey.builder import JourneyBuilder
from offender_journey.folds.episodes import EpisodeKind
from offender_journey.history import ALL_TIME, History, Window
from offender_journey.offender import quality
from offender_journey.timeline import build_timeline

AS_OF = dt.datetime(2020, 1, 1, 9, tzinfo=dt.UTC)
LATER = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)


def history(j: JourneyBuilder) -> History:
    return History.build(j.offender_id, j.events, AS_OF)


def custody(j: JourneyBuilder) -> list[tuple[str, str]]:
    t = build_timeline(history(j))
    t.check()
    return [(str(e.start), str(e.end)) for e in t.episodes.of_kind(EpisodeKind.IN_CUSTODY)]


def test_convictions_of_unknown_or_retracted_charges_count_nowhere() -> None:
    j = JourneyBuilder("O1")
    known = j.charge("2013-01-10", "shoplifting")
    j.convict("2013-03-01", known)
    gone = j.charge("2013-01-11", "robbery")
    j.convict("2013-03-02", gone)
    j.retract(gone)
    ghost = attrs.evolve(known, charge_id="never-charged")  # not appended: unknown charge
    j.convict("2013-03-03", ghost)
    summary = build_timeline(history(j), Window(dt.date(2013, 1, 1))).summary
    assert summary.within.convictions == 1
    assert summary.before.convictions == 0
    assert summary.within.conversion.convicted == 1


def test_custody_after_a_return_ends_at_the_licence_end_when_release_comes_later() -> None:
    j = JourneyBuilder("O1")
    prison = j.sentence("2013-02-01", disposal="immediate_custody", length_days=365)
    licence = j.release("2013-08-01", prison, licence_end="2014-02-01")
    j.recall("2013-10-01", licence)
    j.return_to_custody("2013-10-05", licence)
    j.release("2014-05-01", prison, licence_end="2014-08-01")  # after the licence ended
    assert custody(j)[1] == ("2013-10-05", "2014-02-01")


def test_custody_after_a_return_ends_at_the_next_release_when_it_comes_first() -> None:
    j = JourneyBuilder("O1")
    prison = j.sentence("2013-02-01", disposal="immediate_custody", length_days=365)
    licence = j.release("2013-08-01", prison, licence_end="2014-02-01")
    j.return_to_custody("2013-10-05", licence)
    j.release("2013-12-01", prison, licence_end="2014-02-01")
    assert custody(j)[1] == ("2013-10-05", "2013-12-01")


def test_a_resent_hearing_counts_once_as_its_latest_record() -> None:
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    hearing = j.hearing("2013-02-01", "case-typo", c)
    corrected = attrs.evolve(
        hearing, event_id="fix", date=dt.date(2013, 2, 2), case_id="case1", recorded_at=LATER
    )
    j.extend([corrected])
    t = build_timeline(history(j), ALL_TIME)
    assert t.summary.within.court_appearances == 1
    assert t.summary.within.court_cases == 1
    assert quality(history(j)).counts == {"resent_id": 1}


def test_a_resent_sentence_is_one_sentencing_occasion_on_its_latest_date() -> None:
    j = JourneyBuilder("O1")
    c = j.charge("2013-01-10", "shoplifting")
    j.convict("2013-02-01", c)
    sentence = j.sentence("2013-02-01", c)
    j.extend([attrs.evolve(sentence, event_id="fix", date=dt.date(2013, 3, 1), recorded_at=LATER)])
    t = build_timeline(history(j), Window(dt.date(2013, 2, 15)))
    assert t.summary.before.sentencing_occasions == 0  # the superseded date counts nowhere
    assert t.summary.within.sentencing_occasions == 1


def test_resent_arrests_and_cautions_are_listed_by_the_quality_report() -> None:
    j = JourneyBuilder("O1")
    arrest = j.arrest("2013-01-10")
    caution = j.caution("2013-01-11", "shoplifting")
    j.extend(
        [
            attrs.evolve(arrest, event_id="a-fix", recorded_at=LATER),
            attrs.evolve(caution, event_id="k-fix", recorded_at=LATER),
        ]
    )
    report = quality(history(j))
    assert report.counts == {"resent_id": 2}
    assert report.examples["resent_id"] == ("a-fix", "k-fix")
    assert build_timeline(history(j)).summary.within.cautions == 1
