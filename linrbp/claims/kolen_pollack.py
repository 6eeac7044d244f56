"""`kolen-pollack`: ARBP plus weight decay lambda on A and C (docs/theory.md section 10).

dA_h/dt = (ARBP field) - lambda A_h and dC_h/dt = (dA_{h+1}/dt from the error)^T - lambda C_h,
so the feedback offset D_h = C_h - A_{h+1}^T obeys dD_h/dt = -lambda D_h exactly:

    C_h(t) - A_{h+1}(t)^T = e^{-lambda t} (C_h(0) - A_{h+1}(0)^T)   for every layer, any data.

Checks: the identity symbolically (lambda a symbol, general S_II and S_TI); the closed form
against integration at finite times along trajectories of random instances (depths 2-4,
lambda over two decades, offsets of both signs) and through ``linrbp simulate``'s
``predicted.feedback_offset``; the trainer's Kolen-Pollack against the averaged field with
linear units; and the trainer's discrete offset, exactly (1 - lr lambda)^n times the first.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..integration._lean import integrate_to_end
from . import _matrix_tools as mt

ID = "kolen-pollack"
OFFSET_TOL = 1e-9      # closed form vs integration (rtol 1e-12), relative to the initial offset
TRAINER_TOL = 1e-9     # trainer's step (Richardson-extrapolated to lr -> 0) vs the field
DISCRETE_TOL = 1e-11   # trainer's offset after n steps vs (1 - lr lambda)^n D(0), float64


def random_instance(rng, depth=None) -> dict:
    """A[N0..NL], L = 2..4, widths 1..4, general S_II, lambda log-uniform in [0.02, 2]."""
    L = int(rng.integers(2, 5)) if depth is None else depth
    layers = [int(n) for n in rng.integers(1, 5, size=L + 1)]
    S = mt.random_spd(rng, layers[0])
    T = rng.normal(size=(layers[-1], layers[0]))
    W = mt.random_weights(rng, layers, float(rng.uniform(0.3, 1.0)))
    C = [float(rng.uniform(0.3, 1.5)) * rng.normal(size=W[h + 1].T.shape) for h in range(L - 1)]
    lam = float(np.exp(rng.uniform(np.log(0.02), np.log(2.0))))
    # t_max keeps e^{-lambda t} >= e^{-4}: the offset is still far above the integration error
    t_max = float(min(rng.uniform(1.0, 4.0 / lam), 20.0))
    d = mt.instance(layers, ID, S, T, C, W, t_max=t_max)
    d["weight_decay"] = lam
    return d


def offsets(weights, feedback) -> list[np.ndarray]:
    """D_h = C_h - A_{h+1}^T, h = 1..L-1."""
    return [np.asarray(C) - np.asarray(weights[h + 1]).T for h, C in enumerate(feedback)]


def closed_form_offset(weights0, feedback0, lam: float, t: float) -> list[np.ndarray]:
    """e^{-lambda t} (C_h(0) - A_{h+1}(0)^T) per layer."""
    return [np.exp(-lam * t) * D for D in offsets(weights0, feedback0)]


def _relative(got, want, scale) -> float:
    return max(float(np.abs(g - w).max()) for g, w in zip(got, want)) / scale


def offset_error(inst) -> float:
    """max over 41 times in [0, t_max] and h of |D_h(t) - e^{-lambda t} D_h(0)| / max|D(0)|."""
    p = parse_instance(inst)
    lam = p.system.rule.parameter_values["weight_decay"]
    ts = np.linspace(0.0, p.t_max, 41)
    res = integrate_to_end(p.system, p.y0, p.t_max, conv_tol=0.0, t_eval=ts)
    scale = max(float(np.abs(D).max()) for D in offsets(p.weights, p.feedback))
    worst = 0.0
    for t, y in zip(res.t, res.ys):
        W, C = p.system.unpack(y)
        worst = max(worst, _relative(offsets(W, C), closed_form_offset(p.weights, p.feedback, lam, t), scale))
    return worst


def simulate_error(inst) -> float:
    """``linrbp simulate``'s predicted.feedback_offset vs its integrated C_h - A_{h+1}^T at t_end."""
    from ..instances._simulate import simulate

    p = parse_instance(inst)
    out = simulate(p)
    pred = [np.asarray(D) for D in out["predicted"]["feedback_offset"]]
    got = offsets(out["weights"], out["feedback"])
    return _relative(got, pred, max(float(np.abs(D).max()) for D in pred))


# -- the trainer ---------------------------------------------------------------------------------
def trainer_instance(rng) -> dict:
    hidden = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 3)))]
    n_in, n_out, m = int(rng.integers(1, 5)), int(rng.integers(1, 4)), 40
    X = rng.normal(size=(n_in, m))
    Y = rng.normal(size=(n_out, n_in)) @ X + 0.3 * rng.normal(size=(n_out, m))
    return mt.to_jsonable({"hidden": hidden, "X": X, "Y": Y, "seed": int(rng.integers(0, 2**31)),
                           "weight_decay": float(rng.uniform(0.05, 1.0))})


