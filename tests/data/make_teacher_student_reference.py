"""Independent reference values of eps_g(t) for the teacher-student ODEs (the theory page, section 11).

Written from the equations alone, without importing linrbp: scalar closed forms of I2, J2, I3,
I4 evaluated entry by entry in plain Python loops, the ODEs summed term by term as printed,
integrated by scipy's solve_ivp DOP853 at rtol 1e-12, atol 1e-14. Run

    python3 tests/data/make_teacher_student_reference.py

to rewrite tests/data/teacher_student_reference.json (cases with seeds 100..107; the tests
compare linrbp's integration against the stored values to 1e-6 relative).
"""

import json
import math
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

OUT = Path(__file__).with_name("teacher_student_reference.json")
TIMES = [0.0, 0.5, 2.0, 10.0]


def i2(act, c):  # c: 2x2
    if act == "linear":
        return c[0][1]
    return 2 / math.pi * math.asin(c[0][1] / math.sqrt((1 + c[0][0]) * (1 + c[1][1])))


def j2(act, c):
    if act == "linear":
        return 1.0
    return 2 / math.pi / math.sqrt((1 + c[0][0]) * (1 + c[1][1]) - c[0][1] ** 2)


def i3(act, c):  # c: 3x3, indices (g', linear, g)
    if act == "linear":
        return c[1][2]
    l3 = (1 + c[0][0]) * (1 + c[2][2]) - c[0][2] ** 2
    return 2 / math.pi / math.sqrt(l3) * (c[1][2] * (1 + c[0][0]) - c[0][1] * c[0][2]) / (1 + c[0][0])


def i4(act, c):
    if act == "linear":
        return c[2][3]
    l4 = (1 + c[0][0]) * (1 + c[1][1]) - c[0][1] ** 2
    l0 = (l4 * c[2][3] - c[1][2] * c[1][3] * (1 + c[0][0]) - c[0][2] * c[0][3] * (1 + c[1][1])
          + c[0][1] * c[0][2] * c[1][3] + c[0][1] * c[0][3] * c[1][2])
    l1 = l4 * (1 + c[2][2]) - c[1][2] ** 2 * (1 + c[0][0]) - c[0][2] ** 2 * (1 + c[1][1]) + 2 * c[0][1] * c[0][2] * c[1][2]
    l2 = l4 * (1 + c[3][3]) - c[1][3] ** 2 * (1 + c[0][0]) - c[0][3] ** 2 * (1 + c[1][1]) + 2 * c[0][1] * c[0][3] * c[1][3]
    x = max(-1.0, min(1.0, l0 / math.sqrt(l1 * l2)))
    return 4 / math.pi ** 2 / math.sqrt(l4) * math.asin(x)


def sub(C, idx):
    return [[C[a][b] for b in idx] for a in idx]


