"""Teacher-student claims checked against finite-N SGD or along the ODE (the theory page,
section 11): `ts-ode-vs-sgd`, `ts-i3-index`, `ts-align-then-memorise`.

The SGD runs are ``simulate_sgd(..., method="order-parameters")``: the network's SGD as a Markov
chain on (Q, R, v), exact in law at the same N (one step needs the input only through the local
fields u ~ N(0, C) and |x|^2 = |z|^2 + chi^2_{N-K-M}; linrbp.teacher_student._sgd_op derives it and
tests/test_teacher_student.py compares it with the network's one-step mean and its law at t = 1, 5),
so the checks' statistics, seeds, run counts, N and tolerances are the network's, at O((K+M)^3)
per step instead of O(N (K+M))."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..teacher_student import integrate_ts, simulate_sgd
from . import ts_symbolic as S
from ._symbolic import identity_check as I
from .ts_exact import REF, _ts_from

# ts-ode-vs-sgd: 16 seeds per N, eps_g gaps at t = 0.5, 1, 2, 5; N = 250 and 2000 (the ends of
# the measured range). Measured (the theory page's evidence): sqrt(N) x RMS between 0.06 and 1.14
# at every N and t, so 1.5 / sqrt(N) leaves a margin over the worst measured value (the RMS of 64
# gaps has a relative spread of about 1/sqrt(2 x 64) = 9%); an O(N^-1/2) gap predicts
# RMS(2000) = RMS(250) / 2.8, an O(1) bias would give / 1; the check asks for / 1.5.
SGD_SEEDS = 16
SGD_TIMES = (0.5, 1.0, 2.0, 5.0)
SGD_N = (250, 2000)
RMS_SCALE = 1.5
RATIO = 1.5
SGD_METHOD = "order-parameters"  # the network's process exactly in law (module docstring)


def _draw_start(rng, K, M, N0=1000, v_scale=1.0):
    """(Q, R, T, v, b) of weights with N(0, 1) entries in dimension N0, v and b ~ N(0, 1)."""
    W = rng.normal(size=(K + M, N0))
    C = W @ W.T / N0
    return C[:K, :K], C[:K, K:], C[K:, K:], v_scale * rng.normal(size=K), rng.normal(size=K)


def sgd_instance(rng) -> dict:
    K = int(rng.choice([2, 4]))
    Q, R, T, v, b = _draw_start(rng, K, 2)
    return {"K": K, "M": 2, "rule": str(rng.choice(["bp", "rbp"])), "Q": Q.tolist(), "R": R.tolist(),
            "T": T.tolist(), "v": v.tolist(), "b": b.tolist(),
            "seeds": [int(s) for s in rng.integers(2 ** 31, size=SGD_SEEDS)]}


def _instance(inst, t_max, i3_order="theory"):
    ts = _ts_from(inst["rule"], "erf", 1.0, 0.0, inst["Q"], inst["R"], inst["T"], inst["v"], [1.0] * inst["M"],
                  inst["b"], t_max)
    ts.model.i3_order = i3_order
    return ts


KEYS = ("eps_g", "Q", "R", "v")


def gap_table(inst, orders=("theory",)) -> dict:
    """{order: {N: {key: RMS over seeds, times and entries of SGD - ODE}}} for eps_g, Q, R, v;
    the SGD runs are shared by the ODE variants (``"swapped"``: I3's 2nd and 3rd indices exchanged)."""
    odes = {o: integrate_ts(_instance(inst, SGD_TIMES[-1], o), SGD_TIMES) for o in orders}
    out = {o: {} for o in orders}
    for N in SGD_N:
        sgd = simulate_sgd(_instance(inst, SGD_TIMES[-1]), N, inst["seeds"], SGD_TIMES, method=SGD_METHOD)
        for o, ode in odes.items():
            out[o][N] = {k: float(np.sqrt(np.mean((np.array(sgd[k]) - np.array(ode[k])[None]) ** 2))) for k in KEYS}
    return out


def error_from_gaps(g: dict) -> float:
    """max(max_N sqrt(N) RMS_N(eps_g) / 1.5, max over eps_g, Q, R, v of 1.5 RMS(2000) / RMS(250)):
    <= 1 iff eps_g's gap is within 1.5/sqrt(N) and every gap shrinks >= 1.5x from N = 250 to 2000.
    A wrong term of the ODE leaves an O(1) bias that does not shrink: with I3's indices swapped
    the Q gap shrinks only 1.2-1.3x (measured on the draws of seeds 0-2), the correct ODE's 3-4x."""
    lo, hi = SGD_N
    bound = max(math.sqrt(N) * g[N]["eps_g"] / RMS_SCALE for N in SGD_N)
    shrink = max(RATIO * g[hi][k] / g[lo][k] for k in KEYS)
    return max(bound, shrink)


def sgd_error(inst, i3_order="theory") -> float:
    """The check's error for one draw (see :func:`error_from_gaps`)."""
    return error_from_gaps(gap_table(inst, (i3_order,))[i3_order])


# ts-i3-index: students of norm 2 (Q = 4 Id), T = Id, R = 0 up to the draw, N = 2000, t <= 10.
I3_N = 2000
I3_TIMES = tuple(float(t) for t in np.linspace(0.5, 10, 20))


def i3_instance(rng) -> dict:
    K = M = 2
    W = rng.normal(size=(K + M, 1000))
    W /= np.linalg.norm(W, axis=1, keepdims=True) / math.sqrt(1000)
    W[:K] *= 2.0
    C = W @ W.T / 1000
    return {"K": K, "M": M, "rules": ["bp", "rbp"], "Q": C[:K, :K].tolist(),
            "R": C[:K, K:].tolist(), "T": C[K:, K:].tolist(), "v": rng.normal(size=K).tolist(),
            "b": rng.normal(size=K).tolist(), "seeds": [int(s) for s in rng.integers(2 ** 31, size=3)]}


def i3_ratio(inst) -> float:
    """mean over the 3 seeds of each rule (BP and FA, 6 runs) of max_t |Q_SGD - Q_ODE| with I3 as
    stated, over the same with I3's 2nd and 3rd indices swapped: the claim asks for <= 1/5.
    (Measured: BP separates the two readings by 10-30x, FA with some draws by under 2x; the
    statement is the pooled mean, as in the theory page's evidence.)"""
    gaps = {"theory": [], "swapped": []}
    for rule in inst["rules"]:
        one = dict(inst, rule=rule)
        Qs = np.array(simulate_sgd(_instance(one, I3_TIMES[-1]), I3_N, inst["seeds"], I3_TIMES,
                                   method=SGD_METHOD)["Q"])
        for order in ("theory", "swapped"):
            Qo = np.array(integrate_ts(_instance(one, I3_TIMES[-1], order), I3_TIMES)["Q"])
            gaps[order].extend(np.abs(Qs - Qo[None]).max(axis=(1, 2, 3)))
    return float(np.mean(gaps["theory"]) / np.mean(gaps["swapped"]))


# ts-align-then-memorise: FA, small v0, cos(v, b) reaches 0.9 while eps_g >= 0.95 eps_g(0).
ALIGN_TIMES = np.concatenate([[0.0], np.geomspace(1e-3, 60.0, 240)])


def align_instance(rng) -> dict:
    Q, R, T, _, b = _draw_start(rng, 2, 2)
    return {"K": 2, "M": 2, "rule": "rbp", "Q": Q.tolist(), "R": R.tolist(), "T": T.tolist(),
            "v": (1e-3 * rng.normal(size=2)).tolist(), "b": b.tolist(), "seeds": []}


def align_error(inst) -> float:
    """max(t_align / t_half, 0.95 eps_g(0) / eps_g(t_align)): <= 1 iff cos(v, b) >= 0.9 is
    reached no later than eps_g halves and while eps_g >= 0.95 eps_g(0) (grid of 240 log times)."""
    out = integrate_ts(_instance(inst, ALIGN_TIMES[-1]), ALIGN_TIMES)
    t = np.array(out["times"])
    eps = np.array(out["eps_g"])
    v, b = np.array(out["v"]), np.array(inst["b"])
    cos = v @ b / (np.linalg.norm(v, axis=1) * np.linalg.norm(b))
    hit = np.nonzero(cos >= 0.9)[0]
    if len(hit) == 0:
        return math.inf
    ka = int(hit[0])
    half = np.nonzero(eps <= 0.5 * eps[0])[0]
    t_half = t[half[0]] if len(half) else math.inf
    return float(max(t[ka] / t_half, 0.95 * eps[0] / eps[ka]))


register(Claim(
    id="ts-ode-vs-sgd", title=("teacher-student: SGD follows the order-parameter ODEs (gap "
                               "$O(N^{-1/2})$)"),
    reference=REF,
    statement=(r"Online SGD of the two-layer erf network ($\eta = 1$) follows the ODEs: over 16 "
               r"seeds the RMS of $\epsilon_g(\mathrm{SGD}) - \epsilon_g(\mathrm{ODE})$ at $t = "
               r"0.5, 1, 2, 5$ is $\leq 1.5/\sqrt{N}$ at $N = 250$ and 2000, and the RMS gaps of "
               r"$\epsilon_g$, $Q$, $R$ and $v$ shrink by $\geq 1.5\times$ from $N = 250$ to 2000 "
               "(a draw: $K = 2$ or 4, $M = 2$, BP or FA; error = the larger of the two ratios to "
               "their bounds). SGD is run as the order-parameter chain, the network's process "
               r"exactly in law at each $N$ (a step needs the input only through $u \sim N(0, C)$ "
               r"and $|x|^2 = |z|^2 + \chi^2_{N-K-M}$)."),
    checks=[I("symbolic: g linear, N = 3: mean SGD step = ODE rates / N, eta^2 term's a^T C a x (1 + 2/N)",
              S.sgd_mean_increment),
            Check("rms-gap-scaled", 1.0, sgd_instance, error=sgd_error, samples=1)],
))
register(Claim(
    id="ts-i3-index", title="teacher-student: $I_3$'s second index is the linear factor", reference=REF,
    statement=(r"With students of norm 2 ($N = 2000$, $t \leq 10$, BP and FA, 3 seeds each) the "
               r"ODE as stated tracks SGD's $Q$ at least $5\times$ closer than the reading with "
               "$I_3$'s second and third indices swapped (SGD run as the order-parameter chain, "
               "the network's process exactly in law). Measured: this holds at 25 of the draws of "
               "seeds 0-29; at the other 5 the two readings' ODEs differ by about SGD's own "
               "fluctuation at this $N$, and the stated reading is still the closer one (errata)."),
    checks=[I("symbolic: Stein's lemma, C_ab = 0: I3(a,b,c) = C_bc J2(a,c) (b the linear factor)", S.stein_i3),
            Check("stated-over-swapped-gap", 0.2, i3_instance, error=i3_ratio, samples=1)],
))
register(Claim(
    id="ts-align-then-memorise", title="teacher-student FA: align, then memorise", reference=REF,
    statement=(r"Under FA with small $v_0$ (erf, $K = M = 2$, $\eta = 1$), $\cos(v, b) \geq 0.9$ "
               r"is reached while $\epsilon_g \geq 0.95\, \epsilon_g(0)$, before $\epsilon_g$ "
               "halves (ODE)."),
    checks=[I("symbolic: at v = 0 the first layer is still under BP (f = v), any C", S.bp_first_layer_still_at_zero_v),
            Check("align-before-learn", 1.0, align_instance, error=align_error, samples=6)],
))
