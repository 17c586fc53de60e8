"""Projector-ready charts of a room's answers, beside research and over time, and a text version.

Every chart function takes a results DataFrame (one row per option, in display order, with the
columns `option`, `label`, `count`, `share`, `hidden`, `shown_as`, and for randomized-response
questions `estimate`, `low`, `high`; `attrs` hold `question_id`, `text`, `kind`, `n`, `privacy`)
and returns a `matplotlib.figure.Figure` built without pyplot, so it can be drawn from a
background thread. What a chart promises:

- the percentage is written on every bar, so colour is never the only carrier of meaning;
- a hidden (suppressed) cell is a short hatched stub of fixed length labelled "hidden" with its range
  text: never a number, never a zero-length bar (that reads as 0%), and never long enough to look like
  a large value; a hidden count never reaches any text;
- randomized-response results are drawn as estimates with their 95% intervals and a note;
- "prefer not to say" sits apart from the feelings, after a gap, in neutral grey;
- `n = ...` is in the title; with no answers the figure just says "No answers yet".
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import io
import math
import numbers
import textwrap
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import blended_transform_factory

from aftertalk.i18n import translator
from aftertalk.privacy import PrivacyError, clip_share, grr_share_among
from aftertalk.questions import KINDS, PREFER_NOT_TO_SAY

REQUIRED_COLUMNS = ("option", "label", "count", "share", "hidden", "shown_as")
ESTIMATE_COLUMNS = ("estimate", "low", "high")
REFERENCE_KEYS = ("study", "year", "sample", "measure", "figure")

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
ROOM_COLOUR = "#0072B2"  # blue
RESEARCH_COLOUR = "#E69F00"  # orange
BEFORE_COLOUR = "#E69F00"  # orange
AFTER_COLOUR = "#0072B2"  # blue
NEUTRAL_GREY = "#8C8C8C"  # "prefer not to say": present, but not a feeling
TEXT_COLOUR = "#1A1A1A"
HIDDEN_HATCH = "///"

# Sized for the room: on a 1280 x 720 projector a chart fills the slide's width at about 120 dpi, so a
# 20 pt label is about 31 px, a note (18 pt) 28 px, and the smallest text, a label in a two-column list
# (16 pt), 25 px (19 px at 1024 x 768). The shape is 2:1, the room left
# under the question, so the width, not the height, limits the picture. At 150 dpi (the handout) the
# PNG is 1536 x 768.
FIGURE_WIDTH = 10.24
FIGURE_HEIGHT = 5.12
DEFAULT_DPI = 150
SCREEN_DPI = 120  # the notebook's and the projector's pictures: 1229 px wide, the slide's width
TITLE_SIZE = 24
LABEL_SIZE = 20
SMALL_LABEL_SIZE = 16  # the floor, used when many bars must share the height
NOTE_SIZE = 18
SMALLEST_TEXT_SIZE = min(SMALL_LABEL_SIZE, NOTE_SIZE)  # pt: what the projector test measures on a slide
TITLE_WRAP = 58  # characters per title line at TITLE_SIZE across the slide
NOTE_WRAP = 70  # characters per note line at NOTE_SIZE
# More options than this go into two columns side by side, so a long list (13 ways to feel cared for)
# keeps the slide's shape and its text its size instead of a tall chart shrunk to fit the screen.
MAX_ROWS_IN_ONE_COLUMN = 8
COLUMN_LABEL_INCHES = 2.6  # the room for option labels beside the bars, in each of two columns
ROW_INCHES = 0.5  # the least height of an option's row; more when its label wraps (`_row_inches`)
LABEL_INCHES = 4.0  # the room for option labels beside the bars, in one column
LABEL_LINE_SPACING = 1.2  # matplotlib's own, for a label of several lines

# Hidden cells have no value to draw; a fixed length keeps them visible without suggesting one.
# A hidden cell's stub: a tenth of the shortest value axis (MIN_VALUE_AXIS), so it never looks large.
HIDDEN_LENGTH = 0.03
PREFER_NOT_TO_SAY_GAP = 0.8  # extra space before "prefer not to say"
MIN_VALUE_AXIS = 0.3  # so a room where every share is small does not look like a landslide

NO_ANSWERS_TEXT = "No answers yet"
HIDDEN_NOTE = (
    "Hatched bars are hidden to protect privacy: so few people chose them (or so few "
    "did not) that a number could point to someone."
)
ESTIMATE_NOTE = (
    "Estimates: each phone randomized its answer before sending it, for privacy. "
    "Bars show the estimated share; lines show the 95% interval."
)
MULTI_NOTE = "People could choose more than one answer, so the shares add up to more than 100%."
# A myth-or-fact round after its reveal: the right option's label carries the mark, the evidence a note.
CORRECT_MARK = "✓"
ANSWER_NOTE = "{mark} {label}: {evidence}"
WORD_NOTE = (
    "Words are shown from {min_answers} answers on, and only words that at least {k} people gave, so "
    "no single word can be traced to the person who wrote it."
)
# Why the server withheld a whole result (results.attrs["withheld"]), in plain words for the projector.
WITHHELD_TEXT = {
    "too_few_answers": "Too few answers to show safely: this chart needs at least {min_answers}.",
    "few_outside_exclusive": "Too few answers other than {labels} to show safely.",
    "could_point_to_someone": "Not shown, to protect privacy: any chart of these answers could point to someone.",
    # Said when no word passes, when all but a few gave one word, and when the facilitator hid them all.
    "no_shared_word": "No word can be shown safely, so none is shown.",
    "pair_counts_too_close": (
        "Not shown, to protect privacy: the first asking had {first_n} answers and this "
        "one {n}. Comparing the two charts could show how the few people who arrived or "
        "left in between answered."
    ),
    "pair_difference_too_small": (
        "Not shown, to protect privacy: comparing this chart with the first asking "
        "could show how a few of the people who arrived or left answered."
    ),
}
WITHHELD_FALLBACK = "Not shown, to protect privacy."
# Answers outside the question itself: a comparison with research leaves them out, as the studies counted only
# the people a question is about (research/facts.md: "Compare like with like").
OUTSIDE_THE_QUESTION = (PREFER_NOT_TO_SAY, "does_not_apply")
RESEARCH_WARNING = "Careful: the samples and measures differ between these studies and this room, so compare loosely."


# The facilitator's language for the chart being drawn (results.attrs["language"]); a context
# variable, so charts drawn at once on other threads keep their own.
_language = contextvars.ContextVar("chart_language", default="en")


def _t(text: str) -> str:
    """Chart text in the facilitator's language (catalogs in aftertalk/locale)."""
    return translator(_language.get())(text)


