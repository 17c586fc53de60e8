"""The poll server: the participant pages and the facilitator HTTP API, on tornado.

Participants need no login; the facilitator API needs the room's secret token. Nothing identifying is
logged: the access log is off, and error logs carry the method and path only.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import gc
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import signal
from pathlib import Path
from typing import Callable, NamedTuple
from urllib.parse import parse_qs

import tornado.escape
import tornado.httputil
import tornado.httpserver
import tornado.ioloop
import tornado.iostream
import tornado.locks
import tornado.netutil
import tornado.template
import tornado.web

from aftertalk.server import accept, freetext, store

from aftertalk import i18n, network, privacy
from aftertalk.network import raise_open_files_limit
from aftertalk.paths import SERVER_INFO, write_private
from aftertalk.server.group_commit import GroupCommit
from aftertalk.server.ratelimit import ConnectionLimiter, RateLimiter
from aftertalk.errors import AftertalkError, BadRequest, Conflict, NotFound
from aftertalk.questions import PREFER_NOT_TO_SAY, Question, QuestionError

WEB_DIR = Path(__file__).with_name("web")
MAX_BODY_BYTES = 8 * 1024
TOO_LARGE = f"The request is too large (the limit is {MAX_BODY_BYTES} bytes)."
MAX_FORM_FIELDS = 50  # a multi-select form sends one field per option ticked: at most 21, plus 2
# Every body the page's script sends (answer, skip, word, box question, "me too") is padded with spaces to
# this many UTF-8 bytes: the largest answer any question allows is about 1,500 (21 option ids of 64
# characters, all ticked), a box question at most 1,700 (280 characters, each escaped to 6), so one size
# hides which answer, which word, or whether it was a skip (test_browser_phone.py).
ANSWER_BODY_BYTES = 2048
# Every JSON reply to a phone's POST is padded to a multiple of this: one size for every view of the bank's
# questions in English and Spanish (the largest, what_helps in Spanish, is 3.4 KB) with three box questions
# of 280 characters on the screen (about 0.55 KB each). A bigger view grows in whole steps.
REPLY_BYTES = 8192
NOTHING_CHOSEN = "00"  # what a no-JavaScript single-choice form sends when no option is picked
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read off a projector
CODE_LENGTH = 5
DEVICE_COOKIE = "aftertalk_device"
DEVICE_COOKIE_DAYS = 2
LANGUAGE_COOKIE = "aftertalk_lang"  # the phone's own choice of language, kept on the phone only
KEEPALIVE_SECONDS = 15
COALESCE_SECONDS = 0.5  # upvotes reach the other phones at most this late, and at most this often
MAX_THRESHOLD = 1000    # beyond any room; also keeps numbers inside SQLite's 64-bit integers
MAX_TALLY = 1_000_000   # hands raised in one room
CODE_PATTERN = r"([A-Za-z0-9]{1,16})"
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # the only way a lone surrogate gets past UTF-8 decoding
QID_PATTERN = r"([A-Za-z0-9_\-]{1,80})"
GC_YOUNG_OBJECTS = 20_000  # new objects between garbage collections (Python's default is 700)
MAX_CACHED_FRAGMENTS = 2048  # distinct phone views kept rendered; far above a room's few
SHUTDOWN_GRACE_SECONDS = 0.2  # between a stop being asked for and the process leaving

log = logging.getLogger("aftertalk.server")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.lru_cache(maxsize=1024)
def stored_question(definition: str) -> Question:
    """A question as stored when it was opened, parsed once: a stored definition never changes, and
    parsing it again (with every check) was 13% of an answer's server time."""
    return Question.from_dict(json.loads(definition))


@functools.lru_cache(maxsize=1024)
def phone_question(definition: str, language: str, prefer_not_label: str) -> Question:
    """The stored question in a phone's language."""
    return stored_question(definition).translated(language, prefer_not_label)


def voter_hash(room_key: bytes, device_token: str, question_id: str) -> bytes:
    """HMAC(room key, token + question id): one device, one answer, unlinkable across questions."""
    return hmac.new(room_key, f"{device_token}\x00{question_id}".encode(), hashlib.sha256).digest()


class LiveRoom(NamedTuple):
    """What every phone's view of a room shares, read once per change of the room."""
    version: int  # the room's change count when this was read
    code: str
    room_key: bytes
    open_questions: dict  # question id -> definition, oldest first
    on_screen: tuple  # (box id, text, upvotes) of the box questions shown


