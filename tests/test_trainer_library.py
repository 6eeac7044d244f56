"""The trainer as a library, through the public API only (``linrbp.trainer``).

The expected updates are written out here per example from the papers' definitions
(docs/theory.md section 0 notation: delta_L = T - O_L, dA_h = lr * mean_n delta_h O_{h-1}^T):
FA (Lillicrap et al. 2016; [BSL] RBP) delta_h = f'(S_h) * (C_h delta_{h+1}); DFA (Nokland 2016;
[BSL] SRBP) delta_h = f'(S_h) * (C_h delta_L); uSF / brSF / frSF (Moskovitz et al. 2018) FA with
C_h = M_h * sign(A_{h+1}^T); Kolen-Pollack (Akrout et al. 2019) FA with dC_h = (dA_{h+1})^T and
a weight decay on A and C; weight mirrors (Akrout et al. 2019) FA with a mirror phase
C_h <- (1 - eta) C_h + (eta / b) x (A_{h+1} x)^T. None of it calls the package to get a
reference number.
"""

import numpy as np
import pytest

from linrbp import InputError
from linrbp.trainer import FAMILY, TRAIN_RULES, Network, TrainConfig, angle_degrees

LAYERS = (4, 5, 3, 3)  # N_0, N_1, N_2, N_3: two hidden layers
B = 6
LR = 0.1


def _rng(seed=0):
    return np.random.default_rng(seed)


def _params(seed=0, layers=LAYERS):
    rng = _rng(seed)
    W = [rng.standard_normal((layers[h + 1], layers[h])) * 0.7 for h in range(len(layers) - 1)]
    b = [rng.standard_normal(layers[h + 1]) * 0.3 for h in range(len(layers) - 1)]  # shape (n,)
    return W, b


def _batch(seed=1, layers=LAYERS, B=B):
    rng = _rng(seed)
    X = rng.standard_normal((layers[0], B))
    T = np.eye(layers[-1])[:, rng.integers(0, layers[-1], B)]
    return X, T


def _cfg(rule, **kw):
    kw.setdefault("hidden", LAYERS[1:-1])
    kw.setdefault("dtype", "float64")
    kw.setdefault("lr", LR)
    kw.setdefault("lr_decay", 0.0)
    return TrainConfig(rule=rule, dataset="teacher", **kw)


def _net(rule, layers=LAYERS, **inject):
    cfg_kw = inject.pop("cfg", {})
    return Network(_cfg(rule, hidden=layers[1:-1], **cfg_kw), layers[0], layers[-1], **inject)


# -- the reference, one example at a time ---------------------------------------------------

def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _reference(signal, W, b, X, T, lr=LR):
    """Per-example sums written out: ``signal(h, deltas, o)`` is the hidden backward signal
    before f' (h 0-based: the signal arriving at hidden layer h+1). Returns (dA, db, dC_kp)."""
    L = len(W)
    dA = [np.zeros_like(A) for A in W]
    db = [np.zeros(A.shape[0]) for A in W]
    dC = [np.zeros((W[h].shape[0], W[h + 1].shape[0])) for h in range(L - 1)]
    n_ex = X.shape[1]
    for n in range(n_ex):
        o = [X[:, n]]
        for h in range(L):
            s = W[h] @ o[-1] + b[h]
            o.append(np.tanh(s) if h < L - 1 else _softmax(s))
        d = [None] * L
        d[L - 1] = T[:, n] - o[L]
        for h in range(L - 2, -1, -1):
            d[h] = (1.0 - o[h + 1] ** 2) * signal(h, d, o)
        for h in range(L):
            dA[h] += lr / n_ex * np.outer(d[h], o[h])
            db[h] += lr / n_ex * d[h]
        for h in range(L - 1):  # Kolen-Pollack: C_h learns O_h delta_{h+1}^T = (dA_{h+1})^T
            dC[h] += lr / n_ex * np.outer(o[h + 1], d[h + 1])
    return dA, db, dC


def _close(got, want, tol=1e-13):
    for g, w in zip(got, want):
        g = np.asarray(g).reshape(np.shape(w))
        err = np.max(np.abs(g - w)) / max(1.0, np.max(np.abs(w)))
        assert err <= tol, f"worst relative error {err:.2e} > tolerance {tol:.0e}"


