"""``linrbp derive``: the averaged ODE of a scalar system, derived from the rule, with its
invariants (each verified along the flow) and the reduced polynomial Q(a1)."""

from __future__ import annotations

import sympy as sp

from ..core._errors import InputError


def add_parser(sub):
    p = sub.add_parser(
        "derive",
        help="derive a system's ODE, invariants and Q(a1) symbolically",
        description="Derive the averaged ODE of SYSTEM (chain: A[1,...,1]; wide: A[1,N,1]; "
        "nonlinear: A[1,1,1] with hidden output (a1 I)^mu) from the per-example learning rule, "
        "list its conserved quantities (each proved by differentiating along the flow), and "
        "reduce it to a1' = Q(a1) with Q's degree and leading coefficient, fully symbolic.",
    )
    p.add_argument("system", metavar="SYSTEM", help="chain, wide or nonlinear")
    p.add_argument("--depth", type=int, default=None, metavar="L", help="chain: depth (default 2, at most 7)")
    p.add_argument("--width", type=int, default=None, metavar="N", help="wide: hidden width (default 2, at most 12)")
    p.add_argument("--rule", default="srbp", help="bp, rbp, srbp, arbp or asrbp (default srbp)")
    p.add_argument("--power", default=None, metavar="MU",
                   help="nonlinear: the power mu (default: a symbol)")
    p.add_argument("--no-fprime", action="store_true",
                   help="nonlinear: omit the derivative f' from the backward signal")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    p.set_defaults(func=run)


def render(d, latex: bool = False) -> str:
    """The derivation as text or LaTeX."""
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
    text = "".join(special.get(ch, ch) for ch in text)
    return text


def _degree_line(d, latex: bool) -> str:
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


def run(args) -> int:
    from ..symbolic._describe import derive_system

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
    d = derive_system(args.system, depth=2 if args.depth is None else args.depth,
                      width=2 if args.width is None else args.width, rule=args.rule,
                      power=args.power, derivative=not args.no_fprime)
    print(render(d, args.latex))
    return 0 if all(ok for _, _, ok in d.invariants) else 1
