"""``linrbp bench [integrate|symbolic|trainer|startup|all]``: timings as ratios against the alternatives."""

from __future__ import annotations

import math

from ..core._errors import InputError
from ..core._checks import check_seed
from ..core._io import atomic_write_json, check_output_option

DEFAULT_SIZE = 100_000
QUICK_SIZE = 2_000


def add_parser(sub):
    p = sub.add_parser(
        "bench",
        help="benchmark the batched integrator (and the symbolic and trainer parts)",
        description="integrate: random chain111 starts (plus a depth-4 chain and an A[5,4,3] batch) "
        "integrated to convergence by linrbp's batched integrator, by a Python loop of solve_ivp "
        "LSODA over a subsample and by one stacked solve_ivp DOP853 system, all at rtol 1e-10; "
        "prints trajectories/s, ratios and the worst error against the closed-form limits. "
        "With torch installed the same batches also run on the optional torch backend (on the GPU "
        "when torch sees one) and are compared. symbolic: seconds to derive the chain of depth 3..7, and find_invariants at degree 2 on a 50-entry instance against sympy's plain exact nullspace. trainer: seconds per epoch of the "
        "paper network in float32 and float64. sweeps: seconds of verify (every claim; --quick: two) "
        "and probe (6 shapes x 4 seeds; --quick: 2 x 2) serially and on --workers local processes, "
        "the speed-up, and whether the two reports are identical. startup: 'linrbp --help' and "
        "'linrbp train' up to its first batch, each against 'python -c \"import numpy\"', in fresh "
        "interpreters run alternately, medians over the repeats. teacher-student: finite-N SGD steps per "
        "second (N = 1000, K = 4) compiled against a plain numpy per-step loop, and the ODE's cost to "
        "t = 1000 (DOP853) against forward Euler with dt = 1/N, errors against a tight reference "
        "(--quick: 2,000 SGD steps, the ODE to t = 20, Euler to t = 1). verify: CPU and wall seconds of each "
        "claim run alone (serially), then of the whole catalogue on --workers local processes (as "
        "'linrbp verify' runs it: a fresh process, default every usable CPU), the reports compared, "
        "with whether numba was used and the kernel caches warm; targets for that run: 30 CPU-s "
        "(the process and its workers), 20 s wall on 2 cores. Progress goes to stderr.",
    )
    p.add_argument("part", nargs="?", default="integrate",
                   choices=["integrate", "symbolic", "trainer", "sweeps", "startup", "teacher-student", "verify", "all"],
                   help="what to time (default integrate)")
    p.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT")
    p.add_argument("--size", type=int, default=None,
                   help=f"number of chain111 starts (default {DEFAULT_SIZE}; the depth-4 chain "
                   "gets a fifth, A[5,4,3] a 500th)")
    p.add_argument("--quick", action="store_true", help=f"tiny sizes ({QUICK_SIZE} starts), for smoke tests")
    p.add_argument("--loop", type=int, default=None, help="starts in the LSODA loop (default 200; quick 20)")
    p.add_argument("--stacked", type=int, default=None,
                   help="chain111 starts in the stacked solve (default 10000; the others a tenth)")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--peers", action="store_true",
                   help="also run linrbp's compiled backend (numba) against heyoka, diffrax and torchode "
                   "where installed, alternating in one run, one thread each")
    p.add_argument("--draw", choices=["per-start", "per-system"], default="per-start",
                   help="peers' chain111 starts: (alpha, beta, c1) drawn per start (default) or once, "
                   "as the main table")
    p.add_argument("--workers", type=int, default=None,
                   help="local processes for the sweeps part (default 2) and the verify part "
                   "(default every usable CPU)")
    p.add_argument("--images", type=int, default=None, help="images per trainer epoch (default 2000; quick 200)")
    p.add_argument("--repeats", type=int, default=None,
                   help="fresh interpreters per start timed by startup (default 7; quick 3)")
    p.add_argument("--without-numba", action="store_true",
                   help="verify part: numba unimportable in this process and in the timed 'linrbp verify' "
                   "(as an install without the jit extra)")
    p.add_argument("--fashion", action="store_true",
                   help="startup also times 'linrbp train' on Fashion-MNIST, reading it included (no target)")
    p.set_defaults(func=run)


