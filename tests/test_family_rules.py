"""Each rule of the wider family has its defining property (linrbp.trainer._family)."""

import numpy as np
import pytest

from linrbp import InputError
from linrbp.trainer import TrainConfig, teacher_task
from linrbp.trainer._align import alignment, angle_degrees
from linrbp.trainer._build import make_network
from linrbp.trainer._family import FAMILY
from linrbp.trainer._kickback import coherence

DATA = teacher_task(0, n_train=300, n_test=100)
BINARY = teacher_task(1, n_classes=2, n_train=300, n_test=100)


def _net(rule, data=DATA, **kw):
    kw.setdefault("hidden", (12, 10, 8))
    kw.setdefault("dtype", "float64")
    cfg = TrainConfig(dataset="teacher", rule=rule, **kw)
    return make_network(cfg, data.n_in, data.n_classes)


def _batch(data=DATA, n=60, start=0):
    X = data.x_train[start:start + n].T.astype(np.float64)
    T = np.eye(data.n_classes)[:, data.y_train[start:start + n]]
    return X, T


def _batches(k, data=DATA, n=30):
    for i in range(k):
        yield _batch(data, n, (i * n) % (len(data.x_train) - n))


# -- sign-concordant feedback --------------------------------------------------------------

@pytest.mark.parametrize("rule", ["sign-symmetry", "usf", "brsf", "frsf"])
def test_sign_feedback_signs_match_current_forward_weights(rule):
    net = _net(rule)
    mags = []
    for X, T in _batches(4):
        net.step(X, T)
        net.provider_family.before_batch()  # what the next batch would use
        for h, C in enumerate(net.feedback):
            assert C.shape == net.weights[h + 1].T.shape
            assert (np.sign(C) == np.sign(net.weights[h + 1].T)).all()
        mags.append([np.abs(C).copy() for C in net.feedback])
    first, last = mags[0], mags[-1]
    if rule == "sign-symmetry":
        assert all((m == 1).all() for m in last)
    if rule == "usf":
        for C in last:
            assert np.allclose(C, np.sqrt(2.0 / sum(C.shape)))
    if rule == "frsf":  # fixed magnitudes, only the signs follow A
        assert all(np.array_equal(a, b) for a, b in zip(first, last))
    if rule == "brsf":  # redrawn every batch
        assert not any(np.array_equal(a, b) for a, b in zip(first, last))


def test_sign_feedback_is_aligned_and_random_feedback_is_not():
    X, T = _batch()
    sign = alignment(_net("usf"), X, T)["feedback_vs_forward"]
    rbp = alignment(_net("rbp"), X, T)["feedback_vs_forward"]
    # a sign-concordant matrix of Gaussian entries: cos = E|a| / sqrt(E a^2) = sqrt(2/pi), 37 deg
    assert all(abs(a - np.degrees(np.arccos(np.sqrt(2 / np.pi)))) < 8 for a in sign.values())
    assert all(a > 60 for a in rbp.values())


# -- Kolen-Pollack -------------------------------------------------------------------------

def test_kolen_pollack_difference_contracts_geometrically():
    wd = 0.5
    net = _net("kolen-pollack", weight_decay=wd, lr=0.1, lr_decay=1e-3)
    diff0 = [np.linalg.norm(C - A.T) for C, A in zip(net.feedback, net.weights[1:])]
    factor = 1.0
    for X, T in _batches(30):
        factor *= 1.0 - net.learning_rate() * wd
        net.step(X, T)
    diff = [np.linalg.norm(C - A.T) for C, A in zip(net.feedback, net.weights[1:])]
    # C - A^T sees identical updates on both sides, then the common decay (closed form)
    assert np.allclose(diff, np.array(diff0) * factor, rtol=1e-9)
    assert factor < 0.3


def test_kolen_pollack_feedback_converges_to_transposed_weights():
    net = _net("kolen-pollack", weight_decay=1.0, lr=0.2)
    X, T = _batch()
    before = alignment(net, X, T)["feedback_vs_forward"]
    for X2, T2 in _batches(150):
        net.step(X2, T2)
    after = alignment(net, X, T)
    assert all(a > 60 for a in before.values())
    assert all(a < 1.0 for a in after["feedback_vs_forward"].values()), after
    assert all(abs(r - 1) < 0.01 for r in after["feedback_norm_ratio"].values())
    assert all(a < 1.0 for a in after["update_vs_bp"].values())  # so its updates are BP's