class RoomEvents:
    """Wakes the live-update streams of a room when its questions change; counts connected phones."""

    def __init__(self):
        self.version: dict[str, int] = {}
        self.phones: dict[str, int] = {}
        self.ended: set[str] = set()
        self._conditions: dict[str, tornado.locks.Condition] = {}
        self._waking_soon: set[str] = set()

    def changed(self, code: str, *, soon: bool = False) -> None:
        """The room changed: wake its phones now, or, for a change that can wait a moment (an
        upvote), within COALESCE_SECONDS, once for every change made meanwhile. Waking a room
        sends every phone its view, so a stream of upvotes must not do it once per upvote."""
        self.version[code] = self.version.get(code, 0) + 1  # views read after this see the change
        if not soon:
            self._condition(code).notify_all()
        elif code not in self._waking_soon:
            self._waking_soon.add(code)
            asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._wake, code)

    def _wake(self, code: str) -> None:
        self._waking_soon.discard(code)
        self._condition(code).notify_all()

    def end(self, code: str) -> None:
        self.ended.add(code)
        self.changed(code)

    async def wait(self, code: str, seconds: float) -> None:
        """Return when the room changes, or after `seconds` (time for a keep-alive)."""
        await self._condition(code).wait(timeout=datetime.timedelta(seconds=seconds))

    def _condition(self, code: str) -> tornado.locks.Condition:
        return self._conditions.setdefault(code, tornado.locks.Condition())


# --- shared handler behaviour ---------------------------------------------------------------------

class BaseHandler(tornado.web.RequestHandler):
    wants_json = False

    def initialize(self, db, events, settings):
        self.db, self.events, self.config = db, events, settings
        self._language = self._cookie_values = None

    @property
    def language(self) -> str:
        """The page's language: ?lang= (remembered in a cookie), the cookie, or the browser's."""
        if self._language is None:
            requested = self.get_query_argument("lang", None)
            self._language = i18n.choose_language(requested, self.cookie(LANGUAGE_COOKIE),
                                                  self.request.headers.get("Accept-Language", ""))
            if requested == self._language:
                self.set_cookie(LANGUAGE_COOKIE, self._language, expires_days=365, httponly=True,
                                samesite="Lax", path="/")
        return self._language

    def _(self, text: str) -> str:
        return i18n.translator(self.language)(text)

    def set_default_headers(self):
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.clear_header("Server")

    def _request_summary(self):
        # tornado's default adds the client's IP address; ours never names anyone.
        return f"{self.request.method} {self.request.path}"

    def log_exception(self, typ, value, tb):
        if isinstance(value, (AftertalkError, tornado.web.HTTPError)):
            return  # an expected 4xx: the client was told, nothing to log
        log.error("Unexpected error in %s", self._request_summary(), exc_info=(typ, value, tb))

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        if isinstance(error, AftertalkError):
            message = error.message if isinstance(self, ApiHandler) else self._(error.message)
        elif isinstance(error, tornado.web.HTTPError) and error.log_message:
            message = error.log_message if isinstance(self, ApiHandler) else self._(error.log_message)
        elif status_code == 404:
            message = self._("There is nothing at this address.")
        elif status_code == 405:
            message = self._("This address does not accept that kind of request.")
        else:
            message = self._("Something went wrong on the poll server. Nothing was counted; please try again.")
        if self.wants_json:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": message, "status": status_code}))
        else:
            room = re.match(r"/r/([A-Za-z0-9]{1,16})", self.request.path)
            back = f"/r/{room.group(1).upper()}" if room and status_code != 404 else "/"
            self.finish(render_page(self, "message.html", title=self._("Sorry"), message=message, code=None,
                                    back=back))

    def _handle_request_exception(self, error):
        if isinstance(error, AftertalkError):
            if not self._finished:
                self.send_error(error.status, exc_info=(type(error), error, None))
            return
        super()._handle_request_exception(error)

    def room_or_404(self, code: str):
        room = store.get_room(self.db, code.upper())
        if room is None:
            raise self.no_such_room(code)
        return room

    def no_such_room(self, code: str) -> NotFound:
        # Translated here, with the code filled in after, so the sentence itself can be looked up.
        return NotFound(self._("There is no room with the code {code}. Check the code on the screen "
                               "and try again.").format(code=code.upper()))

    def cookie(self, name: str) -> str | None:
        """A cookie's value. tornado's get_cookie builds a SimpleCookie of Morsels for each request,
        a tenth of an answer's time; the plain parse it starts from gives the same values."""
        if self._cookie_values is None:
            self._cookie_values = tornado.httputil.parse_cookie(self.request.headers.get("Cookie", ""))
        return self._cookie_values.get(name)


