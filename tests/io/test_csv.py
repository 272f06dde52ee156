import csv
import io
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.events import Category, Charge
from offender_journey.io import CsvMapping, MappingError, import_csv
from offender_journey.store import InMemoryStore, SQLiteStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "csv"

PER_EVENT = """type,event_id,offender_id,date,arrest_id,charge_id,offence.code,offence.category,offence_date,sentence_id,charge_ids,disposal,length_days
arrest,e1,O1,2014-01-01,a1,,,,,,,,
charge,e2,O1,2014-01-02,a1,c1,R1,robbery,2014-01-01,,,,
sentence,e3,O1,2014-03-01,,,,,,s1,c1; c2,suspended_sentence,365
,,,,,,,,,,,,
sentence,e4,O1,2014-03-01,,,,,,s2,c1,fine,a year
"""


def test_one_row_per_event_with_spec_column_names() -> None:
    store = InMemoryStore()
    report = import_csv(io.StringIO(PER_EVENT), store)
    assert (report.stored, report.rejected, report.blank) == (3, 1, 1)
    _, charge, sentence = store.read_stream("O1")
    assert isinstance(charge, Charge)
    assert charge.offence.category is Category.ROBBERY
    assert sentence.charge_ids == ("c1", "c2")  # type: ignore[union-attr]
    assert sentence.length_days == 365  # type: ignore[union-attr]
    (rejection,) = report.rejections
    assert rejection.line == 6
    assert str(rejection) == "line 6: length_days: expected a whole number, got 'a year'"


def test_the_example_mapping_reads_the_example_extract() -> None:
    mapping = CsvMapping.load(EXAMPLES / "charges_mapping.toml")
    store = InMemoryStore()
    report = import_csv(EXAMPLES / "charges.csv", store, mapping=mapping)
    assert (report.stored, report.rejected) == (3, 1)
    assert "ChargeDate" not in str(report.rejections[0])
    assert report.rejections[0].problems[0].field == "date"  # 31/06/2014 does not exist
    first, _, burglary = store.read_stream("01/123456A")
    assert first.offence.category is Category.SHOPLIFTING  # type: ignore[union-attr]
    assert burglary.arrest_id is None  # type: ignore[union-attr]
    assert burglary.offence_date.isoformat() == "2014-05-12"  # type: ignore[union-attr]


def test_csv_import_is_idempotent_and_strict_works() -> None:
    store = SQLiteStore(":memory:")
    assert import_csv(io.StringIO(PER_EVENT), store, strict=True).stored == 0
    first = import_csv(io.StringIO(PER_EVENT), store)
    again = import_csv(io.StringIO(PER_EVENT), store)
    assert (first.stored, again.stored, again.duplicates) == (3, 0, 3)


def test_unknown_type_and_bad_utf8() -> None:
    data = "type,event_id,offender_id,date,arrest_id\nsighting,e1,O1,2014-01-01,a\narrest,e2,O1,2014-01-01,\udcff\n"
    report = import_csv(io.StringIO(data), InMemoryStore())
    assert report.rejected == 2
    assert "unknown event type 'sighting'" in str(report.rejections[0])
    assert "arrest_id: not valid UTF-8" in str(report.rejections[1])


def test_bad_mapping_files_say_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('type = "arest"\n')
    with pytest.raises(MappingError, match="unknown event type 'arest'"):
        CsvMapping.load(bad)
    bad.write_text("colums = {}\n")
    with pytest.raises(MappingError, match="colums"):
        CsvMapping.load(bad)
    with pytest.raises(MappingError, match="cannot read"):
        CsvMapping.load(tmp_path / "missing.toml")


def test_ingest_command_reads_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "ingest",
            str(EXAMPLES / "charges.csv"),
            "--mapping",
            str(EXAMPLES / "charges_mapping.toml"),
            "--rejects",
            "bad.tsv",
        ]
    )
    assert code == 1
    assert "3 stored, 0 already present, 1 rejected" in capsys.readouterr().out
    assert (tmp_path / "bad.tsv").read_text().startswith("5\tdate:")
    assert main(["ingest", str(EXAMPLES / "charges.csv"), "--mapping", "nope.toml"]) == 2


def test_an_unterminated_quote_costs_one_line_not_the_rest() -> None:
    header = "type,event_id,offender_id,date,arrest_id\n"
    rows = [f"arrest,e{i},O1,2014-01-01,a{i}\n" for i in range(1_000)]
    rows[10] = 'arrest,e10,O1,"2014-01-01,a10\n'
    report = import_csv(io.StringIO(header + "".join(rows)), InMemoryStore())
    assert (report.stored, report.rejected) == (999, 1)
    (rejection,) = report.rejections
    assert rejection.line == 12
    assert "quote" in rejection.problems[0].reason
    assert rejection.text == b'arrest,e10,O1,"2014-01-01,a10'


