"""Views over linkage's persons against views over the true persons (synthetic agencies).

    python bench/bench_persons.py                          # 1,000 offenders, each error level
    python bench/bench_persons.py --offenders 300 --levels medium

For each error level the four agencies' extracts (``synth --sources … --truth``) are
ingested, each with its source, into two stores. In one, ``link`` decides who is who (the
model, trained on the data); in the other the truth file, turned into a clerical review's
joins (``link --joins``), makes exactly the true persons. Then ``metrics --all --json`` in
each, as a user would run it.

The figures differ only where linkage went wrong, and the script shows it rather than
assuming it: a person whose source records are the same in both stores must have the
same fact rows in both, table by table (person ids aside), and every difference in a
headline figure must be carried by the persons linkage got wrong: persons holding records
of two or more true persons (false merges) and true persons spread over two or more
persons (missed links). Both checks are printed and saved to ``bench/out/persons.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from measure import OUT, machine, save

from offender_journey.cli import main as cli
from offender_journey.facts.schema import TABLES

SOURCES = ("police", "courts", "probation", "prison")
#: Columns that say where and when a store keeps a row, not what happened: the person id
#: itself (named differently by each store), the log position, the link decision's time.
_BOOKKEEPING = frozenset({"offender_id", "position", "linked_at"})


def command(*args: str) -> str:
    """Run one command as a user would; its standard output (it must succeed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli(list(args))
    if code != 0:
        raise SystemExit(f"offender-journey {' '.join(args)} exited {code}")
    return out.getvalue()


def truth_joins(truth: Path, out: Path) -> dict[str, str]:
    """The truth file as a review's joins (each true person's records to its first)."""
    with open(truth, encoding="utf-8", newline="") as handle:
        real = {f"{r['source']}:{r['offender_id']}": r["person"] for r in csv.DictReader(handle)}
    first: dict[str, str] = {}
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "decision", "reason"])
        for record, person in sorted(real.items()):
            if person in first:
                writer.writerow([first[person], record, "join", "the synthetic truth"])
            else:
                first[person] = record
    return real


def persons(store: Path) -> dict[str, frozenset[str]]:
    """Person id → the set of its source records, as ``links`` lists them."""
    listing = json.loads(command("links", "--json", "--store", str(store)))
    return {
        p["person_id"]: frozenset(f"{r['source']}:{r['offender_id']}" for r in p["records"])
        for p in listing["persons"]
    }


