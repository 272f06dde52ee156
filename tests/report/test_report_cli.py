"""`offender-journey report` as a user runs it: what the page says, and what it never does."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pages import AS_OF

from offender_journey.builder import JourneyBuilder
from offender_journey.cli import main
from offender_journey.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]


class Page(HTMLParser):
    """What a reader of the page meets: headings, tables (caption and cells), links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self.ids: set[str] = set()
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._table: list[list[str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag in ("h1", "h2", "h3", "h4", "caption", "td", "th"):
            self._text = []
        elif tag == "table":
            self._table = []
        elif tag == "tr":
            self._row = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag in ("h1", "h2", "h3", "h4"):
            self.headings.append((int(tag[1]), text))
        elif tag == "caption":
            self.tables[text] = self._table
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(text)
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        if tag in ("h1", "h2", "h3", "h4", "caption", "td", "th"):
            self._text = None


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


@pytest.fixture
def journeys(tmp_path: Path) -> Path:
    """One person on licence with a warrant out on 30 June 2015, and one with nothing on."""
    j = JourneyBuilder("O1")
    j.profile("2010-01-01", born="1985-04-02")
    arrest = j.arrest("2014-01-05")
    charge = j.charge("2014-01-06", "burglary_domestic", arrest=arrest, offence_date="2014-01-04")
    j.convict("2014-02-20", charge)
    custody = j.sentence("2014-02-20", charge, disposal="immediate_custody", length_days=730)
    licence = j.release("2015-03-01", custody, licence_end="2016-03-01")
    warrant = j.warrant("2015-05-01", "breach", "B")
    assert (licence.licence_id, warrant.warrant_id) == ("O1-l0", "O1-w0")
    j.charge("2015-04-10", "robbery", offence_date="2015-04-08")
    k = JourneyBuilder("O2")
    k.caution("2013-05-01", "shoplifting")
    path = tmp_path / "journeys.db"
    with SQLiteStore(path) as store:
        store.append([*j.events, *k.events])
    return path


def report(store: Path, out: Path, *argv: str) -> Page:
    code, err = run("report", *argv, "--store", str(store), "--html", str(out))
    assert code == 0, err
    return Page(out.read_text(encoding="utf-8"))


def test_status_lists_each_state_on_the_day_with_its_dates(journeys: Path, tmp_path: Path) -> None:
    page = report(journeys, tmp_path / "o1.html", "O1", "--on", "2015-06-30")
    (status,) = [rows for caption, rows in page.tables.items() if caption.startswith("States on")]
    assert status[1:] == [
        ["On licence", "2015-03-01", "2016-03-01", "O1-l0"],
        ["Warrant outstanding", "2015-05-01", "not recorded (open)", "O1-w0"],
    ]
    assert page.tables["Source records of this person"][1:] == [["Default source", "O1"]]
    recent = page.tables["Offences committed 2014-07-01 to 2015-06-30"]
    assert [row[:3] for row in recent[1:]] == [["2015-04-08", "Robbery", "Charge"]]
    flagged = page.tables["Offences committed while on bail, on licence or under an order"]
    assert [row[:2] for row in flagged[1:]] == [["2015-04-08", "On licence"]]


def test_someone_in_no_state_is_said_to_be_in_none(journeys: Path, tmp_path: Path) -> None:
    out = tmp_path / "o2.html"
    report(journeys, out, "O2", "--on", "2015-06-30")
    text = " ".join(out.read_text().split())
    assert "Not in custody, on remand, on licence, on bail or under an order" in text
    assert "cannot be scored on 2015-06-30 (no date of birth" in text


def test_the_headings_can_be_walked_level_by_level(journeys: Path, tmp_path: Path) -> None:
    page = report(journeys, tmp_path / "o1.html", "O1", "--on", "2015-06-30")
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1
    assert levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))
    assert [text for level, text in page.headings if level == 2] == ["O1"]
    assert [text for level, text in page.headings if level == 3] == [
        "Status on 2015-06-30",
        "Identifiers",
        "Risk and IOM selection",
        "Timeline",
        "Window summary and conversion",
        "Offences flagged by kind",
        "Data quality",
        "Recent offences",
        "Definitions used",
    ]


def test_links_stay_in_the_page_or_the_repository_docs(journeys: Path, tmp_path: Path) -> None:
    page = report(journeys, tmp_path / "o1.html", "O1")
    assert page.links
    for link in page.links:
        if link.startswith("#"):
            assert link[1:] in page.ids
            continue
        assert link.startswith("docs/"), link
        name, _, anchor = link.removeprefix("docs/").partition("#")
        target = ROOT / "docs" / name
        assert target.exists(), link
        slugs = {
            re.sub(r"[^\w\s-]", "", h).strip().lower().replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", target.read_text(), re.MULTILINE)
        }
        assert not anchor or anchor in slugs, link


