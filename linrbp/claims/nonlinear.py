"""Claim `nonlinear` (THEORY.md section 7, [BSL] section 7.9 and Theorem 12)."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._closed_forms import (nonlinear_field, nonlinear_gd_field, nonlinear_invariant,
                             nonlinear_jacobian, nonlinear_limit)
from ..integration._integrate import integrate_batch
from ..core._rules import backward_signals, updates
from ..closed_forms._scalar_draws import nonlinear_instance
from ..closed_forms._scalar_systems import nonlinear_rhs, nonlinear_states
from ._scalar_common import CONV_TOL, DRIFT_TOL, LIMIT_TOL, RTOL, T_MAX, fd_jacobian, rel_err

_MOMENTS = ("alpha", "beta", "gamma", "delta")


def _strategy():
    from ..strategies import nonlinear_instances

    return nonlinear_instances()


def _integrate(instances, derivative=True):
    Y0 = nonlinear_states([{k: i[k] for k in _MOMENTS} for i in instances], [i["c1"] for i in instances],
                          [i["mu"] for i in instances], [i["a1"] for i in instances], [i["a2"] for i in instances])
    return integrate_batch(nonlinear_rhs(derivative), Y0, T_MAX, rtol=RTOL, atol=RTOL * 1e-3,
                           conv_tol=CONV_TOL, max_steps=20000)


def limit_errors(instances):
    res = _integrate(instances)
    out = []
    for k, i in enumerate(instances):
        pred = nonlinear_limit(i["alpha"], i["beta"], i["c1"], i["mu"], i["a1"], i["a2"])
        out.append(rel_err(res.y[k, :2], pred) if res.status[k] == "converged" and pred[0] > 0 else math.inf)
    return out


def drift_errors(instances):
    res = _integrate(instances)
    out = []
    for k, i in enumerate(instances):
        a1, a2 = res.y[k, 0], res.y[k, 1]
        K0 = nonlinear_invariant(i["c1"], i["mu"], i["a1"], i["a2"])
        K1 = nonlinear_invariant(i["c1"], i["mu"], a1, a2)
        scale = max(abs(i["a2"]), abs(a2), i["a1"] ** 2 / (2 * i["c1"] * i["mu"]), a1 ** 2 / (2 * i["c1"] * i["mu"]))
        out.append(abs(float(K1 - K0)) / scale)
    return out


def per_example_means(inst, derivative=True, rule="srbp"):
    """Mean per-example update of the non-linear chain through linrbp.core._rules."""
    I = np.asarray(inst["inputs"], dtype=float)[None, :]
    T = np.asarray(inst["targets"], dtype=float)[None, :]
    mu, a1, a2 = inst["mu"], inst["a1"], inst["a2"]
    A1, A2 = np.array([[a1]]), np.array([[a2]])
    O1 = (A1 @ I) ** mu
    O2 = A2 @ O1
    der = [mu * (A1 @ I) ** (mu - 1)] if derivative else None
    fb = [np.array([[inst["c1"]]])] if rule != "bp" else []
    deltas = backward_signals(rule, [A1, A2], fb, T - O2, derivatives=der)
    dA, _ = updates(rule, deltas, [I, O1, O2])
    return np.array([dA[0][0, 0], dA[1][0, 0]]) / I.shape[1]


def field_errors(instances):
    """The moment fields (with and without f', and gradient descent) equal the mean
    per-example update computed by the rules on the instance's finite data set."""
    out = []
    for i in instances:
        m = {k: i[k] for k in _MOMENTS}
        y = np.array([i["a1"], i["a2"]])
        errs = []
        for der in (True, False):
            ref = per_example_means(i, der)
            errs.append(rel_err(nonlinear_field(m, i["c1"], i["mu"], y, der), ref))
        errs.append(rel_err(nonlinear_gd_field(m, i["mu"], y), per_example_means(i, True, "bp")))
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
    """At the limit: a2 a1^mu = alpha/beta, a1 > 0, and the field vanishes."""
    a1, a2 = nonlinear_limit(i["alpha"], i["beta"], i["c1"], i["mu"], i["a1"], i["a2"])
    if not a1 > 0:
        return math.inf
    r = i["alpha"] / i["beta"]
    return abs(a2 * a1 ** i["mu"] - r) / abs(r)


CLAIM = register(Claim(
    id="nonlinear",
    title="A[1,1,1] with a power non-linearity (with f')",
    reference="[BSL] section 7.9, Theorem 12",
    statement=("With f', a2 - a1^2/(2 c1 mu) is conserved and, for alpha, beta, c1 > 0, mu >= 1 "
               "and positive starts, the weights converge to a positive root t of "
               "beta t^(mu+2)/(2 c1 mu) + beta K t^mu - alpha = 0."),
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
