"""`aftertalk workshop`: JupyterLab with the kit's lessons, for the facilitator's laptop only.

JupyterLab listens on 127.0.0.1 alone: it runs code, so the room's network must never reach it (phones
reach only the poll server). It runs in its own process group, so that Ctrl-C in the terminal reaches
this command, which stops JupyterLab cleanly (and the poll server with it), instead of JupyterLab's
own "Shutdown this Jupyter server (y/[n])?" question.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from aftertalk.network import port_is_free
from aftertalk.paths import is_kit

JUPYTER_PORT = 8888
# The kit's JupyterLab defaults (the projector view's keys and stylesheet, no news pop-up): see the file.
LAB_SETTINGS = Path(__file__).parent / "lab_settings"
STOP_TIMEOUT_SECONDS = 20


class WorkshopError(RuntimeError):
    """The workshop cannot start; the message says why and what to do, in one line."""


def running_as_root() -> bool:
    """Root on Linux or macOS (a container, a locked-down school VM); Windows has no such user."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def jupyter_command(notebooks: Path, *, port: int, open_browser: bool, as_root: bool) -> list[str]:
    """The JupyterLab command line for the lessons in `notebooks`."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={notebooks}",
        f"--ServerApp.port={port}",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.app_settings_dir={LAB_SETTINGS}",
    ]
    if port != JUPYTER_PORT:
        command.append("--ServerApp.port_retries=0")  # a port the facilitator chose is that port or nothing
    if as_root:
        command.append("--allow-root")  # JupyterLab refuses root without it
    return command


def start(kit: Path, *, port: int = JUPYTER_PORT, open_browser: bool = True) -> subprocess.Popen:
    """Start JupyterLab on the kit's notebooks, in its own process group."""
    if not is_kit(kit):
        raise WorkshopError(
            f"{kit} is not an Aftertalk kit (it has no notebooks/ and data/questions/ folders); "
            "give the kit folder with --kit."
        )
    notebooks = kit.resolve() / "notebooks"
    if port != JUPYTER_PORT and port and not port_is_free("127.0.0.1", port):
        raise WorkshopError(
            f"port {port} is already in use on this laptop; choose another with --port, "
            f"or leave it out ({JUPYTER_PORT}, or the next free one)."
        )
    as_root = running_as_root()
    if as_root:
        print("Running as root: passing --allow-root to JupyterLab, which refuses root otherwise.", flush=True)
    print(
        f"Starting JupyterLab on 127.0.0.1 (this laptop only) with the lessons in {notebooks}. "
        "Press Ctrl-C here to stop it.",
        flush=True,
    )
    command = jupyter_command(notebooks, port=port, open_browser=open_browser, as_root=as_root)
    if sys.platform == "win32":
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    """Stop JupyterLab as its own Ctrl-C would (it ends its kernels), then harder if it hangs."""
    if process.poll() is not None:
        return
    if sys.platform == "win32":
        process.send_signal(signal.CTRL_BREAK_EVENT)
    else:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(kit: Path, *, port: int = JUPYTER_PORT, open_browser: bool = True) -> int:
    """Serve the workshop until JupyterLab exits or the facilitator presses Ctrl-C; then stop the poll
    server too, so that nothing keeps listening on the room's network."""
    from aftertalk.notebook.local_server import stop_servers

    process = start(kit, port=port, open_browser=open_browser)

    def interrupted(*_):
        raise KeyboardInterrupt

    if hasattr(signal, "SIGHUP"):  # the terminal window closed
        signal.signal(signal.SIGHUP, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        status = process.wait()
    except KeyboardInterrupt:
        stop(process)
        status = 0
    stopped = stop_servers(background_only=True)
    print("Stopped JupyterLab" + (" and the poll server." if stopped else "."), flush=True)
    return status
