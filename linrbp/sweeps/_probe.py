"""``linrbp probe``: the open question of docs/theory.md section 6, swept numerically.

For general A[N0,N1,N2] under RBP, [BSL] proves that C1 A2 A1 converges (Theorem 8) but not
that A1 and A2 converge individually. The probe draws random instances (S_II > 0 with
eigenvalues in [0.5, 2], S_TI, C1, start weights; the sampler of the `single-hidden` claim)
for each shape and seed, integrates each with the reference integrator until the field is
negligible, and records:

* individual convergence: the run converged (|f|_inf <= CONV_TOL (1 + |y|_inf)) *and* over a
  further window [t_end, t_end + max(t_end, WINDOW_MIN)] integrated without a convergence stop
  the state moved by at most WINDOW_TOL (1 + |y|_inf) and the field stayed below CONV_TOL
  (1 + |y|_inf): a slow drift of A1, A2 along a valley would show in the window;
* Theorem 8's product error |C1 A2 A1 - C1 S_TI S_II^{-1}| / |C1 S_TI S_II^{-1}| and the drift
  of the conserved Q;
* the rank of the Jacobian of the limit relations R = [field, triu(Q - Q(0))] at the limit
  (see :mod:`linrbp.closed_forms._limits`): rank = number of unknowns is numerical evidence that the limit
  is isolated; nullity k > 0 means the relations leave (to first order) a k-dimensional set;
* section 12's relations (P = W*, the conserved matrix, the frozen projections N^T A1 and
  V = V_inf; :mod:`._relations`): their count and whether their Jacobian is non-singular on a
  box around the limit (ball arithmetic with python-flint, else the float SVD rank);
* for every instance, the instance file that reproduces it (``linrbp simulate FILE``).

Records are written atomically, one file per (shape, seed), so a rerun continues a sweep.
Instances are tasks of :func:`linrbp.core._executor.run_tasks`: serial, a local process pool
(``workers``) or a Dask cluster (``scheduler``) give the same records (each instance draws only
from its own seed; only ``seconds`` differs).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from ..closed_forms._autoencoder import single_hidden_invariant, single_hidden_target
from ..core._errors import InputError
from ..core._executor import Interrupted, Task, check_workers, run_tasks, stopped_message
from ..instances._instance import parse_instance
from ..integration._integrate import check_t_max, integrate
from ..core._io import to_jsonable
from ..core._records import Records
from ..closed_forms._limits import JACOBIAN_RANK_RTOL, late_window_change, relations_jacobian
from ._relations import lyapunov_relations, relation_counts

__all__ = ["DEFAULT_SHAPES", "parse_shapes", "probe_instance", "probe_one", "probe_sweep"]

# N1 < N2 (3x2x4), N1 > N2 (2x4x3), N1 < N0 (4x2x3), square cases and a wider one.
DEFAULT_SHAPES = ((3, 2, 4), (2, 4, 3), (4, 2, 3), (2, 2, 2), (3, 3, 3), (5, 3, 2))
DEFAULT_SEEDS = 10
DEFAULT_T_MAX = 1e5
RTOL, ATOL, CONV_TOL = 1e-13, 1e-15, 1e-12
WINDOW_MIN = 100.0
WINDOW_TOL = 1e-8
MAX_SIZE = 12


def parse_shapes(text: str) -> list[tuple[int, int, int]]:
    """'3x2x4,2x4x3' -> [(3, 2, 4), (2, 4, 3)]; InputError names the bad entry."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("shapes: expected a comma-separated list like 3x2x4,2x4x3")
    shapes = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)x(\d+)x(\d+)", part)
        if not m:
            raise InputError(f"shapes: {part!r} is not of the form N0xN1xN2 (e.g. 3x2x4)")
        shape = tuple(int(g) for g in m.groups())
        if min(shape) < 1 or max(shape) > MAX_SIZE:
            raise InputError(f"shapes: sizes in {part!r} must be between 1 and {MAX_SIZE}")
        if shape not in shapes:
            shapes.append(shape)
    return shapes


def probe_instance(shape, seed: int, base_seed: int = 0) -> dict:
    """The instance dict of (shape, seed): drawn from SeedSequence([base_seed, seed, *shape])."""
    from ..claims.single_hidden import random_instance

    rng = np.random.default_rng(np.random.SeedSequence([base_seed, seed, *shape]))
    inst = random_instance(rng, (tuple(shape),))
    inst["t_max"] = DEFAULT_T_MAX
    inst["probe"] = {"shape": list(shape), "seed": seed, "base_seed": base_seed}
    return inst