def _sign_feedback(W, mags):
    return [M * np.sign(W[h + 1].T) for h, M in enumerate(mags)]


def _glorot(shape):
    return np.sqrt(2.0 / (shape[0] + shape[1]))


# -- the papers' updates --------------------------------------------------------------------

def test_fa_updates_match_the_per_example_formula():
    W, b = _params()
    C = [_rng(5).standard_normal((LAYERS[h + 1], LAYERS[h + 2])) for h in range(2)]
    X, T = _batch()
    u = _net("rbp", weights=W, biases=b, feedback=C).batch_updates(X, T)
    dA, db, _ = _reference(lambda h, d, o: C[h] @ d[h + 1], W, b, X, T)
    _close(u.dA, dA)
    _close(u.db, db)
    assert u.dC == []


def test_dfa_updates_match_the_per_example_formula():
    W, b = _params()
    C = [_rng(6).standard_normal((LAYERS[h + 1], LAYERS[-1])) for h in range(2)]  # N_h x N_L
    X, T = _batch()
    u = _net("srbp", weights=W, biases=b, feedback=C).batch_updates(X, T)
    dA, db, _ = _reference(lambda h, d, o: C[h] @ d[-1], W, b, X, T)
    _close(u.dA, dA)
    _close(u.db, db)


def test_usf_updates_use_glorot_scaled_signs_of_the_forward_weights():
    W, b = _params()
    X, T = _batch()
    net = _net("usf", weights=W, biases=b)
    mags = [_glorot((LAYERS[h + 1], LAYERS[h + 2])) for h in range(2)]
    C = _sign_feedback(W, mags)
    dA, db, _ = _reference(lambda h, d, o: C[h] @ d[h + 1], W, b, X, T)
    u = net.batch_updates(X, T)
    _close(u.dA, dA)
    _close(u.db, db)


def test_frsf_updates_use_the_injected_fixed_magnitudes():
    W, b = _params()
    X, T = _batch()
    R = [np.abs(_rng(7 + h).standard_normal((LAYERS[h + 1], LAYERS[h + 2]))) for h in range(2)]
    net = _net("frsf", weights=W, biases=b, magnitudes=R)
    C = _sign_feedback(W, R)
    dA, db, _ = _reference(lambda h, d, o: C[h] @ d[h + 1], W, b, X, T)
    _close(net.batch_updates(X, T).dA, dA)
    net.step(X, T)  # frSF: the magnitudes stay, the signs follow the new A
    W1 = net.weights
    _close(net.feedback, _sign_feedback(W1, R), tol=0)


def test_brsf_draws_new_magnitudes_for_every_batch():
    W, b = _params()
    X, T = _batch()
    calls = []

    def magnitudes(h, shape):
        m = np.abs(_rng(100 + len(calls)).standard_normal(shape))
        calls.append((h, shape, m))
        return m

    net = _net("brsf", weights=W, biases=b, magnitudes=magnitudes)
    assert [c[:2] for c in calls] == [(0, (5, 3)), (1, (3, 3))]  # the first batch's draw
    first = [c[2] for c in calls]
    C = _sign_feedback(W, first)
    dA, db, _ = _reference(lambda h, d, o: C[h] @ d[h + 1], W, b, X, T)
    u = net.batch_updates(X, T)
    _close(u.dA, dA)
    _close(net.batch_updates(X, T).dA, dA)  # no draw without a step
    net.step(X, T)
    assert len(calls) == 4  # one draw per step, for the next batch
    second = [c[2] for c in calls[2:]]
    W1 = net.weights
    _close(net.feedback, _sign_feedback(W1, second), tol=0)
    C1 = _sign_feedback(W1, second)
    b1 = [x.ravel() for x in net.biases]
    dA1, _, _ = _reference(lambda h, d, o: C1[h] @ d[h + 1], W1, b1, X, T)
    _close(net.batch_updates(X, T).dA, dA1)


