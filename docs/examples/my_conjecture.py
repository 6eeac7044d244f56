"""A researcher's conjecture, checked by linrbp like a catalogue claim.

Conjecture (mine, not the theory page's): for the single-hidden network A[N0,N1,N2] under RBP,
the symmetric matrix C1 A2 + (C1 A2)^T - A1 A1^T keeps its value at every time t, for any
data and any start, so along an integrated trajectory it never drifts.

Run it:  linrbp verify --claims docs/examples/my_conjecture.py
     or: pytest --linrbp-claims docs/examples/my_conjecture.py
"""

import numpy as np

import linrbp


def sample(rng):
    """One random instance: shapes, data, feedback and a start (JSON-able, so reproducible)."""
    n0, n1, n2 = (int(k) for k in rng.integers(1, 4, size=3))
    X = rng.standard_normal((n0, n0 + 3))
    return {"layers": [n0, n1, n2], "rule": "rbp",
            "sigma_ii": (X @ X.T / (n0 + 3)).tolist(),
            "sigma_ti": rng.standard_normal((n2, n0)).tolist(),
            "feedback": [rng.standard_normal((n1, n2)).tolist()],
            "weights": [(0.5 * rng.standard_normal((n1, n0))).tolist(),
                        (0.5 * rng.standard_normal((n2, n1))).tolist()]}


def conserved(A1, A2, C1):
    M = C1 @ A2
    return M + M.T - A1 @ A1.T


def drift(inst) -> float:
    """Relative change of the conserved matrix between t = 0 and t = 2 (and the limit)."""
    instance = linrbp.parse_instance(inst)
    system, C1 = instance.system, np.asarray(inst["feedback"][0])
    res = linrbp.integrate(system, instance.y0, 2.0, rtol=1e-11)
    (A1, A2), _ = system.unpack(res.y[0])
    K0 = conserved(*[np.asarray(W) for W in inst["weights"]], C1)
    K1 = conserved(A1, A2, C1)
    return float(np.max(np.abs(K1 - K0)) / max(1.0, np.max(np.abs(K0))))


linrbp.register(linrbp.Claim(
    id="my-single-hidden-matrix",
    title="C1 A2 + (C1 A2)^T - A1 A1^T is conserved under RBP",
    reference="my notebook, 2026",
    statement="For A[N0,N1,N2] under RBP the matrix C1 A2 + (C1 A2)^T - A1 A1^T is constant.",
    checks=[linrbp.Check("drift of the matrix to t = 2", tolerance=1e-8, sample=sample,
                         error=drift, samples=10)],
))
