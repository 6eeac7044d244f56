"""`linrbp simulate` reaches the limits stored in tests/data (and fills `predicted`).

The stored ``reference`` weights are computed by tests/data/make_references.py, which does not
import linrbp: invariants written from the rules' definitions and 60-digit bisection of e(a_1)
(mpmath). They are independent of linrbp's closed forms, which `predicted` is compared with.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linrbp import load_instance, simulate

DATA = Path(__file__).parent / "data"
FILES = sorted(p.name for p in DATA.glob("*.json") if "reference" in json.loads(p.read_text()))


def _flat(ws):
    return np.concatenate([np.asarray(w, dtype=float).ravel() for w in ws])


@pytest.mark.parametrize("name", FILES)
def test_simulate_reaches_reference(name):
    inst = load_instance(DATA / name)
    ref = _flat(inst.extra["reference"]["weights"])
    rec = simulate(inst, conv_tol=1e-12)
    assert rec["status"] == "converged"
    got = _flat(rec["weights"])
    assert np.max(np.abs(got - ref)) <= 1e-8 * np.max(np.abs(ref))
    pred = _flat(rec["predicted"]["weights"])
    assert np.max(np.abs(pred - ref)) <= 1e-12 * np.max(np.abs(ref))


def test_cli_simulate_fills_predicted(tmp_path):
    out = tmp_path / "rec.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", str(DATA / "chain3_srbp.json"),
                        "--json", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rec = json.loads(out.read_text())
    assert rec["predicted"]["system"] == "chain"
    ref = _flat(json.loads((DATA / "chain3_srbp.json").read_text())["reference"]["weights"])
    assert np.max(np.abs(_flat(rec["weights"]) - ref)) <= 1e-8 * np.max(np.abs(ref))


def test_bp_chain_prediction_is_the_product_only():
    # issue 26: BP's generic limit is P* when no hidden layer is narrower than rank(P*) (a chain:
    # alpha/beta); the weights themselves have no closed form here
    d = json.loads((DATA / "chain3_srbp.json").read_text())
    d["rule"] = "bp"
    d["feedback"] = []
    from linrbp import parse_instance, predict

    p = predict(parse_instance(d))
    assert p["system"] == "bp-limit" and p["case"] == "full-rank" and p["weights"] is None
    alpha, beta = d["sigma_ti"][0][0], d["sigma_ii"][0][0]
    assert abs(p["product"][0][0] - alpha / beta) < 1e-14 * abs(alpha / beta)


def test_references_are_the_independent_scripts_output():
    """The stored references are exactly what make_references.py computes (no hand edits, no
    values from linrbp), and the script imports nothing of linrbp."""
    script = DATA / "make_references.py"
    assert "linrbp" not in [l.split()[1].split(".")[0] for l in script.read_text().splitlines()
                            if l.startswith(("import ", "from "))]
    for name in FILES:
        assert json.loads((DATA / name).read_text())["reference"]["source"].startswith("tests/data/make_references.py")
    r = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
