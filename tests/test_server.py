"""The offline stand-in's lifecycle: start, status, second start, stop, busy port."""

import os
import socket
import subprocess

import pytest

from lab_helpers.cli import main
from lab_helpers.offline import server

from lab_helpers.offline.server import free_port


@pytest.fixture
def port_and_dir(tmp_path):
    port = free_port()
    yield port, str(tmp_path)
    server.stop(str(tmp_path), port)


def test_start_status_second_start_stop(port_and_dir, capsys):
    port, work = port_and_dir
    assert main(["offline", "status", "--port", str(port), "--work-dir", work]) == 3
    assert "not running" in capsys.readouterr().out

    assert main(["offline", "start", "--port", str(port), "--work-dir", work]) == 0
    out = capsys.readouterr().out
    assert f"started the offline stand-in at http://127.0.0.1:{port}" in out

    assert main(["offline", "start", "--port", str(port), "--work-dir", work]) == 0
    assert "already running" in capsys.readouterr().out

    assert main(["offline", "status", "--port", str(port), "--work-dir", work]) == 0
    assert f"endpoint: http://127.0.0.1:{port}" in capsys.readouterr().out

    # an independent client (the AWS CLI) talks to it through AWS_ENDPOINT_URL
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1"}
    aws = os.path.join(os.path.dirname(os.path.realpath(__import__("sys").executable)), "aws")
    done = subprocess.run([aws, "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"Account"' in done.stdout

    assert main(["offline", "stop", "--port", str(port), "--work-dir", work]) == 0
    assert "stopped" in capsys.readouterr().out
    assert not server.status(port).answering


def test_server_binds_loopback_only_and_logs_to_a_file(port_and_dir):
    port, work = port_and_dir
    status, started = server.start(work, port)
    assert started and status.ours
    assert server.log_file(work, port).exists()
    with open(f"/proc/{status.pid}/net/tcp") as tcp:  # 0100007F = 127.0.0.1
        listening = [line.split()[1] for line in tcp.readlines()[1:] if line.split()[3] == "0A"]
    assert f"0100007F:{port:04X}" in listening
    # the detached process holds no terminal or pipe of its caller
    fds = {os.readlink(f"/proc/{status.pid}/fd/{fd}") for fd in ("0", "1", "2")}
    assert not any(fd.startswith(("pipe:", "/dev/pts")) for fd in fds)


def test_busy_port_gives_a_clear_error(tmp_path, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["offline", "start", "--port", str(port), "--work-dir", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert f"port {port} is already in use by another program" in err and "--port" in err
