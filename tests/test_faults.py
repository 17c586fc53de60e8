"""Faults a real room meets: a flood from one phone, a dropped stream, a full or read-only disk."""

import http.client
import os
import resource
import signal
import subprocess
import sys
import time

import pytest

from aftertalk import Question
from aftertalk.server.ratelimit import RateLimiter
from conftest import Phone, ServerProcess, answer_many, call, read_events

MOOD = Question.from_dict(
    {
        "id": "mood",
        "text": "How is today?",
        "kind": "single",
        "options": [{"id": "good", "label": "Good"}, {"id": "meh", "label": "Meh"}],
    }
)


def test_a_flooding_phone_is_slowed_and_others_are_not(server, room):
    room.open(MOOD)
    flooder = Phone(server, room.code, "flooder")
    statuses = [flooder.answer("nope", ["good"])[0] for _ in range(40)]
    assert statuses.count(429) >= 25 and set(statuses) <= {404, 429}
    status, body = flooder.answer("nope", ["good"])
    assert status == 429 and "Too many requests from this phone" in body["error"]
    assert Phone(server, room.code, "neighbour").answer("mood", ["good"])[0] == 200
    assert room.count("mood") == 1


def test_the_limiter_refills_over_time():
    now = [0.0]
    limiter = RateLimiter(burst=2, per_second=1, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b")  # another phone has its own bucket
    now[0] = 1.0
    assert limiter.allow("a") and not limiter.allow("a")


def test_a_dropped_stream_resumes_with_the_current_question_and_no_second_answer(server, room):
    phone = Phone(server, room.code, "sleepy")
    assert [name for name, _ in read_events(server, room.code, phone.cookie)] == ["change"]
    room.open(MOOD)  # the phone is asleep: its stream is gone
    assert [name for name, _ in read_events(server, room.code, phone.cookie)] == ["change"]
    status, fragment = call(server, "GET", f"/r/{room.code}/current", headers={"Cookie": phone.cookie})
    assert status == 200 and "How is today?" in fragment
    assert phone.answer("mood", ["good"])[0] == 200
    read_events(server, room.code, phone.cookie)
    status, fragment = call(server, "GET", f"/r/{room.code}/current", headers={"Cookie": phone.cookie})
    assert "How is today?" not in fragment and "will open a question" in fragment
    assert phone.answer("mood", ["meh"])[0] == 409
    assert room.count("mood") == 1


def test_the_phone_count_follows_streams_opening_and_closing(server, room):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", f"/r/{room.code}/events")
    connection.getresponse().fp.readline()
    assert room.status()["phones"] == 1
    connection.close()
    deadline = time.monotonic() + 5
    while room.status()["phones"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert room.status()["phones"] == 0


def start_limited_server(data_dir, output, preexec):
    process = subprocess.Popen(
        [sys.executable, "-m", "aftertalk", "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir)],
        stdout=output,
        stderr=output,
        preexec_fn=preexec,
    )
    deadline = time.monotonic() + 15
    while not (data_dir / "server.json").exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return process


def test_a_full_disk_refuses_answers_and_loses_none_it_acknowledged(tmp_path):
    server = ServerProcess(tmp_path / "data").start()
    room = server.create_room()
    room.open(MOOD)
    answer_many(server, room.code, "mood", {"good": 3})
    server.stop()
    database = tmp_path / "data" / "aftertalk.sqlite3"
    # Each answer adds a voter hash, so the database file grows by a page every few dozen answers:
    # capping file size two pages above today's fills the "disk" after a handful of answers.
    limit = database.stat().st_size + 8 * 1024

    def disk_is_nearly_full():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = ServerProcess(tmp_path / "data")
    full.output_path = tmp_path / "full.log"
    with open(full.output_path, "ab") as output:  # the server keeps its own copy of the file
        full.process = start_limited_server(full.data_dir, output, disk_is_nearly_full)
    full.info = __import__("json").loads((full.data_dir / "server.json").read_text())
    full.url = full.info["url"]
    full.port = int(full.url.rsplit(":", 1)[1])
    acknowledged, refused = 0, []
    for n in range(400):
        status, body = Phone(full, room.code, f"late-{n}").answer("mood", ["meh"])
        if status == 200:
            acknowledged += 1
        else:
            refused.append((status, body))
    full.stop()
    assert refused, "the disk never filled up"
    assert {status for status, _ in refused} == {503}
    assert all("Nothing was counted" in body["error"] for _, body in refused)
    again = ServerProcess(tmp_path / "data").start()
    try:
        room.api_url = again.url
        assert room.count("mood") == 3 + acknowledged
    finally:
        again.stop()


@pytest.fixture
def read_only_folder(tmp_path):
    """A real read-only file system (a small tmpfs, remounted read-only); needs root."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("mounting a read-only file system needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_read_only_database_is_refused_at_start_with_a_message(tmp_path, read_only_folder):
    server = ServerProcess(read_only_folder / "data").start()
    room = server.create_room()
    room.open(MOOD)
    answer_many(server, room.code, "mood", {"good": 2})
    server.stop()
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_folder)], check=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aftertalk",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(read_only_folder / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--data-dir" in result.stderr and str(read_only_folder / "data") in result.stderr
