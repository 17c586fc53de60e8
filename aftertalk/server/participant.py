"""The participant's side of the poll server: the join and room pages, answers, the question box,
"me too", the live-update stream and the quick-exit page. No login: a phone is its device cookie."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from typing import Literal, overload

import tornado.escape
import tornado.http1connection
import tornado.iostream
import tornado.web

from aftertalk.errors import BadRequest
from aftertalk.questions import PREFER_NOT_TO_SAY, Question
from aftertalk.server import freetext, store
from aftertalk.server.base import CODE_PATTERN, NOTHING_CHOSEN, BaseHandler, BodyHandler, render_page, stored_question
from aftertalk.server.live import LiveRoom

# Every JSON reply to a phone's POST is padded to a multiple of this: one size for every view of the bank's
# questions in English and Spanish (the largest, what_helps in Spanish, is 3.4 KB) with three box questions
# of 280 characters on the screen (about 0.55 KB each). A bigger view grows in whole steps.
REPLY_BYTES = 8192
DEVICE_COOKIE = "aftertalk_device"
DEVICE_COOKIE_DAYS = 2
KEEPALIVE_SECONDS = 15
MAX_CACHED_FRAGMENTS = 2048  # distinct phone views kept rendered; far above a room's few


@functools.lru_cache(maxsize=1024)
def phone_question(definition: str, language: str, prefer_not_label: str) -> Question:
    """The stored question in a phone's language."""
    return stored_question(definition).translated(language, prefer_not_label)


def voter_hash(room_key: bytes, device_token: str, question_id: str) -> bytes:
    """HMAC(room key, token + question id): one device, one answer, unlinkable across questions."""
    return hmac.new(room_key, f"{device_token}\x00{question_id}".encode(), hashlib.sha256).digest()


# --- participant pages ----------------------------------------------------------------------------


class ParticipantHandler(BaseHandler):
    def check_flood(self, limiter: str) -> None:
        """Refuse a phone that sends far more than a person could; other phones are unaffected. Counted
        per connection, whatever cookie it shows, and per phone cookie (a first visit has none yet)."""
        token = self.device_token(create=False)
        if not self.state.connection_limiter.allow(self.connection_stream()) or (
            token is not None and not self.state.limiter(limiter).allow(token)
        ):
            raise tornado.web.HTTPError(429, "Too many requests from this phone. Wait a few seconds and try again.")

    def connection_stream(self) -> tornado.iostream.IOStream:
        """The phone's TCP connection: tornado gives each request of a kept-alive connection its own
        HTTP1Connection, but they all share the connection's stream."""
        connection = self.request.connection
        # tornado's HTTPServer speaks only HTTP/1, so a request's connection is always an HTTP1Connection.
        assert isinstance(connection, tornado.http1connection.HTTP1Connection), connection
        return connection.stream

    @overload
    def device_token(self, *, create: Literal[True]) -> str: ...
    @overload
    def device_token(self, *, create: Literal[False]) -> str | None: ...
    def device_token(self, *, create: bool) -> str | None:
        token = self.cookie(DEVICE_COOKIE)
        if token and 16 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum():
            return token
        if not create:
            return None
        token = secrets.token_urlsafe(16)
        self.set_cookie(DEVICE_COOKIE, token, expires_days=DEVICE_COOKIE_DAYS, httponly=True, samesite="Lax", path="/")
        return token

    def fragment(self, code: str, token: str, *, thanks: bool = False, answered: str | None = None) -> str:
        """The middle of the room page as this phone should see it now. Rendered once per distinct
        view: after a change every phone in the room is sent it at the same moment."""
        room = self.live_room(code)
        definition = self.unanswered_question(code, token, answered=answered)
        key = (code, self.language, thanks, room is None, definition, room and room.on_screen)
        cache = self.state.fragments
        if key not in cache:
            if len(cache) >= MAX_CACHED_FRAGMENTS:
                cache.clear()
            question = definition and phone_question(definition, self.language, self._("Prefer not to say"))
            on_screen = [
                dict(box_id=box_id, text=text, upvotes=upvotes)
                for box_id, text, upvotes in (room.on_screen if room else ())
            ]
            cache[key] = render_page(
                self,
                "current.html",
                code=code,
                thanks=thanks,
                ended=room is None,
                question=question,
                on_screen=on_screen,
            ).decode()
        return cache[key]

    def unanswered_question(self, code: str, token: str, *, answered: str | None = None) -> str | None:
        """The definition of the oldest open question this phone has not answered (`answered` it
        just has), or None."""
        room = self.live_room(code)
        if room is None:
            return None
        for question_id, definition in room.open_questions.items():
            if question_id != answered and not store.has_voted(
                self.db, code, question_id, voter_hash(room.room_key, token, question_id)
            ):
                return definition
        return None

    def live_room_or_404(self, code: str) -> LiveRoom:
        room = self.live_room(code.upper())
        if room is None:
            raise self.no_such_room(code)
        return room

    def live_room(self, code: str) -> LiveRoom | None:
        """What every phone's view of the room shares, read once per change of the room (a change
        wakes every phone at once); None when the room has ended."""
        version = self.events.version.get(code, 0)
        views = self.state.live_rooms
        if code in views and views[code].version == version:
            return views[code]
        views.pop(code, None)
        room = store.get_room(self.db, code)
        if room is None:
            return None
        views[code] = LiveRoom(
            version,
            code,
            room["room_key"],
            {r["question_id"]: r["definition"] for r in store.list_questions(self.db, code) if r["state"] == "open"},
            tuple((r["box_id"], r["text"], r["upvotes"]) for r in store.box_questions(self.db, code, ("shown",))),
        )
        return views[code]


