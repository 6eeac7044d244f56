"""`predicted` for BP with a bottleneck (issue 26, part 6): the best rank-r approximation of P*
in the S_II metric, against an independent computation and against integration; the loss gap
to RBP's limit."""

import numpy as np

from linrbp import parse_instance, predict, simulate
from linrbp.closed_forms._bp_limit import bp_limit


def _data(seed, n0=4, n2=3):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n0, n0))
    return M @ M.T / n0 + 0.5 * np.eye(n0), rng.normal(size=(n2, n0)), rng


def _independent(S, T, r):
    """min over rank-r P of (1/2) tr((P - P*) S (P - P*)^T): project P* on the top-r eigenvectors
    of P* S P*^T (the left singular vectors of P* S^(1/2)), no S^(1/2) needed."""
    Pstar = T @ np.linalg.inv(S)
    w, U = np.linalg.eigh(Pstar @ S @ Pstar.T)
    Ur = U[:, np.argsort(w)[::-1][:r]]
    return Ur @ Ur.T @ Pstar


def test_best_rank_r_approximation_against_an_independent_computation():
    for seed, layers in ((0, [4, 2, 3]), (1, [5, 1, 4]), (2, [4, 3, 2, 3])):
        S, T, _ = _data(seed, layers[0], layers[-1])
        c = bp_limit(layers, S, T)
        assert c["case"] == "bottleneck"
        ref = _independent(S, T, min(layers[1:-1]))
        assert np.abs(c["product"] - ref).max() < 1e-12 * (1 + np.abs(ref).max())
    S, T, _ = _data(3, 4, 3)
    c = bp_limit([4, 3, 3], S, T)
    assert c["case"] == "full-rank" and np.abs(c["product"] - T @ np.linalg.inv(S)).max() < 1e-12


def test_bp_integrates_to_the_predicted_limit_and_rbp_reports_the_gap():
    S, T, rng = _data(4, 4, 3)
    A1, A2 = 0.3 * rng.normal(size=(2, 4)), 0.3 * rng.normal(size=(3, 2))
    d = {"layers": [4, 2, 3], "rule": "bp", "sigma_ii": S.tolist(), "sigma_ti": T.tolist(),
         "weights": [A1.tolist(), A2.tolist()], "t_max": 1e4}
    out = simulate(parse_instance(d))
    pred = out["predicted"]
    assert out["status"] == "converged" and pred["system"] == "bp-limit" and pred["case"] == "bottleneck"
    assert "S_II metric" in pred["reason"]
    assert np.abs(out["product"] - pred["product"]).max() < 1e-7
    # RBP on the same data and layers: its own limit, BP's, and the gap between their losses
    C = rng.normal(size=(2, 3))
    d_rbp = {**d, "rule": "rbp", "feedback": [C.tolist()]}
    inst = parse_instance(d_rbp)
    p = predict(inst)
    assert p["bp_limit"]["case"] == "bottleneck"
    stats = inst.system.stats
    gap = stats.excess_loss(np.asarray(p["product"])) - stats.excess_loss(_independent(S, T, 2))
    assert p["loss_gap_to_bp"] >= 0 and abs(p["loss_gap_to_bp"] - gap) < 1e-12
    r = simulate(inst)
    assert r["status"] == "converged"
    measured = r["excess_loss"] - out["excess_loss"]
    assert abs(measured - p["loss_gap_to_bp"]) < 1e-6
