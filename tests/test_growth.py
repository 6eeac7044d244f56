"""Flows that do not settle (issue 26, part 3): simulate's ``growth`` record at time-limit and
step-limit, against the closed-form growth of the Hebbian-feedback example (C_h linear in t)
and an exponentially growing state variable."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np

import linrbp
from linrbp import parse_instance, simulate
from linrbp.instances._growth import fit_growth

ROOT = Path(__file__).resolve().parents[1]
HEBBIAN_FILE = ROOT / "docs" / "examples" / "hebbian_feedback.py"
runpy.run_path(str(HEBBIAN_FILE))


def _hebbian(t_max=1e4, rate=0.5):
    return {"layers": [2, 3, 2], "rule": "hebbian-feedback", "hebbian_rate": rate,
            "sigma_ii": [[1, 0.2], [0.2, 1]], "sigma_ti": [[1, 0.5], [-0.3, 0.8]],
            "feedback": [[[0.5, -0.2], [0.3, 0.8], [-0.6, 0.4]]],
            "weights": [[[0.1, 0.0], [0.0, 0.1], [0.05, -0.05]], [[0.1, 0.0, 0.02], [0.0, 0.1, 0.0]]],
            "t_max": t_max}


def test_linearly_growing_feedback_has_exponent_one():
    inst = parse_instance(_hebbian())
    out = simulate(inst, method="bdf")
    assert out["status"] == "time-limit"
    g = out["growth"]
    assert g["C1"]["law"] == "power" and abs(g["C1"]["exponent"] - 1) < 0.02, g["C1"]
    assert g["C1"]["other_law_rms_residual"] > 100 * g["C1"]["rms_residual"]
    # independent route: A_2 has settled, so over the stretch C_1(t) = C_1(T) - kappa A_2^T (T - t)
    # exactly; the log-log slope of that line's norm is the exponent to expect
    A2, C1, T = out["weights"][1], out["feedback"][0], out["t_end"]
    t = np.geomspace(g["stretch"][0], T, 400)
    norms = np.linalg.norm(C1[None] - 0.5 * A2.T[None] * (T - t)[:, None, None], axis=(1, 2))
    slope = np.polyfit(np.log(t), np.log(norms), 1)[0]
    assert abs(g["C1"]["exponent"] - slope) < 1e-3, (g["C1"]["exponent"], slope)
    assert abs(g["A1"]["exponent"]) < 1e-6 and not g["P"]["moves"]
    assert out["excess_loss"] < 1e-12  # P reached P* although the flow never settles


def test_step_limit_reports_growth_in_the_summary_and_json(tmp_path):
    f = tmp_path / "h.json"
    f.write_text(json.dumps(_hebbian(t_max=1e5)))
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", f, "--rules", HEBBIAN_FILE,
                        "--max-steps", "1500", "--json", out], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["status"] == "step-limit"
    assert set(res["growth"]) >= {"A1", "A2", "C1", "P", "stretch"}
    line = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("growth")]
    assert len(line) == 1 and "|C1| ~ t^" in line[0] and "P settled" in line[0]


def test_exponential_growth_is_told_from_a_power_law():
    # a state variable with dg/dt = 0.02 g, read by nothing: |g| = e^{0.02 t}
    rule = linrbp.Rule("grow-test", "feedback", "next", False, feedback="next",
                       state=(linrbp.StateVariable("g", drift=lambda h, A, C, p: p["g"][h] * 0.02,
                                                   initial=1.0),))
    linrbp.register_rule(rule, replace_existing=True)
    d = _hebbian(t_max=300.0)
    del d["hebbian_rate"]
    d["rule"] = "grow-test"
    out = simulate(parse_instance(d))
    g = out["growth"]["g1"]
    assert g["law"] == "exponential" and abs(g["rate"] - 0.02) < 1e-6, g
    t = np.linspace(10, 100, 50)
    assert fit_growth(t, 3 * t ** 1.5)["law"] == "power"
    assert abs(fit_growth(t, 3 * t ** 1.5)["exponent"] - 1.5) < 1e-12
