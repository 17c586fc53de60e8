"""ipywidgets for the projector: the join card and the poll panel, with live parts.

Live parts are one `ipywidgets.Image` each, refreshed from a daemon thread that renders a fresh
matplotlib Figure to PNG: no flicker, no pyplot, and a Stop button (or a kernel restart) ends it.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as widgets

from aftertalk.i18n import translator
from aftertalk.notebook import charts
from aftertalk.notebook.http import RoomError

REFRESH_SECONDS = 0.5
QR_WIDTH = "min(40vh, 26vw, 520px)"  # narrow enough to leave the URL a whole line beside it
# A chart or live count shares its slide with the question and one line of text: at most this tall,
# so the slide fits a 1280x720 or 1024x768 projector without scrolling (tests/test_projector.py).
IMAGE_MAX_HEIGHT = "60vh"
# Once revealed, the chart is the news: the question above it gets smaller and the chart this tall.
REVEALED_HEADING_SIZE = "1em"  # 28 px on the projector: the smallest text a slide may have
REVEALED_IMAGE_MAX_HEIGHT = "76vh"
# A chart with its slide to itself (the research comparison, before and after), as the projector stylesheet
# lets a cell's picture be (lab_settings/overrides.json5).
ALONE_IMAGE_MAX_HEIGHT = "88vh"
# Marks a picture that is a chart (not a live count): the projector test measures a chart's text.
CHART_CLASS = "aftertalk-chart"


class LiveImage:
    """An Image widget that a daemon thread refreshes with `render()` until stopped.

    `render` returns a Figure, or None when nothing changed (so no PNG is re-encoded for nothing).
    When refreshing fails, the thread stops and `on_error` gets the error, for the panel to say why in
    its language (`stopped_text`): a live view never freezes without a word.
    """

    def __init__(self, render, *, interval: float = REFRESH_SECONDS, on_error=lambda error: None, chart=False):
        # Hidden until it has a picture: an empty Image is a broken-image icon on the projector.
        self.image = widgets.Image(
            format="png",
            layout=widgets.Layout(
                display="none", width="auto", max_width="100%", max_height=IMAGE_MAX_HEIGHT, object_fit="contain"
            ),
        )
        self.render, self.interval, self.on_error, self.chart = render, interval, on_error, chart
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.stopped.clear()
        self.refresh()
        self.thread = threading.Thread(target=self._run, daemon=True, name="aftertalk-live")
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)

    def refresh(self) -> None:
        figure = self.render()
        if figure is not None and self.chart:
            show_chart(self.image, figure)
        elif figure is not None:
            show_png(self.image, charts.figure_png(figure, dpi=charts.SCREEN_DPI))

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.refresh()
            except Exception as error:  # the server went away, or anything else: say so, and stop
                self.stopped.set()
                self.on_error(error)


def show_chart(image: widgets.Image, figure) -> None:
    """A chart in an Image, marked as one (CHART_CLASS) with the size of its smallest text in points, so
    that the projector test can tell how large that text is drawn on the slide."""
    show_png(image, charts.figure_png(figure, dpi=charts.SCREEN_DPI))
    for name in [name for name in image._dom_classes if name.startswith(CHART_CLASS)]:
        image.remove_class(name)
    image.add_class(CHART_CLASS)
    image.add_class(f"{CHART_CLASS}-{charts.smallest_text_size(figure)}pt")


def show_png(image: widgets.Image, png: bytes) -> None:
    """Put a picture in an Image (hidden while empty) and show it."""
    image.value = png
    image.layout.display = None


def stopped_text(words, error: Exception) -> str:
    """Why a live view stopped, in the facilitator's language (`words` is their translator)."""
    if isinstance(error, RoomError):  # the server went away or refused: its own message says why
        return words("The live view stopped: {error}").format(error=error)
    return words("The live view stopped ({kind}: {error}). Run the cell again.").format(
        kind=type(error).__name__, error=error
    )


def count_words(words, count: int, one: str, many: str) -> str:
    """ "1 answer", "12 answers": one form for 1 and another for every other count, which holds for
    English and Spanish (a language with more plural forms needs ngettext here)."""
    return words(one if count == 1 else many).format(n=count)


