"""docs/theory.md claim `single-hidden`: A[N0,N1,N2] ([BSL] Theorems 7-10); its machine-checked proof.

Run ``python proofs/single_hidden.py`` (or ``linrbp prove single-hidden``): prints the theorem and every step,
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

from linrbp.proof import Proof, main, flat, flow, error_and_product, integrate_linear
from linrbp.symbolic import derive_ode


def proof(sizes=((2, 2, 2), (2, 3, 2), (3, 2, 1))) -> Proof:
    pf = Proof("single-hidden", "A[N0,N1,N2] ([BSL] Theorems 7-10)",
               "A1' = C1 E, A2' = E A1^T, E = S_TI - A2 A1 S_II: C1 A2 + (C1 A2)^T - A1 A1^T is "
               "conserved; A1 and C1 A2 stay bounded and C1 A2 A1 -> C1 S_TI S_II^-1.")
    for layers in sizes:
        s = derive_ode(list(layers), "srbp")
        A1, A2 = s.weights
        C1 = s.feedback[0]
        E, _ = error_and_product(s)
        pf.zero(f"A{list(layers)}: derived field is A1' = C1 E, A2' = E A1^T",
                flat(s.dA[0] - C1 * E, s.dA[1] - E * A1.T))
        M = C1 * A2 + (C1 * A2).T - A1 * A1.T
        pf.zero(f"A{list(layers)}: C1 A2 + (C1 A2)^T - A1 A1^T is conserved", flow(s, M))
        r = derive_ode(list(layers), "rbp")
        pf.zero(f"A{list(layers)}: RBP = SRBP with one hidden layer (identical derived fields)",
                sp.Matrix(r.field) - sp.Matrix(s.field).subs(dict(zip(s.feedback[0], r.feedback[0]))))

    def partial():
        rng = np.random.default_rng(4)
        worst, worst_b = 0.0, 0.0
        for layers in [(3, 2, 2), (2, 3, 2), (3, 4, 2)]:
            n0, n1, n2 = layers
            X = rng.normal(size=(n0, 2 * n0))
            sii = X @ X.T / (2 * n0) + 0.2 * np.eye(n0)
            sti = rng.normal(size=(n2, n0))
            C = rng.normal(size=(n1, n2))
            W = [rng.normal(size=(n1, n0)) * 0.3, rng.normal(size=(n2, n1)) * 0.3]
            sysm, sol = integrate_linear(layers, "srbp", sii, sti, W, [C], t_max=400.0)
            (A1, A2), _ = sysm.unpack(sol.y[:, -1])
            target = C @ sti @ np.linalg.inv(sii)
            worst = max(worst, np.max(np.abs(C @ A2 @ A1 - target)) / np.max(np.abs(target)))
            norms = np.linalg.norm(sysm.unpack(sol.y.T)[0][0], axis=(1, 2))
            worst_b = max(worst_b, norms.max())
        return worst < 1e-6, (f"3 shapes to t = 400: worst relative |C1 A2 A1 - C1 S_TI S_II^-1| {worst:.1e}; "
                              f"max |A1| along the paths {worst_b:.2f}")

    pf.numeric("Theorems 7-8: trajectories bounded, C1 A2 A1 -> C1 S_TI S_II^-1", partial)

    def thm10():
        rng = np.random.default_rng(5)
        worst = 0.0
        for _ in range(3):
            W = [rng.normal(size=(2, 2)) * 0.5, rng.normal(size=(2, 2)) * 0.5]
            sysm, sol = integrate_linear((2, 2, 2), "srbp", np.eye(2), np.eye(2), W, [np.eye(2)], 400.0)
            worst = max(worst, np.max(np.abs(sysm(sol.y[:, -1]))))
        return worst < 1e-8, f"A[2,2,2], S = C1 = Id, 3 starts: worst |velocity| at t = 400 {worst:.1e}"

    pf.numeric("Theorem 10: A(t), B(t) converge individually (velocity -> 0)", thm10)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
