"""The poll server over real HTTP: the facilitator API, answering, and every kind of bad input."""

import pytest

from aftertalk import Question, Room, RoomError
from conftest import Phone, answer_many, call, shown_counts

FEELINGS = Question.from_dict(
    {
        "id": "feelings",
        "text": "Which have you felt?",
        "kind": "multi",
        "options": [
            {"id": "calm", "label": "Calm"},
            {"id": "sad", "label": "Sad"},
            {"id": "none", "label": "None of these", "exclusive": True},
        ],
    }
)
MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}],
    }
)


def test_a_poll_goes_from_open_to_revealed_results(server, room, phones):
    room.open(MOOD)
    answer_many(server, room.code, "mood", {"good": 7, "meh": 5})
    assert phones[0].answer("mood", skip=True)[0] == 200
    assert room.count("mood") == 12
    room.close("mood")
    assert room.state("mood") == "closed"
    room.reveal("mood")
    results = room.results("mood")
    assert list(results["option"]) == ["good", "meh", "prefer_not_to_say"]
    assert list(results["count"]) == [7, 5, 0]
    assert results["share"].round(3).tolist() == [0.583, 0.417, 0.0]
    assert results.attrs["n"] == 12


def test_multi_select_counts_each_option_and_people_once(server, room):
    room.open(FEELINGS)
    answer_many(server, room.code, "feelings", {("calm", "sad"): 5, ("calm",): 5, ("sad",): 5, "none": 5})
    assert room.count("feelings") == 20
    assert shown_counts(room, "feelings") == {"calm": 10, "sad": 10, "none": 5, "prefer_not_to_say": 0}


def test_a_multi_select_room_where_one_combination_would_show_is_withheld(server, room):
    """Before, 6 people ticking calm and sad beside 5 "None of these" showed 6, 6, 5: everyone who
    ticked anything had ticked exactly calm and sad."""
    room.open(FEELINGS)
    answer_many(server, room.code, "feelings", {("calm", "sad"): 6, "none": 5})
    room.reveal("feelings")
    results = room.results("feelings")
    assert results["hidden"].all() and results["count"].isna().all()
    assert results.attrs["withheld"] == "could_point_to_someone"


def test_small_counts_never_leave_the_server(server, room):
    room.open(MOOD)
    answer_many(server, room.code, "mood", {"good": 9, "meh": 1})
    room.reveal("mood")
    status, raw = call(server, "GET", f"/api/rooms/{room.code}/questions/mood/results", token=room._token)
    hidden = {o["id"]: o for o in raw["options"] if o["hidden"]}
    assert "meh" in hidden and "good" in hidden  # 1, and 9 of 10 (which would give the 1 away)
    assert all(o["count"] is None and o["share"] is None for o in hidden.values())
    assert hidden["meh"]["range"] == "fewer_than"


def test_results_carry_ranges_as_data_and_the_notebook_words_them_in_its_language(server, room):
    """No English travels in a result: a hidden cell's range is data ("fewer_than" with the room's
    threshold), and the notebook words it in the facilitator's language (issue 15)."""
    room.open(MOOD)
    answer_many(server, room.code, "mood", {"good": 12, "meh": 2})
    room.reveal("mood")
    status, raw = call(server, "GET", f"/api/rooms/{room.code}/questions/mood/results", token=room._token)
    assert status == 200 and all("shown_as" not in option for option in raw["options"])
    ranges = {o["id"]: o["range"] for o in raw["options"]}
    assert ranges["meh"] == "fewer_than" and ranges["good"] == "all_but_a_few" and raw["threshold"] == 5
    in_spanish = Room(api_url=room.api_url, code=room.code, token=room._token, join_url=room.join_url, language="es")
    spanish = in_spanish.results("mood").set_index("option")
    english = room.results("mood").set_index("option")
    assert spanish.loc["meh", "shown_as"] == "menos de 5" and english.loc["meh", "shown_as"] == "fewer than 5"
    assert spanish.loc["good", "shown_as"] == "casi todas" and english.loc["good", "shown_as"] == "all but a few"
    assert spanish["range"].tolist() == english["range"].tolist()


def test_nothing_is_shown_below_the_threshold(server, room):
    room.open(MOOD)
    answer_many(server, room.code, "mood", {"good": 2, "meh": 2})
    room.reveal("mood")
    results = room.results("mood")
    assert results["hidden"].all() and results["count"].isna().all()
    assert results.attrs["n"] == 4


def test_the_room_threshold_can_be_raised_but_never_below_3(server):
    status, created = call(server, "POST", "/api/rooms", body={"threshold": 2}, token=server.info["admin_token"])
    assert status == 400 and "3" in created["error"]
    status, created = call(server, "POST", "/api/rooms", body={"threshold": 8}, token=server.info["admin_token"])
    assert status == 201 and created["threshold"] == 8


