"""Claim `poly1d` (docs/theory.md section 1, [BSL] Theorem 1): limits of x' = Q(x)."""

from __future__ import annotations

import math

import numpy as np

from ..catalogue._catalogue import Check, Claim, register
from ..integration._integrate import integrate, integrate_batch
from ..closed_forms._poly1d import (blowup_time_partial_fractions, cauchy_bound, poly1d_limit,
                       real_roots_multiplicity)
from ..closed_forms._scalar_draws import poly1d_instance
from ._scalar_common import LIMIT_TOL

# 1-D integration, all instances in one batch. The state is [x, k/B] (k the instance's index,
# a constant coordinate in [0, 1) so it hardly moves the convergence scale 1 + |y|). Each
# field is divided by |Q'(r)| at its predicted limit (by |Q''(r)| at a double root): a constant
# time change, which leaves orbits and limits unchanged, so that the stop rule
# |f| <= conv_tol (1 + |y|) means |x - r| <= ~conv_tol (1 + |r|) for every instance alike
# (~sqrt(2 conv_tol (1 + |r|)) at a double root).
_CONV = 1e-12
_BOUND = 1e4

# The field is Q evaluated by compensated Horner (Graillat, Langlois and Louvet 2005): as
# accurate as Horner in twice the working precision, |error| <= eps |Q(x)| + gamma_2n^2
# sum |q_i| |x|^i. Plain Horner's rounding noise (~eps sum |q_i| |x|^i) is what an approach to a
# root that cancels heavily sees: the step control reads the noise as local error and holds
# the step where h * noise ~ rtol |x| (seed 7: Q'' = 0.035 at a double root, coefficients
# near 900: steps of ~0.14 over the ~1e5 time units of the algebraic approach, 616,344 of
# them, where the accurate field takes 115 to a tighter stop). The ODE is the same; only its
# rounding shrinks.
_SPLIT = 134217729.0  # 2^27 + 1: Dekker's splitting of a double into two 26-bit halves


def _two_product(a, b):
    """(a b, its rounding error) exactly, without FMA (Dekker)."""
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sum(a, b):
    """(a + b, its rounding error) exactly (Knuth)."""
    s = a + b
    z = s - a
    return s, (a - (s - z)) + (b - z)


def compensated_horner(C, x):
    """Q_k(x_k) for each row k of ``C`` (coefficients highest first) by compensated Horner;
    where its splitting overflows (|partial value| > ~1e300), plain Horner's value."""
    s = np.broadcast_to(C[..., 0], np.shape(x)).astype(float)
    plain = s.copy()
    corr = np.zeros_like(s)
    for j in range(1, C.shape[-1]):
        p, pi = _two_product(s, x)
        s, sigma = _two_sum(p, C[..., j])
        corr = corr * x + (pi + sigma)
        plain = plain * x + C[..., j]
    out = s + corr
    return np.where(np.isfinite(out), out, plain)


def _strategy(special=None):
    def make():
        from ..strategies import poly1d_instances

        return poly1d_instances(special)

    return make


def _scale(r):
    return max(1.0, abs(r))


def limit_errors(instances) -> np.ndarray:
    """Closed form vs integration: limit (relative, floor 1) or blow-up time (relative)."""
    B = len(instances)
    preds = [poly1d_limit(inst["coeffs"], inst["x0"]) for inst in instances]
    deg = max(len(inst["coeffs"]) for inst in instances)
    C = np.zeros((B, deg))
    speed = np.ones(B)
    for k, (inst, p) in enumerate(zip(instances, preds)):
        c = np.asarray(inst["coeffs"], dtype=float)
        C[k, deg - c.size:] = c
        if p.kind == "fixed":
            d = np.polyval(np.polyder(c), p.limit) if c.size > 1 else 0.0
            if p.multiplicity and p.multiplicity >= 2 and c.size > 2:
                d = np.polyval(np.polyder(c, 2), p.limit)
            speed[k] = 1.0 / abs(d) if d != 0 else 1.0

    def fun(Y):
        k = np.rint(Y[:, 1] * B).astype(int)
        out = np.zeros_like(Y)
        out[:, 0] = compensated_horner(C[k], Y[:, 0]) * speed[k]
        return out

    Y0 = np.column_stack([[inst["x0"] for inst in instances], np.arange(B) / B])
    # Approaches to a double root are algebraic (|x - r| ~ 1/t, the stop at |x - r| ~
    # sqrt(2 conv_tol (1 + |r|))) and are finished by the Newton step on Q' below (error
    # ~ (q3/q2) |x - r|^2).
    with np.errstate(over="ignore", invalid="ignore"):
        res = integrate_batch(fun, Y0, 1e9, conv_tol=_CONV, bound=_BOUND, max_steps=50000)
    errs = np.zeros(B)
    for k, (inst, pred) in enumerate(zip(instances, preds)):
        c = np.asarray(inst["coeffs"], dtype=float)
        status, x_end, t_end = res.status[k], float(res.y[k, 0]), float(res.t_end[k]) / speed[k]
        if pred.kind == "fixed":
            if status != "converged":
                errs[k] = math.inf
                continue
            if pred.multiplicity and pred.multiplicity >= 2 and x_end != pred.limit:
                # Algebraic approach to a double root: the state at stop is ~sqrt(conv_tol)
                # away; one Newton step on Q' (the local quadratic model) finishes it.
                x_end = x_end - np.polyval(np.polyder(c), x_end) / np.polyval(np.polyder(c, 2), x_end)
            errs[k] = abs(x_end - pred.limit) / _scale(pred.limit)
        elif not math.isfinite(pred.blowup_time):
            # deg <= 1: unbounded growth as t -> inf; only the direction is checkable.
            errs[k] = 0.0 if np.sign(x_end - inst["x0"]) == np.sign(pred.limit) else math.inf
        elif status != "diverged" or np.sign(x_end) != np.sign(pred.limit):
            errs[k] = math.inf
        else:
            # Blow-up times come from the reference integrator, whose divergence event is
            # root-found on its dense output: the batch integrator can accept a first step that
            # jumps over the singularity (its error estimate is relative to the huge state).
            # The time left after the event state is the closed form from there.
            ref = integrate(lambda y: np.polyval(c, y), np.array([inst["x0"]]), 1e9, bound=_BOUND)
            if ref.status[0] != "diverged":
                errs[k] = math.inf
                continue
            tail = poly1d_limit(c, float(ref.y[0, 0])).blowup_time
            errs[k] = abs(float(ref.t_end[0]) + tail - pred.blowup_time) / pred.blowup_time
    return errs


