"""`linrbp sweep` and `--param` with a researcher's own rule (a file in tmp_path, written with
functions and again with lambdas/closures): the draw and the rule's parameter checked against
a hand-written ODE integrated by scipy; the closed form against the integration; the same
records serially and on 2 processes; resume after SIGINT; the limit clustering."""

from __future__ import annotations

import json
import signal
import sys

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from _sweeps_common import cli, records, strip, wait_for_files
from linrbp.cli import main as _main
from linrbp.core._rules import RULES
from linrbp.sweeps._cluster import cluster_limits, product_distance

# dC_1/dt = kappa A_2^T: RBP whose feedback drifts toward the forward weights (the rule)
RULES_FILE = '''
import linrbp
from linrbp import Parameter, Rule, transpose

KAPPA = Parameter("kappa", 1.0, "drift rate of the feedback toward A^T", "kappa", 0.0)


def drift(h, A, C, p):
    return transpose(A[h + 1]) * p["kappa"]


linrbp.register_rule(Rule("drift-def", channel="feedback", source="next", adaptive=True,
                          learning="none", parameters=(KAPPA,), feedback_drift=drift))


def make(name):  # a closure over a lambda: plain pickle cannot send it
    return lambda h, A, C, p: transpose(A[h + 1]) * p[name]


linrbp.register_rule(Rule("drift-lambda", channel="feedback", source="next", adaptive=True,
                          learning="none", parameters=(KAPPA,), feedback_drift=make("kappa")))
'''

ALPHA, BETA = 1.5, 2.0
INSTANCE = {"layers": [1, 1, 1], "rule": "drift-def", "sigma_ii": [[BETA]], "sigma_ti": [[ALPHA]],
            "feedback": [[[0.7]]], "weights": [[[0.3]], [[-0.5]]], "kappa": 0.5}


def main(argv):
    """The CLI in this process; the rules a --rules file registered are forgotten afterwards
    (each command loads its file afresh, as a new process would)."""
    before = dict(RULES)
    try:
        return _main([str(a) for a in argv])
    finally:
        RULES.clear()
        RULES.update(before)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "my_rules.py").write_text(RULES_FILE)
    (tmp_path / "inst.json").write_text(json.dumps(INSTANCE))
    return tmp_path


def hand_ode(kappa):
    """A[1,1,1] under the drift rule, written out: E = alpha - beta a2 a1,
    a1' = c1 E, a2' = E a1, c1' = kappa a2 (the theory page, section 0, with F_0 = I)."""
    def f(t, y):
        a1, a2, c1 = y
        E = ALPHA - BETA * a2 * a1
        return [c1 * E, E * a1, kappa * a2]
    return f


