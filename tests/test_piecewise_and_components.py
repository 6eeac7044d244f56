"""Piecewise-polynomial rules (sign) per sign pattern, and irredundant fixed-point components
(issue 26, parts 4 and 5)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import sympy as sp

from linrbp import parse_instance
from linrbp.symbolic import find_invariants_piecewise, instance_fixed_point
from linrbp.symbolic._fixed_points import irredundant

ROOT = Path(__file__).resolve().parents[1]


def _sign_instance(hidden=2):
    rng = np.random.default_rng(4)
    return {"layers": [2, hidden, 2], "rule": "sign-symmetry", "sigma_ii": [[1, 0], [0, 1]],
            "sigma_ti": [[1, 0.5], [-0.3, 0.8]],
            "weights": [np.round(0.4 * rng.normal(size=(hidden, 2)), 3).tolist(),
                        np.round(0.4 * rng.normal(size=(2, hidden)), 3).tolist()], "t_max": 100}


def test_fixed_point_of_a_sign_rule_is_found_in_the_limits_orthant():
    inst = parse_instance(_sign_instance())
    r = instance_fixed_point(inst)
    assert r["status"] == "converged" and r["rank"] is not None
    pw = r["piecewise"]
    x = np.array(r["limit"]["state"])
    A2 = x[4:].reshape(2, 2)
    assert pw["pattern"] == [int(v) for v in np.sign(A2).ravel()]
    # independent route: central differences of the numeric field (np.sign, locally constant)
    f, n, eps = inst.system, len(x), 1e-6
    J = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(n)], axis=1)
    ev_fd = np.sort_complex(np.linalg.eigvals(J))
    ev = np.sort_complex(np.array([complex(a, b) for a, b in r["eigenvalues"]]))
    assert np.abs(ev_fd - ev).max() < 1e-6


def test_invariants_per_sign_pattern():
    inst = parse_instance(_sign_instance())
    pw = find_invariants_piecewise(inst, 1)
    assert len(pw["patterns"]) == 16
    # all-positive pattern: B_1 = sign(A_2^T) is all ones, so both rows of A_1 get the same
    # update and A1_0_j - A1_1_j is conserved (by hand)
    first = pw["patterns"][0]
    assert first["pattern"] == (1, 1, 1, 1)
    a = sp.symbols("A1_0_0 A1_0_1 A1_1_0 A1_1_1", real=True)
    found = {sp.expand(i.expression) for i in first["basis"].invariants}
    assert all(i.exact for i in first["basis"].invariants) and first["basis"].dimension == 2
    assert {sp.expand(a[0] - a[2]), sp.expand(a[1] - a[3])} == found


def test_too_many_patterns_is_one_line_and_no_step_the_user_did_not_ask_for(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps(_sign_instance(hidden=5)))
    r = subprocess.run([sys.executable, "-m", "linrbp", "derive", "--instance", f, "--invariants",
                        "--fixed-points"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "find_invariants" not in r.stdout + r.stderr
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("Invariants:")]
    assert len(line) == 1 and "piecewise polynomial" in line[0] and "1024 sign patterns" in line[0]
    assert "piecewise-polynomial field; at the limit" in r.stdout


def test_components_are_irredundant():
    a1, a2, a3, r2, t = sp.symbols("a1 a2 a3 r2 t", real=True)
    small = {a1: 0, a2: 0, a3: 0, r2: 0}
    big = {a2: 0, a3: 0, r2: 0}
    other = {a1: 0, r2: 1}
    assert irredundant([small, big, other], [a1, a2, a3, r2]) == [big, other]
    assert irredundant([big, dict(big)], [a1, a2, a3, r2]) == [big]
    # a parametrised component inside another: {a1 = 2 a3, a2 = 0} lies in {a2 = 0}
    assert irredundant([{a1: 2 * a3, a2: 0}, {a2: 0}], [a1, a2, a3]) == [{a2: 0}]
    assert irredundant([{a1: 2 * a3, a2: 0}, {a1: a3}], [a1, a2, a3]) == [{a1: 2 * a3, a2: 0}, {a1: a3}]


def test_symbolic_fixed_point_set_per_sign_pattern():
    from linrbp.symbolic import fixed_point_set, scalar_chain_ode

    fx = fixed_point_set(scalar_chain_ode(2, "sign-symmetry"))
    pw = fx["piecewise"]
    assert pw["arguments"] == ["A2_0_0"] and [p["pattern"] for p in pw["patterns"]] == [(1,), (-1,)]
    a1, a2 = sp.symbols("A1_0_0 A2_0_0", real=True)
    al, be = sp.symbols("alpha beta", real=True)
    for p in pw["patterns"]:
        # a1' = e sign(a2), a2' = a1 e: in an orthant sign(a2) = +-1 never vanishes, so e = 0
        # (P = alpha/beta) is the whole set
        assert p["components"] == [] and len(p["hypersurfaces"]) == 1
        assert sp.simplify(p["hypersurfaces"][0].lhs / (be * a1 * a2 - al)) in (1, -1)
        # the Jacobian's nonzero eigenvalue there, by hand: -beta (a1^2 + s a2)
        ev = p["summary"]["eigenvalues"][-1]
        assert sp.simplify(ev + be * (a1 ** 2 + p["pattern"][0] * a2)) == 0
