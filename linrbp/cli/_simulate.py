"""``linrbp simulate FILE``: integrate one instance file to convergence."""

from __future__ import annotations

import sys

import numpy as np

from ..core._errors import InputError
from ..core._checks import check_t_max
from ..core._io import atomic_write_json, check_output_option
from ..instances._instance import DEFAULT_MAX_STEPS, DEFAULT_T_MAX


def add_parser(sub):
    p = sub.add_parser(
        "simulate",
        help="integrate an instance file until convergence, divergence or t_max",
        description="Integrate the averaged learning dynamics of the linear network described by "
        "an instance file (JSON: layers, rule, sigma_ii, sigma_ti, feedback, weights, optional "
        "t_max, the rule's parameters such as weight_decay; docs/rules.md) until the vector field is negligible (converged), the weights pass a bound "
        "(diverged), t reaches t_max (time-limit) or the integrator has taken --max-steps steps "
        "(step-limit: a run whose steps keep shrinking, e.g. skipped feedback with a bottleneck, "
        "which has no fixed point), and print a summary. With --json, write "
        "status, t_end, weights, feedback, product, excess_loss and the closed-form 'predicted' "
        "limit where one is known; a run that ends at time-limit or step-limit also gets 'growth' "
        "(each matrix's norm fitted by t^p or e^(rt) over the last quarter of the run, and whether "
        "P still moves); --times/--observe add 'observables' along the path. A file with "
        "\"model\": \"teacher-student\" (activation, rule, eta, "
        "sigma, Q, R, T, v, A, b, t_max; docs/teacher-student.md) integrates the order-parameter ODEs "
        "of a two-layer erf or linear network, or with --sgd N runs finite-N online SGD, and writes "
        "times, eps_g, Q, R, v (and b where it evolves), status and t_end. With --sgd and --json OUT, "
        "Ctrl-C keeps every seed's progress beside OUT (.OUT.sgd) and the same command resumes, "
        "with the numbers of a run that was never stopped.",
    )
    p.add_argument("file", help="instance file (JSON)")
    p.add_argument("--t-max", type=float, default=None,
                   help=f"integration time limit (default: the file's t_max, else {DEFAULT_T_MAX:g})")
    p.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS, metavar="N",
                   help=f"stop with status step-limit after N accepted steps (default {DEFAULT_MAX_STEPS})")
    p.add_argument("--method", choices=["scipy", "bdf", "lsoda", "batched"], default="scipy",
                   help="scipy solve_ivp DOP853 with events (default); solve_ivp BDF (implicit) or "
                        "LSODA (stiffness-switching), for runs near a fixed point whose rates span "
                        "orders of magnitude, where DOP853 can stall until its step limit; or "
                        "linrbp's batched integrator")
    from ._options import add_backend_option
    add_backend_option(p, "--method batched", " (here numpy: the loop that Ctrl-C stops between steps)")
    p._option_string_actions["--backend"].help += ("; with --sgd it runs the SGD steps: numba or numpy "
                                                   "(auto: numba where installed)")
    p.add_argument("--observe", metavar="NAME,...", default=None,
                   help="the observables at --times (default excess_loss): excess_loss, alignment, "
                        "update_angle, weight_norm, feedback_norm, or one a --rules file registers "
                        "with linrbp.register_observable")
    p.add_argument("--json", metavar="OUT", help="write the result as JSON to OUT")
    p.add_argument("--times", metavar="T1,T2,...", default=None,
                   help="linear instance files: evaluate --observe at these times along the trajectory "
                        "(default: none); teacher-student files: record eps_g, Q, R, v (and b) at these "
                        "times, t = SGD steps / N (default: 51 times from 0 to the file's t_max)")
    p.add_argument("--sgd", metavar="N", type=int, default=None,
                   help="teacher-student files: run finite-N online SGD at input dimension N instead "
                        "of the ODE (default: the ODE)")
    p.add_argument("--seed", metavar="S1,S2,...", default="0",
                   help="with --sgd: the seeds, one run each (default 0)")
    p.add_argument("--sgd-method", choices=("network", "order-parameters"), default="network",
                   help="with --sgd: 'network' simulates the N-dimensional weights; 'order-parameters' "
                        "runs the same process, exact in law at this N, on (Q, R, v) from the local "
                        "fields and the input's norm (other draws, O((K+M)^3) a step; default network)")
    from ._rule_files import add_rule_options
    add_rule_options(p)
    p.set_defaults(func=run)


def _fmt(M) -> str:
    M = np.asarray(M)
    return np.array2string(M, precision=10, max_line_width=100, prefix="    ")


