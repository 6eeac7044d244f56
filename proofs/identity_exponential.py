"""Claim `identity-exponential` (the theory page, section 12): A[n,n,n] with
S_II = S_TI = C1 = Id; its machine-checked proof.

Run ``python proofs/identity_exponential.py`` (or ``linrbp prove identity-exponential``): prints
the theorem and every step, each checked as it is stated, and exits 0 iff every step holds.
``proof(...)`` takes the premises as keyword arguments (``feedback`` replaces C1 = Id by
another matrix), so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import numpy as np
import sympy as sp

from linrbp.proof import Proof, main, whitened
from linrbp.symbolic import derive_ode


def _inner(X, Y):
    return (X.T * Y).trace()


def proof(sizes=(1, 2), feedback=None) -> Proof:
    pf = Proof("identity-exponential", "A[n,n,n], S_II = S_TI = C1 = Id: exponential decay (section 12)",
               "d|E|^2/dt = -2|E A1^T|^2 - |A1^T E|^2 - tr(M0 E E^T); if M0 > 0 then "
               "|E(t)|^2 <= |E(0)|^2 exp(-lambda_min(M0) t), and A1, A2 converge individually.")
    for n in sizes:
        s = derive_ode([n, n, n], "srbp")
        (A1, A2), C1 = s.weights, s.feedback[0]
        C = sp.eye(n) if feedback is None else sp.Matrix(feedback)
        sub = {**whitened(s), **dict(zip(list(C1), list(C)))}
        E = sp.eye(n) - A2 * A1
        M = A2 + A2.T - A1 * A1.T
        pf.zero(f"n = {n}: M = A2 + A2^T - A1 A1^T is conserved",
                sp.expand(M.applyfunc(s.along_flow).subs(sub, simultaneous=True)))
        dE2 = s.along_flow(_inner(E, E)).subs(sub, simultaneous=True)
        pf.zero(f"n = {n}: d|E|^2/dt = -2|E A1^T|^2 - |A1^T E|^2 - tr(M E E^T)",
                sp.expand(dE2 + 2 * _inner(E * A1.T, E * A1.T) + _inner(A1.T * E, A1.T * E)
                          + (M * E * E.T).trace()))
    pf.given("(Gronwall, not machine-checked) M0 > 0 gives tr(M0 E E^T) >= lambda_min(M0) |E|^2, so d|E|^2/dt <= -lambda_min(M0) |E|^2 "
            "and Gronwall gives the bound; the field (C1 E, E A1^T) is bounded by a multiple of |E| on "
            "the bounded orbit, hence integrable: A1 and A2 converge")

    def bound():
        from linrbp.claims.lyapunov import _pd_start, exponential_bound_error

        worst = max(exponential_bound_error(_pd_start(np.random.default_rng(k))) for k in range(8))
        return worst <= 1e-9, f"n = 3, 8 starts with M0 > 0, t in [0, 40]: worst excess over the bound {worst:.1e}"

    pf.numeric("the bound along trajectories", bound)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
