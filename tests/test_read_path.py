"""Reading stored events: what the folds get is what the import validated, field for field.

Stored events were checked in full on the way in, so the read path rebuilds them without
running the validators again; the events must be the same objects a full decode of the
lines gives, over every kind of event a synthetic corpus holds.
"""

import datetime as dt
import json
from pathlib import Path

from offender_journey.codec import Codec
from offender_journey.io import import_jsonl
from offender_journey.store import SQLiteStore
from offender_journey.synth import write_jsonl


def test_every_event_of_a_synthetic_corpus_reads_back_as_its_line_decodes(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "c.jsonl", 300, seed=7)
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    codec = Codec()
    expected = {}
    for line in lines:
        raw = json.loads(line)
        expected[raw["event_id"]] = codec.decode(raw)
    with SQLiteStore(tmp_path / "s.db") as store:
        assert import_jsonl(tmp_path / "c.jsonl", store).stored == len(lines)
        read = [event for _, events in store.read_all() for event in events]
    assert len(read) == len(expected) > 10_000
    assert len({type(event) for event in read}) >= 15
    for event in read:
        want = expected[event.event_id]
        assert type(event) is type(want)
        assert event == want
        assert repr(event) == repr(want)
        assert event.recorded_at is not None
        assert event.recorded_at.tzinfo is dt.UTC
