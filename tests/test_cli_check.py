"""`aftertalk check`: the shipped kit passes, and each kind of mistake is reported as file:line.

The broken kits are copies of data/ and notebooks/ in a temporary folder, broken in code here, and
checked by running `python -m aftertalk check PATH` in that folder, as an educator would.
"""

from __future__ import annotations

import csv
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kit_copies import ROOT, code_cell, copy_kit, edit_notebook, line_of, replace_in


def run_cli(*args, cwd=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "aftertalk", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


@pytest.fixture
def kit(tmp_path):
    return copy_kit(tmp_path / "kit")


def check(kit: Path):
    return run_cli("check", str(kit), cwd=kit)


def assert_reported(result, where: str, *words: str) -> None:
    """A failure at `where` ("file:line"), naming `words`, with exit 1 and no traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(where + ": ")]
    assert lines, f"nothing reported at {where}:\n{result.stdout}"
    assert any(all(word in line for word in words) for line in lines), result.stdout
    assert any("; " in line for line in lines), "each problem says what to do"
    assert "All good" not in result.stdout
    assert "problem" in result.stdout.splitlines()[-1]


# --- the shipped kit ---------------------------------------------------------------------------------


def test_the_shipped_kit_passes():
    result = run_cli("check", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"Checking the kit in {ROOT} (the current folder)."
    assert result.stdout.splitlines()[-1].startswith("All good")
    # On a machine with no LAN the address check warns, and a warning never fails the check.
    assert all(": warning: " in line for line in result.stdout.splitlines()[1:-1]), result.stdout


def test_check_in_a_copy_of_the_kit_checks_that_copy(kit):
    """An educator who copied the kit and runs `aftertalk check` inside it, or in one of its folders,
    expects their copy checked, not the kit Aftertalk is installed from."""
    replace_in(kit / "data" / "questions" / "00_start_here.yaml", "kind: single", "kind: singel")
    for where in (kit, kit / "notebooks"):
        result = run_cli("check", cwd=where)
        how = "the current folder" if where == kit else "a folder above this one"
        assert result.stdout.splitlines()[0] == f"Checking the kit in {kit.resolve()} ({how}).", result.stdout
        assert result.returncode == 1 and "singel" in result.stdout, result.stdout + result.stderr


def test_check_outside_any_kit_says_it_checks_the_installed_one(tmp_path):
    result = run_cli("check", cwd=tmp_path)
    assert result.stdout.splitlines()[0] == (
        f"Checking the kit in {ROOT} (the kit Aftertalk is installed from; no kit in the current folder)."
    )


def test_a_copy_of_the_kit_passes_when_checked_from_another_folder(kit, tmp_path):
    result = run_cli("check", str(kit), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All good: 7 notebooks" in result.stdout


def test_with_only_a_loopback_address_check_warns_but_passes(kit):
    """In a network namespace of its own, with no LAN, as on a CI machine."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rn", "true"]).returncode != 0:
        pytest.skip("needs unshare -rn (an unprivileged network namespace)")
    result = subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "aftertalk", "check", str(kit)],
        capture_output=True,
        text=True,
        cwd=kit,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "this laptop: warning: no network address found" in result.stdout
    assert "Wi-Fi" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("All good") and "1 warning" in result.stdout


def test_a_taken_poll_port_is_a_warning_not_a_failure(kit):
    with socket.socket() as taken:
        try:
            taken.bind(("0.0.0.0", 8765))
            taken.listen()
        except OSError:
            pass  # something already holds it: the warning is expected all the same
        result = check(kit)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "this laptop: warning: port 8765 is in use" in result.stdout
    assert "another free port will be used" in result.stdout


# --- the question bank -------------------------------------------------------------------------------


def test_malformed_yaml(kit):
    path = kit / "data" / "questions" / "00_start_here.yaml"
    replace_in(path, "    kind: single\n", "    kind: single: oops\n")
    assert_reported(check(kit), f"data/questions/00_start_here.yaml:{line_of(path, 'oops')}", "not valid YAML")


