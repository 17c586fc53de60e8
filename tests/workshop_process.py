"""`python -m aftertalk workshop` as a facilitator runs it, in the background, for the tests that need
JupyterLab itself (tests/test_cli_workshop.py, the projector driver in tests/projector.py)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=\w+")
START_SECONDS = 90


class Workshop:
    """`python -m aftertalk workshop` in the background, with its output read line by line."""

    def __init__(self, home: Path, *args: str, cwd: Path = ROOT, command=None, env: dict | None = None):
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "AFTERTALK_DATA_DIR": str(home / "aftertalk"),
            **(env or {}),
        }
        env.pop("JUPYTER_PORT", None)
        command = command or [sys.executable, "-m", "aftertalk", "workshop", "--no-browser", *args]
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            start_new_session=command[0] == "make",
            # Ctrl-C's default meaning, as from a terminal: a process started in the background
            # (as CI may start this suite) inherits it ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern, seconds: float = START_SECONDS) -> re.Match:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if match := pattern.search(line):
                return match
        raise AssertionError("not seen: " + pattern.pattern + "\n" + "".join(self.lines))

    def ctrl_c(self) -> int:
        if self.process.args[0] == "make":  # a terminal's Ctrl-C reaches make and what it runs
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=60)
        self.wait_for(re.compile(r"^Stopped JupyterLab"), seconds=10)
        return status

    def output(self) -> str:
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return "".join(self.lines)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)  # it ends at the pipe's end, once everything that held it has gone
        self.process.stdout.close()
