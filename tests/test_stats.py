"""Data statistics: validation, estimation from samples, excess loss."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linrbp import DataStats


def test_from_samples_matches_the_definitions():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 50)), rng.normal(size=(2, 50))
    s = DataStats.from_samples(X, Y)
    np.testing.assert_allclose(s.sigma_ii, np.mean([np.outer(x, x) for x in X.T], axis=0))
    np.testing.assert_allclose(s.sigma_ti, np.mean([np.outer(y, x) for y, x in zip(Y.T, X.T)], axis=0))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_excess_loss_equals_the_loss_gap_on_data(n_in, n_out, m, seed):
    """Err(P) - min Err from the closed form vs from the samples (E|T|^2 included)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(n_in, m)), rng.normal(size=(n_out, m))
    s = DataStats.from_samples(X, Y)

    def err(P):
        R = Y - P @ X
        return 0.5 * np.mean(np.sum(R * R, axis=0))

    # Least squares on the samples is an independent route to min Err (S_II may be singular).
    P_ls = np.linalg.lstsq(X.T, Y.T, rcond=None)[0].T
    P = rng.normal(size=(n_out, n_in))
    assert s.excess_loss(P) == pytest.approx(err(P) - err(P_ls), rel=1e-9, abs=1e-10)


@pytest.mark.parametrize(
    "sii, sti, message",
    [
        ([[1.0, 0.5], [0.0, 1.0]], [[1.0, 0.0]], "sigma_ii: not symmetric"),
        ([[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0]], "sigma_ii: not positive semi-definite"),
        ([[1.0, float("nan")], [float("nan"), 1.0]], [[1.0, 0.0]], "sigma_ii: contains NaN"),
        ([[1.0, 0.0], [0.0, 1.0]], [[1.0, float("inf")]], "sigma_ti: contains NaN or infinity"),
        ([[1.0, 0.0, 0.0]], [[1.0]], "sigma_ii: must be square"),
        ([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0, 2.0]], "sigma_ti: has 3 columns"),
        ([[1.0, 0.0], [0.0, 0.0]], [[1.0, 1.0]], "sigma_ti: inconsistent with sigma_ii"),
        ([[1.0, 0.0], [0.0, 1.0, 2.0]], [[1.0, 0.0]], "sigma_ii: rows must be non-empty and of equal length"),
        ([["a", 0.0], [0.0, 1.0]], [[1.0, 0.0]], "sigma_ii: entry 'a' is not a number"),
        ("x", [[1.0]], "sigma_ii: expected a matrix"),
    ],
)
def test_bad_statistics_are_rejected_with_a_named_field(sii, sti, message):
    with pytest.raises(ValueError, match=message):
        DataStats.from_matrices(sii, sti)


def test_definite_is_required_when_asked():
    DataStats.from_matrices([[1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0]])  # PSD is fine
    with pytest.raises(ValueError, match="positive definite"):
        DataStats.from_matrices([[1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0]], definite=True)


def test_optimum_is_least_squares():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(3, 40)), rng.normal(size=(2, 40))
    s = DataStats.from_samples(X, Y)
    np.testing.assert_allclose(s.optimum(), np.linalg.lstsq(X.T, Y.T, rcond=None)[0].T, rtol=1e-10)
