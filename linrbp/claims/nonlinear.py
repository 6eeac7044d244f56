"""Claim `nonlinear` (docs/theory.md section 7, [BSL] section 7.9 and Theorem 12)."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._nonlinear import (nonlinear_field, nonlinear_gd_field, nonlinear_invariant,
                             nonlinear_jacobian, nonlinear_limit)
from ..integration._integrate import integrate, integrate_batch
from ..closed_forms._scalar_draws import nonlinear_instance
from ..closed_forms._scalar_systems import nonlinear_rhs, nonlinear_states
from ._scalar_common import CONV_TOL, DRIFT_TOL, LIMIT_TOL, RTOL, T_MAX, fd_jacobian, rel_err

_MOMENTS = ("alpha", "beta", "gamma", "delta")


def _strategy():
    from ..strategies import nonlinear_instances

    return nonlinear_instances()


def _states(instances):
    return nonlinear_states([i["inputs"] for i in instances], [i["targets"] for i in instances],
                            [i["c1"] for i in instances], [i["mu"] for i in instances],
                            [i["a1"] for i in instances], [i["a2"] for i in instances])


def _integrate(instances, derivative=True):
    """The field integrated is the rule's own average over the instance's data set
    (:func:`~linrbp.closed_forms._scalar_systems.nonlinear_rhs`), not the moment formula."""
    Y0 = _states(instances)
    m = len(instances[0]["inputs"])
    fun = nonlinear_rhs(m, derivative)
    res = integrate_batch(fun, Y0, T_MAX, rtol=RTOL, atol=RTOL * 1e-3, conv_tol=CONV_TOL, max_steps=20000)
    # Stiff instances (|c1| mu beta a1^(2 mu - 2) up to ~1e8 in the draw) keep the explicit
    # DOP853 at its stability limit, where |f| jitters at ~rtol |y| |lambda| > conv_tol, so it
    # ends at the step limit; those are integrated again with the implicit Radau method.
    for k in np.flatnonzero(res.status == "step-limit"):
        r = integrate(lambda y: fun(y[None])[0], Y0[k], T_MAX, rtol=RTOL, atol=RTOL * 1e-3,
                      conv_tol=CONV_TOL, method="Radau")
        res.status[k], res.y[k] = r.status[0], r.y[-1]
    return res


def limit_errors(instances):
    """Integrated end state vs :func:`nonlinear_limit`. Where the closed form predicts the
    boundary point (0, K) (c1 < 0 with no root ahead, mu > 1) a1 -> 0 is slow for mu > 2
    (algebraic) and reached in finite time for mu < 2 (the integrator then steps past a1 = 0,
    where the power is undefined, and stops): there the error is a2's against K, and a1 must
    have fallen below 1e-2 a1(0) at the stop, and a2 - a1^2/(2 c1 mu) is compared with K."""
    res = _integrate(instances)
    out = []
    for k, i in enumerate(instances):
        pred = nonlinear_limit(i["alpha"], i["beta"], i["c1"], i["mu"], i["a1"], i["a2"])
        y = res.y[k, :2]
        if pred[0] == 0.0:
            # For mu < 2 the stop past a1 = 0 is status "non-finite" (the field, a power of a
            # negative a1, is NaN there; "diverged" before that status existed).
            arrived = res.status[k] == "converged" or (i["mu"] < 2 and res.status[k] in ("non-finite", "diverged"))
            small = np.isfinite(y[0]) and abs(y[0]) <= 1e-2 * i["a1"]
            # a2's distance from K at the stop is what the invariant puts there, a1^2/(2 c1 mu).
            gap = y[1] - y[0] ** 2 / (2 * i["c1"] * i["mu"])
            out.append(rel_err(gap, pred[1]) if arrived and small else math.inf)
        else:
            out.append(rel_err(y, pred) if res.status[k] == "converged" else math.inf)
    return out


def drift_errors(instances):
    res = _integrate(instances)
    out = []
    for k, i in enumerate(instances):
        a1, a2 = res.y[k, 0], res.y[k, 1]
        K0 = nonlinear_invariant(i["c1"], i["mu"], i["a1"], i["a2"])
        K1 = nonlinear_invariant(i["c1"], i["mu"], a1, a2)
        q = 2 * abs(i["c1"]) * i["mu"]
        scale = max(abs(i["a2"]), abs(a2), i["a1"] ** 2 / q, a1 ** 2 / q)
        out.append(abs(float(K1 - K0)) / scale)
    return out


def per_example_means(inst, derivative=True, rule="srbp"):
    """Mean per-example update (a1', a2') of the non-linear chain: the rules of
    linrbp.core._rules on each example of the instance's data set, averaged (the field the
    claim integrates)."""
    Y = _states([inst])
    return nonlinear_rhs(Y.shape[1] // 2 - 2, derivative, rule)(Y)[0, :2]


def _states_along(i):
    """The start and two further states: the fields are compared away from the start too."""
    y = np.array([i["a1"], i["a2"]])
    return [y, y * np.array([1.7, 0.4]), y * np.array([0.3, 2.5])]


def field_errors(instances):
    """The hand-written moment fields (with and without f', and gradient descent), written from
    docs/theory.md section 7, equal the rule's per-example updates averaged over the instance's
    finite data set (the field integrated), at the start and two other states."""
    out = []
    for i in instances:
        m = {k: i[k] for k in _MOMENTS}
        errs = []
        for y in _states_along(i):
            inst = {**i, "a1": float(y[0]), "a2": float(y[1])}
            for der in (True, False):
                errs.append(rel_err(nonlinear_field(m, i["c1"], i["mu"], y, der), per_example_means(inst, der)))
            errs.append(rel_err(nonlinear_gd_field(m, i["mu"], y), per_example_means(inst, True, "bp")))
        out.append(max(errs))
    return out


def jacobian_error(i) -> float:
    """Hand-written Jacobians (with and without f') vs central differences."""
    m = {k: i[k] for k in _MOMENTS}
    y = np.array([i["a1"], i["a2"]])
    err = 0.0
    for der in (True, False):
        J = nonlinear_jacobian(m, i["c1"], i["mu"], y, der)
        Jfd = fd_jacobian(lambda x: nonlinear_field(m, i["c1"], i["mu"], x, der), y)
        err = max(err, float(np.max(np.abs(J - Jfd)) / np.max(np.abs(J))))
    return err


def fixed_set_error(i) -> float:
    """At the limit: a2 a1^mu = alpha/beta (a1 < 0 only for mu = 1, the linear chain); at the
    boundary limit (0, K) the rule's averaged field vanishes."""
    a1, a2 = nonlinear_limit(i["alpha"], i["beta"], i["c1"], i["mu"], i["a1"], i["a2"])
    if a1 == 0.0:
        return float(np.max(np.abs(per_example_means({**i, "a1": a1, "a2": a2}))))
    if not (a1 > 0 or i["mu"] == 1):
        return math.inf
    r = i["alpha"] / i["beta"]
    p = a1 ** i["mu"] if a1 > 0 else a1
    # a2 = t^2/(2 c1 mu) + K is a sum whose terms can be far larger than a2 (a2 ~ 1e-4 with
    # |K| ~ 1e2 in the draw): its rounding is eps times the terms, so they set the scale.
    K = nonlinear_invariant(i["c1"], i["mu"], i["a1"], i["a2"])
    return abs(a2 * p - r) / max(abs(r), abs(p) * (abs(K) + a1 * a1 / (2 * abs(i["c1"]) * i["mu"])))


CLAIM = register(Claim(
    id="nonlinear",
    title="$A[1,1,1]$ with a power non-linearity (with $f'$)",
    reference="[BSL] section 7.9, Theorem 12",
    statement=(r"With $f'$, $a_2 - a_1^2/(2 c_1 \mu)$ is conserved and, for $\alpha, \beta, c_1 > "
               r"0$, $\mu \geq 1$ and positive starts, the weights converge to a positive root $t$ "
               r"of $\beta t^{\mu+2}/(2 c_1 \mu) + \beta K t^\mu - \alpha = 0$. Also drawn: $c_1 < "
               "0$ (outside Theorem 12), where $a_1$ goes to the root ahead if there is one, else "
               r"to 0 (limit $(0, K)$ for $\mu > 1$; for $\mu = 1$ $a_1$ crosses 0 to the linear "
               "chain's limit)."),
    checks=[
        Check("limit-vs-integration", LIMIT_TOL, nonlinear_instance, errors=limit_errors, samples=40,
              strategy=_strategy),
        Check("invariant-drift", DRIFT_TOL, nonlinear_instance, errors=drift_errors, samples=24, strategy=_strategy),
        Check("fields-equal-per-example-means", 1e-12, nonlinear_instance, errors=field_errors, samples=30,
              strategy=_strategy),
        Check("jacobian-vs-finite-differences", 1e-6, nonlinear_instance, error=jacobian_error, samples=30,
              strategy=_strategy),
        Check("limit-on-fixed-set", 1e-12, nonlinear_instance, error=fixed_set_error, samples=40,
              strategy=_strategy),
    ],
))
