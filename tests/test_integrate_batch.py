"""The batched Dormand-Prince integrator against scipy, closed forms, and its events."""

import numpy as np
import pytest

import linrbp
import linrbp.integration._batch_loop as integ  # the numpy batched loop (its tableau)
from linrbp import DataStats, InputError, LinearSystem, feedback_shapes, integrate, integrate_batch
from linrbp.benchmarks._bench import chain111_limits, chain_limits

B = 70  # above the batch size from which the compiled field is used


def random_system(layers, rule, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(layers[0], 3 * layers[0] + 2))
    stats = DataStats.from_samples(X, rng.normal(size=(layers[-1], X.shape[1])))
    r = linrbp.get_rule(rule)
    fb = [] if r.adaptive else [rng.normal(size=s) for s in feedback_shapes(layers, r)]
    return LinearSystem.create(layers, rule, stats, fb), rng


CASES = [([1, 1, 1], "rbp"), ([1, 1, 1, 1], "srbp"), ([2, 2, 2], "arbp"), ([2, 3, 1], "asrbp"),
         ([2, 3, 2], "bp"), ([3, 2, 2], "rbp")]


@pytest.mark.parametrize("layers,rule", CASES, ids=lambda c: str(c))
def test_batched_matches_scipy_at_the_time_limit(layers, rule):
    system, rng = random_system(layers, rule, seed=sum(layers) + len(rule))
    Y0 = 0.7 * rng.normal(size=(B, system.n_state))
    t_max = 1.5
    res = integrate_batch(system, Y0, t_max, rtol=1e-11, atol=1e-13, conv_tol=1e-15)
    assert res.info["fast_field"] and set(res.status) == {"time-limit"}
    assert np.allclose(res.t_end, t_max, rtol=1e-14, atol=0)
    for i in range(3):
        ref = integrate(system, Y0[i], t_max, rtol=1e-12, atol=1e-14, conv_tol=1e-15)
        assert ref.status[0] == "time-limit"
        # same method both sides: observed gaps <= 1.3e-12 (rtol 1e-11 vs 1e-12)
        assert np.abs(res.y[i] - ref.y[0]).max() <= 1e-11 * (1 + np.abs(ref.y[0]).max())


def test_fast_field_threads_and_plain_callable_agree():
    system, rng = random_system([1, 1, 1, 1], "rbp", 7)
    Y0 = rng.uniform(-1, 1, (600, system.n_state))
    fast2 = integrate_batch(system, Y0, 50.0, workers=2)
    fast1 = integrate_batch(system, Y0, 50.0, workers=1)
    plain = integrate_batch(lambda Y: system(Y), Y0, 50.0)
    assert fast2.info["workers"] == 2 and fast1.info["workers"] == 1 and not plain.info["fast_field"]
    assert np.array_equal(fast1.status, plain.status) and np.array_equal(fast2.status, plain.status)
    assert np.abs(fast2.y - plain.y).max() <= 1e-10
    assert np.abs(fast1.y - fast2.y).max() <= 1e-10


def test_chain111_converges_to_the_closed_form_limit():
    rng = np.random.default_rng(11)
    alpha, beta, c1 = 1.1, 0.9, -0.6
    system = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[beta]], [[alpha]]),
                                 feedback=[[[c1]]])
    Y0 = rng.uniform(-2, 2, (400, 2))
    res = integrate_batch(system, Y0, 1e4, rtol=1e-10, atol=1e-12)
    assert set(res.status) == {"converged"}
    assert np.abs(res.y - chain111_limits(alpha, beta, c1, Y0)).max() <= 1e-8