def _about(words, estimate: float) -> str:
    """An estimate as the room reads it ("about 23%"), through the translator `words`."""
    return words("about {p}").format(p=_percent(clip_share(estimate)))


def cell_text(range_code: str | None, count, estimate, k: int, language: str) -> str:
    """What one cell of a revealed result says, in `language`: its count, "about 23%" for an estimate,
    or a hidden cell's range from the server's data (`privacy.RANGE_*` with the room's k):
    "fewer than 5", "all but a few" or "hidden"."""
    words = translator(language)
    if range_code == "fewer_than":
        return words("fewer than {k}").format(k=k)
    if range_code == "all_but_a_few":
        return words("all but a few")
    if range_code is not None:
        return words("hidden")
    if estimate is not None and estimate == estimate:  # NaN: a pandas gap
        return _about(words, float(estimate))
    return "" if count is None or count != count else str(int(count))


def _in_language(chart):
    """Draw `chart` in the language its (first) results carry in attrs["language"]."""

    @functools.wraps(chart)
    def drawn(results, *args, **kwargs):
        language = getattr(results, "attrs", {}).get("language", "en")
        token = _language.set(language)
        try:
            return chart(results, *args, **kwargs)
        finally:
            _language.reset(token)

    return drawn


# ---------------------------------------------------------------------------------------------
# Public API


