"""Ctrl-C and resume of `linrbp basins` and `linrbp simulate --sgd`: a real process gets SIGINT
once it has saved some of its work, exits 130, and the same command then finishes with the same
output, bit for bit, as a run that was never interrupted; the saved work of other settings is
refused with one line (exit 2), and nothing is left beside the output once it is written."""

from __future__ import annotations

import json
import signal

import pytest

from _sweeps_common import cli, wait_for_files
from linrbp.cli import main
from linrbp.core._io import to_jsonable

# A[1,1,1] under RBP with c1 = 0.7: a 12 x 12 grid in 3 tiles of 4 rows (about 0.1 CPU-s each),
# then the figure (most of the command's time after the tiles)
CHAIN = {"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[1.0]], "sigma_ti": [[1.0]], "feedback": [[[0.7]]],
         "weights": [[[0.5]], [[0.5]]]}


def _interrupt(argv, directory, pattern, count=1):
    """Run ``linrbp argv``; SIGINT once ``count`` files match ``pattern`` in ``directory``;
    its (stdout, stderr), after checking it exited 130."""
    p = cli(*argv)
    try:
        assert wait_for_files(directory, pattern, count, p, 120), p.communicate()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, (out, err)
    return out, err


def test_basins_resumes_after_sigint_with_the_same_map(tmp_path, capsys):
    inst = tmp_path / "chain.json"
    inst.write_text(json.dumps(CHAIN))

    def argv(name, grid=12):
        return ["basins", str(inst), "--axes", "A1[0,0]", "A2[0,0]", "--grid", str(grid), "--t-max", "300",
                "--no-symbolic", "--out", str(tmp_path / f"{name}.png"), "--json", str(tmp_path / f"{name}.json")]

    kept = tmp_path / ".r.png.basins"
    _, err = _interrupt(argv("r"), kept / "tiles", "*.json")
    assert not (tmp_path / "r.png").exists() and not (tmp_path / "r.json").exists()
    saved = sorted(p.name for p in (kept / "tiles").glob("*.json"))
    assert 1 <= len(saved) <= 3 and saved[0] == "rows-00000-00003.json"
    if "tiles are saved" in err:  # stopped while the tiles ran
        assert f"{len(saved)} of 3 tiles are saved in" in err and "rerun the same command to resume" in err, err
    else:  # stopped while the figure was drawn
        assert "every tile of the map is saved" in err and len(saved) == 3, err
    # other settings: refused with one line, the saved tiles untouched
    assert main(argv("r", grid=13)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "holds an interrupted basin map with other settings" in lines[0], lines
    assert main(argv("r")) == 0
    assert f"resumed {len(saved)} finished tile(s)" in capsys.readouterr().out
    assert not kept.exists()  # the map is written: its tiles are gone
    assert main(argv("fresh")) == 0
    assert (tmp_path / "r.json").read_bytes() == (tmp_path / "fresh.json").read_bytes()
    assert (tmp_path / "r.png").read_bytes() == (tmp_path / "fresh.png").read_bytes()


TS = {"model": "teacher-student", "activation": "erf", "rule": "bp", "eta": 1.0, "sigma": 0.1,
      "Q": [[1.0, 0.1], [0.1, 1.0]], "R": [[0.2], [0.1]], "T": [[1.0]], "v": [0.5, 0.3], "A": [1.0], "t_max": 2}


def test_sgd_resumes_after_sigint_with_the_same_results(tmp_path, capsys):
    inst = tmp_path / "ts.json"
    inst.write_text(json.dumps(TS))

    def argv(name, seeds="0-2"):
        # numpy's step loop: 12500 steps a seed, about 0.25 CPU-s
        return ["simulate", str(inst), "--sgd", "50", "--seed", seeds, "--times", "0,100,250", "--backend",
                "numpy", "--json", str(tmp_path / f"{name}.json")]

    kept = tmp_path / ".r.json.sgd"
    _, err = _interrupt(argv("r"), kept / "seeds", "seed-0.json")
    assert "rerun the same command to resume" in err and "seed(s) 0 at step 12500, 1 at step" in err, err
    saved = json.loads((kept / "seeds" / "seed-1.json").read_text())
    assert saved["step"] % 256 == 0 and saved["step"] < 12500  # the seed in progress, at a block's start
    assert main(argv("r", "0-3")) == 2  # other seeds: refused with one line
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "holds interrupted SGD runs with other settings" in lines[0], lines
    assert main(argv("r")) == 0
    assert "resumed" in capsys.readouterr().out
    assert not kept.exists()  # the results are written: the kept runs are gone
    assert main(argv("fresh")) == 0
    assert (tmp_path / "r.json").read_bytes() == (tmp_path / "fresh.json").read_bytes()


# the calls of the step function per seed (or per lockstep group): steps 0..255, 256..299 (a
# recorded time), 300..511, 512..767, 768..899; the SIGINT comes after the one of steps 300..511
@pytest.mark.parametrize("method, target, call", [
    ("network", "linrbp.teacher_student._sgd._numpy_steps", 8),                    # seed 1's third
    ("order-parameters", "linrbp.teacher_student._sgd_op.run_op_steps_batch", 3),  # both seeds' third
])
def test_sgd_interrupted_inside_a_block_resumes_from_the_blocks_start(tmp_path, monkeypatch, method, target,
                                                                      call):
    """SIGINT lands in the second block of seed 1 (network: seed by seed) or of both seeds
    (order-parameters on numpy: the seeds in lockstep), after some of the block's steps changed
    the state: the saved state is that at the block's start (step 256), and the resumed run is
    the uninterrupted one, bit for bit."""
    import importlib
    import os

    from linrbp.teacher_student import parse_ts_instance, simulate_sgd

    inst = parse_ts_instance(TS)
    kw = dict(N=30, seeds=[0, 1], times=[0.0, 10.0, 30.0], method=method, backend="numpy")
    fresh = simulate_sgd(inst, **kw)
    mod_name, fn_name = target.rsplit(".", 1)
    mod = importlib.import_module(mod_name)
    real, calls = getattr(mod, fn_name), []

    def interrupting(*args):  # the real steps, then (once) a real SIGINT
        real(*args)
        calls.append(1)
        if len(calls) == call:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(mod, fn_name, interrupting)
    monkeypatch.setattr("linrbp.teacher_student._sgd_records.MARK_EVERY_S", 0.0)  # a mark at every block
    rec = tmp_path / "kept"
    part = simulate_sgd(inst, **kw, interruptible=True, records=rec)
    monkeypatch.setattr(mod, fn_name, real)
    assert part["status"] == "interrupted"
    kept = part["records"]["steps_kept"]
    assert kept == ({"0": 900, "1": 256} if method == "network" else {"0": 256, "1": 256}), kept
    done = simulate_sgd(inst, **kw, records=rec)
    assert done["records"]["resumed_steps"] == sum(kept.values())
    done.pop("records")
    assert json.dumps(to_jsonable(done)) == json.dumps(to_jsonable(fresh))
