"""The offline stand-in's lifecycle: start, status, second start, stop, busy port."""

import ast
import inspect
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from lab_helpers.cli import main
from lab_helpers.offline import server
from lab_helpers.offline.app import main as app_main
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


# --- whose stand-in it is: stop ends only this work dir's own ---------------------------------


def _info_path(work: str, port: int):
    return server.server_dir(work) / f"server-{port}.json"


def test_stop_never_kills_the_process_behind_a_stale_pid(tmp_path, capsys):
    """The info file names a pid that now belongs to an unrelated process: it is left alone."""
    port, work = free_port(), str(tmp_path)
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        _info_path(work, port).parent.mkdir(parents=True)
        _info_path(work, port).write_text(f'{{"pid": {unrelated.pid}, "port": {port}}}')
        assert main(["offline", "stop", "--port", str(port), "--work-dir", work]) == 0
        assert "no offline stand-in was running" in capsys.readouterr().out
        assert unrelated.poll() is None, "stop killed a process that is not the stand-in"
        assert not _info_path(work, port).exists()  # the stale file is gone
    finally:
        unrelated.kill()
        unrelated.wait()


def test_two_work_dirs_cannot_stop_each_others_stand_in(tmp_path, capsys):
    """Two checkouts, a port each: one stops its own only; the other's is refused with its owner named."""
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    my_port, their_port = free_port(), free_port()
    try:
        assert server.start(str(mine), my_port)[0].belongs_to(mine)
        assert server.start(str(theirs), their_port)[0].belongs_to(theirs)

        # stopping the other checkout's stand-in (same port, another work dir) is refused
        assert main(["offline", "stop", "--port", str(their_port), "--work-dir", str(mine)]) == 1
        err = capsys.readouterr().err
        assert "another lab" in err and str(theirs.resolve()) in err
        assert server.status(their_port).belongs_to(theirs)

        # make stop's form: the port and work dir come from the parameters file
        params = tmp_path / "params.yaml"
        params.write_text(f'backend: offline\noffline_port: {my_port}\nwork_dir: "{mine}"\n')
        assert main(["offline", "stop", "-f", str(params)]) == 0
        assert "stopped the offline stand-in" in capsys.readouterr().out
        assert not server.status(my_port).answering
        assert server.status(their_port).belongs_to(theirs), "stopping mine stopped theirs too"
    finally:
        server.stop(str(mine), my_port)
        server.stop(str(theirs), their_port)
    assert not server.status(their_port).answering


def test_status_names_the_work_dir(port_and_dir, capsys):
    port, work = port_and_dir
    server.start(work, port)
    assert main(["offline", "status", "--port", str(port)]) == 0
    assert f"work dir {os.path.realpath(work)}" in capsys.readouterr().out


def test_inventory_json_is_only_json_when_it_starts_the_stand_in(tmp_path):
    """``inventory --json`` with no stand-in running: it starts one, and says so on stderr only."""
    import json
    import sys

    port, work = free_port(), tmp_path / "lab"
    params = tmp_path / "params.yaml"
    params.write_text(f'backend: offline\noffline_port: {port}\nwork_dir: "{work}"\n')
    env = {k: v for k, v in os.environ.items() if k not in {"AWS_ENDPOINT_URL", "AWS_PROFILE"}}
    try:
        assert not server.status(port).answering
        done = subprocess.run([sys.executable, "-m", "lab_helpers", "inventory", "--json", "-f", str(params)],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        items = json.loads(done.stdout)
        assert set(items) == {"producer (111111111111)", "consumer (222222222222)"}
        assert "Started the offline AWS stand-in" in done.stderr
    finally:
        server.stop(str(work), port)


def _wait_exec(pid: int, timeout: float = 10.0) -> None:
    """Until the child shows its own command line (right after fork it still shows pytest's)."""
    import time
    from pathlib import Path

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if b"time.sleep" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
        time.sleep(0.02)


def test_a_hung_stand_in_of_this_work_dir_is_stopped_by_its_command_line(tmp_path, capsys):
    """No health answer, but the recorded pid runs this work dir's stand-in command for this port: stopped."""
    import sys

    port, work = free_port(), str(tmp_path)
    command = server._command(work, port)  # what start() runs; this one only sleeps (never answers)
    hung = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *command[1:]])
    _wait_exec(hung.pid)
    try:
        _info_path(work, port).parent.mkdir(parents=True)
        _info_path(work, port).write_text(f'{{"pid": {hung.pid}, "port": {port}}}')
        assert main(["offline", "stop", "--port", str(port), "--work-dir", work]) == 0
        assert "it did not answer" in capsys.readouterr().out
        assert hung.wait(timeout=15) is not None
        # the same command for another port is not this stand-in
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *server._command(work, port + 1)[1:]])
        _wait_exec(other.pid)
        try:
            _info_path(work, port).write_text(f'{{"pid": {other.pid}, "port": {port}}}')
            main(["offline", "stop", "--port", str(port), "--work-dir", work])
            assert other.poll() is None
        finally:
            other.kill()
            other.wait()
    finally:
        hung.kill()
        hung.wait()


