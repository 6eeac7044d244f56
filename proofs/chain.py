"""docs/theory.md claim `chain`: A[1,...,1] of any depth L ([BSL] Theorems 3 and 4); its machine-checked proof.

Run ``python proofs/chain.py`` (or ``linrbp prove chain``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds. ``proof(...)`` takes the premises as keyword
arguments, so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import sympy as sp

from linrbp.proof import Proof, main, product
from linrbp.symbolic import (BETA, chain_feedback, chain_invariants, chain_reduction,
                             critical_factor, error_factor, fixed_point_jacobian, network_product,
                             scalar_chain_ode)


def proof(max_depth: int = 5, c_top=1, rule: str = "srbp") -> Proof:
    pf = Proof("chain", "A[1,...,1] of any depth L ([BSL] Theorems 3 and 4)",
               "a_h' = c_h e prod_{k<h} a_k (c_L = 1; RBP: c_h = r_h...r_{L-1}): "
               "K_h = a_{h+1} - c_{h+1} a_h^2/(2 c_h) is conserved, a1' = Q(a1) has degree 2^L - 1 "
               "and a negative leading coefficient for EVERY L, so every trajectory converges to "
               "P = alpha/beta.")
    # --- any depth: generic symbols --------------------------------------------------
    ch, ch1, p, ah, e = sp.symbols("c_h c_h1 p a_h e", real=True)
    pf.zero("any L, any h: with a_h' = c_h e p and a_{h+1}' = c_{h+1} e p a_h (p = prod_{k<h} a_k), "
            "d/dt [a_{h+1} - c_{h+1} a_h^2/(2 c_h)] = 0",
            ch1 * e * p * ah - ch1 / (2 * ch) * 2 * ah * (ch * e * p))
    pf.given("so a_{h+1} = rho_h a_h^2 + K_h with rho_h = c_{h+1}/(2 c_h) != 0: deg a_{h+1} = 2 deg a_h, "
             "deg a_h = 2^(h-1) (induction from deg a_1 = 1)")
    L, h = sp.symbols("L h", integer=True, positive=True)
    pf.equal("deg P = sum_{h=1}^L 2^(h-1) = 2^L - 1 (odd for every L)",
             sp.Sum(2 ** (h - 1), (h, 1, L)), 2 ** L - 1)
    lh, Pi, c1 = sp.symbols("l_h Pi_h c_1", real=True, nonzero=True)
    pf.given("leading coefficients: l_1 = 1, l_{h+1} = c_{h+1} l_h^2/(2 c_h); Pi_h = l_1...l_h")
    pf.equal("induction step: Pi_{h+1} c_1 c_{h+1} = (Pi_h c_1 c_h) (c_{h+1} l_h / c_h)^2 / 2",
             (Pi * ch1 * lh ** 2 / (2 * ch)) * c1 * ch1, (Pi * c1 * ch) * (ch1 * lh / ch) ** 2 / 2,
             name="Pi_h l_{h+1} c_1 c_{h+1}")
    X = sp.Symbol("X", positive=True)
    pf.sign("base Pi_1 c_1 c_1 = c_1^2 > 0, and the step multiplies by a positive square / 2: "
            "Pi_L c_1 c_L > 0 for every L", c1 ** 2, "positive")
    pf.sign("hence the step keeps positivity: X (c_{h+1} l_h / c_h)^2 / 2 with X > 0",
            X * (sp.Symbol("y", real=True, nonzero=True)) ** 2 / 2, "positive")
    bpos = sp.Symbol("beta", positive=True)
    cL = sp.sympify(c_top)
    pf.given(f"lc(Q) = -beta c_1 Pi_L (Q = c_1 (alpha - beta P)), so lc(Q) = -beta (Pi_L c_1 c_L) / c_L "
             f"with c_L = {cL}")
    pf.sign(f"lc(Q) = -beta X / c_L with X = Pi_L c_1 c_L > 0 and c_L = {cL}: negative for every depth",
            -bpos * X / cL, "negative")
    # --- concrete depths: derived from the rule -----------------------------------------
    for Ld in range(1, max_depth + 1):
        s = scalar_chain_ode(Ld, rule)
        a = s.states
        c = chain_feedback(Ld, rule) if rule in ("srbp", "rbp") else None
        e_ = error_factor(s)
        pf.zero(f"L = {Ld}: derived field equals a_h' = c_h e prod_(k<h) a_k",
                sp.Matrix(s.field) - sp.Matrix([c[k] * e_ * product(a[:k]) for k in range(Ld)]))
        if Ld == 1:
            continue
        invs = chain_invariants(s, c)
        pf.zero(f"L = {Ld}: every K_h is conserved along the derived flow",
                sp.Matrix([s.along_flow(K) for K in invs]))
        red = chain_reduction(Ld, rule)
        pf.fact(f"L = {Ld}: Q has degree 2^L - 1 = {2 ** Ld - 1}", red.degree == 2 ** Ld - 1,
                f"degree {red.degree}")
        l = [sp.Integer(1)]
        for k in range(1, Ld):
            l.append(c[k] * l[-1] ** 2 / (2 * c[k - 1]))
        pf.equal(f"L = {Ld}: lc(Q) = -beta c_1 l_1...l_L", red.leading_coefficient, -BETA * c[0] * product(l),
                 name="lc(Q)")
        if Ld == 3 and rule == "srbp":
            pf.equal("L = 3: lc(Q) = -beta c_2^2/(16 c_1^2)", red.leading_coefficient,
                     -BETA * c[1] ** 2 / (16 * c[0] ** 2), name="lc(Q)")
        if Ld <= 4:
            pf.equal(f"L = {Ld}: P' = e sum_h c_h (prod_(k!=h) a_k)(prod_(k<h) a_k)",
                     s.along_flow(network_product(s)),
                     e_ * sum(c[k] * product(a[:k] + a[k + 1:]) * product(a[:k]) for k in range(Ld)))
        if Ld == 3 and rule == "srbp":
            pf.equal("L = 3: the critical factor is a1^2 a2^2 + c1 a2 a3 + c2 a1^2 a3", critical_factor(s),
                     a[0] ** 2 * a[1] ** 2 + c[0] * a[1] * a[2] + c[1] * a[0] ** 2 * a[2],
                     name="critical factor of the derived field")
        if Ld <= 3:
            J, m, grad = fixed_point_jacobian(s)
            lam = sp.Symbol("lambda")
            pf.zero(f"L = {Ld}: at P = alpha/beta, J = -beta m grad(P)^T: eigenvalues 0 (x{Ld - 1}) and "
                    "-beta (critical factor)",
                    sp.expand(J.charpoly(lam).as_expr() - lam ** (Ld - 1) * (lam + BETA * critical_factor(s))))
        pos = {x: sp.Symbol(x.name, positive=True) for x in list(a) + [x for x in s.parameters if x.name[0] in "cr"]}
        pf.sign(f"L = {Ld}: weights and feedback all positive: the critical factor is positive, "
                "P' has the sign of e", critical_factor(s).subs(pos), "positive")
        sbp = scalar_chain_ode(Ld, "bp")
        pf.zero(f"L = {Ld}: BP for comparison: a_h^2 - a_(h+1)^2 conserved",
                sp.Matrix([sbp.along_flow(sbp.states[k] ** 2 - sbp.states[k + 1] ** 2) for k in range(Ld - 1)]))
    pf.given("a_h' = c_h e prod_(k<h) a_k: if one vanishes (all c_h, a_k nonzero) then e = 0 and all "
             "vanish: no limit cycles")
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
