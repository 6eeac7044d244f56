"""Ball-arithmetic certificates of the chains' limits (the theory page, section 12).

For a chain A[1,...,1] (``chain111`` is depth 2) with exact rational inputs, a_1' = Q(a_1) with
Q an exact rational polynomial of degree 2^L - 1 (the conserved K_h eliminate a_2..a_L). The limit
a_1* is the root of Q that ``poly1d`` picks: the nearest real root in the direction of
sign Q(a_1(0)). :func:`certify_chain` encloses it in a ball and records the checks that make the
ball a certificate:

* ``start-sign``: sign Q(a_1(0)), exact (rational arithmetic);
* ``real-roots-isolated``: every complex root of the square-free part of Q isolated in a ball
  (python-flint's acb_poly root isolation), each classified real or non-real;
* ``no-root-between``: no real root ball lies between a_1(0) and the picked one;
* ``simple-root``: Q(lo) and Q(hi) have opposite signs and Q' excludes 0 on [lo, hi] (one root
  of Q there, simple), else a root of gcd(Q, Q') in the ball: refused as a double root;
* ``attracting``: Q'(a_1*) < 0 on the ball (Q'(a_1*) is the non-zero eigenvalue -beta S of the
  Jacobian at the limit);
* ``jacobian-eigenvalues``: the L x L Jacobian of the field at the limit ball has L - 1
  eigenvalues enclosing 0 and one with negative real part, overlapping Q'(a_1*).

Precision starts at :data:`START_PREC` bits and doubles only when a sign or a classification is
undecided; past :data:`MAX_PREC` the instance is refused ("precision exhausted"), never
certified by floats.
"""

from __future__ import annotations

import time
from fractions import Fraction

START_PREC = 128
MAX_PREC = 1 << 16

__all__ = ["Refused", "certify_chain", "chain_polynomials", "START_PREC", "MAX_PREC"]


