"""Claims arbp-offset, saxe, lillicrap (docs/theory.md section 9): they pass, and they fail when the
closed form or the premise is wrong."""

import numpy as np
import pytest

import linrbp
from linrbp.catalogue._catalogue import check_rng, run_claim
from linrbp.claims import arbp_offset, lillicrap, saxe


@pytest.mark.parametrize("cid", ["arbp-offset", "saxe", "lillicrap"])
@pytest.mark.parametrize("seed", [1, 2])
def test_claim_passes(cid, seed):
    rec = run_claim(linrbp.get_claims([cid])[0], samples=4, seed=seed)
    assert rec["status"] == "pass", rec


def test_saxe_check_fails_with_the_wrong_time_constant(monkeypatch):
    right = saxe.mode_strength
    monkeypatch.setattr(saxe, "mode_strength", lambda s, u0, t: right(s / 2, u0 / 2, t) * 2)
    inst = saxe.random_instance(check_rng(0, "saxe", 0))
    assert saxe.sigmoid_error(inst) > 1e-3


def test_lillicrap_check_fails_with_the_wrong_radius(monkeypatch):
    right = lillicrap.predicted
    monkeypatch.setattr(lillicrap, "predicted", lambda inst: tuple(1.01 * M for M in right(inst)))
    insts = [lillicrap.random_instance(check_rng(0, "lillicrap", k)) for k in range(2)]
    assert min(lillicrap.limit_errors(insts)) > 1e-3


def test_zero_offset_check_fails_when_the_offset_is_not_zero():
    inst = arbp_offset.random_instance(check_rng(0, "arbp-offset", 0), zero_offset=False)
    assert arbp_offset.zero_offset_is_bp(inst) > 1e-4


def test_offset_drift_check_fails_for_a_rule_that_does_not_conserve_it():
    """ASRBP on A[2,2,2,2] (same feedback shapes as ARBP): dC_1 = O_1 delta_L^T is not
    (dA_2)^T, so the offset moves and the check sees it."""
    rng = np.random.default_rng(3)
    inst = arbp_offset.random_instance(rng)
    layers = [2, 2, 2, 2]
    W = [0.7 * rng.normal(size=(2, 2)) for _ in range(3)]
    C = [0.7 * rng.normal(size=(2, 2)) for _ in range(2)]
    inst.update(layers=layers, rule="asrbp", weights=[w.tolist() for w in W],
                feedback=[c.tolist() for c in C], sigma_ii=np.eye(2).tolist(),
                sigma_ti=rng.normal(size=(2, 2)).tolist())
    assert arbp_offset.offset_drift(inst) > 1e-3
    assert arbp_offset.offset_drift(dict(inst, rule="arbp")) < 1e-9