@pytest.mark.parametrize("order", ["after", "before"])
def test_kolen_pollack_updates_and_decay_order(order):
    W, b = _params()
    C = [_rng(5).standard_normal((LAYERS[h + 1], LAYERS[h + 2])) for h in range(2)]
    X, T = _batch()
    wd = 0.3
    net = _net("kolen-pollack", weights=W, biases=b, feedback=C,
               cfg={"weight_decay": wd, "weight_decay_order": order})
    dA, db, dC = _reference(lambda h, d, o: C[h] @ d[h + 1], W, b, X, T)
    u = net.batch_updates(X, T)
    _close(u.dA, dA)
    _close(u.db, db)
    _close(u.dC, dC)
    for h in range(len(dC)):  # dC_h = (dA_{h+1})^T
        assert np.allclose(dC[h], dA[h + 1].T, rtol=1e-13, atol=1e-15)
    net.step(X, T)
    keep = 1.0 - LR * wd
    if order == "after":  # linrbp: W <- (1 - lr wd)(W + lr dW)
        A_new = [keep * (A + d) for A, d in zip(W, dA)]
        C_new = [keep * (c + d) for c, d in zip(C, dC)]
    else:  # Akrout et al. 2019: W <- W + lr dW - lr wd W
        A_new = [A + d - LR * wd * A for A, d in zip(W, dA)]
        C_new = [c + d - LR * wd * c for c, d in zip(C, dC)]
    _close(net.weights, A_new, 1e-14)
    _close(net.feedback, C_new, 1e-14)
    _close([x.ravel() for x in net.biases], [x + d for x, d in zip(b, db)], 1e-14)  # biases do not decay
    # under both orders C_h - A_{h+1}^T shrinks by exactly (1 - lr wd)
    for h in range(2):
        assert np.allclose(net.feedback[h] - net.weights[h + 1].T, keep * (C[h] - W[h + 1].T), atol=1e-14)


def test_kolen_pollack_orders_differ_by_lr_squared_wd():
    W, b = _params()
    C = [_rng(5).standard_normal((LAYERS[h + 1], LAYERS[h + 2])) for h in range(2)]
    X, T = _batch()
    wd = 0.3
    nets = {o: _net("kolen-pollack", weights=W, biases=b, feedback=C,
                    cfg={"weight_decay": wd, "weight_decay_order": o}) for o in ("after", "before")}
    u = nets["after"].batch_updates(X, T)
    for net in nets.values():
        net.step(X, T)
    for h in range(3):  # (1 - lr wd)(W + lr dW) - (W + lr dW - lr wd W) = -lr wd (lr dW)
        diff = nets["after"].weights[h] - nets["before"].weights[h]
        assert np.abs(diff).max() > 0
        assert np.allclose(diff, -LR * wd * u.dA[h], rtol=1e-9, atol=1e-16)


def test_weight_mirror_updates_and_mirror_phase_with_injected_noise():
    W, b = _params()
    C = [_rng(5).standard_normal((LAYERS[h + 1], LAYERS[h + 2])) for h in range(2)]
    X, T = _batch()
    noise = {}

    def mirror_noise(h, shape):
        noise[h] = _rng(50 + h).standard_normal(shape)
        return noise[h]

    net = _net("weight-mirror", weights=W, biases=b, feedback=C, mirror_noise=mirror_noise)
    dA, db, _ = _reference(lambda h, d, o: C[h] @ d[h + 1], W, b, X, T)
    u = net.batch_updates(X, T)
    _close(u.dA, dA)
    assert u.dC == []  # the feedback learns in the mirror phase, not from the batch
    net.step(X, T)
    A_new = [A + d for A, d in zip(W, dA)]
    _close(net.weights, A_new, 1e-14)
    eta, nb = FAMILY["weight-mirror"].defaults["mirror_lr"], FAMILY["weight-mirror"].defaults["mirror_batch"]
    for h in range(2):
        x = noise[h]
        assert x.shape == (LAYERS[h + 1], nb)
        want = (1 - eta) * C[h] + eta / nb * x @ (A_new[h + 1] @ x).T  # the mirror uses the new A
        _close([net.feedback[h]], [want], 1e-13)


