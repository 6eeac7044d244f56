"""Rules as open data (issue 14 section 1): a rule stated here, outside the package, through the
public API only, derives, integrates, simulates (``python3 -m linrbp simulate --rules``) and
trains; the family's averaged rules against hand-written formulas; bad rule input.

This file is also a ``--rules`` file: importing it registers ``mixed-feedback``.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import linrbp
from linrbp import DataStats, InputError, LinearSystem, Parameter, Rule, integrate, integrate_batch
from linrbp.core._rules import transpose  # the matrix protocol's transpose (numpy batches, sympy)

HERE = Path(__file__).resolve()

# -- a brand-new rule: feedback that mixes the transpose and a fixed random matrix --------------
#   delta_h = ((1 - m) C_h + m A_{h+1}^T) delta_{h+1},   dA_h/dt = ... - s A_h (a weight "shrink")
MIXED = Rule(
    "mixed-feedback", channel="custom", source="next", feedback="next",
    title="feedback (1 - m) C_h + m A_{h+1}^T", reference="tests/test_open_rules.py",
    parameters=(Parameter("mix", 0.5, "share m of the transpose in the feedback", "m", 0.0, 1.0),
                Parameter("shrink", 0.0, "decay s of the weights", "s")),
    backward=lambda h, A, C, p: C[h] * (1 - p["mix"]) + transpose(A[h + 1]) * p["mix"],
    weight_drift=lambda h, A, C, p: None if p["shrink"] == 0 else A[h] * (-p["shrink"]),
)
linrbp.register_rule(MIXED, replace_existing=True)


def hand_field(A1, A2, C1, S_II, S_TI, m, s):
    """The mixed rule's averaged field on A[N0, N1, N2], written out by hand."""
    E = S_TI - A2 @ A1 @ S_II
    B = (1 - m) * C1 + m * A2.T
    return B @ E - s * A1, E @ A1.T - s * A2


def _problem(seed=0, layers=(3, 4, 2)):
    rng = np.random.default_rng(seed)
    n0, n1, n2 = layers
    M = rng.normal(size=(n0, n0))
    S = M @ M.T / n0 + 0.5 * np.eye(n0)
    T = rng.normal(size=(n2, n0))
    A1, A2 = 0.5 * rng.normal(size=(n1, n0)), 0.5 * rng.normal(size=(n2, n1))
    C1 = rng.normal(size=(n1, n2))
    return S, T, A1, A2, C1


def test_a_rule_stated_outside_the_package_gives_its_field():
    S, T, A1, A2, C1 = _problem()
    rule = linrbp.get_rule("mixed-feedback").with_parameters(mix=0.3, shrink=0.2)
    system = LinearSystem.create([3, 4, 2], rule, DataStats(S, T), [C1])
    dA, _ = system.velocity([A1, A2])
    h1, h2 = hand_field(A1, A2, C1, S, T, 0.3, 0.2)
    assert np.abs(dA[0] - h1).max() < 1e-13 and np.abs(dA[1] - h2).max() < 1e-13
    # the generated straight-line field and the vectorised one agree on a batch
    Y = np.random.default_rng(1).normal(size=(5, system.n_state))
    assert system._compiled_field() is not None
    assert np.abs(system.transposed_field(Y.T).T - system(Y)).max() < 1e-12


def test_derived_symbolically_matches_the_hand_field():
    from linrbp.symbolic import derive_ode

    s = derive_ode([2, 3, 2], linrbp.get_rule("mixed-feedback").symbolic())
    m, sh = sp.Symbol("m", real=True, nonnegative=True), sp.Symbol("s", real=True, nonnegative=True)
    assert {m, sh} <= set(s.parameters)
    S, T, A1, A2, C1 = _problem(2, (2, 3, 2))
    vals = {**{x: v for x, v in zip(s.weights[0], A1.ravel())}, **{x: v for x, v in zip(s.weights[1], A2.ravel())},
            **{x: v for x, v in zip(s.feedback[0], C1.ravel())}, m: 0.3, sh: 0.7}
    Sm, Tm = s.moments["S_II"], s.moments["S_TI"]
    vals.update({Sm[i, j]: S[i, j] for i in range(2) for j in range(2)})
    vals.update({Tm[i, j]: T[i, j] for i in range(2) for j in range(2)})
    got = np.array([float(f.subs(vals)) for f in s.field])
    h1, h2 = hand_field(A1, A2, C1, S, T, 0.3, 0.7)
    assert np.abs(got - np.concatenate([h1.ravel(), h2.ravel()])).max() < 1e-12