@tornado.web.stream_request_body
class BodyHandler(BaseHandler):
    """Reads a small body, refusing an oversized one before it is buffered."""

    sent_as_form = False  # the body was a form from the page without JavaScript

    def prepare(self):
        self._body = bytearray()
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            raise tornado.web.HTTPError(413, TOO_LARGE)

    def data_received(self, chunk):
        if self._body is None:
            return  # already too large: read and thrown away
        if len(self._body) + len(chunk) > MAX_BODY_BYTES:
            # A chunked body has no length up front. Raising here would drop the connection with no reply
            # (tornado logs it as uncaught), so the rest is read and thrown away, and once the body has
            # ended the request is refused in place of the route's own method.
            self._body = None
            setattr(self, self.request.method.lower(), self.refuse_too_large)
            return
        self._body.extend(chunk)

    def refuse_too_large(self, *args):
        raise tornado.web.HTTPError(413, TOO_LARGE)

    def body_fields(self, *, allow_form: bool) -> dict:
        """The body as a dict, from JSON (or, for the no-JavaScript page, a form)."""
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not self._body:
            raise BadRequest("The request was empty. Send the answer in the request body.")
        try:
            text = bytes(self._body).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The request body is not valid UTF-8 text.") from None
        if content_type == "application/json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise BadRequest(f"The request body is not valid JSON ({error.msg}).") from None
            except (ValueError, RecursionError):  # an absurdly long number, or nesting thousands deep
                raise BadRequest("The request body is not JSON this server can read.") from None
            if not isinstance(data, dict):
                raise BadRequest("The request body must be a JSON object.")
            try:  # JSON may escape a lone surrogate (\ud800), which no stored text can hold
                if SURROGATE_ESCAPE.search(text):
                    json.dumps(data, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                raise BadRequest("The request body contains text that is not valid Unicode.") from None
            return data
        if allow_form and content_type == "application/x-www-form-urlencoded":
            self.sent_as_form = True
            try:
                form = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, strict_parsing=False)
            except ValueError:  # more fields than any page of ours sends
                raise BadRequest(f"The form has too many fields (the limit is {MAX_FORM_FIELDS}).") from None
            return {"question": (form.get("question") or [""])[0], "options": form.get("option", []),
                    "skip": (form.get("action") or [""])[0] == "skip", "word": (form.get("word") or [""])[0],
                    "text": (form.get("text") or [""])[0]}
        expected = "application/json or a form" if allow_form else "application/json"
        raise tornado.web.HTTPError(415, f"Unsupported content type '{content_type or 'none'}'; send {expected}.")


def render_page(handler, template, **values) -> bytes:
    loader = handler.application.settings["template_loader"]
    languages = [(code, i18n.LANGUAGE_NAMES.get(code, code)) for code in i18n.available_languages()]
    return loader.load(template).generate(static_url=handler.static_url, lang=handler.language, _=handler._,
                                          languages=languages, answer_bytes=ANSWER_BODY_BYTES,
                                          nothing_chosen=NOTHING_CHOSEN, **values)


# --- participant pages ----------------------------------------------------------------------------

class ParticipantHandler(BaseHandler):
    def check_flood(self, limiter: str) -> None:
        """Refuse a phone that sends far more than a person could; other phones are unaffected. Counted
        per connection, whatever cookie it shows, and per phone cookie (a first visit has none yet)."""
        token = self.device_token(create=False)
        if not self.config["connection_limiter"].allow(self.request.connection.stream) or (
                token is not None and not self.config[limiter].allow(token)):
            raise tornado.web.HTTPError(429, "Too many requests from this phone. Wait a few seconds "
                                             "and try again.")

    def device_token(self, *, create: bool) -> str | None:
        token = self.cookie(DEVICE_COOKIE)
        if token and 16 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum():
            return token
        if not create:
            return None
        token = secrets.token_urlsafe(16)
        self.set_cookie(DEVICE_COOKIE, token, expires_days=DEVICE_COOKIE_DAYS, httponly=True,
                        samesite="Lax", path="/")
        return token

    def fragment(self, code: str, token: str, *, thanks: bool = False, answered: str | None = None) -> str:
        """The middle of the room page as this phone should see it now. Rendered once per distinct
        view: after a change every phone in the room is sent it at the same moment."""
        room = self.live_room(code)
        definition = self.unanswered_question(code, token, answered=answered)
        key = (code, self.language, thanks, room is None, definition, room and room.on_screen)
        cache = self.config["fragments"]
        if key not in cache:
            if len(cache) >= MAX_CACHED_FRAGMENTS:
                cache.clear()
            question = definition and phone_question(definition, self.language, self._("Prefer not to say"))
            on_screen = [dict(box_id=box_id, text=text, upvotes=upvotes)
                         for box_id, text, upvotes in (room.on_screen if room else ())]
            cache[key] = render_page(self, "current.html", code=code, thanks=thanks, ended=room is None,
                                     question=question, on_screen=on_screen).decode()
        return cache[key]

    def unanswered_question(self, code: str, token: str, *, answered: str | None = None) -> str | None:
        """The definition of the oldest open question this phone has not answered (`answered` it
        just has), or None."""
        room = self.live_room(code)
        for question_id, definition in room.open_questions.items() if room else ():
            if question_id != answered and not store.has_voted(
                    self.db, code, question_id, voter_hash(room.room_key, token, question_id)):
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
        views = self.config["live_rooms"]
        if code in views and views[code].version == version:
            return views[code]
        views.pop(code, None)
        room = store.get_room(self.db, code)
        if room is None:
            return None
        views[code] = LiveRoom(
            version, code, room["room_key"],
            {r["question_id"]: r["definition"] for r in store.list_questions(self.db, code) if r["state"] == "open"},
            tuple((r["box_id"], r["text"], r["upvotes"]) for r in store.box_questions(self.db, code, ("shown",))))
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
        self.finish(render_page(self, "room.html", title=f"{self._('Room')} {code}", code=code,
                                fragment=self.fragment(code, token, thanks=self.get_query_argument("thanks", "") == "1"),
                                waiting=self.unanswered_question(code, token) is None,
                                asked=self.get_query_argument("asked", "") == "1"))


