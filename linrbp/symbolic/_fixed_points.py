"""Fixed points found, not given.

- :func:`fixed_point_set` (scalar or any small symbolic system, any registered rule): the exact
  zero set of the derived field, factorised, as irredundant components (none inside another). Every component f_i is factored; the factors common
  to all components (with their smallest multiplicity) give hypersurfaces of fixed points (for
  the linear chains the error factor e = alpha - beta P, i.e. P = alpha/beta); the remaining
  system f_i / common = 0 is solved exactly for the lower-dimensional components. Constant
  factors (parameters) are assumed nonzero: the set is the generic one.
- :func:`instance_fixed_point` (any instance file): integrate to the limit, polish it onto the
  fixed-point set with Gauss-Newton steps, and report the Jacobian's eigenvalues, its rank and
  the local dimension of the fixed-point set (n - rank, and independently the dimension of the
  set of nearby fixed points reached by projecting random perturbations back onto it).
"""

from __future__ import annotations

import math
import time

import numpy as np
import sympy as sp

from ..core._errors import InputError

__all__ = ["fixed_point_set", "instance_fixed_point", "RANK_RTOL"]

# Rank tolerance, relative to the largest singular value. After the Gauss-Newton polish the
# point is a fixed point to |f| ~ 1e-15, so the Jacobian is that of an exact fixed point up to
# ~1e-13 relative; singular values that vanish on the fixed-point set then sit far below 1e-8,
# while the Jacobians of these systems have nonzero singular values far above it. The report
# prints the largest singular value counted as zero and the smallest counted as nonzero, so the
# gap that justifies the count is visible.
RANK_RTOL = 1e-8
SOLVE_MAX_STATES = 10


def _factors(expr, states):
    """{base: multiplicity} of the state-dependent factors of expr, and its constant factor."""
    expr = sp.factor(sp.sympify(expr))
    const = sp.Integer(1)
    out: dict = {}
    for f in sp.Mul.make_args(expr):
        base, e = (f.base, f.exp) if f.is_Pow else (f, sp.Integer(1))
        if not base.has(*states):
            const *= f
            continue
        # normalise the sign so that g and -g are the same factor
        if sp.Poly(base, *states).LC().could_extract_minus_sign() if base.is_polynomial(*states) else False:
            base = -base
            const *= (-1) ** e
        out[base] = out.get(base, 0) + e
    return out, const


def fixed_point_set(system) -> dict:
    r"""The exact fixed-point set of a derived ODE, factorised (for generic parameters).

    Factors every component of the field, takes the factors common to all of them (the
    hypersurfaces on which the whole field vanishes, e.g. :math:`e = 0`) and solves what remains.
    States are named canonically (``A{h}_{i}_{j}``, ``C{h}_{i}_{j}``, 0-based indices, as
    :func:`find_invariants` names them); nonzero parameters are assumed where a factor is a
    parameter alone. ``linrbp derive --fixed-points`` prints it.

    Parameters
    ----------
    system : OdeSystem
        A derived system (:func:`derive_ode`, :func:`scalar_chain_ode`, ...).

    Returns
    -------
    dict
        ``common``: ``[(factor, multiplicity)]`` shared by every component; ``hypersurfaces``:
        the equations ``factor = 0``; ``excluded_by_assumptions``: common factors that cannot
        vanish under the symbols' assumptions; ``residual``: each component divided by the common
        part; ``components``: the solutions of the residual system as
        ``{"point": {state: value}, "dimension": d}`` (states not named are free), or None when
        the system is too large to solve (more than 10 states) or not polynomial;
        ``assumed_nonzero``: the parameters assumed nonzero; ``summary``:
        :func:`fixed_point_summary` or None; ``everything``: True when the field is identically
        0. A piecewise-polynomial field (``sign`` of the state) adds ``piecewise``: its sign
        arguments and, per sign pattern (up to 16), the fixed-point set of that orthant's
        polynomial field, or a one-line ``note``.

    Examples
    --------
    :math:`A[1,1,1]` under SRBP: the whole field vanishes on the hyperbola :math:`a_1 a_2 = \alpha/\beta`
    (docs/theory.md section 2), and nowhere else since :math:`c_1 \ne 0`:

    >>> from linrbp.symbolic import fixed_point_set, scalar_chain_ode
    >>> fp = fixed_point_set(scalar_chain_ode(2, "srbp"))
    >>> fp["hypersurfaces"], fp["residual"], fp["components"], fp["assumed_nonzero"]
    ([Eq(A1_0_0*A2_0_0*beta - alpha, 0)], [1, A1_0_0], [], [c1])
    """
    from ._analysis import fixed_point_summary
    from ._invariants import canonical_names, orthant_system, piecewise_note, sign_arguments, sign_patterns

    piecewise = None
    args = sign_arguments(system)
    if args:  # a piecewise-polynomial field: each orthant of the sign arguments is a polynomial system
        names = canonical_names(system)
        piecewise = {"arguments": [str(sp.sympify(a).xreplace(names)) for a in args]}
        patterns = sign_patterns(system)
        if patterns:
            piecewise["patterns"] = [{"pattern": pat, **fixed_point_set(orthant_system(system, pat))}
                                     for pat in patterns]
        else:
            piecewise["note"] = piecewise_note(system, "the fixed-point set per sign pattern:")
    out = _fixed_point_set(system)
    if piecewise is not None:
        out["piecewise"] = piecewise
    return out


