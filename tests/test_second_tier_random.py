"""docs/theory.md section 10 (`rbp-limit`, `srbp-bottleneck`) through `linrbp simulate`: seeded
random RBP/SRBP instances of depth 2-4 with the bottleneck first, in the middle and last; the
SRBP bottleneck example files end with a clear status; singular S_II and ranks at the edges of
the numerical-rank tolerances get a clear answer and never a wrong closed form (checked against
exact rational arithmetic, an independent route to the same matrix)."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from linrbp.claims import _matrix_tools as mt
from linrbp.claims import rbp_limit as RL
from linrbp.closed_forms._rbp_limit import (RANK_NONZERO, RANK_ZERO, SII_DEFINITE, limit_case, loss_gap,
                                            rbp_limit_product)
from linrbp.core._errors import InputError
from linrbp.core._rules import feedback_shapes
from linrbp.instances._instance import parse_instance
from linrbp.instances._predict import predict
from linrbp.instances._simulate import DEFAULT_MAX_STEPS, simulate

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples"
BOTTLENECK_FILES = sorted(EXAMPLES.glob("srbp-bottleneck-*.json"))

# (depth, where the narrowest hidden layer is, rule): depth 2 has one hidden layer; depth 3
# has a first and a last one; depth 4 a middle one too.
CASES = [(2, "first", "rbp"), (2, "first", "srbp"), (3, "first", "rbp"), (3, "first", "srbp"),
         (3, "last", "rbp"), (3, "last", "srbp"), (4, "first", "rbp"), (4, "first", "srbp"),
         (4, "middle", "rbp"), (4, "middle", "srbp"), (4, "last", "rbp"), (4, "last", "srbp")]


def _random_instance(k, depth, where, rule):
    """Hidden widths 3..5 except a bottleneck of width 1 or 2 at ``where``; S_II with
    eigenvalues in [0.5, 2] in a random basis (not whitened); SRBP with a later bottleneck gets a
    target of rank <= r (with a full-rank one it has no fixed point: srbp-bottleneck)."""
    rng = np.random.default_rng([20261202, k])
    hidden = [int(n) for n in rng.integers(3, 6, size=depth - 1)]
    r = int(rng.integers(1, 3))
    hidden[{"first": 0, "middle": 1, "last": depth - 2}[where]] = r
    layers = [int(rng.integers(3, 6))] + hidden + [int(rng.integers(3, 6))]
    rank = r if (rule == "srbp" and where != "first") else None
    return RL.make_instance(rng, layers, rule, starts=1, target_rank=rank)


@pytest.mark.parametrize("k,depth,where,rule", [(k, *c) for k, c in enumerate(CASES)],
                         ids=[f"L{d}-{w}-{r}" for d, w, r in CASES])
def test_simulate_predicts_random_instances_to_1e8(k, depth, where, rule):
    inst = parse_instance(RL.instance_file(_random_instance(k, depth, where, rule)))
    assert inst.system.depth == depth
    assert not np.allclose(inst.system.stats.sigma_ii, np.diag(np.diag(inst.system.stats.sigma_ii)))
    # BDF: these limits are stiff (the default DOP853 at rtol 1e-12 stalls on some of them,
    # |f| ~ rtol x the fastest rate, above conv_tol; see docs/theory-second-tier.md)
    out = simulate(inst, method="bdf")
    pred = out["predicted"]
    assert out["status"] == "converged", out["status"]
    assert pred["case"] in ("full-rank", "reduced-rank") and pred["fixed_point"] is True
    assert mt.relative(out["product"], pred["product"]) < 1e-8
    if pred["case"] == "reduced-rank":  # not P*: a prediction that could be wrong
        assert mt.relative(pred["product"], inst.system.stats.optimum()) > 1e-3


@pytest.mark.parametrize("k,depth,where,rule", [(k, *c) for k, c in enumerate(CASES)],
                         ids=[f"L{d}-{w}-{r}" for d, w, r in CASES])
def test_the_batched_integrator_does_not_stall_on_random_instances(k, depth, where, rule):
    """`simulate --method batched` (linrbp's DOP853 with damped steps near the stopping rule)
    converges on all 12 instances, to the closed form within 1e-8, where scipy's DOP853 at the
    same rtol stalls on 2 of them (cases 5 and 11: step-limit, measured 2026-12-02; the
    stability-limited plateau of docs/performance.md)."""
    inst = parse_instance(RL.instance_file(_random_instance(k, depth, where, rule)))
    out = simulate(inst, method="batched")
    assert out["status"] == "converged", out["status"]
    assert mt.relative(out["product"], out["predicted"]["product"]) < 1e-8


# -- SRBP bottleneck example files: no fixed point, bounded runs --------------------------------
def test_bottleneck_example_files_exist():
    assert len(BOTTLENECK_FILES) >= 3


@pytest.mark.parametrize("path", BOTTLENECK_FILES, ids=[p.stem for p in BOTTLENECK_FILES])
def test_bottleneck_files_predict_no_fixed_point_and_stop_at_the_step_limit(path):
    inst = parse_instance(json.loads(path.read_text()))
    assert inst.system.rule.name == "srbp" and inst.system.depth in (3, 4)
    pred = predict(inst)
    assert pred["system"] == "srbp-bottleneck" and pred["fixed_point"] is False
    assert pred["case"] == "no-fixed-point" and pred["product"] is None and "exceeds" in pred["reason"]
    out = simulate(inst, max_steps=400)
    assert out["status"] == "step-limit" and out["n_steps"] == 400 and out["t_end"] < out["t_max"]
    # the bound on |dA_1/dt| holds where the run stopped
    (d1, *_), _ = inst.system.velocity(out["weights"])
    assert np.linalg.norm(d1) >= pred["speed_bound"] > 0


@pytest.mark.slow
def test_bottleneck_file_default_run_ends_at_the_default_step_limit(tmp_path):
    path = EXAMPLES / "srbp-bottleneck-d3-last.json"
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", str(path), "--json", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    assert d["status"] == "step-limit" and d["n_steps"] == DEFAULT_MAX_STEPS
    assert d["predicted"]["fixed_point"] is False


# -- singular S_II -------------------------------------------------------------------------
def _singular_instance():
    S = np.diag([1.0, 1.0, 0.0])
    T = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 0.0]])
    C = [np.array([[1.0, 0.5]])]
    W = [np.full((1, 3), 0.1), np.full((2, 1), 0.1)]
    return mt.instance([3, 1, 2], "rbp", S, T, C, W)


def test_singular_sigma_ii_through_simulate_and_the_api():
    inst = _singular_instance()
    out = simulate(parse_instance(inst))
    pred = out["predicted"]
    assert pred["system"] == "rbp-limit" and pred["case"] == "undetermined"
    assert pred["product"] is None and pred["fixed_point"] is None and "singular" in pred["reason"]
    with pytest.raises(InputError, match="sigma_ii: singular"):
        rbp_limit_product("rbp", inst["sigma_ii"], inst["sigma_ti"], inst["feedback"])
    with pytest.raises(InputError, match="no closed-form limit"):
        loss_gap(inst["layers"], "rbp", inst["sigma_ii"], inst["sigma_ti"], inst["feedback"])


def test_singular_sigma_ii_through_the_cli(tmp_path):
    f = tmp_path / "singular.json"
    f.write_text(json.dumps(_singular_instance()))
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "linrbp", "simulate", str(f), "--json", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "undetermined" in r.stdout and "singular" in r.stdout and "Traceback" not in r.stderr
    d = json.loads(out.read_text())
    assert d["predicted"]["product"] is None and d["predicted"]["case"] == "undetermined"


# -- exact reference: M (B_1 M)^-1 B_1 P* in rationals from the double inputs ---------------------
def _exact_formula(S, T, B1):
    """the theory page's M (B_1 M)^+ B_1 P*, M = P* S_II P*^T B_1^T, exactly (B_1 M invertible here)."""
    Q = lambda A: sp.Matrix(np.atleast_2d(A).tolist()).applyfunc(sp.Rational)  # noqa: E731
    S, T, B = Q(S), Q(T), Q(B1)
    P = T * S.inv()
    M = P * S * P.T * B.T
    return np.array((M * (B * M).inv() * B * P).evalf(30).tolist(), dtype=float)


def _orth(rng, n):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q


@pytest.mark.parametrize("ratio", [2 * SII_DEFINITE, 1e-8, 1e-6])
def test_nearly_singular_sigma_ii_closed_form_is_exact(ratio):
    # Just past the definiteness cut the closed form is given and must be the limit to 1e-8
    # (in double precision it was off by 3.6e-7 at ratio 2e-10: computed in 40 digits now).
    rng = np.random.default_rng(11)
    Q = _orth(rng, 3)
    S = (Q * [1.0, 0.7, ratio]) @ Q.T
    S = 0.5 * (S + S.T)
    T = rng.normal(size=(3, 3))
    C = rng.normal(size=(2, 3))
    c = limit_case([3, 2, 3], "rbp", S, T, [C])
    assert c["case"] == "reduced-rank"
    assert mt.relative(c["product"], _exact_formula(S, T, C)) < 1e-12


def test_sigma_ii_just_inside_the_definiteness_cut_has_no_closed_form():
    rng = np.random.default_rng(12)
    Q = _orth(rng, 3)
    S = (Q * [1.0, 0.7, 0.3 * SII_DEFINITE]) @ Q.T
    S = 0.5 * (S + S.T)
    c = limit_case([3, 2, 3], "rbp", S, rng.normal(size=(3, 3)), [rng.normal(size=(2, 3))])
    assert c["case"] == "undetermined" and c["product"] is None and "singular" in c["reason"]


# -- ranks at the edges of the tolerances: B_1 G (feedback) and G (target) -----------------------
EDGES = [(0.5 * RANK_ZERO, "zero"), (2 * RANK_ZERO, "edge"), (0.5 * RANK_NONZERO, "edge"),
         (2 * RANK_NONZERO, "nonzero")]


@pytest.mark.parametrize("rel,kind", EDGES, ids=[f"{k}-{r:g}" for r, k in EDGES])
def test_feedback_singular_value_at_the_rank_tolerances(rel, kind):
    # A[3,2,3], S_II general, P* full rank, B_1 = C_1 with C_1 G of singular values 1, rel:
    # rank(B_1 G) = 2 = r < 3 (reduced-rank), undecided, or 1 < min(r, g) (start-dependent).
    rng = np.random.default_rng(13)
    S = mt.random_spd(rng, 3, 0.5, 2.0)
    T = rng.normal(size=(3, 3)) @ S
    w, E = np.linalg.eigh(S)
    G = T @ np.linalg.inv(S) @ ((E * np.sqrt(w)) @ E.T)
    C = (_orth(rng, 2) * [1.0, rel]) @ _orth(rng, 3)[:2] @ np.linalg.inv(G)
    inst = parse_instance(mt.instance([3, 2, 3], "rbp", S, T, [C], mt.random_weights(rng, [3, 2, 3])))
    pred = predict(inst)
    assert pred["system"] == "rbp-limit"
    if kind == "nonzero":
        assert pred["case"] == "reduced-rank" and pred["rank_B1G"] == 2
        assert mt.relative(pred["product"], _exact_formula(S, T, C)) < 1e-10
    else:
        assert pred["case"] == "undetermined" and pred["product"] is None and pred["fixed_point"] is None
        assert ("between the rank tolerances" if kind == "edge" else "depends on the start") in pred["reason"]


@pytest.mark.parametrize("rel,kind", EDGES, ids=[f"{k}-{r:g}" for r, k in EDGES])
def test_target_singular_value_at_the_rank_tolerances(rel, kind):
    # RBP A[3,2,2,2], S_II = Id, B_1 = C_1 C_2 a multiple of an orthogonal matrix (so B_1 G has
    # G's singular values, times 2): rank(B_1 G) = rank(G) always, so the
    # limit is P* whenever the ranks are decided (rank 1 or 2); undecided in between. (Depth 3:
    # no older predictor answers first.)
    rng = np.random.default_rng(14)
    T = (_orth(rng, 2) * [1.0, rel]) @ _orth(rng, 3)[:2]
    C = [2.0 * _orth(rng, 2), _orth(rng, 2)]
    inst = parse_instance(mt.instance([3, 2, 2, 2], "rbp", np.eye(3), T, C, mt.random_weights(rng, [3, 2, 2, 2])))
    pred = predict(inst)
    assert pred["system"] == "rbp-limit"
    if kind == "edge":
        assert pred["case"] == "undetermined" and pred["product"] is None
        assert "between the rank tolerances" in pred["reason"]
    else:
        assert pred["case"] == "full-rank" and pred["rank_G"] == (1 if kind == "zero" else 2)
        assert np.abs(pred["product"] - T).max() <= 1e-15


def test_closed_form_that_overflows_float64_is_not_given():
    # P* = S_TI S_II^-1 = 1e400 x [[1, 2], [3, 4]]: exact in 40 digits, not a double.
    S, T = 1e-200 * np.eye(2), 1e200 * np.array([[1.0, 2.0], [3.0, 4.0]])
    c = limit_case([2, 1, 2, 2], "rbp", S, T, [np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 1.0]])])
    assert c["case"] == "undetermined" and c["product"] is None and "overflows" in c["reason"]
