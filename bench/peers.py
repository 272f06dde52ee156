"""The peers: conversion and days by sentencing occasion computed by pandas, polars and DuckDB.

Each peer reads the same JSON Lines file and computes the same two numbers by the
library's definitions (retractions in force applied, a re-sent charge or arrest id keeps
its last record in transaction order, a charge's final outcome is its latest-dated one,
ties to the one recorded later; occasions are distinct sentence dates; a charge counts once
per occasion; negatives left out of their own measure). Each is a script run in a fresh
process by ``measure.run_step`` and prints ``{"seconds", "conversion",
"days_by_sentencing_occasion"}`` as its last line, so time and peak memory are its own.
"""

from __future__ import annotations

from typing import Any

PANDAS = r"""
import json, sys, time
import pandas as pd

start = time.perf_counter()
df = pd.read_json(sys.argv[1], lines=True, dtype=False)
df["position"] = range(len(df))

# Retractions in force (a retraction of a retraction cancels it), then drop both.
retractions = df[df["type"] == "event_retracted"]
targets = set(retractions["target_event_id"])
retracted_retractions = set(retractions["event_id"]) & targets
live = retractions[~retractions["event_id"].isin(retracted_retractions)]
gone = set(live["target_event_id"])
df = df[(df["type"] != "event_retracted") & ~df["event_id"].isin(gone)]
df = df.sort_values(["recorded_at", "position"], kind="stable")

charges = df[df["type"] == "charge"].drop_duplicates(["offender_id", "charge_id"], keep="last")
charges = charges[["offender_id", "charge_id", "arrest_id", "offence_date"]]
arrests = df[df["type"] == "arrest"].drop_duplicates(["offender_id", "arrest_id"], keep="last")
outcomes = df[df["type"].isin(["conviction", "charge_disposed"])].copy()
outcomes = outcomes.sort_values("date", kind="stable")
final = outcomes.drop_duplicates(["offender_id", "charge_id"], keep="last")
final = final[["offender_id", "charge_id", "type", "date"]].rename(
    columns={"type": "final", "date": "outcome_date"})

merged = charges.merge(final, on=["offender_id", "charge_id"], how="left")
convicted = int((merged["final"] == "conviction").sum())
not_convicted = int((merged["final"] == "charge_disposed").sum())
total = len(merged)
conversion = {
    "charges": total, "convicted": convicted, "not_convicted": not_convicted,
    "pending": total - convicted - not_convicted,
    "rate": convicted / total if total else None,
    "resolved_rate": convicted / (convicted + not_convicted) if convicted + not_convicted else None,
}

sentences = df[df["type"] == "sentence"][["offender_id", "date", "charge_ids"]]
occasions = sentences[["offender_id", "date"]].drop_duplicates()
occasions["occasion"] = occasions.groupby("offender_id")["date"].rank(method="dense").astype(int)
listed = sentences.explode("charge_ids").rename(columns={"charge_ids": "charge_id"})
listed = listed.merge(occasions, on=["offender_id", "date"]).drop_duplicates(
    ["offender_id", "occasion", "charge_id"])
convictions = final[final["final"] == "conviction"]
rows = (listed.merge(convictions, on=["offender_id", "charge_id"])
        .merge(charges, on=["offender_id", "charge_id"])
        .merge(arrests[["offender_id", "arrest_id", "date"]].rename(columns={"date": "arrest_day"}),
               on=["offender_id", "arrest_id"]))
day = lambda column: pd.to_datetime(rows[column])
rows["a2c"] = (day("outcome_date") - day("arrest_day")).dt.days
rows["o2a"] = (day("arrest_day") - day("offence_date")).dt.days
table = []
for occasion, group in rows.groupby("occasion"):
    a2c = group.loc[group["a2c"] >= 0, "a2c"]
    o2a = group.loc[group["o2a"] >= 0, "o2a"]
    if len(a2c) + len(o2a) == 0:
        continue
    measure = lambda s: {"mean": float(s.mean()) if len(s) else None,
                         "median": float(s.median()) if len(s) else None}
    table.append({"occasion": int(occasion), "n": int(len(a2c)),
                  "arrest_to_conviction": measure(a2c), "offence_to_arrest": measure(o2a)})
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "conversion": conversion,
                  "days_by_sentencing_occasion": table}))
"""

