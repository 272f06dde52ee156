"""The peers: conversion and days by sentencing occasion computed by polars, DuckDB and pandas.

Each peer is written as its best users would write it: it declares the schema of the
few fields the two numbers need (so nothing else in a line is parsed), keeps only the
six event types that matter, and does the rest in the engine (polars' lazy
``scan_ndjson``, DuckDB's ``read_json`` with ``columns=``, pandas over pyarrow's JSON
reader). Each computes the library's definitions from the JSON Lines file:

* events recorded after now are not seen (the default ``as_of``);
* retractions in force are applied: a retraction is in force unless a retraction in
  force retracts it, along chains of any length (a cycle of retractions is refused);
* transaction order is ``recorded_at`` as an instant, then the line's place in the file
  (a stream's order of append); a re-sent charge, arrest or sentence id keeps its last
  record, the earlier ones count nowhere;
* a charge's final outcome is its latest-dated ``conviction`` or ``charge_disposed``,
  ties to the one recorded later;
* an offender's sentencing occasions are the distinct dates of their sentences,
  numbered from 1; a charge listed on an occasion counts once for it; a negative
  duration is left out of its own measure only;
* dates are calendar days, as in the synthetic files (a ``date`` given as a datetime
  with an offset would first need reducing to its day in London).

Each is a script run in a fresh process by ``measure.run_step`` (so its time and peak
memory are its own, interpreter start-up included, as for the library's commands) and
prints ``{"conversion", "days_by_sentencing_occasion"}`` as its last line, shaped as
``offender-journey metrics --json`` prints them, so that :func:`same_numbers` can ask for
equality to the last digit.
"""

from __future__ import annotations

from typing import Any

#: What every peer shares: the rules that are not data-frame work (resolving chains of
#: retractions on a few thousand rows, and printing the result in the library's shape).
COMMON = r"""
import datetime as dt, json, sys

NOW = dt.datetime.now(dt.timezone.utc)
KINDS = ["charge", "arrest", "conviction", "charge_disposed", "sentence", "event_retracted"]
OUTCOMES = ["conviction", "charge_disposed"]


def retracted(retractions):
    # (offender_id, event_id) of the events retracted by a retraction in force, from
    # (offender_id, retraction's event_id, target_event_id) rows. A retraction is in force
    # unless one in force retracts it: decided from the retractions nothing retracts
    # outwards, one link of every chain per round.
    targeted_by = {}
    for offender, event_id, target in retractions:
        targeted_by.setdefault((offender, target), []).append((offender, event_id))
    undecided = {(offender, event_id) for offender, event_id, _ in retractions}
    in_force = {}
    while undecided:
        decided = {}
        for key in undecided:
            verdicts = [in_force.get(by) for by in targeted_by.get(key, ())]
            if True in verdicts:
                decided[key] = False
            elif None not in verdicts:
                decided[key] = True
        if not decided:
            raise SystemExit("retractions that retract each other in a cycle")
        in_force.update(decided)
        undecided -= decided.keys()
    return [key for key, by in targeted_by.items() if any(in_force[b] for b in by)]


def report(charges, convicted, not_convicted, occasions):
    # occasions: (occasion, n, mean, median, n_o2a, o2a mean, o2a median) of each occasion
    # with at least one value, in order.
    decided = convicted + not_convicted
    conversion = {
        "charges": charges, "convicted": convicted, "not_convicted": not_convicted,
        "pending": charges - decided,
        "rate": convicted / charges if charges else None,
        "resolved_rate": convicted / decided if decided else None,
    }
    number = lambda value: None if value is None else float(value)
    table = [
        {"occasion": int(k), "n": int(n),
         "arrest_to_conviction": {"mean": number(mean), "median": number(median)},
         "offence_to_arrest": {"mean": number(o_mean), "median": number(o_median)},
         "n_offence_to_arrest": int(o_n)}
        for k, n, mean, median, o_n, o_mean, o_median in occasions
    ]
    print(json.dumps({"conversion": conversion, "days_by_sentencing_occasion": table}))
"""

