"""What a revealed question may show the facilitator, as the JSON the API sends: direct counts through
the privacy rules, randomized estimates, words, and the second chart of a before/after pair. The store
is read on the event loop; the privacy work runs on another thread (`results_job`)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

import tornado.escape

from aftertalk import privacy
from aftertalk.errors import NotFound
from aftertalk.questions import Question
from aftertalk.server import store
from aftertalk.server.base import stored_question


def results_job(db, room, row) -> Callable[[], str]:
    """A revealed question's results as the facilitator may see them, whatever its kind: the store is
    read now, on the event loop that owns the connection, and the returned function computes the JSON
    body from what was read alone, so it can run on another thread."""
    question = stored_question(row["definition"])
    release = release_job(db, room, question, row)
    first_row = None
    if question.after:
        with contextlib.suppress(NotFound):  # the first half was never asked here: nothing to subtract
            first_row = store.get_question(db, room["code"], question.after)
    if first_row is None:
        return lambda: tornado.escape.json_encode(release())
    first_release = release_job(db, room, stored_question(first_row["definition"]), first_row)
    return lambda: tornado.escape.json_encode(
        paired_release(room["threshold"], question, release(), first_row["answers"], first_release())
    )


def release_job(db, room, question: Question, row) -> Callable[[], dict]:
    """One question's results, with its counts read from the store now and computed when called."""
    if question.kind == "word":
        return functools.partial(
            word_results, question, row["answers"], store.word_counts(db, room["code"], question.id), room["threshold"]
        )
    return functools.partial(
        revealed_results,
        question,
        row["answers"],
        store.option_counts(db, room["code"], question.id),
        room["threshold"],
    )


def paired_release(threshold: int, question: Question, results: dict, first_n: int, first: dict) -> dict:
    """The second half of a before/after pair, withheld when subtracting the first (`first`, of
    `first_n` answers) from it could single out the people who arrived or left in between
    (`privacy.pair_withheld`)."""

    def cells(release):
        return {o["id"]: None if o["hidden"] else o["count"] for o in release["options"]}

    reason = privacy.pair_withheld(first_n, results["n"], threshold, cells(first), cells(results))
    results["pair"] = {"first": question.after, "first_n": first_n}
    if reason:
        results.update({"revealable": False, "withheld": reason, "options": []})
    return results


def revealed_results(question: Question, n: int, counts: dict[str, int], threshold: int) -> dict:
    """What the facilitator may see: small or near-total cells hidden, so no one can be singled out.

    A hidden cell's count never leaves the server, not even to the notebook; when nothing may show,
    `withheld` says why (a reason code of aftertalk.privacy). Randomized questions give estimates with
    intervals instead (see `randomized_results`).
    """
    counts = {o.id: counts.get(o.id, 0) for o in question.all_options}
    if question.design():
        return randomized_results(question, n, counts, threshold)
    try:
        released = privacy.release(
            counts,
            n,
            threshold,
            multi=question.kind == "multi",
            question_id=question.id,
            exclusive={o.id for o in question.all_options if o.exclusive},
        )
    except privacy.PrivacyError:
        # Counts that today's rules say no room could give (kept by an older Aftertalk's store or show
        # of hands): nothing of them is shown, and the facilitator gets a withheld chart, not an error.
        released = privacy.Release(
            {o.id: privacy.Cell(None, True, privacy.HIDDEN) for o in question.all_options},
            privacy.COULD_POINT_TO_SOMEONE,
        )
    cells = released.cells
    return {
        "question": question.to_dict(),
        "state": "revealed",
        "n": n,
        "threshold": threshold,
        "revealable": released.withheld is None,
        "withheld": released.withheld,
        "min_answers": privacy.direct_min_answers(threshold),
        "options": [
            {
                "id": o.id,
                "label": o.label,
                "count": cells[o.id].count,
                "hidden": cells[o.id].hidden,
                "range": cells[o.id].range,  # the notebook words it, with the threshold, in its language
                "share": _share(cells[o.id], n),
            }
            for o in question.all_options
        ],
    }


def _share(cell: privacy.Cell, n: int) -> float | None:
    """A shown cell's part of the n answers; a hidden cell (its count is None) shows none."""
    return None if cell.count is None or not n else cell.count / n


def randomized_results(question: Question, n: int, counts: dict[str, int], threshold: int) -> dict:
    """Unbiased estimates with 95% intervals from the phones' randomized answers.

    Every one of the n answers is a randomized report: "Prefer not to say", which cannot be
    randomized, is kept as a skip (AnswerHandler), so no exact count stands beside the estimates for
    n minus the reports, or an interval's width, to give away. Nothing is estimated below the
    room's strict threshold (privacy.strict_threshold).
    """
    design = question.design()
    if design is None:  # revealed_results sends only randomized questions here
        raise ValueError(f"question {question.id!r} is not randomized: it has no estimates")
    needed = privacy.strict_threshold(threshold)
    real = {o.id: counts[o.id] for o in question.options}
    estimates, withheld = {}, privacy.TOO_FEW_ANSWERS
    try:
        if n < needed:
            pass
        elif design["method"] == "forced":
            yes_id, no_id = (o.id for o in question.options)
            yes, no = privacy.forced_response_both(
                real[yes_id], n, design["p_yes"], design["p_no"], question_id=question.id
            )
            estimates = {yes_id: yes, no_id: no}
        elif design["method"] == "grr":
            estimates = privacy.grr(real, n, design["epsilon"], question_id=question.id)
        else:
            estimates = privacy.unary(real, n, design["epsilon"], question_id=question.id)
    except privacy.PrivacyError:  # counts no room could give (an older store): withheld, as in revealed_results
        withheld = privacy.COULD_POINT_TO_SOMEONE
    rows = []
    for option in question.options:
        estimate = estimates.get(option.id)
        rows.append(
            {
                "id": option.id,
                "label": option.label,
                "count": real[option.id] if estimate else None,
                "share": real[option.id] / n if estimate else None,
                "hidden": estimate is None,
                "range": None if estimate else privacy.RANGE_HIDDEN,
                "estimate": estimate.estimate if estimate else None,
                "low": estimate.low if estimate else None,
                "high": estimate.high if estimate else None,
            }
        )
    answer_epsilon = (
        privacy.unary_answer_epsilon(len(question.options), design["epsilon"])
        if design["method"] == "unary"
        else design["epsilon"]
    )
    return {
        "question": question.to_dict(),
        "state": "revealed",
        "n": n,
        "threshold": threshold,
        "min_answers": needed,
        "revealable": bool(estimates),
        "withheld": None if estimates else withheld,
        "design": design,
        "epsilon": design["epsilon"],
        "answer_epsilon": answer_epsilon,
        "options": rows,
    }


def word_results(question: Question, n: int, rows, threshold: int) -> dict:
    """The words `privacy.shown_words` allows: from max(10, k) answers, each given by k or more
    people (and not by all but a few), minus those the facilitator hid. Says why when none show."""
    release = privacy.shown_words(
        {r["word"]: r["count"] for r in rows}, n, threshold, hidden=[r["word"] for r in rows if r["hidden"]]
    )
    words = [
        {"id": word, "label": word, "count": count, "share": count / n, "hidden": False, "range": None}
        for word, count in release.words
    ]
    return {
        "question": question.to_dict(),
        "state": "revealed",
        "n": n,
        "revealable": release.withheld is None,
        "withheld": release.withheld,
        "threshold": threshold,
        "min_answers": privacy.strict_threshold(threshold),
        "options": words,
    }
