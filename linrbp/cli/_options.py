"""Options shared by commands: --workers and --scheduler (many tasks), --times (trajectory times),
--backend (the batched integrator's)."""

from __future__ import annotations

from ..core._errors import InputError
from ..core._resources import usable_cpus
from ..core._executor import DASK_MISSING, check_scheduler, check_workers, describe_executor, resolve_scheduler


def add_executor_options(p, default_workers: int | None, what: str = "tasks") -> None:
    """--workers (``default_workers`` None: every CPU this process may run on) and --scheduler."""
    default = (f"every CPU this process may use, here {usable_cpus()}" if default_workers is None
               else str(default_workers))
    p.add_argument("--workers", type=int, default=default_workers, metavar="N",
                   help=f"local processes running the {what} (default {default}; 1 runs them "
                   "in this process; never more than there are tasks; results do not depend on it)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the tasks on the Dask scheduler at ADDRESS (e.g. tcp://HOST:8786), or "
                   "'local' for an embedded LocalCluster of --workers processes (default: "
                   "$LINRBP_SCHEDULER if set, else local processes; needs pip install 'linrbp[dask]')")


BACKENDS = ("auto", "numpy", "numba", "torch")


def add_backend_option(p, what: str = "the batched integrator", note: str = "") -> None:
    """--backend: integrate_batch's backend (default auto)."""
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help=f"the backend of {what} (linrbp.integrate_batch): auto runs the compiled "
                   f"integrator (numba) where it can, else numpy{note}; numpy, numba or torch force "
                   "one (default auto; the backend that ran is in --json)")


def executor_settings(args, n_tasks: int | None) -> tuple[int, str | None, str]:
    """(workers, scheduler, a description for the header) from parsed options; InputError
    (exit 2) for a bad count or a --scheduler without Dask installed."""
    workers = check_workers(usable_cpus() if args.workers is None else args.workers)
    scheduler = resolve_scheduler(args.scheduler)
    if scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(DASK_MISSING) from None
        check_scheduler(scheduler)  # before any work: a port that is not a Dask scheduler
    return workers, scheduler, describe_executor(n_tasks, workers, scheduler)


def finish_sweep(command: str, summary: dict, json_path, out) -> int:
    """The end of a sweep command: its failed tasks, the --json file, the exit status (1 when a
    task failed, with what a rerun does on stderr)."""
    import sys

    from ..core._io import atomic_write_json

    for f in summary["failed_tasks"]:
        print(f"  FAILED task {f['task']} ({f['instance']}): {f['error']}")
    if json_path:
        atomic_write_json(json_path, summary, "--json")
        print(f"wrote {json_path}")
    if summary["failed_tasks"]:
        print(f"linrbp {command}: {len(summary['failed_tasks'])} task(s) failed"
              + ("; a rerun with the same --out retries them" if out else ""), file=sys.stderr)
        return 1
    return 0


def parse_times(text: str | None, option: str = "--times") -> list[float] | None:
    """'t1,t2,...' as a list of floats (None when not given); InputError naming ``option`` for an
    empty item, a non-number, a negative or non-finite time or times that do not increase."""
    import math

    if text is None:
        return None
    items = [s.strip() for s in str(text).split(",")]
    if not items or any(not s for s in items):
        raise InputError(f"{option}: expected comma-separated times, e.g. 0,1,10, got {text!r}")
    out = []
    for s in items:
        try:
            t = float(s)
        except ValueError:
            raise InputError(f"{option}: {s!r} is not a number") from None
        if not math.isfinite(t) or t < 0:
            raise InputError(f"{option}: times must be finite and >= 0, got {s}")
        out.append(t)
    if any(b <= a for a, b in zip(out, out[1:])):
        raise InputError(f"{option}: times must be strictly increasing, got {text}")
    return out
