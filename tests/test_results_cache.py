"""A revealed result is computed once, off the event loop: the privacy rules can take most of a second
on a large question, and phones answering another poll meanwhile must not wait for them."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import tornado.httpclient
import tornado.httpserver
import tornado.netutil

from aftertalk import Question, privacy
from aftertalk.server import app as poll_server
from aftertalk.server import store
from conftest import Phone, call

# 20 options and "prefer not to say": the reader check lists thousands of count vectors before it gives
# up and withholds (about 0.5 to 1.3 s for privacy.release on a laptop).
BIG = Question.from_dict(
    {
        "id": "big",
        "text": "Which one?",
        "kind": "single",
        "options": [{"id": f"o{n:02}", "label": f"Option {n}"} for n in range(1, 21)],
    }
)
BIG_TALLY = {**{f"o{n:02}": 4 if n <= 12 else 3 for n in range(1, 21)}, "prefer_not_to_say": 30}
MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}],
    }
)


def test_a_revealed_result_is_computed_once_and_forgotten_when_the_room_ends(tmp_path, monkeypatch):
    """Two GETs of one revealed result give the same body from one run of the privacy rules; ending the
    room drops it from the server's memory."""
    calls = []
    real_release = privacy.release
    monkeypatch.setattr(privacy, "release", lambda *args, **kwargs: calls.append(1) or real_release(*args, **kwargs))
    db = store.connect(tmp_path)

    async def scenario():
        app = poll_server.create_app(db, admin_token="admin-token", join_base_url="http://127.0.0.1")
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        http_server = tornado.httpserver.HTTPServer(app)
        http_server.add_sockets(sockets)
        base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        client = tornado.httpclient.AsyncHTTPClient()

        async def api(method, path, token, body=None):
            response = await client.fetch(
                base + path,
                method=method,
                raise_error=False,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body=None if body is None else json.dumps(body),
            )
            return response.code, response.body

        status, created = await api("POST", "/api/rooms", "admin-token", {})
        room = json.loads(created)
        path, token = f"/api/rooms/{room['code']}", room["token"]
        assert (await api("POST", f"{path}/questions", token, MOOD.to_dict()))[0] == 201
        assert (await api("POST", f"{path}/questions/mood/tally", token, {"counts": {"good": 7, "meh": 5}}))[0] == 200
        bodies = [await api("GET", f"{path}/questions/mood/results", token) for _ in range(2)]
        state = app.settings["default_handler_args"]["state"]  # what every handler shares
        cached = set(state.results)
        assert (await api("DELETE", path, token))[0] == 200
        http_server.stop()
        return bodies, cached, set(state.results), room["code"]

    try:
        bodies, cached, after_end, code = asyncio.run(scenario())
    finally:
        db.close()
    assert [status for status, _ in bodies] == [200, 200]
    assert bodies[0][1] == bodies[1][1] and json.loads(bodies[0][1])["n"] == 12
    assert len(calls) == 1
    assert cached == {(code, "mood")} and after_end == set()


def test_a_phone_is_answered_while_a_slow_result_is_computed(server, room):
    """A phone's answer to an open poll is acknowledged while the facilitator's large result is still
    being computed, not after it. (Before, the release ran on the event loop and every phone waited.)"""
    room.open(BIG)
    status, tallied = call(
        server, "POST", f"/api/rooms/{room.code}/questions/big/tally", token=room._token, body={"counts": BIG_TALLY}
    )  # not room.tally: its chart would fetch the result
    assert status == 200, tallied
    room.open(MOOD)
    done = {}

    def fetch_results():
        done["results"] = call(server, "GET", f"/api/rooms/{room.code}/questions/big/results", token=room._token)
        done["results_at"] = time.monotonic()

    fetching = threading.Thread(target=fetch_results)
    started = time.monotonic()
    fetching.start()
    time.sleep(0.2)  # the server is inside the privacy rules by now
    answer = Phone(server, room.code, "waiting").answer("mood", ["good"])
    answered_at = time.monotonic()
    fetching.join(timeout=30)
    assert answer[0] == 200, answer
    assert done["results"][0] == 200 and done["results"][1]["withheld"] == privacy.COULD_POINT_TO_SOMEONE
    assert answered_at < done["results_at"], (
        f"the answer took {answered_at - started - 0.2:.2f} s, the result {done['results_at'] - started:.2f} s"
    )
