"""Exact symbolic identities behind the teacher-student claims (the theory page, section 11).

Each function returns a residual (a sympy matrix or list) that is exactly 0 iff the identity
holds; the claims attach them as symbolic checks and proofs/ts_*.py state them as proof steps.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["erf_closed_forms", "price_i2", "stein_i3", "independent_i4", "linear_eps_g", "sgd_mean_increment",
           "bp_first_layer_still_at_zero_v", "arbp_feedback_step", "ts_first_order", "bridge_residual",
           "linear_ts_field", "drift_residual"]

PI = sp.pi


def erf_closed_forms(C):
    """Closed forms of section 11 for g = erf(z / sqrt 2) as sympy functions of a matrix C."""
    def I2(a, b):
        return 2 / PI * sp.asin(C[a, b] / sp.sqrt((1 + C[a, a]) * (1 + C[b, b])))

    def J2(a, b):
        return 2 / PI / sp.sqrt((1 + C[a, a]) * (1 + C[b, b]) - C[a, b] ** 2)

    def I3(a, b, c):
        L3 = (1 + C[a, a]) * (1 + C[c, c]) - C[a, c] ** 2
        return 2 / PI * (C[b, c] * (1 + C[a, a]) - C[a, b] * C[a, c]) / ((1 + C[a, a]) * sp.sqrt(L3))

    def I4(a, b, c, d):
        L4 = (1 + C[a, a]) * (1 + C[b, b]) - C[a, b] ** 2
        L0 = (L4 * C[c, d] - C[b, c] * C[b, d] * (1 + C[a, a]) - C[a, c] * C[a, d] * (1 + C[b, b])
              + C[a, b] * C[a, c] * C[b, d] + C[a, b] * C[a, d] * C[b, c])
        L1 = (L4 * (1 + C[c, c]) - C[b, c] ** 2 * (1 + C[a, a]) - C[a, c] ** 2 * (1 + C[b, b])
              + 2 * C[a, b] * C[a, c] * C[b, c])
        L2 = (L4 * (1 + C[d, d]) - C[b, d] ** 2 * (1 + C[a, a]) - C[a, d] ** 2 * (1 + C[b, b])
              + 2 * C[a, b] * C[a, d] * C[b, d])
        return 4 / PI ** 2 / sp.sqrt(L4) * sp.asin(L0 / sp.sqrt(L1 * L2))

    return I2, J2, I3, I4


def _sym_cov(P, name="C"):
    return sp.Matrix(P, P, lambda i, j: sp.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True))


def _pd_pair(P, pairs):
    """A covariance with C_aa = d_a - 1 (d_a > 0) and, for each (a, b) in ``pairs``, the
    correlation C_ab = sqrt(d_a d_b) u_ab / sqrt(1 + u_ab^2) (|.| < 1 for every real u_ab): the
    closed forms' square roots are then real and sympy may simplify them; other entries 0."""
    d = [sp.Symbol(f"d_{a + 1}", positive=True) for a in range(P)]
    u = {}
    C = sp.zeros(P, P)
    for a in range(P):
        C[a, a] = d[a] - 1
    for a, b in pairs:
        u[(a, b)] = sp.Symbol(f"u_{a + 1}{b + 1}", real=True)
        C[a, b] = C[b, a] = sp.sqrt(d[a] * d[b]) * u[(a, b)] / sp.sqrt(1 + u[(a, b)] ** 2)
    return C, u


def price_i2():
    """Price's theorem: d I2(a, b) / d C_ab = J2(a, b) (erf closed forms), as d/du / (dC_ab/du)."""
    C, u = _pd_pair(2, [(0, 1)])
    I2, J2, _, _ = erf_closed_forms(C)
    x = u[(0, 1)]
    return [sp.simplify(sp.diff(I2(0, 1), x) / sp.diff(C[0, 1], x) - J2(0, 1))]


def stein_i3():
    """Stein's lemma with the g' field uncorrelated with the linear one (C_ab = 0):
    E[g'(u_a) u_b g(u_c)] = C_bc E[g'(u_a) g'(u_c)], so I3(a, b, c) = C_bc J2(a, c); the reading
    with I3's 2nd and 3rd indices swapped does not satisfy it."""
    C = _sym_cov(3)
    I2, J2, I3, _ = erf_closed_forms(C)
    z = {C[0, 1]: 0}
    return [sp.simplify((I3(0, 1, 2) - C[1, 2] * J2(0, 2)).subs(z))]


def independent_i4():
    """Fields c, d independent of a, b: I4(a, b, c, d) = J2(a, b) I2(c, d)."""
    C, _ = _pd_pair(4, [(0, 1), (2, 3)])
    I2, J2, _, I4 = erf_closed_forms(C)
    return [sp.simplify(I4(0, 1, 2, 3) - J2(0, 1) * I2(2, 3))]


