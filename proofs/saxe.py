"""docs/theory.md claim `saxe`: BP on A[N,N,N] with balanced decoupled start (Saxe et al.); its machine-checked proof.

Run ``python proofs/saxe.py`` (or ``linrbp prove saxe``): prints the theorem and every step,
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

from linrbp.proof import Proof, main, flat, whitened
from linrbp.symbolic import derive_ode


def proof() -> Proof:
    pf = Proof("saxe", "BP on A[N,N,N] with balanced decoupled start (Saxe et al.)",
               "Each mode strength follows u(t) = s e^{2st} / (e^{2st} - 1 + s/u0).")
    t, s_, u0 = sp.symbols("t s u0", positive=True)
    u = s_ * sp.exp(2 * s_ * t) / (sp.exp(2 * s_ * t) - 1 + s_ / u0)
    pf.zero("u solves u' = 2 u (s - u)", sp.diff(u, t) - 2 * u * (s_ - u))
    pf.zero("u(0) = u0", u.subs(t, 0) - u0)
    sys2 = derive_ode([2, 2, 2], "bp")
    s1, s2, v1, v2 = sp.symbols("s1 s2 v1 v2", positive=True)
    sub = {**whitened(sys2)}
    S_TI = sys2.moments["S_TI"]
    sub.update({S_TI[0, 0]: s1, S_TI[1, 1]: s2, S_TI[0, 1]: 0, S_TI[1, 0]: 0})
    D = sp.diag(v1, v2)
    sub.update(dict(zip(sys2.weights[0], D)))
    sub.update(dict(zip(sys2.weights[1], D)))
    pf.zero("A[2,2,2], S_II = Id, S_TI = diag(s), A1 = A2 = diag(sqrt(u)) = diag(v): both layers get "
            "diag(v (s - v^2)), so the start stays balanced and u = v^2 obeys u' = 2u(s - u)",
            flat(sys2.dA[0].subs(sub) - sp.diag(v1 * (s1 - v1 ** 2), v2 * (s2 - v2 ** 2)),
                  sys2.dA[1].subs(sub) - sp.diag(v1 * (s1 - v1 ** 2), v2 * (s2 - v2 ** 2))))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
