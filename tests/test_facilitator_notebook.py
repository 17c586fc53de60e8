"""The facilitator's side in a headless rehearsal: poll panel, join card, tally, exports, kernel restarts.

conftest.py (at the top of the repo) makes every room here a headless rehearsal in a throwaway folder.
"""

import json
import os
import stat
import time
from collections import Counter
from types import SimpleNamespace

import pandas as pd
import pytest
from jupyter_client.manager import start_new_kernel
from pypdf import PdfReader

import aftertalk
from aftertalk import RoomError
from aftertalk.notebook.local_server import LocalServer
from conftest import Phone, run_notebook

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def room():
    handle = aftertalk.room(rehearsal=True)
    yield handle
    handle.end()


def expected_counts(answers):
    """What the simulated phones sent, as counts per option and the number who answered."""
    counts = Counter(option for chosen in answers if chosen for option in chosen)
    return counts, sum(1 for chosen in answers if chosen is not None)


def test_a_notebook_runs_a_poll_panel_to_a_chart_through_nbclient(tmp_path):
    run = run_notebook(
        (
            "import aftertalk, json\nroom = aftertalk.room()",
            "panel = room.poll('feelings_ever')\npanel",
            "print(json.dumps({'png': bytes(panel.image.value[:8]).hex(), 'sent': room.rehearsal.sent['feelings_ever'],"
            " 'results': panel.results.astype(object).where(panel.results.notna(), None).to_dict('records'),"
            " 'n': panel.results.attrs['n'], 'state': panel.poll_state}))",
            "room.end()",
        ),
        tmp_path,
    )
    report, notebook = run["report"], run["notebook"]
    assert bytes.fromhex(report["png"]) == PNG_MAGIC
    assert report["state"] == "revealed"
    counts, answered = expected_counts(report["sent"])
    assert report["n"] == answered
    for row in report["results"]:
        if row["hidden"]:
            assert row["count"] is None
        else:
            assert row["count"] == counts[row["option"]], row
    assert any(not row["hidden"] and row["count"] > 0 for row in report["results"])
    # The poll panel's output is a widget the notebook shows.
    assert "application/vnd.jupyter.widget-view+json" in notebook.cells[1].outputs[0]["data"]


def test_results_match_what_the_simulated_phones_sent(room):
    panel = room.poll("warmup_weather")
    counts, answered = expected_counts(room.rehearsal.sent["warmup_weather"])
    results = room.results("warmup_weather")
    assert results.attrs["n"] == answered
    shown = results[~results["hidden"]]
    assert len(shown) > 0
    assert all(row.count == counts[row.option] for row in shown.itertuples())
    assert panel.image.value[:8] == PNG_MAGIC
    assert "Text version" in panel.text_version.value


def test_the_panel_shows_only_a_count_while_open_and_the_chart_after(room):
    from aftertalk.notebook.panel import PollPanel

    question = room.question("comfort_before")
    panel = PollPanel(room, question, autoplay=False)
    assert panel.open_button.disabled is False and panel.reveal_button.disabled is True
    panel.open_poll()
    try:
        assert panel.reveal_button.disabled is False
        assert panel.live.thread.is_alive() and panel.live.thread.daemon
        with pytest.raises(RoomError, match="hidden until"):
            room.results("comfort_before")
        count_png = bytes(panel.image.value)
        assert count_png[:8] == PNG_MAGIC and not hasattr(panel, "results")
    finally:
        panel.close_and_reveal()
    assert not panel.live.thread.is_alive()  # closing stops the live thread
    assert bytes(panel.image.value) != count_png and panel.results.attrs["n"] > 0
    assert all(button.disabled for button in (panel.open_button, panel.reveal_button))


def test_the_stop_control_ends_the_live_thread_and_the_poll_stays_open(room):
    from aftertalk.notebook.panel import PollPanel

    panel = PollPanel(room, room.question("what_helps"))
    panel.open_poll()
    panel.stop()
    assert not panel.live.thread.is_alive()
    assert room.state("what_helps") == "open"
    panel.close_and_reveal()
    assert room.state("what_helps") == "revealed"