class CurrentFragmentHandler(ParticipantHandler):
    """The middle of the room page, for the page's script to swap in after a live update."""

    def get(self, code):
        self.check_flood("page_limiter")
        code = code.upper()
        token = self.device_token(create=True)
        self.finish(self.fragment(code, token, thanks=self.get_query_argument("thanks", "") == "1"))


class AnswerHandler(BodyHandler, ParticipantHandler):
    def prepare(self):
        self.wants_json = self.request.headers.get("Content-Type", "").startswith("application/json")
        super().prepare()

    async def post(self, code):
        self.check_flood("answer_limiter")
        room = self.live_room_or_404(code)
        code = room.code
        fields = self.body_fields(allow_form=True)
        question_id = fields.get("question")
        if not isinstance(question_id, str) or not question_id:
            raise BadRequest("The answer does not say which question it is for.")
        question = stored_question(room.open_questions.get(question_id)
                                   or store.get_question(self.db, code, question_id)["definition"])
        skip = fields.get("skip") is True
        if question.kind == "word" and not skip:
            await self.record_word(room, question, fields.get("word"))
            return
        if question.design() and not skip and not self.wants_json:
            raise BadRequest("This question needs JavaScript: your phone scrambles the answer before "
                             "sending it, and without JavaScript it cannot. You can skip it.")
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
        await self.config["answers"].write(
            lambda db: store.count_answer(db, code, question_id, hashed, chosen, skip=skip))
        # The same reply for an answer and a skip: its content and size tell nothing about which it was.
        self.acknowledge(code, token, thanks=True, answered=question_id)

    async def record_word(self, room, question: Question, word) -> None:
        word = freetext.normalise_word(freetext.clean_text(word, max_length=question.max_length, what="word"))
        if not word:
            raise BadRequest("Type a word with at least one letter, or press “Skip this question”.")
        token = self.require_device_token()
        hashed = voter_hash(room.room_key, token, question.id)
        await self.config["answers"].write(lambda db: store.count_word(db, room.code, question.id, hashed, word))
        self.acknowledge(room.code, token, thanks=True, answered=question.id)

    def require_device_token(self) -> str:
        token = self.device_token(create=False)
        if token is None:
            raise BadRequest("This phone's browser did not keep the page's cookie, so the answer could not "
                             "be counted once. Allow cookies for this page, reload it and answer again.")
        return token

    def acknowledge(self, code: str, token: str, *, thanks: bool = False, query: str = "",
                    answered: str | None = None) -> None:
        """For the page's script, JSON with what the phone shows next (saving it a second request);
        for a plain form, back to the room page."""
        if self.wants_json:
            reply = tornado.escape.json_encode({"ok": True, "html": self.fragment(code, token, thanks=thanks,
                                                                                  answered=answered)})
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(reply + " " * (-len(reply) % REPLY_BYTES))  # ASCII: json_encode escapes the rest
        else:
            self.redirect(f"/r/{code}{query or ('?thanks=1' if thanks else '')}", status=303)


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
    for option_id in options:
        if question.option(option_id) is None:
            raise BadRequest(f"'{option_id[:40]}' is not one of the options of this question.")
    if question.kind != "multi" and len(options) > 1:
        raise BadRequest("This question takes one answer only.")
    # Randomized boxes are ticked at random, so only "prefer not to say" (never randomized) stands alone.
    exclusive = [o for o in options if question.option(o).exclusive
                 and (not randomized_multi or o == PREFER_NOT_TO_SAY)]
    if exclusive and len(options) > 1:
        raise BadRequest(f"“{question.option(exclusive[0]).label}” cannot be combined with other answers.")
    return options


class BoxHandler(AnswerHandler):
    """A participant sends a question to the anonymous box, at any time."""

    def post(self, code):
        self.check_flood("box_limiter")
        room = self.live_room_or_404(code)
        text = freetext.clean_text(self.body_fields(allow_form=True).get("text"),
                                   max_length=freetext.BOX_MAX_LENGTH, what="question")
        token = self.require_device_token()  # only a phone that loaded the page, like answers
        store.add_box_question(self.db, room.code, secrets.token_hex(8), text, ", ".join(freetext.flags(text)))
        self.acknowledge(room.code, token, query="?asked=1")


class UpvoteHandler(AnswerHandler):
    def post(self, code, box_id):
        self.check_flood("answer_limiter")
        room = self.live_room_or_404(code)
        token = self.require_device_token()
        store.upvote_box_question(self.db, room.code, box_id,
                                  voter_hash(room.room_key, token, f"box:{box_id}"))
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
                    change = {"version": version}
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


# --- facilitator API ------------------------------------------------------------------------------