def test_without_weight_decay_kolen_pollack_does_not_converge():
    net = _net("kolen-pollack", weight_decay=0.0)
    diff0 = [np.linalg.norm(C - A.T) for C, A in zip(net.feedback, net.weights[1:])]
    for X, T in _batches(20):
        net.step(X, T)
    diff = [np.linalg.norm(C - A.T) for C, A in zip(net.feedback, net.weights[1:])]
    assert np.allclose(diff, diff0, rtol=1e-9)


# -- weight mirrors ------------------------------------------------------------------------

def test_weight_mirror_alignment_improves_with_mirror_steps():
    net = _net("weight-mirror")
    X, T = _batch()
    before = alignment(net, X, T)["feedback_vs_forward"]
    for _ in range(200):  # mirror phase only: forward weights fixed
        net.provider_family.after_batch(0.0)
    after = alignment(net, X, T)
    assert all(a > 60 for a in before.values())
    assert all(a < 10 for a in after["feedback_vs_forward"].values()), after
    assert all(0.8 < r < 1.2 for r in after["feedback_norm_ratio"].values())


def test_weight_mirror_learns_the_noise_correlation():
    # the fixed point is E[x (A x)^T] = Cov(x) A^T: with non-white noise it is not A^T
    net = _net("weight-mirror")
    rng = np.random.default_rng(0)
    scale = [np.linspace(0.2, 2.0, C.shape[0]) for C in net.feedback]

    class Skewed:
        def standard_normal(self, shape):
            h = [C.shape[0] for C in net.feedback].index(shape[0])
            return rng.standard_normal(shape) * scale[h][:, None]

    net.family_rng = Skewed()
    for _ in range(300):
        net.provider_family.after_batch(0.0)
    for h, C in enumerate(net.feedback):
        target = (scale[h] ** 2)[:, None] * net.weights[h + 1].T
        assert angle_degrees(C, target) < angle_degrees(C, net.weights[h + 1].T)


# -- target propagation --------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["dtp", "sdtp", "ao-sdtp"])
def test_inverses_reduce_reconstruction_error(rule):
    net = _net(rule)
    X, _ = _batch(n=200)
    before = net.reconstruction_errors(X)
    for _ in range(150):  # inverses only, forward weights fixed
        net.train_inverses(net.forward(X))
    after = net.reconstruction_errors(X)
    assert set(before) == set(after) and len(before) == (2 if rule == "dtp" else 3)
    for k in before:
        # SDTP's top inverse sees only the 4 class probabilities of an 8-unit layer: it can
        # only improve so far (the information loss AO-SDTP's auxiliary output removes)
        bound = 0.8 if (rule, k) == ("sdtp", "C_3") else 0.5
        assert after[k] < bound * before[k], (k, before[k], after[k])


def test_auxiliary_output_makes_the_top_inverse_better():
    X, _ = _batch(n=200)
    err = {}
    for rule in ("sdtp", "ao-sdtp"):
        net = _net(rule)
        for _ in range(150):
            net.train_inverses(net.forward(X))
        err[rule] = net.reconstruction_errors(X)["C_3"]
    assert err["ao-sdtp"] < 0.5 * err["sdtp"], err


def test_dtp_penultimate_layer_gets_the_gradient_and_sdtp_does_not():
    X, T = _batch()
    for rule, exact in (("dtp", True), ("sdtp", False)):
        net = _net(rule)
        O = net.forward(X)
        tp = net.backward(O, T)
        bp = net.backward(O, T, rule="bp")
        alpha = FAMILY[rule].defaults["target_lr"]
        assert np.allclose(tp[-1], bp[-1])  # the output layer's own error
        assert np.allclose(tp[-2], alpha * bp[-2]) == exact


