"""The event vocabulary: one frozen class per event type of the JSON Lines format.

Events carry data, not behaviour. Every event has the common envelope
(`event_id`, `offender_id`, `source`, `date`, `recorded_at`, `schema_version`) and
its own keyword-only fields. The closed :data:`Event` union names the whole vocabulary,
and :data:`EVENT_TYPES` maps each wire ``type`` tag to its class.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias, get_args

import attrs
from attrs import field
from attrs.validators import ge, instance_of, le, optional

#: The schema version that events are upcast to on read.
CURRENT_SCHEMA_VERSION = 1
#: The oldest schema version still read (and upcast); anything older is rejected.
OLDEST_SCHEMA_VERSION = 0

# --- plausible values (the JSON Lines format) ----------------------------------------------
# A value outside these cannot describe a real record; accepting it would let one line
# break every later query (dates past year 9999 overflow, huge lengths overflow).

#: Valid-time years (``date``, ``offence_date``, ``licence_end``, ``date_of_birth``).
FIRST_YEAR, LAST_YEAR = 1900, 2100
#: Transaction-time (``recorded_at``) years, in UTC.
FIRST_RECORDED_YEAR, LAST_RECORDED_YEAR = 1970, 2100
#: ``length_days`` of a sentence: up to a hundred years.
MAX_LENGTH_DAYS = 36_525
#: Identifiers (``event_id``, ``offender_id``, ``charge_id``, offence codes, ...).
MAX_ID_CHARS = 128
#: Free text (``description``, ``court``, ``reason``).
MAX_TEXT_CHARS = 1_000
#: Items in one list field (``charge_ids``), each an identifier (checked on decoding).
MAX_LIST_ITEMS = 1_000
#: Aliases in one identity record: more is not a person's record but a list of people.
MAX_ALIASES = 100
#: A source's name: a short lower-case word, so ``source:offender_id`` reads unambiguously.
SOURCE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _identifier(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Identifiers are strings of 1 to 128 characters (one cheap check, not three)."""
    if type(value) is not str or not 0 < len(value) <= MAX_ID_CHARS:
        raise ValueError(
            f"{attribute.name} must be a string of 1 to {MAX_ID_CHARS} characters,"
            f" got {value!r:.40}"
        )


