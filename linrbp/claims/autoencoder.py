"""`autoencoder`: A[N,1,N] under RBP ([BSL] Lemma 1 and Theorem 6; docs/theory.md section 5).

A' = C (S_TI - B A S_II),  B' = (S_TI - B A S_II) A^T,  A: 1 x N, B: N x 1, C: 1 x N fixed.
"""

from __future__ import annotations

import numpy as np

from ..closed_forms._autoencoder import autoencoder_invariant, autoencoder_limit, autoencoder_product
from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..instances._predict import predict_whitened  # noqa: F401  (the closed-form predictor of this claim)
from . import _matrix_tools as mt

ID = "autoencoder"


def _random_data_instance(rng, sizes=(3,)):
    N = int(rng.choice(sizes))
    S = mt.random_spd(rng, N)
    T = rng.normal(size=(N, N)) @ S / np.sqrt(N)  # any S_TI is consistent when S_II > 0
    C = rng.normal(size=(1, N))
    return mt.instance([N, 1, N], "rbp", S, T, [C], mt.random_weights(rng, [N, 1, N]))


def _whitened_instance(rng, sizes=(3, 6)):
    N = int(rng.choice(sizes))
    C = rng.normal(size=(1, N))
    return mt.instance([N, 1, N], "rbp", np.eye(N), np.eye(N), [C], mt.random_weights(rng, [N, 1, N]))


def _diagonal_instance(rng, sizes=(2, 4)):
    N = int(rng.choice(sizes))
    S = np.diag(rng.uniform(0.5, 2.0, size=N))
    C = rng.normal(size=(1, N))
    return mt.instance([N, 1, N], "rbp", S, S, [C], mt.random_weights(rng, [N, 1, N]))


def invariant_rate_error(inst) -> float:
    """|dK/dt| / (|C||B'| + |A||A'|) at the start state, K = C B - |A|^2/2."""
    p = parse_instance(inst)
    (A, B), C = p.weights, p.feedback[0]
    (dA, dB), _ = p.system.velocity(p.weights)
    rate = float((C @ dB)[0, 0] - np.sum(A * dA))
    scale = np.linalg.norm(C) * np.linalg.norm(dB) + np.linalg.norm(A) * np.linalg.norm(dA)
    return abs(rate) / scale if scale > 0 else abs(rate)


def invariant_drift_errors(instances) -> list[float]:
    """|K(t_end) - K(0)| / max(|C B|, |A|^2/2 at 0 and t_end); diverged runs fail."""
    out = []
    for p, status, w, _ in mt.run(instances):
        C = p.feedback[0]
        K0 = autoencoder_invariant(C, *p.weights)
        K1 = autoencoder_invariant(C, *w)
        scale = max(abs(float((C @ B)[0, 0])) + 0.5 * float(np.sum(A * A)) for A, B in (p.weights, w))
        out.append(np.inf if status == "diverged" else abs(K1 - K0) / scale)
    return out


def whitened_limit_errors(instances) -> list[float]:
    """Worst relative error of A, B and B A against the Theorem 6 closed forms."""
    out = []
    for p, status, (A, B), _ in mt.run(instances):
        C = p.feedback[0]
        A_inf, B_inf, _ = autoencoder_limit(C, *p.weights)
        err = max(mt.relative(A, A_inf), mt.relative(B, B_inf), mt.relative(B @ A, B_inf @ A_inf))
        out.append(mt.converged_or_inf(status, err))
    return out


def diagonal_limit_errors(instances) -> list[float]:
    """Diagonal S_II = S_TI = S: converged, and B A = S C^T (C S C^T)^{-1} C."""
    out = []
    for p, status, (A, B), _ in mt.run(instances):
        target = autoencoder_product(p.system.stats.sigma_ii, p.feedback[0])
        out.append(mt.converged_or_inf(status, mt.relative(B @ A, target)))
    return out


CLAIM = register(Claim(
    id=ID,
    title="Autoencoder $A[N,1,N]$ with random feedback",
    reference="[BSL] Lemma 1, Theorem 6",
    statement=(r"$K = C B - |A|^2/2$ is conserved for any data; with whitened data $A \to \lambda "
               r"C$, $B \to C^T/(\lambda |C|^2)$, $B A \to C^T C/|C|^2$, $\lambda$ the positive "
               r"root of $(|C|^2/2)\, l^3 + K l - 1 = 0$; diagonal $S_{II} = S_{TI}$ converges "
               "too."),
    checks=[
        Check("Lemma 1: dK/dt = 0 along the field (random data, N <= 30)", mt.IDENTITY_TOL,
              lambda rng: _random_data_instance(rng, sizes=range(2, 31)), error=invariant_rate_error,
              samples=40, strategy=lambda: mt.seeds_strategy(lambda r: _random_data_instance(r, range(2, 31)))),
        Check("Lemma 1: K drifts < 1e-9 along trajectories to the limit (random data, N = 3)", mt.DRIFT_TOL,
              _random_data_instance, errors=invariant_drift_errors, samples=6,
              strategy=lambda: mt.seeds_strategy(_random_data_instance)),
        Check("Theorem 6: A, B, B A reach lambda C, C^T/(lambda|C|^2), C^T C/|C|^2 (whitened)",
              mt.LIMIT_TOL, _whitened_instance, errors=whitened_limit_errors, samples=8,
              strategy=lambda: mt.seeds_strategy(_whitened_instance)),
        Check("diagonal S_II = S_TI: converges to B A = S C^T (C S C^T)^{-1} C", mt.LIMIT_TOL,
              _diagonal_instance, errors=diagonal_limit_errors, samples=6,
              strategy=lambda: mt.seeds_strategy(_diagonal_instance)),
    ],
))

