"""``offender_journey.projections`` still answers with its old names, and says where they live now."""

import warnings
from importlib import import_module

import pytest

from offender_journey import projections
from offender_journey.builder import JourneyBuilder
from offender_journey.history import History
from offender_journey.offender import conversion


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
    assert old is getattr(import_module(projections.MOVED[name]), name)


def test_a_name_never_there_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = projections.NoSuchThing  # type: ignore[attr-defined]
