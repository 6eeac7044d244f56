"""``linrbp portrait`` and ``linrbp basins``: any instance's system in the plane of two state
coordinates (linrbp.plots.portrait / basin_map)."""

from __future__ import annotations

from pathlib import Path

from ..core._errors import InputError
from ..core._version import __version__

FORMATS = (".png", ".pdf", ".svg")

_COMMON = ("The plane is that of two state coordinates, named like A1[0,0] (entry (0, 0) of the "
           "weight matrix A_1), A2[1,0] or, for a rule that learns its feedback, C1[0,1]; every "
           "other coordinate keeps the instance's value (for a two-state system, the whole plane).")


def add_portrait_parser(sub):
    from ._rule_files import add_rule_options

    p = sub.add_parser(
        "portrait", help="phase portrait of an instance's system in the plane of two state coordinates",
        description="Draw the phase portrait of the averaged dynamics of an instance file's system "
        "in a plane: streamlines of the field in the slice, the fixed-point set's trace (coloured "
        "by the linearisation) and the nullclines from the symbolically derived field, "
        "trajectories of the full system from seeded starts with their integrated limits and, "
        "where the toolkit knows one, the closed-form limit (docs/figures.md). " + _COMMON)
    _common(p)
    p.add_argument("--starts", type=int, default=6, metavar="N",
                   help="number of trajectories, starts drawn uniformly in the range (default: 6)")
    p.add_argument("--seed", type=int, default=0, help="seed of the starts (default: 0)")
    p.add_argument("--t-max", type=float, default=200.0, help="integration time per trajectory (default: 200)")
    add_rule_options(p)
    p.set_defaults(func=run_portrait)


def add_basins_parser(sub):
    from ._options import add_executor_options
    from ._rule_files import add_rule_options

    q = sub.add_parser(
        "basins", help="basin map of an instance's system in the plane of two state coordinates",
        description="Integrate a grid of starts in a plane (linrbp.integrate_batch, batched) and "
        "colour each by the limit it reaches: limits grouped by their product within a stated "
        "tolerance (as linrbp sweep does) and split into the separate pieces of the fixed-point "
        "set; beside it the closed form's answer where one is known, with the disagreements "
        "counted. Prints the groups; --json writes the map. Each finished tile of grid rows is "
        "kept beside the figure (in .FIG.basins) until the figure is written: Ctrl-C keeps them "
        "and the same command resumes, with the same map, bit for bit. " + _COMMON)
    _common(q)
    q.add_argument("--grid", type=int, default=41, metavar="N", help="grid points per axis (default: 41)")
    q.add_argument("--t-max", type=float, default=2000.0, help="integration time limit per start (default: 2000)")
    q.add_argument("--tol", type=float, default=1e-6,
                   help="disagreement tolerance against the closed form, relative to 1 + |limit| (default: 1e-6)")
    q.add_argument("--json", metavar="OUT", help="write the map (grid, statuses, groups, counts) as JSON")
    add_rule_options(q)
    add_executor_options(q, 1, "grid tiles")
    from ._options import add_backend_option
    add_backend_option(q)
    q.set_defaults(func=run_basins)


def _common(p):
    p.add_argument("file", help="instance file (JSON; docs/rules.md)")
    p.add_argument("--axes", nargs=2, required=True, metavar="COORD",
                   help="the two state coordinates, x then y, e.g. --axes 'A1[0,0]' 'A2[0,0]'")
    p.add_argument("--range", nargs=4, type=float, metavar=("X0", "X1", "Y0", "Y1"),
                   help="the box (default: [-L, L]^2, L = max(3, 1.5 x the instance's largest of the two))")
    p.add_argument("--out", required=True, metavar="FIG",
                   help="figure file (.png, .pdf or .svg), written atomically")
    p.add_argument("--no-symbolic", action="store_true",
                   help="leave out the fixed-point trace and nullclines (no symbolic derivation)")


def _prepare(args):
    """Everything checked before any work: output, rules, instance, axes, range."""
    from ..core._io import check_output_file, check_output_option
    from ..plots._plane import check_axes, check_range
    from ._rule_files import load_instance_with_options, load_rule_files

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"--out: expected a .png, .pdf or .svg file name, got {args.out!r}")
    check_output_file(out, "--out")
    if getattr(args, "json", None):
        check_output_option(args.json, "--json")
    load_rule_files(args.rules)
    inst = load_instance_with_options(args.file, args)
    check_axes(inst.system, args.axes)
    if args.range is not None:
        check_range(args.range, "--range")
    from ..integration._integrate import check_t_max
    check_t_max(args.t_max)
    return inst, out


def _save(fig, out: Path, argv: str):
    from ._figures import save_atomic

    save_atomic(fig, out, out.suffix[1:].lower(), f"linrbp {__version__}: {argv}")


def _rule_text(system):
    vals = dict(system.rule.values)
    params = ", ".join(f"{p.name}={vals.get(p.name, p.default):g}" for p in system.rule.parameters)
    return system.rule.name + (f" ({params})" if params else "")


