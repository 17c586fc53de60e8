"""The notebook's background poll server leaves with its last room, and `aftertalk stop` ends it at any
time, so nothing keeps listening on the laptop's network after the workshop (the next cafe's Wi-Fi).

Each test starts real server processes through `aftertalk.room()` (rehearsal rooms: 127.0.0.1 only) with
their data in a temporary folder, and looks at the process itself, not only at what it answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import aftertalk
from aftertalk.notebook.http import RoomError, request_json
from aftertalk.notebook.local_server import LocalServer
from conftest import call

GONE_WITHIN_SECONDS = 5


@pytest.fixture
def laptop(tmp_path, monkeypatch):
    """The laptop's data folder, with every server left running stopped afterwards."""
    monkeypatch.setenv("AFTERTALK_DATA_DIR", str(tmp_path / "laptop"))
    yield tmp_path / "laptop"
    for folder in (tmp_path / "laptop").glob("*/"):
        if (server := LocalServer.find(folder)) is not None:
            server.stop()


def runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # our own child that has exited (a zombie) is gone too
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def gone_within(pid: int, seconds: float) -> float | None:
    """How long the process took to leave, or None if it is still there after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if not runs(pid):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_the_server_leaves_when_its_last_room_ends_and_two_notebooks_keep_it_until_then(laptop):
    first = aftertalk.room(rehearsal=True, participants=2)
    second = aftertalk.room(rehearsal=True, participants=2)  # another notebook attaches to the same room
    assert second.code == first.code and second.api_url == first.api_url
    pid, url = first.server.info["pid"], first.api_url
    first.open("pcd_ever")
    time.sleep(1.0)
    assert runs(pid) and request_json("GET", f"{url}/api/health")["ok"]

    second.end()  # ending the room from either notebook ends it for both
    assert gone_within(pid, GONE_WITHIN_SECONDS) is not None, "the server is still running"
    assert not (laptop / "rehearsal" / "server.json").exists()
    with pytest.raises(RoomError, match="Cannot reach the poll server"):
        request_json("GET", f"{url}/api/health")

    # The next lesson's `aftertalk.room()` starts a fresh server, with a fresh room.
    again = aftertalk.room(rehearsal=True, participants=2)
    assert again.server.info["pid"] != pid and again.code != first.code
    again.open("pcd_ever")
    assert again.state("pcd_ever") == "open"
    again.end()


def test_a_server_with_two_rooms_stays_until_the_second_ends(laptop):
    room = aftertalk.room(rehearsal=True, participants=2)
    server = room.server
    other = server.create_room()  # e.g. a second group in the same afternoon
    room.end()
    time.sleep(1.0)
    assert runs(server.info["pid"]), "the server left while a room was still running"
    request_json("DELETE", f"{server.url}/api/rooms/{other['code']}", token=other["token"])
    assert gone_within(server.info["pid"], GONE_WITHIN_SECONDS) is not None


def test_a_server_started_by_hand_keeps_serving_after_its_rooms_end(server):
    """`aftertalk serve` (a facilitator's own server, or a hosted one) is not the notebook's background
    server: it serves until stopped."""
    room = server.create_room()
    room.end()
    time.sleep(1.0)
    assert server.process.poll() is None and call(server, "GET", "/api/health")[0] == 200


@pytest.mark.own_server
def test_only_the_admin_token_can_stop_a_server(server):
    room = server.create_room()
    assert call(server, "POST", "/api/shutdown")[0] == 401
    assert call(server, "POST", "/api/shutdown", token="not-the-token")[0] == 403
    assert call(server, "POST", "/api/shutdown", token=room._token)[0] == 403  # a room's token is not enough
    time.sleep(0.5)
    assert server.process.poll() is None
    assert call(server, "POST", "/api/shutdown", token=server.info["admin_token"]) == (200, {"stopping": True})
    assert server.process.wait(timeout=GONE_WITHIN_SECONDS) == 0
    assert not (server.data_dir / "server.json").exists()


def aftertalk_stop(laptop):
    return subprocess.run(
        [sys.executable, "-m", "aftertalk", "stop"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AFTERTALK_DATA_DIR": str(laptop)},
    )


def test_aftertalk_stop_ends_the_background_server_at_any_time_and_the_room_comes_back(laptop):
    room = aftertalk.room(rehearsal=True, participants=2)
    pid, url = room.server.info["pid"], room.api_url
    result = aftertalk_stop(laptop)
    assert result.returncode == 0 and result.stdout == f"Stopped the poll server at {url}.\n", result.stderr
    assert gone_within(pid, GONE_WITHIN_SECONDS) is not None
    assert not runs(pid) and not (laptop / "rehearsal" / "server.json").exists()

    # Rooms are kept: the next `aftertalk.room()` starts the server again and reattaches.
    again = aftertalk.room(rehearsal=True, participants=2)
    assert again.code == room.code and again.server.info["pid"] != pid
    again.end()

    result = aftertalk_stop(laptop)
    assert result.returncode == 0 and result.stdout == "No Aftertalk poll server is running on this laptop.\n"
    assert "Traceback" not in result.stderr