def _fmt_value(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return "[" + " ".join(_fmt_value(x) for x in v) + "]"
    return f"{v:.6g}"


def run(args) -> int:
    from ._rule_files import load_instance_with_options, load_rule_files

    check_output_option(args.json, "--json")
    load_rule_files(args.rules)
    from ..core._io import load_json_file
    from ..teacher_student import is_teacher_student
    data = load_json_file(args.file)
    if is_teacher_student(data):
        if args.observe is not None:
            raise InputError("--observe: only for linear instance files (a teacher-student file records "
                             "eps_g, Q, R, v at --times)")
        from ._rule_files import apply_rule_options
        from ._teacher_student import run_simulate
        return run_simulate(args, apply_rule_options(data, args))
    if args.sgd is not None:
        raise InputError("--sgd: only for teacher-student instance files (\"model\": \"teacher-student\")")
    if args.sgd_method != "network":
        raise InputError("--sgd-method: only for teacher-student instance files with --sgd N")
    inst = load_instance_with_options(args.file, args, data)
    t_max = check_t_max(args.t_max) if args.t_max is not None else None
    if args.max_steps < 1:
        raise InputError(f"max-steps: must be a positive integer, got {args.max_steps}")
    from ._options import parse_times
    from ..instances._observe import check_observables
    times = parse_times(args.times)
    if args.observe is not None and times is None:
        raise InputError("observe: give --times to say when to observe")
    names = check_observables(args.observe or "excess_loss") if times is not None else None
    from ..instances._simulate import simulate  # the integrators (scipy): after every check

    out = simulate(inst, t_max, method=args.method, max_steps=args.max_steps,
                   progress=None, interruptible=True, times=times, observe=names, backend=args.backend)
    print(f"{args.file}: A{out['layers']} under {out['rule']}")
    if out["parameters"]:
        print("  parameters   " + ", ".join(f"{k} = {v:g}" for k, v in out["parameters"].items()))
    print(f"  status       {out['status']} at t = {out['t_end']:.6g} after {out['n_steps']} steps "
          f"(t_max {out['t_max']:g}, max steps {out['max_steps']})")
    if "growth" in out:
        from ..instances._growth import growth_summary
        print(f"  growth       {growth_summary(out['growth'])}")
    print(f"  excess loss  {out['excess_loss']:.6g}")
    print(f"  product P    {_fmt(out['product'])}")
    for h, W in enumerate(out["weights"], 1):
        print(f"  A_{h}          {_fmt(W)}")
    if inst.system.rule.adaptive:
        for h, C in enumerate(out["feedback"], 1):
            print(f"  C_{h}          {_fmt(C)}")
    pred = out["predicted"]
    if pred is None:
        print("  predicted    (no closed form known for this instance)")
    elif pred.get("product") is None and "feedback_offset" in pred:  # kolen-pollack: at t_end
        for h, D in enumerate(pred["feedback_offset"], 1):
            print(f"  predicted    {pred.get('system')}: C_{h} - A_{h + 1}^T = {_fmt(D)}")
    elif pred.get("product") is None:
        print(f"  predicted    {pred.get('system')}: no closed-form product"
              + (f" ({pred['case']})" if pred.get("case") else ""))
    else:
        print(f"  predicted    {pred.get('system')}: P = {_fmt(pred.get('product'))}")
    if pred is not None and pred.get("loss_gap_to_bp") is not None:
        print(f"  BP's limit   {pred['bp_limit']['case']}: excess loss above it at this limit "
              f"{pred['loss_gap_to_bp']:.6g} (the loss gap RBP - BP)")
    if pred is not None and pred.get("reason"):
        fp = pred.get("fixed_point")
        print(f"  case         {pred.get('case', '-')}, fixed point "
              f"{'unknown' if fp is None else ('yes' if fp else 'none')}: {pred['reason']}")
    if "observables" in out:
        print(f"  observed at  t = {', '.join(f'{t:g}' for t in out['times'])}")
        for name, vals in out["observables"].items():
            print(f"    {name:<15}{', '.join(_fmt_value(v) for v in vals)}")
    if args.json:
        atomic_write_json(args.json, out, "--json")
        print(f"  wrote {args.json}")
    if out["status"] == "non-finite":
        print(f"linrbp simulate: {out['message']}", file=sys.stderr)
        return 1
    if out["status"] == "interrupted":
        print(f"linrbp simulate: interrupted at t = {out['t_end']:.6g}; the state above is the last "
              "accepted step", file=sys.stderr)
        return 130
    return 0
