"""The suite's shared settings (issue 28: the whole suite within 10 minutes on 2 cores).

- One kernel cache per test run. Unless ``$LINRBP_CACHE_DIR`` is already set (a developer who
  wants compiled kernels kept between runs sets it), the run gets a fresh temporary cache
  directory, shared by every test, every xdist worker and every subprocess they start (they
  inherit the environment), so a numba kernel for a system compiles once per run and the suite
  never reads or writes the user's ``~/.cache/linrbp``. Tests that need a cache of their own
  (a fresh cache, a broken tableau) still set ``LINRBP_CACHE_DIR`` themselves.
- xdist (``-n 2 --dist loadgroup`` in pyproject's addopts): the tests of a module that sets up
  a module-scoped fixture (a docs build, trained networks, a Dask cluster, a kernel cache) run
  on one worker, so the fixture is built once, not once per worker.
- ``@pytest.mark.slow`` work starts first, so the two workers finish together instead of one
  of them starting a long test at the end.
- ``@pytest.mark.exclusive``: tests that measure time (a SIGINT answered within 5 s, a signal
  sent 2 s into a run) run while no other test runs on any worker; other tests share the run.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

# Tests do not time things: Hypothesis' deadline and its too-slow health check measure wall time,
# which on a shared 2-core machine says how busy the machine is (a doctest's generation was
# refused as "too slow" at load 5). Every other health check stays on.
settings.register_profile("linrbp", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("linrbp")

_RUN_DIR = "LINRBP_TEST_RUN_DIR"  # this run's scratch directory, shared with the xdist workers


def _worker() -> str | None:
    return os.environ.get("PYTEST_XDIST_WORKER")


def pytest_configure(config):
    # integrate_batch's default, backend="auto", compiles a numba kernel for every system
    # structure (layers, rule, feedback shapes) it meets: tens of CPU-seconds each on the run's
    # fresh cache, and the suite meets dozens. So the suite's auto runs the numpy loop, as it did
    # before auto was the default (every subprocess inherits it), unless LINRBP_AUTO_BACKEND is
    # set already (empty: auto as users get it). tests/test_auto_backend.py unsets it and tests
    # auto itself; test_numba_backend.py and test_numba_forms.py test the compiled path against
    # numpy.
    os.environ.setdefault("LINRBP_AUTO_BACKEND", "numpy")
    if _worker() is None:  # the controller (or a run without xdist): the workers inherit the env
        run_dir = tempfile.mkdtemp(prefix="linrbp-tests-")
        config._linrbp_run_dir = run_dir
        os.environ[_RUN_DIR] = run_dir
        if not os.environ.get("LINRBP_CACHE_DIR"):
            os.environ["LINRBP_CACHE_DIR"] = os.path.join(run_dir, "cache")


def pytest_unconfigure(config):
    run_dir = getattr(config, "_linrbp_run_dir", None)
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)


def _module_fixtures(item) -> bool:
    """Whether ``item`` uses a fixture of wider than function scope defined in its own module."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    module = getattr(getattr(item, "module", None), "__name__", None)
    for defs in info.name2fixturedefs.values():
        fd = defs[-1]
        if fd.scope != "function" and getattr(fd.func, "__module__", None) == module:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into node ids
def pytest_collection_modifyitems(config, items):
    # group the modules whose tests share a module-scoped fixture
    grouped = {item.module.__name__ for item in items if hasattr(item, "module") and _module_fixtures(item)}
    for item in items:
        if getattr(item, "module", None) is not None and item.module.__name__ in grouped:
            if item.get_closest_marker("xdist_group") is None:
                item.add_marker(pytest.mark.xdist_group(item.module.__name__))

    # slow work units (a group with a slow test, or a slow test alone) first; otherwise the
    # collection order, a group's tests together
    def unit(item):
        mark = item.get_closest_marker("xdist_group")
        return (mark.args[0] if mark.args else mark.kwargs.get("name", "default")) if mark else item.nodeid

    first, slow = {}, set()
    for i, item in enumerate(items):
        u = unit(item)
        first.setdefault(u, i)
        if item.get_closest_marker("slow"):
            slow.add(u)
    order = {id(item): (unit(item) not in slow, first[unit(item)], i) for i, item in enumerate(items)}
    items.sort(key=lambda item: order[id(item)])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under xdist, an ``exclusive`` test runs alone: it takes the run's lock exclusively, the
    others take it shared, around setup, call and teardown (module fixtures included). A gate
    lock in front keeps a waiting exclusive test from being starved by the shared holders."""
    run_dir = os.environ.get(_RUN_DIR)
    if _worker() is None or not run_dir:
        yield
        return
    exclusive = item.get_closest_marker("exclusive") is not None
    with open(os.path.join(run_dir, "gate.lock"), "a") as gate, \
            open(os.path.join(run_dir, "run.lock"), "a") as lock:
        if exclusive:
            fcntl.flock(gate, fcntl.LOCK_EX)  # no new test starts on any worker
            fcntl.flock(lock, fcntl.LOCK_EX)  # the running ones finish
        else:
            fcntl.flock(gate, fcntl.LOCK_SH)
            fcntl.flock(lock, fcntl.LOCK_SH)
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(gate, fcntl.LOCK_UN)
