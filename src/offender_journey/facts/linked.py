"""Who the facts are about: each source record's person, and the records of each person.

A record's person, as of a time, is the person its latest ``record_linked`` recorded by
then names (transaction order), else the record itself: a store without link decisions
has one person per record, keyed as the record is. Facts and views are made per person:
:func:`person_units` hands out each person with the streams of its records, and
:func:`history_of` puts them together (see
:meth:`~offender_journey.history.History.of_records`).

:func:`linked_persons` reads only the link decisions (one indexed scan in the SQL
stores, nothing decoded but them), so a store without links pays nothing more.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..events import RecordLinked
from ..history import History
from ..persons import Rules
from ..store.base import as_of_micros

if TYPE_CHECKING:
    from ..events import Event
    from ..store.base import EventStore, OffenderRange

__all__ = ["Unit", "history_of", "linked_persons", "members", "person_units"]

#: One person and the streams of its records (record key → events, in stream order).
Unit = tuple[str, Mapping[str, Sequence["Event"]]]

_LINKED = (
    "SELECT offender_id, payload FROM events WHERE type = '{kind}' AND recorded_at <= {mark}"
    " AND {visible}{among} ORDER BY offender_id, recorded_at, version"
)

# Records asked about per query (below SQLite's limit of bound parameters).
_CHUNK = 500


def linked_persons(
    store: EventStore, as_of: dt.datetime | None = None, records: Sequence[str] | None = None
) -> dict[str, str]:
    """Each record with a link decision recorded by ``as_of`` → its person then.

    Records without one are persons of their own (absent here); the dict is empty when
    the store holds no link decisions. Restricted records are left out, like their events.
    ``records`` asks about those only (their streams read by key, not every decision).
    """
    name = getattr(store, "dialect_name", None)
    if name not in ("sqlite", "postgresql"):
        from ..linkage.decisions import read_state  # a store without SQL: fold the streams

        found = read_state(store, as_of=as_of).persons
        wanted = found.keys() if records is None else set(records) & found.keys()
        return {record: found[record] for record in wanted}
    from ..store.privacy import VISIBLE

    mark = "?" if name == "sqlite" else "%s"
    key: Callable[[str], str] = str
    text: Callable[[str], str] = str
    if name == "postgresql":
        from ..store.escaping import escape_nul
        from ..store.postgres import unkey  # the postgres extra: psycopg

        key, text = unkey, escape_nul
    asks: list[tuple[str, list[Any]]] = []
    plain = _LINKED.format(kind=RecordLinked.TYPE, mark=mark, visible=VISIBLE, among="{among}")
    if records is None:
        asks.append((plain.format(among=""), [as_of_micros(as_of)]))
    for at in range(0, len(records or ()), _CHUNK):
        chunk = [text(r) for r in (records or ())[at : at + _CHUNK]]
        among = f" AND offender_id IN ({', '.join([mark] * len(chunk))})"
        asks.append((plain.format(among=among), [as_of_micros(as_of), *chunk]))
    persons: dict[str, str] = {}
    for query, params in asks:
        if name == "sqlite":
            rows: Iterable[Sequence[Any]] = store.connection.execute(query, params).fetchall()  # type: ignore[attr-defined]
        else:
            with store.borrow() as conn:  # type: ignore[attr-defined]
                rows = conn.execute(query, params).fetchall()
        for record, payload in rows:  # the latest decision of each record comes last
            persons[key(record)] = json.loads(payload)["person_id"]
    return persons


def members(persons: Mapping[str, str], records: Iterable[str]) -> dict[str, list[str]]:
    """Person → its records (sorted), for the given records and the linked ones."""
    out: dict[str, list[str]] = defaultdict(list)
    for record in sorted({*records, *persons}):
        out[persons.get(record, record)].append(record)
    return dict(out)


def person_units(
    store: EventStore,
    as_of: dt.datetime | None,
    persons: Mapping[str, str],
    offenders: OffenderRange | None = None,
) -> Iterator[Unit]:
    """Every person with its records' streams cut at ``as_of``, given the links ``persons``.

    Without links (``persons`` empty) this is ``store.read_all`` with each record a person
    of its own. Otherwise records that belong to nobody else come in the same scan, and
    the records of linked persons are read stream by stream after it, person by person.
    """
    if not persons:
        for key, events in store.read_all(as_of=as_of, offenders=offenders):
            yield key, {key: events}
        return
    grouped: dict[str, list[str]] = defaultdict(list)
    for record, person in persons.items():
        grouped[person].append(record)
    for key, events in store.read_all(as_of=as_of, offenders=offenders):
        if key in persons:
            continue
        if key in grouped:  # an unlinked record whose key another record is linked to
            grouped[key].append(key)
            continue
        yield key, {key: events}
    first, stop = offenders or (None, None)
    for person in sorted(grouped):
        if (first is not None and person < first) or (stop is not None and person >= stop):
            continue
        records = sorted(grouped[person])
        yield person, {r: store.read_stream(r, as_of=as_of) for r in records}


def history_of(
    person_id: str,
    records: Mapping[str, Sequence[Event]],
    as_of: dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
    rules: Rules | None = None,
) -> History:
    """One person's history from its records' streams (a lone record of its own: as built),
    put together under the partnership's ``rules`` (default: the default rules)."""
    if len(records) == 1 and person_id in records:
        return History.build(person_id, records[person_id], as_of, now=now)
    return History.of_records(person_id, records, as_of, now=now, rules=rules)
