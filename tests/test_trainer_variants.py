"""Every learning-channel variant runs and has its defining property."""

import numpy as np
import pytest

from linrbp import InputError
from linrbp.trainer import (ERROR_ALPHA, UPDATE_ALPHA, Network, TrainConfig, draw_feedback,
                            forward_counterparts, quantise, quantiser_levels, teacher_task, train)

DATA = teacher_task(0, n_train=300, n_test=200)


def _net(**kw):
    kw.setdefault("hidden", (12, 10, 8))
    cfg = TrainConfig(dataset="teacher", **kw)
    return Network(cfg, DATA.n_in, DATA.n_classes)


def _batch(n=50, dtype=np.float32):
    X = DATA.x_train[:n].T.astype(dtype)
    T = np.eye(DATA.n_classes, dtype=dtype)[:, DATA.y_train[:n]]
    return X, T


def _copy(arrs):
    return [a.copy() for a in arrs]


VARIANTS = [
    {"rule": r} for r in ("bp", "rbp", "srbp", "arbp", "asrbp", "top-only")
] + [{"rule": r, "derivative": False} for r in ("bp", "rbp", "srbp", "arbp", "asrbp")] + [
    {"rule": "rbp", "feedback": d} for d in ("uniform", "binary", "binary01")] + [
    {"rule": "rbp", "feedback_mean": 1.0}, {"rule": "srbp", "feedback_sparsity": 0.01},
    {"rule": "rbp", "resample": "batch"}, {"rule": "srbp", "resample": "sign-concordant"},
    {"rule": "srbp", "hidden_update": "sign"}, {"rule": "srbp", "hidden_update": "abs"},
    {"rule": "srbp", "per_synapse": True}, {"rule": "srbp", "freeze_layer": 2},
    {"rule": "rbp", "dropout": 0.3}, {"rule": "bp", "error_bits": 4}, {"rule": "srbp", "update_bits": 8},
    {"rule": "arbp", "update_bits": 8},
] + [{"rule": "srbp", "activation": a} for a in ("logistic", "relu", "linear")] + [
    {"rule": "rbp", "dtype": "float64"}]


