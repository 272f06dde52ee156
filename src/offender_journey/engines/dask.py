"""The views and the fact tables on a Dask cluster: one task per partition.

Every task folds one unit of work (:mod:`.partitions`) with
:func:`~offender_journey.metrics.compute` and returns its
:class:`~offender_journey.metrics.MetricsReport`; reports are added pairwise as they
finish (a binary tree: each addition holds two small reports), so no task ever holds
more than one partition and nothing is shuffled. Because the views merge
associatively, the numbers are exactly those of one process.

:func:`refresh_parquet` derives the fact tables the same way: one task per partition,
each writing its offenders' facts as Parquet, only row counts coming back.

Needs the ``dask`` extra (``dask[distributed]`` and ``pyarrow``) here and on every
worker, with this package installed on the workers too.

``scheduler`` is where to run:

- ``None``: a ``LocalCluster`` on this machine, one single-threaded worker process per
  core (or ``workers``), started and stopped around the call;
- an address such as ``"tcp://scheduler:8786"``: an existing cluster (``dask-jobqueue``,
  Kubernetes, ``dask scheduler`` by hand);
- a ``distributed.Client`` already connected: used as is and left open.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import logging
import operator
import os
import pkgutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .. import __version__
from ..errors import EngineError, MissingExtraError
from ..facts.schema import TABLES
from ..history import ALL_TIME, Window
from ..io.export import new_directory
from ..metrics import MetricsReport, _balanced_ranges, _compute_range, compute
from ..store import open_store
from ..views import View, ViewChoice, resolve_views
from .partitions import derive_parquet, fold_parquet, parquet_partitions

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "FactsWritten",
    "check_workers",
    "compute_parquet",
    "compute_store",
    "connect",
    "refresh_parquet",
]

_EXTRA_PACKAGES = "dask[distributed]"


def _distributed() -> Any:
    try:
        # the dask extra
        import distributed
    except ImportError:
        raise MissingExtraError("the Dask engine", "dask", _EXTRA_PACKAGES) from None
    return distributed


@contextlib.contextmanager
def connect(
    scheduler: str | Client | None = None,
    *,
    workers: int | None = None,
    timeout: float = 10.0,
) -> Iterator[Client]:
    """A client on ``scheduler`` for the duration of the block (see the module docstring).

    A local cluster is closed on leaving (client first, then cluster, so workers stop
    cleanly); a client passed in is left open.

    Raises:
        EngineError: no scheduler answered at the address within ``timeout`` seconds.
    """
    distributed = _distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler is None:
        with (
            distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # a free port: never clash with another cluster
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        raise EngineError(
            f"no Dask scheduler answered at {scheduler!r} within {timeout:g} s ({exc})"
        ) from None
    with client:
        yield client


def compute_parquet(
    directory: str | os.PathLike[str],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    views: Iterable[ViewChoice] | None = None,
    scheduler: str | Client | None = None,
    workers: int | None = None,
    timeout: float = 10.0,
    progress: bool = False,
) -> MetricsReport:
    """:func:`~offender_journey.metrics.compute` over an exported Parquet directory, on Dask.

    One task per partition file (``directory/events/part-*.parquet``); every worker
    reads its files itself, so ``directory`` must be at the same path on every worker
    (a shared disk, or object storage mounted alike).

    Args:
        directory: what ``offender-journey export`` wrote.
        window: the valid-time window, as for :func:`~offender_journey.metrics.compute`.
        as_of: the transaction time to see the data as of.
        views: names from :data:`~offender_journey.metrics.VIEWS`, or views.
        scheduler: where to run (see the module docstring).
        workers: worker processes of a local cluster (default: one per core).
        timeout: how long to wait for a scheduler at an address, in seconds.
        progress: report partitions done (and the dashboard link) on standard error.

    Raises:
        FileNotFoundError: no partitions in ``directory``.
        EngineError: the scheduler cannot be reached, or a worker lacks a package.
    """
    files = [os.path.abspath(f) for f in parquet_partitions(directory)]
    chosen = resolve_views(views)
    with connect(scheduler, workers=workers, timeout=timeout) as client:
        check_workers(client, chosen, ["pyarrow.parquet"], timeout=timeout)
        return _fold_all(
            client, fold_parquet, [(f,) for f in files], window, as_of, chosen, progress
        )


def compute_store(
    path: str | os.PathLike[str],
    *,
    window: Window = ALL_TIME,
    as_of: dt.datetime | None = None,
    views: Iterable[ViewChoice] | None = None,
    scheduler: str | Client | None = None,
    workers: int | None = None,
    partitions: int | None = None,
    timeout: float = 10.0,
    progress: bool = False,
) -> MetricsReport:
    """:func:`~offender_journey.metrics.compute_store` with the ranges folded on Dask.

    The offender ids are cut into ``partitions`` ranges of similar event counts
    (default: four per worker thread, so a slow worker is not waited on for long);
    each task opens the store itself and reads only its range, so the SQLite file must
    be at the same path on every worker (a shared disk).
    """
    chosen = resolve_views(views)
    location = os.path.abspath(path)
    with connect(scheduler, workers=workers, timeout=timeout) as client:
        check_workers(client, chosen, [], timeout=timeout)
        threads = sum(client.nthreads().values())  # type: ignore[no-untyped-call]
        parts = partitions or 4 * max(threads, 1)
        with open_store(location) as store:
            ranges = _balanced_ranges(store.stream_sizes(), parts)
        tasks = [(location, offenders) for offenders in ranges]
        return _fold_all(client, _compute_range, tasks, window, as_of, chosen, progress)


@attrs.frozen
class FactsWritten:
    """What :func:`refresh_parquet` wrote."""

    directory: str
    #: Rows written per fact table.
    rows: dict[str, int]
    #: Files per table: one per events partition.
    partitions: int
    seconds: float

    @property
    def offenders(self) -> int:
        """Offenders with facts (one ``offenders`` row each)."""
        return self.rows.get("offenders", 0)

    def to_json(self) -> dict[str, object]:
        """The ``refresh --engine dask --json`` shape."""
        return {
            "directory": self.directory,
            "offenders": self.offenders,
            "partitions": self.partitions,
            "rows": dict(self.rows),
            "seconds": round(self.seconds, 3),
        }

    def __str__(self) -> str:
        return (
            f"facts of {self.offenders} offenders written to {self.directory}: "
            f"{len(self.rows)} tables of {self.partitions} Parquet partitions, "
            f"in {self.seconds:.2f} s"
        )


def refresh_parquet(
    directory: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    scheduler: str | Client | None = None,
    workers: int | None = None,
    timeout: float = 10.0,
    progress: bool = False,
) -> FactsWritten:
    """Every fact table of the events in a Parquet directory, written as Parquet, on Dask.

    One task per events partition (``directory/events/part-*.parquet``) derives the
    facts of its offenders with the store's own fold and writes ``out/<table>/`` with
    the partition's file name: the layout, columns and types of ``export --format
    parquet``. Only row counts come back to the client. Every worker reads and writes
    the files itself, so both directories must be at the same path on every worker.
    ``out`` must not exist (or be empty); it is written under a temporary name beside
    it and renamed when every task is done, so a failed run leaves nothing under it.

    Raises:
        FileNotFoundError: no partitions in ``directory``.
        FileExistsError: ``out`` exists and is not an empty directory.
        EngineError: the scheduler cannot be reached, or a worker lacks a package.
    """
    began = time.perf_counter()
    files = [os.path.abspath(f) for f in parquet_partitions(directory)]
    rows = {table.name: 0 for table in TABLES}
    with (
        new_directory(os.path.abspath(out)) as work,
        connect(scheduler, workers=workers, timeout=timeout) as client,
    ):
        check_workers(client, [], ["pyarrow.parquet"], timeout=timeout)
        for table in TABLES:
            (work / table.name).mkdir(mode=0o700)
        show = _Progress(len(files), client, "derived") if progress else None
        tasks = [client.submit(derive_parquet, f, str(work), pure=False) for f in files]
        try:
            for future in _distributed().as_completed(tasks):
                for table, count in future.result().items():
                    rows[table] += count
                if show is not None:
                    show.step()
        except BaseException:
            client.cancel(tasks)  # type: ignore[no-untyped-call]
            raise
        finally:
            if show is not None:
                show.close()
    return FactsWritten(os.fspath(out), rows, len(files), time.perf_counter() - began)


def check_workers(
    client: Client, views: Iterable[View[Any]], modules: Iterable[str], *, timeout: float = 10.0
) -> None:
    """Fail early, and plainly, unless every worker can import what the tasks will need.

    A task whose code a worker cannot import would otherwise fail while the worker
    reads it, which Dask reports only in the worker's log while the client waits. So
    each module (this package, the given ones, and the modules defining the views: a
    view defined in a notebook's module must be importable there too)
    is imported on every worker first.

    Raises:
        EngineError: no worker joined within ``timeout`` seconds, or one lacks a module.
    """
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise EngineError(f"no Dask worker joined the scheduler within {timeout:g} s") from None
    needed = {"offender_journey", *modules}
    needed |= {view.defined_in for view in views} - {"__main__"}
    try:
        versions = client.run(pkgutil.resolve_name, "offender_journey:__version__")
        for module in sorted(needed):
            client.run(pkgutil.resolve_name, f"{module}:__name__")
    except ModuleNotFoundError as exc:
        raise EngineError(
            f"a Dask worker cannot import {exc.name!r}: install it on every worker "
            f"(this package with its extra, pip install 'offender-journey[dask]' at version "
            f"{__version__}, and any module that defines a view you pass)"
        ) from None
    wrong = sorted({str(v) for v in versions.values()} - {__version__})
    if wrong:
        raise EngineError(
            f"Dask workers run offender-journey {', '.join(wrong)}; this is {__version__}: "
            "install the same version everywhere so the numbers are the same"
        )


def _fold_all(
    client: Client,
    fold: Callable[..., MetricsReport],
    tasks: Sequence[tuple[Any, ...]],
    window: Window,
    as_of: dt.datetime | None,
    views: list[View[Any]],
    progress: bool,
) -> MetricsReport:
    """Fold every task's unit and add the reports pairwise as they finish."""
    distributed = _distributed()
    if not tasks:
        return compute([], window=window, as_of=as_of, views=views)
    show = _Progress(len(tasks), client, "folded") if progress else None
    folds = [client.submit(fold, *task, window, as_of, views, pure=False) for task in tasks]
    fold_keys = {future.key for future in folds}
    finished = distributed.as_completed(folds)
    del folds  # each report is released once it has been added
    waiting = None
    try:
        for future in finished:
            if future.status == "error":
                future.result()  # raises the task's own exception here
            if show is not None and future.key in fold_keys:
                show.step()
            if waiting is None:
                waiting = future
                continue
            finished.add(client.submit(operator.add, waiting, future, pure=False))
            waiting = None
        assert waiting is not None
        report: MetricsReport = waiting.result()
    finally:
        if show is not None:
            show.close()
    return report


class _Progress:
    """Partitions done so far, on standard error (and where the dashboard is)."""

    def __init__(self, total: int, client: Client, verb: str) -> None:
        self.total = total
        self.done = 0
        self.verb = verb
        # A local cluster serves the dashboard only where bokeh is installed.
        local = client.cluster is not None and importlib.util.find_spec("bokeh") is None
        if "dashboard" in client.scheduler_info().get("services", {}) and not local:
            print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        self._show()

    def _show(self) -> None:
        sys.stderr.write(f"\r{self.verb} {self.done}/{self.total} partitions")
        sys.stderr.flush()

    def step(self) -> None:
        self.done += 1
        self._show()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