class LandingHandler(BaseHandler):
    def get(self):
        code = self.get_query_argument("code", "").strip().upper()
        if code:
            self.redirect(f"/r/{tornado.escape.url_escape(code)}")
            return
        self.finish(render_page(self, "landing.html", title=self._("Join a room"), code=None))


class RoomPageHandler(ParticipantHandler):
    def get(self, code):
        self.check_flood("page_limiter")
        room = self.live_room_or_404(code)
        code = room.code
        token = self.device_token(create=True)
        self.finish(
            render_page(
                self,
                "room.html",
                title=f"{self._('Room')} {code}",
                code=code,
                fragment=self.fragment(code, token, thanks=self.get_query_argument("thanks", "") == "1"),
                waiting=self.unanswered_question(code, token) is None,
                asked=self.get_query_argument("asked", "") == "1",
            )
        )


class CurrentFragmentHandler(ParticipantHandler):
    """The middle of the room page, for the page's script to swap in after a live update."""

    def get(self, code):
        self.check_flood("page_limiter")
        code = code.upper()
        token = self.device_token(create=True)
        self.finish(self.fragment(code, token, thanks=self.get_query_argument("thanks", "") == "1"))


class PhonePostHandler(BodyHandler, ParticipantHandler):
    """What a phone's POSTs share: a small body (JSON from the page's script, or a plain form), the
    device cookie they must carry, and the reply."""

    def prepare(self):
        self.wants_json = self.request.headers.get("Content-Type", "").startswith("application/json")
        super().prepare()

    def require_device_token(self) -> str:
        token = self.device_token(create=False)
        if token is None:
            raise BadRequest(
                "This phone's browser did not keep the page's cookie, so the answer could not "
                "be counted once. Allow cookies for this page, reload it and answer again."
            )
        return token

    def acknowledge(
        self, code: str, token: str, *, thanks: bool = False, query: str = "", answered: str | None = None
    ) -> None:
        """For the page's script, JSON with what the phone shows next (saving it a second request);
        for a plain form, back to the room page."""
        if self.wants_json:
            reply = tornado.escape.json_encode(
                {"ok": True, "html": self.fragment(code, token, thanks=thanks, answered=answered)}
            )
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(reply + " " * (-len(reply) % REPLY_BYTES))  # ASCII: json_encode escapes the rest
        else:
            self.redirect(f"/r/{code}{query or ('?thanks=1' if thanks else '')}", status=303)


