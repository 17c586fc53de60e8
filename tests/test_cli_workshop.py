"""`aftertalk workshop`: JupyterLab with the kit's lessons on 127.0.0.1, as root or not, without make.

Each test runs the command as a facilitator would, in a subprocess with a home folder of its own, finds
the URL JupyterLab prints, fetches it, reads the kernel's table of listening sockets to see where
JupyterLab listens, and stops it with Ctrl-C (SIGINT), as in a terminal.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from workshop_process import ROOT, URL, Workshop

from aftertalk import network
from aftertalk.notebook.workshop import jupyter_command

NOBODY = 65534


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port`, from the kernel's own tables."""
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if width == 8:
                    addresses.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    addresses.add(socket.inet_ntop(socket.AF_INET6, words))
    return addresses


def fetch_when_listening(url: str, seconds: float = 20):
    """JupyterLab prints its URL a moment before it listens (with --port 0 it picks the port first)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return urllib.request.urlopen(url, timeout=30)
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def serves_the_lessons(workshop: Workshop) -> int:
    """JupyterLab answers at the URL it printed, lists the kit's lessons, and listens on loopback only."""
    match = workshop.wait_for(URL)
    port = int(match[1])
    with fetch_when_listening(match[0]) as page:
        assert page.status == 200 and "JupyterLab" in page.read().decode()
    token = match[0].split("token=")[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=30) as listing:
        names = {item["name"] for item in json.load(listing)["content"]}
    assert "02_the_feelings_after_sex.ipynb" in names, names
    assert listening_addresses(port) == {"127.0.0.1"}
    lan = network.lan_address()
    if lan:  # from the room's network side, nothing answers
        with pytest.raises(OSError):
            socket.create_connection((lan, port), timeout=3).close()
    return port


def test_workshop_serves_the_lessons_on_loopback_and_stops_on_ctrl_c(tmp_path):
    workshop = Workshop(tmp_path / "home", "--kit", str(ROOT), "--port", "0")
    try:
        port = serves_the_lessons(workshop)
        root = os.geteuid() == 0
        assert ("Running as root: passing --allow-root" in "".join(workshop.lines)) == root
        assert workshop.ctrl_c() == 0
        assert listening_addresses(port) == set()
        output = workshop.output()
    finally:
        workshop.kill()
    assert "Traceback" not in output and "Shutdown this Jupyter server" not in output
    assert output.splitlines()[0] == f"Opening the kit in {ROOT} (as given)."


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed (Windows): see the test above")
def test_make_workshop_is_a_thin_call_of_aftertalk_workshop(tmp_path):
    """`make workshop` runs `aftertalk workshop` with the kit's own folder. `-o` keeps make from
    reinstalling: the venv that runs these tests is the one it would use."""
    venv = Path(sys.executable).parent.parent
    command = [
        "make",
        "-C",
        str(ROOT),
        f"VENV={venv}",
        "-o",
        f"{venv}/.installed",
        "workshop",
        "ARGS=--no-browser --port 0",
    ]
    workshop = Workshop(tmp_path / "home", command=command)
    try:
        port = serves_the_lessons(workshop)
        assert any(line.startswith(f"Opening the kit in {ROOT} (as given).") for line in workshop.lines)
        workshop.ctrl_c()  # make itself reports the interrupt; what it ran stopped JupyterLab cleanly
        assert listening_addresses(port) == set()
    finally:
        workshop.kill()


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run the command as another user",
)
def test_workshop_as_an_ordinary_user_too(tmp_path):
    """As user 65534, JupyterLab starts without --allow-root. The user keeps one capability, reading
    any file (CAP_DAC_READ_SEARCH), so that it can run this checkout's Python wherever it lives (often
    under /root); it is not root, and JupyterLab checks only that."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    as_nobody = [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]
    command = [
        *as_nobody,
        sys.executable,
        "-m",
        "aftertalk",
        "workshop",
        "--no-browser",
        "--kit",
        str(ROOT),
        "--port",
        "0",
    ]
    workshop = Workshop(home, command=command)
    try:
        serves_the_lessons(workshop)
        assert "Running as root" not in "".join(workshop.lines)
        assert workshop.ctrl_c() == 0
    finally:
        workshop.kill()


def test_the_root_flag_is_passed_only_as_root(tmp_path):
    as_root = jupyter_command(tmp_path, port=8888, open_browser=True, as_root=True)
    as_user = jupyter_command(tmp_path, port=8888, open_browser=True, as_root=False)
    assert "--allow-root" in as_root and "--allow-root" not in as_user
    assert "--ServerApp.ip=127.0.0.1" in as_root and "--ServerApp.ip=127.0.0.1" in as_user


def run_cli(*args, cwd, home):
    return subprocess.run(
        [sys.executable, "-m", "aftertalk", "workshop", "--no-browser", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home)},
    )


def test_a_port_in_use_is_one_line_and_nothing_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("--kit", str(ROOT), "--port", str(port), cwd=tmp_path, home=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"aftertalk workshop: port {port} is already in use on this laptop; choose another "
        "with --port, or leave it out (8888, or the next free one).\n"
    )
    assert "Starting JupyterLab" not in result.stdout


def test_a_folder_that_is_not_a_kit_is_one_line(tmp_path):
    result = run_cli("--kit", str(tmp_path / "nowhere"), cwd=tmp_path, home=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert "is not an Aftertalk kit" in result.stderr and "--kit" in result.stderr


def test_workshop_in_a_copy_of_the_kit_opens_that_copy(tmp_path):
    kit = tmp_path / "my kit"
    for name in ("data", "notebooks"):
        shutil.copytree(ROOT / name, kit / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.pdf"))
    workshop = Workshop(tmp_path / "home", "--port", "0", cwd=kit)
    try:
        workshop.wait_for(URL)
        assert workshop.lines[0] == f"Opening the kit in {kit} (the current folder).\n"
        assert any(f"with the lessons in {kit / 'notebooks'}" in line for line in workshop.lines)
        assert workshop.ctrl_c() == 0
    finally:
        workshop.kill()
