"""Two releases of one question (issue 13, point 6): a room asks each question once, or twice as a
declared before/after pair whose second chart is released only when subtracting the two singles out
nobody. Over HTTP with a real server, plus the pair rule by enumeration.
"""

from __future__ import annotations

import functools
import itertools

import pytest
from test_cli_check import assert_reported, check, copy_kit, line_of, replace_in

from aftertalk import Question, RoomError, privacy
from aftertalk.notebook import charts
from aftertalk.questions import QuestionError, load_questions
from conftest import Phone, call

MOOD = {
    "id": "mood",
    "text": "How are you arriving today?",
    "kind": "single",
    "options": [{"id": "calm", "label": "Calm"}, {"id": "tense", "label": "Tense"}],
}


def answer(server, room, question_id, choices: dict[str, int], crowd: str) -> None:
    for option, times in choices.items():
        for n in range(times):
            status, body = Phone(server, room.code, f"{crowd}-{option}-{n}").answer(question_id, [option])
            assert status == 200, body


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"text": "  how are you ARRIVING today "},
        {
            "notes": "Other notes",
            "translations": {
                "es": {"text": "¿Cómo llegas hoy?", "options": {"calm": "Tranquilidad", "tense": "Tensión"}}
            },
        },
        {"options": [{"id": "calm", "label": "Relaxed"}, {"id": "tense", "label": "On edge"}]},  # same ids
        {"options": [{"id": "relaxed", "label": "Calm"}, {"id": "on_edge", "label": "Tense"}]},  # same labels
    ],
)
def test_a_room_refuses_the_same_question_under_a_new_id_and_says_why(room, change):
    assert room.open(MOOD)["state"] == "open"
    assert room.open(MOOD)["state"] == "open"  # a retried open of the same id stays idempotent
    room.close("mood")
    with pytest.raises(RoomError, match="asks the same question as 'mood'") as refused:
        room.open({**MOOD, **change, "id": "mood_again"})
    assert refused.value.status == 409 and "subtracted" in str(refused.value)
    assert "mood_again" not in [q["id"] for q in room.status()["questions"]]


def test_a_different_question_still_opens(room):
    room.open(MOOD)
    room.open({**MOOD, "id": "mood_yesno", "kind": "yesno", "options": []})
    room.open({**MOOD, "id": "mood_later", "text": "How are you leaving today?"})
    assert len(room.status()["questions"]) == 3


@pytest.mark.parametrize("first, second", [("pcd_ever", "pcd_ever_private"), ("pcd_ever_private", "pcd_ever")])
def test_a_room_asks_one_version_of_lesson_03s_poll_not_both(room, first, second):
    """The direct and the extra-private pcd poll are two versions of one question (instead_of): a room that
    asked one refuses the other, since the direct chart beside the estimate would undo the phones' noise."""
    room.open(first)
    room.close(first)
    with pytest.raises(
        RoomError, match=f"two versions of one question, and this room has already asked '{first}'"
    ) as refused:
        room.open(second)
    assert refused.value.status == 409
    assert second not in [q["id"] for q in room.status()["questions"]]


def test_aftertalk_check_accepts_a_declared_version_but_not_an_undeclared_repeat(tmp_path):
    """The shipped pcd_ever / pcd_ever_private are alternatives declared with instead_of (the room enforces
    one of them); without the declaration, the same question twice is a repeat the check reports."""
    kit = copy_kit(tmp_path / "kit")
    assert check(kit).returncode == 0
    tears = kit / "data" / "questions" / "03_tears_and_the_post_sex_blues.yaml"
    replace_in(tears, "    instead_of: pcd_ever\n", "")
    assert_reported(
        check(kit),
        f"data/questions/03_tears_and_the_post_sex_blues.yaml:{line_of(tears, 'id: pcd_ever_private')}",
        "'pcd_ever_private' asks the same question as 'pcd_ever'",
    )


def test_a_closed_poll_never_reopens_and_the_message_no_longer_suggests_a_new_id(room):
    room.open(MOOD)
    room.close("mood")
    with pytest.raises(RoomError, match="never reopens") as refused:
        room.open(MOOD)
    assert "new id" not in str(refused.value) and "subtracted" in str(refused.value)


def scale_counts(*counts: int) -> dict[str, int]:
    return {str(point): count for point, count in enumerate(counts, start=1) if count}