def _net(inst, lr, activation="linear"):
    from ..trainer import TrainConfig
    from ..trainer._build import make_network

    X = np.asarray(inst["X"])
    Y = np.asarray(inst["Y"])
    cfg = TrainConfig(rule=ID, hidden=tuple(inst["hidden"]), activation=activation, output="linear",
                      bias=False, dtype="float64", seed=inst["seed"], dataset="teacher", lr=lr,
                      lr_decay=0.0, weight_decay=inst["weight_decay"])
    return make_network(cfg, X.shape[0], Y.shape[0]), X, Y


def _step_rate(inst, lr):
    """(A' - A)/lr and (C' - C)/lr of one trainer step (full batch), and the start."""
    net, X, Y = _net(inst, lr)
    W0 = [np.array(A) for A in net.weights]
    C0 = [np.array(C) for C in net.feedback]
    net.step(X, Y)
    return ([(A - A0) / lr for A, A0 in zip(net.weights, W0)],
            [(C - c0) / lr for C, c0 in zip(net.feedback, C0)], W0, C0)


def trainer_field_error(inst) -> float:
    """Trainer (linear units, full batch) vs the averaged Kolen-Pollack field at the same state.

    One step's rate (X' - X)/lr is affine in lr whichever order decay and update take
    (lr (dX - lambda X) [- lr^2 lambda dX]), so 2 g(lr/2) - g(lr) is its lr -> 0 limit: the
    field, up to rounding. Relative to the field's largest entry.
    """
    from ..core._field import LinearSystem
    from ..core._stats import DataStats

    lr = 1e-3
    gA1, gC1, W0, C0 = _step_rate(inst, lr)
    gA2, gC2, _, _ = _step_rate(inst, lr / 2)
    X, Y = np.asarray(inst["X"]), np.asarray(inst["Y"])
    layers = [X.shape[0]] + list(inst["hidden"]) + [Y.shape[0]]
    system = LinearSystem.create(layers, ID, DataStats.from_samples(X, Y),
                                 parameters={"weight_decay": inst["weight_decay"]})
    vA, vC = system.velocity(W0, C0)
    got = [2 * b - a for a, b in zip(gA1 + gC1, gA2 + gC2)]
    want = vA + vC
    return max(float(np.abs(g - w).max()) for g, w in zip(got, want)) / max(float(np.abs(w).max()) for w in want)


def discrete_offset_error(inst) -> float:
    """Trainer (tanh units, 30 steps): D_h after n steps = (1 - lr lambda)^n D_h(0), exactly.

    dC_h = O_h delta_{h+1}^T is (dA_{h+1})^T in the trainer too (with f'), so each step multiplies
    the offset by (1 - lr lambda). Relative to max |D(0)|; the ODE's e^{-lambda t} is its lr -> 0 limit.
    """
    lr, n = 0.05, 30
    net, X, Y = _net(inst, lr, activation="tanh")
    D0 = offsets(net.weights, net.feedback)
    for _ in range(n):
        net.step(X, Y)
    want = [(1 - lr * inst["weight_decay"]) ** n * D for D in D0]
    return _relative(offsets(net.weights, net.feedback), want, max(float(np.abs(D).max()) for D in D0))


def _sym_offset_rate(layers) -> sp.Matrix:
    """d/dt (C_h - A_{h+1}^T) + lambda (C_h - A_{h+1}^T) for every h, derived (lambda a symbol)."""
    from ..core._rules import get_rule
    from ..symbolic import derive_ode

    rule = get_rule(ID).symbolic()
    s = derive_ode(list(layers), rule)
    lam = rule.parameter_values["weight_decay"]
    out = []
    for h in range(len(layers) - 2):
        D = s.feedback[h] - s.weights[h + 1].T
        out += [sp.expand(s.along_flow(x) + lam * x) for x in D]
    return sp.Matrix(out)


def _symbolic_checks():
    from ._symbolic import identity_checks_over_layers

    return identity_checks_over_layers("symbolic: d(C_h - A_(h+1)^T)/dt = -lambda (C_h - A_(h+1)^T)", _sym_offset_rate)


register(Claim(
    id=ID,
    title=r"Kolen-Pollack: the feedback offset decays as $e^{-\lambda t}$",
    reference="docs/theory.md section 10 (Kolen & Pollack 1994; Akrout et al. 2019)",
    statement=(r"Under ARBP with weight decay $\lambda$ on $A$ and $C$, $C_h(t) - A_{h+1}(t)^T = "
               r"e^{-\lambda t} (C_h(0) - A_{h+1}(0)^T)$ for every layer and any data."),
    checks=_symbolic_checks() + [
        Check("offset-closed-form-along-trajectories", OFFSET_TOL, random_instance, error=offset_error,
              samples=10),
        Check("simulate-predicted-feedback-offset", OFFSET_TOL, random_instance, error=simulate_error,
              samples=4),
        Check("trainer-linear-vs-averaged-field", TRAINER_TOL, trainer_instance, error=trainer_field_error,
              samples=6),
        Check("trainer-offset-shrinks-by-1-minus-lr-lambda", DISCRETE_TOL, trainer_instance,
              error=discrete_offset_error, samples=4),
    ],
))
