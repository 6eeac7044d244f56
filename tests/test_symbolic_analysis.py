"""Fixed points, critical set and Jacobian eigenvalues against finite differences of the
numeric field (LinearSystem)."""

import numpy as np
import pytest
import sympy as sp

from linrbp import DataStats, LinearSystem
from linrbp.symbolic import fixed_point_summary, nonlinear_ode, scalar_chain_ode, wide_ode


@pytest.mark.parametrize("depth,rule", [(2, "srbp"), (3, "srbp"), (3, "rbp"), (3, "bp"), (3, "asrbp")])
def test_chain_eigenvalues_match_finite_difference_jacobian(depth, rule):
    rng = np.random.default_rng(depth)
    s = scalar_chain_ode(depth, rule)
    fx = fixed_point_summary(s)
    assert fx is not None
    al, be = 0.8, 1.7
    adaptive = rule in ("arbp", "asrbp")
    fb_vals = rng.uniform(0.5, 1.5, size=depth - 1) * rng.choice([-1, 1], size=depth - 1)
    fixed_fb = [] if adaptive or rule == "bp" else [np.array([[v]]) for v in fb_vals]
    sysm = LinearSystem.create([1] * (depth + 1), rule, DataStats.from_matrices([[be]], [[al]]), fixed_fb)
    a = rng.uniform(0.5, 1.5, size=depth)
    a[-1] = al / (be * np.prod(a[:-1]))            # on P = alpha/beta
    y = np.concatenate([a, fb_vals]) if adaptive else a
    assert np.max(np.abs(sysm(y))) < 1e-12
    h = 1e-6
    J = np.array([(sysm(y + h * e) - sysm(y - h * e)) / (2 * h) for e in np.eye(len(y))]).T
    ev = np.sort_complex(np.linalg.eigvals(J))
    vals = dict(zip(s.states, y))
    vals.update({sp.Symbol("alpha", real=True): al, sp.Symbol("beta", real=True): be})
    if not adaptive and rule != "bp":
        vals.update({p: v for p, v in zip([p for p in s.parameters if p.name[0] in "cr"], fb_vals)})
    want = np.sort_complex(np.array([complex(x.subs(vals)) for x in fx["eigenvalues"]]))
    np.testing.assert_allclose(ev, want, atol=1e-6)
    # the fixed-point condition holds at y
    assert float((fx["fixed"].lhs - fx["fixed"].rhs).subs(vals)) == pytest.approx(0, abs=1e-12)


def test_summary_for_wide_and_nonlinear():
    fx = fixed_point_summary(wide_ode(2))
    a1, a2, b1, b2 = wide_ode(2).states
    c1, c2 = sp.symbols("c1 c2", real=True)
    assert sp.expand(fx["critical"] - (a1 ** 2 + a2 ** 2 + c1 * b1 + c2 * b2)) == 0
    assert fixed_point_summary(nonlinear_ode(True)) is not None
    assert fixed_point_summary(nonlinear_ode(False)) is None   # no f': field is not e * m