class ApiHandler(BodyHandler):
    wants_json = True

    def bearer(self) -> str:
        header = self.request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise tornado.web.HTTPError(401, "This needs the room's secret token "
                                             "(an 'Authorization: Bearer TOKEN' header).")
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
    def post(self):
        """`aftertalk stop`: only the server's own admin token (in data_dir/server.json) may ask."""
        if not hmac.compare_digest(token_hash(self.bearer()), token_hash(self.config["admin_token"])):
            raise tornado.web.HTTPError(403, "Only the server's own admin token can stop it.")
        self.finish({"stopping": True})
        self.config["shut_down"]()


class RoomsHandler(ApiHandler):
    def post(self):
        if not hmac.compare_digest(token_hash(self.bearer()), token_hash(self.config["admin_token"])):
            raise tornado.web.HTTPError(403, "Only the server's own admin token can create rooms.")
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
        self.finish({"code": code, "token": token, "join_url": self.join_url(code), "threshold": threshold})

    def join_url(self, code):
        return f"{self.config['join_base_url']}/r/{code}"


class RoomHandler(ApiHandler):
    def get(self, code):
        room = self.authorised_room(code)
        code = room["code"]
        self.finish({"code": code, "join_url": f"{self.config['join_base_url']}/r/{code}",
                     "threshold": room["threshold"],
                     "phones": self.events.phones.get(code, 0),
                     "questions": [self.question_summary(r) for r in store.list_questions(self.db, code)]})

    def delete(self, code):
        code = self.authorised_room(code)["code"]
        store.end_room(self.db, code)
        # The notebook's background server leaves with its last room, so it never lingers on the laptop's
        # network (the next cafe's Wi-Fi); `aftertalk.room()` starts a fresh one when it is needed.
        stopping = self.config["exit_when_rooms_end"] and not store.room_codes(self.db)
        # Ending erases what the room collected: its key, and the views (box questions) and revealed
        # results in memory too.
        self.config["live_rooms"].pop(code, None)
        for cache in (self.config["fragments"], self.config["results"]):
            for key in [key for key in cache if key[0] == code]:
                del cache[key]
        self.events.end(code)
        self.finish({"ended": code, "server_stopping": stopping})
        if stopping:
            self.config["shut_down"]()


class OpenQuestionHandler(ApiHandler):
    def post(self, code):
        code = self.authorised_room(code)["code"]
        try:
            question = Question.from_dict(self.body_fields(allow_form=False))
        except QuestionError as error:
            raise BadRequest(f"The question is not valid: {error}") from None
        opened = store.open_question(self.db, code, question.id, question.to_dict(),
                                     [o.id for o in question.all_options])
        self.events.changed(code)
        self.set_status(201 if opened else 200)
        self.finish(self.question_summary(store.get_question(self.db, code, question.id)))


class QuestionActionHandler(ApiHandler):
    def post(self, code, question_id, action):
        code = self.authorised_room(code)["code"]
        if action == "close":
            store.close_question(self.db, code, question_id)
        else:
            store.reveal_question(self.db, code, question_id)
        self.events.changed(code)
        self.finish(self.question_summary(store.get_question(self.db, code, question_id)))


class TallyHandler(ApiHandler):
    def post(self, code, question_id):
        code = self.authorised_room(code)["code"]
        question = stored_question(store.get_question(self.db, code, question_id)["definition"])
        fields = self.body_fields(allow_form=False)
        counts, people = checked_tally(question, fields.get("counts"), fields.get("people"))
        store.record_tally(self.db, code, question_id, counts, people)
        self.events.changed(code)
        self.finish(self.question_summary(store.get_question(self.db, code, question_id)))


def checked_tally(question: Question, counts, people) -> tuple[dict[str, int], int]:
    """A typed-in tally, checked: known options, whole non-negative counts, and how many people."""
    if question.design():
        raise BadRequest(f"'{question.id}' is a randomized question: a show of hands cannot be randomized, "
                         "so it cannot stand in for the phones here. Skip this poll, or ask it without hands.")
    if not isinstance(counts, dict) or not counts:
        raise BadRequest("A tally needs counts per option, for example {\"calm\": 7, \"sad\": 2}.")
    for option_id, count in counts.items():
        if question.option(option_id) is None:
            known = ", ".join(o.id for o in question.all_options)
            raise BadRequest(f"'{option_id[:40]}' is not an option of '{question.id}'. Its options are: {known}.")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_TALLY:
            raise BadRequest(f"The count for '{option_id}' must be a whole number of 0 or more (at most "
                             f"{MAX_TALLY}), not {str(count)[:20]}.")
    total = sum(counts.values())
    if question.kind != "multi":
        if people is not None and people != total:
            raise BadRequest(f"The counts add up to {total}, but people is {people}; "
                             "each person has one answer to this question.")
        return counts, total
    if not isinstance(people, int) or isinstance(people, bool) or not max(counts.values()) <= people <= MAX_TALLY:
        raise BadRequest("For a multi-select question, say how many people raised a hand at all "
                         "(people=...), at least as many as the largest count.")
    # The privacy rules rely on what a multi-select answer is: one stand-alone option, or one or more
    # of the others. Hands that cannot add up that way would make them reason about a room that isn't.
    ticked_any = people - sum(c for o, c in counts.items() if question.option(o).exclusive)
    ticks = [c for o, c in counts.items() if not question.option(o).exclusive]
    if ticked_any < 0 or any(c > ticked_any for c in ticks) or sum(ticks) < ticked_any:
        raise BadRequest(f"These hands cannot come from {people} people: each person raises a hand for one "
                         "stand-alone answer (such as “None of these”) or for one or more of the others. "
                         "Count again, or give people as the number who raised a hand at all.")
    return counts, people