def probe_one(shape, seed: int, base_seed: int = 0, t_max: float = DEFAULT_T_MAX) -> dict:
    """Integrate one probe instance and measure its limit; a JSON-able record."""
    start = time.perf_counter()
    inst = probe_instance(shape, seed, base_seed)
    inst["t_max"] = t_max
    p = parse_instance(inst)
    s = p.system
    C1 = p.feedback[0]
    Q0 = single_hidden_invariant(C1, *p.weights)
    res = integrate(s, p.y0, t_max, rtol=RTOL, atol=ATOL, conv_tol=CONV_TOL)
    status, t_end, y = str(res.status[0]), float(res.t_end[0]), res.y[0]
    rec = {"shape": list(shape), "seed": seed, "base_seed": base_seed, "t_max": t_max,
           "status": status, "t_end": t_end}
    finite = bool(np.all(np.isfinite(y)))
    ynorm = float(np.abs(y).max()) if finite else float("inf")
    rec["field"] = float(np.abs(s(y)).max()) if finite else float("inf")
    if status == "converged":
        window = max(t_end, WINDOW_MIN)
        change, field_after, _ = late_window_change(s, y, window, rtol=RTOL, atol=ATOL)
        rec.update(window=window, window_change=change, window_field=field_after)
        rec["individual"] = bool(change <= WINDOW_TOL and field_after <= CONV_TOL * (1 + ynorm))
    else:
        rec.update(window=None, window_change=None, window_field=None, individual=False)
    if finite:
        (A1, A2), _ = s.unpack(y)
        target = single_hidden_target(C1, s.stats.sigma_ii, s.stats.sigma_ti)
        c1p = target["c1_product"]
        rec["c1_product_error"] = float(np.abs(C1 @ A2 @ A1 - c1p).max() / np.abs(c1p).max())
        rec["full_column_rank"] = target["full_column_rank"]
        rec["product_error"] = (float(np.abs(A2 @ A1 - target["product"]).max()
                                      / np.abs(target["product"]).max())
                                if target["full_column_rank"] else None)
        scale = max(np.abs(Q0).max(), np.abs(single_hidden_invariant(C1, A1, A2)).max(), 1e-300)
        rec["q_drift"] = float(np.abs(single_hidden_invariant(C1, A1, A2) - Q0).max() / scale)
        _, sv, rank = relations_jacobian(s, y, Q0)
        n = s.n_state
        rec["jacobian"] = {"unknowns": n, "equations": n + shape[1] * (shape[1] + 1) // 2,
                           "rank": rank, "nullity": n - rank, "rank_rtol": JACOBIAN_RANK_RTOL,
                           "dimension_count": dimension_count(shape) if target["full_column_rank"] else None,
                           "singular_values": sv / sv[0] if sv[0] > 0 else sv}
        rec["lyapunov_relations"] = lyapunov_relations(s, y) if status == "converged" else None
        rec["weights"] = [A1, A2]
    rec["instance"] = inst
    rec["seconds"] = time.perf_counter() - start
    return to_jsonable(rec)


def dimension_count(shape) -> int:
    """N1 N0 + N2 N1 - N2 N0 - N1 (N1 + 1)/2: unknowns minus the equations A2 A1 = P* and
    Q = Q(0), the expected dimension of the solution set of R when C1 has full column rank."""
    N0, N1, N2 = shape
    return N1 * N0 + N2 * N1 - N2 * N0 - N1 * (N1 + 1) // 2


def _key(shape, seed) -> str:
    return f"{shape[0]}x{shape[1]}x{shape[2]}-seed{seed}"


def probe_sweep(shapes, seeds, *, base_seed: int = 0, workers: int = 2, out: str | None = None,
                t_max: float = DEFAULT_T_MAX, progress=None, scheduler: str | None = None,
                executor=None) -> dict:
    """Run (or continue, with ``out``) a sweep; the JSON summary.

    ``out``: directory of per-instance records ``<shape>-seed<k>.json`` and instance files
    ``instances/<shape>-seed<k>.json``; records already there are reused (resume).
    ``workers``/``scheduler``/``executor``: what runs the instances (see
    :func:`linrbp.core._executor.run_tasks`). ``progress``: a callable ``(done, total)``, or
    False to keep stderr quiet. An instance that raises is listed under ``failed_tasks`` (the
    others go on); SIGINT/SIGTERM keep every finished record and raise
    :class:`~linrbp.core._executor.Interrupted`.
    """
    shapes = [tuple(int(n) for n in s) for s in shapes]
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise InputError(f"seeds: must be a positive integer, got {seeds!r}")
    workers = check_workers(workers)
    if isinstance(base_seed, bool) or not isinstance(base_seed, (int, np.integer)) or base_seed < 0:
        raise InputError(f"seed: must be a non-negative integer, got {base_seed!r}")
    t_max = check_t_max(t_max)
    config = {"base_seed": int(base_seed), "t_max": t_max, "rtol": RTOL, "conv_tol": CONV_TOL,
              "window_tol": WINDOW_TOL, "window_min": WINDOW_MIN, "rank_rtol": JACOBIAN_RANK_RTOL}
    out_dir = records_dir = None
    if out is not None:
        out_dir = Path(out)
        records_dir = Records(out_dir, config, manifest="probe.json",
                              refuse=f"out: {out} holds a sweep with other settings "
                                     f"({out_dir / 'probe.json'}); use another directory")

    jobs = [(s, k) for s in shapes for k in range(int(seeds))]
    records: dict[str, dict] = {}
    pending = []
    for s, k in jobs:
        rec = records_dir.load(f"{_key(s, k)}.json") if records_dir is not None else None
        if isinstance(rec, dict) and rec.get("shape") == list(s) and rec.get("seed") == k:
            records[_key(s, k)] = rec
        else:
            pending.append((s, k))
    resumed = len(records)
    start = time.perf_counter()

    def finish(task, rec):
        key = task.key
        records[key] = rec
        if records_dir is not None:
            records_dir.save(f"instances/{key}.json", rec["instance"])
            records_dir.save(f"{key}.json", rec)
        if callable(progress):
            progress(len(records), len(jobs))

    if callable(progress) and resumed:
        progress(resumed, len(jobs))
    tasks = [Task(_key(s, k), probe_one, (s, k, int(base_seed), t_max),
                  f"shape {'x'.join(map(str, s))}, instance seed {k}, base seed {base_seed}")
             for s, k in pending]
    report = run_tasks(tasks, finish, workers=workers, scheduler=scheduler, executor=executor,
                       desc="probe", unit="instance", initial=resumed, total=len(jobs),
                       progress=False if progress is False else None)
    if report.interrupted:
        raise Interrupted(stopped_message(report, len(records), len(jobs), "instance", out_dir))
    ordered = [records[_key(s, k)] for s, k in jobs if _key(s, k) in records]
    summary = summarize(ordered, config, shapes, int(seeds), resumed, time.perf_counter() - start,
                        out_dir)
    summary["failed_tasks"] = [f.to_dict() for f in report.failed]
    return summary


