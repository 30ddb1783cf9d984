"""Notebooks executed in worker processes whose kernels are started and warmed ahead of time.

Starting a kernel and importing the libraries a notebook uses (pandas, boto3, the kit;
awswrangler and matplotlib where it queries or charts) takes seconds per notebook: most of
an offline lab run. So each notebook runs in a worker process that starts its own fresh
kernel and warms it (imports only: the import runs silently, with no history, and binds no
name in the notebook's namespace) while the previous notebook still runs; when the scheduler
says go, the worker executes the notebook with papermill on that kernel and shuts it down.
The workers fork from a server process that imported the libraries every notebook uses once
(:data:`KERNEL_PRELOAD`), and each forks its kernel from itself (:class:`ForkedKernel`).
Every notebook still gets a fresh kernel process, and nothing one notebook defines reaches the next.

:func:`execute` schedules the jobs: in list order (each starts when the previous one
succeeded), or with ``parallel=True`` as soon as the jobs it needs have succeeded. A
failure stops new starts (running notebooks finish); Ctrl-C interrupts the running ones,
whose partial notebooks stay saved.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

#: Imported in every kernel before its notebook runs: what every lab notebook's first cell imports, and the
#: caches its clients use (botocore's endpoint data and the lab's service models).
BASE_WARM = ("lab_helpers.notebook", "lab_helpers.warm")
#: Imported once, in the server process the workers fork from; each worker forks its kernel from itself
#: (:class:`ForkedKernel`), so a kernel starts with these loaded (:data:`BASE_WARM` and what it imports).
KERNEL_PRELOAD = ("ipykernel.kernelapp", *BASE_WARM)
#: Imported with a module a notebook imports: what its first use imports. A notebook's first figure
#: (``matplotlib.pyplot``, shown by the inline backend) loads the Agg renderer, PIL's image formats
#: (``PIL.Image.preinit``) and, for a pandas ``.plot``, pandas' matplotlib backend: about 0.1 s.
WARM_WITH = {"matplotlib.pyplot": ("matplotlib.backends.backend_agg", "PIL.BmpImagePlugin", "PIL.GifImagePlugin",
                                   "PIL.JpegImagePlugin", "PIL.PpmImagePlugin", "PIL.PngImagePlugin",
                                   "pandas.plotting._matplotlib")}
#: Seconds a worker may take to start and warm its kernel.
START_TIMEOUT = 120


@dataclass
class Job:
    """One notebook to execute: ``key`` names it (its number), ``needs`` the keys it waits for."""

    key: str
    path: Path
    output: Path
    parameters: dict[str, Any]
    needs: frozenset[str] = frozenset()


@dataclass
class Outcome:
    """How a job ended: ``ok``, ``FAILED``, ``INTERRUPTED`` or ``skipped``; wall-clock start and end."""

    key: str
    status: str = "skipped"
    error: str = ""
    cell_index: int | None = None
    started: float | None = None
    ended: float | None = None
    warm_seconds: float | None = None

    @property
    def seconds(self) -> float:
        return (self.ended - self.started) if self.started is not None and self.ended is not None else 0.0


@dataclass
class _Worker:
    job: Job
    process: Any
    conn: Connection
    warm: bool = False
    running: bool = False
    outcome: Outcome = field(default_factory=lambda: Outcome(""))


class ForkedKernel:
    """A kernel process forked from this worker, which has the lab's libraries imported: it waits for its command line.

    Starting ``python -m ipykernel_launcher`` imports the interpreter's and the kernel's
    libraries again (about 1.5 s of CPU per kernel with the lab's: pandas, boto3, botocore's
    models). The runner's workers fork from a server process that imported them once
    (:func:`_context`), and each worker forks its kernel from itself before it makes any thread,
    event loop or ZeroMQ socket. The kernel is still a new process: nothing a notebook defines
    reaches another. To jupyter_client it is the provisioner's process (``poll``, ``wait``,
    ``send_signal``, ``kill`` and ``terminate`` as ``subprocess.Popen`` has them); it runs in its
    own session, as jupyter_client starts kernels.
    """

    stdin = stdout = stderr = None  # what jupyter_client closes after wait(), as on a Popen

    def __init__(self) -> None:
        read, self._commands = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the kernel
            os.close(self._commands)
            _run_forked_kernel(read)
        os.close(read)
        self.returncode: int | None = None

    @staticmethod
    def runs(kernel_cmd: list[str]) -> bool:
        """Whether a forked kernel can run ``kernel_cmd`` (this interpreter, ``-m ipykernel_launcher``, no flags)."""
        import sys

        return (len(kernel_cmd) > 3 and kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]
                and os.path.realpath(kernel_cmd[0]) == os.path.realpath(sys.executable))

    def launch(self, kernel_cmd: list[str], env: dict[str, str], cwd: str) -> None:
        """Start the kernel: its arguments, environment and folder go through the pipe it waits on."""
        import json

        # ipykernel reads JPY_PARENT_PID when it is imported (here: before the fork), so the parent goes as an argument
        argv = [*kernel_cmd[3:], f"--IPKernelApp.parent_handle={os.getpid()}"]
        os.write(self._commands, json.dumps({"argv": argv, "env": dict(env), "cwd": cwd}).encode())
        os.close(self._commands)

    def discard(self) -> None:
        """Not needed after all: the process ends (it reads nothing) and is reaped."""
        os.close(self._commands)
        self.wait()

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _run_forked_kernel(commands: int) -> None:
    """In the forked process: wait for the command line, then be ``python -m ipykernel_launcher ARGS``; never returns."""
    import json
    import sys

    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client starts kernels (interrupts go there)
        data = b""
        while chunk := os.read(commands, 1 << 16):
            data += chunk
        if not data:  # discarded
            os._exit(0)
        spec = json.loads(data)
        os.environ.clear()
        os.environ.update(spec["env"])
        os.chdir(spec["cwd"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a new interpreter (the worker ignored it)
        from ipykernel import kernelapp

        sys.argv = ["ipykernel_launcher", *spec["argv"]]
        kernelapp.launch_new_instance(argv=spec["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 (reported in the kernels' log, which stderr goes to)
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 (closed by the kernel)
                pass
        os._exit(code)


def quiet_kernel_manager(log: Path, interrupted: threading.Event | None = None) -> type:
    """A kernel manager whose kernels are quiet, and write what they still say to ``log``, not the terminal.

    - Unix sockets (``ipc``) instead of TCP ports on Linux and macOS, in a private folder: no port that
      another process can take between its choice and the kernel's bind (on a busy machine that failed a
      run with "Address already in use"), and no "Kernel is running over TCP without encryption".
      Elsewhere TCP with transport encryption (CurveZMQ) where the kernelspec offers it, as the lab's
      and ipykernel's own kernelspecs do.
    - No SIGINT to a kernel whose notebook has finished: jupyter_client interrupts every kernel it shuts
      down, which an idle kernel logs as "KeyboardInterrupt caught in kernel". After a Ctrl-C
      (``interrupted`` set) the interrupt is sent as usual, to stop the cell still running.
    - One client, ready once: papermill (nbclient) executes the notebook with the client that warmed
      the kernel. jupyter_client's ``wait_for_ready`` ends by waiting up to 0.2 s for an IOPub
      message that ipykernel does not send for a ``kernel_info`` request, so every readiness check
      costs 0.2 s; the warm client has passed it already, and its second check is skipped.

    The cells' output reaches the notebook either way (through Jupyter messages).
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        ipc_dir: str | None = None
        _client: Any = None
        forked: ForkedKernel | None = None

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            """Launch through :attr:`forked` (a process waiting with the lab's libraries imported) when it can run
            ``kernel_cmd``: this interpreter's ``-m ipykernel_launcher``. Otherwise as jupyter_client does."""
            forked, self.forked = self.forked, None
            if forked is None or not ForkedKernel.runs(kernel_cmd):
                if forked is not None:
                    forked.discard()
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            # the environment jupyter_client's launcher gives a kernel (the parent handle itself goes as an argument)
            env = {**(kw.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}
            forked.launch(kernel_cmd, env, str(kw.get("cwd") or os.getcwd()))
            provisioner = self.provisioner
            provisioner.process, provisioner.pid, provisioner.pgid = forked, forked.pid, forked.pid  # type: ignore[union-attr]
            provisioner.cwd = kw.get("cwd")  # type: ignore[union-attr]
            self._reconcile_connection_info(provisioner.connection_info)  # type: ignore[union-attr]

        def client(self, **kwargs: Any) -> Any:
            """The kernel's one client: starting its channels again keeps them; once ready, it stays ready."""
            if self._client is None:
                client = self._client = super().client(**kwargs)
                start_channels, wait_for_ready = client.start_channels, client.wait_for_ready
                ready = False

                def start_once(*args: Any, **kw: Any) -> None:
                    if not client.channels_running:
                        start_channels(*args, **kw)

                async def ready_once(timeout: float | None = None) -> None:
                    nonlocal ready
                    if not ready:
                        await wait_for_ready(timeout=timeout)
                        ready = True

                client.start_channels, client.wait_for_ready = start_once, ready_once
            return self._client

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            if os.name == "posix" and self.ipc_dir is None:
                self.ipc_dir = tempfile.mkdtemp(prefix="lab-kernel-")  # private (0700), short enough for a socket path
                self.transport, self.ip = "ipc", os.path.join(self.ipc_dir, "k")
            if zmq.has("curve"):
                self.transport_encryption = "auto"  # only where the kernelspec declares curve support
            with open(log, "ab") as handle:  # the kernel process gets its own copy of the descriptor
                kw.setdefault("stdout", handle)
                kw.setdefault("stderr", handle)
                await super().start_kernel(**kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart and self.ipc_dir:
                shutil.rmtree(self.ipc_dir, ignore_errors=True)

        async def _async_interrupt_kernel(self) -> None:
            if self.shutting_down and not (interrupted is not None and interrupted.is_set()):
                return  # finished (or failed) notebook: the kernel is idle, the shutdown request suffices
            await super()._async_interrupt_kernel()

    return QuietKernelManager


def _last_started_cell(output: Path) -> int | None:
    """The index of the last cell papermill started in the saved partial notebook, if any."""
    import nbformat

    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception:  # not saved yet (interrupted while the kernel started)
        return None
    started = [i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def warm_modules(path: Path) -> list[str]:
    """The modules ``path``'s kernel imports while it warms: :data:`BASE_WARM`, then those its code cells import
    (each with its :data:`WARM_WITH`).

    ``from lab_helpers import queries`` counts as ``lab_helpers.queries``. A kit module that imports a library
    only inside its functions names it in ``LAZY_IMPORTS``; once the notebook's modules are imported, the
    warm-up imports the ``LAZY_IMPORTS`` of every kit module loaded (directly or not). Only what
    the notebook uses is imported: on 2 cores a warming kernel takes CPU from the notebook running beside it.
    """
    import ast

    import nbformat

    found = dict.fromkeys(BASE_WARM)
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                found.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names))
    for name in list(found):
        found.update(dict.fromkeys(WARM_WITH.get(name, ())))
    return list(found)


def _warm_code(modules: list[str]) -> str:
    """Kernel code importing ``modules`` (then the loaded kit modules' ``LAZY_IMPORTS``), binding no name."""
    return ("def _lab_warm(modules):\n"
            "    import importlib, sys\n"
            "    def load(name):\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass\n"
            "    for name in modules:\n"
            "        load(name)\n"
            "    for module in [m for n, m in list(sys.modules.items()) if n.startswith('lab_helpers')]:\n"
            "        for name in getattr(module, 'LAZY_IMPORTS', ()):\n"
            "            load(name)\n"
            f"_lab_warm({modules!r})\n"
            "del _lab_warm\n")


def _to_log(log: str) -> None:
    """Send what the worker itself would print to ``log``: it reports through its pipe only.

    After a Ctrl-C the kernel is shut down while nbclient's tasks still wait on it; asyncio then
    logs their ``DeadKernelError`` ("Task exception was never retrieved") with a traceback,
    which the attendee's terminal must not show.
    """
    with open(log, "ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)


def _worker(job: Job, cwd: str, kernel_name: str | None, log: str, conn: Connection,
            environ: dict[str, str] | None = None) -> None:
    """Worker process: start and warm a kernel, say so, wait for go, execute the notebook, report.

    ``environ`` is the caller's environment when it asked for the worker: a worker forks from
    a server process started earlier, whose environment may be older (a test, or a caller,
    that changed ``LAB_WORKDIR`` since), and the kernel inherits the worker's.
    """
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    _to_log(log)
    forked: ForkedKernel | None = ForkedKernel()  # first: no thread, loop or socket exists yet
    outcome = Outcome(job.key)
    km = None
    interrupted = threading.Event()
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # ignored until here (see _spawn)
        import papermill as pm
        from jupyter_core.utils import run_sync
        from papermill.exceptions import PapermillExecutionError

        from .papermill_engine import ENGINE_NAME

        began = time.monotonic()
        km = quiet_kernel_manager(Path(log), interrupted)(kernel_name=kernel_name or _kernel_of(job.path))
        km.forked, forked = forked, None
        run_sync(km.start_kernel)(cwd=cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        client = km.client()  # papermill executes the notebook with this client too (see quiet_kernel_manager)
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=START_TIMEOUT)
        run_sync(client.execute_interactive)(_warm_code(warm_modules(job.path)), silent=True, store_history=False,
                                             timeout=START_TIMEOUT)
        outcome.warm_seconds = time.monotonic() - began
        conn.send(("warm", outcome.warm_seconds))
        if conn.recv() != "go":
            return
        outcome.started = time.time()
        try:
            pm.execute_notebook(str(job.path), str(job.output), parameters=job.parameters, cwd=cwd, km=km,
                                engine_name=ENGINE_NAME, progress_bar=False, log_output=False)
            outcome.status = "ok"
        except PapermillExecutionError as exc:
            outcome.status, outcome.cell_index, outcome.error = "FAILED", exc.cell_index, f"{exc.ename}: {exc.evalue}"
        except Exception as exc:  # kernel died, notebook unreadable, ...
            outcome.status, outcome.error = "FAILED", f"{type(exc).__name__}: {exc}"
    except KeyboardInterrupt:
        interrupted.set()
        if outcome.started is not None:
            outcome.status, outcome.error = "INTERRUPTED", "interrupted (Ctrl-C)"
            outcome.cell_index = _last_started_cell(job.output)
    except Exception as exc:  # the kernel would not start
        outcome.status, outcome.error = "FAILED", f"the kernel did not start: {type(exc).__name__}: {exc}"
        outcome.started = outcome.started or time.time()
    finally:
        outcome.ended = time.time() if outcome.started is not None else None
        try:
            conn.send(("done", outcome))
        except (BrokenPipeError, OSError):
            pass
        if forked is not None:  # the manager never took it
            forked.discard()
        if km is not None:
            try:
                from jupyter_core.utils import run_sync

                if km._client is not None:
                    km._client.stop_channels()
                run_sync(km.shutdown_kernel)(now=outcome.status != "ok")
            except BaseException:  # noqa: BLE001 (a kernel already gone, a second Ctrl-C)
                pass


def _context() -> Any:
    """Workers fork from a server process that has papermill and jupyter_client imported (seconds saved each)."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["lab_helpers.lean_imports", "papermill", "papermill.exceptions", "jupyter_client.manager",
                                "jupyter_core.utils", "nbformat", "lab_helpers.kernels", "lab_helpers.papermill_engine",
                                *KERNEL_PRELOAD])
    return ctx


def _kernel_of(path: Path) -> str:
    import nbformat

    return nbformat.read(str(path), as_version=4).metadata.get("kernelspec", {}).get("name", "python3")


def execute(jobs: Iterable[Job], cwd: Path, log: Path, kernel_name: str | None = None, parallel: bool = False,
            ahead: int = 3, max_running: int = 3,
            on_event: Callable[[str, Job, Outcome], None] | None = None) -> dict[str, Outcome]:
    """Execute ``jobs``; returns each job's :class:`Outcome` by key.

    Sequential (default): in the given order, each after the previous one succeeded.
    ``parallel``: each as soon as every job in its ``needs`` succeeded, at most
    ``max_running`` at a time. ``ahead`` kernels are started and warmed beyond the running
    ones (three by default: notebooks 02, 03 and 04 take a second or two each, less than a
    kernel takes to warm). ``on_event(kind, job, outcome)`` is called with ``started`` and ``ended``.
    A Ctrl-C ends it: the running notebooks' outcomes say ``INTERRUPTED``, the rest ``skipped``.
    """
    order = list(jobs)
    keys = [j.key for j in order]
    ctx = _context()
    outcomes = {j.key: Outcome(j.key) for j in order}
    workers: dict[str, _Worker] = {}
    waiting = list(order)
    stop_starting = False
    emit = on_event or (lambda *_: None)

    def needs_of(job: Job) -> frozenset[str]:
        if parallel:
            return frozenset(n for n in job.needs if n in outcomes)
        index = keys.index(job.key)
        return frozenset(keys[index - 1:index]) if index else frozenset()

    def spawn(job: Job) -> None:
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_worker, args=(job, str(cwd), kernel_name, str(log), child, dict(os.environ)),
                              daemon=True, name=f"notebook-{job.key}")
        # a Ctrl-C while the worker boots would print multiprocessing's traceback: it starts with
        # SIGINT ignored (kept across exec) and takes it back in _worker
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            process.start()
        finally:
            signal.signal(signal.SIGINT, previous)
        child.close()
        workers[job.key] = _Worker(job, process, parent, outcome=outcomes[job.key])

    def top_up() -> None:
        """Keep ``ahead`` kernels warming or warm beyond the notebooks that may run now."""
        live = sum(1 for j in waiting if j.key in workers) + sum(1 for w in workers.values() if w.running)
        first_warm = any(w.warm for w in workers.values())
        for job in [j for j in waiting if j.key not in workers]:
            if stop_starting or live >= (max_running if parallel else 1) + ahead:
                break
            if workers and not first_warm:  # the first kernel warms alone: on 2 cores the others would slow it
                break
            spawn(job)
            live += 1

    def start_ready() -> None:
        running = sum(1 for w in workers.values() if w.running)
        for job in list(waiting):
            worker = workers.get(job.key)
            if stop_starting or worker is None or not worker.warm:
                continue
            if parallel and running >= max_running:
                break
            if all(outcomes[n].status == "ok" for n in needs_of(job)):
                worker.conn.send("go")
                worker.running, running = True, running + 1
                waiting.remove(job)
                outcomes[job.key].started = time.time()
                emit("started", job, outcomes[job.key])
            elif not parallel:
                break

    try:
        while True:
            top_up()
            start_ready()
            busy = [w.conn for w in workers.values() if not w.conn.closed and (w.running or not w.warm)]
            if not busy:  # nothing runs or warms: all done, stopped after a failure, or nothing can start
                break
            live = busy
            for conn in wait(live, timeout=1.0):
                worker = next(w for w in workers.values() if w.conn is conn)
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    conn.close()
                    if worker.running:
                        worker.running = False
                        _mark_lost(worker.outcome, worker.job)
                        stop_starting = True
                        emit("ended", worker.job, worker.outcome)
                    else:  # died before it was warm
                        _mark_lost(worker.outcome, worker.job)
                        worker.outcome.started = worker.outcome.ended
                        waiting.remove(worker.job)
                        stop_starting = True
                    continue
                if kind == "warm":
                    worker.warm = True
                    worker.outcome.warm_seconds = value
                elif kind == "done":
                    value.started = worker.outcome.started or value.started
                    outcomes[worker.job.key] = worker.outcome = value
                    worker.running = False
                    conn.close()
                    if value.status != "ok":
                        stop_starting = True
                    emit("ended", worker.job, value)
    except KeyboardInterrupt:
        _collect_after_interrupt(workers, outcomes, emit)
    finally:
        for worker in workers.values():
            if not worker.conn.closed:
                try:
                    worker.conn.send("stop")
                except (BrokenPipeError, OSError):
                    pass
        for worker in workers.values():
            worker.process.join(timeout=15)
            if worker.process.is_alive():
                worker.process.terminate()
    return outcomes


def _mark_lost(outcome: Outcome, job: Job) -> None:
    outcome.status, outcome.ended = "FAILED", time.time()
    outcome.error = "its worker process ended without a report (killed?)"
    outcome.cell_index = _last_started_cell(job.output)


def _collect_after_interrupt(workers: dict[str, _Worker], outcomes: dict[str, Outcome],
                             emit: Callable[[str, Job, Outcome], None]) -> None:
    """After Ctrl-C: take the running workers' reports (they were interrupted too), briefly."""
    deadline, forwarded = time.monotonic() + 20, time.monotonic() + 3
    running = {w.conn: w for w in workers.values() if w.running and not w.conn.closed}
    while running and time.monotonic() < deadline:
        if forwarded and time.monotonic() > forwarded:  # the signal reached only this process: pass it on
            for worker in running.values():
                if worker.process.pid:
                    os.kill(worker.process.pid, signal.SIGINT)
            forwarded = 0.0
        try:
            ready = wait(list(running), timeout=0.5)
        except KeyboardInterrupt:
            continue
        for conn in ready:
            worker = running.pop(conn)
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                kind, value = "lost", None
            if kind == "done":
                value.started = worker.outcome.started or value.started
                outcomes[worker.job.key] = value
            else:
                outcome = outcomes[worker.job.key]
                outcome.status, outcome.error, outcome.ended = "INTERRUPTED", "interrupted (Ctrl-C)", time.time()
                outcome.cell_index = _last_started_cell(worker.job.output)
            worker.running = False
            emit("ended", worker.job, outcomes[worker.job.key])
    for worker in running.values():
        outcome = outcomes[worker.job.key]
        outcome.status, outcome.error, outcome.ended = "INTERRUPTED", "interrupted (Ctrl-C)", time.time()
        outcome.cell_index = _last_started_cell(worker.job.output)
