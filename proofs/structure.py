"""docs/theory.md claim `structure`: identities about the rules ([BSL] sections 3 and 6); its machine-checked proof.

Run ``python proofs/structure.py`` (or ``linrbp prove structure``): prints the theorem and every step,
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

from linrbp.core._rule_run import backward_signals
from linrbp.proof import Proof, main, flat, flow, per_example_updates
from linrbp.symbolic import scalar_chain_ode, derive_ode


def proof() -> Proof:
    pf = Proof("structure", "identities about the rules ([BSL] sections 3 and 6)",
               "The top-layer update is the same under every rule; flipping T - O flips every update; "
               "T - O = 0 gives zero updates; with one hidden layer RBP = SRBP; equal widths: RBP with "
               "C_h equals SRBP with C_h...C_{L-1}; A[N0,N1,1] with sign-congruent feedback: the lower "
               "update lies in the gradient's orthant; ARBP conserves C_h - A_{h+1}^T.")
    layers = [2, 2, 2, 2]
    fb = {"next": [sp.Matrix(2, 2, lambda i, j, h=h: sp.Symbol(f"c{h}_{i}{j}")) for h in (1, 2)]}
    tops = {}
    for rule in ("bp", "rbp", "srbp", "arbp", "asrbp"):
        (dA, dC), _ = per_example_updates(layers, rule, fb["next"] if rule != "bp" else None)
        tops[rule] = dA[-1]
        (dAm, dCm), _ = per_example_updates(layers, rule, fb["next"] if rule != "bp" else None, delta_sign=-1)
        pf.zero(f"Fact 2 ({rule}, with f'): T - O -> -(T - O) flips every update",
                flat(*[x + y for x, y in zip(dA + dC, dAm + dCm)]))
        (dA0, dC0), _ = per_example_updates(layers, rule, fb["next"] if rule != "bp" else None, zero_error=True)
        pf.zero(f"Fact 3 ({rule}): T - O = 0 gives zero updates",
                flat(*(dA0 + dC0)))
    pf.zero("Fact 1: the top layer's update is identical under all five rules",
            flat(*[tops[r] - tops["bp"] for r in tops]))
    (dr, _), _ = per_example_updates([2, 3, 2], "rbp", [sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"c_{i}{j}"))])
    (ds, _), _ = per_example_updates([2, 3, 2], "srbp", [sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"c_{i}{j}"))])
    pf.zero("L = 2: RBP and SRBP give identical updates", flat(dr[0] - ds[0]))
    C1, C2 = fb["next"]
    (dr, _), _ = per_example_updates(layers, "rbp", [C1, C2], deriv=False)
    (ds, _), _ = per_example_updates(layers, "srbp", [C1 * C2, C2], deriv=False)
    pf.zero("equal widths, linear: RBP with C_h equals SRBP with C_h...C_{L-1}",
            flat(*[x - y for x, y in zip(dr, ds)]))
    n0, n1 = 2, 3
    c = sp.Matrix(n1, 1, lambda i, j: sp.Symbol(f"c_{i}"))
    (dr, _), A = per_example_updates([n0, n1, 1], "rbp", [c], deriv=False)
    (dg, _), _ = per_example_updates([n0, n1, 1], "bp", None, deriv=False)
    prod = sp.Matrix(n1, n0, lambda i, j: dr[0][i, j] * dg[0][i, j])
    pf.zero("Fact 4: entrywise, (RBP lower update)(gradient) = c_i a2_i (e I_j)^2",
            prod - sp.Matrix(n1, n0, lambda i, j: c[i] * A[1][0, i] * (sp.Symbol("d_0") * sp.Symbol(f"i_{j}")) ** 2))
    pz, q = sp.Symbol("c_i a2_i", positive=True), sp.Symbol("e I_j", real=True)
    pf.sign("with c_i a2_i > 0 that product is >= 0: same orthant as the gradient", pz * q ** 2, "nonnegative")
    for lay in ([2, 2, 2], [1, 2, 2, 1]):
        s = derive_ode(lay, "arbp")
        pf.zero(f"ARBP A{lay}: C_h - A_(h+1)^T conserved",
                flat(*[flow(s, s.feedback[h] - s.weights[h + 1].T) for h in range(len(lay) - 2)]))
    s = scalar_chain_ode(2, "arbp")
    pf.zero("ARBP A[1,1,1]: c1 - a2 is constant", s.along_flow(s.states[2] - s.states[1]))

    def srbp_multiplications(lay):
        """Multiplications in SRBP's hidden deltas: one term a*d per feedback weight."""
        L = len(lay) - 1
        fbm = [sp.Matrix(lay[h], lay[L], lambda i, j, h=h: sp.Symbol(f"m{h}_{i}{j}")) for h in range(1, L)]
        A = [sp.Matrix(lay[h], lay[h - 1], lambda i, j, h=h: sp.Symbol(f"a{h}_{i}{j}")) for h in range(1, L + 1)]
        d = sp.Matrix(lay[-1], 1, lambda i, j: sp.Symbol(f"d_{i}"))
        deltas = backward_signals("srbp", A, fbm, d)
        return sum(len(sp.Add.make_args(sp.expand(x))) for dl in deltas[:-1] for x in dl)

    lay = [3, 4, 5, 2]
    pf.fact("backward-pass cost, A[3,4,5,2]: SRBP needs W' = sum_(h<L) N_h N_L multiplications "
            "(one per feedback weight)", srbp_multiplications(lay) == sum(lay[h] * lay[-1] for h in range(1, 3)),
            f"counted {srbp_multiplications(lay)}, W' = {sum(lay[h] * lay[-1] for h in range(1, 3))}")
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
