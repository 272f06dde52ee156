"""The Dask engine gives exactly the numbers of one process, and says why when it cannot."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.engines import dask as engine
from offender_journey.engines.partitions import parquet_partitions, read_parquet_partition
from offender_journey.errors import EngineError
from offender_journey.history import ALL_TIME, Window
from offender_journey.io.export import export
from offender_journey.metrics import VIEWS, compute
from offender_journey.store import SQLiteStore

PAST = dt.datetime.combine(dt.date(2014, 6, 30), dt.time.max, tzinfo=dt.UTC)  # --as-of 2014-06-30
SETTINGS = [
    pytest.param(ALL_TIME, None, id="all-time"),
    pytest.param(Window(dt.date(2011, 1, 1), dt.date(2013, 12, 31)), PAST, id="window-as-of"),
]


@functools.cache
def one_process(store: Path, window: Window, as_of: dt.datetime | None) -> dict[str, object]:
    """Every view in one process, as JSON: the numbers the engine must give."""
    with SQLiteStore(store) as s:
        report = compute(s.read_all(as_of=as_of), window=window, as_of=as_of, views=list(VIEWS))
    return json.loads(json.dumps(report.to_json()))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("window", "as_of"), SETTINGS)
def test_every_view_from_parquet_matches_one_process(cohort, client, window, as_of, capsys):
    store, extract = cohort
    report = engine.compute_parquet(
        extract, window=window, as_of=as_of, views=list(VIEWS), scheduler=client, progress=True
    )
    assert json.loads(json.dumps(report.to_json())) == one_process(store, window, as_of)
    assert report.offenders > 0
    assert capsys.readouterr().err.endswith("folded 5/5 partitions\n")


@pytest.mark.parametrize(("window", "as_of"), SETTINGS)
def test_every_view_from_store_ranges_matches_one_process(cohort, client, window, as_of):
    store, _ = cohort
    report = engine.compute_store(
        store, window=window, as_of=as_of, views=list(VIEWS), scheduler=client, partitions=3
    )
    assert json.loads(json.dumps(report.to_json())) == one_process(store, window, as_of)


def test_partitions_hold_every_stream_once_as_the_store_reads_it(cohort):
    store, extract = cohort
    read = {}
    for part in parquet_partitions(extract):
        for offender_id, events in read_parquet_partition(part, as_of=PAST):
            assert offender_id not in read
            read[offender_id] = events
    with SQLiteStore(store) as s:
        assert read == dict(s.read_all(as_of=PAST))


@pytest.mark.parametrize("source", ["--parquet", "--store"])
def test_cli_metrics_on_dask_prints_the_same_json(cohort, client, capsys, source):
    store, extract = cohort
    window = Window(dt.date(2011, 1, 1), dt.date(2013, 12, 31))
    argv = ["metrics", "--json", "--all", "--from", "2011-01-01", "--to", "2013-12-31"]
    argv += ["--as-of", "2014-06-30", "--engine", "dask", "--scheduler", client.scheduler.address]
    argv += [source, str(extract if source == "--parquet" else store)]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == one_process(store, window, PAST)


def test_an_export_gives_the_numbers_of_its_store(cohort, client, tmp_path):
    """``export --format parquet`` writes effective events; folded on Dask, the same numbers."""
    store, _ = cohort
    with SQLiteStore(store) as s:
        export(s, tmp_path / "out", format="parquet", partitions=3)
    report = engine.compute_parquet(tmp_path / "out", views=list(VIEWS), scheduler=client)
    assert json.loads(json.dumps(report.to_json())) == one_process(store, ALL_TIME, None)


def test_unreachable_scheduler_is_named_and_exits_2(cohort, capsys):
    _, extract = cohort
    argv = ["metrics", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--parquet"]
    assert main([*argv, str(extract), "--scheduler-timeout", "1"]) == 2
    assert "no Dask scheduler answered at 'tcp://127.0.0.1:9'" in capsys.readouterr().err


def test_no_partitions_is_a_usage_error(tmp_path, capsys):
    assert main(["metrics", "--engine", "dask", "--parquet", str(tmp_path)]) == 2
    assert "no Parquet partitions" in capsys.readouterr().err


def test_a_worker_without_a_module_is_told_what_to_install(cohort, client, tmp_path, monkeypatch):
    """A view defined in a module only the client has: the workers cannot unpickle it."""
    (tmp_path / "only_here.py").write_text(
        "from offender_journey.views.conversion import ConversionView\n"
        "class Mine(ConversionView):\n"
        "    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here  # type: ignore[import-not-found]

    view = only_here.Mine()
    with pytest.raises(EngineError, match="cannot import 'only_here'"):
        engine.compute_parquet(cohort[1], views=[view], scheduler=client)
    monkeypatch.delitem(sys.modules, "only_here")
