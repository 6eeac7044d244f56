"""Shared sampling and measuring for the matrix claims (autoencoder, single-hidden, structure,
autoencoder-general, bp-balance).

Instances are instance-file dicts (``linrbp simulate`` reads them as they are), so the worst
instance in a ``verify`` report reproduces with one command.
"""

from __future__ import annotations

import math

import numpy as np

from ..integration._ensemble import integrate_systems
from ..instances._instance import parse_instance
from ..core._io import to_jsonable  # noqa: F401  (re-exported for claim modules)

# Integration settings of every convergence check: the field must fall below CONV_TOL
# (relative) before a limit is compared with its closed form at 1e-8; the distance to the
# limit is then about |f| / (slowest contraction rate). At a stable fixed point the stepper's
# accepted local error (~ rtol |y|) leaves |f| ~ rtol |y| (fastest rate), which with
# rtol = 1e-12 stalls above conv_tol = 1e-12 once the fastest rate passes ~2: so RTOL = 1e-13.
T_MAX = 1e5
RTOL = 1e-13
ATOL = 1e-15
CONV_TOL = 1e-12
MAX_STEPS = 20_000
LIMIT_TOL = 1e-8
DRIFT_TOL = 1e-9
# Pointwise identities between two evaluations of the same field (rounding only).
IDENTITY_TOL = 1e-12


def random_spd(rng, n, lo=0.1, hi=5.0) -> np.ndarray:
    """Q diag(d) Q^T with Q Haar-orthogonal and d log-uniform in [lo, hi] (condition numbers
    up to hi/lo = 50 by default; lo = 0 draws d uniform in [0, hi], singular matrices allowed)."""
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    Q = Q * np.sign(np.diag(R))
    d = rng.uniform(lo, hi, size=n) if lo <= 0 else np.exp(rng.uniform(np.log(lo), np.log(hi), size=n))
    S = (Q * d) @ Q.T
    return 0.5 * (S + S.T)


def instance(layers, rule, sigma_ii, sigma_ti, feedback, weights, t_max=T_MAX, **extra) -> dict:
    d = {"layers": list(layers), "rule": rule, "sigma_ii": sigma_ii, "sigma_ti": sigma_ti,
         "feedback": list(feedback), "weights": list(weights), "t_max": t_max}
    d.update(extra)
    return to_jsonable(d)


def random_weights(rng, layers, scale=0.5):
    return [scale * rng.normal(size=(layers[h], layers[h - 1])) for h in range(1, len(layers))]


def relative(X, Y) -> float:
    """max |X - Y| / max |Y| (the limits compared here are never zero)."""
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    den = np.abs(Y).max()
    return float(np.abs(X - Y).max() / den) if den > 0 else float(np.abs(X).max())


def instance_file(d: dict) -> dict:
    """The instance-file part of a claim's instance dict: the keys of `linrbp simulate` files
    (and the rule's parameters); a claim's own keys (its data U, V, s, extra starts, ...) dropped."""
    from ..core._rules import get_rule
    from ..instances._instance import KEYS, META_KEYS

    keep = set(KEYS) | set(META_KEYS)
    try:
        keep |= set(get_rule(d["rule"]).parameter_names)
    except Exception:  # an unknown rule: parse_instance says so
        pass
    return {k: v for k, v in d.items() if k in keep}


def run(instances: list, t_max=None, conv_tol=CONV_TOL, max_steps=MAX_STEPS, method: str = "batched"):
    """Integrate instance dicts to convergence; [(Instance, status, weights, feedback)].

    ``method="batched"``: the batched DOP853 integrator (:func:`integrate_systems`); a
    :func:`scipy.integrate.solve_ivp` method name (e.g. ``"BDF"``, implicit) runs
    :func:`linrbp.integration.integrate` on each instance instead, with the same rtol, atol,
    conv_tol and max_steps; ``"BDF"`` takes scipy's BDF steps through
    :func:`linrbp.integration._bdf.bdf_converge` (the same accepted steps, the same stopping
    rules tested on each accepted step).
    """
    parsed = [parse_instance(instance_file(d)) for d in instances]
    tm = [p.t_max if t_max is None else t_max for p in parsed]
    if method == "batched":
        res = integrate_systems([p.system for p in parsed], [p.y0 for p in parsed], tm, rtol=RTOL,
                                atol=ATOL, conv_tol=conv_tol, max_steps=max_steps)
        ends = [(str(res.status[k]), res.y[k, :p.system.n_state]) for k, p in enumerate(parsed)]
    elif method == "BDF":  # scipy's BDF steps without solve_ivp's per-step events (same points)
        from ..integration._bdf import bdf_converge
        from ..integration._integrate import DEFAULT_BOUND

        ends = []
        for p, t in zip(parsed, tm):
            fn, n = p.system._single_state_field()  # the traced field __call__ would run
            fun = fn if fn is not None and n == np.size(p.y0) else p.system
            status, _, y, _ = bdf_converge(fun, p.y0, t, rtol=RTOL, atol=ATOL, conv_tol=conv_tol,
                                           bound=DEFAULT_BOUND, max_steps=max_steps)
            ends.append((status, y[:p.system.n_state]))
    else:
        from ..integration._integrate import integrate

        ends = []
        for p, t in zip(parsed, tm):
            r = integrate(p.system, p.y0, t, rtol=RTOL, atol=ATOL, conv_tol=conv_tol, method=method,
                          max_steps=max_steps)
            ends.append((str(r.status[0]), r.y[0, :p.system.n_state]))
    out = []
    for p, (status, y) in zip(parsed, ends):
        w, fb = p.system.unpack(y)
        out.append((p, status, w, fb))
    return out


def converged_or_inf(status, err) -> float:
    """A limit check on a trajectory that did not converge fails (infinite error)."""
    return float(err) if status == "converged" else math.inf


def seeds_strategy(sample):
    """Hypothesis strategy of instances: ``sample`` on generators from drawn seeds."""
    from hypothesis import strategies as st

    return st.integers(0, 2**32 - 1).map(lambda s: sample(np.random.default_rng(s)))
