"""proofs/: every script runs and holds; a changed premise makes a proof fail loudly."""

import runpy
from pathlib import Path

import pytest

from linrbp.proof import Proof, ProofFailed
from linrbp.cli import main
from linrbp.proof.registry import PROOFS
from linrbp.proofs.bp_balance import proof as bp_balance
from linrbp.proofs.chain import proof as chain
from linrbp.proofs.chain111 import proof as chain111

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "proofs").glob("*.py"))


def test_one_script_per_proof():
    assert {p.stem for p in SCRIPTS} == {i.replace("-", "_") for i in PROOFS}


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_runs_and_holds(script, capsys):
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert exc.value.code == 0, out
    assert "Result: all steps hold" in out


def test_rbp_invariant_fails_under_bp():
    pf = chain111(rule="bp")
    assert not pf.ok
    assert any(s.text.startswith("d/dt [a2 - a1^2/(2 c1)] = 0") for s in pf.failures)
    with pytest.raises(ProofFailed):
        pf.require()


def test_leading_coefficient_sign_flips_with_negative_top_feedback():
    assert chain(max_depth=2).ok
    pf = chain(max_depth=2, c_top=-1)
    assert not pf.ok
    assert any("negative" in s.text for s in pf.failures)


def test_bp_balance_fails_under_rbp():
    assert not bp_balance(sizes=([2, 2, 2],), rule="rbp").ok


def test_steps_fail_when_false():
    import sympy as sp
    x = sp.Symbol("x", real=True)
    pf = Proof("t", "t", "t")
    assert pf.zero("x^2 - x*x = 0", x ** 2 - x * x)
    assert not pf.zero("x = 0", x)
    assert not pf.sign("x^2 > 0 for real x (false at 0)", x ** 2, "positive")
    assert not pf.numeric("crashes", lambda: 1 / 0)
    assert not pf.ok and len(pf.failures) == 3


def test_prove_cli_writes_markdown_and_latex(tmp_path, capsys):
    md, tex = tmp_path / "p.md", tmp_path / "p.tex"
    assert main(["prove", "saxe", "lillicrap", "--out", str(md)]) == 0
    assert main(["prove", "saxe", "--out", str(tex)]) == 0
    capsys.readouterr()
    assert "## saxe" in md.read_text() and "[ok]" in md.read_text()
    t = tex.read_text()
    assert t.startswith("\\documentclass") and t.rstrip().endswith("\\end{document}")


@pytest.mark.parametrize("argv", [["prove", "nope"], ["prove", "saxe", "--out", "x.txt"],
                                  ["prove", "saxe", "--out", "/no/such/dir/p.md"]])
def test_prove_bad_input_exits_2(argv, capsys, tmp_path):
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_a_crashing_proof_is_a_failed_proof(monkeypatch):
    from linrbp.proof import registry as proofs_lib

    def boom():
        raise RuntimeError("broken premise")

    monkeypatch.setitem(proofs_lib.PROOFS, "saxe", boom)
    (pf,) = proofs_lib.run_proofs(["saxe"])
    assert not pf.ok and "broken premise" in pf.failures[0].detail


def test_adaptive_feedback_proofs_fail_under_a_changed_premise():
    from linrbp.proof.registry import PROOFS

    kolen_pollack, weight_mirror = PROOFS["kolen-pollack"], PROOFS["weight-mirror"]

    assert kolen_pollack(sizes=([1, 1, 1],)).ok and weight_mirror(sizes=([1, 1, 1],)).ok
    assert not kolen_pollack(sizes=([1, 1, 1],), rule="arbp").ok  # no decay: the offset stays
    assert not weight_mirror(sizes=([1, 1, 1],), rule="arbp").ok  # error-driven feedback is no mirror


def test_a_tautology_is_not_a_proof_step():
    """Eq(q1, q1) checks nothing: refused. A shown computation (unevaluated Limit/Integral/
    Derivative, evaluated by the step) or a named computed side is a step; a false one fails."""
    import sympy as sp

    q, x = sp.Symbol("q1"), sp.Symbol("x", positive=True)
    pf = Proof("t", "t", "t")
    assert not pf.equal("same expression on both sides", q, q)
    assert "tautology" in pf.steps[-1].detail
    assert not pf.zero("shown as X = X", 0, show=sp.Eq(q, q, evaluate=False))
    assert pf.equal("a limit, evaluated by the step", sp.Limit((q * x + 1) / x, x, sp.oo), q)
    assert "Limit" in pf.steps[-1].render()
    assert not pf.equal("a false limit", sp.Limit((q * x + 1) / x, x, sp.oo), 2 * q)
    assert pf.equal("a computed value, named", q, q, name="lc(Q)")
    assert "lc(Q)" in pf.steps[-1].render()


@pytest.mark.parametrize("claim", ["poly1d", "chain", "wide1N1"])
def test_proof_steps_state_what_they_compute(claim):
    """The proofs that showed 34 'X = X' steps (Q(x)/x^n -> q_n as q_n = q_n, lc(Q) as its own
    value) now show the computation or name it; each still holds."""
    import sympy as sp

    pf = PROOFS[claim]()
    assert pf.ok, [s.text for s in pf.failures]
    shown = [s.expr for s in pf.steps if isinstance(s.expr, sp.Equality)]
    assert shown and all(e.lhs != e.rhs for e in shown)


def test_teacher_student_proofs_fail_with_a_changed_premise():
    from linrbp.proof.registry import PROOFS
    assert not PROOFS["ts-linear-drift"](sizes=((2, 1),), noise_factor=2).ok
    assert not PROOFS["ts-linear-bridge"](sizes=((2, 1, 1),), rules=("rbp",), factor={"rbp": "v"}).ok
