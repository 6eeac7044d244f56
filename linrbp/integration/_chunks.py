"""integrate_batch(..., executor=...): a very large batch as chunks of starts, one task each.

A thin layer over :func:`linrbp.integration._integrate.integrate_batch`: the starts are cut
into consecutive chunks of ``chunk`` rows, each chunk is integrated by ``integrate_batch``
itself (one thread) in whatever process the executor chooses, and the chunks' results are
put back in order. The chunking does not depend on the executor, and a trajectory's
arithmetic only on its chunk, so serial, process-pool and Dask runs give the same bits.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ..core._executor import Interrupted, Task, run_tasks

DEFAULT_CHUNK = 8192


def _chunk_task(integrate_batch, fun, Y, t_max, kwargs):
    return integrate_batch(fun, Y, t_max, **kwargs)


def integrate_chunked(integrate_batch, result_class, fun, Y, t_max, executor, chunk, progress, kwargs):
    """``Y`` (B, n) checked, ``t_max`` (B,) checked; a ``result_class`` (IntegrationResult).

    ``integrate_batch`` and ``result_class`` come from the caller (the module that defines
    them), so this module imports neither."""
    IntegrationResult = result_class

    if chunk is None:
        chunk = DEFAULT_CHUNK
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise InputError(f"chunk: must be a positive integer, got {chunk!r}")
    B = len(Y)
    bounds = [(i, min(i + int(chunk), B)) for i in range(0, B, int(chunk))]
    tasks = [Task(f"starts {i}..{j - 1}", _chunk_task, (integrate_batch, fun, Y[i:j], t_max[i:j], kwargs),
                  f"{j - i} starts") for i, j in bounds]
    parts: dict[str, object] = {}
    done = [0]

    def got(task, res):
        parts[task.key] = res
        done[0] += len(res)
        if progress is not None:
            progress(done[0], B)

    report = run_tasks(tasks, got, executor=executor, desc="integrate_batch", unit="chunk",
                       progress=False)
    if report.interrupted:
        raise Interrupted(f"integrate_batch: stopped with {len(parts)} of {len(tasks)} chunks done")
    if report.failed:
        raise RuntimeError(f"integrate_batch: {len(report.failed)} chunk(s) failed; first: "
                           f"{report.failed[0].line()}")
    res = [parts[t.key] for t in tasks]
    if not res:
        n = Y.shape[1]
        return IntegrationResult(np.array([], dtype="<U1"), np.zeros(0), np.zeros((0, n)),
                                 np.zeros(0, np.int64), info={"chunks": 0, "executor": report.executor})
    return IntegrationResult(np.concatenate([r.status for r in res]),
                             np.concatenate([r.t_end for r in res]),
                             np.concatenate([r.y for r in res]),
                             np.concatenate([r.n_steps for r in res]),
                             info={"backend": "+".join(sorted({str(r.info.get("backend")) for r in res})),
                                   "executor": report.executor, "chunks": len(res), "chunk": int(chunk),
                                   "workers": res[0].info.get("workers"),
                                   "step_attempts": sum(r.info.get("step_attempts", 0) for r in res)})
