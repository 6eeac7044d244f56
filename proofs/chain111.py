"""docs/theory.md claim `chain111`: A[1,1,1] ([BSL] Theorem 2); its machine-checked proof.

Run ``python proofs/chain111.py`` (or ``linrbp prove chain111``): prints the theorem and every step,
each checked as it is stated (exact steps by sympy, "numerical evidence only" ones on
instances), and exits 0 iff every step holds. ``proof(...)`` takes the premises as keyword
arguments, so a changed premise makes a step fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__" and (Path(__file__).resolve().parents[1] / "linrbp").is_dir():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: its linrbp

import numpy as np
import sympy as sp

from linrbp.proof import Proof, main
from linrbp.symbolic import (ALPHA, BETA, chain_reduction, critical_factor, fixed_point_jacobian,
                             scalar_chain_ode)


def proof(rule: str = "srbp") -> Proof:
    pf = Proof("chain111", "A[1,1,1] ([BSL] Theorem 2)",
               "a1' = c1 e, a2' = a1 e, e = alpha - beta a1 a2: a2 - a1^2/(2 c1) is conserved; the "
               "fixed points are the hyperbola a1 a2 = alpha/beta; the linearisation there has "
               "eigenvalues 0 and -beta (a1^2 + c1 a2); a1 follows a cubic Q with leading "
               "coefficient -beta/2, so every trajectory converges.")
    s = scalar_chain_ode(2, rule)
    a1, a2 = s.states
    c1 = sp.Symbol("r1" if rule in ("rbp", "arbp") else "c1", real=True)
    e = ALPHA - BETA * a1 * a2
    K = sp.Symbol("K", real=True)
    pf.given(f"system derived from the per-example rule {rule} (expectations of dA = delta O^T)",
             sp.Matrix(s.field))
    pf.equal("a1' = c1 e", s.field[0], c1 * e)
    pf.equal("a2' = a1 e", s.field[1], a1 * e)
    pf.zero("beta = 0, alpha = 0 (no data): nothing moves", sp.Matrix(s.field).subs({BETA: 0, ALPHA: 0}))
    pf.zero("c1 = 0: a1 is fixed", s.field[0].subs(c1, 0))
    inv = a2 - a1 ** 2 / (2 * c1)
    pf.zero("d/dt [a2 - a1^2/(2 c1)] = 0 along the flow (trajectories are parabolas)", s.along_flow(inv),
            show=inv)
    pf.zero("the field vanishes on the hyperbola a2 = alpha/(beta a1)",
            sp.Matrix(s.field).subs(a2, ALPHA / (BETA * a1)))
    Err = sp.Rational(1, 2) * (sp.Symbol("ETT") - 2 * ALPHA * a1 * a2 + BETA * (a1 * a2) ** 2)
    pf.zero("on it dErr/dP = beta P - alpha = 0 and d2Err/dP2 = beta > 0: global minima of Err",
            sp.diff(Err.subs(a1 * a2, sp.Symbol("P")), sp.Symbol("P")).subs(sp.Symbol("P"), ALPHA / BETA))
    crit = critical_factor(s)
    pf.equal("P' = e (a1^2 + c1 a2) (extra critical set: the parabola a1^2 + c1 a2 = 0)",
             s.along_flow(a1 * a2), e * (a1 ** 2 + c1 * a2))
    u = sp.Symbol("u", real=True)  # u = cuberoot(-c1 alpha / beta)
    pf.zero("the parabola meets the hyperbola at a1 = u with u^3 = -c1 alpha/beta, a2 = -u^2/c1",
            sp.Matrix([u * (-u ** 2 / c1) - ALPHA / BETA, u ** 2 + c1 * (-u ** 2 / c1)])
            .subs(ALPHA, -BETA * u ** 3 / c1))
    red = chain_reduction(2, "rbp" if rule in ("rbp", "arbp") else "srbp")
    Q = c1 * (ALPHA - BETA * a1 * (a1 ** 2 / (2 * c1) + K))
    pf.equal("reduction: a1' = Q(a1) = c1 (alpha - beta a1 (a1^2/(2 c1) + K))",
             red.Q.subs(sp.Symbol("K1", real=True), K), Q)
    pf.fact("Q has degree 3 and leading coefficient -beta/2", red.degree == 3 and
            sp.simplify(red.leading_coefficient + BETA / 2) == 0,
            f"degree {red.degree}, leading coefficient {red.leading_coefficient}")
    bp = sp.Symbol("beta", positive=True)
    pf.sign("with beta > 0 the leading coefficient is negative: every trajectory converges (poly1d)",
            (-BETA / 2).subs(BETA, bp), "negative")
    pf.equal("Q = -(beta/2) (a1^3 + 2 c1 K a1 - 2 c1 alpha/beta), the depressed cubic", Q,
             -BETA / 2 * (a1 ** 3 + 2 * c1 * K * a1 - 2 * c1 * ALPHA / BETA))
    p_, q_ = sp.Symbol("p", nonnegative=True), sp.Symbol("q", real=True)
    pf.sign("c1 K >= 0 (p = 2 c1 K >= 0): discriminant -4 p^3 - 27 q^2 <= 0, one real root "
            "(a double root only when p = q = 0, i.e. the triple root 0)", -4 * p_ ** 3 - 27 * q_ ** 2,
            "nonpositive")
    J0, _, _ = fixed_point_jacobian(s)
    lam = sp.Symbol("lambda")
    pf.zero("Jacobian at a fixed point (alpha = beta a1 a2): characteristic polynomial "
            "lambda (lambda + beta (a1^2 + c1 a2))",
            sp.expand(J0.charpoly(lam).as_expr() - lam * (lam + BETA * (a1 ** 2 + c1 * a2))), show=J0)
    pf.given("so a fixed point attracts iff a1^2 + c1 a2 > 0 (eigenvalue 0 is along the hyperbola)")
    F = sp.Matrix(s.field)
    pf.zero("symmetry alpha -> -alpha is the reflection a1 -> -a1",
            F.subs({a1: -a1, ALPHA: -ALPHA}, simultaneous=True) - sp.Matrix([-F[0], F[1]]))
    pf.zero("symmetry c1 -> -c1 is the reflection (a1, a2) -> -(a1, a2)",
            F.subs({a1: -a1, a2: -a2, c1: -c1}, simultaneous=True) + F)
    pf.zero("e' = -beta e (a1^2 + c1 a2), so e keeps its sign along a trajectory",
            s.along_flow(e) + BETA * e * crit)
    pf.equal("on the parabola of K the critical factor is -Q'(a1)/beta: "
             "a1^2 + c1 a2 = (3/2) a1^2 + c1 K", -sp.diff(Q, a1) / BETA,
             (a1 ** 2 + c1 * a2).subs(a2, a1 ** 2 / (2 * c1) + K))
    pf.given("a1 is monotone and e keeps its sign, so P' = e (a1^2 + c1 a2) changes sign only where a1 "
             "passes a critical point of the cubic Q: at most twice, and never when c1 K >= 0. "
             "docs/theory.md says 'at most once': that is not true in general, see the next step")

    def counterexample():
        from scipy.integrate import solve_ivp
        al, be, c, y0 = 1.2246469675357323, 1.1, -0.8108145832375699, [0.7522438271795928, 0.25344651620814146]
        f = lambda tt, y: [c * (al - be * y[0] * y[1]), y[0] * (al - be * y[0] * y[1])]
        sol = solve_ivp(f, (0, 3), y0, rtol=1e-12, atol=1e-14, dense_output=True)
        tt = np.linspace(0, 3, 30001)
        y = sol.sol(tt)
        e_, q_ = al - be * y[0] * y[1], y[0] ** 2 + c * y[1]
        flips = np.nonzero(np.sign(q_[1:]) != np.sign(q_[:-1]))[0]
        ok = len(flips) == 2 and e_.min() > 0
        return ok, (f"alpha={al}, beta={be}, c1={c:.4f}, start {y0[0]:.4f}, {y0[1]:.4f}: P' changes sign "
                    f"at t = {', '.join(f'{tt[i]:.3f}' for i in flips)} while e stays positive (min {e_.min():.2f})")

    pf.numeric("counterexample to 'P' changes sign at most once' (two changes; reported as a "
               "discrepancy with docs/theory.md)", counterexample)

    def sign_changes():
        rng = np.random.default_rng(1)
        worst = 0
        for _ in range(200):
            al, be, c, a10, a20 = rng.normal(size=5) * [1, 0, 1, 1, 1] + [0, 1, 0, 0, 0]
            be = abs(be) + 0.1
            k = a20 - a10 ** 2 / (2 * c)
            Qc = np.array([-be / 2, 0, -be * c * k, al * c])
            rts = np.roots(Qc)
            roots = np.sort(rts.real[np.abs(rts.imag) < 1e-9])
            q0 = np.polyval(Qc, a10)
            if abs(q0) < 1e-12:
                continue
            lim = roots[roots > a10].min() if q0 > 0 else roots[roots < a10].max()
            lo, hi = sorted((a10, lim))
            cr = np.roots([1.5, 0, c * k])
            cr = cr[np.abs(cr.imag) < 1e-12].real
            worst = max(worst, int(np.sum((cr > lo) & (cr < hi))))
        return worst <= 2, f"200 random starts (closed form): at most {worst} sign change(s) of P'"

    pf.numeric("P' changes sign at most twice along a trajectory", sign_changes)
    sbp = scalar_chain_ode(2, "bp")
    pf.zero("BP for comparison: a1^2 - a2^2 is conserved", sbp.along_flow(a1 ** 2 - a2 ** 2))
    return pf


if __name__ == "__main__":
    sys.exit(main(proof))
