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
of people in the group found); seconds of the run alone and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from measure import OUT, machine, run_step, save

#: Identity records per synthetic offender (about: each is seen by three or four agencies).
RECORDS_PER_OFFENDER = 3.45

RUN = r"""
import collections, json, resource, sys, time
sys.path.insert(0, "bench")
from bench_linkage import score
path, which = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path, encoding="utf-8")]
truth = {f"{r['source']}:{r['offender_id']}": r.pop("_person") for r in rows}
groups = {f"{r['source']}:{r['offender_id']}": (r.pop("_sex"), r.pop("_age_band")) for r in rows}
started = time.perf_counter()
if which == "ours":
    from offender_journey.linkage.link import run
    result = run(rows, truth)
    persons = dict(result.persons)
    extra = {"alternatives": {str(k): v for k, v in result.alternatives.items()},
             "conflicts": len(result.conflicts), "threshold": result.threshold}
else:
    from bench_linkage import anchor
    persons = anchor(rows)
    extra = {}
seconds = time.perf_counter() - started
from offender_journey.linkage.model import prepare
pnc = dict(zip(prepare(rows)["unique_id"], prepare(rows)["pnc"]))
out = score(persons, truth, groups, pnc)
out.update(extra, seconds=seconds,
           peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def anchor(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Splink's tutorial model on our table: train, predict, cluster at probability 0.95."""
    import duckdb
    import pyarrow as pa
    import splink
    import splink.comparison_library as cl
    from splink.internals.duckdb.database_api import DuckDBAPI

    from offender_journey.linkage.model import COLUMNS, prepare

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

    table = prepare(rows)
    con = duckdb.connect()
    arrow = pa.table({name: pa.array(table[name], pa.string()) for name in COLUMNS})
    con.register("a", arrow)
    con.execute("CREATE TABLE identities AS SELECT * FROM a")
    db = DuckDBAPI(connection=con)
    linker = splink.Linker(db.register("identities"), tutorial, log_level=None)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [splink.block_on("forename", "surname", "dob")], recall=0.7
    )
    training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    training.estimate_parameters_using_expectation_maximisation(
        splink.block_on("forename", "surname")
    )
    training.estimate_parameters_using_expectation_maximisation(splink.block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    )
    found = con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()
    persons = {str(k): str(c) for k, c in found}
    for key in table["unique_id"]:
        persons.setdefault(key, key)
    return persons


def _pairs(sizes: Any) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def score(
    persons: dict[str, str],
    truth: dict[str, str],
    groups: dict[str, tuple[str, str]],
    pnc: dict[str, str | None],
) -> dict[str, Any]:
    """Pairwise precision, recall, F1, exact persons, PNC clashes and recall by group."""
    from collections import Counter, defaultdict

    found: dict[str, list[str]] = defaultdict(list)
    for record, person in persons.items():
        found[person].append(record)
    true: dict[str, list[str]] = defaultdict(list)
    for record, person in truth.items():
        true[person].append(record)
    hits = 0
    hits_by: Counter[tuple[str, str]] = Counter()
    for records in found.values():
        counts = Counter(truth[r] for r in records)
        for person, n in counts.items():
            pairs = n * (n - 1) // 2
            hits += pairs
            sex, band = groups[true[person][0]]
            hits_by[("sex", sex)] += pairs
            hits_by[("age", band)] += pairs
    predicted = _pairs(len(v) for v in found.values())
    actual = _pairs(len(v) for v in true.values())
    actual_by: Counter[tuple[str, str]] = Counter()
    for records in true.values():
        sex, band = groups[records[0]]
        pairs = len(records) * (len(records) - 1) // 2
        actual_by[("sex", sex)] += pairs
        actual_by[("age", band)] += pairs
    precision = hits / predicted if predicted else 1.0
    recall = hits / actual if actual else 1.0
    exact_sets = {frozenset(v) for v in true.values()}
    exact = sum(frozenset(v) in exact_sets for v in found.values())
    clashes = sum(len({pnc[r] for r in v if pnc.get(r)}) > 1 for v in found.values())
    return {
        "records": len(truth),
        "true_persons": len(true),
        "persons": len(found),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "exact_share": exact / len(true),
        "pnc_clashes": clashes,
        "recall_by_group": {
            f"{kind}:{value}": hits_by[(kind, value)] / n
            for (kind, value), n in sorted(actual_by.items())
            if n
        },
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
        " | peak MiB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['level']} | {r['model']} | {r['precision']:.4f} | "
            f"{r['recall']:.4f} | **{r['f1']:.4f}** | {r['exact_share']:.4f} | "
            f"{r['pnc_clashes']} | {r['seconds']:.1f} | {r['peak_mib']:,.0f} |"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="identity records, comma-separated")
    parser.add_argument("--levels", default="low,medium,high")
    parser.add_argument("--which", default="ours,anchor")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--table", metavar="FILE.json", help="print a saved run as Markdown")
    args = parser.parse_args()
    if args.table:
        print(markdown(json.loads(Path(args.table).read_text())["results"]))
        return
    sizes = [3000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results: list[dict[str, Any]] = []
    for size in sizes:
        for level in args.levels.split(","):
            path = population_file(size, level)
            for which in args.which.split(","):
                measured = run_step(RUN, str(path), which)
                row = {"size": size, "level": level, "model": which, **measured["result"]}
                results.append(row)
                print(
                    f"{size:>9,} {level:<6} {which:<6} P {row['precision']:.4f} "
                    f"R {row['recall']:.4f} F1 {row['f1']:.4f} exact {row['exact_share']:.4f} "
                    f"clashes {row['pnc_clashes']} {row['seconds']:6.1f} s "
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
    print(save(name, {"machine": machine(), "results": results}), file=sys.stderr)


if __name__ == "__main__":
    main()
