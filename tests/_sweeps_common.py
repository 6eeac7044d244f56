"""Shared by the sweep tests: subprocess runs of the CLI, record comparison, a Dask cluster."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "tests" / "helpers"


def env(**extra) -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HELPERS)] + ([e["PYTHONPATH"]] if e.get("PYTHONPATH") else []))
    e.setdefault("OPENBLAS_NUM_THREADS", "1")
    e.pop("LINRBP_SCHEDULER", None)
    e.update(extra)
    return e


def cli(*argv, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "linrbp", *map(str, argv)], env=env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def strip(obj):
    """``obj`` without timing fields (``seconds`` anywhere): what must not depend on the executor."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def records(directory, pattern="*.json") -> dict:
    """name -> record (timing removed) of every JSON file matching ``pattern`` in ``directory``."""
    d = Path(directory)
    return {str(p.relative_to(d)): strip(json.loads(p.read_text()))
            for p in sorted(d.glob(pattern)) if not p.name.startswith(".")}


def wait_for_files(directory, pattern, count, proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if len(list(Path(directory).glob(pattern))) >= count:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskCluster:
    """``dask scheduler`` and ``n`` ``dask worker`` processes (no nanny: a killed worker stays
    dead) on 127.0.0.1; always stopped by :meth:`stop`."""

    def __init__(self, n_workers=2, timeout=90.0):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs = []
        self.workers = []
        dask = [sys.executable, "-m", "dask"]
        try:
            self.procs.append(subprocess.Popen(
                dask + ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
                env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for _ in range(n_workers):
                w = subprocess.Popen(
                    dask + ["worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                            "--no-nanny", "--no-dashboard", "--death-timeout", "60"],
                    env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                self.procs.append(w)
                self.workers.append(w)
            self._wait(n_workers, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, n, timeout):
        from distributed import Client
        end = time.monotonic() + timeout
        with Client(self.address, timeout=f"{int(timeout)}s") as client:
            while len(client.nthreads()) < n:
                if time.monotonic() > end:
                    raise RuntimeError(f"dask workers did not connect within {timeout} s")
                time.sleep(0.2)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
