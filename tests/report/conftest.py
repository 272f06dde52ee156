"""A real browser for the report's tests: Debian's headless Chromium, driven by Selenium.

One browser for the session, with a fresh profile; each test loads its own page and reads
the page's console and network logs (the performance log's ``Network.requestWillBeSent``
entries are every request the page made).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pages import AS_OF, FLAGS, PEOPLE, SEED, executable
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, logging the console and the network."""
    options = webdriver.ChromeOptions()
    options.binary_location = executable("chromium", "chromium-browser")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable("chromedriver")), options=options)
    driver.set_script_timeout(600)  # axe over a long page, on a busy machine
    driver.get("about:blank")  # the browser's own start-up requests end before a test's page
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store of a synthetic population, as `synth` and `ingest` make it."""
    from offender_journey.cli import main

    folder = tmp_path_factory.mktemp("report-store")
    events, store = folder / "cohort.jsonl", folder / "journeys.db"
    assert main(["synth", str(events), "--offenders", str(PEOPLE), "--seed", str(SEED)]) == 0
    assert main(["ingest", str(events), "--store", str(store)]) == 0
    return store


@pytest.fixture(scope="session")
def cohort(store: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The ids the `iom` command selects on the day, in its order."""
    import contextlib
    import io

    from offender_journey.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["iom", "--store", str(store), "--as-of", AS_OF, "--json"]) == 0
    return [row["offender_id"] for row in json.loads(out.getvalue())["selected"]]


@pytest.fixture(scope="session")
def pack(store: Path, cohort: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The IOM panel pack of the synthetic cohort, made by the command line."""
    from offender_journey.cli import main

    page = tmp_path_factory.mktemp("report-pack") / "pack.html"
    argv = ["report", "--iom", "--store", str(store), "--as-of", AS_OF, "--html", str(page)]
    assert main(argv) == 0
    return page
