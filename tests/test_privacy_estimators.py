"""Randomized-response designs, estimators and intervals (DESIGN.md, privacy
point 6; formulas from research/privacy.md)."""

from __future__ import annotations

import math
import random

import pytest

from aftertalk.privacy import (
    Estimate,
    PrivacyError,
    forced_response,
    forced_response_probabilities,
    grr,
    grr_probabilities,
    grr_share_among,
    simulate_forced_response,
    simulate_grr,
    simulate_unary,
    unary,
    unary_answer_epsilon,
    unary_probabilities,
    wilson_interval,
)

# --------------------------------------------------------------------------
# Worked examples, checked by hand
# --------------------------------------------------------------------------


def test_forced_response_default_design():
    # p_truth = 1 - 0.125 - 0.125 = 0.75
    # epsilon = max(ln((0.75 + 0.125) / 0.125), same) = ln(0.875 / 0.125) = ln 7 = 1.94591
    design = forced_response_probabilities()
    assert design["p_yes"] == design["p_no"] == 0.125
    assert design["p_truth"] == pytest.approx(0.75)
    assert design["epsilon"] == pytest.approx(math.log(7))
    assert design["epsilon"] == pytest.approx(1.94591, abs=1e-5)


def test_forced_response_uneven_design():
    # p_yes = 0.1, p_no = 0.2, p_truth = 0.7
    # max(ln(0.8 / 0.1), ln(0.9 / 0.2)) = max(ln 8, ln 4.5) = ln 8 = 2.07944
    design = forced_response_probabilities(0.1, 0.2)
    assert design["p_truth"] == pytest.approx(0.7)
    assert design["epsilon"] == pytest.approx(math.log(8))


def test_wilson_interval_by_hand():
    # y = 10, n = 40: lambda = 0.25, z^2 = 3.841459
    # denominator = 1 + 3.841459 / 40 = 1.096036
    # centre = (0.25 + 3.841459 / 80) / 1.096036 = 0.298018 / 1.096036 = 0.271905
    # half = 1.959964 / 1.096036 * sqrt(0.25 * 0.75 / 40 + 3.841459 / 6400)
    #      = 1.788225 * sqrt(0.0046875 + 0.00060023) = 1.788225 * 0.072717 = 0.130034
    low, high = wilson_interval(10, 40)
    assert low == pytest.approx(0.271905 - 0.130034, abs=1e-5)
    assert high == pytest.approx(0.271905 + 0.130034, abs=1e-5)


def test_wilson_interval_edges_and_symmetry():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0 < high < 0.35
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and 0.65 < low < 1
    for y in range(21):
        low, high = wilson_interval(y, 20)
        mirror_low, mirror_high = wilson_interval(20 - y, 20)
        assert low == pytest.approx(1 - mirror_high)
        assert 0 <= low <= y / 20 <= high <= 1


def test_forced_response_estimate_by_hand():
    # y = 10 of n = 40 said yes: lambda = 0.25
    # pi_hat = (0.25 - 0.125) / 0.75 = 1/6 = 0.166667
    # interval: Wilson (0.141871, 0.401939) mapped the same way:
    # (0.141871 - 0.125) / 0.75 = 0.022495, (0.401939 - 0.125) / 0.75 = 0.369253
    result = forced_response(10, 40, question_id="q")
    assert isinstance(result, Estimate)
    assert result.estimate == pytest.approx(1 / 6)
    assert result.raw == pytest.approx(1 / 6)
    assert not result.clipped
    assert result.low == pytest.approx(0.022495, abs=1e-5)
    assert result.high == pytest.approx(0.369253, abs=1e-5)
    assert result.epsilon == pytest.approx(math.log(7))


def test_forced_response_clips_for_display_and_says_so():
    # y = 2 of 40: lambda = 0.05, pi_hat = (0.05 - 0.125) / 0.75 = -0.1
    result = forced_response(2, 40, question_id="q")
    assert result.raw == pytest.approx(-0.1)
    assert result.estimate == 0.0
    assert result.clipped
    assert result.low == 0.0
    assert 0 < result.high < 0.1
    # and at the other end: y = 40 of 40: (1 - 0.125) / 0.75 = 1.1667
    result = forced_response(40, 40, question_id="q")
    assert result.raw == pytest.approx(7 / 6)
    assert (result.estimate, result.high, result.clipped) == (1.0, 1.0, True)


def test_estimates_are_frozen():
    result = forced_response(10, 40, question_id="q")
    with pytest.raises(AttributeError):
        result.estimate = 0.5


