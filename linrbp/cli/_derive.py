"""``linrbp derive``: the averaged ODE of a scalar system, derived from the rule, with its
invariants (each verified along the flow) and the reduced polynomial Q(a1); with
``--invariants`` every polynomial first integral up to a degree, found (not given); with
``--fixed-points`` the exact fixed-point set (scalar systems) or the Jacobian, its rank and the
local dimension of the fixed-point set at the integrated limit (``--instance FILE``)."""

from __future__ import annotations

import numpy as np

from ..core._errors import InputError
from ..core._io import atomic_write_json, check_output_option


def add_parser(sub):
    p = sub.add_parser(
        "derive",
        help="derive a system's ODE, invariants and Q(a1) symbolically",
        description="Derive the averaged ODE of SYSTEM (chain: A[1,...,1]; wide: A[1,N,1]; "
        "nonlinear: A[1,1,1] with hidden output (a1 I)^mu) from the per-example learning rule, "
        "list its conserved quantities (each proved by differentiating along the flow), and "
        "reduce it to a1' = Q(a1) with Q's degree and leading coefficient, fully symbolic.",
    )
    p.add_argument("system", metavar="SYSTEM", nargs="?", default=None,
                   help="chain, wide or nonlinear (or give --instance FILE instead)")
    p.add_argument("--instance", metavar="FILE", default=None,
                   help="an instance file of 'linrbp simulate' (JSON) instead of SYSTEM")
    p.add_argument("--invariants", action="store_true",
                   help="find every polynomial first integral of degree <= D (exact, each verified)")
    p.add_argument("--degree", type=int, default=None, metavar="D",
                   help="largest total degree searched by --invariants, 1 to 4 (default 2)")
    p.add_argument("--fixed-points", action="store_true",
                   help="the exact fixed-point set (SYSTEM), or at the integrated limit of --instance "
                   "the Jacobian's eigenvalues, rank and the local dimension of the fixed-point set")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the numeric checks' draws (default 0)")
    p.add_argument("--json", metavar="OUT", default=None,
                   help="write what --invariants/--fixed-points found as JSON to OUT")
    p.add_argument("--depth", type=int, default=None, metavar="L", help="chain depth (default 2, at most 7)")
    p.add_argument("--width", type=int, default=None, metavar="N", help="hidden width of wide (default 2)")

    p.add_argument("--power", default=None, metavar="MU",
                   help="nonlinear: the power mu (default: a symbol)")
    p.add_argument("--no-fprime", action="store_true",
                   help="nonlinear: omit the derivative f' from the backward signal")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    from ._rule_files import add_rule_options
    add_rule_options(p, rule_help="any registered rule: bp, rbp, srbp, arbp, asrbp, kolen-pollack, "
                     "weight-mirror, sign-symmetry, usf, top-only, or one from --rules (default srbp; "
                     "with --instance, the file's rule); nonzero parameters appear as symbols "
                     "(lambda, kappa) unless set by --param")
    p.set_defaults(func=run)


def render(d, latex: bool = False) -> str:
    """The derivation as text or LaTeX."""
    import sympy as sp

    lines = []
    sysm = d.system
    if latex:
        from ..symbolic._describe import latex as tex
        # A complete document (pdflatex compiles it as is): article class and amsmath.
        lines += ["\\documentclass{article}", "\\usepackage{amsmath}", "\\begin{document}",
                  f"\\section*{{{_tex_text(d.title)} (derived from the per-example rule)}}",
                  "\\begin{align*}"]
        lines += [f"  \\dot{{{tex(s)}}} &= {tex(sp.factor_terms(f))} \\\\" for s, f in zip(sysm.states, sysm.field)]
        lines.append("\\end{align*}")
        if d.invariants:
            lines.append("Conserved (derivative along the flow simplifies to 0):")
            lines.append("\\begin{align*}")
            for n, e, ok in d.invariants:
                lines.append(f"  {_latex_name(n)} &= {tex(e)} && \\text{{{'conserved' if ok else 'NOT conserved'}}} \\\\")
            lines.append("\\end{align*}")
        if d.fixed is not None:
            fx = d.fixed
            lines.append(f"Fixed points ${tex(fx['fixed'])}$; extra critical set of $P$: "
                         f"${tex(fx['critical'])} = 0$; Jacobian eigenvalues there: "
                         f"$0$ ($\\times {len(fx['eigenvalues']) - 1}$), ${tex(fx['eigenvalues'][-1])}$.")
        if d.Q_latex is not None:
            lines.append(f"\\[ \\dot a_{{1}} = Q(a_{{1}}) = {d.Q_latex} \\]")
            lines.append(_degree_line(d, True).replace("a1", "$a_{1}$") + ".")
        if d.note:
            lines.append("\n\\noindent Note: " + _tex_text(d.note))
        lines.append("\\end{document}")
        return "\n".join(lines)
    lines.append(f"{d.title} (derived from the per-example rule)")
    lines.append("ODE:")
    lines += [f"  {s}' = {sp.factor_terms(f)}" for s, f in zip(sysm.states, sysm.field)]
    if d.invariants:
        lines.append("Invariants (derivative along the flow simplifies to 0):")
        for n, e, ok in d.invariants:
            lines.append(f"  {n} = {e}    [{'conserved' if ok else 'NOT conserved'}]")
    if d.fixed is not None:
        fx = d.fixed
        lines.append(f"Fixed points: {fx['fixed'].lhs} = {fx['fixed'].rhs} (where the multipliers are nonzero)")
        lines.append(f"Extra critical set of P (P' = e * this): {fx['critical']} = 0")
        lines.append(f"Jacobian at a fixed point: eigenvalues 0 (x{len(fx['eigenvalues']) - 1}) and "
                     f"{fx['eigenvalues'][-1]}")
    if d.Q_text is not None:
        lines.append(f"Reduced: a1' = Q(a1) = {d.Q_text}")
        lines.append("  " + _degree_line(d, False))
    if d.note:
        lines.append("Note: " + d.note)
    return "\n".join(lines)


