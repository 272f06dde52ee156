"""The probabilistic model: Splink on DuckDB, in process, trained without labels.

Each source record's identity becomes one row (:func:`prepare`): names cut to their
first forename and surname, lower case, with a phonetic code (Soundex) and the first
forename's standard form (Bob → robert); the date of birth as ISO text and with day and
month swapped; the postcode and its outward code; PNC ID and CRO number in canonical
form, or nothing when invalid or a placeholder.

The comparisons (:func:`settings`), each a ladder of levels from strongest to weakest:

* forename and surname: exact; the same standard name (a nickname); swapped with the
  other name; Jaro-Winkler at 0.92; the same phonetic code; Jaro-Winkler at 0.8;
* date of birth: exact; day and month transposed; one character off; the same year;
* sex: exact; postcode: exact, then the same outward code;
* PNC ID and CRO number: exact or different (only valid ones are compared).

Candidate pairs come from blocking rules in the spirit of the Ministry of Justice's
own person matching: the same PNC or CRO; date of birth with the postcode, or with the
outward code and the start of the forename, or with the starts of both names; both
names with the postcode or the year of birth; names swapped with the same date of
birth; day and month transposed with the same surname. Training follows Splink's own
method: the prior from deterministic rules, u by random sampling, m by expectation
maximisation in two sessions (blocked on date of birth, then on names), no labels.
Pairs sharing a date of birth grow with the square of the records: when a session's
blocking rule would give more than :data:`EM_PAIRS` pairs, it is trained on the pairs of
a random share of the dates (or names), chosen by hashing the value, as many as that.

The trained model is saved as versioned JSON (:meth:`Model.save`): the Splink settings
with their parameters inside an envelope naming this format and the model's version (a
hash of the settings), which every link decision records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import logging
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from ..errors import OffenderJourneyError
from ..events import record_key
from .identifiers import canonical_cro, canonical_pnc
from .names import standard_forename

__all__ = [
    "EM_PAIRS",
    "MODEL_FORMAT",
    "PREPARE_BATCH",
    "Comparison",
    "Database",
    "Edge",
    "Explanation",
    "Model",
    "ModelError",
    "connect",
    "prepare",
    "settings",
    "soundex",
]

#: The name and version of the saved model's envelope.
MODEL_FORMAT: Final = {"format": "offender-journey-linkage-model", "version": 1}

#: Pairs scored by random sampling to estimate u (Splink's advice: more is better, slower).
U_PAIRS: Final = 2_000_000
#: The seed of that sampling: the same data give the same model.
U_SEED: Final = 42
#: At most about this many pairs in each EM session (more teach it nothing new).
EM_PAIRS: Final = 2_000_000

_INSTALL = "record linkage needs Splink: pip install 'offender-journey[link]'"


class ModelError(OffenderJourneyError):
    """A model file that cannot be used, or Splink missing."""


def _splink() -> Any:
    try:
        # optional extra: splink (the link extra)
        import splink
    except ImportError as error:  # pragma: no cover - the extra is installed for the tests
        raise ModelError(_INSTALL) from error
    return splink


# --- the table ---------------------------------------------------------------------------

#: The columns of a prepared identity table, in order.
COLUMNS: Final = (
    "unique_id",
    "forename",
    "forename_std",
    "forename_ph",
    "surname",
    "surname_ph",
    "dob",
    "dob_dm",
    "sex",
    "postcode",
    "outcode",
    "pnc",
    "cro",
)

_SOUNDEX: Final = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")
_LETTERS: Final = re.compile(r"[^a-z]")


def soundex(name: str) -> str:
    """The Soundex code of a name: its first letter and three digits for its consonants.

    >>> soundex("robert"), soundex("rupert"), soundex("ashcraft")
    ('r163', 'r163', 'a261')
    """
    letters = _LETTERS.sub("", name.lower())
    if not letters:
        return ""
    codes = []
    previous = letters[0].translate(_SOUNDEX)
    for char in letters[1:]:
        code = char.translate(_SOUNDEX)
        if code.isdigit() and code != previous:
            codes.append(code)
        if char not in "hw":
            previous = code
    return (letters[0] + "".join(codes) + "000")[:4]


def _name(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    cleaned = re.sub(r"[^a-z' -]", "", text.lower()).replace("'", "").strip()
    return cleaned or None


def _key(row: Mapping[str, Any]) -> str:
    """A row's source record key: given as ``key``, or made from ``source`` and ``offender_id``."""
    key = row.get("key")
    if key is not None:
        return str(key)
    return record_key(row.get("source"), str(row["offender_id"]))