def test_integrated_path_matches_scipy_on_the_hand_field():
    from scipy.integrate import solve_ivp

    S, T, A1, A2, C1 = _problem(3)
    rule = linrbp.get_rule("mixed-feedback").with_parameters(mix=0.6, shrink=0.05)
    system = LinearSystem.create([3, 4, 2], rule, DataStats(S, T), [C1])
    y0 = system.pack([A1, A2])

    def f(t, y):
        a1, a2 = y[:12].reshape(4, 3), y[12:].reshape(2, 4)
        d1, d2 = hand_field(a1, a2, C1, S, T, 0.6, 0.05)
        return np.concatenate([d1.ravel(), d2.ravel()])

    ref = solve_ivp(f, (0, 3.0), y0, method="DOP853", rtol=1e-12, atol=1e-14).y[:, -1]
    got = integrate(system, y0, 3.0, conv_tol=0.0).y[0]
    batch = integrate_batch(system, np.stack([y0, y0]), 3.0, conv_tol=1e-300).y
    assert np.abs(got - ref).max() < 1e-9 * np.abs(ref).max()
    assert np.abs(batch - ref).max() < 1e-9 * np.abs(ref).max()


def _instance(tmp_path, **kw):
    S, T, A1, A2, C1 = _problem(4)
    d = {"layers": [3, 4, 2], "rule": "mixed-feedback", "sigma_ii": S.tolist(), "sigma_ti": T.tolist(),
         "feedback": [C1.tolist()], "weights": [A1.tolist(), A2.tolist()], "t_max": 2.0, "mix": 0.25}
    d.update(kw)
    p = tmp_path / "inst.json"
    p.write_text(json.dumps(d))
    return p, d


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "linrbp", *map(str, args)], capture_output=True, text=True)


def test_simulate_runs_the_rule_from_a_rules_file(tmp_path):
    f, d = _instance(tmp_path)
    out = tmp_path / "out.json"
    r = _cli("simulate", f, "--rules", HERE, "--json", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["rule"] == "mixed-feedback" and res["parameters"] == {"mix": 0.25, "shrink": 0.0}
    # the CLI's path is the API's (the same rule read from the same file)
    inst = linrbp.parse_instance(d)
    ref = integrate(inst.system, inst.y0, 2.0).y[0]
    W, _ = inst.system.unpack(ref)
    assert max(np.abs(np.array(a) - b).max() for a, b in zip(res["weights"], W)) < 1e-10
    # without --rules the name is unknown: one line, exit 2, nothing written
    out2 = tmp_path / "out2.json"
    r = _cli("simulate", f, "--json", out2)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "unknown rule 'mixed-feedback'" in r.stderr
    assert not out2.exists()


def test_train_runs_the_rule_from_a_rules_file(tmp_path):
    from linrbp.trainer import TrainConfig, train

    out = tmp_path / "train.json"
    r = _cli("train", "--rules", HERE, "--rule", "mixed-feedback", "--dataset", "teacher", "--epochs", "1",
             "--hidden", "8,8", "--seed", "3", "--no-progress", "--json", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["config"]["rule"] == "mixed-feedback"
    # the CLI's run is the API's run of the same rule (registered here by importing this file)
    ref = train(TrainConfig(rule="mixed-feedback", dataset="teacher", epochs=1, hidden=(8, 8), seed=3),
                progress=False)
    untimed = lambda hist: [{k: v for k, v in h.items() if k != "seconds"} for h in hist]
    assert res["test_accuracy"] == ref["test_accuracy"]
    assert untimed(res["history"]) == untimed(json.loads(json.dumps(ref["history"])))
    # without --rules the name is unknown: one line, exit 2, nothing written
    out2 = tmp_path / "train2.json"
    r = _cli("train", "--rule", "mixed-feedback", "--dataset", "teacher", "--json", out2)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "unknown rule 'mixed-feedback'" in r.stderr
    assert not out2.exists()


def test_the_rule_trains():
    from linrbp.trainer import Network, TrainConfig, train

    # linear units: the trainer's batch-mean step is the averaged field (plus the drift)
    cfg = TrainConfig(rule="mixed-feedback", hidden=(4,), activation="linear", output="linear", bias=False,
                      dtype="float64", seed=0, dataset="teacher")
    net = Network(cfg, 3, 2)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3, 50))
    Y = rng.normal(size=(2, 3)) @ X
    O = net.forward(X)
    dA, _, _ = net.batch_updates(O, net.backward(O, Y))
    system = LinearSystem.create([3, 4, 2], "mixed-feedback", DataStats.from_samples(X, Y), net.feedback)
    vA, _ = system.velocity(net.weights)
    assert max(np.abs(a - b).max() for a, b in zip(dA, vA)) < 1e-12
    # and it learns the teacher task
    res = train(TrainConfig(rule="mixed-feedback", hidden=(20,), epochs=2, dataset="teacher",
                            limit_train=2000, limit_test=500, seed=1), progress=False)
    assert res["history"][-1]["test_accuracy"] > 0.5, res["history"]


