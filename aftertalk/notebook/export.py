"""Handouts and data exports of a room: only what was revealed, never anything else."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from aftertalk.notebook import charts
from aftertalk.paths import HELP_LIST, current_kit


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
        write_handout(revealed_results(room), path)
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


def write_handout(results: list[pd.DataFrame], path: Path) -> None:
    """One page per revealed chart (title, n and notes on the page), then a page of where to get help."""
    with PdfPages(path) as pdf:
        for frame in results:
            pdf.savefig(charts.room_chart(frame))
        pdf.savefig(help_page())


def help_page() -> Figure:
    text = (current_kit() / HELP_LIST).read_text(encoding="utf-8")
    figure = Figure(figsize=(8.27, 11.69), facecolor="white")  # A4 portrait
    lines = []
    for paragraph in text.strip().split("\n"):
        lines += textwrap.wrap(paragraph.lstrip("#- ").strip(), 80) or [""]
    figure.text(0.08, 0.95, "\n".join(lines), fontsize=11, va="top", ha="left", family="sans-serif", linespacing=1.5)
    return figure
