"""The fast paths of issue #28 change no number: the traced one-state field and the direct-LAPACK
BDF are the generic paths bit for bit; verify runs on every usable CPU by default; bench verify
times each claim and the whole run."""

import json

import numpy as np
import pytest
from scipy.integrate import BDF, solve_ivp

import linrbp
from linrbp.core._rules import BUILTIN_RULES  # the rules linrbp registers itself (test modules register others)
from linrbp import DataStats, LinearSystem, feedback_shapes
from linrbp.core._traced import trace_field
from linrbp.integration._bdf import FastBDF

SHAPES = [[1, 1, 1], [2, 3, 2], [5, 4, 3], [3, 2, 2, 2], [4, 5, 1, 4, 3]]


def random_system(layers, rule, seed, **params):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(layers[0], 3 * layers[0] + 2))
    Y = rng.normal(size=(layers[-1], X.shape[1]))
    r = linrbp.get_rule(rule)
    if params:
        r = r.with_parameters(**params)
    fb = [] if r.adaptive else [rng.normal(size=s) for s in feedback_shapes(layers, r)]
    return LinearSystem.create(layers, r, DataStats.from_samples(X, Y), fb), rng


@pytest.mark.parametrize("rule", list(BUILTIN_RULES))
@pytest.mark.parametrize("layers", SHAPES, ids=lambda l: "x".join(map(str, l)))
def test_traced_one_state_field_is_the_generic_field_bit_for_bit(layers, rule):
    system, rng = random_system(layers, rule, seed=len(layers) * 7 + len(rule))
    fn = trace_field(system)
    assert fn is not None, f"{rule} on A{layers} could not be traced"
    for _ in range(3):
        y = rng.normal(size=system.n_state) * 2.0
        assert np.array_equal(fn(y), system.generic_call(y))
        assert np.array_equal(system(y), system.generic_call(y))
    # batches keep the generic path, and agree with it row by row
    Y = rng.normal(size=(4, system.n_state))
    assert np.array_equal(system(Y)[2], system.generic_call(Y[2]))


def test_rule_parameters_are_traced_as_values():
    system, rng = random_system([3, 2, 4, 2], "kolen-pollack", 3, weight_decay=0.125)
    y = rng.normal(size=system.n_state)
    assert trace_field(system) is not None
    assert np.array_equal(system(y), system.generic_call(y))


def test_a_rule_the_tracer_cannot_follow_keeps_the_generic_path():
    # a rule whose backward matrix goes through numpy.linalg: not a recorded operation
    rule = linrbp.Rule("pinv-feedback", channel="custom", feedback="next",
                       backward=lambda h, A, C, p: np.linalg.pinv(A[h + 1]))
    rng = np.random.default_rng(0)
    layers = [3, 2, 2]
    X = rng.normal(size=(3, 9))
    system = LinearSystem.create(layers, rule, DataStats.from_samples(X, rng.normal(size=(2, 9))),
                                 [rng.normal(size=s) for s in feedback_shapes(layers, rule)])
    assert trace_field(system) is None
    y = rng.normal(size=system.n_state)
    assert np.array_equal(system(y), system.generic_call(y))


def test_fast_bdf_takes_the_stock_solvers_steps_bit_for_bit():
    system, rng = random_system([3, 2, 3], "rbp", 5)
    y0 = rng.normal(size=system.n_state) * 0.5
    runs = [solve_ivp(lambda t, y: system(y), (0.0, 40.0), y0, method=m, rtol=1e-11, atol=1e-13)
            for m in (BDF, FastBDF)]
    assert runs[0].t.size > 50  # a real run, many LU solves
    assert np.array_equal(runs[0].t, runs[1].t) and np.array_equal(runs[0].y, runs[1].y)
    assert runs[0].nfev == runs[1].nfev and runs[0].nlu == runs[1].nlu


