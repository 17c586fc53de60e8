"""Charts as a room would see them: rendered PNGs, the words on them, and the text alternative."""

from __future__ import annotations

import math
import re
import struct

import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from aftertalk.notebook import charts, panel

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PROJECTOR_WIDTH = 1280  # the narrowest projector we expect; charts render at 1920 by default

FEELINGS = [
    ("calm", "Calm"),
    ("close", "Close to my partner"),
    ("sleepy", "Sleepy"),
    ("empty", "Empty or low"),
    ("tearful", "Tearful"),
    ("irritable", "Irritable"),
    ("space", "Wanting some space"),
]
PREFER = ("prefer_not_to_say", "Prefer not to say")
LEAKED_COUNT = 3  # a hidden cell's true count, deliberately passed in: it must never be shown


# ---------------------------------------------------------------------------------------------
# Building results the way the rest of Aftertalk hands them to the charts


def make_results(
    kind,
    counts,
    n,
    text="How did you feel afterwards?",
    hidden=(),
    shown_as=None,
    estimates=None,
    options=None,
    question_id="after_feelings",
):
    """A results DataFrame: `counts` per option id; ids in `hidden` are suppressed (their true
    count stays in the frame, as a careless caller might leave it); `estimates` maps option id to
    (estimate, low, high) and makes the question randomized."""
    options = options or FEELINGS + [PREFER]
    labels = dict(options)
    records = []
    for option, count in counts.items():
        is_hidden = option in hidden
        share = count / n if n else float("nan")
        records.append(
            {
                "option": option,
                "label": labels[option],
                "count": count,
                "share": share,
                "hidden": is_hidden,
                "shown_as": (shown_as or {}).get(option, "fewer than 5") if is_hidden else str(count),
            }
        )
        if estimates is not None:
            estimate, low, high = estimates.get(option, (float("nan"),) * 3)
            records[-1].update(estimate=estimate, low=low, high=high)
    columns = ["option", "label", "count", "share", "hidden", "shown_as"]
    if estimates is not None:
        columns += ["estimate", "low", "high"]
    frame = pd.DataFrame(records, columns=columns)
    frame.attrs.update(
        question_id=question_id, text=text, kind=kind, n=n, privacy="randomized" if estimates is not None else "direct"
    )
    if estimates is not None:
        frame.attrs["epsilon"] = 1.0
    return frame


def single_results():
    counts = {"calm": 9, "close": 6, "sleepy": 5, "prefer_not_to_say": 0}
    options = FEELINGS[:3] + [PREFER]
    return make_results(
        "single", counts, n=20, text="Which feeling was strongest afterwards?", options=options, question_id="strongest"
    )


def multi_results():
    counts = {
        "calm": 14,
        "close": 12,
        "sleepy": 10,
        "empty": 6,
        "tearful": LEAKED_COUNT,
        "irritable": 5,
        "space": 8,
        "prefer_not_to_say": 5,
    }
    return make_results("multi", counts, n=22, hidden={"tearful"})


def scale_results(counts=None, n=None):
    options = [
        (str(i), label) for i, label in enumerate(["Not at all", "A little", "Somewhat", "Quite", "Very"], 1)
    ] + [PREFER]
    counts = counts or {"1": 0, "2": 5, "3": 6, "4": 7, "5": 5, "prefer_not_to_say": 0}
    return make_results(
        "scale",
        counts,
        n=n or sum(counts.values()),
        options=options,
        text="How comfortable do you feel talking about the feelings after sex?",
        question_id="comfort",
    )


def yesno_results():
    options = [("yes", "Yes"), ("no", "No"), PREFER]
    return make_results(
        "yesno",
        {"yes": 11, "no": 7, "prefer_not_to_say": LEAKED_COUNT},
        n=21,
        hidden={"prefer_not_to_say"},
        options=options,
        text="Have you ever felt sad or tearful after sex, for no clear reason?",
        question_id="ever_sad",
    )


def randomized_results():
    options = [("yes", "Yes"), ("no", "No")]
    return make_results(
        "yesno",
        {"yes": 10, "no": 14},
        n=24,
        options=options,
        estimates={"yes": (0.31, 0.12, 0.50), "no": (0.69, 0.50, 0.88)},
        text="Have you ever felt sad or tearful after sex, for no clear reason?",
        question_id="ever_sad",
    )


# Made-up studies: the tests are about the caption, not about the literature.
REFERENCE = [
    {
        "study": "Example et al.",
        "year": 2015,
        "sample": "230 university students, one country",
        "n": 230,
        "measure": "ever felt sad after sex, lifetime",
        "figure": 0.46,
        "doi_or_url": "https://example.org/study-a",
    },
    {
        "study": "Sample and Other",
        "year": 2019,
        "sample": "1,208 adults, online survey",
        "n": 1208,
        "measure": "felt sad after sex in the past 4 weeks",
        "figure": 0.20,
        "doi_or_url": "https://example.org/study-b",
    },
]


