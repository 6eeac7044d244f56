"""`sgd-ode` on real Fashion-MNIST (/usr/share/datasets/fashion-mnist): SGD with replacement
tracks the ODE within O(sqrt(eta)), and the seed-mean path is closer than a single path."""

import numpy as np
import pytest

from linrbp.claims import sgd_ode as S


@pytest.mark.slow
def test_sgd_gap_exponent_with_replacement_is_one_half():
    r = S.measure("bp", etas=(3.2e-3, 1e-3, 3.2e-4, 1e-4), seeds=(0, 1, 2), data_seed=3, T=0.16, n_grid=2)
    assert np.all(np.isfinite(r["gaps"])) and np.all(r["gaps"] > 0)
    assert 0.3 <= r["exponent_mean"] <= 0.7, r["exponents"]
    # the seed-mean gap is smaller than the per-run gap at every eta
    assert np.all(r["mean_gaps"] < r["gaps"].mean(axis=0))


def test_sgd_update_is_the_rule_and_ode_time_is_eta_steps():
    # One tiny step from a start: the SGD product after n steps at step eta, averaged over all
    # examples drawn once each (reshuffle, n = m), agrees with the ODE at t = eta n to O(eta^2 n).
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(50, 4)), np.eye(3)[rng.integers(0, 3, size=50)]
    A1, A2, C1 = rng.normal(size=(2, 4)) * 0.3, rng.normal(size=(3, 2)) * 0.3, rng.normal(size=(2, 3))
    for rule in ("bp", "rbp"):
        ode = S.ode_products(X, Y, rule, A1, A2, C1, np.array([0.0, 50 * 1e-4]))
        sgd = S.sgd_products(X, Y, rule, A1, A2, C1, 1e-4, 50, 50, 0, "reshuffle")
        d = np.abs(sgd[-1] - ode[-1]).max()
        moved = np.abs(ode[-1] - ode[0]).max()
        assert d < 0.05 * moved, (rule, d, moved)
