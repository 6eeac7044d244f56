"""The trainer against independent routes: the five rules written out by hand (tests/_manual_rules.py,
no linrbp code), the averaged ODE field (linear nets; a consistency check, since the field and the
trainer read the same rule statement) and finite differences."""

import numpy as np
import pytest

from linrbp import DataStats, LinearSystem
from linrbp.trainer import Network, TrainConfig
from _manual_rules import mean_updates as manual_mean

RULES = ["bp", "rbp", "srbp", "arbp", "asrbp"]


def _linear_net(rule, seed=0):
    cfg = TrainConfig(rule=rule, hidden=(4, 3), activation="linear", output="linear", bias=False,
                      dtype="float64", seed=seed, dataset="teacher")
    net = Network(cfg, 5, 2)
    rng = np.random.default_rng(seed + 100)
    X = rng.standard_normal((5, 60))
    Y = rng.standard_normal((2, 5)) @ X + 0.3 * rng.standard_normal((2, 60))
    return net, X, Y


def _trainer_mean_update(net, X, Y):
    O = net.forward(X)
    dA, _, dC = net.batch_updates(O, net.backward(O, Y))
    return dA, dC


@pytest.mark.parametrize("rule", RULES)
def test_mean_update_equals_averaged_field(rule):
    net, X, Y = _linear_net(rule)
    for _ in range(3):  # also away from the initial state
        dA, dC = _trainer_mean_update(net, X, Y)
        fixed = [] if net.rule.adaptive else net.feedback  # adaptive: feedback is state
        system = LinearSystem.create(net.layers, rule, DataStats.from_samples(X, Y), fixed)
        vA, vC = system.velocity(net.weights, net.feedback)
        assert len(dC) == len(vC) == (len(net.weights) - 1 if rule.startswith("a") else 0)
        worst = max(np.abs(a - b).max() / np.abs(b).max() for a, b in zip(dA + dC, vA + vC))
        assert worst < 1e-12, worst
        # the independent route: the rule written out by hand, one example at a time
        mA, mC = manual_mean(rule, X, Y, net.weights, net.feedback)
        assert len(mA) == len(dA) and len(mC) == len(dC)
        worst = max(np.abs(a - b).max() / np.abs(b).max() for a, b in zip(dA + dC, mA + mC))
        assert worst < 1e-12, worst
        net.step(X, Y)


def test_field_comparison_detects_a_different_rule():
    # the check can fail: rbp's trainer update is not srbp's field (same network otherwise)
    net, X, Y = _linear_net("rbp")
    dA, _ = _trainer_mean_update(net, X, Y)
    fb = [np.random.default_rng(1).standard_normal((n, 2)) for n in (4, 3)]
    vA, _ = LinearSystem.create(net.layers, "srbp", DataStats.from_samples(X, Y), fb).velocity(net.weights, fb)
    assert max(np.abs(a - b).max() for a, b in zip(dA[:-1], vA[:-1])) > 1e-3
    # and the output layer, trained by the same delta rule, agrees
    assert np.allclose(dA[-1], vA[-1], rtol=1e-12, atol=1e-14)


def _loss(net, X, labels):
    P = net.forward(X)[-1]
    return -np.mean(np.log(P[labels, np.arange(X.shape[1])]))


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_bp_update_is_minus_the_gradient(activation):
    cfg = TrainConfig(rule="bp", hidden=(6, 5), activation=activation, dtype="float64", seed=3,
                      dataset="teacher")
    net = Network(cfg, 7, 4)
    rng = np.random.default_rng(7)
    for b in net.biases:
        b += 0.1 * rng.standard_normal(b.shape)
    X = rng.standard_normal((7, 30))
    labels = rng.integers(0, 4, 30)
    T = np.eye(4)[:, labels]
    O = net.forward(X)
    dA, db, _ = net.batch_updates(O, net.backward(O, T))
    eps, worst = 1e-6, 0.0
    for params, updates_ in ((net.weights, dA), (net.biases, db)):
        for P, U in zip(params, updates_):
            for idx in [tuple(rng.integers(0, n) for n in P.shape) for _ in range(6)]:
                old = P[idx]
                P[idx] = old + eps
                up = _loss(net, X, labels)
                P[idx] = old - eps
                down = _loss(net, X, labels)
                P[idx] = old
                grad = (up - down) / (2 * eps)
                worst = max(worst, abs(-U[idx] - grad))
    assert worst < 1e-7, worst
