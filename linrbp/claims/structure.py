"""`structure`: identities about the learning rules ([BSL] sections 3 and 6; docs/theory.md 8).

Facts 1-4 are checked on the per-example rule (``linrbp.core._rules``) with random data columns,
the RBP/SRBP equivalences and ARBP's conservation law on the averaged field, and the cost of
the backward pass by counting the multiplications the rule performs.
"""

from __future__ import annotations

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..core._field import LinearSystem
from ..instances._instance import parse_instance
from ..core._rules import BSL_RULES as RULES, feedback_shapes, get_rule
from ..core._rule_run import backward_signals, updates
from ..core._stats import DataStats
from . import _matrix_tools as mt

ID = "structure"


def _layers(rng, depth=None, width=(1, 5)):
    L = int(rng.integers(2, 5)) if depth is None else depth
    return [int(n) for n in rng.integers(width[0], width[1] + 1, size=L + 1)]


def _per_example(rng, layers=None):
    """A network, feedback for every rule, one batch of examples and optional f'(S_h)."""
    layers = _layers(rng) if layers is None else layers
    m = 3
    return mt.to_jsonable({
        "layers": layers,
        "weights": mt.random_weights(rng, layers, 1.0),
        "feedback": {r: [rng.normal(size=s) for s in feedback_shapes(layers, r)] for r in RULES},
        "inputs": rng.normal(size=(layers[0], m)),
        "targets": rng.normal(size=(layers[-1], m)),
        "derivatives": ([rng.uniform(0.1, 1.0, size=(layers[h], m)) for h in range(1, len(layers) - 1)]
                        if rng.random() < 0.5 else None),
    })


def _rule_updates(inst, rule, sign=1.0, zero=False):
    W = [np.array(A) for A in inst["weights"]]
    acts = [np.array(inst["inputs"])]
    for A in W:
        acts.append(A @ acts[-1])
    delta = sign * (np.array(inst["targets"]) - acts[-1])
    if zero:
        delta = np.zeros_like(delta)
    der = inst["derivatives"]
    der = None if der is None else [np.array(D) for D in der]
    fb = [np.array(C) for C in inst["feedback"][rule]]
    deltas = backward_signals(rule, W, fb, delta, derivatives=der)
    return updates(rule, deltas, acts)


def _scale(mats):
    return max([np.abs(M).max() for M in mats] + [np.finfo(float).tiny])


def fact1_error(inst) -> float:
    """max over rules of |dA_L(rule) - dA_L(bp)| / |dA_L(bp)|."""
    ref = _rule_updates(inst, "bp")[0][-1]
    return max(float(np.abs(_rule_updates(inst, r)[0][-1] - ref).max()) / _scale([ref]) for r in RULES)


def fact2_error(inst) -> float:
    """max over rules and layers of |u(-delta) + u(delta)| / |u(delta)| (updates dA and dC)."""
    worst = 0.0
    for r in RULES:
        (a, c), (an, cn) = _rule_updates(inst, r), _rule_updates(inst, r, sign=-1.0)
        plus = a + c
        worst = max(worst, max(float(np.abs(x + y).max()) for x, y in zip(plus, an + cn)) / _scale(plus))
    return worst


def fact3_error(inst) -> float:
    """max |update| over rules and layers when T - O = 0."""
    return max(float(np.abs(M).max()) for r in RULES for M in sum(_rule_updates(inst, r, zero=True), []))


def _fact4_instance(rng):
    layers = [int(rng.integers(1, 6)), int(rng.integers(1, 6)), 1]
    inst = _per_example(rng, layers)
    inst["inputs"] = [row[:1] for row in inst["inputs"]]  # one example
    inst["targets"] = [row[:1] for row in inst["targets"]]
    if inst["derivatives"] is not None:
        inst["derivatives"] = [[row[:1] for row in D] for D in inst["derivatives"]]
    A2 = np.array(inst["weights"][1])
    # Feedback congruent in sign to A2^T, magnitudes unrelated.
    C = np.sign(A2.T) * rng.uniform(0.1, 2.0, size=A2.T.shape)
    for r in ("rbp", "srbp", "arbp", "asrbp"):
        inst["feedback"][r] = [C.tolist()]
    return inst


def fact4_error(inst) -> float:
    """max(0, -min(dA1(rule) * dA1(bp))) / |dA1(bp)|^2: 0 iff same orthant entrywise."""
    ref = _rule_updates(inst, "bp")[0][0]
    worst = 0.0
    for r in ("rbp", "srbp", "arbp", "asrbp"):
        prod = _rule_updates(inst, r)[0][0] * ref
        worst = max(worst, max(0.0, -float(prod.min())) / _scale([ref]) ** 2)
    return worst


