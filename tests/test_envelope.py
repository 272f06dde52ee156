"""The import's fast path: records read without building events, checked as fully."""

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offender_journey.codec import Codec
from offender_journey.envelope import EnvelopeReader
from offender_journey.errors import InvalidEventError
from offender_journey.events import (
    EVENT_TYPES,
    Alias,
    Event,
    LinkDecision,
    LinkReviewed,
    LinkRule,
    PersonRecorded,
    RecordLinked,
    RemandedInCustody,
    RemandEnded,
    Sex,
)
from offender_journey.store.base import record_of
from offender_journey.synth import generate
from offender_journey.testing import event_of

codec = Codec()
NOW = 1_700_000_000_000_000
reader = EnvelopeReader(codec, now=NOW)


def full(raw: object) -> Any:
    """The record the full decode gives, or ``None`` when it rejects the event."""
    try:
        return record_of(codec.decode(raw), "payload", NOW)
    except InvalidEventError:
        return None


def test_every_line_of_synthetic_data_takes_the_fast_path() -> None:
    events = list(generate(40, seed=3))
    assert {event.TYPE for event in events} >= {"arrest", "charge", "sentence", "risk_assessed"}
    for event in events:
        line = codec.encode_line(event)
        record = reader.check(json.loads(line), line)
        assert record is not None, line
        assert record == record_of(event, line, NOW)


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
@given(data=st.data())
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_valid_event_gives_the_record_of_its_full_decode(
    cls: type[Event], data: st.DataObject
) -> None:
    event = data.draw(event_of(cls))
    line = codec.encode_line(event)
    assert reader.read(json.loads(line), line) == record_of(event, line, NOW)
    assert reader.read_line(line) == record_of(event, line, NOW)


# Values near every bound and rule of the vocabulary, and of every JSON kind.
EDGES: list[object] = [
    "2014-02-28",
    "2014-02-30",
    "1899-12-31",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "9999-12-31",
    "2014-W10-1",
    "20140301",
    "2014-03-01T23:30:00+00:00",
    "2014-03-01T23:30:00",
    "2014-03-01T23:30:00+01:00",
    "1969-12-31T23:59:59+00:00",
    "2100-12-31T23:59:59Z",
    "2101-01-01T00:00:00+00:00",
    "",
    "x" * 128,
    "x" * 129,
    "y" * 1000,
    "y" * 1001,
    "é",
    "\ud800",
    "shoplifting",
    "police",
    "guilty",
    "A",
    "adjourned",
    "immediate_custody",
    None,
    True,
    0,
    1,
    2,
    -1,
    1.0,
    0.5,
    1.5,
    float("nan"),
    36_525,
    36_526,
    2**63,
    [],
    ["c1"],
    [""],
    ["c"] * 1001,
    [1],
    {},
    {"code": "X1", "category": "fraud"},
    {"code": "X1", "category": "nope"},
]


#: One synthetic event of each type, as a line decoded; remands are rare there.
SAMPLES = {
    event.TYPE: json.loads(codec.encode_line(event))
    for event in reversed(list(generate(60, seed=5)))
}
# Types the synthetic journeys do not make (every field given, to test every edge).
NOT_SYNTHESISED: dict[str, Event] = {
    "person_recorded": PersonRecorded(
        event_id="e3",
        offender_id="o1",
        source="police",
        date=dt.date(2014, 1, 1),
        forenames="John",
        surname="Smith",
        date_of_birth=dt.date(1990, 5, 1),
        sex=Sex.MALE,
        postcode="SW1A 1AA",
        pnc_id="2002/0073319Z",
        cro_number="065656/91H",
        crn="X123456",
        nomis_number="A1234BC",
        aliases=(Alias(forenames="Jon", surname="Smyth", date_of_birth=dt.date(1990, 1, 5)),),
    ),
    "record_linked": RecordLinked(
        event_id="e4",
        offender_id="o1",
        source="courts",
        date=dt.date(2014, 1, 1),
        person_id="P000001",
        rule=LinkRule.MODEL,
        model_version="0123456789ab",
        weight=12.5,
    ),
    "link_reviewed": LinkReviewed(
        event_id="e5",
        offender_id="o1",
        source="courts",
        date=dt.date(2014, 1, 1),
        pair="ab12",
        decision=LinkDecision.NEVER,
        reason="different people: checked with the custody suite",
    ),
    "remanded_in_custody": RemandedInCustody(
        event_id="e1", offender_id="o1", date=dt.date(2014, 1, 1), remand_id="r1"
    ),
    "remand_ended": RemandEnded(
        event_id="e2", offender_id="o1", date=dt.date(2014, 2, 1), remand_id="r1"
    ),
}


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_every_field_at_every_edge_is_judged_as_the_full_decode_judges_it(
    cls: type[Event],
) -> None:
    base = SAMPLES.get(cls.TYPE) or json.loads(codec.encode_line(NOT_SYNTHESISED[cls.TYPE]))
    assert reader.check(base, "payload") is not None
    names = [*base, "schema_version", "recorded_at", "length_days", "court", "plea", "x"]
    cases: list[dict[str, Any]] = []
    for name in names:
        cases.append({k: v for k, v in base.items() if k != name})
        cases.extend({**base, name: value} for value in EDGES)
        if type(base.get(name)) is dict:
            for key in ("code", "category", "description"):
                cases.extend({**base, name: {**base[name], key: value}} for value in EDGES)
    for raw in cases:
        expected = full(raw)
        fast = reader.check(raw, "payload")
        assert fast is None or fast == expected, raw


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)
json_values = (
    st.sampled_from(EDGES)
    | scalars
    | st.lists(scalars, max_size=2)
    | st.dictionaries(st.text(max_size=3), scalars, max_size=2)
)


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
@given(data=st.data())
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_fast_path_never_accepts_what_the_full_decode_rejects(
    cls: type[Event], data: st.DataObject
) -> None:
    raw = json.loads(codec.encode_line(data.draw(event_of(cls))))
    names = [*raw, "schema_version", "recorded_at", "length_days", "court", "plea", "offence"]
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from(names))
        if data.draw(st.booleans()) and name in raw:
            del raw[name]
        elif name == "offence" and type(raw.get(name)) is dict:
            raw[name][data.draw(st.sampled_from(["code", "category", "description"]))] = data.draw(
                json_values
            )
        else:
            raw[name] = data.draw(json_values)
    expected = full(raw)
    fast = reader.check(raw, "payload")
    if fast is not None:
        assert fast == expected
    if expected is None:
        with pytest.raises(InvalidEventError):
            reader.read(raw, "payload")
    else:
        assert reader.read(raw, "payload") == expected


@given(
    st.tuples(
        *[st.sampled_from("0123456789+- TW\u0661\uff11") for _ in range(8)],
    ).map(lambda c: "".join(c[:4]) + "-" + "".join(c[4:6]) + "-" + "".join(c[6:]))
)
def test_a_record_keeps_the_date_as_the_full_decode_spells_it(date: str) -> None:
    """The fast path stores a date's text as given: only ever the day's own ISO text."""
    line = json.dumps(
        {"type": "arrest", "event_id": "e1", "offender_id": "o1", "date": date, "arrest_id": "a"}
    )
    expected = full(json.loads(line))
    if expected is None:
        with pytest.raises(InvalidEventError):
            reader.read_line(line)
    else:
        assert reader.read_line(line) == expected._replace(payload=line)
        assert reader.read_line(line).date == dt.date.fromisoformat(date).isoformat()