def test_grr_design_k5_eps3():
    # e^3 = 20.085537; p = 20.085537 / (20.085537 + 4) = 20.085537 / 24.085537 = 0.833925
    # q = 1 / 24.085537 = 0.041519; p / q = e^3; p + 4q = 1
    design = grr_probabilities(5, 3.0)
    assert design["p"] == pytest.approx(0.833925, abs=1e-6)
    assert design["q"] == pytest.approx(0.041519, abs=1e-6)
    assert design["p"] / design["q"] == pytest.approx(math.exp(3))
    assert design["p"] + 4 * design["q"] == pytest.approx(1)
    assert design["epsilon"] == 3.0


def test_grr_with_two_options_is_warners_design():
    # k = 2: p = e^eps / (e^eps + 1), the probability of telling the truth
    design = grr_probabilities(2, 1.0)
    assert design["p"] == pytest.approx(math.e / (math.e + 1))
    assert design["p"] + design["q"] == pytest.approx(1)


def test_grr_estimate_by_hand():
    # n = 30, option a reported 12 times: lambda = 0.4
    # f_hat = (0.4 - 0.041519) / (0.833925 - 0.041519) = 0.358481 / 0.792407 = 0.452396
    # option b, 6 of 30 = 1/5 = 1/k: the one share GRR maps to itself,
    # since (1/k - q) / (p - q) = 1/k when p + (k-1) q = 1.
    counts = {"a": 12, "b": 6, "c": 5, "d": 4, "e": 3}
    result = grr(counts, 30, question_id="q")
    assert list(result) == list(counts)
    assert result["a"].estimate == pytest.approx(0.452396, abs=1e-6)
    assert result["b"].estimate == pytest.approx(0.2)
    assert all(r.epsilon == 3.0 for r in result.values())
    # the raw estimates of all options add up to 1 (the counts add up to n)
    assert sum(r.raw for r in result.values()) == pytest.approx(1)


def test_grr_share_among_by_hand():
    """Yes / (Yes + No) when "Doesn't apply to me" was randomized with them (lesson 03's pcd_ever_private).

    k = 3, eps = 1.9: e^1.9 = 6.685894, p = 6.685894 / 8.685894 = 0.769742, q = 0.115129, p - q = 0.654612.
    n = 30 reports: yes 9, no 15, does not apply 6.
    f_yes = (0.3 - 0.115129) / 0.654612 = 0.282413; f_no = (0.5 - 0.115129) / 0.654612 = 0.587937;
    share = 0.282413 / (0.282413 + 0.587937) = 0.324482 (f_yes alone, 28%, is a share of everyone).
    97.5% Wilson (z = 2.241403): 9/30 -> 0.152774..0.504602, mapped 0.057507..0.594968;
    15/30 -> 0.310631..0.689369, mapped 0.298653..0.877220;
    low = 0.057507 / (0.057507 + 0.877220) = 0.061523, high = 0.594968 / (0.594968 + 0.298653) = 0.665794.
    """
    share = grr_share_among({"yes": 9, "no": 15, "does_not_apply": 6}, 30, "yes", ["yes", "no"], 1.9, question_id="q")
    assert share is not None
    assert share.estimate == pytest.approx(0.324482, abs=1e-6)
    assert share.low == pytest.approx(0.061523, abs=1e-6)
    assert share.high == pytest.approx(0.665794, abs=1e-6)
    assert share.epsilon == 1.9 and not share.clipped
    # wider than the estimate of "yes" on its own, as a ratio of two estimates should be
    alone = grr({"yes": 9, "no": 15, "does_not_apply": 6}, 30, 1.9, question_id="q")["yes"]
    assert share.high - share.low > alone.high - alone.low


def test_grr_share_among_gives_no_share_when_no_one_is_estimated_in_it():
    # 1 yes and 1 no in 30 reports: both below q = 0.115, so both estimates clip to 0
    counts = {"yes": 1, "no": 1, "does_not_apply": 28}
    assert grr_share_among(counts, 30, "yes", ["yes", "no"], 1.9, question_id="q") is None


def test_grr_share_among_over_many_rooms():
    """30 people: 30% yes, 50% no, 20% "doesn't apply"; the true share is 0.3 / 0.8 = 0.375. The range
    is conservative by design (two 97.5% intervals), so it covers the truth at least 95% of the time."""
    rng = random.Random(20240605)
    options = ["yes", "no", "does_not_apply"]
    estimates = []
    for _ in range(ROOMS):
        reports = simulate_grr(rng.choices(options, [0.3, 0.5, 0.2], k=N), options, rng, epsilon=1.9)
        share = grr_share_among({o: reports.count(o) for o in options}, N, "yes", ["yes", "no"], 1.9, question_id="q")
        assert share is not None and share.low <= share.estimate <= share.high
        estimates.append(share)
    covered = sum(e.low <= 0.375 <= e.high for e in estimates) / ROOMS
    assert covered >= 0.95, covered


