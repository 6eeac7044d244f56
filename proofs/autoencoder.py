"""docs/theory.md claim `autoencoder`: A[N,1,N] ([BSL] Lemma 1 and Theorem 6); its machine-checked proof.

Run ``python proofs/autoencoder.py`` (or ``linrbp prove autoencoder``): prints the theorem and every step,
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

from linrbp.proof import Proof, main, flat, error_and_product, whitened, integrate_linear
from linrbp.symbolic import derive_ode


def proof(sizes=(2, 3)) -> Proof:
    pf = Proof("autoencoder", "A[N,1,N] ([BSL] Lemma 1 and Theorem 6)",
               "A' = C (S_TI - B A S_II), B' = (S_TI - B A S_II) A^T: C B - |A|^2/2 is conserved for "
               "any data; with whitened data A -> lambda C with lambda the unique positive root of "
               "(|C|^2/2) lambda^3 + K lambda - 1 and B A -> C^T C / |C|^2.")
    for N in sizes:
        s = derive_ode([N, 1, N], "srbp")
        A, B = s.weights
        C = s.feedback[0]
        E, _ = error_and_product(s)
        pf.zero(f"N = {N}: derived field is A' = C E, B' = E A^T",
                flat(s.dA[0] - C * E, s.dA[1] - E * A.T))
        inv = (C * B)[0, 0] - (A * A.T)[0, 0] / 2
        pf.zero(f"N = {N}: d/dt [C B - |A|^2/2] = 0 for any S_II, S_TI (Lemma 1)", s.along_flow(inv))
        w = whitened(s)
        CB = (C * B)[0, 0]
        pf.zero(f"N = {N}, whitened: A' = C - (C B) A, so A(t) = f(t) C + g(t) A(0) with "
                "f' = 1 - (C B) f, g' = -(C B) g (g decays while C B > 0)", s.dA[0].subs(w) - (C - CB * A))
        lam = sp.Symbol("lambda", positive=True)
        nC2 = (C * C.T)[0, 0]
        fix = {**{a: lam * c for a, c in zip(A, C)}, **{b: c / (lam * nC2) for b, c in zip(B, C)}}
        pf.zero(f"N = {N}: A = lambda C, B = C^T/(lambda |C|^2) is a fixed point (whitened)",
                flat(s.dA[0].subs(w).subs(fix, simultaneous=True), s.dA[1].subs(w).subs(fix, simultaneous=True)))
        BA = (B * A).subs(fix, simultaneous=True)
        pf.zero(f"N = {N}: there B A = C^T C/|C|^2, an orthogonal projection", BA - C.T * C / nC2)
        K = sp.Symbol("K", real=True)
        pf.zero(f"N = {N}: the invariant there: K = 1/lambda - lambda^2 |C|^2/2, i.e. "
                "(|C|^2/2) lambda^3 + K lambda - 1 = 0",
                sp.expand(-lam * (inv.subs(fix, simultaneous=True) - K)) - (nC2 / 2 * lam ** 3 + K * lam - 1))

    def sign_changes(seq):
        seq = [x for x in seq if x != 0]
        return sum(1 for u, v in zip(seq, seq[1:]) if u * v < 0)

    pf.fact("Descartes: coefficients (+, 0, K, -1) have exactly one sign change for K > 0, K = 0, K < 0: "
            "exactly one positive root lambda",
            all(sign_changes([1, 0, k, -1]) == 1 for k in (1, 0, -1)))

    def converge():
        rng = np.random.default_rng(3)
        worst = 0.0
        for _ in range(3):
            N = 3
            C = rng.normal(size=(1, N))
            A0, B0 = rng.normal(size=(1, N)) * 0.5, rng.normal(size=(N, 1)) * 0.5
            sysm, sol = integrate_linear([N, 1, N], "srbp", np.eye(N), np.eye(N), [A0, B0], [C])
            (A, B), _ = sysm.unpack(sol.y[:, -1])
            K = (C @ B0)[0, 0] - (A0 @ A0.T)[0, 0] / 2
            roots = np.roots([np.sum(C ** 2) / 2, 0, K, -1])
            lam = roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real[0]
            worst = max(worst, np.max(np.abs(A - lam * C)) / np.max(np.abs(lam * C)))
        return worst < 1e-6, f"3 whitened N = 3 instances to t = 300: worst |A - lambda C| relative {worst:.1e}"

    pf.numeric("g -> 0: A(t) -> lambda C (integrated)", converge)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
