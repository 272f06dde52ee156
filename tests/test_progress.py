"""Long reads tell a progress bar their total up front, then counts that add up to it.

What a bar (tqdm, or any object with its three methods) is told: one stage per pass,
named, with the number of offenders it will go through, then the counts done.
"""

from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from offender_journey import synth
from offender_journey.builder import JourneyBuilder
from offender_journey.facts import refresh_facts
from offender_journey.history import History, Window
from offender_journey.io.export import export
from offender_journey.metrics import View, compute, compute_store
from offender_journey.progress import _UPDATES, counted
from offender_journey.store import SQLiteStore, open_store

OFFENDERS = 30


@attrs.define
class Stage:
    description: str
    total: int | None
    counts: list[int] = attrs.Factory(list)


class Recorder:
    """A progress that keeps what it is told, stage by stage."""

    def __init__(self) -> None:
        self.description = ""
        self.stages: list[Stage] = []

    def set_description(self, desc: str) -> None:
        self.description = desc

    def reset(self, total: int | None = None) -> None:
        self.stages.append(Stage(self.description, total))

    def update(self, n: int = 1) -> None:
        if not self.stages:  # counts before any total: the caller sets none
            self.stages.append(Stage("", None))
        self.stages[-1].counts.append(n)

    def complete(self) -> list[tuple[str, int | None]]:
        """The stages as ``(description, total)``, checking each one's counts add up."""
        for stage in self.stages:
            assert all(n > 0 for n in stage.counts), stage
            if stage.total is not None:
                assert sum(stage.counts) == stage.total, stage
        return [(stage.description, stage.total) for stage in self.stages]


@pytest.fixture
def stale(tmp_path: Path) -> Path:
    """A store of 30 offenders whose fact tables have never been derived."""
    path = tmp_path / "s.db"
    with SQLiteStore(path, create=True) as store:
        store.append(synth.generate(OFFENDERS, seed=5))
    return path


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_refresh_counts_the_offenders_it_derives(stale: Path, jobs: int) -> None:
    progress = Recorder()
    with SQLiteStore(stale) as store:
        report = refresh_facts(store, jobs=jobs, progress=progress)
    assert report.offenders == OFFENDERS
    assert progress.complete() == [("refreshing facts", OFFENDERS)]
    # In processes, the bar moves as each part is handed back, not once at the end.
    assert len(progress.stages[0].counts) > 1

    late = JourneyBuilder("ZZ-late")
    late.arrest("2016-05-01")
    progress = Recorder()
    with SQLiteStore(stale) as store:
        store.append(late.events)
        refresh_facts(store, jobs=jobs, progress=progress)
    assert progress.complete() == [("refreshing facts", 1)]  # only the offender touched


@pytest.mark.parametrize("jobs", [1, 2])
def test_metrics_counts_the_refresh_then_every_offender_read(stale: Path, jobs: int) -> None:
    progress = Recorder()
    report = compute_store(stale, jobs=jobs, progress=progress)
    assert progress.complete() == [
        ("refreshing facts", OFFENDERS),
        ("reading facts", OFFENDERS),
    ]
    progress = Recorder()
    again = compute_store(stale, jobs=jobs, progress=progress)  # tables now current
    assert progress.complete() == [("reading facts", OFFENDERS)]
    assert again.to_json() == report.to_json()


@attrs.frozen
class Arrests:
    n: int = 0

    def __add__(self, other: "Arrests") -> "Arrests":
        return Arrests(self.n + other.n)

    def to_json(self) -> dict[str, int]:
        return {"arrests": self.n}


@attrs.frozen
class ArrestsFolded(View[Arrests]):
    """A view that folds each history itself: a store can only answer it by folding its log."""

    name: str = "arrests"
    tables = None

    def empty(self) -> Arrests:
        return Arrests()

    def fold(self, history: History, window: Window) -> Arrests:
        return Arrests(len(history.arrests))


FOLDED = ArrestsFolded()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_fold_counts_every_offender_and_each_part_as_it_is_done(stale: Path, jobs: int) -> None:
    progress = Recorder()
    report = compute_store(stale, views=[FOLDED], jobs=jobs, progress=progress)
    assert progress.complete() == [("reading events", OFFENDERS)]
    assert len(progress.stages[0].counts) >= jobs
    assert report.to_json() == compute_store(stale, views=[FOLDED]).to_json()


def test_an_export_counts_the_offenders_written(stale: Path, tmp_path: Path) -> None:
    progress = Recorder()
    with open_store(stale) as store:
        report = export(store, tmp_path / "out", progress=progress)
    assert report.offenders == OFFENDERS
    assert progress.complete() == [("exporting", OFFENDERS)]


def test_compute_counts_the_streams_it_is_given_and_leaves_the_total_to_the_caller(
    stale: Path,
) -> None:
    progress = Recorder()
    with open_store(stale) as store:
        progress.set_description("reading events")
        progress.reset(store.count_offenders())
        compute(store.read_all(), views=["quality"], progress=progress)
    assert progress.complete() == [("reading events", OFFENDERS)]


def test_a_postgres_store_counts_its_refresh_and_reads(stale: Path, postgres_url: str) -> None:
    with open_store(stale) as source, open_store(postgres_url) as target:
        target.append(event for _, stream in source.read_all() for event in stream)
    progress = Recorder()
    report = compute_store(postgres_url, progress=progress)
    assert progress.complete() == [
        ("refreshing facts", OFFENDERS),
        ("reading facts", OFFENDERS),
    ]
    assert report.to_json() == compute_store(stale).to_json()


Items = st.lists(st.integers(min_value=1, max_value=5), max_size=600)


@given(items=Items, extra=st.integers(min_value=0, max_value=50))
def test_counts_add_up_to_the_total_in_few_updates(items: list[int], extra: int) -> None:
    total = sum(items) + extra  # an upper bound: some items may not come
    progress = Recorder()
    assert list(counted(items, progress, total, "stage", size=int)) == items
    assert progress.complete() == [("stage", total)]
    assert len(progress.stages[0].counts) <= _UPDATES + 1


@given(items=Items)
def test_without_a_total_every_item_is_counted(items: list[int]) -> None:
    progress = Recorder()
    assert list(counted(items, progress, None)) == items
    assert sum(sum(s.counts) for s in progress.stages) == len(items)