def _positive(value, name):
    if value is not None and value < 1:
        raise InputError(f"{name}: must be a positive integer, got {value}")
    return value


def _num(x, spec):
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return format(x, spec)


def _print_integrate(res):
    print(f"integrate (seed {res['seed']}, rtol {res['rtol']:g}, atol {res['atol']:g}, "
          f"{res['cpu_count']} cores)")
    head = (f"  {'system':<18} {'starts':>7} {'batched/s':>10} {'loop/s':>8} {'stacked/s':>10} "
            f"{'x loop':>8} {'x stacked':>9} {'max error':>10} {'loop err':>9} {'stack err':>9}")
    print(head)
    for s in res["systems"]:
        print(f"  {s['system']:<18} {s['n_starts']:>7} {_num(s['batched_traj_per_s'], '10.4g')} "
              f"{_num(s['loop_traj_per_s'], '8.3g')} {_num(s['stacked_traj_per_s'], '10.4g')} "
              f"{_num(s['ratio_vs_loop'], '8.1f')} {_num(s['ratio_vs_stacked'], '9.1f')} "
              f"{_num(s['max_error'], '10.2e')} {_num(s['loop_max_error'], '9.1e')} "
              f"{_num(s['stacked_max_error'], '9.1e')}")
    for s in res["systems"]:
        print(f"  {s['system']}: error = {s['error_of']}; batched {s['batched_status']}, "
              f"{s['batched_mean_steps']:.1f} steps mean, {s['workers']} workers, conv_tol "
              f"{s['conv_tol']:g}, t_max {s['t_max']:g}; loop over "
              f"{s['loop_starts']} starts; stacked {s['stacked_starts']} starts to t = "
              f"{s['stacked_horizon']:.4g} (the batched run's last event time for them), "
              f"{s['stacked_nfev']} evaluations; batched {s['batched_traj_per_cpu_s']:.4g} "
              "trajectories per CPU-second")
    for s in res["systems"]:
        if "numba_traj_per_s" in s:
            print(f"  {s['system']}: numba backend: {s['numba_traj_per_s']:.4g} trajectories/s "
                  f"({s['numba_ratio_vs_batched']:.2f}x the numpy batched run, {s['numba_workers']} workers), "
                  f"{s['numba_traj_per_cpu_s']:.4g} per CPU-second, max error {s['numba_max_error']:.2e}, "
                  f"max relative difference from numpy {s['numba_max_rel_diff_vs_batched']:.1e}, "
                  + ("same statuses" if s["numba_status_differences"] == 0 else
                     f"statuses {s['numba_status']}, differing from numpy's on "
                     f"{s['numba_status_differences']} of {s['n_starts']} starts"))
        elif "numba" in s:
            print(f"  {s['system']}: numba backend: {s['numba']}")
    for s in res["systems"]:
        if "torch_traj_per_s" in s:
            print(f"  {s['system']}: torch backend on {s['torch_device']}: {s['torch_traj_per_s']:.4g} "
                  f"trajectories/s ({s['torch_ratio_vs_batched']:.2f}x the numpy batched run), max error "
                  f"{s['torch_max_error']:.2e}, max difference from numpy {s['torch_max_diff_vs_batched']:.1e}, "
                  + ("same statuses" if s["torch_status_differences"] == 0 else
                     f"statuses {s['torch_status']}, differing from numpy's on "
                     f"{s['torch_status_differences']} of {s['n_starts']} starts"))
        elif "torch" in s:
            print(f"  {s['system']}: torch backend: {s['torch']}")
    verdict = ", ".join(f"{k} {'not measured at quick size' if ok is None else 'met' if ok else 'MISSED'}"
                        for k, ok in res["meets_targets"].items())
    print(f"  targets (chain111): {verdict}")


