"""Teacher-student claims checked without SGD (the theory page, section 11): `ts-integrals`,
`ts-eps-g`, `ts-linear-bridge`, `ts-linear-drift`, `ts-arbp-offset`."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..teacher_student import (TSModel, generalisation_error, integrate_ts, moments, parse_ts_instance,
                               simulate_sgd, ts_rule)
from ..teacher_student._integrals import activation, derivative
from . import ts_symbolic as S
from ._symbolic import identity_check as I

REF = "theory page, section 11"
Z_TOL = 4.5          # standard errors: P(|z| > 4.5) = 7e-6 per entry, ~1e-3 over 184 entries
MC_SAMPLES = 1_000_000


def _random_cov(rng, P, scale=1.0):
    X = rng.normal(size=(P, P + 2))
    return scale * X @ X.T / (P + 2)


# -- ts-integrals ----------------------------------------------------------------------------------
def integrals_instance(rng) -> dict:
    return {"C": _random_cov(rng, 4).tolist(), "seed": int(rng.integers(2 ** 31))}


def integrals_z(inst) -> float:
    """max |closed form - Monte Carlo| / standard error over every entry of I2, J2, I3, I4."""
    C = np.array(inst["C"])
    K, P = 2, 4
    I2, J2, I3, I4 = moments(C, K, "erf")
    rng = np.random.default_rng(inst["seed"])
    u = rng.standard_normal((MC_SAMPLES, P)) @ np.linalg.cholesky(C + 1e-14 * np.eye(P)).T
    g, gp = activation("erf", u), derivative("erf", u[:, :K])
    n = MC_SAMPLES
    worst = 0.0

    def z(mean_prod, sq_prod, exact):
        se = np.sqrt(np.maximum(sq_prod - mean_prod ** 2, 1e-300) / n)
        return float(np.max(np.abs(mean_prod - exact) / se))

    worst = max(worst, z(g.T @ g / n, (g ** 2).T @ (g ** 2) / n, I2))
    worst = max(worst, z(gp.T @ gp / n, (gp ** 2).T @ (gp ** 2) / n, J2))
    for a in range(K):
        w = u * gp[:, a:a + 1]
        worst = max(worst, z(w.T @ g / n, (w ** 2).T @ (g ** 2) / n, I3[a]))
        for b in range(K):
            w2 = gp[:, a] * gp[:, b]
            gw = g * w2[:, None]
            worst = max(worst, z(gw.T @ g / n, (gw ** 2).T @ (g ** 2) / n, I4[a, b]))
    return worst


# -- ts-eps-g -------------------------------------------------------------------------------------
def eps_instance(rng) -> dict:
    K, M, N = 3, 2, 200
    return {"W": rng.normal(size=(K, N)).tolist(), "Ws": rng.normal(size=(M, N)).tolist(),
            "v": rng.normal(size=K).tolist(), "A": rng.normal(size=M).tolist(),
            "seed": int(rng.integers(2 ** 31))}


def eps_z(inst, samples: int = 400_000) -> float:
    """|closed-form eps_g - Monte Carlo over fresh Gaussian inputs| / standard error.

    For x ~ N(0, Id_N) the local fields u = (W x, W* x) / sqrt N are exactly N(0, C) with
    C = [W; W*] [W; W*]^T / N, and phi(x) - phi*(x) is a function of u: the Monte Carlo draws
    u = C^(1/2) z, z ~ N(0, Id_{K+M}) (the same law as drawing x, at (K+M) numbers a sample
    instead of N), and averages 1/2 (v^T g(lambda) - A^T g(nu))^2."""
    W, Ws, v, A = (np.array(inst[k]) for k in ("W", "Ws", "v", "A"))
    N, K = W.shape[1], W.shape[0]
    exact = generalisation_error(W @ W.T / N, W @ Ws.T / N, Ws @ Ws.T / N, v, A, "erf")
    Wall = np.vstack([W, Ws])
    w, V = np.linalg.eigh(Wall @ Wall.T / N)
    L = (V * np.sqrt(np.clip(w, 0, None))) @ V.T
    rng = np.random.default_rng(inst["seed"])
    vals = []
    for _ in range(samples // 50_000):
        u = rng.standard_normal((50_000, Wall.shape[0])) @ L.T
        d = activation("erf", u[:, :K]) @ v - activation("erf", u[:, K:]) @ A
        vals.append(0.5 * d ** 2)
    vals = np.concatenate(vals)
    return abs(vals.mean() - exact) / (vals.std() / math.sqrt(len(vals)))


# -- ts-linear-bridge -----------------------------------------------------------------------------
def bridge_instance(rng) -> dict:
    n, K, M = int(rng.integers(4, 9)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    return {"rule": str(rng.choice(["bp", "rbp"])), "eta": float(rng.choice([1.0, 0.3])),
            "A1": (rng.normal(size=(K, n)) / math.sqrt(n)).tolist(),
            "A1s": (rng.normal(size=(M, n)) / math.sqrt(n)).tolist(),
            "v": rng.normal(size=K).tolist(), "A": rng.normal(size=M).tolist(),
            "b": rng.normal(size=K).tolist(), "tau_max": 10.0}


def bridge_gap(inst) -> float:
    """max over tau of |(Q, R, v) of section 0's flow - the linear first-order teacher-student
    flow at t = tau / eta| (both at rtol 1e-10)."""
    from ..instances._instance import parse_instance
    from ..integration._lean import integrate_to_end

    A1, A1s = np.array(inst["A1"]), np.array(inst["A1s"])
    v, A, b = np.array(inst["v"]), np.array(inst["A"]), np.array(inst["b"])
    K, n = A1.shape
    rule, eta = inst["rule"], inst["eta"]
    lin = parse_instance({"layers": [n, K, 1], "rule": rule, "sigma_ii": np.eye(n).tolist(),
                          "sigma_ti": (A @ A1s)[None, :].tolist(),
                          "feedback": [] if rule == "bp" else [b[:, None].tolist()],
                          "weights": [A1.tolist(), v[None, :].tolist()]})
    taus = np.linspace(0, inst["tau_max"], 11)
    res = integrate_to_end(lin.system, lin.y0, taus[-1], rtol=1e-10, conv_tol=0.0, t_eval=taus)
    ts = _ts_from(rule, "linear", eta, 0.0, A1 @ A1.T, A1 @ A1s.T, A1s @ A1s.T, v, A, b, taus[-1] / eta)
    ts.model.second_order = False
    out = integrate_ts(ts, taus / eta, rtol=1e-10, atol=1e-14)
    worst = 0.0
    for k, y in enumerate(res.ys):
        Ws, _ = lin.system.unpack(y)
        Q, R, vv = Ws[0] @ Ws[0].T, Ws[0] @ A1s.T, Ws[1][0]
        scale = max(1.0, np.abs(Q).max(), np.abs(vv).max())
        gap = max(np.abs(Q - out["Q"][k]).max(), np.abs(R - out["R"][k]).max(), np.abs(vv - out["v"][k]).max())
        worst = max(worst, gap / scale)
    return worst


def _ts_from(rule, act, eta, sigma, Q, R, T, v, A, b, t_max):
    d = {"model": "teacher-student", "activation": act, "rule": rule, "eta": eta, "sigma": sigma,
         "Q": np.asarray(Q).tolist(), "R": np.asarray(R).tolist(), "T": np.asarray(T).tolist(),
         "v": np.asarray(v).tolist(), "A": np.asarray(A).tolist(), "t_max": float(t_max)}
    if ts_rule(rule, len(v)).has_feedback:
        d["b"] = np.asarray(b).tolist()
    return parse_ts_instance(d)


# -- ts-linear-drift ------------------------------------------------------------------------------
def drift_instance(rng) -> dict:
    K, M = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    X = rng.normal(size=(K + M, K + M + 3))
    C = X @ X.T / (K + M + 3)
    return {"rule": str(rng.choice(["bp", "rbp", "srbp"])), "eta": float(rng.uniform(0.1, 2.0)),
            "sigma": float(rng.uniform(0, 1)), "C": C.tolist(), "K": K,
            "v": rng.normal(size=K).tolist(), "A": rng.normal(size=M).tolist(), "b": rng.normal(size=K).tolist()}


def drift_residual(inst) -> float:
    """|d/dt(f v^T + v f^T - Q) + eta^2 (2 eps_g + sigma^2) f f^T| / scale from the toolkit's field,
    f = b (FA) or v (BP: d/dt(v v^T - Q))."""
    C, K = np.array(inst["C"]), inst["K"]
    v, A, b = np.array(inst["v"]), np.array(inst["A"]), np.array(inst["b"])
    rule, eta, sigma = inst["rule"], inst["eta"], inst["sigma"]
    Q, R, T = C[:K, :K], C[:K, K:], C[K:, K:]
    tsr = ts_rule(rule, K)
    model = TSModel("linear", tsr, eta, sigma, T, A, feedback=b if tsr.has_feedback else None)
    dQ, dR, dv, _ = model.rates(Q, R, v, b if tsr.has_feedback else None)
    eps = generalisation_error(Q, R, T, v, A, "linear")
    if rule == "bp":
        lhs = np.outer(dv, v) + np.outer(v, dv) - dQ
        rhs = -eta ** 2 * (2 * eps + sigma ** 2) * np.outer(v, v)
    else:
        lhs = np.outer(b, dv) + np.outer(dv, b) - dQ
        rhs = -eta ** 2 * (2 * eps + sigma ** 2) * np.outer(b, b)
    scale = max(1.0, np.abs(dQ).max(), np.abs(rhs).max())
    return float(np.abs(lhs - rhs).max() / scale)


# -- ts-arbp-offset -------------------------------------------------------------------------------
def arbp_instance(rng) -> dict:
    K, M = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    X = rng.normal(size=(K + M, K + M + 2))
    C = X @ X.T / (K + M + 2)
    return {"C": C.tolist(), "K": K, "v": rng.normal(size=K).tolist(), "A": rng.normal(size=M).tolist(),
            "b": rng.normal(size=K).tolist(), "sigma": float(rng.uniform(0, 0.5)),
            "activation": str(rng.choice(["erf", "linear"])), "seed": int(rng.integers(2 ** 31))}


def _arbp(inst):
    C, K = np.array(inst["C"]), inst["K"]
    return _ts_from("arbp", inst["activation"], 0.5, inst["sigma"], C[:K, :K], C[:K, K:], C[K:, K:],
                    inst["v"], inst["A"], inst["b"], 5.0)


def arbp_ode_drift(inst) -> float:
    """max over t <= 5 of |(b - v)(t) - (b - v)(0)| / max(1, |v|, |b|) along the ODE."""
    out = integrate_ts(_arbp(inst), np.linspace(0, 5, 11))
    d0 = np.array(out["b"][0]) - np.array(out["v"][0])
    return max(float(np.abs(np.array(b) - np.array(v) - d0).max() / max(1, np.abs(v).max(), np.abs(b).max()))
               for b, v in zip(out["b"], out["v"]))


def arbp_sgd_drift(inst) -> float:
    """The same along one SGD run (N = 100, t <= 2): b and v take the same step. The run is the
    order-parameter chain (``method="order-parameters"``), the network's process exactly in law:
    its v and b steps are the network's, g(lambda) Delta plus the rule's drifts."""
    out = simulate_sgd(_arbp(inst), 100, [inst["seed"]], [0.0, 1.0, 2.0], method="order-parameters")
    b, v = np.array(out["b"][0]), np.array(out["v"][0])
    d = b - v
    return float(np.abs(d - d[0]).max() / max(1, np.abs(v).max(), np.abs(b).max()))


register(Claim(
    id="ts-integrals", title="teacher-student: closed forms of the Gaussian integrals (erf)", reference=REF,
    statement=(r"For $g(z) = \mathrm{erf}(z/\sqrt{2})$ the integrals $I_2$, $J_2$, $I_3$, $I_4$ of "
               "jointly Gaussian local fields have the closed forms of section 11 ($I_3$: first "
               "index $g'$, second linear, third $g$)."),
    checks=[I("symbolic: Price's theorem dI2(a,b)/dC_ab = J2(a,b)", S.price_i2),
            I("symbolic: Stein's lemma, C_ab = 0: I3(a,b,c) = C_bc J2(a,c)", S.stein_i3),
            I("symbolic: (c, d) independent of (a, b): I4(a,b,c,d) = J2(a,b) I2(c,d)", S.independent_i4),
            Check("monte-carlo-z", Z_TOL, integrals_instance, error=integrals_z, samples=1)],
))
register(Claim(
    id="ts-eps-g", title="teacher-student: generalisation error from the order parameters", reference=REF,
    statement=(r"$\epsilon_g = \frac{1}{2} a^T I_2\, a$ with $a = (-v, A)$, exact at any $N$ for "
               "Gaussian inputs."),
    checks=[I("symbolic: g linear, 1/2 a^T C a = 1/2 |A^T A_1* - v^T A_1|^2 (section 0's Err)", S.linear_eps_g),
            Check("monte-carlo-z", Z_TOL, eps_instance, error=eps_z, samples=1)],
))
register(Claim(
    id="ts-linear-bridge", title=("teacher-student, $g$ linear: first-order flow = section 0's "
                                  "flow"), reference=REF,
    statement=(r"For $g(z) = z$ the $\eta$-linear part of the teacher-student ODEs is the averaged "
               "flow of $A[N, K, 1]$ ($S_{II} = I$, $S_{TI} = A^T A_1^*$) projected on $(Q, R, "
               r"v)$, in time $\tau = \eta t$."),
    checks=[I("symbolic: A[3,2,1], M = 2, bp: section 0's derived flow projected = first-order rates",
              lambda: S.bridge_residual(3, 2, 2, "bp")),
            I("symbolic: A[3,2,1], M = 2, rbp: section 0's derived flow projected = first-order rates",
              lambda: S.bridge_residual(3, 2, 2, "rbp")),
            Check("section0-vs-ts-ode", 1e-7, bridge_instance, error=bridge_gap, samples=3)],
))
register(Claim(
    id="ts-linear-drift", title="teacher-student, $g$ linear: drift of the conserved matrix", reference=REF,
    statement=(r"$\frac{d}{dt}(b v^T + v b^T - Q) = -\eta^2 (2 \epsilon_g + \sigma^2)\, b b^T$ "
               r"(FA); $\frac{d}{dt}(v v^T - Q) = -\eta^2 (2 \epsilon_g + \sigma^2)\, v v^T$ (BP)."),
    checks=[I("symbolic: K = M = 2, FA drift identity (ODE summed as printed)", lambda: S.drift_residual(2, 2, "b")),
            I("symbolic: K = M = 2, BP drift identity (ODE summed as printed)", lambda: S.drift_residual(2, 2, "v")),
            Check("field-identity", 1e-12, drift_instance, error=drift_residual, samples=50)],
))
register(Claim(
    id="ts-arbp-offset", title="teacher-student ARBP: $b - v$ is constant", reference=REF,
    statement=("Under ARBP (two layers) the feedback takes exactly the step of $v$, so $b - v$ is "
               "constant in the ODE and along SGD."),
    checks=[I("symbolic: the rule's feedback step O_1 delta_2^T = (delta_2 O_1^T)^T", S.arbp_feedback_step),
            Check("ode", 1e-12, arbp_instance, error=arbp_ode_drift, samples=4),
            Check("sgd", 1e-12, arbp_instance, error=arbp_sgd_drift, samples=2)],
))
