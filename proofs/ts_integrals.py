"""Claim `ts-integrals` (the theory page, section 11): closed forms of the Gaussian integrals for g = erf(z/sqrt 2); its machine-checked proof.

Run ``python proofs/ts_integrals.py`` (or ``linrbp prove ts-integrals``): prints the theorem and every step,
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
    pf = Proof("ts-integrals", "erf closed forms of I2, J2, I3, I4",
               "For jointly Gaussian fields with covariance C and g(z) = erf(z/sqrt 2), I2, J2, I3, I4 "
               "have the closed forms of section 11 (I3: g' on the first index, linear second, g third).")
    pf.zero("Price's theorem: dI2(a,b)/dC_ab = E g'(u_a) g'(u_b) = J2(a,b)", sp.Matrix(S.price_i2()))
    pf.zero("Stein's lemma with C_ab = 0: E g'(u_a) u_b g(u_c) = C_bc E g'(u_a) g'(u_c), i.e. "
            "I3(a,b,c) = C_bc J2(a,c)", sp.Matrix(S.stein_i3()))
    pf.zero("(u_c, u_d) independent of (u_a, u_b): I4(a,b,c,d) = J2(a,b) I2(c,d)", sp.Matrix(S.independent_i4()))

    def mc():
        import numpy as np
        from linrbp.claims.ts_exact import integrals_instance, integrals_z
        z = integrals_z(integrals_instance(np.random.default_rng(0)))
        return z <= 4.5, f"every entry of I2, J2, I3, I4 within {z:.2f} standard errors (1e6 samples, seed 0)"

    pf.numeric("Monte Carlo agrees with every entry (numerical evidence only)", mc)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
