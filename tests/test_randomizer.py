"""The one randomizer (privacy.randomize_answer): what a phone sends for a randomized question.

The rehearsal's pretend phones and the simulators use it; the phone's script mirrors it
(tests/test_randomizer_js.py holds the two together). Frequencies are seeded and checked against the
design's probabilities within SIGMAS binomial standard deviations, so a changed rule fails and luck
does not.
"""

import collections
import random

import pytest
from randomizer_cases import DRAWS, all_cases, frequency_errors, sent_probabilities

from aftertalk.privacy import PrivacyError, grr_probabilities, randomize_answer
from aftertalk.questions import PREFER_NOT_TO_SAY

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_randomizer_sends_each_answer_at_the_designs_probability(case):
    rng = random.Random(f"randomizer:{case.name}")
    sent = collections.Counter(
        tuple(randomize_answer(case.design, case.option_ids, case.chosen, rng)) for _ in range(DRAWS)
    )
    errors = frequency_errors(sent, sent_probabilities(case.design, case.chosen), DRAWS)
    assert not errors, "\n".join(errors)


def test_the_bank_has_a_randomized_question_to_check():
    assert any(case.name.startswith("bank ") for case in CASES)


class CountingSource:
    """A random source that counts its draws and returns the numbers it is given."""

    def __init__(self, *numbers):
        self.numbers, self.draws = list(numbers), 0

    def random(self):
        self.draws += 1
        return self.numbers.pop(0)


def test_prefer_not_to_say_is_sent_as_it_is_without_a_draw():
    design = {"method": "forced", "p_yes": 0.125, "p_no": 0.125, "p_truth": 0.75}
    source = CountingSource()
    assert randomize_answer(design, ["yes", "no"], [PREFER_NOT_TO_SAY], source) == [PREFER_NOT_TO_SAY]
    assert source.draws == 0


def test_the_draws_decide_the_answer_as_on_the_phone():
    """The order and use of each number, which the phone's script follows to the letter."""
    forced = {"method": "forced", "p_yes": 0.2, "p_no": 0.1, "p_truth": 0.7}
    assert randomize_answer(forced, ["yes", "no"], ["no"], CountingSource(0.19)) == ["yes"]
    assert randomize_answer(forced, ["yes", "no"], ["yes"], CountingSource(0.29)) == ["no"]
    assert randomize_answer(forced, ["yes", "no"], ["no"], CountingSource(0.3)) == ["no"]
    grr = {"method": "grr", **grr_probabilities(3, 1.0)}  # p = 0.576
    assert randomize_answer(grr, ["a", "b", "c"], ["b"], CountingSource(0.5)) == ["b"]
    assert randomize_answer(grr, ["a", "b", "c"], ["b"], CountingSource(0.6, 0.49)) == ["a"]
    assert randomize_answer(grr, ["a", "b", "c"], ["b"], CountingSource(0.6, 0.5)) == ["c"]
    unary = {"method": "unary", "p": 0.8, "q": 0.2}
    source = CountingSource(0.7, 0.7, 0.1)  # kept, not flipped on, flipped on
    assert randomize_answer(unary, ["calm", "sad", "none"], ["calm"], source) == ["calm", "none"]
    assert source.draws == 3


@pytest.mark.parametrize(
    "design, chosen",
    [
        ({"method": "grr", "p": 0.9, "q": 0.05}, ["x"]),
        ({"method": "grr", "p": 0.9, "q": 0.05}, ["a", "b"]),
        ({"method": "forced", "p_yes": 0.125, "p_no": 0.125, "p_truth": 0.75}, []),
        ({"method": "unary", "p": 0.8, "q": 0.2}, ["a", "x"]),
    ],
)
def test_an_answer_that_is_not_one_of_the_options_is_refused(design, chosen):
    with pytest.raises(PrivacyError):
        randomize_answer(design, ["a", "b", "c"], chosen, random.Random(1))
