"""`single-hidden`: A[N0,N1,N2] under RBP ([BSL] Theorems 7-10; docs/theory.md section 6).

A1' = C1 E,  A2' = E A1^T,  E = S_TI - A2 A1 S_II,  C1: N1 x N2 fixed (RBP = SRBP here).
"""

from __future__ import annotations

import math

import numpy as np

from ..closed_forms._autoencoder import full_column_rank, single_hidden_invariant, single_hidden_target
from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..closed_forms._limits import late_window_change
from ..instances._predict import predict_product  # noqa: F401  (the closed-form predictor of this claim)
from . import _matrix_tools as mt

ID = "single-hidden"

# Shapes (N0, N1, N2): N1 < N2 (C1 not of full column rank), N1 < N0, N1 > N2.
LIMIT_SHAPES = ((3, 2, 4), (4, 2, 3), (2, 3, 2))
FULL_RANK_SHAPES = ((2, 4, 3),)


def random_instance(rng, shapes=LIMIT_SHAPES, scale=0.5):
    """Random S_II > 0 (eigenvalues in [0.5, 2]), S_TI, C1 and start of one of ``shapes``."""
    N0, N1, N2 = (int(n) for n in shapes[int(rng.integers(len(shapes)))])
    S = mt.random_spd(rng, N0)
    T = rng.normal(size=(N2, N0)) / np.sqrt(N0)
    C1 = rng.normal(size=(N1, N2))
    return mt.instance([N0, N1, N2], "rbp", S, T, [C1], mt.random_weights(rng, [N0, N1, N2], scale))


def _any_shape_instance(rng):
    shape = tuple(int(n) for n in rng.integers(1, 13, size=3))
    return random_instance(rng, (shape,))


def _theorem10_instance(rng):
    return mt.instance([2, 2, 2], "rbp", np.eye(2), np.eye(2), [np.eye(2)],
                       mt.random_weights(rng, [2, 2, 2]))


def invariant_rate_error(inst) -> float:
    """|dQ/dt|_max / (2 |C1| |A2'| + 2 |A1| |A1'|) at the start, Q = C1 A2 + (C1 A2)^T - A1 A1^T."""
    p = parse_instance(inst)
    (A1, A2), C1 = p.weights, p.feedback[0]
    (d1, d2), _ = p.system.velocity(p.weights)
    M = C1 @ d2
    rate = M + M.T - d1 @ A1.T - A1 @ d1.T
    scale = 2 * (np.linalg.norm(C1) * np.linalg.norm(d2) + np.linalg.norm(A1) * np.linalg.norm(d1))
    return float(np.abs(rate).max() / scale) if scale > 0 else float(np.abs(rate).max())


def invariant_drift_errors(instances) -> list[float]:
    """|Q(t_end) - Q(0)|_max / max(|C1 A2|, |A1 A1^T| at 0 and t_end); diverged runs fail."""
    out = []
    for p, status, w, _ in mt.run(instances):
        C1 = p.feedback[0]
        dQ = single_hidden_invariant(C1, *w) - single_hidden_invariant(C1, *p.weights)
        scale = max(max(2 * np.abs(C1 @ A2).max(), np.abs(A1 @ A1.T).max()) for A1, A2 in (p.weights, w))
        out.append(math.inf if status == "diverged" else float(np.abs(dQ).max() / scale))
    return out


# Theorem 7's draws: any shape up to 6x6x6, start scales 0.1 to 3. At rtol 1e-13 the slowest of
# them (A[6,5,4], seed 0's 11th draw) needs 26,292 accepted DOP853 steps to converge, more than
# the 20,000 of the other matrix checks: a budget for settling, not a bound on what settles.
THEOREM7_MAX_STEPS = 200_000
# They integrate with BDF (implicit), at the same rtol, atol and convergence test: each draw is
# its own shape, so the batched integrator runs them one lane at a time, where its per-step
# overhead dominates, and the slow ones are stiff near their limit. Measured (seed 0's 8 draws):
# A[4,2,1] 23,314 DOP853 steps (16 CPU-s on a loaded machine) against 3,447 BDF steps (0.6 s),
# A[3,1,3] 5,281 against 3,025; all 8 converge either way, end states within 4e-11.
THEOREM7_METHOD = "BDF"


def _theorem7_instance(rng):
    shape = tuple(int(n) for n in rng.integers(1, 7, size=3))
    return random_instance(rng, (shape,), scale=float(10 ** rng.uniform(-1, 0.5)))


