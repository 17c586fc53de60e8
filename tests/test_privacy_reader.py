"""The reader of research/privacy.md (last section), played by brute force against the real release code.

The reader knows n, every shown number and range, the published rules, the question's constraints
and their own answer. For multi-select those constraints are: every answer is one stand-alone
(exclusive) option alone, or one or more ordinary ticks; so the exclusive cells and R (the people who
ticked any ordinary option) sum to n, every ordinary cell is at most R, and together they are at
least R.

The solver here does not reuse the release code's reasoning: it lists count vectors, pushes each
through `privacy.release`, groups those that display the same, and asks, for every display, what each
kind of reader can still tell apart:

- every hidden cell keeps at least two values (for a reader who chose it: two values, or only their
  own answer);
- R, when pinned to one value by what is shown, is 0 or at least k: never a handful of people.

Coverage (each test's docstring gives its own):
- `test_every_small_room`: every count vector of every shape with 2-3 ordinary options and 0-3
  exclusive ones, k = 3 for n = 3..10 and k = 5 for n = 5..12, a little less for the largest (all displays of such rooms, every own
  answer a participant can have);
- `test_bank_and_generated_shapes`: every multi-select question in data/questions and generated
  shapes with 2-8 ordinary and 0-3 exclusive options, n from k to 30, on a seeded sample of rooms;
  for each, every alternative room within what the labels allow is listed (up to 4,000 per display;
  rooms beyond that are counted, and must stay a small minority).
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from pathlib import Path

import pytest

from aftertalk.privacy import ALL_BUT_A_FEW, FEWER_THAN, release
from aftertalk.questions import load_questions

# The enumerations take about 150 s of the suite on 2 cores; `-m 'not slow'` skips them while working.
pytestmark = pytest.mark.slow

KIT = Path(__file__).resolve().parent.parent


def compositions(total: int, parts: int):
    """Every tuple of `parts` whole numbers >= 0 that sums to `total`."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first,) + rest


def rooms(ordinary: int, exclusive: int, n: int):
    """Every (exclusive counts, ordinary counts) that n multi-select answers can give."""
    every_split = (split for total in range(n + 1) for split in compositions(total, exclusive))
    for exclusive_counts in every_split if exclusive else [()]:
        people = n - sum(exclusive_counts)
        if people == 0:
            yield exclusive_counts, (0,) * ordinary
            continue
        for counts in itertools.product(range(people + 1), repeat=ordinary):
            if sum(counts) >= people:
                yield exclusive_counts, counts


def shape(ordinary: int, exclusive: int):
    names = [f"o{i}" for i in range(ordinary)] + [f"x{i}" for i in range(exclusive)]
    return names, {f"x{i}" for i in range(exclusive)}


def display(names, exclusive_names, vector, n, k):
    released = release(dict(zip(names, vector)), n, k, multi=True, exclusive=exclusive_names, question_id="q")
    return released.withheld, tuple(cell.shown_as for cell in released.cells.values()), released


def own_answers(ordinary: int, exclusive: int, limit_subsets: bool = False):
    """Every answer one participant can give: a set of ordinary ticks, or one exclusive option."""
    if limit_subsets and ordinary > 4:
        everything = tuple(range(ordinary))
        subsets = (
            [(i,) for i in everything] + [everything] + [tuple(j for j in everything if j != i) for i in everything]
        )
    else:
        subsets = [s for size in range(1, ordinary + 1) for s in itertools.combinations(range(ordinary), size)]
    for s in subsets:
        yield tuple(1 if i in s else 0 for i in range(ordinary + exclusive))
    for j in range(exclusive):
        yield tuple(1 if i == ordinary + j else 0 for i in range(ordinary + exclusive))