def rhs(case, y):
    K, M = case["K"], case["M"]
    act, eta, sigma, A, rule = case["activation"], case["eta"], case["sigma"], case["A"], case["rule"]
    Q = [[y[i * K + k] for k in range(K)] for i in range(K)]
    R = [[y[K * K + i * M + n] for n in range(M)] for i in range(K)]
    v = [y[K * K + K * M + i] for i in range(K)]
    T = case["T"]
    C = [[0.0] * (K + M) for _ in range(K + M)]
    for i in range(K):
        for k in range(K):
            C[i][k] = 0.5 * (Q[i][k] + Q[k][i])
        for n in range(M):
            C[i][K + n] = C[K + n][i] = R[i][n]
    for n in range(M):
        for m in range(M):
            C[K + n][K + m] = T[n][m]
    f = v if rule == "bp" else case["b"]
    dQ = [[0.0] * K for _ in range(K)]
    dR = [[0.0] * M for _ in range(M and K)]
    dR = [[0.0] * M for _ in range(K)]
    dv = [0.0] * K
    for i in range(K):
        for n in range(M):
            s = 0.0
            for m in range(M):
                s += A[m] * i3(act, sub(C, [i, K + n, K + m]))
            for j in range(K):
                s -= v[j] * i3(act, sub(C, [i, K + n, j]))
            dR[i][n] = eta * f[i] * s
    for i in range(K):
        for k in range(K):
            s = 0.0
            for m in range(M):
                s += f[i] * A[m] * i3(act, sub(C, [i, k, K + m])) + f[k] * A[m] * i3(act, sub(C, [k, i, K + m]))
            for j in range(K):
                s -= f[i] * v[j] * i3(act, sub(C, [i, k, j])) + f[k] * v[j] * i3(act, sub(C, [k, i, j]))
            q = 0.0
            for n in range(M):
                for m in range(M):
                    q += A[n] * A[m] * i4(act, sub(C, [i, k, K + n, K + m]))
            for j in range(K):
                for n in range(M):
                    q -= 2 * v[j] * A[n] * i4(act, sub(C, [i, k, j, K + n]))
            for j in range(K):
                for l in range(K):
                    q += v[j] * v[l] * i4(act, sub(C, [i, k, j, l]))
            q += sigma ** 2 * j2(act, sub(C, [i, k]))
            dQ[i][k] = eta * s + eta ** 2 * f[i] * f[k] * q
    for i in range(K):
        s = 0.0
        for n in range(M):
            s += A[n] * i2(act, sub(C, [i, K + n]))
        for j in range(K):
            s -= v[j] * i2(act, sub(C, [i, j]))
        dv[i] = eta * s
    return [x for r in dQ for x in r] + [x for r in dR for x in r] + dv


def eps_g(case, y):
    K, M = case["K"], case["M"]
    Q = np.array(y[:K * K]).reshape(K, K)
    R = np.array(y[K * K:K * K + K * M]).reshape(K, M)
    v = y[K * K + K * M:]
    C = np.block([[Q, R], [R.T, np.array(case["T"])]]).tolist()
    a = [-x for x in v] + list(case["A"])
    return 0.5 * sum(a[c] * a[d] * i2(case["activation"], sub(C, [c, d]))
                     for c in range(K + M) for d in range(K + M))


def make_case(seed, activation, rule, K, M, sigma, eta):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(K + M, 500))
    C = W @ W.T / 500
    case = {"seed": seed, "activation": activation, "rule": rule, "K": K, "M": M, "sigma": sigma, "eta": eta,
            "Q": C[:K, :K].tolist(), "R": C[:K, K:].tolist(), "T": C[K:, K:].tolist(),
            "v": rng.normal(size=K).tolist(), "A": rng.normal(size=M).tolist(), "b": rng.normal(size=K).tolist()}
    y0 = [x for r in case["Q"] for x in r] + [x for r in case["R"] for x in r] + case["v"]
    sol = solve_ivp(lambda t, y: rhs(case, list(y)), (0, TIMES[-1]), y0, method="DOP853", rtol=1e-12,
                    atol=1e-14, t_eval=TIMES)
    assert sol.status == 0
    case["times"] = TIMES
    case["eps_g"] = [eps_g(case, list(sol.y[:, j])) for j in range(len(TIMES))]
    return case


CASES = [(100, "erf", "bp", 2, 2, 0.0, 1.0), (101, "erf", "rbp", 3, 2, 0.0, 0.8),
         (102, "erf", "bp", 4, 2, 0.5, 0.5), (103, "erf", "rbp", 4, 3, 0.3, 1.0),
         (104, "linear", "bp", 2, 1, 0.0, 0.3), (105, "linear", "rbp", 3, 2, 0.5, 0.2),
         (106, "erf", "rbp", 1, 1, 0.2, 1.5), (107, "linear", "bp", 4, 2, 0.4, 0.1)]

if __name__ == "__main__":
    out = {"note": "eps_g(t) of the teacher-student ODEs, from make_teacher_student_reference.py "
                   "(independent of linrbp; scipy DOP853 rtol 1e-12)",
           "cases": [make_case(*c) for c in CASES]}
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT} ({len(out['cases'])} cases)")