# -- building every rule -----------------------------------------------------------------------

def test_network_builds_the_rule_it_is_given():
    W, b = _params()
    X, T = _batch()
    for rule in TRAIN_RULES:
        if rule == "kickback":
            continue
        net = _net(rule, weights=W, biases=b)
        assert isinstance(net, Network)
        assert (type(net) is Network) == (rule not in FAMILY), rule
        if rule in FAMILY:
            # same weights, same seed: one step of the family rule and one of its base rule
            # (whose backward pass it borrows) leave different networks behind
            base = _net(FAMILY[rule].base, weights=W, biases=b)
            net.step(X, T)
            base.step(X, T)
            state = lambda n: np.concatenate([a.ravel() for a in n.weights + list(n.feedback)])
            assert len(state(net)) != len(state(base)) or not np.allclose(state(net), state(base)), rule
    kb = _net("kickback", layers=(4, 5, 3, 2), cfg={"activation": "relu", "output": "linear"})
    assert type(kb) is not Network and kb.weights[-1].shape == (1, 3)  # one linear output


def test_sign_family_ignores_no_injected_feedback_and_wrong_injections_are_one_line():
    W, b = _params()
    C = [np.ones((5, 3)), np.ones((3, 3))]
    cases = [
        ("usf", {"feedback": C}, "feedback"),
        ("rbp", {"magnitudes": C}, "magnitudes"),
        ("usf", {"magnitudes": C}, "magnitudes"),
        ("brsf", {"magnitudes": C}, "magnitudes"),
        ("frsf", {"magnitudes": [-np.ones((5, 3)), np.ones((3, 3))]}, r"magnitudes\[0\]"),
        ("frsf", {"magnitudes": [np.ones((3, 5)), np.ones((3, 3))]}, r"magnitudes\[0\]"),
        ("rbp", {"mirror_noise": lambda h, s: np.ones(s)}, "mirror_noise"),
        ("bp", {"feedback": C}, "feedback"),
        ("dtp", {"feedback": C}, "feedback"),
        ("rbp", {"feedback": [np.ones((3, 5)), np.ones((3, 3))]}, r"feedback\[0\]"),
        ("rbp", {"feedback": C[:1]}, "feedback"),
        ("rbp", {"weights": [W[0].T, W[1], W[2]]}, r"weights\[0\]"),
        ("rbp", {"weights": W[:2]}, "weights"),
    ]
    for rule, kw, msg in cases:
        with pytest.raises(InputError, match=msg):
            _net(rule, **kw)
    with pytest.raises(InputError, match="mirror_noise"):
        _net("weight-mirror", mirror_noise=lambda h, s: np.ones((s[0], s[1] + 1))).step(*_batch())


def test_biases_of_shape_n_or_n1_only():
    W, b = _params()
    X, T = _batch()
    flat = _net("bp", weights=W, biases=b).batch_updates(X, T)
    col = _net("bp", weights=W, biases=[x[:, None] for x in b]).batch_updates(X, T)
    _close(flat.dA, col.dA, tol=0)
    for bad in (np.ones((5, B)), np.ones((1, 5)), np.ones((5, 2)), np.ones(4), np.ones((5, 1, 1))):
        with pytest.raises(InputError, match=r"biases\[0\] \(b_1\): expected shape \(5,\) or \(5, 1\)"):
            _net("bp", weights=W, biases=[bad] + b[1:])
    with pytest.raises(InputError, match="bias=False"):
        _net("bp", biases=b, cfg={"bias": False})
    net = _net("bp")
    for X_bad, T_bad, msg in ((X.T, T, "X"), (X, T[:, :3], "T"), (X, T[:2], "T")):
        with pytest.raises(InputError, match=f"^{msg}: expected shape"):
            net.batch_updates(X_bad, T_bad)


