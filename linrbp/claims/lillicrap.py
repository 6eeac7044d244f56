"""`lillicrap`: A[N0,N1,1] under RBP with whitened input from a zero start converges to
A2 = c b^T, A1 = b r^T with b the feedback vector, r parallel to the target row,
|r| = (2|T|/|b|^2)^(1/3), c = |r|^2/2 (docs/theory.md section 9)."""

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


def gap_instance(rng) -> dict:
    """A[N0,N1,N2] with whitened input, N1 < rank(S_TI) = min(N0, N2), from a small start (BP
    needs one: the zero start is a fixed point of BP)."""
    N1 = int(rng.integers(1, 3))
    N0, N2 = int(rng.integers(N1 + 1, 6)), int(rng.integers(N1 + 1, 5))
    C = rng.normal(size=(N1, N2))
    return mt.instance([N0, N1, N2], "rbp", np.eye(N0), rng.normal(size=(N2, N0)), [C],
                       mt.random_weights(rng, [N0, N1, N2], 0.1))


def gap_errors(instances) -> list[float]:
    """The gap is computable (rbp-limit): RBP's and BP's integrated excess losses differ by
    1/2 |G (Id - Pi)|^2 - 1/2 sum_{i>N1} sigma_i(S_TI)^2 > 0 (error relative to RBP's excess;
    a gap that is not positive fails)."""
    from ..closed_forms._rbp_limit import excess_loss, loss_gap

    bp = mt.run([{**d, "rule": "bp", "feedback": []} for d in instances])
    rbp = mt.run(instances)
    out = []
    for d, (pb, sb, wb, _), (pr, sr, wr, _) in zip(instances, bp, rbp):
        g = loss_gap(d["layers"], "rbp", d["sigma_ii"], d["sigma_ti"], d["feedback"])
        if sb != "converged" or sr != "converged" or not g["gap"] > 0:
            out.append(float("inf"))
            continue
        S, T = d["sigma_ii"], d["sigma_ti"]
        measured = excess_loss(S, T, pr.system.product(wr)) - excess_loss(S, T, pb.system.product(wb))
        out.append(abs(measured - g["gap"]) / g["rbp_excess"])
    return out


register(Claim(
    id=ID,
    title="RBP from a zero start with whitened input",
    reference="docs/theory.md section 9 (Lillicrap et al. 2016)",
    statement=(r"$A_2 \to c\, b^T$, $A_1 \to b\, r^T$, $r \parallel T$, $|r| = "
               r"(2|T|/|b|^2)^{1/3}$, $c = |r|^2/2$. When $N_1 < \mathrm{rank}(S_{TI})$ RBP stops "
               "at a worse loss than BP, by the gap rbp-limit computes."),
    checks=[Check("limit-vs-integration", mt.LIMIT_TOL,
                  random_instance, errors=limit_errors, samples=12),
            Check("N1 < rank(S_TI): RBP - BP excess loss = rbp-limit's gap > 0", mt.LIMIT_TOL,
                  gap_instance, errors=gap_errors, samples=3)],
))
