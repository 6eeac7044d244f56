"""The proof machinery of proofs/<id>.py: a :class:`Proof` is a theorem of docs/theory.md and its
steps, each checked as it is stated (:meth:`Proof.zero`, :meth:`~Proof.equal`,
:meth:`~Proof.sign`, :meth:`~Proof.fact`, :meth:`~Proof.numeric`, :meth:`~Proof.given`), with
the tools the proofs share (:mod:`._tools`) and :func:`main`, which runs one proof as a script.
The proofs themselves are the scripts; :mod:`linrbp.proofs` is their registry.
"""

from __future__ import annotations

import sys

from ._proof import Proof, ProofFailed, Step
from ._tools import (error_and_product, flat, flow, integrate_linear, per_example_updates, product,
                     whitened)

__all__ = ["Proof", "ProofFailed", "Step", "main", "error_and_product", "flat", "flow", "integrate_linear",
           "per_example_updates", "product", "whitened"]


def main(proof) -> int:
    """Entry point of proofs/<id>.py: print ``proof()``, exit status 0 iff every step holds."""
    pf = proof()
    print(pf.render())
    if not pf.ok:
        print(f"PROOF FAILED: {len(pf.failures)} step(s) do not hold", file=sys.stderr)
    return 0 if pf.ok else 1
