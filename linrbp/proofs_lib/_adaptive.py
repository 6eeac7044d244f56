"""Proofs of THEORY.md section 10's adaptive-feedback claims: `kolen-pollack`, `weight-mirror`.

Premises are keyword arguments (``rule``, ``sizes``) so that a changed premise makes a step fail
(e.g. ``kolen_pollack(rule="arbp")``: without weight decay the offset does not decay).
"""

from __future__ import annotations

import sympy as sp

from ..core._rules import get_rule
from ..proof._proof import Proof
from ..symbolic import derive_ode

__all__ = ["kolen_pollack", "weight_mirror"]


def _flat(*mats):
    return sp.Matrix([x for M in mats for x in M])


def kolen_pollack(sizes=([1, 1, 1], [2, 3, 2], [1, 2, 2, 1]), rule="kolen-pollack") -> Proof:
    pf = Proof("kolen-pollack", "Kolen-Pollack: the feedback offset decays as e^{-lambda t}",
               "Under ARBP with weight decay lambda on A and C, D_h = C_h - A_{h+1}^T satisfies "
               "dD_h/dt = -lambda D_h, so C_h(t) - A_{h+1}(t)^T = e^{-lambda t} (C_h(0) - A_{h+1}(0)^T) "
               "for every layer, any data.")
    kp = get_rule("kolen-pollack").symbolic()
    lam = kp.parameter_values["weight_decay"]
    r = get_rule(rule)
    r = r.symbolic() if r.name == "kolen-pollack" else r  # any other premise keeps its own terms
    pf.given("the per-example rule: dA_h = delta_h O_{h-1}^T - lambda A_h, "
             "dC_h = O_h delta_{h+1}^T - lambda C_h (ARBP plus decay), averaged over symbolic data")
    for lay in sizes:
        s = derive_ode(list(lay), r)
        a = derive_ode(list(lay), "arbp")
        L = len(lay) - 1
        # the error-driven parts are ARBP's: the derived fields differ from ARBP's by -lambda X
        pf.zero(f"A{list(lay)}: the field is ARBP's field minus lambda times the state",
                sp.Matrix(s.field) - sp.Matrix(a.field) + lam * sp.Matrix(s.states))
        # ARBP's dC_h/dt equals (dA_{h+1}/dt)^T exactly
        pf.zero(f"A{list(lay)}: ARBP's dC_h/dt = (dA_(h+1)/dt)^T from the error",
                _flat(*[a.dC[h] - a.dA[h + 1].T for h in range(L - 1)]))
        pf.zero(f"A{list(lay)}: hence d/dt (C_h - A_(h+1)^T) = -lambda (C_h - A_(h+1)^T)",
                _flat(*[(s.feedback[h] - s.weights[h + 1].T).applyfunc(s.along_flow)
                        + lam * (s.feedback[h] - s.weights[h + 1].T) for h in range(L - 1)]))
    t, D0, l_ = sp.symbols("t D0 lambda_", real=True)
    D = D0 * sp.exp(-l_ * t)
    pf.zero("D(t) = e^{-lambda t} D(0) solves D' = -lambda D", sp.diff(D, t) + l_ * D)
    pf.zero("and D(0) = D0 (a linear ODE: the solution is unique)", D.subs(t, 0) - D0)
    return pf


def weight_mirror(sizes=([1, 1, 1], [2, 3, 2], [1, 2, 2, 1]), rule="weight-mirror") -> Proof:
    pf = Proof("weight-mirror", "Weight mirrors in the averaged world",
               "The mirror step C <- (1 - eta) C + eta x (A x)^T with x ~ N(0, Id) has mean "
               "(1 - eta) C + eta A^T; with eta = kappa dt the feedback follows dC_h/dt = "
               "kappa (A_{h+1}^T - C_h) while A follows the RBP field with feedback C.")
    n, m = 3, 2
    x = sp.Matrix(n, 1, lambda i, j: sp.Symbol(f"x{i}", real=True))
    A = sp.Matrix(m, n, lambda i, j: sp.Symbol(f"a{i}{j}", real=True))
    C = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"c{i}{j}", real=True))
    eta = sp.Symbol("eta", positive=True)
    step = (1 - eta) * C + eta * x * (A * x).T
    # E over white noise: E[x_i x_j] = delta_ij, linear in the monomials x_i x_j
    from ..symbolic._moments import expectation

    def white(exps):
        items = sorted(exps.items(), key=lambda kv: str(kv[0]))
        if sum(exps.values()) == 0:
            return sp.Integer(1)
        if len(items) == 1 and items[0][1] == 2:
            return sp.Integer(1)
        return sp.Integer(0) if sum(exps.values()) == 2 else None

    mean = step.applyfunc(lambda e: expectation(e, list(x), white))
    pf.zero(f"E[(1 - eta) C + eta x (A x)^T] = (1 - eta) C + eta A^T (x white, {n} x {m})",
            mean - ((1 - eta) * C + eta * A.T))
    r = get_rule(rule)
    r = r.symbolic("mirror_rate") if r.name == "weight-mirror" else r
    kappa = sp.Symbol("kappa", real=True, nonnegative=True)
    for lay in sizes:
        s = derive_ode(list(lay), r)
        b = derive_ode(list(lay), "rbp")
        L = len(lay) - 1
        pf.zero(f"A{list(lay)}: dA/dt is the RBP field with feedback C",
                sp.Matrix(s.field[:len(b.field)]) - sp.Matrix(b.field))
        pf.zero(f"A{list(lay)}: dC_h/dt = kappa (A_(h+1)^T - C_h)",
                _flat(*[s.dC[h] - kappa * (s.weights[h + 1].T - s.feedback[h]) for h in range(L - 1)]))
    return pf
