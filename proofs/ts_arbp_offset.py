"""Claim `ts-arbp-offset` (the theory page, section 11): under ARBP b - v is constant; its machine-checked proof.

Run ``python proofs/ts_arbp_offset.py`` (or ``linrbp prove ts-arbp-offset``): prints the theorem and every step,
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
    pf = Proof("ts-arbp-offset", "ARBP in the teacher-student setting: b - v is constant",
               "With two layers ARBP's feedback step eta_0 O_1 delta_2^T is the transpose of the top layer's "
               "step eta_0 delta_2 O_1^T, so b and v move together at every step and in the ODE.")
    pf.zero("the rule's own updates: dC_1 - dA_2^T = 0", sp.Matrix(S.arbp_feedback_step()))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
