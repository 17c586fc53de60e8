"""The participant page in real headless Chromium, in a phone's viewport, with and without JavaScript.

The page is loaded as http://phone.test:PORT/, a non-loopback name, so the browser treats it as the
insecure context a phone on the venue's Wi-Fi really gets.
"""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from aftertalk import Question
from conftest import CHROMIUM, answer_many, shown_counts

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
MOOD = Question.from_dict({"id": "mood", "text": "How does the room feel?", "kind": "single",
                           "options": [{"id": "settled", "label": "Settled"},
                                       {"id": "curious", "label": "Curious"}]})
FEELINGS = Question.from_dict({
    "id": "feelings", "text": "Which have you felt?", "kind": "multi",
    "options": [{"id": "calm", "label": "Calm"}, {"id": "sad", "label": "Sad"},
                {"id": "none", "label": "None of these", "exclusive": True}]})
THANKS = "Thanks, your answer was counted anonymously."
# Headless Debian Chromium with no network chatter; phone.test reaches the server on loopback.
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP phone.test 127.0.0.1"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    yield context.new_page()
    context.close()


def room_url(server, room):
    return f"http://phone.test:{server.port}/r/{room.code}"


def test_the_page_is_an_insecure_context_like_on_a_real_phone(server, room, phone):
    phone.goto(room_url(server, room))
    assert phone.evaluate("window.isSecureContext") is False
    assert phone.evaluate("typeof crypto.getRandomValues") == "function"


def test_a_phone_joins_waits_and_the_question_appears_by_itself(server, room, phone):
    # The live update and the answer's reply bring the next view: with a thousand phones, every phone
    # asking for the page again after each change is what slowed a room.
    asked = []
    phone.on("request", lambda request: asked.append(request.url) if "/current" in request.url else None)
    phone.goto(room_url(server, room))
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    room.open(MOOD)
    expect(phone.get_by_role("heading", name="How does the room feel?")).to_be_visible(timeout=5000)
    phone.get_by_text("Curious").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    assert asked == []
    # No echo: nothing on the page says what was chosen.
    assert "Curious" not in phone.locator("body").inner_text()
    assert room.count("mood") == 1
    answer_many(server, room.code, "mood", {"settled": 5, "curious": 5})  # enough to show every count
    assert shown_counts(room, "mood") == {"settled": 5, "curious": 6, "prefer_not_to_say": 0}


def test_a_reload_after_answering_does_not_offer_the_question_again(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_text("Settled").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    phone.reload()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()


def test_skip_counts_nothing_and_moves_on(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_role("button", name="Skip this question").click()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert room.count("mood") == 0


def test_send_without_a_choice_explains_what_to_do(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_role("alert")).to_contain_text("Choose an answer")
    assert room.count("mood") == 0


def test_exclusive_choices_clear_the_others(server, room, phone):
    room.open(FEELINGS)
    phone.goto(room_url(server, room))
    phone.get_by_text("Calm").click()
    phone.get_by_text("Sad").click()
    phone.get_by_text("None of these").click()
    assert phone.get_by_label("Calm").is_checked() is False
    assert phone.get_by_label("None of these").is_checked() is True
    phone.get_by_text("Prefer not to say").click()
    assert phone.get_by_label("None of these").is_checked() is False
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    answer_many(server, room.code, "feelings", {("calm", "sad"): 5, "prefer_not_to_say": 5})
    assert shown_counts(room, "feelings") == {"calm": 5, "sad": 5, "none": 0, "prefer_not_to_say": 6}


def test_a_poll_closing_mid_answer_is_shown_on_the_phone(server, room, phone):
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_text("Settled").click()
    room.close("mood")
    expect(phone.get_by_role("status")).to_contain_text("That poll has closed", timeout=5000)
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()
    assert room.count("mood") == 0


def test_without_javascript_a_late_answer_is_refused_with_a_page(server, room, phone_without_js):
    room.open(MOOD)
    phone_without_js.goto(room_url(server, room))
    phone_without_js.get_by_text("Settled").click()
    room.close("mood")
    phone_without_js.get_by_role("button", name="Send anonymously").click()
    expect(phone_without_js.get_by_text("This poll has closed")).to_be_visible()
    assert room.count("mood") == 0


def test_the_page_says_when_the_room_ends(server, room, phone):
    phone.goto(room_url(server, room))
    room.end()
    expect(phone.get_by_role("heading", name="This room has ended")).to_be_visible(timeout=5000)


def test_without_javascript_a_phone_can_join_answer_and_refresh(server, room, phone_without_js):
    phone = phone_without_js
    phone.goto(room_url(server, room))
    expect(phone.get_by_role("link", name="Refresh")).to_be_visible()
    room.open(MOOD)
    phone.get_by_role("link", name="Refresh").click()
    phone.get_by_text("Settled").click()
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text(THANKS)).to_be_visible()
    assert "Settled" not in phone.locator("body").inner_text()
    assert re.search(rf"/r/{room.code}\?thanks=1$", phone.url)
    assert room.count("mood") == 1


def test_without_javascript_errors_come_back_as_a_page(server, room, phone_without_js):
    phone = phone_without_js
    room.open(MOOD)
    phone.goto(room_url(server, room))
    phone.get_by_role("button", name="Send anonymously").click()
    expect(phone.get_by_text("Choose an answer")).to_be_visible()
    phone.get_by_role("link", name="Go back").click()
    expect(phone.get_by_role("heading", name="How does the room feel?")).to_be_visible()
    assert room.count("mood") == 0


@pytest.mark.parametrize("javascript", [True, False])
def test_quick_exit_leaves_for_a_neutral_page(browser, server, room, javascript):
    context = browser.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.goto(f"http://phone.test:{server.port}/")
    room.open(MOOD)
    page.goto(room_url(server, room))
    page.get_by_role("link", name="Quick exit").click()
    expect(page).to_have_title("Notes")
    text = page.locator("body").inner_text()
    assert "Aftertalk" not in text and "room" not in text.lower()
    if javascript:  # the room page was replaced in the history, so Back does not return to it
        page.go_back()
        assert "/r/" not in page.url
    context.close()


def test_join_by_typing_the_code(server, room, phone):
    phone.goto(f"http://phone.test:{server.port}/")
    phone.get_by_label("Room code").fill(room.code.lower())
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_text("The facilitator will open a question")).to_be_visible()


@pytest.mark.parametrize("state", ["landing", "waiting", "single", "multi", "thanks", "error"])
def test_the_participant_page_has_no_accessibility_violations(server, room, phone, state):
    if state == "landing":
        phone.goto(f"http://phone.test:{server.port}/")
    else:
        if state in ("single", "thanks"):
            room.open(MOOD)
        if state == "multi":
            room.open(FEELINGS)
        phone.goto(room_url(server, room) if state != "error" else f"http://phone.test:{server.port}/r/ZZZZZ")
        if state == "thanks":
            phone.get_by_text("Settled").click()
            phone.get_by_role("button", name="Send anonymously").click()
            expect(phone.get_by_text(THANKS)).to_be_visible()
    assert phone.evaluate("document.documentElement.lang") == "en"
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