class CountHandler(ApiHandler):
    def get(self, code, question_id):
        code = self.authorised_room(code)["code"]
        self.finish(self.question_summary(store.get_question(self.db, code, question_id)))


class ResultsHandler(ApiHandler):
    async def get(self, code, question_id):
        room = self.authorised_room(code)
        row = store.get_question(self.db, room["code"], question_id)
        if row["state"] != "revealed":
            raise Conflict(f"Results of '{question_id}' are hidden until the poll is closed and revealed.")
        # A revealed result never changes, and the privacy rules can take a second or more on a large
        # question: each is computed once, on another thread, while the loop keeps serving phones.
        cache, key = self.config["results"], (room["code"], question_id)
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
    return lambda: tornado.escape.json_encode(paired_release(room["threshold"], question, release(),
                                                             first_row["answers"], first_release()))


def release_job(db, room, question: Question, row) -> Callable[[], dict]:
    """One question's results, with its counts read from the store now and computed when called."""
    if question.kind == "word":
        return functools.partial(word_results, question, row["answers"],
                                 store.word_counts(db, room["code"], question.id), room["threshold"])
    return functools.partial(revealed_results, question, row["answers"],
                             store.option_counts(db, room["code"], question.id), room["threshold"])


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
        released = privacy.release(counts, n, threshold, multi=question.kind == "multi", question_id=question.id,
                                   exclusive={o.id for o in question.all_options if o.exclusive})
    except privacy.PrivacyError:
        # Counts that today's rules say no room could give (kept by an older Aftertalk's store or show
        # of hands): nothing of them is shown, and the facilitator gets a withheld chart, not an error.
        released = privacy.Release({o.id: privacy.Cell(None, True, privacy.HIDDEN) for o in question.all_options},
                                   privacy.COULD_POINT_TO_SOMEONE)
    cells = released.cells
    return {"question": question.to_dict(), "state": "revealed", "n": n, "threshold": threshold,
            "revealable": released.withheld is None, "withheld": released.withheld,
            "min_answers": privacy.direct_min_answers(threshold), "options": [
                {"id": o.id, "label": o.label, "count": cells[o.id].count, "hidden": cells[o.id].hidden,
                 "shown_as": cells[o.id].shown_as,
                 "share": None if cells[o.id].hidden or not n else cells[o.id].count / n}
                for o in question.all_options]}


def randomized_results(question: Question, n: int, counts: dict[str, int], threshold: int) -> dict:
    """Unbiased estimates with 95% intervals from the phones' randomized answers.

    Every one of the n answers is a randomized report: "Prefer not to say", which cannot be
    randomized, is kept as a skip (AnswerHandler), so no exact count stands beside the estimates for
    n minus the reports, or an interval's width, to give away. Nothing is estimated below the
    room's strict threshold (privacy.strict_threshold).
    """
    design = question.design()
    needed = privacy.strict_threshold(threshold)
    real = {o.id: counts[o.id] for o in question.options}
    estimates, withheld = {}, privacy.TOO_FEW_ANSWERS
    try:
        if n < needed:
            pass
        elif design["method"] == "forced":
            yes_id, no_id = (o.id for o in question.options)
            yes = privacy.forced_response(real[yes_id], n, design["p_yes"], design["p_no"], question_id=question.id)
            estimates = {yes_id: yes, no_id: privacy.Estimate(
                1 - yes.estimate, 1 - yes.high, 1 - yes.low, yes.epsilon, yes.clipped, 1 - yes.raw)}
        elif design["method"] == "grr":
            estimates = privacy.grr(real, n, design["epsilon"], question_id=question.id)
        else:
            estimates = privacy.unary(real, n, design["epsilon"], question_id=question.id)
    except privacy.PrivacyError:  # counts no room could give (an older store): withheld, as in revealed_results
        withheld = privacy.COULD_POINT_TO_SOMEONE
    rows = []
    for option in question.options:
        estimate = estimates.get(option.id)
        rows.append({"id": option.id, "label": option.label, "count": real[option.id] if estimate else None,
                     "share": real[option.id] / n if estimate else None,
                     "hidden": estimate is None,
                     "shown_as": f"about {estimate.estimate:.0%}" if estimate else "hidden",
                     "estimate": estimate.estimate if estimate else None,
                     "low": estimate.low if estimate else None, "high": estimate.high if estimate else None})
    answer_epsilon = (privacy.unary_answer_epsilon(len(question.options), design["epsilon"])
                      if design["method"] == "unary" else design["epsilon"])
    return {"question": question.to_dict(), "state": "revealed", "n": n, "threshold": threshold,
            "min_answers": needed,
            "revealable": bool(estimates), "withheld": None if estimates else withheld,
            "design": design, "epsilon": design["epsilon"], "answer_epsilon": answer_epsilon,
            "options": rows}