@pytest.mark.parametrize("over", VARIANTS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_every_variant_trains(over):
    res = train(TrainConfig(dataset="teacher", hidden=(16, 16), epochs=2, batch_size=25, **over),
                DATA, progress=False)
    assert res["status"] == "finished" and len(res["history"]) == 2
    assert 0 <= res["test_accuracy"] <= 1 and res["config"]["seed"] == 0
    assert set(res["alignment"]) >= {"update_vs_bp"}


def test_learning_beats_chance_on_teacher():
    res = train(TrainConfig(dataset="teacher", hidden=(32, 32), epochs=15, rule="srbp"), DATA, progress=False)
    base = np.bincount(DATA.y_test).max() / len(DATA.y_test)
    assert res["test_accuracy"] > base + 0.1, (res["test_accuracy"], base)


@pytest.mark.parametrize("bits", [1, 2, 5, 10])
def test_quantiser_levels_and_error(bits):
    x = np.random.default_rng(bits).normal(0, 0.2, 10000)
    q = quantise(x.copy(), bits, ERROR_ALPHA)
    levels = quantiser_levels(bits, ERROR_ALPHA)
    assert len(levels) == 2 ** bits + 1
    assert np.isin(q, levels).all()
    s = ERROR_ALPHA / 2 ** (bits - 1)
    inside = np.abs(x) <= ERROR_ALPHA
    assert np.abs(q - x)[inside].max() <= s / 2 + 1e-15
    assert (q[~inside] == np.sign(x[~inside]) * ERROR_ALPHA).all()


@pytest.mark.parametrize("scale, B", [("example", 1), ("batch-mean", 50)])
def test_error_bits_quantise_hidden_signals(scale, B):
    """With error_scale "example" each example's delta_h sits on the levels; with
    "batch-mean" its share delta_h / B does (B = 50 examples)."""
    net = _net(rule="rbp", derivative=False, error_bits=3, error_scale=scale)
    X, T = _batch(50)
    deltas = net.backward(net.forward(X), T)
    levels = quantiser_levels(3, ERROR_ALPHA)
    for d in deltas[:-1]:
        k = d.astype(np.float64) / B / levels[-1] * 4  # in units of the step s = alpha / 4
        assert np.abs(k - np.rint(k)).max() < 1e-4 and np.abs(k).max() <= 4
    assert len(np.unique(deltas[0])) > 1
    k = deltas[-1].astype(np.float64) / B / levels[-1] * 4
    assert np.abs(k - np.rint(k)).max() > 1e-2  # the output error is not quantised


def test_error_bits_at_float_resolution_leave_only_the_clip():
    """24 bits: the quantiser's step is below float32 resolution, so what is left is clip(., +-alpha)."""
    X, T = _batch(50, np.float64)
    net = _net(rule="srbp", derivative=False, error_bits=24, dtype="float64")
    ref = _net(rule="srbp", derivative=False, dtype="float64")
    q, d = net.backward(net.forward(X), T), ref.backward(ref.forward(X), T)
    for a, b in zip(q[:-1], d[:-1]):
        np.testing.assert_allclose(a, np.clip(b, -ERROR_ALPHA, ERROR_ALPHA), atol=ERROR_ALPHA / 2 ** 23)
    assert any((np.abs(b) > ERROR_ALPHA).any() for b in d[:-1])  # the clip is exercised


def test_update_bits_quantise_each_example():
    net = _net(rule="srbp", update_bits=5)
    X, T = _batch(40)
    O = net.forward(X)
    dA, _, _ = net.batch_updates(O, net.backward(O, T), lr=0.1)
    s = UPDATE_ALPHA / 2 ** 4
    for U in dA:
        k = U.astype(np.float64) / s  # a sum of 40 quantised per-example steps
        assert np.abs(k - np.rint(k)).max() < 1e-3
        assert np.abs(U).max() <= 40 * UPDATE_ALPHA and np.abs(k).max() >= 1
    assert net.learning_rate() == 0.1


def test_sign_concordant_signs_match_forward_weights():
    for rule in ("rbp", "srbp"):
        net = _net(rule=rule, resample="sign-concordant")
        X, T = _batch()
        net.step(X, T)
        before = _copy(net.feedback)
        counterparts = forward_counterparts(net.rule, net.weights)
        net.step(X, T)  # redraws from the current weights, then updates them
        for C, M in zip(net.feedback, counterparts):
            assert (np.sign(C) == np.sign(M)).all()
        assert any(not np.array_equal(a, b) for a, b in zip(before, net.feedback))


def test_resampling_redraws_and_fixed_feedback_stays():
    X, T = _batch()
    for mode, changes in (("batch", True), ("none", False)):
        net = _net(rule="srbp", resample=mode)
        before = _copy(net.feedback)
        net.step(X, T)
        assert any(not np.array_equal(a, b) for a, b in zip(before, net.feedback)) == changes
        if mode == "batch":
            assert abs(np.mean(np.concatenate([C.ravel() for C in net.feedback]))) < 0.05


def test_resampled_feedback_gives_mean_zero_hidden_updates():
    """Why per-batch resampling is no better than top-only: averaged over fresh feedback
    draws, the hidden updates of RBP/SRBP vanish like 1/sqrt(draws) (the hidden layers only
    random-walk), while sign-concordant draws keep a mean update aligned with BP's."""
    X, T = _batch(50, np.float64)
    n = 400
    for rule in ("rbp", "srbp"):
        means = {}
        for mode in ("batch", "sign-concordant"):
            net = _net(rule=rule, resample=mode, dtype="float64")
            O = net.forward(X)
            draws = []
            for _ in range(n):
                net.feedback = net.provider.redraw(net.weights)
                dA, _, _ = net.batch_updates(O, net.backward(O, T))
                draws.append(dA[0])
            draws = np.array(draws)
            means[mode] = np.linalg.norm(draws.mean(axis=0)) / np.sqrt(np.mean(np.sum(draws ** 2, axis=(1, 2))))
            bp = net.batch_updates(O, net.backward(O, T, rule="bp"))[0][0]
            cos = np.sum(draws.mean(axis=0) * bp) / (np.linalg.norm(draws.mean(axis=0)) * np.linalg.norm(bp))
            if mode == "sign-concordant":
                assert cos > 0.2, (rule, cos)
        # a mean-zero walk: |mean of n draws| / rms draw ~ 1/sqrt(n) = 0.05
        assert means["batch"] < 3 / np.sqrt(n), (rule, means)
        assert means["sign-concordant"] > 0.3, (rule, means)


@pytest.mark.parametrize("frac,cols", [(0.01, 7), (0.3, 50), (1.0, 9)])
def test_sparse_feedback_nonzeros_per_row(frac, cols):
    C = draw_feedback(np.random.default_rng(0), (40, cols), sparsity=frac)
    k = max(1, round(frac * cols))
    assert ((C != 0).sum(axis=1) == k).all()


def test_feedback_laws():
    rng = np.random.default_rng(0)
    sigma = np.sqrt(2 / (30 + 20))
    assert np.allclose(np.unique(draw_feedback(rng, (30, 20), "binary", dtype=np.float64)), [-sigma, sigma])
    assert np.allclose(np.unique(draw_feedback(rng, (30, 20), "binary01", dtype=np.float64)), [0, 2 * sigma])
    U = draw_feedback(rng, (300, 200), "uniform", dtype=np.float64)
    assert np.abs(U).max() <= np.sqrt(3) * np.sqrt(2 / 500) and abs(U.std() / np.sqrt(2 / 500) - 1) < 0.02
    G = draw_feedback(rng, (300, 200), "gaussian", mean=1.0, dtype=np.float64)
    assert abs(G.mean() / np.sqrt(2 / 500) - 1) < 0.02


def test_frozen_layer_and_top_only_leave_weights_unchanged():
    X, T = _batch()
    net = _net(rule="srbp", freeze_layer=2)
    before = _copy(net.weights)
    net.step(X, T)
    changed = [not np.array_equal(a, b) for a, b in zip(before, net.weights)]
    assert changed == [True, False, True, True]
    net = _net(rule="top-only")
    before, bias_before = _copy(net.weights), _copy(net.biases)
    net.step(X, T)
    changed = [not np.array_equal(a, b) for a, b in zip(before, net.weights)]
    assert changed == [False, False, False, True]
    assert all(np.array_equal(a, b) for a, b in zip(bias_before[:-1], net.biases[:-1]))


def test_sign_only_and_abs_only_updates():
    X, T = _batch()
    for mode in ("sign", "abs", "full"):
        net = _net(rule="srbp", hidden_update=mode)
        O = net.forward(X)
        dA, _, _ = net.batch_updates(O, net.backward(O, T))
        ref = _net(rule="srbp")
        rA, _, _ = ref.batch_updates(O, ref.backward(O, T))
        for U, R in zip(dA[:-1], rA[:-1]):
            if mode == "sign":
                assert np.allclose(np.abs(U), np.abs(R).mean()) and (np.sign(U) == np.sign(R)).all()
            elif mode == "abs":
                assert np.array_equal(U, np.abs(R))
            else:
                assert np.array_equal(U, R)
        assert np.array_equal(dA[-1], rA[-1])  # the output layer keeps its delta rule


def test_no_derivative_drops_fprime():
    X, T = _batch()
    net = _net(rule="srbp", derivative=False)
    O = net.forward(X)
    d = net.backward(O, T)
    delta_top = T - O[-1]
    for h in range(len(d) - 1):
        assert np.allclose(d[h], net.feedback[h] @ delta_top, atol=1e-6)
    with_fp = _net(rule="srbp").backward(O, T)
    assert np.allclose(with_fp[0], d[0] * (1 - O[1] ** 2), atol=1e-6)


def test_per_synapse_feedback_shape_and_update():
    X, T = _batch()
    net = _net(rule="srbp", per_synapse=True)
    layers = net.layers
    assert [C.shape for C in net.feedback] == [(layers[h], layers[h + 1], layers[-1]) for h in range(3)]
    O = net.forward(X)
    d = net.backward(O, T)
    dA, _, _ = net.batch_updates(O, d)
    delta_top = T - O[-1]
    h, i, j = 1, 3, 5  # dA_ij = mean_b f'_i (C_ij . delta_b) O_jb, its own feedback vector
    expect = np.mean((1 - O[h + 1][i] ** 2) * (net.feedback[h][j, i] @ delta_top) * O[h][j])
    assert np.isclose(dA[h][i, j], expect, rtol=1e-4, atol=1e-7)


def test_dropout_zeroes_the_learning_channel():
    X, T = _batch(200)
    net = _net(rule="bp", dropout=0.5, derivative=False)
    d = net.backward(net.forward(X), T)
    frac = np.mean(np.concatenate([(x == 0).ravel() for x in d[:-1]]))
    assert 0.45 < frac < 0.55
    assert np.mean(d[-1] == 0) < 0.01


def test_adaptive_feedback_learns():
    X, T = _batch()
    for rule in ("arbp", "asrbp"):
        net = _net(rule=rule)
        before = _copy(net.feedback)
        net.step(X, T)
        assert all(not np.array_equal(a, b) for a, b in zip(before, net.feedback))


@pytest.mark.parametrize("bad", [
    {"rule": "nope"}, {"epochs": 0}, {"batch_size": -1}, {"lr": 0}, {"dropout": 1.0},
    {"error_bits": 0}, {"rule": "bp", "resample": "batch"}, {"rule": "arbp", "resample": "batch"},
    {"rule": "rbp", "per_synapse": True}, {"feedback_sparsity": 0.0, "rule": "rbp"},
    {"rule": "top-only", "freeze_layer": 1}, {"freeze_layer": 9}, {"hidden": ()}, {"dtype": "float16"},
])
def test_bad_configurations_are_input_errors(bad):
    with pytest.raises(InputError):
        TrainConfig(dataset="teacher", **bad)


def test_dropout_in_the_learning_channel_is_unbiased_over_masks():
    """EXPERIMENTS.md variant 9: a unit of the learning channel is dropped with probability p and
    the kept ones are rescaled by 1/(1 - p), so averaged over masks the backward signal equals
    the undropped one at every hidden layer (without the rescaling the mean would be (1-p) and
    (1-p)^2 times the signal: 50% and 75% off here)."""
    from linrbp.trainer import Network, TrainConfig

    cfg = TrainConfig(rule="rbp", hidden=(20, 15), dropout=0.5, seed=3)
    net = Network(cfg, 10, 4)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 8))
    T = np.eye(4)[rng.integers(0, 4, 8)].T
    O = net.forward(X)
    undropped = net.backward(O, T, dropout=False)
    n = 3000
    total = [np.zeros_like(d) for d in undropped[:-1]]
    for _ in range(n):
        for acc, d in zip(total, net.backward(O, T, dropout=True)[:-1]):
            acc += d
    for h, (acc, ref) in enumerate(zip(total, undropped[:-1]), start=1):
        err = np.linalg.norm(acc / n - ref) / np.linalg.norm(ref)
        # statistical error of a 3000-mask mean: about 1.6% (layer 2) and 3.2% (layer 1)
        assert err < 0.08, f"delta_{h}: mean over masks off by {err:.1%}"
