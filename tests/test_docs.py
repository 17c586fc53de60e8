"""README.md documents every command, every option and every question field, so the docs cannot drift.

Commands and options are read from the real parser (`aftertalk.cli.build_parser()`), fields from
`aftertalk.questions`: adding one without documenting it fails here.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from aftertalk.cli import build_parser
from aftertalk.questions import OPTION_FIELDS, QUESTION_FIELDS

README = Path(__file__).resolve().parent.parent / "README.md"


def sections(text: str, level: int) -> dict[str, str]:
    """{heading: body} for the headings of one level ("## " for 2)."""
    marker = "#" * level + " "
    found, heading = {}, None
    for line in text.splitlines():
        if line.startswith(marker):
            heading = line[len(marker) :].strip()
            found[heading] = ""
        elif heading is not None and re.match(rf"^#{{1,{level}}} ", line):
            heading = None  # a higher-level heading ends the section
        elif heading is not None:
            found[heading] += line + "\n"
    return found


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def arguments(command: argparse.ArgumentParser) -> list[str]:
    """Its long options (--port) and its positional arguments (PATH), --help aside."""
    names = []
    for action in command._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            names += [name for name in action.option_strings if name.startswith("--")]
        else:
            names.append(action.metavar or action.dest.upper())
    return names


def field_names(table_section: str) -> set[str]:
    """The names in the first column of a Markdown table: | `name` | ..."""
    return set(re.findall(r"^\|\s*`([^`]+)`\s*\|", table_section, re.MULTILINE))


def undocumented(readme: str, parser: argparse.ArgumentParser) -> list[str]:
    """Every command, option or question field that README.md does not document."""
    missing = []
    top = sections(readme, 2)
    command_line = sections(top.get("Command line", ""), 3)
    for name, command in commands(parser).items():
        section = next(
            (
                body
                for heading, body in command_line.items()
                if re.search(rf"`aftertalk {re.escape(name)}[` ]", heading)
            ),
            None,
        )
        if section is None:
            missing.append(f"command '{name}': no '### `aftertalk {name} ...`' under '## Command line'")
            continue
        missing += [
            f"command '{name}': option {option} is not described in its section"
            for option in arguments(command)
            if not re.search(rf"`{re.escape(option)}\b", section)
        ]
    fields = sections(top.get("Question files", ""), 3)
    missing += [
        f"question field '{name}' has no row under '### Question fields'"
        for name in QUESTION_FIELDS
        if name not in field_names(fields.get("Question fields", ""))
    ]
    missing += [
        f"option field '{name}' has no row under '### Option fields'"
        for name in OPTION_FIELDS
        if name not in field_names(fields.get("Option fields", ""))
    ]
    return missing


def test_every_command_option_and_question_field_is_documented():
    assert undocumented(README.read_text(encoding="utf-8"), build_parser()) == []


def test_the_parser_has_the_commands_this_test_looks_for():
    found = commands(build_parser())
    assert {"serve", "check", "new-lesson"} <= set(found)
    assert "--kit" in arguments(found["new-lesson"]) and "PATH" in arguments(found["check"])


@pytest.mark.parametrize(
    "remove, reported",
    [
        ("| `--kit PATH` |", "command 'new-lesson': option --kit"),
        ("### `aftertalk check [PATH]`", "command 'check': no '### `aftertalk check"),
        ("| `PATH` |", "command 'check': option PATH"),
        ("| `prefer_not_to_say` |", "question field 'prefer_not_to_say'"),
        ("| `exclusive` |", "option field 'exclusive'"),
    ],
)
def test_a_missing_entry_is_reported(remove, reported):
    readme = README.read_text(encoding="utf-8")
    assert remove in readme
    broken = "\n".join(line for line in readme.splitlines() if not line.startswith(remove))
    assert any(problem.startswith(reported) for problem in undocumented(broken, build_parser()))


def test_an_undocumented_new_option_is_reported():
    parser = build_parser()
    commands(parser)["check"].add_argument("--strict", action="store_true")
    assert undocumented(README.read_text(encoding="utf-8"), parser) == [
        "command 'check': option --strict is not described in its section"
    ]


def test_every_environment_variable_the_kit_reads_is_in_the_readme_table():
    """AFTERTALK_HEADLESS (a lesson that plays itself through, for an adapted kit's CI) was read by the
    code and documented nowhere; the table under "Environment variables" lists every one."""
    root = README.parent
    sources = [*root.joinpath("aftertalk").rglob("*.py"), root / "conftest.py", root / "tests" / "conftest.py"]
    read = set()
    for path in sources:
        read |= set(re.findall(r"\bAFTERTALK_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    table = sections(README.read_text(encoding="utf-8"), 3)["Environment variables"]
    documented = set(re.findall(r"^\| `(AFTERTALK_[A-Z_]+)", table, re.MULTILINE))
    assert read and read <= documented, f"not in README's table: {sorted(read - documented)}"


def test_a_lesson_may_call_exactly_the_room_methods_the_readme_documents():
    """`aftertalk check` holds lessons to the notebook API; that API is what README's section shows."""
    from aftertalk.kit.lint import ROOM_API

    documented = set(
        re.findall(r"^room\.(\w+)\(", sections(README.read_text(encoding="utf-8"), 2)["The notebook API"], re.MULTILINE)
    )
    assert documented == ROOM_API
