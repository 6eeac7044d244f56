"""`bp-balance`: under BP, A_{h+1}^T A_{h+1} - A_h A_h^T is conserved for every h, any S_II
(docs/theory.md section 9)."""

from __future__ import annotations

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from . import _matrix_tools as mt

ID = "bp-balance"


def random_instance(rng, layers=None, t_max=20.0):
    if layers is None:
        layers = [int(n) for n in rng.integers(1, 7, size=int(rng.integers(3, 6)))]
    S = mt.random_spd(rng, layers[0], 0.0, 2.0)  # any PSD S_II
    T = rng.normal(size=(layers[-1], layers[0])) @ S / np.sqrt(layers[0])  # consistent S_TI
    return mt.instance(layers, "bp", S, T, [], mt.random_weights(rng, layers, 0.5), t_max=t_max)


def balance(weights) -> list[np.ndarray]:
    return [weights[h + 1].T @ weights[h + 1] - weights[h] @ weights[h].T for h in range(len(weights) - 1)]


def rate_error(inst) -> float:
    """|d/dt (A_{h+1}^T A_{h+1} - A_h A_h^T)| / (2 |A_{h+1}| |A'_{h+1}| + 2 |A_h| |A'_h|), worst h."""
    p = parse_instance(inst)
    W = p.weights
    dA, _ = p.system.velocity(W)
    worst = 0.0
    for h in range(len(W) - 1):
        a, b, da, db = W[h], W[h + 1], dA[h], dA[h + 1]
        rate = db.T @ b + b.T @ db - da @ a.T - a @ da.T
        scale = 2 * (np.linalg.norm(b) * np.linalg.norm(db) + np.linalg.norm(a) * np.linalg.norm(da))
        worst = max(worst, float(np.abs(rate).max() / scale) if scale > 0 else float(np.abs(rate).max()))
    return worst


def drift_errors(instances) -> list[float]:
    """|D_h(t_end) - D_h(0)| / max(|A_h|^2, |A_{h+1}|^2), worst h; diverged runs fail."""
    out = []
    for p, status, w, _ in mt.run(instances):
        worst = 0.0
        for h, (d0, d1) in enumerate(zip(balance(p.weights), balance(w))):
            scale = max(np.abs(M).max() ** 2 for M in (p.weights[h], p.weights[h + 1], w[h], w[h + 1]))
            worst = max(worst, float(np.abs(d1 - d0).max() / scale))
        out.append(np.inf if status == "diverged" else worst)
    return out


CLAIM = register(Claim(
    id=ID,
    title="Balance of BP: $A_{h+1}^T A_{h+1} - A_h A_h^T$ is conserved",
    reference="docs/theory.md section 9 (beyond [BSL])",
    statement=(r"Under BP, $\frac{d}{dt}(A_{h+1}^T A_{h+1} - A_h A_h^T) = 0$ for every $h$ and any "
               "data."),
    checks=[
        Check("d/dt (A_{h+1}^T A_{h+1} - A_h A_h^T) = 0 along the field (depth 2-4, any S_II)",
              mt.IDENTITY_TOL, random_instance, error=rate_error, samples=40,
              strategy=lambda: mt.seeds_strategy(random_instance)),
        Check("A_{h+1}^T A_{h+1} - A_h A_h^T drifts < 1e-9 along trajectories (A[3,2,3,2], t <= 20)",
              mt.DRIFT_TOL, lambda rng: random_instance(rng, [3, 2, 3, 2]), errors=drift_errors,
              samples=4, strategy=lambda: mt.seeds_strategy(lambda r: random_instance(r, [3, 2, 3, 2]))),
    ],
))