POLARS = r"""
import polars as pl

S = pl.String
SCHEMA = {"offender_id": S, "event_id": S, "type": S, "recorded_at": S, "date": S,
          "target_event_id": S, "charge_id": S, "arrest_id": S, "offence_date": S,
          "sentence_id": S, "charge_ids": pl.List(S)}
KEY = ["offender_id", "charge_id"]

events = (
    pl.scan_ndjson(sys.argv[1], schema=SCHEMA, row_index_name="position")
    .filter(pl.col("type").is_in(KINDS))
    .with_columns(pl.col("recorded_at").str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z",
                                                        time_zone="UTC"),
                  pl.col("date", "offence_date").str.to_date("%Y-%m-%d"))
    .filter(pl.col("recorded_at") <= NOW)
    .collect()
)
gone = pl.DataFrame(
    retracted(events.filter(pl.col("type") == "event_retracted")
              .select("offender_id", "event_id", "target_event_id").rows()),
    schema={"offender_id": S, "event_id": S}, orient="row")
effective = (events.lazy().filter(pl.col("type") != "event_retracted")
             .join(gone.lazy(), on=["offender_id", "event_id"], how="anti")
             .sort("recorded_at", "position"))  # transaction order


def latest(kind, key):
    return effective.filter(pl.col("type") == kind).unique(["offender_id", key], keep="last")


charges = latest("charge", "charge_id").select(*KEY, "arrest_id", "offence_date")
arrests = latest("arrest", "arrest_id").select("offender_id", "arrest_id", arrest_day="date")
final = (effective.filter(pl.col("type").is_in(OUTCOMES))
         .sort("date", maintain_order=True)  # stable: transaction order within a date
         .unique(KEY, keep="last")
         .select(*KEY, convicted=pl.col("type") == "conviction", outcome_date="date"))
conversion = charges.join(final, on=KEY, how="left").select(
    pl.len(), pl.col("convicted").sum(), (~pl.col("convicted")).sum().alias("not_convicted"))

listed = (latest("sentence", "sentence_id")
          .select("offender_id", "charge_ids",
                  occasion=pl.col("date").rank("dense").over("offender_id"))
          .explode("charge_ids").rename({"charge_ids": "charge_id"})
          .unique())
days = (listed.join(final.filter("convicted"), on=KEY).join(charges, on=KEY)
        .join(arrests, on=["offender_id", "arrest_id"])
        .select("occasion", a2c=(pl.col("outcome_date") - pl.col("arrest_day")).dt.total_days(),
                o2a=(pl.col("arrest_day") - pl.col("offence_date")).dt.total_days()))
a2c, o2a = pl.col("a2c").filter(pl.col("a2c") >= 0), pl.col("o2a").filter(pl.col("o2a") >= 0)
table = (days.group_by("occasion")
         .agg(n=a2c.len(), mean=a2c.mean(), median=a2c.median(),
              o_n=o2a.len(), o_mean=o2a.mean(), o_median=o2a.median())
         .filter(pl.col("n") + pl.col("o_n") > 0).sort("occasion"))
counts, table = pl.collect_all([conversion, table])
report(*counts.row(0), table.rows())
"""