def test_results_stay_hidden_while_the_poll_is_open_or_closed(room, phones):
    room.open(MOOD)
    phones[0].answer("mood", ["good"])
    with pytest.raises(RoomError, match="hidden until the poll is closed and revealed"):
        room.results("mood")
    room.close("mood")
    with pytest.raises(RoomError, match="hidden until"):
        room.results("mood")


def test_a_closed_poll_refuses_answers_and_never_reopens(room, phones):
    room.open(MOOD)
    phones[0].answer("mood", ["good"])
    room.close("mood")
    status, body = phones[1].answer("mood", ["meh"])
    assert status == 409 and "closed" in body["error"]
    with pytest.raises(RoomError, match="never reopens"):
        room.open(MOOD)
    assert room.count("mood") == 1


def test_opening_the_same_open_question_again_is_harmless(room, phones):
    room.open(MOOD)
    phones[0].answer("mood", ["good"])
    room.open(MOOD)  # a retried cell after a kernel restart
    assert room.count("mood") == 1


def test_rooms_are_separate(server, phones):
    first, second = server.create_room(), server.create_room()
    assert first.code != second.code
    first.open(MOOD)
    second.open(MOOD)
    Phone(server, first.code, "a").answer("mood", ["good"])
    assert (first.count("mood"), second.count("mood")) == (1, 0)


def test_status_lists_questions_and_the_join_url(room):
    room.open(MOOD)
    status = room.status()
    assert status["code"] == room.code
    assert status["join_url"].endswith(f"/r/{room.code}")
    assert status["questions"] == [{"id": "mood", "state": "open", "answers": 0}]


def test_ending_a_room_erases_it(server, room, phones):
    room.open(MOOD)
    phones[0].answer("mood", ["good"])
    room.end()
    assert call(server, "GET", f"/api/rooms/{room.code}", token=room._token)[0] == 404
    assert phones[1].answer("mood", ["good"])[0] == 404


# --- bad input: a clear 4xx with a human message, and the counts stay unchanged ------------------


def answer_raw(server, code, raw, content_type="application/json", cookie=""):
    cookie = cookie if cookie != "" else f"aftertalk_device=bad-input-{code}-0001"  # one phone per room
    return call(
        server,
        "POST",
        f"/r/{code}/answer",
        raw=raw,
        content_type=content_type,
        headers={"Cookie": cookie} if cookie else None,
    )


BAD_ANSWERS = [
    (b'{"question": "nope", "options": ["good"]}', "application/json", 404, "no question 'nope'"),
    (b'{"question": "mood", "options": ["great"]}', "application/json", 400, "not one of the options"),
    (b'{"question": "mood", "options": ["good", "meh"]}', "application/json", 400, "one answer only"),
    (b'{"question": "mood", "options": []}', "application/json", 400, "Choose an answer"),
    (b'{"question": "mood", "options": "good good"}', "application/json", 400, "not one of the options"),
    (b'{"question": "mood", "options": [1]}', "application/json", 400, "list of option ids"),
    (b'{"question": "mood", "options": ["good", "good"]}', "application/json", 400, "sent twice"),
    (b'{"options": ["good"]}', "application/json", 400, "which question"),
    (b"", "application/json", 400, "empty"),
    (b'{"question": ', "application/json", 400, "not valid JSON"),
    (b'["mood"]', "application/json", 400, "JSON object"),
    (b"\xff\xfe", "application/json", 400, "UTF-8"),
    (b"question=mood&option=good", "text/plain", 415, "Unsupported content type"),
    (b'{"question": "mood", "options": ["good"]}', "application/xml", 415, "Unsupported content type"),
    (b"x" * 10000, "application/json", 413, "too large"),
]


@pytest.mark.parametrize("raw, content_type, status, message", BAD_ANSWERS)
def test_bad_answers_are_refused_with_a_message_and_change_nothing(server, room, raw, content_type, status, message):
    room.open(MOOD)
    Phone(server, room.code, "honest").answer("mood", ["good"])
    got_status, body = answer_raw(server, room.code, raw, content_type)
    assert got_status == status
    # JSON requests get a JSON error; anything else gets the error page a browser would show.
    assert message.lower() in (body["error"] if isinstance(body, dict) else body).lower()
    assert room.count("mood") == 1
    # The refused phone can still answer properly afterwards: nothing was recorded for it.
    assert answer_raw(server, room.code, b'{"question": "mood", "options": ["meh"]}')[0] == 200
    assert room.count("mood") == 2


def test_an_exclusive_option_cannot_be_combined(room, phones):
    room.open(FEELINGS)
    status, body = phones[0].answer("feelings", ["calm", "none"])
    assert status == 400 and "cannot be combined" in body["error"]
    status, body = phones[0].answer("feelings", ["calm", "prefer_not_to_say"])
    assert status == 400 and "Prefer not to say" in body["error"]
    assert room.count("feelings") == 0


def test_a_second_answer_from_the_same_phone_is_refused(server, room, phones):
    room.open(MOOD)
    assert phones[0].answer("mood", ["good"])[0] == 200
    status, body = phones[0].answer("mood", ["meh"])
    assert status == 409 and "already answered" in body["error"]
    assert phones[0].answer("mood", skip=True)[0] == 409
    answer_many(server, room.code, "mood", {"good": 5, "meh": 5})
    assert shown_counts(room, "mood") == {"good": 6, "meh": 5, "prefer_not_to_say": 0}


