"""Options shared by the commands that run many tasks: --workers and --scheduler."""

from __future__ import annotations

from ..core._errors import InputError
from ..core._resources import usable_cpus
from ..core._executor import DASK_MISSING, check_workers, describe_executor, resolve_scheduler


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
    return workers, scheduler, describe_executor(n_tasks, workers, scheduler)
