"""Options shared by the commands that run many tasks: --workers and --scheduler."""

from __future__ import annotations

from ..core._errors import InputError
from ..core._executor import DASK_MISSING, check_scheduler, check_workers, describe_executor, resolve_scheduler


def add_executor_options(p, default_workers: int, what: str = "tasks") -> None:
    p.add_argument("--workers", type=int, default=default_workers, metavar="N",
                   help=f"local processes running the {what} (default {default_workers}; 1 runs them "
                   "in this process; never more than there are tasks; results do not depend on it)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the tasks on the Dask scheduler at ADDRESS (e.g. tcp://HOST:8786), or "
                   "'local' for an embedded LocalCluster of --workers processes (default: "
                   "$LINRBP_SCHEDULER if set, else local processes; needs pip install 'linrbp[dask]')")


def executor_settings(args, n_tasks: int | None) -> tuple[int, str | None, str]:
    """(workers, scheduler, a description for the header) from parsed options; InputError
    (exit 2) for a bad count or a --scheduler without Dask installed."""
    workers = check_workers(args.workers)
    scheduler = resolve_scheduler(args.scheduler)
    if scheduler is not None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(DASK_MISSING) from None
        check_scheduler(scheduler)  # before any work: a port that is not a Dask scheduler
    return workers, scheduler, describe_executor(n_tasks, workers, scheduler)