def prepare(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Identity rows (``source`` and ``offender_id``, or ``key``, and the identity) → columns.

    >>> table = prepare([{"source": "police", "offender_id": "P1", "forenames": "Bob Lee",
    ...                   "surname": "O'Neill", "date_of_birth": "1990-03-04"}])
    >>> table["forename"], table["forename_std"], table["surname"], table["dob_dm"]
    (['bob'], ['robert'], ['oneill'], ['1990-04-03'])
    """
    table: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for row in rows:
        forenames = _name(row.get("forenames"))
        forename = forenames.split()[0] if forenames else None
        surname = _name(row.get("surname"))
        surname = surname.replace(" ", "").replace("-", "") if surname else None
        born = row.get("date_of_birth")
        dob = born.isoformat() if isinstance(born, dt.date) else str(born) if born else None
        postcode = row.get("postcode")
        postcode = " ".join(str(postcode).upper().split()) or None if postcode else None
        table["unique_id"].append(_key(row))
        table["forename"].append(forename)
        table["forename_std"].append(standard_forename(forename) if forename else None)
        table["forename_ph"].append(soundex(forename) if forename else None)
        table["surname"].append(surname)
        table["surname_ph"].append(soundex(surname) if surname else None)
        table["dob"].append(dob)
        table["dob_dm"].append(f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}" if dob else None)
        table["sex"].append(row.get("sex") if row.get("sex") in ("male", "female") else None)
        table["postcode"].append(postcode)
        table["outcode"].append(postcode.split()[0] if postcode else None)
        pnc, cro = row.get("pnc_id"), row.get("cro_number")
        table["pnc"].append(canonical_pnc(pnc) if pnc else None)
        table["cro"].append(canonical_cro(cro) if cro else None)
    return table


#: Identity rows prepared at a time on their way into DuckDB: Python holds one batch only.
PREPARE_BATCH: Final = 50_000


class Database:
    """One in-process DuckDB database for a run, with Splink's handle on it.

    Its table ``identities`` holds the prepared rows; the pairs, clusters and decisions
    a run makes are tables beside it, never Python objects per pair or per record.
    """

    def __init__(self) -> None:
        _splink()
        # optional extra: duckdb and splink (the link extra)
        import duckdb
        from splink.internals.duckdb.database_api import DuckDBAPI

        self.con: Any = duckdb.connect()
        # No progress bar of DuckDB's own: it would draw on standard output (``--json``'s).
        # In Jupyter DuckDB refuses the setting without ipywidgets; a notebook's output
        # is no JSON stream, so its default stays.
        with contextlib.suppress(duckdb.InvalidInputException):
            self.con.execute("SET enable_progress_bar = false")
        self.splink: Any = DuckDBAPI(connection=self.con)

    def load(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Prepare ``rows`` into ``identities``, a batch at a time (:data:`PREPARE_BATCH`).

        The rows are read once, each batch going into DuckDB as Arrow: a million
        records never sit in Python at once.
        """
        # optional extra: pyarrow (the link extra)
        import pyarrow as pa

        schema = pa.schema([(name, pa.string()) for name in COLUMNS])
        columns = ", ".join(f"{name} VARCHAR" for name in COLUMNS)
        self.con.execute(f"CREATE TABLE identities ({columns})")
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, PREPARE_BATCH)):
            table = prepare(batch)
            arrow = pa.table({name: pa.array(table[name]) for name in COLUMNS}, schema=schema)
            self.con.register("identity_batch", arrow)
            self.con.execute("INSERT INTO identities SELECT * FROM identity_batch")
            self.con.unregister("identity_batch")

    def connected_components(self, nodes: str, edges: str, threshold: float) -> str:
        """Splink's connected components of ``edges`` at match weight ``threshold``.

        ``nodes`` names a table with ``unique_id``, ``edges`` one with ``unique_id_l``,
        ``unique_id_r`` and ``match_probability``; the result names a table mapping every
        node's ``unique_id`` to its ``cluster_id``.
        """
        # optional extra: splink (the link extra)
        from splink.clustering import cluster_pairwise_predictions_at_threshold

        frame = cluster_pairwise_predictions_at_threshold(
            self.splink.register(nodes),
            self.splink.register(edges),
            self.splink,
            "unique_id",
            threshold_match_weight=threshold,
        )
        return str(frame.physical_name)

    def close(self) -> None:
        """Release DuckDB's memory."""
        self.con.close()


def connect(rows: Iterable[Mapping[str, Any]]) -> Database:
    """A new database holding the prepared ``rows`` as ``identities``."""
    database = Database()
    database.load(rows)
    return database


# --- the settings ------------------------------------------------------------------------


def _level(sql: str, label: str, **more: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **more}


def _null(column: str) -> dict[str, Any]:
    return _level(
        f'"{column}_l" IS NULL OR "{column}_r" IS NULL', f"{column} missing", is_null_level=True
    )


_ELSE: Final = _level("ELSE", "different")


