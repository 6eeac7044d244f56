"""The registry of the machine-checked proofs: one script per docs/theory.md claim ID,
``proofs/<id>.py``, holds the theorem and its proof step by step (run it, or ``linrbp prove ID``);
those scripts are the package :mod:`linrbp.proofs` (a wheel ships them as ``linrbp/proofs/``).

``PROOFS[id](**premises)`` returns a :class:`linrbp.proof.Proof`; premises are keyword
arguments (e.g. ``PROOFS["chain"](c_top=-1)``, ``PROOFS["chain111"](rule="bp")``) so a
changed premise makes a step fail.
"""

from __future__ import annotations

from ..core._errors import InputError
from ..proofs import (arbp_offset, autoencoder, autoencoder_general, bp_balance, chain, chain111, lillicrap,
               kolen_pollack, nonlinear, poly1d, rbp_limit, rbp_modes, saxe, sgd_ode, single_hidden,
               srbp_bottleneck, structure, weight_mirror, wide1N1)
from ..proofs import identity_exponential, single_hidden_lyapunov
from ..proofs import (ts_align_then_memorise, ts_arbp_offset, ts_eps_g, ts_i3_index, ts_integrals,
                      ts_linear_bridge, ts_linear_drift, ts_ode_vs_sgd)

from ._proof import Proof

__all__ = ["PROOFS", "run_proofs"]

# docs/theory.md order: claim ID -> its proof.
PROOFS = {
    "poly1d": poly1d.proof, "chain111": chain111.proof, "chain": chain.proof, "wide1N1": wide1N1.proof,
    "autoencoder": autoencoder.proof, "single-hidden": single_hidden.proof, "nonlinear": nonlinear.proof,
    "structure": structure.proof, "autoencoder-general": autoencoder_general.proof,
    "arbp-offset": arbp_offset.proof, "bp-balance": bp_balance.proof, "saxe": saxe.proof,
    "lillicrap": lillicrap.proof,
    "rbp-limit": rbp_limit.proof, "srbp-bottleneck": srbp_bottleneck.proof,
    "rbp-modes": rbp_modes.proof, "kolen-pollack": kolen_pollack.proof,
    "weight-mirror": weight_mirror.proof, "sgd-ode": sgd_ode.proof,
    "single-hidden-lyapunov": single_hidden_lyapunov.proof, "identity-exponential": identity_exponential.proof,
    "ts-integrals": ts_integrals.proof, "ts-eps-g": ts_eps_g.proof, "ts-ode-vs-sgd": ts_ode_vs_sgd.proof,
    "ts-i3-index": ts_i3_index.proof, "ts-linear-bridge": ts_linear_bridge.proof,
    "ts-linear-drift": ts_linear_drift.proof, "ts-align-then-memorise": ts_align_then_memorise.proof,
    "ts-arbp-offset": ts_arbp_offset.proof,
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
