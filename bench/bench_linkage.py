"""Linkage on the synthetic agencies: accuracy against the truth, time and peak memory.

    python bench/bench_linkage.py                    # 10k and 100k records, each error level
    python bench/bench_linkage.py --sizes 1000000 --levels medium
    python bench/bench_linkage.py --quick            # 3k records, a smoke test

For each size (identity records) and error level, the population is generated once into
``bench/out/`` (identity rows and the truth; not timed). Then, each in a fresh process:

* **ours**: ``offender_journey.linkage.link.run`` at the default threshold: deterministic
  links, our Splink model trained on the data (u by random sampling, m by EM), Splink's
  clustering, constraints, person ids;
* **anchor**: Splink with the settings of its own tutorial on the same table (name
  comparisons, date-of-birth comparison, exact postcode with term frequencies, blocking
  on forename with postcode and on surname), trained the tutorial's way and clustered at
  its match probability of 0.95.

Reported per run: pairwise precision, recall and F1 (pairs of records put in one person,
against pairs of records of one true person); the share of true persons rebuilt exactly;
persons holding two different valid PNC IDs; recall by sex and by age band (true pairs
of people in the group found); the run's own wall and CPU seconds (every thread), the
load average when it started, and the process's peak memory at the end of the run
(the rows are read from the file as the run goes; scoring, after, is not counted).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from measure import OUT, machine, run_step, save

#: Identity records per synthetic offender (about: each is seen by three or four agencies).
RECORDS_PER_OFFENDER = 3.45

RUN = r"""
import json, os, resource, sys, time
sys.path.insert(0, "bench")
from bench_linkage import identity_rows, score
path, which = sys.argv[1], sys.argv[2]
load = os.getloadavg()[0]
started, cpu = time.perf_counter(), time.process_time()
if which == "ours":
    from offender_journey.linkage.link import run
    result = run(identity_rows(path), [])
    found = result.table.select(["record", "person_id"])
    extra = {"alternatives": {str(k): v for k, v in result.alternatives.items()},
             "conflicts": len(result.conflicts), "threshold": result.threshold}
else:
    from bench_linkage import anchor
    chunks = int(sys.argv[4]) if sys.argv[4] else None
    found = anchor(identity_rows(path), memory=sys.argv[3] or None, chunks=chunks)
    extra = {"duckdb_memory_limit": sys.argv[3] or "default", "predict_chunks": chunks}
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = score(found, path)
out.update(extra, seconds=seconds, cpu_seconds=cpu, peak_mib=peak,
           load_before=load, load_after=os.getloadavg()[0])
print(json.dumps(out))
"""


def identity_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """The identity rows of a population file, one at a time, without the truth's fields."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            for name in ("_person", "_sex", "_age_band"):
                del row[name]
            yield row


def anchor(
    rows: Iterable[dict[str, Any]], memory: str | None = None, chunks: int | None = None
) -> Any:
    """Splink's tutorial model on our table: train, predict, cluster at probability 0.95.

    Returns an Arrow table of ``record`` and ``person_id`` (a record no pair reaches is
    a person of its own). ``memory`` caps DuckDB's memory (its ``memory_limit``, such as
    ``"6GB"``; beyond it DuckDB spills to disk): at a million records the tutorial's
    blocking needs more than the 18 GB DuckDB allows itself by default on a 23 GB machine.
    ``chunks`` splits Splink's prediction into ``chunks`` by ``chunks`` parts (its own
    ``num_chunks_left`` and ``num_chunks_right``), so the blocked pairs (some 2,160
    million at a million records) are never all held, in memory or on disk, at once.
    """
    import splink
    import splink.comparison_library as cl

    from offender_journey.linkage.model import Database

    # The tutorial compares first name and surname with Splink's name comparison, the
    # date of birth with its date comparison, the city exactly with term frequencies (we
    # give it the postcode) and e-mail (we have none: the PNC ID takes its place, exactly),
    # and blocks on first name with city, and on surname.
    tutorial = splink.SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("pnc"),
        ],
        blocking_rules_to_generate_predictions=[
            splink.block_on("forename", "postcode"),
            splink.block_on("surname"),
        ],
        retain_intermediate_calculation_columns=True,
    )

    database = Database()
    if memory:
        database.con.execute("SET memory_limit = ?", [memory])
        database.con.execute("SET preserve_insertion_order = false")
        database.con.execute("SET temp_directory = ?", [str(OUT / "duckdb_spill")])
    database.load(rows)
    linker = splink.Linker(database.splink.register("identities"), tutorial, log_level=None)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [splink.block_on("forename", "surname", "dob")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    training.estimate_parameters_using_expectation_maximisation(
        splink.block_on("forename", "surname")
    )
    training.estimate_parameters_using_expectation_maximisation(splink.block_on("dob"))
    predictions = linker.inference.predict(
        threshold_match_probability=0.5, num_chunks_left=chunks, num_chunks_right=chunks
    )
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    )
    return database.con.sql(
        f"SELECT i.unique_id AS record, coalesce(c.cluster_id, i.unique_id) AS person_id "
        f"FROM identities i LEFT JOIN {clusters.physical_name} c USING (unique_id)"
    ).to_arrow_table()


