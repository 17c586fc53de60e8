"""The shipped help list (data/where_to_get_help.md), its Spanish translation (where_to_get_help.es.md) and
the handout page that prints them: every service, number and link is one the research notes verified, or
one the kit checked at its source (data/where_to_get_help.sources.csv, with the page and the day), the
list holds what the lessons promise, and the Spanish list gives the same services, numbers and links.

The kit's rules for any help list (it exists, names the emergency number and a crisis line, links only to
help) live in `aftertalk check` and are planted in tests/test_lesson_consistency.py. What is tested here
is the shipped content, which a facilitator extends with local services.
"""

from __future__ import annotations

import csv
import json
import re

import pytest
from kit_copies import ROOT
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pypdf import PdfReader

from aftertalk.kit.help_list import HelpList, help_list_path, phone_numbers, web_addresses
from aftertalk.notebook import export

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

# What the research notes leave out (the Rape Crisis Scotland number, LGBTQ+ services), checked at the
# organisations' pages: each row names the service, its number or address, what the page says and where.
SOURCES = ROOT / "data" / "where_to_get_help.sources.csv"
with SOURCES.open(newline="", encoding="utf-8") as _file:
    CHECKED = list(csv.DictReader(_file))
CHECKED_SERVICES = tuple(row["service"] for row in CHECKED)
CHECKED_NUMBERS = tuple(row["contact"] for row in CHECKED if any(c.isdigit() for c in row["contact"]))
CHECKED_LINKS = tuple(row["contact"] for row in CHECKED if not any(c.isdigit() for c in row["contact"]))
# A service the list calls free: the research notes say so (Find A Helpline, Samaritans), or its own page does.


def names(text: str, service: str) -> bool:
    """Whether `text` names `service` as a whole word: "016" is a service, "2016" a year."""
    return re.search(rf"(?<!\w){re.escape(service)}(?!\w)", text) is not None


SAID_FREE = ("Find A Helpline", "Samaritans", "Rape Crisis Scotland", "Línea 024", "Línea de la Vida", "016")

LANGUAGES = ("en", "es")
# What says "the emergency line" and "free" in each list.
EMERGENCY = {"en": "emergency number", "es": "número de emergencias"}
FREE = {"en": r"\bfree\b", "es": r"\bgratuit[oa]s?\b|\bgratis\b"}
NOT_FREE = {"en": "not free services", "es": "no servicios gratuitos"}


def help_text(language: str = "en") -> str:
    return (ROOT / help_list_path(language)).read_text(encoding="utf-8")