DUCKDB = r"""
import duckdb

db = duckdb.connect()
# Only the rows of the six types, in file order (the table's rowid is its place in the
# file: insertion order is kept), read with a declared schema of the fields needed.
db.execute('''
CREATE TABLE events AS
SELECT * FROM read_json(?, format = 'newline_delimited', columns = {
    offender_id: 'VARCHAR', event_id: 'VARCHAR', type: 'VARCHAR',
    recorded_at: 'TIMESTAMPTZ', date: 'DATE', target_event_id: 'VARCHAR',
    charge_id: 'VARCHAR', arrest_id: 'VARCHAR', offence_date: 'DATE', sentence_id: 'VARCHAR',
    charge_ids: 'VARCHAR[]'})
WHERE type IN ? AND recorded_at <= ?
''', [sys.argv[1], KINDS, NOW])
gone = retracted(db.execute('''
SELECT offender_id, event_id, target_event_id FROM events WHERE type = 'event_retracted'
''').fetchall())
db.execute("CREATE TABLE gone AS SELECT unnest(?) AS offender_id, unnest(?) AS event_id",
           [[o for o, _ in gone], [e for _, e in gone]])
db.execute('''
CREATE TABLE effective AS
SELECT *, rowid AS position FROM events ANTI JOIN gone USING (offender_id, event_id)
WHERE type <> 'event_retracted';

CREATE TABLE charges AS
SELECT offender_id, charge_id, arrest_id, offence_date FROM effective WHERE type = 'charge'
QUALIFY row_number() OVER (PARTITION BY offender_id, charge_id
                           ORDER BY recorded_at DESC, position DESC) = 1;

CREATE TABLE arrests AS
SELECT offender_id, arrest_id, date AS arrest_day FROM effective WHERE type = 'arrest'
QUALIFY row_number() OVER (PARTITION BY offender_id, arrest_id
                           ORDER BY recorded_at DESC, position DESC) = 1;

CREATE TABLE sentences AS
SELECT offender_id, date, charge_ids FROM effective WHERE type = 'sentence'
QUALIFY row_number() OVER (PARTITION BY offender_id, sentence_id
                           ORDER BY recorded_at DESC, position DESC) = 1;

CREATE TABLE final AS
SELECT offender_id, charge_id, type = 'conviction' AS convicted, date AS outcome_date
FROM effective WHERE type IN ('conviction', 'charge_disposed')
QUALIFY row_number() OVER (PARTITION BY offender_id, charge_id
                           ORDER BY date DESC, recorded_at DESC, position DESC) = 1;
''')
counts = db.execute('''
SELECT count(*), count(*) FILTER (convicted), count(*) FILTER (NOT convicted)
FROM charges LEFT JOIN final USING (offender_id, charge_id)
''').fetchone()
# Means as sum / count: a double division, exactly rounded (avg divides in long double).
occasions = db.execute('''
WITH listed AS (
    SELECT DISTINCT offender_id, occasion, unnest(charge_ids) AS charge_id
    FROM (SELECT offender_id, charge_ids,
                 dense_rank() OVER (PARTITION BY offender_id ORDER BY date) AS occasion
          FROM sentences)),
days AS (
    SELECT occasion, f.outcome_date - a.arrest_day AS a2c, a.arrest_day - c.offence_date AS o2a
    FROM listed
    JOIN final f USING (offender_id, charge_id)
    JOIN charges c USING (offender_id, charge_id)
    JOIN arrests a USING (offender_id, arrest_id)
    WHERE f.convicted)
SELECT occasion,
       count(a2c) FILTER (a2c >= 0), sum(a2c) FILTER (a2c >= 0) / count(a2c) FILTER (a2c >= 0),
       median(a2c) FILTER (a2c >= 0),
       count(o2a) FILTER (o2a >= 0), sum(o2a) FILTER (o2a >= 0) / count(o2a) FILTER (o2a >= 0),
       median(o2a) FILTER (o2a >= 0)
FROM days GROUP BY occasion
HAVING count(a2c) FILTER (a2c >= 0) + count(o2a) FILTER (o2a >= 0) > 0
ORDER BY occasion
''').fetchall()
report(*counts, occasions)
"""

