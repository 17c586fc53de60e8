"""Drive the projector view as a facilitator does, in real Chromium, and measure every slide.

JupyterLab is started by `python -m aftertalk workshop` (what `make workshop` runs), in a rehearsal room
with simulated phones. A lesson is opened, run with Run > Run All Cells, and presented with the
notebook toolbar's slideshow button from its title; PageDown (what a clicker sends) moves on.
tests/test_projector.py asserts on what this measures; scripts/slides writes the screenshots.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from kit_copies import copy_kit
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from workshop_process import URL, Workshop

from aftertalk.kit.lint import PROJECTED_SLIDE_TYPES as PROJECTED
from aftertalk.notebook import charts
from aftertalk.notebook.client import OVERVIEW_CLASS
from aftertalk.notebook.panel import CHART_CLASS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIZES = {"1280x720": (1280, 720), "1024x768": (1024, 768)}
RUN_SECONDS = 240
SLIDE_CHANGE_SECONDS = 3
COUNT_SECONDS = 30
MAX_SLIDES = 80
MIN_FONT_PX = 28  # body text readable from the back of a room (issue 16)
# Text inside a chart's picture: its smallest as drawn on the slide. A chart is a panel's picture marked
# CHART_CLASS (with its smallest text in points) or a chart returned to a cell (taken at SMALLEST_TEXT_SIZE,
# the floor); charts are FIGURE_WIDTH inches wide at SCREEN_DPI, so the ratio of its size on screen to its
# own gives the size of its text. A live count is not a chart (its text is far larger), and the summary's
# grid of every chart is a look back, small by design: neither is measured.
CHART_PIXELS = round(charts.FIGURE_WIDTH * charts.SCREEN_DPI)
MIN_CHART_TEXT_PX = 18  # two-thirds of body text: 16 pt labels were 15 px when charts were drawn for 1920 px
# The lesson's notebook: the one showing (a closed lesson's cells may linger in the page).
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

# What is on screen, measured in the page: the cells shown, the smallest visible text, what spills out.
MEASURE = (
    r"""() => {
  const W = window.innerWidth, H = window.innerHeight;
  const cells = Array.from(document.querySelectorAll("PANEL .jp-Notebook .jp-Cell"));
  const shown = [];
  cells.forEach((cell, index) => { if (cell.classList.contains('jp-deck-mod-onscreen')) shown.push([cell, index]); });
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && el.checkVisibility({visibilityProperty: true});
  };
  const outside = (box) => box.right > W + 1 || box.bottom > H + 1 || box.left < -1 || box.top < -1;
  let smallest = null; const overflow = [], text = [];
  let code = false, pictures = 0; const chartTexts = [];
  for (const [cell] of shown) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const words = walker.currentNode.textContent.trim();
      const element = walker.currentNode.parentElement;
      if (!words || !visible(element)) continue;
      const size = parseFloat(getComputedStyle(element).fontSize);
      smallest = smallest === null ? size : Math.min(smallest, size);
      text.push(words);
      if (outside(element.getBoundingClientRect())) overflow.push(words.slice(0, 60));
    }
    for (const picture of cell.querySelectorAll('img, svg, canvas')) {
      if (visible(picture)) pictures += 1;
      if (visible(picture) && outside(picture.getBoundingClientRect())) overflow.push('a picture: ' + picture.tagName);
      const isChart = picture.matches('img.CHART_CLASS, .jp-RenderedImage img') && !picture.closest('.OVERVIEW');
      if (visible(picture) && isChart && Math.abs(picture.naturalWidth - CHART_PIXELS) <= 1) {
        // object-fit: contain scales the picture to fit its box both ways: the smaller ratio is the one drawn
        const box = picture.getBoundingClientRect();
        const scale = Math.min(box.width / picture.naturalWidth, box.height / picture.naturalHeight);
        // the panel marks its charts with their smallest text in points; a cell's own picture, the floor
        const marked = Array.from(picture.classList).map((name) => name.match(/^CHART_CLASS-(\d+)pt$/)).find(Boolean);
        chartTexts.push(scale * (marked ? Number(marked[1]) : SMALLEST_PT) * SCREEN_DPI / 72);
      }
    }
    for (const input of cell.querySelectorAll('.jp-CodeCell .jp-Cell-inputWrapper')) {
      if (visible(input)) code = true;
    }
  }
  const notebook = document.querySelector("PANEL.jp-Deck .jp-Notebook");
  if (notebook && notebook.scrollHeight > notebook.clientHeight + 1) overflow.push('the slide scrolls');
  const active = cells.findIndex((cell) => cell.classList.contains('jp-mod-active'));
  const chartText = chartTexts.length ? Math.min(...chartTexts) : null;
  return {cells: shown.map(([, index]) => index), smallest, overflow, text: text.join(' '), code, active, chartText, pictures};
}""".replace("PANEL", PANEL)
    .replace("CHART_PIXELS", str(CHART_PIXELS))
    .replace("OVERVIEW", OVERVIEW_CLASS)
    .replace("CHART_CLASS", CHART_CLASS)
    .replace("SMALLEST_PT", str(charts.SMALLEST_TEXT_SIZE))
    .replace("SCREEN_DPI", str(charts.SCREEN_DPI))
)
# The notebook's active cell, which the slideshow moves: all that moving on needs to watch.
ACTIVE = f"""() => Array.from(document.querySelectorAll("{PANEL} .jp-Notebook .jp-Cell"))
  .findIndex((cell) => cell.classList.contains('jp-mod-active'))"""
BUSY = ".jp-Notebook-ExecutionIndicator[data-status='busy']"
IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"


@dataclass
class Slide:
    number: int
    cells: list[int]
    smallest_font: float | None
    overflow: list[str]
    text: str
    code_visible: bool
    active: int
    chart_text: float | None = None  # px: the smallest text inside a chart on this slide
    pictures: int = 0  # visible pictures (charts, the summary's overview, a QR code)
    poll: str | None = None  # what the poll on this slide did: None, or "opened, N answers, revealed"
    screenshots: list[Path] = field(default_factory=list)

    def problems(self, types: list[str | None]) -> list[str]:
        """What is wrong with this slide for the room, given the lesson's slide types; [] when nothing."""
        found = [f"cell {cell} is a {types[cell]!r} cell" for cell in self.cells if types[cell] not in PROJECTED]
        if not self.cells:
            found.append("nothing on screen")
        elif self.smallest_font is None and not self.pictures:
            found.append("no text or picture shows (did the lesson run?)")
        if "Facilitator" in self.text:
            found.append("facilitator text shows")
        if self.code_visible:
            found.append("code shows")
        if self.smallest_font is not None and self.smallest_font < MIN_FONT_PX:
            found.append(f"text of {self.smallest_font:g} px")
        if self.chart_text is not None and self.chart_text < MIN_CHART_TEXT_PX:
            found.append(f"chart text of {self.chart_text:.0f} px")
        return found + [f"off the screen: {item}" for item in self.overflow]