def _tex_text(text: str) -> str:
    """Plain text for LaTeX's text mode: special characters escaped."""
    special = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
               "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}"}
    return "".join(special.get(ch, ch) for ch in text)


def _degree_line(d, latex: bool) -> str:
    import sympy as sp

    from ..symbolic._describe import latex as tex
    fmt = (lambda e: f"${tex(sp.sympify(e))}$") if latex else str
    if d.degree is None and d.powers:
        return (f"not a polynomial in a1: a1 appears with the powers "
                f"{', '.join(fmt(p) for p in d.powers)}; the highest, {fmt(d.powers[-1])}, has "
                f"coefficient {fmt(d.leading_coefficient)}")
    return f"degree {fmt(d.degree)}, leading coefficient {fmt(d.leading_coefficient)}"


def _latex_name(n: str) -> str:
    from ..symbolic._describe import latex_name
    return latex_name(n)


def _sstr(x):
    import sympy as sp

    return sp.sstr(x)


def render_invariants(res) -> str:
    lines = [f"Polynomial first integrals of degree <= {res.degree} (found, not given): dimension "
             f"{res.dimension}, coefficients {res.exact_coefficients}, {res.seconds:.2f} s"]
    for inv in res.invariants:
        mark = "verified" if inv.verified else ("NOT VERIFIED" if not inv.exact else "DRIFT TOO LARGE")
        lines.append(f"  {_sstr(inv.expression)}    [degree {inv.degree}, exact, drift {inv.drift:.1e}; {mark}]"
                     if inv.exact else f"  {_sstr(inv.expression)}    [{mark}]")
    lines.append(f"  (exact: grad(I).f is the zero polynomial; drift: relative change along 2 trajectories "
                 f"over [0, {res.drift['time']:g}], DOP853 rtol {res.drift['rtol']:g}, tolerance "
                 f"{res.drift['tolerance']:g}, seed {res.drift['seed']})")
    return "\n".join(lines)


def fixed_points_json(fx) -> dict:
    comps = fx["components"]
    pw = fx.get("piecewise")
    extra = {}
    if pw is not None:
        extra["piecewise"] = {"arguments": pw["arguments"], **({"note": pw["note"]} if "note" in pw else {}),
                              **({"patterns": [{"pattern": list(p["pattern"]), **fixed_points_json(p)}
                                               for p in pw["patterns"]]} if "patterns" in pw else {})}
    return {**extra,
        "hypersurfaces": [_sstr(h.lhs) + " = 0" for h in fx["hypersurfaces"]],
        "common_factors": [[_sstr(b), _sstr(e)] for b, e in fx["common"]],
        "residual": [_sstr(r) for r in fx["residual"]],
        "components": None if comps is None else
        [{"point": {k: _sstr(v) for k, v in c["point"].items()}, "dimension": c["dimension"]} for c in comps],
        "assumed_nonzero": [_sstr(c) for c in fx["assumed_nonzero"]],
        "excluded_by_assumptions": [_sstr(c) + " = 0" for c in fx.get("excluded_by_assumptions", [])],
        "jacobian_eigenvalues_on_hypersurface": None if fx["summary"] is None else
        [_sstr(e) for e in fx["summary"]["eigenvalues"]],
        "critical_factor": None if fx["summary"] is None else _sstr(fx["summary"]["critical"]),
    }


