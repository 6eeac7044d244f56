"""Certificates (the theory page, section 12): ``linrbp certify`` in ball arithmetic and the
independent checker ``linrbp check-certificate`` (exact rationals, Sturm/Descartes)."""

from __future__ import annotations

import ast
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flint", reason="python-flint (the certify extra) is not installed")

from linrbp.certify import certify_claim, certify_instance  # noqa: E402
from linrbp.checker import CertificateError, check_certificate  # noqa: E402
from linrbp.checker import _checker as ch  # noqa: E402
from linrbp.checker._checker import _deriv, chain_polynomials, roots_in, sturm_roots_in  # noqa: E402
from linrbp.cli import main  # noqa: E402
from linrbp import chain111_limit, chain_limit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# A double root: c1 = -1, alpha = beta = 1, K = 3/2 gives Q = -(a1 - 1)^2 (a1 + 2) / 2, and a
# start above 1 on that parabola flows into the double root a1 = 1 (all numbers dyadic: exact).
DOUBLE = {"alpha": 1.0, "beta": 1.0, "c1": -1.0, "a1": 1.5, "a2": 0.375}


def _mid(ball) -> float:
    return float(Fraction(ball["mid"]))


def test_chain111_certified_checked_and_agree_with_the_closed_form(tmp_path):
    s = certify_claim("chain111", samples=300, seed=1, out=str(tmp_path), progress=False)
    assert s["certified"] == 300 and s["refused"] == 0
    certs = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("chain111-*.json"))]
    assert len(certs) == 300
    worst = 0.0
    for c in certs:
        assert "attracting" in check_certificate(c)
        # An independent route to the same number: the float closed form (a series walk).
        i = c["instance"]
        ref = chain111_limit(i["alpha"], i["beta"], i["c1"], i["a1"], i["a2"])
        worst = max(worst, max(abs(_mid(b) - r) / max(abs(r), 1e-300) for b, r in zip(c["limit"], ref)))
        assert float(Fraction(c["limit"][0]["rad"])) < 1e-20
    assert worst < 1e-12, worst


@pytest.mark.parametrize("depth", [3, 4])
def test_chains_certify_and_check(depth, tmp_path):
    s = certify_claim("chain", samples=6, seed=0, depth=depth, out=str(tmp_path), progress=False)
    assert s["certified"] == 6, s["refusals"]
    for p in sorted(tmp_path.glob("chain-*.json")):
        c = json.loads(p.read_text())
        assert c["polynomial"]["degree"] == 2 ** depth - 1
        assert {"jacobian-eigenvalues", "attracting", "no-root-between"} <= {k["check"] for k in c["checks"]}
        assert check_certificate(c)[-1] == "fixed-point"
        i = c["instance"]
        ref = chain_limit(i["alpha"], i["beta"], i["feedback"], i["weights"], i["rule"])
        assert np.allclose([_mid(b) for b in c["limit"]], ref, rtol=1e-9, atol=0)


def _cert(**inst):
    return certify_instance("chain111", dict({"alpha": 1.3, "beta": 0.7, "c1": -0.6, "a1": 2.1,
                                              "a2": -0.4}, **inst))


def test_tampered_certificates_are_rejected():
    c = _cert()
    assert c["status"] == "certified"
    check_certificate(c)
    cases = {}
    t = json.loads(json.dumps(c))
    t["inputs"]["alpha"] = "14/10"  # an input changed
    cases["polynomial"] = t
    t = json.loads(json.dumps(c))  # the ball moved by 1e6 radii
    mid, rad = Fraction(t["limit"][0]["mid"]), Fraction(t["limit"][0]["rad"])
    t["limit"][0]["mid"] = str(mid + 10 ** 6 * rad)
    cases["root-in-ball"] = t
    t = json.loads(json.dumps(c))
    t["start_sign"] = -t["start_sign"]
    cases["start-sign"] = t
    t = json.loads(json.dumps(c))
    t["limit"][1]["rad"] = "0"  # a2's ball can no longer hold the image of a1's
    cases["limit-weights"] = t
    for check, bad in cases.items():
        with pytest.raises(CertificateError) as exc:
            check_certificate(bad)
        assert exc.value.check == check, (check, str(exc.value))


def test_a_ball_moved_to_another_root_is_rejected():
    """Q with three real roots: a ball around a root beyond the picked one fails the checker."""
    inst = {"alpha": 1.0, "beta": 1.0, "c1": 1.0, "a1": -3.0, "a2": 4.5 - 4.0}  # c1 K < 0
    c = certify_instance("chain111", inst)
    assert c["status"] == "certified"
    alpha, beta, cc, a0 = (Fraction(1), Fraction(1), [Fraction(1), Fraction(1)], [Fraction(-3), Fraction(1, 2)])
    Q, _ = chain_polynomials(alpha, beta, cc, a0)
    roots = sorted(np.roots([float(x) for x in Q[::-1]]).real)
    assert len(roots) == 3
    picked = _mid(c["limit"][0])
    others = [r for r in roots if abs(r - picked) > 1e-6]
    for r in others:
        t = json.loads(json.dumps(c))
        f = Fraction(r).limit_denominator(10 ** 12)
        t["limit"][0] = {"mid": str(f), "rad": "1/1000000"}
        with pytest.raises(CertificateError) as exc:
            check_certificate(t)
        assert exc.value.check in ("limit-side", "no-root-between", "attracting")


