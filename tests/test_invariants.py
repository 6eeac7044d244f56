"""find_invariants rediscovers every conserved quantity docs/theory.md lists, without being told.

Each listed quantity is written here by hand from docs/theory.md (sections 2-9) and must lie in the
span of the basis that find_invariants found; the span test is this file's own (sympy linsolve
on the monomial coefficients), not the package's. The table printed at the end compares the
dimension found with the dimension of what docs/theory.md lists and of the products of the listed
quantities up to the searched degree: anything beyond those is new (a finding).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from linrbp import InputError, load_instance
from linrbp.symbolic import (derive_ode, find_invariants, nonlinear_ode, scalar_chain_ode,
                             wide_ode)
from linrbp.symbolic._invariants import canonical_names

DATA = Path(__file__).parent / "data"
TABLE: list = []


def _sym(name):
    return sp.Symbol(name, real=True)


def A(h, i, j):
    return _sym(f"A{h}_{i}_{j}")


def C(h, i, j):
    return _sym(f"C{h}_{i}_{j}")


def _coeffs(expr, syms):
    return sp.Poly(sp.expand(expr), *syms).as_dict()


def in_span(basis, expr, syms) -> bool:
    """expr (constant dropped) is a combination of basis, over the parameters' field."""
    xs = sp.symbols(f"x0:{len(basis)}")
    target = _coeffs(expr, syms)
    target.pop((0,) * len(syms), None)
    polys = [_coeffs(b, syms) for b in basis]
    keys = set(target).union(*polys) - {(0,) * len(syms)}
    eqs = [sum(x * p.get(k, 0) for x, p in zip(xs, polys)) - target.get(k, 0) for k in keys]
    return bool(sp.linsolve(eqs, xs)) if eqs else True


def span_dimension(exprs, syms) -> int:
    polys = [_coeffs(e, syms) for e in exprs]
    keys = sorted(set().union(*polys) - {(0,) * len(syms)}) if polys else []
    if not keys:
        return 0
    M = sp.Matrix([[p.get(k, 0) for k in keys] for p in polys])
    # generic rank: substitute random rationals for the parameters (exact rank over Q)
    rng = np.random.default_rng(7)
    subs = {s: sp.Rational(int(rng.integers(2, 97)), int(rng.integers(2, 97))) for s in M.free_symbols}
    return M.subs(subs).rank()


def products(listed, degree, syms):
    """The listed quantities and their products of total degree <= degree."""
    def deg(e):
        return sp.Poly(e, *syms).total_degree()
    out = [e for e in listed if deg(e) <= degree]
    frontier = list(out)
    while frontier:
        nxt = []
        for a in frontier:
            for b in listed:
                p = sp.expand(a * b)
                if deg(p) <= degree:
                    nxt.append(p)
        out += nxt
        frontier = nxt
    return out


def check_listed(label, found, listed, degree=2):
    syms = found.symbols
    assert found.dimension > 0
    assert all(inv.exact for inv in found.invariants), label
    assert all(inv.drift <= 1e-9 for inv in found.invariants), [inv.drift for inv in found.invariants]
    missing = [e for e in listed if not in_span(found.expressions, e, syms)]
    assert missing == [], f"{label}: listed but not found: {missing}"
    n_listed = span_dimension(listed, syms)
    n_products = span_dimension(products(listed, degree, syms), syms)
    TABLE.append((label, found.rule, degree, n_listed, n_products, found.dimension, found.seconds))
    assert found.dimension >= n_products


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_chain_K_h(L):
    """Section 3: a_{h+1} - c_{h+1} a_h^2/(2 c_h), c_L = 1 (SRBP)."""
    found = find_invariants(scalar_chain_ode(L, "srbp"), 2)
    c = [_sym(f"c{h}") for h in range(1, L)] + [1]
    listed = [A(h + 2, 0, 0) - c[h + 1] * A(h + 1, 0, 0) ** 2 / (2 * c[h]) for h in range(L - 1)]
    check_listed(f"chain{L} K_h", found, listed)
    assert found.dimension == L - 1          # nothing else at degree 2


def test_chain_rbp_K_h():
    """RBP chain: the SRBP form with c_h = r_h ... r_{L-1}."""
    L = 3
    found = find_invariants(scalar_chain_ode(L, "rbp"), 2)
    r1, r2 = _sym("r1"), _sym("r2")
    c = [r1 * r2, r2, 1]
    listed = [A(h + 2, 0, 0) - c[h + 1] * A(h + 1, 0, 0) ** 2 / (2 * c[h]) for h in range(L - 1)]
    check_listed("chain3 K_h (rbp)", found, listed)


