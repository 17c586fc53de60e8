"""Shared fixtures: a real poll server process on loopback with a real SQLite file, rooms and phones.

Pretend phones send from 127.0.0.23 with their own user agent, so the privacy tests can look for
exactly that address and agent in everything the server wrote.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aftertalk.notebook.client import Room

PHONE_ADDRESS = "127.0.0.23"
PHONE_AGENT = "AftertalkTestPhone/1.0 (pretend phone)"
CHROMIUM = os.environ.get("AFTERTALK_CHROMIUM", "/usr/bin/chromium")


class ServerProcess:
    """`aftertalk serve` in a child process, with its output kept in a file for later checks."""

    def __init__(self, data_dir: Path, port: int = 0):
        self.data_dir = data_dir
        self.output_path = data_dir.parent / f"{data_dir.name}-server-output.log"
        self.port = port
        self.process = None

    def start(self) -> ServerProcess:
        info_path = self.data_dir / "server.json"
        info_path.unlink(missing_ok=True)
        with open(self.output_path, "ab") as output:  # the child keeps its own copy of the file
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "aftertalk",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=output,
                stderr=output,
            )
        deadline = time.monotonic() + 15
        while not info_path.exists():
            assert self.process.poll() is None, self.output_path.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        self.info = json.loads(info_path.read_text())
        self.url = self.info["url"]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def kill(self) -> None:
        """kill -9: no chance to clean up, as in a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def create_room(self) -> Room:
        status, created = call(self, "POST", "/api/rooms", token=self.info["admin_token"])
        assert status == 201, created
        return Room(api_url=self.url, code=created["code"], token=created["token"], join_url=created["join_url"])


def call(
    server,
    method: str,
    path: str,
    *,
    body=None,
    token=None,
    headers=None,
    raw: bytes | None = None,
    content_type="application/json",
    source=PHONE_ADDRESS,
):
    """One HTTP request from a pretend phone's address; returns (status, parsed JSON or text)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))
    all_headers = {"User-Agent": PHONE_AGENT, **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    if data is not None and content_type:
        all_headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def read_events(server, code, cookie=None, *, wanted=1, seconds=5.0, headers=None) -> list[tuple[str, dict]]:
    """Open the live stream like a phone, read `wanted` events as (name, data), then drop the connection."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=seconds, source_address=(PHONE_ADDRESS, 0)
    )
    connection.request(
        "GET",
        f"/r/{code}/events",
        headers={"User-Agent": PHONE_AGENT, **({"Cookie": cookie} if cookie else {}), **(headers or {})},
    )
    response = connection.getresponse()
    events, name, deadline = [], None, time.monotonic() + seconds
    try:
        while len(events) < wanted and time.monotonic() < deadline:
            line = response.fp.readline().decode()
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
                name = None
    except TimeoutError:
        pass  # fewer than `wanted` came: the caller looks at what did
    finally:
        connection.close()
    return events


class Phone:
    """A pretend phone: its own device cookie, answering through the participant route."""

    def __init__(self, server, code: str, name: str):
        self.server, self.code = server, code
        # One cookie per room: the module's server keeps each cookie's flood allowance across tests.
        token = f"test-phone-{code}-{name}-0123456789"
        if len(token) > 64:  # the server takes cookies of 16-64 characters
            token = "test-phone-" + hashlib.sha256(token.encode()).hexdigest()[:40]
        self.cookie = f"aftertalk_device={token}"

    def answer(self, question_id, options=(), *, skip=False):
        return call(
            self.server,
            "POST",
            f"/r/{self.code}/answer",
            body={"question": question_id, "options": list(options), "skip": skip},
            headers={"Cookie": self.cookie},
        )


def answer_many(server, code: str, question_id: str, choices: dict) -> None:
    """Many pretend phones answer: {"good": 6} or {("calm", "sad"): 6} (a multi-select answer)."""
    for choice, times in choices.items():
        options = [choice] if isinstance(choice, str) else list(choice)
        for n in range(times):
            status, body = Phone(server, code, f"crowd-{'-'.join(options)}-{n}").answer(question_id, options)
            assert status == 200, body


def shown_counts(room, question_id) -> dict:
    """Reveal and return {option: count}; a hidden cell reads as its range text instead."""
    room.reveal(question_id)
    results = room.results(question_id)
    return {row.option: row.shown_as if row.hidden else row.count for row in results.itertuples()}


def run_notebook(sources, folder) -> dict:
    """Run code cells as a notebook through nbclient (a real kernel, in `folder`); the third cell
    prints a JSON report, which is returned."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(folder)}}).execute()
    return {"report": json.loads(notebook.cells[2].outputs[0]["text"]), "notebook": notebook}


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server process per test module: starting one takes about half a second."""
    process = ServerProcess(tmp_path_factory.mktemp("shared") / "data").start()
    yield process
    process.stop()


@pytest.fixture
def server(request, tmp_path):
    """The module's server, with a fresh room per test (`room`). A test that stops, kills or restarts its
    server, or reads its whole log, is marked `own_server` and gets a server of its own."""
    if request.node.get_closest_marker("own_server") is None:
        yield request.getfixturevalue("shared_server")
        return
    process = ServerProcess(tmp_path / "data").start()
    yield process
    process.stop()


@pytest.fixture
def room(server):
    return server.create_room()


@pytest.fixture
def phones(server, room):
    return [Phone(server, room.code, str(n)) for n in range(20)]
