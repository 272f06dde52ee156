import io
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from offender_journey.codec import Codec
from offender_journey.io import export_jsonl, import_jsonl, write_rejection
from offender_journey.store import InMemoryStore, SQLiteStore
from offender_journey.testing import events

codec = Codec()


def arrest(event_id: str, day: str = "2014-01-01") -> bytes:
    return (
        f'{{"type": "arrest", "event_id": "{event_id}", "offender_id": "O1", '
        f'"date": "{day}", "arrest_id": "a-{event_id}"}}'
    ).encode()


def source(*lines: bytes) -> io.BytesIO:
    return io.BytesIO(b"\n".join(lines) + b"\n")


def test_every_line_is_stored_present_or_rejected() -> None:
    store = InMemoryStore()
    report = import_jsonl(
        source(arrest("e1"), b"", arrest("e1"), b'{"type": "arrest"}', b"   ", arrest("e2")), store
    )
    assert (report.stored, report.duplicates, report.rejected, report.blank) == (2, 1, 1, 2)
    assert report.lines == 4
    (rejection,) = report.rejections
    assert rejection.line == 4
    assert rejection.text == b'{"type": "arrest"}'
    assert "event_id: required field missing" in str(rejection)


def test_a_second_import_stores_nothing_new() -> None:
    store = SQLiteStore(":memory:")
    data = source(arrest("e1"), arrest("e2"))
    assert import_jsonl(data, store).stored == 2
    data.seek(0)
    again = import_jsonl(data, store)
    assert (again.stored, again.duplicates) == (0, 2)


def test_a_conflicting_id_rejects_only_that_line() -> None:
    store = SQLiteStore(":memory:")
    report = import_jsonl(
        source(arrest("e1"), arrest("e2"), arrest("e1", day="2014-05-05"), arrest("e3")),
        store,
        batch_size=10,
    )
    assert (report.stored, report.rejected) == (3, 1)
    assert report.rejections[0].line == 3
    assert report.rejections[0].problems[0].field == "event_id"
    assert "different content" in report.rejections[0].problems[0].reason
    assert store.read_stream("O1")[0].date.day == 1


def test_conflicts_with_what_is_already_stored() -> None:
    store = InMemoryStore()
    import_jsonl(source(arrest("e1")), store)
    report = import_jsonl(source(arrest("e1", day="2015-01-01")), store)
    assert (report.stored, report.duplicates, report.rejected) == (0, 0, 1)


def test_strict_mode_stores_nothing_when_any_line_is_bad() -> None:
    for store in (InMemoryStore(), SQLiteStore(":memory:")):
        report = import_jsonl(
            source(arrest("e1"), b"{not json", arrest("e2"), b"[]"),
            store,
            strict=True,
            batch_size=1,
        )
        assert (report.stored, report.rejected) == (0, 2)
        assert [r.line for r in report.rejections] == [2, 4]
        assert store.count_events() == 0
        clean = import_jsonl(source(arrest("e1"), arrest("e2")), store, strict=True)
        assert clean.stored == 2


def test_non_utf8_bom_and_crlf() -> None:
    store = InMemoryStore()
    report = import_jsonl(
        io.BytesIO(b"\xef\xbb\xbf" + arrest("e1") + b"\r\n" + b"\xff\xfe{}\r\n" + arrest("e2")),
        store,
    )
    assert (report.stored, report.rejected) == (2, 1)
    assert "not valid UTF-8" in str(report.rejections[0])


def test_empty_input_is_not_an_error() -> None:
    report = import_jsonl(io.BytesIO(b""), InMemoryStore())
    assert (report.lines, report.rejected) == (0, 0)