def fact_rows(store: Path) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """Person id → table → its fact rows without the store's bookkeeping, in a stable order."""
    out: dict[str, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        for table in TABLES:
            names = [n for n in table.names if n not in _BOOKKEEPING]
            query = f"SELECT offender_id, {', '.join(names)} FROM {table.name}"
            for person, *row in db.execute(query):
                out[person][table.name].append(tuple(row))
    for tables in out.values():
        for rows in tables.values():
            rows.sort(key=repr)
    return out


def flat(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a metrics JSON, named by its path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flat(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for k, inner in enumerate(value):
            yield from flat(inner, f"{prefix}[{k}]")
    else:
        yield prefix, value


def one_level(offenders: int, level: str, seed: int) -> dict[str, Any]:
    work = OUT / f"persons-{level}-{offenders}"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.db*"):
        old.unlink()
    command(
        "synth", str(work / "agencies"), "--offenders", str(offenders), "--seed", str(seed),
        "--sources", ",".join(SOURCES), "--errors", level, "--truth", str(work / "truth.csv"),
    )  # fmt: skip
    real = truth_joins(work / "truth.csv", work / "truth_joins.csv")
    stores = {"linked": work / "linked.db", "true": work / "true.db"}
    seconds: dict[str, float] = {}
    for name, store in stores.items():
        for source in SOURCES:
            extract = str(work / "agencies" / f"{source}.jsonl")
            command("ingest", extract, "--source", source, "--store", str(store))
        started = time.perf_counter()
        if name == "linked":
            command("link", "--store", str(store))
        else:
            command("link", "--joins", str(work / "truth_joins.csv"), "--store", str(store))
        seconds[name] = round(time.perf_counter() - started, 2)
    metrics = {
        name: json.loads(command("metrics", "--all", "--json", "--store", str(store)))
        for name, store in stores.items()
    }
    found, true = persons(stores["linked"]), persons(stores["true"])
    by_records = {records: person for person, records in true.items()}
    exact = {p: by_records[records] for p, records in found.items() if records in by_records}
    rows = {name: fact_rows(store) for name, store in stores.items()}
    unequal = [p for p, twin in exact.items() if rows["linked"][p] != rows["true"][twin]]
    # The rest are linkage's errors: linked persons that are not a true person, and true
    # persons that linkage did not rebuild. Every fact row is in an exact person or in
    # one of these, so a figure can differ only through them.
    wrong = {"linked": set(found) - set(exact), "true": set(true) - set(exact.values())}
    merges = [p for p in wrong["linked"] if len({real[r] for r in found[p]}) > 1]
    share = {
        name: {
            table: [
                sum(len(rows[name][p].get(table, ())) for p in wrong[name]),
                sum(len(tables.get(table, ())) for tables in rows[name].values()),
            ]
            for table in ("charges", "sentencing_occasions")
        }
        for name in stores
    }
    leaves = {name: dict(flat(value)) for name, value in metrics.items()}
    # Person ids are each store's own names: a person rebuilt exactly is named as its twin.
    leaves["linked"] = {
        key: exact.get(value, value) if key.endswith("offender_id") else value
        for key, value in leaves["linked"].items()
    }
    differing = sorted(
        key
        for key in leaves["true"].keys() | leaves["linked"].keys()
        if leaves["true"].get(key) != leaves["linked"].get(key)
    )
    return {
        "level": level,
        "offenders": offenders,
        "records": len(real),
        "true_persons": len(true),
        "linked_persons": len(found),
        "persons_rebuilt_exactly": len(exact),
        "exact_persons_with_different_facts": len(unequal),
        "linked_persons_wrong": len(wrong["linked"]),
        "false_merges": len(merges),
        "true_persons_not_rebuilt": len(wrong["true"]),
        "rows_held_by_linkage_errors": share,
        "headline_figures": len(leaves["true"]),
        "headline_figures_differing": len(differing),
        "differing": differing[:40],
        "headline": {
            name: {
                "persons": m["offenders"],
                "charges": m["conversion"]["charges"],
                "convicted": m["conversion"]["convicted"],
                "conversion": m["conversion"]["rate"],
            }
            for name, m in metrics.items()
        },
        "link_seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offenders", type=int, default=1000)
    parser.add_argument("--levels", default="low,medium,high")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    results = [one_level(args.offenders, level, args.seed) for level in args.levels.split(",")]
    for r in results:
        h = r["headline"]
        print(
            f"{r['level']:>6}: {r['records']} records; {r['true_persons']} true persons, "
            f"{r['linked_persons']} linked; {r['persons_rebuilt_exactly']} rebuilt exactly "
            f"(their facts differ for {r['exact_persons_with_different_facts']}); "
            f"errors: {r['linked_persons_wrong']} linked persons ({r['false_merges']} false "
            f"merges), {r['true_persons_not_rebuilt']} true persons not rebuilt"
        )
        print(
            f"        conversion {h['linked']['convicted']}/{h['linked']['charges']} linked vs "
            f"{h['true']['convicted']}/{h['true']['charges']} true; "
            f"{r['headline_figures_differing']} of {r['headline_figures']} figures differ"
        )
        if r["exact_persons_with_different_facts"]:
            sys.exit("a person rebuilt exactly has different facts: not a linkage error")
    path = save("persons", {"machine": machine(), "results": results})
    print(f"saved to {path}")


if __name__ == "__main__":
    main()
