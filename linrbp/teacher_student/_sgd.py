"""Finite-N online SGD of the two-layer teacher-student network (the theory page, section 11).

Student phi(x) = sum_k v_k g(w_k . x / sqrt N), teacher phi*(x) = sum_m A_m g(w*_m . x / sqrt N),
label y = phi*(x) + sigma xi, Delta = y - phi(x), one fresh Gaussian x per step:

    w_k <- w_k + (eta / sqrt N) f_k g'(lambda_k) Delta x + (eta / N) (M W)_k
    v_k <- v_k + (eta / N) (g(lambda_k) Delta + W_2k)
    b_k <- b_k + (eta / N) ([learns] g(lambda_k) Delta + D_1k)      (rules whose feedback evolves)

with the rule's pieces f, M, W_2, D_1 (linrbp.teacher_student._rule). The start: W and W* are
sqrt(N) C^(1/2) U^T with U an N x (K+M) matrix with orthonormal columns (QR of a Gaussian
draw), so the order parameters at t = 0 are the instance's exactly (to round-off).

Seeds: seed s draws, from numpy's ``default_rng(s)``, first the N x (K+M) Gaussian of the start
and then blocks of 256 steps (a 256 x N input block, then 256 label noises); a run to any time
uses a prefix of the same stream, so the state at step n does not depend on the times asked for
or on the other seeds run with it.
"""

from __future__ import annotations

import math

import numpy as np

from ..core._errors import InputError
from ._instance import TSInstance
from ._kernel import compiled_run_steps
from ._model import generalisation_error
from ._ode import check_times
from ._sgd_op import BLOCK, _keeper, _output, run_blocks, simulate_op

__all__ = ["simulate_sgd", "draw_network", "rule_pieces", "BLOCK"]

_PROBE_TOL = 1e-12


def rule_pieces(tsrule) -> dict | None:
    """The rule's pieces as an affine description for the compiled kernel, or None when they
    are not of that form (then the numpy loop evaluates the rule at every step)."""
    K = tsrule.K
    rng = np.random.default_rng(7)
    probes = [(rng.normal(size=K), rng.normal(size=K)) for _ in range(3)]
    z = np.zeros(K)
    e = np.ones(K)

    def affine(fun):
        cv, cb = float(fun(e, z)[0]) if fun(e, z) is not None else 0.0, 0.0
        if fun(e, z) is None:
            return 0.0, 0.0
        cb = float(fun(z, e)[0])
        for v, b in probes:
            got = fun(v, b)
            if got is None or not np.allclose(got, cv * v + cb * b, rtol=_PROBE_TOL, atol=_PROBE_TOL):
                return None
        return cv, cb

    fb = tsrule.has_feedback
    bb = (lambda b: b) if fb else (lambda b: None)
    lin = affine(lambda v, b: tsrule.backward_factor(v, bb(b)))
    fkind = 0
    if lin is None:  # sign-symmetry, usf: f = c sign(v)
        c = float(tsrule.backward_factor(e, bb(z))[0])
        if all(np.allclose(tsrule.backward_factor(v, bb(b)), c * np.sign(v), rtol=0, atol=_PROBE_TOL)
               for v, b in probes):
            lin, fkind = (c, 0.0), 1
        else:
            return None
    Ms = [tsrule.drift_pieces(v, bb(b))[0] for v, b in probes]
    if any(M is None for M in Ms) and not all(M is None for M in Ms):
        return None
    M0 = np.zeros((K, K)) if Ms[0] is None else Ms[0]
    if any(not np.allclose(M, M0, rtol=0, atol=_PROBE_TOL) for M in Ms[1:] if M is not None):
        return None
    w2 = affine(lambda v, b: tsrule.drift_pieces(v, bb(b))[1])
    d1 = affine(lambda v, b: tsrule.drift_pieces(v, bb(b))[2])
    if w2 is None or d1 is None:
        return None
    learn = 0.0
    if tsrule.evolves_feedback:
        _, fbk = tsrule.error_terms(np.eye(K), np.ones(K))
        learn = 0.0 if fbk is None else 1.0
    return {"fkind": fkind, "cfv": lin[0], "cfb": lin[1], "M0": np.ascontiguousarray(M0),
            "has_m": Ms[0] is not None and bool(np.any(M0 != 0)), "cwv": w2[0], "cwb": w2[1],
            "cdv": d1[0], "cdb": d1[1], "learn": learn}


