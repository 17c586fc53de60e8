"""Each phone is sent what it should see with the live update and with its answer's reply, so a room of
phones does not all ask the server for the page at the same moment. These views must be each phone's
own: its question, its language, its upvotes."""

import threading
import time

from aftertalk import Question
from conftest import Phone, call, read_events

MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}],
    }
)
WAITING = "will open a question"
WAITING_ES = "abrirá una pregunta"
THANKS = "Thanks, that was sent anonymously."


def change_view(server, code, phone, **headers) -> str:
    [(name, data)] = read_events(server, code, phone.cookie, headers=headers)
    assert name == "change"
    return data["html"]


def test_the_live_update_carries_each_phones_own_view(server, room):
    room.open(MOOD)
    answered, still_to_answer = Phone(server, room.code, "answered"), Phone(server, room.code, "to-answer")
    assert answered.answer("mood", ["good"])[0] == 200
    assert "How is today?" in change_view(server, room.code, still_to_answer)
    view = change_view(server, room.code, answered)
    assert "How is today?" not in view and WAITING in view
    # The same as the phone would get by asking for it.
    assert view == call(server, "GET", f"/r/{room.code}/current", headers={"Cookie": answered.cookie})[1]


def test_the_live_update_is_in_each_phones_language(server, room):
    phone = Phone(server, room.code, "polyglot")
    assert WAITING_ES in change_view(server, room.code, phone, **{"Accept-Language": "es"})
    english = change_view(server, room.code, phone, **{"Accept-Language": "en"})
    assert WAITING in english and WAITING_ES not in english


def test_a_stream_without_the_phones_cookie_carries_no_view(server, room):
    room.open(MOOD)
    [(name, data)] = read_events(server, room.code)
    assert name == "change" and "html" not in data  # the page's script asks for the view instead


def test_an_answers_reply_carries_the_thanks_and_the_next_question(server, room):
    room.open(MOOD)
    room.open(Question.from_dict({"id": "later", "text": "And later?", "kind": "yesno"}))
    phone = Phone(server, room.code, "quick")
    status, reply = phone.answer("mood", ["good"])
    assert status == 200 and reply["ok"] is True
    assert THANKS in reply["html"] and "And later?" in reply["html"] and "How is today?" not in reply["html"]
    status, reply = phone.answer("later", skip=True)
    # A skip gets the same neutral thanks: nothing on the phone or in the reply says which it was.
    assert status == 200 and THANKS in reply["html"] and WAITING in reply["html"]


def test_an_upvote_shows_in_the_next_views_and_a_refused_one_does_not(server, room):
    room.open(MOOD)
    asker = Phone(server, room.code, "asker")
    assert (
        call(
            server,
            "POST",
            f"/r/{room.code}/box",
            body={"text": "Is it normal to cry after?"},
            headers={"Cookie": asker.cookie},
        )[0]
        == 200
    )
    [box_id] = [item["id"] for item in room.box()]
    room.show_box_question(box_id)
    assert "Me too (0)" in change_view(server, room.code, asker)
    status, reply = call(
        server, "POST", f"/r/{room.code}/box/{box_id}/upvote", body={}, headers={"Cookie": asker.cookie}
    )
    assert status == 200 and "Me too (1)" in reply["html"]
    assert (
        call(server, "POST", f"/r/{room.code}/box/{box_id}/upvote", body={}, headers={"Cookie": asker.cookie})[0] == 409
    )
    assert "Me too (1)" in change_view(server, room.code, Phone(server, room.code, "neighbour"))


def test_a_run_of_upvotes_wakes_the_room_once_not_once_per_upvote(server, room):
    """Each wake-up sends every phone its view; a script minting cookies must not multiply that."""
    asker = Phone(server, room.code, "asker")
    assert (
        call(
            server,
            "POST",
            f"/r/{room.code}/box",
            body={"text": "Is it normal to feel empty?"},
            headers={"Cookie": asker.cookie},
        )[0]
        == 200
    )
    [box_id] = [item["id"] for item in room.box()]
    room.show_box_question(box_id)
    listened = []
    listener = threading.Thread(
        target=lambda: listened.extend(read_events(server, room.code, asker.cookie, wanted=10, seconds=3))
    )
    listener.start()
    time.sleep(0.5)  # the stream is open and has had its first event
    for n in range(5):
        status, reply = call(
            server,
            "POST",
            f"/r/{room.code}/box/{box_id}/upvote",
            body={},
            headers={"Cookie": Phone(server, room.code, f"voter-{n}").cookie},
        )
        assert status == 200 and f"Me too ({n + 1})" in reply["html"]  # each voter sees its own at once
    listener.join()
    views = [data["html"] for name, data in listened if name == "change"]
    assert "Me too (0)" in views[0]
    assert 1 <= len(views) - 1 <= 2, f"{len(views) - 1} wake-ups for 5 upvotes"
    assert "Me too (5)" in views[-1]