def blowup_routes_error(inst) -> float:
    """Quadrature vs partial fractions for T* (simple roots only: instances drawn plain/no-real)."""
    c = np.asarray(inst["coeffs"], dtype=float)
    pred = poly1d_limit(c, inst["x0"])
    if pred.kind != "blow-up" or not math.isfinite(pred.blowup_time):
        return 0.0
    pf = blowup_time_partial_fractions(c, inst["x0"])
    return abs(pf - pred.blowup_time) / pred.blowup_time


def convergence_iff_error(inst) -> float:
    """All solutions converge iff deg Q odd and leading coefficient < 0 (0 or 1)."""
    c = np.asarray(inst["coeffs"], dtype=float)
    R = cauchy_bound(c)
    starts = list(np.linspace(-R - 1, R + 1, 13)) + [inst["x0"], -10 * R, 10 * R]
    all_fixed = all(poly1d_limit(c, x).kind == "fixed" for x in starts)
    expect = (len(c) - 1) % 2 == 1 and c[0] < 0
    return 0.0 if all_fixed == expect else 1.0


def roots_error(inst) -> float:
    """real_roots_multiplicity vs the roots the instance was built from."""
    c = np.asarray(inst["coeffs"], dtype=float)
    if inst["kind"] == "on-root":
        return 0.0  # constant term shifted: the built roots are no longer exact
    roots, mult = real_roots_multiplicity(c)
    built = inst.get("_roots")
    if built is None:
        return 0.0
    built = np.sort(np.asarray(built))
    uniq, counts = np.unique(built, return_counts=True)
    if len(uniq) != len(roots) or np.any(counts != mult):
        return math.inf
    return float(np.max(np.abs(uniq - roots) / np.maximum(1.0, np.abs(uniq)))) if len(uniq) else 0.0


def _simple_roots_instance(rng):
    """A poly1d instance whose roots are all simple (the domain of partial fractions)."""
    while True:
        inst = poly1d_instance(rng, str(rng.choice(["plain", "no-real"])))
        z = np.roots(inst["coeffs"])
        if z.size < 2 or np.min(np.abs(z[:, None] - z[None, :]) + np.eye(z.size)) > 1e-3:
            return inst


def _roots_instance(rng):
    kind = rng.choice(["plain", "double"])
    # Dyadic, distinct roots: exact coefficients, so the double root is exactly double.
    lead = float(rng.choice([-1.0, 1.0]) * 2.0 ** int(rng.integers(-2, 3)))
    n = int(rng.integers(1, 6))
    roots = list(rng.choice(np.arange(-48, 49), size=n, replace=False) / 16.0)
    if kind == "double":
        roots.append(roots[0])
    c = np.array([lead])
    for r in roots:
        c = np.polymul(c, [1.0, -r])
    u, v = int(rng.integers(-48, 49)) / 16.0, 2.0 ** -int(rng.integers(0, 5))
    if rng.random() < 0.5:
        c = np.polymul(c, [1.0, -2 * u, u * u + v * v])
    return {"kind": str(kind), "coeffs": [float(x) for x in c], "x0": 0.0, "_roots": [float(r) for r in roots]}


CLAIM = register(Claim(
    id="poly1d",
    title="One-dimensional polynomial ODEs $x' = Q(x)$",
    reference="[BSL] Theorem 1",
    statement=("$x' = Q(x)$ converges to the first root of $Q$ met in the direction of "
               r"$\mathrm{sign}\, Q(x_0)$, or blows up in the finite time $T^* = "
               r"\int_{x_0}^{\pm\infty} dx/Q(x)$ when none is ahead; every solution converges iff "
               r"$\deg Q$ is odd with negative leading coefficient."),
    checks=[
        Check("limit-vs-integration", LIMIT_TOL, lambda rng: poly1d_instance(rng), errors=limit_errors,
              samples=24, strategy=_strategy()),
        Check("double-root-limit", LIMIT_TOL, lambda rng: poly1d_instance(rng, "double"),
              errors=limit_errors, samples=10, strategy=_strategy("double")),
        Check("blowup-time-quadrature-vs-partial-fractions", 1e-9, _simple_roots_instance,
              error=blowup_routes_error, samples=30, strategy=_strategy("no-real")),
        Check("convergence-iff-odd-negative", 0.0, lambda rng: poly1d_instance(rng),
              error=convergence_iff_error, samples=30, strategy=_strategy()),
        Check("real-roots-multiplicity", LIMIT_TOL, _roots_instance, error=roots_error, samples=40),
    ],
))