def test_chain_bp():
    """Section 3: under BP a_h^2 - a_k^2 is conserved for all h, k."""
    found = find_invariants(scalar_chain_ode(3, "bp"), 2)
    a = [A(h, 0, 0) for h in (1, 2, 3)]
    listed = [a[h] ** 2 - a[k] ** 2 for h in range(3) for k in range(h + 1, 3)]
    check_listed("chain3 a_h^2 - a_k^2 (bp)", found, listed)


@pytest.mark.parametrize("N", [2, 3])
def test_wide_K_i(N):
    """Section 4: b_i - a_i^2/(2 c_i) and a_i - (c_i/c_1) a_1."""
    found = find_invariants(wide_ode(N, "srbp"), 2)
    c = [_sym(f"c{i}") for i in range(1, N + 1)]
    a = [A(1, i, 0) for i in range(N)]
    b = [A(2, 0, i) for i in range(N)]
    listed = [b[i] - a[i] ** 2 / (2 * c[i]) for i in range(N)] + [a[i] - c[i] / c[0] * a[0] for i in range(1, N)]
    check_listed(f"wide1{N}1 K_i, K'_i", found, listed)


def test_autoencoder_lemma_any_data():
    """Section 5: C B - |A|^2/2 for A[N,1,N], symbolic data (any S_II, S_TI)."""
    sysm = derive_ode([2, 1, 2], "srbp")
    found = find_invariants(sysm, 2)
    Cf = sysm.feedback[0]           # fixed 1 x N feedback, symbolic
    listed = [sum(Cf[0, i] * A(2, i, 0) for i in range(2)) - sum(A(1, 0, j) ** 2 for j in range(2)) / 2]
    check_listed("autoencoder A[2,1,2] lemma (symbolic data)", found, listed)


def _fr(x):
    return sp.Rational(str(Fraction(repr(float(x)))))


def test_single_hidden_conserved_matrix():
    """Section 6: C1 A2 + (C1 A2)^T - A1 A1^T, on an instance file (exact rationals)."""
    path = DATA / "matrix_single_hidden.json"
    d = json.loads(path.read_text())
    n0, n1, n2 = d["layers"]
    found = find_invariants(str(path), 2)
    C1 = sp.Matrix([[_fr(x) for x in row] for row in d["feedback"][0]])
    A1 = sp.Matrix(n1, n0, lambda i, j: A(1, i, j))
    A2 = sp.Matrix(n2, n1, lambda i, j: A(2, i, j))
    M = C1 * A2 + (C1 * A2).T - A1 * A1.T
    listed = [M[i, j] for i in range(n1) for j in range(i, n1)]
    check_listed(f"single-hidden A{d['layers']} matrix (rbp)", found, listed)
    # the frozen part of A1: v^T A1 for v in the left nullspace of C1 (N1 > N2), not listed
    V = C1.T.nullspace()
    frozen = [(v.T * A1)[0, j] for v in V for j in range(n0)]
    assert all(in_span(found.expressions, e, found.symbols) for e in frozen)


def test_single_hidden_symbolic():
    """Section 6 with symbolic data and feedback, A[1,2,1] (wide1N1 as a matrix system)."""
    sysm = derive_ode([1, 2, 1], "rbp")
    found = find_invariants(sysm, 2)
    C1 = sysm.feedback[0]
    A1 = sp.Matrix(2, 1, lambda i, j: A(1, i, j))
    A2 = sp.Matrix(1, 2, lambda i, j: A(2, i, j))
    M = C1 * A2 + (C1 * A2).T - A1 * A1.T
    check_listed("single-hidden A[1,2,1] matrix (symbolic)", found, [M[i, j] for i in range(2) for j in range(i, 2)])


def test_arbp_offset_chain():
    """Sections 8/9: under ARBP every C_h - A_{h+1}^T is conserved."""
    found = find_invariants(scalar_chain_ode(3, "arbp"), 2)
    listed = [C(1, 0, 0) - A(2, 0, 0), C(2, 0, 0) - A(3, 0, 0)]
    check_listed("chain3 C_h - A_{h+1} (arbp)", found, listed)


