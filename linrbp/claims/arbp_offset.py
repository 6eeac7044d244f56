"""`arbp-offset`: under ARBP every C_h - A_{h+1}^T is constant, so ARBP is BP with a fixed
feedback offset (docs/theory.md section 9)."""

from __future__ import annotations

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..integration._lean import integrate_to_end
from . import _matrix_tools as mt

ID = "arbp-offset"
DRIFT_TOL = 1e-9


def random_instance(rng, zero_offset=False) -> dict:
    layers = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(3, 5)))]
    S = mt.random_spd(rng, layers[0])
    T = rng.normal(size=(layers[-1], layers[0]))
    W = mt.random_weights(rng, layers, 0.7)
    C = [W[h + 1].T.copy() if zero_offset else 0.7 * rng.normal(size=W[h + 1].T.shape)
         for h in range(len(W) - 1)]
    return mt.instance(layers, "arbp", S, T, C, W, t_max=float(rng.uniform(2.0, 10.0)))


def offset_drift(inst) -> float:
    """max over the path and h of |(C_h - A_{h+1}^T)(t) - (C_h - A_{h+1}^T)(0)| / scale."""
    p = parse_instance(inst)
    res = integrate_to_end(p.system, p.y0, p.t_max, conv_tol=0.0, t_eval=np.linspace(0, p.t_max, 41))
    worst = 0.0
    W0, C0 = p.weights, p.feedback
    for y in res.ys:
        W, C = p.system.unpack(y)
        for h in range(len(C)):
            scale = max(np.abs(C[h]).max(), np.abs(W[h + 1]).max(), 1.0)
            d = (C[h] - W[h + 1].T) - (C0[h] - W0[h + 1].T)
            worst = max(worst, float(np.abs(d).max() / scale))
    return worst


def zero_offset_is_bp(inst) -> float:
    """Started with C_h = A_{h+1}^T, ARBP's weights follow BP's exactly (relative error at t_max)."""
    p = parse_instance(inst)
    bp = parse_instance(dict(inst, rule="bp", feedback=[]))
    ya = integrate_to_end(p.system, p.y0, p.t_max, conv_tol=0.0).y[0]
    yb = integrate_to_end(bp.system, bp.y0, p.t_max, conv_tol=0.0).y[0]
    Wa, _ = p.system.unpack(ya)
    Wb, _ = bp.system.unpack(yb)
    return max(mt.relative(a, b) for a, b in zip(Wa, Wb))


register(Claim(
    id=ID,
    title="ARBP is BP with a fixed feedback offset",
    reference="docs/theory.md section 9 (beyond [BSL])",
    statement="Under ARBP every $C_h - A_{h+1}^T$ is conserved; with zero offset ARBP is BP.",
    checks=[
        Check("offset-drift-along-trajectories", DRIFT_TOL, random_instance, error=offset_drift, samples=10),
        Check("zero-offset-follows-bp", 1e-8, lambda rng: random_instance(rng, zero_offset=True),
              error=zero_offset_is_bp, samples=10),
    ],
))
