"""The facilitator API of the poll server: rooms, questions, tallies, results, the question box and
words. Every route of a room needs its secret token (`Authorization: Bearer`); creating a room and
stopping the server need the server's admin token."""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import secrets
import sqlite3

import tornado.ioloop
import tornado.web

from aftertalk import privacy
from aftertalk.errors import BadRequest, Conflict, NotFound
from aftertalk.questions import Question, QuestionError
from aftertalk.server import freetext, store
from aftertalk.server.base import CODE_PATTERN, QID_PATTERN, BodyHandler, stored_question, token_hash
from aftertalk.server.results import results_job

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read off a projector
CODE_LENGTH = 5
MAX_THRESHOLD = 1000  # beyond any room; also keeps numbers inside SQLite's 64-bit integers
MAX_TALLY = 1_000_000  # hands raised in one room


def room_token(method):
    """A route of one room: only that room's secret token may call it. The method is given the room's
    code as stored (the path's may be lower-case) and finds the room's row in `self.room`."""

    @functools.wraps(method)
    def checked(self, code, *args):
        self.room = self.authorised_room(code)
        return method(self, self.room["code"], *args)

    return checked


def admin_token(refusal: str):
    """A route of the whole server (create a room, stop): only the admin token in server.json may call it."""

    def decorate(method):
        @functools.wraps(method)
        def checked(self, *args):
            if not hmac.compare_digest(token_hash(self.bearer()), token_hash(self.state.admin_token)):
                raise tornado.web.HTTPError(403, refusal)
            return method(self, *args)

        return checked

    return decorate


class ApiHandler(BodyHandler):
    wants_json = True
    translates_errors = False
    room: sqlite3.Row  # set by @room_token

    def bearer(self) -> str:
        header = self.request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise tornado.web.HTTPError(
                401, "This needs the room's secret token (an 'Authorization: Bearer TOKEN' header)."
            )
        return header[7:].strip()

    def authorised_room(self, code: str):
        token = self.bearer()
        room = self.room_or_404(code)
        if not hmac.compare_digest(room["token_hash"], token_hash(token)):
            raise tornado.web.HTTPError(403, "That token does not belong to this room.")
        return room

    def question_summary(self, row) -> dict:
        return {"id": row["question_id"], "state": row["state"], "answers": row["answers"]}


class HealthHandler(ApiHandler):
    def get(self):
        self.finish({"app": "aftertalk", "ok": True})


class ShutdownHandler(ApiHandler):
    @admin_token("Only the server's own admin token can stop it.")
    def post(self):
        """`aftertalk stop`."""
        self.finish({"stopping": True})
        self.state.shut_down()


class RoomsHandler(ApiHandler):
    @admin_token("Only the server's own admin token can create rooms.")
    def post(self):
        threshold = privacy.DEFAULT_THRESHOLD
        if self._body:
            threshold = self.body_fields(allow_form=False).get("threshold", threshold)
        try:
            privacy.check_threshold(threshold)
        except privacy.PrivacyError as error:
            raise BadRequest(str(error)) from None
        if threshold > MAX_THRESHOLD:
            raise BadRequest(f"A threshold of {threshold} would hide everything; use at most {MAX_THRESHOLD}.")
        token = secrets.token_urlsafe(24)
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if store.get_room(self.db, code) is None:
                break
        store.create_room(self.db, code, secrets.token_bytes(32), token_hash(token), threshold)
        self.set_status(201)
        self.finish({"code": code, "token": token, "join_url": self.state.join_url(code), "threshold": threshold})


class RoomHandler(ApiHandler):
    @room_token
    def get(self, code):
        room = self.room
        code = room["code"]
        self.finish(
            {
                "code": code,
                "join_url": self.state.join_url(code),
                "threshold": room["threshold"],
                "phones": self.events.phones.get(code, 0),
                "questions": [self.question_summary(r) for r in store.list_questions(self.db, code)],
            }
        )

    @room_token
    def delete(self, code):
        store.end_room(self.db, code)
        # The notebook's background server leaves with its last room, so it never lingers on the laptop's
        # network (the next cafe's Wi-Fi); `aftertalk.room()` starts a fresh one when it is needed.
        stopping = self.state.exit_when_rooms_end and not store.room_codes(self.db)
        # Ending erases what the room collected: its key, and the views (box questions) and revealed
        # results in memory too.
        self.state.live_rooms.pop(code, None)
        for cache in (self.state.fragments, self.state.results):
            for key in [key for key in cache if key[0] == code]:
                del cache[key]
        self.events.end(code)
        self.finish({"ended": code, "server_stopping": stopping})
        if stopping:
            self.state.shut_down()