def _weights(K, M, n):
    W = sp.Matrix(K, n, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    Ws = sp.Matrix(M, n, lambda i, j: sp.Symbol(f"ws_{i + 1}{j + 1}", real=True))
    v = sp.Matrix(K, 1, lambda i, _: sp.Symbol(f"v_{i + 1}", real=True))
    A = sp.Matrix(M, 1, lambda i, _: sp.Symbol(f"A_{i + 1}", real=True))
    b = sp.Matrix(K, 1, lambda i, _: sp.Symbol(f"b_{i + 1}", real=True))
    return W, Ws, v, A, b


def linear_eps_g(K=2, M=2, n=3):
    """g linear: 1/2 a^T C a = 1/2 |A^T A_1* - v^T A_1|^2 (section 0's noiseless Err with S_II = Id)."""
    W, Ws, v, A, _ = _weights(K, M, n)
    Q, R, T = W * W.T, W * Ws.T, Ws * Ws.T
    eps = (v.T * Q * v - 2 * v.T * R * A + A.T * T * A)[0] / 2
    E = A.T * Ws - v.T * W
    return [sp.expand(eps - (E * E.T)[0] / 2)]


def _gauss_moment(exps):
    out = sp.Integer(1)
    for e in exps.values():
        if e % 2:
            return sp.Integer(0)
        out *= sp.factorial2(e - 1)
    return out


def sgd_mean_increment(K=1, M=1, n=3, rule="rbp"):
    """g linear, N = n: the mean over x ~ N(0, Id) and xi of one SGD step's increments of
    (R, v, Q) is dt = 1/N times the ODE rates, with the eta^2 term's a^T C a multiplied by
    (1 + 2/N) (E[(c.x)^2 |x|^2] = (N + 2)|c|^2; the ODE keeps the N -> infinity limit)."""
    from ..symbolic._moments import expectation

    W, Ws, v, A, b = _weights(K, M, n)
    eta, sigma = sp.symbols("eta sigma", positive=True)
    x = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"x_{i + 1}", real=True))
    xi = sp.Symbol("xi", real=True)
    N = sp.Integer(n)
    lam, nu = W * x / sp.sqrt(N), Ws * x / sp.sqrt(N)
    delta = (A.T * nu)[0] + sigma * xi - (v.T * lam)[0]
    f = v if rule == "bp" else b
    data = list(x) + [xi]
    dWs = [eta / sp.sqrt(N) * f[i] * delta * x.T for i in range(K)]
    dW = sp.Matrix.vstack(*dWs)
    Wn = W + dW
    dv = eta / N * lam * delta
    E = lambda M_: M_.applyfunc(lambda e: expectation(sp.expand(e), data, _gauss_moment))  # noqa: E731
    mR = E((Wn * Ws.T - W * Ws.T) / N)
    mQ = E((Wn * Wn.T - W * W.T) / N)
    mv = E(dv)
    Q, R, T = W * W.T / N, W * Ws.T / N, Ws * Ws.T / N
    C = sp.Matrix(sp.BlockMatrix([[Q, R], [R.T, T]]))
    a = sp.Matrix(list(-v) + list(A))
    tQ, tR, tv = ts_first_order(C, K, list(f), list(a))
    aCa = (a.T * C * a)[0]
    tQ = tQ + eta ** 2 * f * f.T * ((1 + 2 / N) * aCa + sigma ** 2) / eta  # rates below carry eta
    res = [sp.expand(mR - eta * tR / N), sp.expand(mv - eta * tv / N), sp.expand(mQ - eta * tQ / N)]
    return [e for Mx in res for e in Mx]


def bp_first_layer_still_at_zero_v(K=2, M=2):
    """At v = 0 the first layer does not move under BP (f = v = 0), for any C and g; under FA
    its rates are eta b_i sum_m A_m I3(i, ., K+m): the first layer learns while v is small."""
    C = _sym_cov(K + M)
    A = [sp.Symbol(f"A_{m + 1}", real=True) for m in range(M)]
    v0 = [sp.Integer(0)] * K
    tQ, tR, _ = ts_first_order(C, K, v0, [-x for x in v0] + A)
    return list(tQ) + list(tR)


def arbp_feedback_step(K=3):
    """ARBP's error-driven feedback step O_1 delta_2^T is the transpose of the top layer's step
    delta_2 O_1^T, from the rule's own update (two layers): b - v is constant per step."""
    from ..core._rule_run import updates

    O1 = sp.Matrix(K, 1, lambda i, _: sp.Symbol(f"o_{i + 1}", real=True))
    d2 = sp.Matrix([[sp.Symbol("delta", real=True)]])
    x = sp.Matrix([[sp.Symbol("x", real=True)]])
    d1 = sp.Matrix(K, 1, lambda i, _: sp.Symbol(f"d_{i + 1}", real=True))
    dA, dC = updates("arbp", [d1, d2], [x, O1, d2])
    return list(dC[0] - dA[1].T)


