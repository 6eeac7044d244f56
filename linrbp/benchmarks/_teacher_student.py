"""``linrbp bench teacher-student``: finite-N SGD steps per second and the cost of the ODE.

SGD: N = 1000, K = 4, M = 2, erf, FA (rbp), the compiled kernel against the plain numpy per-step
loop on the same draws (same seed, same steps; the final eps_g must agree). The time to draw the
Gaussian inputs alone is reported too (it bounds any implementation that draws them with numpy).
The order-parameter chain (``method="order-parameters"``, the same process in law without the
N-dimensional inputs; other draws, so its eps_g is not compared) runs the same steps, compiled.

ODE: the same network from t = 0 to t = 1000, linrbp's DOP853 (rtol 1e-11) against forward Euler
with dt = 1/N (one ODE step per SGD step: what the published C++ code does), both on the same
vector field; errors of eps_g against a tight reference (DOP853 at rtol 1e-13). Euler runs to
``t_euler`` only and its cost is scaled to t = 1000 (steps of a fixed dt cost the same each: the
scaling is exact up to timing noise); its error is measured at t_euler.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["bench_teacher_student"]


def _instance(seed: int, K=4, M=2):
    from ..teacher_student import parse_ts_instance

    rng = np.random.default_rng(seed)
    W = rng.normal(size=(K + M, 1000))
    C = W @ W.T / 1000
    return parse_ts_instance({"model": "teacher-student", "activation": "erf", "rule": "rbp", "eta": 1.0,
                              "sigma": 0.0, "Q": C[:K, :K].tolist(), "R": C[:K, K:].tolist(),
                              "T": C[K:, K:].tolist(), "v": rng.normal(size=K).tolist(), "A": [1.0] * M,
                              "b": rng.normal(size=K).tolist(), "t_max": 1000.0})


def bench_teacher_student(steps: int = 20_000, t_euler: float = 10.0, seed: int = 0, t_end: float = 1000.0) -> dict:
    from scipy.integrate import solve_ivp

    from ..teacher_student import integrate_ts, simulate_sgd
    from ..teacher_student._kernel import compiled_run_steps

    inst = _instance(seed)
    N = 1000
    t_sgd = steps / N
    out = {"N": N, "K": 4, "M": 2, "rule": "rbp", "activation": "erf", "seed": seed, "steps": steps}
    # -- SGD ----------------------------------------------------------------------------------
    have_numba = compiled_run_steps() is not None
    if have_numba:
        simulate_sgd(inst, N, [seed], [1.0 / N], backend="numba")  # compile / load the cache
    rows = {}
    for backend in (["numba"] if have_numba else []) + ["numpy"]:
        t0 = time.perf_counter()
        r = simulate_sgd(inst, N, [seed], [t_sgd], backend=backend)
        dt = time.perf_counter() - t0
        rows[backend] = {"seconds": dt, "steps_per_s": steps / dt, "eps_g": r["eps_g"][0][-1]}
    if have_numba:
        simulate_sgd(inst, N, [seed], [1.0 / N], method="order-parameters")  # compile / load the cache
        t0 = time.perf_counter()
        r = simulate_sgd(inst, N, [seed], [t_sgd], method="order-parameters", backend="numba")
        dt = time.perf_counter() - t0
        rows["order-parameters"] = {"seconds": dt, "steps_per_s": steps / dt, "eps_g": r["eps_g"][0][-1]}
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    for _ in range(steps // 256 + 1):
        rng.standard_normal((256, N))
    rows["draws_only"] = {"seconds": time.perf_counter() - t0}
    rows["draws_only"]["steps_per_s"] = steps / rows["draws_only"]["seconds"]
    out["sgd"] = rows
    if have_numba:
        out["sgd_ratio_numba_over_numpy"] = rows["numba"]["steps_per_s"] / rows["numpy"]["steps_per_s"]
        out["sgd_same_result"] = abs(rows["numba"]["eps_g"] - rows["numpy"]["eps_g"]) <= 1e-10
        out["sgd_ratio_order_parameters_over_numba"] = (rows["order-parameters"]["steps_per_s"]
                                                        / rows["numba"]["steps_per_s"])
    # -- ODE ----------------------------------------------------------------------------------
    m = inst.model
    ref = solve_ivp(m.field, (0, t_end), inst.y0, method="DOP853", rtol=1e-13, atol=1e-15,
                    t_eval=[t_euler, t_end])
    eps_ref = [m.eps_g(ref.y[:, 0]), m.eps_g(ref.y[:, 1])]
    t0 = time.perf_counter()
    ode = integrate_ts(inst, [t_euler, t_end])
    t_ode = time.perf_counter() - t0
    err_ode = [abs(ode["eps_g"][k] - eps_ref[k]) / abs(eps_ref[k]) for k in range(2)]
    n_euler = int(round(t_euler * N))
    y = inst.y0.copy()
    h = 1.0 / N
    t0 = time.perf_counter()
    for _ in range(n_euler):
        y = y + h * m.field(0.0, y)
    t_eul = time.perf_counter() - t0
    err_euler = abs(m.eps_g(y) - eps_ref[0]) / abs(eps_ref[0])
    eul_1000 = t_eul * (t_end / t_euler)
    out["ode"] = {"t_end": t_end, "t_euler": t_euler, "dop853_seconds": t_ode,
                  "dop853_rel_error_eps_g": {"t_euler": err_ode[0], "t_end": err_ode[1]},
                  "euler_seconds_measured": t_eul, "euler_steps_measured": n_euler,
                  "euler_seconds_to_t_end_scaled": eul_1000, "euler_rel_error_eps_g_at_t_euler": err_euler,
                  "eps_g_reference": eps_ref, "ratio_euler_over_dop853": eul_1000 / t_ode}
    return out


def print_teacher_student(res: dict) -> None:
    s = res["sgd"]
    print(f"teacher-student SGD: N = {res['N']}, K = {res['K']}, M = {res['M']}, {res['activation']}, "
          f"{res['rule']}, {res['steps']} steps, one seed")
    for k, row in s.items():
        print(f"  {k:<16} {row['steps_per_s']:>12,.0f} steps/s  ({row['seconds']:.3f} s)")
    if "sgd_ratio_numba_over_numpy" in res:
        print(f"  ratio numba / numpy per-step loop: {res['sgd_ratio_numba_over_numpy']:.1f}x "
              f"(same eps_g: {'yes' if res['sgd_same_result'] else 'NO'})")
    if "sgd_ratio_order_parameters_over_numba" in res:
        print(f"  ratio order-parameter chain / network kernel (both numba, same process in law): "
              f"{res['sgd_ratio_order_parameters_over_numba']:.1f}x")
    o = res["ode"]
    print(f"teacher-student ODE to t = {o['t_end']:g}: DOP853 rtol 1e-11 {o['dop853_seconds']:.3f} s, relative "
          f"error of eps_g {o['dop853_rel_error_eps_g']['t_end']:.2e} (at t = {o['t_euler']:g}: "
          f"{o['dop853_rel_error_eps_g']['t_euler']:.2e})")
    print(f"  forward Euler dt = 1/N: {o['euler_steps_measured']} steps to t = {o['t_euler']:g} took "
          f"{o['euler_seconds_measured']:.2f} s -> {o['euler_seconds_to_t_end_scaled']:.0f} s to t = "
          f"{o['t_end']:g} (scaled); relative error of eps_g at t = {o['t_euler']:g}: "
          f"{o['euler_rel_error_eps_g_at_t_euler']:.2e}")
    print(f"  ratio Euler / DOP853 (cost to t = {o['t_end']:g}): {o['ratio_euler_over_dop853']:.0f}x")