def all_charts():
    """One figure of every kind the facilitator can show."""
    before = scale_results({"1": 5, "2": 7, "3": 5, "4": 0, "5": 0, "prefer_not_to_say": 0})
    after = scale_results()
    return {
        "single": charts.room_chart(single_results()),
        "multi_with_hidden": charts.room_chart(multi_results()),
        "scale": charts.room_chart(scale_results()),
        "yesno_hidden_prefer": charts.room_chart(yesno_results()),
        "randomized_estimate": charts.room_chart(randomized_results()),
        "before_after": charts.before_after(before, after),
        "room_vs_research": charts.room_vs_research(randomized_results(), REFERENCE, "yes"),
        "room_vs_research_hidden": charts.room_vs_research(multi_results(), REFERENCE[:1], "tearful"),
        "no_answers": charts.room_chart(make_results("multi", {}, n=0)),
    }


# ---------------------------------------------------------------------------------------------
# Looking at a figure's words and marks


def texts(figure: Figure) -> list[str]:
    """Every text drawn anywhere in the figure: titles, ticks, bar labels, notes, legend."""
    return [t.get_text() for t in figure.findobj(Text) if t.get_visible() and t.get_text()]


def all_text(figure: Figure) -> str:
    return "\n".join(texts(figure))


def all_words(figure: Figure) -> str:
    """All the figure's text as one line, so phrases split by wrapping still match."""
    return " ".join(all_text(figure).split())


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE), "not a PNG"
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def chart_axes(figure: Figure):
    return figure.axes[0]


def bar_labelled(figure: Figure, label: str):
    """The value text drawn next to the bar of the option called `label`."""
    ax = chart_axes(figure)
    ticks = {t.get_text(): t for t in ax.get_yticklabels()}
    y = ticks[label].get_position()[1]
    notes = [a for a in ax.texts if abs(a.xy[1] - y) < 0.01]
    assert len(notes) == 1, f"expected one text at the {label!r} bar"
    return notes[0].get_text()


def hatched_bars(figure: Figure) -> list[Rectangle]:
    return [p for p in chart_axes(figure).patches if isinstance(p, Rectangle) and p.get_hatch()]


def has_number(text: str, number: int) -> bool:
    return re.search(rf"(?<![\d.]){number}(?![\d.])", text) is not None


# ---------------------------------------------------------------------------------------------
# Screenshots


def test_every_chart_renders_to_a_projector_sized_png(tmp_path):
    for name, figure in all_charts().items():
        png = charts.figure_png(figure)
        path = tmp_path / f"{name}.png"
        path.write_bytes(png)
        width, height = png_size(path.read_bytes())
        assert width >= PROJECTOR_WIDTH, name
        assert 0.4 < height / width < 1.0, f"{name} is {width}x{height}, not slide-shaped"


def test_figure_png_honours_dpi():
    figure = charts.room_chart(single_results())
    assert png_size(charts.figure_png(figure, dpi=50))[0] == round(charts.FIGURE_WIDTH * 50)


def test_charts_render_from_a_background_thread():
    import threading

    pngs = []
    thread = threading.Thread(target=lambda: pngs.append(charts.figure_png(charts.room_chart(multi_results()))))
    thread.start()
    thread.join(timeout=60)
    assert pngs and pngs[0].startswith(PNG_SIGNATURE)


# ---------------------------------------------------------------------------------------------
# What the room reads on the chart


def test_percentages_are_written_on_the_bars():
    figure = charts.room_chart(single_results())
    assert bar_labelled(figure, "Calm") == "45%"
    assert bar_labelled(figure, "Close to my partner") == "30%"
    assert bar_labelled(figure, "Sleepy") == "25%"


def test_multi_select_shows_share_of_people_in_the_given_order():
    figure = charts.room_chart(multi_results())
    labels = [t.get_text() for t in chart_axes(figure).get_yticklabels()]
    assert labels[:3] == ["Calm", "Close to my partner", "Sleepy"]
    assert bar_labelled(figure, "Calm") == "64%"  # 14 of 22 people, though shares add past 100%
    assert "more than one" in all_text(figure)


def test_scale_is_vertical_bars_in_scale_order():
    figure = charts.room_chart(scale_results())
    ax = chart_axes(figure)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:5] == ["Not at all", "A little", "Somewhat", "Quite", "Very"]
    value_texts = [a.get_text() for a in ax.texts]
    assert value_texts[:5] == ["0%", "22%", "26%", "30%", "22%"]


def test_n_is_in_the_title_and_long_questions_wrap():
    figure = charts.room_chart(scale_results())
    title = figure.get_suptitle()
    assert "n = 23" in title
    assert all(len(line) <= charts.TITLE_WRAP for line in title.splitlines())