def _print_peers(res):
    print("peers (one thread each, best of 2 alternating rounds, a run under 1 s repeated up to 10 times "
          "in each; errors against the closed forms)")
    print("  " + ", ".join(f"{k}: {v}" for k, v in res["peers"].items()))
    if "unavailable" in res:
        print(f"  linrbp compiled backend unavailable: {res['unavailable']}")
        return
    print(f"  {'system':<18} {'draw':<10} {'starts':>7} {'solver':<28} {'traj/s':>10} {'traj/CPU-s':>10} "
          f"{'linrbp x':>8} {'max error':>10} {'t_end med':>9} {'t_end max':>9}")
    for s in res["systems"]:
        if isinstance(s.get("linrbp"), str):
            print(f"  {s['system']:<18} {s['linrbp']}")
            continue
        for key, label in _PEER_ROWS.items():
            r = s.get(key)
            if r is None:
                continue
            print(f"  {s['system']:<18} {s['draw']:<10} {r.get('n_starts', s['n_starts']):>7} {label:<28} "
                  f"{r['traj_per_s']:>10.4g} {r['traj_per_cpu_s']:>10.4g} "
                  f"{_num(r.get('linrbp_ratio'), '8.2f')} {r['max_error']:>10.2e} "
                  f"{_num(r.get('t_end_median'), '9.4g')} {_num(r.get('t_end_max'), '9.4g')}")
            if "linrbp_ratio_integrator_only" in r:
                print(f"  {'':<18} {'':<10} {'':>7} {'  its integrator alone':<28} {'':>10} "
                      f"{r['traj_per_integrator_cpu_s']:>10.4g} {r['linrbp_ratio_integrator_only']:>8.2f}")
        lin = s.get("linrbp", {})
        if isinstance(lin, dict) and "status" in lin:
            extra = "".join(f"; {peer}'s event stopped {s[key]['stopped_by_event']} of {s[key]['n_starts']} "
                            "before t_max" for peer, key in (("heyoka", "heyoka_events"), ("diffrax", "diffrax_events"))
                            if "stopped_by_event" in s.get(key, {}))
            print(f"  {'':<18} linrbp statuses {lin['status']} (t_max {s['t_max']:g}){extra}")


# Rows of the peers table: the report's keys and their labels.
_PEER_ROWS = {"linrbp": "linrbp numba", "heyoka_events": "heyoka, event",
              "heyoka_given_times": "heyoka, given t_end", "diffrax_events": "diffrax Dopri8, event",
              "diffrax_given_times": "diffrax Dopri8, given t_end",
              "torchode_given_times": "torchode Dopri5, given t_end"}


def _print_symbolic(res):
    if "unavailable" in res:
        print(f"symbolic: unavailable: {res['unavailable']}")
        return
    print("symbolic: seconds to derive the depth-L chain reduction")
    for row in res["depths"]:
        print(f"  L = {row['depth']}: symbolic {_num(row.get('symbolic_seconds'), '.3f')} s, "
              f"numeric {_num(row.get('numeric_seconds'), '.3f')} s"
              + "".join(f"  ({k}: {v})" for k, v in row.items() if k.endswith("error")))
    inv = res.get("invariants")
    if inv:
        parts = inv["parts"]
        print(f"symbolic: find_invariants, degree {inv['degree']}, A{inv['layers']} under {inv['rule']} "
              f"({inv['n_state']} state entries, seed {inv['seed']}): dimension {inv['dimension']} "
              f"(expected {inv['expected_dimension']}), all verified {inv['all_verified']}")
        print(f"  {inv['seconds']:.2f} s wall, {inv['cpu_seconds']:.2f} s CPU on {inv['cpu_count']} cores "
              f"(target {inv['target_seconds']:g} s: {'met' if inv['meets_target'] else 'MISSED'}); "
              f"derive {parts['derive']:.2f} s, matrix {parts['build']:.2f} s, nullspace "
              f"{parts['nullspace']:.2f} s, exact check {parts['exact_check']:.2f} s, drift check "
              f"{parts['drift_check']:.2f} s")
        if "alternative_nullspace_seconds" in inv:
            print(f"  nullspace: {inv['nullspace_ratio_vs_alternative']:.2f}x the speed of {inv['alternative']} "
                  f"({inv['alternative_nullspace_seconds']:.2f} s, dimension {inv['alternative_dimension']}); "
                  f"{inv['live_columns']} of {inv['columns']} columns survive the pruning")