@_in_language
def room_chart(results: pd.DataFrame, *, titled: bool = True) -> Figure:
    """Chart how the room answered one question.

    `titled=False` leaves the question out of the title (the poll panel asks it above the chart) and
    keeps only the line with n.

    Single choice and yes/no: horizontal bars of the share of answers. Multi-select: how common
    each feeling is, as the share of the n people who answered, in the order given. Scale: vertical
    bars in scale order. Raises ValueError for malformed results or an unknown kind.
    """
    question = _Question.from_results(results)
    title = question.title() if titled else question.count_line()
    if question.withheld:
        # A myth-or-fact round's answer is no one's answer: the room still reads it, withheld chart or not.
        return _no_answers_figure(title, withheld_text(results), _answer_notes(question))
    if question.n == 0:
        return _no_answers_figure(title)
    notes = _notes_for(question)
    if question.kind == "scale":
        figure, ax = _new_figure(title, notes, rows=1)
        _draw_groups(ax, [(question, ROOM_COLOUR)], horizontal=False)
    elif len(question.rows) > MAX_ROWS_IN_ONE_COLUMN:
        half = math.ceil(len(question.rows) / 2)
        parts = (question.rows[:half], question.rows[half:])
        labels = [question.label_of(row) for row in question.rows]
        row_inches = _row_inches(labels, COLUMN_LABEL_INCHES, SMALL_LABEL_SIZE)
        span = max(_row_span(part) for part in parts)
        figure, axes = _new_figure_in_columns(title, notes, rows=span, columns=2, row_inches=row_inches)
        for ax, part in zip(axes, parts):
            _draw_groups(
                ax,
                [(dataclasses.replace(question, rows=part), ROOM_COLOUR)],
                horizontal=True,
                label_inches=COLUMN_LABEL_INCHES,
                value_inches=FIGURE_WIDTH / 2 - COLUMN_LABEL_INCHES - 0.6,
                text_size=SMALL_LABEL_SIZE,  # two lines of a long label fit one row
            )
        longest = max(ax.get_xlim()[1] for ax in axes)
        lowest, highest = max(ax.get_ylim()[0] for ax in axes), min(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_xlim(0, longest)  # one scale for both columns, so bars compare across them
            ax.set_ylim(lowest, highest)  # and rows of one height in both, the first ones level
        _fit_rows(figure, axes, row_inches)
    else:
        labels = [question.label_of(row) for row in question.rows]
        row_inches = _row_inches(labels, LABEL_INCHES, _label_size(len(labels)))
        figure, ax = _new_figure(title, notes, rows=_row_span(question.rows), row_inches=row_inches)
        _draw_groups(ax, [(question, ROOM_COLOUR)], horizontal=True)
        _fit_rows(figure, [ax], row_inches)
    return figure


@_in_language
def room_vs_research(results: pd.DataFrame, reference: list[dict], room_option: str) -> Figure:
    """Chart the room's share for `room_option` beside published figures.

    The room's share is out of those who answered the question itself: "Doesn't apply to me" and
    "Prefer not to say" are left out (the studies counted only the people a question is about, such as
    people who had had sex), so for a yes/no question it is Yes / (Yes + No), and the room's bar says so.
    A share that would need a hidden count is never computed: the bar is hatched and the caption says
    why (`research_markdown` is the same comparison as text).

    `reference` is a list of dicts with `study`, `year`, `sample`, `measure`, `figure` (a share
    0-1) and optionally `n` and `doi_or_url`. The caption under the chart cites each figure with its
    sample and measure, and warns that samples and measures differ. A randomized question shows
    the room's estimate with its interval. Raises ValueError for malformed results, an empty or
    malformed reference, or an unknown option.
    """
    comparison = _Comparison.of(results, reference, room_option)
    room = comparison.room
    if room is None:  # withheld as a whole, or no answers yet
        return _no_answers_figure(comparison.title, comparison.withheld)

    bars = [room.bar()]
    labels = [room.label]
    for position, study in enumerate(comparison.studies, 1):
        bars.append(_Bar(position, study.figure, RESEARCH_COLOUR, _percent(study.figure)))
        labels.append(study.short_label())
    label_size = _label_size(len(bars))
    row_inches = _row_inches(labels, LABEL_INCHES, label_size)
    figure, ax = _new_figure(comparison.title, comparison.caption(full=False), rows=len(bars), row_inches=row_inches)
    _draw_bars(ax, bars, horizontal=True, text_size=label_size)
    _set_category_axis(ax, [bar.position for bar in bars], labels, horizontal=True, size=label_size)
    _finish_value_axis(ax, bars, horizontal=True, text_size=label_size)
    _fit_rows(figure, [ax], row_inches)
    return figure


@_in_language
def research_markdown(results: pd.DataFrame, reference: list[dict], room_option: str) -> str:
    """A text alternative to `room_vs_research`, for screen readers and handouts: the same shares, the
    same labels and the same caption, worked out by the same code, so the two never disagree."""
    comparison = _Comparison.of(results, reference, room_option)
    lines = [f"**{_escape(comparison.title)}**", ""]
    room = comparison.room
    if room is None:  # withheld as a whole, or no answers yet
        return "\n".join(lines + [_escape(comparison.withheld or f"{_t(NO_ANSWERS_TEXT)}.")]) + "\n"
    lines += [f"| {_t('Group')} | {_t('Share')} |", "|---|---|"]
    lines.append(f"| {_escape(room.label)} | {_escape(room.text())} |")
    for study in comparison.studies:
        lines.append(f"| {_escape(f'[{study.number}] {study.study} ({study.year})')} | {_percent(study.figure)} |")
    lines.append("")
    lines += [f"- {_escape(note)}" for note in comparison.caption()]
    return "\n".join(lines) + "\n"


@_in_language
def before_after(before: pd.DataFrame, after: pd.DataFrame) -> Figure:
    """Chart the same question asked twice, the two answers side by side for each option.

    Scale questions get vertical bars in scale order, other kinds horizontal bars. Each side keeps
    its own n, hidden cells and estimates. If one side has no answers yet its legend says so; if
    neither has, the figure says "No answers yet". Raises ValueError for malformed results or when
    the two do not have the same options.
    """
    first = _Question.from_results(before)
    second = _Question.from_results(after)
    title = _wrap(first.text, TITLE_WRAP) + f"\n{_t('Before')}: n = {first.n}   ·   {_t('After')}: n = {second.n}"
    if first.withheld or second.withheld:
        return _no_answers_figure(title, withheld_text(after if second.withheld else before))
    if [row.option for row in first.rows] != [row.option for row in second.rows]:
        raise ValueError(
            "before and after must have the same options in the same order; got "
            f"{[r.option for r in first.rows]} and {[r.option for r in second.rows]}"
        )
    if first.kind != second.kind:
        raise ValueError(f"before and after must be the same kind of question; got '{first.kind}' and '{second.kind}'")
    if first.n == 0 and second.n == 0:
        return _no_answers_figure(title)

    notes = list(dict.fromkeys(_notes_for(first) + _notes_for(second)))  # each note once
    sides = [(first, BEFORE_COLOUR, _t("Before")), (second, AFTER_COLOUR, _t("After"))]
    answered = [(question, colour) for question, colour, _ in sides if question.n > 0]
    vertical = first.kind == "scale"
    figure, ax = _new_figure(title, notes, rows=1 if vertical else len(first.rows) * len(answered))
    handles = _draw_groups(ax, answered, horizontal=not vertical)
    legend_labels = [f"{name} (n = {question.n})" for question, _, name in sides if question.n > 0]
    legend_labels += [f"{name}: {_t('no answers yet')}" for question, _, name in sides if question.n == 0]
    legend_handles = handles + [_empty_handle() for question, _, _ in sides if question.n == 0]
    # Above the bars, so it never covers one.
    ax.legend(
        legend_handles,
        legend_labels,
        fontsize=LABEL_SIZE,
        frameon=False,
        ncols=2,
        loc="lower right",
        bbox_to_anchor=(1, 1),
        borderaxespad=0.2,
    )
    return figure


def live_count(headline: str, caption: str) -> Figure:
    """A big "12 answers" for the projector while a poll is open: the count and nothing else. The
    panel words both lines in the facilitator's language (`panel.count_words`)."""
    figure = Figure(figsize=(FIGURE_WIDTH, FIGURE_HEIGHT / 2.5), facecolor="white")
    figure.text(0.5, 0.62, headline, fontsize=72, ha="center", va="center", color=TEXT_COLOUR)
    figure.text(0.5, 0.18, caption, fontsize=NOTE_SIZE + 4, ha="center", va="center", color=NEUTRAL_GREY)
    return figure


def withheld_text(results: pd.DataFrame) -> str | None:
    """Why the server withheld these results, in plain words (the facilitator's language), or None."""
    attrs = getattr(results, "attrs", {})
    reason = attrs.get("withheld")
    if not reason:
        return None
    token = _language.set(attrs.get("language", "en"))
    try:
        pair = attrs.get("pair") or {}
        return _t(WITHHELD_TEXT.get(reason, WITHHELD_FALLBACK)).format(
            n=attrs.get("n"),
            k=attrs.get("threshold"),
            min_answers=attrs.get("min_answers"),
            first_n=pair.get("first_n"),
            labels=" / ".join(f"“{label}”" for label in attrs.get("standalone_labels") or ()),
        )
    finally:
        _language.reset(token)


def show_figures_in_notebooks() -> None:
    """Make a chart returned to a notebook cell display as a picture. The charts are drawn without
    pyplot (they may be drawn from a thread), so matplotlib's inline backend never registers itself and
    JupyterLab would show only "<Figure size 1280x720 with 2 Axes>". Outside IPython: nothing to do."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(
            Figure, lambda figure: figure_png(figure, dpi=SCREEN_DPI)
        )


def smallest_text_size(figure: Figure) -> int:
    """The size in points of the smallest text drawn in `figure` (whole points, rounded down)."""
    sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_visible() and text.get_text()]
    return int(min(sizes, default=SMALLEST_TEXT_SIZE))


def figure_png(figure: Figure, dpi: int = DEFAULT_DPI) -> bytes:
    """Render `figure` to PNG bytes with the Agg canvas (no pyplot, safe off the main thread).

    At the default dpi a chart from this module is 1536 pixels wide.
    """
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


@_in_language
def results_markdown(results: pd.DataFrame) -> str:
    """A text alternative to `room_chart` for screen readers and handouts.

    Gives the question, n, and a Markdown table of option / share / count. Hidden cells show their
    range text and never a number; estimates show their 95% interval and no raw (randomized)
    count. With no answers it says "No answers yet." instead of a table.
    """
    question = _Question.from_results(results)
    lines = [f"**{_escape(question.text)}**", "", f"n = {question.n}", ""]
    withheld = withheld_text(results)  # None exactly when question.withheld is: both read attrs["withheld"]
    if withheld is not None:
        return "\n".join(lines + [_escape(withheld)]) + "\n"
    if question.n == 0:
        return "\n".join(lines + [f"{_t(NO_ANSWERS_TEXT)}."]) + "\n"
    lines += [f"| {_t('Option')} | {_t('Share')} | {_t('Count')} |", "|---|---|---|"]
    for row in question.rows:
        cells = (question.label_of(row), _share_text(row), _count_text(row))
        lines.append("| " + " | ".join(_escape(cell) for cell in cells) + " |")
    notes = _notes_for(question)
    if notes:
        lines.append("")
        lines += [f"_{note}_" for note in notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Reading and checking the input


@dataclass
class _Row:
    option: str
    label: str
    count: int | None
    share: float | None
    hidden: bool
    shown_as: str
    estimate: float | None = None
    range: str | None = None  # a hidden cell's range as data (`cell_text`); frames made by hand may lack it
    low: float | None = None
    high: float | None = None

    @property
    def is_prefer_not_to_say(self) -> bool:
        return self.option == PREFER_NOT_TO_SAY


@dataclass
class _Question:
    text: str
    kind: str
    n: int
    is_estimate: bool
    rows: list[_Row]
    withheld: str | None = None
    threshold: int = 5
    min_answers: int = 10
    correct: str | None = None  # a myth-or-fact round's right option, marked on the chart
    evidence: str = ""
    correct_label: str = ""  # its label, also when the chart is withheld (and has no rows)
    epsilon: float | None = None  # a randomized question's privacy loss (results.attrs["epsilon"])
    question_id: str = ""

    @classmethod
    def from_results(cls, results: pd.DataFrame) -> _Question:
        if not isinstance(results, pd.DataFrame):
            raise ValueError(f"results must be a pandas DataFrame, not {type(results).__name__}")
        missing = [column for column in REQUIRED_COLUMNS if column not in results.columns]
        if missing:
            raise ValueError(
                f"results is missing the column(s) {', '.join(missing)}; expected {', '.join(REQUIRED_COLUMNS)}"
            )
        attrs = results.attrs
        kind = attrs.get("kind")
        if kind not in KINDS:
            raise ValueError(
                f"unknown question kind {kind!r} in results.attrs['kind']; expected one of {', '.join(KINDS)}"
            )
        n = attrs.get("n")
        is_count = isinstance(n, numbers.Real) and not isinstance(n, bool) and math.isfinite(n)
        if not is_count or n < 0 or n != int(n):
            raise ValueError(f"results.attrs['n'] must be a whole number of answers >= 0, got {n!r}")
        privacy = attrs.get("privacy", "direct")
        if privacy not in ("direct", "randomized"):
            raise ValueError(
                f"unknown privacy {privacy!r} in results.attrs['privacy']; expected 'direct' or 'randomized'"
            )
        is_estimate = privacy == "randomized"
        missing = [column for column in ESTIMATE_COLUMNS if column not in results.columns]
        if is_estimate and missing:
            raise ValueError(f"randomized results are missing the column(s) {', '.join(missing)}")
        withheld = attrs.get("withheld") or None
        if n > 0 and results.empty and not withheld:
            raise ValueError(f"results has n = {int(n)} answers but no option rows")
        text = str(attrs.get("text") or attrs.get("question_id") or "")
        rows = [_read_row(record, is_estimate, int(n)) for record in results.to_dict("records")]
        correct = attrs.get("correct") or None
        if correct is not None and rows and correct not in (row.option for row in rows):
            raise ValueError(f"results.attrs['correct'] is {correct!r}, which is not one of the options")
        epsilon = attrs.get("epsilon")
        return cls(
            text,
            kind,
            int(n),
            is_estimate,
            rows,
            withheld,
            attrs.get("threshold") or 5,
            attrs.get("min_answers") or 10,
            correct,
            str(attrs.get("evidence") or ""),
            str(attrs.get("correct_label") or correct or ""),
            float(epsilon) if isinstance(epsilon, numbers.Real) and not isinstance(epsilon, bool) else None,
            str(attrs.get("question_id") or ""),
        )

    def label_of(self, row: _Row) -> str:
        """The row's label as the chart shows it: the right answer of a myth-or-fact round is marked."""
        return f"{CORRECT_MARK} {row.label}" if row.option == self.correct else row.label

    def count_line(self) -> str:
        counted = _t("people answered") if self.kind == "multi" else _t("answers")
        return f"n = {self.n} {counted}"

    def title(self, subtitle: str = "") -> str:
        last_line = self.count_line()
        if subtitle:
            last_line = f"{subtitle}   ·   {last_line}"
        return f"{_wrap(self.text, TITLE_WRAP)}\n{last_line}"

    def row(self, option: str) -> _Row:
        for row in self.rows:
            if row.option == option:
                return row
        raise ValueError(
            f"unknown room_option {option!r}; the options are {', '.join(row.option for row in self.rows)}"
        )


def _read_row(record: dict, is_estimate: bool, n: int) -> _Row:
    hidden = _present(record["hidden"]) and bool(record["hidden"])
    row = _Row(
        option=str(record["option"]),
        label=str(record["label"]),
        count=None if hidden or not _present(record["count"]) else int(record["count"]),
        share=None if hidden or not _present(record["share"]) else float(record["share"]),
        hidden=hidden,
        shown_as=str(record["shown_as"]) if _present(record["shown_as"]) else "",
        range=str(record["range"]) if _present(record.get("range")) else None,
    )
    if n == 0:
        return row  # nothing counted yet, so nothing to check
    if is_estimate and not hidden:
        row.estimate, row.low, row.high = (float(record[c]) if _present(record[c]) else None for c in ESTIMATE_COLUMNS)
        if row.estimate is None:
            raise ValueError(f"option {row.option!r} is neither hidden nor has an estimate")
    elif not hidden and row.share is None:
        raise ValueError(f"option {row.option!r} is neither hidden nor has a share")
    return row


def _present(value) -> bool:
    """False for None, NaN and pandas NA."""
    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value))


