"""Claim `ts-eps-g` (the theory page, section 11): the generalisation error from the order parameters; its machine-checked proof.

Run ``python proofs/ts_eps_g.py`` (or ``linrbp prove ts-eps-g``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import sympy as sp  # noqa: E402,F401

from linrbp.claims import ts_symbolic as S  # noqa: E402
from linrbp.proof import Proof, flat, main  # noqa: E402,F401


def proof() -> Proof:
    pf = Proof("ts-eps-g", "eps_g = 1/2 a^T I2 a",
               "For Gaussian inputs eps_g = 1/2 E(phi - phi*)^2 = 1/2 sum_cd a_c a_d I2(c, d), a = (-v, A), "
               "exact at any N (the fields are exactly Gaussian with covariance C).")
    pf.zero("g linear: 1/2 a^T C a = 1/2 |A^T A_1* - v^T A_1|^2, section 0's noiseless Err with S_II = Id",
            sp.Matrix(S.linear_eps_g()))

    def mc():
        import numpy as np
        from linrbp.claims.ts_exact import eps_instance, eps_z
        z = eps_z(eps_instance(np.random.default_rng(0)))
        return z <= 4.5, f"K = 3, M = 2, N = 200, 4e5 inputs: z = {z:.2f} (seed 0)"

    pf.numeric("erf: Monte Carlo over inputs agrees (numerical evidence only)", mc)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