def test_the_callers_arrays_are_never_changed():
    W, b = _params()
    C = [_rng(5).standard_normal((LAYERS[h + 1], LAYERS[h + 2])) for h in range(2)]
    R = [np.abs(c) for c in C]
    X, T = _batch()
    saved = [a.copy() for a in W + b + C + R + [X, T]]
    for rule, kw in (("rbp", {"feedback": C}), ("arbp", {"feedback": C}), ("kolen-pollack", {"feedback": C}),
                     ("weight-mirror", {"feedback": C}), ("frsf", {"magnitudes": R}), ("usf", {})):
        net = _net(rule, weights=W, biases=b, **kw)
        for _ in range(3):
            net.step(X, T)
        assert not any(np.shares_memory(p, q) for p in net.weights + net.biases + list(net.feedback)
                       for q in W + b + C + R)
    for a, s in zip(W + b + C + R + [X, T], saved):
        assert np.array_equal(a, s)


STEP_RULES = ["bp", "rbp", "srbp", "arbp", "asrbp", "top-only", "sign-symmetry", "usf", "brsf", "frsf"]


@pytest.mark.parametrize("rule", STEP_RULES)
def test_step_applies_exactly_batch_updates(rule):
    W, b = _params()
    X, T = _batch()
    net = _net(rule, weights=W, biases=b, cfg={"lr_decay": 1e-2})
    for _ in range(3):  # later steps too: the learning rate decays
        A0, b0, C0 = ([a.copy() for a in net.weights], [a.copy() for a in net.biases],
                      [a.copy() for a in net.feedback])
        u = net.batch_updates(X, T)
        net.step(X, T)
        for h in range(3):
            want = A0[h] if u.dA[h] is None else A0[h] + u.dA[h]
            assert np.array_equal(net.weights[h], want)
            assert np.array_equal(net.biases[h], b0[h] if u.db[h] is None else b0[h] + u.db[h])
        if u.dC:
            for h in range(2):
                assert np.array_equal(net.feedback[h], C0[h] + u.dC[h])
    assert net.t == 3


def test_alignment_after_a_step_uses_the_current_signs():
    W, b = _params()
    W[1][0, :] = 1e-4 * np.array([1.0, -1.0, 1.0, -1.0, 1.0])  # tiny entries of A_2: a step flips some
    X, T = _batch()
    net = _net("usf", weights=W, biases=b, cfg={"lr": 2.0})
    net.step(X, T)
    A2 = net.weights[1]
    assert (np.sign(A2) != np.sign(W[1])).any()  # the step did flip a sign
    C1 = net.feedback[0]
    assert np.array_equal(np.sign(C1), np.sign(A2.T))
    # cos(s sign(A), A) = sum |A| / (sqrt(#nonzero) ||A||)
    a = np.abs(A2).ravel()
    want = np.degrees(np.arccos(a.sum() / (np.sqrt(np.count_nonzero(a)) * np.linalg.norm(a))))
    got = net.alignment(X, T)["feedback_vs_forward"]["C_1"]
    assert abs(got - want) < 1e-9, (got, want)
    assert abs(angle_degrees(C1, A2.T) - want) < 1e-9


# -- sigmoid output with binary cross-entropy ---------------------------------------------------

def _loss_written_out(net, X, T):
    """-mean_n sum_k [T log O + (1 - T) log(1 - O)] from the weights, O = 1 / (1 + e^-S)."""
    O = X
    L = len(net.weights)
    for h, (A, b) in enumerate(zip(net.weights, net.biases)):
        S = A @ O + b
        O = np.tanh(S) if h < L - 1 else 1.0 / (1.0 + np.exp(-S))
    return float(-np.mean(np.sum(T * np.log(O) + (1 - T) * np.log(1 - O), axis=0))), O


def test_sigmoid_output_gradient_matches_finite_differences():
    W, b = _params()
    X, _ = _batch()
    T = (_rng(3).random((LAYERS[-1], B)) < 0.5).astype(float)  # several labels per example
    net = _net("bp", weights=W, biases=b, cfg={"output": "sigmoid"})
    loss, O = _loss_written_out(net, X, T)
    assert np.allclose(net.forward(X)[-1], O, rtol=1e-14)
    assert abs(net.loss(X, T) - loss) < 1e-13
    u = net.batch_updates(X, T)
    eps, worst = 1e-6, 0.0
    for params, upd in ((net.weights, u.dA), (net.biases, u.db)):
        for P, U in zip(params, upd):
            for idx in np.ndindex(P.shape):
                old = P[idx]
                P[idx] = old + eps
                up = _loss_written_out(net, X, T)[0]
                P[idx] = old - eps
                down = _loss_written_out(net, X, T)[0]
                P[idx] = old
                fd = -(up - down) / (2 * eps)  # the update is lr times minus the gradient
                worst = max(worst, abs(fd - U[idx] / LR))
    assert worst < 1e-8, f"worst |finite difference - update / lr| {worst:.2e} > 1e-8"


