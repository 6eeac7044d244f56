"""``linrbp bench sweeps``: the speed-up of ``verify`` and ``probe`` on local workers.

Each sweep runs twice in one process, serially and on a pool of ``workers`` processes (pool
start-up included), and the two reports are compared with their timing fields removed (they
must be identical: every task draws from its own seed).
"""

from __future__ import annotations

import os
import sys
import time

from ..core._executor import check_workers

__all__ = ["bench_sweeps", "QUICK_CLAIMS", "QUICK_SHAPES"]

QUICK_CLAIMS = ("chain111", "wide1N1")
QUICK_SHAPES = ((2, 2, 2), (3, 2, 4))


def _strip(obj):
    """``obj`` without its timing fields (``seconds`` anywhere)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench_sweeps(workers: int = 2, quick: bool = False, seed: int = 0, claims=None,
                 probe_seeds: int | None = None) -> dict:
    """Seconds of verify and probe, serial and on ``workers`` local processes; the ratios."""
    from ..claims._run import verify
    from ..sweeps._probe import DEFAULT_SHAPES, probe_sweep

    workers = check_workers(workers)
    claims = list(claims) if claims else (list(QUICK_CLAIMS) if quick else None)
    shapes = list(QUICK_SHAPES if quick else DEFAULT_SHAPES)
    probe_seeds = probe_seeds or (2 if quick else 4)
    out = {"workers": workers, "cpu_count": os.cpu_count(), "seed": seed}

    print(f"bench sweeps: verify ({'all claims' if claims is None else ','.join(claims)}) serial, "
          f"then on {workers} processes", file=sys.stderr, flush=True)
    serial, t1 = _timed(lambda: verify(claims, None, seed, workers=1))
    pooled, t2 = _timed(lambda: verify(claims, None, seed, workers=workers))
    out["verify"] = {"claims": [c["id"] for c in serial["claims"]],
                     "checks": sum(len(c["checks"]) for c in serial["claims"]),
                     "serial_seconds": t1, "workers_seconds": t2, "speedup": t1 / t2,
                     "identical": _strip(serial) == _strip(pooled), "passed": serial["passed"]}

    print(f"bench sweeps: probe ({len(shapes)} shapes x {probe_seeds} seeds) serial, then on "
          f"{workers} processes", file=sys.stderr, flush=True)
    serial, t1 = _timed(lambda: probe_sweep(shapes, probe_seeds, base_seed=seed, workers=1, progress=False))
    pooled, t2 = _timed(lambda: probe_sweep(shapes, probe_seeds, base_seed=seed, workers=workers,
                                            progress=False))
    out["probe"] = {"shapes": [list(s) for s in shapes], "seeds": probe_seeds,
                    "instances": serial["instances"], "serial_seconds": t1, "workers_seconds": t2,
                    "speedup": t1 / t2, "identical": _strip(serial) == _strip(pooled)}
    return out