def test_trainer_weight_decay_needs_the_rules_parameter():
    from linrbp.trainer import Network, TrainConfig

    with pytest.raises(InputError, match="weight-decay: rule mixed-feedback has no weight decay"):
        TrainConfig(rule="mixed-feedback", hidden=(4,), dataset="teacher", weight_decay=0.1)
    # rbp with weight decay: the trainer's step carries -lambda A_h (linear units, as averaged)
    cfg = TrainConfig(rule="rbp", hidden=(4,), activation="linear", output="linear", bias=False,
                      dtype="float64", seed=0, dataset="teacher", weight_decay=0.25)
    net = Network(cfg, 3, 2)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(3, 30))
    Y = rng.normal(size=(2, 30))
    O = net.forward(X)
    dA, _, _ = net.batch_updates(O, net.backward(O, Y))
    system = LinearSystem.create([3, 4, 2], "rbp", DataStats.from_samples(X, Y), net.feedback,
                                 parameters={"weight_decay": 0.25})
    vA, _ = system.velocity(net.weights)
    assert max(np.abs(a - b).max() for a, b in zip(dA, vA)) < 1e-12


# -- the family's averaged rules against hand-written formulas ----------------------------------
def _single_hidden(seed=7):
    S, T, A1, A2, C1 = _problem(seed)
    E = T - A2 @ A1 @ S
    return S, T, A1, A2, C1, E


@pytest.mark.parametrize("rule", ["bp", "rbp", "srbp", "arbp", "asrbp", "kolen-pollack", "weight-mirror",
                                  "sign-symmetry", "usf", "top-only"])
def test_family_field_on_a_single_hidden_layer(rule):
    S, T, A1, A2, C1, E = _single_hidden()
    lam, kappa = 0.3, 1.7
    params = {"weight_decay": lam} | ({"mirror_rate": kappa} if rule == "weight-mirror" else {})
    r = linrbp.get_rule(rule).with_parameters(**params)
    fb = [C1] if r.uses_feedback else []
    system = LinearSystem.create([3, 4, 2], r, DataStats(S, T), [] if r.adaptive else fb)
    dA, dC = system.velocity([A1, A2], fb)
    B = {"bp": A2.T, "sign-symmetry": np.sign(A2.T), "usf": np.sign(A2.T) * np.sqrt(2 / 6),
         "top-only": np.zeros((4, 2))}.get(rule, C1)
    want1 = B @ E - lam * A1 if rule != "top-only" else np.zeros_like(A1)
    want2 = E @ A1.T - lam * A2
    assert np.abs(dA[0] - want1).max() < 1e-13 and np.abs(dA[1] - want2).max() < 1e-13
    if rule in ("arbp", "asrbp", "kolen-pollack"):
        assert np.abs(dC[0] - ((A1 @ E.T) - lam * C1)).max() < 1e-13
    elif rule == "weight-mirror":
        assert np.abs(dC[0] - kappa * (A2.T - C1)).max() < 1e-13
    else:
        assert dC == []
    # the generated code agrees, and the torch backend where torch is installed
    Y = np.random.default_rng(2).normal(size=(6, system.n_state))
    assert np.abs(system.transposed_field(Y.T).T - system(Y)).max() < 1e-12


