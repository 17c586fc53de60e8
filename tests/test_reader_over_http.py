"""Issue 13's breaches, replayed over HTTP against a real server: what a careful reader could work out.

Each test is one breach that the previous release allowed (points 1, 2 and 5 of the issue); the
enumeration behind the rules is in test_privacy_reader.py.
"""

from __future__ import annotations

from pathlib import Path

from aftertalk import Question
from aftertalk.notebook.client import Room
from aftertalk.questions import load_questions
from conftest import Phone, answer_many, call

KIT = Path(__file__).resolve().parent.parent
FEELINGS_EVER = load_questions(KIT / "data" / "questions")["feelings_ever"]
PRIVATE_YES_NO = Question.from_dict(
    {"id": "private", "text": "Have you ever felt low after sex?", "kind": "yesno", "privacy": "randomized"}
)


def room_with_threshold(server, threshold: int) -> Room:
    status, created = call(
        server, "POST", "/api/rooms", body={"threshold": threshold}, token=server.info["admin_token"]
    )
    assert status == 201, created
    return Room(api_url=server.url, code=created["code"], token=created["token"], join_url=created["join_url"])


def results_body(server, room, question_id):
    status, body = call(server, "GET", f"/api/rooms/{room.code}/questions/{question_id}/results", token=room._token)
    assert status == 200, body
    return body


def test_the_lessons_own_multi_select_no_longer_outs_one_person(server, room):
    """Point 1: 6 "Doesn't apply", 5 "Prefer not to say", one person ticks three feelings."""
    room.open(FEELINGS_EVER)
    answer_many(
        server,
        room.code,
        "feelings_ever",
        {"does_not_apply": 6, "prefer_not_to_say": 5, ("sadness", "tearfulness", "guilt"): 1},
    )
    room.reveal("feelings_ever")
    body = results_body(server, room, "feelings_ever")
    assert body["withheld"] == "few_outside_exclusive" and not body["revealable"]
    assert all(o["hidden"] and o["count"] is None and o["share"] is None for o in body["options"])
    # The chart says why, in plain words, instead of showing bars.
    frame = room.results("feelings_ever")
    from aftertalk.notebook.charts import results_markdown

    text = results_markdown(frame)
    assert (
        "Too few answers other than “None of these” / “Doesn't apply to me” / “Prefer not to say” to show "
        "safely." in text
    )
    assert "Sadness" not in text and "| 1 |" not in text


def test_a_randomized_question_keeps_no_count_of_its_decliners(server, room):
    """Point 2: n minus the randomized reports was the hidden "Prefer not to say" count."""
    room.open(PRIVATE_YES_NO)
    answer_many(server, room.code, "private", {"yes": 6, "no": 6})
    for n in range(2):
        status, body = Phone(server, room.code, f"decliner-{n}").answer("private", ["prefer_not_to_say"])
        assert status == 200, body
    assert room.count("private") == 12  # a decline is kept as a skip: done, and not counted
    room.reveal("private")
    body = results_body(server, room, "private")
    assert body["n"] == 12 and "randomized_n" not in body
    assert [o["id"] for o in body["options"]] == ["yes", "no"]
    assert all(o["count"] is not None for o in body["options"])
    # The decliner cannot answer again: the phone is done with the question.
    status, _ = Phone(server, room.code, "decliner-0").answer("private", ["yes"])
    assert status == 409


def test_a_raised_threshold_governs_randomized_estimates(server):
    """Point 5: threshold 20 and 12 answers used to show estimates (the fixed 10 applied)."""
    room = room_with_threshold(server, 20)
    room.open(PRIVATE_YES_NO)
    answer_many(server, room.code, "private", {"yes": 6, "no": 6})
    room.reveal("private")
    body = results_body(server, room, "private")
    assert body["withheld"] == "too_few_answers" and body["threshold"] == 20
    assert all(o["hidden"] and o["estimate"] is None and o["count"] is None for o in body["options"])


def test_raising_the_threshold_hides_this_rooms_small_counts_one_by_one(server):
    """The same room of 22 answers at thresholds 3..11: each shows no cell the one below hid. (Not
    true of every room for direct charts: README says so; it is for words and estimates.)"""
    answers = {"good": 9, "meh": 7, "bad": 4, "prefer_not_to_say": 2}
    mood = Question.from_dict(
        {
            "id": "mood",
            "text": "How are you?",
            "kind": "single",
            "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}, {"id": "bad", "label": "Bad"}],
        }
    )
    previously_shown = None
    for threshold in range(3, 12):
        room = room_with_threshold(server, threshold)
        room.open(mood)
        answer_many(server, room.code, "mood", answers)
        room.reveal("mood")
        shown = {o["id"] for o in results_body(server, room, "mood")["options"] if not o["hidden"]}
        if previously_shown is not None:
            assert shown <= previously_shown, threshold
        previously_shown = shown
    assert previously_shown == set()
