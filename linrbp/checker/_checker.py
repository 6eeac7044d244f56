"""The independent checker of chain certificates: exact rational arithmetic and Sturm sequences.

This module imports nothing but the standard library (no linrbp module, no ball arithmetic, not
the code that produced the certificate), so a reader can audit it alone. For a certificate of
claim ``chain111`` or ``chain`` it:

1. recomputes the SRBP-form feedback c_h and the polynomial Q(a_1) from the exact inputs
   (a_{h+1} = K_h + c_{h+1} a_h^2 / (2 c_h), K_h from the start; Q = c_1 (alpha - beta P)) and
   compares it with the certificate's, coefficient by coefficient;
2. checks the degree 2^L - 1 and a negative leading coefficient (every solution converges);
3. checks sign Q(a_1(0)), the direction of the flow;
4. reads the limit ball [lo, hi] = [mid - rad, mid + rad] of a_1 and checks that it lies strictly
   on the flow's side of a_1(0), that Q(lo) Q(hi) < 0 and that Q has exactly one real root in
   (lo, hi] and none between a_1(0) and the ball (Sturm sequences);
5. checks Q' < 0 on [lo, hi] (no root of Q' there, Sturm; negative at lo): the root is simple and
   attracting in its level set;
6. checks that every a_h ball contains the interval image of [lo, hi] under a_h(x) and that
   e = alpha - beta P lies in the certificate's ball of e.

A certificate whose start is a root of Q (radius 0) is checked by Q(a_1(0)) = 0 and
Q'(a_1(0)) < 0 exactly.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

__all__ = ["check_certificate", "check_paths", "main"]


class CertificateError(Exception):
    """One check of a certificate does not hold; ``check`` names it.

    Parameters
    ----------
    check : str
        The check's name (``format``, ``status``, ``polynomial``, ``leading-coefficient``,
        ``start-sign``, ``limit-side``, ``root-in-ball``, ``no-root-between``, ``attracting``,
        ``limit-weights``, ``fixed-point``, ...).
    message : str
        What does not hold; the exception's text is ``"<check>: <message>"``.

    Examples
    --------
    >>> from linrbp.checker import CertificateError, check_certificate
    >>> try:
    ...     check_certificate({"claim": "poly1d"})
    ... except CertificateError as err:
    ...     print(err.check, "|", err)
    format | format: not a certificate of claim chain111 or chain
    """

    def __init__(self, check: str, message: str):
        super().__init__(f"{check}: {message}")
        self.check = check


# --- exact polynomials: lists of Fractions, constant term first ----------------------------
def _trim(p):
    p = list(p)
    while p and p[-1] == 0:
        p.pop()
    return p


def _add(p, q):
    n = max(len(p), len(q))
    return _trim([(p[i] if i < len(p) else 0) + (q[i] if i < len(q) else 0) for i in range(n)])


def _mul(p, q):
    if not p or not q:
        return []
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        if a:
            for j, b in enumerate(q):
                out[i + j] += a * b
    return _trim(out)


def _scale(p, s):
    return _trim([s * a for a in p])


def _deriv(p):
    return _trim([i * p[i] for i in range(1, len(p))])


def _value(p, x: Fraction) -> Fraction:
    v = Fraction(0)
    for a in reversed(p):
        v = v * x + a
    return v


def _sign(x) -> int:
    return (x > 0) - (x < 0)


# --- Sturm sequences on integer polynomials (positive multiples keep every sign) -------------
def _integer(p):
    """A positive multiple of p with coprime integer coefficients."""
    from math import gcd, lcm

    den = 1
    for a in p:
        den = lcm(den, a.denominator)
    q = [int(a * den) for a in p]
    g = 0
    for a in q:
        g = gcd(g, a)
    return [a // g for a in q] if g > 1 else q


def _prem_neg(a, b):
    """A positive multiple of -(a mod b), made primitive (integer lists)."""
    from math import gcd

    a = list(a)
    lc, db = b[-1], len(b) - 1
    k = 0  # a is multiplied by lc once per step
    while len(a) - 1 >= db and a:
        k += 1
        s, shift = a[-1], len(a) - 1 - db
        a = [lc * x for x in a]
        for i, y in enumerate(b):
            a[i + shift] -= s * y
        a.pop()
        while a and a[-1] == 0:
            a.pop()
    # a = lc^k a0 mod b; make the multiplier positive, then negate.
    if lc < 0 and k % 2 == 1:
        a = [-x for x in a]
    a = [-x for x in a]
    g = 0
    for x in a:
        g = gcd(g, x)
    return [x // g for x in a] if g > 1 else a


def _sturm(p):
    seq = [_integer(p), _integer(_deriv(p))]
    while seq[-1] and len(seq[-1]) > 1:
        r = _prem_neg(seq[-2], seq[-1])
        if not r:
            break
        seq.append(r)
    return [s for s in seq if s]


def _sign_at(p, x: Fraction) -> int:
    """sign p(x) for an integer polynomial p and a rational x = n/d, d > 0 (Horner on
    sum a_i n^i d^(deg - i), which has the sign of p(x))."""
    n, d = x.numerator, x.denominator
    v, dk = 0, 1
    for a in reversed(p):
        v = v * n + a * dk
        dk *= d
    return _sign(v)


def _variations(seq, x: Fraction) -> int:
    signs = [s for s in (_sign_at(p, x) for p in seq) if s]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def sturm_roots_in(p, lo: Fraction, hi: Fraction) -> int:
    """Distinct real roots of p in (lo, hi] (Sturm's theorem), lo < hi."""
    seq = _sturm(p)
    return _variations(seq, lo) - _variations(seq, hi)


# --- Descartes' rule of signs on (a, b) with bisection (Vincent, Collins and Akritas) ---------
def _on_unit(p, a: Fraction, b: Fraction):
    """Integer coefficients of a positive multiple of (1 + x)^n p((a + b x) / (1 + x)): its
    positive roots are the roots of p in (a, b), and Descartes' rule counts its sign changes."""
    from math import lcm

    n = len(p) - 1
    d = lcm(a.denominator, b.denominator)
    an, bn = int(a * d), int(b * d)
    q = _integer(p)
    # p(y / d) d^n: coefficients q_i d^(n - i); then y = an + (bn - an) u: Taylor shift by an,
    # scale by w^i; u = 1 / (1 + x): reverse, Taylor shift by 1.
    q = [c * d ** (n - i) for i, c in enumerate(q)]
    q = _shift(q, an)
    w = bn - an
    q = [c * w ** i for i, c in enumerate(q)]
    return _shift(q[::-1], 1)


def _shift(q, t: int):
    """Coefficients of q(x + t) (integer Taylor shift, O(n^2) additions)."""
    q = list(q)
    n = len(q) - 1
    for i in range(n):
        for j in range(n - 1, i - 1, -1):
            q[j] += t * q[j + 1]
    return q


def _sign_changes(q) -> int:
    s = [c > 0 for c in q if c]
    return sum(1 for x, y in zip(s, s[1:]) if x != y)


def roots_in(p, lo: Fraction, hi: Fraction, max_depth: int = 80) -> int | None:
    """The number of real roots of an exact polynomial in the open interval (lo, hi).

    Degrees up to 15 use Sturm's theorem (distinct roots). Higher degrees (a depth-6 chain's Q has
    degree 63) use Descartes' rule of signs on a bisection (Vincent, Collins and Akritas), which
    counts with multiplicity and is exact when every piece has 0 or 1 sign changes.

    Parameters
    ----------
    p : list of fractions.Fraction
        The coefficients, constant term first.
    lo, hi : fractions.Fraction
        The interval, lo < hi.
    max_depth : int, default 80
        Bisection depth after which the count is given up (degree > 15 only).

    Returns
    -------
    int or None
        The count; None where the bisection did not settle within ``max_depth``.

    Examples
    --------
    :math:`(x - 1)(x - 2)(x - 3) = x^3 - 6x^2 + 11x - 6`:

    >>> from fractions import Fraction as F
    >>> from linrbp.checker import roots_in
    >>> p = [F(-6), F(11), F(-6), F(1)]
    >>> roots_in(p, F(0), F(5, 2)), roots_in(p, F(1), F(2)), roots_in([F(1), F(0), F(1)], F(-9), F(9))
    (2, 0, 0)
    """
    if len(p) - 1 <= 15:
        n = sturm_roots_in(p, lo, hi)
        return n - (1 if _value(p, hi) == 0 else 0)
    count, todo = 0, [(lo, hi, 0)]
    while todo:
        a, b, depth = todo.pop()
        v = _sign_changes(_on_unit(p, a, b))
        if v <= 1:
            count += v
            continue
        if depth >= max_depth:
            return None
        m = (a + b) / 2
        if _value(p, m) == 0:
            count += 1  # a root at the midpoint (multiplicity not counted beyond 1)
        todo += [(a, m, depth + 1), (m, b, depth + 1)]
    return count


def _interval_value(p, lo: Fraction, hi: Fraction):
    """An interval containing {p(x): lo <= x <= hi} (interval Horner, exact end points)."""
    vlo = vhi = Fraction(0)
    for a in reversed(p):
        prods = (vlo * lo, vlo * hi, vhi * lo, vhi * hi)
        vlo, vhi = min(prods) + a, max(prods) + a
    return vlo, vhi


# --- reading a certificate ------------------------------------------------------------------
def _q(text, what: str) -> Fraction:
    if not isinstance(text, str):
        raise CertificateError("format", f"{what}: expected a 'p/q' string, got {text!r}")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise CertificateError("format", f"{what}: {text!r} is not an exact rational") from None


def _interval(ball, what: str):
    if not isinstance(ball, dict):
        raise CertificateError("format", f"{what}: expected a ball {{mid, rad}}")
    mid, rad = _q(ball.get("mid"), f"{what}.mid"), _q(ball.get("rad"), f"{what}.rad")
    if rad < 0:
        raise CertificateError("format", f"{what}: negative radius")
    return mid - rad, mid + rad


def chain_polynomials(alpha, beta, c, a0):
    """(Q, [a_1(x), ..., a_L(x)]) as exact coefficient lists (constant first)."""
    a = [[Fraction(0), Fraction(1)]]
    for h in range(len(a0) - 1):
        s = c[h + 1] / (2 * c[h])
        K = a0[h + 1] - s * a0[h] ** 2
        a.append(_add(_scale(_mul(a[h], a[h]), s), [K]))
    P = [Fraction(1)]
    for p in a:
        P = _mul(P, p)
    Q = _scale(_add([alpha], _scale(P, -beta)), c[0])
    return Q, a


def _inputs(cert):
    inp = cert.get("inputs")
    if not isinstance(inp, dict):
        raise CertificateError("format", "inputs: missing")
    alpha, beta = _q(inp.get("alpha"), "inputs.alpha"), _q(inp.get("beta"), "inputs.beta")
    rule = inp.get("rule")
    fb, a0 = inp.get("feedback"), inp.get("weights")
    if not isinstance(fb, list) or not isinstance(a0, list):
        raise CertificateError("format", "inputs: feedback and weights must be lists")
    fb = [_q(v, "inputs.feedback") for v in fb]
    a0 = [_q(v, "inputs.weights") for v in a0]
    L = len(a0)
    if not 2 <= L <= 8 or len(fb) != L - 1:
        raise CertificateError("format", f"inputs: {L} weights and {len(fb)} feedback values")
    if rule == "srbp":
        c = fb
    elif rule == "rbp":  # c_h = r_h r_{h+1} ... r_{L-1}
        c, prod = [], Fraction(1)
        for r in reversed(fb):
            prod *= r
            c.insert(0, prod)
    else:
        raise CertificateError("format", f"inputs.rule: {rule!r} (srbp or rbp)")
    c = c + [Fraction(1)]
    if beta <= 0 or any(v == 0 for v in c):
        raise CertificateError("inputs", "beta must be positive and every feedback non-zero")
    if cert.get("claim") == "chain111" and L != 2:
        raise CertificateError("inputs", f"claim chain111 has depth 2, the inputs depth {L}")
    return alpha, beta, c, a0


def check_certificate(cert) -> list[str]:
    r"""Check a chain certificate independently: exact rational arithmetic and Sturm sequences.

    Recomputes :math:`Q(a_1)` from the certificate's exact inputs and checks, in order (the
    module docstring and the certificates page, docs/certificates.md, give the details):
    ``polynomial`` (the certificate's :math:`Q` is the recomputed one), ``leading-coefficient``
    (degree :math:`2^L - 1`, negative), ``start-sign`` (:math:`\mathrm{sign}\,Q(a_1(0))`),
    ``limit-side``, ``root-in-ball`` and ``no-root-between`` (exactly one root of :math:`Q` in
    the ball of :math:`a_1(\infty)`, none between the start and the ball), ``attracting``
    (:math:`Q' < 0` on the ball), ``limit-weights`` (the balls of :math:`a_2, \dots, a_L`) and
    ``fixed-point`` (the ball of :math:`e = \alpha - \beta P`). Uses the standard library only.

    Parameters
    ----------
    cert : dict
        A decoded certificate of claim ``chain111`` or ``chain`` (what
        :func:`~linrbp.certify_instance` returns, or a JSON file it wrote), with status
        ``certified``.

    Returns
    -------
    list of str
        The names of the checks that hold, in the order above.

    Raises
    ------
    Exception
        ``CertificateError`` (this module's subclass of :class:`Exception`, not a ValueError)
        at the first check that fails, naming it (``format`` for a malformed certificate,
        ``status`` for a refused instance).

    Examples
    --------
    >>> import copy, linrbp
    >>> cert = linrbp.certify_instance("chain111", {"alpha": 1.0, "beta": 1.0, "c1": 1.0, "a1": 0.5, "a2": 0.5})
    >>> linrbp.check_certificate(cert)
    ['polynomial', 'leading-coefficient', 'start-sign', 'limit-side', 'root-in-ball', 'no-root-between', 'attracting', 'limit-weights', 'fixed-point']
    >>> bad = copy.deepcopy(cert)
    >>> bad["limit"][0]["mid"] = "1/1"          # move the ball of a_1(inf) off the root
    >>> linrbp.check_certificate(bad)
    Traceback (most recent call last):
    ...
    linrbp.checker._checker.CertificateError: root-in-ball: Q(lo) Q(hi) is not negative
    """
    done = []
    if not isinstance(cert, dict) or cert.get("claim") not in ("chain111", "chain"):
        raise CertificateError("format", "not a certificate of claim chain111 or chain")
    if cert.get("status") != "certified":
        raise CertificateError("status", f"the certifier refused this instance: {cert.get('reason', '?')}")
    alpha, beta, c, a0 = _inputs(cert)
    L = len(a0)
    Q, polys = chain_polynomials(alpha, beta, c, a0)
    poly = cert.get("polynomial", {})
    raw = poly.get("coefficients") if isinstance(poly, dict) else None
    coeffs = [_q(v, "polynomial.coefficients") for v in raw] if isinstance(raw, list) else []
    if coeffs != Q:
        raise CertificateError("polynomial", "the certificate's Q differs from Q recomputed from the inputs")
    done.append("polynomial")
    if len(Q) - 1 != 2 ** L - 1 or Q[-1] >= 0:
        raise CertificateError("leading-coefficient", f"degree {len(Q) - 1}, leading coefficient {Q[-1]}")
    done.append("leading-coefficient")
    x0 = a0[0]
    s = _sign(_value(Q, x0))
    if s != cert.get("start_sign"):
        raise CertificateError("start-sign", f"sign Q(a_1(0)) is {s}, the certificate says "
                                             f"{cert.get('start_sign')}")
    done.append("start-sign")
    limit = cert.get("limit")
    if not isinstance(limit, list) or len(limit) != L:
        raise CertificateError("format", f"limit: expected {L} balls")
    lo, hi = _interval(limit[0], "limit[0]")
    dQ = _deriv(Q)
    if s == 0:
        if lo != x0 or hi != x0 or _sign(_value(dQ, x0)) >= 0:
            raise CertificateError("attracting", "start on a root: the ball must be the start and Q' < 0 there")
        done.append("attracting")
    else:
        if not ((s > 0 and lo > x0) or (s < 0 and hi < x0)):
            raise CertificateError("limit-side", "the ball is not strictly on the flow's side of a_1(0)")
        done.append("limit-side")
        if _sign(_value(Q, lo)) * _sign(_value(Q, hi)) >= 0:
            raise CertificateError("root-in-ball", "Q(lo) Q(hi) is not negative")
        if roots_in(Q, lo, hi) != 1:
            raise CertificateError("root-in-ball", "Q does not have exactly one real root in the ball")
        done.append("root-in-ball")
        between = roots_in(Q, x0, lo) if s > 0 else roots_in(Q, hi, x0)
        if between != 0:
            raise CertificateError("no-root-between", f"{'undecided' if between is None else between} "
                                                      "root(s) of Q between a_1(0) and the ball")
        done.append("no-root-between")
        if _sign(_value(dQ, lo)) >= 0 or _sign(_value(dQ, hi)) >= 0 or roots_in(dQ, lo, hi) != 0:
            raise CertificateError("attracting", "Q' is not negative on the ball")
        done.append("attracting")
    for h in range(1, L):
        blo, bhi = _interval(limit[h], f"limit[{h}]")
        vlo, vhi = _interval_value(polys[h], lo, hi)
        if vlo < blo or vhi > bhi:
            raise CertificateError("limit-weights", f"the ball of a_{h + 1} does not contain a_{h + 1}(ball of a_1)")
    done.append("limit-weights")
    P_lo, P_hi = Fraction(1), Fraction(1)
    for h in range(L):  # e = alpha - beta P over the balls
        blo, bhi = _interval(limit[h], f"limit[{h}]")
        prods = (P_lo * blo, P_lo * bhi, P_hi * blo, P_hi * bhi)
        P_lo, P_hi = min(prods), max(prods)
    if not (alpha - beta * P_hi <= 0 <= alpha - beta * P_lo):
        raise CertificateError("fixed-point", "e = alpha - beta P excludes 0 on the limit balls")
    done.append("fixed-point")
    return done


def _files(paths):
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(q for q in p.glob("*.json") if q.name != "summary.json")
        else:
            yield p


def check_paths(paths) -> list[tuple[str, bool, str]]:
    """Check every certificate file under the given paths (``linrbp check``).

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        Certificate files, or directories whose ``*.json`` files (but ``summary.json``) are
        certificates.

    Returns
    -------
    list of (str, bool, str)
        Per file: its path, whether every check holds, and the checks that hold or the one that
        failed. An unreadable file fails check ``format``.

    Examples
    --------
    >>> import json, os, tempfile
    >>> from linrbp.certify import certificate
    >>> from linrbp.checker import check_paths
    >>> d = tempfile.mkdtemp()
    >>> cert = certificate("chain111", {"alpha": 1.0, "beta": 1.0, "c1": 1.0, "a1": 0.5, "a2": 0.5})
    >>> with open(os.path.join(d, "good.json"), "w") as f:
    ...     json.dump(cert, f)
    >>> cert["inputs"]["alpha"] = "2/1"
    >>> with open(os.path.join(d, "tampered.json"), "w") as f:
    ...     json.dump(cert, f)
    >>> for path, holds, what in check_paths([d]):
    ...     print(os.path.basename(path), holds, what.split(", ")[0])
    good.json True polynomial
    tampered.json False check 'polynomial' failed: polynomial: the certificate's Q differs from Q recomputed from the inputs
    >>> import shutil; shutil.rmtree(d)
    """
    out = []
    for f in _files(paths):
        try:
            with open(f, encoding="utf-8") as fh:
                cert = json.load(fh)
            names = check_certificate(cert)
            out.append((str(f), True, ", ".join(names)))
        except CertificateError as exc:
            out.append((str(f), False, f"check {exc.check!r} failed: {exc}"))
        except (OSError, ValueError, RecursionError) as exc:
            out.append((str(f), False, f"check 'format' failed: unreadable ({type(exc).__name__})"))
    return out


def main(paths) -> int:
    """Check every certificate; print one line per failure and a summary. 0 iff all hold."""
    results = check_paths(paths)
    bad = [r for r in results if not r[1]]
    for f, _, what in bad:
        print(f"{f}: DOES NOT HOLD: {what}")
    print(f"{len(results) - len(bad)}/{len(results)} certificates hold (exact rational arithmetic "
          "and Sturm sequences or Descartes' rule)")
    return 0 if results and not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
