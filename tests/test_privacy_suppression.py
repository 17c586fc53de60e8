"""Reveal thresholds and small-count suppression (DESIGN.md, privacy point 5)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftertalk.privacy import (
    ALL_BUT_A_FEW,
    DEFAULT_THRESHOLD,
    HIDDEN,
    MIN_THRESHOLD,
    RANDOMIZED_THRESHOLD,
    TOO_FEW_ANSWERS,
    Cell,
    PrivacyError,
    check_threshold,
    release,
    revealable,
    suppress,
)


def shown_as(counts, n=None, k=5, multi=False):
    """What the projector shows, option by option."""
    n = sum(counts.values()) if n is None else n
    cells = suppress(counts, n, k, multi=multi, question_id="q1")
    return {option: cell.shown_as for option, cell in cells.items()}


# --------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------


def test_threshold_constants():
    assert (MIN_THRESHOLD, DEFAULT_THRESHOLD, RANDOMIZED_THRESHOLD) == (3, 5, 10)


@pytest.mark.parametrize("k", [3, 5, 10, 40])
def test_check_threshold_accepts_whole_numbers_from_three(k):
    assert check_threshold(k, "feelings") == k


@pytest.mark.parametrize("k", [2, 1, 0, -5, 2.0, 5.0, "5", None, True])
def test_check_threshold_refuses_and_names_the_question(k):
    with pytest.raises(PrivacyError, match="feelings"):
        check_threshold(k, "feelings")


def test_privacy_error_is_a_value_error():
    assert issubclass(PrivacyError, ValueError)


def test_revealable_only_from_k_answers():
    assert not revealable(0, 5)
    assert not revealable(4, 5)
    assert revealable(5, 5)
    assert not revealable(9, RANDOMIZED_THRESHOLD)
    assert revealable(10, RANDOMIZED_THRESHOLD)
    with pytest.raises(PrivacyError):
        revealable(10, 2)
    with pytest.raises(PrivacyError):
        revealable(-1, 5)


# --------------------------------------------------------------------------
# Hand examples
# --------------------------------------------------------------------------


def test_one_tearful_answer_in_a_room_of_twelve_is_hidden():
    # 1 < 5, so "tearful" is hidden. So are 2 and 2 (also < 5). The three
    # hidden cells hold 12 - 7 = 5 answers, each 1..4: tearful can be 1, 2 or 3.
    counts = {"calm": 7, "tearful": 1, "sad": 2, "empty": 2}
    cells = suppress(counts, 12, 5, multi=False, question_id="q1")
    assert cells["tearful"] == Cell(count=None, hidden=True, shown_as="fewer than 5")
    assert cells["calm"] == Cell(count=7, hidden=False, shown_as="7")
    assert list(cells) == list(counts)  # order kept for the chart


def test_one_tearful_answer_multi_select():
    counts = {"calm": 7, "tearful": 1, "sad": 2, "empty": 12}
    assert shown_as(counts, n=12, multi=True) == {
        "calm": "7",
        "tearful": "fewer than 5",
        "sad": "fewer than 5",
        "empty": HIDDEN,  # ticked by everyone who ticked anything: R - c = 0 < 5
    }


def test_everyone_giving_the_same_answer_is_hidden():
    # c = n tells everyone's answer. The 0 must be hidden too, or "yes"
    # would be 12 - 0. It reads "fewer than 5", like a small count would.
    assert shown_as({"yes": 12, "no": 0}) == {"yes": ALL_BUT_A_FEW, "no": "fewer than 5"}
    # and 11 / 1 looks exactly the same
    assert shown_as({"yes": 11, "no": 1}) == {"yes": ALL_BUT_A_FEW, "no": "fewer than 5"}
    # 12, 0, 0: one zero hidden is enough, the other is still shown
    assert shown_as({"a": 12, "b": 0, "c": 0}) == {
        "a": ALL_BUT_A_FEW,
        "b": "fewer than 5",
        "c": "0",
    }


def test_complementary_hiding_single_choice():
    # tearful = 2 alone would be 20 - 10 - 8. So the smallest other cell
    # (close, 8) is hidden too. A reader knows close is at least 5 and at
    # most 9 (not bigger than calm, listed before it), and the two hold
    # 10: tearful can be anything from 1 to 4.
    assert shown_as({"calm": 10, "close": 8, "tearful": 2}) == {
        "calm": "10",
        "close": HIDDEN,
        "tearful": "fewer than 5",
    }


def test_complementary_hiding_goes_on_until_safe():
    # tearful 1: hiding sleepy (5) is not enough: sleepy is known to be
    # 5..5 (close, listed before it, shows 6, so sleepy is at most 5), so
    # tearful = 6 - 5 = 1. Hiding close as well leaves 1..2 for tearful.
    assert shown_as({"calm": 8, "close": 6, "sleepy": 5, "tearful": 1}) == {
        "calm": "8",
        "close": HIDDEN,
        "sleepy": HIDDEN,
        "tearful": "fewer than 5",
    }


def test_zeros_are_shown_when_harmless():
    assert shown_as({"calm": 10, "close": 10, "tearful": 0}) == {
        "calm": "10",
        "close": "10",
        "tearful": "0",
    }
    assert shown_as({"calm": 9, "close": 7, "sleepy": 6, "tearful": 1, "sad": 0}) == {
        "calm": "9",
        "close": "7",
        "sleepy": HIDDEN,
        "tearful": "fewer than 5",
        "sad": "0",
    }


def test_nothing_shown_below_k():
    cells = suppress({"a": 3, "b": 1}, 4, 5, multi=False, question_id="q1")
    assert all(c == Cell(None, True, HIDDEN) for c in cells.values())
    cells = suppress({"a": 3, "b": 1}, 4, 5, multi=True, question_id="q1")
    assert all(c == Cell(None, True, HIDDEN) for c in cells.values())


def test_single_choice_below_2k_is_withheld():
    # Every nonzero cell is < 5 or > n - 5 when n < 10.
    assert set(shown_as({"a": 6, "b": 3, "c": 0}).values()) == {HIDDEN}


def test_multi_select_below_2k_is_withheld():
    # Below 2k every nonzero cell is small or nearly everyone's, and the zeros beside them would
    # narrow what the hidden ones hold: nothing shows, and the release says why.
    released = release({"a": 6, "b": 3, "c": 0}, 9, 5, multi=True, question_id="q1")
    assert released.withheld == TOO_FEW_ANSWERS
    assert {o: c.shown_as for o, c in released.cells.items()} == {"a": HIDDEN, "b": HIDDEN, "c": HIDDEN}
    assert shown_as({"a": 5, "b": 0}, n=5, multi=True) == {"a": HIDDEN, "b": HIDDEN}


def test_withheld_when_a_reader_who_knows_the_rules_could_pin_a_cell():
    # 4, 4, 5 in a room of 13: the two 4s alone are 4 + 4 = 8, pinned, so
    # the 5 is hidden too. But two small cells alone are only unsafe when
    # both are 4 (or their total is < 5, which would leave 9+ for the
    # hidden one, more than the 8 it can hold), so a reader who knows the
    # rules would read "fewer than 5, fewer than 5, hidden" as 4, 4, 5.
    assert set(shown_as({"a": 4, "b": 4, "c": 5}).values()) == {HIDDEN}


def test_withheld_when_only_ranges_would_show():
    # calm 5, close 6, tearful 1: every nonzero cell ends up hidden.
    assert set(shown_as({"calm": 5, "close": 6, "tearful": 1}).values()) == {HIDDEN}


def test_cells_are_frozen():
    cell = suppress({"a": 10, "b": 10}, 20, 5, multi=False, question_id="q1")["a"]
    with pytest.raises(AttributeError):
        cell.count = 3


def test_hidden_cells_never_carry_a_count():
    cells = suppress({"a": 10, "b": 8, "c": 2}, 20, 5, multi=False, question_id="q1")
    for cell in cells.values():
        assert cell.hidden == (cell.count is None)
        if cell.hidden:
            assert cell.shown_as in {"fewer than 5", ALL_BUT_A_FEW, HIDDEN}


# --------------------------------------------------------------------------
# Property: from what is shown, no hidden count can be determined
# --------------------------------------------------------------------------


def label_range(label, n, k, multi, any_range_label):
    """Counts a reader may assume for a hidden cell, from the documented labels.

    Written from the docstring of `suppress`, not from its code.
    """
    if label == f"fewer than {k}":
        return (1 if multi else 0, k - 1)
    if label == ALL_BUT_A_FEW:
        return (n - k + 1, n)
    assert label == HIDDEN, label
    if multi:
        return (0, n)
    if any_range_label:
        # complementary: neither small nor "all but a few"
        return (k, n - k)
    return (0, n)  # the whole question is withheld


def possible_values(ranges, total):
    """For each hidden cell, the values it takes over all count vectors
    with every cell inside its range and the cells summing to `total`.

    Same answer as listing every vector (see the test below), but by
    reachable sums, so it stays fast for six cells in a room of 40.
    """
    possible = []
    for i, (lo, hi) in enumerate(ranges):
        reachable = {0}
        for j, (lo_j, hi_j) in enumerate(ranges):
            if j != i:
                reachable = {s + x for s in reachable for x in range(lo_j, hi_j + 1) if s + x <= total}
        possible.append({v for v in range(lo, hi + 1) if total - v in reachable})
    return possible


def test_possible_values_matches_listing_every_vector():
    for ranges, total in [([(0, 4), (5, 7), (5, 7)], 12), ([(1, 4), (1, 4)], 8), ([(0, 9)] * 3, 9)]:
        vectors = [v for v in itertools.product(*(range(lo, hi + 1) for lo, hi in ranges)) if sum(v) == total]
        listed = [{v[i] for v in vectors} for i in range(len(ranges))]
        assert possible_values(ranges, total) == listed


def assert_no_hidden_count_can_be_determined(counts, n, k, multi):
    cells = suppress(counts, n, k, multi=multi, question_id="q1")
    options = list(counts)
    hidden = [o for o in options if cells[o].hidden]
    any_range_label = any(cells[o].shown_as != HIDDEN for o in hidden)
    ranges = {}
    for o in options:
        cell = cells[o]
        if not cell.hidden:
            assert cell.count == counts[o] and cell.shown_as == str(counts[o])
            continue
        assert cell.count is None
        ranges[o] = label_range(cell.shown_as, n, k, multi, any_range_label)
        lo, hi = ranges[o]
        assert lo <= counts[o] <= hi, f"label {cell.shown_as!r} is not true for {counts[o]}"
    if not hidden:
        return
    if multi:
        # no sum ties options together: a cell is only known by its label
        possible = [set(range(ranges[o][0], ranges[o][1] + 1)) for o in hidden]
    else:
        hidden_total = n - sum(counts[o] for o in options if not cells[o].hidden)
        possible = possible_values([ranges[o] for o in hidden], hidden_total)
    for o, values in zip(hidden, possible):
        assert counts[o] in values
        assert len(values) >= 2, f"{o} = {counts[o]} can be worked out from {cells}"


@st.composite
def rooms(draw):
    k = draw(st.sampled_from([3, 4, 5, 6]))
    m = draw(st.integers(2, 6))
    n = draw(st.integers(1, 40))  # with no answers there is nobody to protect
    multi = draw(st.booleans())
    if multi:
        # every answer ticks at least one option: each count at most n, together at least n
        counts = draw(st.lists(st.integers(0, n), min_size=m, max_size=m))
        while sum(counts) < n:
            counts[sum(counts) % m] = min(n, counts[sum(counts) % m] + 1)
    else:
        # single choice: cut 0..n at m - 1 points
        cuts = sorted(draw(st.lists(st.integers(0, n), min_size=m - 1, max_size=m - 1)))
        counts = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    return {f"option{i}": c for i, c in enumerate(counts)}, n, k, multi


@settings(max_examples=400, deadline=None)
@given(rooms())
def test_no_hidden_count_can_be_determined_from_what_is_shown(room):
    counts, n, k, multi = room
    assert_no_hidden_count_can_be_determined(counts, n, k, multi)


@pytest.mark.parametrize(
    "counts",
    [
        {"a": 1, "b": 5, "c": 6},
        {"a": 1, "b": 5, "c": 5},
        {"a": 12, "b": 0, "c": 0},
        {"a": 1, "b": 1, "c": 5, "d": 5},
        {"a": 4, "b": 4, "c": 4},
        {"a": 1, "b": 2, "c": 7, "d": 8},
        {"a": 0, "b": 1, "c": 9, "d": 10},
    ],
)
def test_tricky_rooms(counts):
    assert_no_hidden_count_can_be_determined(counts, sum(counts.values()), 5, multi=False)


# --------------------------------------------------------------------------
# Stronger: a reader who knows these rules and their own answer
# --------------------------------------------------------------------------


def all_rooms(n, m):
    """Every single-choice count vector of n answers over m options."""
    for cuts in itertools.combinations_with_replacement(range(n + 1), m - 1):
        yield tuple(b - a for a, b in zip((0,) + cuts, cuts + (n,)))


@pytest.mark.parametrize(
    "k, m, largest_room",
    [(3, 2, 24), (3, 3, 20), (3, 4, 14), (3, 5, 10), (5, 2, 30), (5, 3, 26), (5, 4, 19), (4, 4, 16)],
)
def test_a_reader_who_knows_the_rules_cannot_pin_a_hidden_count(k, m, largest_room):
    """Every room is listed, and rooms are grouped by what the projector
    shows. Within each group (all a reader who knows `suppress` can tell
    apart), every hidden cell must take two values or more. A participant
    also knows their own answer: among the rooms of the group where their
    option holds at least one answer, every other hidden cell must still
    take two values, and their own cell two values or "only me"."""
    options = [f"o{i}" for i in range(m)]
    for n in range(k, largest_room + 1):
        groups = defaultdict(list)
        for room in all_rooms(n, m):
            cells = suppress(dict(zip(options, room)), n, k, multi=False, question_id="q1")
            groups[tuple(c.shown_as for c in cells.values())].append(room)
        for view, group in groups.items():
            hidden = [i for i, label in enumerate(view) if not label.isdigit()]
            for i in hidden:
                assert len({room[i] for room in group}) >= 2, (n, view, group)
            for own in range(m):
                with_me = [room for room in group if room[own] >= 1]
                for i in hidden:
                    others = {room[i] - (i == own) for room in with_me}
                    if with_me and not (i == own and others == {0}):
                        assert len(others) >= 2, (n, view, own, with_me)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "counts, n, k, multi",
    [
        ({"a": 5, "b": 5}, 10, 2, False),  # threshold below 3
        ({"a": 5, "b": 5}, 10, 5.0, False),  # threshold not a whole number
        ({"a": 5, "b": 5}, -1, 5, True),  # negative n
        ({"a": 5, "b": 5}, 10.0, 5, False),  # n not a whole number
        ({}, 10, 5, False),  # no options
        ({"a": -1, "b": 11}, 10, 5, False),  # negative count
        ({"a": 2.5, "b": 7.5}, 10, 5, False),  # count not a whole number
        ({"a": True, "b": 9}, 10, 5, False),  # a bool is not a count
        ({"a": 11, "b": 0}, 10, 5, True),  # count above n
        ({"a": 5, "b": 4}, 10, 5, False),  # single choice must add up to n
        ({"a": 6, "b": 5}, 10, 5, False),
    ],
)
def test_bad_input_names_the_question(counts, n, k, multi):
    with pytest.raises(PrivacyError, match="after-feelings-3"):
        suppress(counts, n, k, multi=multi, question_id="after-feelings-3")


def test_multi_select_zeros_are_hidden_when_they_would_pin_an_all_but_a_few():
    # Everyone ticks at least one option: with "calm" hidden and every other option 0, a reader
    # would know all 12 ticked calm. The zeros must hide too.
    cells = suppress({"calm": 12, "sad": 0, "none": 0}, 12, 5, multi=True, question_id="feelings")
    assert all(cell.hidden and cell.shown_as == "hidden" for cell in cells.values())
    cells = suppress({"calm": 12, "sad": 6, "none": 0}, 12, 5, multi=True, question_id="feelings")
    assert cells["calm"].hidden and cells["none"].count == 0
