"""Claim `chain` (docs/theory.md section 3, [BSL] Theorems 3 and 4): A[1,...,1] of any depth."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._closed_forms import (chain_field, chain_invariants, chain_jacobian, chain_limit,
                             chain_reduction, chain_stability)
from ..integration._integrate import integrate_batch
from ..instances._predict import predict_chain  # noqa: F401  (the closed-form predictor of this claim)
from ..closed_forms._scalar_draws import chain_instance
from ..closed_forms._scalar_systems import chain_rhs, chain_states
from ._scalar_common import (DRIFT_TOL, LIMIT_TOL, fd_jacobian, integrate_chains, rel_err,
                             srbp_feedback)


def _strategy():
    from ..strategies import chain_instances

    return chain_instances()


def _limits(instances):
    return [chain_limit(i["alpha"], i["beta"], i["feedback"], i["weights"], i["rule"]) for i in instances]


def limit_errors(instances):
    """chain_limit vs the integrated rule (relative to the largest limit weight)."""
    status, ends = integrate_chains(instances)
    preds = _limits(instances)
    return [rel_err(y, p) if s == "converged" else math.inf for s, y, p in zip(status, ends, preds)]


def drift_errors(instances):
    """|K_h(end) - K_h(0)| relative to the size of the invariant's two terms."""
    status, ends = integrate_chains(instances)
    out = []
    for inst, y in zip(instances, ends):
        c = srbp_feedback(inst)
        a0 = np.asarray(inst["weights"])
        K0, K1 = chain_invariants(c, a0), chain_invariants(c, y)
        terms = np.maximum.reduce([np.abs(a0[1:]), np.abs(y[1:]),
                                   np.abs(c[1:] * a0[:-1] ** 2 / (2 * c[:-1])),
                                   np.abs(c[1:] * y[:-1] ** 2 / (2 * c[:-1]))])
        out.append(float(np.max(np.abs(K1 - K0) / terms)))
    return out


def fixed_point_errors(instances):
    """At the closed-form limit: e = 0 (relative) and the limit is not unstable (S >= 0)."""
    out = []
    for inst, a in zip(instances, _limits(instances)):
        c = srbp_feedback(inst)
        P = float(np.prod(a))
        e = abs(inst["alpha"] - inst["beta"] * P) / abs(inst["alpha"])
        S = chain_stability(c, a)
        scale = sum(abs(c[h]) * abs(np.prod(np.delete(a, h)) * np.prod(a[:h])) for h in range(a.size))
        out.append(max(e, max(0.0, -S / scale)))
    return out


def jacobian_error(inst) -> float:
    """Hand-written Jacobian vs central differences of the rule's field; at the limit, the
    non-zero eigenvalue is -beta S (rank one)."""
    L = len(inst["weights"])
    c = srbp_feedback(inst)
    fun = chain_rhs(L, inst["rule"])
    tail = chain_states(inst["alpha"], inst["beta"], [inst["feedback"]], [inst["weights"]])[0, L:]
    a0 = np.asarray(inst["weights"])
    J = chain_jacobian(inst["alpha"], inst["beta"], c, a0)
    Jfd = fd_jacobian(lambda a: fun(np.concatenate([a, tail])[None])[0, :L], a0)
    err = float(np.max(np.abs(J - Jfd)) / max(np.max(np.abs(J)), 1e-300))  # FD error ~1e-9
    a = chain_limit(inst["alpha"], inst["beta"], inst["feedback"], inst["weights"], inst["rule"])
    Jl = chain_jacobian(inst["alpha"], inst["beta"], c, a)
    ev = np.linalg.eigvals(Jl)
    lam = -inst["beta"] * chain_stability(c, a)
    k = int(np.argmax(np.abs(ev)))
    rest = np.delete(ev, k)
    scale = max(abs(lam), 1e-300)
    return max(err, abs(ev[k] - lam) / scale, float(np.max(np.abs(rest), initial=0.0)) / scale)


def pdot_error(inst) -> float:
    """P' = e S: sum_h (P/a_h) a_h' with a_h' the rule's own averaged field (chain_rhs, run
    through linrbp.core._rules) vs the closed expression e S; and the hand-written SRBP-form
    field chain_field equals the rule's field (relative to its largest entry)."""
    L = len(inst["weights"])
    c = srbp_feedback(inst)
    a = np.asarray(inst["weights"], dtype=float)
    f = chain_rhs(L, inst["rule"])(chain_states(inst["alpha"], inst["beta"], [inst["feedback"]], [a]))[0, :L]
    others = np.array([np.prod(np.delete(a, h)) for h in range(a.size)])
    lhs = float(others @ f)
    e = inst["alpha"] - inst["beta"] * np.prod(a)
    rhs = e * chain_stability(c, a)
    pdot = abs(lhs - rhs) / max(float(np.sum(np.abs(others * f))), 1e-300)
    return max(pdot, rel_err(chain_field(inst["alpha"], inst["beta"], c, a), f))


