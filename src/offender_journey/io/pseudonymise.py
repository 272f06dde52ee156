"""Pseudonymised events: every identifier keyed-hashed, free text dropped, births coarsened.

Sharing an extract with a partner or a researcher should not hand over who each
person is. :class:`Pseudonymiser` rewrites one event at a time:

* every identifier becomes a keyed HMAC-SHA256 (32 hex characters): the offender
  id and event ids (``event_id``, ``target_event_id``) on their own, the ids of
  things in a stream (``charge_id``, ``case_id``, ``arrest_id``, lists such as
  ``charge_ids`` …: every field ending ``_id`` or ``_ids``) together with their
  offender id, so equal ids in two people's streams do not reveal each other.
  The same key gives the same pseudonyms, so two extracts made with one key link
  up; without the key they cannot be linked back to the ids;
* link decisions keep their structure: a ``person_id`` (and a review's ``pair``) is
  hashed on its own, so the records of one person still share one pseudonym;
* free text (an offence's ``description``, a hearing's ``court``, a retraction's or a
  link review's ``reason``) is dropped unless ``keep_text``; so is whatever a free-form
  field holds outside its closed vocabulary: an offence ``code`` not shaped as a CJS or
  Home Office code becomes ``withheld``, a risk ``tool`` not in :data:`RISK_TOOLS`
  becomes ``other`` (a name typed into either would otherwise pass through);
* a date of birth becomes 1 July of its year unless ``keep_dob``: still a valid
  date, so the extract imports, and ages computed from it are off by at most six
  months either way, on average by none;
* an identity record (``person_recorded``) loses its names, date of birth, postcode
  and aliases, always; its identifiers (PNC ID, CRO number, CRN, NOMIS number) are
  keyed-hashed, a valid one in its canonical form, so two records holding the same
  PNC ID however written still share its pseudonym. A record left with no
  identifier names nobody and is left out.

With sources, a source record is pseudonymised as a whole: the offender id is hashed
together with its source (the source's name is kept), event ids within their source,
and ids of things within their source record.

Dates of events are kept: the numbers depend on them, so a pseudonymised extract
is still personal data (see the privacy page of the documentation).

Examples:
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1"); _ = j.arrest("2014-05-01")
    >>> p = Pseudonymiser(b"k" * 32)
    >>> event = p.event(j.events[0])
    >>> event.offender_id == p.offender("O1") != "O1"
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from ..codec import Codec
from ..events import IDENTIFIER_FIELDS, Event, PersonRecorded, record_key
from ..keys import keyed_hash
from ..linkage.decisions import parse_record
from ..linkage.identifiers import check

__all__ = ["RISK_TOOLS", "Pseudonymiser"]

#: Fields holding event ids (unique in the store, not scoped by offender).
_EVENT_ID_FIELDS = frozenset({"event_id", "target_event_id"})

#: Ids that join several streams (a person made of many source records; the token two
#: halves of a review share): hashed on their own, so they still join up.
_SHARED_ID_FIELDS = frozenset({"person_id", "pair"})

#: Types whose required ``reason`` is free text, withheld unless asked.
_REASONED = frozenset({"event_retracted", "link_reviewed"})

#: Free-text fields, dropped unless asked (``reason`` only on retractions: elsewhere a code).
_TEXT_FIELDS = frozenset({"court"})

#: What a retraction's required ``reason`` (or an offence ``code``) says once withheld.
WITHHELD = "withheld"

#: What an identity record says of the person, beyond its identifiers: always dropped.
_PERSONAL_FIELDS = frozenset({"forenames", "surname", "date_of_birth", "postcode", "aliases"})

#: Offence codes kept as they are: a CJS offence code (``TH68010``) or a Home Office
#: offence class (``028/01``). No name or address has either shape.
_OFFENCE_CODE: Final = re.compile(r"[A-Z]{2}\d{5}[A-Z]?|\d{3}/\d{2}")

#: Risk assessment tools kept as they are; any other ``tool`` becomes :data:`OTHER_TOOL`.
RISK_TOOLS: Final = frozenset(
    {"OGRS3", "OGRS4/G", "OGRS4/V", "OGP", "OVP", "RSR", "OSP/C", "OSP/I", "OASys"}
)
OTHER_TOOL: Final = "other"


class Pseudonymiser:
    """Rewrites events under one key; see the module docstring for the rules."""

    def __init__(
        self,
        key: bytes,
        *,
        keep_dob: bool = False,
        keep_text: bool = False,
        codec: Codec | None = None,
    ) -> None:
        self._key = key
        self.keep_dob = keep_dob
        self.keep_text = keep_text
        self._codec = codec or Codec()

    def offender(self, offender_id: str) -> str:
        """The pseudonym of an offender id."""
        return keyed_hash(self._key, offender_id, purpose="offender")

    def _event_id(self, event_id: str) -> str:
        return keyed_hash(self._key, event_id, purpose="event")

    def _thing(self, offender_id: str, value: str) -> str:
        return keyed_hash(self._key, f"{offender_id}\x1f{value}", purpose="id")

    def _identifier(self, field: str, value: str) -> str:
        checked = check(field, value)
        return keyed_hash(self._key, checked.canonical or value, purpose=field)

    def raw(self, raw: dict[str, Any]) -> dict[str, Any] | None:
        """One event's JSON object, pseudonymised (a new dict; ``raw`` is left alone).

        ``None`` for an identity record that would name nobody once names are dropped.
        """
        source = raw.get("source")
        offender_id = record_key(source, raw["offender_id"])
        person = raw["type"] == PersonRecorded.TYPE
        out: dict[str, Any] = {}
        for name, value in raw.items():
            if name == "offender_id":
                value = self.offender(offender_id)
            elif name in _EVENT_ID_FIELDS:
                value = self._event_id(value if source is None else f"{source}\x1f{value}")
            elif name in _SHARED_ID_FIELDS and isinstance(value, str):
                value = keyed_hash(self._key, value, purpose=name)
            elif person and name in _PERSONAL_FIELDS:
                continue
            elif person and name in IDENTIFIER_FIELDS:
                value = self._identifier(name, value)
            elif name.endswith("_id") and isinstance(value, str):
                value = self._thing(offender_id, value)
            elif name.endswith("_ids") and isinstance(value, list | tuple):
                value = [self._thing(offender_id, v) for v in value]
            elif not self.keep_text and name in _TEXT_FIELDS:
                continue
            elif not self.keep_text and name == "reason" and raw["type"] in _REASONED:
                value = WITHHELD
            elif not self.keep_text and name == "offence" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != "description"}
                if "code" in value:
                    value["code"] = _code(value["code"])
            elif not self.keep_text and name == "tool" and raw["type"] == "risk_assessed":
                value = _tool(value)
            elif not self.keep_dob and name == "date_of_birth":
                value = f"{str(value)[:4]}-07-01"
            out[name] = value
        if person and not any(name in out for name in IDENTIFIER_FIELDS):
            return None
        return out

    def fact_row(
        self, names: Sequence[str], row: Sequence[Any], *, source: str | None = None
    ) -> tuple[Any, ...]:
        """One fact-table row (columns ``names``) of a record of ``source``, as events are.

        Ids join up with the pseudonymised events: ``offender_id`` (the record's key, or
        the person id hashed alone), a ``record`` key,
        event ids (``event_id``, ``*_event_id``) and ids of things (``*_id``, ``ref``)
        are hashed exactly as in the events; a ``date_of_birth`` is coarsened unless
        ``keep_dob``, and an ``offence_code`` or a ``tool`` is checked as in the events
        unless ``keep_text``.
        """
        offender_id = row[0]
        out: list[Any] = []
        for name, value in zip(names, row, strict=True):
            if value is None:
                pass
            elif name == "offender_id":
                value = record_key(source, self.offender(value))
            elif name == "record":  # a source record's key, hashed as its events' ids are
                value = record_key(parse_record(value)[0], self.offender(value))
            elif name == "event_id" or name.endswith("_event_id"):
                value = self._event_id(value if source is None else f"{source}\x1f{value}")
            elif name.endswith("_id") or name == "ref":
                value = self._thing(offender_id, value)
            elif name == "date_of_birth" and not self.keep_dob:
                value = value.replace(month=7, day=1)
            elif name == "offence_code" and not self.keep_text:
                value = _code(value)
            elif name == "tool" and not self.keep_text:
                value = _tool(value)
            out.append(value)
        return tuple(out)

    def event(self, event: Event) -> Event | None:
        """An event, pseudonymised (decoded again, so the result is a valid event).

        ``None`` for an identity record with no identifier (see :meth:`raw`).
        """
        raw = self.raw(self._codec.encode(event))
        return None if raw is None else self._codec.decode(raw)


def _code(code: str) -> str:
    return code if _OFFENCE_CODE.fullmatch(code) else WITHHELD


def _tool(tool: str) -> str:
    return tool if tool in RISK_TOOLS else OTHER_TOOL
