"""``linrbp sweep``: many random starts of one system, each integrated to its status.

The system (layers, rule with its parameters, data moments, fixed feedback) is the
instance's; start i is drawn from ``SeedSequence([seed, i])`` alone: every trained weight
matrix A_h (all of them, or only A_L for a rule that freezes the hidden layers) and, for a
rule that evolves its feedback, every C_h, has entries N(0, scale^2), drawn in the order
A_1, ..., A_L, C_1, ..., C_{L-1}; untrained matrices and fixed feedback are the instance's.

The starts are integrated in consecutive chunks of ``chunk`` starts (start i is in chunk
i // chunk), one task of ``run_tasks`` each, so a serial run, a
local process pool and a Dask cluster give the same bits: a trajectory's arithmetic depends
only on its chunk, never on what ran it. With ``out`` each chunk's records are written
(atomically) as the chunk finishes, and a rerun with the same settings reuses them.

A record (:func:`start_record`, the one place a record is made) holds ``index``, ``status``,
``t_end``, ``n_steps``, ``product`` (A_L ... A_1 at t_end), ``excess_loss``, ``predicted``
(the closed form's product where the toolkit knows one, :func:`linrbp.predict`, else None)
and ``prediction_error`` (max |P - P_predicted| entrywise, or None).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core._errors import InputError
from ..core._executor import Interrupted, Task, check_workers, run_tasks, stopped_message
from ..core._io import to_jsonable
from ..instances._predict import predict
from ..instances._simulate import (DEFAULT_BOUND, DEFAULT_CONV_TOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL,
                                   DEFAULT_T_MAX, simulate)
from ..integration._integrate import DEFAULT_ATOL, check_t_max, integrate_batch
from ._cluster import CLUSTER_TOL, cluster_limits

__all__ = ["sweep", "sweep_start", "start_record", "DEFAULT_CHUNK", "METHODS"]

DEFAULT_CHUNK = 32
METHODS = ("batched", "scipy", "bdf", "lsoda")
MANIFEST = "sweep.json"


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive" if minimum == 1 else "a non-negative"
        raise InputError(f"{name}: expected {kind} integer, got {value!r}")
    return int(value)


def _check_scale(scale) -> float:
    try:
        s = float(scale)
    except (TypeError, ValueError):
        raise InputError(f"scale: expected a positive number, got {scale!r}") from None
    if isinstance(scale, bool) or not (math.isfinite(s) and s > 0):
        raise InputError(f"scale: expected a finite positive number, got {scale!r}")
    return s


def sweep_start(instance, seed: int, scale: float, index: int):
    """The instance of start ``index``: the system of ``instance`` with weights (and evolving
    feedback) drawn from ``SeedSequence([seed, index])``, entries N(0, scale^2).

    Parameters
    ----------
    instance : linrbp.Instance
        The system; its fixed feedback and untrained matrices are kept.
    seed : int
        The sweep's seed (>= 0).
    scale : float
        Standard deviation S of every drawn entry (> 0).
    index : int
        The start's index (>= 0).

    Returns
    -------
    linrbp.Instance

    Examples
    --------
    >>> import linrbp
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[1.0]],
    ...     "sigma_ti": [[1.0]], "feedback": [[[1.0]]], "weights": [[[0.1]], [[0.1]]]})
    >>> a = sweep_start(inst, 0, 1.0, 3); b = sweep_start(inst, 0, 1.0, 3)
    >>> bool(a.weights[0][0, 0] == b.weights[0][0, 0]), float(a.feedback[0][0, 0])
    (True, 1.0)
    """
    s = instance.system
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))
    L = len(s.layers) - 1
    weights = []
    for h in range(1, L + 1):
        W = scale * rng.standard_normal((s.layers[h], s.layers[h - 1]))
        trained = h == L or s.rule.trains_hidden
        weights.append(W if trained else np.array(instance.weights[h - 1], dtype=float))
    if s.rule.adaptive:
        feedback = [scale * rng.standard_normal(np.shape(C)) for C in instance.feedback]
    else:
        feedback = [np.array(C, dtype=float) for C in instance.feedback]
    return replace(instance, weights=weights, feedback=feedback)


def start_record(start, index: int, status: str, t_end: float, n_steps: int, y, observed=None) -> dict:
    """The JSON record of one start (``start``: its instance, ``sweep_start``) that ended
    with ``status`` at ``t_end`` after ``n_steps`` steps in state ``y``; ``observed`` (times,
    names): its ``observables`` along the path (:func:`linrbp.observe`)."""
    s = start.system
    weights, _ = s.unpack(np.asarray(y, dtype=float))
    product = s.product(weights)
    with np.errstate(over="ignore", invalid="ignore"):
        excess = float(s.stats.excess_loss(product))
    pred = predict(start)
    pp = None if pred is None or pred.get("product") is None else np.asarray(pred["product"], dtype=float)
    err = None
    if pp is not None and np.all(np.isfinite(product)):
        err = float(np.abs(product - pp).max())
    obs = {}
    if observed is not None:
        from ..instances._observe import observe_state
        times, names, fns = observed
        obs = {"observables": observe_state(s, start.y0, times, names, functions=fns)["observables"]}
    return to_jsonable({"index": int(index), "status": str(status), "t_end": float(t_end),
                        "n_steps": int(n_steps), "product": product, "excess_loss": excess,
                        "predicted": pp, "prediction_error": err,
                        "predicted_by": None if pp is None else pred.get("system"), **obs})


def _run_chunk(instance, seed, scale, lo, hi, t_max, method, max_steps, observed=None, backend="auto"):
    """Integrate starts lo..hi-1; their records (a task: runs in any process)."""
    starts = [sweep_start(instance, seed, scale, i) for i in range(lo, hi)]
    if method == "batched":
        Y = np.array([st.y0 for st in starts])
        # one thread per task (the executor supplies the parallelism), as integrate_batch's own
        # chunks do: a chunk's arithmetic is then the same in every process
        res = integrate_batch(instance.system, Y, t_max, rtol=DEFAULT_RTOL, conv_tol=DEFAULT_CONV_TOL,
                              bound=DEFAULT_BOUND, max_steps=max_steps, workers=1, backend=backend)
        ran = res.info.get("backend")
        return [dict(start_record(st, lo + k, res.status[k], res.t_end[k], res.n_steps[k], res.y[k], observed),
                     backend=ran) for k, st in enumerate(starts)]
    from ..instances._instance import _parse_state
    out = []
    for k, st in enumerate(starts):
        r = simulate(st, t_max, method=method, max_steps=max_steps)
        y = st.system.pack(r["weights"], r["feedback"], _parse_state(r.get("state"), st.system) or None)
        out.append(start_record(st, lo + k, r["status"], r["t_end"], r["n_steps"], y, observed))
    return out


def _chunk_name(lo: int, hi: int) -> str:
    return f"records/starts-{lo:07d}-{hi - 1:07d}.json"


def sweep(instance, starts: int, scale: float, seed: int, *, t_max: float | None = None,
          method: str = "batched", max_steps: int = DEFAULT_MAX_STEPS, chunk: int = DEFAULT_CHUNK,
          workers: int = 1, scheduler: str | None = None, executor=None, out=None,
          cluster_tol: float = CLUSTER_TOL, progress: bool | None = None, times=None,
          observe=None, backend: str = "auto") -> dict:
    """Integrate ``starts`` random starts of ``instance``'s system; the sweep's JSON report.

    Parameters
    ----------
    instance : linrbp.Instance
        The system (layers, rule and its parameters, data, fixed feedback).
    starts : int
        Number of starts N (>= 1); start i is ``sweep_start`` (instance, seed, scale, i).
    scale : float
        Standard deviation S of every drawn entry (> 0).
    seed : int
        Seed of the draws (>= 0).
    t_max : float, optional
        Integration time limit (default: the instance's t_max, else 1e5).
    method : {"batched", "scipy", "bdf", "lsoda"}, default "batched"
        ``batched``: :func:`linrbp.integrate_batch` on each chunk with its default backend;
        the others: solve_ivp per start, as ``linrbp simulate --method``.
    max_steps : int, default 20000
        Step limit per start (status ``step-limit``).
    chunk : int, default 32
        Starts per task; part of the settings (a trajectory's bits depend on its chunk).
    workers, scheduler, executor
        What runs the chunks (``run_tasks``); the records do not
        depend on it.
    out : str or os.PathLike, optional
        Directory for the settings (``sweep.json``) and each chunk's records
        (``records/starts-*.json``), written as chunks finish; a rerun with the same settings
        reuses them (resume); other settings there are refused.
    cluster_tol : float, default 1e-6
        Tolerance of ``cluster_limits`` for the distinct limits.
    progress : bool, optional
        Progress on stderr (None: as ``run_tasks`` decides; False: quiet).
    times : sequence of float, optional
        Times (>= 0, increasing) at which each start's record gets ``observables``
        (:func:`linrbp.observe` along its path; default None: none).
    observe : sequence of str, optional
        The observables at ``times`` (default ``["excess_loss"]``).
    backend : {"auto", "numpy", "numba", "torch"}, default "auto"
        ``method="batched"``: :func:`linrbp.integrate_batch`'s backend. Auto is chosen here,
        once (and a new kernel compiled here, before the tasks start), and each record's
        ``backend`` is the one that ran it; the backends agree on statuses and agree on states
        to rounding, so a resumed sweep may mix them.

    Returns
    -------
    dict
        ``instance``, ``rule``, ``params``, ``seed``, ``starts``, ``scale``, ``t_max``,
        ``method``, ``chunk``, ``records`` (by index), ``summary`` (``status_counts``,
        ``limits`` with ``cluster_tol``, ``prediction``), ``resumed``, ``failed_tasks``,
        ``executor``, ``seconds``, ``backend`` (``requested``, ``chosen``, ``auto_reason``,
        ``ran``: records per backend that ran them).

    Raises
    ------
    InputError
        Bad settings (checked before any work), or ``out`` holding a sweep with other settings.
    KeyboardInterrupt
        (linrbp's ``Interrupted``) on SIGINT/SIGTERM: the finished chunks are kept in ``out``;
        the message says so.

    Examples
    --------
    >>> import linrbp
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]],
    ...     "sigma_ti": [[1.5]], "feedback": [[[0.7]]], "weights": [[[0.1]], [[0.1]]]})
    >>> rep = sweep(inst, 4, 0.5, 0, t_max=1e4, progress=False)
    >>> rep["summary"]["status_counts"]
    {'converged': 4}
    >>> rep["summary"]["prediction"]["worst_error"] < 1e-8
    True
    """
    starts = _check_int(starts, "starts", 1)
    seed = _check_int(seed, "seed", 0)
    scale = _check_scale(scale)
    chunk = _check_int(chunk, "chunk", 1)
    max_steps = _check_int(max_steps, "max-steps", 1)
    if method not in METHODS:
        raise InputError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if backend not in ("auto", "numpy", "numba", "torch"):
        raise InputError(f"backend: expected 'auto', 'numpy', 'numba' or 'torch', got {backend!r}")
    if t_max is None:
        t_max = instance.t_max if instance.t_max is not None else DEFAULT_T_MAX
    t_max = check_t_max(t_max)
    if executor is None and scheduler is None:
        check_workers(workers)
    observed = None
    if times is not None:  # observables along each start's path (linrbp.observe), checked first
        from ..instances._observe import check_observables, check_times
        from ..instances._observe import OBSERVABLES
        names = check_observables(observe if observe is not None else ["excess_loss"])
        # the functions travel with the tasks (a worker need not have loaded the rules file)
        observed = (check_times(times), names, {n: OBSERVABLES[n] for n in names})
    rule = instance.system.rule
    config = to_jsonable({"instance": instance.to_dict(), "rule": rule.name, "params": rule.parameter_values,
                          "seed": seed, "starts": starts, "scale": scale, "t_max": t_max, "method": method,
                          "max_steps": max_steps, "chunk": chunk,
                          **({"times": observed[0], "observe": observed[1]} if observed else {})})
    bounds = [(lo, min(lo + chunk, starts)) for lo in range(0, starts, chunk)]
    records: dict[int, dict] = {}
    store = None
    if out is not None:
        from ..core._records import Records
        store = Records(out, config, manifest=MANIFEST, what="out",
                        refuse=f"out: {out} holds a sweep with other settings ({Path(out) / MANIFEST}); use "
                        "another directory, or the same instance, rule, parameters, seed, "
                        "starts, scale, t_max, method and chunk to resume it")
    pending = []
    for lo, hi in bounds:
        got = store.load(_chunk_name(lo, hi), _indices(lo, hi)) if store is not None else None
        if got is None:
            pending.append((lo, hi))
        else:
            records.update((r["index"], r) for r in got)
    resumed = len(records)

    def finish(task, recs):
        if store is not None:
            store.save(_chunk_name(*task.args[3:5]), recs)
        records.update((r["index"], r) for r in recs)

    chosen, why = backend, None
    if method == "batched" and pending:  # auto chosen (and a kernel compiled) once, here
        from ..integration._auto import prepare, resolve_backend
        chosen, why = resolve_backend(instance.system, backend)
        if chosen == "numba":
            prepare(instance.system, DEFAULT_RTOL, DEFAULT_ATOL, DEFAULT_CONV_TOL, DEFAULT_BOUND, max_steps)
    # the tasks run auto where it chose numba (its collapse rerun, linrbp.integration._auto)
    task_backend = "auto" if backend == "auto" and chosen == "numba" else chosen
    tasks = [Task(f"starts {lo}..{hi - 1}", _run_chunk, (instance, seed, scale, lo, hi, t_max, method, max_steps,
                                                        observed, task_backend),
                  f"starts {lo}..{hi - 1} of seed {seed}") for lo, hi in pending]
    start = time.perf_counter()
    report = run_tasks(tasks, finish, workers=workers, scheduler=scheduler, executor=executor,
                       desc="sweep", unit="chunk", initial=len(bounds) - len(pending), total=len(bounds),
                       progress=progress)
    if report.interrupted:
        raise Interrupted(stopped_message(report, len(records), starts, "start", out))
    ordered = [records[i] for i in sorted(records)]
    ran: dict[str, int] = {}
    for r in ordered:
        ran[str(r.get("backend", "not recorded"))] = ran.get(str(r.get("backend", "not recorded")), 0) + 1
    used = {"requested": backend, "chosen": chosen, "ran": ran, **({"auto_reason": why} if why else {})}
    return to_jsonable({**config, "backend": used if method == "batched" else None, "records": ordered, "summary": summarize(ordered, starts, cluster_tol),
                        "resumed": resumed, "failed_tasks": [f.to_dict() for f in report.failed],
                        "executor": report.executor, "seconds": time.perf_counter() - start})


def _indices(lo: int, hi: int):
    """Whether a saved chunk holds the records of starts lo..hi-1, in order."""
    return lambda recs: isinstance(recs, list) and [r.get("index") if isinstance(r, dict) else None
                                                    for r in recs] == list(range(lo, hi))


def summarize(records, starts: int, cluster_tol: float = CLUSTER_TOL) -> dict:
    """Counts per status, the distinct limits of the converged starts (clustered by product,
    ``cluster_limits``) and the worst distance to the prediction."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    products = [r["product"] if r["status"] == "converged" else None for r in records]
    labels, clusters = cluster_limits(products, cluster_tol)
    for c in clusters:
        c["first"] = records[c["first"]]["index"]
    # the other runs' products at t_end (time-limit, step-limit): not limits, but where they were
    others = [r["product"] if r["status"] not in ("converged", "diverged", "failed") else None
              for r in records]
    _, end_groups = cluster_limits(others, cluster_tol)
    for c in end_groups:
        c["first"] = records[c["first"]]["index"]
    errs = [(r["prediction_error"], r["index"]) for r in records if r.get("prediction_error") is not None]
    worst = max(errs) if errs else None
    by = sorted({r["predicted_by"] for r in records if r.get("predicted_by")})
    return {
        "starts": starts, "done": len(records), "status_counts": counts,
        "limits": {"cluster_tol": cluster_tol,
                   "distance": "max|P - Q| <= cluster_tol (1 + max(max|P|, max|Q|)), converged starts only",
                   "count": len(clusters), "clusters": clusters,
                   "labels": labels},
        "unconverged_end_products": {"count": len(end_groups), "clusters": end_groups,
                                     "note": "products at t_end of the starts that stopped without "
                                             "converging or diverging (time-limit, step-limit, "
                                             "interrupted), grouped like the limits"},
        "prediction": {"starts_with_prediction": len(errs), "by": by,
                       "worst_error": None if worst is None else worst[0],
                       "worst_index": None if worst is None else worst[1],
                       "distance": "max|P - P_predicted| entrywise, at t_end"},
    }
