"""The poll server on this laptop: find the running one or start it, and remember the current room.

The server runs as its own process, in its own session, so a notebook kernel restart does not stop
it and `aftertalk.room()` reattaches to the same room. It leaves by itself when its last room ends, and
`aftertalk stop` (`stop_servers`) ends it at any time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from aftertalk.network import DEFAULT_PORT, port_is_free
from aftertalk.notebook.http import RoomError, request_json
from aftertalk.paths import SERVER_INFO, default_data_dir, write_private

CURRENT_ROOM = "current_room.json"
START_TIMEOUT_SECONDS = 15
# The servers this process started. Each outlives its Popen on purpose (it runs in its own session, so a
# kernel restart does not stop it); holding them here keeps Python from warning, when a Popen is
# collected, that its process "is still running".
_started: list[subprocess.Popen] = []
STOP_TIMEOUT_SECONDS = 10


class LocalServer:
    """A poll server process on this machine, described by data_dir/server.json."""

    def __init__(self, data_dir: Path, info: dict):
        self.data_dir, self.info = data_dir, info
        self.url, self.join_base_url = info["url"], info["join_base_url"]

    @classmethod
    def find(cls, data_dir: Path) -> LocalServer | None:
        """The server already running for this data folder, if it answers."""
        try:
            info = json.loads((data_dir / SERVER_INFO).read_text())
            request_json("GET", f"{info['url']}/api/health")
        except (OSError, ValueError, KeyError, RoomError):
            return None
        return cls(data_dir, info)

    @classmethod
    def start(cls, data_dir: Path, *, host: str, port: int) -> LocalServer:
        """Start `aftertalk serve` in the background and wait until it answers."""
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        data_dir.chmod(0o700)  # the database and the server's log are this user's alone
        (data_dir / SERVER_INFO).unlink(missing_ok=True)
        if port and not port_is_free(host, port):
            port = 0  # another program has it: any free port will do, the QR code carries it
        with open(data_dir / "server.log", "ab") as log:  # the child keeps its own copy of the file
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "aftertalk",
                    "serve",
                    "--host",
                    host,
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data_dir),
                    "--exit-when-rooms-end",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        _started.append(process)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RoomError(f"The poll server stopped as it started; see {data_dir / 'server.log'}.")
            server = cls.find(data_dir)
            if server is not None:
                return server
            time.sleep(0.1)
        process.kill()
        raise RoomError(
            f"The poll server did not start within {START_TIMEOUT_SECONDS} s; see {data_dir / 'server.log'}."
        )

    def stop(self) -> None:
        """Ask the server to stop, with its admin token, and wait for it to go."""
        try:
            request_json("POST", f"{self.url}/api/shutdown", token=self.info["admin_token"])
        except RoomError:
            if os.name == "posix":  # an older server without the route; Windows has no SIGTERM to send
                try:
                    os.kill(self.info["pid"], 15)
                except ProcessLookupError:
                    return
        self.wait_until_gone()

    def wait_until_gone(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Wait until the server no longer answers, nor (on POSIX) runs; False if it is still there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._answers() and not self._process_runs():
                return True
            time.sleep(0.05)
        return False

    def _answers(self) -> bool:
        try:
            request_json("GET", f"{self.url}/api/health")
        except RoomError:
            return False
        return True

    def _process_runs(self) -> bool:
        if os.name != "posix":
            return False  # os.kill(pid, 0) would end the process on Windows; the health check must do
        try:
            os.kill(self.info["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A process that has exited but not been reaped (our own child) is as good as gone.
        try:
            return os.waitpid(self.info["pid"], os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return True

    # --- the current room ------------------------------------------------------------------------

    def current_room(self) -> dict | None:
        """The code and token of the room this laptop last started, if the server still has it."""
        try:
            saved = json.loads((self.data_dir / CURRENT_ROOM).read_text())
            status = request_json("GET", f"{self.url}/api/rooms/{saved['code']}", token=saved["token"])
        except (OSError, ValueError, KeyError, RoomError):
            return None
        return {**saved, "join_url": status["join_url"]}

    def create_room(self, threshold: int | None = None) -> dict:
        body = None if threshold is None else {"threshold": threshold}
        created = request_json("POST", f"{self.url}/api/rooms", token=self.info["admin_token"], body=body)
        write_private(self.data_dir / CURRENT_ROOM, json.dumps({"code": created["code"], "token": created["token"]}))
        return created

    def forget_room(self, code: str) -> None:
        path = self.data_dir / CURRENT_ROOM
        try:
            if json.loads(path.read_text()).get("code") == code:
                path.unlink()
        except (OSError, ValueError):
            pass


def server_folders(data_dir: Path | None = None) -> list[Path]:
    """Where a poll server of this laptop keeps its server.json: `aftertalk serve`'s folder, and the
    live and rehearsal folders of `aftertalk.room()`."""
    base = data_dir if data_dir is not None else default_data_dir()
    return [base, base / "live", base / "rehearsal"]


def stop_servers(data_dir: Path | None = None, *, background_only: bool = False) -> list[str]:
    """Stop the poll servers of this laptop (with `background_only`, those `aftertalk.room()` started,
    not one started by hand with `aftertalk serve`); returns the URL of each one stopped."""
    stopped = []
    for folder in server_folders(data_dir)[1 if background_only else 0 :]:
        server = LocalServer.find(folder)
        if server is not None:
            server.stop()
            stopped.append(server.url)
    return stopped


def room(
    *,
    rehearsal: bool | None = None,
    participants: int = 30,
    seed: int = 0,
    language: str = "en",
    threshold: int | None = None,
):
    """The room for this laptop's workshop: reattach to the running one, or start server and room.

    `language` is the facilitator's: the projected questions and charts use it ("en", "es"). Each
    phone picks its own language; answers in every language count towards the same options.
    `threshold` (default 5, never below 3) applies to a room this call creates: no count below it
    is ever shown.

    With rehearsal=True (or AFTERTALK_REHEARSAL=1), a private server on 127.0.0.1 is used and
    simulated participants answer every poll, so a lesson can be practised, or tested, alone.
    """
    from aftertalk.notebook.client import Room
    from aftertalk.notebook.rehearsal import Rehearsal

    if rehearsal is None:
        rehearsal = os.environ.get("AFTERTALK_REHEARSAL") == "1"
    data_dir = default_data_dir() / ("rehearsal" if rehearsal else "live")
    server = LocalServer.find(data_dir)
    if server is None:
        # Live rooms listen on the LAN for phones; a rehearsal never leaves this laptop.
        server = LocalServer.start(
            data_dir, host="127.0.0.1" if rehearsal else "0.0.0.0", port=0 if rehearsal else DEFAULT_PORT
        )
    details = server.current_room() or server.create_room(threshold)
    from aftertalk.i18n import available_languages

    if language not in available_languages():
        raise ValueError(f"No translations for language '{language}'. Available: {', '.join(available_languages())}.")
    handle = Room(
        api_url=server.url,
        code=details["code"],
        token=details["token"],
        join_url=details["join_url"],
        server=server,
        language=language,
    )
    if rehearsal:
        handle.rehearsal = Rehearsal(server.url, handle.code, participants=participants, seed=seed)
    return handle