@pytest.mark.parametrize("rule", ["kolen-pollack", "weight-mirror", "sign-symmetry", "usf", "top-only"])
def test_torch_backend_runs_the_family(rule):
    pytest.importorskip("torch")
    S, T, A1, A2, C1, _ = _single_hidden(8)
    r = linrbp.get_rule(rule)
    fb = [C1] if r.uses_feedback else []
    system = LinearSystem.create([3, 4, 2], r, DataStats(S, T), [] if r.adaptive else fb)
    y0 = np.stack([system.pack([A1, A2], fb), system.pack([0.5 * A1, A2], fb)])
    a = integrate_batch(system, y0, 2.0, conv_tol=1e-300).y
    b = integrate_batch(system, y0, 2.0, conv_tol=1e-300, backend="torch", device="cpu").y
    assert np.abs(a - b).max() < 1e-10 * np.abs(a).max()


def test_simulate_predicts_the_kolen_pollack_offset_to_1e9(tmp_path):
    S, T, A1, A2, C1 = _problem(9, (3, 4, 2))
    rng = np.random.default_rng(9)
    layers = [3, 4, 3, 2]
    W = [0.6 * rng.normal(size=(layers[h], layers[h - 1])) for h in range(1, 4)]
    C = [rng.normal(size=W[h + 1].T.shape) for h in range(2)]
    d = {"layers": layers, "rule": "kolen-pollack", "weight_decay": 0.4, "sigma_ii": S.tolist(),
         "sigma_ti": rng.normal(size=(2, 3)).tolist(), "feedback": [c.tolist() for c in C],
         "weights": [w.tolist() for w in W], "t_max": 2.5}
    f, out = tmp_path / "kp.json", tmp_path / "out.json"
    f.write_text(json.dumps(d))
    r = _cli("simulate", f, "--json", out)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    pred = res["predicted"]
    assert pred["system"] == "kolen-pollack" and pred["weights"] is None and pred["product"] is None
    t = res["t_end"]
    for h in range(2):
        got = np.array(res["feedback"][h]) - np.array(res["weights"][h + 1]).T
        want = np.exp(-0.4 * t) * (C[h] - W[h + 1].T)
        assert np.allclose(pred["feedback_offset"][h], want, rtol=1e-15, atol=0)
        assert np.abs(got - want).max() / np.abs(want).max() < 1e-9


# -- bad input -----------------------------------------------------------------------------------
def _kp_instance(**kw):
    S, T, A1, A2, C1 = _problem(10)
    d = {"layers": [3, 4, 2], "rule": "kolen-pollack", "sigma_ii": S.tolist(), "sigma_ti": T.tolist(),
         "feedback": [A2.T.tolist()], "weights": [A1.tolist(), A2.tolist()], "t_max": 1.0}
    d.update(kw)
    return d


BAD = [
    ({"rule": "kolen-polack"}, "unknown rule 'kolen-polack' (did you mean 'kolen-pollack'?"),
    ({"sigma_II": [[1.0]]}, "sigma_II: unknown instance key (did you mean 'sigma_ii'?)"),
    ({"t_maxx": 3}, "t_maxx: unknown instance key (did you mean 't_max'?)"),
    ({"weight_decay": -0.1}, "weight_decay: rule kolen-pollack expects a finite number >= 0"),
    ({"weight_decay": "0.1"}, "weight_decay: rule kolen-pollack expects a number"),
    ({"weight_decay": float("nan")}, "weight_decay: rule kolen-pollack expects a finite number"),
    ({"mirror_rate": 1.0}, "mirror_rate: rule kolen-pollack has no parameter 'mirror_rate'"),
    ({"rule": "weight-mirror", "mirror_rate": -2}, "mirror_rate: rule weight-mirror expects a finite number >= 0"),
    ({"rule": "weight-mirror", "mirror_rat": 1}, "mirror_rat: unknown instance key (did you mean 'mirror_rate'?)"),
]