class BoxApiHandler(ApiHandler):
    """The facilitator's view of the question box: text, state, flags and upvotes, never who or when."""

    def get(self, code):
        code = self.authorised_room(code)["code"]
        self.finish({"questions": [{"id": r["box_id"], "text": r["text"], "state": r["state"],
                                    "flags": [f for f in r["flags"].split(", ") if f], "upvotes": r["upvotes"]}
                                   for r in store.box_questions(self.db, code)]})


class BoxActionHandler(ApiHandler):
    STATES = {"show": "shown", "answered": "answered", "hide": "hidden"}

    def post(self, code, box_id, action):
        code = self.authorised_room(code)["code"]
        store.set_box_state(self.db, code, box_id, self.STATES[action])
        self.events.changed(code)
        self.finish({"id": box_id, "state": self.STATES[action]})


class WordsHandler(ApiHandler):
    """Between close and reveal: the words that pass the room's threshold, so the facilitator can
    hide any of them. Nothing while the poll is open (only its count), nothing after the reveal."""

    def get(self, code, question_id):
        room = self.authorised_room(code)
        row = self.closed_word_question(room["code"], question_id)
        n, k = row["answers"], room["threshold"]
        withheld = privacy.TOO_FEW_ANSWERS if n < privacy.strict_threshold(k) else None
        words = [] if withheld else [
            {"word": r["word"], "count": r["count"], "hidden": bool(r["hidden"])}
            for r in store.word_counts(self.db, room["code"], question_id) if privacy.word_passes(r["count"], n, k)]
        self.finish({"words": words, "n": n, "threshold": k, "min_answers": privacy.strict_threshold(k),
                     "withheld": withheld})

    def post(self, code, question_id):
        """Hide a word. The answer is the same whether many, one or nobody gave it: a request must
        never confirm that someone typed a word."""
        code = self.authorised_room(code)["code"]
        self.closed_word_question(code, question_id)
        word = self.body_fields(allow_form=False).get("word")
        if not isinstance(word, str):
            raise BadRequest("Say which word to hide: {\"word\": \"...\"}.")
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
            raise Conflict("Words can be reviewed and hidden only after the poll is closed and before it "
                           f"is revealed; '{question_id}' is {row['state']}.")
        return row


def word_results(question: Question, n: int, rows, threshold: int) -> dict:
    """The words `privacy.shown_words` allows: from max(10, k) answers, each given by k or more
    people (and not by all but a few), minus those the facilitator hid. Says why when none show."""
    release = privacy.shown_words({r["word"]: r["count"] for r in rows}, n, threshold,
                                  hidden=[r["word"] for r in rows if r["hidden"]])
    words = [{"id": word, "label": word, "count": count, "share": count / n, "hidden": False,
              "shown_as": str(count)} for word, count in release.words]
    return {"question": question.to_dict(), "state": "revealed", "n": n, "revealable": release.withheld is None,
            "withheld": release.withheld, "threshold": threshold, "min_answers": privacy.strict_threshold(threshold),
            "options": words}


class JsonNotFoundHandler(ApiHandler):
    def prepare(self):
        raise NotFound("There is no facilitator API at this address.")


# --- the application ------------------------------------------------------------------------------

