"""`aftertalk new-lesson "Title"`: the next numbered notebook and question file, ready to check and run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from aftertalk.questions import load_question_file

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=None, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "aftertalk", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )


@pytest.fixture
def kit(tmp_path):
    """A copy of the kit (data/ and notebooks/) to add lessons to."""
    kit = tmp_path / "kit"
    for name in ("data", "notebooks"):
        shutil.copytree(
            ROOT / name, kit / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pdf")
        )
    return kit


def files_in(kit: Path) -> dict[str, bytes]:
    return {str(path.relative_to(kit)): path.read_bytes() for path in sorted(kit.rglob("*")) if path.is_file()}


def test_creates_the_next_lesson_and_its_question_file(kit):
    result = run_cli("new-lesson", "Consent & checking in: élan", "--kit", str(kit), cwd=kit)
    assert result.returncode == 0, result.stdout + result.stderr
    notebook_path = kit / "notebooks" / "06_consent_checking_in_elan.ipynb"
    questions_path = kit / "data" / "questions" / "06_consent_checking_in_elan.yaml"
    assert "notebooks/06_consent_checking_in_elan.ipynb" in result.stdout
    assert "data/questions/06_consent_checking_in_elan.yaml" in result.stdout

    [question] = load_question_file(questions_path)
    assert question.id == "06_consent_checking_in_elan_example"
    assert question.prefer_not_to_say and question.notes.strip() and len(question.options) >= 2

    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    text = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert text[0].splitlines()[0] == "# Lesson 06: Consent & checking in: élan"
    assert any('room.poll(bank["06_consent_checking_in_elan_example"])' in cell for cell in text)
    assert "06_consent_checking_in_elan.yaml" in "\n".join(text)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert len({cell["id"] for cell in notebook["cells"]}) == len(notebook["cells"])
    # The template's slide types come along: the title and the poll are slides, the guidance notes.
    types = [cell["metadata"].get("slideshow", {}).get("slide_type") for cell in notebook["cells"]]
    assert set(types) <= {"slide", "notes", "skip"} and types[0] == "slide", types
    poll = next(i for i, cell in enumerate(text) if "room.poll(" in cell)
    assert types[poll] == "slide" and notebook["cells"][poll]["metadata"]["jupyter"]["source_hidden"] is True


def test_the_number_follows_the_highest_one(kit):
    shutil.copy(kit / "notebooks" / "05_closing.ipynb", kit / "notebooks" / "11_an_extra_lesson.ipynb")
    result = run_cli("new-lesson", "After the break", "--kit", str(kit))
    assert result.returncode == 0, result.stderr
    assert (kit / "notebooks" / "12_after_the_break.ipynb").exists()
    assert (kit / "data" / "questions" / "12_after_the_break.yaml").exists()


def test_check_passes_on_the_new_lesson(kit):
    assert run_cli("new-lesson", "Consent and checking in", "--kit", str(kit)).returncode == 0
    result = run_cli("check", str(kit), cwd=kit)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All good: 8 notebooks" in result.stdout


def test_the_new_lesson_runs_top_to_bottom_in_rehearsal(kit, tmp_path, monkeypatch):
    # A lesson reads the question bank of the kit its `aftertalk` package comes from, so the copy
    # carries its own package, and the kernel (and the poll server it starts) import that one.
    shutil.copytree(ROOT / "aftertalk", kit / "aftertalk", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(kit), os.environ.get("PYTHONPATH")])))
    run_here = tmp_path / "run"
    run_here.mkdir()
    which = subprocess.run(
        [sys.executable, "-c", "import aftertalk; print(aftertalk.__file__)"],
        capture_output=True,
        text=True,
        cwd=run_here,
    )
    assert which.stdout.startswith(str(kit)), which.stdout + which.stderr

    assert run_cli("new-lesson", "Consent and checking in", "--kit", str(kit)).returncode == 0
    notebook = nbformat.read(kit / "notebooks" / "06_consent_and_checking_in.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(run_here)}}
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [output for cell in code for output in cell.outputs if output.output_type == "error"]
    assert not errors
    assert code[-1].outputs, "the poll cell shows its panel"


def test_the_same_title_twice_is_refused_and_changes_nothing(kit):
    assert run_cli("new-lesson", "Consent and checking in", "--kit", str(kit)).returncode == 0
    before = files_in(kit)
    again = run_cli("new-lesson", "Consent and checking in", "--kit", str(kit))
    assert again.returncode == 1
    assert "already exists" in again.stderr and "06_consent_and_checking_in" in again.stderr
    assert "Traceback" not in again.stderr
    assert files_in(kit) == before


def test_an_existing_file_is_never_overwritten(kit):
    """Even a question file left without its notebook keeps its number and its content."""
    orphan = kit / "data" / "questions" / "06_consent.yaml"
    orphan.write_text("questions: []\n")
    before = files_in(kit)
    result = run_cli("new-lesson", "Consent", "--kit", str(kit))
    assert result.returncode == 1 and "already exists" in result.stderr
    assert files_in(kit) == before


@pytest.mark.parametrize("title", ["", "   ", "!!! ???", "2025", "日本語"])
def test_a_title_without_letters_is_refused(kit, title):
    before = files_in(kit)
    result = run_cli("new-lesson", title, "--kit", str(kit))
    assert result.returncode == 1
    assert "title" in result.stderr and "for example" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_in(kit) == before


def test_a_missing_kit_folder_is_exit_2(tmp_path):
    result = run_cli("new-lesson", "Consent", "--kit", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "there is no folder" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_without_kit_the_lesson_goes_into_the_kit_in_the_current_folder(kit):
    """Run inside a copy of the kit, `new-lesson` adds to that copy and says so on its first line; the
    kit Aftertalk is installed from is left alone."""
    installed_before = files_in(ROOT / "notebooks")
    result = run_cli("new-lesson", "Checking in later", cwd=kit / "notebooks")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"Adding a lesson to the kit in {kit.resolve()} (a folder above this one)."
    assert (kit / "notebooks" / "06_checking_in_later.ipynb").is_file()
    assert (kit / "data" / "questions" / "06_checking_in_later.yaml").is_file()
    assert files_in(ROOT / "notebooks") == installed_before
