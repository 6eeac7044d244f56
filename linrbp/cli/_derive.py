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
    p.add_argument("--depth", type=int, default=2, metavar="L", help="chain depth (default 2, at most 7)")
    p.add_argument("--width", type=int, default=2, metavar="N", help="hidden width of wide (default 2)")
    p.add_argument("--rule", default="srbp",
                   help="any registered rule: bp, rbp, srbp, arbp, asrbp, kolen-pollack, weight-mirror, "
                   "sign-symmetry, usf, top-only, or one from --rules (default srbp); nonzero "
                   "parameters appear as symbols (lambda, kappa)")
    p.add_argument("--power", default=None, metavar="MU",
                   help="nonlinear: the power mu (default: a symbol)")
    p.add_argument("--no-fprime", action="store_true",
                   help="nonlinear: omit the derivative f' from the backward signal")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    from ._rule_files import add_rules_option
    add_rules_option(p)
    p.set_defaults(func=run)


def render(d, latex: bool = False) -> str:
    """The derivation as text or LaTeX."""
    lines = []
    sysm = d.system
    if latex:
        lines.append(f"% {d.title} (derived from the per-example rule)")
        lines.append("\\begin{align*}")
        lines += [f"  \\dot{{{sp.latex(s)}}} &= {sp.latex(sp.factor_terms(f))} \\\\" for s, f in zip(sysm.states, sysm.field)]
        lines.append("\\end{align*}")
        if d.invariants:
            lines.append("Conserved (derivative along the flow simplifies to 0):")
            lines.append("\\begin{align*}")
            for n, e, ok in d.invariants:
                lines.append(f"  {_latex_name(n)} &= {sp.latex(e)} && \\text{{{'conserved' if ok else 'NOT conserved'}}} \\\\")
            lines.append("\\end{align*}")
        if d.fixed is not None:
            fx = d.fixed
            lines.append(f"Fixed points ${sp.latex(fx['fixed'])}$; extra critical set of $P$: "
                         f"${sp.latex(fx['critical'])} = 0$; Jacobian eigenvalues there: "
                         f"$0$ (x{len(fx['eigenvalues']) - 1}), ${sp.latex(fx['eigenvalues'][-1])}$")
        if d.Q_latex is not None:
            lines.append(f"$$\\dot a_1 = Q(a_1) = {d.Q_latex}$$")
            lines.append(f"degree ${sp.latex(d.degree)}$, leading coefficient ${sp.latex(d.leading_coefficient)}$")
    else:
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
            lines.append(f"  degree {d.degree}, leading coefficient {d.leading_coefficient}")
    if d.note:
        lines.append(("% " if latex else "Note: ") + d.note)
    return "\n".join(lines)


def _latex_name(n: str) -> str:
    return n.replace("^T", "^{T}").replace("'", "'")


def run(args) -> int:
    from ..symbolic._describe import derive_system
    from ._rule_files import load_rule_files

    load_rule_files(args.rules)

    if args.system not in ("chain", "wide", "nonlinear"):
        raise InputError(f"system: unknown system {args.system!r} (expected chain, wide or nonlinear)")
    d = derive_system(args.system, depth=args.depth, width=args.width, rule=args.rule,
                      power=args.power, derivative=not args.no_fprime)
    print(render(d, args.latex))
    return 0 if all(ok for _, _, ok in d.invariants) else 1