def _averaged_instance(rng, layers):
    S = mt.random_spd(rng, layers[0])
    T = rng.normal(size=(layers[-1], layers[0]))
    return {"layers": layers, "sigma_ii": S.tolist(), "sigma_ti": T.tolist(),
            "weights": [W.tolist() for W in mt.random_weights(rng, layers, 1.0)],
            "chain": [rng.normal(size=(layers[h], layers[h + 1])).tolist() for h in range(1, len(layers) - 1)]}


def _field(inst, rule, feedback):
    stats = DataStats.from_matrices(inst["sigma_ii"], inst["sigma_ti"])
    s = LinearSystem.create(inst["layers"], rule, stats, feedback)
    return s(s.pack([np.array(W) for W in inst["weights"]]))


def rbp_srbp_one_hidden_error(inst) -> float:
    """L = 2: |f_rbp - f_srbp| / |f_rbp| with the same C1."""
    C = [np.array(inst["chain"][0])]
    f1, f2 = _field(inst, "rbp", C), _field(inst, "srbp", C)
    return float(np.abs(f1 - f2).max() / _scale([f1]))


def rbp_srbp_equal_width_error(inst) -> float:
    """Equal widths: RBP with C_h equals SRBP with C_h C_{h+1} ... C_{L-1}."""
    C = [np.array(M) for M in inst["chain"]]
    skipped = []
    for h in range(len(C)):
        M = C[h]
        for K in C[h + 1:]:
            M = M @ K
        skipped.append(M)
    f1, f2 = _field(inst, "rbp", C), _field(inst, "srbp", skipped)
    return float(np.abs(f1 - f2).max() / _scale([f1]))


def _arbp_instance(rng, layers=None):
    layers = _layers(rng, depth=3, width=(1, 4)) if layers is None else layers
    S = mt.random_spd(rng, layers[0])
    T = rng.normal(size=(layers[-1], layers[0])) / np.sqrt(layers[0])
    fb = [0.5 * rng.normal(size=s) for s in feedback_shapes(layers, "arbp")]
    return mt.instance(layers, "arbp", S, T, fb, mt.random_weights(rng, layers, 0.5), t_max=20.0)


def arbp_rate_error(inst) -> float:
    """|dC_h/dt - (dA_{h+1}/dt)^T| / |dA/dt| at the start, every h."""
    p = parse_instance(inst)
    dA, dC = p.system.velocity(p.weights, p.feedback)
    diff = max(float(np.abs(dC[h] - dA[h + 1].T).max()) for h in range(len(dC)))
    return diff / _scale(dA)


def arbp_drift_errors(instances) -> list[float]:
    """|(C_h - A_{h+1}^T)(t) - (C_h - A_{h+1}^T)(0)| / max(|C_h|, |A_{h+1}|), to t_max."""
    out = []
    for p, status, w, fb in mt.run(instances):
        worst = 0.0
        for h in range(len(fb)):
            d0 = p.feedback[h] - p.weights[h + 1].T
            d1 = fb[h] - w[h + 1].T
            scale = max(np.abs(M).max() for M in (p.feedback[h], fb[h], p.weights[h + 1], w[h + 1]))
            worst = max(worst, float(np.abs(d1 - d0).max() / scale))
        out.append(np.inf if status == "diverged" else worst)
    return out


class CountingMatrix:
    """A matrix that counts the scalar multiplications of every ``@`` it takes part in."""

    def __init__(self, array, counter):
        self.array, self.counter = np.asarray(array, dtype=float), counter

    def swapaxes(self, a, b):
        return CountingMatrix(self.array.swapaxes(a, b), self.counter)

    def __matmul__(self, other):
        (m, k), n = self.array.shape, other.array.shape[1]
        self.counter[0] += m * k * n
        return CountingMatrix(self.array @ other.array, self.counter)


def backward_multiplications(rule, layers, rng=None) -> int:
    """Multiplications :func:`linrbp.backward_signals` performs for one example."""
    rng = np.random.default_rng(0) if rng is None else rng
    counter = [0]
    W = [CountingMatrix(M, counter) for M in mt.random_weights(rng, layers)]
    C = [CountingMatrix(rng.normal(size=s), counter) for s in feedback_shapes(layers, rule)]
    backward_signals(rule, W, C, CountingMatrix(rng.normal(size=(layers[-1], 1)), counter))
    return counter[0]


