"""Proofs of THEORY.md section 10: rbp-limit, srbp-bottleneck, rbp-modes."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..proof._proof import Proof

__all__ = ["rbp_limit", "srbp_bottleneck", "rbp_modes", "sgd_ode"]


def rbp_limit() -> Proof:
    from ..claims.rbp_limit import exact_fixed_points, make_instance, start_errors

    pf = Proof("rbp-limit", "Limit of the product under RBP and SRBP, every depth and width",
               "P(inf) = G Pi S_II^-1/2 = M (B_1 M)^+ B_1 P*, M = P* S_II P*^T B_1^T, independent "
               "of the start; = P* when rank(B_1 G) = rank(G).")
    # Exact algebra on a rational instance: the two forms of the limit agree, and the fixed
    # point built from the derivation (A_1 = Q B_1 P*, A_L = P* S A_1^T (A_1 S A_1^T)^-1) is one.
    rng = np.random.default_rng(11)
    N0, N1, N2 = 3, 1, 2
    X = sp.Matrix(rng.integers(-3, 4, size=(N0, N0)).tolist())
    S = X * X.T + sp.eye(N0)
    T = sp.Matrix(rng.integers(-3, 4, size=(N2, N0)).tolist())
    C = sp.Matrix(rng.integers(-3, 4, size=(N1, N2)).tolist())
    pf.given("rational A[3,1,2]: S_II = X X^T + Id, integer S_TI and C_1 = B_1", sp.Matrix.vstack(S, T))
    pf.given("C_1", C)
    Pstar = T * S.inv()
    M = Pstar * S * Pstar.T * C.T
    formula = M * (C * M).inv() * C * Pstar
    A1 = 2 * C * Pstar
    A2 = Pstar * S * A1.T * (A1 * S * A1.T).inv()
    E = T - A2 * A1 * S
    pf.zero("A_1 = 2 B_1 P*, A_2 = P* S A_1^T (A_1 S A_1^T)^-1: the top-layer condition E A_1^T = 0", E * A1.T)
    pf.zero("and layer 1's condition B_1 E = 0", C * E)
    pf.zero("the product there is M (B_1 M)^+ B_1 P*", A2 * A1 - formula)
    pf.zero("Pi_R = S^1/2 A_1^T (A_1 S A_1^T)^-1 A_1 S^1/2 gives X = P S^1/2 = G Pi_R: A_2 A_1 S = P* S A_1^T "
            "(A_1 S A_1^T)^-1 A_1 S", A2 * A1 * S - Pstar * S * A1.T * (A1 * S * A1.T).inv() * A1 * S)
    # Every fixed point, solved exactly.
    for k, inst in enumerate(({"layers": [3, 1, 2], "X": X.tolist(), "T": T.tolist(), "C": C.tolist()},
                              {"layers": [3, 2, 3], "X": [[1, 2, 0], [0, 1, -1], [2, 0, 1]],
                               "T": [[1, 0, 2], [-1, 1, 0], [0, 2, 1]], "C": [[1, -1, 2], [0, 1, 1]]})):
        products, form, *_ = exact_fixed_points(inst)
        pf.fact(f"A{inst['layers']}: sympy solves C_1 E = 0, E A_1^T = 0 in the chart A_1 = [Id | *]",
                bool(products), f"{len(products)} solution(s)")
        pf.zero(f"A{inst['layers']}: every solution's product is M (B_1 M)^+ B_1 P*",
                sp.Matrix([x for P in products for x in (P - form)]) if products else sp.Matrix([1]))

    def deep():
        rng2 = np.random.default_rng(12)
        insts = [make_instance(rng2, lay, rule) for lay, rule in
                 (([5, 2, 3, 4], "rbp"), ([5, 3, 2, 4], "rbp"), ([6, 2, 4, 3, 5], "srbp"))]
        errs = start_errors(insts)
        return max(errs) < 1e-8, "max relative error over 3 starts each: " + ", ".join(f"{e:.2g}" for e in errs)

    pf.numeric("L >= 3: RBP A[5,2,3,4], A[5,3,2,4], SRBP A[6,2,4,3,5] converge to the formula "
               "from 3 starts (convergence for L >= 3 is not proved)", deep)
    return pf


def srbp_bottleneck() -> Proof:
    pf = Proof("srbp-bottleneck", "SRBP with a later bottleneck has no fixed point",
               "If rank(C_1 S_TI) > r, |dA_1/dt|_F >= sqrt(sum_{i>r} sigma_i(C_1 S_TI)^2) > 0.")
    from ..symbolic import derive_ode

    s = derive_ode([1, 2, 1, 2], "srbp")
    C1 = s.feedback[0]
    S_TI, S_II = s.moments["S_TI"], s.moments["S_II"]
    A1, A2, A3 = s.weights
    P = A3 * A2 * A1
    pf.zero("derived dA_1/dt = C_1 (S_TI - P S_II) (A[1,2,1,2], SRBP)", s.dA[0] - C1 * (S_TI - P * S_II))
    pf.fact("rank(C_1 P S_II) <= r = 1: P = A_3 A_2 A_1 factors through the width-1 layer",
            A2.shape[0] == 1, f"A_2 is {A2.shape[0]}x{A2.shape[1]}")

    def eckart_young():
        rng = np.random.default_rng(3)
        worst = np.inf
        for _ in range(200):
            K = rng.normal(size=(4, 5))
            Xr = rng.normal(size=(4, 2)) @ rng.normal(size=(2, 5))
            sv = np.linalg.svd(K, compute_uv=False)
            worst = min(worst, np.linalg.norm(K - Xr) - np.sqrt((sv[2:] ** 2).sum()))
        return worst >= -1e-12, f"min over 200 random rank-2 X of |K - X|_F - bound = {worst:.3g} (>= 0)"

    pf.numeric("Eckart-Young: |K - X|_F >= sqrt(sum_{i>r} sigma_i(K)^2) for rank(X) <= r, with "
               "K = C_1 S_TI, X = C_1 P S_II (a standard theorem, sampled here)", eckart_young)
    return pf


def rbp_modes() -> Proof:
    from ..claims.rbp_modes import _symbolic_residual

    pf = Proof("rbp-modes", "Decoupled modes of A[N,N,N] under RBP",
               "With S_II = Id and aligned C_1, A_1, A_2 each mode is chain111 (alpha = s_i, beta = 1, c1 = c_i).")
    pf.zero("A[2,2,2], diagonal S_TI, C_1, A_1, A_2: derived field = diag(c(s - ab)), diag(a(s - ab))",
            sp.Matrix(_symbolic_residual()))
    n = 2
    U = sp.Matrix([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    V = sp.Matrix([[sp.Rational(5, 13), sp.Rational(12, 13)], [sp.Rational(12, 13), -sp.Rational(5, 13)]])
    R = sp.Matrix([[sp.Rational(8, 17), sp.Rational(15, 17)], [-sp.Rational(15, 17), sp.Rational(8, 17)]])
    s1, s2, c1, c2, a1, a2, b1, b2 = sp.symbols("s1 s2 c1 c2 a1 a2 b1 b2", real=True)
    D = sp.diag
    S_TI = U * D(s1, s2) * V.T
    E = S_TI - U * D(b1, b2) * R.T * R * D(a1, a2) * V.T
    pf.zero("rational orthogonal U, V, R: C_1 E = R diag(c e) V^T (the rotated form is kept)",
            R * D(c1, c2) * U.T * E - R * D(c1 * (s1 - a1 * b1), c2 * (s2 - a2 * b2)) * V.T)
    pf.zero("and E A_1^T = U diag(a e) R^T", E * (R * D(a1, a2) * V.T).T - U * D(a1 * (s1 - a1 * b1), a2 * (s2 - a2 * b2)) * R.T)
    pf.given("so each mode obeys a_i' = c_i (s_i - a_i b_i), b_i' = a_i (s_i - a_i b_i): chain111 with "
             "alpha = s_i, beta = 1, and its limit is chain111_limit (THEORY.md section 2)", None)
    del n
    return pf


def sgd_ode() -> Proof:
    pf = Proof("sgd-ode", "SGD on Fashion-MNIST tracks the averaged ODE",
               "Per-example SGD with step eta is a stochastic approximation of the ODE with the data "
               "set's moments in t = eta x steps; with replacement the gap is O(sqrt(eta)).")
    # Exact: the mean over a (rational) data set of the per-example update is the ODE field.
    rng = np.random.default_rng(5)
    X = sp.Matrix(rng.integers(-2, 3, size=(4, 3)).tolist())  # 4 examples, 3 inputs
    Y = sp.Matrix(rng.integers(-2, 3, size=(4, 2)).tolist())
    A1 = sp.Matrix(rng.integers(-2, 3, size=(2, 3)).tolist()) / 3
    A2 = sp.Matrix(rng.integers(-2, 3, size=(2, 2)).tolist()) / 5
    C1 = sp.Matrix(rng.integers(-2, 3, size=(2, 2)).tolist())
    S_II, S_TI = X.T * X / 4, Y.T * X / 4
    E = S_TI - A2 * A1 * S_II
    for rule, back in (("bp", lambda e: A2.T * e), ("rbp", lambda e: C1 * e)):
        d1 = sp.zeros(2, 3)
        d2 = sp.zeros(2, 2)
        for i in range(4):
            x, y = X[i, :].T, Y[i, :].T
            e = y - A2 * A1 * x
            d1 += back(e) * x.T / 4
            d2 += e * (A1 * x).T / 4
        field1 = (A2.T if rule == "bp" else C1) * E
        pf.zero(f"{rule}: the data mean of the per-example updates (dA_1, dA_2)/eta is the ODE field "
                "(B_1 E, E A_1^T) with S_II = X^T X/m, S_TI = Y^T X/m",
                sp.Matrix([*(d1 - field1), *(d2 - E * A1.T)]))

    def rate():
        from ..claims import sgd_ode as S
        r = S.measure("bp", etas=(3.2e-3, 1e-3, 3.2e-4, 1e-4), seeds=(0, 1), T=0.16, n_grid=2)
        return 0.3 <= r["exponent_mean"] <= 0.7, (f"BP, Fashion-MNIST A[784,3,10], with replacement: fitted "
                                                  f"exponent {r['exponent_mean']:.3f} (seeds 0, 1)")

    pf.numeric("the gap exponent with replacement is about 1/2 (measured, not proved here)", rate)
    return pf
