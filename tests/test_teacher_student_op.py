"""The order-parameter SGD chain (method="order-parameters") is the network's SGD in law: its
one-step mean against the exact mean for g linear and against the network's one-step Monte Carlo
for erf (with the rule's drift M), and its law at t = 1 and 5 over 200 seeds against the network's
at N = 100. Each test also runs the chain with the chi^2 part of |x|^2 dropped and asserts that
the comparison then fails (the eta^2 term loses its N - K - M input directions)."""

import math

import numpy as np
import pytest

from linrbp.teacher_student import draw_network, simulate_sgd
from linrbp.teacher_student import _sgd_op
from linrbp.teacher_student._sgd import rule_pieces
from test_teacher_student import _small

Z_TOL = 4.5  # standard errors, as the catalogue's Monte-Carlo checks


def _inst(rule, act, sigma, **kw):
    """test_teacher_student's small instance (K = M = 2, eta 0.8) to t = 5."""
    return _small(rule, act, sigma, **{"t_max": 5.0, **kw})


def _kernel():
    numba = pytest.importorskip("numba")  # noqa: F841
    from linrbp.teacher_student._kernel import compiled_run_op_steps
    return compiled_run_op_steps()


def _chain_one_steps(inst, N, n_samples, seed, drop_chi2=False):
    """n_samples independent one-step increments (dQ, dR, dv, db) of the chain from the start."""
    m = inst.model
    K, n = m.K, m.K + m.M
    p = rule_pieces(m.rule)
    kern = _kernel()
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, n))
    chi2 = np.zeros(n_samples) if drop_chi2 else rng.chisquare(N - n, n_samples)
    xi = rng.standard_normal(n_samples)
    S0 = _sgd_op.start_factor(inst)
    b0 = np.zeros(K) if inst.b is None else np.asarray(inst.b, float)
    C0 = S0 @ S0.T
    out = []
    for s in range(n_samples):
        S, v, b = S0.copy(), inst.v.astype(float).copy(), b0.copy()
        kern(S, v, b, K, Z[s:s + 1], chi2[s:s + 1], xi[s:s + 1], m.A, m.eta, m.sigma, float(N),
             0 if m.activation == "erf" else 1, p["fkind"], p["cfv"], p["cfb"], p["M0"], p["has_m"],
             p["cwv"], p["cwb"], p["cdv"], p["cdb"], p["learn"], m.rule.evolves_feedback)
        dC = S @ S.T - C0
        out.append(np.concatenate([dC[:K, :K].ravel(), dC[:K, K:].ravel(), v - inst.v, b - b0]))
    return np.array(out)


def _z(a, b_or_exact):
    """max over entries of |mean(a) - mean(b)| / standard error (b a sample, or exact means)."""
    se2 = a.var(axis=0, ddof=1) / len(a)
    if b_or_exact.ndim == 2:
        se2 = se2 + b_or_exact.var(axis=0, ddof=1) / len(b_or_exact)
        ref = b_or_exact.mean(axis=0)
    else:
        ref = b_or_exact
    keep = se2 > 0
    return float(np.max(np.abs(a.mean(axis=0) - ref)[keep] / np.sqrt(se2[keep])))


SINGULAR = {"Q": [[1.0, 0.3], [0.3, 1.1]], "R": [[1.0, 0.3], [0.3, 1.1]], "T": [[1.0, 0.3], [0.3, 1.1]]}


@pytest.mark.parametrize("start", [{}, SINGULAR], ids=["regular", "student-equals-teacher"])
def test_one_step_mean_is_the_exact_network_mean_for_g_linear(start):
    """g linear: E[one network step] = (eta/N) first-order rates + (eta/N)^2 f f^T
    ((N + 2) a^T C a + N sigma^2) for dQ (E[(c.x)^2 |x|^2] = (N + 2)|c|^2, section 11's derivation
    and ts-ode-vs-sgd's symbolic check); the chain's sample mean must match it entry by entry,
    also from a singular C (students on the teachers: rank 2 of 4)."""
    N = 40
    inst = _inst("rbp", "linear", 0.5, **start)
    m = inst.model
    Q, R, T, v, A, f = inst.Q, inst.R, m.T, inst.v, m.A, np.asarray(inst.b)
    eta, sigma = m.eta, m.sigma
    err = R @ A - Q @ v
    aCa = v @ Q @ v - 2 * v @ R @ A + A @ T @ A
    dQ = eta / N * (np.outer(f, err) + np.outer(err, f)) + (eta / N) ** 2 * np.outer(f, f) * (
        (N + 2) * aCa + N * sigma ** 2)
    dR = eta / N * np.outer(f, T @ A - R.T @ v)
    dv = eta / N * err
    exact = np.concatenate([dQ.ravel(), dR.ravel(), dv, np.zeros(2)])
    assert _z(_chain_one_steps(inst, N, 20_000, 1), exact) <= Z_TOL
    # negative control: without the input's norm outside the weights' span the eta^2 term is wrong
    assert _z(_chain_one_steps(inst, N, 20_000, 1, drop_chi2=True), exact) > 3 * Z_TOL


