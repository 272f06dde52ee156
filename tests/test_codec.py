import datetime as dt
import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offender_journey.codec import (
    UPCASTERS,
    Codec,
    dumps,
    loads,
    parse_date,
    parse_instant,
    parse_object,
)
from offender_journey.errors import InvalidEventError
from offender_journey.events import EVENT_TYPES, Category, Charge, Event, Offence, Sentence
from offender_journey.testing import event_of
from strategies import journeys

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
@settings(deadline=None)  # the first event of a type builds its converter hooks
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


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2099, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_the_london_date_is_the_one_pendulum_gives(moment: dt.datetime, minutes: int) -> None:
    """The London date of an instant is read with the standard library's zone data, the
    same IANA zone pendulum reads: every date, daylight saving changes included."""
    aware = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))
    assert parse_date(aware) == pendulum_london_date(aware)


def test_the_london_date_around_daylight_saving_changes() -> None:
    for change in (dt.datetime(2014, 3, 30, 1), dt.datetime(2014, 10, 26, 1)):  # BST starts, ends
        for seconds in (-3601, -1, 0, 3599, 3600):
            instant = (change + dt.timedelta(seconds=seconds)).replace(tzinfo=dt.UTC)
            assert parse_date(instant) == pendulum_london_date(instant)
    assert parse_date("2014-10-25T23:00:00+00:00") == dt.date(2014, 10, 26)  # BST: 00:00


def pendulum_london_date(moment: dt.datetime) -> dt.date:
    import pendulum

    local = pendulum.instance(moment).in_timezone(pendulum.timezone("Europe/London"))
    return dt.date(local.year, local.month, local.day)


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


# --- plausible values: what a line may hold (SPEC section 2) -----------------------------

SENTENCE = {
    "type": "sentence",
    "event_id": "s1",
    "offender_id": "o1",
    "date": "2014-03-01",
    "sentence_id": "s1",
    "charge_ids": ["c1"],
    "disposal": "community_order",
}


@pytest.mark.parametrize(
    ("base", "change", "field", "reason"),
    [
        (CHARGE, {"date": "9999-12-31"}, "date", "outside 1900-01-01 .. 2100-12-31"),
        (CHARGE, {"date": "1899-12-31"}, "date", "outside 1900-01-01 .. 2100-12-31"),
        (CHARGE, {"offence_date": "9999-12-31"}, "offence_date", "outside 1900-01-01"),
        (CHARGE, {"date": "9999-12-31T23:30:00-05:00"}, "date", "outside the calendar"),
        (CHARGE, {"recorded_at": "1969-12-31T23:59:59+00:00"}, "recorded_at", "outside 1970"),
        (CHARGE, {"recorded_at": "2101-01-01T00:00:00+00:00"}, "recorded_at", "outside 1970"),
        (CHARGE, {"event_id": "e" * 129}, "event_id", "1 to 128 characters"),
        (CHARGE, {"offence": {"code": "c" * 129, "category": "fraud"}}, "offence.code", "128"),
        (
            CHARGE,
            {"offence": {"code": "c", "category": "fraud", "description": "d" * 1001}},
            "offence.description",
            "at most 1,000 characters",
        ),
        (CHARGE, {"charge_id": "\ud800"}, "charge_id", "not valid Unicode"),
        (SENTENCE, {"length_days": 10_000_000}, "length_days", "<= 36525"),
        (SENTENCE, {"length_days": -1}, "length_days", ">= 0"),
        (SENTENCE, {"length_days": 18446744073709551617}, "length_days", "64-bit"),
        (SENTENCE, {"length_days": 1.8446744073709552e19}, "length_days", "exact whole number"),
        (SENTENCE, {"charge_ids": ["c"] * 1001}, "charge_ids", "at most 1,000 items"),
        (SENTENCE, {"charge_ids": ["c" * 129]}, "charge_ids", "1 to 128 characters"),
        (SENTENCE, {"schema_version": -20_000_000}, "schema_version", "older than any"),
        (SENTENCE, {"schema_version": -(2**63)}, "schema_version", "older than any"),
        (SENTENCE, {"schema_version": 2**70}, "schema_version", "newer than"),
        (
            SENTENCE,
            {"schema_version": 0, "length_months": 10**15},
            "schema_version",
            "length_months: expected a whole number 0 .. 1200",
        ),
    ],
)
def test_implausible_values_are_rejected_naming_the_field(
    base: dict[str, object], change: dict[str, object], field: str, reason: str
) -> None:
    found = problems({**base, **change})
    assert any(f == field and reason in r for f, r in found), found


