"""Claims of the theory page, section 12: a Lyapunov function for the single hidden layer
(`single-hidden-lyapunov`) and the exponential bound of Theorem 10's setting in every size
(`identity-exponential`).

Setting of section 6: A1' = C1 E, A2' = E A1^T, E = S_TI - A2 A1 S_II = (W* - P) S_II with
W* = S_TI S_II^{-1}, P = A2 A1. For D with C1^T D = W*, V = |A2|^2/2 - <D, A1> has
dV/dt = -tr((W* - P) S_II (W* - P)^T) exactly; for every K with C1^T K = 0, <K, A1> is frozen.
With S_II = S_TI = C1 = Id (A[n,n,n]): d|E|^2/dt = -2|E A1^T|^2 - |A1^T E|^2 - tr(M0 E E^T),
M0 = A2 + A2^T - A1 A1^T (conserved), so |E(t)|^2 <= |E(0)|^2 exp(-lambda_min(M0) t).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..integration._lean import integrate_to_end
from ..symbolic import derive_ode, is_zero
from . import _matrix_tools as mt
from ._symbolic import identity_check

__all__ = ["lyapunov_residual", "frozen_residual", "exponential_residual", "rational_instance"]

GENERIC_SHAPES = ((1, 2, 2), (2, 2, 2), (2, 3, 1))
RATIONAL_SHAPES = ((2, 2, 2), (1, 2, 2), (3, 2, 2), (2, 3, 2), (2, 3, 1), (3, 3, 2))


def _sym(name, rows, cols):
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i}{j}", real=True))


def _inner(X, Y):
    return (X.T * Y).trace()


def _system(layers):
    s = derive_ode(list(layers), "srbp")
    (A1, A2), C1 = s.weights, s.feedback[0]
    return s, A1, A2, C1, s.moments["S_II"], s.moments["S_TI"]


def lyapunov_residual(layers, values=None):
    """dV/dt + tr((W - P) S (W - P)^T) - <W - C1^T D, E> along the rule's derived field, with
    S_TI = W S_II (W = W*); exactly 0 for symbolic W, D, C1, S_II (``values=None``). With
    ``values`` = {"C1", "S", "W", "D"} (sympy Rationals, C1^T D = W) the residual is
    dV/dt + tr((W - P) S (W - P)^T) itself."""
    s, A1, A2, C1, S, STI = _system(layers)
    n0, n1, n2 = layers
    if values is None:
        W, D = _sym("w", n2, n0), _sym("d", n1, n0)
        sub = {}
    else:
        W, D = values["W"], values["D"]
        sub = dict(zip(list(C1), list(values["C1"])))
        sub.update(dict(zip(list(S), list(values["S"]))))
        S = values["S"]
    sub.update(dict(zip(list(STI), list(W * S))))
    P = A2 * A1
    E = (W - P) * S
    V = _inner(A2, A2) / 2 - _inner(D, A1)
    # xreplace: every key is a symbol of the derived system (C1, S_II, S_TI entries), so it is
    # subs(sub, simultaneous=True) without subs' pattern matching (a third of the time)
    dV = sp.expand(s.along_flow(V).xreplace(sub))
    Cn = C1.subs(sub) if values is not None else C1
    rest = ((W - P) * S * (W - P).T).trace()
    if values is None:
        rest -= _inner(W - Cn.T * D, E)
    return sp.expand(dV + rest)


def rational_instance(layers, seed: int):
    """Random rational C1 (full column rank), S_II (positive definite), W and a D with C1^T D = W
    (one of many: plus a random K with C1^T K = 0), and a basis of the null space of C1^T."""
    rng = np.random.default_rng(seed)
    n0, n1, n2 = layers

    def rat(rows, cols):
        return sp.Matrix(rows, cols, lambda i, j: sp.Rational(int(rng.integers(-9, 10)), int(rng.integers(1, 6))))

    while True:
        C1 = rat(n1, n2)
        if C1.rank() == n2:
            break
    X = rat(n0, n0)
    S = X * X.T + sp.eye(n0)
    W = rat(n2, n0)
    G = C1.T * C1
    D0 = C1 * G.inv() * W
    N = sp.Matrix.hstack(*C1.T.nullspace()) if n1 > n2 else sp.zeros(n1, 0)
    D = D0 + (N * rat(N.shape[1], n0) if n1 > n2 else sp.zeros(n1, n0))
    assert C1.T * D == W
    return {"C1": C1, "S": S, "W": W, "D": D, "null": N}


def frozen_residual(layers, seed: int):
    """d/dt (v^T A1) for the columns v of a basis of the null space of C1^T (rational C1):
    exactly 0 (the frozen projections)."""
    s, A1, A2, C1, S, STI = _system(layers)
    inst = rational_instance(layers, seed)
    sub = dict(zip(list(C1), list(inst["C1"])))
    N = inst["null"]
    if N.shape[1] == 0:
        return [sp.Integer(0)]
    return [sp.expand(s.along_flow(x).xreplace(sub)) for x in (N.T * A1)]


def exponential_residual(n: int):
    """d|E|^2/dt + 2|E A1^T|^2 + |A1^T E|^2 + tr(M E E^T) with S_II = S_TI = C1 = Id, M the
    conserved A2 + A2^T - A1 A1^T at the current point: exactly 0."""
    s, A1, A2, C1, S, STI = _system((n, n, n))
    sub = {x: sp.Integer(1 if i == j else 0) for M in (C1, S, STI) for (i, j), x in np.ndenumerate(np.array(M.tolist(), dtype=object))}
    E = sp.eye(n) - A2 * A1
    dE2 = s.along_flow(_inner(E, E)).xreplace(sub)
    M = A2 + A2.T - A1 * A1.T
    return sp.expand(dE2 + 2 * _inner(E * A1.T, E * A1.T) + _inner(A1.T * E, A1.T * E) + (M * E * E.T).trace())


def _rational_check(layers):
    def residual():
        inst = rational_instance(layers, seed=sum(layers))
        return lyapunov_residual(layers, inst)
    return identity_check(f"dV/dt = -tr((W*-P) S_II (W*-P)^T) on a random rational instance, A{list(layers)}",
                          residual)


# --- numerical checks along trajectories ----------------------------------------------------
def _lyapunov_instance(rng):
    return mt.instance([3, 4, 2], "rbp", mt.random_spd(rng, 3), rng.normal(size=(2, 3)) / np.sqrt(3),
                       [rng.normal(size=(4, 2))], mt.random_weights(rng, [3, 4, 2]), t_max=200.0)


def _v_parts(p):
    st = p.system.stats
    C1 = p.feedback[0]
    Wstar = st.sigma_ti @ np.linalg.inv(st.sigma_ii)
    D = C1 @ np.linalg.solve(C1.T @ C1, Wstar)  # C1^T D = W*

    def V(A1, A2):
        return 0.5 * float(np.sum(A2 * A2)) - float(np.sum(D * A1))

    def rate(A1, A2):
        R = Wstar - A2 @ A1
        return -float(np.trace(R @ st.sigma_ii @ R.T))
    return Wstar, D, V, rate


def lyapunov_trajectory_error(inst) -> float:
    """Along a trajectory of A[3,4,2] to t = 200: max of (a) |dV/dt from the rule's field -
    formula| / (|terms|), (b) the largest increase of V between samples relative to |V|, (c) the
    relative error of P against W* at t = 200."""
    p = parse_instance(mt.instance_file(inst))
    Wstar, D, V, rate = _v_parts(p)
    res = integrate_to_end(p.system, p.y0, 200.0, rtol=mt.RTOL, atol=mt.ATOL, conv_tol=0.0, dense=True)
    worst_rate, worst_rise, vals = 0.0, 0.0, []
    for y in res.ys[::max(1, len(res.ys) // 200)]:
        (A1, A2), _ = p.system.unpack(y)
        (d1, d2), _ = p.system.velocity([A1, A2])
        dV = float(np.sum(A2 * d2)) - float(np.sum(D * d1))
        scale = float(np.sum(np.abs(A2 * d2))) + float(np.sum(np.abs(D * d1))) + 1e-300
        worst_rate = max(worst_rate, abs(dV - rate(A1, A2)) / scale)
        vals.append(V(A1, A2))
    vals = np.array(vals)
    worst_rise = float(np.max(np.diff(vals), initial=0.0)) / max(float(np.max(np.abs(vals))), 1e-300)
    (A1, A2), _ = p.system.unpack(res.y[0])
    limit = float(np.abs(A2 @ A1 - Wstar).max() / np.abs(Wstar).max())
    return max(worst_rate, max(worst_rise, 0.0), limit)


def _pd_start(rng, n=3):
    """A[n,n,n], S_II = S_TI = C1 = Id, M0 = A2 + A2^T - A1 A1^T positive definite
    (eigenvalues 0.2..2): A2 = (A1 A1^T + M0)/2 + an antisymmetric part."""
    A1 = 0.6 * rng.normal(size=(n, n))
    Qm, _ = np.linalg.qr(rng.normal(size=(n, n)))
    M0 = (Qm * rng.uniform(0.2, 2.0, n)) @ Qm.T
    G = rng.normal(size=(n, n))
    A2 = 0.5 * (A1 @ A1.T + M0) + 0.5 * (G - G.T)
    return mt.instance([n, n, n], "rbp", np.eye(n), np.eye(n), [np.eye(n)], [A1, A2], t_max=40.0)


def exponential_bound_error(inst) -> float:
    """max over t in [0, 40] of |E(t)| - |E(0)| exp(-lambda_min(M0) t / 2), positive part,
    relative to |E(0)| (the bound |E|^2 <= |E(0)|^2 exp(-lambda t), in |E| units so that the
    integrator's absolute accuracy is what the tolerance measures)."""
    p = parse_instance(mt.instance_file(inst))
    A1, A2 = p.weights
    M0 = A2 + A2.T - A1 @ A1.T
    lam = float(np.linalg.eigvalsh(0.5 * (M0 + M0.T))[0])
    if lam <= 0:
        return math.inf
    res = integrate_to_end(p.system, p.y0, 40.0, rtol=mt.RTOL, atol=mt.ATOL, conv_tol=0.0, dense=True)
    n = A1.shape[0]
    E0 = np.linalg.norm(np.eye(n) - A2 @ A1)
    worst = 0.0
    for t, y in zip(res.t, res.ys):
        (B1, B2), _ = p.system.unpack(y)
        E = np.linalg.norm(np.eye(n) - B2 @ B1)
        worst = max(worst, (E - E0 * math.exp(-lam * t / 2)) / E0)
    return worst


LYAPUNOV = register(Claim(
    id="single-hidden-lyapunov",
    title="A Lyapunov function for $A[N_0,N_1,N_2]$ (the missing relation of Theorem 10)",
    reference="linrbp, theory page section 12",
    statement=("For $C_1$ of full column rank and $C_1^T D = W^* = S_{TI} S_{II}^{-1}$, $V = "
               r"|A_2|^2/2 - \langle D, A_1 \rangle$ has $dV/dt = -\mathrm{tr}((W^* - P) S_{II} "
               r"(W^* - P)^T) \leq 0$ exactly; $\langle K, A_1 \rangle$ is conserved whenever "
               "$C_1^T K = 0$ (the frozen projections)."),
    checks=[identity_check(f"dV/dt + tr((W-P) S (W-P)^T) = <W - C1^T D, E> (symbolic), A{list(lay)}",
                           lambda lay=lay: lyapunov_residual(lay)) for lay in GENERIC_SHAPES]
    + [_rational_check(lay) for lay in RATIONAL_SHAPES]
    + [identity_check(f"frozen projections: d/dt v^T A1 = 0 when v^T C1 = 0 (rational C1), A{list(lay)}",
                      lambda lay=lay: frozen_residual(lay, seed=7)) for lay in ((2, 3, 2), (3, 3, 2), (2, 3, 1))]
    + [Check("A[3,4,2] to t = 200: dV/dt = formula, V non-increasing, P -> W*", mt.LIMIT_TOL,
             _lyapunov_instance, error=lyapunov_trajectory_error, samples=3,
             strategy=lambda: mt.seeds_strategy(_lyapunov_instance))],
))

EXPONENTIAL = register(Claim(
    id="identity-exponential",
    title="$A[n,n,n]$ with $S_{II} = S_{TI} = C_1 = I$: exponential decay of the error",
    reference="linrbp, theory page section 12",
    statement=(r"$d|E|^2/dt = -2|E A_1^T|^2 - |A_1^T E|^2 - \mathrm{tr}(M_0 E E^T)$ exactly, so if "
               r"$M_0 = A_2 + A_2^T - A_1 A_1^T$ is positive definite at the start, $|E(t)|^2 \leq "
               r"|E(0)|^2 \exp(-\lambda_{\min}(M_0)\, t)$."),
    checks=[identity_check(f"d|E|^2/dt = -2|E A1^T|^2 - |A1^T E|^2 - tr(M E E^T) (symbolic), n = {n}",
                           lambda n=n: exponential_residual(n)) for n in (1, 2)]
    + [Check("|E(t)| <= |E(0)| exp(-lambda_min(M0) t/2) on [0, 40], n = 3, M0 > 0 (relative excess)",
             mt.DRIFT_TOL, _pd_start, error=exponential_bound_error, samples=12,
             strategy=lambda: mt.seeds_strategy(_pd_start))],
))
