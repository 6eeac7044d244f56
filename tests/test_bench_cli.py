"""`linrbp bench` on tiny sizes: runs, prints, writes the JSON keys; bad input exits 2."""

import json
import math

import pytest

from linrbp.cli import main

KEYS = ("batched_traj_per_s", "loop_traj_per_s", "stacked_traj_per_s", "ratio_vs_loop",
        "ratio_vs_stacked", "max_error")


@pytest.mark.slow
@pytest.mark.xdist_group("bench-systems")  # one worker: the second test loads the first's kernels
def test_bench_all_tiny(tmp_path, capsys):
    out = tmp_path / "bench.json"
    rc = main(["bench", "all", "--quick", "--size", "60", "--loop", "2", "--images", "50", "--json", str(out)])
    assert rc == 0
    data = json.loads(out.read_text())
    integ = data["integrate"]
    for key in KEYS:
        assert isinstance(integ[key], float) and math.isfinite(integ[key]) and integ[key] >= 0
    assert integ["ratio_vs_loop"] == pytest.approx(integ["batched_traj_per_s"] / integ["loop_traj_per_s"])
    # chain111 reached its closed-form limits; the error is real, not a placeholder
    assert integ["all_converged"] and 0 < integ["max_error"] <= 1e-8
    assert [s["system"] for s in integ["systems"]] == ["chain111", "chain4", "single_hidden_543"]
    inv = data["symbolic"]["invariants"]
    assert inv["dimension"] == inv["expected_dimension"] == inv["alternative_dimension"] and inv["all_verified"]
    for part in ("symbolic", "trainer"):
        assert part in data
        if "unavailable" in data[part]:
            assert data[part]["unavailable"]
    sweeps = data["sweeps"]  # verify and probe, serial against 2 local processes, one run
    assert sweeps["workers"] == 2
    for part in ("verify", "probe"):
        r = sweeps[part]
        assert r["identical"], part  # the same report whatever ran it
        assert r["speedup"] == pytest.approx(r["serial_seconds"] / r["workers_seconds"])
    assert sweeps["verify"]["claims"] == ["chain111", "wide1N1"] and sweeps["verify"]["passed"]
    ts = data["teacher-student"]  # ratios measured in this run, errors against a tight reference
    assert ts["ode"]["dop853_rel_error_eps_g"]["t_end"] < 1e-8 < ts["ode"]["euler_rel_error_eps_g_at_t_euler"]
    assert ts["ode"]["ratio_euler_over_dop853"] > 0 and ts["sgd"]["numpy"]["steps_per_s"] > 0
    if "numba" in ts["sgd"]:  # the order-parameter chain is timed beside the network kernel
        assert ts["sgd_ratio_order_parameters_over_numba"] > 0 and "order-parameters" in ts["sgd"]
    text = capsys.readouterr().out
    assert "chain111" in text and "targets (chain111)" in text
    assert "speed-up" in text


@pytest.mark.parametrize("argv,field", [
    (["--size", "0"], "size"),
    (["--loop", "-3"], "loop"),
    (["--seed", "-1"], "seed"),
])
def test_bench_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, field):
    out = tmp_path / "bench.json"
    assert main(["bench", "integrate", *argv, "--json", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0]
    assert not out.exists()


def test_bench_unknown_part_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "everything"])
    assert exc.value.code == 2


@pytest.mark.slow
@pytest.mark.xdist_group("bench-systems")
def test_bench_peers_lists_each_peer_and_never_fails(tmp_path, capsys):
    """Peers that are absent are listed as not installed; installed ones report figures."""
    import importlib.util
    out = tmp_path / "bench.json"
    rc = main(["bench", "integrate", "--size", "40", "--loop", "1", "--stacked", "10", "--peers",
               "--json", str(out)])
    assert rc == 0
    peers = json.loads(out.read_text())["integrate"]["peers"]
    assert peers["draw"] == "per-start"
    for name in ("heyoka", "diffrax", "torchode"):
        installed = importlib.util.find_spec(name) is not None
        assert peers["peers"][name] == ("installed" if installed else "not installed")
    text = capsys.readouterr().out
    assert "peers (one thread each" in text
    if peers["peers"]["heyoka"] == "installed" and importlib.util.find_spec("numba") is not None:
        assert text.count("its integrator alone") == 6
    if importlib.util.find_spec("numba") is None:
        assert "numba is not installed" in peers["unavailable"]
        return
    names = [s["system"] for s in peers["systems"]]
    assert names == ["chain111", "chain4", "single_hidden_543"]
    for s in peers["systems"]:
        assert 0 < s["linrbp"]["max_error"] <= 1e-7  # against the closed forms, not a placeholder
        if peers["peers"]["heyoka"] == "installed":
            assert s["heyoka_given_times"]["max_error"] <= 1e-6
            for key in ("heyoka_events", "heyoka_given_times"):
                # counted both ways: the integrator alone is part of the whole run
                h = s[key]
                assert 0 < h["integrator_cpu_s"] and h["traj_per_integrator_cpu_s"] >= h["traj_per_cpu_s"]
                assert h["linrbp_ratio_integrator_only"] <= h["linrbp_ratio"]
        if peers["peers"]["diffrax"] == "installed" and importlib.util.find_spec("jax") is not None:
            # the same stopping rule as linrbp's, as a diffrax event: statuses, not a placeholder
            ev = s["diffrax_events"]
            assert sum(ev["status"].values()) == ev["n_starts"] and ev["stopped_by_event"] <= ev["n_starts"]
            assert s["diffrax_given_times"]["max_error"] <= 1e-6
        if peers["peers"]["torchode"] == "installed" and importlib.util.find_spec("torch") is not None:
            assert s["torchode_given_times"]["max_error"] <= 1e-6


def test_peers_integrate_the_same_field_as_linrbp():
    """The peers get the field from the system's generated statements (_field_values, evaluated
    on their own array types); on numpy arrays it equals LinearSystem's field, on the bench's
    three systems, with per-start parameters for chain111."""
    import numpy as np

    from linrbp.benchmarks import _bench, _peers
    rng = np.random.default_rng(11)
    cases = [_bench._chain4(rng, 5), _bench._single_hidden(rng, 5),
             _peers.heterogeneous_chain111(rng, 5, _bench.chain111_limits)]
    for case in cases:
        system, Y = case["system"], case["starts"]
        n, n_par = _peers._sizes(system)
        P = case.get("field_params")
        if P is None:
            P = np.tile(np.asarray(system._field_parameters(), dtype=float), (len(Y), 1))
        got = np.stack([np.broadcast_to(v, len(Y)) for v in _peers._field_values(
            system, [Y[:, i] for i in range(n)], [P[:, j] for j in range(n_par)])], axis=1)
        if case.get("field_params") is None:
            want = system(Y)
        else:  # chain111 with its own (alpha, beta, c1) per start: one system per start
            from linrbp import DataStats, LinearSystem
            want = np.stack([LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[p[0]]], [[p[1]]]),
                                                 feedback=[[[p[2]]]])(y[None])[0] for y, p in zip(Y, P)])
        assert np.allclose(got, want, rtol=1e-13, atol=1e-13), case["name"]
