"""Published figures from data/reference/*.csv, with their citations, for "room vs research" charts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = ("id", "study", "year", "sample", "n", "measure", "figure", "doi_or_url")


def default_reference_folder() -> Path:
    """The reference figures of the kit in use (`kits.find_kit`)."""
    from aftertalk.paths import current_kit

    return current_kit() / "data" / "reference"


def load_reference(folder=None) -> pd.DataFrame:
    """Every reference row, indexed by id. Raises ValueError naming the file if a column is missing."""
    folder = Path(folder) if folder else default_reference_folder()
    frames = []
    for path in sorted(folder.glob("*.csv")):
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
    """The rows for `ids`, as dicts for `charts.room_vs_research`, in the order given."""
    table = load_reference(folder)
    unknown = [ref for ref in ids if ref not in table.index]
    if unknown:
        raise KeyError(
            f"Unknown reference id(s): {', '.join(unknown)}. Known ids in data/reference: {', '.join(table.index)}."
        )
    return [dict(table.loc[ref].to_dict(), id=ref) for ref in ids]
