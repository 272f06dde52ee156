"""One person with very many events: every fold must grow as O(n log n) in them.

    python bench/bench_one_person.py            # 25,000 .. 200,000 events of each kind
    python bench/bench_one_person.py --quick    # 2,500 .. 20,000: a smoke test in seconds
    python bench/bench_one_person.py --kinds open_bail caution

For each kind of event, one person's stream is made of that kind (with the charges it
needs to refer to), at sizes doubling up to ``--most`` events, and three things are timed
in this process: rebuilding the person's facts (``History.build`` then ``derive``: what
``refresh`` does for each person touched, holding the write lock, and what every new
event for them costs), their ``timeline``, and putting their history together from the
agencies' records (``History.of_records`` over the synthetic agencies' split of the
stream, the courts reporting every charge again under their own reference, so each is
matched by offence). ``mixed`` is the case first reported: a
quarter of the events open bails, among charges, hearings and convictions.

Doubling n multiplies an O(n) step's time by 2 and an O(n log n) step's by a little
more; a quadratic one's by 4. The growth printed for each kind is the time at the
largest size over the time at half of it; any over 3 is reported as quadratic, and the
run fails. Timings are this process's CPU seconds, so other work on the machine moves
them little.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs
from measure import machine, save

from offender_journey.agencies import split
from offender_journey.builder import JourneyBuilder
from offender_journey.codec import Codec
from offender_journey.events import Charge, Event
from offender_journey.facts.derive import derive
from offender_journey.history import History
from offender_journey.timeline import build_timeline

#: Above this growth per doubling a step is taken to be quadratic (O(n log n) gives ~2.1).
QUADRATIC = 3.0


def _day(step: int) -> dt.date:
    """Twenty events a day, from 1975: 200,000 events span about 27 years."""
    return dt.date(1975, 1, 1) + dt.timedelta(days=step // 20)


def _stream(kind: str, n: int) -> list[Event]:
    """About ``n`` events for one person, mostly of ``kind``."""
    j = JourneyBuilder("P")
    j.profile(_day(0), "1955-06-01")
    step = 0
    while len(j.events) < n:
        d = _day(step)
        step += 1
        if kind == "arrest":
            j.arrest(d)
        elif kind == "charge":
            j.charge(d, "theft_other")
        elif kind == "open_bail":
            j.bail(d, j.charge(d, "theft_other"))
        elif kind == "bail":
            j.end_bail(d, j.bail(d, j.charge(d, "theft_other")))
        elif kind == "remand":
            j.end_remand(d, j.remand(d, j.charge(d, "theft_other")))
        elif kind == "open_remand":
            j.remand(d, j.charge(d, "theft_other"))
        elif kind == "hearing":
            j.hearing(d, f"k{step}", j.charge(d, "theft_other"))
        elif kind == "conviction":
            j.convict(d, j.charge(d, "theft_other"))
        elif kind == "sentence":
            c = j.charge(d, "theft_other")
            j.convict(d, c)
            j.sentence(d, c, disposal="community_order", length_days=365)
        elif kind == "caution":
            j.caution(d, "theft_other")
        elif kind == "licence":
            c = j.charge(d, "theft_other")
            j.convict(d, c)
            s = j.sentence(d, c, disposal="immediate_custody", length_days=60)
            licence = j.release(d, s, d + dt.timedelta(days=400))
            j.recall(d + dt.timedelta(days=10), licence)
            j.return_to_custody(d + dt.timedelta(days=11), licence)
        elif kind == "warrant":
            j.execute_warrant(d + dt.timedelta(days=3), j.warrant(d))
        elif kind == "open_warrant":
            j.warrant(d)
        elif kind == "risk":
            j.risk(d, 0.4, 0.3)
        elif kind == "retraction":
            j.retract(j.arrest(d))
        elif kind == "mixed":  # the reported case: a quarter of the events open bails
            c = j.charge(d, "theft_other")
            j.bail(d, c)
            j.hearing(d, f"k{step}", c)
            j.convict(d, c)
        else:
            raise SystemExit(f"unknown kind {kind!r}")
    return j.events


KINDS = (
    "arrest",
    "charge",
    "open_bail",
    "bail",
    "remand",
    "open_remand",
    "hearing",
    "conviction",
    "sentence",
    "caution",
    "licence",
    "warrant",
    "open_warrant",
    "risk",
    "retraction",
    "mixed",
)


def _timed(step: Callable[[], Any]) -> float:
    """CPU seconds of the best of as many runs as fit in half a second (one, if slow)."""
    best, spent = float("inf"), 0.0
    while spent < 0.5:
        gc.collect()
        began = time.process_time()
        step()
        took = time.process_time() - began
        best, spent = min(best, took), spent + took
    return best


def _facts(events: list[Event]) -> None:
    derive(History.build("P", events))


def _timeline(events: list[Event]) -> None:
    build_timeline(History.build("P", events))


def _agencies(events: list[Event]) -> dict[str, list[Event]]:
    """The stream as the agencies hold it, the courts reporting each charge again as theirs."""
    codec = Codec()
    records = {
        f"{source}:{source}-P": [
            codec.decode({**raw, "source": source, "offender_id": f"{source}-P"}) for raw in own
        ]
        for source, own in split([codec.encode(e) for e in events]).items()
    }
    records["courts:courts-P"] += [
        attrs.evolve(
            e,
            source="courts",
            offender_id="courts-P",
            event_id=f"court-{e.event_id}",
            charge_id=f"ASN-{e.charge_id}",
        )
        for e in events
        if isinstance(e, Charge)
    ]
    return records


def _person(records: dict[str, list[Event]]) -> None:
    History.of_records("P", records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 20,000")
    parser.add_argument("--most", type=int, default=200_000, help="the largest size")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args = parser.parse_args()
    most = 20_000 if args.quick else args.most
    sizes = [most // 8, most // 4, most // 2, most]
    results: dict[str, Any] = {"machine": machine(), "sizes": sizes, "kinds": {}}
    quadratic = []
    print(f"{'kind':<13}{'step':<10}" + "".join(f"{n:>10,}" for n in sizes) + "    growth")
    for kind in args.kinds:
        streams = {n: _stream(kind, n) for n in sizes}
        records = {n: _agencies(streams[n]) for n in sizes}
        inputs: dict[str, dict[int, Any]] = {
            "facts": streams,
            "timeline": streams,
            "person": records,
        }
        # The streams live through the run: the collector need not look at them again
        # (else each step pays for scanning all four, and the largest looks quadratic).
        gc.collect()
        gc.freeze()
        steps: tuple[tuple[str, Callable[[Any], None]], ...] = (
            ("facts", _facts),
            ("timeline", _timeline),
            ("person", _person),
        )
        for name, step in steps:
            seconds = [_timed(functools.partial(step, inputs[name][n])) for n in sizes]
            growth = seconds[-1] / max(seconds[-2], 1e-9)
            flag = "  QUADRATIC" if growth > QUADRATIC else ""
            if flag:
                quadratic.append(f"{kind} {name}")
            print(
                f"{kind:<13}{name:<10}"
                + "".join(f"{s:>9.2f}s" for s in seconds)
                + f"    x{growth:.2f}{flag}",
                flush=True,
            )
            results["kinds"].setdefault(kind, {})[name] = {"seconds": seconds, "growth": growth}
        del streams, records, inputs
        gc.unfreeze()
    save("one_person", results)
    if quadratic:
        print("quadratic: " + ", ".join(quadratic), file=sys.stderr)
        return 1
    print(
        json.dumps(
            {
                "largest": most,
                "worst_growth": max(r[s]["growth"] for r in results["kinds"].values() for s in r),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