class Refused(Exception):
    r"""An instance that cannot be certified; ``reason`` says why.

    Raised by :func:`certify_chain`; :func:`certificate` turns it into a certificate with status
    ``"refused"``. A refusal is never a certificate of something else: a limit that is a double
    root of Q (semi-stable, not attracting), a start that is a non-attracting fixed point, or
    precision exhausted (:data:`MAX_PREC` bits).

    Parameters
    ----------
    reason : str
        One line; starts with the kind ("double root", "precision exhausted", ...).
    checks : list of dict, optional
        The checks done before the refusal (``check``, ``result``, ``detail``).
    prec : int, optional
        The precision (bits) at which it was refused.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from linrbp.certify import Refused, certify_chain
    >>> try:
    ...     certify_chain({"alpha": F(1), "beta": F(1), "c": [F(-1), F(1)], "a0": [F(3, 2), F(3, 8)]})
    ... except Refused as refusal:
    ...     print(refusal.reason, refusal.prec, sep="\n")
    double root: the limit is a multiple root of Q (semi-stable), so it is not attracting
    128
    """

    def __init__(self, reason: str, checks=None, prec: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.checks = checks or []
        self.prec = prec


class _Undecided(Exception):
    """A sign or classification not decided at this precision: raise it."""


def _fmpq(x: Fraction):
    from flint import fmpq

    return fmpq(x.numerator, x.denominator)


def chain_polynomials(alpha: Fraction, beta: Fraction, c, a0):
    """(Q, [a_1(x), ..., a_L(x)]) as flint fmpq_poly: a_{h+1} = K_h + c_{h+1} a_h^2 / (2 c_h)."""
    from flint import fmpq_poly

    L = len(a0)
    a = [fmpq_poly([0, 1])]
    for h in range(L - 1):
        s = _fmpq(c[h + 1] / (2 * c[h]))
        K = _fmpq(a0[h + 1]) - s * _fmpq(a0[h]) ** 2
        a.append(a[h] * a[h] * s + K)
    P = a[0]
    for p in a[1:]:
        P = P * p
    Q = (fmpq_poly([_fmpq(alpha)]) - P * _fmpq(beta)) * _fmpq(c[0])
    return Q, a


def _sign(ball) -> int:
    if ball > 0:
        return 1
    if ball < 0:
        return -1
    raise _Undecided


def _frac(x) -> Fraction:
    """An arb midpoint or radius (a dyadic rational) as an exact Fraction."""
    m, e = x.man_exp()
    return Fraction(int(m)) * (Fraction(2) ** int(e))


def _exact(x) -> str:
    f = _frac(x)
    return f"{f.numerator}/{f.denominator}"


def _ball(x) -> dict:
    return {"mid": _exact(x.mid()), "rad": _exact(x.rad()), "decimal": x.str(20, radius=True)}


def _poly_at(poly, x, prec):
    """poly (fmpq_poly) at the arb x, coefficients rounded to balls at prec."""
    from flint import arb, arb_poly

    return arb_poly([arb(c) for c in poly.coeffs()])(x)


def _real_roots(Qs):
    """Real root balls (arb, ascending) of the square-free Qs at the current precision."""
    from flint import acb, acb_poly, arb, ctx

    if Qs.degree() < 1:
        return []
    try:
        roots = acb_poly([acb(c) for c in Qs.coeffs()]).roots(tol=arb(2) ** (-(ctx.prec * 3 // 4)))
    except ValueError:  # isolation did not converge at this precision
        raise _Undecided from None
    real = []
    for k, r in enumerate(roots):
        if not r.imag.contains(0):
            continue
        # One root in r; a non-real root's conjugate would be a root in conj(r), which (meeting
        # the real line like r) must then lie in another ball overlapping conj(r).
        conj = r.conjugate()
        if any(conj.overlaps(o) for j, o in enumerate(roots) if j != k):
            raise _Undecided
        real.append(r.real)
    return sorted(real, key=lambda b: b.mid())


def _jacobian(alpha, beta, c, weights):
    """The L x L Jacobian of a_h' = c_h e prod_{k<h} a_k at arb weights (e = alpha - beta P)."""
    from flint import arb, arb_mat

    L = len(weights)
    P = arb(1)
    for w in weights:
        P *= w
    e = alpha - beta * P
    pre = [arb(1)]
    for w in weights:
        pre.append(pre[-1] * w)

    def prod_except(k, upto=None):
        out = arb(1)
        for j, w in enumerate(weights[:upto]):
            if j != k:
                out *= w
        return out

    rows = []
    for h in range(L):
        row = []
        for k in range(L):
            de = -beta * prod_except(k)
            dpre = prod_except(k, h) if k < h else arb(0)
            row.append(c[h] * (de * pre[h] + e * dpre))
        rows.append(row)
    return arb_mat(rows), e


def _eigenvalues(J, dq, L):
    """(ok, detail): the characteristic polynomial of the ball matrix J is lambda^L - t lambda^(L-1)
    + delta(lambda), delta's coefficients balls around 0 (J is rank one at the exact limit). By
    Rouche, if rho^(L-1) (|t| - rho) > sum_k |delta_k| rho^k then exactly L - 1 eigenvalues lie in
    |lambda| <= rho; the last is real and lies in t -+ (L - 1) rho (the trace is their sum)."""
    from flint import arb

    p = J.charpoly().coeffs()  # constant first, monic
    t = -p[L - 1]
    if L == 1:
        return _sign(t) < 0, f"the 1 x 1 Jacobian is {t.str(10, radius=True)}"
    small = p[:L - 1]
    if not all(d.contains(0) for d in small):
        raise _Undecided
    eps = [d.abs_upper() for d in small]
    if all(x == 0 for x in eps):
        rho = arb(0)
    else:
        tl = t.abs_lower()
        if not tl > 0:
            raise _Undecided
        rho = max((arb(2 * L) * x / tl) ** (arb(1) / (L - 1 - k)) for k, x in enumerate(eps))
        lhs = rho ** (L - 1) * (tl - rho)
        rhs = sum((x * rho ** k for k, x in enumerate(eps)), arb(0))
        if not lhs > rhs:
            raise _Undecided
    big = t + arb(0, (L - 1) * rho.abs_upper())
    neg = _sign(big) < 0
    ok = neg and big.overlaps(dq)
    return ok, (f"{L - 1} eigenvalues in |lambda| <= {rho.abs_upper().str(3)}; the last in "
                f"{big.str(10, radius=True)}" + (" < 0, overlapping Q'(a_1*)" if ok else ""))


def _attempt(Q, polys, g, Qs, x0, sgn, inputs, prec):
    from flint import arb, ctx

    ctx.prec = prec
    checks = []
    roots = _real_roots(Qs)
    x0b = arb(_fmpq(x0))
    side = []
    for r in roots:
        if r > x0b:
            side.append(1)
        elif r < x0b:
            side.append(-1)
        else:
            raise _Undecided
    ahead = [r for r, s in zip(roots, side) if s == sgn]
    if not ahead:  # odd degree, negative leading coefficient: impossible unless arithmetic lies
        raise RuntimeError("no real root in the direction of the flow")
    r = ahead[0] if sgn > 0 else ahead[-1]
    checks.append({"check": "real-roots-isolated", "result": True,
                   "detail": f"{len(roots)} real and {Qs.degree() - len(roots)} non-real roots of the "
                             f"square-free part of Q isolated at {prec} bits"})
    checks.append({"check": "no-root-between", "result": True,
                   "detail": f"the nearest real root {'above' if sgn > 0 else 'below'} a_1(0); "
                             f"{sum(s == sgn for s in side) - 1} more beyond it"})
    # The exact end points the checker reads (mid -/+ rad), as balls containing them.
    mid, rad = _frac(r.mid()), _frac(r.rad())
    lo, hi = arb(_fmpq(mid - rad)), arb(_fmpq(mid + rad))
    dQ = Q.derivative()
    qlo, qhi = _poly_at(Q, lo, prec), _poly_at(Q, hi, prec)
    dq = _poly_at(dQ, r, prec)
    if not dq.contains(0) and _sign(qlo) * _sign(qhi) < 0:
        checks.append({"check": "simple-root", "result": True,
                       "detail": "Q(lo), Q(hi) of opposite signs and Q' != 0 on [lo, hi]: exactly "
                                 "one root of Q in the ball, simple"})
    else:
        if g.degree() >= 1:
            gs = g / g.gcd(g.derivative())
            groots = _real_roots(gs)
            if any(b.lower() >= r.lower() and b.upper() <= r.upper() for b in groots):
                checks.append({"check": "simple-root", "result": False,
                               "detail": "a root of gcd(Q, Q') lies in the ball: the limit is a "
                                         "multiple root (semi-stable)"})
                raise Refused("double root: the limit is a multiple root of Q (semi-stable), "
                              "so it is not attracting", checks, prec)
        raise _Undecided
    checks.append({"check": "attracting", "result": _sign(dq) < 0,
                   "detail": f"Q'(a_1*) in {dq.str(10, radius=True)}"})
    weights = [_poly_at(p, r, prec) for p in polys]
    ab, bb = arb(_fmpq(inputs["alpha"])), arb(_fmpq(inputs["beta"]))
    cb = [arb(_fmpq(v)) for v in inputs["c"]]
    J, e = _jacobian(ab, bb, cb, weights)
    if not e.contains(0):
        raise RuntimeError("e(limit) excludes 0: the root is not a fixed point")
    ok, detail = _eigenvalues(J, dq, len(weights))
    checks.append({"check": "jacobian-eigenvalues", "result": ok, "detail": detail})
    return r, weights, e, checks


def certify_chain(inputs: dict) -> dict:
    r"""Certify one chain instance given exactly, in ball arithmetic (docs/theory.md section 12).

    With the conserved quantities eliminating :math:`a_2, \dots, a_L`, :math:`a_1' = Q(a_1)` with
    Q an exact rational polynomial of degree :math:`2^L - 1`; the limit :math:`a_1^*` is the root
    that ``poly1d`` picks (the nearest real root in the direction of sign :math:`Q(a_1(0))`). The
    ball enclosing it is a certificate by the checks ``start-sign`` (exact),
    ``real-roots-isolated``, ``no-root-between``, ``simple-root``, ``attracting``
    (:math:`Q'(a_1^*) < 0` on the ball) and ``jacobian-eigenvalues``. Precision starts at
    :data:`START_PREC` bits and doubles only while a sign or classification is undecided.

    Parameters
    ----------
    inputs : dict
        ``alpha``, ``beta`` (Fraction, beta > 0), ``c`` (c_1..c_L in SRBP form, c_L = 1, none
        zero) and ``a0`` (a_1..a_L at t = 0), all :class:`fractions.Fraction`
        (:func:`exact_inputs` makes them).

    Returns
    -------
    dict
        ``polynomial`` (Q's coefficients, constant first, as Fractions), ``start_sign``,
        ``limit`` (balls of a_1..a_L: ``mid`` and ``rad`` as exact 'p/q' strings, ``decimal``),
        ``e`` (ball of the error), ``prec`` (bits), ``checks`` (name, result, detail),
        ``seconds``.

    Raises
    ------
    Refused
        A double root, a non-attracting fixed start, or precision exhausted (:data:`MAX_PREC` bits).

    Examples
    --------
    A[1,1,1] with alpha = beta = c1 = 1 from (1/2, 1/2): RBP conserves
    :math:`a_2 - a_1^2/2 = 3/8`, so :math:`Q(a_1) = 1 - a_1 (3/8 + a_1^2/2)`:

    >>> from fractions import Fraction as F
    >>> import linrbp
    >>> from linrbp.certify import certify_chain
    >>> r = certify_chain({"alpha": F(1), "beta": F(1), "c": [F(1), F(1)], "a0": [F(1, 2), F(1, 2)]})
    >>> r["polynomial"]
    [Fraction(1, 1), Fraction(-3, 8), Fraction(0, 1), Fraction(-1, 2)]
    >>> [ball["decimal"] for ball in r["limit"]]
    ['[1.0633846659051956169 +/- 2.72e-20]', '[0.94039347384115225072 +/- 2.54e-21]']
    >>> linrbp.chain111_limit(1.0, 1.0, 1.0, 0.5, 0.5)  # the float closed form
    (1.0633846659051955, 0.9403934738411523)
    """
    from flint import ctx

    start = time.perf_counter()
    Q, polys = chain_polynomials(inputs["alpha"], inputs["beta"], inputs["c"], inputs["a0"])
    x0 = inputs["a0"][0]
    q0 = Q(_fmpq(x0))
    sgn = (q0 > 0) - (q0 < 0)
    coeffs = [Fraction(int(v.p), int(v.q)) for v in Q.coeffs()]
    checks = [{"check": "start-sign", "result": True,
               "detail": f"sign Q(a_1(0)) = {sgn:+d} (exact rational arithmetic)"},
              {"check": "leading-coefficient", "result": coeffs[-1] < 0 and Q.degree() % 2 == 1,
               "detail": f"degree {Q.degree()}, leading coefficient of sign {'-' if coeffs[-1] < 0 else '+'}"}]
    out = {"polynomial": coeffs, "start_sign": sgn}
    saved = ctx.prec
    try:
        if sgn == 0:
            dq = Q.derivative()(_fmpq(x0))
            if dq >= 0:
                raise Refused("the start is a fixed point that is not attracting (Q'(a_1(0)) >= 0)",
                              checks, None)
            ctx.prec = START_PREC
            from flint import arb

            r = arb(_fmpq(x0))
            weights = [arb(_fmpq(v)) for v in inputs["a0"]]
            checks.append({"check": "attracting", "result": True,
                           "detail": f"the start is a root of Q; Q'(a_1(0)) = {dq} < 0 (exact)"})
            out.update(limit=[_ball(w) for w in weights], e=_ball(arb(0)), prec=START_PREC,
                       checks=checks, seconds=time.perf_counter() - start)
            return out
        g = Q.gcd(Q.derivative())
        Qs = Q / g if g.degree() >= 1 else Q
        prec = START_PREC
        while True:
            if prec > MAX_PREC:
                raise Refused(f"precision exhausted: signs still undecided at {MAX_PREC} bits",
                              checks, MAX_PREC)
            try:
                r, weights, e, more = _attempt(Q, polys, g, Qs, x0, sgn, inputs, prec)
                break
            except _Undecided:
                prec *= 2
            except Refused as exc:
                exc.checks = checks + exc.checks
                raise
    finally:
        ctx.prec = saved
    out.update(limit=[_ball(w) for w in weights], e=_ball(e), prec=prec, checks=checks + more,
               seconds=time.perf_counter() - start)
    return out