def run_portrait(args) -> int:
    from ..plots._plane import portrait

    inst, out = _prepare(args)
    if args.starts < 1:
        raise InputError(f"--starts: expected a positive number of trajectories, got {args.starts}")
    from ..core._checks import check_seed
    check_seed(args.seed, "--seed")
    fig = portrait(inst.system, inst.y0, axes=args.axes, range=args.range, n_starts=args.starts,
                   seed=args.seed, t_max=args.t_max, symbolic=not args.no_symbolic)
    info = fig.portrait
    print(f"{args.file}: A{list(inst.system.layers)} under {_rule_text(inst.system)}, "
          f"{info['axes'][0]} against {info['axes'][1]}")
    curves = info["curves"]
    if "skipped" in curves:
        print(f"  symbolic curves: none ({curves['skipped']})")
    else:
        fc = ", ".join(f"{c} = 0" for c in curves["fixed_curves"]) or "none"
        print(f"  fixed-point curves in the slice: {fc}; isolated fixed points: {len(curves['fixed_points'])}")
    for k, (p0, st, end) in enumerate(zip(info["starts"], info["status"], info["ends"])):
        i, j = info["index"]
        lim = f"-> ({end[i]:.6g}, {end[j]:.6g})" if st == "converged" else ""
        print(f"  start {k}: ({p0[0]:.4g}, {p0[1]:.4g}) {st} {lim}")
    _save(fig, out, f"linrbp portrait {args.file} --axes {' '.join(args.axes)} --seed {args.seed}")
    print(f"  wrote {out}")
    return 0


def run_basins(args) -> int:
    from ._options import executor_settings

    inst, out = _prepare(args)
    if args.grid < 2:
        raise InputError(f"--grid: expected at least 2 points per axis, got {args.grid}")
    if not (args.tol > 0):
        raise InputError(f"--tol: expected a positive number, got {args.tol:g}")
    from ..core._io import check_output_dir
    from ..core._records import records_beside
    from ..plots._basins import basins

    kept = records_beside(out, "basins")
    check_output_dir(kept, "--out")
    workers, scheduler, where = executor_settings(args, None)
    print(f"{args.file}: A{list(inst.system.layers)} under {_rule_text(inst.system)}, "
          f"{args.grid}x{args.grid} starts on {args.axes[0]}, {args.axes[1]} ({where})", flush=True)
    refuse = (f"--out {args.out}: {kept} holds an interrupted basin map with other settings; rerun that "
              "command to finish it (same file, rule, parameters, axes, range, grid, t-max and backend), "
              f"or delete {kept} to start afresh")
    b = basins(inst.system, inst.y0, axes=args.axes, range=args.range, n=args.grid, t_max=args.t_max,
               tol=args.tol, workers=workers, scheduler=scheduler, backend=args.backend, records=kept,
               refuse=refuse)
    if b.extra["resumed_tiles"]:
        print(f"  resumed {b.extra['resumed_tiles']} finished tile(s) from {kept}")
    try:
        _draw_and_write(args, inst, b, out)
    except KeyboardInterrupt:  # every tile is saved: a rerun only draws
        from ..core._executor import Interrupted
        raise Interrupted(f"stopped while drawing; every tile of the map is saved in {kept}; rerun the "
                          "same command to draw it") from None
    b.extra["records"].remove()  # the map is written: its tiles are no longer needed
    return 0


def _draw_and_write(args, inst, b, out):
    """The basin map's report, figure and --json."""
    from ..core._io import atomic_write_json
    from ..plots._basins import basin_map

    fig = basin_map(data=b, symbolic=not args.no_symbolic)
    for g in b.groups:
        P = g["product"]
        pc = "" if g["predicted_count"] is None else f" (closed form: {g['predicted_count']})"
        print(f"  limit {g['label']}: {g['count']} start(s){pc}, "
              f"P = {P if len(P) > 1 or len(P[0]) > 1 else f'{P[0][0]:.6g}'}, "
              f"{b.axes[0]} in [{g['range'][0][0]:.4g}, {g['range'][0][1]:.4g}], "
              f"{b.axes[1]} in [{g['range'][1][0]:.4g}, {g['range'][1][1]:.4g}]")
    print(f"  not converged by t = {b.t_max:g}: {b.n_unconverged} of {b.size}")
    be = b.extra["backend"]
    print(f"  integrated on {be['ran']}" + (f" (auto: {be['auto_reason']})" if be.get("auto_reason") else ""))
    if b.predicted_labels is not None:
        print(f"  closed form: {b.disagreements} disagreement(s) (tolerance {b.tol:g} (1 + |limit|))")
    else:
        print("  closed form: none known for this system")
    _save(fig, out, f"linrbp basins {args.file} --axes {' '.join(args.axes)} --grid {args.grid}")
    print(f"  wrote {out}")
    if args.json:
        data = {"instance": args.file, "rule": inst.system.rule.name,
                "params": {p.name: dict(inst.system.rule.values).get(p.name, p.default)
                           for p in inst.system.rule.parameters}, **b.summary()}
        atomic_write_json(args.json, data, "--json")
        print(f"  wrote {args.json}")