def test_a_duplicate_id_names_both_places(kit):
    first = kit / "data" / "questions" / "00_start_here.yaml"
    path = kit / "data" / "questions" / "06_extra.yaml"
    path.write_text("questions:\n  - id: warmup_weather\n    text: Again?\n    kind: yesno\n")
    first_line = line_of(first, "id: warmup_weather")
    assert_reported(
        check(kit),
        "data/questions/06_extra.yaml:2",
        f"'warmup_weather' is already used in data/questions/00_start_here.yaml:{first_line}",
    )


def test_a_missing_option_label(kit):
    path = kit / "data" / "questions" / "00_start_here.yaml"
    replace_in(path, '{id: windy, label: "Windy"}', "{id: windy}")
    assert_reported(
        check(kit),
        f"data/questions/00_start_here.yaml:{line_of(path, '{id: windy}')}",
        "options[2].label",
        "needs a label",
    )


def test_an_unknown_kind(kit):
    path = kit / "data" / "questions" / "00_start_here.yaml"
    replace_in(path, "kind: single", "kind: quiz")
    assert_reported(
        check(kit),
        f"data/questions/00_start_here.yaml:{line_of(path, 'kind: quiz')}",
        "unknown kind 'quiz'",
        "choose one of single, multi, scale, yesno",
    )


def test_a_myth_or_fact_answer_that_is_not_an_option(kit):
    path = kit / "data" / "questions" / "00_start_here.yaml"
    replace_in(
        path,
        "    notes: >-\n      A practice poll",
        "    correct: sunnny\n    evidence: None.\n    notes: >-\n      A practice poll",
    )
    spanish_text = '        text: "Si tu semana hasta ahora fuera un día, ¿qué tiempo haría?"'
    replace_in(path, spanish_text, spanish_text + "\n        evidence: Ninguna.")
    assert_reported(
        check(kit),
        f"data/questions/00_start_here.yaml:{line_of(path, 'correct: sunnny')}",
        "'sunnny' is not one of this question's options",
    )


def test_an_unknown_privacy_setting(kit):
    path = kit / "data" / "questions" / "00_start_here.yaml"
    replace_in(path, "    kind: single\n", "    kind: single\n    privacy: secret\n")
    assert_reported(
        check(kit), f"data/questions/00_start_here.yaml:{line_of(path, 'privacy: secret')}", "unknown privacy 'secret'"
    )


def test_each_broken_question_file_is_reported_on_its_own(kit):
    first = kit / "data" / "questions" / "00_start_here.yaml"
    second = kit / "data" / "questions" / "04_aftercare_and_talking.yaml"
    replace_in(first, "    kind: single\n", "    kind: single: oops\n")
    second.write_text(second.read_text().replace("kind: ", "kind: quiz #", 1))
    result = check(kit)
    assert_reported(result, f"data/questions/00_start_here.yaml:{line_of(first, 'oops')}", "YAML")
    assert_reported(result, f"data/questions/04_aftercare_and_talking.yaml:{line_of(second, 'quiz')}", "unknown kind")
    # The questions of a broken file are not reported again as unknown in the notebooks that use them.
    assert "is not in the question bank" not in result.stdout


# --- the notebooks ----------------------------------------------------------------------------------


def test_an_unknown_question_id_in_a_notebook(kit):
    path = kit / "notebooks" / "00_start_here.ipynb"
    replace_in(path, 'room.poll(bank[\\"warmup_weather\\"])', 'room.poll(bank[\\"warmup_wether\\"])')
    assert_reported(
        check(kit),
        f"notebooks/00_start_here.ipynb:{line_of(path, 'warmup_wether')}",
        "question 'warmup_wether' is not in the question bank",
    )


