"""docs/theory.md claim `poly1d`: one-dimensional polynomial ODEs ([BSL] Theorem 1); its machine-checked proof.

Run ``python proofs/poly1d.py`` (or ``linrbp prove poly1d``): prints the theorem and every step,
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


def proof(max_degree: int = 6) -> Proof:
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
                 sp.Limit(Q / x ** n, x, sp.oo), q[n])
        pf.equal(f"n = {n}: Q(-x)/x^n -> (-1)^n q_n as x -> +inf (sign below the smallest root)",
                 sp.Limit(Q.subs(x, -x) / x ** n, x, sp.oo), (-1) ** n * q[n])
        if n >= 2:
            pf.equal(f"n = {n}: integral_X^inf x^-{n} dx is finite, so the blow-up time "
                     "T* = integral dx/Q(x) (|Q| >= |q_n| x^n / 2 for large x) is finite",
                     sp.Integral(x ** (-n), (x, X, sp.oo)), X ** (1 - n) / (n - 1))
    pf.given("all solutions converge iff Q > 0 below the smallest root and Q < 0 above the "
             "largest: by the limits above, iff (-1)^n q_n > 0 and q_n < 0, i.e. n odd and q_n < 0")
    q0, q1, x0_, t = sp.symbols("q0 q1 x0 t", real=True)
    xs = -q0 / q1  # the root of Q(x) = q0 + q1 x
    path = xs + (x0_ - xs) * sp.exp(q1 * t)
    pf.equal("n = 1 (no blow-up): x(t) = x* + (x0 - x*) e^{q1 t}, x* = -q0/q1, solves x' = q0 + q1 x",
             sp.Derivative(path, t), q0 + q1 * path)
    pf.equal("n = 1: and starts at x0", sp.Subs(path, t, 0), x0_)
    a, x0 = sp.symbols("a x0", positive=True)
    pf.equal("example: x' = a x^2 from x0 > 0 blows up at T* = integral_{x0}^inf dx/(a x^2) = 1/(a x0)",
             sp.Integral(1 / (a * x ** 2), (x, x0, sp.oo)), 1 / (a * x0))

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


if __name__ == "__main__":
    sys.exit(main(proof))