@dataclass
class _Study:
    number: int
    study: str
    year: str
    sample: str
    n: str
    measure: str
    figure: float
    doi_or_url: str

    @classmethod
    def from_dict(cls, entry: dict, number: int) -> _Study:
        if not isinstance(entry, dict):
            raise ValueError(f"reference entry {number} must be a dict, not {type(entry).__name__}")
        missing = [key for key in REFERENCE_KEYS if not _present(entry.get(key)) or str(entry[key]).strip() == ""]
        if missing:
            raise ValueError(f"reference entry {number} is missing {', '.join(missing)}")
        try:
            figure = float(entry["figure"])
        except (TypeError, ValueError):
            raise ValueError(
                f"reference entry {number}: figure must be a share from 0 to 1, got {entry['figure']!r}"
            ) from None
        if not 0 <= figure <= 1:
            raise ValueError(
                f"reference entry {number}: figure must be a share from 0 to 1 (write 46% as 0.46), got {figure}"
            )

        def text(key: str) -> str:
            value = str(entry[key]).strip() if _present(entry.get(key)) else ""
            # pandas reads a whole-number column with gaps as floats: 2015.0 means 2015
            return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value

        def in_language(key: str) -> str:
            # A reference row may carry what a room reads in other languages too (sample_es, measure_es).
            return text(f"{key}_{_language.get()}") or text(key)

        return cls(
            number,
            text("study"),
            text("year"),
            in_language("sample"),
            text("n"),
            in_language("measure"),
            figure,
            text("doi_or_url"),
        )

    def short_label(self) -> str:
        return _wrap(f"[{self.number}] {self.study} ({self.year})", 24)

    def citation(self, *, full: bool = True) -> str:
        """[1] with its sample and measure; `full` adds the study, its figure and its link (the text
        version's line; on the chart the bar's label and end already say the first two)."""
        sample = self.sample + (f" (n = {self.n})" if self.n else "")
        described = _t("Sample: {sample}. Measure: {measure}.").format(sample=sample, measure=self.measure)
        if not full:
            return f"[{self.number}] {described}"
        source = f" {self.doi_or_url}" if self.doi_or_url else ""
        return f"[{self.number}] {self.study} ({self.year}), {_percent(self.figure)}. {described}{source}"