def pinned_cells(names, members, hidden, n, k, ordinary, exclusive, limit_subsets=False):
    """What the readers of one display can pin: a list of (reader, cell, values) that fail."""
    failures = []
    people_values = {n - sum(v[ordinary:]) for v in members}
    if len(people_values) == 1:
        (people,) = people_values
        if 0 < people < k:
            failures.append(("onlooker", "R", people_values))
    readers = [("onlooker", (0,) * len(names))] + [
        (f"own answer {own}", own) for own in own_answers(ordinary, exclusive, limit_subsets)
    ]
    for reader, own in readers:
        # The room without the reader's own answer is a room of n - 1 that the constraints allow.
        possible = [
            v
            for v in members
            if constraints_hold(tuple(c - o for c, o in zip(v, own)), n - (1 if any(own) else 0), ordinary)
        ]
        if not possible:
            continue
        for i in hidden:
            seen = {v[i] - own[i] for v in possible}
            if len(seen) < 2 and not (own[i] == 1 and seen == {0}):
                failures.append((reader, names[i], seen))
    return failures


def small_rooms(ordinary: int, exclusive: int):
    """(k, n) to list in full; the largest shape stops one answer earlier, to keep the suite quick."""
    tops = ((3, 9), (5, 11)) if (ordinary, exclusive) == (3, 3) else ((3, 10), (5, 12))
    return [(k, n) for k, top in tops for n in range(k, top + 1)]


@pytest.mark.parametrize("ordinary,exclusive", [(m, j) for m in (2, 3) for j in (0, 1, 2, 3)])
def test_every_small_room(ordinary, exclusive):
    """Every count vector, 2-3 ordinary and 0-3 exclusive options, k = 3 (n 3-10) and k = 5 (n 5-12).

    Every display of every such room, and every own answer a participant can hold (3 ordinary with
    3 exclusive: n up to 9 and 11).
    """
    names, exclusive_names = shape(ordinary, exclusive)
    shown_anything = 0
    for k, n in small_rooms(ordinary, exclusive):
        groups = defaultdict(list)
        for exclusive_counts, counts in rooms(ordinary, exclusive, n):
            vector = counts + exclusive_counts
            withheld, shown, _ = display(names, exclusive_names, vector, n, k)
            groups[(withheld, shown)].append(vector)
        for (withheld, shown), members in groups.items():
            if withheld:
                continue
            shown_anything += 1
            hidden = [i for i, text in enumerate(shown) if not text.isdigit()]
            failures = pinned_cells(names, members, hidden, n, k, ordinary, exclusive)
            assert not failures, (k, n, dict(zip(names, shown)), failures[:3])
    assert shown_anything > 0  # the rules still show something in rooms of this size


def test_the_issue_room_is_withheld_with_a_reason():
    """feelings_ever, 12 answers: 6 "Doesn't apply", 5 "Prefer not to say", one person ticks three
    feelings. Shown before: 6, 5, zeros and three hidden bars that were each exactly 1."""
    question = load_questions(KIT / "data" / "questions")["feelings_ever"]
    counts = {o.id: 0 for o in question.all_options}
    counts.update(does_not_apply=6, prefer_not_to_say=5, sadness=1, tearfulness=1, guilt=1)
    released = release(
        counts,
        12,
        5,
        multi=True,
        question_id=question.id,
        exclusive={o.id for o in question.all_options if o.exclusive},
    )
    assert released.withheld == "few_outside_exclusive"
    assert all(cell.hidden and cell.count is None for cell in released.cells.values())


def test_prefer_not_to_say_as_the_only_exclusive_option():
    """n = 14: "Prefer not to say" 13, one person ticks two options: withheld, not "hidden" twice."""
    exclusive_names = {"prefer_not_to_say"}
    released = release(
        {"a": 1, "b": 1, "c": 0, "prefer_not_to_say": 13}, 14, 5, multi=True, exclusive=exclusive_names, question_id="q"
    )
    assert released.withheld is not None


def test_a_room_where_everyone_ticked_something_still_shows():
    """The rules must not withhold everything: 20 people, nobody chose a stand-alone answer."""
    counts = {"calm": 12, "close": 9, "sad": 6, "tears": 3, "none": 0, "prefer_not_to_say": 0}
    released = release(counts, 20, 5, multi=True, exclusive={"none", "prefer_not_to_say"}, question_id="q")
    assert released.withheld is None
    assert {o: c.shown_as for o, c in released.cells.items()} == {
        "calm": "12",
        "close": "9",
        "sad": "6",
        "tears": FEWER_THAN.format(k=5),
        "none": FEWER_THAN.format(k=5),
        "prefer_not_to_say": "0",
    }