def _name_comparison(column: str, other: str) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_description": f"{column}: exact, standard, swapped, similar, sounds alike",
        "comparison_levels": [
            _null(column),
            _level(f'"{column}_l" = "{column}_r"', "exact"),
            *(
                [_level('"forename_std_l" = "forename_std_r"', "same standard name")]
                if column == "forename"
                else []
            ),
            _level(f'"{column}_l" = "{other}_r"', f"swapped with {other}"),
            _level(f'jaro_winkler_similarity("{column}_l", "{column}_r") >= 0.92', "JW >= 0.92"),
            _level(f'"{column}_ph_l" = "{column}_ph_r"', "same Soundex"),
            _level(f'jaro_winkler_similarity("{column}_l", "{column}_r") >= 0.8', "JW >= 0.8"),
            _ELSE,
        ],
    }


def _exact(column: str, *, tf: bool = False) -> dict[str, Any]:
    exact = _level(f'"{column}_l" = "{column}_r"', "exact")
    if tf:
        exact["tf_adjustment_column"] = column
        exact["tf_adjustment_weight"] = 1.0
    return {
        "output_column_name": column,
        "comparison_description": f"{column}: exact",
        "comparison_levels": [_null(column), exact, _ELSE],
    }


def _blocking_rules() -> list[str]:
    return [
        "l.pnc = r.pnc",
        "l.cro = r.cro",
        "l.dob = r.dob AND l.postcode = r.postcode",
        "l.dob = r.dob AND l.outcode = r.outcode AND substr(l.forename, 1, 2) = "
        "substr(r.forename, 1, 2)",
        "l.dob = r.dob AND substr(l.forename, 1, 2) = substr(r.forename, 1, 2) AND "
        "substr(l.surname, 1, 2) = substr(r.surname, 1, 2)",
        "l.forename_std = r.forename_std AND l.surname = r.surname AND l.postcode = r.postcode",
        "l.forename_std = r.forename_std AND l.surname = r.surname AND "
        "substr(l.dob, 1, 4) = substr(r.dob, 1, 4)",
        "l.forename = r.surname AND l.surname = r.forename AND l.dob = r.dob",
        "l.dob_dm = r.dob AND l.surname = r.surname",
        "l.surname_ph = r.surname_ph AND l.forename_ph = r.forename_ph AND l.dob = r.dob",
    ]


def settings() -> dict[str, Any]:
    """Our Splink settings, untrained: the comparisons and blocking rules described above."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-5,
        "comparisons": [
            _name_comparison("forename", "surname"),
            _name_comparison("surname", "forename"),
            {
                "output_column_name": "dob",
                "comparison_description": "date of birth: exact, transposed, one off, year",
                "comparison_levels": [
                    _null("dob"),
                    _level('"dob_l" = "dob_r"', "exact"),
                    _level('"dob_dm_l" = "dob_r"', "day and month transposed"),
                    _level('damerau_levenshtein("dob_l", "dob_r") <= 1', "one character off"),
                    _level('substr("dob_l", 1, 4) = substr("dob_r", 1, 4)', "same year"),
                    _ELSE,
                ],
            },
            _exact("sex"),
            {
                "output_column_name": "postcode",
                "comparison_description": "postcode: exact, same outward code",
                "comparison_levels": [
                    _null("postcode"),
                    _level('"postcode_l" = "postcode_r"', "exact"),
                    _level('"outcode_l" = "outcode_r"', "same outward code"),
                    _ELSE,
                ],
            },
            _exact("pnc"),
            _exact("cro"),
        ],
        "blocking_rules_to_generate_predictions": _blocking_rules(),
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "max_iterations": 20,
        "em_convergence": 0.0001,
    }


# --- the model ---------------------------------------------------------------------------


@attrs.frozen
class Edge:
    """A scored pair of source records (``source:id`` each, ``a < b``) and what linked them."""

    a: str
    b: str
    weight: float
    #: ``model`` (a Splink score), ``pnc`` or ``cro`` (a shared identifier), ``manual``.
    rule: str = "model"


@attrs.frozen
class Comparison:
    """One comparison's part in a pair's match weight."""

    name: str
    level: str
    weight: float


@attrs.frozen
class Explanation:
    """Why two records score as they do: the prior, then each comparison's part."""

    a: str
    b: str
    prior: float
    parts: tuple[Comparison, ...]
    weight: float

    def __str__(self) -> str:
        lines = [f"{self.a}  vs  {self.b}", f"  {'prior':<10} {'':<28} {self.prior:+7.2f}"]
        for part in self.parts:
            lines.append(f"  {part.name:<10} {part.level:<28} {part.weight:+7.2f}")
        lines.append(f"  {'match weight':<39} {self.weight:+7.2f}")
        return "\n".join(lines)