def test_unary_design_eps_b_1_5():
    # e^1.5 = 4.481689; p = 4.481689 / 5.481689 = 0.817574; q = 1 - p = 0.182426
    # one bit's loss: ln(p / q) = ln(e^1.5) = 1.5
    design = unary_probabilities(1.5)
    assert design["p"] == pytest.approx(0.817574, abs=1e-6)
    assert design["q"] == pytest.approx(0.182426, abs=1e-6)
    assert math.log(design["p"] / design["q"]) == pytest.approx(1.5)
    assert design["epsilon"] == 1.5


def test_unary_estimate_by_hand():
    # 10 of 30 reports tick a: (1/3 - 0.182426) / (0.817574 - 0.182426) = 0.150907 / 0.635149 = 0.237593
    # 3 of 30 tick b: (0.1 - 0.182426) / 0.635149 = -0.129774, clipped to 0
    result = unary({"a": 10, "b": 3}, 30, question_id="q")
    assert result["a"].estimate == pytest.approx(0.237594, abs=1e-6)
    assert result["b"].raw == pytest.approx(-0.129774, abs=1e-6)
    assert (result["b"].estimate, result["b"].clipped) == (0.0, True)
    assert result["a"].epsilon == 1.5


def test_unary_answer_epsilon_is_m_times_eps_b():
    # 4 options at 1.5 each: 4 * 1.5 = 6.0
    assert unary_answer_epsilon(4, 1.5) == pytest.approx(6.0)
    assert unary_answer_epsilon(1) == pytest.approx(1.5)


def test_intervals_contain_the_estimate_and_narrow_with_n():
    widths = []
    for n in (10, 20, 40, 80):
        result = forced_response(round(0.35 * n), n, question_id="q")
        assert result.low <= result.estimate <= result.high
        widths.append(result.high - result.low)
    assert widths == sorted(widths, reverse=True)


# --------------------------------------------------------------------------
# Simulated rooms
# --------------------------------------------------------------------------

ROOMS = 4000  # coverage then has a Monte Carlo standard error of about 0.0035
N = 30


def coverage_and_mean(estimates, truths):
    covered = sum(e.low <= t <= e.high for e, t in zip(estimates, truths))
    return covered / len(estimates), sum(e.raw for e in estimates) / len(estimates)


def test_forced_response_over_many_rooms():
    """Each room: 30 people, each says "yes" with probability 0.3 (the
    rate in research/privacy.md's table), the phones randomize."""
    rng = random.Random(20240601)
    rate = 0.3
    estimates = []
    for _ in range(ROOMS):
        truth = [rng.random() < rate for _ in range(N)]
        reports = simulate_forced_response(truth, rng)
        estimates.append(forced_response(sum(reports), N, question_id="q"))
    coverage, mean = coverage_and_mean(estimates, [rate] * ROOMS)
    # unbiased: sd of one estimate ~ sqrt(.35 * .65 / 30) / .75 = 0.116, of the mean 0.0018
    assert mean == pytest.approx(rate, abs=0.01)
    assert 0.93 <= coverage <= 0.97, coverage


def test_grr_over_many_rooms():
    rng = random.Random(20240602)
    options = ["calm", "close", "sleepy", "empty", "tearful"]
    shares = [0.3, 0.2, 0.2, 0.2, 0.1]
    per_option = {o: [] for o in options}
    for _ in range(ROOMS):
        truth = rng.choices(options, shares, k=N)
        reports = simulate_grr(truth, options, rng)
        result = grr({o: reports.count(o) for o in options}, N, question_id="q")
        for o in options:
            per_option[o].append(result[o])
    for o, share in zip(options, shares):
        coverage, mean = coverage_and_mean(per_option[o], [share] * ROOMS)
        assert mean == pytest.approx(share, abs=0.01), o
        assert 0.93 <= coverage <= 0.97, (o, coverage)


def test_unary_over_many_rooms():
    rng = random.Random(20240603)
    options = ["calm", "close", "sad"]
    rates = [0.5, 0.3, 0.2]
    per_option = {o: [] for o in options}
    for _ in range(ROOMS):
        truth = [{o for o, r in zip(options, rates) if rng.random() < r} for _ in range(N)]
        reports = simulate_unary(truth, options, rng)
        counts = {o: sum(o in r for r in reports) for o in options}
        result = unary(counts, N, question_id="q")
        for o in options:
            per_option[o].append(result[o])
    for o, rate in zip(options, rates):
        coverage, mean = coverage_and_mean(per_option[o], [rate] * ROOMS)
        assert mean == pytest.approx(rate, abs=0.015), o
        assert 0.93 <= coverage <= 0.97, (o, coverage)