def test_a_cell_hidden_only_to_protect_others_says_hidden_once():
    """The server's range "hidden" (no range to tell) reads "hidden", never "hidden: hidden"."""
    results = multi_results()
    results["range"] = [("hidden" if hidden else None) for hidden in results["hidden"]]
    results["shown_as"] = [
        ("hidden" if hidden else text) for hidden, text in zip(results["hidden"], results["shown_as"])
    ]
    assert bar_labelled(charts.room_chart(results), "Tearful") == "hidden"
    assert "| Tearful | hidden | hidden |" in charts.results_markdown(results)


def test_hidden_cell_shows_its_range_text_never_its_count():
    figure = charts.room_chart(multi_results())
    assert "hidden: fewer than 5" in bar_labelled(figure, "Tearful")
    words = all_text(figure)
    assert not has_number(words, LEAKED_COUNT)
    assert "14%" not in words  # 3 of 22, the hidden share
    [bar] = hatched_bars(figure)
    assert bar.get_width() == pytest.approx(charts.HIDDEN_LENGTH)  # drawn, not a zero-length bar


def test_a_hidden_bar_never_looks_like_a_large_value():
    """The projector issue: hidden cells were hatched bars a quarter of the axis long, so in a room whose
    largest share was 30% a hidden one looked nearly as large. The stub is at most a tenth of the axis."""
    counts = {"calm": 3, "close": 2, "sleepy": 1, "empty": 2}
    results = make_results("single", counts, n=8, hidden={"calm"}, options=FEELINGS[:4])
    for figure in (charts.room_chart(results), charts.room_chart(multi_results())):
        axis_length = chart_axes(figure).get_xlim()[1]
        for bar in hatched_bars(figure):
            assert 0 < bar.get_width() <= axis_length / 10


def test_hidden_prefer_not_to_say_keeps_its_range_text():
    figure = charts.room_chart(yesno_results())
    assert "fewer than 5" in bar_labelled(figure, "Prefer not to say")
    assert not has_number(all_text(figure), LEAKED_COUNT)


def test_all_but_a_few_is_shown_as_words():
    counts = {"calm": 18, "close": 2, "sleepy": 0}
    results = make_results(
        "single",
        counts,
        n=20,
        hidden={"calm", "close"},
        shown_as={"calm": "all but a few", "close": "fewer than 5"},
        options=FEELINGS[:3],
    )
    figure = charts.room_chart(results)
    assert bar_labelled(figure, "Calm") == "hidden: all but a few"
    assert not has_number(all_text(figure), 18) and not has_number(all_text(figure), 2)
    assert len(hatched_bars(figure)) == 2


def test_hidden_cells_as_the_privacy_layer_sends_them():
    results = multi_results()
    results["count"] = results["count"].astype("Int64")
    results.loc[results["hidden"], ["count", "share"]] = [pd.NA, float("nan")]
    results.attrs["n"] = results["count"].dtype.numpy_dtype.type(22)  # a numpy integer
    figure = charts.room_chart(results)
    assert "hidden: fewer than 5" in bar_labelled(figure, "Tearful")
    assert "| Tearful | hidden (fewer than 5) | hidden |" in charts.results_markdown(results)


def test_prefer_not_to_say_is_set_apart_in_grey():
    figure = charts.room_chart(multi_results())
    ax = chart_axes(figure)
    positions = [t.get_position()[1] for t in ax.get_yticklabels()]
    gaps = [b - a for a, b in zip(positions, positions[1:])]
    assert gaps[-1] > max(gaps[:-1])  # a wider gap before the last row
    prefer_tick = ax.get_yticklabels()[-1]
    assert prefer_tick.get_text() == "Prefer not to say"
    assert prefer_tick.get_color() == charts.NEUTRAL_GREY
    bar_colours = {p.get_facecolor()[:3] for p in ax.patches if not p.get_hatch()}
    grey = tuple(int(charts.NEUTRAL_GREY[i : i + 2], 16) / 255 for i in (1, 3, 5))
    assert any(colour == pytest.approx(grey) for colour in bar_colours)


def test_estimates_are_drawn_with_intervals_and_a_note():
    figure = charts.room_chart(randomized_results())
    ax = chart_axes(figure)
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 2
    assert any(isinstance(c, LineCollection) for c in ax.collections)
    yes = bar_labelled(figure, "Yes")
    assert "31%" in yes and "12%" in yes and "50%" in yes
    assert "42%" not in all_text(figure)  # the raw, randomized 10 of 24 is not the answer
    assert "estimate" in all_text(figure).lower()
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
    assert sorted(round(b.get_width(), 2) for b in bars) == [0.31, 0.69]


