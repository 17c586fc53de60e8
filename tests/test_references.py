"""The references: every study the lessons cite has its full citation in data/reference/citations.csv, and
lesson 05's references slides and the handout print exactly those citations, written one way
(`Citation.text`), so the two can never disagree with the file or with each other.
"""

from __future__ import annotations

import json
import re

import pytest
from kit_copies import ROOT
from pypdf import PdfReader

from aftertalk.kit.reference import load_citations
from aftertalk.notebook import export

FACTS = ROOT.parent / "shared" / "research" / "facts.md"  # the project's research notes, beside the repository
CLOSING = ROOT / "notebooks" / "05_closing.ipynb"
NAME = r"[A-Z][a-zA-Z'’-]+"
# How the lessons cite a study: "Bird et al. 2011", "Muise, Giang & Impett (2014)", "Brody & Kruger 2006",
# "Meltzer (2017)"; the first author's surname and the year.
CITED = re.compile(
    rf"\b({NAME})(?:\s+et\s+al\.,?|(?:,\s+{NAME})*,?\s+(?:&|and)\s+{NAME},?)\s+\(?((?:19|20)\d\d)\b"
    rf"|\b({NAME})\s+\(((?:19|20)\d\d)\)"
)


def citations():
    return load_citations(ROOT / "data" / "reference")


def lesson_texts() -> list[str]:
    """Everything the lessons say: every cell of every notebook, and the question files (their notes)."""
    texts = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        texts += ["".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    texts += [path.read_text(encoding="utf-8") for path in sorted((ROOT / "data" / "questions").glob("*.yaml"))]
    return texts


def references_slides() -> list[dict]:
    cells = json.loads(CLOSING.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if "".join(cell["source"]).startswith("### References")]


def test_the_citations_are_the_studies_the_lessons_cite():
    """Each study cited anywhere in the lessons (first author and year) has its full citation, and each
    citation is of a study the lessons cite: the references slides list what the room heard about."""
    cited = {(m[1] or m[3], m[2] or m[4]) for text in lesson_texts() for m in CITED.finditer(text)}
    assert len(cited) >= 8, f"the lessons' citations were not found: {cited}"
    listed = {(citation.authors.split(",")[0].split()[0], citation.year) for citation in citations()}
    assert not cited - listed, f"cited in a lesson, with no full citation in citations.csv: {sorted(cited - listed)}"
    assert not listed - cited, f"in citations.csv, but no lesson cites it: {sorted(listed - cited)}"


def test_every_citation_is_full_and_only_an_unconfirmed_doi_is_left_out():
    for citation in citations():
        for field in ("authors", "year", "title", "journal", "volume", "pages"):
            assert getattr(citation, field), f"{citation.id} has no {field}"
    # The research notes give Meltzer et al. (2017) without a DOI ("DOI unconfirmed"): it is printed without one.
    assert {citation.id for citation in citations() if not citation.doi} == {"meltzer2017"}


@pytest.mark.skipif(not FACTS.is_file(), reason="the research notes are not beside this repository")
def test_the_doi_left_out_is_the_one_the_research_notes_call_unconfirmed():
    facts = FACTS.read_text(encoding="utf-8")
    meltzer = next(line for line in facts.splitlines() if "Meltzer et al. (2017)" in line)
    assert "DOI unconfirmed" in meltzer


def test_lesson_05s_references_slides_print_every_citation_as_the_file_gives_it():
    slides = references_slides()
    assert slides, "lesson 05 has no references slides"
    for cell in slides:
        assert cell["cell_type"] == "markdown" and cell["metadata"]["slideshow"]["slide_type"] == "slide"
        assert len(re.findall(r"^- ", "".join(cell["source"]), re.MULTILINE)) <= 4, "a slide of more than four"
    shown = [item for cell in slides for item in re.findall(r"^- (.+)$", "".join(cell["source"]), re.MULTILINE)]
    assert shown == [citation.text() for citation in citations()]
    for citation in citations():
        if citation.doi:
            assert any(citation.doi in item for item in shown), citation.id


def test_the_references_come_before_the_end_of_the_room():
    cells = json.loads(CLOSING.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    last_reference = max(i for i, source in enumerate(sources) if source.startswith("### References"))
    assert last_reference < sources.index('room.end_panel("handout.pdf")')


@pytest.mark.parametrize(("language", "heading"), [("en", "References"), ("es", "Referencias")])
def test_the_handout_prints_every_citation_with_its_doi(tmp_path, monkeypatch, language, heading):
    monkeypatch.chdir(ROOT)  # the kit in use is this one
    path = tmp_path / "handout.pdf"
    export.write_handout([], path, language=language)
    pages = PdfReader(path).pages
    assert len(pages) == 2  # where to get help, then the references
    printed = " ".join(pages[1].extract_text().split())
    assert printed.startswith(heading)
    for citation in citations():
        assert citation.text() in printed, citation.id
        if citation.doi:
            assert f"doi:{citation.doi}" in printed
