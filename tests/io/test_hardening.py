"""Nothing lost, nothing crashes: hostile and careless input, and a machine that fails."""

from __future__ import annotations

import gc
import io
import json
import sqlite3
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from fold_check import every_view_runs
from hypothesis import given, settings
from hypothesis import strategies as st

from offender_journey.cli import ingest as ingest_command
from offender_journey.cli import main
from offender_journey.codec import MAX_NESTING
from offender_journey.events import Arrest, EventRetracted
from offender_journey.history import History, _effective_ids
from offender_journey.io import (
    ImportInterruptedError,
    ImportReport,
    Rejection,
    import_csv,
    import_jsonl,
    write_rejection,
)
from offender_journey.io.importing import (
    FILE_BATCH_SIZE,
    KEEP_REJECTIONS,
    KEEP_TEXT_BYTES,
    MAX_LINE_BYTES,
)
from offender_journey.store import InMemoryStore, SQLiteStore


def line(event_type: str, event_id: str, offender: str = "O1", /, **fields: object) -> bytes:
    raw = {"type": event_type, "event_id": event_id, "offender_id": offender, "date": "2014-01-01"}
    return json.dumps({**raw, **fields}).encode()


def arrest(event_id: str, offender: str = "O1") -> bytes:
    return line("arrest", event_id, offender, arrest_id=f"a-{event_id}")


def source(lines: Sequence[bytes]) -> io.BytesIO:
    return io.BytesIO(b"\n".join(lines) + b"\n")


POISON = [
    line(
        "sentence",
        "p1",
        sentence_id="s",
        charge_ids=["c"],
        disposal="community_order",
        length_days=10_000_000,
    ),
    line(
        "caution",
        "p2",
        caution_id="c",
        kind="simple",
        offence_date="9999-12-31",
        offence={"code": "x", "category": "other"},
        date="9999-12-31",
    ),
    line(
        "sentence",
        "p3",
        sentence_id="s",
        charge_ids=["c"],
        disposal="fine",
        length_days=18446744073709551617,
    ),
    line("arrest", "p4", arrest_id="a", schema_version=-20_000_000),
    line("arrest", "p5", arrest_id="a", schema_version=-(2**63)),
    line(
        "sentence",
        "p6",
        sentence_id="s",
        charge_ids=["c"],
        disposal="fine",
        schema_version=0,
        length_months=10**12,
    ),
    line("arrest", "p7", arrest_id="a", recorded_at="2150-01-01T00:00:00+00:00"),
]


def test_poisonous_lines_are_rejected_and_the_rest_stored() -> None:
    good = [arrest(f"g{i}", offender=f"O{i % 7}") for i in range(500)]
    lines = good[:250] + POISON + good[250:]
    store = SQLiteStore(":memory:")
    report = import_jsonl(source(lines), store, batch_size=100)
    assert (report.stored, report.rejected) == (500, len(POISON))
    assert [r.line for r in report.rejections] == list(range(251, 251 + len(POISON)))
    assert all(r.problems and r.problems[0].reason for r in report.rejections)
    every_view_runs(store)


def test_strict_mode_reports_every_bad_line_conflicts_included() -> None:
    store = InMemoryStore()
    import_jsonl(source([arrest("old")]), store)
    conflicting = line("arrest", "old", arrest_id="another")
    lines = [
        arrest("e1"),
        b"{",
        arrest("e2"),
        line("arrest", "e1", arrest_id="changed"),  # conflicts with line 1, after a bad line
        conflicting,  # conflicts with what was stored before
        POISON[0],
        arrest("e3"),
    ]
    report = import_jsonl(source(lines), store, strict=True, batch_size=2)
    assert [r.line for r in report.rejections] == [2, 4, 5, 6]
    assert (report.stored, report.rejected) == (0, 4)
    assert store.count_events() == 1


def test_rejections_kept_in_memory_are_bounded_but_the_rejects_file_is_verbatim() -> None:
    bad = [b'{"type": "arrest", "padding": "' + b"x" * 20_000 + b'"}'] * (KEEP_REJECTIONS + 200)
    out = io.BytesIO()
    seen: list[Rejection] = []

    def keep(rejection: Rejection) -> None:
        seen.append(rejection)
        write_rejection(out, rejection)

    report = import_jsonl(source(bad), InMemoryStore(), on_reject=keep)
    assert report.rejected == len(bad)
    assert len(report.rejections) == KEEP_REJECTIONS
    assert all(len(r.text) == KEEP_TEXT_BYTES for r in report.rejections)
    assert all(len(str(r)) < 500 for r in report.rejections)
    assert all(r.text == bad[0] for r in seen)
    assert out.getvalue().count(bad[0]) == len(bad)


