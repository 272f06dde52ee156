"""Hypothesis strategies for whole, valid journeys (with the oddities real records have).

A journey is written with :class:`JourneyBuilder`, one step at a time, on a clock
that mostly moves forward but sometimes dates an event in the past (out-of-order
lines) or records it late. Every event gets a distinct ``recorded_at``, so
transaction order does not depend on the order of the lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import strategies as st

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Event
from offender_journey.linkage.identifiers import CHECK_LETTERS

CATEGORIES = ["shoplifting", "burglary_domestic", "drugs_possession", "violence_with_injury"]
DISPOSALS = [
    "immediate_custody",
    "suspended_sentence",
    "community_order",
    "fine",
    "conditional_discharge",
]
STEPS = [
    "arrest",
    "charge",
    "charge",
    "summons",
    "bail",
    "end_bail",
    "remand",
    "end_remand",
    "hearing",
    "convict",
    "convict",
    "dispose",
    "sentence",
    "sentence",
    "caution",
    "release",
    "recall",
    "return",
    "end_licence",
    "warrant",
    "end_warrant",
]
#: The steps above, and what risk, IOM and warrant timeliness read besides: a profile
#: (sometimes corrected), supplied risk scores, graded warrants and withdrawals.
RISK_STEPS = [*STEPS, "profile", "risk", "graded_warrant", "withdraw_warrant"]


@st.composite
def journeys(
    draw: st.DrawFn, offender_id: str = "O1", max_steps: int = 30, steps: list[str] = STEPS
) -> list[Event]:
    """One offender's events in stream order, made of ``steps``."""
    j = JourneyBuilder(offender_id)
    day = draw(st.dates(dt.date(2008, 1, 1), dt.date(2012, 1, 1)))
    ticks = 0
    made: dict[str, list[Any]] = {}

    def pick(kind: str) -> Any | None:
        items = made.get(kind)
        return draw(st.sampled_from(items)) if items else None

    for _ in range(draw(st.integers(1, max_steps))):
        day += dt.timedelta(days=draw(st.integers(0, 90)))
        # Sometimes a line about the past arrives: dated up to 60 days back.
        when = day - dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 0, 3, 60])))
        ticks += 1
        late = draw(st.sampled_from([0, 0, 0, 0, 30, 400]))
        recorded = dt.datetime(when.year, when.month, when.day, 12, tzinfo=dt.UTC) + dt.timedelta(
            days=late, seconds=ticks
        )
        step = draw(st.sampled_from(steps))
        kw: dict[str, Any] = {"recorded_at": recorded}
        event: Any = None
        if step == "arrest":
            event = j.arrest(when, **kw)
        elif step in ("charge", "summons"):
            arrest = pick("arrest") if step == "charge" else None
            back = draw(st.sampled_from([0, 1, 10, 100, -5]))
            event = j.charge(
                when,
                draw(st.sampled_from(CATEGORIES)),
                arrest=arrest,
                offence_date=when - dt.timedelta(days=back),
                case_id=f"case{draw(st.integers(0, 3))}",
                **kw,
            )
            made.setdefault("charge", []).append(event)
            continue
        elif step == "bail":
            charges = draw(st.lists(st.sampled_from(made.get("charge", [None])), max_size=2))
            event = j.bail(when, *[c for c in charges if c is not None], **kw)
        elif step == "end_bail" and (bail := pick("bail")) is not None:
            j.end_bail(when, bail, **kw)
        elif step == "remand":
            event = j.remand(when, **kw)
        elif step == "end_remand" and (remand := pick("remand")) is not None:
            j.end_remand(when, remand, **kw)
        elif step == "hearing" and (charge := pick("charge")) is not None:
            j.hearing(when, f"case{draw(st.integers(0, 3))}", charge, **kw)
        elif step == "convict" and (charge := pick("charge")) is not None:
            j.convict(when, charge, **kw)
        elif step == "dispose" and (charge := pick("charge")) is not None:
            j.dispose(when, charge, **kw)
        elif step == "sentence":
            charges = draw(st.lists(st.sampled_from(made.get("charge", [None])), max_size=3))
            disposal = draw(st.sampled_from(DISPOSALS))
            length = draw(st.one_of(st.none(), st.integers(0, 700)))
            event = j.sentence(
                when,
                *[c for c in charges if c is not None],
                disposal=disposal,
                length_days=length,
                **kw,
            )
            if disposal == "immediate_custody":
                made.setdefault("custody", []).append(event)
            continue
        elif step == "caution":
            event = j.caution(
                when,
                draw(st.sampled_from(CATEGORIES)),
                arrest=pick("arrest"),
                offence_date=when - dt.timedelta(days=draw(st.integers(0, 30))),
                **kw,
            )
            continue
        elif step == "release" and (custody := pick("custody")) is not None:
            event = j.release(
                when, custody, when + dt.timedelta(days=draw(st.integers(0, 400))), **kw
            )
            made.setdefault("licence", []).append(event)
            continue
        elif step == "recall" and (licence := pick("licence")) is not None:
            j.recall(when, licence, **kw)
        elif step == "return" and (licence := pick("licence")) is not None:
            j.return_to_custody(when, licence, **kw)
        elif step == "end_licence" and (licence := pick("licence")) is not None:
            j.end_licence(when, licence, **kw)
        elif step == "warrant":
            event = j.warrant(when, **kw)
        elif step == "end_warrant" and (warrant := pick("warrant")) is not None:
            j.execute_warrant(when, warrant, **kw)
        elif step == "profile":
            born = draw(st.dates(dt.date(1950, 1, 1), dt.date(2002, 12, 31)))
            j.profile(when, born, draw(st.sampled_from(["male", "female", "unknown"])), **kw)
        elif step == "risk":
            score = draw(st.floats(0.0, 1.0))
            j.risk(when, score, draw(st.one_of(st.none(), st.floats(0.0, score))), **kw)
        elif step == "graded_warrant":
            kind = draw(st.sampled_from(["failed_to_appear", "breach", "recall", "other"]))
            category = draw(st.sampled_from(["A", "B", "C", None]))
            event = j.warrant(when, kind, category, **kw)
            made.setdefault("warrant", []).append(event)
            continue
        elif step == "withdraw_warrant" and (warrant := pick("warrant")) is not None:
            j.withdraw_warrant(when, warrant, **kw)
        if event is not None:
            made.setdefault(step, []).append(event)
    if not j.events:
        j.arrest(day)
    return j.events