def generated_room(rng: random.Random, ordinary: int, exclusive: int, n: int):
    """One room of n people answering at random with a few popular options, as rooms do."""
    weights = [rng.random() ** 2 for _ in range(ordinary)]
    counts = [0] * (ordinary + exclusive)
    for _ in range(n):
        if exclusive and rng.random() < 0.3:
            counts[ordinary + rng.randrange(exclusive)] += 1
            continue
        ticked = [i for i in range(ordinary) if rng.random() < weights[i]] or [rng.randrange(ordinary)]
        for i in ticked:
            counts[i] += 1
    return tuple(counts)


def constraints_hold(vector, n: int, ordinary: int) -> bool:
    """The question's own constraints on a multi-select count vector (ordinary cells first)."""
    people = n - sum(vector[ordinary:])
    ticks = vector[:ordinary]
    if people < 0 or any(c < 0 or c > people for c in vector[:ordinary]) or any(c < 0 for c in vector):
        return False
    return not any(ticks) if people == 0 else sum(ticks) >= people


def label_range(text: str, n: int, k: int):
    """What a published label allows, loosely: the release code decides the rest."""
    if text.isdigit():
        return range(int(text), int(text) + 1)
    if text == FEWER_THAN.format(k=k):
        return range(0, k)
    return range(0, n + 1)


def witness(names, exclusive_names, vector, shown, n, k, ordinary, cell):
    """Another room that displays the same, differs in `cell` (an index, or "R" for the people who
    ticked anything), has at least one answer wherever the true room has one, and stays a possible
    room of n - 1 once any of several participants' own answers is taken out (`owns` below: each
    option ticked alone, all the nonzero ones, all but one, each stand-alone answer), so that it fits
    what those participants know. None if none is found.

    The search uses what the reader knows of the published labels: a hidden stand-alone cell is in
    its label's range; given R, a hidden ordinary cell is 1..k-1 ("fewer than k") or R-k+1..R
    ("hidden"). It tries every value of the hidden stand-alone cells, moves the ordinary ones into
    their ranges as little as it can, and lets `release` itself say whether the room displays the same.
    """
    hidden_exclusive = [i for i in range(ordinary, len(shown)) if not shown[i].isdigit()]
    hidden_ordinary = [i for i in range(ordinary) if not shown[i].isdigit()]
    small = FEWER_THAN.format(k=k)
    floor = [1 if c >= 1 else 0 for c in vector]
    true_people = n - sum(vector[ordinary:])

    # Participants of the true room: one per stand-alone answer held, and ticks of one option alone,
    # of every nonzero option, and of all but one of them (a second room must fit each of them).
    ticked = [i for i in range(ordinary) if vector[i]]
    owns = [{i} for i in ticked] + [set(ticked)] + [set(ticked) - {i} for i in ticked]
    owns = [own for own in owns if own] + [{j} for j in range(ordinary, len(vector)) if vector[j]]
    owns = [
        own
        for own in owns  # only answers someone in the true room can have given
        if constraints_hold(tuple(c - (i in own) for i, c in enumerate(vector)), n - 1, ordinary)
    ]

    def fits(w):
        differs = (n - sum(w[ordinary:])) != true_people if cell == "R" else w[cell] != vector[cell]
        if not (differs and all(c >= f for c, f in zip(w, floor)) and constraints_hold(w, n, ordinary)):
            return False
        for own in owns:
            if not constraints_hold(tuple(c - (i in own) for i, c in enumerate(w)), n - 1, ordinary):
                return False
        return display(names, exclusive_names, w, n, k)[:2] == (None, shown)

    def complete(start, boxes, people):
        """The room `start` with its hidden ordinary cells moved into `boxes`, `cell` changed, and
        enough ticks for everyone: the first such room that `fits`, or None."""
        w = list(start)
        for i, (lo, hi) in boxes.items():
            w[i] = min(max(w[i], lo), hi)
        targets = (
            [None]
            if not isinstance(cell, int) or cell >= ordinary
            else [v for v in range(boxes[cell][0], boxes[cell][1] + 1) if v != vector[cell]]
        )
        for target in targets:
            w2 = list(w)
            if target is not None:
                w2[cell] = target
            # Everyone who ticked anything ticked a box, the participant with the most ticks included.
            for i in hidden_ordinary:
                if sum(w2[:ordinary]) >= max([people] + [people - 1 + len(own) for own in owns if own <= set(ticked)]):
                    break
                if i != cell:
                    w2[i] = boxes[i][1]
            if fits(w2):
                return w2
        return None

    choices = [sorted(label_range(shown[i], n, k), key=lambda v, i=i: abs(v - vector[i])) for i in hidden_exclusive]
    for values in itertools.product(*choices):
        w = list(vector)
        for i, v in zip(hidden_exclusive, values):
            w[i] = v
        people = n - sum(w[ordinary:])
        if people < 0:
            continue
        # First at most people - 1 where it can be, so that a participant who did not tick it fits
        # too; then up to people.
        for spare in (1, 0):
            boxes = {
                i: (1, min(k - 1, people - spare))
                if shown[i] == small
                else (max(k, people - k + 1), max(people - spare, max(k, people - k + 1)))
                for i in hidden_ordinary
            }
            if any(lo > hi for lo, hi in boxes.values()):
                continue
            found = complete(w, boxes, people)
            if found:
                return found
    return None