def _check_reference(reference) -> list:
    if reference is None or isinstance(reference, (str, dict)) or len(reference) == 0:
        raise ValueError(
            "reference must be a non-empty list of published figures (dicts with "
            f"{', '.join(REFERENCE_KEYS)}, n, doi_or_url)"
        )
    return list(reference)


# ---------------------------------------------------------------------------------------------
# The room beside research: whom the room's share counts


@dataclass
class _RoomShare:
    """The room's share for a comparison with research, out of those who answered the question itself.

    `length` is None when the share cannot be shown; `reason` then says why in plain words. The share
    is only ever worked out from counts the room has already seen (never from n minus a hidden cell),
    so it cannot give away a hidden count.
    """

    label: str  # the room's bar label, saying whom the share counts
    length: float | None = None
    interval: tuple[float, float] | None = None
    is_estimate: bool = False
    hidden: bool = False  # hidden to protect privacy, as opposed to nothing to compare
    reason: str | None = None
    left_out: str | None = None  # the answers not counted, in words, when the results have any
    how: str | None = None  # how a shown share was worked out, when the chart must say so

    @classmethod
    def of(cls, question: _Question, room_option: str) -> _RoomShare:
        row = question.row(room_option)
        if row.option in OUTSIDE_THE_QUESTION:
            raise ValueError(
                f"room_option {room_option!r} is not an answer to the question itself; compare an answer such as 'yes'"
            )
        outside = [r for r in question.rows if r.option in OUTSIDE_THE_QUESTION]
        left_out = _both([_quoted(r.label) for r in outside]) if outside else None
        if question.kind == "multi":
            # People may tick several answers, but "Doesn't apply to me" and "Prefer not to say" stand
            # alone: those who answered the question itself are n minus them.
            needed = [row, *outside]
            whom = _t("This room: of the {m} who chose an answer other than {left_out}") if outside else None
            whom_unknown = _t("This room: of those who chose an answer other than {left_out}") if outside else None
        else:
            needed = [r for r in question.rows if r.option not in OUTSIDE_THE_QUESTION]
            whom = _t("This room: of the {m} who answered {answers}")
            whom_unknown = _t("This room: of those who answered {answers}")
        words = {"answers": _either([_quoted(r.label) for r in needed]), "left_out": left_out}
        unknown = whom_unknown.format(**words) if whom_unknown else _t("This room")

        def labelled(m: int) -> str:
            return whom.format(m=m, **words) if whom else _t("This room (n = {n})").format(n=m)

        hidden = [r for r in needed if r.hidden]
        if hidden:
            reason = _t(
                "This room's share is hidden (hatched) to protect privacy: it would need the number who "
                "answered {labels}, and that is hidden."
            )
            return cls(unknown, hidden=True, reason=reason.format(labels=_both([_with_range(r) for r in hidden])))
        if question.is_estimate:
            if any(r.option != PREFER_NOT_TO_SAY for r in outside):
                return cls._estimated_among(question, row, needed, unknown, words)
            assert row.estimate is not None  # `_read_row` refuses a shown randomized row without one
            interval = None
            if row.low is not None and row.high is not None:
                interval = (clip_share(row.low), clip_share(row.high))
            # "Prefer not to say" is never randomized: the server keeps it as a skip, outside the n estimated.
            return cls(labelled(question.n), clip_share(row.estimate), interval, is_estimate=True)
        if question.kind == "multi":
            base = question.n - sum(_count_of(r, question.n) for r in outside)
        else:
            base = sum(_count_of(r, question.n) for r in needed)
        if base == 0:
            reason = _t("No one here answered {answers}, so this room has no share to compare.")
            return cls(unknown, reason=reason.format(**words))
        return cls(labelled(base), _count_of(row, question.n) / base, left_out=left_out)

    @classmethod
    def _estimated_among(
        cls, question: _Question, row: _Row, needed: list[_Row], unknown: str, words: dict
    ) -> _RoomShare:
        """A single choice whose phones randomized "Doesn't apply to me" with Yes and No: Yes / (Yes + No)
        worked out from the estimates (`privacy.grr_share_among`, a wider, conservative interval). A
        multi-select, or results without the randomized counts or epsilon, cannot: then it says so."""
        cannot = _t(
            "This room's share is not shown: the phones randomized {left_out} together with the other "
            "answers, so they cannot be taken out of the estimate."
        ).format(left_out=words["left_out"])
        randomized = [r for r in question.rows if r.option != PREFER_NOT_TO_SAY]  # never randomized: a skip
        if question.kind not in ("single", "scale") or question.epsilon is None or question.n == 0:
            return cls(unknown, reason=cannot)
        if any(r.count is None for r in randomized):
            return cls(unknown, reason=cannot)
        try:
            share = grr_share_among(
                {r.option: int(r.count) for r in randomized if r.count is not None},
                question.n,
                row.option,
                [r.option for r in needed],
                question.epsilon,
                question_id=question.question_id or "results",
            )
        except PrivacyError:
            return cls(unknown, reason=cannot)
        if share is None:
            reason = _t("By the estimate, almost no one here answered {answers}, so this room has no share to compare.")
            return cls(unknown, reason=reason.format(**words))
        return cls(
            unknown,
            share.estimate,
            (share.low, share.high),
            is_estimate=True,
            left_out=words["left_out"],
            how=_t(
                "The phones randomized every answer, so this share is one estimate divided by another; its range "
                "allows for the error in both, so it is wider."
            ),
        )

    def bar(self) -> _Bar:
        if self.length is None:
            return _Bar(0, HIDDEN_LENGTH, ROOM_COLOUR, _t("hidden") if self.hidden else _t("not shown"), hidden=True)
        if self.is_estimate:
            text = f"≈{_percent(self.length)}"
            if self.interval:
                text += f" ({_percent(self.interval[0])}–{_percent(self.interval[1])})"
            return _Bar(0, self.length, ROOM_COLOUR, text, interval=self.interval)
        return _Bar(0, self.length, ROOM_COLOUR, _percent(self.length))

    def text(self) -> str:
        """The share as the text version says it: "39%", "about 31% (95% interval ...)", "hidden"."""
        if self.length is None:
            return _t("hidden") if self.hidden else _t("not shown")
        if not self.is_estimate:
            return _percent(self.length)
        text = _about(_t, self.length)
        if self.interval:
            low, high = (_percent(end) for end in self.interval)
            text += f" ({_t('95% interval {low} to {high}').format(low=low, high=high)})"
        return text

    def notes(self, *, full: bool = True) -> list[str]:
        """What the room's share needs said; on the chart (`full` False) the bar's own label already says
        whose answers it counts, so the line on what it leaves out is for the text version."""
        notes = []
        if full and self.left_out and self.length is not None:
            notes.append(
                _t(
                    "This room's share leaves out {left_out}: like the studies, it counts only the people who "
                    "answered the question itself."
                ).format(left_out=self.left_out)
            )
        if self.reason:
            notes.append(self.reason)
        if self.how:
            notes.append(self.how)
        return notes


