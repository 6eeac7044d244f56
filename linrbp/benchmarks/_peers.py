"""``linrbp bench integrate --peers``: linrbp's compiled batched integrator against other ODE
packages on the same starts, tolerances and stopping rule, alternating in one run.

Peers run only when installed (never dependencies of linrbp); absent ones are reported as
"not installed". Implemented: heyoka (Taylor method, LLVM-compiled, SIMD batch mode), once
with convergence as a terminal event and once told each start's stopping time (the time
linrbp's run stopped it). diffrax and torchode are detected and reported, not yet measured.

Stopping rule: linrbp stops at |f|_inf <= conv_tol (1 + |y|_inf) after an accepted step;
heyoka's event is the smooth twin |f|_2^2 = conv_tol^2 (1 + |y|_2)^2 (root-found; event
functions must be differentiable), at most sqrt(n) apart. Errors are against the closed forms.
Timing: CPU seconds of this process (``time.process_time``) on one thread (linrbp
``workers=1``; heyoka's batch integrator is single-threaded), best of ``repeats`` rounds.
"""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np

from ..core._field import LinearSystem
from ..core._stats import DataStats

PEERS = ("heyoka", "diffrax", "torchode")


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def _installed(name):
    return importlib.util.find_spec(name) is not None


def heterogeneous_chain111(rng, B, limits):
    """chain111 starts with (alpha, beta, c1) drawn per start, from the same ranges as the
    per-system draw of :func:`linrbp.benchmarks._bench._chain111`; ``limits`` is its
    vectorised closed form (``_bench.chain111_limits``)."""
    alpha = rng.uniform(0.5, 2.0, B) * rng.choice([-1, 1], B)
    beta = rng.uniform(0.5, 2.0, B)
    c1 = rng.uniform(0.3, 1.5, B) * rng.choice([-1, 1], B)
    Y0 = rng.uniform(-2.0, 2.0, (B, 2))
    system = LinearSystem.create([1, 1, 1], "rbp", DataStats.from_matrices([[1.0]], [[1.0]]),
                                 feedback=[[[1.0]]])
    params = np.stack([beta, alpha, c1], axis=1)  # (S_II, S_TI, C), _field_parameters' order

    def error(Y0s, Y, idx=slice(None)):
        return np.max(np.abs(Y - limits(alpha[idx], beta[idx], c1[idx], Y0s)), axis=1)

    return {"name": "chain111", "system": system, "starts": Y0, "field_params": params, "error": error,
            "draw": "per-start"}


def _heyoka_system(system):
    """heyoka expressions of the system's generated field (the same statements), parameters
    as heyoka runtime parameters."""
    import heyoka as hy
    st = system._compiled_field().statements
    ys = hy.make_vars(*[f"y{i}" for i in range(st["n_state"])])
    ys = [ys] if st["n_state"] == 1 else list(ys)
    ns = {f"y{i}": v for i, v in enumerate(ys)}
    ns.update({f"p{j}": hy.par[j] for j in range(st["n_par"])})
    for name, code in st["temps"]:
        ns[name] = eval(code, {}, ns)  # noqa: S307 - our own generated code
    f = [eval(code, {}, ns) for code in st["outputs"]]  # noqa: S307
    return ys, f, st["n_par"]


class _Heyoka:
    def __init__(self, system, rtol, conv_tol, events):
        import heyoka as hy
        self.hy = hy
        ys, f, self.n_par = _heyoka_system(system)
        self.n = len(ys)
        self.S = hy.recommended_simd_size()
        kw = {}
        if events:
            g = sum(e * e for e in f) - (conv_tol * (1 + hy.sqrt(sum(v * v for v in ys)))) ** 2
            kw["t_events"] = [hy.t_event_batch(g, direction=hy.event_direction.negative)]
        self.events = events
        self.ta = hy.taylor_adaptive_batch(list(zip(ys, f)), np.zeros((self.n, self.S)), tol=rtol,
                                           pars=np.zeros((max(self.n_par, 1), self.S)), **kw)

    def run(self, Y0, P, t_stop):
        """Final states (B, n), with events: lanes refilled from the queue as they stop."""
        ta, S, B = self.ta, self.S, len(Y0)
        out = np.empty_like(Y0)
        if not self.events:
            for i in range(0, B, S):
                j = min(B, i + S)
                k = j - i
                st = np.zeros((self.n, S))
                st[:, :k] = Y0[i:j].T
                st[:, k:] = Y0[i:i + 1].T
                pa = np.repeat(P[i:i + 1].T, S, axis=1)
                pa[:, :k] = P[i:j].T
                tt = np.full(S, t_stop[i])
                tt[:k] = t_stop[i:j]
                ta.set_time(np.zeros(S))
                ta.state[:] = st
                ta.pars[:] = pa
                ta.propagate_until(tt)
                out[i:j] = ta.state[:, :k].T
            return out
        lane = np.full(S, -1)
        nxt = 0
        times = np.zeros(S)
        for s in range(S):
            lane[s] = nxt if nxt < B else -1
            if nxt < B:
                ta.state[:, s] = Y0[nxt]
                ta.pars[:, s] = P[nxt]
            nxt += 1
        ta.set_time(times)
        ta.reset_cooldowns()
        t_end = np.where(lane >= 0, t_stop[np.maximum(lane, 0)], 0.0)
        while (lane >= 0).any():
            ta.propagate_until(np.where(lane >= 0, t_end, ta.time))
            res = ta.propagate_res
            tnow = np.array(ta.time)
            for s in range(S):
                if lane[s] < 0:
                    continue
                outcome = res[s][0]
                done = int(outcome) == -1 or tnow[s] >= t_end[s]
                if done:
                    out[lane[s]] = ta.state[:, s]
                    if nxt < B:
                        lane[s] = nxt
                        ta.state[:, s] = Y0[nxt]
                        ta.pars[:, s] = P[nxt]
                        tnow[s] = 0.0
                        t_end[s] = t_stop[nxt]
                        nxt += 1
                    else:
                        lane[s] = -1
            ta.set_time(tnow)
            ta.reset_cooldowns()
        return out


