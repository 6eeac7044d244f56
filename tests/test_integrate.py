"""The reference integrator (scipy solve_ivp with events) against closed forms."""

import numpy as np
import pytest

from linrbp import integrate, integrate_batch


def linear_decay(y):
    return -y


def blow_up(y):
    return y * y


def test_time_limit_state_is_accurate():
    res = integrate(linear_decay, [2.0, -3.0], 4.0, conv_tol=1e-300)
    assert res.status[0] == "time-limit" and res.t_end[0] == 4.0
    np.testing.assert_allclose(res.y[0], np.array([2.0, -3.0]) * np.exp(-4.0), rtol=1e-8)


def test_convergence_event_fires_when_the_field_is_small():
    res = integrate(linear_decay, [1.0], 1e3, conv_tol=1e-10)
    assert res.status[0] == "converged"
    # |f| = |y| = 1e-10 (1 + |y|) at the event: t = log(1/1e-10) approximately.
    assert res.t_end[0] == pytest.approx(np.log(1e10), rel=1e-6)


def test_divergence_event_near_the_blow_up_time():
    x0 = 0.5  # x' = x^2 blows up at t* = 1/x0
    res = integrate(blow_up, [x0], 10.0, bound=1e8)
    assert res.status[0] == "diverged"
    # The event is where x = 1e8: t = 1/x0 - 1e-8.
    assert res.t_end[0] == pytest.approx(1 / x0 - 1e-8, abs=1e-9)


def test_start_at_a_fixed_point_converges_at_time_zero():
    res = integrate(lambda y: y * (1 - y), [1.0], 10.0)
    assert res.status[0] == "converged" and res.t_end[0] == 0.0


@pytest.mark.parametrize("bad, message", [(-1.0, "t_max: must be positive"), (float("nan"), "t_max: must be positive"),
                                           ("x", "t_max: expected a positive number")])
def test_bad_t_max(bad, message):
    with pytest.raises(ValueError, match=message):
        integrate(linear_decay, [1.0], bad)
    with pytest.raises(ValueError, match=message):
        integrate_batch(linear_decay, np.ones((2, 1)), bad)


def test_nan_start_is_rejected():
    with pytest.raises(ValueError, match="y0: initial state contains NaN"):
        integrate(linear_decay, [np.nan], 1.0)


def test_batched_divergence_time_is_the_blow_up_time():
    """integrate_batch's divergence event vs the exact blow-up time of poly1d (docs/theory.md section 1).

    Degree-5 case found by a sweep: a first step from x0 jumped over the singularity to
    |x| = 5e185 with a small relative error estimate, reporting twice the blow-up time."""
    from linrbp import poly1d_limit

    rng = np.random.default_rng(1)
    cases = [([0.693, -0.897, 0.708, -1.442, -1.928, -1.343], -3.335734827995285)]
    while len(cases) < 40:
        c, x0 = rng.normal(size=rng.integers(3, 7)), 2 * rng.normal()
        if poly1d_limit(c, x0).kind == "blow-up":
            cases.append((c, x0))
    for c, x0 in cases:
        exact = poly1d_limit(c, x0).blowup_time
        res = integrate_batch(lambda y, c=c: np.polyval(c, y), np.array([[x0]]), 10 * exact + 1)
        assert res.status[0] == "diverged"
        assert res.t_end[0] == pytest.approx(exact, rel=1e-6), (c, x0)