@pytest.mark.parametrize("change,message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_instances_are_input_errors(tmp_path, change, message):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(_kp_instance(**change)))
    with pytest.raises(InputError) as exc:
        linrbp.load_instance(f)
    assert message in str(exc.value)


@pytest.mark.parametrize("change,message", [BAD[0], BAD[1], BAD[3], BAD[6]], ids=["rule", "key", "value", "param"])
def test_bad_instances_exit_2_with_one_line_and_write_nothing(tmp_path, change, message):
    f, out = tmp_path / "bad.json", tmp_path / "out.json"
    f.write_text(json.dumps(_kp_instance(**change)))
    r = _cli("simulate", f, "--json", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert message in r.stderr, r.stderr
    assert not out.exists()


RULE_FILES = {
    "wrong-shape": ("import linrbp\nlinrbp.register_rule(linrbp.Rule('bad-shape', channel='custom', "
                    "feedback='next', backward=lambda h, A, C, p: A[h]))\n",
                    "rule bad-shape: the backward matrix B_h of layer 1 is 4x3 on A[3, 4, 2], expected 4x2"),
    "raises": ("raise RuntimeError('boom')\n", "raised RuntimeError on import: boom"),
    "syntax": ("def (:\n", "syntax error at line 1"),
    "nothing": ("x = 1\n", "registers no rule"),
    "bad-channel": ("import linrbp\nlinrbp.register_rule(linrbp.Rule('odd', channel='sideways'))\n",
                    "rule odd: channel must be one of"),
    "duplicate": ("import linrbp\nlinrbp.register_rule(linrbp.Rule('bp'))\n", "'bp' is already registered"),
}


@pytest.mark.parametrize("case", list(RULE_FILES))
def test_bad_rule_files_exit_2(tmp_path, case):
    src, message = RULE_FILES[case]
    rules = tmp_path / "myrules.py"
    rules.write_text(src)
    d = _kp_instance(rule="bad-shape" if case == "wrong-shape" else "bp")
    if case != "wrong-shape":
        d.pop("feedback")
    f, out = tmp_path / "i.json", tmp_path / "out.json"
    f.write_text(json.dumps(d))
    r = _cli("simulate", f, "--rules", rules, "--json", out)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr, r.stderr
    assert not out.exists()


def test_missing_rules_file_and_bad_derive_rule(tmp_path):
    r = _cli("simulate", tmp_path / "x.json", "--rules", tmp_path / "nope.py")
    assert r.returncode == 2 and "nope.py: no such file" in r.stderr
    r = _cli("derive", "chain", "--rule", "sign-symetry")
    assert r.returncode == 2 and "did you mean 'sign-symmetry'?" in r.stderr


def test_derive_shows_the_family_with_symbolic_parameters():
    r = _cli("derive", "chain", "--rule", "kolen-pollack")
    assert r.returncode == 0, r.stderr
    assert "r1' = -a1**2*a2*beta + a1*alpha - lambda*r1" in r.stdout
    r = _cli("derive", "wide", "--rule", "weight-mirror")
    assert r.returncode == 0 and "c1' = kappa*(b1 - c1)" in r.stdout


def test_api_rule_statement_errors():
    with pytest.raises(InputError, match="source must be"):
        linrbp.register_rule(Rule("x-rule", source="sideways"))
    with pytest.raises(InputError, match="needs a backward"):
        linrbp.register_rule(Rule("x-rule", channel="custom"))
    with pytest.raises(InputError, match="only adaptive rules"):
        linrbp.register_rule(Rule("x-rule", learning="error"))
    with pytest.raises(InputError, match="lowercase"):
        linrbp.register_rule(Rule("X Rule"))
    with pytest.raises(InputError, match="repeat"):
        linrbp.register_rule(Rule("x-rule", parameters=(Parameter("a", 0, ""), Parameter("a", 0, ""))))
    with pytest.raises(InputError, match="unknown parameter|has no parameter 'lamda'"):
        linrbp.get_rule("kolen-pollack").with_parameters(lamda=1)
    assert "x-rule" not in linrbp.RULES
    # a statement inconsistent with the shapes: the API raises what the CLI prints
    bad = Rule("bad-top", channel="feedback", source="top", adaptive=True, feedback="next")
    with pytest.raises(InputError, match="backward matrix B_h of layer 1 is 4x3 on A.2, 4, 3, 2., expected 4x2"):
        LinearSystem.create([2, 4, 3, 2], bad, DataStats(np.eye(2), np.ones((2, 2))))


def test_the_five_rules_are_registrations_like_any_other():
    for name in linrbp.core._rules.BSL_RULES:
        r = linrbp.RULES[name]
        assert isinstance(r, Rule) and r.parameter_values == {"weight_decay": 0.0}
    assert linrbp.RULES["mixed-feedback"] is MIXED