def _day(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Valid-time dates lie in 1900-01-01 .. 2100-12-31 (placeholders like 9999-12-31 do not)."""
    if not isinstance(value, dt.date):
        raise TypeError(f"{attribute.name} must be a date", attribute, dt.date, value)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"{attribute.name} must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31,"
            f" got {value.isoformat()}"
        )


def _text(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Free text is a string of at most :data:`MAX_TEXT_CHARS` characters."""
    if value is None:
        return
    if type(value) is not str or len(value) > MAX_TEXT_CHARS:
        raise ValueError(
            f"{attribute.name} must be a string of at most {MAX_TEXT_CHARS} characters"
        )


def _source_name(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A source is named by a lower-case letter, then up to 31 letters, digits or ``_``."""
    if value is None:
        return
    if type(value) is not str or SOURCE_NAME.fullmatch(value) is None:
        raise ValueError(
            f"{attribute.name} must be a lower-case letter then up to 31 lower-case letters,"
            f" digits or underscores, got {value!r:.40}"
        )


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    """Lists given in Python become tuples, so events stay immutable."""
    return tuple(value)


def _aware(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Transaction times must be unambiguous instants, in 1970 .. 2100 (UTC)."""
    if value is None:
        return
    if type(value) is not dt.datetime or value.tzinfo is not dt.UTC:
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            raise ValueError(f"{attribute.name} must be a datetime with a UTC offset")
        try:
            value = value.astimezone(dt.UTC)
        except OverflowError:
            value = None
    if value is None or not FIRST_RECORDED_YEAR <= value.year <= LAST_RECORDED_YEAR:
        raise ValueError(
            f"{attribute.name} must be between {FIRST_RECORDED_YEAR} and {LAST_RECORDED_YEAR} (UTC)"
        )


# --- closed vocabularies -------------------------------------------------------


class Category(StrEnum):
    """Offence category, fine enough for Home Office cost rows and OGRS3 groups."""

    HOMICIDE = "homicide"
    VIOLENCE_WITH_INJURY = "violence_with_injury"
    VIOLENCE_WITHOUT_INJURY = "violence_without_injury"
    WEAPONS = "weapons"
    RAPE = "rape"
    SEXUAL_AGAINST_CHILD = "sexual_against_child"
    SEXUAL_OTHER = "sexual_other"
    SOLICITING = "soliciting"
    ROBBERY = "robbery"
    BURGLARY_DOMESTIC = "burglary_domestic"
    BURGLARY_OTHER = "burglary_other"
    THEFT_OF_VEHICLE = "theft_of_vehicle"
    THEFT_FROM_VEHICLE = "theft_from_vehicle"
    THEFT_FROM_PERSON = "theft_from_person"
    SHOPLIFTING = "shoplifting"
    THEFT_OTHER = "theft_other"
    HANDLING_STOLEN_GOODS = "handling_stolen_goods"
    FRAUD = "fraud"
    CRIMINAL_DAMAGE_ARSON = "criminal_damage_arson"
    CRIMINAL_DAMAGE_OTHER = "criminal_damage_other"
    DRUGS_PRODUCTION = "drugs_production"
    DRUGS_SUPPLY = "drugs_supply"
    DRUGS_POSSESSION = "drugs_possession"
    PUBLIC_ORDER = "public_order"
    DRINK_DRIVING = "drink_driving"
    MOTORING_OTHER = "motoring_other"
    ABSCONDING_OR_BAIL = "absconding_or_bail"
    BREACH = "breach"
    OTHER = "other"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class BailKind(StrEnum):
    POLICE = "police"
    COURT = "court"


class BailEndReason(StrEnum):
    SURRENDERED = "surrendered"
    REVOKED = "revoked"
    BREACHED = "breached"
    CANCELLED = "cancelled"
    CASE_CONCLUDED = "case_concluded"


class HearingOutcome(StrEnum):
    ADJOURNED = "adjourned"
    FAILED_TO_APPEAR = "failed_to_appear"
    COMMITTED_FOR_TRIAL = "committed_for_trial"
    COMMITTED_FOR_SENTENCE = "committed_for_sentence"
    CONCLUDED = "concluded"


class Plea(StrEnum):
    GUILTY = "guilty"
    NOT_GUILTY = "not_guilty"


class DisposedOutcome(StrEnum):
    """How a charge ends without a conviction."""

    ACQUITTED = "acquitted"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"
    DISCONTINUED = "discontinued"
    NO_FURTHER_ACTION = "no_further_action"
    OTHER = "other"


class Disposal(StrEnum):
    IMMEDIATE_CUSTODY = "immediate_custody"
    SUSPENDED_SENTENCE = "suspended_sentence"
    COMMUNITY_ORDER = "community_order"
    FINE = "fine"
    CONDITIONAL_DISCHARGE = "conditional_discharge"
    ABSOLUTE_DISCHARGE = "absolute_discharge"
    OTHER = "other"


class CautionKind(StrEnum):
    SIMPLE = "simple"
    CONDITIONAL = "conditional"
    YOUTH = "youth"
    YOUTH_CONDITIONAL = "youth_conditional"


class RecallKind(StrEnum):
    STANDARD = "standard"
    FIXED_TERM = "fixed_term"
    EMERGENCY = "emergency"


class WarrantKind(StrEnum):
    FAILED_TO_APPEAR = "failed_to_appear"
    BREACH = "breach"
    RECALL = "recall"
    OTHER = "other"


class WarrantCategory(StrEnum):
    A = "A"
    B = "B"
    C = "C"


# --- value objects --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Offence:
    """What a charge or caution is for."""

    #: The offence code as recorded (e.g. a Home Office or CJS code).
    code: str = field(validator=_identifier)
    #: The category that maps onto cost rows and OGRS3 groups.
    category: Category = field(validator=instance_of(Category))
    #: Free text, as recorded.
    description: str | None = field(default=None, validator=_text)


# --- the envelope -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Envelope:
    """Fields common to every event."""

    TYPE: ClassVar[str]
    #: True for a decision about the record (which person it belongs to) rather than a
    #: step of the journey or what a source recorded: the timeline does not list it, and
    #: the data's end does not count its transaction time (a linkage run today says
    #: nothing about how far the extract's records reach).
    ABOUT_THE_RECORD: ClassVar[bool] = False

    #: Unique in the store; re-ingesting an identical event is a no-op.
    event_id: str = field(validator=_identifier)
    #: The stream key: whose journey this event belongs to (with a ``source``, that
    #: source's own person id).
    offender_id: str = field(validator=_identifier)
    #: Valid time: the calendar day the thing happened in the world.
    date: dt.date = field(validator=_day)
    #: Transaction time: when the store learnt of it (assigned on append if absent).
    recorded_at: dt.datetime | None = field(default=None, validator=_aware)
    #: The wire format version the event was written in; older ones are upcast.
    #: (Its range is the codec's to check, before upcasting.)
    schema_version: int = field(default=CURRENT_SCHEMA_VERSION, validator=instance_of(int))
    #: The system the event came from (``police``, ``courts``...); ``None`` is the default
    #: source. With a source, ``event_id`` is unique within it.
    source: str | None = field(default=None, validator=_source_name)


def record_key(source: str | None, offender_id: str) -> str:
    """The key of a source record: ``source:offender_id``, or the bare id without a source.

    A store keeps each source record as one stream under this key, so two sources that
    happen to use the same person id are never mixed up, and a store without sources
    keys its streams exactly as before.

    Examples:
        >>> record_key("police", "P123"), record_key(None, "P123")
        ('police:P123', 'P123')
    """
    return offender_id if source is None else f"{source}:{offender_id}"


# --- the vocabulary -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class OffenderProfile(_Envelope):
    """Who the stream is about; the latest profile wins."""

    TYPE: ClassVar[str] = "offender_profile"
    #: Date of birth.
    date_of_birth: dt.date = field(validator=_day)
    #: Recorded sex.
    sex: Sex = field(validator=instance_of(Sex))


@attrs.frozen(kw_only=True)
class Arrest(_Envelope):
    """Arrested on ``date``."""

    TYPE: ClassVar[str] = "arrest"
    #: Identifies the arrest; charges refer to it.
    arrest_id: str = field(validator=_identifier)


@attrs.frozen(kw_only=True)
class Charge(_Envelope):
    """Charged with one offence on ``date``; no ``arrest_id`` means summons or requisition."""

    TYPE: ClassVar[str] = "charge"
    #: Identifies the charge; outcomes, bail and sentences refer to it.
    charge_id: str = field(validator=_identifier)
    #: The offence charged.
    offence: Offence = field(validator=instance_of(Offence))
    #: The day the offence was committed.
    offence_date: dt.date = field(validator=_day)
    #: The arrest that led to the charge, if any.
    arrest_id: str | None = field(default=None, validator=optional(_identifier))
    #: The court case the charge belongs to, if known.
    case_id: str | None = field(default=None, validator=optional(_identifier))


@attrs.frozen(kw_only=True)
class BailGranted(_Envelope):
    """On bail from ``date``."""

    TYPE: ClassVar[str] = "bail_granted"
    #: Identifies the bail; ``bail_ended`` refers to it.
    bail_id: str = field(validator=_identifier)
    #: Police (pre-charge or post-charge) or court bail.
    kind: BailKind = field(validator=instance_of(BailKind))
    #: The charges the bail is for, if known.
    charge_ids: tuple[str, ...] = field(default=(), converter=_ids)


@attrs.frozen(kw_only=True)
class BailEnded(_Envelope):
    """Bail over on ``date``."""

    TYPE: ClassVar[str] = "bail_ended"
    #: The bail that ended.
    bail_id: str = field(validator=_identifier)
    #: Why it ended.
    reason: BailEndReason = field(validator=instance_of(BailEndReason))


@attrs.frozen(kw_only=True)
class RemandedInCustody(_Envelope):
    """Held in custody before trial or sentence from ``date``."""

    TYPE: ClassVar[str] = "remanded_in_custody"
    #: Identifies the remand; ``remand_ended`` refers to it.
    remand_id: str = field(validator=_identifier)
    #: The charges the remand is for, if known.
    charge_ids: tuple[str, ...] = field(default=(), converter=_ids)


@attrs.frozen(kw_only=True)
class RemandEnded(_Envelope):
    """Remand over on ``date``."""

    TYPE: ClassVar[str] = "remand_ended"
    #: The remand that ended.
    remand_id: str = field(validator=_identifier)


@attrs.frozen(kw_only=True)
class CourtAppearance(_Envelope):
    """A hearing on ``date``."""

    TYPE: ClassVar[str] = "court_appearance"
    #: Identifies the hearing.
    hearing_id: str = field(validator=_identifier)
    #: The court case heard; distinct cases are counted by this.
    case_id: str = field(validator=_identifier)
    #: The charges before the court.
    charge_ids: tuple[str, ...] = field(converter=_ids)
    #: What the hearing decided.
    outcome: HearingOutcome = field(validator=instance_of(HearingOutcome))
    #: The court's name, if recorded.
    court: str | None = field(default=None, validator=_text)


@attrs.frozen(kw_only=True)
class Conviction(_Envelope):
    """The charge is proven on ``date``."""

    TYPE: ClassVar[str] = "conviction"
    #: The charge proven.
    charge_id: str = field(validator=_identifier)
    #: The plea, if recorded.
    plea: Plea | None = field(default=None, validator=optional(instance_of(Plea)))


@attrs.frozen(kw_only=True)
class ChargeDisposed(_Envelope):
    """The charge ends without a conviction on ``date``."""

    TYPE: ClassVar[str] = "charge_disposed"
    #: The charge that ended.
    charge_id: str = field(validator=_identifier)
    #: How it ended.
    outcome: DisposedOutcome = field(validator=instance_of(DisposedOutcome))


@attrs.frozen(kw_only=True)
class Sentence(_Envelope):
    """Sentenced on ``date``; each distinct sentence date is a sentencing occasion."""

    TYPE: ClassVar[str] = "sentence"
    #: Identifies the sentence; licences refer to it.
    sentence_id: str = field(validator=_identifier)
    #: The charges sentenced.
    charge_ids: tuple[str, ...] = field(converter=_ids)
    #: The disposal given.
    disposal: Disposal = field(validator=instance_of(Disposal))
    #: Custodial term, suspended-sentence operational period, or order length.
    length_days: int | None = field(
        default=None, validator=optional([instance_of(int), ge(0), le(MAX_LENGTH_DAYS)])
    )


@attrs.frozen(kw_only=True)
class Caution(_Envelope):
    """An out-of-court disposal given on ``date``."""

    TYPE: ClassVar[str] = "caution"
    #: Identifies the caution.
    caution_id: str = field(validator=_identifier)
    #: Simple, conditional, youth or youth conditional.
    kind: CautionKind = field(validator=instance_of(CautionKind))
    #: The offence cautioned for.
    offence: Offence = field(validator=instance_of(Offence))
    #: The day the offence was committed.
    offence_date: dt.date = field(validator=_day)
    #: The arrest that led to the caution, if any.
    arrest_id: str | None = field(default=None, validator=optional(_identifier))


@attrs.frozen(kw_only=True)
class ReleasedOnLicence(_Envelope):
    """Released from custody on ``date``, on licence until ``licence_end``."""

    TYPE: ClassVar[str] = "released_on_licence"
    #: Identifies the licence; recalls and ends refer to it.
    licence_id: str = field(validator=_identifier)
    #: The custodial sentence being served.
    sentence_id: str = field(validator=_identifier)
    #: The day the licence expires unless ended earlier.
    licence_end: dt.date = field(validator=_day)


@attrs.frozen(kw_only=True)
class LicenceRecalled(_Envelope):
    """Recall decision on ``date``."""

    TYPE: ClassVar[str] = "licence_recalled"
    #: The licence recalled.
    licence_id: str = field(validator=_identifier)
    #: Standard, fixed-term or emergency.
    kind: RecallKind = field(validator=instance_of(RecallKind))


@attrs.frozen(kw_only=True)
class ReturnedToCustody(_Envelope):
    """The recall was executed on ``date``."""

    TYPE: ClassVar[str] = "returned_to_custody"
    #: The licence whose recall was executed.
    licence_id: str = field(validator=_identifier)


@attrs.frozen(kw_only=True)
class LicenceEnded(_Envelope):
    """Licence over on ``date`` (expiry or otherwise)."""

    TYPE: ClassVar[str] = "licence_ended"
    #: The licence that ended.
    licence_id: str = field(validator=_identifier)


@attrs.frozen(kw_only=True)
class WarrantIssued(_Envelope):
    """A warrant issued on ``date``."""

    TYPE: ClassVar[str] = "warrant_issued"
    #: Identifies the warrant.
    warrant_id: str = field(validator=_identifier)
    #: Failed to appear, breach, recall or other.
    kind: WarrantKind = field(validator=instance_of(WarrantKind))
    #: Priority category A, B or C, if graded.
    category: WarrantCategory | None = field(
        default=None, validator=optional(instance_of(WarrantCategory))
    )


@attrs.frozen(kw_only=True)
class WarrantExecuted(_Envelope):
    """The warrant executed on ``date``."""

    TYPE: ClassVar[str] = "warrant_executed"
    #: The warrant executed.
    warrant_id: str = field(validator=_identifier)


@attrs.frozen(kw_only=True)
class WarrantWithdrawn(_Envelope):
    """The warrant withdrawn on ``date``."""

    TYPE: ClassVar[str] = "warrant_withdrawn"
    #: The warrant withdrawn.
    warrant_id: str = field(validator=_identifier)


_probability = optional([instance_of(float), ge(0.0), le(1.0)])


@attrs.frozen(kw_only=True)
class RiskAssessed(_Envelope):
    """A reoffending-risk score given on ``date``."""

    TYPE: ClassVar[str] = "risk_assessed"
    #: The tool, e.g. ``OGRS3``.
    tool: str = field(validator=_identifier)
    #: Probability of proven reoffending within two years.
    score_2y: float = field(validator=[instance_of(float), ge(0.0), le(1.0)])
    #: Probability of proven reoffending within one year, if given.
    score_1y: float | None = field(default=None, validator=_probability)


@attrs.frozen(kw_only=True)
class EventRetracted(_Envelope):
    """The target event never happened, from this event's ``recorded_at`` on."""

    TYPE: ClassVar[str] = "event_retracted"
    #: The event retracted.
    target_event_id: str = field(validator=_identifier)
    #: Why, in words.
    reason: str = field(validator=[instance_of(str), _text])


@attrs.frozen(kw_only=True)
class Alias:
    """Another name (and date of birth) a person is known by."""

    #: Forenames, as recorded.
    forenames: str | None = field(default=None, validator=optional(_identifier))
    #: Surname, as recorded.
    surname: str | None = field(default=None, validator=optional(_identifier))
    #: The date of birth given with this name, if any.
    date_of_birth: dt.date | None = field(default=None, validator=optional(_day))

    def __attrs_post_init__(self) -> None:
        if self.forenames is None and self.surname is None:
            raise ValueError("an alias needs forenames or a surname")


def _aliases(value: Iterable[Alias]) -> tuple[Alias, ...]:
    """Aliases given as a list become a tuple, so events stay immutable."""
    return tuple(value)


def _few_aliases(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if len(value) > MAX_ALIASES:
        raise ValueError(f"{attribute.name} may hold at most {MAX_ALIASES} aliases")


#: The identifier fields of an identity record, in the order they are shown.
IDENTIFIER_FIELDS = ("pnc_id", "cro_number", "crn", "nomis_number")


@attrs.frozen(kw_only=True)
class PersonRecorded(_Envelope):
    """What a source knows about the person under its id; the latest per source record is current.

    Identifiers are kept as given: whether they are valid is the linkage's question
    (:mod:`offender_journey.linkage.identifiers`), never a reason to refuse the record.
    """

    TYPE: ClassVar[str] = "person_recorded"
    #: Forenames, as recorded.
    forenames: str | None = field(default=None, validator=optional(_identifier))
    #: Surname, as recorded.
    surname: str | None = field(default=None, validator=optional(_identifier))
    #: Date of birth.
    date_of_birth: dt.date | None = field(default=None, validator=optional(_day))
    #: Recorded sex.
    sex: Sex | None = field(default=None, validator=optional(instance_of(Sex)))
    #: Postcode, or its outward code alone.
    postcode: str | None = field(default=None, validator=optional(_identifier))
    #: Police National Computer id, as given (``2012/0052495A``).
    pnc_id: str | None = field(default=None, validator=optional(_identifier))
    #: Criminal Records Office number, as given (``001234/12A``).
    cro_number: str | None = field(default=None, validator=optional(_identifier))
    #: Probation case reference number (nDelius), as given (``X123456``).
    crn: str | None = field(default=None, validator=optional(_identifier))
    #: Prison number (NOMIS), as given (``A1234BC``).
    nomis_number: str | None = field(default=None, validator=optional(_identifier))
    #: Other names the person is known by.
    aliases: tuple[Alias, ...] = field(default=(), converter=_aliases, validator=_few_aliases)

    def __attrs_post_init__(self) -> None:
        reason = _named_or_identified({name: getattr(self, name) for name in _NAMING_FIELDS})
        if reason is not None:
            raise ValueError(reason)


_NAMING_FIELDS = ("forenames", "surname", *IDENTIFIER_FIELDS)


def _named_or_identified(values: Mapping[str, Any]) -> str | None:
    """Why an identity record names nobody, or ``None`` when it has a name or an identifier."""
    if any(values.get(name) is not None for name in _NAMING_FIELDS):
        return None
    return "a person_recorded needs forenames or a surname, or one of " + ", ".join(
        IDENTIFIER_FIELDS
    )


class LinkRule(StrEnum):
    """What holds a source record in its person."""

    MODEL = "model"
    PNC = "pnc"
    CRO = "cro"
    MANUAL = "manual"
    ALONE = "alone"


class LinkDecision(StrEnum):
    """A person's decision about two source records."""

    JOIN = "join"
    NEVER = "never"


#: Match weights recorded with link decisions lie within this bound (Splink's are far inside).
MAX_MATCH_WEIGHT = 1_000.0

_weight = optional([instance_of(float), ge(-MAX_MATCH_WEIGHT), le(MAX_MATCH_WEIGHT)])


@attrs.frozen(kw_only=True)
class RecordLinked(_Envelope):
    """A linkage run placed this source record in a person, from ``recorded_at`` on."""

    TYPE: ClassVar[str] = "record_linked"
    ABOUT_THE_RECORD: ClassVar[bool] = True
    #: The person the record belongs to (stable across runs: ``P000042``).
    person_id: str = field(validator=_identifier)
    #: What holds the record there: the model's score, a shared identifier, a person's join.
    rule: LinkRule = field(validator=instance_of(LinkRule))
    #: The version of the model that scored the run (a hash of its settings).
    model_version: str = field(validator=_identifier)
    #: The match weight of the strongest scored link holding the record there, if any
    #: (a record held by a shared identifier has one too, when the model scored the pair).
    weight: float | None = field(default=None, validator=_weight)


@attrs.frozen(kw_only=True)
class LinkReviewed(_Envelope):
    """A person's decision about this source record and one other: one person, or never."""

    TYPE: ClassVar[str] = "link_reviewed"
    ABOUT_THE_RECORD: ClassVar[bool] = True
    #: A token the decision's two events share (each names only its own record).
    pair: str = field(validator=_identifier)
    #: ``join`` (always one person) or ``never`` (never one person).
    decision: LinkDecision = field(validator=instance_of(LinkDecision))
    #: Why, in words.
    reason: str = field(validator=[instance_of(str), _text])


Event: TypeAlias = (
    OffenderProfile
    | Arrest
    | Charge
    | BailGranted
    | BailEnded
    | RemandedInCustody
    | RemandEnded
    | CourtAppearance
    | Conviction
    | ChargeDisposed
    | Sentence
    | Caution
    | ReleasedOnLicence
    | LicenceRecalled
    | ReturnedToCustody
    | LicenceEnded
    | WarrantIssued
    | WarrantExecuted
    | WarrantWithdrawn
    | RiskAssessed
    | PersonRecorded
    | RecordLinked
    | LinkReviewed
    | EventRetracted
)
"""Every event of the vocabulary."""

#: Wire ``type`` tag → event class, in the documented order.
EVENT_TYPES: dict[str, type[Event]] = {cls.TYPE: cls for cls in get_args(Event)}

#: Rules across the fields of one event, by ``type`` tag: given the event's fields (its
#: JSON object, or its attributes), why it is refused, or ``None``. Each field's own
#: rules are its validators; these are the few that no single field can state.
ACROSS_FIELDS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    PersonRecorded.TYPE: _named_or_identified,
}
