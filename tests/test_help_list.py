"""The shipped help list (data/where_to_get_help.md) and the handout page that prints it: every service,
number and link is one the research notes verified, and the list holds what the lessons promise.

The kit's rules for any help list (it exists, names the emergency number and a crisis line, links only to
help) live in `aftertalk check` and are planted in tests/test_lesson_consistency.py. What is tested here
is the shipped content, which a facilitator extends with local services.
"""

from __future__ import annotations

import re

import pytest
from kit_copies import ROOT
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pypdf import PdfReader

from aftertalk.notebook import export
from aftertalk.paths import HELP_LIST

# The services and numbers of "Where to get help" in the research notes (../shared/research/facts.md),
# written out as they appear there. A number or a service not in this table is not in the help list.
VERIFIED_SERVICES = (
    "Find A Helpline",
    "RAINN National Sexual Assault Hotline",
    "AASECT",
    "988 Suicide & Crisis Lifeline",
    "COSRT",
    "Rape Crisis Scotland",
    "Rape Crisis",
    "Samaritans",
    "1800RESPECT",
    "Lifeline",
)
VERIFIED_NUMBERS = ("800-656-4673", "988", "0808 500 2222", "116 123", "1800 737 732", "0458 737 732", "13 11 14")
VERIFIED_LINKS = ("findahelpline.com",)
FACTS = ROOT.parent / "shared" / "research" / "facts.md"  # the project's research notes, beside the repository

# A phone number: groups of digits joined by spaces or hyphens, three digits or more, not part of a word
# (so not "24/7", "16 and over" or the "1800" of "1800RESPECT").
PHONE_NUMBER = re.compile(r"(?<![\w/])\d+(?:[ -]\d+)*(?![\w/])")
LINK = re.compile(r"\b[a-z0-9.-]+\.(?:com|org|net|uk|au|ie)\b", re.IGNORECASE)


def help_text() -> str:
    return (ROOT / HELP_LIST).read_text(encoding="utf-8")


def phone_numbers(text: str) -> list[str]:
    return [number for number in PHONE_NUMBER.findall(text) if sum(c.isdigit() for c in number) >= 3]


def section(text: str, heading_word: str) -> str:
    """The `## ...` section whose heading holds `heading_word`, up to the next heading."""
    match = re.search(rf"^## [^\n]*{heading_word}[^\n]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"the help list has no section about {heading_word!r}"
    return match.group(1)


def test_every_number_and_link_in_the_help_list_is_verified():
    text = help_text()
    assert set(phone_numbers(text)) <= set(VERIFIED_NUMBERS), "a number that is not in the research notes"
    assert {link.lower() for link in LINK.findall(text)} <= set(VERIFIED_LINKS)


def test_every_service_in_the_help_list_is_verified():
    """Each entry names a service of the research notes, or is the emergency line."""
    entries = [line for line in help_text().splitlines() if line.startswith("- ")]
    assert entries
    for entry in entries:
        assert "emergency number" in entry or any(service in entry for service in VERIFIED_SERVICES), entry


@pytest.mark.skipif(not FACTS.is_file(), reason="the research notes are not beside this repository")
def test_the_verified_services_are_those_of_the_research_notes():
    facts = FACTS.read_text(encoding="utf-8")
    help_section = facts[facts.index("## Where to get help") :]
    for verified in VERIFIED_SERVICES + VERIFIED_NUMBERS + VERIFIED_LINKS:
        assert verified in help_section.split("\n## ")[0], verified


@pytest.mark.parametrize(
    ("heading_word", "lines"),
    [
        ("emergency", ["If you are in immediate danger, call your local emergency number."]),
        # lesson 03 tells people to call "a crisis line now": one for each country the list covers
        ("crisis line", ["988", "Samaritans, 116 123", "Lifeline, 13 11 14", "Find A Helpline"]),
        (
            "sexual violence",
            [
                "RAINN National Sexual Assault Hotline, 800-656-4673",
                "England and Wales: Rape Crisis",
                "0808 500 2222",
                "Scotland: Rape Crisis Scotland",
                "1800 737 732",
                "0458 737 732",
            ],
        ),
        ("Spanish", ["988", "Spanish option"]),
        ("therapists", ["AASECT", "COSRT"]),
    ],
)
def test_the_help_list_has_each_section_the_lessons_and_handout_need(heading_word, lines):
    found = section(help_text(), heading_word)
    for line in lines:
        assert line in found, f"{line!r} is not under the heading about {heading_word!r}"


def test_the_help_list_never_calls_a_therapist_directory_free():
    """Directories lead to therapists who usually charge: only the services the research notes call free
    are called free, and the directories are said not to be."""
    text = help_text()
    assert "services are free" not in text
    for line in text.splitlines():
        if re.search(r"\bfree\b", line) and "not free" not in line:
            assert "Find A Helpline" in line or "Samaritans" in line, line
    assert "not free services" in section(text, "therapists")


def test_the_handout_prints_the_whole_help_list_on_one_page(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the kit in use is this one
    figure = export.help_page()
    renderer = FigureCanvasAgg(figure).get_renderer()
    page = figure.bbox
    for text in figure.texts:
        box = text.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, "off the page"

    path = tmp_path / "handout.pdf"
    export.write_handout([], path)
    printed = " ".join(PdfReader(path).pages[0].extract_text().split())
    for line in ("call your local emergency number", "Rape Crisis Scotland", "not free services", *VERIFIED_NUMBERS):
        assert line in printed
