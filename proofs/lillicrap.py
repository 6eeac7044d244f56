"""docs/theory.md claim `lillicrap`: A[N0,N1,1] with whitened input, zero start (Lillicrap et al.); its machine-checked proof.

Run ``python proofs/lillicrap.py`` (or ``linrbp prove lillicrap``): prints the theorem and every step,
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

from linrbp.proof import Proof, main, whitened
from linrbp.symbolic import derive_ode


def proof() -> Proof:
    pf = Proof("lillicrap", "A[N0,N1,1] with whitened input, zero start (Lillicrap et al.)",
               "The conserved matrix is zero and the limit is A2 = c b^T, A1 = b r^T with r parallel to "
               "the target row, |r| = (2|T|/|b|^2)^(1/3), c = |r|^2/2.")
    s = derive_ode([2, 2, 1], "srbp")
    A1, A2 = s.weights
    b = s.feedback[0]
    t1, t2 = sp.symbols("t1 t2", real=True)
    sub = {**whitened(s)}
    S_TI = s.moments["S_TI"]
    sub.update({S_TI[0, 0]: t1, S_TI[0, 1]: t2})
    rho = sp.Symbol("rho", positive=True)
    nt = sp.sqrt(t1 ** 2 + t2 ** 2)
    nb2 = (b.T * b)[0, 0]
    r = sp.Matrix([[t1, t2]]) * rho / nt
    c = rho ** 2 / 2
    fix = {**dict(zip(A2, c * b.T)), **dict(zip(A1, b * r))}
    M = b * A2 + (b * A2).T - A1 * A1.T
    pf.zero("the conserved matrix b A2 + (b A2)^T - A1 A1^T vanishes at the candidate (and at the zero start)",
            M.subs(fix, simultaneous=True))
    field = sp.Matrix(s.field).subs(sub).subs(fix, simultaneous=True)
    pf.zero("the derived field vanishes there when rho^3 = 2|T|/|b|^2",
            field.subs(rho, (2 * nt / nb2) ** sp.Rational(1, 3)))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