def test_the_file_is_for_its_owner_only(journeys: Path, tmp_path: Path) -> None:
    out = tmp_path / "o1.html"
    old = os.umask(0o022)
    try:
        report(journeys, out, "O1")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_marking_is_the_users_and_cannot_break_the_page(journeys: Path, tmp_path: Path) -> None:
    out = tmp_path / "o1.html"
    hostile = 'OFFICIAL</style><script>alert("x")</script>'
    report(journeys, out, "O1", "--marking", hostile)
    text = out.read_text()
    assert "<script" not in text
    assert text.count("OFFICIAL&lt;/style&gt;&lt;script&gt;") == 3  # title, top, bottom
    style = text[text.index("<style>") : text.index("</style>")]
    assert '"OFFICIAL\\3c \\2f style\\3e ' in style  # the print margins' text, escaped


def test_every_word_from_the_data_is_escaped(tmp_path: Path) -> None:
    person = '<img src=x onerror="alert(1)">'
    j = JourneyBuilder(person)
    j.charge("2014-01-06", "robbery")
    store = tmp_path / "journeys.db"
    with SQLiteStore(store) as s:
        s.append(j.events)
    out = tmp_path / "page.html"
    page = report(store, out, person)
    assert "<img" not in out.read_text()
    assert [text for level, text in page.headings if level == 2] == [person]


def test_the_numbers_are_the_commands_own(store: Path, cohort: list[str], tmp_path: Path) -> None:
    person = cohort[0]
    page = report(store, tmp_path / "p.html", person, "--as-of", AS_OF)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["risk", person, "--store", str(store), "--as-of", AS_OF, "--json"]) == 0
    risk = json.loads(out.getvalue())["ogrs3"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["timeline", person, "--store", str(store), "--as-of", AS_OF, "--json"]) == 0
    within = json.loads(out.getvalue())["summary"]["within"]
    text = " ".join((tmp_path / "p.html").read_text().split())
    assert (
        f"OGRS3 on {AS_OF}: {risk['percent_1y']} % within 1 year, "
        f"{risk['percent_2y']} % within 2 years ({risk['band']})" in text
    )
    counts = {row[0]: int(row[2]) for row in page.tables["Counts before the window and in it"][1:]}
    assert counts["Charges"] == within["charges"]
    assert counts["Court cases"] == within["court_cases"]
    assert counts["Sentencing occasions"] == within["sentencing_occasions"]
    conversion = within["conversion"]
    assert f"{conversion['convicted']} of {conversion['charges']} charges convicted" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["O1", "--iom"], "not both"),
        ([], "not both"),
        (["nobody"], "no events for offender 'nobody'"),
        (["O1", "--on", "2999-01-01"], "after the as-of day"),
        (["O1", "--marking", " "], "--marking must say something"),
    ],
)
def test_usage_errors_say_what_is_wrong(
    journeys: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    out = tmp_path / "never.html"
    code, err = run("report", *argv, "--store", str(journeys), "--html", str(out))
    assert code == 2
    assert message in err
    assert not out.exists()


def test_the_report_never_overwrites_the_store(journeys: Path) -> None:
    before = journeys.read_bytes()
    code, err = run("report", "O1", "--store", str(journeys), "--html", str(journeys))
    assert code == 2
    assert "refusing to overwrite" in err
    assert journeys.read_bytes() == before


def test_a_pack_with_nobody_selected_says_so(journeys: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.html"
    page = report(journeys, out, "--iom", "--on", "2015-06-30")
    assert [level for level, _ in page.headings] == [1]
    assert "Nobody in the store is selected by the rule on the day." in out.read_text()


def test_without_the_report_extra_the_message_names_it(journeys: Path, tmp_path: Path) -> None:
    out = tmp_path / "o1.html"
    program = (
        "import sys; sys.modules['jinja2'] = None\n"
        "from offender_journey.cli import main\n"
        f"sys.exit(main(['report', 'O1', '--store', {str(journeys)!r}, '--html', {str(out)!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "pip install 'offender-journey[report]'" in done.stderr
    assert not out.exists()


def test_identifiers_list_every_source_record_of_a_linked_person(tmp_path: Path) -> None:
    police = JourneyBuilder("P1", source="police")
    police.person("2014-01-01", forenames="Sam", surname="Brook", pnc_id="02/73319Z")
    police.charge("2014-01-06", "shoplifting", offence_date="2014-01-04")
    prison = JourneyBuilder("A1234BC", source="prison")
    prison.person("2014-03-01", forenames="Samuel", surname="Brook", nomis_number="A1234BC")
    path = tmp_path / "linked.db"
    with SQLiteStore(path) as store:
        store.append([*police.events, *prison.events])
    page = report(path, tmp_path / "before.html", "police:P1", "--as-of", AS_OF)
    assert page.tables["Source records of this person"][1:] == [["Police", "P1"]]
    code, err = run(
        "link", "--store", str(path), "--join", "police:P1", "prison:A1234BC",
        "--reason", "same custody photo",
    )  # fmt: skip
    assert code == 0, err
    code, err = run("link", "--store", str(path))
    assert code == 0, err
    page = report(path, tmp_path / "after.html", "police:P1")
    assert page.tables["Source records of this person"][1:] == [
        ["Police", "P1"],
        ["Prison", "A1234BC"],
    ]
