"""docs/theory.md section 10: rbp-limit, srbp-bottleneck, rbp-modes (closed forms, predictors,
simulate, the integrator's step limit)."""

import json
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from linrbp.claims import _matrix_tools as mt
from linrbp.claims import rbp_limit as RL
from linrbp.claims import rbp_modes as RM
from linrbp.claims import srbp_bottleneck as SB
from linrbp.closed_forms._rbp_limit import (RANK_NONZERO, RANK_ZERO, bp_limit_product, limit_case,
                                            rbp_limit_product)
from linrbp.core._errors import InputError
from linrbp.instances._instance import parse_instance
from linrbp.instances._predict import predict
from linrbp.instances._simulate import simulate
from linrbp.integration._integrate import integrate


def _orth(rng, n):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q


@pytest.mark.parametrize("layers,rule", [([4, 2, 3], "rbp"), ([5, 2, 3, 4], "srbp"), ([5, 3, 2, 4], "rbp"),
                                         ([4, 3, 3, 3, 1], "rbp"), ([3, 4, 2], "srbp")])
def test_simulate_predicts_the_product(layers, rule):
    rng = np.random.default_rng(sum(layers))
    inst = parse_instance(RL.instance_file(RL.make_instance(rng, layers, rule, starts=1)))
    out = simulate(inst)
    assert out["status"] == "converged"
    pred = out["predicted"]
    assert pred["case"] in ("full-rank", "reduced-rank") and pred["fixed_point"] is True
    assert mt.relative(out["product"], pred["product"]) < 1e-8
    # The closed form is not P* in the reduced case: a check that could fail.
    if pred["case"] == "reduced-rank":
        assert mt.relative(pred["product"], inst.system.stats.optimum()) > 1e-3


def test_two_routes_and_bp_limit_agree_with_hand_computation():
    rng = np.random.default_rng(1)
    S = mt.random_spd(rng, 4)
    T = rng.normal(size=(3, 4))
    C = [rng.normal(size=(1, 3))]
    c = limit_case([4, 1, 3], "rbp", S, T, C)
    assert c["case"] == "reduced-rank"
    # By hand: S^1/2 from eigh, G = P* S^1/2, Pi = projector onto the row of C G.
    w, V = np.linalg.eigh(S)
    half = (V * np.sqrt(w)) @ V.T
    G = T @ np.linalg.inv(S) @ half
    k = (C[0] @ G).ravel()
    Pi = np.outer(k, k) / (k @ k)
    assert np.abs(c["product"] - G @ Pi @ np.linalg.inv(half)).max() < 1e-12
    assert np.abs(rbp_limit_product("rbp", S, T, C) - c["product"]).max() < 1e-12
    U, s, Vt = np.linalg.svd(G)
    assert np.abs(bp_limit_product(S, T, 1) - s[0] * np.outer(U[:, 0], Vt[0]) @ np.linalg.inv(half)).max() < 1e-12


def test_singular_sigma_ii_is_undetermined_or_input_error():
    S = np.diag([1.0, 1.0, 0.0])
    T = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 0.0]])
    C = [np.array([[1.0, 0.5]])]
    c = limit_case([3, 1, 2], "rbp", S, T, C)
    assert c["case"] == "undetermined" and c["product"] is None and "singular" in c["reason"]
    with pytest.raises(InputError, match="sigma_ii: singular"):
        rbp_limit_product("rbp", S, T, C)
    inst = parse_instance(mt.instance([3, 1, 2], "rbp", S, T, C, [np.ones((1, 3)) * 0.1, np.ones((2, 1)) * 0.1]))
    pred = predict(inst)
    assert pred is not None and pred["product"] is None and pred["case"] == "undetermined"


@pytest.mark.parametrize("rel,expected,why", [(1e-8, "undetermined", "between the rank tolerances"),
                                              (1e-12, "undetermined", "depends on the start"),
                                              (1e-3, "full-rank", "rank(G) = 2")])
