"""What ``linrbp derive`` prints: a derived system, its invariants (each checked) and Q(a1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..core._errors import InputError
from ..core._rules import get_rule
from ._analysis import chain_invariants, fixed_point_summary, is_conserved, wide_invariants
from ._derive import MU, OdeSystem, nonlinear_ode, scalar_chain_ode, wide_ode
from ._reduce import chain_feedback, chain_reduction, nonlinear_reduction, wide_reduction

__all__ = ["Derivation", "derive_system", "SYSTEMS"]

SYSTEMS = ("chain", "wide", "nonlinear")


@dataclass
class Derivation:
    title: str
    system: OdeSystem
    invariants: list = field(default_factory=list)   # (name, expr, conserved: bool)
    Q_text: str | None = None
    Q_latex: str | None = None
    degree: Any = None
    leading_coefficient: Any = None
    powers: Any = None       # exponents of a1 in Q when Q is not a polynomial (degree None)
    note: str = ""
    fixed: Any = None        # fixed_point_summary(system) or None


def latex_name(name: str) -> str:
    """A symbol or invariant name as LaTeX with subscripts: K'2 -> K'_{2}, A2^T -> A_{2}^{T}."""
    out = re.sub(r"([A-Za-z]'?)(\d+)", r"\1_{\2}", name)
    return out.replace("^T", "^{T}")


def latex(expr) -> str:
    """sympy's LaTeX, with primed symbols (K'2) subscripted like the unprimed ones (K_{2})."""
    names = {s: "{" + latex_name(s.name) + "}" for s in expr.free_symbols if "'" in s.name}  # {K'_{2}}^{2}
    return sp.latex(expr, symbol_names=names)


def _positive_int(value, name, cap=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name}: must be a positive integer, got {value!r}")
    if cap is not None and value > cap:
        raise InputError(f"{name}: at most {cap}, got {value}")
    return value


def _power(value):
    if value is None:
        return MU
    try:
        mu = sp.nsimplify(sp.sympify(str(value), rational=True))
    except (sp.SympifyError, TypeError, SyntaxError):
        raise InputError(f"power: expected a positive number, got {value!r}") from None
    if not mu.is_number or not mu.is_real or not mu.is_positive:
        raise InputError(f"power: expected a positive number, got {value!r}")
    return mu


def _adaptive_invariants(system, L):
    """ARBP: C_h - A_{h+1}^T; ASRBP: only C_{L-1} - A_L^T (both receive the same update)."""
    r = get_rule(system.rule)
    w, fb = system.weights, system.feedback
    hs = range(L - 1) if r.source == "next" else [L - 2]
    out = []
    for h in hs:
        D = fb[h] - w[h + 1].T
        for i, x in enumerate(D):
            name = str(fb[h][i]) if len(D) > 1 else str(fb[h][0])
            out.append((f"{name} - (A{h + 2}^T){'' if len(D) == 1 else f'[{i}]'}", x))
    return out


def _derivation_rule(r):
    """The rule with its nonzero parameters as symbols (lambda, kappa, ...): a derivation shows
    them by name; parameters at 0 (bp's weight decay) stay 0, so [BSL]'s rules are unchanged.
    A value set explicitly (``derive --param``, :meth:`Rule.with_parameters`) stays a number."""
    given = dict(r.values)
    names = [n for n, v in r.parameter_values.items() if v != 0 and n not in given]
    if not names:
        return r
    sym = {n: v for n, v in r.symbolic().parameter_values.items() if n in names}
    return r.with_parameters(**sym)


def derive_system(name: str, depth: int = 2, width: int = 2, rule: str = "srbp", power=None,
                  derivative: bool = True) -> Derivation:
    """Derive SYSTEM (chain, wide, nonlinear) under ``rule``; list and check its invariants;
    reduce to Q(a1) when the rule has fixed feedback (srbp, rbp)."""
    if name not in SYSTEMS:
        raise InputError(f"system: unknown system {name!r} (expected one of {', '.join(SYSTEMS)})")
    r = get_rule(rule)
    # the named rules' invariants and reductions below hold for their parameters at 0 only
    plain = all(not sp.sympify(v).free_symbols and v == 0 for v in r.parameter_values.values())
    fixed = r.name in ("srbp", "rbp") and plain
    rs = _derivation_rule(r)
    if name == "chain":
        L = _positive_int(depth, "depth", 7)
        system = scalar_chain_ode(L, rs)
        d = Derivation(f"chain A[{', '.join(['1'] * (L + 1))}] under {r.name}", system)
        a = system.states
        if fixed and L > 1:
            for h, K in enumerate(chain_invariants(system, chain_feedback(L, r.name)), start=1):
                d.invariants.append((f"K{h}", K))
        elif r.name == "bp" and plain:
            d.invariants += [(f"a{h + 1}^2 - a{h + 2}^2", a[h] ** 2 - a[h + 1] ** 2) for h in range(L - 1)]
        elif r.name in ("arbp", "asrbp") and L > 1 and plain:
            d.invariants += _adaptive_invariants(system, L)
        if fixed:
            red = chain_reduction(L, r.name)
            d.Q_text, d.Q_latex = red.format(False), red.format(True)
            d.degree, d.leading_coefficient = red.degree, red.leading_coefficient
    elif name == "wide":
        N = _positive_int(width, "width", 12)
        system = wide_ode(N, rs)
        d = Derivation(f"wide A[1, {N}, 1] under {r.name}", system)
        a, b = system.states[:N], system.states[N:2 * N]
        if fixed:
            names = [f"K{i + 1}" for i in range(N)] + [f"K'{i + 1}" for i in range(1, N)]
            d.invariants += list(zip(names, wide_invariants(system, N)))
            red = wide_reduction(N)
        elif r.name == "bp" and plain:
            d.invariants += [(f"a{i + 1}^2 - b{i + 1}^2", a[i] ** 2 - b[i] ** 2) for i in range(N)]
        elif r.name in ("arbp", "asrbp") and plain:
            d.invariants += _adaptive_invariants(system, 2)
    else:
        mu = _power(power)
        system = nonlinear_ode(derivative, rs, mu)
        d = Derivation(f"nonlinear A[1, 1, 1], hidden (a1 I)^{mu}, "
                       f"{'with' if derivative else 'without'} f', under {r.name}", system)
        a1, a2 = system.states[:2]  # adaptive rules carry c1 as a third state
        if derivative and fixed:
            c1 = system.parameters[-1]
            d.invariants.append(("K", a2 - a1 ** 2 / (2 * c1 * mu)))
            red = nonlinear_reduction(mu)
        elif derivative and r.name == "bp" and plain:
            d.invariants.append(("a2^2 - a1^2/mu", a2 ** 2 - a1 ** 2 / mu))
        elif r.name in ("arbp", "asrbp") and plain:
            d.invariants += _adaptive_invariants(system, 2)
        if not derivative:
            d.note = (f"without f' no {'other ' if d.invariants else ''}invariant is known and in "
                      "general there is no fixed point (it would need a2 a1^mu = alpha/beta = gamma/delta)")
    if name in ("wide", "nonlinear") and "red" in locals():
        d.Q_text, d.Q_latex = sp.sstr(red.Q), latex(red.Q)
        d.degree, d.leading_coefficient = red.degree, red.leading_coefficient
        d.powers = getattr(red, "powers", None)
    if d.Q_text is None and not d.note:
        why = {"bp": "has no feedback", "arbp": "has adaptive feedback",
               "asrbp": "has adaptive feedback"}.get(r.name, "is not rbp or srbp")
        if not plain and r.name in ("rbp", "srbp"):
            why = "has nonzero parameters (" + ", ".join(
                f"{k} = {v}" for k, v in r.parameter_values.items() if v != 0) + ")"
        d.note = f"no reduction to Q(a1): rule {r.name} {why}"
    d.invariants = [(n, e, is_conserved(system, e)) for n, e in d.invariants]
    d.fixed = fixed_point_summary(system)
    return d