POLARS = r"""
import json, sys, time
import polars as pl

start = time.perf_counter()
df = pl.read_ndjson(sys.argv[1], infer_schema_length=None).with_row_index("position")

retractions = df.filter(pl.col("type") == "event_retracted")
targets = set(retractions["target_event_id"].to_list())
live = retractions.filter(~pl.col("event_id").is_in(list(targets)))
gone = live["target_event_id"].to_list()
df = (df.filter((pl.col("type") != "event_retracted") & ~pl.col("event_id").is_in(gone))
        .sort(["recorded_at", "position"], maintain_order=True))

def latest(kind, key):
    return df.filter(pl.col("type") == kind).unique([ "offender_id", key], keep="last",
                                                     maintain_order=True)

charges = latest("charge", "charge_id").select(
    "offender_id", "charge_id", "arrest_id", pl.col("offence_date").str.to_date())
arrests = latest("arrest", "arrest_id").select(
    "offender_id", "arrest_id", pl.col("date").str.to_date().alias("arrest_day"))
final = (df.filter(pl.col("type").is_in(["conviction", "charge_disposed"]))
           .sort("date", maintain_order=True)
           .unique(["offender_id", "charge_id"], keep="last", maintain_order=True)
           .select("offender_id", "charge_id", pl.col("type").alias("final"),
                   pl.col("date").str.to_date().alias("outcome_date")))

merged = charges.join(final, on=["offender_id", "charge_id"], how="left")
total = merged.height
convicted = merged.filter(pl.col("final") == "conviction").height
not_convicted = merged.filter(pl.col("final") == "charge_disposed").height
conversion = {
    "charges": total, "convicted": convicted, "not_convicted": not_convicted,
    "pending": total - convicted - not_convicted,
    "rate": convicted / total if total else None,
    "resolved_rate": convicted / (convicted + not_convicted) if convicted + not_convicted else None,
}

sentences = df.filter(pl.col("type") == "sentence").select(
    "offender_id", pl.col("date").str.to_date(), "charge_ids")
occasions = (sentences.select("offender_id", "date").unique()
             .with_columns(pl.col("date").rank("dense").over("offender_id").alias("occasion")))
listed = (sentences.explode("charge_ids").rename({"charge_ids": "charge_id"})
          .join(occasions, on=["offender_id", "date"])
          .unique(["offender_id", "occasion", "charge_id"]))
rows = (listed.join(final.filter(pl.col("final") == "conviction"), on=["offender_id", "charge_id"])
        .join(charges, on=["offender_id", "charge_id"])
        .join(arrests, on=["offender_id", "arrest_id"])
        .with_columns((pl.col("outcome_date") - pl.col("arrest_day")).dt.total_days().alias("a2c"),
                      (pl.col("arrest_day") - pl.col("offence_date")).dt.total_days().alias("o2a")))
a2c = rows.filter(pl.col("a2c") >= 0).group_by("occasion").agg(
    pl.len().alias("n"), pl.col("a2c").mean().alias("mean"), pl.col("a2c").median().alias("median"))
o2a = rows.filter(pl.col("o2a") >= 0).group_by("occasion").agg(
    pl.col("o2a").mean().alias("o_mean"), pl.col("o2a").median().alias("o_median"))
joined = a2c.join(o2a, on="occasion", how="full", coalesce=True).sort("occasion")
table = [
    {"occasion": int(r["occasion"]), "n": int(r["n"] or 0),
     "arrest_to_conviction": {"mean": r["mean"], "median": r["median"]},
     "offence_to_arrest": {"mean": r["o_mean"], "median": r["o_median"]}}
    for r in joined.iter_rows(named=True)
]
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "conversion": conversion,
                  "days_by_sentencing_occasion": table}))
"""