@dataclass
class _Comparison:
    """Everything `room_vs_research` draws and `research_markdown` writes, worked out once."""

    question: _Question
    studies: list[_Study]
    title: str
    room: _RoomShare | None  # None when the results are withheld or have no answers yet
    withheld: str | None

    @classmethod
    def of(cls, results: pd.DataFrame, reference: list[dict], room_option: str) -> _Comparison:
        question = _Question.from_results(results)
        studies = [_Study.from_dict(entry, number) for number, entry in enumerate(_check_reference(reference), 1)]
        withheld = withheld_text(results)
        labels = {row.option: row.label for row in question.rows}
        if withheld is None and room_option not in labels:
            question.row(room_option)  # raises, naming the options
        title = question.title(
            _t("“{label}”: this room and research").format(label=labels.get(room_option, room_option))
        )
        room = None if withheld or question.n == 0 else _RoomShare.of(question, room_option)
        return cls(question, studies, title, room, withheld)

    def caption(self, *, full: bool = True) -> list[str]:
        """What the comparison says under its bars; `full` for the text version, short for the slide,
        whose picture must keep its text readable (the links are in the text version and lesson 05)."""
        assert self.room is not None
        notes = [study.citation(full=full) for study in self.studies] + [_t(RESEARCH_WARNING)]
        notes += self.room.notes(full=full)
        if self.room.is_estimate:
            notes.append(_t(ESTIMATE_NOTE))
        return notes


def _count_of(row: _Row, n: int) -> int:
    """A shown row's count (a frame with shares only gives it as share x n)."""
    if row.count is not None:
        return row.count
    return round(_shown_share(row) * n)


def _quoted(label: str) -> str:
    return f"“{label}”"


def _with_range(row: _Row) -> str:
    """“No” (fewer than 5): a hidden answer with the range the room has already seen, if it has one."""
    return f"{_quoted(row.label)} ({_range_of(row)})" if _range_of(row) else _quoted(row.label)


def _either(quoted: list[str]) -> str:
    """“Yes” or “No”; “A”, “B” or “C”: the answers a share counts."""
    if len(quoted) == 1:
        return quoted[0]
    return _t("{first} or {last}").format(first=", ".join(quoted[:-1]), last=quoted[-1])


def _both(quoted: list[str]) -> str:
    """“Doesn't apply to me” and “Prefer not to say”: the answers a share leaves out."""
    if len(quoted) == 1:
        return quoted[0]
    return _t("{first} and {last}").format(first=", ".join(quoted[:-1]), last=quoted[-1])


# ---------------------------------------------------------------------------------------------
# What each row says, in a chart and in text


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _shown_share(row: _Row) -> float:
    """The share of a row that is neither hidden nor an estimate (`_read_row` refuses one without it)."""
    if row.share is None:
        raise ValueError(f"option {row.option!r} is neither hidden nor has a share")
    return row.share


def _range_of(row: _Row) -> str | None:
    """The range a hidden row can say beside "hidden", already in the facilitator's words; None when it
    has none (a cell hidden only to protect others says just "hidden", never "hidden: hidden")."""
    if not row.shown_as or row.range == "hidden" or row.shown_as == _t("hidden"):
        return None
    return row.shown_as


def _share_text(row: _Row) -> str:
    if row.hidden:
        return f"{_t('hidden')} ({_range_of(row)})" if _range_of(row) else _t("hidden")
    if row.estimate is None:
        return _percent(_shown_share(row))
    text = _about(_t, row.estimate)
    if row.low is not None and row.high is not None:
        interval = _t("95% interval {low} to {high}").format(
            low=_percent(clip_share(row.low)), high=_percent(clip_share(row.high))
        )
        text += f" ({interval})"
    return text


def _count_text(row: _Row) -> str:
    if row.hidden:
        return _t("hidden")
    if row.estimate is not None:
        return "–"  # the raw counts are randomized answers, not people
    return "–" if row.count is None else str(row.count)


def _answer_notes(question: _Question) -> list[str]:
    """A myth-or-fact round's right answer with its evidence, as a note under the chart; [] otherwise."""
    if question.correct is None:
        return []
    return [ANSWER_NOTE.format(mark=CORRECT_MARK, label=question.correct_label, evidence=question.evidence)]


def _notes_for(question: _Question) -> list[str]:
    notes = []
    if question.kind == "multi":
        notes.append(MULTI_NOTE)
    if any(row.hidden for row in question.rows):
        notes.append(HIDDEN_NOTE)
    if question.is_estimate:
        notes.append(ESTIMATE_NOTE)
    notes = [_t(note) for note in notes]
    notes = _answer_notes(question) + notes  # first: it is what the room waits to read
    if question.kind == "word":
        notes.append(_t(WORD_NOTE).format(min_answers=question.min_answers, k=question.threshold))
    return notes


# ---------------------------------------------------------------------------------------------
# Drawing


@dataclass
class _Bar:
    position: float
    length: float
    colour: str
    text: str
    hidden: bool = False
    interval: tuple[float, float] | None = None


