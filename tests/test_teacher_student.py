"""The teacher-student limit (the theory page, section 11): ODEs against independent reference
values, SGD backends against each other, the start's order parameters, the rule adaptation."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from linrbp.core._errors import InputError
from linrbp.core._rules import Rule, transpose
from linrbp.teacher_student import (draw_network, generalisation_error, integrate_ts, moments,
                                    parse_ts_instance, simulate_sgd, ts_rule)

DATA = Path(__file__).parent / "data" / "teacher_student_reference.json"


def _inst(case, **extra):
    d = {"model": "teacher-student", "t_max": 1.0}
    d.update({k: case[k] for k in ("activation", "rule", "eta", "sigma", "Q", "R", "T", "v", "A")})
    if case["rule"] != "bp":
        d["b"] = case["b"]
    d.update(extra)
    return parse_ts_instance(d)


REFERENCE = json.loads(DATA.read_text())["cases"]


@pytest.mark.parametrize("case", REFERENCE, ids=lambda c: f"{c['activation']}-{c['rule']}-K{c['K']}-s{c['sigma']}")
def test_eps_g_matches_independent_reference(case):
    """tests/data/make_teacher_student_reference.py: own loops from the printed equations, scipy
    DOP853 at rtol 1e-12, no linrbp import; finite times up to t = 10."""
    out = integrate_ts(_inst(case), case["times"])
    assert out["status"] == "time-limit"
    got, ref = np.array(out["eps_g"]), np.array(case["eps_g"])
    assert np.all(np.abs(got - ref) <= 1e-6 * np.abs(ref)), (got, ref)


def test_linear_moments_and_eps_g_closed_forms():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 7))
    C = X @ X.T / 7
    I2, J2, I3, I4 = moments(C, 3, "linear")
    assert np.allclose(I2, C) and np.all(J2 == 1)
    assert np.allclose(I3[1], C) and np.allclose(I4[2, 0], C)
    Q, R, T = C[:3, :3], C[:3, 3:], C[3:, 3:]
    v, A = rng.normal(size=3), rng.normal(size=2)
    assert math.isclose(generalisation_error(Q, R, T, v, A, "linear"),
                        0.5 * (v @ Q @ v - 2 * v @ R @ A + A @ T @ A), rel_tol=1e-13)


def test_erf_i3_index_order_is_not_symmetric():
    """The check that the wrong reading would fail needs the two readings to differ."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 6))
    _, _, I3, _ = moments(X @ X.T / 6, 2, "erf")
    assert np.abs(I3 - I3.transpose(0, 2, 1)).max() > 1e-2


def _small(rule="rbp", act="erf", sigma=0.3, **kw):
    d = {"model": "teacher-student", "activation": act, "rule": rule, "eta": 0.8, "sigma": sigma,
         "Q": [[1.0, 0.2], [0.2, 0.7]], "R": [[0.3, -0.1], [0.0, 0.4]], "T": [[1.0, 0.1], [0.1, 1.2]],
         "v": [0.4, -0.3], "A": [1.0, 0.6], "t_max": 1.0}
    if ts_rule(rule, 2).has_feedback:
        d["b"] = [0.9, -0.5]
    d.update(kw)
    return parse_ts_instance(d)


@pytest.mark.parametrize("rule", ["bp", "arbp", "kolen-pollack", "sign-symmetry"])
def test_sgd_backends_agree_on_the_same_draws(rule):
    inst = _small(rule, weight_decay=0.05) if rule == "kolen-pollack" else _small(rule)
    a = simulate_sgd(inst, 60, [3, 4], [0.0, 0.5, 1.0], backend="numpy")
    b = simulate_sgd(inst, 60, [3, 4], [0.0, 0.5, 1.0], backend="rule")
    assert np.allclose(a["eps_g"], b["eps_g"], rtol=1e-10, atol=1e-12)
    assert np.allclose(a["Q"], b["Q"], rtol=1e-10, atol=1e-12)
    assert not np.allclose(a["eps_g"][0], a["eps_g"][1])  # the seeds differ
    pytest.importorskip("numba")
    c = simulate_sgd(inst, 60, [3, 4], [0.0, 0.5, 1.0], backend="numba")
    assert np.allclose(a["eps_g"], c["eps_g"], rtol=1e-10, atol=1e-12)


def test_sgd_run_does_not_depend_on_times_or_companions():
    inst = _small()
    a = simulate_sgd(inst, 50, [7], [1.0], backend="numpy")
    b = simulate_sgd(inst, 50, [5, 7], [0.3, 1.0], backend="numpy")
    assert np.array_equal(a["Q"][0][-1], b["Q"][1][-1])


