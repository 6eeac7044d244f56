"""Claim `ts-linear-drift` (the theory page, section 11): for g linear the conserved matrix drifts at order eta^2; its machine-checked proof.

Run ``python proofs/ts_linear_drift.py`` (or ``linrbp prove ts-linear-drift``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds.
``proof(noise_factor=2)`` changes a premise (the sigma^2 J2 term's weight) and fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import sympy as sp  # noqa: E402,F401

from linrbp.claims import ts_symbolic as S  # noqa: E402
from linrbp.proof import Proof, flat, main  # noqa: E402,F401


def proof(sizes=((1, 1), (2, 1), (2, 2), (3, 2)), noise_factor=1) -> Proof:
    pf = Proof("ts-linear-drift", "g linear: the conserved matrix drifts at order eta^2",
               "For g(z) = z: d/dt(b v^T + v b^T - Q) = -eta^2 (2 eps_g + sigma^2) b b^T under FA "
               "(b fixed), d/dt(v v^T - Q) = -eta^2 (2 eps_g + sigma^2) v v^T under BP.")
    for K, M in sizes:
        for f in ("b", "v"):
            pf.zero(f"K = {K}, M = {M}, {'FA (f = b)' if f == 'b' else 'BP (f = v)'}: d/dt of the conserved "
                    "matrix + eta^2 (2 eps_g + sigma^2) f f^T", sp.Matrix(S.drift_residual(K, M, f, noise_factor)))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
