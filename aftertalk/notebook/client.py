"""`Room`: the facilitator's handle on a room, an HTTP client of the poll server's facilitator API.

The notebook never reads the database: it talks to the server with the room's secret token, so the
same code works with the laptop's own server or one hosted elsewhere.
"""

from __future__ import annotations

import html
import urllib.parse

import pandas as pd

from aftertalk.notebook.http import RoomError, request_json
from aftertalk.questions import Question, load_questions

OVERVIEW_CLASS = "aftertalk-overview"

__all__ = ["Room", "RoomError", "request_json"]  # the last two live in http.py; kept here for callers


class Room:
    """A room on a poll server. Create one with `aftertalk.room()` or `Room.connect(url, token)`."""

    def __init__(
        self, *, api_url: str, code: str, token: str, join_url: str, rehearsal=None, server=None, language: str = "en"
    ):
        self.api_url = api_url.rstrip("/")
        self.language = language  # the facilitator's: question text and labels in charts and panels
        self.code = code
        self.join_url = join_url
        self._token = token
        self.rehearsal = rehearsal
        self.server = server  # the LocalServer this room runs on, when this laptop started it
        self._questions: dict[str, Question] = {}
        self._versions: dict[str, list[Question]] = {}  # `_versions_of`, read from the bank once per id
        from aftertalk.notebook.charts import show_figures_in_notebooks

        show_figures_in_notebooks()  # room.chart(), tally(), compare_with_research() return Figures

    def __repr__(self):
        mode = ", rehearsal" if self.rehearsal else ""
        return f"<Room {self.code} at {self.join_url}{mode}>"

    @classmethod
    def connect(cls, url: str, token: str) -> Room:
        """Attach to an existing room from its join URL (http://HOST:PORT/r/CODE) and secret token."""
        parts = urllib.parse.urlsplit(url)
        path = parts.path.rstrip("/").split("/")
        if parts.scheme not in ("http", "https") or len(path) < 3 or path[-2] != "r":
            raise RoomError(f"'{url}' is not a room's join URL; it looks like http://HOST:PORT/r/CODE.")
        api_url = f"{parts.scheme}://{parts.netloc}"
        status = request_json("GET", f"{api_url}/api/rooms/{path[-1]}", token=token)
        return cls(api_url=api_url, code=status["code"], token=token, join_url=status["join_url"])

    def qr(self, scale: int = 10):
        """The join URL as a QR code (SVG, shown by Jupyter), with a quiet zone for easy scanning."""
        import segno
        from IPython.display import SVG

        code = segno.make(self.join_url, error="m")
        return SVG(code.svg_inline(scale=scale, border=4, dark="#000000", light="#ffffff"))

    # --- polls ------------------------------------------------------------------------------------

    def question(self, question) -> Question:
        """A Question from a Question, a dict, or an id in the question bank (data/questions)."""
        if isinstance(question, Question):
            return question
        if isinstance(question, dict):
            return Question.from_dict(question)
        if isinstance(question, str):
            if question in self._questions:
                return self._questions[question]
            bank = load_questions()
            if question not in bank:
                raise KeyError(
                    f"There is no question '{question}' in this room or in the question bank "
                    f"(data/questions). Known ids: {', '.join(sorted(bank))}."
                )
            return bank[question]
        raise TypeError(f"Expected a Question, a dict or a question id, not {type(question).__name__}.")

    def in_my_language(self, question: Question) -> Question:
        """The question as the facilitator reads it (`room.language`); option ids never change."""
        from aftertalk.i18n import translator

        return question.translated(self.language, translator(self.language)("Prefer not to say"))

    def open(self, question) -> dict:
        """Open a poll on every phone in the room. A closed poll never reopens."""
        question = self.question(question)
        summary = self._open_on_server(question)
        if self.rehearsal is not None:
            self.rehearsal.answer(question)
        return summary

    def count(self, question_id: str) -> int:
        """How many phones have answered so far (the only thing shown while a poll is open)."""
        return self._api("GET", f"/questions/{self._qid(question_id)}/count")["answers"]

    def state(self, question_id: str) -> str:
        """'open', 'closed' or 'revealed'."""
        return self._api("GET", f"/questions/{self._qid(question_id)}/count")["state"]

    def close(self, question_id: str) -> dict:
        """Close a poll: later answers are refused, and it never reopens."""
        return self._api("POST", f"/questions/{self._qid(question_id)}/close")

    def reveal(self, question_id: str) -> dict:
        """Close the poll if it is open, and allow its results to be shown."""
        return self._api("POST", f"/questions/{self._qid(question_id)}/reveal")

    def results(self, question_id: str) -> pd.DataFrame:
        """The revealed results: one row per option with option, label, count, share, hidden, shown_as.

        A hidden cell (too few answers, or nearly everyone's) has no count or share, only a range:
        `range` as data ("fewer_than", "all_but_a_few", "hidden") and `shown_as` in the facilitator's
        language, such as "fewer than 5" (or "menos de 5"). A result the server withheld as a whole (a one-word
        check-in with too few answers, the second half of a before/after pair) has no rows, and
        attrs["withheld"] says why (`charts.withheld_text` words it). Raises RoomError before the
        poll is revealed.
        """
        data = self._api("GET", f"/questions/{self._qid(self._asked_as(question_id))}/results")
        question = self.in_my_language(Question.from_dict(data["question"]))
        from aftertalk.notebook.charts import cell_text

        columns = ["option", "label", "count", "share", "hidden", "range"]
        if question.privacy == "randomized":
            columns += ["estimate", "low", "high"]
        frame = pd.DataFrame(data["options"], columns=["id", *columns[1:]]).rename(columns={"id": "option"})
        frame.insert(
            columns.index("range") + 1,
            "shown_as",
            [
                cell_text(o.get("range"), o.get("count"), o.get("estimate"), data["threshold"], self.language)
                for o in data["options"]
            ],
        )
        if question.kind != "word":  # a word is its own label; options get the facilitator's language
            frame["label"] = frame["option"].map({o.id: o.label for o in question.all_options})
        frame["count"] = frame["count"].astype("Int64")
        for column in ("share", "estimate", "low", "high"):
            if column in frame:
                frame[column] = frame[column].astype(float)
        frame.attrs.update(
            {
                "question_id": question.id,
                "text": question.text,
                "kind": question.kind,
                "n": data["n"],
                "privacy": question.privacy,
                "threshold": data["threshold"],
                "language": self.language,
                "withheld": data.get("withheld"),
                "standalone_labels": [o.label for o in question.all_options if o.exclusive],
                "correct": question.correct,
                "correct_label": next((o.label for o in question.options if o.id == question.correct), ""),
                "evidence": question.evidence,
            }
        )
        for name in ("min_answers", "pair"):  # words: answers needed; the second of a pair: the first
            if name in data:
                frame.attrs[name] = data[name]
        if question.privacy == "randomized":
            # epsilon: the privacy loss of one option; answer_epsilon: of a whole multi-select answer
            frame.attrs.update({"epsilon": data["epsilon"], "answer_epsilon": data["answer_epsilon"]})
        return frame

    def status(self) -> dict:
        """The room: its code, join URL, phones connected and each question's state and count."""
        return self._api("GET", "")

    def end(self) -> None:
        """End the room: the server erases its keys, voter hashes and counts. This cannot be undone.

        The laptop's own server leaves with its last room; this waits until it has, so that the next
        `aftertalk.room()` starts a fresh one on the same port.
        """
        reply = self._api("DELETE", "")
        if self.server is not None:
            self.server.forget_room(self.code)
            if reply.get("server_stopping"):
                self.server.wait_until_gone()

    # --- the projector ----------------------------------------------------------------------------

    def join_card(self):
        """A slide-sized join card: QR code, URL, code, and a live count of phones connected."""
        from aftertalk.notebook.panel import JoinCard

        return JoinCard(self)

    def poll(self, question):
        """The panel to run one poll with: Open, Close and reveal, a live count, then the chart.

        In a headless rehearsal (AFTERTALK_HEADLESS=1) the poll plays through by itself.
        """
        from aftertalk.notebook.panel import PollPanel
        from aftertalk.notebook.rehearsal import headless

        question = self.question(question)
        return PollPanel(
            self,
            question,
            versions=self._versions_of(question.id),
            autoplay=self.rehearsal is not None and headless(),
        )

    def chart(self, question_id: str):
        """The revealed results of one poll as a projector-ready chart."""
        from aftertalk.notebook import charts

        return charts.room_chart(self.results(question_id))

    def tally(self, question, counts: dict, people: int | None = None):
        """A show-of-hands fallback: record counts typed in by the facilitator, reveal, and chart them.

        For a multi-select question, `people` is how many people took part at all.
        """
        question = self.question(question)
        if not isinstance(counts, dict):
            raise TypeError("Give the tally as a dict of option id to count, for example {'calm': 7}.")
        if question.id not in self._asked():
            self._open_on_server(question)  # no rehearsal phones: these are hands, not phones
        self._api("POST", f"/questions/{self._qid(question.id)}/tally", body={"counts": counts, "people": people})
        return self.chart(question.id)

    def compare_with_research(self, question_id: str, *, option: str, references):
        """The room's share for `option` beside published figures (ids in data/reference/)."""
        from aftertalk.kit.reference import reference_rows
        from aftertalk.notebook import charts

        rows = reference_rows(references)
        return self._when_revealed(
            [question_id], lambda: charts.room_vs_research(self.results(question_id), rows, room_option=option)
        )

    def before_after(self, before_id: str, after_id: str):
        """The same question asked at the start and at the end, side by side."""
        from aftertalk.notebook import charts

        return self._when_revealed(
            [before_id, after_id], lambda: charts.before_after(self.results(before_id), self.results(after_id))
        )

    def summary(self):
        """Every revealed poll in the room, as charts, in the order they were asked."""
        import ipywidgets as widgets

        from aftertalk.i18n import translator
        from aftertalk.notebook import charts
        from aftertalk.notebook.export import revealed_results

        frames = revealed_results(self)
        if not frames:
            _ = translator(self.language)
            return widgets.VBox(
                [widgets.HTML(f"<p>{html.escape(_('No poll has been revealed in this room yet.'))}</p>")]
            )
        # One screen for every chart, so the summary fits its slide: a grid, each chart as tall as its row.
        columns = 1 if len(frames) == 1 else 2 if len(frames) <= 4 else 3
        rows = -(-len(frames) // columns)
        height = f"{88 // rows}vh"
        images = [
            widgets.Image(
                value=charts.figure_png(charts.room_chart(frame), dpi=charts.SCREEN_DPI),
                format="png",
                layout=widgets.Layout(width="auto", max_width="100%", max_height=height, object_fit="contain"),
            )
            for frame in frames
        ]
        grid = widgets.GridBox(images, layout=widgets.Layout(grid_template_columns=f"repeat({columns}, 1fr)"))
        grid.add_class(OVERVIEW_CLASS)  # a look back at charts the room read one by one: small by design
        return grid

    def help_list(self, *headings: str):
        """Where to get help, as a slide in the room's language (data/where_to_get_help.md, or its
        translation, such as where_to_get_help.es.md): the list's title and the sections whose English
        headings hold these words, as `room.help_list("emergency", "crisis")`; every section without words.
        The handout prints the same list, so a service added to the file reaches both."""
        from IPython.display import Markdown

        from aftertalk.kit.help_list import slide_markdown

        return Markdown(slide_markdown(headings, self.language))

    # --- the anonymous question box and one-word check-ins ---------------------------------------

    def box(self) -> list[dict]:
        """Every question in the box: id, text, state (pending, shown, answered, hidden, set_aside), flags,
        upvotes."""
        return self._api("GET", "/box")["questions"]

    def show_box_question(self, box_id: str) -> None:
        """Put one question from the box on the phones' and the projector's screen."""
        self._api("POST", f"/box/{self._qid(box_id)}/show")

    def mark_answered(self, box_id: str) -> None:
        self._api("POST", f"/box/{self._qid(box_id)}/answered")

    def hide_box_question(self, box_id: str) -> None:
        self._api("POST", f"/box/{self._qid(box_id)}/hide")

    def set_aside_box_question(self, box_id: str) -> None:
        """Set a question aside as a possible disclosure: it leaves the phones and the projector if it
        was there, can never be shown afterwards, and stays in the panel's private list until the room
        ends (what to do next: facilitator_guide/safety_and_support.md)."""
        self._api("POST", f"/box/{self._qid(box_id)}/aside")

    def question_box(self):
        """The moderation panel: nothing from the box is shown until the facilitator chooses Show.

        In a rehearsal room whose box is still empty, the pretend phones first send their questions, so
        that a practice run of a lesson has some to moderate (`rehearsal.BOX_QUESTIONS`: one names
        someone, one may be a disclosure). Once per room: the next lesson's panel finds them there."""
        from aftertalk.notebook.panel import QuestionBoxPanel
        from aftertalk.notebook.rehearsal import BOX_QUESTIONS

        if self.rehearsal is not None and not self.box():
            self.rehearsal.ask(len(BOX_QUESTIONS))
        return QuestionBoxPanel(self)

    def words(self, question_id: str) -> list[dict]:
        """A closed one-word check-in's words that pass the room's threshold (given by k or more people),
        to review privately before the reveal. Raises RoomError while the poll is open or once revealed."""
        return self._api("GET", f"/questions/{self._qid(question_id)}/words")["words"]

    def hide_word(self, question_id: str, word: str) -> None:
        """Keep a word off the chart; only after the close and before the reveal. The server answers the
        same whether anyone typed the word or not."""
        self._api("POST", f"/questions/{self._qid(question_id)}/words", body={"word": word})

    def end_panel(self, handout="handout.pdf"):
        """Two buttons for the end of the workshop: save the handout to `handout`, then end the room
        (a second click confirms). Nothing happens until they are clicked, so Run All is safe.

        In a headless rehearsal (AFTERTALK_HEADLESS=1) both happen at once.
        """
        from aftertalk.notebook.panel import EndPanel
        from aftertalk.notebook.rehearsal import headless

        return EndPanel(self, handout, autoplay=self.rehearsal is not None and headless())

    def export(self, path):
        """Save a handout (.pdf: every revealed chart and where to get help) or the revealed results (.csv)."""
        from aftertalk.notebook.export import export

        return export(self, path)

    # --- helpers ----------------------------------------------------------------------------------

    def _open_on_server(self, question: Question) -> dict:
        summary = self._api("POST", "/questions", body=question.to_dict())
        self._questions[question.id] = question
        return summary

    def _asked(self) -> dict[str, str]:
        return {q["id"]: q["state"] for q in self.status()["questions"]}

    def _when_revealed(self, question_ids: list[str], draw):
        """The chart `draw()` makes, once every poll in `question_ids` is revealed: at once if they are,
        otherwise a WaitingChart that says so and draws it by itself after the reveal."""
        if self._all_revealed(question_ids):
            return draw()
        from aftertalk.notebook.panel import WaitingChart

        return WaitingChart(self, lambda: self._all_revealed(question_ids), draw)

    def _all_revealed(self, question_ids: list[str]) -> bool:
        asked = self._asked()
        return all(asked.get(self._asked_as(question_id, asked)) == "revealed" for question_id in question_ids)

    def _versions_of(self, question_id: str) -> list[Question]:
        """The bank's other versions of a question (declared `instead_of` it), for the panel to offer.

        Read once per id: a waiting chart asks every second whether its poll was asked under another
        version, and parsing the whole bank each time would be that loop's largest cost."""
        if question_id not in self._versions:
            self._versions[question_id] = [q for q in load_questions().values() if q.instead_of == question_id]
        return self._versions[question_id]

    def _asked_as(self, question_id: str, asked: dict[str, str] | None = None) -> str:
        """The id this room asked `question_id` under: itself, or the version of it the facilitator
        chose in the poll panel (pcd_ever_private for pcd_ever), so the cells after a poll need no edit."""
        asked = self._asked() if asked is None else asked
        if not isinstance(question_id, str) or question_id in asked:
            return question_id
        chosen = [other.id for other in self._versions_of(question_id) if other.id in asked]
        return chosen[0] if chosen else question_id

    def _qid(self, question_id) -> str:
        if isinstance(question_id, Question):
            return question_id.id
        if not isinstance(question_id, str) or not question_id:
            raise TypeError("Give the question's id as text, for example room.count('feelings_ever').")
        return urllib.parse.quote(question_id, safe="")

    def _api(self, method: str, path: str, body=None) -> dict:
        return request_json(method, f"{self.api_url}/api/rooms/{self.code}{path}", token=self._token, body=body)