def bank_shapes():
    bank = load_questions(KIT / "data" / "questions")
    shapes = set()
    for question in bank.values():
        if question.kind == "multi" and question.privacy == "direct":
            shapes.add(
                (
                    len([o for o in question.all_options if not o.exclusive]),
                    len([o for o in question.all_options if o.exclusive]),
                )
            )
    return sorted(shapes)


@pytest.mark.parametrize("ordinary,exclusive", bank_shapes() + [(m, j) for m in (2, 4, 6, 8) for j in (0, 1, 2, 3)])
def test_bank_and_generated_shapes(ordinary, exclusive):
    """Shapes of the bank (11 ordinary + 3 exclusive, 10 + 3) and 2-8 ordinary with 0-3 exclusive.

    n = k..30 for k = 5 and k = 8, 6 seeded rooms per n (240 rooms per shape). For every hidden cell
    of every room that shows, and for R, a second room must exist that displays the same, differs
    there, and has an answer wherever the true room has one (so it fits every participant's own
    answer). R, pinned or not, is never 1..k-1 in a room that shows. At least 60 rooms per shape show.
    """
    rng = random.Random(f"{ordinary}-{exclusive}")
    names, exclusive_names = shape(ordinary, exclusive)
    checked = 0
    for k in (5, 8):
        for n in range(k, 31):
            for _ in range(6):
                vector = generated_room(rng, ordinary, exclusive, n)
                withheld, shown, _ = display(names, exclusive_names, vector, n, k)
                if withheld:
                    continue
                for i, text in enumerate(shown):
                    if not text.isdigit():
                        assert witness(names, exclusive_names, vector, shown, n, k, ordinary, i), (
                            k,
                            n,
                            vector,
                            shown,
                            names[i],
                        )
                people = n - sum(vector[ordinary:])
                assert not 0 < people < k, (k, n, vector, shown)  # R, a group count, is never a handful
                checked += 1
    assert checked >= 60, checked  # the rules still show most of these rooms


def sums_within(ranges, total):
    """Every tuple with entries in `ranges` that sums to `total`."""
    if not ranges:
        if total == 0:
            yield ()
        return
    rest_high = sum(r[-1] for r in ranges[1:])
    for x in ranges[0]:
        if total - rest_high <= x <= total:
            for tail in sums_within(ranges[1:], total - x):
                yield (x,) + tail


MAX_SINGLE_CHOICE_ROOMS = 250


def single_choice_group(names, shown, n, k):
    """Every single-choice room that displays `shown`, or None when there are too many to list:
    hidden cells in their labels' ranges ("fewer than k": 0..k-1, "all but a few": n-k+1..n, else
    0..n), summing with the shown cells to n, each pushed through `release`."""
    hidden = [i for i, text in enumerate(shown) if not text.isdigit()]
    ranges = [
        range(0, k)
        if shown[i] == FEWER_THAN.format(k=k)
        else range(n - k + 1, n + 1)
        if shown[i] == ALL_BUT_A_FEW
        else range(0, n + 1)
        for i in hidden
    ]
    total = n - sum(int(text) for text in shown if text.isdigit())
    group = []
    for listed, values in enumerate(sums_within(ranges, total)):
        if listed >= MAX_SINGLE_CHOICE_ROOMS:
            return None
        vector = [int(text) if text.isdigit() else 0 for text in shown]
        for i, v in zip(hidden, values):
            vector[i] = v
        released = release(dict(zip(names, vector)), n, k, multi=False, question_id="q")
        if released.withheld is None and tuple(c.shown_as for c in released.cells.values()) == shown:
            group.append(tuple(vector))
    return group


