"""The machine's resources: memory estimates checked before large allocations (refused with one
line naming the size), and the CPUs this process may run on."""

from __future__ import annotations

import os

from ._errors import InputError

__all__ = ["available_bytes", "check_memory", "format_bytes", "usable_cpus"]


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
