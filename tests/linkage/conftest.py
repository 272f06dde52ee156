"""A small trained model shared by the linkage tests (Splink on a few hundred records)."""

from pathlib import Path
from typing import Any

import pytest

from offender_journey.agencies import build
from offender_journey.linkage.link import run


@pytest.fixture(scope="session")
def background() -> list[dict[str, Any]]:
    """Identity rows of about 300 source records: other people, at medium error."""
    return build(90, seed=21, errors="medium", events=False).identity_rows()


@pytest.fixture(scope="session")
def model_file(background: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once on the background and saved, for runs that reuse it."""
    path = tmp_path_factory.mktemp("model") / "model.json"
    result = run(background, [])
    result.model.save(path)
    return path