def test_room_vs_research_caption_cites_each_figure():
    figure = charts.room_vs_research(randomized_results(), REFERENCE, room_option="yes")
    words = all_words(figure)
    for study in REFERENCE:
        assert study["study"] in words and str(study["year"]) in words
        assert study["sample"] in words
        assert study["measure"] in words
        # the link is in the text version (and lesson 05's references), keeping the slide's text large
        assert study["doi_or_url"] in charts.research_markdown(randomized_results(), REFERENCE, room_option="yes")
    assert "samples and measures differ" in words
    assert "46%" in words and "20%" in words
    assert "n = 24" in figure.get_suptitle()
    assert any(isinstance(c, ErrorbarContainer) for c in chart_axes(figure).containers)


def test_room_vs_research_hidden_room_cell():
    figure = charts.room_vs_research(multi_results(), REFERENCE[:1], room_option="tearful")
    words = all_text(figure)
    assert "fewer than 5" in words
    assert not has_number(words.replace("n = 230", ""), LEAKED_COUNT)
    assert len(hatched_bars(figure)) == 1


PCD_OPTIONS = [("yes", "Yes"), ("no", "No"), ("does_not_apply", "Doesn't apply to me"), PREFER]


def pcd_results(counts, hidden=(), shown_as=None):
    """Lesson 03's pcd_ever as a room answers it: Yes, No, "Doesn't apply to me", "Prefer not to say"."""
    return make_results(
        "single",
        counts,
        n=sum(counts.values()),
        hidden=hidden,
        shown_as=shown_as,
        options=PCD_OPTIONS,
        text="Have you ever felt unexplained tearfulness, sadness or irritability after consensual sex?",
        question_id="pcd_ever",
    )


def test_room_vs_research_counts_only_those_who_answered_yes_or_no():
    """Issue 17: the studies counted only people who had had sex, so the room's share is Yes / (Yes + No).
    Dividing by every answer gave 7 of 29 = 24% where 7 of 18 = 39% is the comparable figure."""
    results = pcd_results({"yes": 7, "no": 11, "does_not_apply": 6, "prefer_not_to_say": 5})
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    room_label = "This room: of the 18 who answered “Yes” or “No”"
    assert bar_labelled(figure, charts._wrap(room_label, 24)) == "39%"
    words = all_words(figure)
    assert room_label in words  # whom it counts, on the bar; what it leaves out, in the text version
    assert "24%" not in words and "n = 29 answers" in figure.get_suptitle()
    text = charts.research_markdown(results, REFERENCE, room_option="yes")
    assert f"| {room_label} | 39% |" in text
    assert "| [1] Example et al. (2015) | 46% |" in text
    assert "leaves out “Doesn't apply to me” and “Prefer not to say”" in text and "24%" not in text


@pytest.mark.parametrize("hidden_answer", ["yes", "no"])
def test_room_vs_research_never_computes_a_share_from_a_hidden_yes_or_no(hidden_answer):
    """A hidden Yes or No stays hidden: 8 / (8 + 3) or 3 / (3 + 8) would give its count away."""
    counts = {"yes": 8, "no": 8, "does_not_apply": 6, "prefer_not_to_say": 6}
    counts[hidden_answer] = LEAKED_COUNT
    results = pcd_results(counts, hidden={hidden_answer, "prefer_not_to_say"})
    label = dict(PCD_OPTIONS)[hidden_answer]
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    words = all_words(figure)
    assert bar_labelled(figure, charts._wrap("This room: of those who answered “Yes” or “No”", 24)) == "hidden"
    assert len(hatched_bars(figure)) == 1
    assert f"hidden (hatched) to protect privacy: it would need the number who answered “{label}” (fewer than 5)" in (
        words
    )
    text = charts.research_markdown(results, REFERENCE, room_option="yes")
    assert "| This room: of those who answered “Yes” or “No” | hidden |" in text
    for shown in (words, text):
        for leak in ("27%", "73%", "11"):  # 3 of 11, 8 of 11, 8 + 3
            assert leak not in shown
        assert not has_number(shown, LEAKED_COUNT)


def test_room_vs_research_a_hidden_outside_answer_leaves_the_share_alone():
    """ "Prefer not to say" hidden (fewer than 5) takes nothing from Yes / (Yes + No), which never uses it."""
    results = pcd_results(
        {"yes": 7, "no": 11, "does_not_apply": 0, "prefer_not_to_say": LEAKED_COUNT}, hidden={"prefer_not_to_say"}
    )
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    assert bar_labelled(figure, charts._wrap("This room: of the 18 who answered “Yes” or “No”", 24)) == "39%"
    assert not hatched_bars(figure)


