"""Synthetic agencies: one population seen by police, courts, probation and prisons.

:mod:`~offender_journey.synth` simulates each offender's journey under one shared
``offender_id``. No partnership has that key: each agency holds its own extract, under
its own person ids, with only what it records, and its own idea of who the person is.
This module splits a synthetic population that way, and keeps the truth beside it:

* **police**: the profile (date of birth and sex, as on the PNC), arrests, charges,
  police bail, cautions, warrants;
* **courts**: hearings, convictions, disposals, sentences, court bail;
* **probation**: community and suspended orders, licences, recalls, risk scores;
* **prison**: remand, custodial sentences, releases, returns to custody.

The references of things (``charge_id``, ``case_id``, ``licence_id`` …) are shared: a
court names the police charge by its reference, as the ASN does. Each agency's person
ids are its own: a police custody record number, a court defendant id, an nDelius CRN
(a letter and six digits), a NOMIS number (``A1234BC``). Each source record carries a
``person_recorded`` identity record with faults at the chosen error level: typing
errors, forenames and surname swapped, a nickname, day and month transposed, a digit of
the date of birth wrong, a missing or mistyped PNC ID, an old postcode, and different
people who share a common name and date of birth. Now and then an agency opens a second
record for someone it already knows.

Everything is deterministic given the seed: person *k* and their records come from
their own random generator, derived from ``(seed, k)``.

Examples:
    >>> population = build(20, seed=3, errors="medium")
    >>> sorted({record.source for record in population.records})
    ['courts', 'police', 'prison', 'probation']
    >>> truth = population.truth()
    >>> len(truth) == len(population.records)
    True
    >>> build(20, seed=3, errors="medium") == population
    True
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from .codec import Codec
from .linkage.identifiers import CHECK_LETTERS, check_letter
from .linkage.names import NICKNAMES
from .synth import Preset, generate

__all__ = [
    "AGENCIES",
    "ERROR_LEVELS",
    "ErrorRates",
    "Identity",
    "Population",
    "SourceRecord",
    "build",
    "split",
    "write_agencies",
]

#: The agencies a population can be split into, in the order their extracts are written.
AGENCIES: Final = ("police", "courts", "probation", "prison")


@attrs.frozen(kw_only=True)
class ErrorRates:
    """How often each fault touches one source record's identity (shares from 0 to 1)."""

    #: A typing error in a name (a letter dropped, doubled, replaced or two swapped).
    typo: float
    #: Forenames recorded as the surname and the surname as the forenames.
    swapped_names: float
    #: A nickname instead of the given first name (Bob for Robert).
    nickname: float
    #: Day and month of the date of birth transposed (when both could be a month).
    dob_transposed: float
    #: One digit of the date of birth wrong.
    dob_digit: float
    #: An old address's postcode instead of the current one.
    old_postcode: float
    #: No postcode at all.
    missing_postcode: float
    #: A PNC ID the agency would normally hold, missing.
    missing_pnc: float
    #: A PNC ID keyed with the wrong check letter (invalid: never used to link).
    bad_pnc: float
    #: The share of people who share a common name and a date of birth with someone else.
    namesakes: float
    #: An agency opens a second record for someone it already holds.
    duplicate_record: float