PANDAS = r"""
import pandas as pd
import pyarrow as pa
from pyarrow import json as pa_json

S = pa.string()
SCHEMA = pa.schema({"offender_id": S, "event_id": S, "type": S,
                    "recorded_at": pa.timestamp("us", tz="UTC"), "date": pa.timestamp("s"),
                    "target_event_id": S, "charge_id": S, "arrest_id": S,
                    "offence_date": pa.timestamp("s"), "sentence_id": S,
                    "charge_ids": pa.list_(S)})
KEY = ["offender_id", "charge_id"]

table = pa_json.read_json(sys.argv[1], parse_options=pa_json.ParseOptions(
    explicit_schema=SCHEMA, unexpected_field_behavior="ignore"))
df = table.to_pandas()  # one row per line, in file order: the index is the line's place
df = df[df["type"].isin(KINDS) & (df["recorded_at"] <= NOW)]

retractions = df[df["type"] == "event_retracted"]
gone = pd.DataFrame(retracted(list(zip(
    retractions["offender_id"], retractions["event_id"], retractions["target_event_id"]))),
    columns=["offender_id", "event_id"])
gone["gone"] = True
df = df[df["type"] != "event_retracted"].merge(gone, how="left", on=["offender_id", "event_id"])
df = df[df["gone"].isna()]
# Transaction order: recorded_at, then place in the file (the merge kept the left order).
df = df.sort_values("recorded_at", kind="stable")


def latest(kind, key):
    return df[df["type"] == kind].drop_duplicates(["offender_id", key], keep="last")


charges = latest("charge", "charge_id")[[*KEY, "arrest_id", "offence_date"]]
arrests = latest("arrest", "arrest_id")[["offender_id", "arrest_id", "date"]].rename(
    columns={"date": "arrest_day"})
final = (df[df["type"].isin(OUTCOMES)].sort_values("date", kind="stable")
         .drop_duplicates(KEY, keep="last"))
final = pd.DataFrame({"offender_id": final["offender_id"], "charge_id": final["charge_id"],
                      "convicted": final["type"] == "conviction",
                      "outcome_date": final["date"]})

status = charges.merge(final, on=KEY, how="left")["convicted"]
counts = len(status), int((status == True).sum()), int((status == False).sum())

sentences = latest("sentence", "sentence_id")[["offender_id", "date", "charge_ids"]]
sentences = sentences.assign(occasion=sentences.groupby("offender_id")["date"].rank(method="dense"))
listed = (sentences.explode("charge_ids")
          .rename(columns={"charge_ids": "charge_id"})[["offender_id", "occasion", "charge_id"]]
          .drop_duplicates())
days = (listed.merge(final[final["convicted"]], on=KEY).merge(charges, on=KEY)
        .merge(arrests, on=["offender_id", "arrest_id"]))
days = pd.DataFrame({"occasion": days["occasion"].astype(int),
                     "a2c": (days["outcome_date"] - days["arrest_day"]).dt.days,
                     "o2a": (days["arrest_day"] - days["offence_date"]).dt.days})
a2c = days[days["a2c"] >= 0].groupby("occasion")["a2c"].agg(["count", "mean", "median"])
o2a = days[days["o2a"] >= 0].groupby("occasion")["o2a"].agg(["count", "mean", "median"])
both = a2c.join(o2a, how="outer", rsuffix="_o").sort_index()
report(*counts, [
    (k, 0 if pd.isna(n) else n, None if pd.isna(m) else m, None if pd.isna(md) else md,
     0 if pd.isna(on) else on, None if pd.isna(om) else om, None if pd.isna(omd) else omd)
    for k, n, m, md, on, om, omd in both.itertuples()])
"""


#: Every peer, by name, in the order reports list them.
PEERS = {"polars": COMMON + POLARS, "duckdb": COMMON + DUCKDB, "pandas": COMMON + PANDAS}

#: The views the peers compute, as ``metrics --views`` names them.
VIEWS = ("conversion", "days_by_sentencing_occasion")


def same_numbers(ours: dict[str, Any], theirs: dict[str, Any], peer: str) -> list[str]:
    """Where a peer's two views differ from ours, field by field; empty when every value is equal.

    Equal means equal: counts, rates, means and medians compared with ``==``, no tolerance.
    """
    problems = []
    mine_conversion, their_conversion = ours["conversion"], theirs["conversion"]
    for key in sorted(mine_conversion.keys() | their_conversion.keys()):
        a, b = mine_conversion.get(key), their_conversion.get(key)
        if a != b:
            problems.append(f"conversion.{key}: ours {a!r}, {peer} {b!r}")
    mine = {r["occasion"]: r for r in ours["days_by_sentencing_occasion"]}
    their = {r["occasion"]: r for r in theirs["days_by_sentencing_occasion"]}
    for occasion in sorted(mine.keys() | their.keys()):
        a, b = mine.get(occasion), their.get(occasion)
        if a is None or b is None:
            side = "ours" if a is None else peer
            problems.append(f"occasion {occasion}: missing from {side}")
        elif a != b:
            problems.append(f"occasion {occasion}: ours {a}, {peer} {b}")
    return problems