def test_room_vs_research_in_spanish_says_whom_it_counts():
    results = pcd_results({"yes": 7, "no": 11, "does_not_apply": 6, "prefer_not_to_say": 5})
    spanish = dict(yes="Sí", no="No", does_not_apply="No se aplica a mi caso", prefer_not_to_say="Prefiero no decirlo")
    results["label"] = results["option"].map(spanish)
    results.attrs["language"] = "es"
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    room_label = "Esta sala: de las 18 que respondieron “Sí” o “No”"
    assert bar_labelled(figure, charts._wrap(room_label, 24)) == "39%"
    words = all_words(figure)
    assert "This room" not in words and "leaves out" not in words
    text = charts.research_markdown(results, REFERENCE, room_option="yes")
    assert "deja fuera “No se aplica a mi caso” y “Prefiero no decirlo”" in " ".join(text.split())
    assert f"| {room_label} | 39% |" in text and "| Grupo | Porcentaje |" in text
    results.loc[results["option"] == "no", "hidden"] = True
    results.loc[results["option"] == "no", "shown_as"] = charts.cell_text("fewer_than", None, None, 5, "es")
    words = all_words(charts.room_vs_research(results, REFERENCE, room_option="yes"))
    assert "está oculta (rayada) para proteger la privacidad" in words and "“No” (menos de 5)" in words


def test_room_vs_research_randomized_yes_no_is_already_out_of_yes_or_no():
    """The phones' "Prefer not to say" is a skip, outside the n the estimate is of: the estimate is kept."""
    figure = charts.room_vs_research(randomized_results(), REFERENCE, room_option="yes")
    assert bar_labelled(figure, charts._wrap("This room: of the 24 who answered “Yes” or “No”", 24)) == "≈31% (12%–50%)"
    text = charts.research_markdown(randomized_results(), REFERENCE, room_option="yes")
    assert "| This room: of the 24 who answered “Yes” or “No” | about 31% (95% interval 12% to 50%) |" in text


def private_pcd_results(counts=None):
    """Lesson 03's pcd_ever_private as the server hands it over: a randomized single choice whose phones
    swapped "Doesn't apply to me" with Yes and No (eps = 1.9); "Prefer not to say" was kept as a skip."""
    counts = counts or {"yes": 9, "no": 15, "does_not_apply": 6}
    estimates = {"yes": (0.28, 0.08, 0.56), "no": (0.59, 0.33, 0.85), "does_not_apply": (0.13, 0.0, 0.39)}
    results = make_results(
        "single",
        counts,
        n=sum(counts.values()),
        options=PCD_OPTIONS[:3],
        estimates=estimates,
        text="Have you ever felt unexplained tearfulness, sadness or irritability after consensual sex with a partner?",
        question_id="pcd_ever_private",
    )
    results.attrs["epsilon"] = 1.9
    return results


def test_room_vs_research_randomized_with_doesnt_apply_estimates_yes_out_of_yes_or_no():
    """Issue 17: the extra-private poll offers "Doesn't apply to me" too. Its share is estimated as
    f_yes / (f_yes + f_no) = 32% (privacy.grr_share_among, worked by hand in test_privacy_estimators), not
    the 28% of everyone, with the wider range of a ratio of two estimates."""
    figure = charts.room_vs_research(private_pcd_results(), REFERENCE, room_option="yes")
    room_label = "This room: of those who answered “Yes” or “No”"
    assert bar_labelled(figure, charts._wrap(room_label, 24)) == "≈32% (6%–67%)"
    words = all_words(figure)
    assert "one estimate divided by another" in words and "not shown" not in words
    assert "28%" not in texts(figure)
    text = charts.research_markdown(private_pcd_results(), REFERENCE, room_option="yes")
    assert f"| {room_label} | about 32% (95% interval 6% to 67%) |" in text
    assert "leaves out “Doesn't apply to me”: like the studies" in " ".join(text.split())


def test_room_vs_research_randomized_without_its_counts_says_it_cannot():
    """A frame without the phones' randomized counts (made by hand) has nothing to work the share out from."""
    results = private_pcd_results()
    results["count"] = None
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    assert "cannot be taken out of the estimate" in all_words(figure) and "32%" not in all_words(figure)


def test_room_vs_research_multi_select_leaves_out_prefer_not_to_say():
    """Multi-select: "Prefer not to say" stands alone, so the people who chose a feeling are n minus them."""
    figure = charts.room_vs_research(multi_results(), REFERENCE, room_option="calm")
    label = "This room: of the 17 who chose an answer other than “Prefer not to say”"
    assert bar_labelled(figure, charts._wrap(label, 24)) == "82%"  # 14 of 22 - 5


def test_room_vs_research_when_no_one_answered_yes_or_no():
    results = pcd_results({"yes": 0, "no": 0, "does_not_apply": 6, "prefer_not_to_say": 6})
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    assert "No one here answered “Yes” or “No”, so this room has no share to compare." in all_words(figure)
    assert "0%" not in texts(figure)


def test_room_vs_research_refuses_an_answer_outside_the_question():
    results = pcd_results({"yes": 7, "no": 11, "does_not_apply": 6, "prefer_not_to_say": 5})
    with pytest.raises(ValueError, match="not an answer to the question itself"):
        charts.room_vs_research(results, REFERENCE, room_option="does_not_apply")