def _sqrtm_psd(C):
    w, V = np.linalg.eigh(C)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def draw_network(Q, R, T, N: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Weights of a student and a teacher at input dimension N with given overlaps.

    Parameters
    ----------
    Q : array_like, shape (K, K)
        Student-student overlaps.
    R : array_like, shape (K, M)
        Student-teacher overlaps.
    T : array_like, shape (M, M)
        Teacher-teacher overlaps; [[Q, R], [R^T, T]] positive semi-definite.
    N : int
        Input dimension, N >= K + M.
    rng : numpy.random.Generator
        The random rotation's source.

    Returns
    -------
    W : numpy.ndarray, shape (K, N)
        The student's first layer.
    W_star : numpy.ndarray, shape (M, N)
        The teacher's first layer; :math:`W W^T/N = Q`, :math:`W W^{*T}/N = R`,
        :math:`W^* W^{*T}/N = T` to round-off.

    Examples
    --------
    >>> import numpy as np
    >>> from linrbp.teacher_student import draw_network
    >>> W, Ws = draw_network([[1.0]], [[0.5]], [[1.0]], 50, np.random.default_rng(0))
    >>> W.shape, Ws.shape
    ((1, 50), (1, 50))
    >>> np.allclose(np.vstack([W, Ws]) @ np.vstack([W, Ws]).T / 50, [[1.0, 0.5], [0.5, 1.0]])
    True
    """
    Q, R, T = (np.atleast_2d(np.asarray(x, float)) for x in (Q, R, T))
    K, M = R.shape
    C = np.block([[Q, R], [R.T, T]])
    Z = rng.standard_normal((N, K + M))
    U, _ = np.linalg.qr(Z)
    Wall = math.sqrt(N) * _sqrtm_psd(C) @ U.T
    return np.ascontiguousarray(Wall[:K]), np.ascontiguousarray(Wall[K:])


def _numpy_steps(W, Ws, v, b, X, xi, A, eta, sigma, act, p, evolve):
    """The kernel's step as a plain numpy per-step loop (the benchmark's obvious alternative)."""
    from ._integrals import activation, derivative
    K, N = W.shape
    rs = 1.0 / math.sqrt(N)
    for s in range(X.shape[0]):
        x = X[s]
        lam = W @ x * rs
        gl = activation(act, lam)
        delta = float(A @ activation(act, Ws @ x * rs) + sigma * xi[s] - v @ gl)
        f = p["cfv"] * v + p["cfb"] * b if p["fkind"] == 0 else p["cfv"] * np.sign(v)
        if p["has_m"]:
            W += eta / N * (p["M0"] @ W)
        W += np.outer(eta * rs * f * derivative(act, lam) * delta, x)
        dv = eta / N * (gl * delta + p["cwv"] * v + p["cwb"] * b)
        if evolve:
            b += eta / N * (p["learn"] * gl * delta + p["cdv"] * v + p["cdb"] * b)
        v += dv


def _generic_steps(tsrule, W, Ws, v, b, X, xi, A, eta, sigma, act):
    """numpy per-step loop calling the rule's statement at every step (any rule that fits)."""
    from ._integrals import activation, derivative
    K, N = W.shape
    rs = 1.0 / math.sqrt(N)
    fb = tsrule.has_feedback
    for s in range(X.shape[0]):
        x = X[s]
        lam = W @ x * rs
        nu = Ws @ x * rs
        gl = activation(act, lam)
        delta = float(A @ activation(act, nu) + sigma * xi[s] - v @ gl)
        f = tsrule.backward_factor(v, b if fb else None)
        Mw, w2, d1 = tsrule.drift_pieces(v, b if fb else None)
        top, fbk = tsrule.error_terms(gl[:, None], np.array([delta]))
        dW = (eta * rs * f * derivative(act, lam) * delta)[:, None] * x[None, :]
        if Mw is not None:
            dW = dW + eta / N * Mw @ W
        dv = eta / N * (top + (w2 if w2 is not None else 0.0))
        if tsrule.evolves_feedback:
            db = eta / N * ((fbk if fbk is not None else 0.0) + (d1 if d1 is not None else 0.0))
            b += db
        W += dW
        v += dv


