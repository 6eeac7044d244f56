"""Finite-N online SGD run on the order parameters: the network's Markov chain, exact in law.

Why it is exact. Stack the weights as Wall = [W; W*] ((K+M) x N), C = Wall Wall^T / N. One step
of the network (``_sgd``) is, with c_k = f_k g'(lambda_k) Delta and B = Id + (eta/N) M,

    W' = B W + (eta / sqrt N) c x^T,  so
    Q' = B Q B^T + (eta/N) (B lambda c^T + c lambda^T B^T) + (eta^2/N) (|x|^2 / N) c c^T,
    R' = B R + (eta/N) c nu^T,   v' and b' functions of (lambda, nu, xi, v, b).

The step needs x only through u = (lambda, nu) = Wall x / sqrt N and |x|^2. Write
Wall = sqrt(N) S U^T with S S^T = C and U an N x (K+M) matrix with orthonormal columns (it exists
since rank Wall <= K + M <= N). For x ~ N(0, Id_N), z = U^T x ~ N(0, Id_{K+M}) and the rest,
x - U z, is independent of z with |x - U z|^2 ~ chi^2_{N-K-M}; so u = S z and
|x|^2 = |z|^2 + chi^2_{N-K-M}, jointly, exactly (S singular is no exception: the components of z
that S does not see are part of the input's norm, as they should be). The new weights are
Wall' = sqrt(N) [S + (eta/N) (M S restricted to the student rows + c z^T), (eta/N) c |x - U z|]
[U, e]^T with e the unit vector of x - U z, so (S plus one column) is a factor of C'; a
Householder LQ folds it back to K + M columns without changing S S^T. Given (C, v, b) the next
(C', v', b') therefore has exactly the network's law at this N; the chain costs O((K+M)^3) per
step instead of O(N (K+M)) and draws K + M + 2 numbers instead of N + 1.

Seeds: seed s draws, from numpy's ``default_rng(s)``, blocks of 256 steps: a 256 x (K+M)
Gaussian block, 256 chi^2_{N-K-M} draws (zeros when N = K + M), 256 label noises. The start is the
instance's C exactly (its symmetric square root), so no draw precedes the first block.
"""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ._kernel import compiled_run_op_steps, run_op_steps
from ._model import generalisation_error

__all__ = ["simulate_op", "start_factor", "run_blocks", "run_op_steps_batch", "BLOCK"]

BLOCK = 256


def run_blocks(runs, steps, progress, interruptible, draw, advance, record, keep=None) -> str:
    """Run every seed's steps to each recorded step count in blocks of BLOCK draws (either
    method): ``draw(r)`` draws a block, ``advance(r, j, k)`` runs its steps j..j+k-1,
    ``record(r)`` stores the state. Returns the status (``time-limit`` or ``interrupted``)."""
    return _run_groups([[r] for r in runs], steps, progress, interruptible, draw,
                       lambda group, j, k: advance(group[0], j, k), record, keep)


def _run_lockstep(runs, steps, progress, interruptible, draw, advance_all, record, keep=None) -> str:
    """:func:`run_blocks` with every seed at the same step: the same blocks drawn from each
    seed's generator at the same step counts, ``advance_all(j, k)`` running steps j..j+k-1 of
    every seed at once."""
    return _run_groups([runs], steps, progress, interruptible, draw,
                       lambda group, j, k: advance_all(j, k), record, keep)


def _run_groups(groups, steps, progress, interruptible, draw, advance, record, keep=None) -> str:
    """The loop of both: each group of seeds in turn, its seeds at the same step, blocks drawn
    for each seed at multiples of BLOCK, ``advance(group, j, k)``, every seed recorded at each
    recorded step count; Ctrl-C ends it with ``interrupted`` when ``interruptible``.

    ``keep`` (a :class:`~linrbp.teacher_student._sgd_records.SeedRecords`, optional): each
    seed starts from its saved state, if any; its state is marked at block boundaries before the
    block's draw (at most every ``MARK_EVERY_S`` seconds), and written when its group finishes
    and on Ctrl-C (the last mark), so a rerun continues with the same draws."""
    from ..core._progress import progress_bar

    if keep is not None:
        for group in groups:
            keep.restore(group, steps)  # every seed of a group, or none
    running = []
    try:
        with progress_bar(int(steps[-1]) * sum(map(len, groups)), "sgd", "step",
                          disable=None if progress is None else not progress, delay=1.0,
                          initial=sum(r["step"] for g in groups for r in g)) as bar:
            for group in groups:
                running = group
                step = group[0]["step"]
                for target in steps[len(group[0]["rec"]):]:
                    while step < target:
                        j = step % BLOCK
                        if j == 0:
                            if keep is not None:
                                keep.mark(group)
                            for r in group:
                                draw(r)
                        k = int(min(BLOCK - j, target - step))
                        advance(group, j, k)
                        step += k
                        for r in group:
                            r["step"] = step
                        bar.update(k * len(group))
                    for r in group:
                        record(r)
                if keep is not None and len(group[0]["rec"]) == len(steps):
                    keep.mark(group, force=True)
                    keep.save(group)
                running = []
    except KeyboardInterrupt:
        if not interruptible:
            raise
        if keep is not None:
            keep.save(running)
        return "interrupted"
    return "time-limit"