def _cpu(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def bench_peers(cases, rtol, atol, conv_tols, t_maxs, repeats=2) -> dict:
    """Each case: linrbp (backend numba, one worker) and heyoka, alternating ``repeats`` times."""
    from ..integration._numba_backend import Unsupported, numba_available, run_numba
    report = {"peers": {p: ("installed" if _installed(p) else "not installed") for p in PEERS},
              "systems": []}
    if not numba_available():
        report["unavailable"] = "numba is not installed (pip install 'linrbp[jit]')"
        return report
    for case in cases:
        name, system, Y0 = case["name"], case["system"], case["starts"]
        B = len(Y0)
        P = case.get("field_params")
        if P is None:
            P = np.tile(np.asarray(system._field_parameters(), dtype=float), (B, 1))
        conv_tol, t_max = conv_tols[name], t_maxs[name]
        tm = np.full(B, float(t_max))
        row = {"system": name, "n_starts": B, "draw": case.get("draw", "per-system"),
               "conv_tol": conv_tol, "t_max": t_max}

        def linrbp_run():
            return run_numba(system, Y0, tm, rtol, atol, conv_tol, 1e8, 200_000, None, 1, params=P)

        try:
            run_numba(system, Y0[:2], tm[:2], rtol, atol, conv_tol, 1e8, 200_000, None, 1, params=P[:2])
        except Unsupported as exc:
            row["linrbp"] = f"unavailable: {exc}"
            report["systems"].append(row)
            continue
        hey = {}
        if _installed("heyoka"):
            _log(f"bench peers: {name}: compiling heyoka")
            hey = {"events": _Heyoka(system, rtol, conv_tol, True),
                   "given_times": _Heyoka(system, rtol, conv_tol, False)}
        best = {}
        results = {}
        for r in range(repeats):
            _log(f"bench peers: {name}: round {r + 1}/{repeats}: linrbp (numba, 1 worker), {B} starts")
            res, cpu, wall = _cpu(linrbp_run)
            results["linrbp"] = res
            best["linrbp"] = min(best.get("linrbp", (np.inf, np.inf)), (cpu, wall))
            code, t_end = res[0], res[1]
            for label, h in hey.items():
                _log(f"bench peers: {name}: round {r + 1}/{repeats}: heyoka ({label.replace('_', ' ')})")
                stop = tm if label == "events" else t_end
                Yh, cpu, wall = _cpu(lambda: h.run(Y0, P, stop))
                results[f"heyoka_{label}"] = Yh
                best[f"heyoka_{label}"] = min(best.get(f"heyoka_{label}", (np.inf, np.inf)), (cpu, wall))
        code, t_end, Y = results["linrbp"][:3]
        err = case["error"](Y0, Y)
        row["linrbp"] = {"traj_per_s": B / best["linrbp"][1], "traj_per_cpu_s": B / best["linrbp"][0],
                         "max_error": float(np.max(err)),
                         "status": {s: int(np.sum(code == i + 1)) for i, s in
                                    enumerate(("converged", "diverged", "time-limit", "step-limit"))
                                    if np.any(code == i + 1)}}
        for label in hey:
            key = f"heyoka_{label}"
            e = case["error"](Y0, results[key])
            row[key] = {"traj_per_s": B / best[key][1], "traj_per_cpu_s": B / best[key][0],
                        "max_error": float(np.max(e)),
                        "linrbp_ratio": (B / best["linrbp"][0]) / (B / best[key][0])}
        report["systems"].append(row)
    return report