def _fixed_point_set(system) -> dict:
    from ._analysis import fixed_point_summary

    states = list(system.states)
    comps = [_factors(f, states) for f in system.field]
    nonzero = [i for i, (fac, c) in enumerate(comps) if not (c == 0)]
    if not nonzero:
        return {"common": [], "hypersurfaces": [], "residual": [], "components": [{}],
                "assumed_nonzero": [], "summary": None, "everything": True}
    common: dict = {}
    for base in comps[nonzero[0]][0]:
        mult = [comps[i][0].get(base) for i in nonzero]
        if all(m is not None for m in mult):
            try:
                common[base] = min(mult)
            except TypeError:       # symbolic multiplicities: keep the first
                common[base] = mult[0]
    residual = []
    consts = set()
    for i, f in enumerate(system.field):
        fac, c = comps[i]
        if c == 0:
            residual.append(sp.Integer(0))
            continue
        for s in sp.Mul.make_args(c):
            if s.free_symbols and not s.is_Number:
                consts.add(s.base if s.is_Pow else s)
        rest = sp.Mul(*[b ** (e - common.get(b, 0)) for b, e in fac.items()])
        residual.append(rest)
    components = None
    if len(states) <= SOLVE_MAX_STATES:
        if any(r.is_Number and r != 0 for r in residual):
            components = []
        else:
            eqs = [r for r in residual if r != 0]
            try:
                sols = sp.solve(eqs, states, dict=True) if eqs else [{}]
            except NotImplementedError:
                sols = None
            if sols is not None:
                sols = irredundant(sols, states)
                components = [{"point": {str(k): v for k, v in s.items()},
                               "dimension": len(states) - len(s)} for s in sols]
    from ._invariants import canonical_names

    ren = canonical_names(system)
    common = {sp.sympify(b).xreplace(ren): e for b, e in common.items()}
    residual = [sp.sympify(r).xreplace(ren) for r in residual]
    if components:
        components = [{"point": {_rename_key(k, ren): sp.sympify(v).xreplace(ren)
                                 for k, v in c["point"].items()}, "dimension": c["dimension"]}
                      for c in components]
    summary = fixed_point_summary(system)
    if summary is not None:
        summary = {k: (sp.sympify(v).xreplace(ren) if not isinstance(v, list) else
                       [sp.sympify(x).xreplace(ren) for x in v]) for k, v in summary.items()}
    hyper = [sp.Eq(b, 0) for b in common]
    excluded = [b for b, h in zip(common, hyper) if h is sp.false]   # e.g. a1 = 0 with a1 > 0
    return {"common": [(b, e) for b, e in common.items()],
            "hypersurfaces": [h for h in hyper if h is not sp.false],
            "excluded_by_assumptions": excluded,
            "residual": residual, "components": components,
            "assumed_nonzero": sorted(consts, key=str),
            "summary": summary, "everything": False}