#: The three error levels ``synth --errors`` offers.
ERROR_LEVELS: Final[Mapping[str, ErrorRates]] = {
    "low": ErrorRates(
        typo=0.02,
        swapped_names=0.005,
        nickname=0.02,
        dob_transposed=0.005,
        dob_digit=0.005,
        old_postcode=0.05,
        missing_postcode=0.02,
        missing_pnc=0.05,
        bad_pnc=0.005,
        namesakes=0.002,
        duplicate_record=0.01,
    ),
    "medium": ErrorRates(
        typo=0.06,
        swapped_names=0.015,
        nickname=0.05,
        dob_transposed=0.015,
        dob_digit=0.015,
        old_postcode=0.15,
        missing_postcode=0.05,
        missing_pnc=0.2,
        bad_pnc=0.01,
        namesakes=0.005,
        duplicate_record=0.03,
    ),
    "high": ErrorRates(
        typo=0.15,
        swapped_names=0.04,
        nickname=0.1,
        dob_transposed=0.04,
        dob_digit=0.04,
        old_postcode=0.3,
        missing_postcode=0.1,
        missing_pnc=0.45,
        bad_pnc=0.03,
        namesakes=0.01,
        duplicate_record=0.06,
    ),
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_MALE = _words(
    "James John Robert Michael William David Richard Joseph Thomas Daniel Matthew "
    "Anthony Mark Paul Steven Andrew Joshua Kevin Brian George Edward Ronald Timothy "
    "Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott "
    "Brandon Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry "
    "Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Noah Ethan Jeremy "
    "Walter Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur "
    "Lawrence Jordan Jesse Bryan Billy Bruce Gabriel Joe Logan Alan Juan Albert Willie "
    "Elijah Wayne Randy Vincent Mason Roy Ralph Bobby Russell Bradley Philip Eugene "
    "Mohammed Ahmed Ali Omar Tariq Kwame Kofi Darren Lee Craig Dean Wayne Liam Connor "
    "Callum Kieran Jamie Shane Declan Aidan Reece Jordan Ashley Luke Lewis Harry Charlie"
)
_FEMALE = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa "
    "Nancy Betty Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda "
    "Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela "
    "Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra "
    "Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Victoria "
    "Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline "
    "Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice "
    "Chloe Jade Stacey Leanne Kayleigh Danielle Gemma Natalie Charlotte Amina Fatima "
    "Aisha Yasmin Shauna Siobhan Roisin Kerry Tracey Louise Zoe Holly Lucy Sophie Grace"
)
_SURNAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts "
    "Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke "
    "Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker "
    "Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young "
    "Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy "
    "Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson "
    "Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen "
    "Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins "
    "Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews "
    "Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence "
    "Cole Atkinson Bradley Spencer Gill Dawson Ball Burton Obrien Watts Rose Booth Perry "
    "Ryan Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster "
    "Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland "
    "Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner "
    "Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton Burns Nicholson "
    "Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne Sutton Mcdonald Yates "
    "Hodgson Robson Curtis Hopkins Okafor Mensah Adeyemi Nowak Kowalski Popescu Osei"
)
_OUTWARD = _words(
    "E1 E2 E3 E5 E6 E8 E9 E10 E11 E13 E14 E15 E16 E17 N1 N4 N7 N8 N9 N15 N16 N17 N18 N19 "
    "NW1 NW2 NW5 NW6 NW9 NW10 SE1 SE5 SE6 SE8 SE13 SE14 SE15 SE18 SE19 SE25 SE28 SW2 SW4 "
    "SW8 SW9 SW11 SW16 SW17 W2 W3 W9 W10 W12 BR1 CR0 CR4 CR7 DA1 EN1 EN3 HA0 HA8 IG1 IG11 "
    "KT1 RM1 RM8 SM1 TW3 UB1 UB3 UB8"
)
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@attrs.frozen(kw_only=True)
class Identity:
    """What one source records about a person (every field optional but one name or id)."""

    forenames: str | None = None
    surname: str | None = None
    date_of_birth: dt.date | None = None
    sex: str | None = None
    postcode: str | None = None
    pnc_id: str | None = None
    cro_number: str | None = None
    crn: str | None = None
    nomis_number: str | None = None