def test_a_huge_value_is_not_echoed_and_a_huge_line_is_refused_unread() -> None:
    def charge(category: str) -> bytes:
        offence = {"code": "x", "category": category}
        return line("charge", "c1", charge_id="c", offence_date="2014-01-01", offence=offence)

    big, huge = charge("y" * 900_000), charge("y" * 10_000_000)
    first, second = import_jsonl(source([big, huge]), InMemoryStore()).rejections
    assert first.problems[0].field == "offence.category"
    assert "(900000 chars)" in first.problems[0].reason
    assert "an event may take at most 1,000,000" in second.problems[0].reason
    assert len(str(first)) < 1_000
    assert len(str(second)) < 1_000


def _full_disk_store(path: Path, room: int = 12) -> SQLiteStore:
    """A real SQLite store whose file may grow only ``room`` pages: a disk that fills up."""
    store = SQLiteStore(path)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + room}")
    return store


def test_a_full_disk_interrupts_the_import_and_says_what_was_stored(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    lines = [arrest(f"e{i}", offender=f"O{i:05d}") for i in range(20_000)]
    with _full_disk_store(path) as store, pytest.raises(ImportInterruptedError) as caught:
        import_jsonl(source(lines), store, batch_size=500)
    report = caught.value.report
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert 0 < report.stored < len(lines)
    # The import pauses the cycle collector; the fault (still held here) must not keep it off.
    assert gc.isenabled()
    with SQLiteStore(path) as reopened:
        assert reopened.count_events() == report.stored


def test_a_full_disk_in_strict_mode_stores_nothing(tmp_path: Path) -> None:
    lines = [arrest(f"e{i}", offender=f"O{i:05d}") for i in range(20_000)]
    with _full_disk_store(tmp_path / "full.db") as store:
        with pytest.raises(ImportInterruptedError) as caught:
            import_jsonl(source(lines), store, strict=True, batch_size=500)
        assert caught.value.report.stored == 0
        assert store.count_events() == 0


def test_ingest_exits_3_on_a_machine_fault_and_still_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    total = FILE_BATCH_SIZE * 3 // 2  # a file: one transaction of FILE_BATCH_SIZE, then the rest
    events.write_bytes(b"\n".join(arrest(f"e{i}", f"O{i:06d}") for i in range(total)) + b"\n")
    # 100,000 of these events take about 1,400 pages, 150,000 about 2,100.
    room = 1750 * FILE_BATCH_SIZE // 100_000
    monkeypatch.setattr(
        ingest_command, "open_store", lambda path, **_: _full_disk_store(path, room)
    )
    code = main(["ingest", str(events), "--store", str(tmp_path / "j.db"), "--json"])
    captured = capsys.readouterr()
    assert code == 3
    report = json.loads(captured.out)
    assert report["stored"] == FILE_BATCH_SIZE
    assert "database or disk is full" in captured.err
    with SQLiteStore(tmp_path / "j.db") as store:
        assert store.count_events() == report["stored"]


# --- retractions of retractions -----------------------------------------------------------


def _chain(length: int) -> list[bytes]:
    lines = [arrest("e0")]
    for i in range(1, length + 1):
        lines.append(
            line(
                "event_retracted",
                f"r{i}",
                target_event_id=f"r{i - 1}" if i > 1 else "e0",
                reason="mistake",
            )
        )
    return lines


@pytest.mark.parametrize("length", [10_000, 10_001])
def test_a_long_chain_of_retractions_folds(length: int) -> None:
    store = SQLiteStore(":memory:")
    assert import_jsonl(source(_chain(length)), store).stored == length + 1
    every_view_runs(store)
    history = History.build("O1", store.read_stream("O1"), None)
    # The last retraction is in force, so every other one down the chain is undone.
    assert [e.event_id for e in history.events] == ([] if length % 2 else ["e0"])


def _recursive_reference(events: Sequence[EventRetracted | Arrest]) -> set[str]:
    """The former recursive resolution, kept as the reference for small graphs."""
    targeted_by: dict[str, list[str]] = {}
    for event in events:
        if isinstance(event, EventRetracted):
            targeted_by.setdefault(event.target_event_id, []).append(event.event_id)
    memo: dict[str, bool] = {}

    def retracted(event_id: str, trail: frozenset[str]) -> bool:
        if event_id in memo:
            return memo[event_id]
        result = any(
            r not in trail and not retracted(r, trail | {r}) for r in targeted_by.get(event_id, ())
        )
        memo[event_id] = result
        return result

    return {target for target in targeted_by if retracted(target, frozenset({target}))}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=14))
def test_retractions_resolve_as_before_cycles_included(edges: list[tuple[int, int]]) -> None:
    import datetime as dt

    day = dt.date(2014, 1, 1)
    events: list[EventRetracted | Arrest] = [
        Arrest(event_id="e0", offender_id="O1", date=day, arrest_id="a")
    ]
    for source_id, target in edges:
        name = f"r{source_id}"
        if any(e.event_id == name for e in events):
            continue
        events.append(
            EventRetracted(
                event_id=name,
                offender_id="O1",
                date=day,
                target_event_id="e0" if target == 0 else f"r{target}",
                reason="",
            )
        )
    assert _effective_ids(events) == _recursive_reference(events)


# --- nesting: the same bound with either parser -------------------------------------------


