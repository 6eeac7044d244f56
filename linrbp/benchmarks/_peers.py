"""``linrbp bench integrate --peers``: linrbp's compiled batched integrator against other ODE
packages on the same starts, tolerances and stopping rule, alternating in one run.

Peers run only when installed (never dependencies of linrbp); absent ones are reported as
"not installed". Each integrates the same generated field (the system's straight-line
statements, evaluated on the peer's own array type), from the same starts and parameters:

* heyoka (Taylor method, LLVM-compiled, SIMD batch mode), once with convergence as a
  terminal event and once told each start's stopping time (the time linrbp's run stopped it);
* diffrax (JAX on the CPU in float64, Dopri8 with its PID controller in integral mode, as
  scipy's), ``jax.vmap`` over chunks of ``DIFFRAX_CHUNK`` starts, jit-compiled once before
  timing; once with linrbp's rule as a boolean ``diffrax.Event`` (tested at step ends, as
  linrbp does: the same rule exactly) and once told the stopping times;
* torchode (PyTorch on the CPU in float64, Dopri5, its best explicit method: it has no
  8th-order one; per-start step sizes over chunks of ``TORCHODE_CHUNK``), told the stopping
  times (torchode has no events).

Stopping rule: linrbp stops at |f|_inf <= conv_tol (1 + |y|_inf) after an accepted step.
heyoka's events must be differentiable and are root-found; its event is
|f|_2^2 / conv_tol^2 = (1 + |y|_2 / sqrt(n))^2, which implies linrbp's rule where it fires
(|f|_inf <= |f|_2 and |y|_2 / sqrt(n) <= |y|_inf), so heyoka never stops on a looser rule
(it may stop later). It is written in units of conv_tol: the same event in absolute units
(values ~1e-18) fires spuriously early in heyoka 7.13 (measured on A[5,4,3]: stops at
|f|_2 4-5 times its threshold, errors ~1e-8 against ~1e-10). Errors are against the closed forms.
heyoka is counted both ways: the whole run (its integrator and the Python driver here that
sets states, parameters and times and refills lanes between ``propagate_until`` calls) and
its integrator alone (the CPU time inside ``propagate_until``: keys ``integrator_cpu_s``,
``traj_per_integrator_cpu_s``, ``linrbp_ratio_integrator_only``).
Timing: CPU seconds of this process (``time.process_time``) on one thread (linrbp
``workers=1``; heyoka's batch integrator is single-threaded; XLA and torch are limited to one
intra-op thread), best over ``repeats`` alternating rounds; in each round a side whose one run
takes less than ``SHORT_RUN_SECONDS`` runs that often, up to ``SHORT_RUN_MAX`` times (the
row's ``runs_per_round``).
"""

from __future__ import annotations

import importlib.util
import os
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

    def error(Y0s, Y):  # Y0s: the first len(Y0s) starts (a peer may run a leading subset)
        k = len(Y0s)
        return np.max(np.abs(Y - limits(alpha[:k], beta[:k], c1[:k], Y0s)), axis=1)

    return {"name": "chain111", "system": system, "starts": Y0, "field_params": params, "error": error,
            "draw": "per-start"}


def _field_values(system, ys, ps) -> list:
    """The system's generated field (its straight-line statements: sums and products) evaluated
    on ``ys`` (the state's components) and ``ps`` (the parameters), of any type with + and *:
    heyoka expressions, JAX or torch arrays. Components that are constants come back as numbers."""
    st = system._compiled_field().statements
    ns = {f"y{i}": v for i, v in enumerate(ys)}
    ns.update({f"p{j}": v for j, v in enumerate(ps)})
    for name, code in st["temps"]:
        ns[name] = eval(code, {}, ns)  # noqa: S307 - our own generated code
    return [eval(code, {}, ns) for code in st["outputs"]]  # noqa: S307


def _sizes(system):
    st = system._compiled_field().statements
    return st["n_state"], st["n_par"]


def _heyoka_system(system):
    """heyoka expressions of the system's generated field (the same statements), parameters
    as heyoka runtime parameters."""
    import heyoka as hy
    n, n_par = _sizes(system)
    ys = hy.make_vars(*[f"y{i}" for i in range(n)])
    ys = [ys] if n == 1 else list(ys)
    return ys, _field_values(system, ys, [hy.par[j] for j in range(n_par)]), n_par


