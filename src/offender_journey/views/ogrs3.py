"""OGRS3, the Offender Group Reconviction Scale (version 3), from the event stream.

Howard, Francis, Soothill and Humphreys, *OGRS 3: the revised Offender Group
Reconviction Scale*, Ministry of Justice Research Summary 7/09 (2009), with the
coefficients of the Ministry of Justice's public scoring service (OGRS3 transformation code)::

    y = age_sex(sex, age) + (0.12614 if first sanction else 0.46306)
        + 1.251124464 * ln(S / (10 + age - age_at_first_sanction))
        + offence(group of the current offence)
    P(1 year) = logistic(1.40256 + y)      P(2 years) = logistic(2.121705678 + y)

``S`` counts sanction occasions (convictions and cautions) including the current one.
Missing inputs are named, never guessed.

Examples:
    >>> score = ogrs3_score(sex="male", age=30, age_at_first_sanction=21, sanctions=2,
    ...                     offence_group=OffenceGroup.OTHER)
    >>> score.percent_1y, score.percent_2y, score.band
    (9, 17, 'low')
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Any

import attrs

from ..dates import age_on
from ..events import Category, Sex
from ..facts.schema import OffenderFacts, RiskAssessmentRow, SanctionRow
from ..folds.offending import Sanction, SanctionKind

__all__ = [
    "AGE_SEX_TERMS",
    "CATEGORY_GROUPS",
    "OFFENCE_TERMS",
    "OGRS3_TABLES",
    "OffenceGroup",
    "Ogrs3",
    "RISK_TABLES",
    "RiskScore",
    "band_of",
    "ogrs3_of",
    "ogrs3_score",
    "percent",
    "risk_of",
    "sanction_of",
]

#: The fact tables OGRS3 reads: the profile and the sanctions.
OGRS3_TABLES: tuple[str, ...] = ("offenders", "sanctions")
#: The fact tables the risk used for selection reads: OGRS3's and the supplied assessments.
RISK_TABLES: tuple[str, ...] = (*OGRS3_TABLES, "risk_assessments")

INTERCEPT_1Y = 1.40256
INTERCEPT_2Y = 2.121705678
COPAS_MULTIPLIER = 1.251124464
FIRST_SANCTION = 0.12614
LATER_SANCTION = 0.46306


class OffenceGroup(StrEnum):
    """The OGRS3 offence groups."""

    VIOLENCE = "violence_against_the_person"
    ROBBERY = "robbery"
    PUBLIC_ORDER = "public_order"
    SEXUAL_AGAINST_CHILD = "sexual_against_child"
    SEXUAL_OTHER = "sexual_not_against_child"
    SOLICITING = "soliciting_prostitution"
    BURGLARY_DOMESTIC = "domestic_burglary"
    BURGLARY_OTHER = "other_burglary"
    THEFT = "theft_non_motor"
    VEHICLE_THEFT = "vehicle_theft_taking"
    THEFT_FROM_VEHICLE = "theft_from_vehicles"
    HANDLING = "handling_stolen_goods"
    FRAUD = "fraud_and_forgery"
    ABSCONDING = "absconding_bail"
    DRINK_DRIVING = "drink_driving"
    MOTORING_OTHER = "other_motoring"
    CRIMINAL_DAMAGE = "criminal_damage"
    DRUGS_PRODUCTION = "drug_import_export_production"
    DRUGS_POSSESSION_SUPPLY = "drug_possession_supply"
    OTHER = "other_offences"


#: Offence-group terms of the scoring service; violence against the person is the reference.
OFFENCE_TERMS: dict[OffenceGroup, float] = {
    OffenceGroup.VIOLENCE: 0.0,
    OffenceGroup.ROBBERY: -0.6348,
    OffenceGroup.PUBLIC_ORDER: 0.1819,
    OffenceGroup.SEXUAL_AGAINST_CHILD: -0.6534,
    OffenceGroup.SEXUAL_OTHER: 0.0328,
    OffenceGroup.SOLICITING: 0.7606,
    OffenceGroup.BURGLARY_DOMESTIC: -0.1239,
    OffenceGroup.BURGLARY_OTHER: 0.2406,
    OffenceGroup.THEFT: 0.6612,
    OffenceGroup.VEHICLE_THEFT: 0.3801,
    OffenceGroup.THEFT_FROM_VEHICLE: 0.4272,
    OffenceGroup.HANDLING: 0.3519,
    OffenceGroup.FRAUD: 0.1599,
    OffenceGroup.ABSCONDING: 0.7334,
    OffenceGroup.DRINK_DRIVING: -0.1214,
    OffenceGroup.MOTORING_OTHER: 0.2622,
    OffenceGroup.CRIMINAL_DAMAGE: 0.205,
    OffenceGroup.DRUGS_PRODUCTION: -0.7956,
    OffenceGroup.DRUGS_POSSESSION_SUPPLY: 0.0772,
    OffenceGroup.OTHER: -0.0607,
}

#: Every offence category's OGRS3 group (a documented choice where the groups are coarser:
#: weapons possession and breaches go to "other offences").
CATEGORY_GROUPS: dict[Category, OffenceGroup] = {
    Category.HOMICIDE: OffenceGroup.VIOLENCE,
    Category.VIOLENCE_WITH_INJURY: OffenceGroup.VIOLENCE,
    Category.VIOLENCE_WITHOUT_INJURY: OffenceGroup.VIOLENCE,
    Category.WEAPONS: OffenceGroup.OTHER,
    Category.RAPE: OffenceGroup.SEXUAL_OTHER,
    Category.SEXUAL_AGAINST_CHILD: OffenceGroup.SEXUAL_AGAINST_CHILD,
    Category.SEXUAL_OTHER: OffenceGroup.SEXUAL_OTHER,
    Category.SOLICITING: OffenceGroup.SOLICITING,
    Category.ROBBERY: OffenceGroup.ROBBERY,
    Category.BURGLARY_DOMESTIC: OffenceGroup.BURGLARY_DOMESTIC,
    Category.BURGLARY_OTHER: OffenceGroup.BURGLARY_OTHER,
    Category.THEFT_OF_VEHICLE: OffenceGroup.VEHICLE_THEFT,
    Category.THEFT_FROM_VEHICLE: OffenceGroup.THEFT_FROM_VEHICLE,
    Category.THEFT_FROM_PERSON: OffenceGroup.THEFT,
    Category.SHOPLIFTING: OffenceGroup.THEFT,
    Category.THEFT_OTHER: OffenceGroup.THEFT,
    Category.HANDLING_STOLEN_GOODS: OffenceGroup.HANDLING,
    Category.FRAUD: OffenceGroup.FRAUD,
    Category.CRIMINAL_DAMAGE_ARSON: OffenceGroup.CRIMINAL_DAMAGE,
    Category.CRIMINAL_DAMAGE_OTHER: OffenceGroup.CRIMINAL_DAMAGE,
    Category.DRUGS_PRODUCTION: OffenceGroup.DRUGS_PRODUCTION,
    Category.DRUGS_SUPPLY: OffenceGroup.DRUGS_POSSESSION_SUPPLY,
    Category.DRUGS_POSSESSION: OffenceGroup.DRUGS_POSSESSION_SUPPLY,
    Category.PUBLIC_ORDER: OffenceGroup.PUBLIC_ORDER,
    Category.DRINK_DRIVING: OffenceGroup.DRINK_DRIVING,
    Category.MOTORING_OTHER: OffenceGroup.MOTORING_OTHER,
    Category.ABSCONDING_OR_BAIL: OffenceGroup.ABSCONDING,
    Category.BREACH: OffenceGroup.OTHER,
    Category.OTHER: OffenceGroup.OTHER,
}

#: (lowest age of the band, male term, female term). For girls aged 10-15 the two
#: public sources disagree on the sign; this table uses the negative terms, see
#: docs/risk_and_iom.md.
AGE_SEX_TERMS: tuple[tuple[int, float, float], ...] = (
    (10, 0.0, -0.785038489),
    (12, 0.083922902, -0.613852078),
    (14, 0.075775765, -0.669521331),
    (16, -0.061594199, -0.959179629),
    (18, -0.625103618, -0.897480934),
    (21, -1.051515067, -1.028488454),
    (25, -1.166679288, -1.052777806),
    (30, -1.325976554, -1.129127959),
    (35, -1.368045933, -1.42187494),
    (40, -1.499690953, -1.524652221),
    (50, -2.025261458, -2.44983716),
)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def percent(probability: float) -> int:
    """A probability as OGRS3 shows it: a whole percentage from 1 to 99."""
    return min(99, max(1, math.floor(probability * 100 + 0.5)))


def band_of(percent_2y: int) -> str:
    """Band on the 2-year score: low < 50, medium 50-74, high 75-89, very high 90+."""
    if percent_2y >= 90:
        return "very high"
    if percent_2y >= 75:
        return "high"
    return "medium" if percent_2y >= 50 else "low"


@attrs.frozen
class Ogrs3:
    """An OGRS3 result: probabilities, display percentages and band, or what was missing."""

    probability_1y: float | None = None
    probability_2y: float | None = None
    #: Inputs that could not be found; the score is ``None`` when any is missing.
    missing: tuple[str, ...] = ()
    #: The inputs used, for the record.
    inputs: dict[str, Any] = attrs.field(factory=dict, eq=False)

    @property
    def percent_1y(self) -> int | None:
        return None if self.probability_1y is None else percent(self.probability_1y)

    @property
    def percent_2y(self) -> int | None:
        return None if self.probability_2y is None else percent(self.probability_2y)

    @property
    def band(self) -> str | None:
        return None if self.percent_2y is None else band_of(self.percent_2y)

    def to_json(self) -> dict[str, Any]:
        return {
            "probability_1y": self.probability_1y,
            "probability_2y": self.probability_2y,
            "percent_1y": self.percent_1y,
            "percent_2y": self.percent_2y,
            "band": self.band,
            "missing": list(self.missing),
            "inputs": self.inputs,
        }


def _age_sex_term(sex: Sex | str, age: int) -> float:
    row = max((r for r in AGE_SEX_TERMS if r[0] <= age), key=lambda r: r[0])
    return row[1] if Sex(sex) is Sex.MALE else row[2]


def ogrs3_score(
    *,
    sex: Sex | str,
    age: int,
    age_at_first_sanction: int,
    sanctions: int,
    offence_group: OffenceGroup,
) -> Ogrs3:
    """OGRS3 from its five inputs (ages in whole years at the current and first sanction).

    ``sex`` must be male or female; ``age`` at least 10; ``sanctions`` at least 1,
    counting the current one.
    """
    if Sex(sex) is Sex.UNKNOWN:
        raise ValueError("OGRS3 needs sex male or female")
    if age < 10 or not 10 <= age_at_first_sanction <= age or sanctions < 1:
        raise ValueError(
            f"OGRS3 needs age >= 10, 10 <= age at first sanction <= age, sanctions >= 1;"
            f" got {age}, {age_at_first_sanction}, {sanctions}"
        )
    y = (
        _age_sex_term(sex, age)
        + (FIRST_SANCTION if sanctions == 1 else LATER_SANCTION)
        + COPAS_MULTIPLIER * math.log(sanctions / (10 + age - age_at_first_sanction))
        + OFFENCE_TERMS[offence_group]
    )
    inputs = {
        "sex": str(Sex(sex)),
        "age": age,
        "age_at_first_sanction": age_at_first_sanction,
        "sanctions": sanctions,
        "offence_group": str(offence_group),
    }
    return Ogrs3(_logistic(INTERCEPT_1Y + y), _logistic(INTERCEPT_2Y + y), (), inputs)


def sanction_of(row: SanctionRow) -> Sanction:
    """A ``sanctions`` fact row as a :class:`Sanction`."""
    kind: SanctionKind = "conviction" if row.kind == "conviction" else "caution"
    return Sanction(row.date, kind, tuple(Category(c) for c in row.categories.split(",")))


def ogrs3_of(facts: OffenderFacts, day: dt.date) -> Ogrs3:
    """OGRS3 for the offender's latest sanction on or before ``day``, from their facts.

    Reads the ``offenders`` row (date of birth, sex) and the ``sanctions`` rows. The
    current offence is the first offence in charge order (charge ``date``, then
    transaction order) convicted on that occasion, or the caution's offence. Sanctions
    are convictions of known, unretracted charges (one per day) and cautions. Missing
    inputs are listed, never guessed.
    """
    found = [sanction_of(row) for row in facts.sanctions if row.date <= day]
    offender = facts.offender
    born = None if offender is None else offender.date_of_birth
    sex = None if offender is None else offender.sex
    missing = []
    if born is None or sex is None:
        missing += ["date_of_birth", "sex"]
    elif sex == Sex.UNKNOWN:
        missing.append("sex")
    if not found:
        missing.append("current sanction")
    if missing or born is None or sex is None:
        return Ogrs3(missing=tuple(missing))
    current, first = found[-1], found[0]
    age = age_on(born, current.date)
    first_age = age_on(born, first.date)
    if age < 10 or first_age < 10:
        return Ogrs3(missing=("age of 10 or more at every sanction",))
    return ogrs3_score(
        sex=sex,
        age=age,
        age_at_first_sanction=first_age,
        sanctions=len(found),
        offence_group=CATEGORY_GROUPS[current.current],
    )


@attrs.frozen
class RiskScore:
    """A 2-year (and 1-year) reoffending probability and where it came from."""

    score_2y: float
    score_1y: float | None
    #: ``assessed`` (a ``risk_assessed`` event, with its tool) or ``OGRS3`` (computed here).
    source: str
    date: dt.date


def _assessed(row: RiskAssessmentRow) -> RiskScore:
    return RiskScore(row.score_2y, row.score_1y, f"assessed ({row.tool})", row.date)


def risk_of(
    facts: OffenderFacts, day: dt.date, *, prefer_assessed: bool = True
) -> RiskScore | Ogrs3:
    """The offender's risk on ``day``: the latest assessment, else OGRS3 computed here.

    Reads the facts of :data:`RISK_TABLES`. Returns the :class:`Ogrs3` with its
    ``missing`` inputs when neither is available.
    """
    assessed = [row for row in facts.risk_assessments if row.date <= day]
    if prefer_assessed and assessed:
        return _assessed(assessed[-1])
    computed = ogrs3_of(facts, day)
    if computed.probability_2y is None:
        return _assessed(assessed[-1]) if assessed else computed
    return RiskScore(computed.probability_2y, computed.probability_1y, "OGRS3", day)
