"""Identifier checks: the examples the Ministry of Justice's person-record service tests
its PNC and CRO rules with (its ``PNCIdentifierTest``, ``CROIdentifierTest`` and their
``valid_pncs.csv`` / ``valid_cros.csv``), then properties over every identifier."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offender_journey.linkage.identifiers import (
    CHECK_LETTERS,
    canonical_crn,
    canonical_cro,
    canonical_nomis,
    canonical_pnc,
    check,
    check_letter,
    check_pnc,
)

# --- PNC IDs: the published examples ----------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        # short forms (2-digit year), with and without the slash
        ("81/34U", "1981/0000034U"),
        ("02/73319Z", "2002/0073319Z"),
        ("00/223R", "2000/0000223R"),
        ("79/163001B", "1979/0163001B"),
        ("0273319Z", "2002/0073319Z"),
        ("79163001B", "1979/0163001B"),
        ("033Y", "2003/0000003Y"),
        # long forms (4-digit year), with and without the slash
        ("20020073319Z", "2002/0073319Z"),
        ("19790163001B", "1979/0163001B"),
        ("2002/0073319Z", "2002/0073319Z"),
        ("1979/0163001B", "1979/0163001B"),
    ],
)
def test_pnc_ids_are_written_in_one_canonical_form(given: str, canonical: str) -> None:
    assert canonical_pnc(given) == canonical


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("19790163001B", "79/163001B", True),
        ("19790163001B", "1979/0163001B", True),
        ("1979/0163001B", "1979/0163001B", True),
        ("1979/0163001B", "1980/0163001B", False),  # the same letter cannot fit both years
        ("02/73319Z", "20020073319Z", True),
    ],
)
def test_pnc_ids_compare_by_canonical_form(first: str, second: str, same: bool) -> None:
    one, other = canonical_pnc(first), canonical_pnc(second)
    assert (one is not None and one == other) is same


@pytest.mark.parametrize(
    "valid",
    [
        "2008/0056560Z",
        "20030011985X",
        "20120052494Q",
        "20230583843L",
        "2001/0171310W",
        "2011/0275516Q",
        "2003/0062845E",
        "1981/0154257C",
        # a few of the published file of valid PNC IDs, across the years
        "2000/0160946Q",
        "1999/0044342D",
        "2020/0074062F",
        "1979/0062594N",
        "1978/0024242L",
        "2007/1607611J",
        "2024/0072788G",
    ],
)
def test_published_valid_pnc_ids_pass(valid: str) -> None:
    assert check_pnc(valid).valid


@pytest.mark.parametrize(
    "wrong_letter", ["20030011985Z", "20120052494O", "20230583843N", "2001/0171310S"]
)
def test_a_pnc_id_with_the_wrong_check_letter_fails_and_says_which(wrong_letter: str) -> None:
    checked = check_pnc(wrong_letter)
    assert checked.canonical is None
    assert checked.reason is not None
    assert "check letter" in checked.reason


@pytest.mark.parametrize(
    "malformed",
    [
        "01",
        "012",
        "0123",
        "01234",
        "012345",
        "0123567",
        "012345678",
        "0123456789",
        "01234567890",
        "01234567890123",
        "TOTALLYINVALID",
        "1X23/1234567A",
        "1923[1234567A",
        "1923/1Z34567A",
        "1923/1234567AA",
        "",
        "   ",
    ],
)
def test_malformed_pnc_ids_fail_as_not_a_pnc_id(malformed: str) -> None:
    checked = check_pnc(malformed)
    assert checked.canonical is None
    assert checked.reason is not None
    assert checked.reason.startswith("not a PNC ID")


def test_a_two_digit_year_is_this_century_up_to_the_current_year() -> None:
    pnc = f"25/1{check_letter(25_0000001)}"
    assert check_pnc(pnc, today=dt.date(2025, 1, 1)).canonical == "2025/0000001F"
    assert check_pnc(pnc, today=dt.date(2024, 12, 31)).canonical == "1925/0000001F"


# --- CRO numbers: the published examples -------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("SF05/482703J", "SF05/482703J"),
        ("SF83/50058Z", "SF83/50058Z"),  # a fingerprint serial has five digits
        ("SF83/4661E", "SF83/04661E"),
        ("265416/21G", "265416/21G"),
        ("65656/91H", "065656/91H"),  # a standard serial is padded to six digits
    ],
)
def test_cro_numbers_in_both_forms_are_written_in_one_canonical_form(
    given: str, canonical: str
) -> None:
    assert canonical_cro(given) == canonical


@pytest.mark.parametrize(
    "valid",
    [
        "288242/01M",
        "14450/12J",
        "6697/56U",
        "046960/58W",
        "826/65W",
        "85227/65L",
        "742031/07A",
        "160324/89V",
        "SF74/27111W",
        "SF83/4661E",
        "SF93/2294N",
        "SF94/5431U",
    ],
)
def test_published_valid_cro_numbers_pass(valid: str) -> None:
    assert canonical_cro(valid) is not None


def test_the_published_invalid_cro_number_fails() -> None:
    checked = check("cro_number", "85227/65G")  # 85227/65L is the valid one
    assert checked.canonical is None
    assert checked.reason == "check letter G does not fit the number (it would be L)"


def test_placeholders_count_as_missing_even_with_a_fitting_check_letter() -> None:
    assert check_letter(0) == "Z"
    assert canonical_cro("000000/00Z") is None
    assert canonical_pnc("00/0Z") is None
    assert canonical_crn("X000000") is None
    assert canonical_nomis("A0000AA") is None
    assert check("cro_number", "000000/00Z").reason is not None


# --- CRN and NOMIS patterns ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("X123456", "X123456"), (" x123456 ", "X123456"), ("X12345", None), ("12345X", None)],
)
def test_crn_is_one_letter_and_six_digits(given: str, canonical: str | None) -> None:
    assert canonical_crn(given) == canonical


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("A1234BC", "A1234BC"), ("a1234bc", "A1234BC"), ("A1234B", None), ("AB234BC", None)],
)
def test_nomis_number_is_a_letter_four_digits_two_letters(
    given: str, canonical: str | None
) -> None:
    assert canonical_nomis(given) == canonical


def test_an_unknown_field_is_not_checked_by_guesswork() -> None:
    with pytest.raises(KeyError):
        check("passport", "123")


# --- properties ---------------------------------------------------------------------------

years = st.integers(min_value=1900, max_value=2099)
pnc_serials = st.integers(min_value=1, max_value=9_999_999)
cro_serials = st.integers(min_value=1, max_value=999_999)
letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@given(years, pnc_serials, letters)
def test_a_pnc_id_passes_with_its_check_letter_and_with_no_other(
    year: int, serial: int, letter: str
) -> None:
    right = check_letter((year % 100) * 10**7 + serial)
    pnc = f"{year}/{serial:07d}{letter}"
    assert (canonical_pnc(pnc) == pnc) is (letter == right)


@given(st.integers(min_value=0, max_value=99), cro_serials, letters, st.booleans())
def test_a_cro_number_passes_with_its_check_letter_and_with_no_other(
    year: int, serial: int, letter: str, fingerprints: bool
) -> None:
    if fingerprints:
        cro = f"SF{year:02d}/{serial:05d}{letter}"
        right = check_letter(int(f"{year:02d}{serial:05d}"))
    else:
        cro, right = f"{serial:06d}/{year:02d}{letter}", check_letter(year * 10**6 + serial)
    assert (canonical_cro(cro) == cro) is (letter == right)


@given(st.text(alphabet="0123456789/SFAXZBQ ", max_size=16) | st.text(max_size=16))
def test_canonical_forms_are_idempotent(text: str) -> None:
    for canonical in (canonical_pnc, canonical_cro, canonical_crn, canonical_nomis):
        once = canonical(text)
        assert once is None or canonical(once) == once


def test_check_letters_leave_out_those_that_read_as_digits() -> None:
    assert len(CHECK_LETTERS) == 23
    assert not set("IOS") & set(CHECK_LETTERS)
