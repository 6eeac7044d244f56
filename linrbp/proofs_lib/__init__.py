"""Machine-checked proofs, one per THEORY.md claim ID; proofs/<id>.py are thin scripts over these.

``PROOFS[id]()`` returns a :class:`linrbp.proof._proof.Proof`; premises are keyword arguments
(e.g. ``chain(c_top=-1)``, ``chain111(rule="bp")``) so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys

from ..core._errors import InputError
from ..proof._proof import Proof, ProofFailed
from ._matrix import (arbp_offset, autoencoder, autoencoder_general, bp_balance, lillicrap, saxe,
                      single_hidden, structure)
from ._scalar import chain, chain111, nonlinear, poly1d, wide1N1
from ._second_tier import rbp_limit, rbp_modes, sgd_ode, srbp_bottleneck

__all__ = ["PROOFS", "run_proofs", "main", "Proof", "ProofFailed"]

# THEORY.md order.
PROOFS = {
    "poly1d": poly1d, "chain111": chain111, "chain": chain, "wide1N1": wide1N1,
    "autoencoder": autoencoder, "single-hidden": single_hidden, "nonlinear": nonlinear,
    "structure": structure, "autoencoder-general": autoencoder_general, "arbp-offset": arbp_offset,
    "bp-balance": bp_balance, "saxe": saxe, "lillicrap": lillicrap,
    "rbp-limit": rbp_limit, "srbp-bottleneck": srbp_bottleneck, "rbp-modes": rbp_modes,
    "sgd-ode": sgd_ode,
}


def run_proofs(ids=None, progress=None) -> list[Proof]:
    """Run the selected proofs (all by default); InputError for an unknown ID."""
    ids = list(PROOFS) if not ids else [i.strip() for i in ids]
    unknown = [i for i in ids if i not in PROOFS]
    if unknown:
        raise InputError(f"ID: unknown proof {', '.join(unknown)} (known: {', '.join(PROOFS)})")
    out = []
    for i in ids:
        try:
            proof = PROOFS[i]()
        except Exception as exc:  # a proof that crashes does not hold; say where, keep going
            proof = Proof(i, "proof raised an exception", "")
            proof.fact(f"running the proof of {i}", False, f"{type(exc).__name__}: {exc}")
        out.append(proof)
        if progress is not None:
            progress(out[-1])
    return out


def main(claim_id: str) -> int:
    """Entry point of proofs/<id>.py: print the proof, exit 0 iff every step holds."""
    proof = PROOFS[claim_id]()
    print(proof.render())
    if not proof.ok:
        print(f"PROOF FAILED: {len(proof.failures)} step(s) do not hold", file=sys.stderr)
    return 0 if proof.ok else 1
