"""docs/theory.md claim `rbp-modes` (section 10): its machine-checked proof.

Run ``python proofs/rbp_modes.py`` (or ``linrbp prove rbp-modes``): prints the theorem and every step,
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
    from linrbp.claims.rbp_modes import _symbolic_residual

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
             "alpha = s_i, beta = 1, and its limit is chain111_limit (docs/theory.md section 2)", None)
    del n
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
