"""One-word check-ins against a reader who does the arithmetic (issue 13, points 4 and 5).

Over HTTP with a real server: nothing about the words while the poll is open, moderation only between
close and reveal and only over words that pass the room's threshold, a hide request that answers the
same whether anyone typed the word, and the room's threshold k governing what shows. The rule itself
(`privacy.shown_words`) is checked by enumeration.
"""

from __future__ import annotations

import json

import pytest

from aftertalk import Question, Room, privacy
from aftertalk.notebook import charts
from aftertalk.notebook.panel import PollPanel
from conftest import call

CHECK_IN = Question.from_dict(
    {"id": "one_word", "text": "One word for how you feel right now?", "kind": "word", "max_length": 20}
)
SINGLES = ["alone", "open", "sleepy", "curious", "nervous", "hopeful", "shy", "warm", "fine", "meh"]


def room_with_threshold(server, threshold: int) -> Room:
    status, created = call(
        server, "POST", "/api/rooms", token=server.info["admin_token"], body={"threshold": threshold}
    )
    assert status == 201, created
    return Room(api_url=server.url, code=created["code"], token=created["token"], join_url=created["join_url"])


def send_words(server, room: Room, counts: dict[str, int]) -> None:
    for index, (word, times) in enumerate(counts.items()):
        for n in range(times):
            status, body = call(
                server,
                "POST",
                f"/r/{room.code}/answer",
                body={"question": "one_word", "word": word},
                headers={"Cookie": f"aftertalk_device=word-{room.code}-{index}-{n}-000000"},
            )
            assert status == 200, body


def words_api(server, room: Room, method: str = "GET", body=None):
    return call(server, method, f"/api/rooms/{room.code}/questions/one_word/words", token=room._token, body=body)


def results_api(server, room: Room):
    return call(server, "GET", f"/api/rooms/{room.code}/questions/one_word/results", token=room._token)


def chart_text(results) -> str:
    figure = charts.room_chart(results)
    return " ".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))).replace("\n", " ")


def test_nothing_about_a_word_check_in_while_it_is_open(server, room):
    room.open(CHECK_IN)
    send_words(server, room, {"calm": 6, "alone": 1})
    for method, body in (("GET", None), ("POST", {"word": "alone"}), ("POST", {"word": "zebra"})):
        status, answer = words_api(server, room, method, body)
        assert status == 409, (method, body, answer)
        assert "after the poll is closed" in answer["error"] and "alone" not in json.dumps(answer)
    assert results_api(server, room)[0] == 409
    status, summary = call(server, "GET", f"/api/rooms/{room.code}/questions/one_word/count", token=room._token)
    assert status == 200 and summary == {"id": "one_word", "state": "open", "answers": 7}


def test_hiding_a_word_nobody_typed_answers_exactly_as_for_a_word_one_person_typed(server, room):
    room.open(CHECK_IN)
    send_words(server, room, {"calm": 6, "tired": 5, "alone": 1, "pair": 2, "few": 4})
    room.close("one_word")
    replies = {
        word: words_api(server, room, "POST", {"word": word})
        for word in ("zebra", "alone", "pair", "few", "Zebra!", "ALONE")
    }
    distinct = {(status, json.dumps(body, sort_keys=True)) for status, body in replies.values()}
    assert len(distinct) == 1, replies
    assert replies["alone"][0] == 200
    # A word that passes gets the same reply too, and is then hidden.
    assert words_api(server, room, "POST", {"word": "tired"}) == replies["zebra"]
    room.reveal("one_word")
    assert set(room.results("one_word")["option"]) == {"calm"}


def test_moderation_lists_only_words_that_pass_and_ends_at_the_reveal(server, room):
    room.open(CHECK_IN)
    send_words(server, room, {"calm": 6, "tired": 5, "pair": 2, "few": 4, "alone": 1})
    room.close("one_word")
    status, review = words_api(server, room)
    assert status == 200 and review["threshold"] == 5 and review["withheld"] is None
    assert {entry["word"]: entry["count"] for entry in review["words"]} == {"calm": 6, "tired": 5}
    room.reveal("one_word")
    status, answer = words_api(server, room)
    assert status == 409 and "before it is revealed" in answer["error"]


def test_the_rooms_threshold_governs_which_words_show(server):
    cautious = room_with_threshold(server, 6)
    cautious.open(CHECK_IN)
    send_words(server, cautious, {"calm": 8, "tired": 6, "sleepy": 3, "hopeful": 3})
    cautious.reveal("one_word")
    results = cautious.results("one_word").set_index("option")
    assert results["count"].to_dict() == {"calm": 8, "tired": 6}  # 3 people are fewer than k = 6
    assert results.attrs["threshold"] == 6
    assert "at least 6 people" in chart_text(cautious.results("one_word"))


def test_a_raised_threshold_withholds_words_below_its_answers(server):
    strict = room_with_threshold(server, 20)
    strict.open(CHECK_IN)
    send_words(server, strict, {"calm": 12})
    strict.reveal("one_word")
    status, data = results_api(server, strict)
    assert status == 200 and data["options"] == [] and data["withheld"] == "too_few_answers"
    assert data["min_answers"] == 20 and data["revealable"] is False


