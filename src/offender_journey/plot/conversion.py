"""Charge-to-conviction conversion: charges by final outcome, a bar per group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..views.conversion import Conversion
from .style import GRID, HATCHES, PALETTE, SIZE, axes

__all__ = ["plot_conversion"]

#: The parts of a bar, bottom up: field, words; each has its colour and hatch, in order.
PARTS: tuple[tuple[str, str], ...] = (
    ("convicted", "convicted"),
    ("not_convicted", "not convicted"),
    ("pending", "pending"),
)


def plot_conversion(conversions: Conversion | Mapping[str, Conversion], *, ax: Any = None) -> Any:
    """Charges by final outcome (convicted, not convicted, pending): a bar per group.

    Pass one ``Conversion`` or a mapping of names to them; each bar carries its
    conversion rate on top. The parts differ in hatch as well as colour.
    """
    ax = axes(ax, (8, 4.5))
    items = {"all": conversions} if isinstance(conversions, Conversion) else dict(conversions)
    names = list(items)
    bottom = [0] * len(names)
    for i, (part, words) in enumerate(PARTS):
        values = [getattr(items[n], part) for n in names]
        ax.bar(
            names,
            values,
            bottom=bottom,
            color=PALETTE[i],
            hatch=HATCHES[i],
            edgecolor="white",
            linewidth=0.8,
            label=words,
            gid=f"bar:{part}",
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, name in enumerate(names):
        rate = items[name].rate
        if rate is not None:
            ax.annotate(
                f"{100 * rate:.0f} % convicted",
                (x, bottom[x]),
                ha="center",
                va="bottom",
                fontsize=SIZE["note"],
            )
    ax.set_ylabel("charges", fontsize=SIZE["body"])
    ax.set_title("Charge-to-conviction conversion", loc="left", fontsize=SIZE["title"])
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize=SIZE["note"], frameon=False)
    return ax