def test_an_unknown_question_id_passed_as_a_string(kit):
    path = kit / "notebooks" / "05_closing.ipynb"
    replace_in(path, '\\"comfort_after\\")', '\\"comfort_aftr\\")')
    assert_reported(
        check(kit),
        f"notebooks/05_closing.ipynb:{line_of(path, 'comfort_aftr')}",
        "'comfort_aftr' is not in the question bank",
    )


def test_a_code_cell_that_is_not_python(kit):
    path = kit / "notebooks" / "02_the_feelings_after_sex.ipynb"
    broken = 'room.poll(bank[\\"feelings_ever\\"]'  # the lesson's other polls come before this one
    replace_in(path, broken + ")", broken)
    assert_reported(
        check(kit), f"notebooks/02_the_feelings_after_sex.ipynb:{line_of(path, broken)}", "not valid Python"
    )


def test_ipython_magics_are_not_mistaken_for_errors(kit):
    path = kit / "notebooks" / "05_closing.ipynb"  # a one-line cell: a code cell holds at most two lines
    edit_notebook(
        path, lambda notebook: code_cell(notebook, "room.summary()")["source"].insert(0, "%matplotlib inline\n")
    )
    result = check(kit)
    assert result.returncode == 0, result.stdout


def test_a_notebook_that_is_not_valid_json(kit):
    path = kit / "notebooks" / "02_the_feelings_after_sex.ipynb"
    broken = line_of(path, '"id": "')  # a line ending in a comma, as a bad merge leaves it
    lines = path.read_text().splitlines(keepends=True)
    lines[broken - 1] = lines[broken - 1].replace('",', '"')
    path.write_text("".join(lines))
    # JSON notices a missing comma where the next key starts: the line after the damage.
    assert_reported(
        check(kit), f"notebooks/02_the_feelings_after_sex.ipynb:{broken + 1}", "not valid JSON", "git checkout"
    )


def test_a_notebook_with_outputs(kit):
    path = kit / "notebooks" / "01_welcome_and_ground_rules.ipynb"

    def run_a_cell(notebook):
        cell = code_cell(notebook, "comfort_before")
        cell["execution_count"] = 3
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["LEFTOVER OUTPUT\n"]}]

    edit_notebook(path, run_a_cell)
    lines = path.read_text().splitlines()
    leftover = line_of(path, "LEFTOVER OUTPUT")
    outputs_line = max(n for n in range(1, leftover) if '"outputs": [' in lines[n - 1])
    count_line = line_of(path, '"execution_count": 3')
    result = check(kit)
    where = "notebooks/01_welcome_and_ground_rules.ipynb"
    assert_reported(result, f"{where}:{outputs_line}", "saved outputs", "Clear Outputs")
    assert_reported(result, f"{where}:{count_line}", "execution count")


def test_an_unhidden_code_cell(kit):
    path = kit / "notebooks" / "04_aftercare_and_talking.ipynb"
    cell_id = []

    def show_the_code(notebook):
        cell = code_cell(notebook, "what_helps")
        cell["metadata"] = {}
        cell_id.append(cell["id"])

    edit_notebook(path, show_the_code)
    metadata_line = line_of(path, f'"id": "{cell_id[0]}"') + 1  # Jupyter writes the keys in sorted order
    assert '"metadata": {}' in path.read_text().splitlines()[metadata_line - 1]
    assert_reported(check(kit), f"notebooks/04_aftercare_and_talking.ipynb:{metadata_line}", "is not hidden")