def bounded_errors(instances) -> list[float]:
    """0 when the trajectory stays bounded and settles (status converged), 1 otherwise."""
    return [0.0 if status == "converged" else 1.0
            for _, status, _, _ in mt.run(instances, max_steps=THEOREM7_MAX_STEPS, method=THEOREM7_METHOD)]


def c1_product_errors(instances) -> list[float]:
    """Theorem 8: relative error of C1 A2 A1 against C1 S_TI S_II^{-1}."""
    out = []
    for p, status, (A1, A2), _ in mt.run(instances):
        st = p.system.stats
        target = single_hidden_target(p.feedback[0], st.sigma_ii, st.sigma_ti)["c1_product"]
        out.append(mt.converged_or_inf(status, mt.relative(p.feedback[0] @ A2 @ A1, target)))
    return out


def product_errors(instances) -> list[float]:
    """Theorem 8, C1 of full column rank: relative error of A2 A1 against S_TI S_II^{-1}."""
    out = []
    for p, status, (A1, A2), _ in mt.run(instances):
        st = p.system.stats
        target = single_hidden_target(p.feedback[0], st.sigma_ii, st.sigma_ti)["product"]
        out.append(mt.converged_or_inf(status, mt.relative(A2 @ A1, target)))
    return out


def theorem10_errors(instances) -> list[float]:
    """A[2,2,2], S = C1 = Id: max of |B A - Id| and the relative change of (A, B) over a late
    window [t_end, 2 t_end] (A and B converge individually, not only their product)."""
    out = []
    for p, status, (A, B), _ in mt.run(instances):
        if status != "converged":
            out.append(math.inf)
            continue
        y = p.system.pack([A, B])
        change, _, _ = late_window_change(p.system, y, window=max(100.0, 10 * _t_scale(p, y)))
        out.append(max(float(np.abs(B @ A - np.eye(2)).max()), change))
    return out


def _t_scale(p, y) -> float:
    # 1 / |field| at the start: a time long compared with the approach to the limit.
    return 1.0 / max(np.abs(p.system(p.y0)).max(), 1e-3)


CLAIM = register(Claim(
    id=ID,
    title="One hidden layer $A[N_0,N_1,N_2]$ with random feedback",
    reference="[BSL] Theorems 7-10",
    statement=("$Q = C_1 A_2 + (C_1 A_2)^T - A_1 A_1^T$ is conserved; solutions stay bounded; "
               r"$C_1 A_2 A_1 \to C_1 S_{TI} S_{II}^{-1}$, and $A_2 A_1 \to S_{TI} S_{II}^{-1}$ "
               "when $C_1$ has full column rank; for $A[2,2,2]$ with $S_{II} = S_{TI} = C_1 = I$, "
               "$A$ and $B$ converge."),
    checks=[
        Check("dQ/dt = 0 along the field (shapes up to 12x12x12)", mt.IDENTITY_TOL,
              _any_shape_instance, error=invariant_rate_error, samples=40,
              strategy=lambda: mt.seeds_strategy(_any_shape_instance)),
        Check("Q drifts < 1e-9 along trajectories to the limit (A[4,2,3])", mt.DRIFT_TOL,
              lambda rng: random_instance(rng, ((4, 2, 3),)), errors=invariant_drift_errors,
              samples=4, strategy=lambda: mt.seeds_strategy(random_instance)),
        Check("Theorem 7: trajectories stay bounded and settle (shapes up to 6x6x6, start "
              "scales 0.1-3, 0 = yes)", 0.0, _theorem7_instance, errors=bounded_errors, samples=8,
              strategy=lambda: mt.seeds_strategy(_theorem7_instance)),
        Check("Theorem 8: C1 A2 A1 -> C1 S_TI S_II^{-1} (N1<N2, N1<N0, N1>N2)", mt.LIMIT_TOL,
              random_instance, errors=c1_product_errors, samples=6,
              strategy=lambda: mt.seeds_strategy(random_instance)),
        Check("Theorem 8: A2 A1 -> S_TI S_II^{-1} when C1 has full column rank", mt.LIMIT_TOL,
              lambda rng: random_instance(rng, FULL_RANK_SHAPES), errors=product_errors, samples=4,
              strategy=lambda: mt.seeds_strategy(lambda r: random_instance(r, FULL_RANK_SHAPES))),
        Check("Theorem 10: A[2,2,2], S = C1 = Id: B A -> Id, A and B settle individually",
              mt.LIMIT_TOL, _theorem10_instance, errors=theorem10_errors, samples=3,
              strategy=lambda: mt.seeds_strategy(_theorem10_instance)),
    ],
))