def privacy_note(results) -> str:
    """For randomized questions: what the facilitator should know about the privacy it bought."""
    if results.attrs.get("privacy") != "randomized":
        return ""
    words = translator(results.attrs.get("language", "en"))
    if results.attrs["kind"] == "multi":
        note = words(
            "Phones randomized their answers: each answer's privacy loss is epsilon = {answer} at most "
            "(epsilon = {option} per option). Bars are estimates with 95% intervals."
        )
    else:
        note = words(
            "Phones randomized their answers: each answer's privacy loss is epsilon = {answer}. "
            "Bars are estimates with 95% intervals."
        )
    return " " + note.format(answer=f"{results.attrs['answer_epsilon']:.2f}", option=f"{results.attrs['epsilon']:.2f}")


def _heading(text: str, size: str = "1.25em") -> widgets.HTML:
    return widgets.HTML(_heading_html(text, size))


def _heading_html(text: str, size: str) -> str:
    return f'<h2 style="font-size:{size};line-height:1.2;margin:0.2em 0">{html.escape(text)}</h2>'


def _button(description: str, **options) -> widgets.Button:
    """A button as wide as its words (ipywidgets' fixed width cuts "Close and reveal" at projector size)."""
    return widgets.Button(description=description, layout=widgets.Layout(width="auto"), **options)


class JoinCard(widgets.VBox):
    """A slide-sized card: the QR code, the URL and code in large type, and phones connected."""

    def __init__(self, room, *, live: bool = True):
        self.room = room
        self._ = _ = translator(room.language)
        svg = room.qr(scale=12).data.replace("<svg ", f'<svg style="width:{QR_WIDTH};height:auto" ', 1)
        self.qr = widgets.HTML(svg)
        # The URL on a line of its own, sized to fit beside the QR code on a 1024 px projector; on a
        # narrower screen it breaks anywhere rather than run off it: a phone needs all of it.
        self.address = widgets.HTML(
            '<div style="font-size:1.3em;line-height:1.3;overflow-wrap:anywhere">'
            f"<div>{html.escape(_('Scan, or open'))}</div>"
            f'<div style="font-size:min(1em, 2.9vw);font-weight:bold">{html.escape(room.join_url)}</div>'
            f'<div>{html.escape(_("Room code"))} <b style="letter-spacing:0.15em">{html.escape(room.code)}</b></div>'
            f'<div style="font-size:0.8em;color:#444">'
            f"{html.escape(_('Anonymous: no app, no name, no login. Skip anything you like.'))}</div></div>"
        )
        self._last = None
        self.message = widgets.HTML()
        self.phones = LiveImage(
            self._render_phones, interval=1.0, on_error=lambda error: _say(self.message, stopped_text(_, error))
        )
        self.stop_button = _button(_("Stop live count"), icon="stop")
        self.stop_button.on_click(lambda _: self.stop())
        card = widgets.HBox(
            [self.qr, self.address], layout=widgets.Layout(flex_flow="row wrap", align_items="center", grid_gap="1em")
        )
        self.address.layout.flex = "1 1 12em"
        self.phones.image.layout.max_height = "22vh"  # under the QR code, within the slide
        super().__init__([card, self.phones.image, self.message, self.stop_button])
        if live:
            self.phones.start()

    def _render_phones(self):
        phones = self.room.status()["phones"]
        if phones == self._last:
            return None
        self._last = phones
        return charts.live_count(
            count_words(self._, phones, "{n} phone", "{n} phones"),
            self._("connected and waiting for the first question"),
        )

    def stop(self) -> None:
        self.phones.stop()
        self.stop_button.disabled = True