def test_a_new_panel_after_a_kernel_restart_picks_up_the_open_poll(room):
    from aftertalk.notebook.panel import PollPanel

    first = PollPanel(room, room.question("pcd_ever"))
    first.open_poll()
    first.stop()
    again = aftertalk.room()  # what the notebook runs again after a restart
    assert again.code == room.code
    resumed = PollPanel(again, again.question("pcd_ever"))
    assert resumed.open_button.disabled and not resumed.reveal_button.disabled
    resumed.close_and_reveal()
    assert again.state("pcd_ever") == "revealed"


def test_the_join_card_shows_the_qr_code_url_code_and_a_live_phone_count(room):
    card = room.join_card()
    try:
        assert "<svg" in card.qr.value
        assert room.join_url in card.address.value and room.code in card.address.value
        assert card.phones.image.value[:8] == PNG_MAGIC
        assert card.phones.thread.daemon
    finally:
        card.stop()
    assert not card.phones.thread.is_alive()


def test_a_show_of_hands_tally_gives_the_same_chart(room):
    figure = room.tally("warmup_weather", {"sunny": 7, "rainy": 6})
    assert figure.__class__.__name__ == "Figure"
    results = room.results("warmup_weather")
    assert results.set_index("option").loc[["sunny", "rainy"], "count"].tolist() == [7, 6]
    assert results.attrs["n"] == 13


@pytest.mark.parametrize(
    "counts, people, message",
    [
        ({"sunny": 7, "snowstorm": 2}, None, "'snowstorm' is not an option"),
        ({"sunny": -1}, None, "whole number of 0 or more"),
        ({"sunny": 2.5}, None, "whole number of 0 or more"),
        ({}, None, "needs counts per option"),
        ({"sunny": 3, "rainy": 4}, 9, "add up to 7"),
    ],
)
def test_a_bad_tally_is_refused_and_changes_nothing(room, counts, people, message):
    with pytest.raises(RoomError, match=message):
        room.tally("warmup_weather", counts, people=people)
    assert room.count("warmup_weather") == 0 and room.state("warmup_weather") == "open"


def test_a_multi_select_tally_needs_the_number_of_people(room):
    with pytest.raises(RoomError, match="how many people"):
        room.tally("feelings_ever", {"calm": 8})
    room.tally("feelings_ever", {"calm": 8, "sadness": 5}, people=12)
    assert room.results("feelings_ever").attrs["n"] == 12


def test_unknown_question_ids_get_a_clear_error(room):
    with pytest.raises(KeyError, match="no question 'nope'.*Known ids"):
        room.poll("nope")
    with pytest.raises(RoomError, match="no question 'nope'"):
        room.count("nope")
    with pytest.raises(KeyError, match="Unknown reference id"):
        room.compare_with_research("pcd_ever", option="yes", references=["made_up_2020"])


def test_the_handout_has_one_page_per_revealed_chart_plus_help_and_references(room, tmp_path):
    room.poll("warmup_weather")
    room.poll("feelings_ever")
    room.open("what_helps")  # open, never revealed: must not appear anywhere
    path = room.export(tmp_path / "handout.pdf")
    reader = PdfReader(path)
    assert len(reader.pages) == 4
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Where to get help" in reader.pages[2].extract_text()
    assert reader.pages[3].extract_text().startswith("References")
    assert room.question("what_helps").text[:30] not in text


def test_the_csv_holds_only_revealed_aggregates(room, tmp_path):
    room.poll("feelings_ever")
    room.open("what_helps")
    path = room.export(tmp_path / "results.csv")
    table = pd.read_csv(path)
    assert set(table["question_id"]) == {"feelings_ever"}
    hidden = table[table["shown_as"].isin(["fewer than 5", "all but a few", "hidden"])]
    assert hidden["count"].isna().all() and hidden["share"].isna().all()
    revealed = room.results("feelings_ever")
    assert table["count"].dropna().astype(int).tolist() == revealed["count"].dropna().tolist()