def test_room_vs_research_withheld_says_why():
    results = pcd_results({"yes": 2, "no": 1, "does_not_apply": 0, "prefer_not_to_say": 0}, hidden={"yes", "no"})
    results.attrs.update(withheld="too_few_answers", min_answers=5)
    figure = charts.room_vs_research(results, REFERENCE, room_option="yes")
    assert "Too few answers to show safely" in all_words(figure) and not hatched_bars(figure)
    assert "Too few answers to show safely" in charts.research_markdown(results, REFERENCE, room_option="yes")


def test_before_after_shows_both_sides_per_option():
    before = scale_results({"1": 5, "2": 7, "3": 5, "4": 0, "5": 0, "prefer_not_to_say": 0})
    figure = charts.before_after(before, scale_results())
    ax = chart_axes(figure)
    values = [a.get_text() for a in ax.texts]
    assert "41%" in values and "30%" in values  # 7 of 17 before, 7 of 23 after
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Before (n = 17)", "After (n = 23)"]
    assert "n = 17" in figure.get_suptitle() and "n = 23" in figure.get_suptitle()


def test_no_answers_yet_instead_of_an_error():
    for figure in (
        charts.room_chart(make_results("single", {}, n=0)),
        charts.room_chart(make_results("multi", {"calm": 0}, n=0)),
        charts.room_vs_research(
            make_results("yesno", {"yes": 0, "no": 0}, n=0, options=[("yes", "Yes"), ("no", "No")]), REFERENCE, "yes"
        ),
        charts.before_after(scale_results({"1": 0}, n=0), scale_results({"1": 0}, n=0)),
    ):
        assert "No answers yet" in all_text(figure)
        assert "n = 0" in figure.get_suptitle()


def test_before_after_with_only_one_side_answered():
    figure = charts.before_after(
        scale_results(), scale_results({o: 0 for o in ("1", "2", "3", "4", "5", "prefer_not_to_say")}, n=0)
    )
    legend = [t.get_text() for t in chart_axes(figure).get_legend().get_texts()]
    assert legend == ["Before (n = 23)", "After: no answers yet"]


# ---------------------------------------------------------------------------------------------
# The text alternative


def test_markdown_has_question_n_and_a_table():
    text = charts.results_markdown(single_results())
    assert "Which feeling was strongest afterwards?" in text
    assert "n = 20" in text
    assert "| Option | Share | Count |" in text
    assert "| Calm | 45% | 9 |" in text
    assert text.strip().splitlines()[-1] == "| Prefer not to say | 0% | 0 |"


def test_markdown_never_shows_hidden_counts():
    text = charts.results_markdown(multi_results())
    assert "| Tearful | hidden (fewer than 5) | hidden |" in text
    assert not has_number(text, LEAKED_COUNT)
    assert "14%" not in text


def test_markdown_shows_estimates_with_their_interval():
    text = charts.results_markdown(randomized_results())
    assert "| Yes | about 31% (95% interval 12% to 50%) | – |" in text
    assert "| 10 |" not in text  # randomized raw counts are not people
    assert "Estimates" in text


def test_markdown_with_no_answers():
    text = charts.results_markdown(make_results("single", {}, n=0))
    assert "No answers yet." in text and "|" not in text


def test_markdown_escapes_pipes_in_labels():
    results = single_results()
    results.loc[0, "label"] = "Calm | relaxed"
    assert "| Calm \\| relaxed | 45% | 9 |" in charts.results_markdown(results)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("function", [charts.room_chart, charts.results_markdown])
def test_missing_columns_are_named(function):
    results = single_results().drop(columns=["hidden", "shown_as"])
    with pytest.raises(ValueError, match="hidden, shown_as"):
        function(results)


def test_unknown_kind_is_rejected():
    results = single_results()
    results.attrs["kind"] = "ranking"
    with pytest.raises(ValueError, match="unknown question kind 'ranking'"):
        charts.room_chart(results)


def test_randomized_without_estimates_is_rejected():
    results = single_results()
    results.attrs["privacy"] = "randomized"
    with pytest.raises(ValueError, match="estimate"):
        charts.room_chart(results)


def test_not_a_dataframe_is_rejected():
    with pytest.raises(ValueError, match="DataFrame"):
        charts.room_chart({"option": ["calm"]})


def test_bad_n_is_rejected():
    results = single_results()
    del results.attrs["n"]
    with pytest.raises(ValueError, match="attrs\\['n'\\]"):
        charts.room_chart(results)


def test_empty_reference_is_rejected():
    with pytest.raises(ValueError, match="non-empty list"):
        charts.room_vs_research(randomized_results(), [], "yes")


