"""docs/theory.md claim `srbp-bottleneck` (section 10): its machine-checked proof.

Run ``python proofs/srbp_bottleneck.py`` (or ``linrbp prove srbp-bottleneck``): prints the theorem and every step,
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
    pf = Proof("srbp-bottleneck", "SRBP with a later bottleneck has no fixed point",
               "If rank(C_1 S_TI) > r, |dA_1/dt|_F >= sqrt(sum_{i>r} sigma_i(C_1 S_TI)^2) > 0.")
    from linrbp.symbolic import derive_ode

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


if __name__ == "__main__":
    sys.exit(main(proof))