def contained(inner: dict, outer: dict, states) -> bool:
    """Whether the component ``inner`` ({state: value}, the others free) lies inside ``outer``:
    every equation state = value of ``outer`` holds identically on ``inner``'s parametrisation."""
    for k, v in outer.items():
        lhs = inner.get(k, k)
        rhs = sp.sympify(v).xreplace(inner)
        if sp.simplify(lhs - rhs) != 0:
            return False
    return True


def irredundant(components: list[dict], states) -> list[dict]:
    """The components none of which lies inside another (the first of equal ones kept), in the
    order given: e.g. {a1 = a2 = a3 = r2 = 0} is dropped next to {a2 = a3 = r2 = 0}."""
    keep = []
    for i, c in enumerate(components):
        inside = False
        for j, d in enumerate(components):
            if i == j or not contained(c, d, states):
                continue
            # equal components: keep the first; a strictly smaller one goes
            if not contained(d, c, states) or j < i:
                inside = True
                break
        if not inside:
            keep.append(c)
    return keep


def _rename_key(name, ren):
    for k, v in ren.items():
        if str(k) == name:
            return str(v)
    return name


def _jacobian_from_terms(fterms, n):
    """Numeric (J(x), f(x)) from exact sparse field terms {exponent tuple: Fraction}."""
    rows = []
    for ft in fterms:
        exps = np.array(list(ft), dtype=float).reshape(-1, n)
        cs = np.array([float(v) for v in ft.values()])
        rows.append((exps, cs))

    def f_and_J(x):
        f = np.zeros(n)
        J = np.zeros((n, n))
        for i, (exps, cs) in enumerate(rows):
            if not len(cs):
                continue
            with np.errstate(all="ignore"):
                mono = np.prod(x[None, :] ** exps, axis=1)
                f[i] = cs @ mono
                for j in range(n):
                    e = exps[:, j]
                    m = e > 0
                    if m.any():
                        ex = exps[m].copy()
                        ex[:, j] -= 1
                        J[i, j] = (cs[m] * e[m]) @ np.prod(x[None, :] ** ex, axis=1)
        return f, J
    return f_and_J


def _polish(x, f_and_J, iters=30):
    """Gauss-Newton (minimum-norm steps) onto f = 0; returns the point and |f| history."""
    hist = []
    for _ in range(iters):
        f, J = f_and_J(x)
        nf = float(np.max(np.abs(f)))
        hist.append(nf)
        if nf <= 1e-15 * max(1.0, float(np.max(np.abs(x)))):
            break
        step = np.linalg.lstsq(J, f, rcond=1e-10)[0]   # truncated: no steps along near-null directions
        x = x - step
    return x, hist


