"""Claim `ts-ode-vs-sgd` (the theory page, section 11): SGD follows the order-parameter ODEs; its machine-checked proof.

Run ``python proofs/ts_ode_vs_sgd.py`` (or ``linrbp prove ts-ode-vs-sgd``): prints the theorem and every step,
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
    pf = Proof("ts-ode-vs-sgd", "online SGD follows the teacher-student ODEs",
               "The mean one-step increments of R, v and the first-order part of Q are exactly dt = 1/N "
               "times the ODE rates; the eta^2 term is exact up to O(1/N); fluctuations over t = O(1) "
               "are O(N^-1/2) (measured).")
    pf.zero("g linear, N = 3, K = M = 1, FA: E[one step] = (ODE rates)/N with a^T C a in the eta^2 term "
            "times (1 + 2/N)", sp.Matrix(S.sgd_mean_increment(1, 1, 3, "rbp")))
    pf.zero("the same under BP", sp.Matrix(S.sgd_mean_increment(1, 1, 3, "bp")))
    pf.given("the O(N^-1/2) concentration of the SGD path is [GASKZ19]'s theorem, measured by the claim's "
             "check (16 seeds, N = 250 and 2000), not proved here")
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
