"""docs/theory.md claim `kolen-pollack` (section 10): its machine-checked proof.

Run ``python proofs/kolen_pollack.py`` (or ``linrbp prove kolen-pollack``): prints the theorem and every step,
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


def proof(sizes=([1, 1, 1], [2, 3, 2], [1, 2, 2, 1]), rule="kolen-pollack") -> Proof:
    pf = Proof("kolen-pollack", "Kolen-Pollack: the feedback offset decays as e^{-lambda t}",
               "Under ARBP with weight decay lambda on A and C, D_h = C_h - A_{h+1}^T satisfies "
               "dD_h/dt = -lambda D_h, so C_h(t) - A_{h+1}(t)^T = e^{-lambda t} (C_h(0) - A_{h+1}(0)^T) "
               "for every layer, any data.")
    kp = get_rule("kolen-pollack").symbolic()
    lam = kp.parameter_values["weight_decay"]
    r = get_rule(rule)
    r = r.symbolic() if r.name == "kolen-pollack" else r  # any other premise keeps its own terms
    pf.given("the per-example rule: dA_h = delta_h O_{h-1}^T - lambda A_h, "
             "dC_h = O_h delta_{h+1}^T - lambda C_h (ARBP plus decay), averaged over symbolic data")
    for lay in sizes:
        s = derive_ode(list(lay), r)
        a = derive_ode(list(lay), "arbp")
        L = len(lay) - 1
        # the error-driven parts are ARBP's: the derived fields differ from ARBP's by -lambda X
        pf.zero(f"A{list(lay)}: the field is ARBP's field minus lambda times the state",
                sp.Matrix(s.field) - sp.Matrix(a.field) + lam * sp.Matrix(s.states))
        # ARBP's dC_h/dt equals (dA_{h+1}/dt)^T exactly
        pf.zero(f"A{list(lay)}: ARBP's dC_h/dt = (dA_(h+1)/dt)^T from the error",
                flat(*[a.dC[h] - a.dA[h + 1].T for h in range(L - 1)]))
        pf.zero(f"A{list(lay)}: hence d/dt (C_h - A_(h+1)^T) = -lambda (C_h - A_(h+1)^T)",
                flat(*[(s.feedback[h] - s.weights[h + 1].T).applyfunc(s.along_flow)
                        + lam * (s.feedback[h] - s.weights[h + 1].T) for h in range(L - 1)]))
    t, D0, l_ = sp.symbols("t D0 lambda_", real=True)
    D = D0 * sp.exp(-l_ * t)
    pf.zero("D(t) = e^{-lambda t} D(0) solves D' = -lambda D", sp.diff(D, t) + l_ * D)
    pf.zero("and D(0) = D0 (a linear ODE: the solution is unique)", D.subs(t, 0) - D0)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