def test_drawn_network_has_the_instance_order_parameters():
    inst = _small()
    W, Ws = draw_network(inst.Q, inst.R, inst.T, 40, np.random.default_rng(0))
    assert np.allclose(W @ W.T / 40, inst.Q, atol=1e-12)
    assert np.allclose(W @ Ws.T / 40, inst.R, atol=1e-12)
    assert np.allclose(Ws @ Ws.T / 40, inst.T, atol=1e-12)


def test_sgd_first_step_mean_matches_the_ode_rates():
    """One SGD step's mean increment (over many independent first steps) is the ODE's rate / N
    (EXACT for R and v at any N): a check of every first-order term against simulation."""
    inst = _small("rbp", sigma=0.0)
    N, S = 30, 1200
    out = simulate_sgd(inst, N, list(range(S)), [0.0, 1.0 / N], backend="numpy")
    R = np.array(out["R"])
    v = np.array(out["v"])
    dR, dv = (R[:, 1] - R[:, 0]) * N, (v[:, 1] - v[:, 0]) * N
    rates = inst.model.rates(inst.Q, inst.R, inst.v, inst.b)
    se_R = dR.std(axis=0) / math.sqrt(S)
    se_v = dv.std(axis=0) / math.sqrt(S)
    assert np.all(np.abs(dR.mean(axis=0) - rates[1]) < 4.5 * se_R)
    assert np.all(np.abs(dv.mean(axis=0) - rates[2]) < 4.5 * se_v)


def test_rule_pieces_from_the_statement():
    v, b = np.array([0.5, -2.0]), np.array([1.5, 0.25])
    assert np.allclose(ts_rule("bp", 2).backward_factor(v), v)
    assert np.allclose(ts_rule("srbp", 2).backward_factor(v, b), b)
    assert np.allclose(ts_rule("sign-symmetry", 2).backward_factor(v), np.sign(v))
    assert np.allclose(ts_rule("top-only", 2).backward_factor(v), 0)
    M, w2, d1 = ts_rule("weight-mirror", 2).drift_pieces(v, b)
    assert M is None and w2 is None and np.allclose(d1, v - b)


def test_a_rule_whose_backward_matrix_reads_the_first_layer_does_not_fit():
    r = Rule("reads-a1", "custom", backward=lambda h, A, C, p: transpose(A[h + 1]) * A[h].sum())
    with pytest.raises(InputError, match="depends on the first layer A_1"):
        ts_rule(r, 2)


def test_arbp_b_minus_v_is_constant_and_weight_decay_enters():
    inst = _small("arbp")
    out = integrate_ts(inst, [0.0, 1.0])
    d = np.array(out["b"]) - np.array(out["v"])
    assert np.abs(d[1] - d[0]).max() < 1e-12
    kp = _small("kolen-pollack", weight_decay=0.2)
    out2 = integrate_ts(kp, [0.0, 1.0])
    d2 = np.array(out2["b"]) - np.array(out2["v"])
    # b - v decays as exp(-eta lambda t) under Kolen-Pollack (section 10's statement, here)
    assert np.allclose(d2[1], d2[0] * math.exp(-0.8 * 0.2 * 1.0), rtol=1e-9)


def test_simulate_cli_writes_the_record(tmp_path):
    from linrbp.cli import main
    f = tmp_path / "ts.json"
    inst = _small("arbp")
    f.write_text(json.dumps(inst.to_dict()))
    out = tmp_path / "o.json"
    assert main(["simulate", str(f), "--times", "0,0.5,1", "--json", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["times"] == [0.0, 0.5, 1.0] and len(rec["eps_g"]) == 3 and len(rec["b"]) == 3
    assert rec["status"] == "time-limit" and rec["t_end"] == 1.0
    assert main(["simulate", str(f), "--times", "0,1", "--sgd", "40", "--seed", "0-2", "--json", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["seeds"] == [0, 1, 2] and np.array(rec["eps_g"]).shape == (3, 2)


@pytest.mark.slow
def test_ode_vs_sgd_check_fails_when_i3_indices_are_swapped():
    """ts-ode-vs-sgd's check on its seed-0 draw (16 SGD runs at N = 250 and 2000): passes with the
    ODE as stated, fails with I3's 2nd and 3rd indices exchanged (the Q gap stops shrinking)."""
    from linrbp.catalogue._catalogue import check_rng
    from linrbp.claims import ts_sgd

    inst = ts_sgd.sgd_instance(check_rng(0, "ts-ode-vs-sgd", "rms-gap-scaled"))
    gaps = ts_sgd.gap_table(inst, ("theory", "swapped"))
    assert ts_sgd.error_from_gaps(gaps["theory"]) <= 1.0
    assert ts_sgd.error_from_gaps(gaps["swapped"]) > 1.0