def test_the_bounds_themselves_are_accepted() -> None:
    edge = {
        **SENTENCE,
        "date": "1900-01-01",
        "length_days": 36_525,
        "recorded_at": "2100-12-31T23:59:59+00:00",
        "event_id": "e" * 128,
    }
    assert codec.decode(edge).length_days == 36_525  # type: ignore[union-attr]
    assert codec.decode({**CHARGE, "date": "2100-12-31", "offence_date": "1900-01-01"})


def test_old_sentences_upcast_within_the_bounds() -> None:
    old = {**SENTENCE, "schema_version": 0, "length_months": 1200}
    assert 36_500 < codec.decode(old).length_days <= 36_525  # type: ignore[operator,union-attr]


def test_events_built_in_python_keep_the_bounds_too() -> None:
    sentence = codec.decode(SENTENCE)
    with pytest.raises(ValueError, match="date must be between 1900-01-01 and 2100-12-31"):
        attrs.evolve(sentence, date=dt.date(9999, 12, 31))
    with pytest.raises(ValueError, match="length_days"):
        attrs.evolve(sentence, length_days=40_000)
    with pytest.raises(ValueError, match="recorded_at must be between 1970 and 2100"):
        attrs.evolve(sentence, recorded_at=dt.datetime(1969, 1, 1, tzinfo=dt.UTC))


def test_a_huge_schema_version_is_refused_without_stepping_through_it() -> None:
    steps: list[int] = []

    def counting(raw: dict[str, object]) -> dict[str, object]:
        steps.append(1)
        return {**raw, "schema_version": 1}

    original = UPCASTERS[("sentence", 0)]
    UPCASTERS[("sentence", 0)] = counting
    try:
        for version in (-(2**63), -20_000_000, 2**63):
            problems({**SENTENCE, "schema_version": version})
    finally:
        UPCASTERS[("sentence", 0)] = original
    assert steps == []


def test_messages_never_echo_huge_values() -> None:
    huge = "x" * 10_000_000
    for change in (
        {"offence": {"code": "c", "category": huge}},
        {"type": huge},
        {"date": huge},
        {"recorded_at": huge},
    ):
        with pytest.raises(InvalidEventError) as caught:
            codec.decode({**CHARGE, **change})
        assert len(str(caught.value)) < 1_000
        assert "(10000000 chars)" in str(caught.value)


