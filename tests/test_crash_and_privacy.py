"""Durability and what the server leaves behind: kill -9 mid-burst, and no addresses or agents stored."""

import threading
import time

import pytest

from aftertalk import Question
from conftest import PHONE_ADDRESS, PHONE_AGENT, Phone, ServerProcess, call

MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}],
    }
)

# These tests stop, kill or copy their server's folder, or read its whole log.
pytestmark = pytest.mark.own_server


def test_every_acknowledged_answer_survives_kill_9(tmp_path):
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start()
    room = server.create_room()
    room.open(MOOD)
    acknowledged, sent = [], []
    lock = threading.Lock()

    def burst(worker):
        for n in range(400):
            option = "good" if (worker + n) % 3 else "meh"
            with lock:
                sent.append(option)
            try:
                status, _ = Phone(server, room.code, f"w{worker}-{n}").answer("mood", [option])
            except OSError:
                return  # the server is gone mid-request: this answer was never acknowledged
            if status == 200:
                with lock:
                    acknowledged.append(option)

    workers = [threading.Thread(target=burst, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    while len(acknowledged) < 150:
        time.sleep(0.005)
    server.kill()
    for worker in workers:
        worker.join()
    assert 150 <= len(acknowledged) < len(sent), "the kill did not land mid-burst"

    restarted = ServerProcess(data_dir).start()  # same data directory, the room's token still works
    try:
        room.api_url = restarted.url
        room.reveal("mood")
        counted = room.results("mood").set_index("option")["count"]
        for option in ("good", "meh"):
            assert counted[option] >= acknowledged.count(option)
            assert counted[option] <= sent.count(option)
    finally:
        restarted.stop()


def test_no_address_or_user_agent_is_stored_or_logged(server, room, phones):
    room.open(MOOD)
    for phone in phones[:8]:
        phone.answer("mood", ["good"])
    phones[8].answer("mood", ["nonsense"])  # a 400
    call(server, "POST", f"/r/{room.code}/answer", raw=b"x" * 50000)  # a 413
    call(server, "GET", "/api/rooms/ZZZZZ", token="wrong")  # a 404 on the API
    call(server, "GET", f"/r/{room.code}")  # the page
    room.reveal("mood")
    room.results("mood")
    server.stop()
    written = b"".join(path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file())
    written += server.output().encode()
    assert PHONE_ADDRESS.encode() not in written
    assert PHONE_AGENT.encode() not in written
    assert b"AftertalkTestPhone" not in written
    # And the answers are counters, not rows: nothing in the file says which phone chose "good".
    assert b"test-phone-" not in written
