"""Copies of the kit to plant one fault in: for the tests of `aftertalk check` and of the kit's rules.

A copy holds data/ and notebooks/, in a temporary folder; the helpers change it the way an educator's
editor would, so that the line a check reports can be compared with the line the file really has.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_kit(destination: Path, source: Path = ROOT) -> Path:
    for name in ("data", "notebooks"):
        shutil.copytree(
            source / name,
            destination / name,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pdf"),
        )
    return destination


def line_of(path: Path, text: str) -> int:
    """The 1-based line of `path` where `text` first appears."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {path}")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should appear once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_notebook(path: Path, change) -> None:
    """Load, change and save a notebook the way Jupyter writes it (one key per line)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def code_cell(notebook: dict, containing: str) -> dict:
    return next(
        cell for cell in notebook["cells"] if cell["cell_type"] == "code" and containing in "".join(cell["source"])
    )
