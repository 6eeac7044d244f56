"""Proofs of the scalar claims (THEORY.md sections 1-4 and 7)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..proof._proof import Proof
from ..symbolic import (ALPHA, BETA, DELTA, GAMMA, MU, chain_feedback, chain_invariants,
                        chain_reduction, critical_factor, error_factor, fixed_point_jacobian,
                        network_product, nonlinear_ode, scalar_chain_ode, wide_invariants, wide_ode,
                        wide_reduction)

__all__ = ["poly1d", "chain111", "chain", "wide1N1", "nonlinear"]


def poly1d(max_degree: int = 6) -> Proof:
    pf = Proof("poly1d", "one-dimensional polynomial ODEs ([BSL] Theorem 1)",
               "x' = Q(x), Q real of degree n > 1 with leading coefficient q_n: every solution "
               "converges to a fixed point iff n is odd and q_n < 0; otherwise some solutions blow "
               "up in finite time T* = integral_{x(0)}^{+-inf} dx/Q(x).")
    x, X = sp.symbols("x X", positive=True)
    pf.given("solutions of a scalar autonomous ODE are monotone and cannot cross a root of Q "
             "(uniqueness), so x(t) tends to the nearest root in the direction of sign Q(x(0)), or to +-inf")
    for n in range(1, max_degree + 1):
        q = sp.symbols(f"q0:{n + 1}", real=True)
        Q = sum(q[k] * x ** k for k in range(n + 1))
        pf.equal(f"n = {n}: Q(x)/x^n -> q_n as x -> +inf (sign of Q above the largest root)",
                 sp.limit(Q / x ** n, x, sp.oo), q[n])
        pf.equal(f"n = {n}: Q(-x)/x^n -> (-1)^n q_n as x -> +inf (sign below the smallest root)",
                 sp.limit(Q.subs(x, -x) / x ** n, x, sp.oo), (-1) ** n * q[n])
        if n >= 2:
            pf.equal(f"n = {n}: integral_X^inf x^-{n} dx is finite, so the blow-up time "
                     "T* = integral dx/Q(x) (|Q| >= |q_n| x^n / 2 for large x) is finite",
                     sp.integrate(x ** (-n), (x, X, sp.oo)), X ** (1 - n) / (n - 1))
    pf.given("all solutions converge iff Q > 0 below the smallest root and Q < 0 above the "
             "largest: by the limits above, iff (-1)^n q_n > 0 and q_n < 0, i.e. n odd and q_n < 0")
    pf.equal("n = 1 (no blow-up): x' = q0 + q1 x is solved by x* + (x0 - x*) e^{q1 t}",
             sp.diff(sp.Symbol("xs") + (sp.Symbol("x0") - sp.Symbol("xs")) * sp.exp(sp.Symbol("q1") * sp.Symbol("t")),
                     sp.Symbol("t")),
             sp.Symbol("q1") * (sp.Symbol("x0") - sp.Symbol("xs")) * sp.exp(sp.Symbol("q1") * sp.Symbol("t")))
    a, x0 = sp.symbols("a x0", positive=True)
    pf.equal("example: x' = a x^2 from x0 > 0 blows up at T* = integral_{x0}^inf dx/(a x^2) = 1/(a x0)",
             sp.integrate(1 / (a * x ** 2), (x, x0, sp.oo)), 1 / (a * x0))

    def blowup_time():
        rng = np.random.default_rng(0)
        from scipy.integrate import quad
        worst = 0.0
        for _ in range(5):
            r = np.sort(rng.normal(size=2))
            x0 = r[1] + abs(rng.normal()) + 0.1     # above the largest root of (x-r1)(x-r2) > 0
            f = lambda s: 1.0 / ((s - r[0]) * (s - r[1]))
            t_quad = quad(f, x0, np.inf)[0]
            t_pf = np.log((x0 - r[0]) / (x0 - r[1])) / (r[1] - r[0])  # partial fractions
            worst = max(worst, abs(t_quad - t_pf) / t_pf)
        return worst < 1e-8, f"quadrature vs partial fractions, worst relative gap {worst:.1e}"

    pf.numeric("T* by quadrature equals the partial-fraction closed form for Q = (x - r1)(x - r2)",
               blowup_time)
    return pf


def chain111(rule: str = "srbp") -> Proof:
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
             "THEORY.md says 'at most once': that is not true in general, see the next step")

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
               "discrepancy with THEORY.md)", counterexample)

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


def _prod(xs):
    return sp.Mul(*xs)


def chain(max_depth: int = 5, c_top=1, rule: str = "srbp") -> Proof:
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
             sp.summation(2 ** (h - 1), (h, 1, L)), 2 ** L - 1)
    lh, Pi, c1 = sp.symbols("l_h Pi_h c_1", real=True, nonzero=True)
    pf.given("leading coefficients: l_1 = 1, l_{h+1} = c_{h+1} l_h^2/(2 c_h); Pi_h = l_1...l_h")
    pf.equal("induction step: Pi_{h+1} c_1 c_{h+1} = (Pi_h c_1 c_h) (c_{h+1} l_h / c_h)^2 / 2",
             (Pi * ch1 * lh ** 2 / (2 * ch)) * c1 * ch1, (Pi * c1 * ch) * (ch1 * lh / ch) ** 2 / 2)
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
                sp.Matrix(s.field) - sp.Matrix([c[k] * e_ * _prod(a[:k]) for k in range(Ld)]))
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
        pf.equal(f"L = {Ld}: lc(Q) = -beta c_1 l_1...l_L", red.leading_coefficient, -BETA * c[0] * _prod(l))
        if Ld == 3 and rule == "srbp":
            pf.equal("L = 3: lc(Q) = -beta c_2^2/(16 c_1^2)", red.leading_coefficient,
                     -BETA * c[1] ** 2 / (16 * c[0] ** 2))
        if Ld <= 4:
            pf.equal(f"L = {Ld}: P' = e sum_h c_h (prod_(k!=h) a_k)(prod_(k<h) a_k)",
                     s.along_flow(network_product(s)),
                     e_ * sum(c[k] * _prod(a[:k] + a[k + 1:]) * _prod(a[:k]) for k in range(Ld)))
        if Ld == 3 and rule == "srbp":
            pf.equal("L = 3: the critical factor is a1^2 a2^2 + c1 a2 a3 + c2 a1^2 a3", critical_factor(s),
                     a[0] ** 2 * a[1] ** 2 + c[0] * a[1] * a[2] + c[1] * a[0] ** 2 * a[2])
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


def wide1N1(max_width: int = 4) -> Proof:
    pf = Proof("wide1N1", "A[1,N,1] ([BSL] Theorem 5)",
               "a_i' = c_i e, b_i' = a_i e: b_i - a_i^2/(2 c_i) and a_i - (c_i/c_1) a_1 are conserved; "
               "a1' = Q(a1) is a cubic with leading coefficient -beta sum c_i^2/(2 c_1^2) < 0.")
    for N in range(1, max_width + 1):
        s = wide_ode(N)
        a, b = s.states[:N], s.states[N:]
        c = [x for x in s.parameters if x.name.startswith("c")]
        e = ALPHA - BETA * sum(ai * bi for ai, bi in zip(a, b))
        pf.zero(f"N = {N}: derived field equals a_i' = c_i e, b_i' = a_i e",
                sp.Matrix(s.field) - sp.Matrix([ci * e for ci in c] + [ai * e for ai in a]))
        pf.zero(f"N = {N}: all {2 * N - 1} invariants conserved",
                sp.Matrix([s.along_flow(k) for k in wide_invariants(s, N)]))
        red = wide_reduction(N)
        pf.equal(f"N = {N}: Q cubic with leading coefficient -beta sum c_i^2 / (2 c_1^2)",
                 red.leading_coefficient, -BETA * sum(ci ** 2 for ci in c) / (2 * c[0] ** 2))
        pf.fact(f"N = {N}: degree 3", red.degree == 3, f"degree {red.degree}")
        cn = {ci: sp.Symbol(ci.name, real=True, nonzero=True) for ci in c}
        pf.sign(f"N = {N}: beta > 0, c_1 != 0: leading coefficient negative (converges, poly1d)",
                red.leading_coefficient.subs(cn).subs(BETA, sp.Symbol("beta", positive=True)), "negative")
        pf.equal(f"N = {N}: P' = e sum_i (a_i^2 + c_i b_i)", critical_factor(s),
                 sum(ai ** 2 + ci * bi for ai, bi, ci in zip(a, b, c)))
    return pf


def nonlinear(powers=(1, 2, 3)) -> Proof:
    pf = Proof("nonlinear", "A[1,1,1] with a power non-linearity ([BSL] section 7.9, Theorem 12)",
               "Hidden output (a1 I)^mu, linear output. With f': a2 - a1^2/(2 c1 mu) = K is conserved, "
               "the fixed points are a2 a1^mu = alpha/beta, and for alpha, beta, c1 > 0, mu >= 1 and "
               "positive starts a1 converges to the positive root of "
               "beta t^(mu+2)/(2 c1 mu) + beta K t^mu - alpha.")
    s = nonlinear_ode(True)
    a1, a2 = s.states
    c1 = s.parameters[-1]
    e = ALPHA - BETA * a2 * a1 ** MU
    pf.zero("with f' (derived): a1' = c1 mu a1^(mu-1) e, a2' = a1^mu e",
            sp.Matrix(s.field) - sp.Matrix([c1 * MU * a1 ** (MU - 1) * e, a1 ** MU * e]))
    sn = nonlinear_ode(False)
    pf.zero("without f' (derived): a1' = c1 (gamma - delta a2 a1^mu), a2' = a1^mu e",
            sp.Matrix(sn.field) - sp.Matrix([c1 * (GAMMA - DELTA * a2 * a1 ** MU), a1 ** MU * e]))
    pf.zero("without f', a fixed point (a1 > 0) needs a2 a1^mu = gamma/delta = alpha/beta",
            sp.Matrix(sn.field).subs(a2, GAMMA / (DELTA * a1 ** MU)).subs(GAMMA, DELTA * ALPHA / BETA))
    K = sp.Symbol("K", real=True)
    inv = a2 - a1 ** 2 / (2 * c1 * MU)
    pf.zero("with f': d/dt [a2 - a1^2/(2 c1 mu)] = 0 (any mu)", s.along_flow(inv), show=inv)
    pf.zero("with f': the field vanishes on a2 a1^mu = alpha/beta (independent of c1)",
            sp.Matrix(s.field).subs(a2, ALPHA / (BETA * a1 ** MU)))
    t = sp.Symbol("t", positive=True)
    g = BETA * t ** (MU + 2) / (2 * c1 * MU) + BETA * K * t ** MU - ALPHA
    pf.zero("a1' = -c1 mu a1^(mu-1) g(a1), g(t) = beta t^(mu+2)/(2 c1 mu) + beta K t^mu - alpha",
            s.field[0].subs(a2, a1 ** 2 / (2 * c1 * MU) + K) + c1 * MU * a1 ** (MU - 1) * g.subs(t, a1))
    h = t ** 2 / (2 * c1 * MU) + K
    pf.zero("g + alpha = beta t^mu h(t) with h(t) = t^2/(2 c1 mu) + K, and "
            "d/dt[t^mu h] = t^(mu-1) (mu h + t^2/(c1 mu))",
            sp.diff(t ** MU * h, t) - t ** (MU - 1) * (MU * h + t ** 2 / (c1 * MU)))
    hp, cp, bp, mp = (sp.Symbol(n, positive=True) for n in ("h", "c1", "beta", "mu"))
    pf.sign("where h > 0 (t > 0, c1, mu > 0) that derivative is positive: g increases",
            t ** (mp - 1) * (mp * hp + t ** 2 / (cp * mp)), "positive")
    pf.given("h is increasing on t > 0; where h <= 0, g = beta t^mu h - alpha < 0 (alpha > 0): "
             "so g has exactly one positive root t*")
    pf.sign("g(0+) = -alpha < 0: near a1 = 0 a1' = -c1 mu a1^(mu-1) g > 0, so a1 never reaches 0",
            -sp.Symbol("alpha", positive=True), "negative")
    for m in powers:
        red_s = nonlinear_ode(True, "srbp", m)
        pf.zero(f"mu = {m}: K conserved for the derived system",
                red_s.along_flow(red_s.states[1] - red_s.states[0] ** 2 / (2 * c1 * m)))
    bp_s = nonlinear_ode(True, "bp")
    pf.zero("gradient descent (BP with f', derived): a1' = a2 mu a1^(mu-1) e, a2' = a1^mu e",
            sp.Matrix(bp_s.field) - sp.Matrix([a2 * MU * a1 ** (MU - 1) * e, a1 ** MU * e]))

    def converge():
        from scipy.integrate import solve_ivp
        from scipy.optimize import brentq
        rng = np.random.default_rng(2)
        worst = 0.0
        for _ in range(5):
            al, be, c, mu = rng.uniform(0.5, 2, size=4)
            y0 = rng.uniform(0.2, 2, size=2)
            f = lambda tt, y: [c * mu * y[0] ** (mu - 1) * (al - be * y[1] * y[0] ** mu),
                               y[0] ** mu * (al - be * y[1] * y[0] ** mu)]
            sol = solve_ivp(f, (0, 400), y0, rtol=1e-11, atol=1e-13, method="LSODA")
            k = y0[1] - y0[0] ** 2 / (2 * c * mu)
            gg = lambda x: be * x ** (mu + 2) / (2 * c * mu) + be * k * x ** mu - al
            root = brentq(gg, 1e-12, 1e3)
            worst = max(worst, abs(sol.y[0, -1] - root) / root)
        return worst < 1e-6, f"5 instances integrated to t = 400: worst relative gap to t* {worst:.1e}"

    pf.numeric("integrated trajectories end at the positive root t*", converge)
    return pf
