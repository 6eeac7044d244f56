"""The proof machinery of proofs/<id>.py: a :class:`Proof` is a theorem of docs/theory.md and its
steps, each checked as it is stated (:meth:`Proof.zero`, :meth:`~Proof.equal`,
:meth:`~Proof.sign`, :meth:`~Proof.fact`, :meth:`~Proof.numeric`, :meth:`~Proof.given`), with
the tools the proofs share (:func:`flat`, :func:`flow`, ...) and :func:`main`, which runs one proof as a script.
The proofs themselves are the scripts; ``linrbp.proofs`` is their registry.
"""

from __future__ import annotations

import sys

from ._proof import Proof, ProofFailed, Step
from ._tools import (error_and_product, flat, flow, integrate_linear, per_example_updates, product,
                     whitened)

__all__ = ["Proof", "ProofFailed", "Step", "main", "error_and_product", "flat", "flow", "integrate_linear",
           "per_example_updates", "product", "whitened"]


def main(proof) -> int:
    """Entry point of proofs/<id>.py: print the proof and return the exit status.

    Parameters
    ----------
    proof : callable
        ``proof() -> Proof`` (the script's own function, its premises at their defaults).

    Returns
    -------
    int
        0 when every step holds, 1 otherwise (then ``PROOF FAILED: <n> step(s) do not hold`` goes
        to stderr).

    Examples
    --------
    A step that shows ``X = X`` would check nothing, so :meth:`Proof.equal` is given the
    unevaluated derivative and evaluates it:

    >>> import sympy as sp
    >>> from linrbp.proof import Proof, main
    >>> def proof():
    ...     pf = Proof("demo", "a derivative", "d/dx x^3 = 3 x^2")
    ...     x = sp.Symbol("x")
    ...     pf.equal("differentiate", sp.Derivative(x ** 3, x), 3 * x ** 2)
    ...     return pf
    >>> main(proof)
    ## demo: a derivative
    <BLANKLINE>
    **Theorem.** d/dx x^3 = 3 x^2
    <BLANKLINE>
    1. [ok] *exact*: differentiate: `Eq(Derivative(x**3, x), 3*x**2)`
    <BLANKLINE>
    Result: all steps hold (1 steps, ... s).
    <BLANKLINE>
    0
    """
    pf = proof()
    print(pf.render())
    if not pf.ok:
        print(f"PROOF FAILED: {len(pf.failures)} step(s) do not hold", file=sys.stderr)
    return 0 if pf.ok else 1