class AnswerHandler(PhonePostHandler):
    async def post(self, code):
        self.check_flood("answer_limiter")
        room = self.live_room_or_404(code)
        code = room.code
        fields = self.body_fields(allow_form=True)
        question_id = fields.get("question")
        if not isinstance(question_id, str) or not question_id:
            raise BadRequest("The answer does not say which question it is for.")
        question = stored_question(
            room.open_questions.get(question_id) or store.get_question(self.db, code, question_id)["definition"]
        )
        skip = fields.get("skip") is True
        if question.kind == "word" and not skip:
            await self.record_word(room, question, fields.get("word"))
            return
        if question.design() and not skip and not self.wants_json:
            raise BadRequest(
                "This question needs JavaScript: your phone scrambles the answer before "
                "sending it, and without JavaScript it cannot. You can skip it."
            )
        options = fields.get("options")
        if self.sent_as_form and not skip:
            options = options_by_position(question, options)
        chosen = [] if skip else checked_options(question, options)
        if question.design() and chosen == [PREFER_NOT_TO_SAY]:
            # "Prefer not to say" is never randomized; counted, it would be the one exact number beside
            # the estimates (n minus the reports). So it is kept as a skip: this phone is done, no count.
            skip, chosen = True, []
        token = self.require_device_token()
        hashed = voter_hash(room.room_key, token, question_id)
        await self.state.answers.write(lambda db: store.count_answer(db, code, question_id, hashed, chosen, skip=skip))
        # The same reply for an answer and a skip: its content and size tell nothing about which it was.
        self.acknowledge(code, token, thanks=True, answered=question_id)

    async def record_word(self, room, question: Question, word) -> None:
        word = freetext.normalise_word(freetext.clean_text(word, max_length=question.max_length, what="word"))
        if not word:
            raise BadRequest("Type a word with at least one letter, or press “Skip this question”.")
        token = self.require_device_token()
        hashed = voter_hash(room.room_key, token, question.id)
        await self.state.answers.write(lambda db: store.count_word(db, room.code, question.id, hashed, word))
        self.acknowledge(room.code, token, thanks=True, answered=question.id)


def options_by_position(question: Question, values) -> list:
    """The option ids a no-JavaScript form names by position: two digits, "01" for the first, so every
    single-choice answer is the same length; NOTHING_CHOSEN ("00") is sent when nothing was picked.
    Anything else is passed on for `checked_options` to refuse."""
    options = question.all_options
    chosen = []
    for value in values if isinstance(values, list) else [values]:
        if value == NOTHING_CHOSEN:
            continue
        valid = isinstance(value, str) and len(value) == 2 and value.isascii() and value.isdigit()
        chosen.append(options[int(value) - 1].id if valid and 1 <= int(value) <= len(options) else value)
    return chosen


def checked_options(question: Question, options) -> list[str]:
    """The chosen option ids, checked against the question; raise BadRequest with what is wrong."""
    if isinstance(options, str):
        options = [options]
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise BadRequest("The answer's options must be a list of option ids.")
    randomized_multi = question.design() is not None and question.kind == "multi"
    if not options and not randomized_multi:  # randomizing every box can leave none ticked
        raise BadRequest("Choose an answer, or press “Skip this question”.")
    if len(set(options)) != len(options):
        raise BadRequest("The same option was sent twice.")
    known = {o.id: o for o in question.all_options}
    for option_id in options:
        if option_id not in known:
            raise BadRequest(f"'{option_id[:40]}' is not one of the options of this question.")
    if question.kind != "multi" and len(options) > 1:
        raise BadRequest("This question takes one answer only.")
    # Randomized boxes are ticked at random, so only "prefer not to say" (never randomized) stands alone.
    exclusive = [o for o in options if known[o].exclusive and (not randomized_multi or o == PREFER_NOT_TO_SAY)]
    if exclusive and len(options) > 1:
        raise BadRequest(f"“{known[exclusive[0]].label}” cannot be combined with other answers.")
    return options


