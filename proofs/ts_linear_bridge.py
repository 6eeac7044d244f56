"""Claim `ts-linear-bridge` (the theory page, section 11): for g linear the first-order flow is section 0's flow; its machine-checked proof.

Run ``python proofs/ts_linear_bridge.py`` (or ``linrbp prove ts-linear-bridge``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds.
``proof(factor={"rbp": "v"})`` changes a premise (RBP's first layer driven by v) and fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import sympy as sp  # noqa: E402,F401

from linrbp.claims import ts_symbolic as S  # noqa: E402
from linrbp.proof import Proof, flat, main  # noqa: E402,F401


def proof(sizes=((3, 2, 2), (2, 1, 1)), rules=("bp", "rbp", "srbp"), factor=None) -> Proof:
    pf = Proof("ts-linear-bridge", "g linear: the first-order teacher-student flow is section 0's flow",
               "For g(z) = z, S_II = Id and S_TI = A^T A_1*, the averaged ODE of A[N, K, 1] under BP "
               "(B_1 = A_2^T) or RBP/SRBP (B_1 = C_1 = b) closes on Q = A_1 A_1^T, R = A_1 A_1*^T, "
               "v = A_2^T and equals the eta-linear part of the teacher-student ODEs with tau = eta t.")
    for n, K, M in sizes:
        for rule in rules:
            pf.zero(f"A[{n}, {K}, 1], M = {M}, {rule}: section 0's derived flow projected on (Q, R, v) minus the "
                    "first-order teacher-student rates",
                    sp.Matrix(S.bridge_residual(n, K, M, rule, (factor or {}).get(rule))))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
