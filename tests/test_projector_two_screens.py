"""Two screens: the laptop keeps the notebook and its notes, a second window presents on the projector.

Its own module: test_projector.py keeps one Chromium open for its whole module, and Playwright's sync API
runs one at a time.
"""

from __future__ import annotations

import pytest
from kit_copies import ROOT
from playwright.sync_api import sync_playwright
from projector import PANEL, Presenter, slide_types

pytestmark = pytest.mark.slow


def test_with_two_screens_the_laptop_keeps_the_notes_and_drives_the_projectors_window(tmp_path):
    """The facilitator's laptop shows the notebook, notes and all; a second window of the same lesson (its
    address with /doc/ for /lab/, after a save), dragged to the projector, presents the slides. A poll
    opened and revealed from the laptop shows its count, then its chart, on the projector."""
    lesson = "00_start_here"
    with sync_playwright() as playwright:
        presenter = Presenter(playwright, tmp_path / "home", ROOT)
        try:
            presenter.open(lesson)
            presenter.run_all()
            presenter.save()
            laptop = presenter.page
            presenter.page = projector = presenter.open_projector_window()
            presenter.start()
            types = slide_types(ROOT / "notebooks" / f"{lesson}.ipynb")
            on_screen = projector.locator(".jp-deck-mod-onscreen")
            number = 1
            while not on_screen.locator(".widget-button", has_text="Open poll").count():
                assert not presenter.measure(number).problems(types)
                assert presenter.next(), "no poll slide in the projector's window"
                number += 1
            pictures = on_screen.locator("img")

            heights = "images => images.map(image => image.naturalHeight)"

            laptop.locator(".widget-button", has_text="Open poll").click()
            on_screen.get_by_text("The poll is open").wait_for(timeout=30_000)
            projector.wait_for_function(  # the live count: a strip of "N answers", not yet a chart
                "images => images.some(image => image.naturalHeight > 100 && image.naturalHeight < 400)",
                arg=pictures.element_handles(),
                timeout=30_000,
            )
            laptop.locator(".widget-button", has_text="Close and reveal").click()
            on_screen.locator("summary", has_text="Text version of this chart").wait_for(timeout=30_000)
            assert max(pictures.evaluate_all(heights)) >= 600  # the chart
            assert not presenter.measure(number).problems(types)

            # The laptop is not presenting: the facilitator's notes are there to read.
            assert laptop.locator("body[data-jp-deck-mode='presenting']").count() == 0
            laptop.locator(f"{PANEL} .jp-WindowedPanel-outer").evaluate("outer => { outer.scrollTop = 0; }")
            assert laptop.get_by_role("heading", name="Purpose").first.is_visible()
        finally:
            presenter.close()
