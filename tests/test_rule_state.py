"""Rules with extra state (issue 26, part 1): the learned-gain rule of docs/examples/learned_gain.py
(B_h = g_h C_h, g_h learned) through the field, the derivation, the integrators, instance files,
invariants and fixed points, and the trainer; each number against an independent route."""

import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import linrbp
from linrbp import DataStats, InputError, LinearSystem, integrate_batch, parse_instance

ROOT = Path(__file__).resolve().parents[1]
RULES_FILE = ROOT / "docs" / "examples" / "learned_gain.py"
runpy.run_path(str(RULES_FILE))  # registers learned-gain


def _data(seed, layers, m=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(layers[0], m))
    Y = rng.normal(size=(layers[-1], layers[0])) @ X + 0.3 * rng.normal(size=(layers[-1], m))
    A = [0.6 * rng.normal(size=(layers[h], layers[h - 1])) for h in range(1, len(layers))]
    C = [rng.normal(size=(layers[h], layers[h + 1])) for h in range(1, len(layers) - 1)]
    g = [np.array([[x]]) for x in rng.uniform(0.5, 1.5, size=len(layers) - 2)]
    return X, Y, A, C, g


def _per_example_mean(X, Y, A, C, g, decay=0.0):
    """The learned-gain rule written out by hand, example by example, then averaged."""
    L = len(A)
    tot_A = [np.zeros_like(W) for W in A]
    tot_g = [0.0] * (L - 1)
    for n in range(X.shape[1]):
        O = [X[:, n:n + 1]]
        for W in A:
            O.append(W @ O[-1])
        d = [None] * L
        d[L - 1] = Y[:, n:n + 1] - O[-1]
        for h in range(L - 2, -1, -1):
            d[h] = g[h][0, 0] * C[h] @ d[h + 1]
        for h in range(L):
            tot_A[h] += d[h] @ O[h].T
        for h in range(L - 1):
            tot_g[h] += float(np.sum(C[h] * (O[h + 1] @ d[h + 1].T)))
    m = X.shape[1]
    return [T / m for T in tot_A], [t / m - decay * g[h][0, 0] for h, t in enumerate(tot_g)]


@pytest.mark.parametrize("layers", [(3, 4, 2), (1, 2, 2, 1)])
def test_field_derivation_and_generated_code_equal_the_mean_of_per_example_updates(layers):
    X, Y, A, C, g = _data(1, layers)
    decay = 0.3
    rule = linrbp.get_rule("learned-gain").with_parameters(gain_decay=decay)
    stats = DataStats.from_samples(X, Y)
    system = LinearSystem.create(list(layers), rule, stats, C)
    hand_A, hand_g = _per_example_mean(X, Y, A, C, g, decay)
    hand = np.concatenate([M.ravel() for M in hand_A] + [np.array(hand_g)])
    y = system.pack(A, None, g)
    # the averaged field (numpy), the generated straight-line code, the symbolic derivation
    f_numpy = system(y)
    f_gen = system.transposed_field(y[:, None])[:, 0]
    from linrbp.symbolic import derive_ode
    ode = derive_ode(list(layers), rule)
    values = {}
    for k, Cm in enumerate(C, 1):
        values.update({f"c{k}_{i + 1}{j + 1}": v for (i, j), v in np.ndenumerate(Cm)})
    values.update({f"sII_{i + 1}{j + 1}": v for (i, j), v in np.ndenumerate(stats.sigma_ii)})
    values.update({f"sTI_{i + 1}{j + 1}": v for (i, j), v in np.ndenumerate(stats.sigma_ti)})
    f_sym = np.array(ode.lambdify()(y, *[values[str(q)] for q in ode.parameters]), dtype=float)
    for name, f in (("numpy field", f_numpy), ("generated code", f_gen), ("derivation", f_sym)):
        err = np.abs(f - hand).max()
        assert err < 1e-11 * (1 + np.abs(hand).max()), (name, err)
    assert [str(s) for s in ode.states[-(len(layers) - 2):]] == [f"g{h}" for h in range(1, len(layers) - 1)]


def test_trainer_step_equals_the_field_on_finite_data():
    from linrbp.trainer import Network, TrainConfig

    layers = (3, 4, 2)
    X, Y, A, C, g = _data(2, layers, m=30)
    cfg = TrainConfig(rule="learned-gain", hidden=(4,), activation="linear", output="linear", bias=False,
                      dtype="float64", lr=0.05, lr_decay=0.0, seed=0, dataset="teacher")
    net = Network(cfg, 3, 2, weights=A, feedback=C, state=g)
    u = net.batch_updates(X, Y)
    system = LinearSystem.create(list(layers), "learned-gain", DataStats.from_samples(X, Y), C)
    dA, _, dX = system.velocity(A, None, g)
    assert max(np.abs(a / 0.05 - b).max() for a, b in zip(u.dA, dA)) < 1e-12
    assert max(np.abs(a / 0.05 - b).max() for a, b in zip(u.dX, dX)) < 1e-12
    net.apply_updates(u)
    assert abs(net.state[0][0, 0] - (g[0][0, 0] + 0.05 * dX[0][0, 0])) < 1e-15
    with pytest.raises(InputError, match="state"):
        Network(cfg, 3, 2, state=[np.ones((2, 2))])