def ts_first_order(C, K, f, a):
    """The eta-linear teacher-student rates at eta = 1 for g linear (I3(i, b, c) = C_bc), summed
    index by index as printed: dR_in = f_i sum_c a_c I3(i, K+n, c), dQ_ik = f_i sum_c a_c I3(i, k, c)
    + (i <-> k), dv_i = sum_c a_c I2(i, c)."""
    P = C.shape[0]
    M = P - K
    dR = sp.Matrix(K, M, lambda i, n: f[i] * sum(a[c] * C[K + n, c] for c in range(P)))
    dQ = sp.Matrix(K, K, lambda i, k: f[i] * sum(a[c] * C[k, c] for c in range(P))
                   + f[k] * sum(a[c] * C[i, c] for c in range(P)))
    dv = sp.Matrix(K, 1, lambda i, _: sum(a[c] * C[i, c] for c in range(P)))
    return dQ, dR, dv


def bridge_residual(n, K, M, rule, factor=None):
    """Section 0's derived flow of A[n, K, 1] (S_II = Id, S_TI = A^T A_1*) projected on
    (Q, R, v) minus the first-order teacher-student rates; ``factor`` 'v' or 'b' overrides f."""
    from ..symbolic import derive_ode

    s = derive_ode([n, K, 1], rule)
    A1, A2 = s.weights
    Ast = sp.Matrix(M, n, lambda i, j: sp.Symbol(f"ws_{i + 1}{j + 1}", real=True))
    At = sp.Matrix(M, 1, lambda i, _: sp.Symbol(f"At_{i + 1}", real=True))
    sub = {x: y for x, y in zip(s.moments["S_II"], sp.eye(n))}
    sub.update({x: y for x, y in zip(s.moments["S_TI"], At.T * Ast)})
    dA1, dA2 = s.dA[0].subs(sub), s.dA[1].subs(sub)
    Q, R, T = A1 * A1.T, A1 * Ast.T, Ast * Ast.T
    C = sp.Matrix(sp.BlockMatrix([[Q, R], [R.T, T]]))
    v = A2.T
    use = factor or ("v" if rule == "bp" else "b")
    f = v if use == "v" else s.feedback[0]
    tQ, tR, tv = ts_first_order(C, K, list(f), list(-v) + list(At))
    parts = [dA1 * A1.T + A1 * dA1.T - tQ, dA1 * Ast.T - tR, dA2.T - tv]
    return [sp.expand(e) for Mx in parts for e in Mx]


def linear_ts_field(K, M, f, noise_factor=1):
    """(f, v, dQ, dv, eps_g, eta, sigma) of the linear teacher-student ODEs, symbolic, summed
    index by index with I2 = C, J2 = 1, I3(a,b,c) = C_bc, I4(a,b,c,d) = C_cd."""
    P = K + M
    eta, sigma = sp.symbols("eta sigma", positive=True)
    C = _sym_cov(P)
    v = sp.Matrix(K, 1, lambda i, _: sp.Symbol(f"v_{i + 1}", real=True))
    A = sp.Matrix(M, 1, lambda i, _: sp.Symbol(f"A_{i + 1}", real=True))
    b = sp.Matrix(K, 1, lambda i, _: sp.Symbol(f"b_{i + 1}", real=True))
    fv = v if f == "v" else b
    a = list(-v) + list(A)
    dQ = sp.Matrix(K, K, lambda i, k: eta * (fv[i] * sum(a[c] * C[k, c] for c in range(P))
                                             + fv[k] * sum(a[c] * C[i, c] for c in range(P)))
                   + eta ** 2 * fv[i] * fv[k] * (sum(a[c] * a[d] * C[c, d] for c in range(P) for d in range(P))
                                                  + noise_factor * sigma ** 2))
    dv = sp.Matrix(K, 1, lambda i, _: eta * sum(a[c] * C[i, c] for c in range(P)))
    eps = sp.Rational(1, 2) * sum(a[c] * a[d] * C[c, d] for c in range(P) for d in range(P))
    return fv, v, dQ, dv, eps, eta, sigma


def drift_residual(K, M, f, noise_factor=1):
    """d/dt(b v^T + v b^T - Q) + eta^2 (2 eps_g + sigma^2) b b^T (f = 'b'), or the BP analogue."""
    fv, v, dQ, dv, eps, eta, sigma = linear_ts_field(K, M, f, noise_factor)
    lhs = (fv * dv.T + dv * fv.T - dQ) if f == "b" else (dv * v.T + v * dv.T - dQ)
    return list((lhs + eta ** 2 * (2 * eps + sigma ** 2) * fv * fv.T).applyfunc(sp.expand))
