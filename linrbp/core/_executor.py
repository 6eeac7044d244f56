"""One way to run many independent tasks: serially, on a local process pool or on Dask.

Every long command (``probe``, ``experiments``, ``verify``, the basin map of ``figures``) and
:func:`linrbp.integrate_batch` with ``executor=`` hands its work to :func:`run_tasks` as a
list of :class:`Task` objects. What runs them is any :class:`concurrent.futures.Executor`:

* ``workers=1``: in this process, one task after another;
* ``workers=N``: a local pool of N processes (never more than there are tasks);
* ``scheduler=ADDRESS`` (or the environment variable ``LINRBP_SCHEDULER``): the workers of a
  running Dask scheduler (``dask.distributed``, the optional extra ``linrbp[dask]``), through
  ``Client.get_executor()``; ``scheduler="local"`` starts an embedded ``LocalCluster``.

Whatever runs them, a task's result depends only on its arguments (every random draw comes
from a seed among them), and results reach the caller (``on_result``, in this process) as they
finish, so a caller that saves each one can resume. What the runner adds:

* at most as many tasks in flight as there are workers, so "running" means running;
* a task that raises is reported by its key and description; the others go on;
* a worker that dies (``kill -9``, out of memory) loses nothing: its task runs again
  (Dask's scheduler does this itself; a broken local pool is restarted), up to
  :data:`MAX_ATTEMPTS` times before the task counts as failed;
* SIGINT (Ctrl-C) and SIGTERM cancel every pending task, wait at most ``grace`` seconds for
  the running ones (keeping what finishes), stop the workers and return a report marked
  ``interrupted``; the caller says what was kept and raises :class:`Interrupted`;
* progress on stderr: done/total, running, failed, elapsed (a bar on a terminal, otherwise a
  line every :data:`LOG_EVERY_S` seconds and one at the end).
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import sys
import time
import traceback
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ._errors import InputError
from ._resources import signal_handler

__all__ = ["Task", "TaskFailure", "RunReport", "Interrupted", "run_tasks", "check_workers",
           "resolve_scheduler", "check_scheduler", "open_executor", "SerialExecutor", "max_local_workers",
           "DASK_MISSING", "GRACE_S", "stopped_message"]

GRACE_S = 3.0         # how long an interrupt waits for running tasks
MAX_ATTEMPTS = 3      # a task whose worker died this many times counts as failed
LOG_EVERY_S = 10.0    # progress lines when stderr is not a terminal
DASK_MISSING = ("scheduler: Dask is not installed; install it with "
                "pip install 'linrbp[dask]' (or pip install 'dask[distributed]')")


class Interrupted(KeyboardInterrupt):
    """A sweep stopped by SIGINT/SIGTERM after keeping its finished results; ``str()`` says
    what was done and how to resume (the CLI prints it and exits 130)."""

    def __str__(self):
        return str(self.args[0]) if self.args else "interrupted"


def stopped_message(report, done: int, total: int, what: str, out) -> str:
    """What an interrupted sweep says (the text of its :class:`Interrupted`): how many of the
    ``total`` ``what`` records are kept in ``out`` and how to resume, or that none were saved."""
    kept = (f"{done} of {total} {what} records are in {out}; rerun the same command to resume"
            if out is not None else
            f"{done} of {total} {what}s were done but not saved (use --out DIR to make a sweep resumable)")
    return f"stopped after {report.seconds:.1f} s; {kept}"


class _Terminate(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt."""


@dataclass
class Task:
    """One unit of work: ``fn(*args)`` in some process; ``key`` names it (unique in a run),
    ``describe`` says which instance it is (for error messages)."""

    key: str
    fn: Callable
    args: tuple = ()
    describe: str = ""


@dataclass
class TaskFailure:
    key: str
    describe: str
    error: str
    traceback: str = ""

    def line(self) -> str:
        what = f" ({self.describe})" if self.describe else ""
        return f"task {self.key}{what} failed: {self.error}"

    def to_dict(self) -> dict:
        return {"task": self.key, "instance": self.describe, "error": self.error,
                "traceback": self.traceback}


@dataclass
class RunReport:
    """What :func:`run_tasks` did: keys done, failures, whether it was interrupted."""

    total: int
    executor: str
    done: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    interrupted: bool = False
    abandoned: list = field(default_factory=list)  # keys running when an interrupt gave up on them
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_dict(self) -> dict:
        return {"executor": self.executor, "tasks": self.total, "done": len(self.done),
                "failed": [f.to_dict() for f in self.failed], "interrupted": self.interrupted,
                "seconds": self.seconds}