def test_double_root_is_refused_with_that_reason(tmp_path, capsys):
    c = certify_instance("chain111", DOUBLE)
    assert c["status"] == "refused" and c["reason"].startswith("double root")
    with pytest.raises(CertificateError) as exc:
        check_certificate(c)
    assert exc.value.check == "status"
    f = tmp_path / "double.json"
    f.write_text(json.dumps(DOUBLE))
    out = tmp_path / "out"
    assert main(["certify", "--instance", str(f), "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "0 of 1 certified, 1 refused (1 double root)" in text and "double root" in text.splitlines()[1]
    assert main(["check-certificate", str(out)]) == 1
    assert "check 'status' failed: status: the certifier refused this instance: double root" in \
        capsys.readouterr().out


def test_cli_certify_and_check_exit_codes(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["certify", "chain111", "--samples", "20", "--seed", "3", "--out", str(out)]) == 0
    assert "20 of 20 certified, 0 refused" in capsys.readouterr().out
    assert main(["check-certificate", str(out)]) == 0
    assert "20 of 20 certificates hold" in capsys.readouterr().out
    # Resume: the same command keeps what is there.
    assert main(["certify", "chain111", "--samples", "20", "--seed", "3", "--out", str(out)]) == 0
    assert "(20 kept from an earlier run)" in capsys.readouterr().out
    bad = sorted(out.glob("chain111-*.json"))[4]
    c = json.loads(bad.read_text())
    c["inputs"]["weights"][0] = "1/3"
    bad.write_text(json.dumps(c))
    assert main(["check-certificate", str(out)]) == 1
    text = capsys.readouterr().out
    assert f"{bad}: DOES NOT HOLD: check 'polynomial' failed" in text and "19 of 20" in text


def test_exact_instance_strings_and_on_root_start(tmp_path):
    # On a root: alpha = beta = 1, a1 a2 = 1 with a1^2 + c1 a2 > 0: the limit is the start.
    c = certify_instance("chain111", {"alpha": "1", "beta": "1", "c1": "1/3", "a1": "2", "a2": "1/2"})
    assert c["status"] == "certified" and c["start_sign"] == 0
    assert c["limit"][0]["mid"] == "2/1" and c["limit"][0]["rad"] == "0/1"
    assert "attracting" in check_certificate(c)


def test_sturm_and_descartes_counts_agree():
    """Two exact root counts (Sturm's remainder sequence, Descartes with bisection) on the
    chains' polynomials and random intervals."""
    rng = np.random.default_rng(0)
    for depth in (2, 3, 4):
        for _ in range(4):
            a0 = [Fraction(float(v)) for v in rng.uniform(-2, 2, depth)]
            c = [Fraction(float(v)) for v in rng.uniform(0.2, 2, depth - 1) * rng.choice([-1, 1], depth - 1)] + [Fraction(1)]
            Q, _ = chain_polynomials(Fraction(1), Fraction(1), c, a0)
            for p in (Q, _deriv(Q)):
                lo, hi = sorted(Fraction(float(v)) for v in rng.uniform(-3, 3, 2))
                n = sturm_roots_in(p, lo, hi) - (ch._value(p, hi) == 0)
                assert _descartes(p, lo, hi) == n == roots_in(p, lo, hi)


def _descartes(p, lo, hi):
    """The checker's Descartes route for any degree (roots_in uses it above degree 15)."""
    count, todo = 0, [(lo, hi, 0)]
    while todo:
        a, b, depth = todo.pop()
        v = ch._sign_changes(ch._on_unit(p, a, b))
        if v <= 1:
            count += v
            continue
        m = (a + b) / 2
        count += ch._value(p, m) == 0
        todo += [(a, m, depth + 1), (m, b, depth + 1)]
    return count


def test_checker_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "linrbp" / "checker" / "_checker.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import in the checker"
            names.add(node.module.split(".")[0])
    assert names <= set(sys.stdlib_module_names) | {"__future__"}, names


def test_verify_certify_marks_certified_checks(tmp_path, capsys):
    js, page = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["verify", "--only", "chain111", "--samples", "3", "--certify", "--json", str(js),
                 "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "certified: chain111/limit-on-hyperbola-and-stable: 3/3 instances, 3 re-checked exactly" in out
    assert "stayed numerical: chain111/invariant-drift" in out
    rep = json.loads(js.read_text())
    checks = {c["check"]: c for c in rep["claims"][0]["checks"]}
    assert checks["limit-vs-integration"]["certified"]["checker_holds"] == 3
    assert "certified" not in checks["symmetries"]
    assert rep["certification"]["certified_checks"] == ["chain111/limit-vs-integration",
                                                        "chain111/limit-on-hyperbola-and-stable"]
    assert page.read_text().count('class="certified"') == 2


def test_checker_names_malformed_certificates(tmp_path, capsys):
    (tmp_path / "a.json").write_text("{not json")
    (tmp_path / "b.json").write_text(json.dumps({"claim": "chain", "status": "certified",
                                                 "inputs": {"alpha": "1", "beta": "1", "rule": "srbp",
                                                            "feedback": "x", "weights": []}}))
    (tmp_path / "c.json").write_text("[" * 100000 + "]" * 100000)
    assert main(["check-certificate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("check 'format' failed") == 3 and "0 of 3 certificates hold" in out