def instance_fixed_point(instance, t_max=None, seed: int = 0) -> dict:
    r"""The integrated limit of an instance and the local structure of the fixed-point set there.

    Integrates the instance (its own numpy field, to convergence: :func:`~linrbp.simulate`),
    polishes the end point onto the fixed-point set with Gauss-Newton steps on the exact
    (rational) derived field, then reports the Jacobian's eigenvalues, its singular values, its
    rank at tolerance ``RANK_RTOL`` :math:`\times \sigma_{\max}` (``RANK_RTOL`` = 1e-8) and the
    local dimension of the fixed-point set, twice: :math:`n - \mathrm{rank}`, and the rank of the
    displacements to the fixed points reached by projecting :math:`n + 5` random perturbations of
    relative size 1e-6 back onto the set. ``linrbp derive --at FILE`` prints it.

    Parameters
    ----------
    instance : Instance or str
        The instance, or the path of an instance file.
    t_max : float, optional
        The time limit of the integration (time units of the ODE; default: the instance's, else
        :func:`~linrbp.simulate`'s default).
    seed : int, optional
        Seeds the random perturbations (default 0).

    Returns
    -------
    dict
        ``status`` and ``t_end`` of the integration, ``field_at_limit``, ``limit`` (the polished
        ``state``, the field before and after polishing, how far it moved), ``eigenvalues``
        (``[real, imag]`` pairs), ``singular_values``, ``rank`` with ``rank_tolerance``, the
        largest zero and smallest nonzero singular values, ``local_dimension``,
        ``local_dimension_projected``, ``max_real_eigenvalue_nonzero`` and ``seconds``; for a run
        that did not converge, ``limit``, ``rank``, ... are None and ``note`` says why.

    Raises
    ------
    InputError
        (a ValueError) for an unreadable instance file or a field that is not polynomial in the
        state.

    Examples
    --------
    :math:`A[1,1,1]` under RBP converges to a point of the hyperbola :math:`a_1 a_2 = \alpha/\beta`, a
    curve of fixed points: rank 1, local dimension 1, one eigenvalue 0 and one
    :math:`-\beta(a_1^2 + c_1 a_2) < 0` (docs/theory.md section 2):

    >>> import linrbp
    >>> from linrbp.symbolic import instance_fixed_point
    >>> inst = linrbp.parse_instance({"layers": [1, 1, 1], "rule": "rbp", "sigma_ii": [[2.0]],
    ...     "sigma_ti": [[1.5]], "feedback": [[[0.7]]], "weights": [[[0.3]], [[-0.5]]], "t_max": 1000})
    >>> r = instance_fixed_point(inst)
    >>> r["status"], r["rank"], r["local_dimension"], r["local_dimension_projected"]
    ('converged', 1, 1, 1)
    >>> a1, a2 = r["limit"]["state"]
    >>> round(a1 * a2, 12), round(r["max_real_eigenvalue_nonzero"] / (-2.0 * (a1 ** 2 + 0.7 * a2)), 9)
    (0.75, 1.0)
    """
    from ..instances._instance import load_instance
    from ..instances._simulate import simulate
    from ._invariants import _field_terms, canonical_names, instance_system

    t0 = time.perf_counter()
    if isinstance(instance, str):
        instance = load_instance(instance)
    from ..instances._instance import _parse_state
    from ._invariants import sign_arguments, orthant_system

    out = simulate(instance, t_max)
    y = instance.system.pack(out["weights"], out["feedback"] if instance.system.rule.adaptive else None,
                             _parse_state(out.get("state"), instance.system) or None)
    system, vals = instance_system(instance)
    n = len(system.states)
    piecewise = None
    args = sign_arguments(system)
    if args and out["status"] == "converged":
        # a piecewise-polynomial field (sign): the polynomial system of the limit's orthant
        names = canonical_names(system)
        at = sp.lambdify([system.states], [a.subs({k: float(v) for k, v in vals.items()}) for a in args])(y)
        at = [float(v) for v in at]
        scale = 1e-9 * max(1.0, float(np.max(np.abs(y))))
        piecewise = {"arguments": [str(sp.sympify(a).xreplace(names)) for a in args], "values": at}
        if any(abs(v) <= scale for v in at):
            piecewise["note"] = ("the limit lies on the boundary of a sign pattern (an argument of sign is "
                                 "zero there): the field is not differentiable there, so no Jacobian, rank "
                                 "or local dimension")
            res = {"system": system.name, "rule": system.rule, "status": out["status"], "t_end": out["t_end"],
                   "n_state": n, "field_at_limit": float(np.max(np.abs(instance.system(y)))),
                   "limit": None, "rank": None, "local_dimension": None, "eigenvalues": None,
                   "piecewise": piecewise, "note": piecewise["note"],
                   "seconds": time.perf_counter() - t0}
            return res
        piecewise["pattern"] = [1 if v > 0 else -1 for v in at]
        piecewise["note"] = ("piecewise-polynomial field: the Jacobian and the fixed-point set are those of "
                             "the polynomial field of the limit's sign pattern")
        system = orthant_system(system, piecewise["pattern"])
    elif args:
        piecewise = {"arguments": [str(sp.sympify(a).xreplace(canonical_names(system))) for a in args]}
    fterms = _field_terms(system, vals)
    if any(not isinstance(e, int) and not getattr(e, "is_Integer", False) for ft in fterms for k in ft for e in k):
        raise InputError("fixed points: the field is not polynomial in the state")
    fterms = [{tuple(int(e) for e in k): v for k, v in ft.items()} for ft in fterms]
    f_and_J = _jacobian_from_terms(fterms, n)
    names = [str(canonical_names(system)[s]) for s in system.states]
    res = {"system": system.name, "rule": system.rule, "status": out["status"], "t_end": out["t_end"],
           "variables": names, "n_state": n}
    if piecewise is not None:
        res["piecewise"] = piecewise
    f_end = float(np.max(np.abs(instance.system(y))))
    res["field_at_limit"] = f_end
    if out["status"] != "converged":
        res.update({"limit": None, "rank": None, "local_dimension": None, "eigenvalues": None,
                    "note": f"integration ended with status {out['status']}: no limit"})
        res["seconds"] = time.perf_counter() - t0
        return res
    x, hist = _polish(np.asarray(y, dtype=float), f_and_J)
    f, J = f_and_J(x)
    sv = np.linalg.svd(J, compute_uv=False)
    tol = RANK_RTOL * (sv[0] if len(sv) else 0.0)
    rank = int(np.sum(sv > tol))
    eig = np.linalg.eigvals(J)
    eig = eig[np.lexsort((eig.imag, eig.real))]
    # independent local dimension: project random perturbations back onto the set
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1402]))
    eps = 1e-6 * max(1.0, float(np.max(np.abs(x))))   # curvature (~eps^2) stays below the 1e-2 eps cut
    disp = []
    for _ in range(n + 5):
        z, h = _polish(x + eps * rng.standard_normal(n), f_and_J)
        if h and h[-1] <= 1e-12:
            disp.append(z - x)
    if disp:
        dsv = np.linalg.svd(np.array(disp), compute_uv=False)
        # tangent displacements are of the perturbations' size, normal ones (curvature, the
        # polish's residue) of its square: count those within 1e-3 of the largest
        proj_dim = int(np.sum(dsv > 1e-3 * dsv[0])) if dsv[0] > 0 else 0
        res["projected_singular_values"] = dsv.tolist()
    else:
        dsv, proj_dim = np.array([]), None
    zero = sv[sv <= tol]
    nonzero = sv[sv > tol]
    res.update({
        "limit": {"state": x.tolist(), "field_before_polish": hist[0] if hist else f_end,
                  "field_after_polish": float(np.max(np.abs(f))),
                  "moved_by_polish": float(np.max(np.abs(x - y)))},
        "eigenvalues": [[float(z.real), float(z.imag)] for z in eig],
        "singular_values": sv.tolist(),
        "rank": rank, "rank_tolerance": float(tol), "rank_rtol": RANK_RTOL,
        "largest_zero_singular_value": float(zero.max()) if len(zero) else None,
        "smallest_nonzero_singular_value": float(nonzero.min()) if len(nonzero) else None,
        "local_dimension": n - rank,
        "local_dimension_projected": proj_dim,
        "projected_samples": len(disp), "perturbation": eps, "seed": seed,
        "max_real_eigenvalue_nonzero": float(max((z.real for z in eig if abs(z) > tol), default=0.0)),
    })
    res["seconds"] = time.perf_counter() - t0
    return res