DUCKDB = r"""
import json, sys, time
import duckdb

start = time.perf_counter()
db = duckdb.connect()
db.execute("SET preserve_insertion_order = true")
db.execute(
    "CREATE TABLE raw AS SELECT *, row_number() OVER () AS position FROM read_json(?, "
    "format = 'newline_delimited', sample_size = -1, union_by_name = true)", [sys.argv[1]])
db.execute('''
CREATE TABLE ev AS
WITH retractions AS (SELECT event_id, target_event_id FROM raw WHERE type = 'event_retracted'),
     live AS (SELECT target_event_id FROM retractions
              WHERE event_id NOT IN (SELECT target_event_id FROM retractions))
SELECT * FROM raw WHERE type <> 'event_retracted'
  AND event_id NOT IN (SELECT target_event_id FROM live)
''')
db.execute('''
CREATE TABLE charges AS
SELECT offender_id, charge_id, arrest_id, CAST(offence_date AS DATE) AS offence_date FROM ev
WHERE type = 'charge'
QUALIFY row_number() OVER (PARTITION BY offender_id, charge_id
                           ORDER BY recorded_at DESC, position DESC) = 1
''')
db.execute('''
CREATE TABLE arrests AS
SELECT offender_id, arrest_id, CAST(date AS DATE) AS arrest_day FROM ev WHERE type = 'arrest'
QUALIFY row_number() OVER (PARTITION BY offender_id, arrest_id
                           ORDER BY recorded_at DESC, position DESC) = 1
''')
db.execute('''
CREATE TABLE final AS
SELECT offender_id, charge_id, type AS final, CAST(date AS DATE) AS outcome_date FROM ev
WHERE type IN ('conviction', 'charge_disposed')
QUALIFY row_number() OVER (PARTITION BY offender_id, charge_id
                           ORDER BY date DESC, recorded_at DESC, position DESC) = 1
''')
total, convicted, not_convicted = db.execute('''
SELECT count(*), count(*) FILTER (final = 'conviction'), count(*) FILTER (final = 'charge_disposed')
FROM charges LEFT JOIN final USING (offender_id, charge_id)
''').fetchone()
conversion = {
    "charges": total, "convicted": convicted, "not_convicted": not_convicted,
    "pending": total - convicted - not_convicted,
    "rate": convicted / total if total else None,
    "resolved_rate": convicted / (convicted + not_convicted) if convicted + not_convicted else None,
}
rows = db.execute('''
WITH sentences AS (SELECT offender_id, CAST(date AS DATE) AS day, charge_ids FROM ev
                   WHERE type = 'sentence'),
     occasions AS (SELECT offender_id, day,
                          dense_rank() OVER (PARTITION BY offender_id ORDER BY day) AS occasion
                   FROM (SELECT DISTINCT offender_id, day FROM sentences)),
     listed AS (SELECT DISTINCT s.offender_id, o.occasion, unnest(s.charge_ids) AS charge_id
                FROM sentences s JOIN occasions o USING (offender_id, day)),
     measured AS (
        SELECT l.occasion, f.outcome_date - a.arrest_day AS a2c,
               a.arrest_day - c.offence_date AS o2a
        FROM listed l
        JOIN final f ON f.offender_id = l.offender_id AND f.charge_id = l.charge_id
                        AND f.final = 'conviction'
        JOIN charges c ON c.offender_id = l.offender_id AND c.charge_id = l.charge_id
        JOIN arrests a ON a.offender_id = c.offender_id AND a.arrest_id = c.arrest_id)
SELECT occasion,
       count(a2c) FILTER (a2c >= 0), avg(a2c) FILTER (a2c >= 0), median(a2c) FILTER (a2c >= 0),
       count(o2a) FILTER (o2a >= 0), avg(o2a) FILTER (o2a >= 0), median(o2a) FILTER (o2a >= 0)
FROM measured GROUP BY occasion ORDER BY occasion
''').fetchall()
table = [
    {"occasion": int(k), "n": int(n),
     "arrest_to_conviction": {"mean": m, "median": None if md is None else float(md)},
     "offence_to_arrest": {"mean": om, "median": None if omd is None else float(omd)}}
    for k, n, m, md, on, om, omd in rows if n + on > 0
]
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "conversion": conversion,
                  "days_by_sentencing_occasion": table}))
"""

#: Every peer, by name, in the order reports list them.
PEERS = {"polars": POLARS, "duckdb": DUCKDB, "pandas": PANDAS}


def same_numbers(ours: dict[str, Any], theirs: dict[str, Any], peer: str) -> list[str]:
    """Differences between our numbers and a peer's (empty when they agree)."""
    problems = []
    for key, value in theirs["conversion"].items():
        mine = ours["conversion"][key]
        if (value is None) != (mine is None) or (value is not None and abs(value - mine) > 1e-9):
            problems.append(f"conversion.{key}: ours {mine}, {peer} {value}")
    rows = {r["occasion"]: r for r in ours["days_by_sentencing_occasion"]}
    for row in theirs["days_by_sentencing_occasion"]:
        mine = rows.get(row["occasion"])
        if mine is None:
            problems.append(f"occasion {row['occasion']} missing from ours ({peer})")
            continue
        for measure in ("arrest_to_conviction", "offence_to_arrest"):
            for stat in ("mean", "median"):
                a, b = mine[measure][stat], row[measure][stat]
                if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-6):
                    problems.append(f"occasion {row['occasion']} {measure}.{stat}: {a} vs {b}")
        if mine["n"] != row["n"]:
            problems.append(f"occasion {row['occasion']} n: {mine['n']} vs {peer} {row['n']}")
    if len(rows) != len(theirs["days_by_sentencing_occasion"]):
        problems.append(f"different number of occasion rows ({peer})")
    return problems
