"""Published figures from data/reference/*.csv, with their citations, for "room vs research" charts; and
the full citations of every study the lessons cite (data/reference/citations.csv), which lesson 05's
references slides and the handout print."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

COLUMNS = ("id", "study", "year", "sample", "n", "measure", "figure", "doi_or_url")
# The columns a room reads, which a reference file may give in another language as well: sample_es, measure_es.
TRANSLATED_COLUMNS = ("sample", "measure")
TRANSLATION_COLUMN = re.compile(r"(?P<column>sample|measure)_(?P<language>[a-z]{2,3})")

#: The bibliography, beside the figures (and not one of them): one row per study the lessons cite.
CITATIONS_FILE = "citations.csv"
CITATION_COLUMNS = ("id", "authors", "year", "title", "journal", "volume", "issue", "pages", "doi")
# Every citation names these; `issue` is left empty where a journal has none, and `doi` where none is confirmed.
REQUIRED_CITATION_FIELDS = ("id", "authors", "year", "title", "journal", "volume", "pages")
DOI = re.compile(r"10\.\d{4,9}/\S+")  # the DOI itself, without https://doi.org/ or doi:


def default_reference_folder() -> Path:
    """The reference figures of the kit in use (`kits.find_kit`)."""
    from aftertalk.paths import current_kit

    return current_kit() / "data" / "reference"


def figure_files(folder: Path) -> list[Path]:
    """The files of published figures in `folder`: every CSV but the citations."""
    return [path for path in sorted(folder.glob("*.csv")) if path.name != CITATIONS_FILE]


def load_reference(folder=None) -> pd.DataFrame:
    """Every reference row, indexed by id. Raises ValueError naming the file if a column is missing."""
    folder = Path(folder) if folder else default_reference_folder()
    frames = []
    for path in figure_files(folder):
        frame = pd.read_csv(path, dtype={"id": str})
        missing = [column for column in COLUMNS if column not in frame.columns]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)}; "
                f"a reference file has the columns {', '.join(COLUMNS)}."
            )
        frames.append(frame)
    if not frames:
        raise ValueError(f"No reference figures found in {folder} (expected *.csv files).")
    return pd.concat(frames).set_index("id")


def reference_rows(ids, folder=None) -> list[dict]:
    """The rows for `ids`, as dicts for `charts.room_vs_research`, in the order given. A row holds its
    translations too (`sample_es`, `measure_es`), which a chart in that language reads instead."""
    table = load_reference(folder)
    unknown = [ref for ref in ids if ref not in table.index]
    if unknown:
        raise KeyError(
            f"Unknown reference id(s): {', '.join(unknown)}. Known ids in data/reference: {', '.join(table.index)}."
        )
    return [dict(table.loc[ref].to_dict(), id=ref) for ref in ids]


@dataclass(frozen=True)
class Citation:
    """One study's full citation, as data/reference/citations.csv gives it."""

    id: str
    authors: str
    year: str
    title: str
    journal: str
    volume: str
    issue: str
    pages: str
    doi: str

    def text(self) -> str:
        """The one way a citation is written, on the references slides and in the handout:
        "Bird, Schweitzer & Strassberg (2011). Title. Journal 23(1): 14-25. doi:10.1080/..."."""
        title = self.title if self.title.endswith(("?", "!", ".")) else f"{self.title}."
        issue = f"({self.issue})" if self.issue else ""
        doi = f" doi:{self.doi}" if self.doi else ""
        return f"{self.authors} ({self.year}). {title} {self.journal} {self.volume}{issue}: {self.pages}.{doi}"


def load_citations(folder=None) -> list[Citation]:
    """Every citation, in the file's order (an empty list when the kit has no citations file).

    The file is read as it is: `aftertalk check` reports a malformed one line by line.
    """
    folder = Path(folder) if folder else default_reference_folder()
    path = folder / CITATIONS_FILE
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Citation(**{column: (row.get(column) or "").strip() for column in CITATION_COLUMNS})
            for row in csv.DictReader(handle)
        ]