def test_arbp_offset_matrix(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 6))
    inst = {"layers": [2, 2, 2], "rule": "arbp", "sigma_ii": np.round(X @ X.T / 6, 4).tolist(),
            "sigma_ti": np.round(rng.standard_normal((2, 2)), 4).tolist(),
            "feedback": [np.round(rng.standard_normal((2, 2)), 4).tolist()],
            "weights": [np.round(0.5 * rng.standard_normal((2, 2)), 4).tolist() for _ in range(2)]}
    f = tmp_path / "arbp.json"
    f.write_text(json.dumps(inst))
    found = find_invariants(str(f), 1)
    listed = [C(1, i, j) - A(2, j, i) for i in range(2) for j in range(2)]
    check_listed("A[2,2,2] C1 - A2^T (arbp)", found, listed, degree=1)
    assert found.dimension == 4


def test_asrbp_offset_top_layer():
    """ASRBP: only C_{L-1} - A_L^T receives the same update as A_L^T."""
    found = find_invariants(scalar_chain_ode(3, "asrbp"), 1)
    check_listed("chain3 C_2 - A_3 (asrbp)", found, [C(2, 0, 0) - A(3, 0, 0)], degree=1)


def test_bp_balance(tmp_path):
    """Section 9: under BP A_{h+1}^T A_{h+1} - A_h A_h^T is conserved (any S_II)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2, 6))
    inst = {"layers": [2, 3, 2], "rule": "bp", "sigma_ii": np.round(X @ X.T / 6, 4).tolist(),
            "sigma_ti": np.round(rng.standard_normal((2, 2)), 4).tolist(),
            "weights": [np.round(0.5 * rng.standard_normal((3, 2)), 4).tolist(),
                        np.round(0.5 * rng.standard_normal((2, 3)), 4).tolist()]}
    f = tmp_path / "bp.json"
    f.write_text(json.dumps(inst))
    found = find_invariants(str(f), 2)
    A1 = sp.Matrix(3, 2, lambda i, j: A(1, i, j))
    A2 = sp.Matrix(2, 3, lambda i, j: A(2, i, j))
    M = A2.T * A2 - A1 * A1.T
    check_listed("A[2,3,2] balance (bp)", found, [M[i, j] for i in range(3) for j in range(i, 3)])


def test_nonlinear_K():
    """Section 7: with f', a2 - a1^2/(2 c1 mu) (symbolic mu: generalised powers a1^mu)."""
    found = find_invariants(nonlinear_ode(True, "srbp"), 2)
    c1, mu = _sym("c1"), sp.Symbol("mu", positive=True)
    check_listed("nonlinear K (symbolic mu)", found, [A(2, 0, 0) - A(1, 0, 0) ** 2 / (2 * c1 * mu)])
    assert found.dimension == 1


def test_nonlinear_without_fprime_has_none():
    """docs/theory.md: without f' no invariant is known; none is polynomial of degree <= 3."""
    found = find_invariants(nonlinear_ode(False, "srbp"), 3)
    assert found.dimension == 0


def test_zz_report_table(capsys):
    """Dimension found against listed (and listed with their products up to the degree)."""
    with capsys.disabled():
        print("\nfind_invariants: the theory page's conserved quantities rediscovered")
        print(f"  {'system':<45} {'rule':<6} {'deg':>3} {'listed':>6} {'+prod':>6} {'found':>6} {'s':>6}")
        for label, rule, deg, n_l, n_p, n_f, sec in TABLE:
            flag = "  <- more than listed" if n_f > n_p else ""
            print(f"  {label:<45} {rule:<6} {deg:>3} {n_l:>6} {n_p:>6} {n_f:>6} {sec:>6.2f}{flag}")
    assert TABLE


# ---------------------------------------------------------------------------------------------


def test_basis_is_reduced_and_contains():
    found = find_invariants(wide_ode(3, "srbp"), 2)
    syms = found.symbols
    # reduced: each member has a leading monomial (coefficient 1) that no other member has
    leads = []
    for inv in found.invariants:
        terms = inv.terms
        lead = min(terms, key=lambda e: (sum(e), tuple(-x for x in e)))
        assert sp.simplify(terms[lead] - 1) == 0
        leads.append(lead)
    for k, inv in enumerate(found.invariants):
        assert all(leads[k] not in other.terms for j, other in enumerate(found.invariants) if j != k)
    assert span_dimension(found.expressions, syms) == found.dimension
    assert found.contains(found.expressions[0] * 3 - found.expressions[1])
    assert not found.contains(A(1, 0, 0))
    assert not found.contains(sp.Integer(1) + A(1, 0, 0) ** 2)
    assert all(inv.degree >= 1 for inv in found.invariants)   # constants are not invariants