@pytest.mark.parametrize("with_orjson", [True, False], ids=["orjson", "stdlib"])
@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"arrest_id":"a","offender_id":"o2"}',
            "offender_id",
            "key given twice",
        ),
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"arrest_id":"a","x":{"k":"a:b","k" : 1}}',
            "k",
            "key given twice",
        ),
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"arrest_id":"a","x":{"k":"a:b","k":1}}',
            "k",
            "key given twice",
        ),
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"arrest_id":"a","x":[{"k":"a\\":","k":1}]}',
            "k",
            "key given twice",
        ),
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"note":"\\u003a","arrest_id":"a","arrest_id":"b"}',
            "arrest_id",
            "key given twice",
        ),
        (
            '{"type":"risk_assessed","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"tool":"t","score_2y":NaN}',
            "",
            "not valid JSON",
        ),
        (
            '{"type":"risk_assessed","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"tool":"t","score_2y":1e400}',
            "",
            "",
        ),
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"arrest_id":"a","x":' + "[" * 5000 + "]" * 5000 + "}",
            "",
            "not valid JSON",
        ),
        (
            '{"type":"arrest","offender_id":"o1","event_id":"e","date":"2014-01-01",'
            '"arrest_id":"\\ud800"}',
            "",
            "",
        ),
    ],
)
def test_json_that_parsers_quietly_accept_is_rejected(
    line: str, field: str, reason: str, with_orjson: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not with_orjson:
        monkeypatch.setattr("offender_journey.codec.orjson", None)
    with pytest.raises(InvalidEventError) as caught:
        codec.decode_line(line)
    (problem,) = caught.value.problems
    if field:
        assert problem.field == field
    assert reason in problem.reason


@given(
    keys=st.lists(st.sampled_from(["a", "b", "c:d", "e"]), min_size=1, max_size=6),
    values=st.lists(st.sampled_from(['"x"', '"1:2"', "1", '{"a":"b:c"}', '["::"]']), min_size=6),
    spaces=st.sampled_from([":", " :", ": ", "\t:\n"]),
    comma=st.sampled_from([", ", ","]),
)
def test_duplicate_keys_are_found_however_the_line_is_spelt(
    keys: list[str], values: list[str], spaces: str, comma: str
) -> None:
    members = comma.join(f'"{k}"{spaces}{v}' for k, v in zip(keys, values, strict=False))
    line = "{" + members + "}"
    if len(set(keys)) < len(keys):
        with pytest.raises(ValueError, match="duplicate key"):
            parse_object(line)
    else:
        assert parse_object(line) == json.loads(line)


@given(journeys())
def test_events_read_back_from_a_store_equal_the_events_validated_at_import(
    events: list[Event],
) -> None:
    # Stored events skip the validators they passed at import: the result must not differ.
    recorded = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    for event in events:
        line = codec.encode_line(event)
        validated = codec.decode({**json.loads(line), "recorded_at": recorded})
        stored = codec.decode_stored(line, recorded)
        assert type(stored) is type(validated)
        assert stored == validated
        assert repr(stored) == repr(validated)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            stored.offender_id = "changed"  # type: ignore[misc]


def _respelt(raw: dict[str, object], choices: st.DataObject, kind: type) -> dict[str, object]:
    """The same event spelt another accepted way: offsets, whole floats, explicit nulls."""
    out: dict[str, object] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            value = _respelt(value, choices, Offence)
        elif isinstance(value, str) and len(value) == 10 and value[4] == "-":
            if choices.draw(st.booleans()):
                value = f"{value}T{choices.draw(st.sampled_from(['00:30', '23:30']))}:00+00:00"
        elif isinstance(value, str) and key == "recorded_at" and choices.draw(st.booleans()):
            moment = dt.datetime.fromisoformat(value).astimezone(dt.timezone(dt.timedelta(hours=1)))
            value = moment.isoformat()
        elif type(value) is float and value.is_integer() and choices.draw(st.booleans()):
            value = int(value)
        elif type(value) is int and choices.draw(st.booleans()):
            value = float(value)
        out[key] = value
    for field in attrs.fields(kind):
        if field.name not in out and field.default is None and choices.draw(st.booleans()):
            out[field.name] = None
    return out


@given(journeys(), st.data())
def test_stored_events_spelt_any_accepted_way_equal_the_validated_decode(
    events: list[Event], choices: st.DataObject
) -> None:
    # The read path converts the usual spellings inline and hands the rest to the
    # converter's hooks: a line stored as given must read back as a full decode gives it.
    for event in events:
        raw = _respelt(json.loads(codec.encode_line(event)), choices, type(event))
        line = json.dumps(raw)
        recorded = choices.draw(st.sampled_from([None, dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)]))
        expected = codec.decode(raw if recorded is None else {**raw, "recorded_at": recorded})
        for payload in (line, line.encode()):
            stored = codec.decode_stored(payload, recorded)
            assert type(stored) is type(expected)
            assert stored == expected
            assert repr(stored) == repr(expected)
