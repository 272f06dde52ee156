"""Views: what counts the fact tables, one module per view, registered here by name.

Each module holds a view's SQL (or per-offender reading) over the fact tables, its
result type, and that result's table and JSON shape; :mod:`.base` says what a
:class:`View` is. They read fact rows, never events: the rows come from
:mod:`offender_journey.facts`, which runs the folds. :data:`VIEWS` maps each name
to its view; :mod:`offender_journey.metrics` computes them over many offenders,
:mod:`offender_journey.offender` over one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from importlib import import_module
from typing import Any

from .base import Accumulator, SumAccumulator, View, _Wrapped
from .conversion import ConversionView
from .occasions import DaysByOccasionView
from .quality import QualityView
from .reoffending import ReoffendingView

__all__ = [
    "VIEWS",
    "Accumulator",
    "SumAccumulator",
    "View",
    "ViewChoice",
    "ViewRegistry",
    "default_views",
    "register_view",
    "resolve_views",
]


class ViewRegistry(MutableMapping[str, "View[Any]"]):
    """Views by name, like a dict; the optional ones are made on first use.

    A view registered with :meth:`later` is only a name until it is looked up, so a
    command that asks for the default views does not import the modules of the others.
    """

    def __init__(self) -> None:
        self._views: dict[str, View[Any] | Callable[[], View[Any]]] = {}

    def __getitem__(self, name: str) -> View[Any]:
        view = self._views[name]
        if not isinstance(view, View):
            view = self._views[name] = view()
        return view

    def __setitem__(self, name: str, view: View[Any]) -> None:
        self._views[name] = view

    def __delitem__(self, name: str) -> None:
        del self._views[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def later(self, name: str, make: Callable[[], View[Any]]) -> None:
        """Register a view that is not a default one, made by ``make()`` when looked up."""
        self._views[name] = make

    def defaults(self) -> list[str]:
        """The names of the default views (a view made later is never one)."""
        return [n for n, v in self._views.items() if isinstance(v, View) and v.default]


#: Every view :func:`compute` knows, by the name its JSON is reported under.
VIEWS = ViewRegistry()


def register_view(
    view: View[Any] | Any,
    empty: Callable[[], Any] | None = None,
    accumulator: Callable[[], Accumulator[Any]] | None = None,
    *,
    default: bool | None = None,
) -> None:
    """Make ``view`` available to :func:`compute` under ``view.name``.

    Its result type must support ``+`` (associative, commutative, ``view.empty()`` its
    zero) and ``to_json()``; a view with ``default = False`` is computed only when
    named. The old form, an object with ``name`` and ``project`` or ``aggregate``
    followed by its zero result (``register_view(projection, empty, accumulator,
    default=...)``), still works, with a :class:`DeprecationWarning`.
    """
    if isinstance(view, View):
        if empty is not None or accumulator is not None or default is not None:
            raise TypeError(
                "register_view(view) takes the view alone: empty(), accumulator() and "
                "default are the view's own"
            )
    else:
        warnings.warn(
            "register_view(projection, empty, ...) is deprecated: register a View "
            "subclass with register_view(view)",
            DeprecationWarning,
            stacklevel=2,
        )
        view = _Wrapped(view, empty or view.empty, accumulator, default is not False)
    VIEWS[view.name] = view


def default_views() -> list[str]:
    """The views computed when none are named."""
    return VIEWS.defaults()


ViewChoice = str | View[Any]


def resolve_views(views: Iterable[ViewChoice] | None) -> list[View[Any]]:
    """Names (from :data:`VIEWS`) or ready views (e.g. with a custom rule) → views."""
    chosen = default_views() if views is None else list(views)
    unknown = [v for v in chosen if isinstance(v, str) and v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s) {unknown}; known: {', '.join(VIEWS)}")
    return [VIEWS[v] if isinstance(v, str) else v for v in chosen]


def _optional(module: str, view: str) -> Callable[[], View[Any]]:
    """An optional view, made from ``views.<module>.<view>()`` when first used."""

    def make() -> View[Any]:
        made: View[Any] = getattr(import_module(f".{module}", __name__), view)()
        return made

    return make


register_view(ConversionView())
register_view(DaysByOccasionView())
register_view(ReoffendingView())
register_view(QualityView())
VIEWS.later("history_bands", _optional("history_bands", "HistoryBandsView"))
VIEWS.later("iom", _optional("iom", "IomView"))
VIEWS.later("cost", _optional("cost", "CostView"))
VIEWS.later("warrants", _optional("warrants", "WarrantsView"))