def _network_one_steps(inst, N, n_samples, seed):
    """n_samples one-step increments of the N-dimensional network (the rule's statement, literal
    W' = W + (eta/N) M W + (eta/sqrt N) f g'(lambda) Delta x^T, then W' W'^T / N - W W^T / N)."""
    from linrbp.teacher_student._integrals import activation, derivative
    m = inst.model
    K = m.K
    rng = np.random.default_rng(seed)
    W, Ws = draw_network(inst.Q, inst.R, m.T, N, rng)
    v, b = inst.v, np.asarray(inst.b, float)
    f = m.rule.backward_factor(v, b)
    Mw, w2, d1 = m.rule.drift_pieces(v, b)
    WM = W + (0 if Mw is None else m.eta / N * Mw @ W)
    out = []
    for _ in range(n_samples // 10_000):
        X = rng.standard_normal((10_000, N))
        lam, nu = X @ W.T / math.sqrt(N), X @ Ws.T / math.sqrt(N)
        delta = activation(m.activation, nu) @ m.A + m.sigma * rng.standard_normal(10_000) \
            - activation(m.activation, lam) @ v
        c = m.eta / math.sqrt(N) * f * derivative(m.activation, lam) * delta[:, None]
        Wn = WM[None] + c[:, :, None] * X[:, None, :]
        dQ = np.einsum("skn,sln->skl", Wn, Wn) / N - W @ W.T / N
        dR = np.einsum("skn,mn->skm", Wn, Ws) / N - W @ Ws.T / N
        top = activation(m.activation, lam) * delta[:, None]
        dv = m.eta / N * (top + (0 if w2 is None else w2))
        db = np.zeros_like(dv)
        if m.rule.evolves_feedback:
            _, fbk = m.rule.error_terms(np.eye(K), np.ones(K))
            db = m.eta / N * ((top if fbk is not None else 0) + (0 if d1 is None else d1))
        out.append(np.concatenate([dQ.reshape(10_000, -1), dR.reshape(10_000, -1), dv, db], axis=1))
    return np.concatenate(out)


@pytest.mark.parametrize("rule,kw", [("kolen-pollack", {"weight_decay": 0.3}), ("bp", {})])
def test_one_step_mean_matches_the_network_for_erf(rule, kw):
    """erf, N = 30: the chain's one-step mean against a Monte Carlo of the network's step (two
    samples, every entry of dQ, dR, dv, db); Kolen-Pollack carries the drift M (weight decay) and
    a learning feedback."""
    N = 30
    inst = _inst(rule, "erf", 0.4, **kw)
    net = _network_one_steps(inst, N, 100_000, 3)
    assert _z(_chain_one_steps(inst, N, 20_000, 4), net) <= Z_TOL
    assert _z(_chain_one_steps(inst, N, 20_000, 4, drop_chi2=True), net) > 3 * Z_TOL


def _law_z(a, b):
    """max over eps_g, Q, R, v at each time of the two-sample z of the means and of the log SDs."""
    worst = 0.0
    for k in ("eps_g", "Q", "R", "v"):
        x = np.array(a[k]).reshape(len(a["seeds"]), -1)
        y = np.array(b[k]).reshape(len(b["seeds"]), -1)
        worst = max(worst, _z(x, y))
        sx, sy = x.std(axis=0, ddof=1), y.std(axis=0, ddof=1)
        keep = (sx > 0) & (sy > 0)
        se = math.sqrt(1 / (2 * (len(x) - 1)) + 1 / (2 * (len(y) - 1)))
        worst = max(worst, float(np.max(np.abs(np.log(sx[keep] / sy[keep])) / se)))
    return worst


def test_law_at_t1_and_t5_matches_the_network(monkeypatch):
    """N = 100, FA, erf, sigma = 0.3: 200 network runs and 200 chain runs (other seeds) have the
    same means and spreads of eps_g, Q, R, v at t = 1 and 5 (two-sample z <= 4.5)."""
    _kernel()
    inst = _inst("rbp", "erf", 0.3)
    net = simulate_sgd(inst, 100, list(range(200)), [1.0, 5.0], method="network")
    chain = simulate_sgd(inst, 100, list(range(1000, 1200)), [1.0, 5.0], method="order-parameters")
    assert chain["sgd_method"] == "order-parameters" and chain["backend"] == "numba"
    assert _law_z(chain, net) <= Z_TOL
    real = _sgd_op.compiled_run_op_steps()

    def no_chi2(S, v, b, K, Z, chi2, *rest):
        return real(S, v, b, K, Z, np.zeros_like(chi2), *rest)

    monkeypatch.setattr(_sgd_op, "compiled_run_op_steps", lambda: no_chi2)
    broken = simulate_sgd(inst, 100, list(range(1000, 1200)), [1.0, 5.0], method="order-parameters")
    assert _law_z(broken, net) > 3 * Z_TOL


def test_order_parameter_method_numpy_backend_is_the_kernel_and_errors():
    """The interpreted kernel gives the compiled one's numbers on the same draws; bad method and
    non-affine rules are one-line errors."""
    inst = _inst("arbp", "erf", 0.2)
    a = simulate_sgd(inst, 20, [5], [0.0, 0.1], method="order-parameters", backend="numpy")
    assert np.allclose(np.array(a["b"]) - np.array(a["v"]), np.array(inst.b) - inst.v, atol=1e-14)
    assert np.allclose(a["Q"][0][0], inst.Q, atol=1e-13) and np.allclose(a["R"][0][0], inst.R, atol=1e-13)
    _kernel()
    c = simulate_sgd(inst, 20, [5], [0.0, 0.1], method="order-parameters", backend="numba")
    assert np.allclose(a["Q"], c["Q"], rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="method"):
        simulate_sgd(inst, 20, [5], [0.1], method="orderparams")
    with pytest.raises(ValueError, match="backend"):
        simulate_sgd(inst, 20, [5], [0.1], method="order-parameters", backend="rule")


def test_numpy_backend_runs_the_seeds_side_by_side_as_the_kernel_runs_each():
    """Several seeds at once (one numpy step for all chains) give each seed's own chain: the
    compiled kernel's numbers seed by seed, whatever the other seeds are."""
    inst = _inst("rbp", "erf", 0.3)
    a = simulate_sgd(inst, 40, [3, 8, 11], [0.0, 0.5, 1.0], method="order-parameters", backend="numpy")
    alone = simulate_sgd(inst, 40, [8], [0.0, 0.5, 1.0], method="order-parameters", backend="numpy")
    assert np.allclose(a["Q"][1], alone["Q"][0], rtol=1e-13, atol=1e-15)
    _kernel()
    c = simulate_sgd(inst, 40, [3, 8, 11], [0.0, 0.5, 1.0], method="order-parameters", backend="numba")
    for key in ("Q", "R", "v", "eps_g"):
        assert np.allclose(a[key], c[key], rtol=1e-12, atol=1e-14), key


@pytest.mark.parametrize("act, has_m, evolve", [(0, False, False), (1, True, True)])
def test_numpy_step_folds_with_lapack_directly_as_numpy_linalg_qr_does(monkeypatch, act, has_m, evolve):
    """run_op_steps_batch calls LAPACK's QR without numpy.linalg.qr's wrapper; the chain must be
    the wrapper's bit for bit (the same geqrf on the same matrix, R read the same way)."""
    if _sgd_op._qr_r_in_place() is None:
        pytest.skip("this numpy has no numpy.linalg._umath_linalg.qr_r_raw: the wrapper runs")
    rng = np.random.default_rng(5)
    R, n, K = 4, 5, 3
    S0 = np.tril(rng.standard_normal((R, n, n)))
    v0, b0 = rng.standard_normal((R, K)), rng.standard_normal((R, K))
    Z, xi = rng.standard_normal((R, 40, n)), rng.standard_normal((R, 40))
    chi2 = rng.chisquare(30, (R, 40))
    args = (rng.standard_normal(n - K), 0.5, 0.1, 50.0, act, 0, 0.7, 0.3,
            0.1 * rng.standard_normal((K, K)), has_m, -0.01, 0.02, 0.03, -0.02, 0.9, evolve)
    runs = []
    for direct in (True, False):
        if not direct:
            monkeypatch.setattr(_sgd_op, "_qr_r_in_place", lambda: None)
        S, v, b = S0.copy(), v0.copy(), b0.copy()
        _sgd_op.run_op_steps_batch(S, v, b, K, Z, chi2, xi, *args)
        runs.append((S, v, b))
    for got, want in zip(*runs):
        assert np.isfinite(want).all() and np.array_equal(got, want)
    assert not np.array_equal(runs[0][0], S0)  # the chain moved
