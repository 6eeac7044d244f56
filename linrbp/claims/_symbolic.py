"""Exact symbolic checks of every claim (kind "symbolic", tolerance 0).

Each check states one identity of docs/theory.md, derived from the per-example rule; its error is
0 iff the identity simplifies to exactly 0 and 1 otherwise. They are attached to the
registered claims by ``linrbp/claims/__init__.py``. All together they take a few seconds.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from ..catalogue._catalogue import Check
from ..symbolic import (ALPHA, BETA, DELTA, GAMMA, MU, chain_feedback, chain_invariants,
                        chain_reduction, critical_factor, derive_ode, error_factor,
                        fixed_point_jacobian, is_zero, nonlinear_ode,
                        scalar_chain_ode, wide_invariants, wide_ode, wide_reduction)

__all__ = ["SYMBOLIC_CHECKS", "identity_check"]


def identity_check(name: str, residual: Callable[[], object]) -> Check:
    """A check whose error is 0 iff ``residual()`` (scalar, matrix or list) is exactly 0."""

    def error(instance):
        r = residual()
        parts = list(r) if isinstance(r, (list, tuple)) else [r]
        return 0.0 if all(is_zero(x) for x in parts) else 1.0

    return Check(name=name, tolerance=0.0, sample=lambda rng: {"identity": name}, error=error,
                 samples=1, kind="symbolic", fixed=True)


SMALL_LAYERS = ((1, 1, 1), (2, 3, 2), (1, 2, 2, 1))  # one, a wide and a two-hidden-layer network


def identity_checks_over_layers(statement: str, residual, layers=SMALL_LAYERS) -> list[Check]:
    """One :func:`identity_check` per network shape: ``residual(layers)`` must be exactly 0;
    each check is named ``"{statement}, A[...]"``."""
    return [identity_check(f"{statement}, A{list(lay)}", lambda lay=lay: residual(lay)) for lay in layers]


def _flow(s, M):
    return M.applyfunc(s.along_flow)


def _flat(*mats):
    return sp.Matrix([x for M in mats for x in M])


# --- poly1d ---------------------------------------------------------------------------
def _poly1d_signs():
    x = sp.Symbol("x", positive=True)
    q = sp.symbols("q0:4", real=True)
    Q = sum(q[k] * x ** k for k in range(4))
    return [sp.limit(Q / x ** 3, x, sp.oo) - q[3], sp.limit(Q.subs(x, -x) / x ** 3, x, sp.oo) + q[3]]


def _poly1d_blowup():
    x, X = sp.symbols("x X", positive=True)
    return [sp.integrate(x ** (-n), (x, X, sp.oo)) - X ** (1 - n) / (n - 1) for n in (2, 3, 4)]


# --- chain111 -------------------------------------------------------------------------
def _c111():
    s = scalar_chain_ode(2, "srbp")
    return s, s.states[0], s.states[1], sp.Symbol("c1", real=True), error_factor(s)


def _chain111_field():
    s, a1, a2, c1, e = _c111()
    return [s.field[0] - c1 * e, s.field[1] - a1 * e]


def _chain111_invariant(rule="srbp"):
    s = scalar_chain_ode(2, rule)
    a1, a2 = s.states[:2]
    c1 = sp.Symbol("r1" if rule in ("rbp", "arbp") else "c1", real=True)
    return s.along_flow(a2 - a1 ** 2 / (2 * c1))


def _chain111_critical():
    s, a1, a2, c1, e = _c111()
    return s.along_flow(a1 * a2) - e * (a1 ** 2 + c1 * a2)


def _chain111_jacobian():
    s, a1, a2, c1, e = _c111()
    J, _, _ = fixed_point_jacobian(s)
    lam = sp.Symbol("lambda")
    return J.charpoly(lam).as_expr() - lam * (lam + BETA * (a1 ** 2 + c1 * a2))


def _chain111_Q():
    red = chain_reduction(2)
    a1, c1, K1 = sp.Symbol("a1", real=True), sp.Symbol("c1", real=True), sp.Symbol("K1", real=True)
    return [red.Q - c1 * (ALPHA - BETA * a1 * (a1 ** 2 / (2 * c1) + K1)),
            red.leading_coefficient + BETA / 2, red.degree - 3]


def _chain111_bp():
    s = scalar_chain_ode(2, "bp")
    return s.along_flow(s.states[0] ** 2 - s.states[1] ** 2)


# --- chain ----------------------------------------------------------------------------
def _chain_invariants(depths=(2, 3, 4, 5), rules=("srbp", "rbp")):
    out = []
    for rule in rules:
        for L in depths:
            s = scalar_chain_ode(L, rule)
            out += [s.along_flow(K) for K in chain_invariants(s, chain_feedback(L, rule))]
    return out


def _chain_degrees():
    return [chain_reduction(L).degree - (2 ** L - 1) for L in range(1, 6)]


def _chain_lc3():
    c1, c2 = sp.symbols("c1 c2", real=True)
    return chain_reduction(3).leading_coefficient + BETA * c2 ** 2 / (16 * c1 ** 2)


def _chain_induction():
    ch, ch1, lh, Pi, c1 = sp.symbols("c_h c_h1 l_h Pi_h c_1", real=True)
    return (Pi * ch1 * lh ** 2 / (2 * ch)) * c1 * ch1 - (Pi * c1 * ch) * (ch1 * lh / ch) ** 2 / 2


def _chain_critical3():
    s = scalar_chain_ode(3, "srbp")
    a1, a2, a3 = s.states
    c1, c2 = sp.symbols("c1 c2", real=True)
    return critical_factor(s) - (a1 ** 2 * a2 ** 2 + c1 * a2 * a3 + c2 * a1 ** 2 * a3)


# --- wide1N1 --------------------------------------------------------------------------
def _wide_invariants(N=3):
    s = wide_ode(N)
    return [s.along_flow(k) for k in wide_invariants(s, N)]


def _wide_lc(N=3):
    c = sp.symbols(f"c1:{N + 1}", real=True)
    return wide_reduction(N).leading_coefficient + BETA * sum(x ** 2 for x in c) / (2 * c[0] ** 2)


def _wide_critical(N=3):
    s = wide_ode(N)
    a, b = s.states[:N], s.states[N:]
    c = sp.symbols(f"c1:{N + 1}", real=True)
    return critical_factor(s) - sum(ai ** 2 + ci * bi for ai, bi, ci in zip(a, b, c))


# --- nonlinear ------------------------------------------------------------------------
def _nl_field():
    s, sn = nonlinear_ode(True), nonlinear_ode(False)
    a1, a2 = s.states
    c1 = sp.Symbol("c1", real=True)
    e = ALPHA - BETA * a2 * a1 ** MU
    return [s.field[0] - c1 * MU * a1 ** (MU - 1) * e, s.field[1] - a1 ** MU * e,
            sn.field[0] - c1 * (GAMMA - DELTA * a2 * a1 ** MU), sn.field[1] - a1 ** MU * e]


def _nl_invariant():
    s = nonlinear_ode(True)
    a1, a2 = s.states
    return s.along_flow(a2 - a1 ** 2 / (2 * sp.Symbol("c1", real=True) * MU))


def _nl_fixed():
    s = nonlinear_ode(True)
    a1, a2 = s.states
    return sp.Matrix(s.field).subs(a2, ALPHA / (BETA * a1 ** MU))


# --- matrix claims --------------------------------------------------------------------
def _autoencoder_lemma(N=2):
    s = derive_ode([N, 1, N], "srbp")
    A, B = s.weights
    C = s.feedback[0]
    return s.along_flow((C * B)[0, 0] - (A * A.T)[0, 0] / 2)


def _autoencoder_fixed(N=2):
    s = derive_ode([N, 1, N], "srbp")
    A, B = s.weights
    C = s.feedback[0]
    w = {x: (1 if x.name[-1] == x.name[-2] else 0) for x in list(s.moments["S_II"]) + list(s.moments["S_TI"])}
    lam = sp.Symbol("lambda", positive=True)
    nC2 = (C * C.T)[0, 0]
    fix = {**{a: lam * c for a, c in zip(A, C)}, **{b: c / (lam * nC2) for b, c in zip(B, C)}}
    return [sp.Matrix(s.field).subs(w).subs(fix, simultaneous=True), (B * A).subs(fix, simultaneous=True) - C.T * C / nC2]


def _single_hidden_invariant(layers):
    s = derive_ode(list(layers), "srbp")
    A1, A2 = s.weights
    C1 = s.feedback[0]
    return _flow(s, C1 * A2 + (C1 * A2).T - A1 * A1.T)


def _structure_facts():
    from ..core._rule_run import backward_signals, updates

    lay = [2, 2, 2]
    A = [sp.Matrix(lay[h], lay[h - 1], lambda i, j, h=h: sp.Symbol(f"a{h}_{i}{j}")) for h in (1, 2)]
    C = [sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"c_{i}{j}"))]
    O = [sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"i_{i}"))]
    for W in A:
        O.append(W * O[-1])
    d = sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"d_{i}"))
    D = [sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"f_{i}"))]
    out = []
    tops = []
    for rule in ("bp", "rbp", "srbp", "arbp", "asrbp"):
        fb = [] if rule == "bp" else C
        dA, dC = updates(rule, backward_signals(rule, A, fb, d, D), O)
        dAm, dCm = updates(rule, backward_signals(rule, A, fb, -d, D), O)
        dA0, dC0 = updates(rule, backward_signals(rule, A, fb, 0 * d, D), O)
        out += [x + y for x, y in zip(dA + dC, dAm + dCm)] + list(dA0 + dC0)
        tops.append(dA[-1])
    out += [t - tops[0] for t in tops]
    return _flat(*out)


def _rbp_is_srbp():
    r, s = derive_ode([2, 3, 2], "rbp"), derive_ode([2, 3, 2], "srbp")
    return sp.Matrix(r.field) - sp.Matrix(s.field)


def _arbp_conserved(layers):
    s = derive_ode(list(layers), "arbp")
    return _flat(*[_flow(s, s.feedback[h] - s.weights[h + 1].T) for h in range(len(layers) - 2)])


def _arbp_is_bp_with_offset(layers):
    s, b = derive_ode(list(layers), "arbp"), derive_ode(list(layers), "bp")
    L = len(layers) - 1
    sym = {x: y for h in range(L - 1) for x, y in zip(s.feedback[h], s.weights[h + 1].T)}
    return sp.Matrix(s.field[:len(b.field)]).subs(sym) - sp.Matrix(b.field)


def _bp_balance(layers, rule="bp"):
    s = derive_ode(list(layers), rule)
    A = s.weights
    return _flat(*[_flow(s, A[h + 1].T * A[h + 1] - A[h] * A[h].T) for h in range(len(layers) - 2)])


def _autoencoder_general():
    s = derive_ode([3, 2, 3], "srbp")
    S = sp.Matrix([[3, 1, 0], [1, 2, 1], [0, 1, 4]])
    C = sp.Matrix([[1, -2, 1], [0, 1, 3]])
    A = sp.Matrix([[2, 1], [1, 3]]) * C
    B = S * A.T * (A * S * A.T).inv()
    sub = {**dict(zip(s.moments["S_II"], S)), **dict(zip(s.moments["S_TI"], S)),
           **dict(zip(s.feedback[0], C)), **dict(zip(s.weights[0], A)), **dict(zip(s.weights[1], B))}
    return [sp.Matrix(s.field).xreplace(sub), B * A - S * C.T * (C * S * C.T).inv() * C]


def _saxe():
    t, s_, u0 = sp.symbols("t s u0", positive=True)
    u = s_ * sp.exp(2 * s_ * t) / (sp.exp(2 * s_ * t) - 1 + s_ / u0)
    return [sp.diff(u, t) - 2 * u * (s_ - u), u.subs(t, 0) - u0]


def _lillicrap():
    s = derive_ode([2, 2, 1], "srbp")
    A1, A2 = s.weights
    b = s.feedback[0]
    t1, t2 = sp.symbols("t1 t2", real=True)
    S_II, S_TI = s.moments["S_II"], s.moments["S_TI"]
    sub = {S_II[0, 0]: 1, S_II[1, 1]: 1, S_II[0, 1]: 0, S_TI[0, 0]: t1, S_TI[0, 1]: t2}
    nt, nb2 = sp.sqrt(t1 ** 2 + t2 ** 2), (b.T * b)[0, 0]
    rho = (2 * nt / nb2) ** sp.Rational(1, 3)
    r = sp.Matrix([[t1, t2]]) * rho / nt
    fix = {**dict(zip(A2, rho ** 2 / 2 * b.T)), **dict(zip(A1, b * r))}
    M = b * A2 + (b * A2).T - A1 * A1.T
    return [M.subs(fix, simultaneous=True), sp.Matrix(s.field).subs(sub).subs(fix, simultaneous=True)]


I = identity_check
SYMBOLIC_CHECKS: dict[str, list[Check]] = {
    "poly1d": [
        I("symbolic: Q(x)/x^n -> q_n and (-1)^n q_n at +-inf (n = 3)", _poly1d_signs),
        I("symbolic: integral_X^inf x^-n dx = X^(1-n)/(n-1), finite blow-up (n = 2..4)", _poly1d_blowup),
    ],
    "chain111": [
        I("symbolic: derived field a1' = c1 e, a2' = a1 e", _chain111_field),
        I("symbolic: a2 - a1^2/(2 c1) conserved (srbp)", _chain111_invariant),
        I("symbolic: a2 - a1^2/(2 r1) conserved (rbp)", lambda: _chain111_invariant("rbp")),
        I("symbolic: P' = e (a1^2 + c1 a2)", _chain111_critical),
        I("symbolic: Jacobian eigenvalues 0, -beta (a1^2 + c1 a2) at P = alpha/beta", _chain111_jacobian),
        I("symbolic: Q(a1) = c1 (alpha - beta a1 (a1^2/(2 c1) + K)), degree 3, lc -beta/2", _chain111_Q),
        I("symbolic: BP conserves a1^2 - a2^2", _chain111_bp),
    ],
    "chain": [
        I("symbolic: K_h conserved, L = 2..5, srbp and rbp", _chain_invariants),
        I("symbolic: deg Q = 2^L - 1, L = 1..5", _chain_degrees),
        I("symbolic: L = 3 leading coefficient -beta c2^2/(16 c1^2)", _chain_lc3),
        I("symbolic: induction step Pi_(h+1) c1 c_(h+1) = Pi_h c1 c_h (c_(h+1) l_h/c_h)^2/2", _chain_induction),
        I("symbolic: L = 3 critical factor a1^2 a2^2 + c1 a2 a3 + c2 a1^2 a3", _chain_critical3),
    ],
    "wide1N1": [
        I("symbolic: N = 3 invariants b_i - a_i^2/(2c_i), a_i - (c_i/c_1) a_1 conserved", _wide_invariants),
        I("symbolic: N = 3 leading coefficient -beta sum c_i^2/(2 c_1^2)", _wide_lc),
        I("symbolic: N = 3 P' = e sum (a_i^2 + c_i b_i)", _wide_critical),
    ],
    "nonlinear": [
        I("symbolic: derived fields with and without f'", _nl_field),
        I("symbolic: a2 - a1^2/(2 c1 mu) conserved with f' (any mu)", _nl_invariant),
        I("symbolic: field vanishes on a2 a1^mu = alpha/beta", _nl_fixed),
    ],
    "autoencoder": [
        I("symbolic: C B - |A|^2/2 conserved, A[2,1,2], any data", _autoencoder_lemma),
        I("symbolic: whitened fixed point A = lambda C, B A = C^T C/|C|^2", _autoencoder_fixed),
    ],
    "single-hidden": [
        I("symbolic: C1 A2 + (C1 A2)^T - A1 A1^T conserved, A[2,2,2]", lambda: _single_hidden_invariant((2, 2, 2))),
        I("symbolic: C1 A2 + (C1 A2)^T - A1 A1^T conserved, A[2,3,2]", lambda: _single_hidden_invariant((2, 3, 2))),
    ],
    "structure": [
        I("symbolic: Facts 1-3 (top update rule-free, sign flip, zero error), A[2,2,2] with f'", _structure_facts),
        I("symbolic consistency: RBP = SRBP with one hidden layer, A[2,3,2] (same backward step)", _rbp_is_srbp),
        I("symbolic: ARBP conserves C_1 - A_2^T, A[2,2,2]", lambda: _arbp_conserved((2, 2, 2))),
    ],
    "autoencoder-general": [
        I("symbolic: exact fixed point B = S A^T (A S A^T)^-1, B A = S C^T (C S C^T)^-1 C", _autoencoder_general),
    ],
    "arbp-offset": [
        I("symbolic: C_h - A_(h+1)^T conserved, A[1,2,2,1]", lambda: _arbp_conserved((1, 2, 2, 1))),
        I("symbolic: zero offset ARBP = BP, A[2,2,2]", lambda: _arbp_is_bp_with_offset((2, 2, 2))),
    ],
    "saxe": [I("symbolic: u(t) = s e^(2st)/(e^(2st) - 1 + s/u0) solves u' = 2u(s - u), u(0) = u0", _saxe)],
    "lillicrap": [I("symbolic: A2 = c b^T, A1 = b r^T is a fixed point with zero conserved matrix", _lillicrap)],
    "bp-balance": [
        I("symbolic: A2^T A2 - A1 A1^T conserved under BP, A[2,2,2]", lambda: _bp_balance((2, 2, 2))),
        I("symbolic: balance conserved under BP, A[2,3,2]", lambda: _bp_balance((2, 3, 2))),
    ],
}
del I