def test_fast_bdf_refuses_a_non_finite_right_hand_side_like_scipy():
    from scipy.linalg import lu_factor

    from linrbp.integration._bdf import _solve

    LU = lu_factor(np.eye(2) * 3.0)
    assert np.array_equal(_solve(LU, np.array([3.0, 6.0])), [1.0, 2.0])
    with pytest.raises(ValueError, match="infs or NaNs"):
        _solve(LU, np.array([np.nan, 1.0]))


def test_verify_runs_on_every_usable_cpu_by_default(monkeypatch):
    from linrbp.cli import build_parser
    from linrbp.cli._options import executor_settings
    import linrbp.cli._options as options

    args = build_parser().parse_args(["verify"])
    assert args.workers is None
    monkeypatch.setattr(options, "usable_cpus", lambda: 3)
    workers, scheduler, where = executor_settings(args, 128)
    assert (workers, scheduler, where) == (3, None, "3 local processes")
    args = build_parser().parse_args(["verify", "--workers", "1"])
    assert executor_settings(args, 128)[0] == 1


@pytest.mark.slow
def test_bench_verify_times_each_claim_and_the_whole_run(tmp_path, capsys, monkeypatch):
    import sys

    from linrbp.cli import main

    # --without-numba in this process: numba may already be imported by another test here, so
    # it is made unimportable for this test only (the bench refuses to run when it is imported)
    monkeypatch.setitem(sys.modules, "numba", None)
    out = tmp_path / "bench.json"
    assert main(["bench", "verify", "--quick", "--workers", "2", "--without-numba", "--json", str(out)]) == 0
    res = json.loads(out.read_text())["verify"]
    assert [c["id"] for c in res["claims"]] == ["chain111", "wide1N1"]
    for c in res["claims"]:
        assert c["cpu_seconds"] > 0 and c["wall_seconds"] > 0 and c["status"] == "pass"
    # the whole run is a fresh 'linrbp verify' process (its CPU, imports included, counted)
    assert res["run_passed"] and res["identical"] and res["workers"] == 2
    assert res["run_command"] == "python -m linrbp verify --workers 2 --seed 0 --only chain111,wide1N1"
    assert res["run_cpu_seconds"] > 0.5  # an interpreter with numpy, scipy and sympy, and two workers
    assert res["numba"]["blocked"] and not res["numba"]["used_by_serial_part"]
    assert set(res["kernel_cache"]) == {"files_before", "files_after", "written_during_run", "warm"}
    assert res["meets_targets"] == {"cpu_seconds": None, "wall_seconds_2_cores": None}
    text = capsys.readouterr().out
    assert "chain111" in text and "whole run on 2 local processes" in text and "not judged" in text
    assert "numba: blocked" in text


@pytest.mark.parametrize("rule", list(BUILTIN_RULES))
def test_traced_ensemble_field_is_the_generic_one_bit_for_bit(rule):
    import pickle

    from linrbp.integration._ensemble import Ensemble

    for layers in [(3, 4, 2), (4, 2, 5, 3)]:
        ens = Ensemble(layers, linrbp.get_rule(rule))
        assert ens._traced is not None
        Z = np.random.default_rng(len(rule)).normal(size=(7, ens.n_state + ens.n_param))
        assert np.array_equal(ens(Z), ens.generic_call(Z))
        assert np.array_equal(pickle.loads(pickle.dumps(ens))(Z), ens.generic_call(Z))


def test_one_blas_thread_sets_one_thread_and_restores_the_count():
    from linrbp.core._resources import blas_thread_setters, one_blas_thread

    setters = blas_thread_setters()
    if not setters:
        pytest.skip("no OpenBLAS per-thread setter in this process")
    original = [fn(3) for fn in setters]  # 3 threads for this thread, remembering the original
    try:
        with one_blas_thread():
            assert [fn(1) for fn in setters] == [1] * len(setters)
        assert [fn(3) for fn in setters] == [3] * len(setters)  # restored to 3
    finally:
        for fn, n in zip(setters, original):
            fn(n)