def test_an_answer_without_the_device_cookie_is_refused(server, room):
    room.open(MOOD)
    status, body = answer_raw(server, room.code, b'{"question": "mood", "options": ["good"]}', cookie=None)
    assert status == 400 and "cookie" in body["error"]
    assert room.count("mood") == 0


def test_an_unknown_room_is_a_404_with_a_message(server, room):
    room.open(MOOD)
    status, body = answer_raw(server, "ZZZZZ", b'{"question": "mood", "options": ["good"]}')
    assert status == 404 and "no room with the code ZZZZZ" in body["error"]
    status, page = call(server, "GET", "/r/ZZZZZ")
    assert status == 404 and "no room with the code ZZZZZ" in page
    assert room.count("mood") == 0


FACILITATOR_ROUTES = [
    ("GET", ""),
    ("DELETE", ""),
    ("POST", "/questions"),
    ("POST", "/questions/mood/close"),
    ("POST", "/questions/mood/reveal"),
    ("GET", "/questions/mood/count"),
    ("GET", "/questions/mood/results"),
]


@pytest.mark.parametrize("method, path", FACILITATOR_ROUTES)
def test_facilitator_routes_need_the_room_token(server, room, phones, method, path):
    room.open(MOOD)
    phones[0].answer("mood", ["good"])
    body = MOOD.to_dict() if path == "/questions" else None
    status, reply = call(server, method, f"/api/rooms/{room.code}{path}", body=body)
    assert status == 401 and "secret token" in reply["error"]
    status, reply = call(server, method, f"/api/rooms/{room.code}{path}", body=body, token="not-the-token")
    assert status == 403 and "does not belong to this room" in reply["error"]
    other = server.create_room()  # another room's valid token does not open this one
    assert call(server, method, f"/api/rooms/{room.code}{path}", body=body, token=other._token)[0] == 403
    assert room.state("mood") == "open" and room.count("mood") == 1


def test_only_the_admin_token_creates_rooms(server, room):
    assert call(server, "POST", "/api/rooms")[0] == 401
    assert call(server, "POST", "/api/rooms", token=room._token)[0] == 403


@pytest.mark.parametrize(
    "definition, message",
    [
        (
            {
                "id": "x",
                "text": "Q?",
                "kind": "poll",
                "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
            },
            "unknown kind 'poll'",
        ),
        ({"id": "x", "text": "Q?", "kind": "single", "options": [{"id": "a", "label": "A"}]}, "at least two options"),
        (
            {"id": "x", "text": "Q?", "kind": "single", "options": [{"id": "a"}, {"id": "b", "label": "B"}]},
            "needs a label",
        ),
        ({"id": "Bad Id", "text": "Q?", "kind": "yesno"}, "not a valid id"),
        ({"text": "Q?", "kind": "yesno"}, "'id': is missing"),
    ],
)
def test_an_invalid_question_is_refused_with_what_is_wrong(server, room, definition, message):
    status, body = call(server, "POST", f"/api/rooms/{room.code}/questions", body=definition, token=room._token)
    assert status == 400 and message in body["error"]
    assert room.status()["questions"] == []


def test_unknown_questions_and_addresses_get_messages(server, room):
    status, body = call(server, "GET", f"/api/rooms/{room.code}/questions/nope/count", token=room._token)
    assert status == 404 and "no question 'nope'" in body["error"]
    assert call(server, "GET", "/api/nothing")[0] == 404
    status, page = call(server, "GET", "/nothing-here")
    assert status == 404 and "nothing at this address" in page


def test_pages_carry_security_headers(server, room):
    connection = __import__("http.client").client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", f"/r/{room.code}")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Server") is None
    assert "HttpOnly" in response.getheader("Set-Cookie")


def test_the_qr_code_carries_the_join_url(room):
    import segno

    svg = room.qr().data
    assert svg.startswith("<svg") and "<path" in svg
    expected = segno.make(room.join_url, error="m").svg_inline(scale=10, border=4, dark="#000000", light="#ffffff")
    assert svg == expected


def test_connect_attaches_to_a_room_from_its_join_url(room):
    again = Room.connect(room.join_url, room._token)
    assert again.code == room.code and again.status()["code"] == room.code


@pytest.mark.parametrize(
    "url, token, message",
    [
        ("not a url", "x", "is not a room's join URL"),
        ("http://127.0.0.1:1/r/ABCDE", "x", "Cannot reach the poll server"),
    ],
)
def test_connect_with_a_bad_url_says_what_is_wrong(url, token, message):
    with pytest.raises(RoomError, match=message):
        Room.connect(url, token)


def test_connect_with_the_wrong_token_is_refused(room):
    with pytest.raises(RoomError, match="does not belong to this room"):
        Room.connect(room.join_url, "not-the-token")