def test_reference_missing_fields_or_percent_figures_are_rejected():
    incomplete = [{k: v for k, v in REFERENCE[0].items() if k != "measure"}]
    with pytest.raises(ValueError, match="missing measure"):
        charts.room_vs_research(randomized_results(), incomplete, "yes")
    as_percent = [dict(REFERENCE[0], figure=46)]
    with pytest.raises(ValueError, match="0.46"):
        charts.room_vs_research(randomized_results(), as_percent, "yes")


def test_unknown_room_option_is_rejected():
    with pytest.raises(ValueError, match="unknown room_option 'maybe'"):
        charts.room_vs_research(randomized_results(), REFERENCE, "maybe")


def test_before_after_must_match_options():
    with pytest.raises(ValueError, match="same options"):
        charts.before_after(scale_results(), single_results())


def many_options(count: int):
    return [(f"option_{index}", f"A longer label, {chr(65 + index)}") for index in range(count)]


def smallest_text_on_a_slide(height_inches: float) -> float:
    """Pixels of a chart's smallest text once the poll panel shows it on a 1280x720 slide: the picture
    at SCREEN_DPI, within the slide's width (about 1180 px) and the panel's height for a revealed chart."""
    vh = float(panel.REVEALED_IMAGE_MAX_HEIGHT.removesuffix("vh")) / 100
    natural = (charts.FIGURE_WIDTH * charts.SCREEN_DPI, height_inches * charts.SCREEN_DPI)
    scale = min(1.0, 1180 / natural[0], vh * 720 / natural[1])
    return charts.SMALLEST_TEXT_SIZE * charts.SCREEN_DPI / 72 * scale


def test_a_long_list_of_options_goes_into_two_columns_and_keeps_the_slide_shape():
    """The projector issue: a 14-option chart was taller than the screen, so the projector shrank it and
    its text. Past MAX_ROWS_IN_ONE_COLUMN options, two columns side by side on one scale, 16:9, each
    option once, labels no smaller than the floor, and still no hidden count anywhere."""
    options = many_options(13) + [PREFER]
    counts = {option: 3 + index for index, (option, _) in enumerate(options)}
    counts["option_4"] = LEAKED_COUNT
    results = make_results("multi", counts, n=40, hidden={"option_4"}, options=options)
    figure = charts.room_chart(results)
    width, height = figure.get_size_inches()
    # Shown under its question on a 1280x720 slide, its smallest text stays readable (tests/projector.py
    # measures the same on real slides); in one column, 14 rows of labels would shrink it to 13 px.
    assert width == charts.FIGURE_WIDTH and smallest_text_on_a_slide(height) >= 18
    columns = [ax for ax in figure.axes if ax.axison]
    assert len(columns) == 2 and columns[0].get_position().x1 <= columns[1].get_position().x0
    assert columns[0].get_xlim() == columns[1].get_xlim()  # one scale for both
    labels = [label.get_text().replace("\n", " ") for ax in columns for label in ax.get_yticklabels()]
    assert sorted(labels) == sorted(label for _, label in options)
    assert {label.get_fontsize() for ax in columns for label in ax.get_yticklabels()} == {charts.SMALL_LABEL_SIZE}
    assert not has_number(all_text(figure), LEAKED_COUNT)


