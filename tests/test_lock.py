"""The lock pins what pyproject.toml asks for, environment.yml pins the same, and make installs only from it.

A dependency added to pyproject.toml without `make lock`, a pin edited by hand outside pyproject's bounds, an
environment.yml left behind, or a Makefile that installs around the lock fails here (README.md, "Pinned
versions").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

KIT = Path(__file__).resolve().parent.parent
WORKSHOP_LOCK = "requirements/workshop.txt"
TEST_LOCK = "requirements/test.txt"
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    """One line of a lock: `name==version ; marker` and the hashes pip checks the downloaded file against."""

    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def version(self) -> str | None:
        """The pinned version, or None when the line does not pin one exact version with `==`."""
        specifiers = list(self.requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator == "==" and "*" not in specifiers[0].version:
            return specifiers[0].version
        return None

    @property
    def line(self) -> str:
        """`name==version ; marker`, as pip reads it without the hashes."""
        marker = f" ; {self.requirement.marker}" if self.requirement.marker else ""
        return f"{self.name}{self.requirement.specifier}{marker}"


def parse_lock(text: str) -> list[Pin]:
    """Every pin of a uv / pip-tools lock: a requirement at the start of a line, its hashes on the lines after."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", "\n" + text)
    return [
        Pin(Requirement(block.splitlines()[0].rstrip(" \\")), tuple(HASH.findall(block)))
        for block in blocks
        if re.match(r"[A-Za-z0-9]", block)
    ]


def read_lock(path: str) -> list[Pin]:
    return parse_lock((KIT / path).read_text(encoding="utf-8"))


def pyproject() -> dict:
    with open(KIT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def declared(*extras: str) -> list[Requirement]:
    """pyproject's runtime dependencies, plus those of the extras named."""
    project = pyproject()["project"]
    return [
        Requirement(line)
        for line in project["dependencies"]
        + [line for extra in extras for line in project["optional-dependencies"][extra]]
    ]


def disagreements(pins: list[Pin], requirements: list[Requirement]) -> list[str]:
    """Every way the lock fails pyproject: a dependency missing, a pin that is not `==` with hashes, or a pinned
    version outside pyproject's specifier."""
    problems = [f"{pin.line}: not pinned with ==" for pin in pins if pin.version is None]
    problems += [f"{pin.line}: no --hash=sha256:" for pin in pins if not pin.hashes]
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if name not in by_name:
            problems.append(f"{requirement}: in pyproject.toml but not in the lock (run `make lock`)")
        problems += [
            f"{pin.line}: outside pyproject's {requirement} (run `make lock`)"
            for pin in by_name.get(name, [])
            if pin.version is not None and not requirement.specifier.contains(pin.version, prereleases=True)
        ]
    return problems


@pytest.mark.parametrize("lock, extras", [(WORKSHOP_LOCK, ()), (TEST_LOCK, ("test",))])
def test_the_lock_pins_every_dependency_of_pyproject_with_hashes_within_its_bounds(lock, extras):
    assert disagreements(read_lock(lock), declared(*extras)) == []


def test_a_lock_that_disagrees_with_pyproject_is_refused_line_by_line():
    """The check above is not vacuous: each kind of disagreement is named."""
    lock = parse_lock(f"""\
pyyaml==6.0.4
segno>=1.6 \\
    --hash=sha256:{"1" * 64}
tornado==6.3.3 ; python_full_version >= '3.11' \\
    --hash=sha256:{"2" * 64}
""")
    requirements = [Requirement(line) for line in ("tornado>=6.4", "pyyaml>=6", "segno>=1.6", "pandas>=2")]
    assert disagreements(lock, requirements) == [
        "segno>=1.6: not pinned with ==",
        "pyyaml==6.0.4: no --hash=sha256:",
        'tornado==6.3.3 ; python_full_version >= "3.11": outside pyproject\'s tornado>=6.4 (run `make lock`)',
        "pandas>=2: in pyproject.toml but not in the lock (run `make lock`)",
    ]


def test_the_lock_holds_for_every_python_pyproject_allows():
    """uv resolved from pyproject's lowest Python up (markers pick per Python); a raised or lowered
    requires-python needs a fresh `make lock`."""
    lowest = re.fullmatch(r">=\s*(\d+\.\d+)", pyproject()["project"]["requires-python"]).group(1)
    for lock in (WORKSHOP_LOCK, TEST_LOCK):
        assert f"every Python >= {lowest} " in (KIT / lock).read_text(encoding="utf-8"), lock


def test_the_tests_run_the_very_versions_a_facilitator_installs():
    """Every pin of the workshop lock, marker and all, is in the test lock."""
    test_lines = {pin.line for pin in read_lock(TEST_LOCK)}
    assert [pin.line for pin in read_lock(WORKSHOP_LOCK) if pin.line not in test_lines] == []


def test_environment_yml_pins_the_workshop_lock():
    """conda and Binder get the lock's versions: its pip: section is the workshop lock, line for line."""
    environment = yaml.safe_load((KIT / "environment.yml").read_text(encoding="utf-8"))
    conda = [entry for entry in environment["dependencies"] if isinstance(entry, str)]
    pip = next(entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict))
    # conda brings only Python and pip; a conda package listed there would have to carry the lock's version.
    locked: dict[str, set[str | None]] = {}
    for pin in read_lock(WORKSHOP_LOCK):
        locked.setdefault(pin.name, set()).add(pin.version)
    for entry in conda:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*=*\s*(.*)", entry).groups()
        if name in ("python", "pip"):
            continue
        assert version in locked.get(canonicalize_name(name), set()), f"environment.yml: {entry} is not locked"
    assert "-e ." in pip
    pinned = {Pin(Requirement(line), ()).line for line in pip if line != "-e ."}
    assert pinned == {pin.line for pin in read_lock(WORKSHOP_LOCK)}


def make_dry_run(venv: Path, target: str, newer: str | None = None) -> str:
    """What `make` would run for one install stamp, with the stamp newer than everything; `newer` pretends that
    file changed since (make -W), as a refreshed lock does."""
    return subprocess.run(
        ["make", "--dry-run", f"VENV={venv}", str(venv / target), *(["-W", newer] if newer else [])],
        cwd=KIT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("stamp, lock", [(".installed", WORKSHOP_LOCK), (".installed-test", TEST_LOCK)])
def test_make_installs_only_from_the_lock_and_again_when_it_changes(tmp_path, stamp, lock):
    """Dependencies come only from the lock, hash-checked; the kit without dependencies; a changed lock
    reinstalls (the stamp depends on it)."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").touch()
    (tmp_path / stamp).touch()
    later = time.time() + 3600
    os.utime(tmp_path / stamp, (later, later))
    assert "pip install" not in make_dry_run(tmp_path, stamp)
    installs = [line for line in make_dry_run(tmp_path, stamp, newer=lock).splitlines() if "pip install" in line]
    assert len(installs) == 2, installs
    dependencies, kit = installs
    assert "--require-hashes" in dependencies.split() and lock in dependencies.split(), dependencies
    assert "--no-deps" in kit.split() and "--editable" in kit.split(), kit
