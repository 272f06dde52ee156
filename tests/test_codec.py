import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offender_journey.codec import UPCASTERS, Codec, dumps, loads, parse_date, parse_instant
from offender_journey.errors import InvalidEventError
from offender_journey.events import EVENT_TYPES, Category, Charge, Event, Sentence
from offender_journey.testing import event_of

codec = Codec()

CHARGE = {
    "type": "charge",
    "event_id": "e1",
    "offender_id": "o1",
    "date": "2014-03-01",
    "charge_id": "c1",
    "offence": {"code": "TH01", "category": "shoplifting"},
    "offence_date": "2014-02-27",
    "arrest_id": "a1",
}


def problems(raw: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidEventError) as caught:
        codec.decode(raw)
    return [(p.field, p.reason) for p in caught.value.problems]


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
@given(data=st.data())
def test_every_event_type_round_trips_through_json(cls: type[Event], data: st.DataObject) -> None:
    event = data.draw(event_of(cls))
    line = codec.encode_line(event)
    assert codec.decode_line(line) == event
    assert loads(line)["type"] == cls.TYPE


def test_a_charge_decodes_to_typed_fields() -> None:
    charge = codec.decode(CHARGE)
    assert isinstance(charge, Charge)
    assert charge.offence.category is Category.SHOPLIFTING
    assert charge.offence_date == dt.date(2014, 2, 27)
    assert charge.schema_version == 1
    assert charge.case_id is None


def test_encoding_omits_defaults_and_sorts_keys() -> None:
    line = codec.encode_line(codec.decode(CHARGE))
    assert list(loads(line)) == sorted(loads(line))
    assert "schema_version" not in line
    assert "case_id" not in line


def test_dumps_is_identical_with_and_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    obj = {"b": [1, 2.5, None], "a": "Zoë\t/", "c": {"y": True, "x": "é"}}
    fast = dumps(obj)
    monkeypatch.setattr("offender_journey.codec.orjson", None)
    assert dumps(obj) == fast


def test_datetimes_with_offset_reduce_to_the_london_date() -> None:
    assert parse_date("2014-07-01T23:30:00+00:00") == dt.date(2014, 7, 2)  # BST
    assert parse_date("2014-01-01T23:30:00+00:00") == dt.date(2014, 1, 1)  # GMT
    assert parse_date("2014-07-02T00:30:00+02:00") == dt.date(2014, 7, 1)


def test_recorded_at_is_an_aware_utc_instant() -> None:
    assert parse_instant("2014-07-01T12:00:00+01:00") == dt.datetime(2014, 7, 1, 11, tzinfo=dt.UTC)
    assert parse_instant("2014-07-01T12:00:00Z").tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"date": "2014-02-30"}, "date", "impossible date '2014-02-30'"),
        ({"date": "2014-03-01T10:00:00"}, "date", "has no UTC offset"),
        ({"date": 20140301}, "date", "expected a date string, got a number"),
        ({"recorded_at": "2014-03-01 10:00"}, "recorded_at", "has no UTC offset"),
        ({"charge_id": 7}, "charge_id", "expected a string, got a number"),
        ({"charge_id": ""}, "charge_id", "1 to 128 characters"),
        (
            {"offence": {"code": "X", "category": "piracy"}},
            "offence.category",
            "unknown category 'piracy'",
        ),
        ({"offence": "theft"}, "offence", "expected an object, got a string"),
        ({"type": "parole_board"}, "type", "unknown event type 'parole_board'"),
        ({"schema_version": 7}, "schema_version", "newer than this library reads"),
    ],
)
def test_bad_fields_are_named_with_a_reason(
    change: dict[str, object], field: str, reason: str
) -> None:
    found = problems({**CHARGE, **change})
    assert any(f == field and reason in r for f, r in found), found


def test_every_missing_field_is_reported_at_once() -> None:
    found = problems(
        {"type": "charge", "event_id": "e1", "offender_id": "o1", "date": "2014-03-01"}
    )
    assert {f for f, _ in found} == {"charge_id", "offence", "offence_date"}
    assert {r for _, r in found} == {"required field missing"}


def test_lists_must_be_lists_of_strings() -> None:
    sentence = {
        "type": "sentence",
        "event_id": "s",
        "offender_id": "o",
        "date": "2014-01-31",
        "sentence_id": "s1",
        "disposal": "fine",
    }
    assert problems({**sentence, "charge_ids": "c1"}) == [
        ("charge_ids", "expected a list of strings, got a string")
    ]
    assert problems({**sentence, "charge_ids": ["c1", 2]})[0][0] == "charge_ids"
    assert problems({**sentence, "charge_ids": ["c1"], "length_days": -1})[0][0] == "length_days"


def test_not_an_object_and_not_json() -> None:
    assert problems([1, 2]) == [("", "expected a JSON object, got a list")]
    with pytest.raises(InvalidEventError, match="not valid JSON"):
        codec.decode_line('{"type": "arrest",')
    assert problems({"event_id": "x"}) == [("type", "required field missing")]


def test_missing_optional_fields_and_nulls_mean_absent() -> None:
    assert codec.decode({**CHARGE, "case_id": None}) == codec.decode(CHARGE)
    bail = {
        "type": "bail_granted",
        "event_id": "b",
        "offender_id": "o",
        "date": "2014-01-01",
        "bail_id": "b1",
        "kind": "police",
    }
    assert codec.decode(bail).charge_ids == ()  # type: ignore[union-attr]


def test_version_0_sentences_in_months_are_upcast_to_days() -> None:
    old = {
        "type": "sentence",
        "schema_version": 0,
        "event_id": "s",
        "offender_id": "o",
        "date": "2016-01-31",
        "sentence_id": "s1",
        "charge_ids": ["c1"],
        "disposal": "suspended_sentence",
        "length_months": 1,
    }
    sentence = codec.decode(old)
    assert isinstance(sentence, Sentence)
    assert sentence.length_days == 29  # 31 Jan 2016 + 1 month = 29 Feb 2016
    assert sentence.schema_version == 1
    assert ("sentence", 0) in UPCASTERS


def test_version_0_of_other_types_needs_no_change() -> None:
    arrest = {
        "type": "arrest",
        "schema_version": 0,
        "event_id": "e",
        "offender_id": "o",
        "date": "2014-01-01",
        "arrest_id": "a",
    }
    assert codec.decode(arrest).schema_version == 1


def test_same_content_ignores_spelling() -> None:
    a = '{"type":"arrest","event_id":"e","offender_id":"o","date":"2014-01-01","arrest_id":"a"}'
    b = '{"arrest_id": "a", "date": "2014-01-01", "offender_id": "o", "event_id": "e", "type": "arrest", "schema_version": 1}'
    c = a.replace("2014-01-01", "2014-01-02")
    assert codec.same_content(a, b)
    assert not codec.same_content(a, c)
