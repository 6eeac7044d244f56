"""docs/theory.md claim `rbp-limit` (section 10): its machine-checked proof.

Run ``python proofs/rbp_limit.py`` (or ``linrbp prove rbp-limit``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import numpy as np  # noqa: E402,F401
import sympy as sp  # noqa: E402,F401

from linrbp.proof import Proof, main  # noqa: E402


def proof() -> Proof:
    from linrbp.claims.rbp_limit import exact_fixed_points, make_instance, start_errors

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


if __name__ == "__main__":
    sys.exit(main(proof))
