"""A run's Python memory does not grow with the pairs: they stay in DuckDB.

A million identity records give millions of candidate pairs; held as Python objects
they need gigabytes. These tests give a run far more pairs than records and check that
Python's own allocations (what :mod:`tracemalloc` sees; DuckDB's are its own) stay
small, and that the identity rows are read once, as they come.
"""

import datetime as dt
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from offender_journey.linkage.link import run

#: Records that all look alike, so every one of their pairs is a candidate: 600 records
#: give 179,700 scored pairs, which as Python objects would take well over 30 MiB.
ALIKE = 600


def alike(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {
            "source": ("police", "courts", "probation", "prison")[i % 4],
            "offender_id": f"A{i:05d}",
            "forenames": "Robert",
            "surname": "Quennell",
            "date_of_birth": dt.date(1987, 3, 11),
            "sex": "male",
            "postcode": "SE15 2AB",
        }


def test_the_pairs_never_become_python_objects(model_file: Path) -> None:
    tracemalloc.start()
    try:
        result = run(alike(ALIKE), [], model=model_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.person_count == 1  # every pair was scored and linked …
    assert peak < 12 * 2**20  # … yet Python never held them


def test_the_rows_are_read_once_as_they_come(model_file: Path) -> None:
    pulled: list[int] = []

    def rows() -> Iterator[dict[str, Any]]:
        for number, row in enumerate(alike(120)):
            pulled.append(number)
            yield row

    result = run(rows(), ["police:NO-IDENTITY"], model=model_file)
    assert pulled == list(range(120))
    assert result.table.num_rows == 121
    assert result.person_count == 2