def exact_coverage(truth, n, offset, slope):
    """P(interval covers truth) when the n reports are independent with
    P(report) = offset + slope * truth: a sum over binomial outcomes."""
    lam = offset + slope * truth
    total = 0.0
    for y in range(n + 1):
        low, high = wilson_interval(y, n)
        low = min(1.0, max(0.0, (low - offset) / slope))
        high = min(1.0, max(0.0, (high - offset) / slope))
        if low <= truth <= high:
            total += math.comb(n, y) * lam**y * (1 - lam) ** (n - y)
    return total


def test_exact_coverage_over_all_true_rates_at_n_30():
    """The Wilson interval's coverage wobbles with the true rate (a known
    property of binomial intervals). Measured at n = 30 over rates
    0, 0.005, ..., 1: forced response 0.929-0.973, GRR (k = 5, eps = 3)
    0.922-0.980, per-option (eps_b = 1.5) 0.928-0.969; at the rates of the
    research table (0.3; 0.2) they are 0.947, 0.964 and 0.954. This pins
    that down so a change to the interval shows up here."""
    fr = forced_response_probabilities()
    g = grr_probabilities(5, 3.0)
    u = unary_probabilities(1.5)
    designs = {
        "forced response": (fr["p_yes"], fr["p_truth"], 0.3),
        "grr": (g["q"], g["p"] - g["q"], 0.2),
        "unary": (u["q"], u["p"] - u["q"], 0.2),
    }
    for name, (offset, slope, table_rate) in designs.items():
        coverages = [exact_coverage(t / 200, 30, offset, slope) for t in range(201)]
        assert 0.92 <= min(coverages) and max(coverages) <= 0.98, name
        assert 0.93 <= exact_coverage(table_rate, 30, offset, slope) <= 0.97, name


def test_interval_is_conservative_for_the_rooms_own_share():
    """If the question is "what share of *this* room feels so" (the people
    are fixed, only the phones' coins are random), the reports vary less
    than a binomial sample: Var = sum p_i (1 - p_i) / n^2 instead of
    lambda (1 - lambda) / n. The Wilson-based interval is then wider than
    it needs to be, and covers the room's share more often than 95%
    (measured 0.996 here)."""
    rng = random.Random(20240604)
    truth = [i < 9 for i in range(N)]  # 9 of 30 = 0.3, fixed
    covered = 0
    for _ in range(2000):
        reports = simulate_forced_response(truth, rng)
        result = forced_response(sum(reports), N, question_id="q")
        covered += result.low <= 0.3 <= result.high
    assert covered / 2000 >= 0.97


# --------------------------------------------------------------------------
# Simulators
# --------------------------------------------------------------------------


def test_simulators_are_reproducible_and_keep_the_room_size():
    truth = [True] * 10 + [False] * 10
    first = simulate_forced_response(truth, random.Random(1))
    assert first == simulate_forced_response(truth, random.Random(1))
    assert len(first) == 20 and all(isinstance(r, bool) for r in first)
    picks = simulate_grr(["a", "b", "c"] * 5, ["a", "b", "c"], random.Random(1))
    assert len(picks) == 15 and set(picks) <= {"a", "b", "c"}
    ticks = simulate_unary([{"a"}, set(), {"a", "b"}], ["a", "b"], random.Random(1))
    assert len(ticks) == 3 and all(t <= {"a", "b"} for t in ticks)


def test_simulators_randomize_at_the_stated_rates():
    rng = random.Random(5)
    # forced response: a true "no" becomes "yes" with p_yes = 0.125
    reports = simulate_forced_response([False] * 20000, rng)
    assert sum(reports) / 20000 == pytest.approx(0.125, abs=0.01)
    # GRR k = 3, eps = 1: kept with p = e / (e + 2) = 0.576
    picks = simulate_grr(["a"] * 20000, ["a", "b", "c"], rng, epsilon=1.0)
    assert picks.count("a") / 20000 == pytest.approx(math.e / (math.e + 2), abs=0.01)
    assert picks.count("b") / 20000 == pytest.approx(1 / (math.e + 2), abs=0.01)
    # unary: an unticked option becomes ticked with q = 0.182
    ticks = simulate_unary([set()] * 20000, ["a"], rng)
    assert sum("a" in t for t in ticks) / 20000 == pytest.approx(0.182426, abs=0.01)