def render_fixed_points(fx, n) -> str:
    j = fixed_points_json(fx)
    lines = ["Fixed-point set (exact, generic parameters"
             + (f"; assumed nonzero: {', '.join(j['assumed_nonzero'])}" if j["assumed_nonzero"] else "") + "):"]
    if fx.get("everything"):
        lines.append("  the field is identically zero: every point is fixed")
        return "\n".join(lines)
    for h in j["hypersurfaces"]:
        lines.append(f"  hypersurface {h}  (dimension {n - 1}; a factor of every component)")
    for e in j["excluded_by_assumptions"]:
        lines.append(f"  ({e} is a common factor too, excluded by the symbols' assumptions)")
    pw = fx.get("piecewise")
    if pw is not None:
        if "note" in pw:
            lines.append(f"  {pw['note']}")
        else:
            lines.append(f"  piecewise polynomial: per sign pattern of {', '.join(pw['arguments'])} (the zero set "
                         "of that orthant's polynomial field; a point counts where its signs match)")
            for piece in pw["patterns"]:
                signs = ", ".join(f"sign({a}) = {v:+d}" for a, v in zip(pw["arguments"], piece["pattern"]))
                lines.append(f"  {signs}:")
                lines += ["  " + ln for ln in render_fixed_points(piece, n).splitlines()[1:]]
    elif j["components"] is None:
        lines.append(f"  plus the zero set of {j['residual']} (too many states to solve exactly)")
    else:
        for c in j["components"]:
            pt = ", ".join(f"{k} = {v}" for k, v in c["point"].items())
            lines.append(f"  component {pt or '(all states free)'}  (dimension {c['dimension']})")
        if not j["components"]:
            lines.append(f"  no other component (the rest, {j['residual']}, has no common zero)")
    if j["jacobian_eigenvalues_on_hypersurface"] is not None:
        ev = j["jacobian_eigenvalues_on_hypersurface"]
        lines.append(f"  Jacobian on the hypersurface: eigenvalues 0 (x{len(ev) - 1}) and {ev[-1]}")
    return "\n".join(lines)


def render_instance_fixed_point(r) -> str:
    lines = [f"Fixed point at the integrated limit: status {r['status']} at t = {r['t_end']:.6g}, "
             f"|f| = {r['field_at_limit']:.2e}"]
    pw = r.get("piecewise")
    if pw and pw.get("pattern"):
        signs = ", ".join(f"sign({a}) = {v:+d}" for a, v in zip(pw["arguments"], pw["pattern"]))
        lines.append(f"  piecewise-polynomial field; at the limit {signs}: the Jacobian below is that "
                     "orthant's polynomial field's")
    if r.get("limit") is None:
        lines.append(f"  {r.get('note', 'no limit')}")
        return "\n".join(lines)
    lim = r["limit"]
    lines.append(f"  polished onto the fixed-point set (Gauss-Newton): |f| {lim['field_before_polish']:.1e} -> "
                 f"{lim['field_after_polish']:.1e}, moved {lim['moved_by_polish']:.1e}")
    ev = np.array([complex(a, b) for a, b in r["eigenvalues"]])
    tol = r["rank_tolerance"]
    nz = ev[np.abs(ev) > tol]
    lines.append(f"  Jacobian ({r['n_state']} x {r['n_state']}): rank {r['rank']} at tolerance "
                 f"{r['rank_rtol']:g} x sigma_max = {tol:.2e} (largest singular value counted zero "
                 f"{_g(r['largest_zero_singular_value'])}, smallest nonzero {_g(r['smallest_nonzero_singular_value'])})")
    lines.append(f"  eigenvalues: {int(np.sum(np.abs(ev) <= tol))} zero, nonzero: "
                 + ", ".join(_c(z) for z in nz))
    lines.append(f"  local dimension of the fixed-point set: {r['local_dimension']} (n - rank); "
                 f"{r['local_dimension_projected']} from {r['projected_samples']} perturbations of size "
                 f"{r['perturbation']:.1e} projected back onto it (seed {r['seed']})")
    return "\n".join(lines)


def _g(x):
    return "-" if x is None else f"{x:.2e}"


def _c(z):
    return f"{z.real:.6g}" if abs(z.imag) < 1e-12 else f"{z.real:.6g}{z.imag:+.6g}i"