def _bar_for(row: _Row, position: float, colour: str, stacked_text: bool = False) -> _Bar:
    """The bar for one row; `stacked_text` puts an interval under the estimate (vertical bars)."""
    if row.is_prefer_not_to_say:
        colour = NEUTRAL_GREY
    if row.hidden:
        text = _t("hidden")
        if _range_of(row):
            text += f":\n{_range_of(row)}" if stacked_text else f": {_range_of(row)}"
        return _Bar(position, HIDDEN_LENGTH, colour, text, hidden=True)
    if row.estimate is not None:
        separator = "\n" if stacked_text else " "
        interval = None
        if row.low is not None and row.high is not None:
            interval = (clip_share(row.low), clip_share(row.high))
        text = f"≈{_percent(clip_share(row.estimate))}"
        if interval:
            text += f"{separator}({_percent(interval[0])}–{_percent(interval[1])})"
        return _Bar(position, clip_share(row.estimate), colour, text, interval=interval)
    share = _shown_share(row)
    return _Bar(position, clip_share(share), colour, _percent(share))


def _new_figure(title: str, notes: list[str], rows: float, row_inches: float = ROW_INCHES) -> tuple[Figure, Axes]:
    """A slide-shaped figure with the title on top, one chart axes, and the notes underneath.

    Many rows or long notes make the figure taller, never narrower, so text keeps its size.
    """
    figure, [ax] = _new_figure_in_columns(title, notes, rows, columns=1, row_inches=row_inches)
    return figure, ax


def _new_figure_in_columns(
    title: str, notes: list[str], rows: float, columns: int, row_inches: float = ROW_INCHES
) -> tuple[Figure, list[Axes]]:
    """`_new_figure` with `columns` chart axes side by side, each for `rows` rows of `row_inches`."""
    note_text = "\n".join(_wrap(note, NOTE_WRAP) for note in notes)
    note_lines = note_text.count("\n") + 1 if note_text else 0
    note_height = note_lines * NOTE_SIZE * 1.35 / 72 + (0.15 if note_lines else 0)
    title_height = (title.count("\n") + 1) * TITLE_SIZE * 1.35 / 72 + 0.3
    chart_height = max(FIGURE_HEIGHT - title_height - 1.2, rows * row_inches)
    height = max(FIGURE_HEIGHT, title_height + chart_height + note_height)

    figure = Figure(figsize=(FIGURE_WIDTH, height), layout="constrained", facecolor="white")
    figure.suptitle(title, fontsize=TITLE_SIZE, x=0.01, ha="left", color=TEXT_COLOUR)
    if not note_lines:
        grid = figure.add_gridspec(1, columns)
        return figure, [figure.add_subplot(grid[0, column]) for column in range(columns)]
    grid = figure.add_gridspec(2, columns, height_ratios=[height - note_height - title_height, note_height])
    chart_axes = [figure.add_subplot(grid[0, column]) for column in range(columns)]
    note_ax = figure.add_subplot(grid[1, :])
    note_ax.axis("off")
    # Notes run from the slide's left edge, not the chart's, and are sized above to fit.
    from_slide_edge = blended_transform_factory(figure.transFigure, note_ax.transAxes)
    note = note_ax.text(
        0.01,
        1,
        note_text,
        fontsize=NOTE_SIZE,
        va="top",
        ha="left",
        color=TEXT_COLOUR,
        transform=from_slide_edge,
        linespacing=1.3,
    )
    note.set_in_layout(False)
    return figure, chart_axes


def _no_answers_figure(title: str, reason: str | None = None, notes: list[str] | None = None) -> Figure:
    """A slide with no bars: "No answers yet", or why the results are withheld, and any `notes` under it."""
    figure, ax = _new_figure(title, notes or [], rows=1)
    ax.axis("off")
    if reason:
        ax.text(
            0.5,
            0.5,
            _wrap(reason, 40),
            fontsize=28,
            ha="center",
            va="center",
            color=TEXT_COLOUR,
            transform=ax.transAxes,
            linespacing=1.4,
        )
    else:
        ax.text(
            0.5,
            0.5,
            _t(NO_ANSWERS_TEXT),
            fontsize=40,
            ha="center",
            va="center",
            color=NEUTRAL_GREY,
            transform=ax.transAxes,
        )
    return figure


def _label_wrap(label_inches: float, size: int) -> int:
    """Characters per line of an option's label beside horizontal bars, in `label_inches` at `size` pt."""
    return int(label_inches * 72 / (size * 0.6))


def _row_inches(labels: list[str], label_inches: float, size: int) -> float:
    """How tall each row of horizontal bars must be so that the longest label, wrapped as the axis wraps
    it, never runs into the next one."""
    width = _label_wrap(label_inches, size)
    lines = max((_wrap(label, width).count("\n") + 1 for label in labels), default=1)
    return max(ROW_INCHES, lines * size * LABEL_LINE_SPACING / 72 + 0.1)


def _label_size(bar_count: int) -> int:
    return LABEL_SIZE if bar_count <= 8 else SMALL_LABEL_SIZE


def _fit_rows(figure: Figure, axes: list[Axes], row_inches: float) -> None:
    """Make the figure taller until each row of its horizontal bars gets `row_inches` (the figure's
    title, notes and the axes' margins take their share first, which the layout settles only when
    drawn), so no wrapped label runs into the next."""
    for _ in range(3):
        figure.draw_without_rendering()
        ax = axes[0]
        bottom, top = ax.get_ylim()
        have = ax.get_window_extent().height / figure.dpi
        missing = abs(bottom - top) * row_inches - have
        if missing <= 0.01:
            return
        width, height = figure.get_size_inches()
        figure.set_size_inches(width, height + missing)


def _row_span(rows: list[_Row]) -> float:
    """How many rows' height `rows` take, the gap before "prefer not to say" included (`_positions`)."""
    gap = any(row.is_prefer_not_to_say for row in rows[1:])
    return len(rows) + (PREFER_NOT_TO_SAY_GAP if gap else 0)


def _positions(rows: list[_Row], group_size: int) -> list[float]:
    """Centre of each option's group of bars, with a gap before "prefer not to say"."""
    positions: list[float] = []
    next_position = 0.0
    for row in rows:
        if row.is_prefer_not_to_say and positions:
            next_position += PREFER_NOT_TO_SAY_GAP
        positions.append(next_position)
        next_position += 1.0 if group_size == 1 else group_size * 0.9 + 0.5
    return positions