@pytest.mark.parametrize("with_orjson", [True, False], ids=["orjson", "stdlib"])
@pytest.mark.parametrize("depth", [MAX_NESTING - 1, MAX_NESTING, 200, 1_000, 100_000])
def test_nesting_is_bounded_the_same_with_either_parser(
    depth: int, with_orjson: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not with_orjson:
        monkeypatch.setattr("offender_journey.codec.orjson", None)
    # The event object is one level: an extra field nested ``depth - 1`` levels makes ``depth``.
    extra = b"[" * (depth - 1) + b"]" * (depth - 1)
    nested = arrest("deep")[:-1] + b', "x": ' + extra + b"}"
    quoted = arrest("quoted")[:-1] + b', "x": "' + b"[{" * 1_000 + b'"}'
    report = import_jsonl(source([nested, quoted]), store := InMemoryStore())
    if depth <= MAX_NESTING:
        assert (report.stored, report.rejected) == (2, 0)
    else:
        assert (report.stored, report.rejected) == (1, 1)
        (problem,) = report.rejections[0].problems
        assert f"nested more than {MAX_NESTING} levels deep" in problem.reason
    every_view_runs(store)


def test_what_was_stored_with_orjson_reads_back_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = arrest("deep")[:-1] + b', "x": ' + b"[" * 999 + b"]" * 999 + b"}"
    with SQLiteStore(tmp_path / "j.db") as store:
        import_jsonl(source([arrest("e1"), deep]), store)
    monkeypatch.setattr("offender_journey.codec.orjson", None)
    monkeypatch.setattr("offender_journey.codec._parse", json.loads)
    with SQLiteStore(tmp_path / "j.db") as store:
        import_jsonl(source([arrest("e2")]), store)
        assert store.count_events() == 2
        every_view_runs(store)


# --- a huge line costs no more memory than the longest line allowed ------------------------


def _peak_bytes(run: Callable[[], ImportReport]) -> tuple[ImportReport, int]:
    tracemalloc.start()
    try:
        report = run()
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


HUGE = 30_000_000


def test_a_line_over_the_limit_is_refused_while_it_is_read(tmp_path: Path) -> None:
    events = tmp_path / "huge.jsonl"
    with open(events, "wb") as out:
        out.write(arrest("e1") + b"\n")
        out.write(b'{"type": "arrest", "x": "' + b"y" * HUGE + b'"}\r\n')
        out.write(arrest("e2") + b"\n")
        out.write(b"z" * HUGE)  # and no line break at the end of the file
    store = InMemoryStore()
    with open(tmp_path / "rejects.tsv", "wb") as rejects:
        report, peak = _peak_bytes(
            lambda: import_jsonl(events, store, on_reject=lambda r: write_rejection(rejects, r))
        )
    assert (report.stored, report.rejected) == (2, 2)
    assert [r.line for r in report.rejections] == [2, 4]
    reasons = [r.problems[0].reason for r in report.rejections]
    assert reasons == [
        f"line of {HUGE + 27:,} bytes; an event may take at most {MAX_LINE_BYTES:,}",
        f"line of {HUGE:,} bytes; an event may take at most {MAX_LINE_BYTES:,}",
    ]
    assert peak < 5 * MAX_LINE_BYTES
    assert store.count_events() == 2
    kept = (tmp_path / "rejects.tsv").read_bytes().split(b"\n")
    assert [row.split(b"\t")[0] for row in kept[:-1]] == [b"2", b"4"]
    assert all(len(row) < 2 * MAX_LINE_BYTES for row in kept)


def test_a_csv_line_over_the_limit_is_refused_while_it_is_read(tmp_path: Path) -> None:
    extract = tmp_path / "huge.csv"
    with open(extract, "w", encoding="utf-8", newline="") as out:
        out.write("type,event_id,offender_id,date,arrest_id\n")
        out.write("arrest,e1,O1,2014-01-01,a1\n")
        out.write("arrest,e2,O1,2014-01-01," + "y" * HUGE + "\n")
        out.write('arrest,e3,O1,2014-01-01,"a\n3"\n')
        out.write('arrest,e4,O1,2014-01-01,"a4\n' + "y" * HUGE + '"\n')
        out.write("arrest,e5,O1,2014-01-01,a5\n")
    store = InMemoryStore()
    report, peak = _peak_bytes(lambda: import_csv(extract, store))
    assert peak < 5 * MAX_LINE_BYTES
    assert report.stored == 3
    assert [(r.line, r.problems[0].reason) for r in report.rejections] == [
        (3, f"line of {HUGE + 24:,} characters; an event may take at most {MAX_LINE_BYTES:,}"),
        (6, f"not valid CSV: line 7 is longer than {MAX_LINE_BYTES:,} characters"),
        (7, f"line of {HUGE + 1:,} characters; an event may take at most {MAX_LINE_BYTES:,}"),
    ]
    assert {e.event_id for _, stream in store.read_all() for e in stream} == {"e1", "e3", "e5"}
