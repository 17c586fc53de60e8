"""Where things live on disk: the kit in use, the laptop's data folder, and the server's handshake file.

Which kit a command or a notebook works on: the one the educator stands in, else the installed one.

A kit is a folder holding `data/questions/` and `notebooks/` (and `data/reference/`). An educator who
copies the kit to adapt it works inside the copy, so `aftertalk check`, `new-lesson`, `workshop` and the
lessons' `load_questions()` all read the copy: the kit in the current folder or one above it.
"""

from __future__ import annotations

import os
from pathlib import Path

INSTALLED_KIT = Path(__file__).resolve().parent.parent
#: What a running poll server writes in its data folder: its URL, admin token and pid (mode 0600).
SERVER_INFO = "server.json"
#: The help list, in a kit: the handout prints it, the lessons point to it, `aftertalk check` checks it.
HELP_LIST = Path("data") / "where_to_get_help.md"


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


def default_data_dir() -> Path:
    """Where the laptop's rooms live: $AFTERTALK_DATA_DIR, or ~/.aftertalk."""
    return Path(os.environ.get("AFTERTALK_DATA_DIR") or Path.home() / ".aftertalk")


# --- the anonymous question box -------------------------------------------------------------------


def write_private(path: Path, text: str) -> None:
    """Write a file only this user can read (it holds secrets), all at once: readers never see half."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    os.replace(partial, path)