def drawn_start(seed, i, scale):
    """The documented draw, restated: SeedSequence([seed, i]); A_1, A_2, then C_1, N(0, S^2)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
    a1, a2, c1 = scale * rng.standard_normal(3)
    return [a1, a2, c1]


@pytest.mark.parametrize("rule", ["drift-def", "drift-lambda"])
def test_sweep_of_a_user_rule_with_param_matches_a_hand_written_ode(files, rule):
    out = files / "out.json"
    T = 0.6
    assert main(["sweep", str(files / "inst.json"), "--rules", str(files / "my_rules.py"), "--rule", rule,
                 "--param", "kappa=2.5", "--starts", "5", "--scale", "0.8", "--seed", "11", "--t-max", str(T),
                 "--chunk", "2", "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    assert rep["rule"] == rule and rep["params"] == {"kappa": 2.5}  # the command line wins over 0.5
    assert [r["index"] for r in rep["records"]] == list(range(5))
    for r in rep["records"]:
        assert r["status"] == "time-limit" and r["t_end"] == T
        ref = solve_ivp(hand_ode(2.5), (0, T), drawn_start(11, r["index"], 0.8), method="DOP853",
                        rtol=1e-12, atol=1e-14)
        a1, a2, _ = ref.y[:, -1]
        assert abs(r["product"][0][0] - a1 * a2) < 1e-8, (r, a1 * a2)
        assert r["predicted"] is None  # no closed form for this rule
    # the instance file's kappa = 0.5 is used when --param does not set it, and recorded
    assert main(["sweep", str(files / "inst.json"), "--rules", str(files / "my_rules.py"), "--rule", rule,
                 "--starts", "1", "--scale", "0.8", "--seed", "11", "--t-max", str(T), "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    ref = solve_ivp(hand_ode(0.5), (0, T), drawn_start(11, 0, 0.8), method="DOP853", rtol=1e-12, atol=1e-14)
    assert rep["params"] == {"kappa": 0.5}
    assert abs(rep["records"][0]["product"][0][0] - ref.y[0, -1] * ref.y[1, -1]) < 1e-8


def test_sweep_limits_agree_with_the_chain111_closed_form_and_cluster(tmp_path, capsys):
    inst = dict(INSTANCE, rule="rbp")
    del inst["kappa"]
    (tmp_path / "rbp.json").write_text(json.dumps(inst))
    out = tmp_path / "s.json"
    assert main(["sweep", str(tmp_path / "rbp.json"), "--starts", "12", "--scale", "1", "--seed", "0",
                 "--json", str(out)]) == 0
    rep = json.loads(out.read_text())
    s = rep["summary"]
    assert s["status_counts"] == {"converged": 12}
    # RBP with fixed c1 = 0.7 > 0 on A[1,1,1]: every start converges to a1 a2 = alpha / beta
    assert s["limits"]["count"] == 1 and s["limits"]["clusters"][0]["count"] == 12
    assert abs(s["limits"]["clusters"][0]["product"][0][0] - ALPHA / BETA) < 1e-9
    assert s["prediction"]["starts_with_prediction"] == 12 and s["prediction"]["worst_error"] < 1e-9
    for r in rep["records"]:
        assert abs(r["predicted"][0][0] - ALPHA / BETA) < 1e-12
    text = capsys.readouterr().out
    assert "converged" in text and "1 distinct limit(s)" in text and "chain111" in text


def test_sweep_records_are_the_same_serially_and_on_two_processes(files):
    got = {}
    for w in ("1", "2"):
        out = files / f"w{w}"
        assert main(["sweep", str(files / "inst.json"), "--rules", str(files / "my_rules.py"), "--rule",
                     "drift-lambda", "--param", "kappa=0.25", "--starts", "6", "--scale", "1", "--seed", "4",
                     "--chunk", "2", "--t-max", "50", "--workers", w, "--out", str(out),
                     "--json", str(files / f"all{w}.json")]) == 0
        rep = strip(json.loads((files / f"all{w}.json").read_text()))
        rep.pop("executor")
        got[w] = records(out / "records"), rep
    assert len(got["1"][0]) == 3
    assert got["1"] == got["2"]


def test_sweep_resumes_after_sigint(files):
    out = files / "out"
    # kappa = 0: fixed feedback, every start converges in a few ms
    argv = ["sweep", files / "inst.json", "--rules", files / "my_rules.py", "--rule", "drift-lambda",
            "--param", "kappa=0", "--starts", "60", "--scale", "1", "--seed", "2", "--chunk", "1", "--method", "scipy",
            "--t-max", "200", "--out", out]
    p = cli(*argv)
    try:
        assert wait_for_files(out / "records", "*.json", 3, p, 60), p.communicate()
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "rerun the same command to resume" in err
    kept = records(out / "records")
    assert 3 <= len(kept) < 60
    p = cli(*argv, "--json", files / "all.json")
    try:
        text, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    rep = json.loads((files / "all.json").read_text())
    assert rep["resumed"] >= len(kept) and len(rep["records"]) == 60
    after = records(out / "records")
    assert all(after[k] == v for k, v in kept.items())  # kept records reused, not rewritten differently
    # with --chunk 1 start i is a chunk of its own: a fresh run of 3 starts gives the same records
    assert main(["sweep", str(files / "inst.json"), "--rules", str(files / "my_rules.py"), "--rule",
                 "drift-lambda", "--param", "kappa=0", "--starts", "3", "--scale", "1", "--seed", "2", "--chunk", "1",
                 "--method", "scipy", "--t-max", "200", "--json", str(files / "fresh.json")]) == 0
    fresh = json.loads((files / "fresh.json").read_text())["records"]
    assert fresh == rep["records"][:3]


def test_cluster_limits_groups_by_the_stated_distance():
    P = [[[1.0, 2.0]], [[1.0 + 1e-7, 2.0]], [[1.0, 2.0 + 5e-6]], None, [[np.nan, 0.0]], [[1.0, 2.0 - 1e-7]]]
    labels, groups = cluster_limits(P, tol=1e-6)
    # distance to the first: 1e-7 / 3, 5e-6 / 3 (> 1e-6), -, -, 1e-7 / 3
    assert labels == [0, 0, 1, -1, -1, 0]
    assert [g["count"] for g in groups] == [3, 1] and [g["first"] for g in groups] == [0, 2]
    assert abs(groups[0]["spread"] - 1e-7 / 3) < 1e-15
    assert product_distance([[3.0]], [[1.0]]) == 2.0 / 4.0
    with pytest.raises(ValueError, match="tol"):
        cluster_limits(P, tol=-1)


@pytest.mark.parametrize("rule", ["drift-def", "drift-lambda"])
def test_param_on_simulate_and_derive_with_a_user_rule(files, rule, capsys):
    out = files / "sim.json"
    assert main(["simulate", str(files / "inst.json"), "--rules", str(files / "my_rules.py"), "--rule", rule,
                 "--param", "kappa=2.5", "--t-max", "0.6", "--json", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["parameters"] == {"kappa": 2.5} and rec["rule"] == rule
    ref = solve_ivp(hand_ode(2.5), (0, 0.6), [0.3, -0.5, 0.7], method="DOP853", rtol=1e-12, atol=1e-14)
    assert abs(rec["product"][0][0] - ref.y[0, -1] * ref.y[1, -1]) < 1e-8
    capsys.readouterr()
    assert main(["derive", "chain", "--rules", str(files / "my_rules.py"), "--rule", rule,
                 "--param", "kappa=5/2"]) == 0
    text = capsys.readouterr().out
    assert "c1' = 5*a2/2" in text.replace(" ", "").replace("c1'=", "c1' = ") or "5*a2/2" in text, text


def test_bad_param_gets_the_rules_own_message(files, capsys):
    for bad, msg in (("kapa=1", "kapa: rule drift-def has no parameter 'kapa' (did you mean 'kappa'?)"),
                     ("kappa=-1", "kappa: rule drift-def expects a finite number >= 0"),
                     ("kappa=x", "kappa: rule drift-def expects a number, got 'x'")):
        code = main(["sweep", str(files / "inst.json"), "--rules", str(files / "my_rules.py"),
                     "--starts", "1", "--scale", "1", "--seed", "0", "--param", bad])
        err = capsys.readouterr().err.strip()
        assert code == 2 and msg in err and len(err.splitlines()) == 1, err


@pytest.mark.slow  # a scheduler and two workers start
def test_sweep_records_are_the_same_on_a_dask_scheduler_with_two_workers(files):
    pytest.importorskip("distributed")
    from _sweeps_common import DaskCluster

    got = {}
    cluster = DaskCluster(2)
    try:
        for name, opts in (("serial", ["--workers", "1"]), ("dask", ["--scheduler", cluster.address])):
            # the lambda rule travels to workers that never imported the rule file
            assert main(["sweep", files / "inst.json", "--rules", files / "my_rules.py", "--rule",
                         "drift-lambda", "--param", "kappa=0.25", "--starts", "8", "--scale", "1", "--seed", "4",
                         "--chunk", "2", "--t-max", "50", "--out", files / name,
                         "--json", files / f"{name}.json", *opts]) == 0
            rep = strip(json.loads((files / f"{name}.json").read_text()))
            got[name] = records(files / name / "records"), rep.pop("executor"), rep
        # a researcher's claim file on the same two Dask workers: its two checks run at once
        from test_user_claims_parallel import CLAIM_FILE
        marks = files / "marks"
        marks.mkdir()
        (files / "overlap.py").write_text(CLAIM_FILE.format(marks=str(marks)))
        assert main(["verify", "--claims", files / "overlap.py", "--scheduler", cluster.address,
                     "--json", files / "v.json"]) == 0
        assert json.loads((files / "v.json").read_text())["passed"]
        assert len({(marks / n).read_text() for n in ("a", "b")}) == 2  # two worker processes
    finally:
        cluster.stop()
    assert got["dask"][1] == f"the Dask scheduler at {cluster.address}"
    assert len(got["serial"][0]) == 4
    assert got["dask"][0] == got["serial"][0] and got["dask"][2] == got["serial"][2]
