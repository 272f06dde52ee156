"""Charge-to-conviction conversion, per offender and for any set of offenders.

The denominator is the offender's charges (one per ``charge_id``) whose charge
``date`` lies in the window; each is convicted, not convicted or pending by its
*final outcome* (latest outcome date, ties to the one recorded later), wherever
that outcome is dated, as long as it was recorded by ``as_of``.

Examples:
    >>> from offender_journey.history import History
    >>> from offender_journey.offender import conversion
    >>> from offender_journey.builder import JourneyBuilder
    >>> j = JourneyBuilder("O1")
    >>> c1 = j.charge("2013-01-10", "shoplifting")
    >>> c2 = j.charge("2013-02-10", "burglary_domestic")
    >>> _ = j.convict("2013-06-01", c1)
    >>> conversion(History.build("O1", j.events), ALL_TIME)
    Conversion(charges=2, convicted=1, not_convicted=0, pending=1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ..history import ALL_TIME, Window
from ..tables import Column, Table, Tabular
from .base import View

if TYPE_CHECKING:
    from ..facts.aggregate import FactSource

__all__ = [
    "Conversion",
    "ConversionView",
    "conversion_in",
]


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@attrs.frozen
class Conversion(Tabular):
    """Counts of charges by final outcome; add two to cover both sets of offenders.

    Examples:
        >>> a = Conversion(charges=4, convicted=1, not_convicted=1, pending=2)
        >>> (a + Conversion(1, 1, 0, 0)).rate
        0.4
        >>> Conversion().rate is None
        True
    """

    charges: int = 0
    convicted: int = 0
    not_convicted: int = 0
    pending: int = 0

    @property
    def rate(self) -> float | None:
        """``convicted / charges``; ``None`` when there are no charges."""
        return _ratio(self.convicted, self.charges)

    @property
    def resolved_rate(self) -> float | None:
        """``convicted / (convicted + not_convicted)``; ``None`` when none is resolved."""
        return _ratio(self.convicted, self.convicted + self.not_convicted)

    def __add__(self, other: Conversion) -> Conversion:
        return Conversion(
            self.charges + other.charges,
            self.convicted + other.convicted,
            self.not_convicted + other.not_convicted,
            self.pending + other.pending,
        )

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape: the four counts and the two rates."""
        return {
            "charges": self.charges,
            "convicted": self.convicted,
            "not_convicted": self.not_convicted,
            "pending": self.pending,
            "rate": self.rate,
            "resolved_rate": self.resolved_rate,
        }

    def table(self) -> Table:
        """One row: the counts and the two rates."""
        columns = (
            Column("charges", "int"),
            Column("convicted", "int"),
            Column("not_convicted", "int"),
            Column("pending", "int"),
            Column("rate", "float"),
            Column("resolved_rate", "float"),
        )
        row = (
            self.charges,
            self.convicted,
            self.not_convicted,
            self.pending,
            self.rate,
            self.resolved_rate,
        )
        return Table("Charge-to-conviction conversion", columns, (row,))

    def __str__(self) -> str:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{100 * value:.1f} %"

        return (
            f"{self.convicted} of {self.charges} charges convicted ({pct(self.rate)}); "
            f"{self.not_convicted} not convicted, {self.pending} pending; "
            f"resolved rate {pct(self.resolved_rate)} (convicted among the charges decided)"
        )


def conversion_in(source: FactSource, window: Window = ALL_TIME) -> Conversion:
    """Conversion of the charges dated in ``window``, counted in SQL over ``charges``."""
    where, params = source.where("c", "charge_date", window)
    ((total, convicted, not_convicted),) = source.fetch(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE c.outcome = 'convicted'), "
        "COUNT(*) FILTER (WHERE c.outcome = 'not_convicted') "
        f"FROM charges c WHERE {where}",
        params,
    )
    total, convicted, not_convicted = int(total), int(convicted), int(not_convicted)
    return Conversion(total, convicted, not_convicted, total - convicted - not_convicted)


@attrs.frozen
class ConversionView(View[Conversion]):
    """The conversion view: charges by final outcome, counted in SQL."""

    name: str = "conversion"
    #: The fact tables the view reads.
    tables = ("charges",)
    title = "Charge-to-conviction conversion"

    def aggregate(self, source: FactSource, window: Window) -> Conversion:
        """The :class:`Conversion` of every offender of ``source`` in ``window``."""
        return conversion_in(source, window)

    def empty(self) -> Conversion:
        """The zero result (no offenders)."""
        return Conversion()
