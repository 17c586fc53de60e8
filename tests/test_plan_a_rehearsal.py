"""Plan A as one session: lessons 00 to 05 run top to bottom, in order, headless, in one rehearsal room.

nbval runs each lesson on its own; this runs them as a facilitator does on the day, one kernel per
notebook and one room for all of them, so what a later lesson needs from an earlier one is there:
05's before/after chart needs 01's comfort poll, the summary and the handout need every poll.
The guide's Plan A table is what says 90 minutes; tests/test_facilitator_guide.py checks that it adds
up and agrees with each lesson's Timing.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from kit_copies import copy_kit
from nbclient import NotebookClient
from pypdf import PdfReader

from aftertalk.questions import load_questions

PLAN_A = [
    "00_start_here",
    "01_welcome_and_ground_rules",
    "02_the_feelings_after_sex",
    "03_tears_and_the_post_sex_blues",
    "04_aftercare_and_talking",
    "05_closing",
]
POLLED = re.compile(r'room\.poll\(bank\["([a-z0-9_]+)"\]\)')


def test_the_guides_plan_a_runs_these_lessons_in_this_order():
    from test_facilitator_guide import GUIDE_INDEX

    plan = GUIDE_INDEX.read_text(encoding="utf-8").split("## Plan A", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"\| `(\d\d_[a-z_]+)` \|", plan)
    assert list(dict.fromkeys(named)) == PLAN_A


@pytest.mark.timeout(540)
def test_plan_a_runs_top_to_bottom_in_one_room(tmp_path, monkeypatch):
    kit = copy_kit(tmp_path / "kit")
    monkeypatch.setenv("AFTERTALK_DATA_DIR", str(tmp_path / "data"))  # a fresh laptop: no room yet
    polled = []
    outputs = {}
    for lesson in PLAN_A:
        path = kit / "notebooks" / f"{lesson}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        # Raises CellExecutionError, naming the cell, if any cell fails.
        NotebookClient(notebook, timeout=180, resources={"metadata": {"path": str(path.parent)}}).execute()
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            polled += POLLED.findall(cell.source)
            outputs[(lesson, cell.source)] = cell.outputs
            streams = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            assert "Traceback" not in streams and "Error" not in streams, (lesson, cell.source, streams)

    # 05's before/after cell drew its chart at once: 01's comfort poll was revealed in this room.
    (before_after,) = [out for (lesson, source), out in outputs.items() if "room.before_after(" in source]
    assert any("image/png" in out.get("data", {}) for out in before_after), before_after

    # The end panel saved the handout with every poll of the session, then ended the room.
    handout = kit / "notebooks" / "handout.pdf"
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(handout).pages)
    bank = load_questions(kit / "data" / "questions")
    assert len(polled) == len(set(polled)) >= 6
    for question_id in polled:
        assert " ".join(bank[question_id].text.split())[:40] in text, question_id
    servers = list((tmp_path / "data").glob("*/server.json"))
    assert all(not _alive(json.loads(info.read_text())["pid"]) for info in servers)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