def score(found: Any, path: str | Path) -> dict[str, Any]:
    """Pairwise precision, recall, F1, exact persons, PNC clashes and recall by group.

    ``found`` is an Arrow table of ``record`` and ``person_id``; ``path`` the population
    file with the truth. Counted in DuckDB, so that scoring a million records stays light.
    """
    from offender_journey.linkage.model import connect

    con = connect(identity_rows(path)).con
    con.register("found_arrow", found)
    con.execute("CREATE TABLE found AS SELECT record, person_id FROM found_arrow")
    con.execute(
        "CREATE TABLE truth AS SELECT source || ':' || offender_id AS record, "
        "_person AS person, _sex AS sex, _age_band AS band "
        f"FROM read_json({str(path)!r}, format = 'newline_delimited', columns = "
        "{source: 'VARCHAR', offender_id: 'VARCHAR', _person: 'VARCHAR', _sex: 'VARCHAR', "
        "_age_band: 'VARCHAR'})"
    )

    def one(sql: str) -> Any:
        return con.execute(sql).fetchall()[0][0]

    # Pairs of records of one true person put in one found person, by the true person.
    con.execute(
        """CREATE TABLE hits AS SELECT t.person, count(*) * (count(*) - 1) // 2 AS pairs
        FROM found f JOIN truth t USING (record) GROUP BY f.person_id, t.person"""
    )
    con.execute(
        """CREATE TABLE people AS SELECT person, any_value(sex) AS sex,
        any_value(band) AS age, count(*) AS n, list(record ORDER BY record) AS records
        FROM truth GROUP BY person"""
    )
    hits = one("SELECT coalesce(sum(pairs), 0) FROM hits")
    predicted = one(
        "SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM "
        "(SELECT count(*) AS n FROM found GROUP BY person_id)"
    )
    actual = one("SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM people")
    exact = one(
        """SELECT count(*) FROM (SELECT list(record ORDER BY record) AS records
        FROM found GROUP BY person_id) f SEMI JOIN people p USING (records)"""
    )
    clashes = one(
        """SELECT count(*) FROM (SELECT f.person_id FROM found f JOIN identities i
        ON i.unique_id = f.record WHERE i.pnc IS NOT NULL GROUP BY f.person_id
        HAVING count(DISTINCT i.pnc) > 1)"""
    )
    by_group = con.execute(
        """SELECT kind || ':' || value, sum(found) / sum(pairs) FROM (
            SELECT p.sex, p.age, p.n * (p.n - 1) // 2 AS pairs, coalesce(h.found, 0) AS found
            FROM people p LEFT JOIN (
                SELECT person, sum(pairs) AS found FROM hits GROUP BY person
            ) h USING (person)
        ) UNPIVOT (value FOR kind IN (sex, age))
        WHERE pairs > 0 GROUP BY ALL ORDER BY 1"""
    ).fetchall()
    precision = hits / predicted if predicted else 1.0
    recall = hits / actual if actual else 1.0
    true_persons = one("SELECT count(*) FROM people")
    return {
        "records": one("SELECT count(*) FROM truth"),
        "true_persons": true_persons,
        "persons": one("SELECT count(DISTINCT person_id) FROM found"),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "exact_share": exact / true_persons,
        "pnc_clashes": clashes,
        "recall_by_group": {name: float(value) for name, value in by_group},
    }


def _age_band(born: str) -> str:
    age = 2016 - int(born[:4])
    return "under 25" if age < 25 else "25-34" if age < 35 else "35-49" if age < 50 else "50+"