def cost_formula(rule, layers) -> int:
    """sum_{h<L} N_h N_{h+1} (= W - N_1 N_0) for chained rules, W' = sum_{h<L} N_h N_L skipped."""
    L = len(layers) - 1
    if get_rule(rule).source == "top":
        return sum(layers[h] * layers[L] for h in range(1, L))
    return sum(layers[h] * layers[h + 1] for h in range(1, L))


def cost_error(inst) -> float:
    """max over rules of |counted - formula| (exact integers)."""
    layers = inst["layers"]
    return float(max(abs(backward_multiplications(r, layers) - cost_formula(r, layers)) for r in RULES))


def _cost_instance(rng):
    return {"layers": _layers(rng, depth=int(rng.integers(1, 7)), width=(1, 9))}


def _equal_width_instance(rng):
    N = int(rng.integers(1, 6))
    return _averaged_instance(rng, [N] * (int(rng.integers(3, 6)) + 1))


def _one_hidden_instance(rng):
    return _averaged_instance(rng, _layers(rng, depth=2))


CLAIM = register(Claim(
    id=ID,
    title="Structural identities of the learning rules",
    reference="[BSL] sections 3 and 6",
    statement=("Fact 1: the top update is the same under every rule; Fact 2: flipping $T - O$ "
               "flips every update; Fact 3: $T - O = 0$ gives no update; Fact 4: $A[N_0,N_1,1]$ "
               "with feedback congruent in sign to $A_2^T$ updates $A_1$ in the gradient's "
               r"orthant; RBP = SRBP for $L = 2$ and, with equal widths, $\mathrm{RBP}(C_h) = "
               r"\mathrm{SRBP}(C_h \cdots C_{L-1})$; ARBP conserves $C_h - A_{h+1}^T$; the "
               r"backward pass costs $\sum_{h<L} N_h N_{h+1}$ ($= W - N_1 N_0$) multiplications "
               r"under BP/RBP and $W' = \sum_{h<L} N_h N_L$ under SRBP."),
    checks=[
        Check("Fact 1: top-layer update identical under every rule", 0.0, _per_example,
              error=fact1_error, samples=30, strategy=lambda: mt.seeds_strategy(_per_example)),
        Check("Fact 2: -(T - O) gives -(every update), with and without f'", 0.0, _per_example,
              error=fact2_error, samples=30, strategy=lambda: mt.seeds_strategy(_per_example)),
        Check("Fact 3: T - O = 0 gives zero updates", 0.0, _per_example, error=fact3_error,
              samples=30, strategy=lambda: mt.seeds_strategy(_per_example)),
        Check("Fact 4: sign-congruent feedback keeps dA1 in the gradient's orthant", 0.0,
              _fact4_instance, error=fact4_error, samples=50,
              strategy=lambda: mt.seeds_strategy(_fact4_instance)),
        Check("consistency: RBP = SRBP with one hidden layer (averaged field; one backward step, same code)", mt.IDENTITY_TOL,
              _one_hidden_instance, error=rbp_srbp_one_hidden_error, samples=30,
              strategy=lambda: mt.seeds_strategy(_one_hidden_instance)),
        Check("equal widths: RBP(C_h) = SRBP(C_h ... C_{L-1}) (averaged field)", mt.IDENTITY_TOL,
              _equal_width_instance, error=rbp_srbp_equal_width_error, samples=30,
              strategy=lambda: mt.seeds_strategy(_equal_width_instance)),
        Check("ARBP: dC_h/dt = (dA_{h+1}/dt)^T along the field", mt.IDENTITY_TOL,
              _arbp_instance, error=arbp_rate_error, samples=30,
              strategy=lambda: mt.seeds_strategy(_arbp_instance)),
        Check("ARBP: C_h - A_{h+1}^T drifts < 1e-9 along trajectories (A[3,2,3,2], t <= 20)",
              mt.DRIFT_TOL, lambda rng: _arbp_instance(rng, [3, 2, 3, 2]), errors=arbp_drift_errors,
              samples=4,
              strategy=lambda: mt.seeds_strategy(_arbp_instance)),
        Check("backward-pass multiplications counted = sum_{h<L} N_h N_{h+1} (chained), W' (skipped)",
              0.0, _cost_instance, error=cost_error, samples=30,
              strategy=lambda: mt.seeds_strategy(_cost_instance)),
    ],
))
