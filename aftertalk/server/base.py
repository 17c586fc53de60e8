"""What every handler of the poll server shares: the app state, security headers, errors as clear
4xx pages or JSON, the request body read with a size limit, and page rendering.

Nothing identifying is logged: the access log is off, and error logs carry the method and path only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import tornado.httputil
import tornado.web

from aftertalk import i18n
from aftertalk.errors import AftertalkError, BadRequest, NotFound
from aftertalk.questions import Question
from aftertalk.server import freetext, store
from aftertalk.server.group_commit import GroupCommit
from aftertalk.server.live import RoomEvents
from aftertalk.server.ratelimit import ConnectionLimiter, RateLimiter

MAX_BODY_BYTES = 8 * 1024
TOO_LARGE = f"The request is too large (the limit is {MAX_BODY_BYTES} bytes)."
MAX_FORM_FIELDS = 50  # a multi-select form sends one field per option ticked: at most 21, plus 2
# Every body the page's script sends (answer, skip, word, box question, "me too") is padded with spaces to
# this many UTF-8 bytes: the largest answer any question allows is about 1,500 (21 option ids of 64
# characters, all ticked), a box question at most 1,700 (280 characters, each escaped to 6), so one size
# hides which answer, which word, or whether it was a skip (test_browser_phone.py).
ANSWER_BODY_BYTES = 2048
NOTHING_CHOSEN = "00"  # what a no-JavaScript single-choice form sends when no option is picked
LANGUAGE_COOKIE = "aftertalk_lang"  # the phone's own choice of language, kept on the phone only
CODE_PATTERN = r"([A-Za-z0-9]{1,16})"
QID_PATTERN = r"([A-Za-z0-9_\-]{1,80})"
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # the only way a lone surrogate gets past UTF-8 decoding

log = logging.getLogger("aftertalk.server")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
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


@dataclass
class AppState:
    """What every handler of one server shares: the store, live updates, limits and caches."""

    db: store.Store
    events: RoomEvents
    admin_token: str
    join_base_url: str
    answers: GroupCommit
    shut_down: Callable[[], None] = lambda: None
    exit_when_rooms_end: bool = False
    # A person answers a few times a minute and reloads now and then.
    answer_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(burst=10, per_second=1))
    page_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(burst=30, per_second=3))
    # Everything a phone sends over one connection, whatever cookie it shows.
    connection_limiter: ConnectionLimiter = field(default_factory=lambda: ConnectionLimiter(burst=40, per_second=4))
    # Questions for the box: a few at once, then one every 20 seconds.
    box_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(burst=3, per_second=1 / 20))
    fragments: dict = field(default_factory=dict)  # rendered phone views, by what they show
    live_rooms: dict = field(default_factory=dict)  # room code -> LiveRoom
    results: dict = field(default_factory=dict)  # (room code, question id) -> the JSON of a revealed result

    def join_url(self, code: str) -> str:
        """The address a room's phones open (and its QR code carries)."""
        return f"{self.join_base_url}/r/{code}"

    def limiter(self, name: str) -> RateLimiter:
        return getattr(self, name)


# --- shared handler behaviour ---------------------------------------------------------------------


class BaseHandler(tornado.web.RequestHandler):
    wants_json = False
    #: Error messages in the page's language; the facilitator API answers in English, as its clients log it.
    translates_errors = True

    def initialize(self, state: AppState):
        self.state, self.db, self.events = state, state.db, state.events
        self._language: str | None = None
        self._cookie_values: dict[str, str] | None = None

    @property
    def language(self) -> str:
        """The page's language: ?lang= (remembered in a cookie), the cookie, or the browser's."""
        if self._language is None:
            requested = self.get_query_argument("lang", None)
            self._language = i18n.choose_language(
                requested, self.cookie(LANGUAGE_COOKIE), self.request.headers.get("Accept-Language", "")
            )
            if requested == self._language:
                self.set_cookie(
                    LANGUAGE_COOKIE, self._language, expires_days=365, httponly=True, samesite="Lax", path="/"
                )
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
            message = self._(error.message) if self.translates_errors else error.message
        elif isinstance(error, tornado.web.HTTPError) and error.log_message:
            message = self._(error.log_message) if self.translates_errors else error.log_message
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
            self.finish(render_page(self, "message.html", title=self._("Sorry"), message=message, code=None, back=back))

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
        return NotFound(
            self._("There is no room with the code {code}. Check the code on the screen and try again.").format(
                code=code.upper()
            )
        )

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
        self._body: bytearray | None = bytearray()  # None once too large
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
            return {
                "question": (form.get("question") or [""])[0],
                "options": form.get("option", []),
                "skip": (form.get("action") or [""])[0] == "skip",
                "word": (form.get("word") or [""])[0],
                "text": (form.get("text") or [""])[0],
            }
        expected = "application/json or a form" if allow_form else "application/json"
        raise tornado.web.HTTPError(415, f"Unsupported content type '{content_type or 'none'}'; send {expected}.")


def render_page(handler, template, **values) -> bytes:
    loader = handler.application.settings["template_loader"]
    languages = [(code, i18n.LANGUAGE_NAMES.get(code, code)) for code in i18n.available_languages()]
    return loader.load(template).generate(
        static_url=handler.static_url,
        lang=handler.language,
        _=handler._,
        languages=languages,
        answer_bytes=ANSWER_BODY_BYTES,
        box_max_length=freetext.BOX_MAX_LENGTH,
        nothing_chosen=NOTHING_CHOSEN,
        **values,
    )
