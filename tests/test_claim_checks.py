"""Every check of every claim in the catalogue also runs in the test suite, at small sample
counts (each check's own first instances, at most 3; exact symbolic checks once), so a break that `linrbp verify` would catch
is caught by the tests too. Claims registered later (new IDs) are picked up automatically."""

from __future__ import annotations

import pytest

import linrbp
from linrbp.catalogue._catalogue import check_rng

CASES = [(c.id, chk.name) for c in linrbp.get_claims() for chk in c.checks]


@pytest.mark.parametrize("claim_id,check", CASES, ids=[f"{a}::{b}" for a, b in CASES])
def test_every_claim_check_passes_at_small_samples(claim_id, check):
    chk = linrbp.CLAIMS[claim_id].check(check)
    # the check's own first draws: min(its default, 3) (a check whose default is 2 draws the
    # same 2 instances as `linrbp verify`)
    ev = chk.run(check_rng(0, claim_id, check), samples=min(chk.samples, 3))
    assert ev.passed, f"{claim_id}::{check}: worst {ev.max_error:.3g} > tolerance {ev.tolerance:.1e} at {ev.worst_instance}"
