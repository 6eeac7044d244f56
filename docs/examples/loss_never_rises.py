"""Claims about a trajectory at finite times: the excess loss never rises after t0 = 1.

Run them with ``linrbp verify --claims docs/examples/loss_never_rises.py`` (or
``pytest --linrbp-claims``). ``linrbp.observe`` integrates each sampled instance and returns the
excess loss at the requested times; the error is the largest rise between consecutive times,
relative to the loss at t0 (0 when the loss never rises). Under BP (a gradient flow) it holds;
under RBP it is false: the loss rises wherever the rule's update is more than 90 degrees from
the gradient (the ``update_angle`` observable), which the sampled instances reach.
"""

import numpy as np

import linrbp

T0, T1, N_TIMES = 1.0, 30.0, 60


def sample(rng, rule="rbp"):
    """A[N0, N1, N2] under ``rule``: data moments, random feedback, a small random start."""
    n0, n1, n2 = (int(v) for v in rng.integers(1, 4, size=3))
    M = rng.standard_normal((n0, n0))
    return {"layers": [n0, n1, n2], "rule": rule,
            "sigma_ii": (M @ M.T / n0 + 0.5 * np.eye(n0)).tolist(),
            "sigma_ti": rng.standard_normal((n2, n0)).tolist(),
            "feedback": [rng.standard_normal((n1, n2)).tolist()] if rule == "rbp" else [],
            "weights": [(0.1 * rng.standard_normal((n1, n0))).tolist(),
                        (0.1 * rng.standard_normal((n2, n1))).tolist()]}


def largest_rise(inst):
    times = np.linspace(T0, T1, N_TIMES)
    loss = np.array(linrbp.observe(inst, times, ["excess_loss"])["observables"]["excess_loss"], dtype=float)
    return float(max(0.0, np.max(np.diff(loss))) / (loss[0] + 1e-300))


for rule in ("bp", "rbp"):
    linrbp.register(linrbp.Claim(
        id=f"{rule}-loss-never-rises",
        title=f"under {rule.upper()} the excess loss never rises after t0 = 1",
        reference="docs/own-claims.md (observables)",
        statement=f"For A[N0,N1,N2] under {rule.upper()} from a small start, the excess loss is "
                  "non-increasing on [1, 30].",
        checks=[linrbp.Check("largest rise of the excess loss on [1, 30]", tolerance=1e-9,
                             sample=lambda rng, rule=rule: sample(rng, rule), error=largest_rise,
                             samples=20)],
    ))