def test_a_short_list_stays_in_one_column():
    figure = charts.room_chart(multi_results())
    assert len([ax for ax in figure.axes if ax.axison]) == 1


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #RRGGBB colour: what is left of it in greyscale."""
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (charts.ROOM_COLOUR, charts.RESEARCH_COLOUR),  # side by side in the room-vs-research chart
        (charts.BEFORE_COLOUR, charts.AFTER_COLOUR),  # side by side in before/after
    ],
)
def test_colours_shown_side_by_side_stay_apart_in_greyscale(first, second):
    """A black-and-white projector or handout, or a viewer who sees no hue: the two colours that share
    a chart still differ in lightness (contrast ratio at least 2:1), beside the numbers every bar carries."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 2


# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", IEEE TVCG 15(6): the full-severity matrices, applied to linear RGB.
COLOUR_BLINDNESS = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
MIN_DELTA_E = 20  # CIE76: two large flat patches this far apart are told apart at a glance


def linear_rgb(colour: str) -> list[float]:
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def lab(rgb: list[float]) -> tuple[float, float, float]:
    """CIELAB (D65) of a linear-RGB colour, each channel clipped to what a screen can show."""
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def seen_with(deficiency: str, colour: str) -> tuple[float, float, float]:
    rgb = linear_rgb(colour)
    return lab([sum(m * c for m, c in zip(row, rgb)) for row in COLOUR_BLINDNESS[deficiency]])


@pytest.mark.parametrize("deficiency", sorted(COLOUR_BLINDNESS))
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (charts.ROOM_COLOUR, charts.RESEARCH_COLOUR),
        (charts.BEFORE_COLOUR, charts.AFTER_COLOUR),
        (charts.ROOM_COLOUR, charts.NEUTRAL_GREY),  # a feeling beside "prefer not to say"
    ],
)
def test_colours_shown_side_by_side_stay_apart_for_colour_blind_viewers(deficiency, first, second):
    """About 1 man in 12 sees colour differently: the colours that share a chart stay far apart (CIE76
    colour difference) when seen without red, green or blue cones, simulated as Machado et al. (2009) do."""
    difference = math.dist(seen_with(deficiency, first), seen_with(deficiency, second))
    assert difference >= MIN_DELTA_E, f"{first} and {second} are {difference:.1f} apart with {deficiency}"


def test_the_colour_blindness_check_catches_a_red_and_olive_pair():
    """The simulation does what it claims: a red and an olive far apart in full colour vision (about 86)
    come within MIN_DELTA_E without green cones, so a chart using them would fail the test above."""
    red, olive = "#FF0000", "#9C8A00"
    assert math.dist(lab(linear_rgb(red)), lab(linear_rgb(olive))) > 80
    assert math.dist(seen_with("deuteranopia", red), seen_with("deuteranopia", olive)) < MIN_DELTA_E


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_shipped_citation_fits_the_slide_in_each_language(language):
    """Each study's caption line ("Sample: ... Measure: ... https://doi.org/...") of the figures in
    data/reference, three to a chart as lesson 03 shows them, wraps inside the slide, in English and in
    Spanish, whose lines run longer (at the old 110 characters a line, the longest ran off its edge)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from aftertalk.kit.reference import load_reference, reference_rows

    results = pcd_results({"yes": 7, "no": 11, "does_not_apply": 6, "prefer_not_to_say": 5})
    results.attrs["language"] = language
    ids = list(load_reference().index)
    for start in range(0, len(ids), 3):
        figure = charts.room_vs_research(results, reference_rows(ids[start : start + 3]), room_option="yes")
        canvas = FigureCanvasAgg(figure)
        canvas.draw()  # the constrained layout places the text when drawn
        renderer = canvas.get_renderer()
        for text in figure.findobj(Text):
            if text.get_visible() and text.get_text():
                box = text.get_window_extent(renderer)
                assert 0 <= box.x0 and box.x1 <= figure.bbox.x1, f"off the slide: {text.get_text()[:60]!r}"


def bank_charts(language: str, kinds: tuple[str, ...]):
    """(question, the chart a slide shows after its reveal) for each shipped question of these kinds, in
    `language`, with 6 answers on every option."""
    from aftertalk import load_questions

    for question in load_questions().values():
        if question.kind not in kinds:
            continue
        shown = question.translated(language)
        options = [(option.id, option.label) for option in shown.all_options]
        results = make_results(question.kind, {option: 6 for option, _ in options}, n=30, options=options)
        results.attrs["language"] = language
        yield question, charts.room_chart(results, titled=False)


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_option_label_runs_into_the_next_on_any_bank_chart(language):
    """Long labels wrap onto several lines; each row is made tall enough for its wrapped label, so no two
    labels of a shipped question's chart overlap, in English or in Spanish."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for question, figure in bank_charts(language, ("single", "multi", "yesno")):
        renderer = FigureCanvasAgg(figure).get_renderer()
        for ax in figure.axes:
            boxes = sorted(
                (label.get_window_extent(renderer) for label in ax.get_yticklabels() if label.get_text()),
                key=lambda box: -box.y1,
            )
            for upper, lower in zip(boxes, boxes[1:]):
                assert lower.y1 <= upper.y0 + 1, (question.id, language)


# The room's screen as the projector test measured it in Chromium: on a 1280x720 slide a revealed chart
# is at most 1,106 px wide (16 pt labels drawn at 24 px) and at most REVEALED_IMAGE_MAX_HEIGHT tall.
SLIDE_CHART_WIDTH_PX = 1106


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_bank_chart_keeps_its_text_readable_on_the_slide_in_each_language(language):
    """The projector test measures the English lessons' charts on the slide; a Spanish room's charts are
    only drawn there. Longer labels wrap onto more lines, the figure grows taller and the slide shrinks it:
    `quiet_partner_why`'s Spanish labels drew its text at about 16 px. From each figure's size, every
    bank chart's smallest text is at least 18 px on a 1280x720 slide, in English and in Spanish."""
    from projector import MIN_CHART_TEXT_PX, SIZES

    slide_height = SIZES["1280x720"][1]
    max_height = float(panel.REVEALED_IMAGE_MAX_HEIGHT.removesuffix("vh")) / 100 * slide_height
    for question, figure in bank_charts(language, ("single", "multi", "yesno", "scale")):
        width, height = (inches * charts.SCREEN_DPI for inches in figure.get_size_inches())
        scale = min(1.0, SLIDE_CHART_WIDTH_PX / width, max_height / height)
        drawn = charts.smallest_text_size(figure) * charts.SCREEN_DPI / 72 * scale
        assert drawn >= MIN_CHART_TEXT_PX, (question.id, language, round(drawn, 1))
