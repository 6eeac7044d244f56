"""docs/theory.md claim `weight-mirror` (section 10): its machine-checked proof.

Run ``python proofs/weight_mirror.py`` (or ``linrbp prove weight-mirror``): prints the theorem and every step,
each checked exactly by sympy, and exits 0 iff every step holds. ``proof(...)`` takes the
premises as keyword arguments, so a changed premise (another rule) makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import sympy as sp  # noqa: E402,F401

from linrbp.core._rules import get_rule  # noqa: E402,F401
from linrbp.proof import Proof, flat, main  # noqa: E402
from linrbp.symbolic import derive_ode  # noqa: E402


def proof(sizes=([1, 1, 1], [2, 3, 2], [1, 2, 2, 1]), rule="weight-mirror") -> Proof:
    pf = Proof("weight-mirror", "Weight mirrors in the averaged world",
               "The mirror step C <- (1 - eta) C + eta x (A x)^T with x ~ N(0, Id) has mean "
               "(1 - eta) C + eta A^T; with eta = kappa dt the feedback follows dC_h/dt = "
               "kappa (A_{h+1}^T - C_h) while A follows the RBP field with feedback C.")
    n, m = 3, 2
    x = sp.Matrix(n, 1, lambda i, j: sp.Symbol(f"x{i}", real=True))
    A = sp.Matrix(m, n, lambda i, j: sp.Symbol(f"a{i}{j}", real=True))
    C = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"c{i}{j}", real=True))
    eta = sp.Symbol("eta", positive=True)
    step = (1 - eta) * C + eta * x * (A * x).T
    # E over white noise: E[x_i x_j] = delta_ij, linear in the monomials x_i x_j
    from linrbp.symbolic._moments import expectation

    def white(exps):
        items = sorted(exps.items(), key=lambda kv: str(kv[0]))
        if sum(exps.values()) == 0:
            return sp.Integer(1)
        if len(items) == 1 and items[0][1] == 2:
            return sp.Integer(1)
        return sp.Integer(0) if sum(exps.values()) == 2 else None

    mean = step.applyfunc(lambda e: expectation(e, list(x), white))
    pf.zero(f"E[(1 - eta) C + eta x (A x)^T] = (1 - eta) C + eta A^T (x white, {n} x {m})",
            mean - ((1 - eta) * C + eta * A.T))
    r = get_rule(rule)
    r = r.symbolic("mirror_rate") if r.name == "weight-mirror" else r
    kappa = sp.Symbol("kappa", real=True, nonnegative=True)
    for lay in sizes:
        s = derive_ode(list(lay), r)
        b = derive_ode(list(lay), "rbp")
        L = len(lay) - 1
        pf.zero(f"A{list(lay)}: dA/dt is the RBP field with feedback C",
                sp.Matrix(s.field[:len(b.field)]) - sp.Matrix(b.field))
        pf.zero(f"A{list(lay)}: dC_h/dt = kappa (A_(h+1)^T - C_h)",
                flat(*[s.dC[h] - kappa * (s.weights[h + 1].T - s.feedback[h]) for h in range(L - 1)]))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
