"""The machine's resources: memory estimates checked before large allocations (refused with one
line naming the size), the CPUs this process may run on, BLAS threads, and signal handlers."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import threading

from ._errors import InputError

__all__ = ["available_bytes", "check_memory", "format_bytes", "usable_cpus", "blas_thread_setters", "one_blas_thread",
           "signal_handler"]


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask (taskset, cgroups cpusets), else the count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def available_bytes() -> int:
    """Memory the process can expect to get: MemAvailable from /proc/meminfo, else physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**62  # unknown: do not refuse


def format_bytes(n: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def check_memory(n_bytes: float, what: str, option: str) -> None:
    """InputError naming ``option`` when ``what`` needs more than the memory available."""
    avail = available_bytes()
    if n_bytes > avail:
        raise InputError(f"{option}: {what} needs about {format_bytes(n_bytes)}, more than the "
                         f"{format_bytes(avail)} of memory available")


def _find_blas_thread_setters() -> list:
    """OpenBLAS's per-thread ``openblas_set_num_threads_local`` in each loaded OpenBLAS.

    The stage sums sum_s c_s K_s are fastest through BLAS in one thread, but a threaded BLAS
    inside each worker thread oversubscribes the cores (measured: several times slower), so
    each worker limits its own BLAS calls to one thread; without that hook it uses einsum.
    """
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", fh.read())))
    except OSError:
        return []
    setters = []
    for path in paths:
        try:
            fn = getattr(ctypes.CDLL(path), "openblas_set_num_threads_local", None)
        except OSError:
            continue
        if fn is not None:
            fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
            setters.append(fn)
    return setters


_BLAS_SETTERS: list | None = None


def blas_thread_setters() -> list:
    """:func:`_find_blas_thread_setters`, looked up once per process."""
    global _BLAS_SETTERS
    if _BLAS_SETTERS is None:
        _BLAS_SETTERS = _find_blas_thread_setters()
    return _BLAS_SETTERS


@contextlib.contextmanager
def one_blas_thread():
    """The calling thread's OpenBLAS calls on one thread inside the block (restored after).

    The claim checks' matrices are small or thin: a threaded BLAS spends its time waking its
    threads, and on a loaded machine spinning for them (measured on the sgd-ode claim's field,
    784 inputs, load 11 on 2 cores: 21.7 ms of CPU per call with OpenBLAS's threads, 2.1 ms on
    one). A no-op where OpenBLAS's per-thread setter is not found.
    """
    setters = blas_thread_setters()
    old = [fn(1) for fn in setters]
    try:
        yield
    finally:
        for fn, n in zip(setters, old):
            fn(n)


@contextlib.contextmanager
def signal_handler(signum, handler):
    """``handler`` answers the signal ``signum`` while the block runs; the previous handler is
    restored after. Python runs signal handlers in the main thread only: called from another
    thread, the block runs with the handlers as they are."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)