@pytest.mark.parametrize(
    "before, after, shown",
    [
        ((0, 6, 6, 0, 0), (0, 6, 6, 0, 0), True),  # the same 12 people: shown
        ((2, 3, 3, 2, 2), (2, 3, 3, 3, 2), False),  # one latecomer: withheld
        ((2, 3, 3, 2, 2), (2, 3, 3, 2, 1), False),  # one leaver: withheld
        ((0, 5, 5, 0, 0), (0, 5, 5, 5, 5), True),  # ten arrived, five and five
        ((0, 5, 5, 0, 0), (0, 5, 5, 10, 0), False),  # ten arrived, all answered 4
    ],
)
def test_a_declared_pair_is_released_only_when_subtracting_singles_out_nobody(server, room, before, after, shown):
    room.open("comfort_before")
    answer(server, room, "comfort_before", scale_counts(*before), "start")
    room.reveal("comfort_before")
    room.open("comfort_after")  # declared `after: comfort_before` in data/questions
    answer(server, room, "comfort_after", scale_counts(*after), "end")
    room.reveal("comfort_after")
    status, data = call(server, "GET", f"/api/rooms/{room.code}/questions/comfort_after/results", token=room._token)
    assert status == 200 and data["pair"] == {"first": "comfort_before", "first_n": sum(before)}
    results = room.results("comfort_after")
    figure = room.before_after("comfort_before", "comfort_after")
    texts = " ".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))).replace("\n", " ")
    if shown:
        assert not data.get("withheld")
        assert not results.empty and "Not shown" not in texts
    else:
        assert data["withheld"] in (privacy.PAIR_COUNTS_TOO_CLOSE, privacy.PAIR_DIFFERENCE_TOO_SMALL)
        assert data["options"] == [] and results.empty
        assert "Not shown, to protect privacy" in texts and "arrived or left" in texts
        assert "Not shown, to protect privacy" in charts.results_markdown(results)


def test_the_second_half_opens_only_once_the_first_is_revealed(room):
    """Whether the second chart shows depends on the first's counts: opened after a first half that is
    closed but not revealed, it would tell the room something about counts it has not seen."""
    room.open("comfort_before")
    with pytest.raises(RoomError, match="open but not revealed yet"):
        room.open("comfort_after")
    room.close("comfort_before")
    with pytest.raises(RoomError, match="closed but not revealed yet. Reveal 'comfort_before' first"):
        room.open("comfort_after")
    room.reveal("comfort_before")
    assert room.open("comfort_after")["state"] == "open"


def test_the_second_half_must_be_the_same_question_as_the_first(server, room):
    """A definition sent by a notebook can name any question in `after`; the pair rule would then compare
    unlike charts, so the server refuses it, and nothing is opened."""
    room.open("comfort_before")
    room.reveal("comfort_before")
    other = room.question("comfort_after").to_dict()
    other.update(id="comfort_later", text="How sure are you about where to get help?")
    status, refused = call(server, "POST", f"/api/rooms/{room.code}/questions", body=other, token=room._token)
    assert status == 409, refused
    assert "asked 'comfort_before' as a different question" in refused["error"]
    assert [q["id"] for q in room.status()["questions"]] == ["comfort_before"]
    assert room.open("comfort_after")["state"] == "open"  # the same question pairs


def test_the_second_half_must_keep_the_first_halfs_option_ids(server, room):
    """Same text and labels but other option ids: pair_withheld compares options by id, so the server
    refuses the pair, as `aftertalk check` refuses it in a question file."""
    room.open("comfort_before")
    room.reveal("comfort_before")
    renamed = room.question("comfort_after").to_dict()
    renamed.update(id="comfort_renamed", options=[dict(o, id=f"level_{o['id']}") for o in renamed["options"]])
    renamed.pop("translations", None)
    status, refused = call(server, "POST", f"/api/rooms/{room.code}/questions", body=renamed, token=room._token)
    assert status == 409, refused
    assert "asked 'comfort_before' as a different question" in refused["error"]
    assert [q["id"] for q in room.status()["questions"]] == ["comfort_before"]


def test_the_first_half_cannot_follow_the_second(room):
    room.open("comfort_after")  # asked alone: nothing to subtract yet
    room.close("comfort_after")
    with pytest.raises(RoomError, match="asks the same question as 'comfort_after'"):
        room.open("comfort_before")


def test_a_pair_must_name_an_earlier_asking_of_the_same_question(tmp_path):
    folder = tmp_path / "questions"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "questions:\n"
        "  - {id: first, text: 'Ready?', kind: yesno}\n"
        "  - {id: second, text: 'Ready now?', kind: yesno, after: first}\n"
    )
    with pytest.raises(QuestionError, match="'first' is not the same question"):
        load_questions(folder)
    (folder / "a.yaml").write_text("questions:\n  - {id: second, text: 'Ready?', kind: yesno, after: missing}\n")
    with pytest.raises(QuestionError, match="no question 'missing'"):
        load_questions(folder)
    with pytest.raises(QuestionError, match="after"):
        Question.from_dict({"id": "x", "text": "Ready?", "kind": "yesno", "after": "x"})
    assert load_questions()["comfort_after"].after == "comfort_before"