def _lyapunov_summary(shape, rs):
    """Per shape: section 12's relation count and how many limits have a non-singular relations
    Jacobian (ball arithmetic where python-flint is installed); None when C1 cannot have full
    column rank (N1 < N2)."""
    if shape[1] < shape[2]:
        return None
    eq, unk = relation_counts(shape)
    lr = [r.get("lyapunov_relations") for r in rs]
    done = [x for x in lr if x]
    methods = sorted({x["method"] for x in done})
    return {"equations": eq, "unknowns": unk, "limits": len(done),
            "nonsingular": sum(bool(x["nonsingular"]) for x in done),
            "full_column_rank": sum(bool(x["full_column_rank"]) for x in done),
            "method": ", ".join(methods) if methods else None}


def summarize(records, config, shapes, seeds, resumed, seconds, out_dir) -> dict:
    per_shape = []
    for s in shapes:
        rs = [r for r in records if tuple(r["shape"]) == s]
        nullities = [r["jacobian"]["nullity"] for r in rs if "jacobian" in r]
        per_shape.append({
            "shape": list(s), "instances": len(rs),
            "converged": sum(r["status"] == "converged" for r in rs),
            "individual": sum(bool(r.get("individual")) for r in rs),
            "max_c1_product_error": max((r.get("c1_product_error") or 0.0 for r in rs), default=0.0),
            "max_product_error": max((r["product_error"] for r in rs if r.get("product_error") is not None),
                                     default=None),
            "max_window_change": max((r["window_change"] for r in rs if r.get("window_change") is not None),
                                     default=None),
            "max_q_drift": max((r.get("q_drift") or 0.0 for r in rs), default=0.0),
            "jacobian_unknowns": rs[0]["jacobian"]["unknowns"] if rs and "jacobian" in rs[0] else None,
            "jacobian_full_rank": sum(n == 0 for n in nullities),
            "jacobian_nullity": {str(n): nullities.count(n) for n in sorted(set(nullities))},
            # meaningful when C1 (N1 x N2) has full column rank, which random C1 has iff N1 >= N2
            "dimension_count": dimension_count(s) if s[1] >= s[2] else None,
            "lyapunov_relations": _lyapunov_summary(s, rs),
        })
    failures = []
    for r in records:
        if not r.get("individual"):
            key = _key(r["shape"], r["seed"])
            failures.append({
                "shape": r["shape"], "seed": r["seed"], "base_seed": r["base_seed"],
                "status": r["status"], "t_end": r["t_end"], "field": r.get("field"),
                "window_change": r.get("window_change"),
                "instance_file": str(out_dir / "instances" / f"{key}.json") if out_dir else None,
                "reproduce": f"linrbp probe --shapes {'x'.join(map(str, r['shape']))} --seeds "
                             f"{r['seed'] + 1} --seed {r['base_seed']}  (instance seed {r['seed']})",
                "instance": r["instance"],
            })
    return to_jsonable({
        "config": config, "shapes": [list(s) for s in shapes], "seeds": seeds,
        "instances": len(records), "resumed": resumed, "seconds": seconds,
        "converged": sum(r["status"] == "converged" for r in records),
        "individual": sum(bool(r.get("individual")) for r in records),
        "jacobian_full_rank": sum(p["jacobian_full_rank"] for p in per_shape),
        "lyapunov_nonsingular": sum((p["lyapunov_relations"] or {}).get("nonsingular", 0) for p in per_shape),
        "per_shape": per_shape, "not_individually_converged": failures,
    })