def slide_type_line(path: Path, cell_id: str) -> int:
    """The line of `"slide_type"` in the cell with this id (Jupyter writes id, then metadata)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = line_of(path, f'"id": "{cell_id}"')
    return next(n for n in range(start, len(lines) + 1) if '"slide_type"' in lines[n - 1])


def set_slide_type(path: Path, containing: str, slide_type) -> str:
    """Give the first cell whose source contains `containing` this slide type (None: none); its id."""
    found = []

    def change(notebook):
        cell = next(cell for cell in notebook["cells"] if containing in "".join(cell["source"]))
        if slide_type is None:
            cell["metadata"].pop("slideshow")
        else:
            cell["metadata"]["slideshow"] = {"slide_type": slide_type}
        found.append(cell["id"])

    edit_notebook(path, change)
    return found[0]


def test_a_cell_without_a_slide_type(kit):
    path = kit / "notebooks" / "02_the_feelings_after_sex.ipynb"
    cell_id = set_slide_type(path, "## Learning outcomes", None)
    metadata_line = line_of(path, f'"id": "{cell_id}"') + 1
    assert_reported(check(kit), f"notebooks/02_the_feelings_after_sex.ipynb:{metadata_line}", "no slide type", "notes")


@pytest.mark.parametrize(
    ("slide_type", "why"), [("-", "never shown"), ("subslide", "jumps over"), ("sldie", "not one of")]
)
def test_a_slide_type_the_projector_cannot_show_as_meant(kit, slide_type, why):
    path = kit / "notebooks" / "03_tears_and_the_post_sex_blues.ipynb"
    cell_id = set_slide_type(path, "# Lesson 03", slide_type)
    where = f"notebooks/03_tears_and_the_post_sex_blues.ipynb:{slide_type_line(path, cell_id)}"
    assert_reported(check(kit), where, f"slide type {slide_type!r}", why)


def test_the_facilitators_opening_on_a_slide(kit):
    path = kit / "notebooks" / "04_aftercare_and_talking.ipynb"
    set_slide_type(path, "## Content note", "slide")
    assert_reported(
        check(kit),
        f"notebooks/04_aftercare_and_talking.ipynb:{line_of(path, '## Content note')}",
        "facilitator text on a slide",
        "notes",
    )


def test_a_facilitator_note_inside_a_slide(kit):
    path = kit / "notebooks" / "01_welcome_and_ground_rules.ipynb"

    def add_a_note(notebook):
        cell = next(cell for cell in notebook["cells"] if cell["metadata"]["slideshow"]["slide_type"] == "slide")
        cell["source"] = [*cell["source"][:-1], cell["source"][-1] + "\n", "> **Facilitator:** PLANTED NOTE"]

    edit_notebook(path, add_a_note)
    where = f"notebooks/01_welcome_and_ground_rules.ipynb:{line_of(path, 'PLANTED NOTE')}"
    assert_reported(check(kit), where, "facilitator text on a slide")


def test_a_notebook_with_another_kernel(kit):
    path = kit / "notebooks" / "03_tears_and_the_post_sex_blues.ipynb"
    edit_notebook(path, lambda notebook: notebook["metadata"]["kernelspec"].update(name="ir"))
    kernel_line = line_of(path, '"kernelspec"')
    assert_reported(
        check(kit), f"notebooks/03_tears_and_the_post_sex_blues.ipynb:{kernel_line}", "kernel is 'ir'", "python3"
    )


# --- the reference data -----------------------------------------------------------------------------


def test_a_reference_row_without_a_citation(kit):
    path = kit / "data" / "reference" / "post_sex_research.csv"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[3].count(",https://doi.org/10.1002/sm2.74,") == 1
    lines[3] = lines[3].replace(",https://doi.org/10.1002/sm2.74,", ",,")  # line 4: doi_or_url left empty
    path.write_text("".join(lines))
    assert_reported(check(kit), "data/reference/post_sex_research.csv:4", "no citation", "doi.org")


def test_a_reference_row_with_an_empty_column(kit):
    path = kit / "data" / "reference" / "post_sex_research.csv"
    lines = path.read_text().splitlines(keepends=True)
    assert ",222," in lines[1]
    lines[1] = lines[1].replace(",222,", ",,")  # line 2: the sample size left out
    path.write_text("".join(lines))
    assert_reported(check(kit), "data/reference/post_sex_research.csv:2", "empty column(s) n")


def test_a_reference_row_without_its_spanish(kit):
    """A file that translates what a room reads (sample_es, measure_es) translates it on every row: a Spanish
    room would otherwise read this figure's measure in English."""
    path = kit / "data" / "reference" / "post_sex_research.csv"
    replace_in(path, ",síntomas de PCD en las últimas 4 semanas\n", ",\n")
    assert_reported(
        check(kit), f"data/reference/post_sex_research.csv:{line_of(path, 'bird2011_past4weeks')}", "measure_es"
    )