@pytest.mark.parametrize("rule", ["dtp", "sdtp", "ao-sdtp"])
def test_difference_targets_vanish_without_error(rule):
    # tau_h = O_h + g(tau_{h+1}) - g(O_{h+1}): no output error, no target displacement
    net = _net(rule)
    X, _ = _batch()
    O = net.forward(X)
    deltas = net.backward(O, O[-1].copy())
    assert all(np.abs(d).max() < 1e-12 for d in deltas)


# -- Kickback ------------------------------------------------------------------------------

def _kick(**kw):
    return _net("kickback", BINARY, activation="relu", output="linear", **kw)


def test_kickback_signal_is_global_error_times_influence():
    net = _kick()
    X, T = _batch(BINARY)
    O = net.forward(X)
    kb = net.backward(O, T)
    beta = (T[1] - T[0]) - O[-1][0]
    for h in range(net.L - 1):
        influence = np.array([net.weights[h + 1][:, j].sum() for j in range(net.layers[h + 1])])
        fprime = net.tags[h][:, None] * (O[h + 1] != 0)
        assert np.allclose(kb[h], fprime * influence[:, None] * beta[None, :])
    bp = net.backward(O, T, rule="bp")
    assert np.allclose(kb[-2], bp[-2])  # one output: the last hidden layer's signal is exact


@pytest.mark.parametrize("seed", range(5))
def test_kickback_follows_gradient_sign_when_coherent(seed):
    net = _kick(seed=seed)
    assert coherence(net.weights, net.tags) == (1.0, True)
    X, T = _batch(BINARY, 100, 20 * seed)
    m = net.family_metrics(X, T)
    assert m["kickback_coherence"]["weight_fraction"] == 1.0
    assert all(v == 1.0 for v in m["kickback_sign_agreement_with_bp"].values())
    # per example each unit's update is a positive multiple of the gradient's
    O = net.forward(X)
    kb, bp = net.backward(O, T), net.backward(O, T, rule="bp")
    for a, b in zip(kb, bp):
        assert (a * b >= 0).all()


def test_kickback_sign_agreement_fails_without_coherence():
    net = _kick(seed=0)
    rng = np.random.default_rng(3)
    for h in range(1, net.L):  # random signs on outgoing weights: incoherent
        net.weights[h] = np.abs(net.weights[h]) * rng.choice([-1.0, 1.0], size=net.weights[h].shape)
    frac, whole = coherence(net.weights, net.tags)
    assert not whole and 0.3 < frac < 0.7
    X, T = _batch(BINARY, 100)
    agree = net.family_metrics(X, T)["kickback_sign_agreement_with_bp"]
    assert agree["delta_1"] < 0.95


def test_kickback_coherence_is_measured_during_training():
    net = _kick(lr=0.01)
    for X, T in _batches(10, BINARY):
        net.step(X, T)
    X, T = _batch(BINARY)
    m = net.family_metrics(X, T)["kickback_coherence"]
    frac, whole = coherence(net.weights, net.tags)
    assert m["weight_fraction"] == frac and m["coherent_now"] == float(whole)
    assert 0.0 <= m["step_fraction"] <= 1.0 and net.t == 10


# -- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("kw,msg", [
    ({"rule": "kickback"}, "rectilinear"),
    ({"rule": "dtp", "activation": "relu"}, "invertible"),
    ({"rule": "dtp", "dropout": 0.5}, "dropout"),
    ({"rule": "usf", "update_bits": 8}, "update-bits"),
    ({"rule": "dtp", "weight_decay": 0.1}, "weight-decay"),
    ({"rule": "top-only", "weight_decay": 0.1}, "weight-decay"),
    ({"rule": "rbp", "weight_decay": -0.1}, "weight-decay"),  # rbp has a decay (linrbp.core._rules)
    ({"rule": "kolen-pollack", "weight_decay": -1.0}, "weight-decay"),
    ({"rule": "brsf", "feedback": "uniform"}, "feedback"),
])
def test_undefined_options_are_rejected(kw, msg):
    with pytest.raises(InputError, match=msg):
        TrainConfig(dataset="teacher", **kw)


def test_kickback_needs_two_classes():
    with pytest.raises(InputError, match="two-class"):
        make_network(TrainConfig(dataset="teacher", rule="kickback", activation="relu", output="linear"),
                     DATA.n_in, DATA.n_classes)