@attrs.frozen(kw_only=True)
class SourceRecord:
    """One agency's record of a person: its id, the identity it holds and who it really is."""

    #: The agency (``police``, ``courts``, ``probation``, ``prison``).
    source: str
    #: The agency's own person id.
    offender_id: str
    #: What the agency knows about the person, faults included.
    identity: Identity
    #: The true person (the offender id :func:`~offender_journey.synth.generate` gave).
    person: str
    #: The events of the record, as JSON-ready dicts carrying ``source``.
    events: tuple[Mapping[str, Any], ...] = attrs.field(eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Population:
    """Every source record of a synthetic population, agency by agency."""

    records: tuple[SourceRecord, ...]
    #: Each true person's sex and date of birth (to measure linkage by group).
    people: Mapping[str, tuple[str, dt.date]] = attrs.field(factory=dict, eq=False)

    def truth(self) -> dict[tuple[str, str], str]:
        """Which true person each source record ``(source, offender_id)`` belongs to."""
        return {(r.source, r.offender_id): r.person for r in self.records}

    def identity_rows(self) -> list[dict[str, Any]]:
        """One row per source record: source, offender_id and the identity's fields."""
        return [
            {"source": r.source, "offender_id": r.offender_id, **attrs.asdict(r.identity)}
            for r in self.records
        ]


# --- the true person --------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Person:
    """Who a synthetic offender really is (the single truth the agencies' records garble)."""

    key: str
    index: int
    forenames: str
    surname: str
    date_of_birth: dt.date
    sex: str
    postcode: str
    old_postcode: str
    pnc_id: str
    cro_number: str | None


def _postcode(rng: random.Random) -> str:
    letters = rng.choice(_INWARD_LETTERS) + rng.choice(_INWARD_LETTERS)
    return f"{rng.choice(_OUTWARD)} {rng.randrange(10)}{letters}"


def _person(
    key: str, index: int, rng: random.Random, profile: Mapping[str, Any], first_day: dt.date
) -> _Person:
    sex = str(profile["sex"])
    female = sex == "female"
    if rng.random() < 0.35:  # names that have common nicknames are common
        given = rng.choice(_FORMAL_FEMALE if female else _FORMAL_MALE)
    else:
        given = rng.choice(_FEMALE if female else _MALE)
    forenames = given
    if rng.random() < 0.3:
        forenames += " " + rng.choice(_FEMALE if female else _MALE)
    year = max(first_day.year, dt.date.fromisoformat(profile["date_of_birth"]).year + 10)
    yy = f"{year % 100:02d}"
    # Serials by a full-cycle affine map of the index: one person, one PNC ID, one CRO number.
    serial = f"{(index * 7_368_787 + 1_234_567) % 10**7:07d}"
    pnc = f"{year}/{serial}{check_letter(int(yy + serial))}"
    cro = None
    if rng.random() < 0.6:
        cro_serial = f"{(index * 746_773 + 12_345) % 10**6:06d}"
        cro = f"{cro_serial}/{yy}{check_letter(int(yy + cro_serial))}"
    return _Person(
        key=key,
        index=index,
        forenames=forenames,
        surname=rng.choice(_SURNAMES),
        date_of_birth=dt.date.fromisoformat(profile["date_of_birth"]),
        sex=sex,
        postcode=_postcode(rng),
        old_postcode=_postcode(rng),
        pnc_id=pnc,
        cro_number=cro,
    )


_FORMAL_FEMALE: Final = _words(
    "Elizabeth Margaret Jennifer Katherine Catherine Rebecca Samantha Victoria Deborah "
    "Patricia Susan Christine Jacqueline Abigail Kimberly Stephanie Amanda Pamela Charlotte "
    "Natalie"
)
_FORMAL_MALE: Final = tuple(name for name in NICKNAMES if name not in _FORMAL_FEMALE)


# --- which agency records what ------------------------------------------------------------

_POLICE_TYPES: Final = frozenset(
    {
        "offender_profile",
        "arrest",
        "charge",
        "caution",
        "warrant_issued",
        "warrant_executed",
        "warrant_withdrawn",
    }
)
_COURT_TYPES: Final = frozenset({"court_appearance", "conviction", "charge_disposed", "sentence"})
_PROBATION_TYPES: Final = frozenset({"licence_recalled", "licence_ended", "risk_assessed"})
_PRISON_TYPES: Final = frozenset(
    {"remanded_in_custody", "remand_ended", "released_on_licence", "returned_to_custody"}
)
_ORDERS: Final = frozenset({"community_order", "suspended_sentence"})


def _agencies_of(raw: Mapping[str, Any], bail_kinds: Mapping[str, str]) -> tuple[str, ...]:
    """The agencies that record one event (a sentence or release can be known to two)."""
    kind = raw["type"]
    if kind in _POLICE_TYPES:
        return ("police",)
    if kind == "sentence":
        if raw["disposal"] in _ORDERS:
            return ("courts", "probation")
        if raw["disposal"] == "immediate_custody":
            return ("courts", "prison")
        return ("courts",)
    if kind in _COURT_TYPES:
        return ("courts",)
    if kind == "released_on_licence":
        return ("prison", "probation")
    if kind in _PROBATION_TYPES:
        return ("probation",)
    if kind in _PRISON_TYPES:
        return ("prison",)
    if kind == "bail_granted":
        return ("police",) if raw["kind"] == "police" else ("courts",)
    if kind == "bail_ended":
        return ("police",) if bail_kinds.get(raw["bail_id"]) == "police" else ("courts",)
    return ()


def split(
    raws: Sequence[Mapping[str, Any]], sources: Sequence[str] = AGENCIES
) -> dict[str, list[Mapping[str, Any]]]:
    """One offender's events (JSON-ready, stream order) as each of ``sources`` records them.

    A sentence is known to the courts and to probation (an order) or the prison
    (custody); a release to the prison and probation; a retraction goes wherever the
    event it retracts went. Events keep their ids, references and order; an agency that
    records none of them gets an empty list.

    >>> events = [{"type": "arrest", "event_id": "e1"}, {"type": "conviction", "event_id": "e2"}]
    >>> {source: [e["event_id"] for e in own] for source, own in split(events).items()}
    {'police': ['e1'], 'courts': ['e2'], 'probation': [], 'prison': []}
    """
    bail_kinds = {r["bail_id"]: r["kind"] for r in raws if r["type"] == "bail_granted"}
    by_event = {r["event_id"]: r for r in raws}
    seen: dict[str, list[Mapping[str, Any]]] = {source: [] for source in sources}
    for raw in raws:
        target = by_event.get(raw.get("target_event_id", ""))
        for source in _agencies_of(target if target is not None else raw, bail_kinds):
            if source in seen:
                seen[source].append(raw)
    return seen


# --- faults -----------------------------------------------------------------------------


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    match rng.randrange(4):
        case 0:
            return text[:i] + text[i + 1 :]
        case 1:
            return text[:i] + text[i] + text[i:]
        case 2:
            return text[:i] + rng.choice("aeiounrstl") + text[i + 1 :]
        case _:
            return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _transposed(day: dt.date) -> dt.date | None:
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def _digit_off(rng: random.Random, day: dt.date) -> dt.date:
    for _ in range(10):
        text = day.isoformat()
        i = rng.choice((2, 3, 6, 8, 9))
        candidate = text[:i] + str(rng.randrange(10)) + text[i + 1 :]
        try:
            wrong = dt.date.fromisoformat(candidate)
        except ValueError:
            continue
        if wrong != day and 1900 <= wrong.year <= 2100:
            return wrong
    return day


def _bad_check_letter(rng: random.Random, identifier: str) -> str:
    right = identifier[-1]
    return identifier[:-1] + rng.choice([c for c in CHECK_LETTERS if c != right])


def _recorded(
    person: _Person,
    source: str,
    rng: random.Random,
    rates: ErrorRates,
    *,
    nomis: str | None,
    crn: str | None,
) -> Identity:
    """What ``source`` records about ``person``: the truth, with this record's faults."""
    forenames, surname = person.forenames, person.surname
    if rng.random() < rates.nickname:
        first, _, rest = forenames.partition(" ")
        if first in NICKNAMES:
            forenames = " ".join(filter(None, (rng.choice(NICKNAMES[first]), rest)))
    if source != "police" and rng.random() < 0.5:
        forenames = forenames.partition(" ")[0]  # only the first forename kept
    if rng.random() < rates.typo:
        if rng.random() < 0.5:
            forenames = _typo(rng, forenames)
        else:
            surname = _typo(rng, surname)
    if rng.random() < rates.swapped_names:
        forenames, surname = surname, forenames
    born: dt.date | None = person.date_of_birth
    if rng.random() < rates.dob_transposed:
        born = _transposed(person.date_of_birth) or born
    if rng.random() < rates.dob_digit:
        born = _digit_off(rng, person.date_of_birth)
    postcode: str | None = person.postcode
    if rng.random() < rates.old_postcode:
        postcode = person.old_postcode
    if rng.random() < rates.missing_postcode:
        postcode = None
    # Police always hold the PNC ID; others copy it, or not.
    holds_pnc = source == "police" or rng.random() > rates.missing_pnc
    pnc = person.pnc_id if holds_pnc else None
    if pnc is not None and rng.random() < rates.bad_pnc:
        pnc = _bad_check_letter(rng, pnc)
    cro = person.cro_number if rng.random() < 0.7 else None
    sex: str | None = person.sex if rng.random() > 0.01 else None
    return Identity(
        forenames=forenames,
        surname=surname,
        date_of_birth=born,
        sex=sex,
        postcode=postcode,
        pnc_id=pnc,
        cro_number=cro,
        crn=crn,
        nomis_number=nomis,
    )


# --- each agency's own person ids ---------------------------------------------------------


class _Ids:
    """Distinct, unordered person ids for one agency (a full cycle of an affine map)."""

    _MODULUS: Final = 10**6

    def __init__(self, source: str, seed: int) -> None:
        rng = random.Random(f"{seed}/ids/{source}")
        self.source = source
        self.step = rng.randrange(1, self._MODULUS // 2) * 2 + 1
        while self.step % 5 == 0:
            self.step += 2
        self.offset = rng.randrange(self._MODULUS)
        self.count = 0

    def next(self) -> str:
        n = (self.offset + self.step * self.count) % self._MODULUS
        block = self.count // self._MODULUS
        self.count += 1
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        match self.source:
            case "probation":  # an nDelius CRN: one letter, six digits
                return f"{letters[block % len(letters)]}{n:06d}"
            case "prison":  # a NOMIS number: A1234BC
                tail = letters[(n % 100) // 10] + letters[n % 10]
                return f"{letters[block % len(letters)]}{n // 100:04d}{tail}"
            case "courts":
                return f"DEF{block}{n:06d}"
            case _:
                return f"PCR{block}{n:06d}"


# --- the population ---------------------------------------------------------------------


def _journeys(
    n_offenders: int, seed: int, preset: str | Preset
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    codec = Codec()
    events = generate(n_offenders, seed=seed, preset=preset)
    for key, group in itertools.groupby(events, key=lambda e: e.offender_id):
        yield key, [codec.encode(e) for e in group]


def build(
    n_offenders: int,
    *,
    seed: int = 0,
    errors: str | ErrorRates = "medium",
    sources: Sequence[str] = AGENCIES,
    preset: str | Preset = "default",
    events: bool = True,
) -> Population:
    """Split ``n_offenders`` synthetic journeys into the agencies' extracts, with the truth.

    Memory grows with the population: every record is kept, with its events unless
    ``events`` is false (then only identities: what linkage benchmarks need).
    """
    rates = ERROR_LEVELS[errors] if isinstance(errors, str) else errors
    unknown = [s for s in sources if s not in AGENCIES]
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; choose from {', '.join(AGENCIES)}")
    ids = {source: _Ids(source, seed) for source in AGENCIES}
    records: list[SourceRecord] = []
    people: list[_Person] = []
    for index, (key, raws) in enumerate(_journeys(n_offenders, seed, preset)):
        rng = random.Random(f"{seed}/agencies/{index}")
        profile = next(r for r in raws if r["type"] == "offender_profile")
        person = _person(key, index, rng, profile, dt.date.fromisoformat(raws[0]["date"]))
        if people and rng.random() < rates.namesakes:
            # A namesake: someone else with this person's common name and date of birth.
            other = people[rng.randrange(len(people))]
            person = attrs.evolve(
                person,
                forenames=other.forenames,
                surname=other.surname,
                date_of_birth=other.date_of_birth,
                sex=other.sex,
            )
        people.append(person)
        records.extend(_records_of(person, raws, rng, rates, sources, ids, events=events))
    return Population(
        records=tuple(records), people={p.key: (p.sex, p.date_of_birth) for p in people}
    )


def _records_of(
    person: _Person,
    raws: list[dict[str, Any]],
    rng: random.Random,
    rates: ErrorRates,
    sources: Sequence[str],
    ids: Mapping[str, _Ids],
    *,
    events: bool,
) -> Iterator[SourceRecord]:
    """The source records of one person: each agency that saw them, under its own id.

    Without ``events`` the records carry none (relabelling every event is most of the
    work, and linkage needs only the identities).
    """
    seen = split(raws, sources)
    token = f"R{(person.index * 7_919 + 104_729) % 10**8:08d}"
    for source, held in seen.items():
        # The profile rides with the agency's first record of the person, and only when
        # the agency recorded something else: it opens no record of its own.
        profiles = [raw for raw in held if raw["type"] == "offender_profile"]
        own = [raw for raw in held if raw["type"] != "offender_profile"]
        if not own:
            continue
        parts = [own]
        if len(own) > 3 and rng.random() < rates.duplicate_record:
            cut = rng.randrange(1, len(own))
            parts = [own[:cut], own[cut:]]
        for number, part in enumerate(parts):
            own_id = ids[source].next()
            identity = _recorded(
                person,
                source,
                rng,
                rates,
                nomis=own_id if source == "prison" else None,
                crn=own_id if source == "probation" else None,
            )
            held_events: tuple[Mapping[str, Any], ...] = ()
            if events:
                kept = [*profiles, *part] if number == 0 else part
                held_events = (
                    _identity_event(source, own_id, identity, part[0], token),
                    *(_relabelled(raw, source, own_id, person.key, token) for raw in kept),
                )
            yield SourceRecord(
                source=source,
                offender_id=own_id,
                identity=identity,
                person=person.key,
                events=held_events,
            )


def _relabelled(
    raw: Mapping[str, Any], source: str, own_id: str, key: str, token: str
) -> dict[str, Any]:
    """An event as ``source`` holds it: under its own person id, references kept shared."""

    def swap(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(key):
            return token + value[len(key) :]
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    out = {name: swap(value) for name, value in raw.items()}
    out["offender_id"] = own_id
    out["source"] = source
    return out


def _identity_event(
    source: str, own_id: str, identity: Identity, first: Mapping[str, Any], token: str
) -> dict[str, Any]:
    fields = {k: v for k, v in attrs.asdict(identity).items() if v is not None}
    if "date_of_birth" in fields:
        fields["date_of_birth"] = fields["date_of_birth"].isoformat()
    return {
        "event_id": f"{token}-id-{own_id}",
        "offender_id": own_id,
        "source": source,
        "type": "person_recorded",
        "date": first["date"],
        "recorded_at": first["recorded_at"],
        **fields,
    }


# --- writing ----------------------------------------------------------------------------


def write_agencies(
    population: Population, directory: str | os.PathLike[str], truth: str | os.PathLike[str]
) -> dict[str, int]:
    """Write one JSON Lines extract per agency into ``directory`` and the truth as CSV.

    Returns how many events each extract holds. Both hold personal data (synthetic,
    but shaped like the real thing): the files are created readable by their owner only.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    by_source: dict[str, list[SourceRecord]] = {}
    for record in population.records:
        by_source.setdefault(record.source, []).append(record)
    for source, records in by_source.items():
        with _private(folder / f"{source}.jsonl") as handle:
            counts[source] = _write_events(handle, (e for r in records for e in r.events))
    with _private(Path(truth)) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("source", "offender_id", "person"))
        writer.writerows((r.source, r.offender_id, r.person) for r in population.records)
    return counts


def _write_events(handle: Any, events: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    for event in events:
        handle.write(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n")
        count += 1
    return count


def _private(path: Path) -> Any:
    """A new text file only its owner can read (names and dates of birth inside)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    return open(descriptor, "w", encoding="utf-8", newline="")
