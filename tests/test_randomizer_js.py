"""The phone's randomizer (randomize.js) against the same probabilities as Python's, under node's test runner.

The expected probabilities are worked out here, from aftertalk.privacy's design functions and the bank's
randomized questions (tests/randomizer_cases.py), and handed to `node --test tests/js/` as JSON, so the
phone and the rehearsal answer to one definition. The JSON also carries numbers fed to Python's
`randomize_answer` and the answers it gave: the phone must give the same answers for the same numbers.
"""

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from randomizer_cases import DRAWS, SIGMAS, all_cases, sent_probabilities

from aftertalk.privacy import randomize_answer

JS_TESTS = Path(__file__).resolve().parent / "js"
REPLAYS = 200  # answers per case given the same numbers in both languages


class Tape:
    """A random source that hands out the given numbers in order, and counts them."""

    def __init__(self, numbers):
        self.numbers, self.used = numbers, 0

    def random(self):
        self.used += 1
        return self.numbers[self.used - 1]


def replay(case) -> dict:
    """Numbers, and the answers Python's randomizer gives for them (REPLAYS answers in a row)."""
    most_per_answer = {"forced": 1, "grr": 2, "unary": len(case.option_ids)}[case.design["method"]]
    rng = random.Random(f"replay:{case.name}")
    tape = Tape([rng.random() for _ in range(REPLAYS * most_per_answer)])
    answers = [randomize_answer(case.design, case.option_ids, case.chosen, tape) for _ in range(REPLAYS)]
    return {"units": tape.numbers, "answers": answers, "used": tape.used}


def cases_json() -> dict:
    return {
        "draws": DRAWS,
        "sigmas": SIGMAS,
        "cases": [
            {
                "name": case.name,
                "design": case.design,
                "chosen": list(case.chosen),
                "sent": [
                    {"answer": list(answer), "probability": chance}
                    for answer, chance in sent_probabilities(case.design, case.chosen).items()
                ],
                "replay": replay(case),
            }
            for case in all_cases()
        ],
    }


def test_the_phones_randomizer_matches_the_privacy_probabilities(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the phone's randomizer (randomize.js) goes untested")
    cases = cases_json()
    cases_file = tmp_path / "randomizer_cases.json"
    cases_file.write_text(json.dumps(cases), encoding="utf-8")
    # Only the case file in the environment: nothing else of this machine's (NODE_OPTIONS ...) changes the run.
    run = subprocess.run(
        [node, "--test", "--test-reporter=tap", str(JS_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={"AFTERTALK_RANDOMIZER_CASES": str(cases_file)},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    # Every case ran (none skipped for want of the JSON), in both of its tests.
    summary = dict(re.findall(r"^# (skipped|fail) (\d+)$", output, re.MULTILINE))
    assert summary == {"skipped": "0", "fail": "0"}, output
    for case in cases["cases"]:
        for check in ("sent at the design's probabilities", "the same numbers give Python's answers"):
            line = rf"^\s*ok \d+ - {re.escape(case['name'])}: {re.escape(check)}$"
            assert re.search(line, output, re.MULTILINE), f"{case['name']}: {check} did not pass\n{output}"