def _instance(state=None, t_max=200):
    d = {"layers": [2, 3, 2], "rule": "learned-gain", "sigma_ii": [[1, 0.2], [0.2, 1]],
         "sigma_ti": [[1, 0.5], [-0.3, 0.8]], "feedback": [[[0.5, -0.2], [0.3, 0.8], [-0.6, 0.4]]],
         "weights": [[[0.1, 0.0], [0.0, 0.1], [0.05, -0.05]], [[0.1, 0.0, 0.02], [0.0, 0.1, 0.0]]],
         "t_max": t_max}
    if state is not None:
        d["state"] = state
    return d


def test_instance_files_carry_the_state_and_the_conserved_quantity_holds():
    inst = parse_instance(_instance({"g": [0.5]}))
    assert inst.state[0][0, 0] == 0.5 and parse_instance(_instance()).state[0][0, 0] == 1.0
    assert parse_instance(inst.to_dict()).state[0][0, 0] == 0.5
    for bad, msg in (({"h": [1]}, "no state variable 'h'"), ({"g": [1, 2]}, "list of 1 values"),
                     ({"g": ["x"]}, "state.g")):
        with pytest.raises(InputError, match=msg):
            parse_instance(_instance(bad))
    with pytest.raises(InputError, match="no state variables"):
        parse_instance({**_instance(), "rule": "rbp", "state": {"g": [1]}})
    # <A_2, C_1^T> - g_1 is conserved (dA_2 = E A_1^T, dg_1 = <C_1, A_1 E^T>): at finite times
    from linrbp import integrate
    system = inst.system
    C = inst.feedback[0]
    ys = [inst.y0]
    for t in (1.0, 3.0, 5.0):
        ys.append(integrate(system, inst.y0, t, rtol=1e-11).y[0])
    inv = [float(np.sum(system.unpack(y)[0][1] * C.T) - system.unpack_state(y)[0][0, 0]) for y in ys]
    assert max(abs(v - inv[0]) for v in inv) < 1e-8, inv
    assert abs(system.unpack_state(ys[-1])[0][0, 0] - 0.5) > 0.1  # the gain did move


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_compiled_backends_run_the_extra_state(backend):
    pytest.importorskip(backend)
    inst = parse_instance(_instance({"g": [0.5]}))
    rng = np.random.default_rng(0)
    Y0 = inst.y0[None] + 0.05 * rng.normal(size=(6, inst.system.n_state))
    ref = integrate_batch(inst.system, Y0, 3.0, rtol=1e-10)
    out = integrate_batch(inst.system, Y0, 3.0, rtol=1e-10, backend=backend)
    assert np.abs(out.y - ref.y).max() < 1e-8


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "linrbp", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_rules_file_through_simulate_derive_and_train(tmp_path):
    f = tmp_path / "g.json"
    f.write_text(json.dumps(_instance({"g": [0.5]})))
    out = tmp_path / "out.json"
    r = _cli("simulate", f, "--rules", RULES_FILE, "--json", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["status"] == "converged" and res["excess_loss"] < 1e-12
    # the gain at the limit: the conserved <A_2, C_1^T> - g_1 gives it from the final A_2
    C = np.array(_instance()["feedback"][0])
    A2_0 = np.array(_instance()["weights"][1])
    g_end = float(np.sum(np.array(res["weights"][1]) * C.T) - (np.sum(A2_0 * C.T) - 0.5))
    assert abs(res["state"]["g"][0] - g_end) < 1e-8
    d = _cli("derive", "--instance", f, "--rules", RULES_FILE, "--invariants", "--degree", "1")
    assert d.returncode == 0, d.stderr
    assert "- 2*g1" in d.stdout and "verified" in d.stdout  # <A_2, C_1^T> - g_1, scaled
    out3 = tmp_path / "train.json"
    t = _cli("train", "--rules", RULES_FILE, "--rule", "learned-gain", "--dataset", "teacher", "--epochs", "1",
             "--hidden", "8", "--seed", "3", "--no-progress", "--limit-train", "500", "--limit-test", "100",
             "--json", out3)
    assert t.returncode == 0, t.stderr
    tr = json.loads(out3.read_text())
    assert len(tr["state"]["g"]) == 1 and tr["state"]["g"][0] != 1.0


def test_torch_trainer_runs_the_extra_state_as_numpy_does():
    pytest.importorskip("torch")
    from linrbp.trainer import Network, TrainConfig

    cfg = TrainConfig(rule="learned-gain", hidden=(4,), activation="tanh", output="linear", bias=True,
                      dtype="float64", lr=0.05, lr_decay=0.0, seed=0, dataset="teacher")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 20)), rng.normal(size=(2, 20))
    a, b = Network(cfg, 3, 2), Network(cfg, 3, 2, device="cpu")
    for _ in range(3):
        a.step(X, Y)
        b.step(X, Y)
    assert abs(float(a.state[0][0, 0]) - float(b.state[0][0, 0])) < 1e-12
    assert float(a.state[0][0, 0]) != 1.0