def rewrite_csv(path: Path, change) -> None:
    """Read a CSV file's rows as dicts, `change(rows)` (which returns the columns to keep), and write it back
    as a spreadsheet would."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_a_reference_file_with_half_a_translation(kit):
    path = kit / "data" / "reference" / "post_sex_research.csv"
    rewrite_csv(path, lambda rows: [column for column in rows[0] if column != "measure_es"])
    assert_reported(check(kit), "data/reference/post_sex_research.csv:1", "'es'", "measure_es")


CITATIONS = Path("data") / "reference" / "citations.csv"


def test_a_citation_with_a_malformed_doi(kit):
    path = kit / CITATIONS
    replace_in(path, ",10.1002/sm2.74\n", ",10.1002 /sm2.74\n")
    assert_reported(check(kit), f"{CITATIONS}:{line_of(path, 'schweitzer2015,')}", "10.1002 /sm2.74", "not a DOI")


@pytest.mark.parametrize("field", ["title", "journal", "pages"])
def test_a_citation_missing_a_field(kit, field):
    path = kit / CITATIONS

    def leave_out(rows):
        rows[2][field] = ""  # line 4
        return list(rows[0])

    rewrite_csv(path, leave_out)
    assert_reported(check(kit), f"{CITATIONS}:4", f"'burri2020' has no {field}")


def test_a_figure_whose_study_has_no_full_citation(kit):
    """Every study a chart cites is in the citations that lesson 05 and the handout print."""
    path = kit / CITATIONS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("maczkowiack2019,")), encoding="utf-8")
    figures = kit / "data" / "reference" / "post_sex_research.csv"
    assert_reported(
        check(kit),
        f"data/reference/post_sex_research.csv:{line_of(figures, 'maczkowiack2019_lifetime')}",
        "10.1080/0092623X.2018.1488326",
        "citations.csv",
    )


def test_the_citations_missing(kit):
    (kit / CITATIONS).unlink()
    assert_reported(check(kit), str(CITATIONS), "citations are missing", "git checkout")


# --- the help list and its translation ----------------------------------------------------------------


def test_a_spanish_help_list_with_another_number(kit):
    path = kit / "data" / "where_to_get_help.es.md"
    replace_in(path, "Samaritans, 116 123,", "Samaritans, 116 132,")
    assert_reported(
        check(kit),
        f"data/where_to_get_help.es.md:{line_of(path, '## Si estás en crisis')}",
        "lacks 116 123",
        "adds 116 132",
    )


def test_a_spanish_help_list_missing_a_section(kit):
    path = kit / "data" / "where_to_get_help.es.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("## En español")], encoding="utf-8")
    assert_reported(check(kit), "data/where_to_get_help.es.md", "4 sections", "has 6")


def test_a_spanish_help_list_without_the_emergency_number(kit):
    path = kit / "data" / "where_to_get_help.es.md"
    replace_in(path, "llama al número de emergencias de tu zona", "busca ayuda")
    assert_reported(check(kit), "data/where_to_get_help.es.md", "emergency number", "número de emergencias")


# --- anything at all --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative, content",
    [
        ("notebooks/00_start_here.ipynb", "[]"),
        ("notebooks/00_start_here.ipynb", '{"cells": [{"cell_type": "code", "source": 7}]}'),
        ("notebooks/00_start_here.ipynb", b"\xff\xfe not text"),
        ("notebooks/00_start_here.ipynb", ""),
        ("data/questions/00_start_here.yaml", b"\x00\xff binary"),
        ("data/questions/00_start_here.yaml", "questions: !!python/object:os.system {}\n"),
        ("data/questions/00_start_here.yaml", "- just\n- a list\n"),
        ("data/reference/post_sex_research.csv", b"\xff\xfe\x00"),
        ("data/reference/post_sex_research.csv", ""),
    ],
)
def test_garbage_is_reported_never_a_traceback(kit, relative, content):
    path = kit / relative
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = check(kit)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert any(line.startswith(relative) for line in result.stdout.splitlines()), result.stdout


def test_a_missing_folder_is_a_clear_message_and_exit_2(tmp_path):
    result = run_cli("check", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "there is no folder" in result.stderr and "data/ and notebooks/" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_folder_that_is_not_a_kit_is_exit_2(kit):
    shutil.rmtree(kit / "notebooks")
    result = check(kit)
    assert result.returncode == 2
    assert "is not an Aftertalk kit" in result.stderr and "notebooks" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_low_open_files_limit_warns_how_many_phones_fit(kit):
    """Each phone holds two connections: a hard limit of 1,024 holds about 490 phones, not a lecture hall."""
    result = subprocess.run(
        [sys.executable, "-m", "aftertalk", "check", str(kit)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "this laptop: warning: open files: the poll server can hold about 487 phones" in result.stdout
    assert "ulimit -Hn" in result.stdout
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= 2100:  # room for 1,000 phones: no warning
        assert "open files" not in run_cli("check", str(kit)).stdout


def test_checking_the_open_files_limit_changes_nothing(kit):
    """The readiness check says what the server will reach (the hard limit) and leaves the process's own
    limit where it was: a check looks, it does not set the laptop up."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 4096:
        pytest.skip("needs a hard open-files limit of 4,096 or more")
    script = (
        "import resource\n"
        "from aftertalk.kit.lint import check_kit\n"
        "from aftertalk.kit.readiness import install_check\n"
        "install_check()\n"
        "print([f.problem_line() for f in check_kit('.').problems() if 'open files' in f.what])\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=kit,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 4096)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   open files: room for more than 1,000 phones" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-2:] == ["[]", "(1024, 4096)"]