class OpenQuestionHandler(ApiHandler):
    @room_token
    def post(self, code):
        try:
            question = Question.from_dict(self.body_fields(allow_form=False))
        except QuestionError as error:
            raise BadRequest(f"The question is not valid: {error}") from None
        opened = store.open_question(
            self.db, code, question.id, question.to_dict(), [o.id for o in question.all_options]
        )
        self.events.changed(code)
        self.set_status(201 if opened else 200)
        self.finish(self.question_summary(store.get_question(self.db, code, question.id)))


class QuestionActionHandler(ApiHandler):
    @room_token
    def post(self, code, question_id, action):
        if action == "close":
            store.close_question(self.db, code, question_id)
        else:
            store.reveal_question(self.db, code, question_id)
        self.events.changed(code)
        self.finish(self.question_summary(store.get_question(self.db, code, question_id)))


class TallyHandler(ApiHandler):
    @room_token
    def post(self, code, question_id):
        question = stored_question(store.get_question(self.db, code, question_id)["definition"])
        fields = self.body_fields(allow_form=False)
        counts, people = checked_tally(question, fields.get("counts"), fields.get("people"))
        store.record_tally(self.db, code, question_id, counts, people)
        self.events.changed(code)
        self.finish(self.question_summary(store.get_question(self.db, code, question_id)))


def checked_tally(question: Question, counts, people) -> tuple[dict[str, int], int]:
    """A typed-in tally, checked: known options, whole non-negative counts, and how many people."""
    if question.design():
        raise BadRequest(
            f"'{question.id}' is a randomized question: a show of hands cannot be randomized, "
            "so it cannot stand in for the phones here. Skip this poll, or ask it without hands."
        )
    if not isinstance(counts, dict) or not counts:
        raise BadRequest('A tally needs counts per option, for example {"calm": 7, "sad": 2}.')
    for option_id, count in counts.items():
        if question.option(option_id) is None:
            known = ", ".join(o.id for o in question.all_options)
            raise BadRequest(f"'{option_id[:40]}' is not an option of '{question.id}'. Its options are: {known}.")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_TALLY:
            raise BadRequest(
                f"The count for '{option_id}' must be a whole number of 0 or more (at most "
                f"{MAX_TALLY}), not {str(count)[:20]}."
            )
    total = sum(counts.values())
    if question.kind != "multi":
        if people is not None and people != total:
            raise BadRequest(
                f"The counts add up to {total}, but people is {people}; each person has one answer to this question."
            )
        return counts, total
    if not isinstance(people, int) or isinstance(people, bool) or not max(counts.values()) <= people <= MAX_TALLY:
        raise BadRequest(
            "For a multi-select question, say how many people raised a hand at all "
            "(people=...), at least as many as the largest count."
        )
    # The privacy rules rely on what a multi-select answer is: one stand-alone option, or one or more
    # of the others. Hands that cannot add up that way would make them reason about a room that isn't.
    exclusive = {o.id for o in question.all_options if o.exclusive}  # every id in counts is an option (above)
    ticked_any = people - sum(c for o, c in counts.items() if o in exclusive)
    ticks = [c for o, c in counts.items() if o not in exclusive]
    if ticked_any < 0 or any(c > ticked_any for c in ticks) or sum(ticks) < ticked_any:
        raise BadRequest(
            f"These hands cannot come from {people} people: each person raises a hand for one "
            "stand-alone answer (such as “None of these”) or for one or more of the others. "
            "Count again, or give people as the number who raised a hand at all."
        )
    return counts, people


class CountHandler(ApiHandler):
    @room_token
    def get(self, code, question_id):
        self.finish(self.question_summary(store.get_question(self.db, code, question_id)))


class ResultsHandler(ApiHandler):
    @room_token
    async def get(self, code, question_id):
        room = self.room
        row = store.get_question(self.db, room["code"], question_id)
        if row["state"] != "revealed":
            raise Conflict(f"Results of '{question_id}' are hidden until the poll is closed and revealed.")
        # A revealed result never changes, and the privacy rules can take a second or more on a large
        # question: each is computed once, on another thread, while the loop keeps serving phones.
        cache, key = self.state.results, (room["code"], question_id)
        if key not in cache:
            compute = results_job(self.db, room, row)
            cache[key] = asyncio.ensure_future(tornado.ioloop.IOLoop.current().run_in_executor(None, compute))
        job = cache[key]
        try:
            body = await job
        except Exception:
            if cache.get(key) is job:
                del cache[key]  # not kept: the next request tries again
            raise
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(body)


