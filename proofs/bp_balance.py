"""docs/theory.md claim `bp-balance`: BP conserves A_{h+1}^T A_{h+1} - A_h A_h^T; its machine-checked proof.

Run ``python proofs/bp_balance.py`` (or ``linrbp prove bp-balance``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds. ``proof(...)`` takes the premises as keyword
arguments, so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

from linrbp.proof import Proof, main, flat, flow
from linrbp.symbolic import derive_ode


def proof(sizes=([2, 2, 2], [2, 3, 2], [1, 2, 2, 1]), rule: str = "bp") -> Proof:
    pf = Proof("bp-balance", "BP conserves A_{h+1}^T A_{h+1} - A_h A_h^T",
               "Under BP, A_{h+1}^T A_{h+1} - A_h A_h^T is conserved for every h and any S_II.")
    for lay in sizes:
        s = derive_ode(list(lay), rule)
        A = s.weights
        pf.zero(f"A{list(lay)} under {rule}: every balance matrix is conserved",
                flat(*[flow(s, A[h + 1].T * A[h + 1] - A[h] * A[h].T) for h in range(len(lay) - 2)]))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
