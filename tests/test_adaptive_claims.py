"""Claims kolen-pollack and weight-mirror (docs/theory.md section 10): they pass, and each check
fails when the closed form, the field or the trainer's step is wrong."""

import numpy as np
import pytest

import linrbp
from linrbp.catalogue._catalogue import check_rng, run_claim
from linrbp.claims import kolen_pollack as kp
from linrbp.claims import weight_mirror as wm


@pytest.mark.parametrize("cid", ["kolen-pollack", "weight-mirror"])
def test_claim_passes(cid):
    rec = run_claim(linrbp.get_claims([cid])[0], samples=2, seed=1)
    assert rec["status"] == "pass", rec


def test_offset_check_fails_with_the_wrong_rate(monkeypatch):
    right = kp.closed_form_offset
    monkeypatch.setattr(kp, "closed_form_offset", lambda W, C, lam, t: right(W, C, 1.01 * lam, t))
    inst = kp.random_instance(check_rng(0, "kolen-pollack", 0))
    assert kp.offset_error(inst) > 1e-6


def test_offset_check_fails_when_feedback_decay_is_missing():
    # ARBP + decay on A only (a rule stated here): the offset no longer decays as e^{-lambda t}
    from linrbp.core._rules import Rule, decay_weights

    half = Rule("kp-without-feedback-decay", "feedback", "next", True, parameters=linrbp.get_rule("kolen-pollack").parameters,
                weight_drift=decay_weights)
    linrbp.register_rule(half, replace_existing=True)
    inst = dict(kp.random_instance(check_rng(0, "kolen-pollack", 1)), rule=half.name)
    assert kp.offset_error(inst) > 1e-6


def test_trainer_checks_fail_with_a_wrong_decay(monkeypatch):
    inst = kp.trainer_instance(check_rng(0, "kolen-pollack", 2))
    assert kp.trainer_field_error(inst) < kp.TRAINER_TOL
    assert kp.discrete_offset_error(inst) < kp.DISCRETE_TOL
    wrong = dict(inst, weight_decay=inst["weight_decay"] * 1.01)
    orig = kp._net

    def net_with_true_decay_but_checked_against_wrong(i, lr, activation="linear"):
        return orig(inst, lr, activation)  # the trainer decays by the true lambda

    monkeypatch.setattr(kp, "_net", net_with_true_decay_but_checked_against_wrong)
    assert kp.trainer_field_error(wrong) > 1e-4
    assert kp.discrete_offset_error(wrong) > 1e-5


def test_simulate_check_fails_with_a_wrong_prediction(monkeypatch):
    from linrbp.instances import _predict

    right = _predict.predict_kolen_pollack
    monkeypatch.setattr(_predict, "PREDICTORS", [lambda i, t_end=None: right(i, t_end=1.001 * t_end)])
    inst = kp.random_instance(check_rng(0, "kolen-pollack", 3))
    assert kp.simulate_error(inst) > 1e-6


def test_mirror_mean_check_fails_with_a_biased_probe(monkeypatch):
    inst = wm.trainer_instance(check_rng(0, "weight-mirror", 0))
    assert wm.probe_mean_z(inst, repeats=200) < wm.Z_TOL
    orig = wm._mirror_phase

    def biased(net):  # the drift towards 1.1 A^T instead of A^T
        for h, C in enumerate(net.feedback):
            C += 0.1 * float(net.family.defaults["mirror_lr"]) * net.weights[h + 1].T
        orig(net)

    monkeypatch.setattr(wm, "_mirror_phase", biased)
    assert wm.probe_mean_z(inst, repeats=200) > 2 * wm.Z_TOL


def test_variation_of_constants_fails_with_the_wrong_kappa():
    inst = wm.random_instance(check_rng(0, "weight-mirror", 1))
    assert wm.variation_of_constants_error(inst) < wm.VOC_TOL
    # the same path checked against a formula with kappa off by 1%: the check sees it
    wrong = dict(inst)
    field_rate = inst["mirror_rate"]
    wrong["mirror_rate"] = field_rate * 1.01
    p_err = wm.variation_of_constants_error  # integrate with 1.01 kappa, formula with 1.01 kappa: passes
    assert p_err(wrong) < wm.VOC_TOL
    r = linrbp.get_rule("weight-mirror")
    bad = linrbp.Rule("wm-off", "feedback", "next", True, learning="none", parameters=r.parameters,
                      weight_drift=r.weight_drift,
                      feedback_drift=lambda h, A, C, p: (linrbp.core._rules.transpose(A[h + 1]) - C[h])
                      * (1.01 * p["mirror_rate"]))
    linrbp.register_rule(bad, replace_existing=True)
    assert wm.variation_of_constants_error(dict(inst, rule="wm-off")) > 1e-5
