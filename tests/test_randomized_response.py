"""Randomized response end to end: the phone scrambles, the server estimates, nobody is exposed."""

import json
import math

import pytest
from playwright.sync_api import expect
from test_browser_phone import PHONE, THANKS, browser, phone_without_js, room_url  # noqa: F401 (fixtures)

import aftertalk
from aftertalk import Question, QuestionError
from aftertalk.server.base import ANSWER_BODY_BYTES
from conftest import Phone, answer_many, call, shown_counts

FORCED = Question.from_dict(
    {"id": "pcd_private", "text": "Ever felt unexplained sadness after sex?", "kind": "yesno", "privacy": "randomized"}
)
FEELINGS = Question.from_dict(
    {
        "id": "feelings_private",
        "text": "Which have you felt?",
        "kind": "multi",
        "privacy": "randomized",
        "options": [
            {"id": "calm", "label": "Calm"},
            {"id": "sad", "label": "Sad"},
            {"id": "none", "label": "None of these", "exclusive": True},
        ],
    }
)


# Replaces the phone's random source before the page's scripts run, so every coin comes up `word` / 2^32.
FIXED_COINS = "window.crypto.getRandomValues = function (words) { words.fill(%d); return words; };"


@pytest.mark.parametrize("word, sent", [(0, "yes"), (2**32 - 1, "no")], ids=["swapped", "kept"])
def test_the_phone_randomizes_the_answer_before_it_is_sent(browser, server, room, word, sent):
    """The phone's coins decide what leaves it: coins that force a "yes" send a person's "No" as "yes",
    coins that keep the truth send it as "no". How often each happens is the randomizer's rule, tested in
    tests/test_randomizer_js.py against the same probabilities as Python's."""
    room.open(FORCED)
    context = browser.new_context(**PHONE)
    context.add_init_script(FIXED_COINS % word)
    page = context.new_page()
    bodies = sent_bodies(page)
    page.goto(room_url(server, room))
    page.get_by_text("No", exact=True).click()
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_text(THANKS)).to_be_visible()
    context.close()
    assert [json.loads(body)["options"] for body in bodies] == [[sent]]
    answer_many(server, room.code, "pcd_private", {"yes": 5, "no": 4})  # estimates show from 10 answers
    assert shown_counts(room, "pcd_private") == {"yes": 5 + (sent == "yes"), "no": 4 + (sent == "no")}


def sent_bodies(page):
    bodies = []
    page.on("request", lambda request: bodies.append(request.post_data_buffer) if request.method == "POST" else None)
    return bodies


@pytest.mark.parametrize("choice", ["Yes", "No"])
def test_every_answer_is_the_same_size_and_explained(browser, server, room, choice):
    room.open(FORCED)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    bodies = sent_bodies(page)
    page.goto(room_url(server, room))
    expect(page.get_by_text("Your phone swaps about 1 answer in 4 for a random one")).to_be_visible()
    page.get_by_text(choice, exact=True).click()
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_text(THANKS)).to_be_visible()
    assert [len(body) for body in bodies] == [ANSWER_BODY_BYTES]
    context.close()


def test_a_resent_answer_reuses_the_same_randomized_answer(browser, server, room):
    room.open(FEELINGS)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    bodies = sent_bodies(page)
    page.route("**/answer", lambda route: route.abort())  # the Wi-Fi drops on the first try
    page.goto(room_url(server, room))
    page.get_by_text("Calm").click()
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_role("alert")).to_contain_text("No connection")
    page.unroute("**/answer")
    page.get_by_role("button", name="Send anonymously").click()
    expect(page.get_by_text(THANKS)).to_be_visible()
    first, second = (body.strip() for body in bodies)
    assert first == second
    context.close()


def test_without_javascript_a_randomized_question_offers_only_skip(server, room, phone_without_js):
    room.open(FORCED)
    phone_without_js.goto(room_url(server, room))
    expect(phone_without_js.get_by_text("This question needs JavaScript")).to_be_visible()
    expect(phone_without_js.get_by_role("button", name="Send anonymously")).to_be_hidden()
    phone_without_js.get_by_role("button", name="Skip this question").click()
    expect(phone_without_js.get_by_text("The facilitator will open a question")).to_be_visible()
    status, page = call(
        server,
        "POST",
        f"/r/{room.code}/answer",
        raw=b"question=pcd_private&option=yes",
        content_type="application/x-www-form-urlencoded",
        headers={"Cookie": "aftertalk_device=no-script-phone-000001"},
    )
    assert status == 400 and "needs JavaScript" in page
    assert room.count("pcd_private") == 0


