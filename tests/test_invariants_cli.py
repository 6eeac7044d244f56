"""linrbp derive --invariants / --fixed-points / --instance: the JSON contract, fixed points
against independent counts, and bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from linrbp.cli import main
from linrbp.symbolic import fixed_point_set, instance_fixed_point, scalar_chain_ode, wide_ode

DATA = Path(__file__).parent / "data"
KEYS = {"system", "rule", "degree", "dimension", "invariants", "variables", "seconds"}


def _check_contract(out, params=()):
    assert KEYS <= set(out)
    assert out["dimension"] == len(out["invariants"])
    names = {v: sp.Symbol(v, real=True) for v in out["variables"]}
    names.update({p: sp.Symbol(p, real=True) for p in params})
    exprs = []
    for inv in out["invariants"]:
        assert set(inv) >= {"expression", "degree", "verified"} and inv["verified"] is True
        e = sp.sympify(inv["expression"], locals=names)
        assert e.free_symbols <= set(names.values())
        assert sp.Poly(e, *[names[v] for v in out["variables"]]).total_degree() == inv["degree"]
        exprs.append(e)
    return names, exprs


def test_chain_json_contract_and_independent_flow_check(tmp_path, capsys):
    out_path = tmp_path / "inv.json"
    assert main(["derive", "chain", "--depth", "3", "--invariants", "--degree", "2",
                 "--json", str(out_path)]) == 0
    out = json.loads(out_path.read_text())
    assert out["system"] == "chain3" and out["rule"] == "srbp" and out["degree"] == 2
    names, exprs = _check_contract(out, ["alpha", "beta", "c1", "c2"])
    assert out["variables"] == ["A1_0_0", "A2_0_0", "A3_0_0"]
    # the ODE of docs/theory.md section 3, typed here: a_h' = c_h e prod_{k<h} a_k, c_3 = 1
    a = [names[v] for v in out["variables"]]
    al, be, c1, c2 = (names[p] for p in ("alpha", "beta", "c1", "c2"))
    e = al - be * a[0] * a[1] * a[2]
    f = [c1 * e, c2 * a[0] * e, a[0] * a[1] * e]
    for I in exprs:
        assert sp.simplify(sum(sp.diff(I, s) * fs for s, fs in zip(a, f))) == 0
    assert out["dimension"] == 2
    assert "dimension 2" in capsys.readouterr().out


def test_nonlinear_and_wide_cli(tmp_path):
    p = tmp_path / "nl.json"
    assert main(["derive", "nonlinear", "--invariants", "--json", str(p)]) == 0
    out = json.loads(p.read_text())
    names, exprs = _check_contract(out, ["c1", "mu", "alpha", "beta"])
    assert out["dimension"] == 1 and "mu" in out["invariants"][0]["expression"]
    assert main(["derive", "wide", "--width", "2", "--invariants", "--degree", "1",
                 "--json", str(p)]) == 0
    assert json.loads(p.read_text())["dimension"] == 1       # a_2 - (c_2/c_1) a_1


def test_instance_json_contract(tmp_path):
    p = tmp_path / "inst.json"
    src = DATA / "matrix_autoencoder_whitened.json"
    assert main(["derive", "--instance", str(src), "--invariants", "--fixed-points",
                 "--json", str(p)]) == 0
    out = json.loads(p.read_text())
    names, exprs = _check_contract(out)
    assert out["rule"] == "rbp" and out["system"] == "A[3, 1, 3]"
    assert out["variables"] == ["A1_0_0", "A1_0_1", "A1_0_2", "A2_0_0", "A2_1_0", "A2_2_0"]
    fp = out["fixed_points"]
    assert fp["status"] == "converged" and fp["rank"] + fp["local_dimension"] == fp["n_state"]


def test_fixed_point_sets_exact():
    fx = fixed_point_set(scalar_chain_ode(3, "bp"))
    assert len(fx["hypersurfaces"]) == 1
    a = [sp.Symbol(f"A{h}_0_0", real=True) for h in (1, 2, 3)]
    al, be = sp.symbols("alpha beta", real=True)
    h = fx["hypersurfaces"][0].lhs
    assert sp.simplify(h / (be * a[0] * a[1] * a[2] - al)) in (1, -1)
    # BP: besides P = alpha/beta, every point with two zero weights (three lines)
    pts = sorted(sorted(c["point"]) for c in fx["components"])
    assert pts == [["A1_0_0", "A2_0_0"], ["A1_0_0", "A3_0_0"], ["A2_0_0", "A3_0_0"]]
    assert all(c["dimension"] == 1 for c in fx["components"])
    fx = fixed_point_set(scalar_chain_ode(3, "srbp"))
    assert fx["components"] == [] and {str(s) for s in fx["assumed_nonzero"]} == {"c1", "c2"}
    fx = fixed_point_set(wide_ode(2, "srbp"))
    assert fx["components"] == [] and len(fx["hypersurfaces"]) == 1


def test_instance_fixed_point_single_hidden_dimension():
    """A[3,4,2] with C1 of full column rank: the fixed points are A2 A1 = S_TI S_II^-1, N2 N0 = 6
    equations on 20 entries, a set of dimension 14 (docs/theory.md section 6, counted by hand)."""
    r = instance_fixed_point(str(DATA / "matrix_single_hidden.json"))
    assert r["status"] == "converged"
    assert r["local_dimension"] == 20 - 6 and r["local_dimension_projected"] == 14
    assert r["rank"] == 6
    assert r["smallest_nonzero_singular_value"] > 1e6 * r["largest_zero_singular_value"]
    nonzero = [complex(*z) for z in r["eigenvalues"] if abs(complex(*z)) > r["rank_tolerance"]]
    assert len(nonzero) == 6 and all(z.real < 0 for z in nonzero)      # an attractor


def test_fixed_points_text(capsys):
    assert main(["derive", "chain", "--depth", "2", "--rule", "bp", "--fixed-points"]) == 0
    text = capsys.readouterr().out
    assert "hypersurface" in text and "component" in text


@pytest.mark.parametrize("argv, message", [
    (["derive", "chain", "--invariants", "--degree", "0"], "degree"),
    (["derive", "chain", "--invariants", "--degree", "5"], "degree"),
    (["derive", "--instance", "nope.json", "--invariants"], "no such file"),
    (["derive", "chain", "--instance", str(DATA / "chain3_srbp.json"), "--invariants"], "not both"),
    (["derive", "--invariants"], "system"),
    (["derive", "chain", "--rule", "nosuchrule", "--invariants"], "rule"),
])
def test_bad_input_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_bad_output_writes_nothing(tmp_path, capsys):
    d = tmp_path / "adir"
    d.mkdir()
    assert main(["derive", "chain", "--invariants", "--json", str(d)]) == 2
    # A symlink is written through to its target (issue 19), and stays a symlink.
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "target.json")
    assert main(["derive", "chain", "--invariants", "--json", str(link)]) == 0
    assert (tmp_path / "target.json").is_file() and link.is_symlink()
    # A device is refused before any work.
    assert main(["derive", "chain", "--invariants", "--json", "/dev/null"]) == 2
    bad = tmp_path / "bad.json"
    assert main(["derive", "chain", "--invariants", "--degree", "9", "--json", str(bad)]) == 2
    assert not bad.exists()
    assert main(["derive", "--instance", str(tmp_path / "none.json"), "--invariants", "--json", str(bad)]) == 2
    assert not bad.exists()