def slide_types(notebook: Path) -> list[str | None]:
    """Each cell's metadata.slideshow.slide_type, in order (None where a cell has none)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [cell.get("metadata", {}).get("slideshow", {}).get("slide_type") for cell in cells]


class Presenter:
    """One JupyterLab (started as `make workshop` does) and one Chromium page on it."""

    def __init__(self, playwright, home: Path, kit: Path, *, size: str = "1280x720"):
        # A copy: JupyterLab saves the notebooks it runs, outputs and all, and the kit must stay clean.
        self.kit = copy_kit(home / "kit", source=kit)
        self.workshop = Workshop(
            home,
            "--kit",
            str(self.kit),
            "--port",
            "0",
            # Simulated phones answering at once; polls wait for their buttons, as in a real room (the
            # suite's own AFTERTALK_HEADLESS=1 would play them through during Run All).
            env={"AFTERTALK_REHEARSAL": "1", "AFTERTALK_REHEARSAL_PACE": "0", "AFTERTALK_HEADLESS": "0"},
        )
        match = self.workshop.wait_for(URL)
        self.base, self.token = f"http://127.0.0.1:{match[1]}", match[0].split("token=")[1]
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        width, height = SIZES[size]
        self.context = self.browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()

    def close(self) -> None:
        self.browser.close()
        if self.workshop.process.poll() is None:
            self.workshop.ctrl_c()
        self.workshop.kill()

    def open(self, lesson: str) -> None:
        """The lesson alone in a fresh page (`reset`: not the tabs of the lesson before)."""
        self.page.close()
        self.page = self.context.new_page()
        self.page.goto(f"{self.base}/lab/tree/{lesson}.ipynb?reset&token={self.token}")
        self.page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=90_000)
        self.page.wait_for_selector(IDLE, timeout=90_000)
        self.accept_kernel()

    def accept_kernel(self) -> None:
        """JupyterLab sometimes asks which kernel to use while the lesson's own kernel starts: the
        lesson's (Python 3) is already chosen, so a facilitator clicks Select, and so do we."""
        time.sleep(1)
        dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
        if dialog.count():
            dialog.get_by_role("button", name="Select").click()
            dialog.wait_for(state="detached")

    def run_all(self) -> None:
        """Run > Run All Cells, as the facilitator does before presenting."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        # The toolbar's execution indicator is busy until the last queued cell has run; it may flick to
        # idle between two cells, so idle counts only once it lasts.
        try:
            self.page.wait_for_selector(BUSY, timeout=10_000)
        except PlaywrightTimeout:
            pass  # so quick that it was over before we looked
        deadline = time.monotonic() + RUN_SECONDS
        settled = 0
        while settled < 4:
            if time.monotonic() > deadline:
                raise AssertionError(f"the lesson was still running after {RUN_SECONDS} s")
            settled = settled + 1 if self.page.locator(IDLE).count() else 0
            time.sleep(0.5)

    def save(self) -> None:
        """Ctrl+S, as the facilitator does before opening the projector's window: a second window loads
        the lesson from disk, and the poll panels come with its saved outputs."""
        self.page.locator(f"{PANEL} .jp-Notebook").first.press("Control+s")
        self.page.wait_for_selector(".jp-mod-current.jp-mod-dirty", state="detached", timeout=30_000)

    def open_projector_window(self):
        """What the facilitator does for a second screen: a new window at the laptop's address with
        /lab/ changed to /doc/ (the lesson alone, without JupyterLab's side panels), dragged to the
        projector. Returns its page."""
        page = self.context.new_page()
        page.goto(self.page.url.replace("/lab/", "/doc/", 1))
        page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_selector(IDLE, timeout=90_000)
        return page

    def start(self) -> None:
        """Click the lesson's title, then the toolbar's slideshow button."""
        self.accept_kernel()
        # Run All left the notebook at its end.
        panel = self.page.locator(PANEL)
        panel.locator(".jp-WindowedPanel-outer").evaluate("outer => { outer.scrollTop = 0; }")
        panel.locator(".jp-Notebook .jp-Cell").first.click()
        panel.locator(".jp-NotebookPanel-toolbar [data-jp-item-name='deck'] jp-button").click()
        self.page.wait_for_selector("body[data-jp-deck-mode='presenting']", state="attached", timeout=30_000)
        time.sleep(0.5)  # the deck fades slides in

    def measure(self, number: int) -> Slide:
        found = self.page.evaluate(MEASURE)
        return Slide(
            number,
            found["cells"],
            found["smallest"],
            found["overflow"],
            found["text"],
            found["code"],
            found["active"],
            found["chartText"],
            pictures=found["pictures"],
        )

    def next(self) -> bool:
        """PageDown, as a clicker sends; False when the last slide is already showing."""
        before = self.page.evaluate(ACTIVE)
        self.page.keyboard.press("PageDown")
        deadline = time.monotonic() + SLIDE_CHANGE_SECONDS
        while time.monotonic() < deadline:
            if self.page.evaluate(ACTIVE) != before:
                time.sleep(0.3)  # the fade-in
                return True
            time.sleep(0.1)
        return False

    def play_poll(self, slide: Slide, shots: Path | None) -> None:
        """On a poll slide: Open, wait for answers, Close and reveal, wait for the chart."""
        cell = self.page.locator(f"{PANEL} .jp-deck-mod-onscreen")
        open_button = cell.locator(".widget-button", has_text="Open poll")
        if open_button.count() == 0 or open_button.is_disabled():
            return
        open_button.click()
        cell.get_by_text("The poll is open").wait_for(timeout=30_000)
        self.wait_until_the_count_settles(cell)
        if shots:
            slide.screenshots.append(self.shot(shots, f"{slide.number:02d}-open"))
        cell.locator(".widget-button", has_text="Close and reveal").click()
        # A one-word check-in only closes: its "Reveal the words" button comes with the server's answer.
        chart = cell.locator("summary", has_text="Text version of this chart")
        words = cell.locator(".widget-button", has_text="Reveal the words")
        chart.or_(words).first.wait_for(state="attached", timeout=30_000)
        if words.count():
            words.click()
        chart.wait_for(state="attached", timeout=30_000)
        slide.poll = "revealed"

    def wait_until_the_count_settles(self, cell) -> None:
        """As a facilitator does: wait until the live count stops rising (its picture is redrawn only
        when the count changes), so that the chart is drawn from the whole simulated room."""
        count = cell.locator(".widget-image").first
        last, steady, deadline = None, 0, time.monotonic() + COUNT_SECONDS
        while steady < 3 and time.monotonic() < deadline:
            time.sleep(0.7)
            picture = count.get_attribute("src")
            steady = steady + 1 if picture == last else 0
            last = picture

    def shot(self, folder: Path, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def present(self, lesson: str, *, shots: Path | None = None) -> list[Slide]:
        """Run `lesson`, present it from its title to its last slide, playing every poll on the way."""
        self.open(lesson)
        self.run_all()
        self.start()
        slides = []
        for number in range(1, MAX_SLIDES + 1):
            slide = self.measure(number)
            if shots:
                slide.screenshots.append(self.shot(shots, f"{number:02d}"))
            self.play_poll(slide, shots)
            if slide.poll:
                revealed = self.measure(number)
                slide.smallest_font = min(filter(None, [slide.smallest_font, revealed.smallest_font]), default=None)
                slide.chart_text = min(filter(None, [slide.chart_text, revealed.chart_text]), default=None)
                slide.overflow += [f"after the reveal: {item}" for item in revealed.overflow]
                slide.text += " " + revealed.text
                if shots:
                    slide.screenshots.append(self.shot(shots, f"{number:02d}-revealed"))
            slides.append(slide)
            if not self.next():
                break
        self.page.keyboard.press("Escape")
        return slides