def test_lean_bdf_takes_the_stock_solvers_accepted_steps_bit_for_bit():
    from linrbp.integration._bdf import bdf_steps

    # a convergence run of the rbp-limit kind: orders 1-5, step rejections, Jacobian updates
    system, rng = random_system([4, 3, 2, 3], "rbp", 11)
    y0 = rng.normal(size=system.n_state) * 0.5
    stock = BDF(lambda t, y: system(y), 0.0, y0, 1e4, rtol=1e-13, atol=1e-15)
    orders, n = set(), 0
    for t, y, _ in bdf_steps(system, y0, 1e4, 1e-13, 1e-15):
        assert stock.step() is None
        assert stock.t == t and np.array_equal(stock.y, y), f"step {n}: t {t} vs the stock {stock.t}"
        orders.add(stock.order)
        n += 1
        if n == 600:
            break
    assert n == 600 and len(orders) >= 3


def test_lean_bdf_stops_where_the_reference_integrator_does():
    from linrbp.integration._bdf import bdf_converge
    from linrbp.integration._integrate import integrate

    system, rng = random_system([3, 2, 3], "rbp", 5)
    y0 = rng.normal(size=system.n_state) * 0.5
    kw = dict(rtol=1e-10, atol=1e-12, conv_tol=1e-9)
    ref = integrate(system, y0, 1e5, method="BDF", max_steps=20000, **kw)
    status, t, y, steps = bdf_converge(system, y0, 1e5, bound=1e8, max_steps=20000, **kw)
    assert str(ref.status[0]) == status == "converged"
    # integrate locates the crossing inside the step the lean driver stops at
    assert steps == ref.n_steps[0] and ref.t_end[0] <= t
    assert np.abs(system(y)).max() <= 1e-9 * (1 + np.abs(y).max())
    assert np.abs(y - ref.y[0]).max() < 1e-6
    assert bdf_converge(system, y0, 1e5, bound=1e8, max_steps=50, **kw)[0] == "step-limit"
    assert bdf_converge(system, y0, 1.0, bound=1e8, max_steps=20000, **kw)[0] == "time-limit"
    assert bdf_converge(lambda y: y ** 2, np.array([1.0]), 10.0, bound=1e6, max_steps=20000, **kw)[0] \
        == "diverged"


@pytest.mark.parametrize("rule", [n for n in BUILTIN_RULES if not linrbp.get_rule(n).adaptive])
def test_traced_scalar_chain_and_wide_fields_are_the_generic_ones_bit_for_bit(rule):
    from linrbp.closed_forms._scalar_systems import _chain_rhs, _wide_rhs

    r = linrbp.get_rule(rule)
    rng = np.random.default_rng(len(rule))
    for make, sizes in ((_chain_rhs, (1, 2, 4)), (_wide_rhs, (1, 3))):
        for k in sizes:
            fast, generic = make(k, r), make(k, r, traced=False)
            assert fast.__name__ == "_traced" and generic.__name__ == "fun", f"{make.__name__}({k}, {rule})"
            width = 3 * k + 2  # wide's widest states; the chain's use a prefix of the columns
            for shape in ((40, width), (width,)):
                Y = rng.normal(size=shape) * 2.0
                Y[..., :k] *= rng.choice([0.0, 1.0, -1e-3], size=k)  # zeros and small weights too
                assert np.array_equal(fast(Y), generic(Y))


def _same_result(a, b):
    assert a.status.tolist() == b.status.tolist() and a.info == b.info
    for x, y in ((a.t_end, b.t_end), (a.y, b.y), (a.n_steps, b.n_steps), (a.t, b.t), (a.ys, b.ys)):
        assert (x is None) == (y is None) and (x is None or np.array_equal(x, y))