def test_a_withheld_poll_is_a_row_of_the_csv_that_says_why(room, tmp_path):
    """A withheld result is one row saying it was withheld and why, with no count: before, a withheld
    pair's second half (no options at all) vanished from the table, and a withheld chart was rows of
    "hidden" that did not say why."""
    room.tally("warmup_weather", {"sunny": 2, "rainy": 1})
    room.tally("comfort_before", {"3": 6, "4": 6})
    room.tally("comfort_after", {"3": 7, "4": 6})  # one more person than before: withheld as a whole
    table = pd.read_csv(room.export(tmp_path / "results.csv"), keep_default_na=False)
    for question_id, n, reason in (
        ("warmup_weather", 3, "too_few_answers"),
        ("comfort_after", 13, "pair_counts_too_close"),
    ):
        withheld = table[table["question_id"] == question_id]
        assert len(withheld) == 1
        assert withheld.iloc[0][["n", "shown_as", "withheld", "count", "share"]].tolist() == [
            n,
            "withheld",
            reason,
            "",
            "",
        ]
    shown = table[table["question_id"] == "comfort_before"]
    assert (shown["withheld"] == "").all() and shown["count"].tolist() == ["0", "0", "6", "6", "0", "0"]


@pytest.mark.parametrize(
    "name, error, message",
    [
        ("no_such_folder/handout.pdf", FileNotFoundError, "does not exist"),
        ("handout.docx", ValueError, "ending in .pdf"),
    ],
)
def test_a_bad_export_path_gets_a_clear_error(room, tmp_path, name, error, message):
    with pytest.raises(error, match=message):
        room.export(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_research_and_before_after_wait_for_the_reveal(room):
    """Run All Cells draws these before their polls are revealed: they say so, then draw by themselves
    once the poll is revealed (the slide needs no second run); later calls draw at once."""
    waiting = room.compare_with_research("pcd_ever", option="yes", references=["bird2011_lifetime"])
    assert "appears here once the poll is revealed" in waiting.note.value and not waiting.image.value
    room.poll("pcd_ever")
    deadline = time.monotonic() + 10
    while not waiting.image.value and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bytes(waiting.image.value).startswith(b"\x89PNG") and waiting.note.value == ""
    figure = room.compare_with_research("pcd_ever", option="yes", references=["bird2011_lifetime"])
    texts = " ".join(text.get_text() for text in figure.findobj(lambda a: hasattr(a, "get_text")))
    assert "Bird" in texts and "222" in texts
    room.poll("comfort_before")
    assert "once the poll is revealed" in room.before_after("comfort_before", "comfort_after").note.value
    room.poll("comfort_after")
    assert room.before_after("comfort_before", "comfort_after").__class__.__name__ == "Figure"


def figure_words(figure) -> str:
    """Every text on a figure, as one line, so phrases split by wrapping still match."""
    return " ".join(" ".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))).split())


def test_the_lesson_03_comparison_counts_only_those_who_answered_yes_or_no(room):
    """Issue 17, through the real server: the room's bar beside the studies is Yes / (Yes + No), 7 of 18,
    not 7 of all 29 answers."""
    room.tally("pcd_ever", {"yes": 7, "no": 11, "does_not_apply": 6, "prefer_not_to_say": 5})
    words = figure_words(room.compare_with_research("pcd_ever", option="yes", references=["bird2011_lifetime"]))
    assert "This room: of the 18 who answered “Yes” or “No”" in words
    assert "39%" in words and "24%" not in words


def test_the_lesson_03_comparison_never_works_out_a_share_from_a_hidden_no(room):
    room.tally("pcd_ever", {"yes": 9, "no": 2, "does_not_apply": 6, "prefer_not_to_say": 5})
    assert room.results("pcd_ever").set_index("option").loc["no", "hidden"]  # 2 is fewer than 5
    words = figure_words(room.compare_with_research("pcd_ever", option="yes", references=["bird2011_lifetime"]))
    assert "This room: of those who answered “Yes” or “No”" in words and "and that is hidden" in words
    assert "82%" not in words and "18%" not in words  # 9 of 11, 2 of 11


