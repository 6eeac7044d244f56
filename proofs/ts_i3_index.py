"""Claim `ts-i3-index` (the theory page, section 11): I3's second index is the linear factor; its machine-checked proof.

Run ``python proofs/ts_i3_index.py`` (or ``linrbp prove ts-i3-index``): prints the theorem and every step,
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
    pf = Proof("ts-i3-index", "I3's second index carries the linear factor",
               "In I3(a,b,c) = E g'(u_a) u_b g(u_c) of the closed form, b is the linear factor: the unit whose "
               "overlap is updated sits in the second slot of dR_in = eta f_i sum_c a_c I3(i, K+n, c).")
    pf.zero("Stein's lemma with C_ab = 0: the closed form gives I3(a,b,c) = C_bc J2(a,c), which holds for "
            "b the linear factor", sp.Matrix(S.stein_i3()))
    pf.zero("g linear, N = 3: the mean SGD step of R is (ODE rate)/N with the teacher in I3's second slot",
            sp.Matrix(S.sgd_mean_increment(1, 1, 3, "rbp")))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
