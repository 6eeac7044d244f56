"""Independent reference limits for the scalar instances in tests/data (``reference`` key).

Run ``python3 tests/data/make_references.py`` to rewrite the ``reference`` entries, or with
``--check`` to verify the stored ones. Nothing here imports linrbp: the averaged ODEs are
written out below from the rules' definitions (docs/theory.md section 0), and the limit is found
by a route different from linrbp's closed forms (which reduce to a polynomial in a_1 and pick
its root with poly1d's series walk):

* chain A[1,...,1], SRBP form (RBP feedback r_h becomes c_h = r_h r_{h+1} ... r_{L-1}, c_L = 1):
  a_h' = c_h e a_1 ... a_{h-1}, e = alpha - beta a_1 ... a_L. Since a_{h+1}'/a_h' =
  c_{h+1} a_h / c_h, a_{h+1} - c_{h+1} a_h^2 / (2 c_h) is constant, so every a_h is a function
  of a_1, and a_1' = c_1 e(a_1) is a scalar autonomous flow.
* A[1,N,1] under SRBP: first-layer a_i' = c_i e, output b_i' = a_i e, e = alpha - beta sum b_i a_i;
  a_i - (c_i / c_1) a_1 and b_i - a_i^2 / (2 c_i) are constant, and again a_1' = c_1 e(a_1).

A scalar flow a_1' = g(a_1) moves monotonically to the first zero of g in the direction of
sign g(a_1(0)). The script walks in that direction in steps of 1e-4 (in floating point, to
find the bracket), then bisects e in 60-digit arithmetic (mpmath) to the root, and evaluates
every weight there in 60 digits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mpmath as mp

mp.mp.dps = 60
HERE = Path(__file__).parent
FILES = ["chain111_rbp.json", "chain3_srbp.json", "chain5_srbp_negative.json", "chain6_rbp.json",
         "wide_1_3_1_srbp.json"]
SOURCE = ("tests/data/make_references.py: invariants + bisection of e(a_1) in 60-digit mpmath "
          "(independent of linrbp's closed forms)")


def _chain_weights(c, a0):
    """a_2..a_L as functions of a_1 on the invariants through a0."""
    K = [a0[h + 1] - c[h + 1] * a0[h] ** 2 / (2 * c[h]) for h in range(len(a0) - 1)]

    def weights(a1):
        a = [a1]
        for h, k in enumerate(K):
            a.append(k + c[h + 1] * a[h] ** 2 / (2 * c[h]))
        return a

    return weights


def _wide_weights(c, a0, b0):
    D = [a0[i] - c[i] / c[0] * a0[0] for i in range(len(a0))]
    K = [b0[i] - a0[i] ** 2 / (2 * c[i]) for i in range(len(a0))]

    def weights(a1):
        a = [c[i] / c[0] * a1 + D[i] for i in range(len(c))]
        b = [a[i] ** 2 / (2 * c[i]) + K[i] for i in range(len(c))]
        return a, b

    return weights


def _limit(e, c1, x0, step=1e-4, bound=1e3):
    """First zero of a_1' = c_1 e(a_1) from x0 in the direction of motion (60 digits)."""
    x0 = mp.mpf(x0)
    g0 = c1 * e(x0)
    if g0 == 0:
        return x0
    s = 1 if g0 > 0 else -1
    lo = x0
    while abs(lo) < bound:
        hi = lo + s * step
        if (c1 * e(hi) > 0) != (g0 > 0) or c1 * e(hi) == 0:
            break
        lo = hi
    else:
        raise RuntimeError("no root within the bound: the flow diverges")
    a, b = (lo, hi) if lo < hi else (hi, lo)
    fa = e(a)
    for _ in range(400):
        m = (a + b) / 2
        fm = e(m)
        if fm == 0:
            return m
        if (fm > 0) == (fa > 0):
            a, fa = m, fm
        else:
            b = m
    return (a + b) / 2


def reference(d: dict) -> list:
    layers, rule = d["layers"], d["rule"]
    alpha, beta = mp.mpf(d["sigma_ti"][0][0]), mp.mpf(d["sigma_ii"][0][0])
    if all(n == 1 for n in layers):
        L = len(layers) - 1
        r = [mp.mpf(M[0][0]) for M in d["feedback"]]
        if rule == "rbp":
            c = [mp.fprod(r[h:]) for h in range(L - 1)] + [mp.mpf(1)]
        elif rule == "srbp":
            c = r + [mp.mpf(1)]
        else:
            raise ValueError(rule)
        a0 = [mp.mpf(W[0][0]) for W in d["weights"]]
        weights = _chain_weights(c, a0)
        t = _limit(lambda x: alpha - beta * mp.fprod(weights(x)), c[0], a0[0])
        return [[[float(v)]] for v in weights(t)]
    if len(layers) == 3 and layers[0] == layers[2] == 1 and rule == "srbp":
        c = [mp.mpf(row[0]) for row in d["feedback"][0]]
        a0 = [mp.mpf(row[0]) for row in d["weights"][0]]
        b0 = [mp.mpf(v) for v in d["weights"][1][0]]
        weights = _wide_weights(c, a0, b0)

        def e(x):
            a, b = weights(x)
            return alpha - beta * mp.fsum(ai * bi for ai, bi in zip(a, b))

        t = _limit(e, c[0], a0[0])
        a, b = weights(t)
        return [[[float(v)] for v in a], [[float(v) for v in b]]]
    raise ValueError(f"no independent reference route for layers {layers} rule {rule}")


def main(argv) -> int:
    check = "--check" in argv
    bad = 0
    for name in FILES:
        path = HERE / name
        d = json.loads(path.read_text())
        ref = {"source": SOURCE, "weights": reference(d)}
        if check:
            if d.get("reference") != ref:
                print(f"{name}: stored reference differs from the recomputed one", file=sys.stderr)
                bad += 1
        else:
            d["reference"] = ref
            path.write_text(json.dumps(d, indent=2) + "\n")
            print(f"{name}: {ref['weights']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
