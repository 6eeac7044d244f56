"""docs/theory.md claim `arbp-offset`: ARBP is BP with a fixed feedback offset; its machine-checked proof.

Run ``python proofs/arbp_offset.py`` (or ``linrbp prove arbp-offset``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds. ``proof(...)`` takes the premises as keyword
arguments, so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import sympy as sp

from linrbp.proof import Proof, main, flat, flow
from linrbp.symbolic import derive_ode


def proof(sizes=([2, 2, 2], [1, 2, 2, 1])) -> Proof:
    pf = Proof("arbp-offset", "ARBP is BP with a fixed feedback offset",
               "Under ARBP every C_h - A_{h+1}^T is constant, so ARBP is BP with the offset "
               "D_h = C_h - A_{h+1}^T fixed at its initial value.")
    for lay in sizes:
        s = derive_ode(list(lay), "arbp")
        b = derive_ode(list(lay), "bp")
        L = len(lay) - 1
        pf.zero(f"A{list(lay)}: each C_h - A_(h+1)^T is conserved",
                flat(*[flow(s, s.feedback[h] - s.weights[h + 1].T) for h in range(L - 1)]))
        sym = {x: y for h in range(L - 1) for x, y in zip(s.feedback[h], s.weights[h + 1].T)}
        pf.zero(f"A{list(lay)}: with zero offset (C_h = A_(h+1)^T) the ARBP weight field is the BP field",
                sp.Matrix(s.field[:len(b.field)]).subs(sym) - sp.Matrix(b.field))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