def single_choice_bank_shapes():
    bank = load_questions(KIT / "data" / "questions")
    return sorted(
        {len(q.all_options) for q in bank.values() if q.kind in ("single", "scale", "yesno") and q.privacy == "direct"}
    )


@pytest.mark.parametrize("options", sorted(set(single_choice_bank_shapes()) | {2, 4, 8}))
def test_single_choice_bank_and_generated_shapes(options):
    """Single choice, scales and yes/no: every option count of the bank (prefer-not included) and 2, 4
    and 8 options; n = 2k..30 for k = 5, 4 seeded rooms per n. Every hidden cell of a room that shows
    is checked against every room that displays the same (listed in full up to 250 candidates; a
    room with more is counted as skipped, and skips must stay fewer than the rooms checked), for an
    onlooker and for a participant who chose each option. Small rooms are listed exhaustively in
    test_privacy_suppression.py."""
    rng = random.Random(f"single-{options}")
    names = [f"o{i}" for i in range(options)]
    checked = skipped = 0
    for k in (5,):
        for n in range(2 * k, 31):
            for _ in range(4):
                weights = [rng.random() ** 2 + 0.01 for _ in names]
                vector = [0] * options
                for _ in range(n):
                    vector[rng.choices(range(options), weights)[0]] += 1
                released = release(dict(zip(names, vector)), n, k, multi=False, question_id="q")
                if released.withheld:
                    continue
                shown = tuple(c.shown_as for c in released.cells.values())
                if shown == tuple(str(c) for c in vector):
                    continue  # nothing hidden
                group = single_choice_group(names, shown, n, k)
                if group is None:
                    skipped += 1
                    continue
                assert tuple(vector) in group
                hidden = [i for i, text in enumerate(shown) if not text.isdigit()]
                readers = [(0,) * options] + [tuple(int(i == j) for i in range(options)) for j in range(options)]
                for own in readers:
                    possible = [v for v in group if all(c >= o for c, o in zip(v, own))]
                    if vector[own.index(1)] == 0 if 1 in own else False:
                        continue  # nobody in this room holds that answer
                    for i in hidden:
                        seen = {v[i] - own[i] for v in possible}
                        assert len(seen) >= 2 or (own[i] == 1 and seen == {0}), (k, n, vector, shown, own, i)
                checked += 1
    assert checked >= 20 and skipped <= checked, (checked, skipped)


def test_a_participant_with_two_ticks_cannot_pin_a_stand_alone_count():
    """feelings_ever, 14 answers: calm 6, closeness 7, "Doesn't apply" 2. Shown as 6, 7 and "fewer
    than 5", someone who ticked calm and closeness would know "Doesn't apply" is 2: with 1, the 12
    others who ticked anything would have made only 11 ticks. Found by review; now withheld."""
    question = load_questions(KIT / "data" / "questions")["feelings_ever"]
    counts = {o.id: 0 for o in question.all_options}
    counts.update(calm=6, closeness=7, does_not_apply=2)
    released = release(
        counts,
        14,
        5,
        multi=True,
        question_id=question.id,
        exclusive={o.id for o in question.all_options if o.exclusive},
    )
    assert released.withheld is not None


def test_a_participant_with_two_ticks_cannot_pin_every_option_without_stand_alone_answers():
    """Four options, no stand-alone answer, 15 people, 4 ticks each: four "fewer than 5" would tell
    someone with two ticks that the others made at least 14 ticks, so every option is exactly 4."""
    released = release({"a": 4, "b": 4, "c": 4, "d": 4}, 15, 5, multi=True, question_id="q")
    assert released.withheld is not None