class _Heyoka:
    def __init__(self, system, rtol, conv_tol, events):
        import heyoka as hy
        self.hy = hy
        ys, f, self.n_par = _heyoka_system(system)
        self.n = len(ys)
        self.S = hy.recommended_simd_size()
        kw = {}
        if events:
            # In units of conv_tol (order 1), implying linrbp's rule; see the module docstring.
            scaled = [e * (1.0 / conv_tol) for e in f]
            g = sum(e * e for e in scaled) - (1 + hy.sqrt(sum(v * v for v in ys)) * (1.0 / np.sqrt(self.n))) ** 2
            kw["t_events"] = [hy.t_event_batch(g, direction=hy.event_direction.negative)]
        self.events = events
        self.ta = hy.taylor_adaptive_batch(list(zip(ys, f)), np.zeros((self.n, self.S)), tol=rtol,
                                           pars=np.zeros((max(self.n_par, 1), self.S)), **kw)

    def _propagate(self, t):
        """``ta.propagate_until(t)``, its CPU time added to ``self.integrator_cpu``."""
        c0 = time.process_time()
        self.ta.propagate_until(t)
        self.integrator_cpu += time.process_time() - c0

    def run(self, Y0, P, t_stop):
        """Final states (B, n), with events: lanes refilled from the queue as they stop
        (their stopping times in ``self.t_end``). ``self.integrator_cpu``: the CPU seconds spent
        inside heyoka's integrator (``propagate_until``), without this Python driver."""
        ta, S, B = self.ta, self.S, len(Y0)
        self.integrator_cpu = 0.0
        out = np.empty_like(Y0)
        self.t_end = np.array(t_stop, dtype=float)
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
                self._propagate(tt)
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
            self._propagate(np.where(lane >= 0, t_end, ta.time))
            res = ta.propagate_res
            tnow = np.array(ta.time)
            for s in range(S):
                if lane[s] < 0:
                    continue
                outcome = res[s][0]
                done = int(outcome) == -1 or tnow[s] >= t_end[s]
                if done:
                    out[lane[s]] = ta.state[:, s]
                    self.t_end[lane[s]] = tnow[s]
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


def _chunked(run_chunk, Y0, P, t_stop, chunk):
    """(t_end, Y) of ``run_chunk(Y, P, t)`` over consecutive chunks of ``chunk`` starts, the
    last padded with copies of its first start so every call has one shape (one compilation)."""
    B = len(Y0)
    t_end, Y = np.empty(B), np.empty_like(Y0)
    for i in range(0, B, chunk):
        j = min(B, i + chunk)
        pad = chunk - (j - i) if B > chunk else 0
        idx = np.concatenate([np.arange(i, j), np.full(pad, i)])
        t, y = run_chunk(Y0[idx], P[idx], t_stop[idx])
        t_end[i:j], Y[i:j] = t[: j - i], y[: j - i]
    return t_end, Y


DIFFRAX_CHUNK = 1024
TORCHODE_CHUNK = 1024
PEER_SUBSET = 2048  # starts run by the lockstep peers (diffrax, torchode): see bench_peers
SHORT_RUN_SECONDS, SHORT_RUN_MAX = 1.0, 10  # runs per round for a side whose run is short


def _one_thread_xla():
    """XLA on the CPU in one intra-op thread (read when jax starts: set before its import)."""
    if "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()


