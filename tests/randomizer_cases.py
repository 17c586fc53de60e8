"""The randomizer's test cases, shared by the Python tests and the phone script's node tests.

Each case is a design as the phone gets it (`Question.design()` plus the option ids, as current.html
writes it into data-design), an answer, and what the phone must send, as exact probabilities worked
out from the design's probability functions in aftertalk.privacy, not from the randomizer itself.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import aftertalk
from aftertalk import privacy
from aftertalk.questions import PREFER_NOT_TO_SAY

DRAWS = 20000  # answers randomized per case; a probability of 0.125 is then known to about +-0.0023
SIGMAS = 5  # a seeded run that strays this far from a probability points at the rule, not at luck


@dataclass(frozen=True)
class Case:
    name: str
    design: dict  # with "options", as the page's data-design carries it
    chosen: tuple[str, ...]

    @property
    def option_ids(self) -> list[str]:
        return self.design["options"]


def sent_probabilities(design: dict, chosen) -> dict[tuple[str, ...], float]:
    """Every answer the phone may send for `chosen`, with its probability (ids in the options' order)."""
    ids, chosen = design["options"], list(chosen)
    if chosen == [PREFER_NOT_TO_SAY]:  # never randomized
        return {(PREFER_NOT_TO_SAY,): 1.0}
    if design["method"] == "forced":  # the first option is "yes"
        truth = design["p_truth"]
        return {
            (ids[0],): design["p_yes"] + truth * (chosen == [ids[0]]),
            (ids[1],): design["p_no"] + truth * (chosen == [ids[1]]),
        }
    if design["method"] == "grr":
        return {(option,): design["p"] if [option] == chosen else design["q"] for option in ids}
    tick = {option: design["p"] if option in chosen else design["q"] for option in ids}  # unary
    answers = {}
    for ticked in itertools.product((True, False), repeat=len(ids)):
        answers[tuple(o for o, t in zip(ids, ticked) if t)] = math.prod(
            tick[o] if t else 1 - tick[o] for o, t in zip(ids, ticked)
        )
    return answers


def frequency_errors(
    counts: dict[tuple[str, ...], int], expected: dict[tuple[str, ...], float], draws: int
) -> list[str]:
    """Where `counts` (out of `draws`) stray more than SIGMAS binomial standard deviations from
    `expected`; an answer that should never be sent must never be."""
    errors = []
    for answer in sorted(set(counts) | set(expected)):
        count, chance = counts.get(answer, 0), expected.get(answer, 0.0)
        mean, spread = draws * chance, math.sqrt(draws * chance * (1 - chance))
        if abs(count - mean) > SIGMAS * spread + 1e-9:
            errors.append(f"{list(answer)} sent {count} times in {draws}, expected {mean:.1f} +- {spread:.1f}")
    return errors


def _design(method: str, options, **probabilities) -> dict:
    return {"method": method, **probabilities, "options": list(options)}


def _forced(p_yes=0.125, p_no=0.125):
    return _design("forced", ["yes", "no"], **privacy.forced_response_probabilities(p_yes, p_no))


def _grr(options, epsilon=3.0):
    return _design("grr", options, **privacy.grr_probabilities(len(options), epsilon))


def _unary(options, epsilon=1.5):
    return _design("unary", options, **privacy.unary_probabilities(epsilon))


FEELINGS = ["calm", "sad", "none"]  # "none" stands alone when ticked by hand; randomized, it is a box


def designed_cases() -> list[Case]:
    """Designs from the probability functions: defaults, lopsided and small ones, every method."""
    return [
        Case("forced default, true yes", _forced(), ("yes",)),
        Case("forced default, true no", _forced(), ("no",)),
        Case("forced lopsided, true yes", _forced(0.2, 0.05), ("yes",)),
        Case("forced lopsided, true no", _forced(0.2, 0.05), ("no",)),
        Case("forced, prefer not to say", _forced(), (PREFER_NOT_TO_SAY,)),
        Case("grr 2 options, epsilon 1", _grr(["a", "b"], 1.0), ("a",)),
        Case("grr 3 options, the middle one", _grr(["a", "b", "c"], 1.0), ("b",)),
        Case("grr 5-point scale, default", _grr(["1", "2", "3", "4", "5"]), ("5",)),
        Case("grr, prefer not to say", _grr(["a", "b", "c"]), (PREFER_NOT_TO_SAY,)),
        Case("unary default, two ticked", _unary(FEELINGS), ("calm", "sad")),
        Case("unary default, the stand-alone one", _unary(FEELINGS), ("none",)),
        Case("unary epsilon 0.5, four options", _unary(["a", "b", "c", "d"], 0.5), ("a", "c")),
        Case("unary, prefer not to say", _unary(FEELINGS), (PREFER_NOT_TO_SAY,)),
    ]


def bank_cases() -> list[Case]:
    """Every randomized question in data/questions, with each answer a phone can pick alone."""
    cases = []
    for question in aftertalk.load_questions().values():
        design = question.design()
        if design is None:
            continue
        design = dict(design, options=[o.id for o in question.options])
        for option in question.all_options:
            cases.append(Case(f"bank {question.id}, {option.id}", design, (option.id,)))
    return cases


def all_cases() -> list[Case]:
    return designed_cases() + bank_cases()