class BoxApiHandler(ApiHandler):
    """The facilitator's view of the question box: text, state, flags and upvotes, never who or when."""

    @room_token
    def get(self, code):
        self.finish(
            {
                "questions": [
                    {
                        "id": r["box_id"],
                        "text": r["text"],
                        "state": r["state"],
                        "flags": [f for f in r["flags"].split(", ") if f],
                        "upvotes": r["upvotes"],
                    }
                    for r in store.box_questions(self.db, code)
                ]
            }
        )


class BoxActionHandler(ApiHandler):
    """Show, mark answered, hide, or set aside (a possible disclosure: never on a screen, never shown later)."""

    STATES = {"show": "shown", "answered": "answered", "hide": "hidden", "aside": store.SET_ASIDE}

    @room_token
    def post(self, code, box_id, action):
        store.set_box_state(self.db, code, box_id, self.STATES[action])
        self.events.changed(code)
        self.finish({"id": box_id, "state": self.STATES[action]})


class WordsHandler(ApiHandler):
    """Between close and reveal: the words that pass the room's threshold, so the facilitator can
    hide any of them. Nothing while the poll is open (only its count), nothing after the reveal."""

    @room_token
    def get(self, code, question_id):
        room = self.room
        row = self.closed_word_question(room["code"], question_id)
        n, k = row["answers"], room["threshold"]
        withheld = privacy.TOO_FEW_ANSWERS if n < privacy.strict_threshold(k) else None
        words = (
            []
            if withheld
            else [
                {"word": r["word"], "count": r["count"], "hidden": bool(r["hidden"])}
                for r in store.word_counts(self.db, room["code"], question_id)
                if privacy.word_passes(r["count"], n, k)
            ]
        )
        self.finish(
            {"words": words, "n": n, "threshold": k, "min_answers": privacy.strict_threshold(k), "withheld": withheld}
        )

    @room_token
    def post(self, code, question_id):
        """Hide a word. The answer is the same whether many, one or nobody gave it: a request must
        never confirm that someone typed a word."""
        self.closed_word_question(code, question_id)
        word = self.body_fields(allow_form=False).get("word")
        if not isinstance(word, str):
            raise BadRequest('Say which word to hide: {"word": "..."}.')
        word = freetext.normalise_word(word)
        if not word:
            raise BadRequest("Say which word to hide: it needs at least one letter.")
        store.hide_word(self.db, code, question_id, word)
        self.finish({"ok": True, "note": "That word will not be on the chart."})

    def closed_word_question(self, code, question_id):
        row = store.get_question(self.db, code, question_id)
        if json.loads(row["definition"])["kind"] != "word":
            raise BadRequest(f"'{question_id}' is not a one-word check-in.")
        if row["state"] != "closed":
            raise Conflict(
                "Words can be reviewed and hidden only after the poll is closed and before it "
                f"is revealed; '{question_id}' is {row['state']}."
            )
        return row


class JsonNotFoundHandler(ApiHandler):
    def prepare(self):
        raise NotFound("There is no facilitator API at this address.")


_api = rf"/api/rooms/{CODE_PATTERN}"
routes = [
    (r"/api/health", HealthHandler),
    (r"/api/rooms", RoomsHandler),
    (r"/api/shutdown", ShutdownHandler),
    (_api, RoomHandler),
    (rf"{_api}/questions", OpenQuestionHandler),
    (rf"{_api}/questions/{QID_PATTERN}/(close|reveal)", QuestionActionHandler),
    (rf"{_api}/questions/{QID_PATTERN}/count", CountHandler),
    (rf"{_api}/questions/{QID_PATTERN}/tally", TallyHandler),
    (rf"{_api}/questions/{QID_PATTERN}/results", ResultsHandler),
    (rf"{_api}/questions/{QID_PATTERN}/words", WordsHandler),
    (rf"{_api}/box", BoxApiHandler),
    (rf"{_api}/box/([0-9a-f]{{16}})/(show|answered|hide|aside)", BoxActionHandler),
    (r"/api/.*", JsonNotFoundHandler),
]
