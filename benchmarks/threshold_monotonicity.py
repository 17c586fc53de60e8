"""What "raising the threshold never shows more" would cost direct charts (issue 13): a measure, not a test.

    .venv/bin/python benchmarks/threshold_monotonicity.py [--rooms 300] [--floor 5]

Seeded single-choice rooms (3-6 options, 10-40 answers, a few popular options, as rooms are) go through:

- today's rule, `privacy.release` at each room threshold k: each chart is checked against a reader at
  its own k;
- a monotone rule built on it: at threshold k a chart that k withholds falls back to the first higher
  threshold t that shows it (its cells read "fewer than t"), so a lower threshold shows at least what a
  higher one does. A reader who knows this rule knows that every threshold from k to t - 1 withheld the
  chart, so its check lists only the rooms that would fall back the same way. For the rule to stay
  monotone that check cannot depend on the room's k: it must hold for a reader at every threshold from
  the floor (3, or the default 5) up to t. That is what makes it cost.

For each threshold it prints how many rooms show a chart under each rule, and how many pairs of
thresholds k < k' break "k' shows nothing k does not".
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aftertalk import privacy  # noqa: E402
from aftertalk.privacy import _no_reader_can_pin, _single_choice_candidate, release  # noqa: E402

HIGHEST_THRESHOLD = 10


def seeded_rooms(count: int, seed: int = 1) -> list[tuple[tuple[int, ...], int]]:
    rng = random.Random(seed)
    rooms = []
    for _ in range(count):
        options, n = rng.randint(3, 6), rng.randint(10, 40)
        weights = [rng.random() ** 2 for _ in range(options)]
        counts = [0] * options
        for _ in range(n):
            counts[rng.choices(range(options), weights)[0]] += 1
        rooms.append((tuple(counts), n))
    return rooms


def today(counts: tuple[int, ...], n: int, k: int) -> frozenset[int] | None:
    """The options today's rule shows at threshold k, None when the chart is withheld."""
    released = release(dict(enumerate(counts)), n, k, multi=False, question_id="q")
    return None if released.withheld else frozenset(i for i, cell in released.cells.items() if not cell.hidden)


@functools.cache
def shows_at(counts: tuple[int, ...], n: int, t: int, floor: int) -> bool:
    """Would the monotone rule show these counts' chart at threshold t, whatever room threshold led here?"""
    labels, reason = _single_choice_candidate(counts, n, t)
    if reason is not None or labels is None:
        return False
    if all(label is None for label in labels):
        return True
    # The check reads the display alone: the shown counts and the labels.
    display = tuple(0 if label is not None else c for c, label in zip(counts, labels))
    return display_passes(display, labels, n, t, floor)


@functools.cache
def display_passes(display: tuple[int, ...], labels: tuple, n: int, t: int, floor: int) -> bool:
    for k in range(floor, t + 1):
        # A reader at room threshold k knows every threshold from k to t - 1 withheld the chart.
        def fell_back_here(other: tuple[int, ...], k: int = k) -> bool:
            return not any(shows_at(other, n, j, floor) for j in range(k, t))

        if not _no_reader_can_pin(display, labels, n, t, keep=fell_back_here):
            return False
    return True


def monotone(counts: tuple[int, ...], n: int, k: int, floor: int) -> frozenset[int] | None:
    t = k
    while privacy.direct_min_answers(t) <= n:
        if shows_at(counts, n, t, floor):
            labels, _ = _single_choice_candidate(counts, n, t)
            assert labels is not None
            return frozenset(i for i, label in enumerate(labels) if label is None)
        t += 1
    return None


def broken_pairs(shown: dict[int, frozenset[int] | None]) -> list[tuple[int, int]]:
    """Pairs k < k' where k' shows a chart k withholds, or an option k hides."""
    return [
        (k, higher)
        for k in shown
        for higher in shown
        if higher > k and shown[higher] is not None and (shown[k] is None or not shown[higher] <= shown[k])
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=300)
    parser.add_argument(
        "--floor",
        type=int,
        default=privacy.DEFAULT_THRESHOLD,
        choices=range(privacy.MIN_THRESHOLD, privacy.DEFAULT_THRESHOLD + 1),
    )
    args = parser.parse_args()
    thresholds = range(args.floor, HIGHEST_THRESHOLD + 1)
    rooms = seeded_rooms(args.rooms)
    shown_today = dict.fromkeys(thresholds, 0)
    shown_monotone = dict.fromkeys(thresholds, 0)
    broken_today = broken_monotone = 0
    for counts, n in rooms:
        by_today = {k: today(counts, n, k) for k in thresholds}
        by_monotone = {k: monotone(counts, n, k, args.floor) for k in thresholds}
        for k in thresholds:
            shown_today[k] += by_today[k] is not None
            shown_monotone[k] += by_monotone[k] is not None
        broken_today += len(broken_pairs(by_today))
        for k, higher in broken_pairs(by_monotone):
            broken_monotone += 1
            print(
                f"monotone rule, {counts} of {n}: k = {higher} shows {sorted(by_monotone[higher] or ())}, "
                f"k = {k} shows {None if by_monotone[k] is None else sorted(by_monotone[k])}"
            )
    print(f"{len(rooms)} seeded single-choice rooms; the monotone rule's reader check from k = {args.floor}")
    print("threshold | charts shown today | charts shown, monotone rule")
    for k in thresholds:
        print(f"{k:9} | {shown_today[k]:18} | {shown_monotone[k]:27}")
    print(f"pairs k < k' where k' shows more: today {broken_today}, monotone rule {broken_monotone}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