def run(args) -> int:
    from ._rule_files import load_rule_files

    check_output_option(args.json, "--json")
    if args.degree is not None and not args.invariants:
        raise InputError("--degree: applies to --invariants only (the largest degree it searches)")
    if args.degree is None:
        args.degree = 2
    if args.instance is not None and args.system is not None:
        raise InputError("system: give SYSTEM or --instance FILE, not both")
    if args.instance is None:
        if args.system is None:
            raise InputError("system: missing (chain, wide or nonlinear, or --instance FILE)")
        if args.system not in ("chain", "wide", "nonlinear"):
            raise InputError(f"system: unknown system {args.system!r} (expected chain, wide or nonlinear)")
        # Options that do not apply to the chosen system are refused, not ignored.
        applies = {"--depth": ("chain",), "--width": ("wide",), "--power": ("nonlinear",),
                   "--no-fprime": ("nonlinear",)}
        given = {"--depth": args.depth is not None, "--width": args.width is not None,
                 "--power": args.power is not None, "--no-fprime": args.no_fprime}
        for opt, systems in applies.items():
            if given[opt] and args.system not in systems:
                raise InputError(f"{opt}: applies to {' and '.join(systems)} only, not to {args.system}")
        if args.json and not (args.invariants or args.fixed_points):
            raise InputError("json: give --invariants and/or --fixed-points to say what to write")
    load_rule_files(args.rules)
    from ..symbolic._describe import derive_system  # sympy: after the options' checks
    from ..symbolic._invariants import _check_degree

    if args.invariants:
        _check_degree(args.degree)
    if args.instance is not None:
        return _run_instance(args)
    from ._rule_files import resolve_rule

    rule = resolve_rule(args, default="srbp", exact=True)
    d = derive_system(args.system, depth=2 if args.depth is None else args.depth,
                      width=2 if args.width is None else args.width, rule=rule,
                      power=args.power, derivative=not args.no_fprime)
    print(render(d, args.latex))
    ok = all(ok for _, _, ok in d.invariants)
    return _report(args, d.system, ok)


def _report(args, system, ok, instance=None) -> int:
    from ..symbolic._fixed_points import fixed_point_set, instance_fixed_point
    from ..symbolic._invariants import canonical_names, find_invariants, find_invariants_piecewise, sign_arguments

    out = {"system": system.name, "rule": system.rule}
    names = canonical_names(system)
    if args.invariants or args.fixed_points:
        print("Variables: " + ", ".join(f"{v} = {k}" if str(k) != str(v) else str(v)
                                      for k, v in names.items()))
    if args.invariants and sign_arguments(system):
        pw = find_invariants_piecewise(instance if instance is not None else system, args.degree, seed=args.seed)
        out["piecewise"] = {"arguments": pw["arguments"]}
        if "note" in pw:
            print(f"Invariants: {pw['note']}")
            out["piecewise"]["note"] = pw["note"]
        else:
            out["piecewise"]["patterns"] = []
            print(f"Piecewise polynomial field: invariants per sign pattern of {', '.join(pw['arguments'])} "
                  "(each holds while the flow stays in its orthant)")
            for item in pw["patterns"]:
                signs = ", ".join(f"sign({a}) = {v:+d}" for a, v in zip(pw["arguments"], item["pattern"]))
                print(f"Sign pattern {signs}:")
                print(render_invariants(item["basis"]))
                out["piecewise"]["patterns"].append({"pattern": list(item["pattern"]), **item["basis"].to_dict()})
                ok = ok and item["basis"].verified
    elif args.invariants:
        res = find_invariants(instance if instance is not None else system, args.degree, seed=args.seed)
        print(render_invariants(res))
        out.update(res.to_dict())
        ok = ok and res.verified
    if args.fixed_points:
        if instance is not None:
            r = instance_fixed_point(instance, seed=args.seed)
            print(render_instance_fixed_point(r))
        else:
            fx = fixed_point_set(system)
            print(render_fixed_points(fx, len(system.states)))
            r = fixed_points_json(fx)
        out["fixed_points"] = r
    if args.json:
        if instance is not None:
            out["instance"] = args.instance
        atomic_write_json(args.json, out, "--json")
        print(f"wrote {args.json}")
    return 0 if ok else 1


def _run_instance(args) -> int:
    import sympy as sp

    from ..symbolic._invariants import instance_system
    from ._rule_files import load_instance_with_options

    inst = load_instance_with_options(args.instance, args)
    system, _ = instance_system(inst)
    print(f"{args.instance}: {system.name} under {system.rule}, {len(system.states)} state entries "
          "(ODE derived from the per-example rule; data and feedback as exact rationals)")
    if not (args.invariants or args.fixed_points):
        if args.json:
            raise InputError("json: give --invariants and/or --fixed-points to say what to write")
        _, vals = instance_system(inst)
        names = __import__("linrbp.symbolic._invariants", fromlist=["x"]).canonical_names(system)
        subs = {k: sp.Rational(v.numerator, v.denominator) for k, v in vals.items()}
        for s, f in zip(system.states, system.field):
            print(f"  {names[s]}' = {sp.expand(sp.sympify(f).xreplace(subs).xreplace(names))}")
        return 0
    return _report(args, system, True, instance=inst)
