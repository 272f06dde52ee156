"""Codes read as words in text; tables keep the codes for DataFrames and JSON."""

from offender_journey.labels import label
from offender_journey.tables import Column, Table


def test_a_code_column_shows_labels_in_text_and_keeps_codes_in_rows() -> None:
    table = Table(
        "Index events",
        (Column("index", "category", unit="code"), Column("n", "int")),
        (("court_non_custodial", 3), ("failed_to_appear/A", 1)),
    )
    assert table.to_text(title=False).splitlines() == [
        "index                          n",
        "Court sentence, not custody    3",
        "Failed to appear (category A)  1",
    ]
    assert table.rows[0][0] == "court_non_custodial"
    assert "Court sentence, not custody" in table.to_html()


def test_data_quality_kinds_read_as_sentences() -> None:
    assert label("resent_charge_id") == "Charge id sent again"
    assert label("outcome_unknown_charge") == "Outcome for an unknown charge"
