"""The projector view, as the room sees it: every lesson presented in real Chromium, slide by slide.

JupyterLab starts as `make workshop` starts it; each lesson is run (Run All Cells) in a rehearsal room,
presented from its title with the notebook toolbar's slideshow button, and moved through with PageDown,
as a clicker does. On every slide: none of the facilitator's cells and no code, text of 28 px or more,
nothing off the screen or scrolling, at 1280x720 and at 1024x768. Every poll is opened on its slide,
counts the simulated phones' answers and reveals its chart. tests/projector.py does the driving.
"""

from __future__ import annotations

import json

import pytest
from kit_copies import ROOT
from playwright.sync_api import sync_playwright
from projector import SIZES, Presenter, slide_types

from aftertalk.kit.lint import PROJECTED_SLIDE_TYPES
from aftertalk.kit.lint import notebook_files as kit_notebooks

pytestmark = pytest.mark.slow

LESSONS = [path for path in kit_notebooks(ROOT) if "templates" not in path.parts]


@pytest.fixture(scope="module", params=sorted(SIZES))
def presented(request, tmp_path_factory):
    """Every lesson presented once at this screen size: {lesson name: its slides}."""
    with sync_playwright() as playwright:
        presenter = Presenter(playwright, tmp_path_factory.mktemp("home"), ROOT, size=request.param)
        try:
            yield {path.stem: presenter.present(path.stem) for path in LESSONS}
        finally:
            presenter.close()


def poll_cells(path) -> set[int]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return {
        number
        for number, cell in enumerate(cells)
        if cell["cell_type"] == "code" and ".poll(" in "".join(cell["source"])
    }


def test_there_are_lessons_to_present():
    assert len(LESSONS) >= 6


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_every_slide_is_for_the_room_and_fits_the_screen(presented, lesson):
    slides = presented[lesson.stem]
    types = slide_types(lesson)
    for slide in slides:
        # no notes or skip cell, no "Facilitator", no code, text >= 28 px, nothing off the screen
        assert not slide.problems(types), f"{lesson.stem}, slide {slide.number} (cells {slide.cells})"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_the_clicker_reaches_every_slide_and_every_poll_reveals(presented, lesson):
    """PageDown walks through every slide cell in order, also after a click on a poll's button took
    the keyboard focus; each poll opens, counts the simulated phones and shows its chart."""
    slides = presented[lesson.stem]
    types = slide_types(lesson)
    assert [slide.active for slide in slides] == [
        cell for cell, kind in enumerate(types) if kind in PROJECTED_SLIDE_TYPES
    ]
    for slide in slides:
        if poll_cells(lesson) & set(slide.cells):
            assert slide.poll == "revealed", f"{lesson.stem}, slide {slide.number}: the poll did not play"
