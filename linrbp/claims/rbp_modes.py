"""`rbp-modes`: decoupled modes of A[N,N,N] under RBP (docs/theory.md section 10; Saxe et al.'s
construction with random feedback).

S_II = Id, S_TI = U diag(s) V^T, C_1 = R diag(c) U^T, A_1 = R diag(a) V^T, A_2 = U diag(b) R^T:
the flow keeps this form and each mode is `chain111` with alpha = s_i, beta = 1, c1 = c_i.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._modes import ALIGN_TOL, mode_field
from ..instances._instance import parse_instance
from ..instances._predict import predict, predict_modes  # noqa: F401  (this claim's predictor)
from ..integration._lean import integrate_to_end
from ..symbolic import derive_ode, is_zero
from . import _matrix_tools as mt

ID = "rbp-modes"
T_PATH = 6.0


def _orthogonal(rng, n):
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def random_instance(rng, rule="rbp", balanced=False) -> dict:
    """An aligned A[N,N,N], N in 2..5: s in [0.5, 3] (distinct), c_i of either sign, a_i, b_i
    small of either sign (``balanced``: a = b = sqrt(u0) > 0, Saxe's start)."""
    n = int(rng.integers(2, 6))
    U, V, R = (_orthogonal(rng, n) for _ in range(3))
    s = np.sort(rng.uniform(0.5, 3.0, size=n))[::-1]
    c = rng.uniform(0.5, 2.0, size=n) * rng.choice([-1, 1], size=n)
    if balanced:
        a = b = np.sqrt(rng.uniform(0.01, 0.3, size=n) * s)
    else:
        a, b = rng.uniform(-0.5, 0.5, size=n), rng.uniform(-0.5, 0.5, size=n)
    A1, A2, C1 = (R * a) @ V.T, (U * b) @ R.T, (R * c) @ U.T
    return mt.instance([n, n, n], rule, np.eye(n), (U * s) @ V.T, [C1] if rule != "bp" else [], [A1, A2],
                       U=U, V=V, R=R, s=s, c=c, a=a, b=b)


def mode_paths(inst, ts):
    """a_i(t), b_i(t) of every mode (chain111 integrated per mode, solve_ivp, rtol 1e-12)."""
    s, c, a, b = (np.asarray(inst[k], float) for k in ("s", "c", "a", "b"))
    if inst["rule"] == "bp":
        n = len(s)
        fun = lambda t, y: np.concatenate([y[n:] * (s - y[:n] * y[n:]), y[:n] * (s - y[:n] * y[n:])])
    else:
        fun = lambda t, y: mode_field(s, c, y)
    sol = solve_ivp(fun, (0, ts[-1]), np.concatenate([a, b]), t_eval=ts, rtol=1e-12, atol=1e-14,
                    method="DOP853")
    n = len(s)
    return sol.y[:n].T, sol.y[n:].T


def path_error(inst) -> float:
    """max over t in [0, T_PATH] of |A_1(t) - R diag(a(t)) V^T| and |A_2(t) - U diag(b(t)) R^T|
    (full integration vs per-mode chain111), relative to max(s)."""
    p = parse_instance(mt.instance_file(inst))
    U, V, R = (np.asarray(inst[k], float) for k in ("U", "V", "R"))
    ts = np.linspace(0, T_PATH, 25)
    res = integrate_to_end(p.system, p.y0, T_PATH, rtol=1e-12, atol=1e-14, conv_tol=0.0, t_eval=ts)
    am, bm = mode_paths(inst, ts)
    worst = 0.0
    for y, a, b in zip(res.ys, am, bm):
        (A1, A2), _ = p.system.unpack(y)
        worst = max(worst, np.abs(A1 - (R * a) @ V.T).max(), np.abs(A2 - (U * b) @ R.T).max())
    return float(worst / np.max(inst["s"]))


def stays_aligned_error(inst) -> float:
    """max over the path of the off-diagonal part of R^T A_1 V and U^T A_2 R, relative to max(s)."""
    p = parse_instance(mt.instance_file(inst))
    U, V, R = (np.asarray(inst[k], float) for k in ("U", "V", "R"))
    res = integrate_to_end(p.system, p.y0, T_PATH, rtol=1e-12, atol=1e-14, conv_tol=0.0,
                    t_eval=np.linspace(0, T_PATH, 13))
    worst = 0.0
    for y in res.ys:
        (A1, A2), _ = p.system.unpack(y)
        for D in (R.T @ A1 @ V, U.T @ A2 @ R):
            worst = max(worst, np.abs(D - np.diag(np.diag(D))).max())
    return float(worst / np.max(inst["s"]))


def limit_errors(instances) -> list[float]:
    """`linrbp simulate`'s predicted weights (chain111_limit per mode) against integration."""
    out = []
    for inst, (p, status, w, _) in zip(instances, mt.run(instances)):
        pred = predict(p)
        if pred is None or pred.get("weights") is None:
            out.append(math.inf)
            continue
        out.append(mt.converged_or_inf(status, max(mt.relative(W, Wp) for W, Wp in zip(w, pred["weights"]))))
    return out


def _symbolic_residual():
    """A[2,2,2] RBP, S_II = Id, S_TI = diag(s), C_1 = diag(c), A_1 = diag(a), A_2 = diag(b):
    the derived field is diag(c (s - a b)), diag(a (s - a b)); with the orthogonal symmetry
    (S_TI, C_1, A_1, A_2) -> (U S_TI V^T, R C_1 U^T, R A_1 V^T, U A_2 R^T), which maps the field
    the same way when S_II = Id, this is the general aligned case."""
    sysm = derive_ode([2, 2, 2], "rbp")
    s1, s2, c1, c2, a1, a2, b1, b2 = sp.symbols("s1 s2 c1 c2 a1 a2 b1 b2", real=True)
    sub = {}
    for M, d in ((sysm.moments["S_II"], (1, 1)), (sysm.moments["S_TI"], (s1, s2)),
                 (sysm.feedback[0], (c1, c2)), (sysm.weights[0], (a1, a2)), (sysm.weights[1], (b1, b2))):
        for i in range(2):
            for j in range(2):
                sub[M[i, j]] = d[i] if i == j else 0
    e = (s1 - a1 * b1, s2 - a2 * b2)
    r1 = sysm.dA[0].xreplace(sub) - sp.diag(c1 * e[0], c2 * e[1])
    r2 = sysm.dA[1].xreplace(sub) - sp.diag(a1 * e[0], a2 * e[1])
    return list(r1) + list(r2)


def _symbolic_error(_inst) -> float:
    return 0.0 if all(is_zero(x) for x in _symbolic_residual()) else 1.0


def _equivariance_error(inst) -> float:
    """Numerically: field(U.S V^T, R C U^T, R A1 V^T, U A2 R^T) = rotated field (S_II = Id)."""
    p = parse_instance(mt.instance_file(inst))
    U, V, R = (np.asarray(inst[k], float) for k in ("U", "V", "R"))
    (d1, d2), _ = p.system.velocity(p.weights)
    s, c, a, b = (np.asarray(inst[k], float) for k in ("s", "c", "a", "b"))
    e = s - a * b
    return float(max(np.abs(d1 - (R * (c * e)) @ V.T).max(), np.abs(d2 - (U * (a * e)) @ R.T).max())
                 / max(1.0, np.abs(d1).max(), np.abs(d2).max()))


CLAIM = register(Claim(
    id=ID,
    title="Decoupled modes of $A[N,N,N]$ under RBP",
    reference="docs/theory.md section 10 (Saxe et al. 2014's construction for RBP)",
    statement=(r"$S_{II} = I$, $S_{TI} = U\, \mathrm{diag}(s)\, V^T$, $C_1 = R\, "
               r"\mathrm{diag}(c)\, U^T$, $A_1 = R\, \mathrm{diag}(a)\, V^T$, $A_2 = U\, "
               r"\mathrm{diag}(b)\, R^T$: the form is kept and each mode is chain111 ($\alpha = "
               r"s_i$, $\beta = 1$, $c_1 = c_i$), so chain111_limit per mode gives $A_1(\infty)$, "
               r"$A_2(\infty)$. Alignment is detected to $10^{-9}$ (relative)."),
    checks=[
        Check("A[2,2,2] diagonal case: derived field = diag(c(s - ab)), diag(a(s - ab))", 0.0,
              lambda rng: {"identity": "rbp-modes"}, error=_symbolic_error, samples=1,
              kind="symbolic", fixed=True),
        Check("aligned start: field = R diag(c e) V^T, U diag(a e) R^T (N <= 5)", mt.IDENTITY_TOL,
              random_instance, error=_equivariance_error, samples=40),
        Check("aligned starts stay aligned along the path (t <= 6)", 1e-10, random_instance,
              error=stays_aligned_error, samples=6),
        Check("A_1(t), A_2(t) = per-mode chain111 paths at 25 times in [0, 6]", 1e-9, random_instance,
              error=path_error, samples=6),
        Check("predicted weights (chain111_limit per mode) = integrated limits", mt.LIMIT_TOL,
              random_instance, errors=limit_errors, samples=6,
              strategy=lambda: mt.seeds_strategy(random_instance)),
    ],
))
