"""Claim `chain111` (docs/theory.md section 2, [BSL] Theorem 2): A[1,1,1]."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._closed_forms import chain111_limit, chain111_stable, chain_jacobian
from ..integration._integrate import integrate
from ..closed_forms._scalar_draws import chain111_instance
from ..closed_forms._scalar_systems import chain_rhs, chain_states
from ._scalar_common import (DRIFT_TOL, LIMIT_TOL, fd_jacobian, integrate_chains, rel_err,
                             sign_changes)


def _strategy():
    from ..strategies import chain111_instances

    return chain111_instances()


def _as_chain(inst, rule="srbp"):
    return {"alpha": inst["alpha"], "beta": inst["beta"], "rule": rule,
            "feedback": [inst["c1"]] if rule != "bp" else [], "weights": [inst["a1"], inst["a2"]]}


def _lim(i):
    return chain111_limit(i["alpha"], i["beta"], i["c1"], i["a1"], i["a2"])


def limit_errors(instances):
    status, ends = integrate_chains([_as_chain(i) for i in instances])
    return [rel_err(y, _lim(i)) if s == "converged" else math.inf
            for i, s, y in zip(instances, status, ends)]


def invariant_errors(instances):
    """a2 - a1^2/(2 c1) conserved; the limit is on the hyperbola and stable."""
    status, ends = integrate_chains([_as_chain(i) for i in instances])
    out = []
    for i, y in zip(instances, ends):
        K0 = i["a2"] - i["a1"] ** 2 / (2 * i["c1"])
        K1 = y[1] - y[0] ** 2 / (2 * i["c1"])
        scale = max(abs(i["a2"]), abs(y[1]), i["a1"] ** 2 / (2 * abs(i["c1"])), y[0] ** 2 / (2 * abs(i["c1"])))
        out.append(abs(K1 - K0) / scale)
    return out


def stable_limit_error(i) -> float:
    """The limit lies on a1 a2 = alpha/beta and is an attractor or marginal (a1^2 + c1 a2 >= 0)."""
    a1, a2 = _lim(i)
    e = abs(i["beta"] * a1 * a2 - i["alpha"]) / abs(i["alpha"])
    m = a1 * a1 + i["c1"] * a2
    return max(e, max(0.0, -m) / (a1 * a1 + abs(i["c1"] * a2)))


def jacobian_error(i) -> float:
    """At the limit: FD Jacobian of the rule's field has eigenvalues 0 and -beta(a1^2 + c1 a2);
    chain111_stable agrees with the sign."""
    a = np.array(_lim(i))
    tail = chain_states(i["alpha"], i["beta"], [[i["c1"]]], [a])[0, 2:]
    fun = chain_rhs(2, "srbp")
    J = fd_jacobian(lambda x: fun(np.concatenate([x, tail])[None])[0, :2], a)
    Jh = chain_jacobian(i["alpha"], i["beta"], [i["c1"], 1.0], a)
    ev = np.sort(np.linalg.eigvals(J).real)
    lam = -i["beta"] * (a[0] ** 2 + i["c1"] * a[1])
    expect = np.sort([0.0, lam])
    stable_ok = chain111_stable(i["alpha"], i["beta"], i["c1"], *a) == (lam < 0)
    scale = max(abs(lam), 1e-300)
    return max(float(np.max(np.abs(ev - expect))) / scale,
               float(np.max(np.abs(J - Jh))) / float(np.max(np.abs(Jh))), 0.0 if stable_ok else math.inf)


def symmetry_error(i) -> float:
    """alpha -> -alpha is a1 -> -a1; c1 -> -c1 is (a1, a2) -> -(a1, a2)."""
    a1, a2 = _lim(i)
    r1 = chain111_limit(-i["alpha"], i["beta"], i["c1"], -i["a1"], i["a2"])
    r2 = chain111_limit(i["alpha"], i["beta"], -i["c1"], -i["a1"], -i["a2"])
    return max(rel_err(r1, (-a1, a2)), rel_err(r2, (-a1, -a2)))


def predicted_pdot_sign_changes(i) -> int:
    """Sign changes of P' = e (a1^2 + c1 a2) along the trajectory, from the closed form.

    docs/theory.md section 2 says "at most once"; that is false (erratum). On the invariant
    a2 = K + a1^2/(2 c1), m = a1^2 + c1 a2 = (3/2) a1^2 + c1 K, e keeps its sign and a1 moves
    monotonically from a1(0) to a1(inf); so P' changes sign once for each root
    +-sqrt(-2 c1 K/3) of m strictly between a1(0) and a1(inf): 0, 1 or 2 times, never when
    c1 K >= 0.
    """
    c1 = i["c1"]
    K = i["a2"] - i["a1"] ** 2 / (2 * c1)
    if c1 * K >= 0:
        return 0
    r = np.sqrt(-2 * c1 * K / 3)
    lo, hi = sorted((i["a1"], _lim(i)[0]))
    return int(sum(lo < root < hi for root in (-r, r)))


def pdot_sign_error(i) -> float:
    """|integrated - predicted| number of sign changes of P' along the trajectory."""
    c1 = i["c1"]
    fun = chain_rhs(2, "srbp")
    Y0 = chain_states(i["alpha"], i["beta"], [[c1]], [[i["a1"], i["a2"]]])[0]
    res = integrate(fun, Y0, 1e6, conv_tol=1e-10, dense=True)
    a1, a2 = res.ys[:, 0], res.ys[:, 1]
    e = i["alpha"] - i["beta"] * a1 * a2
    pdot = e * (a1 * a1 + c1 * a2)
    # Near the limit e is at the integrator's noise level (conv_tol 1e-10): ignore that.
    noise = 1e-8 * (abs(i["alpha"]) + i["beta"] * np.abs(a1 * a2)) * (a1 * a1 + abs(c1 * a2))
    return float(abs(sign_changes(pdot, noise) - predicted_pdot_sign_changes(i)))