def test_chain_limits_agree_with_chain111_and_with_integration():
    """Two closed-form routes (companion cubic, general chain polynomial) and the integrator."""
    rng = np.random.default_rng(12)
    Y0 = rng.uniform(-2, 2, (30, 2))
    assert np.abs(chain_limits(1.3, 0.8, [0.7], Y0) - chain111_limits(1.3, 0.8, 0.7, Y0)).max() < 1e-10
    r = np.array([0.8, -1.2])
    system = LinearSystem.create([1, 1, 1, 1], "rbp", DataStats.from_matrices([[0.9]], [[1.2]]),
                                 feedback=[[[x]] for x in r])
    Y3 = rng.uniform(-1, 1, (B, 3))
    res = integrate_batch(system, Y3, 1e3, rtol=1e-10, atol=1e-12, conv_tol=1e-11)
    assert set(res.status) == {"converged"}
    c = np.cumprod(r[::-1])[::-1]
    assert np.abs(res.y - chain_limits(1.2, 0.9, c, Y3)).max() <= 1e-8


def square(Y):
    return Y * Y


def test_finite_time_blow_up_diverges_near_one_over_x0():
    x0 = np.array([[0.5], [1.0], [2.0], [4.0]])
    res = integrate_batch(square, x0, 10.0)
    assert set(res.status) == {"diverged"}
    # x(t) = x0 / (1 - x0 t) passes the bound 1e8 at 1/x0 - 1e-8
    assert np.abs(res.t_end - 1 / x0[:, 0]).max() <= 1e-6
    assert np.all(np.abs(res.y[:, 0]) > 1e8)


def test_time_limit_state_of_exponential_decay():
    x0 = np.linspace(0.5, 3.0, B)[:, None]
    res = integrate_batch(lambda Y: -Y, x0, 3.0, conv_tol=1e-16)
    assert set(res.status) == {"time-limit"}
    exact = x0[:, 0] * np.exp(-3.0)
    assert np.abs(res.y[:, 0] / exact - 1).max() <= 1e-8


def test_time_limit_check_fails_with_a_broken_tableau(monkeypatch):
    """The decay check can fail: perturb the 8th-order weights and the error exceeds 1e-8."""
    monkeypatch.setattr(integ, "_B", integ._B * (1 + 1e-6))
    x0 = np.linspace(0.5, 3.0, B)[:, None]
    res = integrate_batch(lambda Y: -Y, x0, 3.0, conv_tol=1e-16)
    assert np.abs(res.y[:, 0] / (x0[:, 0] * np.exp(-3.0)) - 1).max() > 1e-8


def test_saxe_sigmoid_at_the_time_limit():
    """BP on A[1,1,1], S_II = 1, S_TI = s, balanced start a1 = a2 = sqrt(u0): docs/theory.md 9,
    u(t) = s e^{2st} / (e^{2st} - 1 + s/u0)."""
    s = 1.7
    system = LinearSystem.create([1, 1, 1], "bp", DataStats.from_matrices([[1.0]], [[s]]))
    u0 = np.geomspace(1e-3, 1.0, B)
    t = 2.0
    res = integrate_batch(system, np.stack([np.sqrt(u0), np.sqrt(u0)], axis=1), t, conv_tol=1e-16)
    assert set(res.status) == {"time-limit"} and res.info["fast_field"]
    exact = s * np.exp(2 * s * t) / (np.exp(2 * s * t) - 1 + s / u0)
    assert np.abs(res.y[:, 0] * res.y[:, 1] / exact - 1).max() <= 1e-8


def test_per_trajectory_time_limits_and_step_limit():
    x0 = np.ones((3, 1))
    res = integrate_batch(lambda Y: -Y, x0, [0.5, 1.0, 2.0], conv_tol=1e-16)
    assert np.allclose(res.t_end, [0.5, 1.0, 2.0]) and np.allclose(res.y[:, 0], np.exp(-res.t_end))
    lim = integrate_batch(lambda Y: -Y, x0, 1e3, conv_tol=1e-300, max_steps=5)
    assert set(lim.status) == {"step-limit"} and set(lim.n_steps) == {5}


def test_already_converged_starts_stop_at_once():
    res = integrate_batch(lambda Y: -Y, np.zeros((4, 2)), 10.0)
    assert set(res.status) == {"converged"} and np.all(res.t_end == 0) and np.all(res.n_steps == 0)