def test_the_facilitator_gets_estimates_intervals_and_epsilon(server, room):
    room.open(FORCED)
    answer_many(server, room.code, "pcd_private", {"yes": 12, "no": 28})
    room.reveal("pcd_private")
    results = room.results("pcd_private").set_index("option")
    # By hand (privacy.md): lambda = 12/40 = 0.3; pi_hat = (0.3 - 0.125) / 0.75 = 0.2333
    assert results.loc["yes", "estimate"] == pytest.approx(0.2333, abs=1e-4)
    assert results.loc["no", "estimate"] == pytest.approx(1 - 0.2333, abs=1e-4)
    assert results.loc["yes", "low"] < 0.2333 < results.loc["yes", "high"]
    assert results.attrs["epsilon"] == pytest.approx(math.log(7))


def test_multi_select_reports_the_bound_for_the_whole_answer(server, room):
    room.open(FEELINGS)
    answer_many(server, room.code, "feelings_private", {("calm", "sad"): 6, "none": 5})
    # A randomized multi-select answer may tick nothing at all; it still counts.
    assert Phone(server, room.code, "empty").answer("feelings_private", [])[0] == 200
    room.reveal("feelings_private")
    results = room.results("feelings_private")
    assert results.attrs["epsilon"] == pytest.approx(1.5)
    assert results.attrs["answer_epsilon"] == pytest.approx(3 * 1.5)
    assert results.attrs["n"] == 12 and results["estimate"].notna().sum() == 3


def test_no_estimate_below_ten_answers(server, room):
    room.open(FORCED)
    answer_many(server, room.code, "pcd_private", {"yes": 4, "no": 5})
    room.reveal("pcd_private")
    results = room.results("pcd_private")
    assert results["hidden"].all() and results["estimate"].isna().all() and results["count"].isna().all()


@pytest.mark.parametrize(
    "randomization, message",
    [
        ({"p_yes": 0}, "p_yes is 0"),
        ({"p_yes": 0.2, "p_no": 0}, "p_no is 0"),
        ({"p_yes": 0.6, "p_no": 0.5}, "below 1"),
    ],
)
def test_a_forced_design_that_could_give_someone_away_is_refused(randomization, message):
    with pytest.raises(QuestionError, match=rf"randomization.*question 'pcd_private'.*{message}"):
        Question.from_dict({**FORCED.to_dict(), "randomization": randomization})


@pytest.mark.parametrize("kind, epsilon", [("multi", 0), ("multi", -1.5)])
def test_epsilon_must_be_positive(kind, epsilon):
    with pytest.raises(QuestionError, match="question 'feelings_private'.*epsilon"):
        Question.from_dict({**FEELINGS.to_dict(), "randomization": {"epsilon": epsilon}})


def test_randomization_settings_need_a_randomized_question():
    with pytest.raises(QuestionError, match="only a question with privacy: randomized"):
        Question.from_dict({"id": "q", "text": "Q?", "kind": "yesno", "randomization": {"p_yes": 0.1}})


# --- the range a design must stay in, and what the phone says about it ----------------------------

SINGLE = Question.from_dict(
    {
        "id": "feeling_private",
        "text": "How did you feel after?",
        "kind": "single",
        "privacy": "randomized",
        "options": [
            {"id": "calm", "label": "Calm"},
            {"id": "sad", "label": "Sad"},
            {"id": "restless", "label": "Restless"},
        ],
    }
)


@pytest.mark.parametrize(
    "question, randomization, setting",
    [
        (SINGLE, {"epsilon": 40}, "epsilon"),  # the phone would (in floating point) never swap
        (SINGLE, {"epsilon": 3.01}, "epsilon"),
        (FORCED, {"p_yes": 1e-12}, "p_yes"),  # a "yes" would be the person's own, 10^11 to 1
        (FORCED, {"p_no": 0.01}, "p_no"),
        (FEELINGS, {"epsilon": 2.5}, "epsilon"),  # every box kept 12 times in 13
    ],
)
def test_a_design_that_almost_never_randomizes_is_refused(question, randomization, setting):
    with pytest.raises(
        QuestionError,
        match=rf"field 'randomization.{setting}': question '{question.id}': "
        rf"{setting} is .*at most (epsilon )?[23]",
    ):
        Question.from_dict({**question.to_dict(), "randomization": randomization})