class PollPanel(widgets.VBox):
    """The panel a facilitator drives one poll with: Open, then "Close and reveal", then the chart.

    While the poll is open the projector shows only "N answers". With `autoplay` (a headless
    rehearsal) the poll opens, fills, closes and reveals by itself.
    """

    # The VBox trait, declared (no value: the trait stays) because ipywidgets has no type hints and
    # `_review_words` both reads and sets it.
    children: tuple

    def __init__(self, room, question, *, versions=(), autoplay: bool = False):
        self.room = room
        self._ = _ = translator(room.language)
        # A question with another version (pcd_ever_private for pcd_ever): the facilitator picks one
        # before opening; once either is asked in the room, the panel follows that one.
        self._versions = {q.id: q for q in (question, *versions)}
        asked = [entry["id"] for entry in room.status()["questions"] if entry["id"] in self._versions]
        self.question = self._versions[asked[0]] if asked else question
        self.version = widgets.ToggleButtons(
            options=[(self._version_name(q), q.id) for q in self._versions.values()],
            value=question.id,
            layout=widgets.Layout(display="flex" if versions and not asked else "none"),
        )
        self.open_button = _button(_("Open poll"), button_style="primary", icon="play")
        self.reveal_button = _button(_("Close and reveal"), button_style="warning", icon="eye", disabled=True)
        self.stop_button = _button(_("Stop live count"), icon="stop", disabled=True)
        self.buttons = widgets.HBox([self.open_button, self.reveal_button, self.stop_button])
        self.open_button.on_click(lambda _: self.open_poll())
        self.reveal_button.on_click(lambda _: self.close_and_reveal())
        self.stop_button.on_click(lambda _: self.stop())
        self.autoplay = autoplay
        self.message = widgets.HTML()
        self.text_version = widgets.HTML()
        self._last_count = None
        self.live = LiveImage(self._render_count, on_error=lambda error: self._say(stopped_text(_, error), error=True))
        self.heading = _heading(room.in_my_language(question).text)
        super().__init__(
            [
                self.heading,
                self.version,
                self.buttons,
                self.message,
                self.live.image,
                self.text_version,
            ]
        )
        self._resume()
        if autoplay:
            if self.poll_state is None:
                self.open_poll()
            if self.poll_state == "open":
                self.close_and_reveal()

    @property
    def image(self) -> widgets.Image:
        return self.live.image

    @property
    def poll_state(self) -> str | None:
        """The poll's state on the server, or None if it was never opened in this room."""
        for question in self.room.status()["questions"]:
            if question["id"] == self.question.id:
                return question["state"]
        return None

    def _resume(self) -> None:
        """Pick up where the room is, for example after a kernel restart in the middle of a poll."""
        state = self.poll_state
        if state == "open":
            self._show_open()
        elif state == "closed" and self.question.kind == "word":
            self._review_words()
        elif state in ("closed", "revealed"):
            self._show_results()

    def _version_name(self, question) -> str:
        if question.privacy == "randomized":
            return self._("Extra private (randomized)")
        return self._("Usual")

    # Not `open`: ipywidgets calls Widget.open() itself to set up the widget's comm.
    def open_poll(self) -> None:
        if self.version.layout.display != "none":
            self.question = self._versions[self.version.value]
        try:
            self.room.open(self.question)
        except RoomError as error:
            self._say(str(error), error=True)
            return
        self._show_open()

    def _show_open(self) -> None:
        self.version.layout.display = "none"
        self.open_button.disabled = True
        self.reveal_button.disabled = False
        self.stop_button.disabled = False
        self._say(self._("The poll is open on every phone. Results stay hidden until you close it."))
        self.live.start()

    def close_and_reveal(self) -> None:
        self.live.stop()
        try:
            if self.question.kind == "word" and not self.autoplay:
                self.room.close(self.question.id)
                self._review_words()
                return
            self.room.reveal(self.question.id)
        except RoomError as error:
            self._say(str(error), error=True)
            return
        self._show_results()

    def _review_words(self) -> None:
        """Closed, not yet revealed: the facilitator may hide any word, in a collapsed, private list."""
        for button in (self.open_button, self.reveal_button, self.stop_button):
            button.disabled = True
        rows = []
        threshold = self.room.status()["threshold"]
        for entry in self.room.words(self.question.id):
            hide = _button(self._("Hide"), disabled=entry["hidden"])
            hide.on_click(lambda button, word=entry["word"]: self._hide_word(word, button))
            rows.append(widgets.HBox([widgets.Label(f"{entry['word']} ({entry['count']})"), hide]))
        nothing = self._(
            "No word passes the room's threshold (given by {k} or more people), so none will be shown."
        ).format(k=threshold)
        review = widgets.Accordion([widgets.VBox(rows or [widgets.Label(nothing)])], selected_index=None)
        review.set_title(
            0, self._("Review the words privately before revealing (open only when the projector shows something else)")
        )
        reveal = _button(self._("Reveal the words"), button_style="warning", icon="eye")
        reveal.on_click(lambda _: self._reveal_words(review, reveal))
        self.children = (*self.children, review, reveal)
        self._say(self._("Closed. Hide any word you would not project, then reveal."))

    def _hide_word(self, word: str, button: widgets.Button) -> None:
        try:
            self.room.hide_word(self.question.id, word)
        except RoomError as error:
            self._say(str(error), error=True)
            return
        button.disabled = True

    def _reveal_words(self, review: widgets.Accordion, button: widgets.Button) -> None:
        try:
            self.room.reveal(self.question.id)
            self._show_results()
        except RoomError as error:
            self._say(str(error), error=True)
            return
        # Words can be hidden only before the reveal: the review leaves the slide with the spent buttons.
        self.children = tuple(child for child in self.children if child is not review and child is not button)

    def stop(self) -> None:
        """Stop the live count (the poll stays open); Close and reveal still works."""
        self.live.stop()
        self.stop_button.disabled = True
        self._say(self._("Live count stopped. The poll is still open."))

    def _show_results(self) -> None:
        for button in (self.open_button, self.reveal_button, self.stop_button):
            button.disabled = True
        if self.room.state(self.question.id) != "revealed":
            self.room.reveal(self.question.id)
        results = self.room.results(self.question.id)
        self.results = results
        # The panel's heading already asks the question: the chart under it goes without its title, and
        # the spent buttons leave the slide, so the chart has the room to be read.
        show_chart(self.live.image, charts.room_chart(results, titled=False))
        self.buttons.layout.display = "none"
        self.heading.value = _heading_html(self.room.in_my_language(self.question).text, REVEALED_HEADING_SIZE)
        self.live.image.layout.max_height = REVEALED_IMAGE_MAX_HEIGHT
        # A withheld chart says why itself; a randomized one needs its privacy note beside it.
        self._say("" if charts.withheld_text(results) else privacy_note(results).strip())
        self.text_version.value = (
            f"<details><summary>{html.escape(self._('Text version of this chart'))}</summary><pre>"
            f"{html.escape(charts.results_markdown(results))}</pre></details>"
        )

    def _render_count(self):
        count = self.room.count(self.question.id)
        if count == self._last_count:
            return None
        self._last_count = count
        return charts.live_count(
            count_words(self._, count, "{n} answer", "{n} answers"), self._("Results appear when the poll is closed.")
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        _say(self.message, text, error=error)


def _say(message: widgets.HTML, text: str, *, error: bool = True) -> None:
    colour = "#a3241b" if error else "#333"
    message.value = f'<p style="font-size:1.1em;color:{colour}">{html.escape(text)}</p>' if text else ""


class WaitingChart(widgets.VBox):
    """A chart drawn from polls that may not be revealed yet: until they are, one line says so; then the
    chart appears by itself. A facilitator runs the whole lesson before presenting it, long before its
    polls are revealed, and the slide must still show the chart without running the cell again."""

    def __init__(self, room, revealed, draw, *, interval: float = 1.0):
        """`revealed()` says whether the polls the chart needs are all revealed; `draw()` makes it."""
        self.revealed, self.draw = revealed, draw
        self._ = translator(room.language)
        self.note = widgets.HTML()
        self.live = LiveImage(
            self._render,
            interval=interval,
            on_error=lambda error: _say(self.note, stopped_text(self._, error)),
            chart=True,
        )
        self.live.image.layout.max_height = ALONE_IMAGE_MAX_HEIGHT  # the one line above it leaves when it is drawn
        super().__init__([self.note, self.live.image])
        self.live.start()

    @property
    def image(self) -> widgets.Image:
        return self.live.image

    def _render(self):
        if not self.revealed():
            _say(self.note, self._("This chart appears here once the poll is revealed."), error=False)
            return None
        self.live.stopped.set()  # drawn once: the results of a revealed poll never change
        self.note.value = ""
        return self.draw()


class EndPanel(widgets.VBox):
    """The end of the workshop, as two buttons: save the handout, then end the room.

    Buttons, not code, so that Run All Cells (which a facilitator runs before presenting) can never end
    the room before its last poll. Ending asks for a second click, and says first when no handout was
    saved, since none can be made afterwards. With `autoplay` (a headless rehearsal) both happen at once.
    """

    def __init__(self, room, handout, *, autoplay: bool = False):
        self.room, self.handout = room, handout
        self._ = _ = translator(room.language)
        self.saved = False
        self.export_button = _button(_("Save the handout (PDF)"), icon="file-pdf-o", button_style="primary")
        self.end_button = _button(_("End the room"), icon="trash", button_style="danger")
        self.export_button.on_click(lambda _: self.save_handout())
        self.end_button.on_click(lambda _: self.end_room())
        self.message = widgets.HTML()
        self._armed = False
        super().__init__([widgets.HBox([self.export_button, self.end_button]), self.message])
        if autoplay:
            self.save_handout()
            self._armed = True
            self.end_room()

    def save_handout(self) -> None:
        try:
            path = self.room.export(self.handout)
        except (OSError, ValueError, RoomError) as error:
            _say(self.message, str(error))
            return
        self.saved = True
        _say(self.message, self._("Handout saved: {path}").format(path=path), error=False)

    def end_room(self) -> None:
        if not self._armed:
            self._armed = True
            warning = self._("Click again to end the room: every answer is erased, and this cannot be undone.")
            if not self.saved:
                warning += " " + self._("No handout was saved, and none can be made afterwards.")
            _say(self.message, warning)
            return
        try:
            self.room.end()
        except RoomError as error:
            _say(self.message, str(error))
            return
        self.export_button.disabled = self.end_button.disabled = True
        _say(self.message, self._("The room has ended. Its answers are erased."), error=False)


class QuestionBoxPanel(widgets.VBox):
    """The anonymous question box. The top part is for the projector and shows only what the
    facilitator chose to show; pending questions wait in a collapsed, private list below it, and so do
    the questions set aside as possible disclosures, which no button can put on a screen. Nothing about
    them is in the collapsed part's title, which the projector shows: not even how many there are.
    """

    def __init__(self, room):
        self.room = room
        self._ = _ = translator(room.language)
        self.projector = widgets.VBox()
        self.pending = widgets.VBox()
        self.set_aside = widgets.VBox()
        self.moderation = widgets.Accordion([widgets.VBox([self.pending, self.set_aside])], selected_index=None)
        self.message = widgets.HTML()
        refresh = _button(_("Check for new questions"), icon="refresh")
        refresh.on_click(lambda _: self._act(None, None))
        super().__init__(
            [_heading(_("Your questions"), "1.8em"), self.projector, refresh, self.message, self.moderation]
        )
        self.refresh()

    def refresh(self) -> None:
        self.message.value = ""
        box = self.room.box()
        shown = [q for q in box if q["state"] == "shown"]
        waiting = [q for q in box if q["state"] == "pending"]
        set_aside = [q for q in box if q["state"] == "set_aside"]
        self.projector.children = [self._on_screen(q) for q in shown] or [
            widgets.HTML(
                f'<p style="font-size:1.4em;color:#555">{html.escape(self._("No question on screen yet."))}</p>'
            )
        ]
        self.pending.children = [self._to_review(q) for q in waiting] or [widgets.Label(self._("Nothing waiting."))]
        self.set_aside.children = [
            _heading(self._("Set aside: {n}").format(n=len(set_aside))),
            widgets.HTML(
                "<p><i>"
                + html.escape(
                    self._(
                        "Possible disclosures: never show them or read them aloud. What to do next: the "
                        "facilitator guide, “If a question may be a disclosure” (safety_and_support.md)."
                    )
                )
                + "</i></p>"
            ),
            *(widgets.HTML(f'<p style="color:#555">{html.escape(q["text"])}</p>') for q in set_aside),
        ]
        self.moderation.set_title(
            0,
            self._("Waiting for review: {n}. Open only when the projector shows something else.").format(
                n=len(waiting)
            ),
        )

    def _on_screen(self, question: dict) -> widgets.Widget:
        text = widgets.HTML(
            f'<p style="font-size:1.25em;line-height:1.3;margin:0.3em 0">{html.escape(question["text"])}'
            f' <span style="font-size:0.8em;color:#555">+{question["upvotes"]}</span></p>'
        )
        answered = _button(self._("Answered"))
        answered.on_click(lambda _: self._act(self.room.mark_answered, question["id"]))
        return widgets.VBox([text, answered])

    def _to_review(self, question: dict) -> widgets.Widget:
        note = ""
        if question["flags"]:
            # The server's reasons ("a link", "a phone number", ...) are in English; each is a catalog entry.
            what = ", ".join(self._(flag) for flag in question["flags"])
            note = f'<br><b style="color:#a3241b">{html.escape(self._("Look again: it may contain {what}.").format(what=what))}</b>'

        text = widgets.HTML(f"<p>{html.escape(question['text'])}{note}</p>")
        show = _button(self._("Show on screen"), button_style="primary")
        hide = _button(self._("Hide"))
        aside = _button(self._("Set aside (possible disclosure)"), button_style="warning")
        show.on_click(lambda _: self._act(self.room.show_box_question, question["id"]))
        hide.on_click(lambda _: self._act(self.room.hide_box_question, question["id"]))
        aside.on_click(lambda _: self._act(self.room.set_aside_box_question, question["id"]))
        return widgets.VBox([text, widgets.HBox([show, hide, aside])])

    def _act(self, action, box_id: str | None) -> None:
        """A button's work, then a fresh list; when the server refuses, one line says why."""
        try:
            if action is not None:
                action(box_id)
            self.refresh()
        except RoomError as error:
            _say(self.message, str(error))
