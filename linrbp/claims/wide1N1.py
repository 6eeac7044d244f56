"""Claim `wide1N1` (docs/theory.md section 4, [BSL] Theorem 5): A[1,N,1]."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._closed_forms import wide_invariants, wide_limit, wide_reduction
from ..integration._integrate import integrate_batch
from ..instances._predict import predict_wide  # noqa: F401  (the closed-form predictor of this claim)
from ..closed_forms._scalar_draws import wide_instance
from ..closed_forms._scalar_systems import wide_rhs, wide_states
from ._scalar_common import CONV_TOL, DRIFT_TOL, LIMIT_TOL, RTOL, T_MAX, rel_err


def _strategy():
    from ..strategies import wide_instances

    return wide_instances()


def _integrate(instances):
    out = [None] * len(instances)
    groups: dict = {}
    for k, i in enumerate(instances):
        groups.setdefault(len(i["a"]), []).append(k)
    for N, idx in groups.items():
        Y0 = wide_states([instances[k]["alpha"] for k in idx], [instances[k]["beta"] for k in idx],
                         [instances[k]["c"] for k in idx], [instances[k]["a"] for k in idx],
                         [instances[k]["b"] for k in idx])
        res = integrate_batch(wide_rhs(N, "srbp"), Y0, T_MAX, rtol=RTOL, atol=RTOL * 1e-3,
                              conv_tol=CONV_TOL, max_steps=20000)
        for j, k in enumerate(idx):
            out[k] = (str(res.status[j]), res.y[j, :N], res.y[j, N:2 * N])
    return out


def _lim(i):
    return wide_limit(i["alpha"], i["beta"], i["c"], i["a"], i["b"])


def limit_errors(instances):
    out = []
    for i, (s, a, b) in zip(instances, _integrate(instances)):
        pa, pb = _lim(i)
        out.append(rel_err(np.concatenate([a, b]), np.concatenate([pa, pb])) if s == "converged" else math.inf)
    return out


def drift_errors(instances):
    """K_i = b_i - a_i^2/(2 c_i) and K'_i = a_i - (c_i/c_1) a_1 conserved."""
    out = []
    for i, (s, a, b) in zip(instances, _integrate(instances)):
        c = np.asarray(i["c"])
        a0, b0 = np.asarray(i["a"]), np.asarray(i["b"])
        K0, L0 = wide_invariants(c, a0, b0)
        K1, L1 = wide_invariants(c, a, b)
        sK = np.maximum.reduce([np.abs(b0), np.abs(b), a0 ** 2 / (2 * np.abs(c)), a ** 2 / (2 * np.abs(c))])
        sL = np.maximum.reduce([np.abs(a0), np.abs(a), np.abs(c / c[0] * a0[0]), np.abs(c / c[0] * a[0])])
        out.append(max(float(np.max(np.abs(K1 - K0) / sK)), float(np.max(np.abs(L1 - L0) / sL))))
    return out


def pdot_error(i) -> float:
    """P' = e sum_i (a_i^2 + c_i b_i) (the extra critical set), and at the limit P = alpha/beta.
    P' = a'.b + a.b' is taken from the field derived from the rule (``wide_rhs``), so the
    closed formula is checked against an independent route."""
    c, a, b = (np.asarray(i[k], dtype=float) for k in ("c", "a", "b"))
    N = len(a)
    f = wide_rhs(N, "rbp")(wide_states(i["alpha"], i["beta"], [c], [a], [b]))[0]
    da, db = f[:N], f[N:2 * N]
    lhs = float(da @ b + a @ db)
    e = i["alpha"] - i["beta"] * float(a @ b)
    rhs = e * float(np.sum(a * a + c * b))
    err = abs(lhs - rhs) / max(abs(e) * float(np.sum(a * a + np.abs(c * b))), 1e-300)
    pa, pb = _lim(i)
    # P = sum_i a_i b_i is a sum whose terms can be far larger than alpha/beta: its rounding is
    # eps times beta sum |a_i b_i|, which sets the scale with |alpha|.
    scale = max(abs(i["alpha"]), i["beta"] * float(np.sum(np.abs(pa * pb))))
    return max(err, abs(i["beta"] * float(pa @ pb) - i["alpha"]) / scale)


def leading_error(i) -> float:
    """Q is a cubic with leading coefficient -beta sum c_i^2 / (2 c_f^2) (x = a_f)."""
    c = np.asarray(i["c"], dtype=float)
    Q, _, _ = wide_reduction(i["alpha"], i["beta"], c, np.asarray(i["a"], float), np.asarray(i["b"], float))
    f = int(np.argmax(np.abs(c)))
    expect = -i["beta"] * float(np.sum(c ** 2)) / (2 * c[f] ** 2)
    if len(Q) != 4:
        return math.inf
    return abs(Q[0] - expect) / abs(expect)


def rule_errors(instances):
    """RBP and SRBP coincide for one hidden layer: the two rules' fields agree."""
    out = []
    for i in instances:
        N = len(i["a"])
        Y = wide_states(i["alpha"], i["beta"], [i["c"]], [i["a"]], [i["b"]])
        f1, f2 = wide_rhs(N, "srbp")(Y), wide_rhs(N, "rbp")(Y)
        out.append(float(np.max(np.abs(f1 - f2)) / max(float(np.max(np.abs(f1))), 1e-300)))
    return out


CLAIM = register(Claim(
    id="wide1N1",
    title="$A[1,N,1]$ under RBP",
    reference="[BSL] Theorem 5",
    statement=(r"$b_i - a_i^2/(2 c_i)$ and $a_i - (c_i/c_1)\, a_1$ are conserved; $a_1' = Q(a_1)$ "
               "is a cubic with negative leading coefficient, so every trajectory converges to $P "
               r"= \alpha/\beta$ at the root poly1d picks."),
    checks=[
        Check("limit-vs-integration", LIMIT_TOL, wide_instance, errors=limit_errors, samples=40, strategy=_strategy),
        Check("invariant-drift", DRIFT_TOL, wide_instance, errors=drift_errors, samples=24, strategy=_strategy),
        Check("pdot-and-fixed-set", 1e-12, wide_instance, error=pdot_error, samples=40, strategy=_strategy),
        Check("cubic-leading-coefficient", 1e-12, wide_instance, error=leading_error, samples=40,
              strategy=_strategy),
        Check("consistency: rbp-equals-srbp (one backward step, same code)", 0.0, wide_instance, errors=rule_errors, samples=20, strategy=_strategy),
    ],
))


