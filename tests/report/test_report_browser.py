"""The panel pack in a real browser: offline, accessible, drawn from the data, one page a person."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from axe_selenium_python import Axe
from pages import AS_OF, open_page, requests_made
from pypdf import PdfReader
from selenium.webdriver.common.by import By

from offender_journey.cli import main
from offender_journey.folds.episodes import FLAGGING_KINDS
from offender_journey.history import Window
from offender_journey.metrics import timeline
from offender_journey.store import SQLiteStore


def test_the_pack_loads_with_no_console_error_and_fetches_nothing(
    browser: Any, pack: Path, cohort: list[str]
) -> None:
    open_page(browser, pack)
    assert browser.title.startswith("OFFICIAL-SENSITIVE: IOM panel pack")
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert requests_made(browser) == [pack.resolve().as_uri()]
    shown = [s.get_attribute("id") for s in browser.find_elements(By.CSS_SELECTOR, "section")]
    assert shown == [f"person-{n}" for n in range(1, len(cohort) + 1)]
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section > h2")]
    assert headings == cohort  # one section per person, in the cohort's order
    contents = browser.find_elements(By.CSS_SELECTOR, "nav.contents a")
    assert [a.get_attribute("hash") for a in contents] == [f"#{s}" for s in shown]


def test_axe_finds_no_serious_or_critical_violation(browser: Any, pack: Path) -> None:
    open_page(browser, pack)
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], axe.report(serious)
    assert results["passes"], "axe checked nothing"
    checked = {rule["id"] for rule in results["passes"]}
    # axe-selenium-python ships axe-core 3.1: WCAG 2.0 and 2.1 rules (the SVG's name is
    # checked by the drawing test, through the browser's accessibility tree).
    assert {"color-contrast", "heading-order", "document-title", "html-has-lang"} <= checked


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_screenshot_of_each_section(
    browser: Any, pack: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("report-screenshots")
    open_page(browser, pack)
    parts = browser.find_elements(By.CSS_SELECTOR, "nav.contents, section.person")
    first = browser.find_element(By.CSS_SELECTOR, "section.person")
    parts += first.find_elements(By.CSS_SELECTOR, ".part")  # each part of one person's section
    taken = []
    for number, part in enumerate(parts, start=1):
        browser.execute_script("arguments[0].scrollIntoView()", part)
        name = part.get_attribute("id") or part.find_element(By.CSS_SELECTOR, "h3").get_attribute(
            "id"
        )
        shot = folder / f"{number:02d}-{name}.png"
        assert part.screenshot(str(shot))
        width, height = _png_size(shot.read_bytes())
        assert width > 200, shot
        assert height > 20, shot
        taken.append(shot)
    assert len(taken) == 1 + 3 + 9  # contents, three people, the nine parts of the first
    print(f"screenshots in {folder}")


def _expected_marks(
    store: Path, person: str, window: Window
) -> tuple[dict[str, int], set[str], int]:
    """What the picture of ``person`` must show, from the library's timeline: the flagged
    offences per kind, the episode bands, and how many episodes there are."""
    as_of = dt.datetime.combine(dt.date.fromisoformat(AS_OF), dt.time.max, tzinfo=dt.UTC)
    with SQLiteStore(store) as s:
        events = s.read_stream(person, as_of=as_of)
    drawn = timeline(events, window=window, as_of=as_of)
    flags = {kind.value: sum(f.kind is kind for f in drawn.flags) for kind in FLAGGING_KINDS}
    bands = {e.kind.value for e in drawn.episodes_in_window}
    return flags, bands, len(drawn.episodes_in_window)


def test_the_picture_draws_the_window_its_lanes_and_a_mark_per_flagged_offence(
    browser: Any, store: Path, cohort: list[str], tmp_path: Path
) -> None:
    person, window = cohort[1], Window(dt.date(2012, 1, 1), dt.date(2015, 12, 31))
    page = tmp_path / "one.html"
    argv = ["report", person, "--store", str(store), "--as-of", AS_OF, "--html", str(page)]
    assert main([*argv, "--from", "2012-01-01", "--to", "2015-12-31"]) == 0
    open_page(browser, page)
    figure = browser.find_element(By.CSS_SELECTOR, "section.person figure")
    # The axis is the window: its first day to the day after its last (shown whole).
    assert figure.get_attribute("data-first-day") == "2012-01-01"
    assert figure.get_attribute("data-end-day") == "2016-01-01"
    ticks = " ".join(t.text for t in figure.find_elements(By.CSS_SELECTOR, "[id*='xtick'] text"))
    years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", ticks)]
    assert years, ticks
    assert all(2012 <= y <= 2016 for y in years), ticks
    svg = figure.find_element(By.CSS_SELECTOR, "svg")
    ident = "person-1-timeline"
    assert svg.get_attribute("role") == "img"
    assert svg.accessible_name == f"Timeline of {person}"
    desc = svg.find_element(By.CSS_SELECTOR, "desc").get_attribute("textContent")
    assert desc.startswith(f"Timeline of {person} from 2012-01-01 to 2015-12-31. Lanes")

    flags, bands, episodes = _expected_marks(store, person, window)
    assert sum(flags.values()) > 0, "the window should show flagged offences"
    assert bands, "the window should show episodes"
    for kind, n in flags.items():
        marks = svg.find_elements(By.CSS_SELECTOR, f"[id='{ident}-flags:{kind}'] use")
        assert len(marks) == n, kind  # one mark per flagged offence of that kind
    ids = {e.get_attribute("id") for e in svg.find_elements(By.CSS_SELECTOR, "[id]")}
    drawn_bands = {i.removeprefix(f"{ident}-band:") for i in ids if i.startswith(f"{ident}-band:")}
    assert drawn_bands == bands  # a band for each kind of episode in the window, no other
    assert f"{ident}-lane:charges" in ids
    # Every lane is named on the picture and in its description, top to bottom.
    lanes = [  # a label of two lines is two texts in its tick's group
        " ".join(t.text for t in tick.find_elements(By.CSS_SELECTOR, "text"))
        for tick in svg.find_elements(By.CSS_SELECTOR, f"[id^='{ident}-ytick_']")
    ]
    assert len(lanes) >= len(bands) + 2
    assert "; ".join(" ".join(lane.split()) for lane in lanes) in " ".join(desc.split())
    # The table equivalent lists each episode of the picture.
    rows = browser.find_elements(By.CSS_SELECTOR, "#person-1-episodes + .table-wrap tbody tr")
    assert len(rows) == episodes


def test_printing_gives_the_cover_and_one_a4_page_per_person(
    browser: Any, pack: Path, cohort: list[str]
) -> None:
    open_page(browser, pack)
    printed = browser.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    pdf = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
    assert len(cohort) == 3
    assert len(pdf.pages) == 1 + len(cohort)  # the contents, then a page per person
    texts = [page.extract_text() for page in pdf.pages]
    for number, (page, text) in enumerate(zip(pdf.pages, texts, strict=True)):
        width, height = (float(v) * 25.4 / 72 for v in page.mediabox[2:])
        assert (round(width), round(height)) == (210, 297)  # A4
        assert text.count("OFFICIAL-SENSITIVE") == 2, number  # top and bottom
        assert "As of 2016-12-31 23:59 UTC" in text
        assert "data to 2016-12-" in text
    for person, text in zip(cohort, texts[1:], strict=True):
        assert [p for p in cohort if p in text] == [person]
