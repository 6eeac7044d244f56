"""probe with section 12's relations: A[2,2,2]'s limits have a non-singular relations Jacobian
(ball arithmetic), which the relations without V = V_inf never have."""

from __future__ import annotations

import numpy as np
import pytest

import linrbp
from linrbp.integration._integrate import integrate
from linrbp.sweeps._probe import probe_instance, probe_one
from linrbp.sweeps._relations import lyapunov_jacobian, lyapunov_relations, relation_counts


def _limit(shape, seed):
    p = linrbp.parse_instance(probe_instance(shape, seed))
    res = integrate(p.system, p.y0, 1e5, rtol=1e-13, atol=1e-15, conv_tol=1e-12)
    assert res.status[0] == "converged"
    return p, res.y[0]


def test_counts_follow_the_theory():
    assert relation_counts((2, 2, 2)) == (8, 8)
    eq, unk = relation_counts((3, 3, 3))
    assert unk - eq == 2
    for N0, N1, N2 in [(2, 3, 2), (4, 5, 3)]:
        eq, unk = relation_counts((N0, N1, N2))
        assert unk - eq == N2 * N1 - N1 * (N1 + 1) // 2 - 1


def test_jacobian_matches_finite_differences_of_the_relations():
    """The hand-written Jacobian against central differences of the relations themselves."""
    p, y = _limit((3, 3, 2), 0)
    s = p.system
    C1 = np.asarray(s.feedback[0])
    st = s.stats
    W = st.sigma_ti @ np.linalg.inv(st.sigma_ii)
    D = C1 @ np.linalg.solve(C1.T @ C1, W)
    N = np.linalg.svd(C1.T)[2][2:].T

    def R(v):
        (A1, A2), _ = s.unpack(v)
        M = C1 @ A2 + (C1 @ A2).T - A1 @ A1.T
        V = 0.5 * np.sum(A2 * A2) - np.sum(D * A1)
        return np.concatenate([(A2 @ A1).ravel(), M[np.triu_indices(3)], (N.T @ A1).ravel(), [V]])

    h = 1e-6
    Jfd = np.array([(R(y + h * e) - R(y - h * e)) / (2 * h) for e in np.eye(y.size)]).T
    assert np.abs(lyapunov_jacobian(s, y) - Jfd).max() < 1e-8


def test_a222_limits_are_isolated_with_v_and_not_without():
    pytest.importorskip("flint", reason="python-flint (the certify extra) is not installed")
    for seed in range(3):
        rec = probe_one((2, 2, 2), seed)
        lr = rec["lyapunov_relations"]
        assert lr["equations"] == lr["unknowns"] == 8
        assert lr["ball_nonsingular"] is True and lr["method"].startswith("ball")
        assert rec["jacobian"]["nullity"] == 1  # section 6's relations alone: a curve
    p, y = _limit((2, 2, 2), 0)
    # A box too wide to decide anything: the ball determinant contains 0.
    assert lyapunov_relations(p.system, y, radius=1.0)["ball_nonsingular"] is False


def test_a333_has_two_free_directions():
    p, y = _limit((3, 3, 3), 0)
    lr = lyapunov_relations(p.system, y)
    assert lr["unknowns"] - lr["equations"] == 2 and lr["rank"] == lr["equations"]
    assert not lr["nonsingular"]