def create_app(db, *, admin_token: str, join_base_url: str, shut_down: Callable[[], None] = lambda: None,
               exit_when_rooms_end: bool = False) -> tornado.web.Application:
    """The tornado application serving both the participants and the facilitator API.

    `shut_down` stops the process (after the current reply); with `exit_when_rooms_end`, ending the last
    room calls it.
    """
    shared = {"db": db, "events": RoomEvents(),
              "settings": {"admin_token": admin_token, "join_base_url": join_base_url.rstrip("/"),
                           "shut_down": shut_down, "exit_when_rooms_end": exit_when_rooms_end,
                           # A person answers a few times a minute and reloads now and then.
                           "answer_limiter": RateLimiter(burst=10, per_second=1),
                           "page_limiter": RateLimiter(burst=30, per_second=3),
                           # Everything a phone sends over one connection, whatever cookie it shows.
                           "connection_limiter": ConnectionLimiter(burst=40, per_second=4),
                           # Questions for the box: a few at once, then one every 20 seconds.
                           "box_limiter": RateLimiter(burst=3, per_second=1 / 20),
                           "fragments": {}, "live_rooms": {},
                           "results": {},  # (room code, question id) -> the JSON of a revealed result
                           "answers": GroupCommit(db)}}
    api = rf"/api/rooms/{CODE_PATTERN}"
    routes = [  # tornado tries them in order: what a thousand phones send comes first
        (rf"/r/{CODE_PATTERN}/answer", AnswerHandler),
        (rf"/r/{CODE_PATTERN}/events", EventsHandler),
        (rf"/r/{CODE_PATTERN}", RoomPageHandler),
        (rf"/r/{CODE_PATTERN}/current", CurrentFragmentHandler),
        (r"/", LandingHandler),
        (r"/away", AwayHandler),
        (rf"/r/{CODE_PATTERN}/box", BoxHandler),
        (rf"/r/{CODE_PATTERN}/box/([0-9a-f]{{16}})/upvote", UpvoteHandler),
        (r"/api/health", HealthHandler),
        (r"/api/rooms", RoomsHandler),
        (r"/api/shutdown", ShutdownHandler),
        (api, RoomHandler),
        (rf"{api}/questions", OpenQuestionHandler),
        (rf"{api}/questions/{QID_PATTERN}/(close|reveal)", QuestionActionHandler),
        (rf"{api}/questions/{QID_PATTERN}/count", CountHandler),
        (rf"{api}/questions/{QID_PATTERN}/tally", TallyHandler),
        (rf"{api}/questions/{QID_PATTERN}/results", ResultsHandler),
        (rf"{api}/questions/{QID_PATTERN}/words", WordsHandler),
        (rf"{api}/box", BoxApiHandler),
        (rf"{api}/box/([0-9a-f]{{16}})/(show|answered|hide)", BoxActionHandler),
        (r"/api/.*", JsonNotFoundHandler),
    ]
    return tornado.web.Application(
        [(pattern, handler, shared) for pattern, handler in routes],
        static_path=str(WEB_DIR / "static"),
        template_loader=tornado.template.Loader(str(WEB_DIR)),
        log_function=lambda handler: None,  # no access log: it would record who asked what, when
        default_handler_class=NotFoundPage, default_handler_args=shared,
        xsrf_cookies=False,
    )


class NotFoundPage(BaseHandler):
    def prepare(self):
        raise tornado.web.HTTPError(404)


# --- running the server process -------------------------------------------------------------------

_ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\b")


class RedactAddresses(logging.Filter):
    """Belt and braces: no log line may carry an IP address, whoever wrote it."""

    def filter(self, record):
        record.msg = _ADDRESS.sub("[address]", record.getMessage())
        record.args = None
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactAddresses())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("tornado.access").disabled = True
    # tornado.general logs malformed requests with the peer's address at INFO.
    logging.getLogger("tornado.general").setLevel(logging.WARNING)


def run(*, host: str, port: int, data_dir, public_url: str | None = None, exit_when_rooms_end: bool = False) -> None:
    """Serve until SIGTERM, Ctrl-C or `aftertalk stop` (and, with `exit_when_rooms_end`, until the last room
    ends). Writes data_dir/server.json (url, admin token) for the notebook."""
    configure_logging()
    raise_open_files_limit()
    # A room holds thousands of long-lived objects (each phone's stream and handler), and Python's
    # default collector rescanned them every 700 allocations: a fifth of the server's time at 1,000
    # phones (benchmarks/README.md). Collecting less often cost no measurable memory there.
    gc.set_threshold(GC_YOUNG_OBJECTS, 20, 20)
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    sockets = tornado.netutil.bind_sockets(port, address=host or None)
    db = store.connect(data_dir)
    try:
        asyncio.run(_serve(sockets, db, host=host, data_dir=data_dir, public_url=public_url,
                           exit_when_rooms_end=exit_when_rooms_end))
    finally:
        db.close()


async def _serve(sockets, db, *, host, data_dir: Path, public_url, exit_when_rooms_end: bool) -> None:
    bound_port = sockets[0].getsockname()[1]
    admin_token = secrets.token_urlsafe(24)
    join_base_url = public_url or f"http://{network.join_host(host)}:{bound_port}"
    info_path = data_dir / SERVER_INFO
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def shut_down() -> None:
        info_path.unlink(missing_ok=True)  # from now on no notebook finds this server and reuses it
        loop.call_later(SHUTDOWN_GRACE_SECONDS, stop.set)  # let the reply that asked reach its client

    app = create_app(db, admin_token=admin_token, join_base_url=join_base_url, shut_down=shut_down,
                     exit_when_rooms_end=exit_when_rooms_end)
    http_server = tornado.httpserver.HTTPServer(app, xheaders=False, max_body_size=MAX_BODY_BYTES * 128)
    stop_accepting = accept.accept_connections(http_server, sockets)
    # Handle SIGTERM before announcing the server, so a quick stop is always a clean one.
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # Windows: no signal handlers in the event loop
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    write_private(info_path, json.dumps({
        "url": f"http://{network.local_host(host)}:{bound_port}", "join_base_url": join_base_url,
        "admin_token": admin_token, "pid": os.getpid()}))
    log.info("Aftertalk poll server ready on port %d; data in %s", bound_port, data_dir)
    try:
        await stop.wait()
    finally:
        stop_accepting()
        info_path.unlink(missing_ok=True)
