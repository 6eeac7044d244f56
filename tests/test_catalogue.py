"""The claim catalogue: every docs/theory.md claim ID with a proof script is reachable from verify."""

from pathlib import Path

import linrbp


def test_every_proof_script_has_a_claim_in_the_catalogue():
    proofs = {p.stem.replace("_", "-") for p in (Path(__file__).parents[1] / "proofs").glob("*.py")}
    claims = {c.id for c in linrbp.get_claims()}
    assert proofs == claims


def test_every_claim_has_symbolic_and_numeric_evidence():
    for claim in linrbp.get_claims():
        kinds = {c.kind for c in claim.checks}
        assert {"numeric", "symbolic"} <= kinds, claim.id
