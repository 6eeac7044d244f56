"""docs/theory.md claim `wide1N1`: A[1,N,1] ([BSL] Theorem 5); its machine-checked proof.

Run ``python proofs/wide1N1.py`` (or ``linrbp prove wide1N1``): prints the theorem and every step,
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

from linrbp.proof import Proof, main
from linrbp.symbolic import ALPHA, BETA, critical_factor, wide_invariants, wide_ode, wide_reduction


def proof(max_width: int = 4) -> Proof:
    pf = Proof("wide1N1", "A[1,N,1] ([BSL] Theorem 5)",
               "a_i' = c_i e, b_i' = a_i e: b_i - a_i^2/(2 c_i) and a_i - (c_i/c_1) a_1 are conserved; "
               "a1' = Q(a1) is a cubic with leading coefficient -beta sum c_i^2/(2 c_1^2) < 0.")
    for N in range(1, max_width + 1):
        s = wide_ode(N)
        a, b = s.states[:N], s.states[N:]
        c = [x for x in s.parameters if x.name.startswith("c")]
        e = ALPHA - BETA * sum(ai * bi for ai, bi in zip(a, b))
        pf.zero(f"N = {N}: derived field equals a_i' = c_i e, b_i' = a_i e",
                sp.Matrix(s.field) - sp.Matrix([ci * e for ci in c] + [ai * e for ai in a]))
        pf.zero(f"N = {N}: all {2 * N - 1} invariants conserved",
                sp.Matrix([s.along_flow(k) for k in wide_invariants(s, N)]))
        red = wide_reduction(N)
        pf.equal(f"N = {N}: Q cubic with leading coefficient -beta sum c_i^2 / (2 c_1^2)",
                 red.leading_coefficient, -BETA * sum(ci ** 2 for ci in c) / (2 * c[0] ** 2), name="lc(Q)")
        pf.fact(f"N = {N}: degree 3", red.degree == 3, f"degree {red.degree}")
        cn = {ci: sp.Symbol(ci.name, real=True, nonzero=True) for ci in c}
        pf.sign(f"N = {N}: beta > 0, c_1 != 0: leading coefficient negative (converges, poly1d)",
                red.leading_coefficient.subs(cn).subs(BETA, sp.Symbol("beta", positive=True)), "negative")
        pf.equal(f"N = {N}: P' = e sum_i (a_i^2 + c_i b_i)", critical_factor(s),
                 sum(ai ** 2 + ci * bi for ai, bi, ci in zip(a, b, c)), name="critical factor of the derived field")
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
