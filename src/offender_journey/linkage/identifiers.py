"""The justice system's person identifiers, checked, and written one way so they compare.

Sources write the same identifier differently (``79/163001B``, ``19790163001B`` and
``1979/0163001B`` are one PNC ID), and real extracts hold mistyped ones and
placeholders (``000000/00Z``). Linkage may only trust an identifier that is well
formed and passes its check, so each ``canonical_*`` function gives the one written
form of a valid identifier, or ``None`` for anything else; :func:`check` says why
an identifier was not accepted, for the data-quality report. An invalid identifier
stays in the store as given: it is never a reason to reject an identity record, and
never used to link.

The rules are the ones the Ministry of Justice's person-record service applies:

* **PNC ID**: a year (2 or 4 digits), a serial number of up to 7 digits and a check
  letter. Written ``YYYY/SSSSSSSC`` (serial padded to 7 digits). The check letter is
  :data:`CHECK_LETTERS` at (the year's last two digits followed by the 7-digit serial,
  read as one number) mod 23. A 2-digit year is this century's up to the current year,
  else the last century's.
* **CRO number**: ``SSSSSS/YYC`` (serial of up to 6 digits, padded to 6; the check
  number is the 2-digit year followed by the padded serial) or, for numbers issued
  from fingerprints, ``SFYY/SSSSSC`` (the same, with the serial padded to 5 digits:
  the service's published valid numbers include ``SF83/4661E``, whose letter fits
  ``8304661`` only).
* **CRN** (probation, nDelius): a letter and six digits, ``X123456``.
* **NOMIS number** (prisons): a letter, four digits, two letters, ``A1234BC``.

Letters are compared in upper case and surrounding spaces ignored. A serial (or all
the digits) of zero is a placeholder that systems write for "unknown": it counts as
missing, even where its check letter fits (``000000/00Z``).

Examples:
    >>> canonical_pnc("79/163001B"), canonical_pnc("19790163001B")
    ('1979/0163001B', '1979/0163001B')
    >>> canonical_pnc("1979/0163001C") is None  # the wrong check letter
    True
    >>> canonical_cro("65656/91H"), canonical_cro("SF83/50058Z")
    ('065656/91H', 'SF83/50058Z')
    >>> canonical_cro("000000/00Z") is None  # a placeholder
    True
    >>> check("pnc_id", "1979/0163001C").reason
    'check letter C does not fit the number (it would be B)'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import attrs

from ..events import IDENTIFIER_FIELDS, PersonRecorded

__all__ = [
    "CHECK_LETTERS",
    "Checked",
    "canonical_cro",
    "canonical_crn",
    "canonical_nomis",
    "canonical_pnc",
    "check",
    "check_cro",
    "check_crn",
    "check_letter",
    "check_nomis",
    "check_pnc",
    "checked_identifiers",
]

#: The 23 check letters, indexed by a number mod 23 (I, O and S are left out: they read
#: as digits).
CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

# ASCII digits only: ``\d`` would accept other scripts' digits.
_PNC_SLASHED = re.compile(r"([0-9]{2}|[0-9]{4})/([0-9]{1,7})([A-Z])")
_PNC_LONG = re.compile(r"([0-9]{4})([0-9]{7})([A-Z])")
_PNC_SHORT = re.compile(r"([0-9]{2})([0-9]{1,7})([A-Z])")
_CRO_STANDARD = re.compile(r"([0-9]{1,6})/([0-9]{2})([A-Z])")
_CRO_FINGERPRINTS = re.compile(r"SF([0-9]{2})/([0-9]{1,6})([A-Z])")
_CRN = re.compile(r"[A-Z][0-9]{6}")
_NOMIS = re.compile(r"[A-Z][0-9]{4}[A-Z]{2}")

_PNC_FORM = "a PNC ID is a year (2 or 4 digits), a serial of up to 7 digits and a letter"
_CRO_FORM = "a CRO number is SSSSSS/YYC or SFYY/SSSSSC (up to 6 serial digits)"
_PLACEHOLDER = "a placeholder (serial number 0), not an identifier"


@attrs.frozen
class Checked:
    """One identifier as given, its canonical form if valid, and why not if not."""

    #: The identity record's field (``pnc_id``, ``cro_number``, ``crn``, ``nomis_number``).
    field: str
    #: The value as the source gave it.
    given: str
    #: The one written form of a valid identifier; ``None`` when not valid.
    canonical: str | None = None
    #: Why the identifier is not valid; ``None`` when it is.
    reason: str | None = None

    @property
    def valid(self) -> bool:
        """Whether the identifier can be compared (well formed, right check, no placeholder)."""
        return self.canonical is not None


def check_letter(number: int) -> str:
    """The check letter of a number: :data:`CHECK_LETTERS` at ``number mod 23``.

    >>> check_letter(790163001)
    'B'
    """
    return CHECK_LETTERS[number % len(CHECK_LETTERS)]


def _checked(field: str, given: str, canonical: str, number: int, letter: str) -> Checked:
    expected = check_letter(number)
    if letter != expected:
        reason = f"check letter {letter} does not fit the number (it would be {expected})"
        return Checked(field, given, reason=reason)
    return Checked(field, given, canonical)


def _century(two_digits: int, today: dt.date | None) -> int:
    """A 2-digit year as a full one: this century's up to the current year, else the last's."""
    current = (today or dt.datetime.now(dt.UTC).date()).year
    year = current - current % 100 + two_digits
    return year if year <= current else year - 100


def check_pnc(value: str, *, today: dt.date | None = None) -> Checked:
    """A PNC ID checked: its canonical ``YYYY/SSSSSSSC`` form, or why it is not valid.

    ``today`` places 2-digit years in their century (default: the current date).

    >>> check_pnc("02/73319Z").canonical
    '2002/0073319Z'
    """
    text = value.strip().upper()
    match = _PNC_SLASHED.fullmatch(text) or _PNC_LONG.fullmatch(text) or _PNC_SHORT.fullmatch(text)
    if match is None:
        return Checked("pnc_id", value, reason=f"not a PNC ID: {_PNC_FORM}")
    year_digits, serial_digits, letter = match.groups()
    serial = int(serial_digits)
    if len(year_digits) == 4:
        year = int(year_digits)
        if not 1900 <= year <= 2099:
            return Checked("pnc_id", value, reason=f"not a PNC ID: the year {year} is impossible")
    else:
        year = _century(int(year_digits), today)
    if serial == 0:
        return Checked("pnc_id", value, reason=_PLACEHOLDER)
    number = (year % 100) * 10**7 + serial
    return _checked("pnc_id", value, f"{year:04d}/{serial:07d}{letter}", number, letter)


def check_cro(value: str) -> Checked:
    """A CRO number checked: its canonical form, or why it is not valid.

    >>> check_cro("265416/21G").canonical
    '265416/21G'
    """
    text = value.strip().upper()
    match = _CRO_STANDARD.fullmatch(text)
    if match is not None:
        serial_digits, year, letter = match.groups()
        padded = serial_digits.zfill(6)
        canonical = f"{padded}/{year}{letter}"
    else:
        match = _CRO_FINGERPRINTS.fullmatch(text)
        if match is None:
            return Checked("cro_number", value, reason=f"not a CRO number: {_CRO_FORM}")
        year, serial_digits, letter = match.groups()
        padded = serial_digits.zfill(5)
        canonical = f"SF{year}/{padded}{letter}"
    if int(padded) == 0:
        return Checked("cro_number", value, reason=_PLACEHOLDER)
    return _checked("cro_number", value, canonical, int(year + padded), letter)


def _pattern(field: str, value: str, pattern: re.Pattern[str], form: str) -> Checked:
    text = value.strip().upper()
    if pattern.fullmatch(text) is None:
        return Checked(field, value, reason=f"not {form}")
    if not any(c in "123456789" for c in text):
        return Checked(field, value, reason="a placeholder (all digits 0), not an identifier")
    return Checked(field, value, text)


def check_crn(value: str) -> Checked:
    """A probation case reference number checked: one letter and six digits.

    >>> check_crn(" x123456 ").canonical
    'X123456'
    """
    return _pattern("crn", value, _CRN, "a CRN: one letter and six digits, as X123456")


def check_nomis(value: str) -> Checked:
    """A prison (NOMIS) number checked: a letter, four digits, two letters.

    >>> check_nomis("A1234BC").canonical
    'A1234BC'
    """
    return _pattern(
        "nomis_number", value, _NOMIS, "a NOMIS number: a letter, 4 digits, 2 letters, as A1234BC"
    )


_CHECKS: dict[str, Callable[[str], Checked]] = {
    "pnc_id": check_pnc,
    "cro_number": check_cro,
    "crn": check_crn,
    "nomis_number": check_nomis,
}


def check(field: str, value: str) -> Checked:
    """The identifier in an identity record's ``field`` checked by that field's rule.

    Raises:
        KeyError: ``field`` is not one of ``pnc_id``, ``cro_number``, ``crn``,
            ``nomis_number``.
    """
    return _CHECKS[field](value)


def checked_identifiers(record: PersonRecorded) -> list[Checked]:
    """Every identifier an identity record gives, checked, in the order of its fields.

    >>> from offender_journey.builder import JourneyBuilder
    >>> person = JourneyBuilder("P1").person("2014-01-01", pnc_id="02/73319Z", crn="X12")
    >>> {c.field: c.valid for c in checked_identifiers(person)}
    {'pnc_id': True, 'crn': False}
    """
    given = ((field, getattr(record, field)) for field in IDENTIFIER_FIELDS)
    return [check(field, value) for field, value in given if value is not None]


def canonical_pnc(value: str) -> str | None:
    """The canonical form of a valid PNC ID (``YYYY/SSSSSSSC``); ``None`` if not valid."""
    return check_pnc(value).canonical


def canonical_cro(value: str) -> str | None:
    """The canonical form of a valid CRO number; ``None`` if not valid."""
    return check_cro(value).canonical


def canonical_crn(value: str) -> str | None:
    """The canonical form of a valid CRN (upper case); ``None`` if not valid."""
    return check_crn(value).canonical


def canonical_nomis(value: str) -> str | None:
    """The canonical form of a valid NOMIS number (upper case); ``None`` if not valid."""
    return check_nomis(value).canonical
