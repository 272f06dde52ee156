import csv
import io
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.events import Category, Charge
from offender_journey.io import CsvMapping, MappingError, import_csv, import_jsonl
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
    (impossible,) = report.rejections[0].problems  # 31/06/2014 does not exist
    assert str(impossible) == "date: impossible date '31/06/2014' (day is out of range for month)"
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


CHARGES = (
    "Ref,PNC,Charged,Code,Group,Offended,ArrestRef\n"
    "C1,O1,03/02/2014,TH01,Theft from shops,01/02/2014,A1\n"
    "C2,O1,04/02/2014,TH01,Theft from shops,01/02/2014,A1\n"
)
COLUMNS = {
    "event_id": "Ref",
    "charge_id": "Ref",
    "offender_id": "PNC",
    "date": "Charged",
    "offence.code": "Code",
    "offence.category": "Group",
    "offence_date": "Offended",
    "arrest_id": "ArrestRef",
}
SHOPS = {"offence.category": {"Theft from shops": "shoplifting"}}


def _charges(**changes: object) -> CsvMapping:
    options: dict[str, object] = {
        "type": "charge",
        "date_format": "%d/%m/%Y",
        "columns": COLUMNS,
        "values": SHOPS,
    }
    return CsvMapping(**{**options, **changes})  # type: ignore[arg-type]


def test_a_mapped_column_the_extract_lacks_is_refused_before_anything_is_stored() -> None:
    store = SQLiteStore(":memory:")
    typo = _charges(columns={**COLUMNS, "arrest_id": "ArestRef", "case_id": "Case Ref"})
    with pytest.raises(MappingError) as refused:
        import_csv(io.StringIO(CHARGES), store, mapping=typo)
    message = str(refused.value)
    assert "'ArestRef' (for arrest_id) (did you mean ArrestRef?)" in message
    assert "'Case Ref' (for case_id)" in message
    assert (
        "Its header: 'Ref', 'PNC', 'Charged', 'Code', 'Group', 'Offended', 'ArrestRef'" in message
    )
    assert store.count_events() == 0
    assert import_csv(io.StringIO(CHARGES), store, mapping=_charges()).stored == 2


def test_values_translate_the_type_column_too() -> None:
    data = "Kind,Ref,PNC,Day\nArrest,A1,O1,2014-01-01\nArrest,A2,O1,2014-01-02\n"
    mapping = CsvMapping(
        columns={
            "type": "Kind",
            "event_id": "Ref",
            "arrest_id": "Ref",
            "offender_id": "PNC",
            "date": "Day",
        },
        values={"type": {"Arrest": "arrest"}},
    )
    report = import_csv(io.StringIO(data), InMemoryStore(), mapping=mapping)
    assert (report.stored, report.rejected) == (2, 0)


