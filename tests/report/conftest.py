"""A real browser for the report's tests: Debian's headless Chromium, driven by Selenium.

One browser for the session, with a fresh profile; each test loads its own page and reads
the page's console and network logs (the performance log's ``Network.requestWillBeSent``
entries are every request the page made).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

#: Chromium's flags: headless as root on a small shared machine, and quiet (no update
#: checks, sync or first-run pages, whose requests would muddle the page's own).
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
    "--force-device-scale-factor=1",
)


def _executable(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        f"none of {', '.join(names)} is on the PATH: install Debian's chromium and "
        "chromium-driver (.ci/run does)"
    )


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, logging the console and the network."""
    options = webdriver.ChromeOptions()
    options.binary_location = _executable("chromium", "chromium-browser")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(_executable("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: Any, path: Path) -> None:
    """Load ``path`` after emptying the logs, so what they hold next is this page's."""
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())


def requests_made(driver: Any) -> list[str]:
    """The URL of every request since the page was opened."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