def test_sigmoid_output_trains_from_the_cli(tmp_path, capsys):
    from linrbp.cli import main
    out = tmp_path / "r.json"
    assert main(["train", "--output", "sigmoid", "--dataset", "teacher", "--epochs", "2", "--hidden", "16",
                 "--no-progress", "--json", str(out)]) == 0
    import json
    res = json.loads(out.read_text())
    assert res["config"]["output"] == "sigmoid" and res["test_accuracy"] > 0.4  # 4 classes: chance 0.25


def test_old_configurations_load_and_the_decay_order_is_kolen_pollack_only(capsys):
    old = _cfg("kolen-pollack").to_dict()
    del old["weight_decay_order"]  # a run saved before the field existed
    assert TrainConfig.from_dict(old).weight_decay_order == "after"
    for kw, msg in (({"rule": "rbp", "weight_decay_order": "before"}, "weight-decay-order"),
                    ({"rule": "kolen-pollack", "weight_decay_order": "sideways"}, "weight-decay-order"),
                    ({"rule": "bp", "output": "sigmoidal"}, "output")):
        with pytest.raises(InputError, match=msg):
            TrainConfig(dataset="teacher", **kw)
    from linrbp.cli import main
    assert main(["train", "--rule", "usf", "--weight-decay-order", "before", "--dataset", "teacher"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "weight-decay-order" in err[0]


def test_the_documentation_example_runs():
    import re
    from pathlib import Path
    text = (Path(__file__).parent.parent / "docs" / "trainer-library.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    env = {}
    exec("\n".join(blocks), env)
    net, u, X, T = env["net"], env["u"], env["X"], env["T"]
    # the example's network is RBP with the given C_1: check its first update by hand
    A, b, C = env["A"], env["b"], env["C"]
    O1 = np.tanh(A[0] @ X + b[0][:, None])
    S2 = A[1] @ O1 + b[1][:, None]
    P = np.exp(S2 - S2.max(axis=0)) / np.exp(S2 - S2.max(axis=0)).sum(axis=0)
    d1 = (1 - O1 ** 2) * (C[0] @ (T - P))
    assert np.allclose(u.dA[0], 0.1 * d1 @ X.T / X.shape[1], rtol=1e-13, atol=1e-16)
    assert set(env["angles"]) >= {"update_vs_bp", "feedback_vs_forward"}


# -- the alignment record does not depend on the BLAS thread count ------------------------------

def test_alignment_is_the_same_bits_on_one_or_two_blas_threads():
    """The executors differ in BLAS threads (Dask workers run one); the records must not.

    Measured before the fix: the probe's float32 updates moved the angles in the 8th digit
    between one and two OpenBLAS threads.
    """
    from linrbp.core._resources import blas_thread_setters
    from linrbp.trainer import one_hot, teacher_task

    setters = blas_thread_setters()
    if not setters:
        pytest.skip("no OpenBLAS with a per-thread setter in this process")
    ds = teacher_task(seed=0, n_train=2000, n_test=10)
    X, T = ds.x_train.T, one_hot(ds.y_train, ds.n_classes, np.float32).T
    net = Network(TrainConfig(rule="rbp", dataset="teacher", hidden=(100, 100, 100)), ds.n_in, ds.n_classes)
    got = {}
    for threads in (1, 2):
        old = [fn(threads) for fn in setters]
        try:
            got[threads] = net.alignment(X, T)
        finally:
            for fn, n in zip(setters, old):
                fn(n)
    assert got[1] == got[2]
    assert all(v is not None for v in got[1]["update_vs_bp"].values())