def test_a_misspelt_key_says_which_keys_there_are_and_the_nearest(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('type = "charge"\ndate_fromat = "%d/%m/%Y"\n')
    with pytest.raises(MappingError) as refused:
        CsvMapping.load(bad)
    message = str(refused.value)
    assert "unknown key 'date_fromat' (did you mean date_format or date_formats?)" in message
    assert "the keys are type, columns, constants, defaults," in message
    bad.write_text('type = "charge"\n[columns]\n"ofence.code" = "Code"\n')
    with pytest.raises(
        MappingError, match=r"'ofence.code' is not a field of a charge \(did you mean offence.code"
    ):
        CsvMapping.load(bad)


def test_an_impossible_date_is_worded_alike_in_csv_and_json_lines() -> None:
    csv_report = import_csv(
        io.StringIO("type,event_id,offender_id,date,arrest_id\narrest,e1,O1,31/06/2014,a1\n"),
        InMemoryStore(),
        mapping=CsvMapping(date_format="%d/%m/%Y"),
    )
    json_report = import_jsonl(
        io.BytesIO(
            b'{"type":"arrest","event_id":"e1","offender_id":"O1","date":"2014-06-31","arrest_id":"a1"}\n'
        ),
        InMemoryStore(),
    )
    (in_csv,) = csv_report.rejections[0].problems
    (in_json,) = json_report.rejections[0].problems
    assert str(in_csv) == "date: impossible date '31/06/2014' (day is out of range for month)"
    assert str(in_json) == "date: impossible date '2014-06-31' (day is out of range for month)"
    shape = import_csv(
        io.StringIO("type,event_id,offender_id,date,arrest_id\narrest,e1,O1,2014-06-30,a1\n"),
        InMemoryStore(),
        mapping=CsvMapping(date_format="%d/%m/%Y"),
    )
    assert "'2014-06-30' does not match date format '%d/%m/%Y'" in str(shape.rejections[0])


def test_an_unknown_category_names_the_nearest_first() -> None:
    data = CHARGES.replace("Theft from shops", "criminal_damage", 1)
    report = import_csv(io.StringIO(data), InMemoryStore(), mapping=_charges())
    reason = report.rejections[0].problems[0].reason
    assert reason.startswith(
        "unknown category 'criminal_damage'; did you mean "
        "criminal_damage_arson or criminal_damage_other? expected one of: homicide"
    )


def test_constants_and_defaults_fill_fields_the_extract_lacks() -> None:
    data = "Ref,PNC,Charged,Offended\nC1,O1,03/02/2014,01/02/2014\nC2,O1,04/02/2014,\n"
    mapping = CsvMapping(
        type="charge",
        date_format="%d/%m/%Y",
        columns={
            "event_id": "Ref",
            "charge_id": "Ref",
            "offender_id": "PNC",
            "date": "Charged",
            "offence_date": "Offended",
        },
        constants={"offence.code": "TH01", "offence.category": "shoplifting"},
        defaults={"offence_date": "01/01/2014"},
    )
    store = InMemoryStore()
    assert import_csv(io.StringIO(data), store, mapping=mapping).stored == 2
    first, second = store.read_stream("O1")
    assert isinstance(first, Charge)
    assert isinstance(second, Charge)
    assert first.offence.code == second.offence.code == "TH01"
    assert (first.offence_date.isoformat(), second.offence_date.isoformat()) == (
        "2014-02-01",
        "2014-01-01",
    )


def test_the_delimiter_is_found_from_the_header_or_given() -> None:
    semicolons = CHARGES.replace(",", ";")
    assert import_csv(io.StringIO(semicolons), InMemoryStore(), mapping=_charges()).stored == 2
    pipes = CHARGES.replace(",", "|")
    given = _charges(delimiter="|")
    assert import_csv(io.StringIO(pipes), InMemoryStore(), mapping=given).stored == 2
    with pytest.raises(MappingError, match=r"no field of the mapping.*--delimiter"):
        import_csv(io.StringIO(semicolons), InMemoryStore(), mapping=_charges(delimiter=","))


def test_without_a_mapping_a_file_without_a_type_column_asks_for_one() -> None:
    with pytest.raises(MappingError, match=r"no 'type' column.*give a mapping"):
        import_csv(io.StringIO("event_id,offender_id,date\ne1,O1,2014-01-01\n"), InMemoryStore())


def test_a_required_field_without_a_column_is_refused_once() -> None:
    columns = {k: v for k, v in COLUMNS.items() if k != "offence_date"}
    with pytest.raises(
        MappingError, match="a charge needs offence_date, and the extract has no column for it"
    ):
        import_csv(io.StringIO(CHARGES), InMemoryStore(), mapping=_charges(columns=columns))


@pytest.mark.parametrize(
    ("extract", "mapping", "offender", "dates"),
    [
        ("libra_charges.csv", "libra_mapping.toml", "01/234567B", ["2014-02-03", "2014-02-03"]),
        (
            "common_platform_hearings.csv",
            "common_platform_mapping.toml",
            "02/345678C",
            ["2014-06-23"],  # 23:30 at +01:00: still the 23rd in London
        ),
    ],
)
def test_the_worked_mappings_read_their_extracts(
    extract: str, mapping: str, offender: str, dates: list[str]
) -> None:
    store = InMemoryStore()
    report = import_csv(EXAMPLES / extract, store, mapping=CsvMapping.load(EXAMPLES / mapping))
    assert (report.stored, report.rejected) == (3, 0)
    assert [e.date.isoformat() for e in store.read_stream(offender)] == dates


def test_the_libra_mapping_keeps_case_and_arrest_references() -> None:
    store = InMemoryStore()
    import_csv(
        EXAMPLES / "libra_charges.csv",
        store,
        mapping=CsvMapping.load(EXAMPLES / "libra_mapping.toml"),
    )
    burglary = store.read_stream("02/345678C")[0]
    assert isinstance(burglary, Charge)
    assert (burglary.case_id, burglary.arrest_id) == ("42AA0456714", "1401AA0100000045678B")
    assert burglary.offence.category is Category.BURGLARY_DOMESTIC
    assert burglary.offence_date.isoformat() == "2014-05-18"


def test_the_csv_page_names_the_example_extracts_rejected_row() -> None:
    page = (EXAMPLES.parents[1] / "docs" / "csv.md").read_text()
    report = import_csv(
        EXAMPLES / "charges.csv",
        InMemoryStore(),
        mapping=CsvMapping.load(EXAMPLES / "charges_mapping.toml"),
    )
    assert str(report.rejections[0]) in page
    for name in ("libra_mapping.toml", "common_platform_mapping.toml"):
        assert (EXAMPLES / name).read_text().strip() in page


def test_ingest_delimiter_option_and_a_refused_mapping_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text(
        "type|event_id|offender_id|date|arrest_id\narrest|e1|O1|2014-01-01|a1\n"
    )
    assert main(["ingest", "c.csv", "--delimiter", ","]) == 2
    assert "no field of the mapping" in capsys.readouterr().err
    assert main(["ingest", "c.csv", "--delimiter", "|"]) == 0
    assert "1 stored" in capsys.readouterr().out


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
