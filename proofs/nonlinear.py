"""docs/theory.md claim `nonlinear`: A[1,1,1] with a power non-linearity ([BSL] section 7.9, Theorem 12); its machine-checked proof.

Run ``python proofs/nonlinear.py`` (or ``linrbp prove nonlinear``): prints the theorem and every step,
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
from linrbp.symbolic import ALPHA, BETA, DELTA, GAMMA, MU, nonlinear_ode


def proof(powers=(1, 2, 3)) -> Proof:
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


if __name__ == "__main__":
    sys.exit(main(proof))
