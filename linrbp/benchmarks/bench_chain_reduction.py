"""Benchmark: the chain reduction Q(a1) in sparse polynomial rings vs plain sympy ``expand``.

Both routes start from the same derived field and invariants; the obvious alternative
substitutes a_(h+1) = c_(h+1) a_h^2/(2 c_h) + K_h into c_1 (alpha - beta a_1...a_L) and calls
``sympy.expand``. Prints the times and their ratio per depth, measured in this one run, and
checks that both give the same polynomial (depth <= 5) or the same value at a point.

    python -m linrbp.benchmarks.bench_chain_reduction [MAX_EXPAND_DEPTH]   (default 6)
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sympy as sp  # noqa: E402
from sympy.external.gmpy import GROUND_TYPES  # noqa: E402

from linrbp.symbolic import chain_feedback, chain_reduction, scalar_chain_ode  # noqa: E402


def plain_expand(L):
    s = scalar_chain_ode(L, "srbp")
    a = s.states
    c = chain_feedback(L, "srbp")
    K = sp.symbols(f"K1:{L}", real=True)
    sub = {}
    poly = a[0]
    for h in range(L - 1):
        poly = c[h + 1] * poly ** 2 / (2 * c[h]) + K[h]
        sub[a[h + 1]] = poly
    return sp.expand(s.field[0].subs(sub))


def main(max_expand=6):
    print(f"sympy {sp.__version__}, ground types {GROUND_TYPES}")
    print(f"{'L':>2} {'degree':>6} {'terms':>6} {'ring s':>8} {'expand s':>9} {'ratio':>7}")
    for L in range(2, 8):
        t0 = time.perf_counter()
        red = chain_reduction(L)
        _ = red.monomials
        t_ring = time.perf_counter() - t0
        t_exp, ratio = float("nan"), float("nan")
        if L <= max_expand:
            t0 = time.perf_counter()
            Q = plain_expand(L)
            t_exp = time.perf_counter() - t0
            ratio = t_exp / t_ring
            vals = {x: sp.Rational(k + 2, 3 + k) * (-1) ** k for k, x in enumerate(sorted(Q.free_symbols, key=str))}
            got = sum(sp.Rational(const) * sp.Mul(*[vals.get(s, s) ** p for s, p in pows.items()])
                      * vals[sp.Symbol("a1", real=True)] ** k for k, const, pows in red.monomials)
            assert Q.xreplace(vals) == got, f"depth {L}: the two routes disagree"
        print(f"{L:>2} {red.degree:>6} {red.n_terms:>6} {t_ring:>8.3f} {t_exp:>9.3f} {ratio:>7.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
