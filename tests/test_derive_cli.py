"""``linrbp derive``: output content and bad input."""

import pytest

from linrbp.cli import main


def _run(capsys, *argv):
    rc = main(["derive", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_chain_depth3(capsys):
    rc, out, _ = _run(capsys, "chain", "--depth", "3")
    assert rc == 0
    assert "a1' = c1*(-a1*a2*a3*beta + alpha)" in out
    assert "K2 = -a2**2/(2*c2) + a3    [conserved]" in out
    assert "degree 7, leading coefficient -beta*c2**2/(16*c1**2)" in out
    assert "Fixed points: a1*a2*a3 = alpha/beta" in out
    assert "Extra critical set of P (P' = e * this): a1**2*a2**2 + a1**2*a3*c2 + a2*a3*c1 = 0" in out
    assert "eigenvalues 0 (x2) and -beta*(a1**2*a2**2 + a1**2*a3*c2 + a2*a3*c1)" in out


def test_rules_and_systems(capsys):
    rc, out, _ = _run(capsys, "chain", "--depth", "2", "--rule", "bp")
    assert rc == 0 and "a1^2 - a2^2" in out and "no reduction" in out
    rc, out, _ = _run(capsys, "chain", "--depth", "3", "--rule", "arbp")
    assert rc == 0 and "r1 - (A2^T) = -a2 + r1    [conserved]" in out
    rc, out, _ = _run(capsys, "wide", "--width", "3")
    assert rc == 0 and "degree 3, leading coefficient -beta*(c1**2 + c2**2 + c3**2)/(2*c1**2)" in out
    rc, out, _ = _run(capsys, "nonlinear", "--power", "2")
    assert rc == 0 and "degree 5, leading coefficient -beta/2" in out
    rc, out, _ = _run(capsys, "nonlinear", "--no-fprime")
    assert rc == 0 and "delta" in out and "no invariant" in out


def test_latex(capsys):
    rc, out, _ = _run(capsys, "chain", "--depth", "2", "--latex")
    assert rc == 0 and "\\begin{align*}" in out and "\\frac{\\beta}{2}" in out


@pytest.mark.parametrize("argv", [
    ["bogus"], ["chain", "--depth", "0"], ["chain", "--depth", "8"], ["chain", "--rule", "nope"],
    ["wide", "--width", "0"], ["nonlinear", "--power", "-2"], ["nonlinear", "--power", "x+"],
    ["chain", "--depth", "two"],
])
def test_bad_input_exits_2(capsys, argv):
    rc = None
    try:
        rc = main(["derive", *argv])
    except SystemExit as exc:  # argparse type errors
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err and err.strip()