def run_op_steps_batch(S, v, b, K, Z, chi2, xi, A, eta, sigma, N, act, fkind, cfv, cfb, M0, has_m,
                       cwv, cwb, cdv, cdb, learn, evolve_b):
    """:func:`~linrbp.teacher_student._kernel.run_op_steps` for R chains at once, in numpy:
    S (R, n, n), v and b (R, K) updated in place; Z (R, steps, n), chi2 and xi (R, steps). The
    same step; the fold of the n + 1 columns back to n is LAPACK's Householder QR of the
    transpose (the kernel's reflections, with the same sign convention), so the states agree with
    the kernel's to rounding."""
    from scipy.special import erf

    n = S.shape[1]
    e = eta / N
    A = np.asarray(A, dtype=float)
    R2, C2 = 1.0 / np.sqrt(2.0), np.sqrt(2.0 / np.pi)
    qr_r = _qr_r_in_place()
    upper = np.triu(np.ones((n, n), dtype=bool))
    XT = np.empty((S.shape[0], n + 1, n))  # X^T, the matrix whose QR folds the step back to n columns
    root_chi2 = np.sqrt(chi2)
    for s in range(Z.shape[1]):
        z = Z[:, s]
        u = np.matmul(S, z[:, :, None])[:, :, 0]
        g = erf(u * R2) if act == 0 else u  # elementwise: the student's (first K) and teacher's
        lam, gl = u[:, :K], g[:, :K]
        y = sigma * xi[:, s] + (g[:, K:] * A).sum(axis=1)
        delta = y - (v * gl).sum(axis=1)
        fk = cfv * v + cfb * b if fkind == 0 else cfv * np.sign(v)
        gp = C2 * np.exp(-0.5 * lam * lam) if act == 0 else 1.0
        ck = e * (fk * gp * delta[:, None])
        top = XT[:, :n, :]
        top[...] = np.swapaxes(S, 1, 2)
        XT[:, n, :] = 0.0
        if has_m:
            top[:, :, :K] += np.swapaxes(e * np.matmul(M0, S[:, :K, :]), 1, 2)
        top[:, :, :K] += z[:, :, None] * ck[:, None, :]
        XT[:, n, :K] = ck * root_chi2[:, s][:, None]
        if qr_r is None:
            S[...] = np.swapaxes(np.linalg.qr(XT, mode="r"), 1, 2)
        else:
            qr_r(XT)  # LAPACK's geqrf in place, as numpy.linalg.qr calls it, without its wrapper
            S[...] = np.swapaxes(np.where(upper, XT[:, :n, :], 0.0), 1, 2)
        dv = e * (gl * delta[:, None] + cwv * v + cwb * b)
        if evolve_b:
            b += e * (learn * gl * delta[:, None] + cdv * v + cdb * b)
        v += dv


def _qr_r_in_place():
    """``f(a)``: numpy.linalg.qr's own LAPACK call (geqrf on a stack of float64 matrices, R in
    the upper triangle of ``a``, overwritten), or None where this numpy does not have it.

    numpy.linalg.qr(mode="r") wraps the same call in a copy, error handling and triu: about
    25 us per call, three quarters of the order-parameter SGD's numpy step at n = 6
    (ts-i3-index: 40,000 calls). Its R factor equals this one bit for bit
    (tests/test_teacher_student_op.py)."""
    try:
        from numpy.linalg import _umath_linalg
        raw = _umath_linalg.qr_r_raw
    except (ImportError, AttributeError):
        return None
    return lambda a: raw(a, signature="d->d")


def start_factor(inst) -> np.ndarray:
    """S with S S^T = C = [[Q, R], [R^T, T]] (symmetric square root, exact for singular C)."""
    m = inst.model
    C = np.block([[inst.Q, inst.R], [inst.R.T, m.T]])
    w, V = np.linalg.eigh(C)
    return np.ascontiguousarray((V * np.sqrt(np.clip(w, 0, None))) @ V.T)