def bp_errors(instances):
    """BP (c1 replaced by a2): a1^2 - a2^2 conserved."""
    _, ends = integrate_chains([_as_chain(i, "bp") for i in instances])
    return [abs((y[0] ** 2 - y[1] ** 2) - (i["a1"] ** 2 - i["a2"] ** 2)) /
            max(i["a1"] ** 2, i["a2"] ** 2, y[0] ** 2, y[1] ** 2) for i, y in zip(instances, ends)]


def trivial_errors(instances):
    """c1 = 0: a1 frozen, a2 -> alpha/(beta a1); beta = alpha = 0: nothing moves."""
    cases = []
    for i in instances:
        cases.append({**i, "c1": 0.0})
        cases.append({**i, "alpha": 0.0, "beta": 0.0})
    # Slow directions here (rate beta a1^2): stop on a tighter field size.
    status, ends = integrate_chains([_as_chain(i) for i in cases], conv_tol=1e-12)
    out = []
    for k in range(len(instances)):
        c0, b0 = cases[2 * k], cases[2 * k + 1]
        e1 = rel_err(ends[2 * k], (c0["a1"], c0["alpha"] / (c0["beta"] * c0["a1"])))
        e1 = max(e1, rel_err(_lim(c0), (c0["a1"], c0["alpha"] / (c0["beta"] * c0["a1"]))))
        e2 = max(rel_err(ends[2 * k + 1], (b0["a1"], b0["a2"])), rel_err(_lim(b0), (b0["a1"], b0["a2"])))
        out.append(max(e1, e2) if status[2 * k] == "converged" else math.inf)
    return out


def tangency_error(rng_inst) -> float:
    """Start on the invariant parabola through the tangency point a1 = cbrt(-c1 alpha/beta),
    a2 = -a1^2/c1 (a double root of the cubic), on the side that flows into it: the limit is
    that point (closed form for it vs the poly1d walk)."""
    i = rng_inst
    c1, r = i["c1"], i["alpha"] / i["beta"]
    t1 = np.cbrt(-c1 * r)
    t2 = -t1 * t1 / c1
    K = t2 - t1 * t1 / (2 * c1)
    # Q(a1) = c1 (alpha - beta a1 (a1^2/(2c1) + K)) = -(beta/2)(a1 - t1)^2 (a1 + 2 t1): on
    # one side of t1 the flow points toward it.
    for d in (0.3, -0.3):
        a1 = t1 + d * abs(t1)
        a2 = a1 * a1 / (2 * c1) + K
        q = c1 * (i["alpha"] - i["beta"] * a1 * a2)
        if (t1 - a1) * q > 0:
            return rel_err(chain111_limit(i["alpha"], i["beta"], c1, a1, a2), (t1, t2))
    return math.inf


CLAIM = register(Claim(
    id="chain111",
    title="$A[1,1,1]$ under RBP",
    reference="[BSL] Theorem 2",
    statement=("$a_2 - a_1^2/(2 c_1)$ is conserved; every trajectory converges to a point of the "
               r"hyperbola $a_1 a_2 = \alpha/\beta$, the root of the depressed cubic picked by "
               "poly1d; fixed points are attractors iff $a_1^2 + c_1 a_2 > 0$."),
    checks=[
        Check("limit-vs-integration", LIMIT_TOL, chain111_instance, errors=limit_errors, samples=40,
              strategy=_strategy),
        Check("invariant-drift", DRIFT_TOL, chain111_instance, errors=invariant_errors, samples=30,
              strategy=_strategy),
        Check("limit-on-hyperbola-and-stable", 1e-12, chain111_instance, error=stable_limit_error,
              samples=60, strategy=_strategy),
        Check("linearisation", 1e-6, chain111_instance, error=jacobian_error, samples=30, strategy=_strategy),
        Check("symmetries", 1e-12, chain111_instance, error=symmetry_error, samples=40, strategy=_strategy),
        Check("pdot-sign-changes-vs-closed-form", 0.0, chain111_instance, error=pdot_sign_error, samples=12,
              strategy=_strategy),
        Check("bp-invariant", DRIFT_TOL, chain111_instance, errors=bp_errors, samples=20, strategy=_strategy),
        Check("trivial-cases", LIMIT_TOL, lambda rng: chain111_instance(rng, "plain"), errors=trivial_errors,
              samples=12),
        Check("tangency-double-root", LIMIT_TOL, lambda rng: chain111_instance(rng, "plain"),
              error=tangency_error, samples=30),
    ],
))