def test_exact_and_drift_checks_can_fail():
    """A quantity that is not conserved fails the package's own two checks (they are not vacuous)."""
    from linrbp.symbolic import is_conserved

    sysm = scalar_chain_ode(2, "srbp")
    assert not is_conserved(sysm, sysm.states[1] - sysm.states[0] ** 2)
    found = find_invariants(sysm, 2)
    assert found.dimension == 1 and found.invariants[0].verified


@pytest.mark.parametrize("degree", [0, 5, -1, 2.5, True, "2"])
def test_degree_out_of_range(degree):
    with pytest.raises(InputError, match="degree"):
        find_invariants(scalar_chain_ode(2, "srbp"), degree)


def test_not_polynomial_field_is_an_input_error():
    from linrbp.symbolic import OdeSystem

    a, b = sp.symbols("a b", real=True)
    sysm = OdeSystem("toy", "srbp", [a, b], [sp.sin(a), b], [sp.Matrix([[a]]), sp.Matrix([[b]])],
                     [], [], [], [], sp.Matrix([[a * b]]))
    with pytest.raises(InputError, match="not polynomial"):
        find_invariants(sysm, 2)


def test_instance_names_and_rational_coefficients():
    found = find_invariants(str(DATA / "chain3_srbp.json"), 2)
    inst = load_instance(DATA / "chain3_srbp.json")
    assert found.variables == ["A1_0_0", "A2_0_0", "A3_0_0"]
    assert found.parameters == [] and found.exact_coefficients == "rational"
    c = [Fraction(repr(float(np.asarray(C).ravel()[0]))) for C in inst.feedback] + [1]
    expect = A(2, 0, 0) - sp.Rational(c[1].numerator, c[1].denominator) / (2 * sp.Rational(c[0].numerator, c[0].denominator)) * A(1, 0, 0) ** 2
    assert in_span(found.expressions, expect, found.symbols)
    for inv in found.invariants:
        for coef in sp.Poly(inv.expression, *found.symbols).coeffs():
            assert coef.is_Rational


def test_canonical_names_cover_weights_and_learned_feedback():
    sysm = derive_ode([2, 3, 1], "arbp")
    names = {str(v) for v in canonical_names(sysm).values()}
    assert {"A1_2_1", "A2_0_2", "C1_2_0"} <= names and len(names) == len(sysm.states)


def test_verifications_reject_a_wrong_basis(monkeypatch):
    """Both checks of each returned invariant can fail: hand find_invariants a wrong nullspace
    (A1_0_0 alone, not conserved) and it must be reported as neither exact nor drift-free."""
    import linrbp.symbolic._invariants as mod

    real = mod._nullspace

    def wrong(cols, live, K):
        basis = real(cols, live, K)
        return basis + [{0: K.one}]          # column 0 is the monomial a1
    monkeypatch.setattr(mod, "_nullspace", wrong)
    found = find_invariants(scalar_chain_ode(2, "srbp"), 2)
    bad = found.invariants[-1]
    assert bad.expression == A(1, 0, 0)
    assert not bad.exact and bad.drift > 1e-6 and not bad.verified
    assert all(inv.verified for inv in found.invariants[:-1])


def test_contains_reads_strings_in_the_basis_symbols():
    """A string names the basis' own (real) state symbols: before, sympify made plain symbols,
    every term looked constant and was dropped, and contains() said True for anything."""
    import linrbp.symbolic as S
    from linrbp.core._errors import InputError

    basis = S.find_invariants(S.scalar_chain_ode(2), degree=2)
    assert basis.contains("A2_0_0 - A1_0_0**2/(2*c1)")          # [BSL] Theorem 2's invariant
    assert basis.contains("3*A2_0_0 - 3*A1_0_0**2/(2*c1) + 7")
    assert not basis.contains("A1_0_0*A2_0_0")                  # the product P is not conserved
    assert not basis.contains("A2_0_0")
    for bad, words in (("a1*a2", "unknown symbol"), ("A1_0_0 +", "not an expression"), (None, "expected")):
        with pytest.raises(InputError, match=words):
            basis.contains(bad)