def slow_kit(kit: Path) -> Path:
    """The kit with 80 more lessons, so that a check is still running a second after its first line."""
    lesson = kit / "notebooks" / "02_the_feelings_after_sex.ipynb"
    for n in range(80):
        shutil.copy(lesson, kit / "notebooks" / f"{20 + n}_copy.ipynb")
    return kit


def test_ctrl_c_during_a_check_is_one_line(kit):
    """The check is stopped while it reads a notebook: a named pipe that nobody writes to, so it is
    still reading, whatever the machine's speed, when Ctrl-C comes. The command starts with Ctrl-C's
    default meaning, as from a terminal (a process started in the background inherits it ignored)."""
    os.mkfifo(kit / "notebooks" / "99_never_written.ipynb")
    process = subprocess.Popen(
        [sys.executable, "-m", "aftertalk", "check"],
        cwd=kit,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout.readline().startswith("Checking the kit in")
        time.sleep(1)  # into the check, where it waits on the pipe
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, out + err
    assert err == "aftertalk check: stopped (Ctrl-C).\n"


def test_a_check_piped_into_head_ends_quietly(kit):
    """`aftertalk check | head -1`: the reader goes away; no BrokenPipeError reaches the terminal."""
    replace_in(kit / "data" / "questions" / "00_start_here.yaml", "kind: single", "kind: singel")
    result = subprocess.run(
        f"'{sys.executable}' -m aftertalk check 2>err.txt | head -c 1",
        shell=True,
        cwd=slow_kit(kit),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "C" and (kit / "err.txt").read_text() == ""