def section(text: str, heading_word: str) -> str:
    """The `## ...` section whose heading holds `heading_word`, up to the next heading."""
    match = re.search(rf"^## [^\n]*{re.escape(heading_word)}[^\n]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"the help list has no section about {heading_word!r}"
    return match.group(1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_number_and_link_in_the_help_list_is_verified(language):
    text = help_text(language)
    assert set(phone_numbers(text)) <= set(VERIFIED_NUMBERS + CHECKED_NUMBERS), "a number nobody checked"
    assert set(web_addresses(text)) <= set(VERIFIED_LINKS + CHECKED_LINKS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_service_in_the_help_list_is_verified(language):
    """Each entry names a service of the research notes or of the checked sources, or is the emergency line."""
    entries = [line for line in help_text(language).splitlines() if line.startswith("- ")]
    assert entries
    for entry in entries:
        services = VERIFIED_SERVICES + CHECKED_SERVICES
        assert EMERGENCY[language] in entry or any(names(entry, service) for service in services), entry


def test_every_checked_service_names_its_source_and_day():
    """A number outside the research notes is one somebody read at its source, on a day a facilitator can
    check again from: the page, what it says, and the date."""
    assert CHECKED
    for row in CHECKED:
        assert row["source"].startswith("https://") and row["what the source says"], row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["checked"]), row
        assert names(help_text("en"), row["contact"]) and names(help_text("es"), row["contact"]), row["service"]


def test_the_spanish_help_list_gives_the_same_services_numbers_and_links_section_by_section():
    """A Spanish room is given the Spanish list instead: only the words change. Services keep their names."""
    english, spanish = (HelpList.parse(help_text(language)) for language in LANGUAGES)
    assert len(spanish.sections) == len(english.sections) == 6
    for theirs, mine in zip(english.sections, spanish.sections):
        assert sorted(phone_numbers(mine.body)) == sorted(phone_numbers(theirs.body)), mine.heading
        assert sorted(web_addresses(mine.body)) == sorted(web_addresses(theirs.body)), mine.heading
        services = VERIFIED_SERVICES + CHECKED_SERVICES
        assert [s for s in services if names(mine.body, s)] == [s for s in services if names(theirs.body, s)]
        assert mine.body.count("\n- ") == theirs.body.count("\n- "), mine.heading


def test_only_the_services_the_research_notes_say_answer_in_spanish_are_said_to():
    """facts.md gives a Spanish option for 988 only: no other line of the Spanish list promises Spanish."""
    for line in help_text("es").splitlines():
        if "español" in line and line.startswith("- "):
            assert "988" in line, line
    intro = help_text("es").split("\n## ")[0]
    assert "pueden atender solo en inglés" in intro


@pytest.mark.skipif(not FACTS.is_file(), reason="the research notes are not beside this repository")
def test_the_verified_services_are_those_of_the_research_notes():
    facts = FACTS.read_text(encoding="utf-8")
    help_section = facts[facts.index("## Where to get help") :]
    for verified in VERIFIED_SERVICES + VERIFIED_NUMBERS + VERIFIED_LINKS:
        assert verified in help_section.split("\n## ")[0], verified


@pytest.mark.parametrize(
    ("language", "heading_word", "lines"),
    [
        ("en", "emergency", ["If you are in immediate danger, call your local emergency number."]),
        # lesson 03 tells people to call "a crisis line now": one for each country the list covers
        (
            "en",
            "crisis line",
            ["988", "Samaritans, 116 123", "Lifeline, 13 11 14", "Find A Helpline", "Línea 024", "800 911 2000"],
        ),
        (
            "en",
            "sexual violence",
            [
                "RAINN National Sexual Assault Hotline, 800-656-4673",
                "England and Wales: Rape Crisis",
                "0808 500 2222",
                "Scotland: Rape Crisis Scotland helpline, 08088 01 03 02",
                "1800 737 732",
                "0458 737 732",
                "Spain: 016",
            ],
        ),
        ("en", "LGBTQ+", ["The Trevor Project", "under 25", "1-866-488-7386", "Switchboard LGBT+", "switchboard.lgbt"]),
        ("en", "Spanish", ["988", "Spanish option", "Línea 024", "Línea de la Vida"]),
        ("en", "therapists", ["AASECT", "COSRT", "doctor, nurse or counsellor you trust"]),
        ("es", "emergencia", ["Si estás en peligro inmediato, llama al número de emergencias de tu zona."]),
        (
            "es",
            "línea de crisis",
            ["988", "Samaritans, 116 123", "Lifeline, 13 11 14", "Find A Helpline", "Línea 024", "800 911 2000"],
        ),
        (
            "es",
            "violencia sexual",
            [
                "RAINN National Sexual Assault Hotline, 800-656-4673",
                "Inglaterra y Gales: la línea de apoyo de Rape Crisis",
                "0808 500 2222",
                "Escocia: la línea de ayuda de Rape Crisis Scotland, 08088 01 03 02",
                "1800 737 732",
                "0458 737 732",
                "España: 016",
            ],
        ),
        ("es", "LGBTQ+", ["The Trevor Project", "menores de 25", "1-866-488-7386", "Switchboard LGBT+"]),
        ("es", "En español", ["988", "opción en español", "Línea 024", "Línea de la Vida"]),
        ("es", "Terapeutas", ["AASECT", "COSRT", "medicina, enfermería u orientación psicológica"]),
    ],
)
def test_the_help_list_has_each_section_the_lessons_and_handout_need(language, heading_word, lines):
    found = section(help_text(language), heading_word)
    for line in lines:
        assert line in found, f"{line!r} is not under the heading about {heading_word!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_list_never_calls_a_therapist_directory_free(language):
    """Directories lead to therapists who usually charge: only the services the research notes call free
    are called free, and the directories are said not to be."""
    text = help_text(language)
    assert "services are free" not in text and "servicios son gratuitos" not in text
    for line in text.splitlines():
        if re.search(FREE[language], line) and NOT_FREE[language] not in line:
            assert any(names(line, service) for service in SAID_FREE), line
    assert NOT_FREE[language] in section(text, "therapists" if language == "en" else "Terapeutas")


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("en", ("Where to get help", "call your local emergency number", "Rape Crisis Scotland", "not free services")),
        ("es", ("Dónde encontrar ayuda", "llama al número de emergencias", "Rape Crisis Scotland", "no servicios")),
    ],
)
def test_the_handout_prints_the_whole_help_list_on_one_page(tmp_path, monkeypatch, language, lines):
    monkeypatch.chdir(ROOT)  # the kit in use is this one
    figure = export.help_page(language)
    renderer = FigureCanvasAgg(figure).get_renderer()
    page = figure.bbox
    for text in figure.texts:
        box = text.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, "off the page"

    path = tmp_path / "handout.pdf"
    export.write_handout([], path, language=language)
    printed = " ".join(PdfReader(path).pages[0].extract_text().split())
    for line in (*lines, *VERIFIED_NUMBERS, *CHECKED_NUMBERS, *CHECKED_LINKS):
        assert line in printed


def test_lesson_05_shows_every_section_of_the_help_list():
    """The help slides pick sections by words of their English headings (`room.help_list("crisis")`): a
    section no slide names (as the LGBTQ+ services were, when they were added) never reaches the room."""
    lesson = json.loads((ROOT / "notebooks" / "05_closing.ipynb").read_text(encoding="utf-8"))
    words = [
        word
        for cell in lesson["cells"]
        if cell["cell_type"] == "code"
        for call in re.findall(r"room\.help_list\(([^)]*)\)", "".join(cell["source"]))
        for word in re.findall(r"\"([^\"]+)\"", call)
    ]
    assert words
    for heading in (section.heading for section in HelpList.parse(help_text("en")).sections):
        assert any(word.lower() in heading.lower() for word in words), f"no help slide shows {heading!r}"