def simulate_op(inst, N, seeds, times, steps, pieces, backend, progress, interruptible, records=None,
                refuse=None) -> dict:
    """``simulate_sgd(..., method="order-parameters")`` (arguments already checked there)."""
    m = inst.model
    K, M = m.K, m.M
    n = K + M
    if pieces is None:
        raise InputError(f"method: order-parameters needs a rule whose pieces are affine in (v, b); "
                         f"rule {m.rule.name}'s are not (use method 'network')")
    if backend == "auto":
        backend = "numba" if compiled_run_op_steps() is not None else "numpy"
    if backend not in ("numba", "numpy"):
        raise InputError(f"backend: with method order-parameters expected auto, numba or numpy, got {backend!r}")
    if backend == "numba" and compiled_run_op_steps() is None:
        raise InputError("backend: numba is not installed (pip install numba)")
    kernel = compiled_run_op_steps() if backend == "numba" else run_op_steps
    act = 0 if m.activation == "erf" else 1
    evolve = m.rule.evolves_feedback
    p = pieces
    S0 = start_factor(inst)
    runs = []
    for s in seeds:
        b0 = inst.b if inst.b is not None else np.zeros(K)
        runs.append({"seed": s, "rng": np.random.default_rng(s), "S": S0.copy(), "v": inst.v.astype(float).copy(),
                     "b": np.asarray(b0, float).copy(), "step": 0, "rec": []})
    keep = _keeper(records, refuse, inst, N, seeds, steps, "order-parameters", backend, ("S", "v", "b"))

    def record(r):
        C = r["S"] @ r["S"].T
        Q, R, Tsim = C[:K, :K], C[:K, K:], C[K:, K:]
        r["rec"].append((generalisation_error(Q, R, Tsim, r["v"], m.A, m.activation), Q.copy(), R.copy(),
                         r["v"].copy(), r["b"].copy()))

    def draw(r):
        rng = r["rng"]
        r["Z"] = rng.standard_normal((BLOCK, n))
        r["chi2"] = rng.chisquare(N - n, BLOCK) if N > n else np.zeros(BLOCK)
        r["xi"] = rng.standard_normal(BLOCK)

    args = (m.A, m.eta, m.sigma, float(N), act, p["fkind"], p["cfv"], p["cfb"], p["M0"],
            p["has_m"], p["cwv"], p["cwb"], p["cdv"], p["cdb"], p["learn"], evolve)

    def advance(r, j, k):
        kernel(r["S"], r["v"], r["b"], K, r["Z"][j:j + k], r["chi2"][j:j + k], r["xi"][j:j + k], *args)

    if backend == "numpy":  # every seed's chain side by side, one numpy step for all of them
        S_all = np.stack([r["S"] for r in runs])
        v_all = np.stack([r["v"] for r in runs])
        b_all = np.stack([r["b"] for r in runs])
        for i, r in enumerate(runs):
            r["S"], r["v"], r["b"] = S_all[i], v_all[i], b_all[i]

        def advance_all(j, k):
            run_op_steps_batch(S_all, v_all, b_all, K, np.stack([r["Z"][j:j + k] for r in runs]),
                               np.stack([r["chi2"][j:j + k] for r in runs]),
                               np.stack([r["xi"][j:j + k] for r in runs]), *args)

        status = _run_lockstep(runs, steps, progress, interruptible, draw, advance_all, record, keep)
    else:
        status = run_blocks(runs, steps, progress, interruptible, draw, advance, record, keep)
    return _output(inst, N, seeds, steps, runs, status, backend, "order-parameters", keep)


def _keeper(records, refuse, inst, N, seeds, steps, method, backend, keys):
    """The SeedRecords of a run writing to the directory ``records`` (None: nothing kept),
    ``refuse`` the one-line message refusing other settings there (None: the default)."""
    if records is None:
        return None
    from ._sgd_records import SeedRecords
    d = inst.to_dict()
    d.pop("t_max", None)  # the recorded steps say how far the runs go
    return SeedRecords(records, {"instance": d, "N": int(N), "seeds": list(seeds),
                                   "steps": [int(x) for x in steps], "method": method, "backend": backend},
                       keys, refuse)


def _output(inst, N, seeds, steps, runs, status, backend, method, keep=None) -> dict:
    """The result dict from the per-seed records (eps_g, Q, R, v, b) of either method (with
    ``keep``: ``resumed_steps``, the steps taken before this run, and ``records``)."""
    m = inst.model
    K, M, T = m.K, m.M, m.T
    evolve = m.rule.evolves_feedback
    n_done = min(len(r["rec"]) for r in runs)
    out = {"model": "teacher-student", "method": "sgd", "sgd_method": method, "backend": backend,
           "N": N, "seeds": seeds,
           "activation": m.activation, "rule": m.rule.name, "parameters": m.rule.rule.parameter_values,
           "eta": m.eta, "sigma": m.sigma, "K": K, "M": M, "T": T, "A": m.A,
           "times": [float(t) for t in steps[:n_done] / N],
           "eps_g": [[rec[0] for rec in r["rec"][:n_done]] for r in runs],
           "Q": [[rec[1] for rec in r["rec"][:n_done]] for r in runs],
           "R": [[rec[2] for rec in r["rec"][:n_done]] for r in runs],
           "v": [[rec[3] for rec in r["rec"][:n_done]] for r in runs]}
    if evolve:
        out["b"] = [[rec[4] for rec in r["rec"][:n_done]] for r in runs]
    elif inst.b is not None:
        out["feedback"] = inst.b
    out["status"] = status
    out["t_end"] = float(steps[n_done - 1] / N) if n_done else 0.0
    if keep is not None:
        out["records"] = {"directory": str(keep.directory), "resumed_steps": keep.resumed_steps,
                          "seeds_done": [r["seed"] for r in runs if len(r["rec"]) == len(steps)],
                          "last_step": int(steps[-1]),
                          "steps_kept": {str(r["seed"]): int(keep.kept_step(r)) for r in runs}}
    return out