def no_cycle_error(inst) -> float:
    """On e = 0 (a_L set so that P = alpha/beta) every a_h' vanishes, and off it none does."""
    L = len(inst["weights"])
    c = srbp_feedback(inst)
    a = np.asarray(inst["weights"], dtype=float).copy()
    a[-1] = inst["alpha"] / (inst["beta"] * np.prod(a[:-1]))
    on = np.abs(chain_rhs(L, inst["rule"])(
        chain_states(inst["alpha"], inst["beta"], [inst["feedback"]], [a]))[0, :L])
    off = np.abs(chain_rhs(L, inst["rule"])(
        chain_states(inst["alpha"], inst["beta"], [inst["feedback"]], [inst["weights"]]))[0, :L])
    scale = max(abs(inst["alpha"]), 1.0) * max(1.0, float(np.max(np.abs(a)))) ** L * max(1.0, float(np.max(np.abs(c))))
    return float(np.max(on)) / scale + (math.inf if np.any(off == 0) else 0.0)


def bp_drift_errors(instances):
    """BP: a_h^2 - a_k^2 conserved (integrated with the bp rule)."""
    bp = [{**i, "rule": "bp", "feedback": []} for i in instances]
    _, ends = integrate_chains(bp)
    out = []
    for inst, y in zip(instances, ends):
        a0 = np.asarray(inst["weights"])
        d0, d1 = a0[1:] ** 2 - a0[0] ** 2, y[1:] ** 2 - y[0] ** 2
        out.append(float(np.max(np.abs(d1 - d0)) / max(np.max(a0 ** 2), np.max(y ** 2))))
    return out


def leading_error(inst) -> float:
    """deg Q = 2^L - 1; for L = 3 the leading coefficient is -beta c2^2 / (16 c1^2)
    (in general -beta c_1 prod_h lc(a_h), lc(a_{h+1}) = (c_{h+1} / (2 c_h)) lc(a_h)^2)."""
    L = len(inst["weights"])
    c = srbp_feedback(inst)
    red = chain_reduction(inst["alpha"], inst["beta"], inst["feedback"], inst["weights"], inst["rule"])
    q = red.series(0.0)
    deg = int(np.flatnonzero(q)[-1])
    if deg != 2 ** L - 1:
        return math.inf
    if L == 3:
        expect = -inst["beta"] * c[1] ** 2 / (16 * c[0] ** 2)
    else:
        s = [c[h + 1] / (2 * c[h]) for h in range(L - 1)]
        coef, lc = 1.0, 1.0
        for h in range(L - 1):
            coef = s[h] * coef ** 2
            lc *= coef
        expect = -inst["beta"] * c[0] * lc
    return abs(q[deg] - expect) / abs(expect)


def _sample(rng):
    return chain_instance(rng)


CLAIM = register(Claim(
    id="chain",
    title=r"Chains $A[1,\ldots,1]$ of any depth under SRBP and RBP",
    reference="[BSL] Theorems 3 and 4",
    statement=("$a_{h+1} - c_{h+1} a_h^2/(2 c_h)$ is conserved; $a_1' = Q(a_1)$ has degree $2^L - "
               "1$ and negative leading coefficient, so every trajectory converges to a global "
               r"minimum $P = \alpha/\beta$, the root of $Q$ picked by poly1d; no limit cycles."),
    checks=[
        Check("limit-vs-integration", LIMIT_TOL, _sample, errors=limit_errors, samples=40, strategy=_strategy),
        Check("invariant-drift", DRIFT_TOL, _sample, errors=drift_errors, samples=24, strategy=_strategy),
        # A limit is a point, so the limit tolerance applies: |e|/|alpha| at a root refined to
        # machine precision grows with depth (P is a product of up to 7 polynomials in a_1).
        Check("limit-is-stable-minimum", LIMIT_TOL, _sample, errors=fixed_point_errors, samples=40, strategy=_strategy),
        Check("jacobian-rank-one", 1e-6, _sample, error=jacobian_error, samples=20, strategy=_strategy),
        Check("pdot-formula-and-chain-field-vs-rule", 1e-12, _sample, error=pdot_error, samples=40, strategy=_strategy),
        # The rule's field is e times a product, so its vanishing on e = 0 holds by construction:
        # a consistency check of the state layout, not evidence for the theorem.
        Check("consistency: field zero on e = 0, non-zero off it", 1e-12, _sample, error=no_cycle_error, samples=40, strategy=_strategy),
        Check("bp-invariants", DRIFT_TOL, _sample, errors=bp_drift_errors, samples=16, strategy=_strategy),
        Check("degree-and-leading-coefficient", 1e-12, _sample, error=leading_error, samples=40,
              strategy=_strategy),
    ],
))