class _Diffrax:
    """diffrax's Dopri8, vmapped over a chunk, with linrbp's rule as a boolean event (or told
    the stopping times)."""

    def __init__(self, system, rtol, atol, conv_tol, events, max_steps=200_000):
        _one_thread_xla()
        import jax
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        import diffrax as dfx
        import jax.numpy as jnp
        n, n_par = _sizes(system)
        self.events = events

        def f(t, y, p):
            vals = _field_values(system, [y[i] for i in range(n)], [p[j] for j in range(n_par)])
            return jnp.stack([jnp.asarray(v, dtype=jnp.float64) for v in vals])

        def rule(t, y, p, **kwargs):  # linrbp's rule, tested at step ends
            return jnp.max(jnp.abs(f(t, y, p))) <= conv_tol * (1.0 + jnp.max(jnp.abs(y)))

        def solve(y0, p, t1):
            sol = dfx.diffeqsolve(dfx.ODETerm(f), dfx.Dopri8(), 0.0, t1, None, y0, p,
                                  stepsize_controller=dfx.PIDController(rtol=rtol, atol=atol),
                                  event=dfx.Event(rule) if events else None, max_steps=max_steps,
                                  saveat=dfx.SaveAt(t1=True), throw=False)
            return sol.ts[-1], sol.ys[-1], sol.result._value

        self.fn = jax.jit(jax.vmap(solve))
        self.jax = jax
        # diffrax's result codes as linrbp's statuses (anything else: "failed").
        self.statuses = {int(dfx.RESULTS.event_occurred._value): "converged",
                         int(dfx.RESULTS.successful._value): "time-limit",
                         int(dfx.RESULTS.max_steps_reached._value): "step-limit"}

    def run(self, Y0, P, t_stop):
        codes = []

        def chunk(Y, Pc, t):
            tt, yy, rr = self.jax.block_until_ready(self.fn(Y, Pc, t))
            codes.append(np.asarray(rr))
            return np.asarray(tt), np.asarray(yy)
        self.t_end, Y = _chunked(chunk, Y0, P, np.asarray(t_stop, dtype=float), min(DIFFRAX_CHUNK, len(Y0)))
        names = np.array([self.statuses.get(int(c), "failed") for c in np.concatenate(codes)[: len(Y0)]])
        self.status = {k: int(np.sum(names == k)) for k in sorted(set(names))}
        return Y


class _Torchode:
    """torchode's Dopri5 with per-start step sizes over a chunk, told the stopping times."""

    def __init__(self, system, rtol, atol, max_steps=200_000):
        import torch
        import torchode as to
        torch.set_num_threads(1)
        n, n_par = _sizes(system)
        self.torch, self.to = torch, to
        self.events = False
        self.params = None

        def f(t, y):
            p = self.params
            vals = _field_values(system, [y[:, i] for i in range(n)], [p[:, j] for j in range(n_par)])
            return torch.stack([v if torch.is_tensor(v) else torch.full_like(y[:, 0], float(v)) for v in vals], dim=1)

        term = to.ODETerm(f)
        self.solver = to.AutoDiffAdjoint(to.Dopri5(term=term), to.IntegralController(atol=atol, rtol=rtol, term=term),
                                         max_steps=max_steps)

    def run(self, Y0, P, t_stop):
        torch, to = self.torch, self.to

        def chunk(Y, Pc, t):
            f64 = dict(dtype=torch.float64)
            self.params = torch.as_tensor(Pc, **f64)
            t1 = torch.as_tensor(np.maximum(t, 1e-12), **f64)  # a start converged at once: t_end 0
            ivp = to.InitialValueProblem(y0=torch.as_tensor(Y, **f64),
                                         t_eval=torch.stack([torch.zeros_like(t1), t1], dim=1))
            with torch.no_grad():
                sol = self.solver.solve(ivp)
            return t, sol.ys[:, -1].numpy()
        self.t_end, Y = _chunked(chunk, Y0, P, np.asarray(t_stop, dtype=float), min(TORCHODE_CHUNK, len(Y0)))
        return Y


