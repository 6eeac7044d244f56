"""Observables along trajectories (issue 26, part 2): ``linrbp.observe``, ``simulate --times
--observe``, a researcher's own observable from a rules file, and the observable claims of
docs/own-claims.md (docs/examples/loss_never_rises.py)."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import linrbp
from linrbp import InputError, integrate, parse_instance

ROOT = Path(__file__).resolve().parents[1]
CLAIMS_FILE = ROOT / "docs" / "examples" / "loss_never_rises.py"
GAIN_FILE = ROOT / "docs" / "examples" / "learned_gain.py"


def _inst(layers=(2, 3, 2), rule="rbp", seed=0):
    rng = np.random.default_rng(seed)
    n0, n2 = layers[0], layers[-1]
    M = rng.normal(size=(n0, n0))
    d = {"layers": list(layers), "rule": rule, "sigma_ii": (M @ M.T / n0 + 0.5 * np.eye(n0)).tolist(),
         "sigma_ti": rng.normal(size=(n2, n0)).tolist(),
         "weights": [(0.3 * rng.normal(size=(layers[h], layers[h - 1]))).tolist() for h in range(1, len(layers))]}
    if rule == "rbp":
        d["feedback"] = [rng.normal(size=(layers[h], layers[h + 1])).tolist() for h in range(1, len(layers) - 1)]
    return d


def test_observables_equal_hand_computations_at_finite_times():
    d = _inst()
    inst = parse_instance(d)
    times = [0.0, 0.5, 2.0, 7.0]
    out = linrbp.observe(d, times, ["excess_loss", "alignment", "update_angle", "weight_norm", "feedback_norm"])
    S, T, C = np.array(d["sigma_ii"]), np.array(d["sigma_ti"]), np.array(d["feedback"][0])
    Pstar = T @ np.linalg.inv(S)
    for k, t in enumerate(times):
        y = inst.y0 if t == 0 else integrate(inst.system, inst.y0, t, rtol=1e-11, conv_tol=0.0).y[0]
        (A1, A2), _ = inst.system.unpack(y)
        P = A2 @ A1
        # excess loss: (1/2) tr((P - P*) S (P - P*)^T), written out here
        ex = 0.5 * np.trace((P - Pstar) @ S @ (P - Pstar).T)
        cos = np.sum(C * A2.T) / (np.linalg.norm(C) * np.linalg.norm(A2.T))
        E = T - P @ S
        v = np.concatenate([(C @ E).ravel(), (E @ A1.T).ravel()])
        g = np.concatenate([(A2.T @ E).ravel(), (E @ A1.T).ravel()])
        ang = np.degrees(np.arccos(v @ g / (np.linalg.norm(v) * np.linalg.norm(g))))
        o = out["observables"]
        assert abs(o["excess_loss"][k] - ex) < 1e-8 * (1 + ex)
        assert abs(o["alignment"][k] - cos) < 1e-8 and abs(o["update_angle"][k] - ang) < 1e-6
        assert np.allclose(o["weight_norm"][k], [np.linalg.norm(A1), np.linalg.norm(A2)], rtol=1e-8)
        assert abs(o["feedback_norm"][k] - np.linalg.norm(C)) < 1e-12


def test_update_angle_is_the_sign_of_the_loss_derivative():
    # dL/dt = -<BP field, rule field>: the loss rises exactly where the angle passes 90 degrees;
    # central differences of the excess loss against |g| |v| cos(angle) (independent routes)
    d = _inst((2, 1, 3), seed=12)
    ts, h = np.linspace(1.0, 30.0, 30), 1e-4
    both = np.sort(np.concatenate([ts - h, ts + h]))
    L = np.array(linrbp.observe(d, both, ["excess_loss"])["observables"]["excess_loss"])
    dL = (L[1::2] - L[0::2]) / (2 * h)
    ang = np.array(linrbp.observe(d, ts, ["update_angle"])["observables"]["update_angle"])
    assert (ang > 90).any() and (ang < 90).any()
    clear = np.abs(ang - 90) > 1.0
    assert np.all((dL[clear] > 0) == (ang[clear] > 90))


def test_alignment_is_one_number_per_hidden_layer():
    one = linrbp.observe(_inst((2, 3, 2)), [0, 1], ["alignment"])["observables"]["alignment"]
    two = linrbp.observe(_inst((2, 3, 3, 2)), [0, 1], ["alignment"])["observables"]["alignment"]
    assert all(isinstance(v, float) for v in one) and all(len(v) == 2 for v in two)


def test_simulate_times_observe_cli_and_a_rules_files_observable(tmp_path):
    f = tmp_path / "g.json"
    d = _inst(rule="rbp")
    d["rule"] = "learned-gain"
    d["state"] = {"g": [0.5]}
    f.write_text(json.dumps(d))
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", f, "--rules", GAIN_FILE, "--times", "0,1,3",
                        "--observe", "gain,excess_loss", "--json", out], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["times"] == [0, 1, 3] and set(res["observables"]) == {"gain", "excess_loss"}
    assert res["observables"]["gain"][0] == 0.5 and res["observables"]["gain"][2] != 0.5
    for args, msg in ((["--observe", "gain"], "observe: give --times"),
                      (["--times", "3,1"], "times must be strictly increasing"),
                      (["--times", "1", "--observe", "excess_los"], "did you mean 'excess_loss'")):
        r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", f, "--rules", GAIN_FILE, *args],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr
    with pytest.raises(InputError, match="already registered"):
        linrbp.register_observable("excess_loss", lambda s, y, t: 0.0)


def test_the_observable_claims_of_the_docs():
    """BP's loss never rises after t0 (a gradient flow); RBP's does, where the update turns
    more than 90 degrees from the gradient."""
    ns = runpy.run_path(str(CLAIMS_FILE))
    rng = np.random.default_rng(0)
    bp = [ns["largest_rise"](ns["sample"](rng, "bp")) for _ in range(8)]
    assert max(bp) <= 1e-9, bp
    rises = []
    for seed in range(40):
        inst = ns["sample"](np.random.default_rng(seed), "rbp")
        if ns["largest_rise"](inst) > 1e-6:
            rises.append(inst)
    assert rises, "no RBP instance with a rising loss in 40 draws"
    ts = np.linspace(ns["T0"], ns["T1"], ns["N_TIMES"])
    o = linrbp.observe(rises[0], ts, ["excess_loss", "update_angle"])["observables"]
    k = int(np.argmax(np.diff(o["excess_loss"])))
    assert max(o["update_angle"][k], o["update_angle"][k + 1]) > 90


def test_sweep_records_observables_per_start(tmp_path):
    from linrbp.sweeps._sweep import sweep, sweep_start

    inst = parse_instance(_inst())
    rep = sweep(inst, 3, 0.3, 2, t_max=50.0, progress=False, times=[0, 2, 5], observe=["excess_loss", "alignment"])
    for r in rep["records"]:
        ref = linrbp.observe(sweep_start(inst, 2, 0.3, r["index"]), [0, 2, 5], ["excess_loss", "alignment"])
        for name in ("excess_loss", "alignment"):
            assert np.allclose(r["observables"][name], ref["observables"][name], rtol=1e-12, atol=0)
    # the learned-gain rule from its rules file, its own observable, on two worker processes
    f = tmp_path / "g.json"
    d = _inst()
    d["rule"] = "learned-gain"
    f.write_text(json.dumps(d))
    out = tmp_path / "sw.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "sweep", f, "--rules", GAIN_FILE, "--starts", "4",
                        "--scale", "0.3", "--seed", "1", "--chunk", "2", "--workers", "2", "--t-max", "50",
                        "--times", "0,3", "--observe", "gain", "--json", out],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    recs = json.loads(out.read_text())["records"]
    assert len(recs) == 4 and all(rec["observables"]["gain"][0] == 1.0 != rec["observables"]["gain"][1]
                                  for rec in recs)