@pytest.mark.parametrize("threshold", [3, 5, 7])
def test_raising_the_threshold_never_shows_more_words(server, threshold):
    """The same 21 answers in a room at k and one at k + 2: the stricter room shows a subset."""
    answers = {"calm": 7, "tired": 5, "sleepy": 4, "hopeful": 3, "fine": 2}
    shown = []
    for k in (threshold, threshold + 2):
        room = room_with_threshold(server, k)
        room.open(CHECK_IN)
        send_words(server, room, answers)
        room.reveal("one_word")
        shown.append(set(room.results("one_word")["option"]))
        assert all(answers[word] >= k for word in shown[-1])
    assert shown[1] <= shown[0]


def test_withheld_words_say_why_in_data_on_the_chart_and_in_the_panel(server, room):
    room.open(CHECK_IN)
    send_words(server, room, {"calm": 9})
    room.close("one_word")
    panel = PollPanel(room, CHECK_IN)  # closed, not revealed: the private review comes back
    review, reveal = panel.children[-2:]
    assert "threshold" in str(review.children[0].children[0].value)
    reveal.click()  # "Reveal the words"
    # Hiding a word is over once they are revealed: the review and its button leave the projected slide.
    assert review not in panel.children and reveal not in panel.children
    # The panel's chart says why (chart_text below); its text version says it too, once, not twice.
    assert "Too few answers to show safely" in panel.text_version.value
    status, data = results_api(server, room)
    assert data["withheld"] == "too_few_answers" and data["options"] == []
    results = room.results("one_word")
    assert results.attrs["withheld"] == "too_few_answers"
    assert "this chart needs at least 10" in chart_text(results)
    assert "Too few answers" in charts.results_markdown(results)


def test_when_no_word_is_shared_the_chart_says_so(server, room):
    room.open(CHECK_IN)
    send_words(server, room, {word: 1 for word in SINGLES} | {"calm": 2})
    room.reveal("one_word")
    results = room.results("one_word")
    assert results.empty and results.attrs["withheld"] == "no_shared_word"
    assert "No word can be shown safely, so none is shown." in chart_text(results)


def test_when_one_word_is_nearly_everyones_the_chart_does_not_say_nobody_shared_it(server, room):
    """8 of 12 wrote "fine": it is withheld because fewer than 5 did not write it, so a sentence saying
    that no word was given by 5 or more people would be false. The same sentence stands when the
    facilitator hid every word that passed."""
    room.open(CHECK_IN)
    send_words(server, room, {"fine": 8} | {word: 1 for word in SINGLES[:4]})
    room.reveal("one_word")
    results = room.results("one_word")
    assert results.empty and results.attrs["withheld"] == "no_shared_word"
    text = chart_text(results)
    assert "No word can be shown safely, so none is shown." in text and "given by" not in text
    results.attrs["language"] = "es"
    assert "Ninguna palabra puede mostrarse sin riesgo" in charts.withheld_text(results)


# --- the rule, by enumeration ---------------------------------------------------------------------


def partitions(n: int, largest: int | None = None):
    """Every multiset of positive word counts that adds up to n, largest first."""
    largest = n if largest is None else largest
    if n == 0:
        yield ()
        return
    for first in range(min(n, largest), 0, -1):
        for rest in partitions(n - first, first):
            yield (first, *rest)


def test_the_word_rule_by_enumeration():
    """Every multiset of word counts for n = 0..24 answers (every integer partition of n: 7,338 rooms
    of words, each with its words named so that ties are broken both ways) at every k from 3 to 9:

    - nothing shows below max(10, k) answers, and the result says why;
    - every shown word was given by k or more people and not given by k or more;
    - the people whose word is not shown are none or at least k (no group count points at fewer);
    - raising k by one never shows a word that the lower k did not.
    """
    rooms = 0
    for n in range(25):
        for counts in partitions(n):
            rooms += 1
            for names in (lambda i: f"w{i:02d}", lambda i: f"w{99 - i:02d}"):
                words = {names(i): c for i, c in enumerate(counts)}
                before = None
                for k in range(3, 10):
                    release = privacy.shown_words(words, n, k)
                    shown = dict(release.words)
                    if n < max(10, k):
                        assert not shown and release.withheld == privacy.TOO_FEW_ANSWERS
                    assert (release.withheld is None) == bool(shown)
                    assert all(c >= k and n - c >= k for c in shown.values()), (words, k)
                    rest = n - sum(shown.values())
                    assert not shown or rest == 0 or rest >= k, (words, k, shown)
                    if before is not None:
                        assert set(shown) <= before, (words, k)
                    before = set(shown)
    assert rooms == 7338


def test_a_hidden_word_joins_the_rest_and_the_rest_stays_safe():
    words = {"calm": 8, "tired": 6, "horny": 5, "odd": 1}
    release = privacy.shown_words(words, 20, 5, hidden=["horny"])
    assert dict(release.words) == {"calm": 8, "tired": 6}  # the rest: horny's 5 and odd's 1
    # Shown with sleepy, the rest would be 1 person: sleepy joins the rest, which is then 6.
    release = privacy.shown_words({"calm": 8, "tired": 6, "sleepy": 5, "odd": 1}, 20, 5)
    assert dict(release.words) == {"calm": 8, "tired": 6}