@pytest.mark.parametrize("kwargs,field", [
    ({"y0": np.ones(3)}, "y0"),
    ({"y0": np.array([[np.nan]])}, "y0"),
    ({"t_max": -1.0}, "t_max"),
    ({"rtol": 0.0}, "rtol"),
    ({"workers": 0}, "workers"),
    ({"max_steps": 0}, "max_steps"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"y0": np.ones((2, 1)), "t_max": 1.0}
    args.update(kwargs)
    y0, t_max = args.pop("y0"), args.pop("t_max")
    with pytest.raises(InputError, match=field):
        integrate_batch(lambda Y: -Y, y0, t_max, **args)


def test_an_error_in_the_field_reaches_the_caller():
    def broken(Y):
        if len(Y) > 1:
            raise ValueError("field failed")
        return -Y

    with pytest.raises(ValueError, match="field failed"):
        integrate_batch(broken, np.ones((600, 1)), 1.0, workers=2)


def test_vectorised_chain111_limits_match_the_shared_closed_form():
    closed = pytest.importorskip("linrbp.closed_forms._closed_forms")
    rng = np.random.default_rng(13)
    Y0 = rng.uniform(-2, 2, (25, 2))
    for alpha, beta, c1 in [(1.3, 0.8, 0.7), (-0.9, 1.4, -1.1)]:
        ref = np.array([closed.chain111_limit(alpha, beta, c1, a1, a2) for a1, a2 in Y0])
        assert np.abs(chain111_limits(alpha, beta, c1, Y0) - ref).max() <= 1e-12


# -- the stopping rule near a stiff limit (damped steps, linrbp.integration._dop853) -----------
def _stiff_linear(lam, mu):
    """a' = -lam a, b' = -mu (b - 1): y(t) = (a0 e^{-lam t}, 1 + (b0 - 1) e^{-mu t})."""
    def field(Y):
        return np.stack([-lam * Y[:, 0], -mu * (Y[:, 1] - 1.0)], axis=1)
    return field


@pytest.mark.parametrize("lam,mu", [(1000.0, 1.0), (300.0, 0.5), (50.0, 0.05)])
def test_a_stiff_mode_does_not_stall_the_stopping_rule(lam, mu):
    """With lam >> mu the step is held at DOP853's stability limit (h lam ~ 6.4) long after the
    fast mode has died out; there the error control keeps that mode alive at the tolerance's
    level, |f| at step ends sat at lam (rtol |y| + atol) and the run never converged (measured
    before the damped steps: (1000, 1) ran 200,000 steps to step-limit at t = 1278, all three
    starts). The exact solution's |f| = mu |b - 1| crosses the threshold at t* = log(mu |b0 - 1|
    / thr) / mu (the fast term lam |a| is far below by then): the run must stop within a few
    steps at the stability limit (each at most 6.4 / lam) of t*, at the closed-form state."""
    conv_tol = rtol = 1e-10
    Y0 = np.array([[1.0, 0.0], [0.5, 3.0], [-1.0, 2.0]])
    res = integrate_batch(_stiff_linear(lam, mu), Y0, 1e4, rtol=rtol, atol=1e-12, conv_tol=conv_tol)
    assert set(res.status) == {"converged"}, res.counts()
    thr = conv_tol * 2.0  # conv_tol (1 + |y|_inf), |y|_inf -> 1
    t_star = np.log(mu * np.abs(Y0[:, 1] - 1.0) / thr) / mu
    assert np.all(np.abs(res.t_end - t_star) <= 4 * 6.4 / lam), (res.t_end, t_star)
    exact = np.stack([Y0[:, 0] * np.exp(-lam * res.t_end), 1 + (Y0[:, 1] - 1) * np.exp(-mu * res.t_end)], 1)
    assert np.abs(res.y - exact).max() <= 1e-10


def test_the_damping_constants_follow_from_the_tableau():
    """_STABILITY_REAL is DOP853's stability boundary on the negative real axis and a halved step
    there damps a mode: computed here from scipy's tableau, R(z) = 1 + z b^T (I - z A)^-1 1."""
    from scipy.integrate import DOP853
    from scipy.optimize import brentq

    from linrbp.integration import _dop853 as core
    ns = DOP853.n_stages
    A, b = np.asarray(DOP853.A[:ns, :ns]), np.asarray(DOP853.B)

    def R(z):
        return 1.0 + z * b @ np.linalg.solve(np.eye(ns) - z * A, np.ones(ns))

    assert all(abs(R(-x)) <= 1.0 for x in np.linspace(0.0, 6.39, 200))
    boundary = brentq(lambda x: R(-x) + 1.0, 6.0, 6.5)  # R = -1 there, |R| > 1 beyond
    assert abs(R(-6.45)) > 1.0
    assert abs(core._STABILITY_REAL - boundary) <= 0.01, boundary
    assert abs(R(-core._DAMP_FACTOR * boundary)) <= 0.05


def test_single_hidden_543_stops_when_an_implicit_reference_does():
    """A[5,4,3] RBP at the bench's tolerances (rtol = conv_tol = 1e-10): its fixed points are not
    isolated and its transverse rates stiff, the case where |f| at step ends stalled above the
    threshold (measured before the damped steps: 10 of these 40 starts ran to t_max = 1000).
    Each start must stop where scipy's BDF (rtol 1e-12, the rule root-found along its dense
    output) does: measured t_end / t_ref in [1.003, 1.030] on the first 8 (the batch tests the
    rule at step ends), final states 5e-10 apart; the products reach S_TI S_II^-1."""
    from linrbp.benchmarks import _bench
    case = _bench._single_hidden(np.random.default_rng(5), 40)
    system, Y0 = case["system"], case["starts"]
    res = integrate_batch(system, Y0, 1e3, rtol=1e-10, atol=1e-12, conv_tol=1e-10)
    assert set(res.status) == {"converged"}, res.counts()
    assert np.max(case["error"](Y0, res.y)) <= 2e-9
    for i in range(4):
        ref = integrate(system, Y0[i], 1e3, method="BDF", rtol=1e-12, atol=1e-14, conv_tol=1e-10)
        assert ref.status[0] == "converged"
        assert ref.t_end[0] <= res.t_end[i] <= 1.05 * ref.t_end[0], (res.t_end[i], ref.t_end[0])
        assert np.abs(res.y[i] - ref.y[0]).max() <= 2e-9


def test_an_accuracy_limited_approach_is_not_damped():
    """The damped steps apply only where the step is held by stability (h |lambda| >= 3.2 by
    Hairer's estimate). x' = Q(x) approaching a double root of Q is algebraic (x - r ~ 1/t),
    non-stiff, with |f| near the threshold for a long time; damping it anyway capped the step's
    growth (measured on this instance from the poly1d claim: 50,000 steps to step-limit at
    t = 54,000 against 597 steps to converged at t = 73,650 with the gate). It must converge in
    about the undamped step count, near the double root."""
    c = np.array([4.0, 34.75, 91.34375, -18.751953125, -482.80438232421875, -795.7222633361816,
                  -415.71712017059326])
    speed = 1.0 / abs(np.polyval(np.polyder(c, 2), -2.6875))  # the double root at -43/16

    def field(Y):
        return (np.polyval(c, Y[:, 0]) * speed)[:, None]

    res = integrate_batch(field, np.array([[-3.0301214134454053]]), 1e9, conv_tol=1e-10, bound=1e4,
                          max_steps=50_000)
    assert res.status[0] == "converged" and res.n_steps[0] < 1000, (res.status, res.n_steps)
    assert abs(res.y[0, 0] + 2.6875) < 1e-4  # algebraic: |x - r| ~ sqrt(conv_tol)-ish at the stop
