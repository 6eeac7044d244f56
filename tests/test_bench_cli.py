"""`linrbp bench` on tiny sizes: runs, prints, writes the JSON keys; bad input exits 2."""

import json
import math

import pytest

from linrbp.cli import main

KEYS = ("batched_traj_per_s", "loop_traj_per_s", "stacked_traj_per_s", "ratio_vs_loop",
        "ratio_vs_stacked", "max_error")


@pytest.mark.slow
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
