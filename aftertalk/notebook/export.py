"""Handouts and data exports of a room: only what was revealed, never anything else."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from aftertalk.i18n import translator
from aftertalk.kit.help_list import PHONE_NUMBER, read_help_list
from aftertalk.kit.reference import load_citations
from aftertalk.notebook import charts

A4_PORTRAIT = (8.27, 11.69)  # inches
PAGE_TOP, PAGE_BOTTOM = 0.95, 0.05  # of the page's height
PAGE_FONT_SIZE = 11  # points, unless the text needs a smaller one to fit
PAGE_LINE_SPACING = 1.45
NO_BREAK_SPACE = "\N{NO-BREAK SPACE}"  # textwrap never breaks a line there
PAGE_WRAP = 86  # characters per line at PAGE_FONT_SIZE across the page's 84% width


def revealed_results(room) -> list[pd.DataFrame]:
    """The results of every revealed poll in the room, in the order they were asked."""
    return [room.results(q["id"]) for q in room.status()["questions"] if q["state"] == "revealed"]


def export(room, path) -> Path:
    """Write a handout (.pdf) or the revealed aggregates (.csv) to `path`."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"The folder {path.parent} does not exist. Create it first, or choose another place to save the export."
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        write_handout(revealed_results(room), path, language=room.language)
    elif suffix == ".csv":
        write_csv(revealed_results(room), path)
    else:
        raise ValueError(
            f"Cannot export to '{path.name}': choose a name ending in .pdf (a handout) or .csv (the revealed results)."
        )
    return path


def write_csv(results: list[pd.DataFrame], path: Path) -> None:
    """One row per option of every revealed poll; hidden cells keep their range text, no count. A poll
    the server withheld as a whole is one row that says so, with its reason code (privacy.py) in
    `withheld` and no count, so it does not silently drop out of the table."""
    rows = []
    for frame in results:
        question = {"question_id": frame.attrs["question_id"], "question": frame.attrs["text"], "n": frame.attrs["n"]}
        if frame.attrs.get("withheld"):
            rows.append(
                {
                    **question,
                    "option": "",
                    "label": "",
                    "count": None,
                    "share": None,
                    "shown_as": "withheld",
                    "withheld": frame.attrs["withheld"],
                }
            )
            continue
        for record in frame.to_dict("records"):
            hidden = bool(record.get("hidden", False))
            rows.append(
                {
                    **question,
                    "option": record["option"],
                    "label": record["label"],
                    "count": None if hidden else record["count"],
                    "share": None if hidden else record["share"],
                    "shown_as": record.get("shown_as", ""),
                    "withheld": "",
                }
            )
    columns = ["question_id", "question", "n", "option", "label", "count", "share", "shown_as", "withheld"]
    table = pd.DataFrame(rows, columns=columns)
    table["count"] = table["count"].astype("Int64")  # whole numbers, blank where hidden
    table.to_csv(path, index=False)


def write_handout(results: list[pd.DataFrame], path: Path, language: str = "en") -> None:
    """One page per revealed chart (title, n and notes on the page), a page of where to get help, then the
    references: the help list and the headings in the room's `language` (the charts carry their own)."""
    with PdfPages(path) as pdf:
        for frame in results:
            pdf.savefig(charts.room_chart(frame))
        pdf.savefig(help_page(language))
        references = references_page(language)
        if references is not None:
            pdf.savefig(references)


def help_page(language: str = "en") -> Figure:
    """The help list on one A4 page: its translation into `language` when the kit has one."""
    return _page_of_text(_markdown_lines(read_help_list(language)[1]))


def references_page(language: str = "en") -> Figure | None:
    """Every study the lessons cite, in full (data/reference/citations.csv), on one A4 page; None when the
    kit has no citations. Each is written as lesson 05's references slides write it (`Citation.text`)."""
    citations = load_citations()
    if not citations:
        return None
    lines = [translator(language)("References"), ""]
    for citation in citations:
        # A DOI or a page range is never split at its hyphen, so the printed text holds each one whole.
        lines += textwrap.wrap(citation.text(), PAGE_WRAP, break_on_hyphens=False, break_long_words=False) + [""]
    return _page_of_text(lines)


def _markdown_lines(text: str) -> list[str]:
    """A short Markdown file (the help list) as lines of a printed page: headings and paragraphs as text,
    bullets as "• ", a paragraph's lines joined before wrapping so that no line breaks early, and no phone
    number broken across two lines."""
    blocks: list[str] = []
    joinable = False  # whether the next line of text continues the block above
    for line in text.strip().splitlines():
        stripped = line.strip()
        if not stripped:
            blocks.append("")
            joinable = False
        elif joinable and not stripped.startswith(("#", "- ")):
            blocks[-1] += " " + stripped
        else:
            blocks.append(stripped)
            joinable = not stripped.startswith("#")
    lines = []
    for block in blocks:
        block = PHONE_NUMBER.sub(lambda number: number.group().replace(" ", NO_BREAK_SPACE), block)
        if block.startswith("- "):
            lines += textwrap.wrap(block[2:], PAGE_WRAP - 2, initial_indent="• ", subsequent_indent="   ")
        else:
            lines += textwrap.wrap(block.lstrip("#").strip(), PAGE_WRAP) or [""]
    return lines


def _page_of_text(lines: list[str]) -> Figure:
    """`lines` on an A4 page, in a smaller type if that is what it takes for all of them to fit."""
    figure = Figure(figsize=A4_PORTRAIT, facecolor="white")
    text = figure.text(
        0.08,
        PAGE_TOP,
        "\n".join(lines),
        fontsize=PAGE_FONT_SIZE,
        va="top",
        ha="left",
        family="sans-serif",
        linespacing=PAGE_LINE_SPACING,
    )
    height = text.get_window_extent(FigureCanvasAgg(figure).get_renderer()).height / figure.bbox.height
    if height > PAGE_TOP - PAGE_BOTTOM:  # a long list (local services added): smaller type, never off the page
        text.set_fontsize(PAGE_FONT_SIZE * (PAGE_TOP - PAGE_BOTTOM) / height)
    return figure
