"""The report's test pages: the data they are made of, Chromium's flags, what a test reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

#: The synthetic population the pack is made for, and the day it is made on: the IOM
#: rule selects exactly three of these 60 people on that day.
SEED, PEOPLE = 5, 60
AS_OF = "2016-12-31"

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


def executable(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        f"none of {', '.join(names)} is on the PATH: install Debian's chromium and "
        "chromium-driver (.ci/run does)"
    )


def open_page(driver: Any, path: Path) -> None:
    """Load ``path`` after emptying the logs, so what they hold next is this page's."""
    driver.get("about:blank")
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


def docs_screenshot(out: Path) -> None:
    """The picture of docs/report.md: the top of the report on a synthetic prolific offender.

    ``python tests/report/pages.py`` redraws ``docs/img/report_prolific.png``.
    """
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from offender_journey.cli import main

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        events, store, page = work / "p.jsonl", work / "p.db", work / "report.html"
        synth = ["synth", str(events), "--offenders", "5", "--seed", "3", "--preset", "prolific"]
        assert main(synth) == 0
        assert main(["ingest", str(events), "--store", str(store)]) == 0
        window = ["--from", "2014-01-01", "--to", "2016-12-31", "--as-of", AS_OF]
        assert (
            main(["report", "S3-O000000", "--store", str(store), *window, "--html", str(page)]) == 0
        )
        options = webdriver.ChromeOptions()
        options.binary_location = executable("chromium", "chromium-browser")
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={work / 'profile'}")
        driver = webdriver.Chrome(service=Service(executable("chromedriver")), options=options)
        try:
            driver.set_window_size(1280, 1900)
            driver.get(page.as_uri())
            driver.save_screenshot(str(out))
        finally:
            driver.quit()


if __name__ == "__main__":
    docs_screenshot(Path(__file__).resolve().parents[2] / "docs" / "img" / "report_prolific.png")