def _draw_groups(
    ax,
    sides: list[tuple[_Question, str]],
    horizontal: bool,
    label_inches: float = LABEL_INCHES,
    value_inches: float | None = None,
    text_size: int | None = None,
) -> list[Patch]:
    """One group per option, one bar per side in each group; returns a legend patch per side.

    Horizontal groups run top to bottom (the poll's order); vertical ones left to right (scale
    order). "Prefer not to say" comes last, after a gap and a dotted line.
    """
    rows = sides[0][0].rows
    group_size = len(sides)
    centres = _positions(rows, group_size)
    bars = []
    for index, (question, colour) in enumerate(sides):
        offset = (index - (group_size - 1) / 2) * 0.9
        bars += [
            _bar_for(row, centre + offset, colour, stacked_text=not horizontal)
            for row, centre in zip(question.rows, centres)
        ]
    text_size = text_size or _label_size(len(bars))
    label_size = text_size if horizontal else _label_size(len(rows))
    _draw_bars(ax, bars, horizontal, text_size)
    first = sides[0][0]
    _set_category_axis(
        ax,
        centres,
        [first.label_of(row) for row in rows],
        horizontal,
        label_size,
        muted=[row.is_prefer_not_to_say for row in rows],
        marked=[row.option == first.correct for row in rows],
        label_inches=label_inches,
    )
    _mark_prefer_not_to_say(ax, rows, centres, group_size, horizontal)
    if horizontal:  # no margin beyond the first and last bars: the rows take the height (`_fit_rows`)
        edge = group_size * 0.9 / 2 + 0.1
        ax.set_ylim(centres[-1] + edge, centres[0] - edge)  # first option on top
    _finish_value_axis(ax, bars, horizontal, text_size, value_inches)
    return [_side_handle(colour) for _, colour in sides]


def _draw_bars(ax, bars: list[_Bar], horizontal: bool, text_size: int) -> None:
    """Bars with their text at the end: hidden ones hatched, estimates with their intervals."""
    thickness = 0.8
    for bar in bars:
        bar_style = (
            dict(color="white", edgecolor=bar.colour, hatch=HIDDEN_HATCH, linewidth=2, linestyle="--")
            if bar.hidden
            else dict(color=bar.colour)
        )
        if horizontal:
            ax.barh(bar.position, bar.length, height=thickness, **bar_style)
        else:
            ax.bar(bar.position, bar.length, width=thickness, **bar_style)
        if bar.interval:
            low, high = bar.interval
            error = [[max(0.0, bar.length - low)], [max(0.0, high - bar.length)]]
            errorbar = dict(fmt="none", ecolor=TEXT_COLOUR, elinewidth=2.5, capsize=8, capthick=2.5)
            if horizontal:
                ax.errorbar(bar.length, bar.position, xerr=error, **errorbar)
            else:
                ax.errorbar(bar.position, bar.length, yerr=error, **errorbar)
        end = _bar_end(bar)
        colour = NEUTRAL_GREY if bar.hidden else TEXT_COLOUR
        text_style = "italic" if bar.hidden else "normal"
        if horizontal:
            ax.annotate(
                bar.text,
                (end, bar.position),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=text_size,
                color=colour,
                style=text_style,
            )
        else:
            ax.annotate(
                bar.text,
                (bar.position, end),
                xytext=(0, 6),
                textcoords="offset points",
                va="bottom",
                ha="center",
                fontsize=text_size,
                color=colour,
                style=text_style,
                linespacing=1.1,
            )


def _set_category_axis(
    ax, positions, labels, horizontal: bool, size: int, muted=None, marked=None, label_inches: float = LABEL_INCHES
) -> None:
    # Labels beside horizontal bars may take `label_inches`; under vertical bars, one bar's width.
    width = _label_wrap(label_inches, size) if horizontal else 12
    wrapped = [_wrap(label, width) for label in labels]
    if horizontal:
        ax.set_yticks(positions, wrapped, fontsize=size)
        ax.invert_yaxis()  # first option on top, as in the poll
        tick_labels = ax.get_yticklabels()
    else:
        ax.set_xticks(positions, wrapped, fontsize=size)
        tick_labels = ax.get_xticklabels()
    ax.tick_params(length=0, colors=TEXT_COLOUR)
    for label, is_muted in zip(tick_labels, muted or []):
        if is_muted:
            label.set_color(NEUTRAL_GREY)
            label.set_style("italic")
    for label, is_marked in zip(tick_labels, marked or []):
        if is_marked:
            label.set_fontweight("bold")


def _mark_prefer_not_to_say(ax, rows, centres, group_size: int, horizontal: bool) -> None:
    """A faint line across the gap, so "prefer not to say" reads as apart from the feelings."""
    if len(rows) < 2 or not rows[-1].is_prefer_not_to_say:
        return
    half_group = (group_size * 0.9) / 2
    between = (centres[-2] + half_group + centres[-1] - half_group) / 2
    line = dict(color=NEUTRAL_GREY, linewidth=1.5, linestyle=":")
    if horizontal:
        ax.axhline(between, **line)
    else:
        ax.axvline(between, **line)


def _finish_value_axis(
    ax, bars: list[_Bar], horizontal: bool, text_size: int, axis_inches: float | None = None
) -> None:
    """A zero-based value axis just long enough for the bars and their text; no ticks, as every
    bar carries its number."""
    limit = _value_limit(bars, horizontal, text_size, axis_inches)
    if horizontal:
        ax.set_xlim(0, limit)
        ax.set_xticks([])
    else:
        ax.set_ylim(0, limit)
        ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def _value_limit(bars: list[_Bar], horizontal: bool, text_size: int, axis_inches: float | None = None) -> float:
    """The axis length, in shares, at which every bar's text fits past the bar's end.

    Text has a size in inches, not in shares, so solve end + text/axis * limit <= limit using a
    cautious guess of the axis size (the layout only settles when drawn).
    """
    if axis_inches is None:
        axis_inches = FIGURE_WIDTH * 0.6 if horizontal else FIGURE_HEIGHT * 0.45
    limit = max([_bar_end(bar) for bar in bars] + [MIN_VALUE_AXIS])
    for bar in bars:
        lines = bar.text.split("\n")
        if horizontal:
            text_inches = max(len(line) for line in lines) * text_size * 0.65 / 72 + 0.3
        else:
            text_inches = len(lines) * text_size * 1.3 / 72 + 0.15
        limit = max(limit, _bar_end(bar) / max(0.2, 1 - text_inches / axis_inches))
    return limit


def _bar_end(bar: _Bar) -> float:
    return max(bar.length, bar.interval[1]) if bar.interval else bar.length


def _side_handle(colour: str) -> Patch:
    """A legend patch for one side of a comparison."""
    return Patch(color=colour)


def _empty_handle() -> Patch:
    return Patch(facecolor="white", edgecolor=NEUTRAL_GREY)


def _wrap(text: str, width: int) -> str:
    # Keep hyphenated words such as "post-coital" whole: a split one reads as two words.
    return "\n".join(textwrap.wrap(str(text), width, break_on_hyphens=False)) or str(text)


def _escape(text: str) -> str:
    """Keep a label's own characters from breaking the Markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")
