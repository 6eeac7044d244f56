"""``linrbp simulate`` for teacher-student instance files: the ODE, or finite-N SGD (--sgd)."""

from __future__ import annotations

import sys

import numpy as np

from ..core._errors import InputError
from ..core._io import atomic_write_json
from ._options import parse_times


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' or '0-3' (inclusive range) as a list of seeds; InputError naming --seed."""
    from ..core._checks import check_seed

    out = []
    for item in str(text).split(","):
        item = item.strip()
        try:
            if "-" in item[1:]:
                lo, hi = item.split("-", 1)
                lo, hi = int(lo), int(hi)
                if hi < lo or hi - lo > 10_000:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(item))
        except ValueError:
            raise InputError(f"--seed: expected seeds like 0,1,2 or 0-15, got {text!r}") from None
    out = [check_seed(s, "--seed") for s in out]
    if len(set(out)) != len(out):
        raise InputError(f"--seed: seeds repeat in {text!r}")
    return out


def run_simulate(args, data) -> int:
    from ..teacher_student import integrate_ts, parse_ts_instance, simulate_sgd

    from ..instances._simulate import DEFAULT_MAX_STEPS

    if args.method != "scipy" or args.max_steps != DEFAULT_MAX_STEPS:
        raise InputError("--method/--max-steps: not for teacher-student files (their ODE runs DOP853 at "
                         "rtol 1e-11 to the last time)")
    if getattr(args, "t_max", None) is not None and args.times is not None:
        raise InputError("--t-max: give either --t-max or --times for a teacher-student file")
    inst = parse_ts_instance(data)
    times = parse_times(args.times)
    if times is None and args.t_max is not None:
        from ..integration._integrate import check_t_max
        inst.t_max = check_t_max(args.t_max)
    m = inst.model
    if args.sgd is None and getattr(args, "sgd_method", "network") != "network":
        raise InputError("--sgd-method: only with --sgd N")
    if args.sgd is not None:
        seeds = parse_seeds(args.seed)
        if args.sgd < m.K + m.M:
            raise InputError(f"--sgd: N must be >= K + M = {m.K + m.M}, got {args.sgd}")
        kept = refuse = None
        if args.json:
            from ..core._io import check_output_dir
            from ..core._records import records_beside
            kept = records_beside(args.json, "sgd")
            check_output_dir(kept, "--json")
            refuse = (f"--json {args.json}: {kept} holds interrupted SGD runs with other settings; "
                      "rerun that command to finish them (same file, --sgd, --seed, --times or --t-max, "
                      f"--sgd-method, --backend, rule and parameters), or delete {kept} to start afresh")
        backend = getattr(args, "backend", "auto")
        if backend == "torch":
            raise InputError("--backend: SGD runs on auto, numba or numpy, not torch")
        out = simulate_sgd(inst, args.sgd, seeds, times, method=getattr(args, "sgd_method", "network"),
                           backend=backend, progress=None, interruptible=True, records=kept,
                           refuse=refuse)
        rec = out.pop("records", None)
        if rec is not None and rec["resumed_steps"]:
            print(f"  resumed {rec['resumed_steps']} SGD steps from {rec['directory']}")
        eps = np.asarray(out["eps_g"])
        print(f"{args.file}: teacher-student K = {m.K}, M = {m.M}, {m.activation}, rule {m.rule.name}, "
              f"eta {m.eta:g}, sigma {m.sigma:g}: SGD at N = {out['N']}, seeds {', '.join(map(str, seeds))} "
              f"({out['sgd_method']}, {out['backend']})")
        print(f"  status  {out['status']} at t = {out['t_end']:.6g}")
        print("  t            eps_g (mean over seeds)   spread (sd)")
        for k, t in enumerate(out["times"]):
            print(f"  {t:<12.6g} {eps[:, k].mean():<25.10g} {eps[:, k].std():.3g}")
    else:
        out = integrate_ts(inst, times, progress=None, interruptible=True)
        print(f"{args.file}: teacher-student K = {m.K}, M = {m.M}, {m.activation}, rule {m.rule.name}, "
              f"eta {m.eta:g}, sigma {m.sigma:g}: ODE (DOP853, rtol 1e-11)")
        print(f"  status  {out['status']} at t = {out['t_end']:.6g}")
        print("  t            eps_g")
        for t, e in zip(out["times"], out["eps_g"]):
            print(f"  {t:<12.6g} {e:.12g}")
    if args.json:
        atomic_write_json(args.json, out, "--json")
        print(f"  wrote {args.json}")
    if out["status"] == "interrupted":
        msg = f"linrbp simulate: interrupted at t = {out['t_end']:.6g}; the times above are done"
        if args.sgd is not None:
            if rec is not None:
                steps = rec["steps_kept"]
                msg += ("; seed(s) " + ", ".join(f"{s} at step {steps[str(s)]}" for s in out["seeds"])
                        + f" of {rec['last_step']} are kept "
                        f"in {rec['directory']}; rerun the same command to resume")
            else:
                msg += "; nothing was kept (with --json OUT the same command resumes)"
        print(msg, file=sys.stderr)
        return 130
    if args.sgd is not None and rec is not None:
        from ..teacher_student._sgd_records import remove_seed_records
        remove_seed_records(rec["directory"], out["seeds"])  # the results are written
    return 0