@pytest.mark.parametrize(
    "question, randomization",
    [
        (SINGLE, {"epsilon": 3}),
        (FORCED, {"p_yes": 0.05, "p_no": 0.05}),
        (FEELINGS, {"epsilon": 2}),
        (SINGLE, {"epsilon": 0.5}),
        (FORCED, {"p_yes": 0.3, "p_no": 0.3}),
    ],
)
def test_a_design_inside_the_range_is_accepted(question, randomization):
    assert Question.from_dict({**question.to_dict(), "randomization": randomization}).design()


def test_the_server_refuses_an_out_of_range_design_with_a_400_naming_the_setting(server, room):
    status, body = call(
        server,
        "POST",
        f"/api/rooms/{room.code}/questions",
        token=room._token,
        body={**SINGLE.to_dict(), "randomization": {"epsilon": 40}},
    )
    assert status == 400 and "randomization.epsilon" in body["error"] and "at most 3" in body["error"], body
    assert room.status()["questions"] == []


def test_every_randomized_question_in_the_bank_is_inside_the_range():
    from aftertalk.privacy import check_design_bounds

    randomized = [q for q in aftertalk.load_questions().values() if q.design()]
    assert randomized, "the bank has no randomized question to check"
    for question in randomized:
        check_design_bounds(question.design(), question_id=question.id)


@pytest.mark.parametrize(
    "question, randomization, english, spanish",
    [
        (FORCED, {}, "swaps about 1 answer in 4 for", "cambia más o menos 1 respuesta de cada 4"),  # p_yes + p_no
        (FORCED, {"p_yes": 0.05, "p_no": 0.05}, "about 1 answer in 10 for", "1 respuesta de cada 10"),
        (SINGLE, {}, "about 1 answer in 11 for", "1 respuesta de cada 11"),  # 1 - p = 2 / (e^3 + 2)
        (FEELINGS, {}, "flips about 1 box in 5 at random", "1 casilla de cada 5"),  # q = 1 / (e^1.5 + 1)
    ],
)
def test_the_phone_says_how_often_its_answer_is_swapped(server, room, question, randomization, english, spanish):
    room.open(Question.from_dict({**question.to_dict(), "randomization": randomization}))
    for language, sentence in (("en", english), ("es", spanish)):
        status, page = call(
            server,
            "GET",
            f"/r/{room.code}?lang={language}",
            headers={"Cookie": "aftertalk_device=reads-the-sentence-0001"},
        )
        assert status == 200 and sentence in page, page[page.find('id="randomized-note"') :][:300]


def test_lesson_03s_private_poll_offers_doesnt_apply_and_compares_yes_out_of_yes_or_no(server, room):
    """Issue 17: pcd_ever_private, like pcd_ever, lets someone whose only sex is solo say "Doesn't apply
    to me"; the phones randomize it with Yes and No, and the comparison with research estimates Yes out
    of Yes or No (32%, by hand in test_privacy_estimators), not Yes out of everyone (28%)."""
    question = aftertalk.load_questions()["pcd_ever_private"]
    assert [o.id for o in question.all_options] == ["yes", "no", "does_not_apply", "prefer_not_to_say"]
    assert "with a partner" in question.text and "con alguien" in question.translations["es"]["text"]
    room.open(question)
    answer_many(server, room.code, question.id, {"yes": 9, "no": 15, "does_not_apply": 6})
    room.reveal(question.id)
    figure = room.compare_with_research(question.id, option="yes", references=["bird2011_lifetime"])
    words = " ".join(" ".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))).split())
    assert "This room: of those who answered “Yes” or “No”" in words
    assert "≈32% (6%–67%)" in words and "≈28%" not in words
    # whom the share leaves out: on the chart the bar's label, in the text version a line of its own
    from aftertalk.kit.reference import reference_rows
    from aftertalk.notebook.charts import research_markdown

    text = research_markdown(room.results(question.id), reference_rows(["bird2011_lifetime"]), room_option="yes")
    assert "leaves out “Doesn't apply to me”" in " ".join(text.split())