def _print_trainer(res):
    if "unavailable" in res:
        print(f"trainer: unavailable: {res['unavailable']}")
        return
    print(f"trainer: {res['n_images']} images per epoch (seed {res['seed']})")
    for dtype in ("float32", "float64"):
        r = res[dtype]
        print(f"  {dtype}: {r['epoch_seconds']:.3f} s for {res['n_images']} images, "
              f"{r['images_per_s']:.4g} images/s, {r['seconds_per_60000_images']:.1f} s per "
              "60,000-image epoch")
    for dtype in ("float32", "float64"):
        r = res.get(f"torch_{dtype}")
        if r is not None:
            print(f"  torch on {r['device']}, {dtype}: {r['epoch_seconds']:.3f} s, {r['images_per_s']:.4g} "
                  f"images/s ({r['ratio_vs_numpy']:.2f}x numpy's speed)")


def _print_startup(res):
    print(f"startup: medians of {res['repeats']} fresh interpreters each, run alternately")
    print(f"  python -c 'import numpy'   {res['numpy_import_seconds']:.3f} s")
    print(f"  linrbp --help              {res['help_seconds']:.3f} s  = {res['help_ratio']:.2f}x import numpy "
          f"(target <= {res['targets']['help_ratio']:g}x: {'met' if res['meets_targets']['help_ratio'] else 'MISSED'})")
    print(f"  {res['train_command']:<26} {res['train_start_seconds']:.3f} s to its first batch = "
          f"{res['train_start_ratio']:.2f}x import numpy (target <= {res['targets']['train_start_ratio']:g}x: "
          f"{'met' if res['meets_targets']['train_start_ratio'] else 'MISSED'})")
    if "train_fashion_start_seconds" in res:
        print(f"  {res['train_fashion_command']:<26} {res['train_fashion_start_seconds']:.3f} s to its first "
              f"batch = {res['train_fashion_start_ratio']:.2f}x (Fashion-MNIST read from disk included; "
              "no target)")


def _print_sweeps(res):
    print(f"sweeps: serial vs {res['workers']} local processes ({res['cpu_count']} cores, seed {res['seed']})")
    v, p = res["verify"], res["probe"]
    print(f"  verify: {len(v['claims'])} claims, {v['checks']} checks: serial {v['serial_seconds']:.2f} s, "
          f"{res['workers']} workers {v['workers_seconds']:.2f} s, speed-up {v['speedup']:.2f}x; "
          f"reports {'identical' if v['identical'] else 'DIFFER'}")
    print(f"  probe: {p['instances']} instances: serial {p['serial_seconds']:.2f} s, {res['workers']} "
          f"workers {p['workers_seconds']:.2f} s, speed-up {p['speedup']:.2f}x; summaries "
          f"{'identical' if p['identical'] else 'DIFFER'}")


