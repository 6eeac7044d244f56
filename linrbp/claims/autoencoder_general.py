"""`autoencoder-general`: A[N,p,N] with S_II = S_TI = S invertible (docs/theory.md section 9).

At a fixed point C = C B A and B = S A^T (A S A^T)^{-1}, so row(A) = row(C) and
B A = S C^T (C S C^T)^{-1} C; optimal (Eckart-Young) only when row(C) is S's top-p eigenspace.
"""

from __future__ import annotations

import numpy as np

from ..closed_forms._autoencoder import autoencoder_product, full_column_rank
from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..instances._predict import predict_general  # noqa: F401  (the closed-form predictor of this claim)
from . import _matrix_tools as mt

ID = "autoencoder-general"
SHAPES = ((4, 2, 4), (5, 3, 5))


def random_instance(rng, shapes=SHAPES):
    N, p, _ = shapes[int(rng.integers(len(shapes)))]
    S = mt.random_spd(rng, N)
    C = rng.normal(size=(p, N))
    return mt.instance([N, p, N], "rbp", S, S, [C], mt.random_weights(rng, [N, p, N]))


def limit_errors(instances) -> list[float]:
    """Integrated B A against S C^T (C S C^T)^{-1} C (relative); unconverged runs fail."""
    out = []
    for p, status, (A, B), _ in mt.run(instances):
        target = autoencoder_product(p.system.stats.sigma_ii, p.feedback[0])
        out.append(mt.converged_or_inf(status, mt.relative(B @ A, target)))
    return out


def _well_conditioned(rng, p, n):
    """U diag(s) V^T with orthonormal U (p x p), V (n x p), s in [0.5, 2]: rounding in the
    inverses below stays ~ 1e-16 times a condition number <= 16^2."""
    U = np.linalg.qr(rng.normal(size=(p, p)))[0]
    V = np.linalg.qr(rng.normal(size=(n, p)))[0]
    return (U * rng.uniform(0.5, 2.0, size=p)) @ V.T


def _fixed_point_instance(rng):
    N = int(rng.integers(2, 9))
    p = int(rng.integers(1, N + 1))
    S = mt.random_spd(rng, N)
    C = _well_conditioned(rng, p, N)
    A = _well_conditioned(rng, p, p) @ C  # row(A) = row(C)
    B = S @ A.T @ np.linalg.inv(A @ S @ A.T)
    return mt.instance([N, p, N], "rbp", S, S, [C], [A, B])


def fixed_point_error(inst) -> float:
    """At A = M C, B = S A^T (A S A^T)^{-1}: |field| / |S| and |B A - formula| / |formula|."""
    p = parse_instance(inst)
    f = p.system(p.y0)
    A, B = p.weights
    target = autoencoder_product(p.system.stats.sigma_ii, p.feedback[0])
    scale = np.abs(p.system.stats.sigma_ii).max() * max(1.0, np.abs(p.y0).max()) ** 2
    return max(float(np.abs(f).max() / scale), mt.relative(B @ A, target))


def _top_eigenspace_instance(rng):
    inst = _fixed_point_instance(rng)
    S = np.array(inst["sigma_ii"])
    p = inst["layers"][1]
    w, V = np.linalg.eigh(S)
    inst["feedback"] = [(rng.normal(size=(p, p)) @ V[:, -p:].T).tolist()]
    return inst


def optimality_error(inst) -> float:
    """row(C) = top-p eigenspace of S: loss at the formula's product minus the rank-p optimum
    (1/2 of the sum of the N - p smallest eigenvalues), relative to 1/2 tr S."""
    S = np.array(inst["sigma_ii"])
    C = np.array(inst["feedback"][0])
    P = autoencoder_product(S, C)
    D = np.eye(len(S)) - P
    loss = 0.5 * np.trace(D @ S @ D.T)
    w = np.linalg.eigvalsh(S)
    best = 0.5 * np.sum(w[: len(S) - C.shape[0]])
    return float(abs(loss - best) / (0.5 * np.trace(S)))


CLAIM = register(Claim(
    id=ID,
    title="Autoencoder $A[N,p,N]$ with general data $S_{II} = S_{TI} = S$",
    reference="docs/theory.md section 9 (beyond [BSL])",
    statement=("Every fixed point has $B A = S C^T (C S C^T)^{-1} C$, which trajectories reach; "
               r"it is the optimal rank-$p$ product when $\mathrm{row}(C)$ is the top-$p$ "
               "eigenspace of $S$."),
    checks=[
        Check("fixed points A = M C, B = S A^T (A S A^T)^{-1}: field = 0, B A = formula",
              mt.IDENTITY_TOL, _fixed_point_instance, error=fixed_point_error, samples=40,
              strategy=lambda: mt.seeds_strategy(_fixed_point_instance)),
        Check("trajectories reach B A = S C^T (C S C^T)^{-1} C (A[4,2,4], A[5,3,5])", mt.LIMIT_TOL,
              random_instance, errors=limit_errors, samples=6,
              strategy=lambda: mt.seeds_strategy(random_instance)),
        Check("row(C) = top-p eigenspace of S: the product attains the rank-p optimum",
              mt.IDENTITY_TOL, _top_eigenspace_instance, error=optimality_error, samples=40,
              strategy=lambda: mt.seeds_strategy(_top_eigenspace_instance)),
    ],
))