# -- choosing an executor ------------------------------------------------------------------
def max_local_workers() -> int:
    """The most local processes accepted: 4 per CPU (at least 8); more only oversubscribes."""
    return max(8, 4 * (os.cpu_count() or 1))


def check_workers(workers) -> int:
    """A positive worker count, at most :func:`max_local_workers`; InputError otherwise."""
    if isinstance(workers, bool) or not isinstance(workers, int) and not hasattr(workers, "__index__"):
        raise InputError(f"workers: expected a positive integer, got {workers!r}")
    workers = int(workers)
    if workers < 1:
        raise InputError(f"workers: expected a positive integer, got {workers}")
    limit = max_local_workers()
    if workers > limit:
        raise InputError(f"workers: {workers} local processes is more than this machine can use "
                         f"(at most {limit}: 4 per CPU); use --scheduler for a cluster")
    return workers


def resolve_scheduler(scheduler: str | None) -> str | None:
    """``scheduler``, else the environment variable LINRBP_SCHEDULER; None: run locally."""
    if scheduler is None:
        scheduler = os.environ.get("LINRBP_SCHEDULER") or None
    if scheduler is not None:
        scheduler = str(scheduler).strip()
        if not scheduler:
            raise InputError("scheduler: expected an address like tcp://HOST:8786 or 'local'")
    return scheduler


class SerialExecutor(cf.Executor):
    """Runs each task in this process when it is submitted (an Executor for ``workers=1``)."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        fut.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # KeyboardInterrupt goes through: it stops the run
            fut.set_exception(exc)
        else:
            fut.set_result(result)
        return fut


def _ignore_sigint():
    # Pool processes leave Ctrl-C (sent to the whole terminal process group) to the parent,
    # which cancels, waits and stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Pool:
    """An executor plus what the runner needs to know about it."""

    def __init__(self, executor, name, capacity, *, owned, kind, client=None, cluster=None,
                 workers=1):
        self.executor, self.name, self._capacity = executor, name, capacity
        self.owned, self.kind, self.client, self.cluster, self.workers = owned, kind, client, cluster, workers
        self._seen = 0.0
        self.terminated = False

    def capacity(self) -> int:
        if self.kind == "dask":
            now = time.monotonic()
            if now - self._seen > 0.5:
                self._seen = now
                try:
                    self._capacity = max(1, sum(self.client.nthreads().values()))
                except Exception:
                    pass
        return self._capacity

    def restart(self):
        """A fresh local pool after a worker process died (BrokenProcessPool)."""
        self.terminate()
        self.terminated = False
        self.owned = True
        self.executor = cf.ProcessPoolExecutor(self.workers, initializer=_ignore_sigint)

    def terminate(self):
        """Stop now: cancel what is queued, end local worker processes."""
        ex = self.executor
        self.terminated = True
        if self.kind == "process":
            procs = list((getattr(ex, "_processes", None) or {}).values())
            ex.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(2.0)
        elif self.kind == "dask":
            ex.shutdown(wait=False)
        elif self.owned:
            ex.shutdown(wait=False)

    def close(self):
        if self.kind == "process" and self.owned and not self.terminated:
            self.executor.shutdown(wait=True)
        elif self.kind == "dask":
            self.executor.shutdown(wait=False)
        if self.client is not None:
            try:
                self.client.close(timeout=5)
            except Exception:
                pass
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=5)
            except Exception:
                pass


_PROBED: dict = {}
_HANDSHAKE_S = 3.0  # a Dask scheduler writes its handshake at once; anything else gets this long


def check_scheduler(scheduler: str | None) -> None:
    """InputError (one line) unless ``scheduler`` is 'local', None, or a Dask scheduler answers at
    the address: a TCP connection and the first 8 bytes of Dask's handshake (the length of a
    small message, which a Dask scheduler sends as soon as it accepts a connection), within
    a few seconds, before any work. A port where something else listens would otherwise feed
    Dask's reader arbitrary bytes (measured: a 3.07 EiB allocation error). Addresses of
    other transports (tls://, ucx://, inproc://) are left to Dask."""
    import socket
    import struct

    if scheduler is None or scheduler == "local" or scheduler in _PROBED:
        return
    scheme, _, rest = scheduler.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, sep, port = rest.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"scheduler: expected an address like tcp://HOST:8786 or 'local', got {scheduler!r}")
    try:
        sock = socket.create_connection((host, int(port)), timeout=_HANDSHAKE_S)
    except socket.timeout:
        raise InputError(f"scheduler: {scheduler}: no answer within {_HANDSHAKE_S:g} s") from None
    except OSError as exc:
        raise InputError(f"scheduler: cannot connect to {scheduler}: {exc.strerror or exc}") from None
    try:
        sock.settimeout(_HANDSHAKE_S)
        head = b""
        try:
            while len(head) < 8:
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
        except (socket.timeout, OSError):
            pass
    finally:
        sock.close()
    if len(head) < 8 or not 0 < struct.unpack("<Q", head)[0] < 2**26:
        raise InputError(f"scheduler: {scheduler} is not a Dask scheduler (no Dask handshake within "
                         f"{_HANDSHAKE_S:g} s; start one with `dask scheduler`, or use 'local')")
    _PROBED[scheduler] = True