def _cpu(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def bench_peers(cases, rtol, atol, conv_tols, t_maxs, repeats=2) -> dict:
    """Each case: linrbp (backend numba, one worker) and each installed peer, alternating
    ``repeats`` times; diffrax and torchode on the first ``PEER_SUBSET`` starts (a vmapped or
    batched solve steps every start of a chunk until its slowest has stopped, so their time
    grows with the slowest start: measured 75 diffrax-event trajectories per CPU-second on
    chain111, where a quarter of its starts never meet the rule, see docs/performance.md)."""
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
            hey.update({"heyoka_events": _Heyoka(system, rtol, conv_tol, True),
                        "heyoka_given_times": _Heyoka(system, rtol, conv_tol, False)})
        if _installed("diffrax") and _installed("jax"):
            _log(f"bench peers: {name}: compiling diffrax (jit)")
            for key, ev in (("diffrax_events", True), ("diffrax_given_times", False)):
                hey[key] = _Diffrax(system, rtol, atol, conv_tol, ev)
                # Compiled for the chunk's shape here, so the timed runs compile nothing.
                hey[key].run(Y0[:DIFFRAX_CHUNK], P[:DIFFRAX_CHUNK], np.full(min(B, DIFFRAX_CHUNK), 1e-3))
        if _installed("torchode") and _installed("torch"):
            hey["torchode_given_times"] = _Torchode(system, rtol, atol)
        # Peers that step a whole chunk in lockstep (diffrax under vmap, torchode) run the first
        # PEER_SUBSET starts; linrbp is timed on those too, so each ratio compares the same starts.
        sizes = {key: min(B, PEER_SUBSET) if isinstance(h, (_Diffrax, _Torchode)) else B for key, h in hey.items()}
        subsets = sorted({m for m in sizes.values() if m < B})
        best = {}
        inner = {}
        results = {}
        runs = {}

        def timed(key, fn, solver=None):
            """Best (CPU, wall) seconds of ``fn`` in ``best[key]``: run once, or, in every round, as
            often as fits in SHORT_RUN_SECONDS (at most SHORT_RUN_MAX) where one run is short
            (A[5,4,3]'s linrbp run takes ~10 ms: best of 2 would be mostly noise); for a
            ``solver`` that times its integrator alone (heyoka), the best of those in ``inner``."""
            for _ in range(runs.get(key, 1)):
                out, cpu, wall = _cpu(fn)
                best[key] = min(best.get(key, (np.inf, np.inf)), (cpu, wall))
                if getattr(solver, "integrator_cpu", None) is not None:
                    inner[key] = min(inner.get(key, np.inf), solver.integrator_cpu)
                runs.setdefault(key, int(np.clip(SHORT_RUN_SECONDS // max(wall, 1e-9), 1, SHORT_RUN_MAX)))
            return out
        for r in range(repeats):
            _log(f"bench peers: {name}: round {r + 1}/{repeats}: linrbp (numba, 1 worker), {B} starts")
            res = timed("linrbp", linrbp_run)
            results["linrbp"] = res
            for m in subsets:
                timed(f"linrbp_{m}", lambda: run_numba(system, Y0[:m], tm[:m], rtol, atol, conv_tol, 1e8,
                                                       200_000, None, 1, params=P[:m]))
            code, t_end = res[0], res[1]
            for key, h in hey.items():
                m = sizes[key]
                _log(f"bench peers: {name}: round {r + 1}/{repeats}: {key.replace('_', ' ')}, {m} starts")
                stop = tm[:m] if h.events else t_end[:m]
                results[key] = timed(key, lambda: h.run(Y0[:m], P[:m], stop), h)
                results[f"{key}_t_end"] = np.array(h.t_end, dtype=float)
        code, t_end, Y = results["linrbp"][:3]
        err = case["error"](Y0, Y)
        row["linrbp"] = {"traj_per_s": B / best["linrbp"][1], "traj_per_cpu_s": B / best["linrbp"][0],
                         "max_error": float(np.max(err)),
                         "t_end_median": float(np.median(t_end)), "t_end_max": float(np.max(t_end)),
                         "status": {s: int(np.sum(code == i + 1)) for i, s in
                                    enumerate(("converged", "diverged", "time-limit", "step-limit"))
                                    if np.any(code == i + 1)}}
        for key, h in hey.items():
            m = sizes[key]
            e = case["error"](Y0[:m], results[key])
            lin = best["linrbp"] if m == B else best[f"linrbp_{m}"]
            row[key] = {"n_starts": m, "traj_per_s": m / best[key][1], "traj_per_cpu_s": m / best[key][0],
                        "max_error": float(np.max(e)),
                        "t_end_median": float(np.median(results[f"{key}_t_end"])),
                        "t_end_max": float(np.max(results[f"{key}_t_end"])),
                        "linrbp_ratio": best[key][0] / lin[0]}
            if key in inner:
                # Counted against the integrator alone (time inside propagate_until), without
                # the Python driver that sets states and refills lanes between its calls.
                row[key].update({"integrator_cpu_s": inner[key], "traj_per_integrator_cpu_s": m / inner[key],
                                 "linrbp_ratio_integrator_only": inner[key] / lin[0]})
            if m < B:
                row[key]["linrbp_traj_per_cpu_s_same_starts"] = m / lin[0]
            if h.events:
                # Stopped by the event before t_max (else it ran to t_max).
                row[key]["stopped_by_event"] = int(np.sum(results[f"{key}_t_end"] < tm[:m]))
            if getattr(h, "status", None) is not None:
                row[key]["status"] = h.status
        row["runs_per_round"] = dict(runs)
        report["systems"].append(row)
    return report