def _print_verify(res):
    print(f"verify: each claim alone, serially (seed {res['seed']}; load {res['load_before']} before, "
          f"{res['load_after']} after; {res['usable_cpus']} usable CPUs)")
    print(f"  {'claim':<22} {'checks':>6} {'CPU-s':>7} {'wall s':>7} {'status':>7} {'worst error':>12} {'tolerance':>10}")
    for c in res["claims"]:
        print(f"  {c['id']:<22} {c['checks']:>6} {c['cpu_seconds']:>7.2f} {c['wall_seconds']:>7.2f} "
              f"{c['status']:>7} {c['max_error']:>12.3g} {c['tolerance']:>10.1e}")
    print(f"  serial: {res['serial_cpu_seconds']:.1f} CPU-s, {res['serial_wall_seconds']:.1f} s wall"
          + (f" ({res['target_claims_cpu_seconds']:.1f} CPU-s for the catalogue the targets were set on; "
             f"newer claims: {', '.join(res['other_claims'])})" if res["other_claims"] else ""))
    print(f"  whole run on {res['workers']} local processes ({res['run_command']}, a fresh process; load "
          f"{res['load_before_run']} before): {res['run_wall_seconds']:.1f} s wall, "
          f"{res['run_cpu_seconds']:.1f} CPU-s (the process and its workers, imports included), "
          f"{'all pass' if res['run_passed'] else 'NOT ALL PASS'}; reports "
          f"{'identical' if res['identical'] else 'DIFFER'}")
    nb, kc = res["numba"], res["kernel_cache"]
    print(f"  numba: {'blocked (--without-numba)' if nb['blocked'] else 'installed' if nb['available'] else 'not installed'}"
          f"; {'used' if nb['used_by_serial_part'] else 'not used'} by the claims; kernel caches "
          + (f"warm (nothing written, {kc['files_after']} files)" if kc["warm"] else
             f"cold ({kc['written_during_run']} files written during the run)"))
    t, ok = res["targets"], res["meets_targets"]
    word = {None: "not judged (needs the full catalogue at default samples{})", True: "met", False: "MISSED"}
    print(f"  targets: <= {t['cpu_seconds']:g} CPU-s: {word[ok['cpu_seconds']].format('')}; <= "
          f"{t['wall_seconds_2_cores']:g} s wall on 2 cores: "
          f"{word[ok['wall_seconds_2_cores']].format(' and --workers 2')}")


def run(args) -> int:
    from ..benchmarks import _bench

    size = _positive(args.size, "size") or (QUICK_SIZE if args.quick else DEFAULT_SIZE)
    loop = _positive(args.loop, "loop") or (20 if args.quick else 200)
    stacked = _positive(args.stacked, "stacked") or 10_000
    images = _positive(args.images, "images") or (200 if args.quick else 2000)
    repeats = _positive(args.repeats, "repeats") or (3 if args.quick else 7)
    check_seed(args.seed, "--seed")
    check_output_option(args.json, "--json")
    parts = _bench.PARTS if args.part == "all" else (args.part,)
    if "trainer" in parts:
        _bench.check_trainer_images(images)  # before any part runs
    out = {}
    for part in parts:
        if part == "integrate":
            out[part] = _bench.bench_integrate(size, loop, args.seed, n_stacked=stacked,
                                               peers=args.peers, draw=args.draw)
            _print_integrate(out[part])
            if "peers" in out[part]:
                _print_peers(out[part]["peers"])
        elif part == "symbolic":
            out[part] = _bench.bench_symbolic(range(3, 5) if args.quick else range(3, 8),
                                              2 if args.quick else 5, args.seed)
            _print_symbolic(out[part])
        elif part == "sweeps":
            from ..benchmarks._sweeps import bench_sweeps
            out[part] = bench_sweeps(2 if args.workers is None else args.workers, args.quick, args.seed)
            _print_sweeps(out[part])
        elif part == "teacher-student":
            from ..benchmarks._teacher_student import bench_teacher_student, print_teacher_student

            out[part] = bench_teacher_student(2_000 if args.quick else 20_000, 1.0 if args.quick else 10.0,
                                              args.seed, 20.0 if args.quick else 1000.0)
            print_teacher_student(out[part])
        elif part == "verify":
            from ..benchmarks._verify_bench import bench_verify

            out[part] = bench_verify(args.workers, seed=args.seed, quick=args.quick,
                                     without_numba=args.without_numba)
            _print_verify(out[part])
        elif part == "startup":
            from ..benchmarks._startup import bench_startup

            out[part] = bench_startup(repeats, fashion=args.fashion)
            _print_startup(out[part])
        else:
            out[part] = _bench.bench_trainer(images, args.seed)
            _print_trainer(out[part])
    if args.json:
        atomic_write_json(args.json, out, "--json")
    return 0
