"""Claim `single-hidden-lyapunov` (the theory page, section 12): a Lyapunov function for
A[N0,N1,N2]; its machine-checked proof.

Run ``python proofs/single_hidden_lyapunov.py`` (or ``linrbp prove single-hidden-lyapunov``):
prints the theorem and every step, each checked as it is stated, and exits 0 iff every step
holds. ``proof(...)`` takes the premises as keyword arguments (``d_condition=False`` drops
C1^T D = W*), so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import numpy as np
import sympy as sp

from linrbp.claims.lyapunov import rational_instance
from linrbp.proof import Proof, error_and_product, flat, main
from linrbp.symbolic import derive_ode


def _sym(name, rows, cols):
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}{i}{j}", real=True))


def _inner(X, Y):
    return (X.T * Y).trace()


def proof(sizes=((2, 2, 2), (2, 3, 2), (3, 3, 2)), d_condition: bool = True) -> Proof:
    pf = Proof("single-hidden-lyapunov", "A Lyapunov function for A[N0,N1,N2] (section 12)",
               "C1 of full column rank, W* = S_TI S_II^-1, C1^T D = W*: V = |A2|^2/2 - <D, A1> has "
               "dV/dt = -tr((W* - P) S_II (W* - P)^T) <= 0; <K, A1> is conserved when C1^T K = 0.")
    for layers in sizes:
        n0, n1, n2 = layers
        s = derive_ode(list(layers), "srbp")
        (A1, A2), C1 = s.weights, s.feedback[0]
        S, STI = s.moments["S_II"], s.moments["S_TI"]
        E, P = error_and_product(s)
        W, D, K = _sym("w", n2, n0), _sym("d", n1, n0), _sym("k", n1, n0)
        tag = f"A{list(layers)}"
        pf.zero(f"{tag}: the derived field is A1' = C1 E, A2' = E A1^T", flat(s.dA[0] - C1 * E, s.dA[1] - E * A1.T))
        V = _inner(A2, A2) / 2 - _inner(D, A1)
        dV = s.along_flow(V)
        pf.zero(f"{tag}: dV/dt = <A2, E A1^T> - <D, C1 E> = <P, E> - <C1^T D, E>",
                sp.expand(dV - (_inner(P, E) - _inner(C1.T * D, E))))
        sub = dict(zip(list(STI), list(W * S)))
        Ew = E.subs(sub, simultaneous=True)
        pf.zero(f"{tag}: with S_TI = W* S_II, E = (W* - P) S_II and <P, E> - <W*, E> = "
                "-tr((W* - P) S_II (W* - P)^T)",
                sp.expand(_inner(P, Ew) - _inner(W, Ew) + ((W - P) * S * (W - P).T).trace()))
        pf.zero(f"{tag}: d/dt <K, A1> = <C1^T K, E> (so <K, A1> is frozen when C1^T K = 0)",
                sp.expand(s.along_flow(_inner(K, A1)) - _inner(C1.T * K, E)))
        inst = rational_instance(layers, seed=sum(layers))
        Dv = inst["D"] if d_condition else inst["D"] + sp.ones(n1, n0)
        num = {**dict(zip(list(C1), list(inst["C1"]))), **dict(zip(list(S), list(inst["S"])))}
        num.update(dict(zip(list(STI), list(inst["W"] * inst["S"]))))
        Vr = _inner(A2, A2) / 2 - _inner(Dv, A1)
        Wv = inst["W"]
        Pr = A2 * A1
        pf.zero(f"{tag}, a random rational instance with C1^T D = W*: dV/dt + tr((W* - P) S_II (W* - P)^T) = 0",
                sp.expand(s.along_flow(Vr).subs(num, simultaneous=True)
                          + ((Wv - Pr) * inst["S"] * (Wv - Pr).T).trace()))
    pf.given("Theorem 7 ([BSL]; claim single-hidden): |A1(t)| stays bounded, so V >= -|D| sup|A1| is "
             "bounded below")
    pf.given("(the standard argument, not machine-checked) hence the integral of tr((W* - P) S_II (W* - P)^T) over [0, inf) is at most V(0) - inf V, "
            "finite; the integrand has a bounded derivative on the bounded orbit, so it tends to 0: "
            "P -> W* (S_II > 0) and V -> V_inf (monotone, bounded below)")

    def decreasing():
        from linrbp.claims.lyapunov import _lyapunov_instance, lyapunov_trajectory_error

        worst = max(lyapunov_trajectory_error(_lyapunov_instance(np.random.default_rng(k))) for k in range(2))
        return worst < 1e-8, (f"A[3,4,2], 2 random instances to t = 200: worst of |dV/dt - formula|, the "
                              f"rise of V and |P - W*|/|W*| {worst:.1e}")

    pf.numeric("V decreases along trajectories and P -> W* (A[3,4,2])", decreasing)
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