def test_reads_paths_and_text_files(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(arrest("e1") + b"\n")
    assert import_jsonl(path, InMemoryStore()).stored == 1
    assert import_jsonl(str(path), InMemoryStore()).stored == 1
    assert import_jsonl(io.StringIO(arrest("e1").decode()), InMemoryStore()).stored == 1


def test_rejects_file_keeps_the_line_verbatim() -> None:
    out = io.BytesIO()
    report = import_jsonl(
        source(b'{"type":\t"x"}  '), InMemoryStore(), on_reject=lambda r: write_rejection(out, r)
    )
    assert report.rejected == 1
    number, reasons, text = out.getvalue().rstrip(b"\n").split(b"\t", 2)
    assert number == b"1"
    assert b"unknown event type" in reasons
    assert text == b'{"type":\t"x"}  '


def test_progress_is_reported_per_batch() -> None:
    seen: list[int] = []
    import_jsonl(
        source(*(arrest(f"e{i}") for i in range(5))),
        InMemoryStore(),
        batch_size=2,
        on_progress=seen.append,
    )
    assert seen == [2, 4, 5]


def test_export_then_import_round_trips() -> None:
    store = InMemoryStore()
    import_jsonl(source(arrest("e1"), arrest("e2")), store)
    out = io.StringIO()
    assert export_jsonl(store.read_stream("O1"), out) == 2
    again = InMemoryStore()
    assert import_jsonl(io.StringIO(out.getvalue()), again).stored == 2
    assert again.read_stream("O1") == store.read_stream("O1")


line_kinds = st.one_of(
    events(st.sampled_from(["O1", "O2"])).map(lambda e: codec.encode_line(e).encode()),
    st.sampled_from([b"", b"  ", b"{", b"[]", b'{"type": "arrest"}', b"\xff", b'"text"', b"null"]),
    st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(line_kinds, max_size=25).flatmap(
        lambda lines: st.permutations(lines + lines[: len(lines) // 2])
    )
)
@example(lines=[b"\xef\xbb\xbf", b"null"])  # a byte-order mark alone makes line 1 blank
def test_any_mixture_is_fully_accounted_for(lines: list[bytes]) -> None:
    store = SQLiteStore(":memory:")
    data = b"\n".join(lines)
    report = import_jsonl(io.BytesIO(data), store, batch_size=4)
    text = data.removeprefix(b"\xef\xbb\xbf")  # a mark of the encoding, not of line 1's content
    non_blank = sum(1 for line in text.split(b"\n") if line.strip(b" \t\r\x0b\x0c"))
    assert report.stored + report.duplicates + report.rejected == non_blank
    assert store.count_events() == report.stored
    again = import_jsonl(io.BytesIO(data), store, batch_size=4)
    assert again.stored == 0
    assert again.rejected == report.rejected


def test_an_import_from_a_source_gives_each_line_that_source() -> None:
    store = SQLiteStore(":memory:")
    own = b'{"type": "arrest", "event_id": "e3", "offender_id": "O1", "source": "police",'
    own += b' "date": "2014-01-01", "arrest_id": "a3"}'
    other = own.replace(b'"police"', b'"courts"').replace(b"e3", b"e4")
    report = import_jsonl(source(arrest("e1"), own, other), store, source="police")
    assert (report.stored, report.rejected) == (2, 1)
    (rejection,) = report.rejections
    assert rejection.line == 3
    assert str(rejection) == "line 3: source: 'courts' disagrees with the import's source 'police'"
    assert [(e.source, e.event_id) for e in store.read_stream("police:O1")] == [
        ("police", "e1"),
        ("police", "e3"),
    ]
    assert list(store.offenders()) == ["police:O1"]
    # Imported again: recognised, although the first line's source was added on import.
    again = import_jsonl(source(arrest("e1"), own), store, source="police")
    assert (again.stored, again.duplicates) == (0, 2)


def test_the_same_ids_in_two_sources_are_two_records() -> None:
    store = SQLiteStore(":memory:")
    assert import_jsonl(source(arrest("e1")), store, source="police").stored == 1
    assert import_jsonl(source(arrest("e1", "2014-02-01")), store, source="courts").stored == 1
    assert import_jsonl(source(arrest("e1")), store).stored == 1
    assert list(store.offenders()) == ["O1", "courts:O1", "police:O1"]


def test_a_bad_source_name_is_rejected_with_its_field() -> None:
    line = arrest("e1").replace(b'"offender_id"', b'"source": "Police!", "offender_id"')
    report = import_jsonl(source(line), InMemoryStore())
    assert report.rejected == 1
    assert report.rejections[0].problems[0].field == "source"


def test_a_line_that_would_join_another_sources_record_is_rejected_alone() -> None:
    store = SQLiteStore(":memory:")
    import_jsonl(source(arrest("e1")), store, source="police")
    spelt = arrest("e2").replace(b'"O1"', b'"police:O1"')
    report = import_jsonl(source(spelt, arrest("e3")), store)
    assert (report.stored, report.rejected) == (1, 1)
    assert str(report.rejections[0]) == (
        "line 1: offender_id: record 'police:O1' is already a record of another source"
    )