def test_aftertalk_check_reports_an_undeclared_repeat_and_a_broken_pair(tmp_path):
    kit = copy_kit(tmp_path / "kit")
    closing = kit / "data" / "questions" / "05_closing.yaml"
    replace_in(closing, "    after: comfort_before\n", "")
    assert_reported(
        check(kit),
        f"data/questions/05_closing.yaml:{line_of(closing, 'id: comfort_after')}",
        "'comfort_after' asks the same question as 'comfort_before'",
        "after: comfort_before",
    )
    kit = copy_kit(tmp_path / "kit2")
    closing = kit / "data" / "questions" / "05_closing.yaml"
    replace_in(closing, "after: comfort_before", "after: comfort_befor")
    assert_reported(
        check(kit),
        f"data/questions/05_closing.yaml:{line_of(closing, 'id: comfort_after')}",
        "no question 'comfort_befor'",
    )


# --- the pair rule, by enumeration ------------------------------------------------------------------

OPTIONS = ("a", "b", "c")


@functools.cache
def display(counts: tuple[int, ...], k: int) -> tuple:
    """What a single-choice chart of these counts shows, through the real suppression."""
    cells = privacy.suppress(dict(zip(OPTIONS, counts)), sum(counts), k, multi=False, question_id="q")
    return tuple((cell.hidden, cell.shown_as) for cell in cells.values())


@functools.cache
def vectors(n: int) -> list[tuple[int, ...]]:
    return [v for v in itertools.product(range(n + 1), repeat=len(OPTIONS)) if sum(v) == n]


def shown_cells(counts, k) -> dict:
    return {o: None if hidden else int(text) for o, (hidden, text) in zip(OPTIONS, display(counts, k))}


@pytest.mark.parametrize("k, largest", [(3, 14), (5, 20)])
def test_the_pair_rule_by_enumeration(k, largest):
    """Every pair of rooms for a three-option single-choice question: n1 = 0..largest people who
    answered both times and d = 1..largest who arrived before the second asking (or, mirrored, left
    after the first), n1 + d <= largest, every way the stayers and the movers can answer; k = 3 up to
    14 answers and k = 5 up to 20 (at k = 5 a changed count first releases at d = 10).

    The reader knows both charts as shown (through the real suppression), both n, the rules, and,
    at worst, that nobody who answered both times changed their answer. Whenever the second chart is
    released, each option's count among the arrivals (or leavers) must keep at least two values, or
    one that points at nobody: never a single value c with 0 < c < k, nor one that leaves fewer than
    k of them outside it (all of them answered the same).
    """
    released = 0
    for n1 in range(largest + 1):
        for d in range(1, largest + 1):
            if n1 + d > largest:
                continue
            for leaving in (False, True):
                worlds: dict[tuple, list[tuple[int, ...]]] = {}
                for stayers in vectors(n1):
                    for moved in vectors(d):
                        everyone = tuple(s + m for s, m in zip(stayers, moved))
                        first, second = (stayers, everyone) if not leaving else (everyone, stayers)
                        if privacy.pair_withheld(
                            sum(first), sum(second), k, shown_cells(first, k), shown_cells(second, k)
                        ):
                            continue
                        worlds.setdefault((display(first, k), display(second, k)), []).append(moved)
                for seen, possible in worlds.items():
                    released += 1
                    for option in range(len(OPTIONS)):
                        values = {moved[option] for moved in possible}
                        if len(values) == 1:
                            (c,) = values
                            assert c == 0 or (k <= c <= d - k), (k, n1, d, leaving, seen, possible[:3])
    assert released > 0  # the rule is not "withhold everything"


def test_the_rule_withholds_what_the_counts_alone_would_release():
    """Ten latecomers who all answered "4": the counts differ by 10 >= k, but the difference of the
    charts would say how each of them answered."""
    assert privacy.pair_withheld(10, 20, 5, {"4": 0}, {"4": 10}) == privacy.PAIR_DIFFERENCE_TOO_SMALL
    assert privacy.pair_withheld(10, 20, 5, {"4": 0, "5": 0}, {"4": 5, "5": 5}) is None
    assert privacy.pair_withheld(12, 13, 5) == privacy.PAIR_COUNTS_TOO_CLOSE
    assert privacy.pair_withheld(12, 12, 5, {"4": 0}, {"4": 1}) is None  # nobody arrived or left, as far as n tells
