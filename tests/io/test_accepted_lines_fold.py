"""Whatever an import accepts, every view can fold; whatever it is given, every line is counted."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from fold_check import every_view_runs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offender_journey.codec import Codec
from offender_journey.io import import_jsonl
from offender_journey.store import SQLiteStore
from offender_journey.testing import events

codec = Codec()

#: Values that real extracts hold by mistake: placeholders, overflows, wrong types.
NASTY: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    36_526,
    10_000_000,
    2**63,
    2**64 + 1,
    -(2**63) - 1,
    10**30,
    1e308,
    -0.0,
    0.5,
    1.8446744073709552e19,
    "",
    " ",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2101-01-01",
    "2014-02-30",
    "2014-01-01T00:00:00",
    "2014-01-01T23:59:59-12:00",
    "9999-12-31T23:59:59-23:59",
    "1970-01-01T00:30:00+01:00",
    "2100-12-31T23:59:59-01:00",
    "\u0000",
    "x" * 129,
    "y" * 1_001,
    [],
    {},
    ["a"],
    [""],
    [1],
    ["c"] * 1_001,
    {"code": "x"},
    {"code": "x", "category": "other"},
    {"code": "x", "category": "other", "description": "z" * 1_001},
]
nasty = st.one_of(
    st.sampled_from(NASTY),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.dates().map(dt.date.isoformat),
    st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat),
)
EXTRA_KEYS = ["schema_version", "length_months", "recorded_at", "length_days", "date", "type"]
#: Wrong values of the right type, for the fields that hold dates and numbers.
DATES = st.sampled_from(
    [
        "9999-12-31",
        "0001-01-01",
        "1899-12-31",
        "2101-01-01",
        "1900-01-01",
        "2100-12-31",
        "2100-12-31T23:30:00-05:00",
        "1900-01-01T00:30:00+01:00",
    ]
)
NUMBERS = st.sampled_from([-1, 0, 36_525, 36_526, 10_000_000, 2**63, 2**64 + 1, -(2**63), 1e19])
TYPED = {
    "date": DATES,
    "offence_date": DATES,
    "licence_end": DATES,
    "date_of_birth": DATES,
    "recorded_at": st.sampled_from(
        [
            "1969-12-31T23:59:59+00:00",
            "2100-12-31T23:59:59-05:00",
            "9999-12-31T23:59:59+00:00",
            "1970-01-01T00:00:00+00:00",
        ]
    ),
    "length_days": NUMBERS,
    "length_months": NUMBERS,
    "schema_version": NUMBERS,
}


@st.composite
def perturbed_lines(draw: st.DrawFn) -> bytes:
    """A valid event's JSON with fields changed, dropped, added or given twice."""
    raw = codec.encode(draw(events(st.sampled_from(["O1", "O2", "O3"]))))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(sorted(raw) + EXTRA_KEYS))
        action = draw(st.sampled_from(["set", "set", "drop", "nested"]))
        if action == "drop":
            raw.pop(key, None)
        elif action == "nested" and isinstance(raw.get("offence"), dict):
            inner = draw(st.sampled_from(["code", "category", "description"]))
            raw["offence"][inner] = draw(nasty)
        elif key in TYPED and draw(st.booleans()):
            raw[key] = draw(TYPED[key])
            if key == "length_months":
                raw["schema_version"] = 0
        else:
            raw[key] = draw(nasty)
    text = json.dumps(raw)
    if draw(st.booleans()) and len(raw) > 1:  # the same key again, with another value
        key = draw(st.sampled_from(sorted(raw)))
        text = text[:-1] + f", {json.dumps(key)}: {json.dumps(draw(nasty))}}}"
    return text.encode()


valid_lines = events(st.sampled_from(["O1", "O2"])).map(lambda e: codec.encode_line(e).encode())
arbitrary_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))
arbitrary_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
).map(lambda v: json.dumps(v).encode())


def _import_and_check(lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    store = SQLiteStore(":memory:")
    report = import_jsonl(io.BytesIO(data), store, batch_size=5)
    non_blank = sum(
        1 for line in data.split(b"\n") if line.strip(b" \t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")
    )
    assert report.stored + report.duplicates + report.rejected == report.lines
    assert report.lines + report.blank == len(data.split(b"\n")) - 1
    assert report.lines <= non_blank
    assert store.count_events() == report.stored
    every_view_runs(store)


def _sentence(**fields: object) -> bytes:
    raw = {
        "type": "sentence",
        "event_id": "s1",
        "offender_id": "O1",
        "date": "2014-01-01",
        "sentence_id": "s1",
        "charge_ids": ["c1"],
        "disposal": "community_order",
    }
    return json.dumps({**raw, **fields}).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(perturbed_lines() | valid_lines, min_size=1, max_size=12))
# Lines that once poisoned a whole store, always tried whatever hypothesis draws:
@example([_sentence(length_days=10_000_000)])
@example([_sentence(disposal="suspended_sentence", length_days=2**64 + 1)])
@example([_sentence(date="9999-12-31", disposal="fine")])
@example([_sentence(schema_version=0, length_months=10**12)])
@example([_sentence(schema_version=-20_000_000)])
def test_whatever_is_accepted_every_view_can_fold(lines: list[bytes]) -> None:
    _import_and_check(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(arbitrary_bytes | arbitrary_json | perturbed_lines() | valid_lines, max_size=12))
def test_arbitrary_input_is_accounted_for_and_the_store_still_folds(lines: list[bytes]) -> None:
    _import_and_check(lines)
