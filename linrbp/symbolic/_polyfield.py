"""The derived field as sparse (generalised) polynomials, and the exact nullspace behind
:func:`linrbp.symbolic.find_invariants` (docs/theory.md section 9): a candidate invariant's
coefficients solve one linear system, built column by column from the field's terms, pruned,
and solved over Q by multi-modular elimination with rational reconstruction (or over the
rational functions of the parameters)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from ..core._errors import InputError


def sign_arguments(system) -> list:
    """The distinct arguments x of sign(x) in a derived field (sorted by name); [] if none."""
    args = {a.args[0] for f in system.field for a in sp.sympify(f).atoms(sp.sign)}
    return sorted(args, key=sp.default_sort_key)


# ---------------------------------------------------------------------------------------------
# The field as sparse (generalised) polynomials


class _NotPolynomial(Exception):
    pass


def _split_term(term, index, values):
    """(exponents per state, numeric Fraction, symbolic factors) of one product."""
    exps = [0] * len(index)
    coeff, rest = term.as_coeff_Mul()
    if coeff.is_Rational:
        num = Fraction(int(coeff.p), int(coeff.q))
    elif coeff.is_Float:
        num = Fraction(repr(float(coeff)))
    else:
        raise _NotPolynomial(term)
    sym = []
    for base, e in rest.as_powers_dict().items():
        if base in index:
            exps[index[base]] += e
        elif base.free_symbols & index.keys():
            raise _NotPolynomial(term)
        elif base in values and getattr(e, "is_Integer", False):
            num *= values[base] ** int(e)
        elif base.is_Rational and getattr(e, "is_Integer", False):
            num *= Fraction(int(base.p), int(base.q)) ** int(e)
        elif base.is_Number and base != 1:
            sym.append(base ** e)
        elif base != 1:
            sym.append(base ** e)
    return exps, num, sym


def _field_terms(system, values):
    """Per field component: {exponent tuple: coefficient sympy expr or Fraction}."""
    index = {s: k for k, s in enumerate(system.states)}
    out = []
    for k, f in enumerate(system.field):
        terms: dict = {}
        f = sp.sympify(f)
        for term in sp.Add.make_args(f):
            parts = sp.Mul.make_args(term)
            if any(p.has(*index) and not (p.is_Symbol or (p.is_Pow and p.base.is_Symbol)) for p in parts):
                sub = sp.Add.make_args(sp.expand(term, power_exp=False))
            else:
                sub = (term,)
            for t in sub:
                try:
                    exps, num, sym = _split_term(t, index, values)
                except _NotPolynomial:
                    if sign_arguments(system):
                        raise InputError(
                            f"{system.name} under {system.rule}: the field is piecewise polynomial "
                            f"(sign of the state): use find_invariants_piecewise, or the orthant_system "
                            f"of one sign pattern") from None
                    raise InputError(
                        f"find_invariants: the field of {system.name} under {system.rule} is not "
                        f"polynomial in the state (component {system.states[k]}' contains "
                        f"{sp.sstr(t)}); polynomial first integrals need a polynomial field") from None
                key = tuple(sp.sympify(e) if not isinstance(e, int) else e for e in exps)
                coef = num * sp.Mul(*sym) if sym else num
                if key in terms:
                    terms[key] = terms[key] + coef
                else:
                    terms[key] = coef
        out.append({k2: v for k2, v in terms.items() if not (isinstance(v, Fraction) and v == 0)})
    return out


def _is_int_exponent(e) -> bool:
    return isinstance(e, int) or (getattr(e, "is_Integer", False) and e >= 0)


def _monomials(n: int, degree: int):
    """Exponent tuples of total degree 1..degree, graded (degree 1 first), lex within a degree."""
    out = []
    for d in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(n), d):
            e = [0] * n
            for i in combo:
                e[i] += 1
            out.append(tuple(e))
    return out


def _to_domain(v, K, symbolic: bool):
    if isinstance(v, Fraction):
        return K.convert(QQ(v.numerator, v.denominator)) if symbolic else QQ(v.numerator, v.denominator)
    if not symbolic:
        v = sp.nsimplify(v) if v.is_Float else v
        if v.is_Rational:
            return QQ(int(v.p), int(v.q))
        raise InputError(f"find_invariants: coefficient {v} is not a number")
    return K.from_sympy(sp.sympify(v))


def _build_columns(fterms, monos, packed):
    """Column m: grad(m) . f as {row key: coefficient}; keys packed ints or exponent tuples."""
    cols = []
    if packed is not None:
        bits = packed
        fpacked = [[(sum(int(e) << (bits * i) for i, e in enumerate(k)), c) for k, c in ft.items()]
                   for ft in fterms]
        for m in monos:
            pm = sum(e << (bits * i) for i, e in enumerate(m))
            col: dict = {}
            for i, e in enumerate(m):
                if e:
                    base = pm - (1 << (bits * i))
                    for k, c in fpacked[i]:
                        r = base + k
                        v = col.get(r)
                        col[r] = e * c if v is None else v + e * c
            cols.append(col)
    else:
        for m in monos:
            col = {}
            for i, e in enumerate(m):
                if e:
                    base = list(m)
                    base[i] -= 1
                    for k, c in fterms[i].items():
                        r = tuple(sp.expand(a + b) for a, b in zip(base, k))
                        v = col.get(r)
                        col[r] = e * c if v is None else v + e * c
            cols.append(col)
    return [{r: v for r, v in col.items() if v} for col in cols]


def _prune(cols):
    """Indices of columns not forced to zero by rows with a single live entry."""
    rows: dict = {}
    for j, col in enumerate(cols):
        for r in col:
            rows.setdefault(r, set()).add(j)
    live = set(range(len(cols)))
    queue = [r for r, js in rows.items() if len(js) == 1]
    while queue:
        r = queue.pop()
        js = rows.get(r)
        if not js or len(js) != 1:
            continue
        (j,) = js
        if j not in live:
            continue
        live.discard(j)
        for r2 in cols[j]:
            s = rows[r2]
            s.discard(j)
            if len(s) == 1:
                queue.append(r2)
    return sorted(live)


def _nullspace(cols, live, K):
    """Reduced row echelon basis (over K) of {u : sum_j u_j cols[j] = 0}, on the live columns."""
    if not live:
        return []
    if K == QQ:
        return _nullspace_rational(cols, live)
    rowkeys: dict = {}
    sdm: dict = {}
    for jj, j in enumerate(live):
        for r, v in cols[j].items():
            i = rowkeys.setdefault(r, len(rowkeys))
            sdm.setdefault(i, {})[jj] = v
    if not sdm:
        basis = DomainMatrix.eye(len(live), K)
    else:
        basis = DomainMatrix(sdm, (len(rowkeys), len(live)), K).nullspace()
        if basis.shape[0] == 0:
            return []
        basis = basis.rref()[0]
    return [{live[jj]: v for jj, v in row.items() if v} for _, row in sorted(basis.to_sdm().items())]


# Multi-modular nullspace over Q: eliminate modulo word-size primes (no coefficient growth),
# lift the free-variable basis by the Chinese remainder theorem and rational reconstruction,
# and accept it only when it annihilates the exact rational matrix. Rank modulo p never
# exceeds the rank over Q, so a lifted basis of the size found modulo p that verifies exactly
# is the whole nullspace (certified, not probable).
_PRIMES = (2305843009213693951, 4611686018427387847, 9223372036854775783, 4611686018427388039,
           2305843009213693921, 9223372036854775643, 4611686018427387817, 2305843009213693907)


def _rows_mod(cols, live, p):
    rows: dict = {}
    for jj, j in enumerate(live):
        for r, v in cols[j].items():
            num, den = int(v.numerator), int(v.denominator)
            if den % p == 0:
                return None
            x = num * pow(den, -1, p) % p
            if x:
                rows.setdefault(r, {})[jj] = x
    return sorted(rows.values(), key=len)


def _rref_mod(rows, ncols, p):
    """Incrementally fully reduced pivot rows {pivot column: {column: value}} modulo p."""
    piv: dict = {}
    where: dict = {}    # column -> set of pivot columns whose row contains it
    for row in rows:
        row = dict(row)
        for c in [c for c in row if c in piv]:
            v = row.pop(c, 0)
            if not v:
                continue
            for k, w in piv[c].items():
                if k == c:
                    continue
                nv = (row.get(k, 0) - v * w) % p
                if nv:
                    row[k] = nv
                else:
                    row.pop(k, None)
        if not row:
            continue
        c = min(row, key=lambda k: (len(where.get(k, ())), k))
        inv = pow(row[c], -1, p)
        row = {k: v * inv % p for k, v in row.items()}
        # eliminate c from every existing pivot row that contains it
        for pc in list(where.get(c, ())):
            prow = piv[pc]
            v = prow.pop(c)
            for k, w in row.items():
                if k == c:
                    continue
                nv = (prow.get(k, 0) - v * w) % p
                if nv:
                    if k not in prow:
                        where.setdefault(k, set()).add(pc)
                    prow[k] = nv
                elif k in prow:
                    del prow[k]
                    where[k].discard(pc)
        where.pop(c, None)
        piv[c] = row
        for k in row:
            if k != c:
                where.setdefault(k, set()).add(c)
    return piv


def _free_basis(piv, ncols, p):
    free = [c for c in range(ncols) if c not in piv]
    basis = {f: {f: 1} for f in free}
    for pc, row in piv.items():
        for k, v in row.items():
            if k != pc:
                basis[k][pc] = (-v) % p
    return free, basis


def _ratrec(a, m):
    """r/s = a mod m with |r|, s <= sqrt(m/2), or None."""
    bound = math.isqrt(m // 2)
    r0, r1, s0, s1 = m, a % m, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1, s0, s1 = r1, r0 - q * r1, s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound:
        return None
    if s1 < 0:
        r1, s1 = -r1, -s1
    if math.gcd(r1, s1) != 1:
        return None
    return Fraction(r1, s1)


def _nullspace_rational(cols, live):
    ncols = len(live)
    images = []          # (p, free columns, basis mod p)
    for p in _PRIMES:
        rows = _rows_mod(cols, live, p)
        if rows is None:
            continue
        free, basis = _free_basis(_rref_mod(rows, ncols, p), ncols, p)
        if images and len(free) < len(images[0][1]):
            images = []     # the earlier primes lost rank: drop them
        if images and free != images[0][1]:
            continue
        images.append((p, free, basis))
        if not free:
            return []
        m = math.prod(q for q, _, _ in images)
        lifted = []
        ok = True
        for f in free:
            vec = {}
            keys = set().union(*(b[f].keys() for _, _, b in images))
            for k in keys:
                a = 0
                for q, _, b in images:   # CRT
                    mq = m // q
                    a = (a + b[f].get(k, 0) * mq * pow(mq, -1, q)) % m
                x = _ratrec(a, m)
                if x is None:
                    ok = False
                    break
                if x:
                    vec[live[k]] = x
            if not ok:
                break
            lifted.append(vec)
        if ok and all(_annihilates(cols, vec) for vec in lifted):
            return _rref_rational(lifted)
    raise RuntimeError("find_invariants: the multi-modular nullspace did not lift to Q "
                       f"with {len(_PRIMES)} primes")


def _annihilates(cols, vec) -> bool:
    acc: dict = {}
    for j, u in vec.items():
        for r, v in cols[j].items():
            acc[r] = acc.get(r, 0) + u * Fraction(int(v.numerator), int(v.denominator))
    return not any(acc.values())


def _rref_rational(vectors):
    """The canonical reduced row echelon basis (columns in index order) of exact vectors."""
    support = sorted(set().union(*vectors))
    pos = {c: i for i, c in enumerate(support)}
    rows = {i: {pos[c]: QQ(v.numerator, v.denominator) for c, v in vec.items()} for i, vec in enumerate(vectors)}
    M = DomainMatrix(rows, (len(vectors), len(support)), QQ)
    R = M.rref()[0]
    return [{support[k]: v for k, v in row.items() if v} for _, row in sorted(R.to_sdm().items())]


def _leading(terms: dict):
    """The graded-first monomial of a term dict (lowest degree, then lex-largest like _monomials)."""
    return min(terms, key=lambda e: (sum(e), tuple(-x for x in e)))


def _terms_of(expr, syms):
    """{exponent tuple: coefficient} of a polynomial in syms (coefficients sympy)."""
    poly = sp.Poly(sp.expand(expr), *syms)
    return {k: v for k, v in poly.terms()}