def test_rank_decision_at_the_tolerance_edge(rel, expected, why):
    # B_1 = C_1 of A[3,2,2] with singular values 1 and rel: rank 2 (full), undecided, or rank 1
    # (below r = 2 and rank(G) = 2: lower than generic, the limit depends on the start).
    assert RANK_ZERO < 1e-8 < RANK_NONZERO
    rng = np.random.default_rng(2)
    U, V = _orth(rng, 2), _orth(rng, 2)
    C = [(U * [1.0, rel]) @ V.T]
    T = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    c = limit_case([3, 2, 2], "rbp", np.eye(3), T, C)
    assert c["case"] == expected and why in c["reason"]
    if expected == "undetermined":
        assert c["product"] is None


def test_low_rank_feedback_is_undetermined():
    # rank(B_1 G) = 1 below both r = 2 and rank(G) = 3: the limit depends on the start.
    rng = np.random.default_rng(3)
    C = [np.outer(rng.normal(size=2), rng.normal(size=3))]
    c = limit_case([3, 2, 3], "rbp", np.eye(3), rng.normal(size=(3, 3)), C)
    assert c["case"] == "undetermined" and c["product"] is None


def test_bottleneck_predicted_and_integrator_stops_with_step_limit():
    inst = SB.random_instance(np.random.default_rng(4))
    p = parse_instance(inst)
    pred = predict(p)
    assert pred["system"] == "srbp-bottleneck" and pred["fixed_point"] is False
    assert pred["product"] is None and pred["weights"] is None and "exceeds" in pred["reason"]
    out = simulate(p, max_steps=300)
    assert out["status"] == "step-limit" and out["n_steps"] == 300 and out["t_end"] < 1e5
    res = integrate(p.system, p.y0, 1e5, max_steps=300, dense=True)
    assert res.status[0] == "step-limit" and len(res.t) == 301
    # the state reported is the last accepted step's
    assert np.array_equal(res.y[0], res.ys[-1])


def test_speed_bound_is_sharp_enough_to_fail():
    # The bound with one more singular value (r - 1) exceeds the speed somewhere: the check
    # would fail with a wrong bound.
    inst = SB.random_instance(np.random.default_rng(5))
    p = parse_instance(inst)
    r = min(inst["layers"][1:-1])
    (d1, *_), _ = p.system.velocity(p.weights)
    speed = np.linalg.norm(d1)
    assert speed >= SB.speed_bound(inst["sigma_ti"], inst["feedback"][0], r)
    big = np.linalg.norm(np.asarray(inst["feedback"][0]) @ np.asarray(inst["sigma_ti"])) * 10
    assert speed < big


def test_integrate_max_steps_bad_input():
    f = lambda y: -y  # noqa: E731
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="max_steps"):
            integrate(f, np.ones(2), 1.0, max_steps=bad)
    res = integrate(f, np.ones(2), 1.0)
    assert res.status[0] == "time-limit"


def test_simulate_cli_on_bottleneck(tmp_path):
    inst = SB.random_instance(np.random.default_rng(6))
    f = tmp_path / "b.json"
    f.write_text(json.dumps(inst))
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", str(f), "--max-steps", "400",
                        "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "step-limit" in r.stdout and "fixed point none" in r.stdout
    d = json.loads(out.read_text())
    assert d["predicted"]["fixed_point"] is False and d["status"] == "step-limit"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", str(f), "--max-steps", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "max-steps" in r.stderr and "Traceback" not in r.stderr