def test_a_randomized_poll_shows_estimates_and_its_epsilon(room):
    panel = room.poll("pcd_ever_private")
    results = panel.results
    assert results.attrs["privacy"] == "randomized"
    estimated = results.dropna(subset=["estimate"])
    # Yes, No and "Doesn't apply to me" are randomized together ("Prefer not to say" is kept as a skip)
    assert len(estimated) == 3 and (estimated["low"] <= estimated["estimate"]).all()
    assert (estimated["estimate"] <= estimated["high"]).all()
    assert "epsilon = 1.90" in panel.message.value
    assert panel.image.value[:8] == PNG_MAGIC


def test_a_new_room_can_raise_the_threshold_but_not_lower_it_below_3():
    with pytest.raises(RoomError, match="3"):
        aftertalk.room(rehearsal=True, threshold=2)
    room = aftertalk.room(rehearsal=True, threshold=8)
    try:
        assert room.status()["threshold"] == 8
    finally:
        room.end()


def test_the_rooms_data_folder_and_files_are_the_facilitators_alone(room):
    """The database holds room keys and unrevealed counts; the log and server.json sit beside it."""
    data_dir = aftertalk.paths.default_data_dir() / "rehearsal"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("aftertalk.sqlite3", "server.json"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) & 0o077 == 0, name


