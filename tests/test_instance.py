"""Instance files and the `linrbp simulate` contract: round trips, results, bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import linrbp
from linrbp.core._rules import BUILTIN_RULES  # the rules linrbp registers itself (test modules register others)
from linrbp import load_instance, parse_instance, simulate
from linrbp.cli import main

BASE = {
    "layers": [2, 3, 1],
    "rule": "rbp",
    "sigma_ii": [[2.0, 0.3], [0.3, 1.0]],
    "sigma_ti": [[1.0, -0.5]],
    "feedback": [[[0.5], [-0.2], [0.9]]],
    "weights": [[[0.1, 0.2], [0.0, -0.3], [0.4, 0.1]], [[0.2, -0.1, 0.3]]],
    "t_max": 50.0,
}


def write(tmp_path, data, name="inst.json"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


@st.composite
def instances(draw):
    rule = draw(st.sampled_from(list(BUILTIN_RULES)))
    layers = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    X, Y = rng.normal(size=(layers[0], 9)), rng.normal(size=(layers[-1], 9))
    s = linrbp.DataStats.from_samples(X, Y)
    return {
        "layers": layers, "rule": rule,
        "sigma_ii": s.sigma_ii.tolist(), "sigma_ti": s.sigma_ti.tolist(),
        "feedback": [rng.normal(size=sh).tolist() for sh in linrbp.feedback_shapes(layers, rule)],
        "weights": [rng.normal(size=(layers[h], layers[h - 1])).tolist() for h in range(1, len(layers))],
        "t_max": float(rng.uniform(0.1, 10)), "name": "extra keys are kept",
    }


@settings(max_examples=30, deadline=None)
@given(instances())
def test_instance_round_trip(data):
    inst = parse_instance(data)
    again = parse_instance(json.loads(json.dumps(inst.to_dict())))
    assert again.to_dict() == inst.to_dict()
    np.testing.assert_array_equal(again.y0, inst.y0)
    assert again.extra == {"name": "extra keys are kept"}


def test_one_layer_network_matches_its_closed_form_at_t_max():
    """A' = S_TI - A S_II: A(t) = P* + (A0 - P*) expm(-S_II t), so the state at t_max is known."""
    data = dict(BASE, layers=[2, 1], weights=[[[0.7, -1.2]]], feedback=[], rule="bp", t_max=1.3)
    out = simulate(parse_instance(data))
    S, T, A0 = (np.array(data[k], float) for k in ("sigma_ii", "sigma_ti", "weights"))
    Pstar = T @ np.linalg.inv(S)
    exact = Pstar + (A0[0] - Pstar) @ expm(-S * 1.3)
    assert out["status"] == "time-limit" and out["t_end"] == 1.3
    np.testing.assert_allclose(out["weights"][0], exact, rtol=1e-8, atol=0)
    out = simulate(parse_instance(data), 1.3, method="batched")
    np.testing.assert_allclose(out["weights"][0], exact, rtol=1e-8, atol=0)


def test_simulate_converges_to_a_minimum(tmp_path):
    out = simulate(parse_instance(BASE), 1e5)
    assert out["status"] == "converged"
    assert out["excess_loss"] < 1e-20


def test_simulate_cli_writes_the_contract_keys(tmp_path, capsys):
    f = write(tmp_path, BASE)
    out = tmp_path / "out.json"
    assert main(["simulate", str(f), "--t-max", "1e5", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    for key in ("status", "t_end", "weights", "feedback", "product", "excess_loss", "predicted"):
        assert key in res
    assert res["status"] == "converged"
    P = np.array(res["weights"][1]) @ np.array(res["weights"][0])
    np.testing.assert_allclose(res["product"], P, rtol=1e-12)
    assert "converged" in capsys.readouterr().out


def test_adaptive_feedback_moves_and_is_reported():
    data = dict(BASE, rule="arbp", t_max=5.0)
    out = simulate(parse_instance(data))
    C0 = np.array(BASE["feedback"][0])
    A2_0 = np.array(BASE["weights"][1])
    # ARBP conserves C_1 - A_2^T (docs/theory.md section 8).
    np.testing.assert_allclose(out["feedback"][0] - out["weights"][1].T, C0 - A2_0.T, atol=1e-10)
    assert not np.allclose(out["feedback"][0], C0)


BAD = [
    ("{not json", "malformed JSON at line 1"),
    ("[1, 2]", "instance: expected a JSON object"),
    (dict(BASE, layers=[]), "layers: expected a list"),
    (dict(BASE, layers=[2, 0, 1]), "layers: sizes must be positive integers"),
    (dict(BASE, rule="xrbp"), "rule: unknown rule 'xrbp'"),
    (dict(BASE, rule=3), "rule: expected a string"),
    (dict(BASE, t_max=-1), "t_max: must be positive"),
    (dict(BASE, t_max=0), "t_max: must be positive"),
    (dict(BASE, t_max="soon"), "t_max: expected a positive number"),
    (dict(BASE, sigma_ii=[[2.0, 0.3], [0.4, 1.0]]), "sigma_ii: not symmetric"),
    (dict(BASE, sigma_ii=[[1.0, 3.0], [3.0, 1.0]]), "sigma_ii: not positive semi-definite"),
    (dict(BASE, sigma_ii=[[1.0]]), "sigma_ii: shape 1x1 does not match the expected 2x2"),
    (dict(BASE, sigma_ti=[[1.0, -0.5], [0.0, 1.0]]), "sigma_ti: shape 2x2 does not match"),
    (dict(BASE, weights=[[[0.1, 0.2]], [[0.2]]]), "weights[0]: shape 1x2 does not match the expected 3x2"),
    (dict(BASE, weights=[[[0.1, 0.2], [0, 0], [0, 0]]]), "weights: expected 2 matrices, got 1"),
    (dict(BASE, feedback=[[[0.5, 1.0]]]), "feedback[0]: shape 1x2 does not match the expected 3x1"),
    (dict(BASE, feedback=[]), "feedback: expected 1 matrices, got 0"),
    (dict(BASE, weights=[[[0.1, "x"], [0, 0], [0, 0]], [[0.2, -0.1, 0.3]]]), "weights[0]: entry 'x' is not a number"),
    ('{"layers": [1, 1], "rule": "bp", "sigma_ii": [[NaN]], "sigma_ti": [[1]], "weights": [[[1]]]}',
     "sigma_ii: contains NaN"),
    ({k: v for k, v in BASE.items() if k != "weights"}, "weights: missing"),
]


@pytest.mark.parametrize("data, message", BAD)
def test_bad_instances_raise_value_errors_naming_the_field(tmp_path, data, message):
    f = write(tmp_path, data)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_instance(f)


@pytest.mark.parametrize("data, message", BAD)
def test_bad_instances_exit_2_with_one_line_and_no_output(tmp_path, capsys, data, message):
    f = write(tmp_path, data)
    out = tmp_path / "out.json"
    assert main(["simulate", str(f), "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [f]  # no temporary files left behind either


def test_missing_file_and_bad_t_max_option(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    f = write(tmp_path, BASE)
    assert main(["simulate", str(f), "--t-max", "-3"]) == 2
    assert "t_max: must be positive" in capsys.readouterr().err
    assert main(["simulate", str(f), "--t-max", "nan"]) == 2


def test_console_script_exit_status_and_no_traceback(tmp_path):
    f = write(tmp_path, dict(BASE, rule="nope"))
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == "linrbp simulate: error: rule: unknown rule 'nope' (expected one of bp, rbp, srbp, arbp, asrbp, kolen-pollack, weight-mirror, sign-symmetry, usf, top-only)"