def population_file(records: int, level: str, seed: int = 1) -> Path:
    """Identity rows with the truth, one JSON object a line, generated once and reused."""
    from offender_journey.agencies import build

    OUT.mkdir(exist_ok=True)
    path = OUT / f"linkage_{records}_{level}_{seed}.jsonl"
    if path.exists():
        return path
    offenders = max(1, round(records / RECORDS_PER_OFFENDER))
    population = build(offenders, seed=seed, errors=level, events=False)
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        for record, row in zip(population.records, population.identity_rows(), strict=True):
            sex, born = population.people[record.person]
            row.update(_person=record.person, _sex=sex, _age_band=_age_band(born.isoformat()))
            if row["date_of_birth"] is not None:
                row["date_of_birth"] = row["date_of_birth"].isoformat()
            handle.write(json.dumps(row) + "\n")
    partial.rename(path)
    return path


def markdown(results: list[dict[str, Any]]) -> str:
    """The results as the Markdown tables docs/linkage.md shows."""
    lines = [
        "| records | errors | model | precision | recall | F1 | exact | clashes | seconds"
        " | CPU seconds | load | peak MiB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['level']} | {r['model']} | {r['precision']:.4f} | "
            f"{r['recall']:.4f} | **{r['f1']:.4f}** | {r['exact_share']:.4f} | "
            f"{r['pnc_clashes']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{r['load_before']:.1f} | {r['peak_mib']:,.0f} |"
        )
    groups = sorted({g for r in results for g in r["recall_by_group"]})
    lines += ["", "| records | errors | model | " + " | ".join(groups) + " | spread |"]
    lines.append("|---:|---|---|" + "---:|" * (len(groups) + 1))
    for r in results:
        by = r["recall_by_group"]
        spread = max(by.values()) - min(by.values())
        cells = " | ".join(f"{by[g]:.4f}" if g in by else "" for g in groups)
        lines.append(
            f"| {r['size']:,} | {r['level']} | {r['model']} | {cells} | {100 * spread:.2f} pt |"
        )
    return "\n".join(lines)


_DEFAULTS = ("10000,100000", "low,medium,high", "ours,anchor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes, levels, which = _DEFAULTS
    parser.add_argument("--sizes", default=sizes, help="identity records, comma-separated")
    parser.add_argument("--levels", default=levels)
    parser.add_argument("--which", default=which)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--anchor-memory", metavar="LIMIT", help="DuckDB's memory limit for the anchor (6GB)"
    )
    parser.add_argument(
        "--anchor-chunks", type=int, metavar="N", help="the anchor predicts in N x N chunks"
    )
    parser.add_argument(
        "--table", nargs="+", metavar="FILE.json", help="print saved runs as one Markdown table"
    )
    args = parser.parse_args()
    if args.table:
        saved = [json.loads(Path(name).read_text())["results"] for name in args.table]
        print(markdown([result for results in saved for result in results]))
        return
    sizes = [3000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results: list[dict[str, Any]] = []
    for size in sizes:
        for level in args.levels.split(","):
            path = population_file(size, level)
            for which in args.which.split(","):
                measured = run_step(
                    RUN, str(path), which, args.anchor_memory or "", str(args.anchor_chunks or "")
                )
                row = {"size": size, "level": level, "model": which, **measured["result"]}
                results.append(row)
                print(
                    f"{size:>9,} {level:<6} {which:<6} P {row['precision']:.4f} "
                    f"R {row['recall']:.4f} F1 {row['f1']:.4f} exact {row['exact_share']:.4f} "
                    f"clashes {row['pnc_clashes']} {row['seconds']:6.1f} s "
                    f"(CPU {row['cpu_seconds']:.1f} s, load {row['load_before']:.1f}) "
                    f"{row['peak_mib']:7.0f} MiB",
                    flush=True,
                )
                groups = row["recall_by_group"]
                print(
                    "    recall by group: " + ", ".join(f"{k} {v:.4f}" for k, v in groups.items()),
                    flush=True,
                )
    print(markdown(results))
    name = "linkage_quick" if args.quick else "linkage"
    if not args.quick and (args.sizes, args.levels, args.which) != _DEFAULTS:
        name = f"linkage_{args.sizes}_{args.levels}_{args.which}".replace(",", "+")
    print(save(name, {"machine": machine(), "results": results}), file=sys.stderr)


if __name__ == "__main__":
    main()
