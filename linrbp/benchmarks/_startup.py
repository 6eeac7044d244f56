"""``linrbp bench startup``: how long the command line takes to start, against ``import numpy``.

Three fresh interpreters per repeat, run one after the other (alternating, so load on the
machine hits all three alike): ``python -c "import numpy"`` (the reference: nothing linrbp
can do is faster than the numpy it needs), ``linrbp --help``, and ``linrbp train`` up to the
moment its first mini-batch starts (the child stops itself there: an import hook replaces the
trainer's ``run_epoch`` by an exit, so the time covers interpreter start, imports, argument
parsing, the data set and the network's initialisation, and no training). The train run uses
the seeded synthetic ``--dataset teacher`` so that reading Fashion-MNIST from disk is not
counted as start-up; ``fashion=True`` also times the same start on Fashion-MNIST
(informational, no target: it includes reading and converting 70,000 images). Each figure is the median over the
repeats; the ratios are medians over the ratios. Every child runs with stderr not a terminal
(no progress bar), the same interpreter and the same linrbp as this process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["bench_startup", "STARTUP_TARGETS", "CHILD_CLI", "TRAIN_ARGS"]

# The most each start may take, as a multiple of `python -c "import numpy"` (issue 13).
STARTUP_TARGETS = {"help_ratio": 3.0, "train_start_ratio": 6.0}

# What the console script `linrbp` runs.
CHILD_CLI = "import sys; from linrbp.cli import main; sys.exit(main())"

# The train child: the console script, with run_epoch replaced on import by "first batch: exit".
CHILD_TRAIN = r'''
import os, sys
from importlib.machinery import PathFinder

class _FirstBatch:
    def find_spec(self, name, path=None, target=None):
        if name != "linrbp.trainer._train":
            return None
        spec = PathFinder.find_spec(name, path)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)

            def first_batch(*args, **kwargs):  # the marker, then the modules loaded by now
                os.write(1, ("linrbp-first-batch " + " ".join(sorted(sys.modules)) + "\n").encode())
                os._exit(0)

            module.run_epoch = first_batch

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _FirstBatch())
from linrbp.cli import main
sys.exit(main())
'''

TRAIN_ARGS = ["train", "--dataset", "teacher", "--epochs", "1"]
FASHION_ARGS = ["train", "--epochs", "1"]
MARKER = "linrbp-first-batch"


HERE = str(Path(__file__).resolve().parents[2])  # the directory holding this linrbp


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _time(argv, env, marker=None, cwd=HERE) -> float:
    # cwd: `python -c` puts the working directory first on sys.path, so run where this linrbp is
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0 or (marker is not None and marker not in proc.stdout):
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{' '.join(argv[-4:])} exited {proc.returncode} before its first batch: {tail}")
    return seconds


def _fashion_available() -> bool:
    from ..trainer._data import FASHION_MNIST_DIR

    d = Path(os.environ.get("LINRBP_FASHION_MNIST", FASHION_MNIST_DIR))
    return d.is_dir() and any(d.glob("train-images*"))


def bench_startup(repeats: int = 7, fashion: bool = False) -> dict:
    """Median seconds of each start and the ratios to ``import numpy`` (see the module doc)."""
    if repeats < 1:
        raise ValueError(f"repeats: must be at least 1, got {repeats}")
    env, py = _env(), sys.executable
    if fashion and not _fashion_available():
        from ..core._errors import InputError

        raise InputError("fashion: Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
    runs = {
        "numpy": [py, "-c", "import numpy"],
        "help": [py, "-c", CHILD_CLI, "--help"],
        "train": [py, "-c", CHILD_TRAIN, *TRAIN_ARGS],
    }
    if fashion:
        runs["train_fashion"] = [py, "-c", CHILD_TRAIN, *FASHION_ARGS]
    _time(runs["numpy"], env)  # one warm-up of the file cache, not counted
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for key, argv in runs.items():
            times[key].append(_time(argv, env, MARKER if key.startswith("train") else None))
    med = {k: statistics.median(v) for k, v in times.items()}

    def ratio(key):
        return statistics.median(t / n for t, n in zip(times[key], times["numpy"]))

    out = {
        "repeats": repeats,
        "numpy_import_seconds": med["numpy"],
        "help_seconds": med["help"],
        "train_start_seconds": med["train"],
        "help_ratio": ratio("help"),
        "train_start_ratio": ratio("train"),
        "train_command": "linrbp " + " ".join(TRAIN_ARGS),
        "targets": STARTUP_TARGETS,
    }
    if fashion:
        out.update(train_fashion_start_seconds=med["train_fashion"],
                   train_fashion_start_ratio=ratio("train_fashion"),
                   train_fashion_command="linrbp " + " ".join(FASHION_ARGS))
    out["meets_targets"] = {k: bool(out[k] <= v) for k, v in STARTUP_TARGETS.items()}
    return out