def cohorts(
    max_offenders: int = 4, steps: list[str] = STEPS
) -> st.SearchStrategy[list[tuple[str, list[Event]]]]:
    """Several offenders' ``(offender_id, events)`` pairs, made of ``steps``."""
    return st.integers(1, max_offenders).flatmap(
        lambda n: st.tuples(*[journeys(f"O{i}", 15, steps) for i in range(n)]).map(
            lambda streams: [(s[0].offender_id, s) for s in streams]
        )
    )


FORENAMES = ["John", "Jon", "Mary", "Zoë", "Oluwaseun", "Siobhán"]
SURNAMES = ["Smith", "Smyth", "O'Neill", "Nowak", "Ahmed", "Quintrell"]


@st.composite
def pnc_ids(draw: st.DrawFn) -> str:
    """A PNC ID as sources write it: valid in any of its spellings, or with a wrong letter."""
    year, serial = draw(st.integers(1970, 2024)), draw(st.integers(1, 9_999_999))
    letter = CHECK_LETTERS[((year % 100) * 10**7 + serial) % 23]
    if draw(st.booleans()):
        letter = draw(st.sampled_from(CHECK_LETTERS))  # sometimes the right one all the same
    spelling = draw(st.sampled_from(["{y}/{s:07d}", "{y}{s:07d}", "{yy:02d}/{s}"]))
    return spelling.format(y=year, yy=year % 100, s=serial) + letter


@st.composite
def identity_records(
    draw: st.DrawFn, offender_id: str = "O1", source: str | None = None
) -> list[Event]:
    """A few identity records of one source record, as a source would send them over time."""
    j = JourneyBuilder(offender_id, source=source)
    day = draw(st.dates(dt.date(2008, 1, 1), dt.date(2012, 1, 1)))
    for _ in range(draw(st.integers(1, 3))):
        day += dt.timedelta(days=draw(st.integers(0, 400)))
        name = draw(st.none() | st.sampled_from(SURNAMES))
        j.person(
            day,
            forenames=draw(st.none() | st.sampled_from(FORENAMES)),
            surname=name,
            born=draw(st.none() | st.dates(dt.date(1950, 1, 1), dt.date(2000, 12, 31))),
            sex=draw(st.none() | st.sampled_from(["male", "female", "unknown"])),
            postcode=draw(st.none() | st.sampled_from(["LS6 2QQ", "LS6", "M1 1AE"])),
            pnc_id=draw(pnc_ids()) if name is None else draw(st.none() | pnc_ids()),
            cro_number=draw(st.none() | st.sampled_from(["65656/91H", "000000/00Z"])),
            aliases=draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(FORENAMES), st.none() | st.sampled_from(SURNAMES), st.none()
                    ),
                    max_size=2,
                )
            ),
        )
    # Ids of their own, so they can join any journey of the same offender.
    return [attrs.evolve(e, event_id=f"{e.event_id}-identity") for e in j.events]