def test_each_work_dir_gets_its_own_port_and_stops_only_its_own(tmp_path, monkeypatch, capsys):
    """No port given: two work dirs (two people, or two checkouts) get different ports, recorded in each work
    dir so the next start uses the same one; ``offline stop`` (make stop's form) stops only its own."""
    from lab_helpers.config import make_config, port_file

    monkeypatch.delenv("LAB_OFFLINE_PORT", raising=False)
    dirs = {name: tmp_path / name for name in ("mine", "theirs")}
    params = {}
    for name, folder in dirs.items():
        params[name] = tmp_path / f"{name}.yaml"
        params[name].write_text(f'backend: offline\nwork_dir: "{folder}"\n')
    ports = {}
    try:
        for name in dirs:
            assert main(["offline", "start", "-f", str(params[name])]) == 0
            ports[name] = make_config(work_dir=str(dirs[name])).offline_port
        assert ports["mine"] != ports["theirs"], "two work dirs share a stand-in port"
        for name in dirs:
            assert server.status(ports[name]).belongs_to(dirs[name])
            assert int(port_file(dirs[name]).read_text()) == ports[name]
        capsys.readouterr()

        assert main(["offline", "stop", "-f", str(params["mine"])]) == 0
        assert "stopped the offline stand-in" in capsys.readouterr().out
        assert not server.status(ports["mine"]).answering
        assert server.status(ports["theirs"]).belongs_to(dirs["theirs"]), "stopping mine stopped theirs"

        assert main(["offline", "start", "-f", str(params["mine"])]) == 0  # the next start: the same port
        assert server.status(ports["mine"]).belongs_to(dirs["mine"])
        assert make_config(work_dir=str(dirs["mine"])).offline_port == ports["mine"]
        assert main(["offline", "stop", "--work-dir", str(dirs["theirs"])]) == 0  # without -f: the same port
        assert server.status(ports["mine"]).belongs_to(dirs["mine"]) and not server.status(ports["theirs"]).answering
    finally:
        for name, port in ports.items():
            server.stop(str(dirs[name]), port)


def test_an_explicit_port_wins_over_the_work_dirs_own(tmp_path, monkeypatch):
    from lab_helpers.config import make_config, port_file

    monkeypatch.delenv("LAB_OFFLINE_PORT", raising=False)
    own = make_config(work_dir=str(tmp_path)).offline_port
    assert 20000 <= own < 32000 and int(port_file(tmp_path).read_text()) == own
    assert make_config(work_dir=str(tmp_path), offline_port=6123).offline_port == 6123
    monkeypatch.setenv("LAB_OFFLINE_PORT", "6124")
    assert make_config(work_dir=str(tmp_path)).offline_port == 6124
    monkeypatch.delenv("LAB_OFFLINE_PORT")
    assert make_config(work_dir=str(tmp_path)).offline_port == own
    assert not port_file(tmp_path / "aws").exists()
    make_config(backend="aws", producer_account_id="111111111111", consumer_account_id="222222222222",
                work_dir=str(tmp_path / "aws"))
    assert not port_file(tmp_path / "aws").exists(), "the aws backend records no stand-in port"


