"""Privacy rules for Aftertalk: reveal thresholds, small-count suppression and
randomized-response estimators (DESIGN.md, privacy model points 5 and 6;
formulas from research/privacy.md).

Everything here is a pure function of its arguments (stdlib only), so the
server, the notebook, the rehearsal simulator and the tests all share one
definition of what may be shown.

Notation: n answers to a question, c answers for one option, k the reveal
threshold.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

__all__ = [
    "MIN_THRESHOLD",
    "DEFAULT_THRESHOLD",
    "RANDOMIZED_THRESHOLD",
    "PrivacyError",
    "Cell",
    "Estimate",
    "FEWER_THAN",
    "ALL_BUT_A_FEW",
    "HIDDEN",
    "check_threshold",
    "revealable",
    "suppress",
    "wilson_interval",
    "forced_response_probabilities",
    "grr_probabilities",
    "unary_probabilities",
    "forced_response",
    "grr",
    "unary",
    "unary_answer_epsilon",
    "MAX_ANSWER_EPSILON",
    "MAX_OPTION_EPSILON",
    "DesignOutOfBounds",
    "check_design_bounds",
    "swap_chance",
    "one_in",
    "simulate_forced_response",
    "simulate_grr",
    "simulate_unary",
]

# --------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------

#: Lowest reveal threshold anyone may configure; below 3 a count of 1 or 2
#: in a small room points at a person.
MIN_THRESHOLD = 3
#: Default reveal threshold for direct questions (the industry default of 5).
DEFAULT_THRESHOLD = 5
#: Threshold for randomized-response questions and free text: below 10
#: answers the interval is too wide to mean anything, and free text can be
#: recognised by its wording.
RANDOMIZED_THRESHOLD = 10


class PrivacyError(ValueError):
    """Input that would make a privacy rule or an estimate meaningless."""


def _fail(question_id: str | None, message: str) -> PrivacyError:
    where = f"question {question_id!r}: " if question_id is not None else ""
    return PrivacyError(where + message)


def _is_int(value: object) -> bool:
    # bool is a subclass of int, but True is not a count.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_threshold(k: int, question_id: str | None = None) -> int:
    """Return k if it is a usable reveal threshold (an int >= MIN_THRESHOLD).

    Raises PrivacyError naming the question otherwise.
    """
    if not _is_int(k):
        raise _fail(question_id, f"the reveal threshold must be a whole number, got {k!r}")
    if k < MIN_THRESHOLD:
        raise _fail(
            question_id,
            f"the reveal threshold is {k}, but it may never be below {MIN_THRESHOLD}",
        )
    return k


def revealable(n: int, k: int = DEFAULT_THRESHOLD) -> bool:
    """True when a question with n answers may show anything at all: n >= k.

    Use k = RANDOMIZED_THRESHOLD for randomized-response questions and free
    text.
    """
    check_threshold(k)
    if not _is_int(n) or n < 0:
        raise _fail(None, f"the number of answers must be a whole number >= 0, got {n!r}")
    return n >= k


# --------------------------------------------------------------------------
# Small-count suppression (direct questions)
# --------------------------------------------------------------------------

#: Label of a hidden cell known to hold fewer than k answers ("fewer than 5").
FEWER_THAN = "fewer than {k}"
#: Label of a hidden cell holding all answers, or all but fewer than k.
ALL_BUT_A_FEW = "all but a few"
#: Label of a hidden cell that carries no range (see `suppress`).
HIDDEN = "hidden"


@dataclass(frozen=True)
class Cell:
    """One option's result as it may be shown.

    count: the number of answers, or None when the cell is hidden.
    hidden: True when the cell must be drawn as a range (hatched), never a number.
    shown_as: the text to display: the count ("7", "0") or a range label.
    """

    count: int | None
    hidden: bool
    shown_as: str


def _shown(count: int) -> Cell:
    return Cell(count=count, hidden=False, shown_as=str(count))


def _hidden(label: str) -> Cell:
    return Cell(count=None, hidden=True, shown_as=label)


def _is_primary(c: int, n: int, k: int) -> bool:
    """DESIGN point 5: hide c when 0 < c < k, or when n - c < k (c = n included)."""
    return 0 < c < k or n - c < k


def _validate_counts(
    counts: Mapping[str, int], n: int, *, multi: bool, question_id: str
) -> None:
    if not _is_int(n) or n < 0:
        raise _fail(question_id, f"the number of answers must be a whole number >= 0, got {n!r}")
    if not counts:
        raise _fail(question_id, "there are no options to count")
    for option, c in counts.items():
        if not _is_int(c) or c < 0:
            raise _fail(
                question_id,
                f"option {option!r} has count {c!r}; counts must be whole numbers >= 0",
            )
        if c > n:
            raise _fail(
                question_id,
                f"option {option!r} has {c} answers but the question has only {n}",
            )
    if not multi and sum(counts.values()) != n:
        # Single choice: every answer is exactly one option.
        raise _fail(
            question_id,
            f"single-choice counts add up to {sum(counts.values())}, not to the {n} answers",
        )


def suppress(
    counts: Mapping[str, int],
    n: int,
    k: int = DEFAULT_THRESHOLD,
    *,
    multi: bool,
    question_id: str,
) -> dict[str, Cell]:
    """Decide, option by option, what a direct question may show.

    counts maps each option to its number of answers c, n is the number of
    people who answered, k the reveal threshold (>= MIN_THRESHOLD). The
    result keeps the order of `counts`. A hidden cell has count None.

    Primary rule (DESIGN point 5): a cell is hidden when 0 < c < k or
    n - c < k (this includes c = n, which would tell everyone's answer).

    Labels of hidden cells (`shown_as`), and what each tells a reader:

    - "fewer than k" (FEWER_THAN): 1..k-1 answers; in single choice also a
      hidden 0, so 0..k-1.
    - "all but a few" (ALL_BUT_A_FEW): n-k+1..n answers, all included.
    - "hidden" (HIDDEN): no range printed. Used for a cell hidden only to
      protect others (see below for what a reader can still infer), and for
      every cell when the whole question is withheld.

    Nothing is shown when n < k: every cell is "hidden".

    Multi-select (options are not exclusive, so no sum ties them): each
    option is judged on its own against n. Every answer ticks at least one
    option, so when one cell is hidden and every shown cell is 0 the whole
    question is withheld (that cell would be exactly n). In multi-select
    "hidden" promises nothing: 0..n. Otherwise zeros are shown: a 0 says nobody
    ticked that option and nothing about the others. Below 2k answers every
    nonzero option breaks a rule and the two ranges overlap (n = k, c = n
    would read "all but a few" = exactly k), so hidden cells read "hidden".
    This assumes an answer with no ticks is allowed: if the phone demanded
    at least one tick, "all but a few" beside shown zeros would be exactly n.

    Single choice (the counts sum to n, so hidden cells are tied to the
    total): below 2k answers every nonzero cell breaks a rule, so the whole
    question is withheld (every cell "hidden"). From 2k answers on:

    1. Hide the cells the primary rule names.
    2. Hide more cells, one at a time, until no hidden cell can be worked
       out from n, the shown cells and the labels: every hidden cell must
       keep at least two possible values, and the hidden total H must not
       itself be a small count (not 0 < H < k, not 0 < n - H < k). The next
       cell is the smallest nonzero shown one (first option on a tie), which
       costs the reader least. Zeros come last, as a hidden zero adds
       nothing to H; a hidden zero reads "fewer than k", so it cannot be told
       from a small cell. That matters for 12, 0, 0, where the 12 would
       otherwise be n minus two shown zeros. Otherwise a true 0 is shown:
       "nobody chose it" is fine on its own.
    3. Check the result as a reader who knows these rules and their own
       answer would: list every count vector that agrees with what is shown
       and that these rules would show the same way. Every hidden cell must
       take at least two values among them, also for a reader who chose a
       hidden option (they know it holds their own answer). Step 2 alone
       can fail this: 4, 4, 5 in a room of 13 shows as "fewer than 5",
       "fewer than 5", "hidden"; a reader who knows step 2 sees that the
       "hidden" cell (5..8) was needed only because the two small cells
       gave themselves away on their own, which only 4 and 4 do.

    The whole question is withheld when step 2 runs out of cells, when step
    3 fails or has too many vectors to list, and when no nonzero count would
    be shown and no cell reads "all but a few" (such a chart says almost
    nothing, and withholding it too keeps a withheld chart from pointing at
    the few rooms that cannot be shown, such as 4, 4, 4 with k = 5).

    What a reader learns is therefore: shown counts; "fewer than k"
    (0..k-1); "all but a few" (n-k+1..n); and for a "hidden" cell in a
    chart that shows other cells, that it holds at least k answers, at most
    n - k, and no more than the shown counts (less than those listed before
    it). The tests check, for every count vector of small rooms, that no
    hidden count can be pinned from what is shown, even by a participant
    who knows these rules and their own answer.
    """
    check_threshold(k, question_id)
    _validate_counts(counts, n, multi=multi, question_id=question_id)
    options = list(counts)
    values = tuple(counts[o] for o in options)
    withheld = {o: _hidden(HIDDEN) for o in options}

    if n < k:
        return withheld

    if multi:
        def multi_label(c: int) -> str:
            if n < 2 * k:
                return HIDDEN
            return FEWER_THAN.format(k=k) if c < k else ALL_BUT_A_FEW

        cells = {
            o: _hidden(multi_label(c)) if _is_primary(c, n, k) else _shown(c)
            for o, c in zip(options, values)
        }
        # Everyone who answers ticks at least one option. If one cell is hidden and every shown
        # cell is 0, all the ticks are in that cell: it would be exactly n. Withhold the question.
        hidden_cells = [cell for cell in cells.values() if cell.hidden]
        shown_total = sum(cell.count for cell in cells.values() if not cell.hidden)
        if len(hidden_cells) == 1 and shown_total == 0:
            return withheld
        return cells

    if n < 2 * k:
        # Every nonzero cell is small or "all but a few": nothing can show.
        return withheld
    labels = _single_choice_labels(values, n, k)
    if all(label is None for label in labels):
        return {o: _shown(c) for o, c in zip(options, values)}
    says_almost_nothing = ALL_BUT_A_FEW not in labels and all(
        label is not None or c == 0 for c, label in zip(values, labels)
    )
    if says_almost_nothing or not _no_reader_can_pin(values, labels, n, k):
        return withheld
    return {
        o: _shown(c) if label is None else _hidden(label)
        for o, c, label in zip(options, values, labels)
    }


# Most count vectors `_no_reader_can_pin` will list (a few tenths of a second)
# before it gives up and the question is withheld, which is always safe.
_MAX_VECTORS_TO_LIST = 20_000


def _single_choice_labels(values: tuple[int, ...], n: int, k: int) -> tuple[str | None, ...]:
    """Steps 1 and 2 of `suppress` for single choice with n >= 2k.

    Returns one label per cell, None for a shown cell.
    """
    m = len(values)
    primary = [i for i in range(m) if _is_primary(values[i], n, k)]
    if not primary:
        return (None,) * m
    hidden = list(primary)
    candidates = sorted(
        (i for i in range(m) if i not in primary),
        key=lambda i: (values[i] == 0, values[i], i),
    )
    while not _hiding_is_safe(values, hidden, n, k):
        if not candidates:
            return (HIDDEN,) * m  # nothing left to hide: withhold
        hidden.append(candidates.pop(0))
    labels: list[str | None] = []
    for i, c in enumerate(values):
        if i not in hidden:
            labels.append(None)
        elif c < k:  # small, or a hidden zero that must look small
            labels.append(FEWER_THAN.format(k=k))
        elif n - c < k:
            labels.append(ALL_BUT_A_FEW)
        else:
            labels.append(HIDDEN)
    return tuple(labels)


def _complement_ceiling(i: int, values, hidden, n: int, k: int) -> int:
    """Largest value a complementary cell i can have, as a reader can tell.

    It is not "all but a few" (so at most n - k), and it was hidden before
    every shown nonzero cell, so it is no larger than any of them, and
    smaller than one listed before it.
    """
    ceiling = n - k
    for j, c in enumerate(values):
        if j not in hidden and c > 0:
            ceiling = min(ceiling, c if i < j else c - 1)
    return ceiling


def _hiding_is_safe(values, hidden, n: int, k: int) -> bool:
    """The test of step 2: no hidden cell, nor their total, gives a count away.

    A reader knows H = n - (shown cells) and a range lo..hi per hidden cell.
    The ranges are deliberately narrow (a small cell 1..k-1 although its
    label also covers zeros), so that the test errs towards hiding more.
    Sums of ranges are ranges, so cell i can be anything in
    [max(lo_i, H - sum of other hi), min(hi_i, H - sum of other lo)].
    """
    hidden_total = sum(values[i] for i in hidden)
    if 0 < hidden_total < k or 0 < n - hidden_total < k:
        return False
    ranges = []
    for i in hidden:
        c = values[i]
        if c == 0:
            ranges.append((0, k - 1))
        elif c < k:
            ranges.append((1, k - 1))
        elif n - c < k:
            ranges.append((n - k + 1, n))
        else:
            ranges.append((k, _complement_ceiling(i, values, hidden, n, k)))
    sum_lo = sum(lo for lo, _ in ranges)
    sum_hi = sum(hi for _, hi in ranges)
    for lo, hi in ranges:
        can_be_low = max(lo, hidden_total - (sum_hi - hi))
        can_be_high = min(hi, hidden_total - (sum_lo - lo))
        if can_be_high - can_be_low < 1:
            return False
    return True


def _vectors_in_ranges(ranges: list[tuple[int, int]], total: int):
    """Every tuple with entries inside `ranges` that sums to `total`."""
    if not ranges:
        if total == 0:
            yield ()
        return
    (lo, hi), rest = ranges[0], ranges[1:]
    rest_lo = sum(r[0] for r in rest)
    rest_hi = sum(r[1] for r in rest)
    for x in range(max(lo, total - rest_hi), min(hi, total - rest_lo) + 1):
        for tail in _vectors_in_ranges(rest, total - x):
            yield (x,) + tail


def _no_reader_can_pin(values, labels, n: int, k: int) -> bool:
    """Step 3 of `suppress`: can a reader who knows the rules pin a hidden cell?

    Lists the count vectors that agree with the shown cells, have each
    hidden cell inside its label's range and sum to n, keeps those the rules
    would label exactly the same way, and asks that every hidden cell take at
    least two values among them. A participant who chose hidden option o
    also knows o holds at least one answer (theirs): among the vectors with
    that, every other hidden cell must still take two values, and o itself
    two values or only their own answer.
    """
    hidden = [i for i, label in enumerate(labels) if label is not None]
    hidden_total = n - sum(c for c, label in zip(values, labels) if label is None)
    ranges = []
    for i in hidden:
        if labels[i] == ALL_BUT_A_FEW:
            ranges.append((n - k + 1, n))
        elif labels[i] == HIDDEN:
            ranges.append((k, _complement_ceiling(i, values, hidden, n, k)))
        else:  # fewer than k
            ranges.append((0, k - 1))

    seen = [set() for _ in hidden]
    # seen_by_chooser[o][t]: values of hidden cell t, not counting the
    # reader's own answer, over the vectors where hidden cell o is nonzero.
    seen_by_chooser = [[set() for _ in hidden] for _ in hidden]
    for listed, assignment in enumerate(_vectors_in_ranges(ranges, hidden_total)):
        if listed >= _MAX_VECTORS_TO_LIST:
            return False
        candidate = list(values)
        for i, x in zip(hidden, assignment):
            candidate[i] = x
        if _single_choice_labels(tuple(candidate), n, k) != labels:
            continue
        for t, x in enumerate(assignment):
            seen[t].add(x)
        for o, own in enumerate(assignment):
            if own >= 1:
                for t, x in enumerate(assignment):
                    seen_by_chooser[o][t].add(x - (t == o))
    if any(len(s) < 2 for s in seen):
        return False
    for o, by_chooser in enumerate(seen_by_chooser):
        for t, s in enumerate(by_chooser):
            if not s:
                continue
            if len(s) < 2 and not (t == o and s == {0}):
                return False
    return True


# --------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion lambda = successes / n.

    centre = (lambda + z^2 / 2n) / (1 + z^2 / n)
    half   = z / (1 + z^2 / n) * sqrt(lambda (1 - lambda) / n + z^2 / 4n^2)

    Returns (centre - half, centre + half), which lies inside [0, 1] (and
    starts at 0 for 0 successes, ends at 1 for n). Used instead of the Wald
    interval, which fails at room sizes.
    """
    if not _is_int(n) or n < 1:
        raise PrivacyError(f"an interval needs at least one answer, got n = {n!r}")
    if not _is_int(successes) or not 0 <= successes <= n:
        raise PrivacyError(f"successes must be a whole number in 0..{n}, got {successes!r}")
    if not _is_real(z) or not z > 0 or not math.isfinite(z):
        raise PrivacyError(f"z must be a positive number, got {z!r}")
    lam = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (lam + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(lam * (1 - lam) / n + z2 / (4 * n * n))
    # At 0 or n successes the interval ends exactly at 0 or 1; rounding
    # would leave 1e-17 or 0.9999999999999999.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


# --------------------------------------------------------------------------
# Randomized response: designs (what the phone is told to do)
# --------------------------------------------------------------------------


#: Most privacy loss one randomized answer may carry (forced response, single choice, scale): what a phone
#: sends is then at most e^3, about 20, times likelier under the person's true answer than under another.
#: Beyond it the phone swaps so rarely that an answer is as good as the person's own.
MAX_ANSWER_EPSILON = 3.0
#: Most privacy loss per option of a randomized multi-select answer: every box is flipped (ticked or
#: not) at least about 1 time in 8. The whole answer's bound is m times this (`unary_answer_epsilon`).
MAX_OPTION_EPSILON = 2.0


class DesignOutOfBounds(PrivacyError):
    """A randomized design that (almost) never randomizes. `setting` names the setting to change."""

    def __init__(self, message: str, setting: str):
        super().__init__(message)
        self.setting = setting


def check_design_bounds(design: Mapping[str, float | str], *, question_id: str | None = None) -> None:
    """Refuse a design whose answers would be (almost) never swapped: epsilon above MAX_ANSWER_EPSILON per
    answer (forced response, single choice), or above MAX_OPTION_EPSILON per option (multi-select).

    `design` is what `Question.design()` returns (a "method" and its probabilities). The estimators accept
    any design; this is the rule for what a phone may be asked to send.
    """
    where = f"question {question_id!r}: " if question_id is not None else ""
    method = design["method"]
    if method == "forced":
        bound = MAX_ANSWER_EPSILON
        for answer, forced, other in (("yes", design["p_yes"], design["p_no"]), ("no", design["p_no"], design["p_yes"])):
            epsilon = math.log((design["p_truth"] + forced) / forced)
            if epsilon > bound:
                lowest = (1 - other) * math.exp(-bound)
                raise DesignOutOfBounds(
                    f"{where}p_{answer} is {forced:g}: a phone then sends a forced \"{answer}\" so rarely that a "
                    f"\"{answer}\" is {math.exp(epsilon):,.0f} times likelier to be true than not (epsilon "
                    f"{epsilon:.2f}); at most epsilon {bound:g} is allowed. Use p_{answer} of at least "
                    f"{math.ceil(lowest * 1000) / 1000:g}, or leave it out for the default 0.125.", f"p_{answer}")
        return
    single = method == "grr"
    bound = MAX_ANSWER_EPSILON if single else MAX_OPTION_EPSILON
    if design["epsilon"] > bound:
        chance = swap_chance(design)
        rarely = (f"about 1 {'answer' if single else 'box'} in {one_in(chance):,} is "
                  f"{'swapped' if single else 'flipped'}" if chance > 1e-9 else "practically never")
        raise DesignOutOfBounds(
            f"{where}epsilon is {design['epsilon']:g}, but a randomized {'single-choice' if single else 'multi-select'} "
            f"question may have at most {bound:g} {'per answer' if single else 'per option'}: above it the phone "
            f"swaps too rarely to protect anyone (here {rarely}). Use {bound:g} or "
            "less, or leave it out for the default.", "epsilon")


def swap_chance(design: Mapping[str, float | str]) -> float:
    """How often the phone sends something other than the person's own choice, as the phone tells them:
    forced response, the chance of a forced answer (p_yes + p_no); single choice, the chance of another
    option (1 - p); multi-select, the chance that one box is flipped (q)."""
    if design["method"] == "forced":
        return design["p_yes"] + design["p_no"]
    return 1 - design["p"] if design["method"] == "grr" else design["q"]


def one_in(chance: float) -> int:
    """A chance as "about 1 in N", N at least 2 (a phone never swaps every answer)."""
    return max(2, round(1 / chance)) if chance > 0 else 0


def _check_epsilon(epsilon: float, name: str, question_id: str | None) -> None:
    if not _is_real(epsilon) or not math.isfinite(epsilon) or epsilon <= 0:
        raise _fail(question_id, f"{name} must be a positive finite number, got {epsilon!r}")


def forced_response_probabilities(
    p_yes: float = 0.125, p_no: float = 0.125, *, question_id: str | None = None
) -> dict[str, float]:
    """The forced-response design for a yes/no question (Boruch 1972).

    The phone reports "yes" with probability p_yes, "no" with p_no, and the
    true answer with p_truth = 1 - p_yes - p_no.

    epsilon = max(ln((p_truth + p_yes) / p_yes), ln((p_truth + p_no) / p_no))

    Both p_yes and p_no must be > 0: with p_no = 0 a "no" can only be true,
    so it gives the person away (epsilon = infinity).

    Returns {"p_yes", "p_no", "p_truth", "epsilon"}.
    """
    for name, value in (("p_yes", p_yes), ("p_no", p_no)):
        if not _is_real(value) or not math.isfinite(value):
            raise _fail(question_id, f"{name} must be a finite number, got {value!r}")
        if value <= 0:
            raise _fail(
                question_id,
                f"{name} is {value}, but it must be above 0: otherwise one answer "
                "could only be true and would give the person away",
            )
    if p_yes + p_no >= 1:
        raise _fail(
            question_id,
            f"p_yes + p_no is {p_yes + p_no}, but it must be below 1 so that some "
            "true answers get through",
        )
    p_truth = 1 - p_yes - p_no
    epsilon = max(math.log((p_truth + p_yes) / p_yes), math.log((p_truth + p_no) / p_no))
    return {"p_yes": p_yes, "p_no": p_no, "p_truth": p_truth, "epsilon": epsilon}


def grr_probabilities(
    k: int, epsilon: float = 3.0, *, question_id: str | None = None
) -> dict[str, float]:
    """Generalized (k-ary) randomized response for single choice among k options.

    The phone reports the true option with probability p and each of the
    other k - 1 options with probability q:

    p = e^eps / (e^eps + k - 1),  q = 1 / (e^eps + k - 1),  p / q = e^eps.

    Returns {"p", "q", "epsilon"}.
    """
    if not _is_int(k) or k < 2:
        raise _fail(question_id, f"randomized response needs at least 2 options, got {k!r}")
    _check_epsilon(epsilon, "epsilon", question_id)
    # Divide through by e^eps so a large epsilon cannot overflow.
    shrink = math.exp(-epsilon)
    denominator = 1 + (k - 1) * shrink
    return {"p": 1 / denominator, "q": shrink / denominator, "epsilon": epsilon}


def unary_probabilities(
    epsilon_b: float = 1.5, *, question_id: str | None = None
) -> dict[str, float]:
    """Per-option (unary) randomization for multi-select.

    Each option is one bit. A ticked bit is reported ticked with probability
    p, an unticked bit with probability q (symmetric):

    p = e^eps_b / (e^eps_b + 1),  q = 1 - p.

    One bit's privacy loss is ln(p / q) = eps_b. (research/privacy.md writes
    ln(p (1 - q) / ((1 - p) q)); with q = 1 - p that is 2 eps_b, the loss of
    a one-hot answer where changing it flips two bits. Here options are
    independent ticks, so changing one tick flips one bit; the whole answer
    is bounded by m * eps_b, see `unary_answer_epsilon`.)

    Returns {"p", "q", "epsilon"} with epsilon = eps_b.
    """
    _check_epsilon(epsilon_b, "epsilon_b", question_id)
    p = 1 / (1 + math.exp(-epsilon_b))
    return {"p": p, "q": 1 - p, "epsilon": epsilon_b}


def unary_answer_epsilon(m: int, epsilon_b: float = 1.5) -> float:
    """Privacy bound for a whole multi-select answer over m options: m * eps_b.

    The facilitator should see this number: each extra option spends eps_b more.
    """
    if not _is_int(m) or m < 1:
        raise PrivacyError(f"the number of options must be a whole number >= 1, got {m!r}")
    _check_epsilon(epsilon_b, "epsilon_b", None)
    return m * epsilon_b


# --------------------------------------------------------------------------
# Randomized response: estimators
#
# These are plain arithmetic and work for any n >= 1; showing an estimate is
# the caller's decision: nothing below RANDOMIZED_THRESHOLD answers (use
# `revealable(n, RANDOMIZED_THRESHOLD)`), where the interval is too wide to
# mean anything.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """An estimated share of the room, from randomized answers.

    estimate: the unbiased estimate, clipped to [0, 1] for display.
    low, high: Wilson 95% interval for the observed share mapped through the
        same linear estimator, clipped to [0, 1].
    epsilon: the privacy loss of the design (per option for multi-select).
    clipped: True when the unbiased estimate fell outside [0, 1]; say so.
    raw: the unbiased estimate before clipping (may be < 0 or > 1 at small n).
    """

    estimate: float
    low: float
    high: float
    epsilon: float
    clipped: bool
    raw: float


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def _linear_estimate(count: int, n: int, offset: float, slope: float, epsilon: float) -> Estimate:
    """Estimate = (lambda - offset) / slope, where E[lambda] = offset + slope * truth."""
    raw = (count / n - offset) / slope
    wilson_low, wilson_high = wilson_interval(count, n)
    estimate = _clip(raw)
    return Estimate(
        estimate=estimate,
        # slope > 0, so the map keeps the order of the ends.
        low=_clip((wilson_low - offset) / slope),
        high=_clip((wilson_high - offset) / slope),
        epsilon=epsilon,
        clipped=estimate != raw,
        raw=raw,
    )


def _check_answers(n: int, question_id: str) -> None:
    if not _is_int(n) or n < 0:
        raise _fail(question_id, f"the number of answers must be a whole number >= 0, got {n!r}")
    if n == 0:
        raise _fail(question_id, "there are no answers to estimate from")


def _check_count(option: str, c: int, n: int, question_id: str) -> None:
    if not _is_int(c) or c < 0:
        raise _fail(
            question_id, f"option {option!r} has count {c!r}; counts must be whole numbers >= 0"
        )
    if c > n:
        raise _fail(question_id, f"option {option!r} has {c} answers but the question has only {n}")


def forced_response(
    yes: int,
    n: int,
    p_yes: float = 0.125,
    p_no: float = 0.125,
    *,
    question_id: str,
) -> Estimate:
    """Estimate the true share of "yes" from forced-response reports.

    lambda = yes / n,  E[lambda] = p_yes + p_truth * pi,
    pi_hat = (lambda - p_yes) / p_truth.
    """
    design = forced_response_probabilities(p_yes, p_no, question_id=question_id)
    _check_answers(n, question_id)
    _check_count("yes", yes, n, question_id)
    return _linear_estimate(yes, n, p_yes, design["p_truth"], design["epsilon"])


def grr(
    counts: Mapping[str, int],
    n: int,
    epsilon: float = 3.0,
    *,
    question_id: str,
) -> dict[str, Estimate]:
    """Estimate each option's true share from k-ary randomized response.

    k = len(counts). For option v with n_v reports:
    f_hat_v = (n_v / n - q) / (p - q), with p, q from `grr_probabilities`.
    Every report names exactly one option, so the counts must sum to n.
    """
    design = grr_probabilities(len(counts), epsilon, question_id=question_id)
    _check_answers(n, question_id)
    for option, c in counts.items():
        _check_count(option, c, n, question_id)
    if sum(counts.values()) != n:
        raise _fail(
            question_id,
            f"single-choice counts add up to {sum(counts.values())}, not to the {n} answers",
        )
    p, q = design["p"], design["q"]
    return {option: _linear_estimate(c, n, q, p - q, epsilon) for option, c in counts.items()}


def unary(
    counts: Mapping[str, int],
    n: int,
    epsilon_b: float = 1.5,
    *,
    question_id: str,
) -> dict[str, Estimate]:
    """Estimate each option's true share from per-option randomized ticks.

    For option v ticked in c_v of n reports:
    f_hat_v = (c_v / n - q) / (p - q), with p, q from `unary_probabilities`.
    Estimate.epsilon is the per-option eps_b; see `unary_answer_epsilon`.
    """
    design = unary_probabilities(epsilon_b, question_id=question_id)
    if not counts:
        raise _fail(question_id, "there are no options to estimate")
    _check_answers(n, question_id)
    for option, c in counts.items():
        _check_count(option, c, n, question_id)
    p, q = design["p"], design["q"]
    return {option: _linear_estimate(c, n, q, p - q, epsilon_b) for option, c in counts.items()}


# --------------------------------------------------------------------------
# Simulators (statistical tests and rehearsal)
# --------------------------------------------------------------------------


def simulate_forced_response(
    truth: Iterable[bool],
    rng: random.Random,
    p_yes: float = 0.125,
    p_no: float = 0.125,
) -> list[bool]:
    """What the phones would send for these true yes/no answers."""
    forced_response_probabilities(p_yes, p_no)
    reports = []
    for answer in truth:
        u = rng.random()
        if u < p_yes:
            reports.append(True)
        elif u < p_yes + p_no:
            reports.append(False)
        else:
            reports.append(bool(answer))
    return reports


def simulate_grr(
    truth: Iterable[str],
    options: Sequence[str],
    rng: random.Random,
    epsilon: float = 3.0,
) -> list[str]:
    """What the phones would send for these true single-choice answers.

    Keep the true option with probability p; otherwise pick one of the other
    k - 1 options uniformly, so each of them has (1 - p) / (k - 1) = q.
    """
    options = list(options)
    design = grr_probabilities(len(options), epsilon)
    reports = []
    for answer in truth:
        if answer not in options:
            raise PrivacyError(f"answer {answer!r} is not one of the options {options}")
        if rng.random() < design["p"]:
            reports.append(answer)
        else:
            reports.append(rng.choice([o for o in options if o != answer]))
    return reports


def simulate_unary(
    truth: Iterable[Iterable[str]],
    options: Sequence[str],
    rng: random.Random,
    epsilon_b: float = 1.5,
) -> list[set[str]]:
    """What the phones would send for these true multi-select answers.

    Each option's tick is kept with probability p and flipped with q = 1 - p.
    """
    options = list(options)
    p = unary_probabilities(epsilon_b)["p"]
    reports = []
    for answer in truth:
        ticked = set(answer)
        unknown = ticked - set(options)
        if unknown:
            raise PrivacyError(f"answers {sorted(unknown)} are not among the options {options}")
        report = set()
        for option in options:
            keep = rng.random() < p
            if (option in ticked) == keep:  # ticked and kept, or unticked and flipped
                report.add(option)
        reports.append(report)
    return reports
