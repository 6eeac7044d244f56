"""`weight-mirror`: weight mirrors in the averaged world (docs/theory.md section 10).

The trainer's mirror phase injects white probe noise x ~ N(0, Id) at layer h and steps
C_h <- (1 - eta) C_h + eta x (A_{h+1} x)^T; since E[x x^T] = Id its mean is
(1 - eta) C_h + eta A_{h+1}^T, so with eta = kappa dt the feedback follows

    dC_h/dt = kappa (A_{h+1}^T - C_h)      beside the RBP field for A:  dA_h/dt = C_h...C_{L-1} E F_{h-1}^T.

Checks: both halves symbolically (the derived A field is RBP's with C_h as feedback, the C
field is kappa (A^T - C)); the mean of the trainer's mirror step over probe noise against
(1 - eta) C + eta A^T (z-scores from the draws' own spread); the trainer's A update with
linear units against the averaged field; and, along integrated trajectories at finite
times, C_h(t) against its variation-of-constants formula
C_h(t) = e^{-kappa t} C_h(0) + kappa int_0^t e^{-kappa (t-s)} A_{h+1}(s)^T ds.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from ..catalogue._catalogue import Check, Claim, register
from ..instances._instance import parse_instance
from ..integration._integrate import integrate
from . import _matrix_tools as mt

ID = "weight-mirror"
Z_TOL = 5.0          # max |z| of the probe-noise mean over all entries (a 5-sigma band)
FIELD_TOL = 1e-12    # trainer's batch-mean A update vs the averaged field (linear units)
VOC_TOL = 1e-9       # variation of constants (adaptive quadrature of the dense path) vs integration


def random_instance(rng) -> dict:
    L = int(rng.integers(2, 5))
    layers = [int(n) for n in rng.integers(1, 5, size=L + 1)]
    S = mt.random_spd(rng, layers[0])
    T = rng.normal(size=(layers[-1], layers[0]))
    W = mt.random_weights(rng, layers, float(rng.uniform(0.3, 1.0)))
    C = [float(rng.uniform(0.3, 1.5)) * rng.normal(size=W[h + 1].T.shape) for h in range(L - 1)]
    d = mt.instance(layers, ID, S, T, C, W, t_max=float(rng.uniform(1.0, 4.0)))
    d["mirror_rate"] = float(np.exp(rng.uniform(np.log(0.1), np.log(5.0))))
    return d


def variation_of_constants_error(inst) -> float:
    """max over 10 times t_k in (0, t_max] and h of |C_h(t_k) - VoC formula| / max(|C|, |A|).

    The path comes from DOP853 (rtol 1e-12) with dense output; the integral of the formula is
    taken by adaptive quadrature (scipy's quad_vec) of that dense A(s), independently of how
    the integrator advanced C.
    """
    from scipy.integrate import quad_vec, solve_ivp

    p = parse_instance(inst)
    kappa = p.system.rule.parameter_values["mirror_rate"]
    sol = solve_ivp(lambda t, y: p.system(y), (0.0, p.t_max), p.y0, method="DOP853", rtol=1e-12,
                    atol=1e-14, dense_output=True)
    ts = np.linspace(0.0, p.t_max, 11)[1:]
    states = [p.system.unpack(sol.sol(t)) for t in ts]
    scale = max(max(float(np.abs(M).max()) for M in W + C) for W, C in states)
    # A_(h+1) as a slice of the dense state (what unpack views), the dense state evaluated once
    # per node: quad_vec's nodes on [0, t] are shared by every h until their subdivisions differ
    ends = np.cumsum([0] + [a * b for a, b in p.system.state_shapes])
    dense = functools.lru_cache(maxsize=None)(sol.sol)
    worst = 0.0
    for t, (_, C) in zip(ts, states):
        for h in range(len(p.feedback)):
            shape = p.system.state_shapes[h + 1]

            def integrand(s, h=h, t=t, shape=shape):
                return np.exp(-kappa * (t - s)) * dense(s)[ends[h + 1]:ends[h + 2]].reshape(shape).T
            integral, _ = quad_vec(integrand, 0.0, t, epsabs=1e-14, epsrel=1e-13)
            voc = np.exp(-kappa * t) * p.feedback[h] + kappa * integral
            worst = max(worst, float(np.abs(C[h] - voc).max()) / scale)
    return worst


# -- the trainer ---------------------------------------------------------------------------------
def trainer_instance(rng) -> dict:
    hidden = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 3)))]
    n_in, n_out, m = int(rng.integers(1, 5)), int(rng.integers(1, 4)), 40
    X = rng.normal(size=(n_in, m))
    Y = rng.normal(size=(n_out, n_in)) @ X + 0.3 * rng.normal(size=(n_out, m))
    return mt.to_jsonable({"hidden": hidden, "X": X, "Y": Y, "seed": int(rng.integers(0, 2**31))})


def _net(inst):
    from ..trainer import TrainConfig
    from ..trainer._build import make_network

    X, Y = np.asarray(inst["X"]), np.asarray(inst["Y"])
    cfg = TrainConfig(rule=ID, hidden=tuple(inst["hidden"]), activation="linear", output="linear",
                      bias=False, dtype="float64", seed=inst["seed"], dataset="teacher", lr_decay=0.0)
    return make_network(cfg, X.shape[0], Y.shape[0]), X, Y


def _mirror_phase(net):
    """Run the trainer's mirror phase once (the step applied after every mini-batch)."""
    phase = getattr(net, "provider_family", None)
    if phase is not None and hasattr(phase, "after_batch"):
        phase.after_batch(net.learning_rate())
        return
    net.mirror_phase()  # the trainer's own method where it has one


def probe_mean_z(inst, repeats: int = 300) -> float:
    """max |z| over entries of mean_r[(C' - C)/eta] - (A^T - C), from one fixed state.

    The trainer's phase is run ``repeats`` times from the same C_h (A fixed: no learning step);
    z divides the mean's deviation from the averaged drift A_{h+1}^T - C_h by its standard
    error estimated from the same draws.
    """
    net, _, _ = _net(inst)
    A = [np.array(W) for W in net.weights]
    C0 = [np.array(C) for C in net.feedback]
    eta = float(net.family.defaults["mirror_lr"]) if hasattr(net, "family") else None
    rates = []
    for _ in range(repeats):
        for h, C in enumerate(C0):
            net.feedback[h][...] = C
        _mirror_phase(net)
        rates.append([(np.array(net.feedback[h]) - C0[h]) / eta for h in range(len(C0))])
    worst = 0.0
    for h in range(len(C0)):
        R = np.array([r[h] for r in rates])
        se = R.std(axis=0, ddof=1) / np.sqrt(repeats)
        dev = np.abs(R.mean(axis=0) - (A[h + 1].T - C0[h]))
        worst = max(worst, float(np.max(dev / np.maximum(se, 1e-300))))
    return worst


def trainer_field_error(inst) -> float:
    """The trainer's batch-mean A update (linear units, before the mirror phase) vs the
    weight-mirror field's dA/dt at the same (A, C): relative to the field's largest entry."""
    from ..core._field import LinearSystem
    from ..core._stats import DataStats

    net, X, Y = _net(inst)
    O = net.forward(X)
    dA = net.batch_updates(O, net.backward(O, Y))[0]
    layers = [X.shape[0]] + list(inst["hidden"]) + [Y.shape[0]]
    system = LinearSystem.create(layers, ID, DataStats.from_samples(X, Y))
    vA, _ = system.velocity(net.weights, net.feedback)
    return max(float(np.abs(a - b).max()) for a, b in zip(dA, vA)) / max(float(np.abs(b).max()) for b in vA)


def _sym_halves(layers) -> list:
    """[derived weight-mirror dA - derived RBP dA, derived dC - kappa (A^T - C)] (kappa a symbol)."""
    from ..core._rules import get_rule
    from ..symbolic import derive_ode

    rule = get_rule(ID).symbolic("mirror_rate")
    s = derive_ode(list(layers), rule)
    r = derive_ode(list(layers), "rbp")  # same symbols c{h}_ij for its fixed feedback
    kappa = rule.parameter_values["mirror_rate"]
    out = [sp.expand(a - b) for a, b in zip(s.field[:len(r.field)], r.field)]
    for h in range(len(layers) - 2):
        want = kappa * (s.weights[h + 1].T - s.feedback[h])
        out += [sp.expand(a - b) for a, b in zip(s.dC[h], want)]
    return out


def _symbolic_checks():
    from ._symbolic import identity_checks_over_layers

    return identity_checks_over_layers("symbolic: dA/dt = RBP field, dC_h/dt = kappa (A_(h+1)^T - C_h)", _sym_halves)


register(Claim(
    id=ID,
    title=r"Weight mirrors: $dC_h/dt = \kappa (A_{h+1}^T - C_h)$ beside the RBP field",
    reference="docs/theory.md section 10 (Akrout et al. 2019)",
    statement=(r"The mirror step $C \leftarrow (1 - \eta) C + \eta\, x (A x)^T$, $x \sim N(0, I)$, "
               r"has mean $(1 - \eta) C + \eta A^T$; averaged, $dC_h/dt = \kappa (A_{h+1}^T - "
               "C_h)$ while $A$ follows RBP."),
    checks=_symbolic_checks() + [
        Check("trainer-mirror-step-mean-over-probe-noise", Z_TOL, trainer_instance, error=probe_mean_z,
              samples=4),
        Check("trainer-linear-vs-averaged-field", FIELD_TOL, trainer_instance, error=trainer_field_error,
              samples=6),
        Check("feedback-variation-of-constants-along-trajectories", VOC_TOL, random_instance,
              error=variation_of_constants_error, samples=6),
    ],
))
