"""docs/theory.md claim `autoencoder-general`: A[N,p,N] with fixed C and any invertible S = S_II = S_TI; its machine-checked proof.

Run ``python proofs/autoencoder_general.py`` (or ``linrbp prove autoencoder-general``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds. ``proof(...)`` takes the premises as keyword
arguments, so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import numpy as np
import sympy as sp

from linrbp.proof import Proof, main
from linrbp.symbolic import derive_ode


def proof() -> Proof:
    pf = Proof("autoencoder-general", "A[N,p,N] with fixed C and any invertible S = S_II = S_TI",
               "At a fixed point C = C B A and B = S A^T (A S A^T)^-1, row(A) = row(C) and "
               "B A = S C^T (C S C^T)^-1 C; optimal only when row(C) is the top-p eigenspace of S.")
    N, p = 3, 2
    s = derive_ode([N, p, N], "srbp")
    rng = np.random.default_rng(6)
    X = sp.Matrix(rng.integers(-3, 4, size=(N, N)).tolist())
    S = X * X.T + sp.eye(N)
    C = sp.Matrix(rng.integers(-3, 4, size=(p, N)).tolist())
    Mx = sp.Matrix([[2, 1], [1, 3]])
    A = Mx * C
    B = S * A.T * (A * S * A.T).inv()
    sub = {**dict(zip(s.moments["S_II"], S)), **dict(zip(s.moments["S_TI"], S)),
           **dict(zip(s.feedback[0], C)), **dict(zip(s.weights[0], A)), **dict(zip(s.weights[1], B))}
    pf.given("exact rational instance: S = X X^T + I, integer C, A = M C (row(A) = row(C)), "
             "B = S A^T (A S A^T)^-1", sp.Matrix.hstack(S, C.T))
    pf.zero("the derived field vanishes there", sp.Matrix(s.field).xreplace(sub))
    pf.zero("B A = S C^T (C S C^T)^-1 C", B * A - S * C.T * (C * S * C.T).inv() * C)
    pf.zero("C B A = C", C * B * A - C)
    pf.zero("the product is idempotent (a projection)", (B * A) ** 2 - B * A)

    def optimal():
        rng2 = np.random.default_rng(7)
        Xn = rng2.normal(size=(N, N))
        Sn = Xn @ Xn.T + 0.5 * np.eye(N)
        w, V = np.linalg.eigh(Sn)

        def loss(Cn):
            P = Sn @ Cn.T @ np.linalg.inv(Cn @ Sn @ Cn.T) @ Cn
            return 0.5 * np.trace((np.eye(N) - P) @ Sn @ (np.eye(N) - P).T)
        top = loss(V[:, -p:].T)
        best = 0.5 * w[:-p].sum()
        other = loss(rng2.normal(size=(p, N)))
        return abs(top - best) < 1e-10 and other > best + 1e-6, (
            f"loss with row(C) = top-{p} eigenspace {top:.6f} = optimum {best:.6f}; random C {other:.6f}")

    pf.numeric("optimality iff row(C) is the top-p eigenspace", optimal)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