def test_an_unterminated_quote_on_the_last_line_is_rejected() -> None:
    data = 'type,event_id,offender_id,date,arrest_id\narrest,e1,O1,2014-01-01,a1\narrest,e2,O1,"x\n'
    report = import_csv(io.StringIO(data), InMemoryStore())
    assert (report.stored, report.rejected, report.rejections[0].line) == (1, 1, 3)
    assert "never closed" in report.rejections[0].problems[0].reason


def test_a_quoted_cell_may_still_span_lines() -> None:
    data = (
        "type,event_id,offender_id,date,court,hearing_id,case_id,charge_ids,outcome\n"
        'court_appearance,e1,O1,2014-01-01,"Leeds\nCrown Court",h1,k1,c1,adjourned\n'
        "arrest,e2,O1,2014-01-01,,,,,\n"
    )
    report = import_csv(io.StringIO(data), InMemoryStore())
    assert (report.stored, report.rejected) == (1, 1)
    assert report.rejections[0].line == 4  # the arrest lacks arrest_id; lines still counted


def test_a_cell_over_the_size_limit_is_a_rejection_with_its_line() -> None:
    header = "type,event_id,offender_id,date,arrest_id\n"
    big = "arrest,e2,O1,2014-01-01," + "x" * (csv.field_size_limit() + 1) + "\n"
    data = header + "arrest,e1,O1,2014-01-01,a1\n" + big + "arrest,e3,O1,2014-01-01,a3\n"
    report = import_csv(io.StringIO(data), InMemoryStore())
    assert (report.stored, report.rejected) == (2, 1)
    (rejection,) = report.rejections
    assert rejection.line == 3
    assert "longer than 131,072 characters" in rejection.problems[0].reason


SOURCED = """type,event_id,offender_id,source,date,arrest_id
arrest,e1,P1,,2014-01-01,a1
arrest,e2,P1,police,2014-01-02,a2
arrest,e3,P1,courts,2014-01-03,a3
"""


def test_a_mapping_names_the_source_and_a_row_must_agree() -> None:
    store = InMemoryStore()
    report = import_csv(io.StringIO(SOURCED), store, mapping=CsvMapping(source="police"))
    assert (report.stored, report.rejected) == (2, 1)
    assert report.rejections[0].line == 4
    assert report.rejections[0].problems[0].field == "source"
    assert [e.event_id for e in store.read_stream("police:P1")] == ["e1", "e2"]


def test_a_source_column_alone_gives_each_row_its_source() -> None:
    store = InMemoryStore()
    assert import_csv(io.StringIO(SOURCED), store).stored == 3
    assert list(store.offenders()) == ["P1", "courts:P1", "police:P1"]


def test_a_mapping_source_must_be_a_source_name() -> None:
    with pytest.raises(ValueError, match="not a source name"):
        CsvMapping(source="Police Force")


def test_ingest_source_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extract = tmp_path / "arrests.csv"
    extract.write_text(SOURCED)
    store = tmp_path / "j.db"
    assert main(["ingest", str(extract), "--store", str(store), "--source", "police"]) == 1
    assert "source: 'courts' disagrees" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        main(["ingest", str(extract), "--store", str(store), "--source", "No"])
    assert refused.value.code == 2
    assert "not a source name" in capsys.readouterr().err
    with SQLiteStore(store) as opened:
        assert list(opened.offenders()) == ["police:P1"]


def test_an_identity_extract_with_aliases() -> None:
    extract = (
        "Ref,Id,Seen,First,Last,Born,PNC,Also known as\n"
        "r1,P1,02/01/2014,John,Smith,01/05/1990,02/73319Z,Jon|Smyth|05/01/1990; |Smithe\n"
        "r2,P2,02/01/2014,Ann,Jones,,,Ann|Jones|31/02/1990\n"
    )
    columns = {"event_id": "Ref", "offender_id": "Id", "date": "Seen", "forenames": "First",
               "surname": "Last", "date_of_birth": "Born", "pnc_id": "PNC",
               "aliases": "Also known as"}  # fmt: skip
    mapping = CsvMapping(
        type="person_recorded", source="police", date_format="%d/%m/%Y", columns=columns
    )
    store = InMemoryStore()
    report = import_csv(io.StringIO(extract), store, mapping=mapping)
    assert (report.stored, report.rejected) == (1, 1)
    assert report.rejections[0].problems[0].field == "aliases"
    (person,) = store.read_stream("police:P1")
    assert person.aliases[0].date_of_birth.isoformat() == "1990-01-05"  # type: ignore[union-attr]
    assert [(a.forenames, a.surname) for a in person.aliases] == [  # type: ignore[union-attr]
        ("Jon", "Smyth"),
        (None, "Smithe"),
    ]
