import datetime as dt
from pathlib import Path

import pytest

from offender_journey.builder import JourneyBuilder
from offender_journey.events import Category
from offender_journey.history import Window
from offender_journey.metrics import compute
from offender_journey.views.cost import CostReport, CostTable, CostView


def test_the_shipped_table_holds_only_confirmed_rows_with_its_source() -> None:
    table = CostTable.home_office()
    assert table.costs[Category.ROBBERY] == 11320
    assert table.costs[Category.VIOLENCE_WITH_INJURY] == 14050
    assert Category.BURGLARY_DOMESTIC not in table.costs  # not confirmed: never guessed
    assert table.price_year == "2015/16"
    assert "Research Report 99" in table.source


def journeys() -> list[JourneyBuilder]:
    big = JourneyBuilder("O1")
    robbery = big.charge("2014-02-01", "robbery")
    big.convict("2014-05-01", robbery)
    big.charge("2014-03-01", "rape")  # charged, not proven
    small = JourneyBuilder("O2")
    small.caution("2014-04-01", "theft_from_vehicle")
    small.charge("2014-04-02", "shoplifting")  # no unit cost
    return [big, small]


def test_charged_proven_and_unpriced() -> None:
    report: CostReport = compute([(j.offender_id, j.events) for j in journeys()], views=["cost"])[
        "cost"
    ]
    assert report.charged == 11320 + 39360 + 870
    assert report.proven == 11320 + 870
    assert report.unpriced_share == 1 / 4
    assert [c.offender_id for c in report.offenders] == ["O1", "O2"]


def test_concentration_and_lorenz_table() -> None:
    report: CostReport = compute([(j.offender_id, j.events) for j in journeys()], views=["cost"])[
        "cost"
    ]
    assert report.top_share(0.1) == pytest.approx((11320 + 39360) / (11320 + 39360 + 870))
    assert report.lorenz(2) == [(0.5, report.top_share(0.5)), (1.0, 1.0)]


def test_users_can_add_or_override_rows(tmp_path: Path) -> None:
    table = CostTable.home_office().with_costs({"shoplifting": 100, "robbery": 1}, source="local")
    report = compute([(j.offender_id, j.events) for j in journeys()], views=[CostView(table)])[
        "cost"
    ]
    assert report.charged == 1 + 39360 + 870 + 100
    assert report.unpriced_share == 0
    rows = tmp_path / "costs.csv"
    rows.write_text("category,unit_cost_gbp\nshoplifting,250\n")
    assert CostTable.load(rows, source="x", price_year="2020").costs == {Category.SHOPLIFTING: 250}
    rows.write_text("category,unit_cost_gbp\nnot_a_category,250\n")
    with pytest.raises(ValueError, match="row 2"):
        CostTable.load(rows, source="x", price_year="2020")


def test_window_is_by_offence_date() -> None:
    report = compute(
        [(j.offender_id, j.events) for j in journeys()],
        window=Window(dt.date(2014, 3, 1), dt.date(2014, 3, 31)),
        views=["cost"],
    )["cost"]
    assert report.charged == 39360
    assert len(report.offenders) == 1


def spread(offenders: int) -> CostReport:
    """A cohort in which offender k (from 1) committed k robberies."""
    builders = []
    for k in range(1, offenders + 1):
        j = JourneyBuilder(f"O{k:02d}")
        for _ in range(k):
            j.charge("2014-02-01", "robbery")
        builders.append(j)
    report: CostReport = compute([(j.offender_id, j.events) for j in builders], views=["cost"])[
        "cost"
    ]
    return report


@pytest.mark.parametrize(("offenders", "top"), [(5, 1), (9, 1), (10, 1), (15, 1), (25, 2), (30, 3)])
def test_the_top_10_percent_of_n_offenders_is_n_over_10_rounded_down_at_least_one(
    offenders: int, top: int
) -> None:
    report = spread(offenders)
    costliest = sum(range(offenders - top + 1, offenders + 1))
    assert report.top_share(0.1) == pytest.approx(costliest / sum(range(1, offenders + 1)))
    assert report.lorenz()[0] == (top / offenders, report.top_share(0.1))
