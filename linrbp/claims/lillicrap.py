"""`lillicrap`: A[N0,N1,1] under RBP with whitened input from a zero start converges to
A2 = c b^T, A1 = b r^T with b the feedback vector, r parallel to the target row,
|r| = (2|T|/|b|^2)^(1/3), c = |r|^2/2 (THEORY.md section 9)."""

from __future__ import annotations

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from . import _matrix_tools as mt

ID = "lillicrap"


def random_instance(rng) -> dict:
    n0, n1 = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    T = rng.normal(size=(1, n0))
    b = rng.normal(size=(n1, 1))
    zero = [np.zeros((n1, n0)), np.zeros((1, n1))]
    return mt.instance([n0, n1, 1], "rbp", np.eye(n0), T, [b], zero)


def predicted(inst):
    T = np.asarray(inst["sigma_ti"], float)[0]
    b = np.asarray(inst["feedback"][0], float)[:, 0]
    r_norm = (2 * np.linalg.norm(T) / (b @ b)) ** (1 / 3)
    r = r_norm * T / np.linalg.norm(T)
    c = r_norm ** 2 / 2
    return np.outer(b, r), c * b[None, :]


def limit_errors(instances) -> list[float]:
    out = []
    for inst, (_, status, W, _) in zip(instances, mt.run(instances)):
        A1, A2 = predicted(inst)
        out.append(mt.converged_or_inf(status, max(mt.relative(W[0], A1), mt.relative(W[1], A2))))
    return out


register(Claim(
    id=ID,
    title="RBP from a zero start with whitened input",
    reference="THEORY.md section 9 (Lillicrap et al. 2016)",
    statement="A2 -> c b^T, A1 -> b r^T, r || T, |r| = (2|T|/|b|^2)^(1/3), c = |r|^2/2.",
    checks=[Check("limit-vs-integration", mt.LIMIT_TOL,
                  random_instance, errors=limit_errors, samples=12)],
))