def simulate_sgd(inst: TSInstance, N: int, seeds, times=None, *, backend: str = "auto",
                 method: str = "network", progress: bool | None = False,
                 interruptible: bool = False, records=None, refuse: str | None = None) -> dict:
    """Run online SGD of ``inst``'s network at input dimension N, one run per seed.

    Parameters
    ----------
    inst : TSInstance
        The instance (its Q, R, T, v, A, b are the start; eta, sigma, rule, activation).
    N : int
        Input dimension (>= K + M). One SGD step is dt = 1/N.
    seeds : sequence of int
        One independent run per seed (see the module docstring for what each seed draws).
    times : sequence of float, optional
        Times at which to record (default: the ODE's default grid to the file's t_max); each is
        rounded to the nearest whole number of steps.
    backend : {"auto", "numba", "numpy", "rule"}, optional
        ``numba``: the compiled kernel; ``numpy``: the same step as a numpy loop, one step at a
        time (the benchmark's baseline); ``rule``: the rule's statement evaluated at every step
        (any rule, slowest); ``auto`` (default): numba when installed and the rule's pieces are
        affine, else numpy, else rule. With ``method="order-parameters"``: ``numba`` or ``numpy``
        (the same step in numpy, every seed's chain side by side; the same numbers to rounding),
        ``auto`` picks numba when installed.
    method : {"network", "order-parameters"}, optional
        ``network`` (default): the N-dimensional weights, one N-dimensional input per step.
        ``order-parameters``: the same Markov chain on (Q, R, v, b), exact in law at this N, at
        O((K+M)^3) per step instead of O(N (K+M)) (see ``linrbp.teacher_student._sgd_op``); its
        runs are other draws than the network's runs of the same seeds (the same process, not
        the same path). Rules whose pieces are affine in (v, b) only.
    progress, interruptible : bool, optional
        A bar on stderr (None: when a terminal); Ctrl-C keeps the times done (status interrupted).
    records : str or os.PathLike, optional
        A directory where each seed's records are kept (``sgd.json``: the settings;
        ``seeds/seed-<s>.json``: a seed's records and, until it has finished, its state at the
        start of a recent block of 256 steps, at most about a second's work back), written when
        a seed finishes and on Ctrl-C. Run again with the same instance, N, seeds, times,
        method and backend, every seed continues from there: the results are those of an
        uninterrupted run, bit for bit (each seed draws only from its own generator). Other
        settings there are refused. The directory is the caller's to delete once the results
        are saved (``out["records"]`` says what it holds).
        Default None: nothing is kept.
    refuse : str, optional
        The message (one line) refusing ``records`` that hold runs of other settings (default:
        one naming ``records``).

    Returns
    -------
    dict
        ``times`` (the recorded times, steps / N), ``seeds``, and per seed (first axis) ``eps_g``,
        ``Q``, ``R``, ``v`` (and ``b`` when it evolves), computed from the simulated weights;
        ``status``, ``t_end``, ``N``, ``backend``; with ``records`` also ``records``
        (``directory``, ``resumed_steps``: steps taken before this call, ``seeds_done``,
        ``steps_kept``: each seed's saved step).

    Raises
    ------
    InputError
        Bad N, seeds, times, method or backend, or ``records`` holding runs of other settings,
        before any step.

    Examples
    --------
    >>> from linrbp.teacher_student import parse_ts_instance
    >>> inst = parse_ts_instance({"model": "teacher-student", "activation": "erf", "rule": "bp",
    ...     "eta": 1.0, "sigma": 0.0, "Q": [[1.0]], "R": [[0.2]], "T": [[1.0]], "v": [0.5],
    ...     "A": [1.0], "t_max": 1})
    >>> out = simulate_sgd(inst, 50, [0, 1], [0.0, 1.0], backend="numpy")
    >>> len(out["eps_g"]), len(out["eps_g"][0]), out["status"]
    (2, 2, 'time-limit')
    >>> fast = simulate_sgd(inst, 50, [0, 1], [0.0, 1.0], method="order-parameters", backend="numpy")
    >>> fast["sgd_method"], abs(fast["eps_g"][0][0] - out["eps_g"][0][0]) < 1e-12  # the same start
    ('order-parameters', True)

    With ``records`` a second call finds every seed finished and runs no step:

    >>> import shutil, tempfile
    >>> kept = tempfile.mkdtemp()
    >>> first = simulate_sgd(inst, 50, [0, 1], [0.0, 1.0], backend="numpy", records=kept)
    >>> again = simulate_sgd(inst, 50, [0, 1], [0.0, 1.0], backend="numpy", records=kept)
    >>> again["records"]["resumed_steps"], again["eps_g"] == first["eps_g"] == out["eps_g"]
    (100, True)
    >>> shutil.rmtree(kept)
    """
    from ..core._checks import check_seed

    m = inst.model
    K, M = m.K, m.M
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < K + M:
        raise InputError(f"sgd: N must be an integer >= K + M = {K + M}, got {N!r}")
    N = int(N)
    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise InputError("seed: at least one seed")
    times = check_times(times, inst.t_max)
    steps = np.rint(times * N).astype(np.int64)
    if np.any(np.diff(steps) <= 0):
        raise InputError(f"times: two times round to the same SGD step at N = {N} (steps are 1/N apart)")
    pieces = rule_pieces(m.rule)
    if method == "order-parameters":
        return simulate_op(inst, N, seeds, times, steps, pieces, backend, progress, interruptible, records,
                           refuse)
    if method != "network":
        raise InputError(f"method: expected network or order-parameters, got {method!r}")
    if backend == "auto":
        backend = "rule" if pieces is None else ("numba" if compiled_run_steps() is not None else "numpy")
    if backend not in ("numba", "numpy", "rule"):
        raise InputError(f"backend: expected auto, numba, numpy or rule, got {backend!r}")
    if backend in ("numba", "numpy") and pieces is None:
        raise InputError(f"backend: rule {m.rule.name}'s pieces are not affine in (v, b); use backend 'rule'")
    if backend == "numba" and compiled_run_steps() is None:
        raise InputError("backend: numba is not installed (pip install numba)")
    kernel = compiled_run_steps() if backend == "numba" else None
    act = 0 if m.activation == "erf" else 1
    T = m.T
    evolve = m.rule.evolves_feedback
    runs = []
    for s in seeds:
        rng = np.random.default_rng(s)
        W, Ws = draw_network(inst.Q, inst.R, T, N, rng)
        b0 = inst.b if inst.b is not None else np.zeros(K)
        runs.append({"seed": s, "rng": rng, "W": W, "Ws": Ws, "v": inst.v.astype(float).copy(),
                     "b": np.asarray(b0, float).copy(), "step": 0, "rec": [], "X": None, "xi": None})
    keep = _keeper(records, refuse, inst, N, seeds, steps, "network", backend, ("W", "Ws", "v", "b"))
    def record(r):
        W, Ws = r["W"], r["Ws"]
        Q, R, Tsim = W @ W.T / N, W @ Ws.T / N, Ws @ Ws.T / N
        r["rec"].append((generalisation_error(Q, R, Tsim, r["v"], m.A, m.activation), Q, R,
                         r["v"].copy(), r["b"].copy()))

    def draw(r):
        r["X"] = r["rng"].standard_normal((BLOCK, N))
        r["xi"] = r["rng"].standard_normal(BLOCK)

    def advance(r, j, n):
        X, xi = r["X"][j:j + n], r["xi"][j:j + n]
        if backend == "rule":
            _generic_steps(m.rule, r["W"], r["Ws"], r["v"], r["b"], X, xi, m.A, m.eta, m.sigma, m.activation)
        elif backend == "numpy":
            _numpy_steps(r["W"], r["Ws"], r["v"], r["b"], X, xi, m.A, m.eta, m.sigma, m.activation, pieces,
                         evolve)
        else:
            p = pieces
            kernel(r["W"], r["Ws"], r["v"], r["b"], X, xi, m.A, m.eta, m.sigma, act,
                   p["fkind"], p["cfv"], p["cfb"], p["M0"], p["has_m"], p["cwv"], p["cwb"],
                   p["cdv"], p["cdb"], p["learn"], evolve)

    status = run_blocks(runs, steps, progress, interruptible, draw, advance, record, keep)
    return _output(inst, N, seeds, steps, runs, status, backend, "network", keep)

