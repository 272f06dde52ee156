"""``offender_journey.projections`` still answers with its old names, and says where they live now."""

import warnings
from importlib import import_module

import pytest

from offender_journey import projections
from offender_journey.builder import JourneyBuilder
from offender_journey.history import History, Window
from offender_journey.metrics import compute
from offender_journey.offender import conversion
from offender_journey.views import VIEWS, View, default_views, register_view
from offender_journey.views.conversion import Conversion, ConversionView


def test_an_old_import_warns_and_gives_the_same_function() -> None:
    with pytest.warns(
        DeprecationWarning, match=r"import conversion from offender_journey\.offender"
    ):
        from offender_journey.projections import conversion as old

    j = JourneyBuilder("O1")
    _ = j.convict("2013-06-01", j.charge("2013-01-10", "shoplifting"))
    history = History.build("O1", j.events)
    assert old is conversion
    assert old(history).convicted == 1


@pytest.mark.parametrize("name", sorted(projections.MOVED))
def test_every_old_name_is_its_new_home(name: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = getattr(projections, name)
    assert [w.category for w in caught] == [DeprecationWarning]
    new = projections.RENAMED.get(name, name)
    assert old is getattr(import_module(projections.MOVED[name]), new)


def test_a_name_never_there_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = projections.NoSuchThing  # type: ignore[attr-defined]


class _ArrestsProjection:
    """A view written the old way: a name and ``project`` over a history, no ``View`` base."""

    name = "old_arrests"

    def project(self, history: History, window: Window) -> Conversion:
        return Conversion(charges=len(history.arrests))


def test_a_view_made_the_old_way_still_counts_with_a_warning() -> None:
    j = JourneyBuilder("O1")
    _ = j.arrest("2013-01-01")
    with pytest.warns(DeprecationWarning, match=r"View\(projection, empty, \.\.\.\) is deprecated"):
        old = View(_ArrestsProjection(), Conversion)
    assert isinstance(old, View)
    assert (old.name, old.tables, old.aggregates) == ("old_arrests", None, False)
    assert compute([("O1", j.events)], views=[old])["old_arrests"] == Conversion(charges=1)


def test_a_view_registered_the_old_way_still_counts_with_a_warning() -> None:
    j = JourneyBuilder("O1")
    _ = j.arrest("2013-01-01")
    with pytest.warns(DeprecationWarning, match=r"register_view\(projection, empty"):
        register_view(_ArrestsProjection(), Conversion, default=False)
    try:
        assert "old_arrests" not in default_views()
        assert compute([("O1", j.events)], views=["old_arrests"])["old_arrests"].charges == 1
    finally:
        del VIEWS["old_arrests"]


def test_an_old_aggregating_projection_counts_in_sql_as_its_view_does() -> None:
    j = JourneyBuilder("O1")
    _ = j.convict("2013-06-01", j.charge("2013-01-10", "shoplifting"))
    with pytest.warns(DeprecationWarning, match="deprecated"):
        old = View(ConversionView(), Conversion)
    assert old.aggregates
    streams = [("O1", j.events)]
    assert (
        compute(streams, views=[old]).to_json() == compute(streams, views=["conversion"]).to_json()
    )


def test_a_view_is_its_own_projection_now() -> None:
    view = VIEWS["conversion"]
    with pytest.warns(DeprecationWarning, match=r"View\.projection is deprecated"):
        assert view.projection is view


def test_a_view_is_registered_alone() -> None:
    with pytest.raises(TypeError, match="takes the view alone"):
        register_view(ConversionView(), Conversion)