def model_version(splink_settings: Mapping[str, Any]) -> str:
    """A short hash naming one trained model (its settings and parameters)."""
    canonical = json.dumps(splink_settings, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


class Model:
    """Splink's linker over the ``identities`` table of a :func:`connect`, trained or loaded."""

    def __init__(self, database: Database, trained: Mapping[str, Any] | None) -> None:
        splink = _splink()
        logging.getLogger("splink").setLevel(logging.ERROR)
        self._database = database
        (self.size,) = database.con.execute("SELECT count(*) FROM identities").fetchall()[0]
        frame = database.splink.register("identities")
        chosen = dict(trained) if trained is not None else settings()
        self._linker = splink.Linker(frame, chosen, log_level=None)
        self.trained = trained is not None

    @classmethod
    def load(cls, database: Database, path: str | os.PathLike[str]) -> Model:
        """A model trained earlier and saved with :meth:`save`."""
        try:
            saved = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelError(f"{os.fspath(path)!r}: cannot read the model: {error}") from None
        envelope = {k: saved.get(k) for k in MODEL_FORMAT} if isinstance(saved, dict) else {}
        if envelope != MODEL_FORMAT or not isinstance(saved.get("splink"), dict):
            raise ModelError(
                f"{os.fspath(path)!r} is not a linkage model of format "
                f"{MODEL_FORMAT['format']} version {MODEL_FORMAT['version']}"
            )
        return cls(database, saved["splink"])

    def train(self, *, deterministic_recall: float = 0.8) -> None:
        """Estimate the prior, u by random sampling and m by EM (no labels needed)."""
        training = self._linker.training
        try:
            training.estimate_probability_two_random_records_match(
                [
                    "l.pnc = r.pnc",
                    "l.forename = r.forename AND l.surname = r.surname AND l.dob = r.dob",
                ],
                recall=deterministic_recall,
            )
            training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=U_SEED)
            for columns in (("dob",), ("forename_std", "surname")):
                training.estimate_parameters_using_expectation_maximisation(self._em_rule(columns))
        except Exception as error:
            raise ModelError(
                f"cannot train a model on {self.size} identity records ({error}): "
                "train on more records, or reuse a trained model with --model FILE"
            ) from error
        self.trained = True

    def _em_rule(self, columns: Sequence[str]) -> str:
        """Block on equal ``columns``, on a share of their values if the pairs are too many."""
        rule = " AND ".join(f"l.{c} = r.{c}" for c in columns)
        (pairs,) = self._database.con.execute(
            f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n "
            f"FROM identities WHERE {' AND '.join(f'{c} IS NOT NULL' for c in columns)} "
            f"GROUP BY {', '.join(columns)})"
        ).fetchall()[0]
        share = math.ceil(pairs / EM_PAIRS)
        return rule if share <= 1 else f"{rule} AND hash(l.{columns[-1]}) % {share} = 0"

    def as_json(self) -> dict[str, Any]:
        """The trained model, ready to save: our envelope around Splink's settings."""
        splink_settings = self._linker.misc.save_model_to_json()
        version = model_version(splink_settings)
        return {**MODEL_FORMAT, "model_version": version, "splink": splink_settings}

    @property
    def version(self) -> str:
        """The trained model's version (see :func:`model_version`)."""
        return str(self.as_json()["model_version"])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON (no personal data: only settings and parameters)."""
        text = json.dumps(self.as_json(), indent=2, sort_keys=True) + "\n"
        Path(path).write_text(text, encoding="utf-8")

    def predict(self, min_weight: float) -> str:
        """The DuckDB table of every blocked pair scoring at least ``min_weight``.

        Its columns: ``unique_id_l``, ``unique_id_r`` and ``match_weight`` (among Splink's
        others). The pairs stay in DuckDB: at a million records there are millions.
        """
        frame = self._linker.inference.predict(threshold_match_weight=min_weight)
        return str(frame.physical_name)

    def explain(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> Explanation:
        """Score one pair of prepared rows and show each comparison's part."""
        frame = self._linker.inference.score_pair(dict(a), dict(b))
        row = frame.as_record_list()[0]
        settings_obj = self._linker._settings_obj
        parts = []
        for comparison in settings_obj.comparisons:
            name = comparison.output_column_name
            vector = row[f"gamma_{name}"]
            level = next(
                lv for lv in comparison.comparison_levels if lv.comparison_vector_value == vector
            )
            parts.append(Comparison(name, level.label_for_charts, float(row[f"mw_{name}"])))
        weight = float(row["match_weight"])
        return Explanation(
            a=str(a["unique_id"]),
            b=str(b["unique_id"]),
            prior=weight - sum(part.weight for part in parts),
            parts=tuple(parts),
            weight=weight,
        )

    def close(self) -> None:
        """Release DuckDB's memory."""
        self._database.close()
