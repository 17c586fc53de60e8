"""Which kit a command or a notebook works on: the one the educator stands in, else the installed one.

A kit is a folder holding `data/questions/` and `notebooks/` (and `data/reference/`). An educator who
copies the kit to adapt it works inside the copy, so `aftertalk check`, `new-lesson`, `workshop` and the
lessons' `load_questions()` all read the copy: the kit in the current folder or one above it.
"""
from __future__ import annotations

from pathlib import Path

INSTALLED_KIT = Path(__file__).resolve().parent.parent


def is_kit(folder: Path) -> bool:
    return (folder / "data" / "questions").is_dir() and (folder / "notebooks").is_dir()


def find_kit(given=None) -> tuple[Path, str]:
    """The kit to work on, and how it was chosen (for a command's first line)."""
    if given is not None:
        return Path(given), "as given"
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if is_kit(folder):
            return folder, "the current folder" if folder == here else "a folder above this one"
    return INSTALLED_KIT, "the kit Aftertalk is installed from; no kit in the current folder"


def current_kit() -> Path:
    return find_kit()[0]
