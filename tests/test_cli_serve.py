"""`aftertalk serve` from the command line: it starts, and refuses bad settings with a clear message."""

import socket
import subprocess
import sys

import pytest


def run_cli(*args, timeout=20):
    return subprocess.run([sys.executable, "-m", "aftertalk", *args], capture_output=True, text=True, timeout=timeout)


def test_a_port_in_use_is_refused_with_advice(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"port {port} is already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "server.json").exists()


def test_a_bad_port_is_refused(tmp_path):
    result = run_cli("serve", "--port", "99999", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "'99999' is not a port number" in result.stderr


def test_an_address_this_machine_does_not_have_is_refused(tmp_path):
    result = run_cli("serve", "--host", "192.0.2.77", "--port", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 2 and "cannot listen on 192.0.2.77" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_command_lists_the_commands():
    result = run_cli("serv")
    assert result.returncode == 2 and "invalid choice: 'serv'" in result.stderr and "serve" in result.stderr


@pytest.mark.own_server
def test_serve_stops_cleanly_on_sigterm_and_removes_its_secrets_file(server):
    assert (server.data_dir / "server.json").exists()
    assert oct((server.data_dir / "server.json").stat().st_mode & 0o777) == "0o600"
    server.stop()
    assert server.process.returncode == 0
    assert not (server.data_dir / "server.json").exists()