def test_simulators_refuse_answers_that_are_not_options():
    with pytest.raises(PrivacyError):
        simulate_grr(["x"], ["a", "b"], random.Random(1))
    with pytest.raises(PrivacyError):
        simulate_unary([{"x"}], ["a", "b"], random.Random(1))
    with pytest.raises(PrivacyError):
        simulate_forced_response([True], random.Random(1), p_yes=0.0)


# --------------------------------------------------------------------------
# Bad input: every error names the question
# --------------------------------------------------------------------------

QID = "after-feelings-7"


@pytest.mark.parametrize(
    "p_yes, p_no",
    [
        (0.0, 0.125),  # a "no" would give the person away
        (0.125, 0.0),  # a "yes" would
        (-0.1, 0.2),
        (0.2, -0.1),
        (0.5, 0.5),  # nobody's true answer would get through
        (0.7, 0.4),
        (float("nan"), 0.1),
        ("0.1", 0.1),
    ],
)
def test_forced_response_bad_designs(p_yes, p_no):
    with pytest.raises(PrivacyError, match=QID):
        forced_response(5, 20, p_yes, p_no, question_id=QID)
    with pytest.raises(PrivacyError, match=QID):
        forced_response_probabilities(p_yes, p_no, question_id=QID)


@pytest.mark.parametrize("yes, n", [(5, -1), (0, 0), (21, 20), (-1, 20), (2.5, 20), (5, 20.0), (True, 20)])
def test_forced_response_bad_counts(yes, n):
    with pytest.raises(PrivacyError, match=QID):
        forced_response(yes, n, question_id=QID)


@pytest.mark.parametrize("epsilon", [0, -1.0, float("inf"), float("nan"), "3", None])
def test_bad_epsilon(epsilon):
    with pytest.raises(PrivacyError, match=QID):
        grr({"a": 5, "b": 5}, 10, epsilon, question_id=QID)
    with pytest.raises(PrivacyError, match=QID):
        unary({"a": 5, "b": 5}, 10, epsilon, question_id=QID)
    with pytest.raises(PrivacyError, match=QID):
        grr_probabilities(3, epsilon, question_id=QID)
    with pytest.raises(PrivacyError, match=QID):
        unary_probabilities(epsilon, question_id=QID)


@pytest.mark.parametrize(
    "counts, n",
    [
        ({"a": 5, "b": 5}, -1),  # negative n
        ({"a": 0, "b": 0}, 0),  # no answers
        ({"a": 11, "b": 0}, 10),  # count above n
        ({"a": -1, "b": 11}, 10),  # negative count
        ({"a": 4, "b": 5}, 10),  # reports must add up to n
        ({"a": 10}, 10),  # one option is no choice
        ({}, 10),
    ],
)
def test_grr_bad_counts(counts, n):
    with pytest.raises(PrivacyError, match=QID):
        grr(counts, n, question_id=QID)


@pytest.mark.parametrize(
    "counts, n",
    [
        ({"a": 5}, -1),
        ({"a": 0}, 0),
        ({"a": 11}, 10),
        ({"a": -1}, 10),
        ({"a": 1.5}, 10),
        ({}, 10),
    ],
)
def test_unary_bad_counts(counts, n):
    with pytest.raises(PrivacyError, match=QID):
        unary(counts, n, question_id=QID)


def test_grr_probabilities_needs_two_options():
    for k in (1, 0, 2.0):
        with pytest.raises(PrivacyError, match=QID):
            grr_probabilities(k, question_id=QID)


def test_other_helpers_refuse_bad_input():
    for bad in [(-1, 10), (11, 10), (0, 0)]:
        with pytest.raises(PrivacyError):
            wilson_interval(*bad)
    with pytest.raises(PrivacyError):
        wilson_interval(1, 10, z=0)
    with pytest.raises(PrivacyError):
        unary_answer_epsilon(0, 1.5)
    with pytest.raises(PrivacyError):
        unary_answer_epsilon(3, -1.5)


@pytest.mark.parametrize(
    "counts, n, option, among",
    [
        ({"yes": 9, "no": 15, "does_not_apply": 6}, 30, "maybe", ["yes", "no"]),  # option outside among
        ({"yes": 9, "no": 15, "does_not_apply": 6}, 30, "yes", ["yes", "never"]),  # among outside the options
        ({"yes": 9, "no": 15, "does_not_apply": 6}, 31, "yes", ["yes", "no"]),  # reports must add up to n
    ],
)
def test_grr_share_among_refuses_bad_input(counts, n, option, among):
    with pytest.raises(PrivacyError, match=QID):
        grr_share_among(counts, n, option, among, 1.9, question_id=QID)
