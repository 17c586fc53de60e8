"""Privacy rules for Aftertalk: reveal thresholds, small-count suppression and
randomized-response estimators (DESIGN.md, privacy model points 5 and 6;
formulas from research/privacy.md).

Everything here is a pure function of its arguments (stdlib only; the
question model takes its "prefer not to say" id from here), so the server, the notebook, the
rehearsal's pretend phones and the tests all share one definition of what
may be shown, and of how a phone randomizes an answer (`randomize_answer`,
which the phone's script mirrors).

Notation: n answers to a question, c answers for one option, k the reveal
threshold.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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
    "strict_threshold",
    "direct_min_answers",
    "revealable",
    "suppress",
    "release",
    "Release",
    "TOO_FEW_ANSWERS",
    "FEW_OUTSIDE_EXCLUSIVE",
    "COULD_POINT_TO_SOMEONE",
    "wilson_interval",
    "forced_response_probabilities",
    "grr_probabilities",
    "unary_probabilities",
    "forced_response",
    "forced_response_both",
    "grr",
    "grr_share_among",
    "unary",
    "unary_answer_epsilon",
    "MAX_ANSWER_EPSILON",
    "MAX_OPTION_EPSILON",
    "DesignOutOfBounds",
    "check_design_bounds",
    "swap_chance",
    "one_in",
    "RandomSource",
    "randomize_answer",
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
#: The option every question offers (DESIGN point 7); never randomized, it is kept as a skip.
PREFER_NOT_TO_SAY = "prefer_not_to_say"
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


def strict_threshold(k: int = DEFAULT_THRESHOLD) -> int:
    """Answers a randomized-response estimate or a one-word check-in needs where the threshold is k.

    RANDOMIZED_THRESHOLD (an interval is too wide below it, and free text can be recognised by its
    wording), or k when the room raised its threshold above it: raising it never shows more.
    """
    return max(RANDOMIZED_THRESHOLD, check_threshold(k))


def direct_min_answers(k: int = DEFAULT_THRESHOLD) -> int:
    """Answers a direct question needs before any nonzero count can show: 2k (see `release`)."""
    return 2 * check_threshold(k)


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


#: What a hidden cell tells, as data for the notebook to word in the facilitator's language
#: (`Cell.range`; the API's `range`): 1..k-1, n-k+1..n, or nothing.
RANGE_FEWER_THAN, RANGE_ALL_BUT_A_FEW, RANGE_HIDDEN = "fewer_than", "all_but_a_few", "hidden"


@dataclass(frozen=True)
class Cell:
    """One option's result as it may be shown.

    count: the number of answers, or None when the cell is hidden.
    hidden: True when the cell must be drawn as a range (hatched), never a number.
    shown_as: the rules' own label: the count ("7", "0") or a range ("fewer than 5"), in English.
    """

    count: int | None
    hidden: bool
    shown_as: str

    @property
    def range(self) -> str | None:
        """A hidden cell's range as data (RANGE_*), None for a shown one; the room's k completes it."""
        if not self.hidden:
            return None
        if self.shown_as == ALL_BUT_A_FEW:
            return RANGE_ALL_BUT_A_FEW
        return RANGE_HIDDEN if self.shown_as == HIDDEN else RANGE_FEWER_THAN


def _shown(count: int) -> Cell:
    return Cell(count=count, hidden=False, shown_as=str(count))


def _hidden(label: str) -> Cell:
    return Cell(count=None, hidden=True, shown_as=label)


def _is_primary(c: int, n: int, k: int) -> bool:
    """DESIGN point 5: hide c when 0 < c < k, or when n - c < k (c = n included)."""
    return 0 < c < k or n - c < k


def _validate_counts(counts: Mapping[str, int], n: int, *, multi: bool, question_id: str) -> None:
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


@dataclass(frozen=True)
class Release:
    """What a revealed direct question may show.

    cells: one Cell per option, in the order of the counts.
    withheld: None when the chart may show, or why every cell is hidden, as one of the reason codes
        below; the notebook words it for the room in the facilitator's language.
    """

    cells: dict[str, Cell]
    withheld: str | None = None


# Why a result is not shown, as the server says it (the notebook words it: charts.WITHHELD_TEXT).
#: Fewer answers than the rule needs: 2k before a direct count can show, `strict_threshold(k)` for
#: randomized estimates and one-word check-ins.
TOO_FEW_ANSWERS = "too_few_answers"
#: Multi-select: fewer than k people ticked anything beside the stand-alone answers ("Doesn't
#: apply", "None of these", "Prefer not to say"), so any bar would describe those few people.
FEW_OUTSIDE_EXCLUSIVE = "few_outside_exclusive"
#: Any chart the rules could draw would let a reader who knows them work out a hidden count.
COULD_POINT_TO_SOMEONE = "could_point_to_someone"
#: One-word check-in: no word can be shown (none was given by k or more people and by fewer than all
#: but k, or the facilitator hid every such word).
NO_SHARED_WORD = "no_shared_word"
#: The second of a before/after pair: see `pair_withheld`.
PAIR_COUNTS_TOO_CLOSE = "pair_counts_too_close"
PAIR_DIFFERENCE_TOO_SMALL = "pair_difference_too_small"


def suppress(
    counts: Mapping[str, int],
    n: int,
    k: int = DEFAULT_THRESHOLD,
    *,
    multi: bool,
    question_id: str,
    exclusive: Iterable[str] = (),
) -> dict[str, Cell]:
    """The cells of `release`: what each option of a direct question may show."""
    return release(counts, n, k, multi=multi, question_id=question_id, exclusive=exclusive).cells


def release(
    counts: Mapping[str, int],
    n: int,
    k: int = DEFAULT_THRESHOLD,
    *,
    multi: bool,
    question_id: str,
    exclusive: Iterable[str] = (),
) -> Release:
    """Decide, option by option, what a direct question may show, or why nothing may.

    counts maps each option to its number of answers c, n is the number of
    people who answered, k the reveal threshold (>= MIN_THRESHOLD). For
    multi-select, `exclusive` names the options that stand alone ("None of
    these", "Doesn't apply", "Prefer not to say"). The result keeps the order
    of `counts`. A hidden cell has count None.

    The reader these rules must beat (research/privacy.md, last section)
    knows n, every shown number and range, these rules, the question's
    constraints and their own answer. No hidden cell, and no group count such
    as R below, may be pinned to one value by such a reader.

    Primary rule (DESIGN point 5): a cell is hidden when 0 < c < k or
    n - c < k (this includes c = n, which would tell everyone's answer).

    Labels of hidden cells (`shown_as`), and what each tells a reader:

    - "fewer than k" (FEWER_THAN): 1..k-1 answers; in single choice also a
      hidden 0, so 0..k-1.
    - "all but a few" (ALL_BUT_A_FEW): n-k+1..n answers, all included.
    - "hidden" (HIDDEN): no range printed. Used for a cell hidden only to
      protect others (see below for what a reader can still infer), and for
      every cell when the whole question is withheld.

    Nothing is shown below 2k answers (below k nothing at all could show; from
    k to 2k - 1 every nonzero cell breaks a rule): `withheld` says
    TOO_FEW_ANSWERS.

    Single choice (the counts sum to n, so hidden cells are tied to the
    total):

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

    Multi-select: every answer is one exclusive option alone, or one or more
    ordinary options. So the exclusive cells and R, the number of people who
    ticked any ordinary option, are a single-choice partition of n; every
    ordinary cell is at most R, and together they are at least R.

    1. 0 < R < k: withheld (FEW_OUTSIDE_EXCLUSIVE). Any bar would
       describe those few people's answers; with R = 1, each bar would be
       exactly their combination.
    2. The partition (exclusive cells, R) goes through the single-choice
       steps 1 and 2 above; R is never drawn, but it is protected as a cell
       (hidden R reads like any hidden cell to the check below). Without
       exclusive options R = n and there is nothing to partition.
    3. Ordinary cells follow the primary rule against R, the people they
       describe: hidden when 0 < c < k ("fewer than k") or when c > 0 and
       R - c < k (nearly everyone who ticked anything ticked it: "hidden").
       Zeros are shown.
    4. The reader check of step 3 above, over the partition and the
       ordinary cells together: every hidden cell and R keep two values,
       for an onlooker, for a reader who chose each stand-alone answer, and
       for a reader who ticked any number of shown, small-hidden and
       large-hidden options (`_Reader`).

    What a reader learns is therefore: shown counts; "fewer than k"
    (0..k-1); "all but a few" (n-k+1..n); and for a "hidden" cell in a
    chart that shows other cells, a range that they can narrow but never to
    one value. The tests enumerate every count vector of small rooms and
    every question shape in the bank, and check that no hidden count and no
    R can be pinned from what is shown, even by a participant who knows
    these rules and their own answer.
    """
    check_threshold(k, question_id)
    exclusive = set(exclusive)
    _validate_counts(counts, n, multi=multi, question_id=question_id)
    options = list(counts)
    values = tuple(counts[o] for o in options)
    if multi:
        labels, reason = _multi_select_labels(values, [o in exclusive for o in options], n, k, question_id)
    else:
        labels, reason = _single_choice_release(values, n, k)
    if reason is not None:
        return Release({o: _hidden(HIDDEN) for o in options}, reason)
    return Release({o: _shown(c) if label is None else _hidden(label) for o, c, label in zip(options, values, labels)})


def _single_choice_release(values: tuple[int, ...], n: int, k: int):
    """Labels (None = shown) and a withholding reason for a single-choice question."""
    labels, reason = _single_choice_candidate(values, n, k)
    if reason is None and labels is not None and not all(label is None for label in labels):
        if not _no_reader_can_pin(values, labels, n, k):
            return None, COULD_POINT_TO_SOMEONE
    return labels, reason


def _single_choice_candidate(values: tuple[int, ...], n: int, k: int):
    """Steps 1 and 2 of single choice and the withholding rules that need no reader: the labels the
    reader check (step 3) is then asked about, or None and why nothing may show."""
    if n < direct_min_answers(k):
        # Every nonzero cell is small or "all but a few": nothing can show.
        return None, TOO_FEW_ANSWERS
    labels = _single_choice_labels(values, n, k)
    if all(label is None for label in labels):
        return labels, None
    says_almost_nothing = ALL_BUT_A_FEW not in labels and all(
        label is not None or c == 0 for c, label in zip(values, labels)
    )
    if says_almost_nothing:  # also every cell hidden: step 2 ran out of cells
        return None, COULD_POINT_TO_SOMEONE
    return labels, None


def _ordinary_label(c: int, people: int, k: int) -> str | None:
    """Step 3 of multi-select: an ordinary cell against the `people` who ticked anything."""
    if 0 < c < k:
        return FEWER_THAN.format(k=k)
    if c > 0 and people - c < k:
        return HIDDEN
    return None


def _multi_select_labels(values, is_exclusive, n: int, k: int, question_id: str):
    """Labels (None = shown) and a withholding reason for a multi-select question."""
    exclusive = [i for i, e in enumerate(is_exclusive) if e]
    ordinary = [i for i, e in enumerate(is_exclusive) if not e]
    people = n - sum(values[i] for i in exclusive)  # R: who ticked any ordinary option
    ordinary_values = [values[i] for i in ordinary]
    if people < 0 or any(c > people for c in ordinary_values) or (ordinary and sum(ordinary_values) < people):
        raise _fail(
            question_id,
            f"these counts cannot come from {n} answers: every answer is one "
            "stand-alone option or at least one other tick",
        )
    if n < direct_min_answers(k):
        return None, TOO_FEW_ANSWERS
    if 0 < people < k:
        return None, FEW_OUTSIDE_EXCLUSIVE
    if exclusive:
        partition = tuple(values[i] for i in exclusive) + (people,)
        partition_labels = _single_choice_labels(partition, n, k)
        if all(label is not None for label in partition_labels) and HIDDEN in partition_labels:
            return None, COULD_POINT_TO_SOMEONE  # step 2 ran out of cells
    else:
        partition, partition_labels = (people,), (None,)
    ordinary_labels = tuple(_ordinary_label(c, people, k) for c in ordinary_values)
    if not _no_reader_can_pin_multi(partition, partition_labels, ordinary_values, ordinary_labels, n, k):
        return None, COULD_POINT_TO_SOMEONE
    labels: list[str | None] = [None] * len(values)
    for i, label in zip(exclusive, partition_labels):
        labels[i] = label
    for i, label in zip(ordinary, ordinary_labels):
        labels[i] = label
    return tuple(labels), None


# Most count vectors `_no_reader_can_pin` will list (a few tenths of a second)
# before it gives up and the question is withheld, which is always safe.
_MAX_VECTORS_TO_LIST = 20_000


# The reader checks ask the same small questions of many rooms (and a test's enumeration asks them of
# millions): the answers depend only on these arguments, so each is worked out once.
_REMEMBERED = 1 << 16


@functools.lru_cache(maxsize=_REMEMBERED)
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


def _no_reader_can_pin(values, labels, n: int, k: int, keep: Callable[[tuple[int, ...]], bool] | None = None) -> bool:
    """Step 3 of `suppress`: can a reader who knows the rules pin a hidden cell?

    Lists the count vectors that agree with the shown cells, have each
    hidden cell inside its label's range and sum to n, keeps those the rules
    would label exactly the same way, and asks that every hidden cell take at
    least two values among them. A participant who chose hidden option o
    also knows o holds at least one answer (theirs): among the vectors with
    that, every other hidden cell must still take two values, and o itself
    two values or only their own answer. `keep`, when given, narrows the
    vectors further (a reader who knows more; benchmarks/threshold_monotonicity.py).
    """
    hidden = [i for i, label in enumerate(labels) if label is not None]
    hidden_total = n - sum(c for c, label in zip(values, labels) if label is None)
    ranges = _label_ranges(values, labels, hidden, n, k)

    seen: list[set[int]] = [set() for _ in hidden]
    # seen_by_chooser[o][t]: values of hidden cell t, not counting the
    # reader's own answer, over the vectors where hidden cell o is nonzero.
    seen_by_chooser: list[list[set[int]]] = [[set() for _ in hidden] for _ in hidden]
    for listed, assignment in enumerate(_vectors_in_ranges(ranges, hidden_total)):
        if listed >= _MAX_VECTORS_TO_LIST:
            return False
        candidate = list(values)
        for i, x in zip(hidden, assignment):
            candidate[i] = x
        if _single_choice_labels(tuple(candidate), n, k) != labels:
            continue
        if keep is not None and not keep(tuple(candidate)):
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


def _label_ranges(values, labels, hidden, n: int, k: int) -> list[tuple[int, int]]:
    """What a reader knows of each hidden single-choice cell from its label alone."""
    ranges = []
    for i in hidden:
        if labels[i] == ALL_BUT_A_FEW:
            ranges.append((n - k + 1, n))
        elif labels[i] == HIDDEN:
            ranges.append((k, _complement_ceiling(i, values, hidden, n, k)))
        else:  # fewer than k
            ranges.append((0, k - 1))
    return ranges


def _ordinary_box(label: str, people: int, k: int) -> tuple[int, int]:
    """The values a hidden ordinary cell can hold, by its label, when `people` ticked anything."""
    if label == HIDDEN:  # c >= k and people - c < k
        return max(k, people - k + 1), people
    return 1, min(k - 1, people)  # fewer than k; a zero would be shown


def _ordinary_display_fits(people: int, values, labels, k: int) -> bool:
    """Would the rules show these ordinary cells this way if `people` had ticked anything?"""
    if people == 0:
        return all(label is None and c == 0 for c, label in zip(values, labels))
    shown = [c for c, label in zip(values, labels) if label is None]
    if any(_ordinary_label(c, people, k) is not None for c in shown):
        return False
    boxes = [_ordinary_box(label, people, k) for label in labels if label is not None]
    if any(lo > hi for lo, hi in boxes):
        return False
    return sum(shown) + sum(hi for _, hi in boxes) >= people  # each of them ticked something


@dataclass(frozen=True)
class _Reader:
    """Who reads a multi-select chart: an onlooker (ticks 0, chose None), someone who chose a
    stand-alone answer (`chose` its cell), or someone who ticked ordinary options: `shown` of the
    shown nonzero ones, `small` of those hidden as "fewer than k", `large` of the other hidden ones.
    Options of one kind are alike to the rules, so these counts are all that tell readers apart."""

    chose: int | None = None
    shown: int = 0
    small: int = 0
    large: int = 0

    @property
    def ticks(self) -> int:
        return self.shown + self.small + self.large


@functools.lru_cache(maxsize=_REMEMBERED)
def _others_boxes(people: int, labels: tuple, k: int, reader: _Reader, own_t: int | None = None):
    """What each hidden ordinary cell can hold for the people other than the reader, as (low, high),
    or None for a room this reader cannot be in. With `own_t`, cell own_t is one the reader ticked
    (own_t >= 0) or one of their kind they did not (own_t given as -1 - index)."""
    engaged = reader.ticks > 0
    others = people - engaged
    small_left, large_left = reader.small, reader.large
    boxes: list[tuple[int, int] | None] = [None] * len(labels)
    if own_t is not None:  # place the cell the question is about first
        t = own_t if own_t >= 0 else -1 - own_t
        order = [t] + [u for u in range(len(labels)) if u != t]
    else:
        order = list(range(len(labels)))
    for u in order:
        lo, hi = _ordinary_box(labels[u], people, k)
        if labels[u] == HIDDEN:
            ticked = large_left > 0 if own_t is None or u != order[0] else own_t >= 0
            large_left -= ticked
        else:
            ticked = small_left > 0 if own_t is None or u != order[0] else own_t >= 0
            small_left -= ticked
        # Someone who ticked anything and not this option is one of `people` outside it.
        lo, hi = max(lo - ticked, 0), min(hi - ticked, others)
        if lo > hi:
            return None
        boxes[u] = (lo, hi)
    if small_left or large_left:
        return None  # the reader ticked more options of a kind than there are
    return tuple(boxes)


@functools.lru_cache(maxsize=_REMEMBERED)
def _reader_fits(people: int, shown: tuple, labels: tuple, k: int, reader: _Reader) -> bool:
    """Can this reader be in a room where `people` ticked anything, as the cells are shown?"""
    if reader.shown > sum(1 for c in shown if c > 0):
        return False
    if reader.ticks and people < 1:
        return False
    boxes = _others_boxes(people, labels, k, reader)
    if boxes is None:
        return False
    others = people - (reader.ticks > 0)
    return sum(shown) - reader.shown + sum(hi for _, hi in boxes) >= others


@functools.lru_cache(maxsize=_REMEMBERED)
def _others_values(t: int, people: int, shown: tuple, labels: tuple, k: int, reader: _Reader, ticked_t: bool):
    """The values hidden ordinary cell t can hold for the people other than the reader (None: none)."""
    boxes = _others_boxes(people, labels, k, reader, t if ticked_t else -1 - t)
    if boxes is None:
        return None
    others = people - (reader.ticks > 0)
    rest = sum(shown) - reader.shown + sum(hi for u, (_, hi) in enumerate(boxes) if u != t)
    lo, hi = boxes[t]
    low = max(lo, others - rest)
    return range(low, hi + 1) if low <= hi else None


def _no_reader_can_pin_multi(partition, partition_labels, ordinary_values, ordinary_labels, n: int, k: int) -> bool:
    """Step 4 of multi-select: can a reader who knows the rules pin a hidden cell, or R?

    Lists the partitions (exclusive cells and R) that agree with what is shown, that the rules
    would label the same way and that the shown ordinary cells fit. Then, for every kind of reader
    (`_Reader`), keeps the partitions that reader cannot rule out and asks that every hidden cell
    and each hidden ordinary cell (over every R left) keep two values for the people other than the
    reader, or hold only the reader. Someone who ticked options knows that everyone else who ticked
    anything is outside the options they did not tick, and that the others' ticks still reach R - 1:
    with 4, 4 and "fewer than 3" in a room of 9, a reader with two ticks knows the stand-alone cell
    is 2 (with 1, the 8 others would have made only 6 ticks), so that chart is withheld.
    """
    hidden = [i for i, label in enumerate(partition_labels) if label is not None]
    people_at = len(partition) - 1
    hidden_total = n - sum(c for c, label in zip(partition, partition_labels) if label is None)
    ranges = _label_ranges(partition, partition_labels, hidden, n, k)
    shown = tuple(c for c, label in zip(ordinary_values, ordinary_labels) if label is None)
    hidden_ordinary = tuple(label for label in ordinary_labels if label is not None)

    candidates = []
    for listed, assignment in enumerate(_vectors_in_ranges(ranges, hidden_total)):
        if listed >= _MAX_VECTORS_TO_LIST:
            return False
        candidate = list(partition)
        for i, x in zip(hidden, assignment):
            candidate[i] = x
        people = candidate[people_at]
        if 0 < people < k:
            continue  # the rules would have withheld the question
        if len(partition) > 1 and _single_choice_labels(tuple(candidate), n, k) != tuple(partition_labels):
            continue
        if _ordinary_display_fits(people, ordinary_values, ordinary_labels, k):
            candidates.append(candidate)

    small = sum(1 for label in hidden_ordinary if label != HIDDEN)
    large = len(hidden_ordinary) - small
    readers = (
        [_Reader()]
        + [_Reader(chose=i) for i in hidden if i != people_at]
        + [
            _Reader(shown=a, small=b, large=c)
            for a in range(sum(1 for v in shown if v > 0) + 1)
            for b in range(small + 1)
            for c in range(large + 1)
            if a + b + c > 0
        ]
    )
    for reader in readers:
        rooms = [
            c
            for c in candidates
            if (reader.chose is None or c[reader.chose] >= 1)
            and _reader_fits(c[people_at], shown, hidden_ordinary, k, reader)
        ]
        if not rooms:
            continue  # no room this reader could be in
        own_cell = reader.chose if reader.chose is not None else (people_at if reader.ticks else None)
        # Hidden partition cells, R included: two values each for the others, or only the reader.
        for i in hidden:
            seen = {c[i] - (i == own_cell) for c in rooms}
            if len(seen) < 2 and not (i == own_cell and seen == {0}):
                return False
        # Hidden ordinary cells, over every R this reader cannot rule out, ticked by them or not.
        for t, label in enumerate(hidden_ordinary):
            of_kind = reader.large if label == HIDDEN else reader.small
            kinds = large if label == HIDDEN else small
            for ticked_t in (True, False):
                if (ticked_t and of_kind == 0) or (not ticked_t and of_kind == kinds):
                    continue
                values: set[int] = set()
                for people in sorted({c[people_at] for c in rooms}):
                    seen_values = _others_values(t, people, shown, hidden_ordinary, k, reader, ticked_t)
                    if seen_values is not None:
                        values.update(seen_values)
                if len(values) == 1 and not (ticked_t and values == {0}):
                    return False
    return True


# --------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------


#: z for a two-sided 95% interval, and for 97.5%: two 97.5% intervals hold together at least 95% of the
#: time (Bonferroni), which `grr_share_among` needs.
Z_95 = 1.959964
Z_97_5 = 2.241403


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
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


def _design_number(design: Mapping[str, float | str], name: str) -> float:
    """One probability or epsilon of a design: "method" is its only text, so a text here is a caller's bug."""
    value = design[name]
    if isinstance(value, str):
        raise TypeError(f"design setting {name!r} must be a number, got {value!r}")
    return value


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
        p_yes, p_no, p_truth = (_design_number(design, name) for name in ("p_yes", "p_no", "p_truth"))
        for answer, forced, other in (
            ("yes", p_yes, p_no),
            ("no", p_no, p_yes),
        ):
            epsilon = math.log((p_truth + forced) / forced)
            if epsilon > bound:
                lowest = (1 - other) * math.exp(-bound)
                raise DesignOutOfBounds(
                    f'{where}p_{answer} is {forced:g}: a phone then sends a forced "{answer}" so rarely that a '
                    f'"{answer}" is {math.exp(epsilon):,.0f} times likelier to be true than not (epsilon '
                    f"{epsilon:.2f}); at most epsilon {bound:g} is allowed. Use p_{answer} of at least "
                    f"{math.ceil(lowest * 1000) / 1000:g}, or leave it out for the default 0.125.",
                    f"p_{answer}",
                )
        return
    single = method == "grr"
    bound = MAX_ANSWER_EPSILON if single else MAX_OPTION_EPSILON
    epsilon = _design_number(design, "epsilon")
    if epsilon > bound:
        chance = swap_chance(design)
        rarely = (
            f"about 1 {'answer' if single else 'box'} in {one_in(chance):,} is {'swapped' if single else 'flipped'}"
            if chance > 1e-9
            else "practically never"
        )
        raise DesignOutOfBounds(
            f"{where}epsilon is {epsilon:g}, but a randomized {'single-choice' if single else 'multi-select'} "
            f"question may have at most {bound:g} {'per answer' if single else 'per option'}: above it the phone "
            f"swaps too rarely to protect anyone (here {rarely}). Use {bound:g} or "
            "less, or leave it out for the default.",
            "epsilon",
        )


def swap_chance(design: Mapping[str, float | str]) -> float:
    """How often the phone sends something other than the person's own choice, as the phone tells them:
    forced response, the chance of a forced answer (p_yes + p_no); single choice, the chance of another
    option (1 - p); multi-select, the chance that one box is flipped (q)."""
    if design["method"] == "forced":
        return _design_number(design, "p_yes") + _design_number(design, "p_no")
    return 1 - _design_number(design, "p") if design["method"] == "grr" else _design_number(design, "q")


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
            f"p_yes + p_no is {p_yes + p_no}, but it must be below 1 so that some true answers get through",
        )
    p_truth = 1 - p_yes - p_no
    epsilon = max(math.log((p_truth + p_yes) / p_yes), math.log((p_truth + p_no) / p_no))
    return {"p_yes": p_yes, "p_no": p_no, "p_truth": p_truth, "epsilon": epsilon}


def grr_probabilities(k: int, epsilon: float = 3.0, *, question_id: str | None = None) -> dict[str, float]:
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


def unary_probabilities(epsilon_b: float = 1.5, *, question_id: str | None = None) -> dict[str, float]:
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


def clip_share(x: float) -> float:
    """A share inside 0-1: unbiased estimators can stray just outside it; a share cannot."""
    return min(1.0, max(0.0, x))


def _linear_estimate(count: int, n: int, offset: float, slope: float, epsilon: float, z: float = Z_95) -> Estimate:
    """Estimate = (lambda - offset) / slope, where E[lambda] = offset + slope * truth."""
    raw = (count / n - offset) / slope
    wilson_low, wilson_high = wilson_interval(count, n, z)
    estimate = clip_share(raw)
    return Estimate(
        estimate=estimate,
        # slope > 0, so the map keeps the order of the ends.
        low=clip_share((wilson_low - offset) / slope),
        high=clip_share((wilson_high - offset) / slope),
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
        raise _fail(question_id, f"option {option!r} has count {c!r}; counts must be whole numbers >= 0")
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


def forced_response_both(
    yes: int, n: int, p_yes: float = 0.125, p_no: float = 0.125, *, question_id: str
) -> tuple[Estimate, Estimate]:
    """The estimates of "yes" and of "no" (its complement: the same interval, mirrored)."""
    estimate = forced_response(yes, n, p_yes, p_no, question_id=question_id)
    mirrored = Estimate(
        1 - estimate.estimate, 1 - estimate.high, 1 - estimate.low, estimate.epsilon, estimate.clipped, 1 - estimate.raw
    )
    return estimate, mirrored


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


def grr_share_among(
    counts: Mapping[str, int],
    n: int,
    option: str,
    among: Collection[str],
    epsilon: float = 3.0,
    *,
    question_id: str,
) -> Estimate | None:
    """Estimate the share of `option` among the people whose own answer is one of `among`, from
    k-ary randomized response: Yes / (Yes + No) when "Doesn't apply to me" was randomized with them
    (research/facts.md: the studies counted only the people a question is about).

    The phones swapped "Doesn't apply to me" with the other answers, so no count of the people who
    answered Yes or No exists; the share is a ratio of two estimates, f_option / f_among, each worked
    out as in `grr` (f_among from the reports of any option in `among`, whose expected share is
    |among| q + (p - q) f_among), each clipped to [0, 1].

    Interval: a ratio of two noisy estimates has no exact interval at room sizes, so this one is
    conservative: a 97.5% Wilson interval for f_option and one for the rest of `among` hold together
    at least 95% of the time (Bonferroni), and the share's range is the lowest and highest ratio those
    two ranges allow, low = l_option / (l_option + h_rest), high = h_option / (h_option + l_rest).
    It is wider than either estimate's own interval, as it should be. `raw` is the ratio of the
    unclipped estimates.

    Returns None when the estimate of `among` is 0: then there is no share to give. Raises
    PrivacyError for counts no room could give, or an `option` outside `among` or `among` outside
    `counts`.
    """
    among = list(dict.fromkeys(among))
    if option not in among:
        raise _fail(question_id, f"option {option!r} must be one of the answers it is a share of, {among}")
    unknown = [name for name in among if name not in counts]
    if unknown:
        raise _fail(question_id, f"{unknown} are not options of this question; the options are {list(counts)}")
    estimates = grr(counts, n, epsilon, question_id=question_id)  # checks the counts against n
    p, q = (grr_probabilities(len(counts), epsilon, question_id=question_id)[name] for name in ("p", "q"))
    rest = [name for name in among if name != option]
    own = _linear_estimate(counts[option], n, q, p - q, epsilon, Z_97_5)
    others = _linear_estimate(sum(counts[name] for name in rest), n, len(rest) * q, p - q, epsilon, Z_97_5)
    mine, theirs = estimates[option].estimate, clip_share(others.raw)
    if mine + theirs <= 0:
        return None
    raw_total = estimates[option].raw + others.raw
    # Where a range end's ratio is 0 / 0, the bound that cannot be worse is taken (0 below, 1 above).
    low = own.low / (own.low + others.high) if own.low + others.high > 0 else 0.0
    high = own.high / (own.high + others.low) if own.high + others.low > 0 else 1.0
    return Estimate(
        estimate=mine / (mine + theirs),
        low=low,
        high=high,
        epsilon=epsilon,
        clipped=estimates[option].clipped or theirs != others.raw,
        raw=estimates[option].raw / raw_total if raw_total > 0 else mine / (mine + theirs),
    )


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
# Randomized response: the phone's randomizer
#
# The phone runs the same rule in JavaScript (aftertalk/server/web/static/randomize.js);
# tests/test_randomizer_js.py holds both to the probabilities above, and to each other.
# --------------------------------------------------------------------------


class RandomSource(Protocol):
    """Where the randomizer's coins come from: `random.Random` here, crypto.getRandomValues on the phone."""

    def random(self) -> float:
        """A number in [0, 1)."""
        ...


def randomize_answer(
    design: Mapping[str, Any],
    option_ids: Sequence[str],
    chosen: Sequence[str],
    rng: RandomSource,
) -> list[str]:
    """What a phone sends for the answer `chosen` (option ids) to a randomized question.

    `design` is what `Question.design()` returns; `option_ids` are the question's own options in their
    order ("prefer not to say" is not one: it is never randomized, so it is sent as it is, and the server
    keeps it as a skip). Only `rng.random()` is used, one number per coin, in the order the phone draws
    them, so the same numbers give the same answer here and on the phone:

    - forced (yes/no; the first option is yes): below p_yes a "yes", below p_yes + p_no a "no",
      otherwise the true answer;
    - grr (single choice, scale): below p the true option, otherwise one of the others, picked by a
      second number (others[floor(u * (k - 1))]);
    - unary (multi-select): each option on its own, in order, ticked when its number is below p if the
      person ticked it, below q if not. Stand-alone options such as "None of these" are boxes like any
      other here, so a sent answer may tick one beside others (the server accepts that).
    """
    chosen = list(chosen)
    if chosen == [PREFER_NOT_TO_SAY]:
        return chosen
    ids = list(option_ids)
    unknown = [option for option in chosen if option not in ids]
    if unknown:
        raise PrivacyError(f"answers {unknown} are not among the options {ids}")
    method = design["method"]
    if method == "unary":
        return [option for option in ids if rng.random() < (design["p"] if option in chosen else design["q"])]
    if len(chosen) != 1:
        raise PrivacyError(
            f"a {'yes/no' if method == 'forced' else 'single-choice'} answer is one option, got {chosen}"
        )
    if method == "forced":
        roll = rng.random()
        if roll < design["p_yes"]:
            return [ids[0]]
        return [ids[1]] if roll < design["p_yes"] + design["p_no"] else chosen
    if method == "grr":
        if rng.random() < design["p"]:
            return chosen
        others = [option for option in ids if option != chosen[0]]
        return [others[int(rng.random() * len(others))]]
    raise PrivacyError(f"unknown randomization method {method!r}")


# --------------------------------------------------------------------------
# Simulators (statistical tests): whole rooms through `randomize_answer`
# --------------------------------------------------------------------------

YES_NO = ("yes", "no")


def simulate_forced_response(
    truth: Iterable[bool],
    rng: random.Random,
    p_yes: float = 0.125,
    p_no: float = 0.125,
) -> list[bool]:
    """What the phones would send for these true yes/no answers (True = yes)."""
    design = {"method": "forced", **forced_response_probabilities(p_yes, p_no)}
    return [
        randomize_answer(design, YES_NO, [YES_NO[0] if answer else YES_NO[1]], rng) == [YES_NO[0]] for answer in truth
    ]


def simulate_grr(
    truth: Iterable[str],
    options: Sequence[str],
    rng: random.Random,
    epsilon: float = 3.0,
) -> list[str]:
    """What the phones would send for these true single-choice answers."""
    options = list(options)
    design = {"method": "grr", **grr_probabilities(len(options), epsilon)}
    return [randomize_answer(design, options, [answer], rng)[0] for answer in truth]


def simulate_unary(
    truth: Iterable[Iterable[str]],
    options: Sequence[str],
    rng: random.Random,
    epsilon_b: float = 1.5,
) -> list[set[str]]:
    """What the phones would send for these true multi-select answers."""
    options = list(options)
    design = {"method": "unary", **unary_probabilities(epsilon_b)}
    return [set(randomize_answer(design, options, sorted(set(answer)), rng)) for answer in truth]


# --------------------------------------------------------------------------
# One-word check-ins and two releases of one question (DESIGN point 11)
#
# The room's threshold k governs both: raising it never shows more. Every
# decision below is a function of what the reader is shown anyway, or of
# counts at least k people share, so a withheld result points at nobody.
# --------------------------------------------------------------------------


def word_passes(count: int, n: int, k: int = DEFAULT_THRESHOLD) -> bool:
    """A word may show (and be reviewed) only when k or more people gave it
    and k or more did not: a word (nearly) everyone gave tells everyone's."""
    return count >= k and n - count >= k


@dataclass(frozen=True)
class WordRelease:
    """What a revealed one-word check-in shows: words with their counts, or why none."""

    words: tuple[tuple[str, int], ...]
    withheld: str | None  # TOO_FEW_ANSWERS, NO_SHARED_WORD, or None when words show


def shown_words(
    counts: Mapping[str, int], n: int, k: int = DEFAULT_THRESHOLD, hidden: Iterable[str] = ()
) -> WordRelease:
    """The words a check-in with n answers may show, most common first.

    Nothing below `strict_threshold(k)` answers. A word shows when
    `word_passes` and the facilitator did not hide it. The people whose word
    is not shown form a group too ("n minus the shown words"): when that
    group is smaller than k but not empty, the least common shown words are
    dropped until it is empty or at least k, so no group count points at
    fewer than k people.
    """
    check_threshold(k)
    if not _is_int(n) or n < 0:
        raise _fail(None, f"the number of answers must be a whole number >= 0, got {n!r}")
    if n < strict_threshold(k):
        return WordRelease((), TOO_FEW_ANSWERS)
    hidden = set(hidden)
    shown = sorted(
        ((word, count) for word, count in counts.items() if word not in hidden and word_passes(count, n, k)),
        key=lambda item: (-item[1], item[0]),
    )
    while shown and 0 < n - sum(count for _, count in shown) < k:
        shown.pop()  # the least common (alphabetically last among equals)
    return WordRelease(tuple(shown), None if shown else NO_SHARED_WORD)


def pair_withheld(
    first_n: int,
    second_n: int,
    k: int = DEFAULT_THRESHOLD,
    first_cells: Mapping[str, int | None] | None = None,
    second_cells: Mapping[str, int | None] | None = None,
) -> str | None:
    """Whether the second release of a before/after pair must be withheld, and why.

    A reader who assumes that the people who answered both times kept their
    answer reads the difference of the two charts as the answers of the d =
    second_n - first_n people who arrived (or, d < 0, left). So:

    - d = 0: shown (nobody arrived or left, as far as the counts tell);
    - 0 < |d| < k: withheld, PAIR_COUNTS_TOO_CLOSE (fewer than k people);
    - |d| >= k: the difference is a chart of |d| people, judged by the cell
      rule of a direct chart: every option must be shown as a number in both
      charts (a cell value; None when hidden), and its difference c must be 0,
      or at least k with at least k of the |d| people outside it. Otherwise
      withheld, PAIR_DIFFERENCE_TOO_SMALL. A hidden cell's range can bound the
      difference well enough to pin it (the enumeration in tests/test_repeats.py
      found such charts), so a hidden cell withholds.

    The first two cases depend on n only, which every phone count shows.
    """
    check_threshold(k)
    d = second_n - first_n
    if d == 0:
        return None
    if abs(d) < k:
        return PAIR_COUNTS_TOO_CLOSE
    first_cells, second_cells = first_cells or {}, second_cells or {}
    for option in {**first_cells, **second_cells}:
        before, after = first_cells.get(option), second_cells.get(option)
        if before is None or after is None:
            return PAIR_DIFFERENCE_TOO_SMALL
        c = (after - before) if d > 0 else (before - after)
        if c != 0 and not (k <= c <= abs(d) - k):
            return PAIR_DIFFERENCE_TOO_SMALL
    return None


def _plain(text: str) -> str:
    """Text as a reader compares it: case, accents' forms, punctuation and spacing aside."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def repeat_form(definition: Mapping) -> tuple:
    """What makes two question definitions (as `Question.to_dict()` gives them) the same question
    to a reader: kind and text, and the options by label or by id. Notes, translations and
    settings do not change what the two charts would count."""
    options = definition.get("options") or []
    return (
        definition.get("kind"),
        _plain(str(definition.get("text", ""))),
        tuple(sorted(_plain(str(o.get("label", ""))) for o in options)),
        tuple(sorted(str(o.get("id", "")) for o in options)),
    )


def same_question(first: Mapping, second: Mapping) -> bool:
    """True when two charts of these definitions could be subtracted: same kind, same text, and
    the same options by label or by id."""
    a, b = repeat_form(first), repeat_form(second)
    return a[:2] == b[:2] and (a[2] == b[2] or a[3] == b[3])


def pairs_with(first: Mapping, second: Mapping) -> bool:
    """True when `second` may be declared the second half of a pair with `first`: the same question
    with the same option ids in the same order, so `pair_withheld` compares each option with itself."""
    return same_question(first, second) and (
        [o.get("id") for o in first.get("options") or []] == [o.get("id") for o in second.get("options") or []]
    )