def test_the_stand_in_process_reads_each_botocore_model_once():
    """moto makes a fresh boto3 session wherever it needs botocore's data; in the stand-in they share one loader."""
    code = ("import sys\n"
            "from lab_helpers.offline.app import share_botocore_loader\n"
            "import boto3\n"
            "before = boto3.Session()._loader is boto3.Session()._loader\n"
            "share_botocore_loader(); share_botocore_loader()\n"
            "a, b = boto3.Session(), boto3.Session()\n"
            "assert a._loader is b._loader, 'two sessions, two loaders'\n"
            "assert a.get_available_regions('ec2') == b.get_available_regions('ec2') != []\n"
            "import botocore.loaders\n"
            "assert botocore.loaders.create_loader() is botocore.loaders.create_loader(), 'a direct caller reads it again'\n"
            "import moto.core.utils as moto_utils\n"
            "assert moto_utils.create_loader() is moto_utils.create_loader(), 'moto reads each model again'\n"
            "print(before)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # without it each session reads botocore's data again
    body = ast.parse(textwrap.dedent(inspect.getsource(app_main))).body[0].body
    calls = [i for i, node in enumerate(body) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and getattr(node.value.func, "id", "") == "share_botocore_loader"]
    imports = [i for i, node in enumerate(body) if isinstance(node, ast.ImportFrom)]
    assert calls and calls[0] < imports[0], "the stand-in's main shares the loader before it imports moto"


def test_the_stand_in_lists_no_public_ec2_images(port_and_dir):
    """moto's EC2 (which its Redshift builds per account) would load its catalogue of public AMIs: the lab never
    asks for one, so the stand-in leaves them out (docs/aws-behaviour.md: how the stand-in answers what it cannot serve)."""
    import boto3

    port, work = port_and_dir
    server.start(work, port)
    ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id="offline-lab-key", aws_secret_access_key="offline-lab-key")
    assert ec2.describe_images(Owners=["amazon"])["Images"] == []


def test_the_stand_in_keeps_a_clients_connection_and_never_reads_a_body_into_the_next_request(port_and_dir):
    """botocore keeps its connections open; the stand-in answers every request of one connection in turn, so a
    lab does not open a TCP connection (and the server a thread) per call. A body the application did not read
    is read to its Content-Length, not taken for the next request; a client that asks to close is let go."""
    import http.client
    import json

    import boto3
    import urllib3

    port, work = port_and_dir
    server.start(work, port)
    opened = []
    new_conn = urllib3.connection.HTTPConnection._new_conn

    def counted(self):  # type: ignore[no-untyped-def]
        opened.append(self)
        return new_conn(self)

    sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                       aws_access_key_id="offline-lab-key", aws_secret_access_key="offline-lab-key")
    urllib3.connection.HTTPConnection._new_conn = counted
    try:
        accounts = {sts.get_caller_identity()["Account"] for _ in range(5)}
    finally:
        urllib3.connection.HTTPConnection._new_conn = new_conn
    assert accounts == {"123456789012"} and len(opened) == 1

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/__lab_kit__/health", body=b"not a request line\r\n" * 400)  # left unread
    first = connection.getresponse()
    assert first.status == 200 and json.loads(first.read())["pid"]
    connection.request("GET", "/__lab_kit__/health")
    second = connection.getresponse()
    assert second.status == 200 and json.loads(second.read())["kit"] == "datazone-lab-kit"
    connection.request("GET", "/__lab_kit__/health", headers={"Connection": "close"})
    assert connection.getresponse().getheader("Connection") == "close"


def test_a_client_keeping_its_connection_does_not_hold_up_the_stand_ins_stop(tmp_path):
    """Ctrl-C in the terminal of a stand-in run by hand ends it at once, though a kernel's connection is still open."""
    import http.client
    import signal
    import time

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "lab_helpers.offline.app", "--port", str(port)], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not server.status(port).answering and time.monotonic() < deadline:
            time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/__lab_kit__/health")
        assert connection.getresponse().read()  # the connection stays open
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) is not None
    finally:
        process.kill()
        process.wait()