def test_a_real_kernel_restart_mid_poll_reattaches_to_the_same_room(tmp_path):
    """A real Jupyter kernel opens a poll, is restarted, and `aftertalk.room()` finds the same room,
    with the poll still open and still counting phones."""
    env = {**os.environ, "AFTERTALK_DATA_DIR": str(tmp_path / "laptop")}
    manager, kernel = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))

    def run(code) -> dict:
        printed = []
        reply = kernel.execute_interactive(
            code,
            timeout=60,
            output_hook=lambda message: (
                printed.append(message["content"].get("text", "")) if message["msg_type"] == "stream" else None
            ),
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        return json.loads("".join(printed))

    report = (
        "print(json.dumps({'code': room.code, 'url': room.api_url, 'state': room.state('pcd_ever'),"
        " 'count': room.count('pcd_ever')}))"
    )
    try:
        before = run("import aftertalk, json\nroom = aftertalk.room(participants=8)\nroom.open('pcd_ever')\n" + report)
        manager.restart_kernel(now=True)
        kernel.wait_for_ready(timeout=60)
        after = run("import aftertalk, json\nroom = aftertalk.room()\n" + report)
        assert after["code"] == before["code"] and after["url"] == before["url"]
        assert after["state"] == "open" and after["count"] >= before["count"]
        same_server = SimpleNamespace(port=int(after["url"].rsplit(":", 1)[1]))
        assert Phone(same_server, after["code"], "after-restart").answer("pcd_ever", ["yes"])[0] == 200
        assert run("room.end()\nprint(json.dumps({'ended': True}))") == {"ended": True}
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
        for folder in (tmp_path / "laptop").glob("*/"):  # the poll server outlives kernels
            if (server := LocalServer.find(folder)) is not None:
                server.stop()


def test_a_rehearsal_that_opens_poll_after_poll_is_not_refused_as_a_flood(room):
    """At pace 0 the twelve pretend phones answer 14 polls in a few seconds, faster than the
    server's flood limit lets one phone answer (10 at once, then one a second): each phone waits and
    sends again, as a person would, and every poll gets its answers."""
    for n in range(14):
        question = aftertalk.Question.from_dict(
            {"id": f"quick_{n}", "text": f"Quick question number {n}?", "kind": "yesno"}
        )
        room.open(question)
        assert room.count(question.id) >= 10, n
        room.close(question.id)


def test_when_the_server_goes_the_live_count_says_so_instead_of_freezing():
    """The poll server stops mid-poll (`aftertalk stop`, a crash): the panel's live count stops and
    says why in one line, rather than a frozen number."""
    from aftertalk.notebook.panel import PollPanel

    room = aftertalk.room(rehearsal=True)
    panel = PollPanel(room, room.question("what_helps"))
    panel.open_poll()
    room.server.stop()
    deadline = time.monotonic() + 10
    while "live view stopped" not in panel.message.value and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "The live view stopped: Cannot reach the poll server" in panel.message.value
    panel.live.thread.join(timeout=5)
    assert not panel.live.thread.is_alive()
    aftertalk.room(rehearsal=True).end()  # the room was kept: end it on a fresh server


def test_a_live_view_whose_drawing_fails_stops_and_says_why():
    from aftertalk.i18n import translator
    from aftertalk.notebook.panel import LiveImage, stopped_text

    said = []
    calls = []

    def render():
        calls.append(1)
        if len(calls) > 1:
            raise ValueError("no such font")
        return None

    live = LiveImage(render, interval=0.05, on_error=said.append)
    live.start()
    live.thread.join(timeout=5)
    assert not live.thread.is_alive()
    [error] = said
    assert (
        stopped_text(translator("en"), error) == "The live view stopped (ValueError: no such font). Run the cell again."
    )
    assert stopped_text(translator("es"), error).startswith("La vista en directo se detuvo (ValueError")


def test_the_panel_speaks_the_facilitators_language():
    """Buttons, messages, the live count and the text version, in Spanish for a Spanish facilitator."""
    from aftertalk.notebook.panel import PollPanel

    room = aftertalk.room(rehearsal=True, language="es")
    try:
        panel = PollPanel(room, room.question("what_helps"))
        assert [b.description for b in (panel.open_button, panel.reveal_button, panel.stop_button)] == [
            "Abrir encuesta",
            "Cerrar y mostrar",
            "Detener el recuento en directo",
        ]
        panel.open_poll()
        assert "La encuesta está abierta en todos los teléfonos" in panel.message.value
        panel.close_and_reveal()
        # The chart is the news: the spent buttons leave the slide and no message repeats it.
        assert panel.buttons.layout.display == "none" and panel.message.value == ""
        assert "Versión en texto de este gráfico" in panel.text_version.value
        assert "| Opción | Porcentaje | Número |" in panel.text_version.value
    finally:
        room.end()


def test_a_refused_moderation_click_says_why_in_the_box_panel():
    """Showing a box question of a room that has ended (in another notebook, so its server left too):
    the panel says why in one line, and no exception is left in the widget's log where nobody sees it."""
    from aftertalk.notebook.panel import QuestionBoxPanel

    room = aftertalk.room(rehearsal=True)
    panel = QuestionBoxPanel(room)
    room.end()
    panel._act(room.show_box_question, "0123456789abcdef")
    assert "Cannot reach the poll server" in panel.message.value


def test_a_refused_pretend_answer_is_recorded_and_the_other_phones_still_answer(server, monkeypatch):
    """Before, any refusal (a 400 as much as a closed poll) silently stopped every phone after it."""
    import urllib.error

    from aftertalk.notebook.rehearsal import Rehearsal

    room = server.create_room()  # no pretend phones of its own: only these six answer
    rehearsal = Rehearsal(room.api_url, room.code, participants=6, seed=3, pace=0.3)
    real_send = rehearsal._send

    def send(phone, question, chosen):
        if phone == 1:
            raise urllib.error.HTTPError("http://x", 400, "Bad Request", None, None)
        real_send(phone, question, chosen)

    monkeypatch.setattr(rehearsal, "_send", send)
    question = aftertalk.load_questions()["what_helps"]
    room.open(question)
    rehearsal.answer(question)
    for thread in rehearsal.threads:
        thread.join(timeout=10)
    sent = rehearsal.sent["what_helps"]
    assert rehearsal.refused == ["pretend phone 1 on 'what_helps': 400 Bad Request"]
    # Phones 2-5 answered after the refusal: every answer but phone 1's was counted (a skip counts none).
    assert room.count("what_helps") == sum(1 for phone, chosen in enumerate(sent) if chosen is not None and phone != 1)


def test_the_end_panel_does_nothing_until_clicked_and_ends_only_on_a_second_click(tmp_path):
    """Lesson 05 ends the room with buttons: Run All Cells (run before presenting) must not end it, and
    a first click on End the room only warns, saying that no handout was saved."""
    from aftertalk.notebook.panel import EndPanel

    room = aftertalk.room(rehearsal=True)
    handout = tmp_path / "handout.pdf"
    panel = EndPanel(room, handout)
    assert room.status()["questions"] == [] and not handout.exists()  # the room is still there
    panel.end_button.click()
    assert "Click again" in panel.message.value and "No handout was saved" in panel.message.value
    room.status()  # not ended: the server still answers for the room
    panel.export_button.click()
    assert handout.read_bytes().startswith(b"%PDF") and "Handout saved" in panel.message.value
    panel.end_button.click()
    assert "The room has ended" in panel.message.value and panel.end_button.disabled
    with pytest.raises(RoomError):
        room.status()


def test_a_chart_returned_to_a_cell_displays_as_a_picture():
    """room.chart(), tally() and the research comparison return matplotlib Figures drawn without pyplot:
    a kernel showed them as "<Figure size 1280x720 with 2 Axes>" text until the room registered a PNG
    display for them."""
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute(
            "import aftertalk\nroom = aftertalk.room(rehearsal=True)\n"
            'room.tally("warmup_weather", {"sunny": 7, "rainy": 4})'
        )
        shown = []
        while True:
            message = kc.get_iopub_msg(timeout=60)
            if message["msg_type"] in ("execute_result", "display_data"):
                shown.append(sorted(message["content"]["data"]))
            if message["msg_type"] == "error":
                raise AssertionError(message["content"]["evalue"])
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
        assert shown and "image/png" in shown[-1]
        kc.execute("room.end()")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_extra_private_version_is_chosen_in_the_panel_and_the_cells_after_it_follow(room):
    """Lesson 03 asks pcd_ever; the facilitator may pick pcd_ever_private in the panel instead, with no code
    to edit: the comparison cell written for pcd_ever then uses it, and the room cannot ask both."""
    from matplotlib.figure import Figure

    from aftertalk.notebook.panel import PollPanel

    panel = PollPanel(room, room.question("pcd_ever"), versions=room._versions_of("pcd_ever"))
    assert panel.version.layout.display != "none"
    assert [value for _, value in panel.version.options] == ["pcd_ever", "pcd_ever_private"]
    panel.version.value = "pcd_ever_private"
    panel.open_poll()
    assert panel.version.layout.display == "none"  # chosen: no switching once phones have it
    assert room.state("pcd_ever_private") == "open" and "pcd_ever" not in room._asked()
    panel.close_and_reveal()

    assert room.results("pcd_ever").attrs["question_id"] == "pcd_ever_private"
    studies = ["bird2011_lifetime", "schweitzer2015_lifetime", "maczkowiack2019_lifetime"]
    assert isinstance(room.compare_with_research("pcd_ever", option="yes", references=studies), Figure)

    again = PollPanel(room, room.question("pcd_ever"), versions=room._versions_of("pcd_ever"))
    assert again.question.id == "pcd_ever_private" and again.version.layout.display == "none"
    with pytest.raises(RoomError, match="two versions of one question"):
        room.open(room.question("pcd_ever"))


def test_the_poll_cell_offers_the_versions_the_bank_declares(room):
    assert [value for _, value in room.poll("pcd_ever").version.options] == ["pcd_ever", "pcd_ever_private"]
    assert room.state("pcd_ever") == "revealed"  # a headless rehearsal plays the usual version
    plain = room.poll("warmup_weather")
    assert [value for _, value in plain.version.options] == ["warmup_weather"]
    assert plain.version.layout.display == "none"