def _dask_client(scheduler: str, workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(DASK_MISSING) from None
    import logging
    cluster = None
    if scheduler == "local":
        n = workers or (os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
        name = f"a local Dask cluster ({n} worker processes)"
    else:
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            msg = " ".join(str(exc).split()) or exc.__class__.__name__
            raise InputError(f"scheduler: cannot connect to {scheduler}: {msg}") from None
        name = f"the Dask scheduler at {scheduler}"
    return client, cluster, name


@contextmanager
def open_executor(n_tasks: int, workers: int = 1, scheduler: str | None = None, executor=None):
    """The :class:`_Pool` that runs ``n_tasks`` tasks (closed on exit)."""
    if executor is not None:
        cap = getattr(executor, "_max_workers", None) or max(1, n_tasks)
        kind = "process" if isinstance(executor, cf.ProcessPoolExecutor) else "given"
        yield _Pool(executor, f"the given {executor.__class__.__name__}", cap, owned=False,
                    kind=kind, workers=cap)
        return
    scheduler = resolve_scheduler(scheduler)
    if scheduler is not None:
        client, cluster, name = _dask_client(scheduler, None if workers == 1 else workers)
        pool = _Pool(client.get_executor(pure=False), name, 1, owned=True, kind="dask",
                     client=client, cluster=cluster)
        pool.capacity()
    else:
        workers = min(check_workers(workers), max(1, n_tasks))
        if workers == 1:
            pool = _Pool(SerialExecutor(), "serial (this process)", 1, owned=True, kind="serial")
        else:
            pool = _Pool(cf.ProcessPoolExecutor(workers, initializer=_ignore_sigint),
                         f"{workers} local processes", workers, owned=True, kind="process",
                         workers=workers)
    try:
        yield pool
    finally:
        pool.close()


def describe_executor(n_tasks: int | None, workers: int = 1, scheduler: str | None = None) -> str:
    """What :func:`open_executor` would run ``n_tasks`` (None: not known yet) on, in words."""
    scheduler = resolve_scheduler(scheduler)
    if scheduler == "local":
        return "a local Dask cluster"
    if scheduler is not None:
        return f"the Dask scheduler at {scheduler}"
    w = check_workers(workers)
    if n_tasks is not None:
        w = min(w, max(1, n_tasks))
    note = f" (--workers {workers} capped at the number of tasks, {n_tasks})" if w < workers else ""
    return ("serial (this process)" if w == 1 else f"{w} local processes") + note


# -- progress ------------------------------------------------------------------------------
class _Progress:
    def __init__(self, total, desc, unit, show, initial=0):
        self.total, self.desc, self.unit = total, desc, unit
        self.start = time.monotonic()
        self.last_line = self.start
        self.bar = None
        self.show = show
        self.tty = show is not False and sys.stderr.isatty()
        if show is False:
            return
        if self.tty:
            from ._progress import progress_bar
            self.bar = progress_bar(total, desc, unit, disable=False, initial=initial)

    def update(self, done, running, failed, final=False):
        if self.show is False:
            return
        if self.bar is not None:
            self.bar.n = done
            self.bar.set_postfix_str(f"running {running}, failed {failed}", refresh=False)
            self.bar.refresh()
            return
        now = time.monotonic()
        if final or now - self.last_line >= LOG_EVERY_S:
            self.last_line = now
            print(f"{self.desc}: {done}/{self.total} {self.unit}s done, {running} running, "
                  f"{failed} failed, {now - self.start:.0f} s elapsed", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


# -- running -------------------------------------------------------------------------------
def _sigterm_as_interrupt():
    """SIGTERM raises in the main thread like Ctrl-C while the block runs."""
    def handler(signum, frame):
        raise _Terminate()

    return signal_handler(signal.SIGTERM, handler)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def run_tasks(tasks: Sequence[Task], on_result: Callable[[Task, Any], None] | None = None, *,
              workers: int = 1, scheduler: str | None = None, executor=None, desc: str = "tasks",
              unit: str = "task", progress: bool | None = None, grace: float = GRACE_S,
              initial: int = 0, total: int | None = None) -> RunReport:
    """Run ``tasks`` (see the module docstring); ``on_result(task, result)`` in this process.

    ``workers``/``scheduler`` choose the executor, or pass any ``executor``
    (:class:`concurrent.futures.Executor`; it is not shut down). ``initial``/``total``: the
    progress counts when some of a larger sweep were already done (a resumed run).
    ``progress=False`` silences stderr. Exceptions from ``on_result`` stop the run (pending
    tasks cancelled) and propagate.
    """
    tasks = list(tasks)
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("run_tasks: task keys must be unique")
    total = len(tasks) + initial if total is None else total
    start = time.monotonic()
    with open_executor(len(tasks), workers, scheduler, executor) as pool:
        report = RunReport(len(tasks), pool.name)
        if not tasks:
            return report
        bar = _Progress(total, desc, unit, progress, initial)
        queue = list(reversed(tasks))           # next task at the end
        running: dict[cf.Future, Task] = {}
        strikes: dict[str, int] = {}

        def collect(fut, task):
            exc = fut.exception()
            if exc is None:
                if on_result is not None:
                    on_result(task, fut.result())
                report.done.append(task.key)
            elif isinstance(exc, BrokenProcessPool):
                return "broken"
            elif _killed_worker(exc):
                report.failed.append(TaskFailure(task.key, task.describe,
                                                 f"its worker died {MAX_ATTEMPTS} times while running it "
                                                 f"(killed, or out of memory): {_one_line(exc)}"))
            else:
                report.failed.append(TaskFailure(
                    task.key, task.describe, _one_line(exc),
                    "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=6))))
            return None

        def show(final=False):
            bar.update(initial + len(report.done), len(running), len(report.failed), final)

        try:
            with _sigterm_as_interrupt():
                try:
                    while queue or running:
                        while queue and len(running) < pool.capacity():
                            task = queue.pop()
                            try:
                                running[pool.executor.submit(task.fn, *task.args)] = task
                            except BrokenProcessPool:
                                queue.append(task)
                                _restart(pool, running, queue, strikes, report, collect)
                                break
                            if pool.kind == "serial":
                                break  # it already ran: collect it before the next
                        show()
                        done, _ = cf.wait(list(running), timeout=1.0,
                                          return_when=cf.FIRST_COMPLETED)
                        broken = False
                        for fut in done:
                            task = running.pop(fut)
                            if collect(fut, task) == "broken":
                                running[fut] = task  # requeued by _restart below
                                broken = True
                        if broken:
                            _restart(pool, running, queue, strikes, report, collect)
                        show()
                except KeyboardInterrupt:
                    report.interrupted = True
                    # Cancel what has not started; give the running ones a few seconds.
                    for fut in list(running):
                        if fut.cancel():
                            running.pop(fut)
                    queue.clear()
                    deadline = time.monotonic() + grace
                    try:
                        while running and time.monotonic() < deadline:
                            done, _ = cf.wait(list(running), timeout=max(0.0, deadline - time.monotonic()),
                                              return_when=cf.FIRST_COMPLETED)
                            for fut in done:
                                task = running.pop(fut)
                                if not fut.cancelled():
                                    collect(fut, task)
                    except KeyboardInterrupt:
                        pass  # a second Ctrl-C: stop waiting
                    report.abandoned = [t.key for t in running.values()]
                    pool.terminate()
        except BaseException:
            if not report.interrupted:
                pool.terminate()
            raise
        finally:
            report.seconds = time.monotonic() - start
            show(final=True)
            bar.close()
    return report


def _killed_worker(exc) -> bool:
    return exc.__class__.__name__ == "KilledWorker"


def _restart(pool, running, queue, strikes, report, collect):
    """A local worker process died: every task in flight without a result runs again on a
    fresh pool (each gets a strike: the one that killed its worker is among them)."""
    for fut, task in list(running.items()):
        if fut.done() and not fut.cancelled() and fut.exception() is None:
            collect(fut, task)
            continue
        strikes[task.key] = strikes.get(task.key, 0) + 1
        if strikes[task.key] >= MAX_ATTEMPTS:
            report.failed.append(TaskFailure(task.key, task.describe,
                                             f"its worker process died {MAX_ATTEMPTS} times while "
                                             "running it (killed, or out of memory)"))
        else:
            queue.append(task)
    running.clear()
    pool.restart()
