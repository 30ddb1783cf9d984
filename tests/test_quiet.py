"""Quiet: a headless run prints no kernel warnings, and leaves no kernel behind."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nbformat as nbf
import pytest

from lab_helpers import kernels, runner
from lab_helpers.cli import main

NOISE = ("Kernel is running over TCP without encryption", "KeyboardInterrupt caught in kernel")


def _notebook(path, body):
    nb = nbf.v4.new_notebook(cells=[nbf.v4.new_code_cell("backend: str = 'offline'", metadata={"tags": ["parameters"]}),
                                    nbf.v4.new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbf.write(nb, path)


def _kernels() -> set[int]:
    """Kernel processes this test process started (children whose parent is us), from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and "ipykernel_launcher" in cmdline:
            found.add(int(entry.name))
    return found


def test_a_run_prints_no_kernel_noise_and_its_kernels_are_gone(tmp_path, capfd):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "01_producer_admin_first.ipynb",
              "from ipykernel import get_connection_info\nprint('transport', get_connection_info(unpack=True)['transport'])")
    _notebook(folder / "02_publisher_second.ipynb", "import time; time.sleep(0.5); print('second')")
    params = tmp_path / "p.yaml"
    params.write_text(f"backend: aws\nproducer_account_id: '111111111111'\nconsumer_account_id: '222222222222'\n"
                      f"work_dir: '{tmp_path / 'work'}'\n")
    out = tmp_path / "out"
    assert main(["run", "-f", str(params), "--notebooks", str(folder), "--output", str(out)]) == 0
    printed = capfd.readouterr()
    log = (out / runner.KERNEL_LOG).read_text() if (out / runner.KERNEL_LOG).exists() else ""
    for line in NOISE:
        assert line not in printed.out + printed.err, f"the run printed {line!r}"
        assert line not in log, f"a kernel logged {line!r} (kernels.log)"
    assert "ok" in printed.out
    first = nbf.read(out / "01_producer_admin_first.ipynb", as_version=4)
    said = "".join(o.get("text", "") for c in first.cells for o in c.get("outputs", []))
    if os.name == "posix":  # Unix sockets: no TCP port another process could take before the kernel binds it
        assert "transport ipc" in said
    assert not _kernels(), "a kernel is still running after the run"


def test_the_kernels_transport_is_encrypted_where_the_kernelspec_allows():
    zmq = pytest.importorskip("zmq")
    if not zmq.has("curve"):
        pytest.skip("this pyzmq has no CurveZMQ")
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert "curve" in (spec.metadata.get("supported_encryption") or []), "ipykernel's kernelspec declares curve"


@pytest.mark.parametrize("ctrl_c", [False, True])
def test_a_finished_kernel_is_shut_down_without_sigint_but_ctrl_c_still_interrupts(tmp_path, monkeypatch, ctrl_c):
    """jupyter_client sends SIGINT to every kernel it shuts down; an idle kernel logs it as noise."""
    import threading

    from jupyter_client.manager import AsyncKernelManager

    sent = []

    async def interrupt(self):
        sent.append(True)

    monkeypatch.setattr(AsyncKernelManager, "_async_interrupt_kernel", interrupt)
    event = threading.Event()
    if ctrl_c:
        event.set()
    manager = kernels.quiet_kernel_manager(tmp_path / "k.log", event)()
    manager.shutting_down = True
    asyncio.run(manager._async_interrupt_kernel())
    assert sent == ([True] if ctrl_c else [])
    manager.shutting_down = False  # an interrupt asked for while running (a cell timeout) is always sent
    asyncio.run(manager._async_interrupt_kernel())
    assert len(sent) == (2 if ctrl_c else 1)


def test_make_jupyter_shows_no_news_and_its_kernels_are_quiet(tmp_path):
    """``make jupyter`` as written in the Makefile: no news or update pop-up, a closed notebook's kernel shut
    down, and a kernel started in it does not warn about unencrypted transport."""
    import json
    import re
    import shlex
    import subprocess
    import sys
    import time
    import urllib.request

    from lab_helpers.offline.server import free_port

    root = Path(__file__).resolve().parent.parent
    venv = tmp_path / "venv"
    (venv).mkdir()
    (venv / ".installed").touch()
    planned = subprocess.run(["make", "-n", "-C", str(root), "jupyter", f"VENV={venv}"], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    copy = next(line for line in planned if "overrides" in line)
    subprocess.run(copy, shell=True, cwd=root, check=True)  # the Makefile's own copy of the settings
    flags = shlex.split(next(line for line in planned if " lab " in line).split(" lab ", 1)[1])
    port, token = free_port(), "quiet-test"
    log_path = tmp_path / "jupyter.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", *flags, "--no-browser", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={token}",
             f"--LabApp.app_settings_dir={venv / 'share' / 'jupyter' / 'lab' / 'settings'}"],
            cwd=root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def get(path: str, method: str = "GET", body: bytes | None = None):
        request = urllib.request.Request(f"{url}{path}", data=body, method=method,
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.read()

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get("/api/status")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.5)
        page = get("/lab").decode()
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
        assert config["news"]["disabled"] is True
        # overrides become the settings' defaults (what JupyterLab uses unless the person changes them)
        notification = json.loads(get("/lab/api/settings/@jupyterlab/apputils-extension:notification"))["schema"]
        assert notification["properties"]["fetchNews"]["default"] == "false"  # "Never": no "news?" pop-up
        assert notification["properties"]["checkForUpdates"]["default"] is False
        tracker = json.loads(get("/lab/api/settings/@jupyterlab/notebook-extension:tracker"))["schema"]
        assert tracker["properties"]["kernelShutdown"]["default"] is True
        kernel = json.loads(get("/api/kernels", "POST", json.dumps({"name": "python3"}).encode()))
        time.sleep(3)
        get(f"/api/kernels/{kernel['id']}", "DELETE")
        time.sleep(1)
        for line in NOISE:
            assert line not in log_path.read_text(), f"make jupyter's terminal shows {line!r}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
