"""`srbp-bottleneck`: skipped feedback with a narrow layer has no fixed point (docs/theory.md
section 10).

Under SRBP dA_1/dt = C_1 E, E = S_TI - P S_II, and rank(P) <= r (the narrowest hidden width).
If rank(C_1 S_TI) = rank(C_1 G) > r no point has C_1 E = 0, and along every trajectory

    |dA_1/dt|_F = |C_1 S_TI - C_1 P S_II|_F >= sqrt(sum_{i > r} sigma_i(C_1 S_TI)^2) > 0

(C_1 P S_II has rank <= r; Eckart-Young). With C_1 of full column rank this implies the theory page's
form, sigma_min(C_1) times the distance |S_TI - X|_F from S_TI to the rank-r matrices.
"""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..closed_forms._rbp_limit import limit_case, speed_bound  # noqa: F401
from ..instances._instance import parse_instance
from ..instances._predict import predict_bottleneck  # noqa: F401  (this claim's predictor)
from ..integration._integrate import integrate
from ..integration._lean import integrate_to_end
from . import _matrix_tools as mt

ID = "srbp-bottleneck"
# Where the lower bound is checked along each trajectory, and how far it is integrated.
T_CHECK = (0.0, 0.5, 1.0, 2.0, 4.0)


def random_instance(rng, scale=0.3) -> dict:
    """SRBP A[N0, N1, ..., NL], N1 >= NL (C_1 of full column rank), a later hidden layer of width
    r < min(N0, NL) (so rank(C_1 G) = NL > r for a full-rank target), depth 3 or 4."""
    L = int(rng.integers(3, 5))
    NL = int(rng.integers(2, 5))
    r = int(rng.integers(1, NL))
    N0 = int(rng.integers(NL, 7))
    hidden = [int(rng.integers(NL, 6))] + [int(n) for n in rng.integers(r + 1, 6, size=L - 2)]
    hidden[int(rng.integers(1, L - 1))] = r
    layers = [N0] + hidden + [NL]
    S = mt.random_spd(rng, N0)
    T = rng.normal(size=(NL, N0)) / np.sqrt(N0)
    fb = [rng.normal(size=(n, NL)) for n in hidden]
    return mt.instance(layers, "srbp", S, T @ S, fb, mt.random_weights(rng, layers, scale))


def predicted_no_fixed_point_error(inst) -> float:
    """0 iff the shapes and ranks predict no fixed point (case no-fixed-point)."""
    c = limit_case(inst["layers"], "srbp", inst["sigma_ii"], inst["sigma_ti"], inst["feedback"])
    return 0.0 if c["case"] == "no-fixed-point" and c["fixed_point"] is False else 1.0


def bound_errors(instances) -> list[float]:
    """max over t in T_CHECK of max(0, bound - |dA_1/dt|_F) / bound along the integrated path."""
    out = []
    for inst in instances:
        p = parse_instance(mt.instance_file(inst))
        r = min(inst["layers"][1:-1])
        bound = speed_bound(inst["sigma_ti"], inst["feedback"][0], r)
        res = integrate_to_end(p.system, p.y0, T_CHECK[-1], rtol=1e-10, atol=1e-12, conv_tol=0.0,
                        t_eval=list(T_CHECK), max_steps=mt.MAX_STEPS)
        if len(res.t) != len(T_CHECK):
            out.append(math.inf)
            continue
        worst = 0.0
        for y in res.ys:
            W, _ = p.system.unpack(y)
            (d1, *_), _ = p.system.velocity(W)
            worst = max(worst, max(0.0, bound - float(np.linalg.norm(d1))) / bound)
        out.append(worst)
    return out


def bounded_time_errors(instances) -> list[float]:
    """0 iff the integrator ends the run with a clear status within its step budget (the
    status is step-limit or time-limit, never converged)."""
    out = []
    for inst in instances:
        p = parse_instance(mt.instance_file(inst))
        res = integrate(p.system, p.y0, 1e5, max_steps=2000)
        out.append(0.0 if str(res.status[0]) in ("step-limit", "time-limit", "diverged")
                   and int(res.n_steps[0]) <= 2000 else 1.0)
    return out


def _field_identity_error(_inst) -> float:
    """Exact: the derived SRBP field of A[1,2,1,2] has dA_1/dt = C_1 (S_TI - A_3 A_2 A_1 S_II),
    and C_1 P S_II factors through the width-1 layer (A_2 is 1 x 2)."""
    from ..symbolic import derive_ode, is_zero

    sy = derive_ode([1, 2, 1, 2], "srbp")
    A1, A2, A3 = sy.weights
    P = A3 * A2 * A1
    ok = is_zero(sy.dA[0] - sy.feedback[0] * (sy.moments["S_TI"] - P * sy.moments["S_II"]))
    return 0.0 if ok and A2.shape[0] == 1 else 1.0


CLAIM = register(Claim(
    id=ID,
    title="SRBP with a later bottleneck has no fixed point",
    reference="docs/theory.md section 10",
    statement=(r"Under SRBP, if $\mathrm{rank}(C_1 G) > r$ (narrowest hidden width) no fixed point "
               r"exists and $|dA_1/dt|_F \geq \sqrt{\sum_{i>r} \sigma_i(C_1 S_{TI})^2} > 0$ along "
               "every trajectory. Measured (SRBP $A[5,4,2,3]$, start scale 0.3, seed 5): $|A_1|$ "
               "grows linearly (2.9 per unit time from $t = 5$ to 20), the other layers and the "
               "excess loss settle (0.47374 from $t = 10$ on), $|dA_1/dt|$ settles at 2.17 "
               r"$\times$ the bound, and the steps shrink (20,000 DOP853 steps reach $t = 22.7$)."),
    checks=[
        Check("derived field: dA_1/dt = C_1 (S_TI - P S_II), rank(P) <= r (A[1,2,1,2], exact)", 0.0,
              lambda rng: {"identity": ID}, error=_field_identity_error, samples=1, kind="symbolic",
              fixed=True),
        Check("shapes and ranks predict no fixed point", 0.0, random_instance,
              error=predicted_no_fixed_point_error, samples=40),
        Check("|dA_1/dt| >= sqrt(sum_{i>r} sigma_i(C_1 S_TI)^2) along trajectories (t <= 4)",
              mt.IDENTITY_TOL, random_instance, errors=bound_errors, samples=4),
        Check("the reference integrator ends such runs with a clear status in 2000 steps (0 = yes)",
              0.0, random_instance, errors=bounded_time_errors, samples=2),
    ],
))