def test_lean_dop853_run_to_t_max_is_integrates_result_bit_for_bit():
    from linrbp.integration._integrate import integrate
    from linrbp.integration._lean import integrate_to_end

    system, rng = random_system([3, 2, 2, 2], "arbp", 4)
    y0 = rng.normal(size=system.n_state) * 0.7
    for kw in ({}, {"dense": True}, {"t_eval": np.linspace(0.0, 3.0, 13)}, {"t_eval": [0.25, 1.0]},
               {"rtol": 1e-10, "atol": 1e-12},
               # integrate's own stops: the lean driver hands these runs back to it
               {"max_steps": 7}, {"bound": 1.01 * np.abs(y0).max()}, {"conv_tol": 1e-2}):
        kw = {"conv_tol": 0.0, **kw}
        ref = integrate(system, y0, 3.0, **kw)
        _same_result(integrate_to_end(system, y0, 3.0, **kw), ref)
    assert str(integrate(system, y0, 3.0, conv_tol=0.0, max_steps=7).status[0]) == "step-limit"
    # a relaxation oscillator: many rejected steps (the step-size control's other branch)
    vdp = lambda y: np.array([y[1], 30.0 * (1 - y[0] ** 2) * y[1] - y[0]])  # noqa: E731
    for kw in ({}, {"t_eval": np.linspace(0.0, 40.0, 9)}):
        kw = {"rtol": 1e-6, "atol": 1e-8, "conv_tol": 0.0, **kw}
        _same_result(integrate_to_end(vdp, np.array([2.0, 0.0]), 40.0, **kw),
                     integrate(vdp, np.array([2.0, 0.0]), 40.0, **kw))
    decay = lambda y: -y  # noqa: E731  (converges: integrate locates the event inside the step)
    ref = integrate(decay, np.array([1.0, -2.0]), 50.0, conv_tol=1e-6)
    assert str(ref.status[0]) == "converged"
    _same_result(integrate_to_end(decay, np.array([1.0, -2.0]), 50.0, conv_tol=1e-6), ref)
    with np.errstate(invalid="ignore"):
        nan_past_two = lambda y: np.where(y > 2, np.nan, 1.0 + 0 * y)  # noqa: E731
        _same_result(integrate_to_end(nan_past_two, np.array([1.0]), 10.0),
                     integrate(nan_past_two, np.array([1.0]), 10.0))


def _high_precision_ranks(S, T, B1):
    from linrbp.closed_forms import _rbp_limit as L

    hp = L._HighPrecision(S, T, B1)
    return tuple(L._rank_from_singular_values(hp.singular_values(M))[0] for M in (hp.G, hp.K))


def test_rbp_limit_ranks_decided_in_double_precision_are_the_high_precision_ones():
    from linrbp.claims import rbp_limit as R, srbp_bottleneck as SB
    from linrbp.closed_forms import _rbp_limit as L

    rng = np.random.default_rng(5)
    # the catalogue's own draws: decided in double precision, as the 40-digit route decides
    decided = 0
    for k in range(15):
        inst = (R.shallow_instance, R.deep_instance, SB.random_instance)[k % 3](rng)
        args = (inst["sigma_ii"], inst["sigma_ti"], L.first_layer_feedback(inst["rule"], inst["feedback"]))
        ranks = L._float_ranks(*args)
        if ranks is not None:
            decided += 1
            assert (ranks[0][0], ranks[1][0]) == _high_precision_ranks(*args)
    assert decided >= 12
    # a singular value of G at a cut (to within 1e-3 relative), S_II of condition 1e3..1e8: double
    # precision must hand these to the 40-digit route rather than decide them differently
    for k in range(100):
        Q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
        w = np.geomspace(1.0, 10 ** rng.uniform(3, 8), 4)
        S = (Q * w) @ Q.T
        U, V = np.linalg.qr(rng.normal(size=(3, 3)))[0], np.linalg.qr(rng.normal(size=(4, 4)))[0]
        cut = (L.RANK_ZERO, L.RANK_NONZERO)[k % 2]
        sv = np.array([1.0, 0.5, cut * (1 + 1e-3 * rng.uniform(-1, 1) * 10 ** rng.uniform(-6, 0))])
        T = (U * sv) @ V[:3] @ (Q * np.sqrt(w)) @ Q.T  # G = T S^-1/2 has these singular values
        B1 = rng.normal(size=(2, 3))
        ranks = L._float_ranks(S, T, B1)
        if ranks is not None:
            assert (ranks[0][0], ranks[1][0]) == _high_precision_ranks(S, T, B1)