class BoxHandler(PhonePostHandler):
    """A participant sends a question to the anonymous box, at any time."""

    def post(self, code):
        self.check_flood("box_limiter")
        room = self.live_room_or_404(code)
        text = freetext.clean_text(
            self.body_fields(allow_form=True).get("text"), max_length=freetext.BOX_MAX_LENGTH, what="question"
        )
        token = self.require_device_token()  # only a phone that loaded the page, like answers
        store.add_box_question(self.db, room.code, secrets.token_hex(8), text, ", ".join(freetext.flags(text)))
        self.acknowledge(room.code, token, query="?asked=1")


class UpvoteHandler(PhonePostHandler):
    def post(self, code, box_id):
        self.check_flood("answer_limiter")
        room = self.live_room_or_404(code)
        token = self.require_device_token()
        store.upvote_box_question(self.db, room.code, box_id, voter_hash(room.room_key, token, f"box:{box_id}"))
        self.events.changed(room.code, soon=True)
        self.acknowledge(room.code, token, query="?upvoted=1")


class EventsHandler(ParticipantHandler):
    """Server-sent events: 'change' when the room's questions change, carrying what this phone should
    see now (so a thousand phones do not all ask for it at once), and 'ended' when the room ends."""

    connected_code = None

    async def get(self, code):
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("X-Accel-Buffering", "no")
        room = store.get_room(self.db, code.upper())
        if room is None:  # ended (or never existed): tell the page once, rather than fail to connect
            self.finish("event: ended\ndata: {}\n\n")
            return
        code = room["code"]
        token = self.device_token(create=False)  # a phone without its cookie fetches the view itself
        events = self.events
        events.phones[code] = events.phones.get(code, 0) + 1
        self.connected_code = code
        try:
            seen = None
            self.write("retry: 3000\n\n")
            while self.connected_code:
                if code in events.ended:
                    self.write("event: ended\ndata: {}\n\n")
                    await self.flush()
                    break
                version = events.version.get(code, 0)
                if version != seen:
                    change: dict[str, int | str] = {"version": version}
                    if token:
                        change["html"] = self.fragment(code, token)
                    self.write(f"event: change\ndata: {json.dumps(change)}\n\n")
                    seen = version
                else:
                    self.write(": keep-alive\n\n")
                await self.flush()
                if events.version.get(code, 0) == seen:  # else it changed while this phone was written to
                    await events.wait(code, KEEPALIVE_SECONDS)
        except tornado.iostream.StreamClosedError:
            pass
        finally:
            self.disconnect()

    def on_connection_close(self):
        self.disconnect()  # count the phone as gone now, not at the next keep-alive

    def disconnect(self):
        if self.connected_code:
            self.events.phones[self.connected_code] -= 1
            self.connected_code = None


class AwayHandler(BaseHandler):
    """The quick-exit page: neutral, with nothing about the workshop on it."""

    def get(self):
        self.finish(render_page(self, "away.html"))


class NotFoundPage(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


routes = [  # tornado tries them in order: what a thousand phones send comes first
    (rf"/r/{CODE_PATTERN}/answer", AnswerHandler),
    (rf"/r/{CODE_PATTERN}/events", EventsHandler),
    (rf"/r/{CODE_PATTERN}", RoomPageHandler),
    (rf"/r/{CODE_PATTERN}/current", CurrentFragmentHandler),
    (r"/", LandingHandler),
    (r"/away", AwayHandler),
    (rf"/r/{CODE_PATTERN}/box", BoxHandler),
    (rf"/r/{CODE_PATTERN}/box/([0-9a-f]{{16}})/upvote", UpvoteHandler),
]