def test_aligned_instance_gets_weights_and_misaligned_does_not():
    inst = RM.random_instance(np.random.default_rng(7))
    p = parse_instance(mt.instance_file(inst))
    pred = predict(p)
    assert pred["system"] == "rbp-modes" and len(pred["weights"]) == 2
    out = simulate(p)
    assert out["status"] == "converged"
    for W, Wp in zip(out["weights"], pred["weights"]):
        assert mt.relative(W, Wp) < 1e-8
    bent = dict(inst)
    A1 = np.asarray(inst["weights"][0]).copy()
    A1[0, 1] += 1e-6
    bent["weights"] = [A1, inst["weights"][1]]
    other = predict(parse_instance(mt.instance_file(bent)))
    assert other is None or other["system"] != "rbp-modes"


def test_modes_path_matches_chain111_at_finite_times():
    inst = RM.random_instance(np.random.default_rng(8))
    assert RM.path_error(inst) < 1e-9
    # A wrong per-mode field (feedback sign flipped) is far off: the check can fail.
    bad = {**inst, "c": (-np.asarray(inst["c"])).tolist()}
    assert RM.path_error(bad) > 1e-3


def test_exact_l2_fixed_points():
    inst = {"layers": [2, 1, 2], "X": [[1, 1], [0, 2]], "T": [[1, -2], [3, 1]], "C": [[2, -1]]}
    assert RL.exact_l2_error(inst) == 0.0
    products, formula, S, T, C = RL.exact_fixed_points(inst)
    assert len(products) == 2 and products[0] == products[1]  # one fixed point, seen in both charts
    # P* itself is not a fixed point here (the reduced case): formula != P*.
    assert (formula - T * S.inv()) != formula * 0


def test_rbp_modes_figure_draws_network_and_reference_curves():
    from linrbp.plots._second_tier import rbp_modes_figure

    fig = rbp_modes_figure(seed=1, t_max=2.0)
    left, right = fig.axes[:2]
    n = len([ln for ln in left.lines if ln.get_linestyle() == "-"])
    assert n >= 2 and len([ln for ln in left.lines if ln.get_linestyle() == "--"]) == n
    # the network's BP curves lie on Saxe's sigmoids (solid vs dashed)
    solid = [ln for ln in left.lines if ln.get_linestyle() == "-"]
    dashed = [ln for ln in left.lines if ln.get_linestyle() == "--"]
    for a, b in zip(solid, dashed):
        assert np.abs(np.asarray(a.get_ydata()) - np.asarray(b.get_ydata())).max() < 1e-6
    with pytest.raises(InputError):
        rbp_modes_figure(seed=-1)


def test_exact_l2_sees_fixed_points_outside_the_first_chart_and_draws_generic_feedback():
    """verify --seed 15 drew A[2,1,2] whose only fixed points have A_1 = (0, x): the chart
    A_1 = (1, *) alone found none and the check failed. verify --seed 9 drew
    C_1 = [[1, -2], [0, 0]] (hidden unit 2 without an error signal): a family of fixed points
    with other products, outside the statement's generic feedback; such draws are redrawn."""
    inst = {"layers": [2, 1, 2], "X": [[0, -2], [0, 0]], "T": [[3, -2], [1, 1]], "C": [[-1, 3]]}
    products, formula, S, T, C = RL.exact_fixed_points(inst)
    assert products and all((P - formula).is_zero_matrix for P in products)
    assert formula[:, 0].is_zero_matrix  # A_1 = (0, x) at the limit: outside the chart (1, *)
    assert RL.exact_l2_error(inst) == 0.0
    degenerate = {"layers": [3, 2, 2], "X": [[3, -1, 1], [-1, 2, 2], [-1, -2, -1]],
                  "T": [[2, 3, 0], [0, -2, 2]], "C": [[1, -2], [0, 0]]}
    assert RL.exact_l2_error(degenerate) == 1.0  # the statement needs generic feedback ...
    rng = np.random.default_rng(0)
    for _ in range(40):                           # ... and the draw gives only that
        d = RL._rational_instance(rng)
        CT = sp.Matrix(d["C"]) * sp.Matrix(d["T"])
        assert CT.rank() == min(d["layers"][1], sp.Matrix(d["T"]).rank())
